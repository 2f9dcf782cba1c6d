// The Store contract against a REAL etcd (Debian's etcd-server, 3.4), started by this file on
// loopback with random ports; plus failover of a 3-member cluster whose leader is SIGKILLed.
// Every etcd started here is stopped by its PID in an `after` hook.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { EtcdStore } from '../../src/store/etcd.ts';
import { watchWithRelist } from '../../src/store/relist.ts';
import type { Store, WatchEvent } from '../../src/store/types.ts';
import { sleep, storeContract, waitUntil, within } from '../unit/store-contract.ts';
import { etcdAvailable, ETCD_BIN, startEtcdCluster, type EtcdCluster } from './store-etcd-cluster.ts';

const skip = etcdAvailable ? false : `${ETCD_BIN} not installed (Debian package etcd-server)`;

describe('etcd store, single member', { skip }, () => {
  let cluster: EtcdCluster;
  before(async () => {
    cluster = await startEtcdCluster({ size: 1, heartbeatMs: 10, electionMs: 100 });
  });
  after(async () => {
    await cluster?.stop();
  });

  storeContract('etcd 3.4 (one member)', () => ({
    // Semantics, not failover, are tested here: a roomier deadline keeps a loaded CI machine from
    // turning slow answers into retries (the failover tests below use the defaults).
    open: async () => new EtcdStore({ endpoints: cluster.endpoints, attemptTimeoutMs: 300 }),
    leaseTtl: 1, // etcd's TTLs are whole seconds
    expiryGraceMs: 1000, // its lessor checks expiry every 500 ms
  }));

  test('a call to a member that is down fails with unavailable within its budget, naming the member', async () => {
    const dead = new EtcdStore({ endpoints: ['http://127.0.0.1:1'], callBudgetMs: 300 });
    const t0 = performance.now();
    await assert.rejects(dead.put('/x', 'y'), (err: any) => {
      assert.equal(err.code, 'unavailable');
      assert.match(err.message, /put \/x: no etcd member completed it within 300 ms .*127\.0\.0\.1:1/);
      return true;
    });
    assert.ok(performance.now() - t0 < 1000);
    await dead.close();
  });
});

