// etcd members of the lab: one per host, Debian's /usr/bin/etcd (etcd-server 3.4).

import type { HostRecord, LabState } from './state.ts';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';

export function etcdCommand(state: LabState, host: HostRecord): string[] {
  const { clientPort, peerPort, heartbeatMs, electionMs } = state.etcd;
  const cluster = state.hosts.map((h) => `${h.name}=http://${h.address}:${peerPort}`).join(',');
  return [
    ETCD_BIN,
    '--name', host.name,
    '--data-dir', '/var/lib/tandem/etcd',
    '--listen-client-urls', `http://${host.address}:${clientPort},http://127.0.0.1:${clientPort}`,
    '--advertise-client-urls', `http://${host.address}:${clientPort}`,
    '--listen-peer-urls', `http://${host.address}:${peerPort}`,
    '--initial-advertise-peer-urls', `http://${host.address}:${peerPort}`,
    '--initial-cluster', cluster,
    '--initial-cluster-state', 'new',
    '--initial-cluster-token', `tandem-lab-${state.run}`,
    '--heartbeat-interval', String(heartbeatMs),
    '--election-timeout', String(electionMs),
    '--pre-vote',
    '--logger', 'zap',
    '--log-outputs', 'stderr',
    '--log-level', 'warn',
  ];
}
