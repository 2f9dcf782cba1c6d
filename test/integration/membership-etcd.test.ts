// DC takeover on a real 3-member etcd: three memberships, each with its own etcd client, 2 s lease.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { etcdAvailable, ETCD_BIN, startEtcdCluster } from './store-etcd-cluster.ts';
import { EtcdStore } from '../../src/store/etcd.ts';
import { Membership, nowMs } from '../../src/membership/membership.ts';
import { keys } from '../../src/cib/store-layout.ts';
import { waitFor } from '../support/cluster.ts';

const skip = etcdAvailable ? false : `${ETCD_BIN} not installed (Debian package etcd-server)`;

test('real 3-member etcd: the DC is killed and a survivor leads with a larger token before its 2 s lease expires', { skip, timeout: 60_000 }, async () => {
  const etcd = await startEtcdCluster({ size: 3, heartbeatMs: 20, electionMs: 200 });
  const stores: EtcdStore[] = [];
  const ms: Membership[] = [];
  try {
    for (const name of ['n1', 'n2', 'n3']) {
      const store = new EtcdStore({ endpoints: etcd.endpoints });
      stores.push(store);
      ms.push(await Membership.start({ store, cluster: 'it', node: name, voters: ['n1', 'n2', 'n3'], timing: { leaseTtlMs: 2000 } }));
    }
    await waitFor('a DC seen by all', () => ms.every((m) => m.quorate && m.peers().every((p) => p.state === 'up')) && ms.some((m) => m.leadership?.active) && ms.every((m) => m.leader), 15_000);
    const dc = ms.find((m) => m.leadership?.active)!;
    const token = dc.leadership!.token;
    const survivors = ms.filter((m) => m !== dc);
    const t0 = nowMs();
    dc.kill();
    const took = await waitFor('a survivor leads', () => survivors.some((m) => m.leadership?.active), 10_000);
    const next = survivors.find((m) => m.leadership?.active)!;
    const memberKey = await stores[ms.indexOf(next)]!.get(keys.member('it', dc.self.name));
    console.log(`# etcd: takeover ${Math.round(took)} ms after the DC was killed (token ${token} -> ${next.leadership!.token}); dead DC's member key still present: ${Boolean(memberKey.kv)}`);
    assert.ok(next.leadership!.token > token);
    assert.ok(memberKey.kv, 'took over before the 2 s lease expired');
    assert.ok(nowMs() - t0 < 2000);
  } finally {
    for (const m of ms) await m.stop().catch(() => {});
    for (const s of stores) await s.close().catch(() => {});
    await etcd.stop();
  }
});
