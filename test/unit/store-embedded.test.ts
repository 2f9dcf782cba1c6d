// The Store contract against the embedded store, plus what only the embedded store has: an
// injectable clock, sessions sharing one backend, automatic compaction.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { storeContract } from './store-contract.ts';
import { ManualClock } from '../../src/store/clock.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../../src/store/embedded.ts';
import type { StoreError } from '../../src/store/types.ts';

const backend: EmbeddedStore = openEmbeddedStore();

storeContract('embedded', () => ({
  open: async () => backend.session(),
  // Fractional TTLs are fine in one process, and keep the lease tests fast.
  leaseTtl: 0.3,
  expiryGraceMs: 50,
}));

describe('embedded store specifics', () => {
  const flush = () => new Promise<void>((r) => setImmediate(r));
  /** Advance a manual clock in small steps, letting promise callbacks run in between. */
  async function advance(clock: ManualClock, ms: number, step = 10): Promise<void> {
    for (let t = 0; t < ms; t += step) {
      clock.advance(Math.min(step, ms - t));
      await flush();
    }
  }

  test('with an injected clock, keep-alives hold a lease indefinitely and it expires exactly one TTL after the last one', async () => {
    const clock = new ManualClock(1000);
    const s = openEmbeddedStore({ clock });
    const other = s.session();
    const lease = await s.grantLease(1);
    await s.put('/n/1', 'up', { lease: lease.id });
    await advance(clock, 10_000);
    assert.equal(lease.lost, false);
    assert.equal((await other.get('/n/1')).kv?.value, 'up');

    const order: string[] = [];
    lease.onLost((reason) => order.push(`holder lost: ${reason}`));
    other.watch('/n/', {}, (evs) => order.push(...evs.map((e) => `others see ${e.type}`)), () => {});
    lease.stopKeepAlive();
    const deadline = lease.expiresAt();
    assert.ok(deadline - clock.now() <= 1000 && deadline - clock.now() > 600, 'last renewal was within ttl/3');
    await advance(clock, deadline - clock.now() - 1, 1);
    assert.equal(lease.lost, false, 'not lost a millisecond before the deadline');
    assert.equal((await other.get('/n/1')).kv?.value, 'up');
    await advance(clock, 1, 1);
    assert.equal(lease.lost, true);
    assert.equal((await other.get('/n/1')).kv, undefined);
    await flush();
    assert.deepEqual(order, ['holder lost: expired', 'others see delete']);
    await s.destroy();
  });

  test('sessions share one backend; closing one ends only its own watches and lease handles', async () => {
    const a = openEmbeddedStore();
    const b = a.session();
    const lease = await b.grantLease(5);
    const errors: string[] = [];
    b.watch('/x/', {}, () => {}, (e) => errors.push(`b:${e.code}`));
    const seenByA: string[] = [];
    a.watch('/x/', {}, (evs) => seenByA.push(...evs.map((e) => e.key)), (e) => errors.push(`a:${e.code}`));
    await b.put('/x/by-b', '1', { lease: lease.id });
    await b.close();
    await flush();
    assert.deepEqual(errors, ['b:closed']);
    assert.equal(lease.lost, true);
    await a.put('/x/by-a', '1');
    await flush();
    assert.deepEqual(seenByA, ['/x/by-b', '/x/by-a']);
    assert.equal((await a.get('/x/by-b')).kv?.lease, lease.id, 'the lease itself lives on until it runs out');
    await a.destroy();
    await assert.rejects(a.session().get('/x/by-a'), (e: any) => e.code === 'closed');
  });

  test('history beyond historyLimit is compacted automatically; watches from before it get compacted', async () => {
    const s = openEmbeddedStore({ historyLimit: 100 });
    const first = await s.put('/h/k', '0');
    for (let i = 1; i < 500; i++) await s.put('/h/k', String(i));
    const errs: StoreError[] = [];
    s.watch('/h/', { fromRevision: first }, () => {}, (e) => errs.push(e));
    await flush();
    assert.equal(errs[0]?.code, 'compacted');
    const events: number[] = [];
    s.watch('/h/', { fromRevision: s.revision - 50 }, (evs) => events.push(...evs.map((e) => e.revision)), () => {});
    await flush();
    assert.equal(events.length, 51, 'recent history is still there');
    await s.destroy();
  });

  test("watch callbacks never run inside the writer's call, and a txn's events arrive as one batch", async () => {
    const s = openEmbeddedStore();
    const batches: number[] = [];
    s.watch('/w/', {}, (evs) => batches.push(evs.length), () => {});
    const p = s.txn({
      compares: [],
      success: [
        { type: 'put', key: '/w/a', value: '1' },
        { type: 'put', key: '/w/b', value: '1' },
      ],
    });
    assert.deepEqual(batches, [], 'nothing delivered synchronously');
    await p;
    await flush();
    assert.deepEqual(batches, [2]);
    await s.destroy();
  });
});
