// The Store contract: one suite, run against every implementation (embedded in
// store-embedded.test.ts, a real etcd in test/integration/store-etcd.test.ts). It states what
// callers may rely on; an implementation that passes it can replace another.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Election, fencedTxn } from '../../src/store/election.ts';
import { watchWithRelist, applyEvents } from '../../src/store/relist.ts';
import {
  StoreError,
  type KeyValue,
  type Store,
  type StoreErrorCode,
  type TxnOpResult,
  type WatchEvent,
  type WatchOptions,
} from '../../src/store/types.ts';

export interface ContractHarness {
  /** A new client of the same store (think: another node). The suite closes what it opens. */
  open(): Promise<Store>;
  /** Lease TTL (s) used by lease tests: as small as the backend honours. */
  leaseTtl: number;
  /** How long after a lease's TTL the backend may take to delete its keys (ms). */
  expiryGraceMs: number;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Poll `check` until it returns true or `ms` pass. */
export async function waitUntil(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) assert.fail(`timed out after ${ms} ms waiting for: ${what}`);
    await sleep(5);
  }
}

export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, rej) => {
    timer = setTimeout(() => rej(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export async function rejectsWith(p: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof StoreError, `expected a StoreError, got ${String(err)}`);
    assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`);
    assert.ok(err.message.length > 10, 'message says what failed');
    return err;
  }
  assert.fail(`expected a StoreError ${code}, but the call succeeded`);
}

/** Records what a watch delivers. */
export function record(store: Store, prefix: string, options: WatchOptions = {}) {
  const batches: { events: WatchEvent[]; revision: number }[] = [];
  const errors: StoreError[] = [];
  const watch = store.watch(prefix, options, (events, revision) => batches.push({ events, revision }), (e) => errors.push(e));
  return {
    watch,
    batches,
    errors,
    events: () => batches.flatMap((b) => b.events),
  };
}

let prefixSeq = 0;
function uniquePrefix(): string {
  return `/contract/${process.pid}-${++prefixSeq}-${Math.random().toString(36).slice(2, 8)}/`;
}

function kvsOf(r: TxnOpResult | undefined): KeyValue[] {
  assert.ok(r && r.type === 'get', 'a get result');
  return r.kvs;
}

export function storeContract(name: string, getHarness: () => ContractHarness): void {
  describe(`Store contract: ${name}`, () => {
    const opened: Store[] = [];
    const open = async () => {
      const s = await getHarness().open();
      opened.push(s);
      return s;
    };
    after(async () => {
      await Promise.all(opened.map((s) => s.close()));
    });

    // --- keys and revisions ---------------------------------------------------------------------

    test('writes get strictly increasing revisions; a key tracks createRevision, modRevision and version', async () => {
      const s = await open();
      const p = uniquePrefix();
      const r1 = await s.put(p + 'a', '1');
      const r2 = await s.put(p + 'a', '2');
      const r3 = await s.put(p + 'b', 'x');
      assert.ok(r1 > 1 && r2 > r1 && r3 > r2, `revisions increase: ${r1} ${r2} ${r3}`);
      const a = await s.get(p + 'a');
      assert.ok(a.revision >= r3, 'a read reports the store revision, at least the last write');
      assert.deepEqual(a.kv, { key: p + 'a', value: '2', createRevision: r1, modRevision: r2, version: 2 });
      assert.deepEqual(a.kvs, [a.kv]);
    });

    test('deleting a key and writing it again starts a new incarnation: new createRevision, version 1', async () => {
      const s = await open();
      const p = uniquePrefix();
      const r1 = await s.put(p + 'k', 'old');
      await s.put(p + 'k', 'older');
      const rd = await s.delete(p + 'k');
      assert.ok(rd > r1);
      assert.equal((await s.get(p + 'k')).kv, undefined);
      const r2 = await s.put(p + 'k', 'new');
      const kv = (await s.get(p + 'k')).kv!;
      assert.equal(kv.createRevision, r2);
      assert.equal(kv.version, 1);
      assert.ok(r2 > rd);
    });

    test('a missing key reads as absent, and deleting it does not advance the revision', async () => {
      const s = await open();
      const p = uniquePrefix();
      const rev = await s.put(p + 'present', 'x');
      const missing = await s.get(p + 'missing');
      assert.equal(missing.kv, undefined);
      assert.deepEqual(missing.kvs, []);
      assert.ok(missing.revision >= rev);
      const before = (await s.get(p + 'present')).revision;
      const after = await s.delete(p + 'missing');
      assert.equal(after, before, 'no change, no new revision');
    });

    test('list returns exactly the keys under the prefix, sorted by key, with the read revision', async () => {
      const s = await open();
      const p = uniquePrefix();
      const sibling = p.slice(0, -1) + '0'; // sorts right after the prefix but is not under it
      await s.put(sibling, 'outside');
      await s.put(p + 'b', '2');
      await s.put(p + 'a/x', '3');
      const last = await s.put(p + 'a', '1');
      const res = await s.list(p);
      assert.deepEqual(
        res.kvs.map((kv) => [kv.key, kv.value]),
        [
          [p + 'a', '1'],
          [p + 'a/x', '3'],
          [p + 'b', '2'],
        ],
      );
      assert.ok(res.revision >= last);
      assert.deepEqual((await s.list(uniquePrefix())).kvs, []);
    });

    test('deletePrefix removes every key under the prefix in one revision and nothing beside it', async () => {
      const s = await open();
      const p = uniquePrefix();
      const sibling = p.slice(0, -1) + '0';
      await s.put(sibling, 'keep');
      for (const k of ['a', 'b', 'c/d']) await s.put(p + k, k);
      const rec = record(s, p);
      await rec.watch.ready;
      const rev = await s.deletePrefix(p);
      assert.deepEqual((await s.list(p)).kvs, []);
      assert.equal((await s.get(sibling)).kv?.value, 'keep');
      await waitUntil(() => rec.events().length === 3, 2000, 'three delete events');
      assert.deepEqual(
        rec.events().map((e) => [e.type, e.key, e.revision]),
        ['a', 'b', 'c/d'].map((k) => ['delete', p + k, rev]),
      );
      rec.watch.cancel();
    });

    // --- transactions ---------------------------------------------------------------------------

    test('txn whose compares all hold applies every success op atomically at one revision', async () => {
      const s = await open();
      const p = uniquePrefix();
      const r0 = await s.put(p + 'cfg', 'v1');
      await s.put(p + 'gone', 'x');
      const res = await s.txn({
        compares: [
          { key: p + 'cfg', target: 'modRevision', op: '==', value: r0 },
          { key: p + 'new', target: 'createRevision', op: '==', value: 0 },
        ],
        success: [
          { type: 'put', key: p + 'cfg', value: 'v2' },
          { type: 'put', key: p + 'new', value: 'n' },
          { type: 'delete', key: p + 'gone' },
          { type: 'get', key: p, prefix: true },
        ],
        failure: [{ type: 'get', key: p + 'cfg' }],
      });
      assert.equal(res.succeeded, true);
      assert.equal(res.results.length, 4);
      assert.deepEqual(res.results[0], { type: 'put' });
      assert.deepEqual(res.results[2], { type: 'delete', deleted: 1 });
      assert.deepEqual(kvsOf(res.results[3]).map((kv) => kv.key), [p + 'cfg', p + 'new']);
      const cfg = (await s.get(p + 'cfg')).kv!;
      const created = (await s.get(p + 'new')).kv!;
      assert.equal(cfg.modRevision, res.revision);
      assert.equal(created.createRevision, res.revision);
      assert.equal((await s.get(p + 'gone')).kv, undefined);
    });

    test('txn with one failing compare changes nothing and runs the failure ops instead', async () => {
      const s = await open();
      const p = uniquePrefix();
      const r0 = await s.put(p + 'cfg', 'v1');
      await s.put(p + 'cfg', 'v1-concurrent-edit');
      const before = await s.list(p);
      const res = await s.txn({
        compares: [
          { key: p + 'other', target: 'version', op: '==', value: 0 },
          { key: p + 'cfg', target: 'modRevision', op: '==', value: r0 }, // stale: refused
        ],
        success: [
          { type: 'put', key: p + 'cfg', value: 'v2' },
          { type: 'put', key: p + 'other', value: 'half' },
        ],
        failure: [{ type: 'get', key: p + 'cfg' }],
      });
      assert.equal(res.succeeded, false);
      assert.equal(kvsOf(res.results[0])[0]!.value, 'v1-concurrent-edit', 'failure branch read the current value');
      const after = await s.list(p);
      assert.deepEqual(after.kvs, before.kvs, 'nothing half-changed');
      assert.equal(res.revision, before.revision, 'a refused txn with read-only failure ops writes no revision');
    });

    test('txn compares: value, version, createRevision and modRevision with == != < >; a missing key compares as 0', async () => {
      const s = await open();
      const p = uniquePrefix();
      const k = p + 'k';
      const rc = await s.put(k, 'b');
      const rm = await s.put(k, 'b'); // version 2
      const m = p + 'missing';
      const cases: [import('../../src/store/types.ts').Compare, boolean][] = [
        [{ key: k, target: 'value', op: '==', value: 'b' }, true],
        [{ key: k, target: 'value', op: '!=', value: 'b' }, false],
        [{ key: k, target: 'value', op: '<', value: 'c' }, true],
        [{ key: k, target: 'value', op: '>', value: 'c' }, false],
        [{ key: k, target: 'version', op: '==', value: 2 }, true],
        [{ key: k, target: 'version', op: '>', value: 1 }, true],
        [{ key: k, target: 'version', op: '<', value: 2 }, false],
        [{ key: k, target: 'createRevision', op: '==', value: rc }, true],
        [{ key: k, target: 'createRevision', op: '!=', value: rc }, false],
        [{ key: k, target: 'modRevision', op: '==', value: rm }, true],
        [{ key: k, target: 'modRevision', op: '<', value: rm }, false],
        [{ key: k, target: 'modRevision', op: '>', value: rc }, true],
        [{ key: m, target: 'version', op: '==', value: 0 }, true],
        [{ key: m, target: 'createRevision', op: '==', value: 0 }, true],
        [{ key: m, target: 'modRevision', op: '<', value: 1 }, true],
        [{ key: m, target: 'value', op: '==', value: '' }, false],
        [{ key: m, target: 'value', op: '!=', value: 'x' }, false],
      ];
      for (const [c, expected] of cases) {
        const res = await s.txn({ compares: [c], success: [] });
        assert.equal(res.succeeded, expected, `${c.key.slice(p.length)} ${c.target} ${c.op} ${c.value}`);
      }
    });

    test('version-checked CAS: concurrent increments from several clients lose no update', async () => {
      const p = uniquePrefix();
      const key = p + 'counter';
      const clients = await Promise.all([open(), open(), open()]);
      await clients[0]!.put(key, '0');
      const perClient = 10;
      await Promise.all(
        clients.map(async (s, c) => {
          for (let i = 0; i < perClient; ) {
            const { kv } = await s.get(key);
            // A marker key written in the same txn settles an 'indeterminate' outcome on re-read.
            const marker = `${p}applied/${c}/${i}`;
            try {
              const res = await s.txn({
                compares: [{ key, target: 'modRevision', op: '==', value: kv!.modRevision }],
                success: [
                  { type: 'put', key, value: String(Number(kv!.value) + 1) },
                  { type: 'put', key: marker, value: '' },
                ],
              });
              if (res.succeeded) i++; // else: someone else got there first; read again and retry
            } catch (err) {
              if (!(err instanceof StoreError && err.code === 'indeterminate')) throw err;
              if ((await s.get(marker)).kv) i++;
            }
          }
        }),
      );
      const final = (await clients[0]!.get(key)).kv!;
      assert.equal(final.value, String(clients.length * perClient));
      assert.equal(final.version, clients.length * perClient + 1);
    });

    test('txn that writes one key twice is refused as invalid-argument and applies nothing', async () => {
      const s = await open();
      const p = uniquePrefix();
      await rejectsWith(
        s.txn({
          compares: [],
          success: [
            { type: 'put', key: p + 'x', value: '1' },
            { type: 'put', key: p + 'y', value: '1' },
            { type: 'put', key: p + 'x', value: '2' },
          ],
        }),
        'invalid-argument',
      );
      assert.deepEqual((await s.list(p)).kvs, []);
    });

    // --- watches --------------------------------------------------------------------------------

    test("watch delivers puts and deletes under its prefix in revision order; a txn's events share one revision", async () => {
      const s = await open();
      const writer = await open();
      const p = uniquePrefix();
      const rec = record(s, p);
      const from = await rec.watch.ready;
      await writer.put(p.slice(0, -1) + '0', 'outside');
      const r1 = await writer.put(p + 'a', '1');
      const r2 = await writer.put(p + 'a', '2');
      const t = await writer.txn({
        compares: [],
        success: [
          { type: 'put', key: p + 'b', value: 'b' },
          { type: 'delete', key: p + 'a' },
        ],
      });
      await waitUntil(() => rec.events().length === 4, 2000, 'four events');
      const evs = rec.events();
      assert.ok(r1 >= from);
      assert.deepEqual(
        evs.map((e) => [e.type, e.key.slice(p.length), e.revision]),
        [
          ['put', 'a', r1],
          ['put', 'a', r2],
          ['put', 'b', t.revision],
          ['delete', 'a', t.revision],
        ],
      );
      assert.deepEqual(evs[1]!.kv, { key: p + 'a', value: '2', createRevision: r1, modRevision: r2, version: 2 });
      assert.equal(evs[3]!.prevKv, undefined, 'prevKv only when asked');
      for (let i = 1; i < rec.batches.length; i++) {
        assert.ok(rec.batches[i]!.events[0]!.revision > rec.batches[i - 1]!.events.at(-1)!.revision, 'batches in order');
      }
      assert.deepEqual(rec.errors, []);
      rec.watch.cancel();
    });

    test('watch from a past revision replays history, then continues live without gap or duplicate', async () => {
      const s = await open();
      const p = uniquePrefix();
      const revs: number[] = [];
      for (let i = 0; i < 5; i++) revs.push(await s.put(p + 'k', String(i)));
      const rec = record(s, p, { fromRevision: revs[2]! });
      assert.equal(await rec.watch.ready, revs[2]);
      for (let i = 5; i < 8; i++) revs.push(await s.put(p + 'k', String(i)));
      await waitUntil(() => rec.events().length >= 6, 2000, 'replayed and live events');
      await sleep(30);
      assert.deepEqual(
        rec.events().map((e) => [e.revision, e.kv.value]),
        revs.slice(2).map((r, i) => [r, String(i + 2)]),
      );
      rec.watch.cancel();
    });

    test('watch with prevKv reports what each change replaced, including what a delete removed', async () => {
      const s = await open();
      const p = uniquePrefix();
      await s.put(p + 'x', 'before');
      const rec = record(s, p, { prevKv: true });
      await rec.watch.ready;
      await s.put(p + 'x', 'after');
      await s.delete(p + 'x');
      await waitUntil(() => rec.events().length === 2, 2000, 'two events');
      const [put, del] = rec.events();
      assert.equal(put!.prevKv?.value, 'before');
      assert.equal(del!.type, 'delete');
      assert.equal(del!.prevKv?.value, 'after');
      assert.equal(del!.kv.value, '');
      rec.watch.cancel();
    });

    test('a cancelled watch delivers nothing more', async () => {
      const s = await open();
      const p = uniquePrefix();
      const rec = record(s, p);
      await rec.watch.ready;
      await s.put(p + 'a', '1');
      await waitUntil(() => rec.events().length === 1, 2000, 'first event');
      rec.watch.cancel();
      await s.put(p + 'a', '2');
      await sleep(100);
      assert.equal(rec.events().length, 1);
      assert.deepEqual(rec.errors, []);
    });

    test('watch from a compacted revision ends with a compacted error that names the compact revision', async () => {
      const s = await open();
      const p = uniquePrefix();
      const r1 = await s.put(p + 'a', '1');
      await s.put(p + 'a', '2');
      const r3 = await s.put(p + 'a', '3');
      await s.compact(r3);
      const rec = record(s, p, { fromRevision: r1 });
      await waitUntil(() => rec.errors.length === 1, 2000, 'compacted error');
      assert.equal(rec.errors[0]!.code, 'compacted');
      assert.ok(rec.errors[0]!.compactRevision! >= r3);
      assert.deepEqual(rec.events(), []);
      // The current value survives compaction, and watching from the compact revision works.
      assert.equal((await s.get(p + 'a')).kv?.value, '3');
      const ok = record(s, p, { fromRevision: r3 });
      await waitUntil(() => ok.events().length === 1, 2000, 'event at the compact revision');
      assert.equal(ok.events()[0]!.kv.value, '3');
      ok.watch.cancel();
      await rejectsWith(s.compact(r1), 'compacted');
    });

    test('watchWithRelist: a snapshot followed by incremental events reproduces the store', async () => {
      const s = await open();
      const writer = await open();
      const p = uniquePrefix();
      await writer.put(p + 'a', '1');
      await writer.put(p + 'b', '1');
      const mirror = new Map<string, KeyValue>();
      let snapshots = 0;
      const view = watchWithRelist(s, p, {
        onSnapshot: (kvs) => {
          snapshots++;
          mirror.clear();
          for (const kv of kvs) mirror.set(kv.key, kv);
        },
        onEvents: (events) => applyEvents(mirror, events),
      });
      await view.ready;
      assert.equal(mirror.size, 2);
      await writer.put(p + 'c', '1');
      await writer.delete(p + 'a');
      const last = await writer.put(p + 'b', '2');
      await waitUntil(() => mirror.get(p + 'b')?.modRevision === last, 2000, 'mirror caught up');
      assert.deepEqual([...mirror.values()].sort((x, y) => x.key.localeCompare(y.key)), (await s.list(p)).kvs);
      assert.equal(snapshots, 1);
      view.cancel();
    });

    test('watchWithRelist re-lists when the history its watch needs was compacted before the watch started', async () => {
      const s = await open();
      const p = uniquePrefix();
      await s.put(p + 'a', '1');
      // A store whose first watch starts late: meanwhile the key changes and history is compacted,
      // as after a long disconnect.
      let firstWatch = true;
      const slow: Store = {
        description: s.description,
        now: () => s.now(),
        get: (k) => s.get(k),
        list: (k) => s.list(k),
        put: (k, v, o) => s.put(k, v, o),
        delete: (k) => s.delete(k),
        deletePrefix: (k) => s.deletePrefix(k),
        txn: (r) => s.txn(r),
        grantLease: (t) => s.grantLease(t),
        compact: (r) => s.compact(r),
        close: () => s.close(),
        watch: () => assert.fail('replaced below'),
      };
      slow.watch = (prefix, options, onEvents, onError) => {
        if (!firstWatch) return s.watch(prefix, options, onEvents, onError);
        firstWatch = false;
        let inner: ReturnType<Store['watch']> | undefined;
        let cancelled = false;
        const ready = (async () => {
          await s.put(p + 'a', '2');
          const r = await s.put(p + 'b', 'new');
          await s.compact(r);
          if (cancelled) return r;
          inner = s.watch(prefix, options, onEvents, onError);
          return inner.ready;
        })();
        return { ready, cancel: () => ((cancelled = true), inner?.cancel()) };
      };
      const snapshots: KeyValue[][] = [];
      const mirror = new Map<string, KeyValue>();
      const view = watchWithRelist(slow, p, {
        onSnapshot: (kvs) => {
          snapshots.push(kvs);
          mirror.clear();
          for (const kv of kvs) mirror.set(kv.key, kv);
        },
        onEvents: (events) => applyEvents(mirror, events),
      });
      await waitUntil(() => snapshots.length === 2, 3000, 'second snapshot after compaction');
      assert.deepEqual(snapshots[0]!.map((kv) => kv.value), ['1']);
      assert.deepEqual(snapshots[1]!.map((kv) => kv.value), ['2', 'new']);
      await s.put(p + 'c', 'live');
      await waitUntil(() => mirror.has(p + 'c'), 2000, 'live event after re-list');
      view.cancel();
    });

    // --- leases ---------------------------------------------------------------------------------

    test('keys bound to a lease carry its id and vanish at once when it is revoked; onLost says revoked', async () => {
      const s = await open();
      const p = uniquePrefix();
      const lease = await s.grantLease(getHarness().leaseTtl);
      const reasons: string[] = [];
      lease.onLost((reason) => reasons.push(reason));
      await s.put(p + 'a', '1', { lease: lease.id });
      await s.put(p + 'b', '1', { lease: lease.id });
      await s.put(p + 'c', 'unbound');
      assert.equal((await s.get(p + 'a')).kv?.lease, lease.id);
      assert.equal((await s.get(p + 'c')).kv?.lease, undefined);
      await lease.revoke();
      assert.deepEqual((await s.list(p)).kvs.map((kv) => kv.key), [p + 'c']);
      assert.deepEqual(reasons, ['revoked']);
      assert.equal(lease.lost, true);
      await rejectsWith(lease.keepAlive(), 'lease-not-found');
    });

    test('keep-alive holds a lease past several TTLs', async () => {
      const s = await open();
      const p = uniquePrefix();
      const { leaseTtl } = getHarness();
      const lease = await s.grantLease(leaseTtl);
      await s.put(p + 'k', 'alive', { lease: lease.id });
      await sleep(leaseTtl * 2500);
      assert.equal(lease.lost, false);
      assert.ok(lease.remainingMs() > (leaseTtl * 1000) / 3, `deadline renewed (${lease.remainingMs()} ms left)`);
      assert.equal((await s.get(p + 'k')).kv?.value, 'alive');
      await lease.revoke();
    });

    test('a lease whose keep-alive stops: onLost fires at the local deadline, before others see its keys vanish', async () => {
      const holder = await open();
      const other = await open();
      const p = uniquePrefix();
      const { leaseTtl, expiryGraceMs } = getHarness();
      const lease = await holder.grantLease(leaseTtl);
      await holder.put(p + 'node', 'up', { lease: lease.id });
      let lostAt = 0;
      let lostReason = '';
      lease.onLost((reason) => {
        lostAt = performance.now();
        lostReason = reason;
      });
      let goneAt = 0;
      const w = other.watch(p, {}, (events) => {
        if (events.some((e) => e.type === 'delete')) goneAt = performance.now();
      }, () => {});
      await w.ready;
      const deadline = lease.expiresAt();
      lease.stopKeepAlive();
      await waitUntil(() => goneAt > 0, leaseTtl * 1000 + expiryGraceMs + 1000, 'expired key deleted');
      assert.equal(lostReason, 'expired');
      assert.ok(lostAt > 0 && lostAt <= goneAt, `holder learned first (lost at ${lostAt}, others saw it at ${goneAt})`);
      assert.ok(holder.now() >= deadline, 'not reported lost before the deadline');
      assert.equal((await other.get(p + 'node')).kv, undefined);
      await rejectsWith(other.put(p + 'again', 'x', { lease: lease.id }), 'lease-not-found');
      w.cancel();
    });

    test('put with an unknown lease is refused with lease-not-found and writes nothing', async () => {
      const s = await open();
      const p = uniquePrefix();
      await rejectsWith(s.put(p + 'k', 'v', { lease: '987654321' }), 'lease-not-found');
      assert.equal((await s.get(p + 'k')).kv, undefined);
    });

    test('after close, calls fail with closed, watches end with closed and lease handles report closed', async () => {
      const s = await getHarness().open();
      const p = uniquePrefix();
      const lease = await s.grantLease(getHarness().leaseTtl);
      const reasons: string[] = [];
      lease.onLost((r) => reasons.push(r));
      const rec = record(s, p);
      await rec.watch.ready;
      await s.close();
      await rejectsWith(s.get(p + 'x'), 'closed');
      await rejectsWith(s.put(p + 'x', 'y'), 'closed');
      await waitUntil(() => rec.errors.length === 1, 1000, 'watch closed');
      assert.equal(rec.errors[0]!.code, 'closed');
      assert.deepEqual(reasons, ['closed']);
    });

    // --- election -------------------------------------------------------------------------------

    describe('election', () => {
      const elections: Election[] = [];
      const elect = async (prefix: string, nodeId: string, extra: Partial<ConstructorParameters<typeof Election>[1]> = {}) => {
        const e = new Election(await open(), { prefix, nodeId, ttlSeconds: getHarness().leaseTtl, ...extra });
        elections.push(e);
        return e;
      };
      after(async () => {
        await Promise.all(elections.map((e) => e.close()));
      });
      const settle = <T>(p: Promise<T>) => {
        p.catch(() => {});
        return p;
      };

      test('among several candidates exactly one leads, and every observer sees it and its token', async () => {
        const p = uniquePrefix();
        const es = await Promise.all(['n1', 'n2', 'n3'].map((n) => elect(p, n)));
        const winners: string[] = [];
        const campaigns = es.map((e, i) => settle(e.campaign().then((l) => (winners.push(`n${i + 1}`), l))));
        const first = await within(Promise.race(campaigns), 3000, 'a leader');
        await sleep(100);
        assert.equal(winners.length, 1, `exactly one leader, got ${winners.join(',')}`);
        const seen = await Promise.all(
          es.map(
            (e) =>
              new Promise<{ nodeId: string | null; token: number | null }>((res) => {
                const stop = e.observe((info) => {
                  if (info.nodeId) {
                    stop();
                    res(info);
                  }
                });
              }),
          ),
        );
        for (const info of seen) assert.deepEqual([info.nodeId, info.token], [winners[0], first.token]);
        assert.deepEqual((await es[1]!.leader()).nodeId, winners[0]);
      });

      test('when the leader resigns, the next candidate in queue order wins with a strictly larger token', async () => {
        const p = uniquePrefix();
        const a = await elect(p, 'a');
        const b = await elect(p, 'b');
        const c = await elect(p, 'c');
        const la = await within(a.campaign(), 3000, 'a leads');
        const cb = settle(b.campaign());
        await sleep(20);
        const cc = settle(c.campaign());
        await sleep(50);
        await a.resign();
        assert.deepEqual(await la.ended, { reason: 'resigned', detail: 'a resigned' });
        const lb = await within(cb, 3000, 'b leads next');
        assert.ok(lb.token > la.token, `token ${lb.token} > ${la.token}`);
        await b.resign();
        const lc = await within(cc, 3000, 'c leads next');
        assert.ok(lc.token > lb.token);
        // A returning node joins the back of the queue: it does not take leadership back.
        const again = settle(a.campaign());
        await sleep(100);
        assert.equal(c.leadership?.token, lc.token);
        await c.resign();
        const la2 = await within(again, 3000, 'a leads again');
        assert.ok(la2.token > lc.token);
      });

      test('fencedTxn applies for the current leader and is refused with fenced once it is deposed', async () => {
        const p = uniquePrefix();
        const a = await elect(p, 'a');
        const b = await elect(p, 'b');
        const s = await open();
        const la = await within(a.campaign(), 3000, 'a leads');
        const cb = settle(b.campaign());
        const ok = await a.fencedTxn(la.token, { compares: [], success: [{ type: 'put', key: p + 'state', value: 'from-a' }] });
        assert.equal(ok.succeeded, true);
        // The caller's own compares still count: a failing one is a plain refusal, not fencing.
        const stale = await fencedTxn(s, la.fence, {
          compares: [{ key: p + 'state', target: 'version', op: '==', value: 99 }],
          success: [{ type: 'put', key: p + 'state', value: 'nope' }],
        });
        assert.equal(stale.succeeded, false);
        // Depose a: its candidate key is deleted behind its back (as when its lease expires).
        await s.delete(la.fence.key);
        const lb = await within(cb, 3000, 'b leads');
        // a's late write, with a's token, is refused by the store itself.
        await rejectsWith(
          fencedTxn(s, la.fence, { compares: [], success: [{ type: 'put', key: p + 'state', value: 'late-from-a' }] }),
          'fenced',
        );
        assert.equal((await s.get(p + 'state')).kv?.value, 'from-a');
        await rejectsWith(a.fencedTxn(la.token, { compares: [], success: [] }), 'fenced');
        const okB = await b.fencedTxn(lb.token, { compares: [], success: [{ type: 'put', key: p + 'state', value: 'from-b' }] });
        assert.equal(okB.succeeded, true);
        assert.equal((await la.ended).reason, 'key-deleted');
      });

      test('a leader whose lease dies is replaced, and it learns it lost leadership before the successor wins', async () => {
        const p = uniquePrefix();
        const sa = await open();
        const lease = await sa.grantLease(getHarness().leaseTtl);
        const a = new Election(sa, { prefix: p, nodeId: 'a', lease });
        elections.push(a);
        const b = await elect(p, 'b');
        const la = await within(a.campaign(), 3000, 'a leads');
        let endedAt = 0;
        void la.ended.then(() => (endedAt = performance.now()));
        const cb = settle(b.campaign());
        await sleep(50);
        lease.stopKeepAlive(); // a hangs
        const { leaseTtl, expiryGraceMs } = getHarness();
        const lb = await within(cb, leaseTtl * 1000 + expiryGraceMs + 2000, 'b takes over');
        const wonAt = performance.now();
        assert.equal((await la.ended).reason, 'lease-lost');
        assert.ok(endedAt > 0 && endedAt <= wonAt, 'the old leader knew first');
        assert.ok(lb.token > la.token);
        assert.equal(la.active, false);
        await rejectsWith(a.fencedTxn(la.token, { compares: [], success: [] }), 'fenced');
      });

      test("a restarted node's campaign replaces its stale candidate key and fences the old incarnation", async () => {
        const p = uniquePrefix();
        const old = await elect(p, 'n1');
        const lOld = await within(old.campaign(), 3000, 'old incarnation leads');
        // The node restarts: a new process, a new client, the old lease still alive.
        const fresh = await elect(p, 'n1');
        const lNew = await within(fresh.campaign(), 3000, 'new incarnation leads');
        assert.ok(lNew.token > lOld.token);
        const s = await open();
        await rejectsWith(fencedTxn(s, lOld.fence, { compares: [], success: [] }), 'fenced');
        assert.equal((await within(lOld.ended, 3000, 'old incarnation told')).reason, 'key-deleted');
        assert.equal((await fresh.leader()).token, lNew.token);
      });
    });
  });
}
