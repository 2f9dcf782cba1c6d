// Starts real etcd members (Debian's /usr/bin/etcd) on loopback for the store's integration tests:
// random free ports, data in a mkdtemp directory, small heartbeat/election timings. Members are
// stopped by the PID this helper started, never by name.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ETCD_BIN = process.env.ETCD_BIN ?? '/usr/bin/etcd';
export const etcdAvailable = existsSync(ETCD_BIN);

export interface EtcdMember {
  name: string;
  clientUrl: string;
  peerUrl: string;
  process: ChildProcess | undefined;
  /** SIGKILL this member (by its PID). */
  kill(): Promise<void>;
  /** SIGSTOP / SIGCONT this member (by its PID): a frozen host whose sockets stay open. */
  freeze(): void;
  thaw(): void;
  /** Tail of its stderr, for failure messages. */
  stderr(): string;
}

export interface EtcdCluster {
  members: EtcdMember[];
  endpoints: string[];
  /** Member that is leader now, asked over etcd's HTTP gateway. */
  leader(): Promise<EtcdMember>;
  stop(): Promise<void>;
}

export interface ClusterOptions {
  size: number;
  heartbeatMs?: number;
  electionMs?: number;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function post(url: string, body: unknown, timeoutMs = 500): Promise<any> {
  const res = await fetch(url, { method: 'POST', body: JSON.stringify(body), signal: AbortSignal.timeout(timeoutMs) });
  return res.json();
}

const live = new Set<ChildProcess>();
// Last resort: never leave an etcd behind if the test process dies.
process.on('exit', () => {
  for (const p of live) if (p.pid && p.exitCode === null) process.kill(p.pid, 'SIGKILL');
});

export async function startEtcdCluster(options: ClusterOptions): Promise<EtcdCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-etcd-'));
  const specs: { name: string; client: number; peer: number }[] = [];
  for (let i = 0; i < options.size; i++) specs.push({ name: `m${i}`, client: await freePort(), peer: await freePort() });
  const initialCluster = specs.map((s) => `${s.name}=http://127.0.0.1:${s.peer}`).join(',');

  const members: EtcdMember[] = specs.map((s) => {
    const args = [
      `--name=${s.name}`,
      `--data-dir=${join(dir, s.name)}`,
      `--listen-client-urls=http://127.0.0.1:${s.client}`,
      `--advertise-client-urls=http://127.0.0.1:${s.client}`,
      `--listen-peer-urls=http://127.0.0.1:${s.peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${s.peer}`,
      `--initial-cluster=${initialCluster}`,
      '--initial-cluster-state=new',
      `--initial-cluster-token=tandem-test-${process.pid}`,
      `--heartbeat-interval=${options.heartbeatMs ?? 20}`,
      `--election-timeout=${options.electionMs ?? 200}`,
      '--pre-vote',
      '--grpc-keepalive-min-time=1s',
      '--logger=zap',
      '--log-outputs=stderr',
      '--log-level=error',
    ];
    const child = spawn(ETCD_BIN, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    live.add(child);
    child.on('exit', () => live.delete(child));
    const member: EtcdMember = {
      name: s.name,
      clientUrl: `http://127.0.0.1:${s.client}`,
      peerUrl: `http://127.0.0.1:${s.peer}`,
      process: child,
      async kill() {
        const p = member.process;
        if (!p || p.exitCode !== null || p.signalCode !== null) return;
        const exited = new Promise((r) => p.once('exit', r));
        process.kill(p.pid!, 'SIGKILL');
        await exited;
      },
      freeze: () => void process.kill(child.pid!, 'SIGSTOP'),
      thaw: () => void process.kill(child.pid!, 'SIGCONT'),
      stderr: () => stderr,
    };
    return member;
  });

  const cluster: EtcdCluster = {
    members,
    endpoints: members.map((m) => m.clientUrl),
    async leader() {
      for (let i = 0; i < 100; i++) {
        for (const m of members) {
          if (!m.process || m.process.exitCode !== null || m.process.signalCode !== null) continue;
          try {
            const st = await post(`${m.clientUrl}/v3/maintenance/status`, {});
            if (st.leader && st.leader !== '0') {
              const leaderId = st.leader;
              if (st.header?.member_id === leaderId) return m;
            }
          } catch {
            // not up yet or dying: ask another
          }
        }
        await new Promise((r) => setTimeout(r, 20));
      }
      throw new Error('etcd test cluster: no leader found');
    },
    async stop() {
      await Promise.all(members.map((m) => m.kill()));
      rmSync(dir, { recursive: true, force: true });
    },
  };

  // Ready = every member reports healthy (which needs an elected leader).
  const deadline = Date.now() + 15000;
  for (const m of members) {
    for (;;) {
      if (m.process!.exitCode !== null) {
        await cluster.stop();
        throw new Error(`etcd ${m.name} exited at start: ${m.stderr()}`);
      }
      try {
        const res = await fetch(`${m.clientUrl}/health`, { signal: AbortSignal.timeout(500) });
        const body = (await res.json()) as { health?: string };
        if (body.health === 'true') break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await cluster.stop();
        throw new Error(`etcd ${m.name} did not become healthy in 15 s: ${m.stderr()}`);
      }
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  return cluster;
}