describe('etcd store, three members, leader killed', { skip }, () => {
  let cluster: EtcdCluster;
  const stores: Store[] = [];
  before(async () => {
    cluster = await startEtcdCluster({ size: 3, heartbeatMs: 20, electionMs: 200 });
  });
  after(async () => {
    await Promise.all(stores.map((s) => s.close()));
    await cluster?.stop();
  });

  test('a watch on a member that freezes (SIGSTOP, sockets open) moves to another member and delivers every write', async (t) => {
    const leader = await cluster.leader();
    const follower = cluster.members.find((m) => m !== leader)!;
    const writer = new EtcdStore({ endpoints: [leader.clientUrl] });
    const watcher = new EtcdStore({ endpoints: [follower.clientUrl, ...cluster.endpoints.filter((e) => e !== follower.clientUrl)] });
    stores.push(writer, watcher);
    const p = `/freeze/${process.pid}/`;
    const seen: WatchEvent[] = [];
    const w = watcher.watch(p, {}, (events) => seen.push(...events), () => {});
    await w.ready;
    await writer.put(p + 'before', '1');
    await waitUntil(() => seen.length === 1, 2000, 'event before the freeze');
    follower.freeze();
    const frozenAt = performance.now();
    try {
      const revs: number[] = [];
      for (let i = 0; i < 10; i++) {
        revs.push(await writer.put(p + 'during', String(i)));
        await sleep(20);
      }
      await waitUntil(() => seen.length === 11, 5000, 'events written while the member was frozen');
      const delay = performance.now() - frozenAt;
      t.diagnostic(`watch moved off the frozen member ${follower.name}; caught up ${delay.toFixed(0)} ms after the freeze`);
      assert.deepEqual(seen.slice(1).map((e) => e.revision), revs, 'all of them, in order, once');
      assert.ok(delay < 3000, `caught up within 3 s (${delay.toFixed(0)} ms)`);
    } finally {
      follower.thaw();
    }
    w.cancel();
    // Give the thawed member time to catch up before the next test relies on a full cluster.
    await waitUntil(async () => {
      try {
        const res = await fetch(`${follower.clientUrl}/health`, { signal: AbortSignal.timeout(300) });
        return ((await res.json()) as { health?: string }).health === 'true';
      } catch {
        return false;
      }
    }, 5000, 'thawed member healthy');
  });

  test('after SIGKILL of the leader member, writes resume through retries in well under 2 s; watches and leases carry on without loss', async (t) => {
    const leader = await cluster.leader();
    // Point both clients at the leader first, so the kill hits their connections.
    const endpoints = [leader.clientUrl, ...cluster.endpoints.filter((e) => e !== leader.clientUrl)];
    const writer = new EtcdStore({ endpoints });
    const watcher = new EtcdStore({ endpoints });
    stores.push(writer, watcher);
    const p = `/failover/${process.pid}/`;

    const seen: WatchEvent[] = [];
    const errors: unknown[] = [];
    const w = watcher.watch(p, {}, (events) => seen.push(...events), (e) => errors.push(e));
    await w.ready;

    // A mirror kept by list+watch must end equal to the store as well.
    const mirror = new Map<string, string>();
    const view = watchWithRelist(watcher, p, {
      onSnapshot: (kvs) => {
        mirror.clear();
        for (const kv of kvs) mirror.set(kv.key, kv.value);
      },
      onEvents: (events) => {
        for (const ev of events) ev.type === 'put' ? mirror.set(ev.key, ev.kv.value) : mirror.delete(ev.key);
      },
    });
    await view.ready;

    // A lease whose keep-alives must carry on through the failover.
    const lease = await writer.grantLease(2);
    await writer.put(`${p}lease`, 'up', { lease: lease.id });

    // Write every 10 ms, bounded in count and time; kill the leader a little way in.
    const acked: { i: number; revision: number; at: number; latency: number }[] = [];
    const t0 = performance.now();
    let killedAt = 0;
    for (let i = 0; i < 300 && performance.now() - t0 < 8000; i++) {
      if (i === 40) {
        killedAt = performance.now();
        await leader.kill();
      }
      const start = performance.now();
      const revision = await writer.put(`${p}k${i % 20}`, String(i));
      const at = performance.now();
      acked.push({ i, revision, at, latency: at - start });
      if (killedAt && at - killedAt > 1500 && i > 100) break;
      await sleep(10);
    }
    assert.ok(killedAt > 0, 'the leader was killed');
    const firstAfter = acked.find((a) => a.at > killedAt)!;
    const worst = Math.max(...acked.map((a) => a.latency));
    const gap = firstAfter.at - killedAt;
    t.diagnostic(`leader ${leader.name} killed: first write acknowledged ${gap.toFixed(0)} ms later; worst write latency ${worst.toFixed(0)} ms`);
    assert.ok(gap < 1500, `writes resumed ${gap.toFixed(0)} ms after the kill`);
    assert.ok(worst < 1500, `no write took ${worst.toFixed(0)} ms`);
    assert.ok(acked.filter((a) => a.at > killedAt).length >= 20, 'writes kept flowing after the failover');

    // Every acknowledged write shows up in the watch, once, in order.
    const last = acked.at(-1)!.revision;
    await within(waitUntil(() => seen.length > 0 && seen.at(-1)!.revision >= last, 5000, 'watch caught up'), 6000, 'watch');
    const revs = seen.map((e) => e.revision);
    for (let k = 1; k < revs.length; k++) assert.ok(revs[k]! > revs[k - 1]!, `watch revisions strictly increase at ${k}`);
    const seenRevs = new Set(revs);
    const missing = acked.filter((a) => !seenRevs.has(a.revision));
    assert.deepEqual(missing, [], 'no acknowledged write is missing from the watch');
    assert.deepEqual(errors, []);

    assert.equal(lease.lost, false, 'the lease survived the failover');
    assert.equal((await writer.get(`${p}lease`)).kv?.value, 'up');
    await lease.revoke();

    const final = await writer.list(p);
    await waitUntil(() => mirror.size === final.kvs.length, 2000, 'mirror size');
    for (const kv of final.kvs) assert.equal(mirror.get(kv.key), kv.value);
    w.cancel();
    view.cancel();
  });
});
