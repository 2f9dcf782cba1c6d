// The embedded store: the Store interface in one process, with etcd's MVCC semantics (global
// revision, per-key create/mod revision and version, history for watches with compaction, leases
// with TTL expiry, atomic txns).
//
// IT IS NOT DISTRIBUTED. It lives in the memory of one process and dies with it; there is no
// replication, no quorum and no persistence. It exists for the demo, simulation and fast tests,
// where several simulated nodes share one backend through their own sessions (`session()`).
//
// Every operation runs synchronously when called (the returned promise is already settled), so a
// txn is trivially atomic; watch deliveries are queued and flushed in a microtask, so callbacks
// never run inside the caller's write.

import { systemClock, type Clock, type Timer } from './clock.ts';
import { LeaseHandle, type LeaseRenewer } from './lease-handle.ts';
import {
  StoreError,
  type Compare,
  type GetResult,
  type KeyValue,
  type Lease,
  type LeaseId,
  type PutOptions,
  type RangeResult,
  type Store,
  type TxnOp,
  type TxnOpResult,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchErrorListener,
  type WatchEvent,
  type WatchListener,
  type WatchOptions,
} from './types.ts';

export interface EmbeddedOptions {
  /** Clock for lease TTLs and keep-alives (default: the system's monotonic clock). */
  clock?: Clock;
  /**
   * Events kept for watches. Beyond twice this many, the oldest half is compacted automatically so
   * a long-running demo does not grow without bound. Default 100 000.
   */
  historyLimit?: number;
}

interface BackendLease {
  id: LeaseId;
  ttlMs: number;
  expiresAt: number;
  keys: Set<string>;
  timer: Timer | undefined;
  /** Client handles of this lease, told first when it expires (see expireLease). */
  handles: Set<LeaseHandle>;
}

interface BackendWatcher {
  prefix: string;
  next: number;
  prevKv: boolean;
  queue: WatchEvent[];
  flushScheduled: boolean;
  done: boolean;
  onEvents: WatchListener;
  onError: WatchErrorListener;
}

/** The shared MVCC state. Sessions (EmbeddedStore) are the clients. */
class Backend {
  revision = 1;
  /** History before this revision is gone: watches from below it fail with `compacted`. */
  compactRevision = 0;
  closed = false;
  private readonly data = new Map<string, KeyValue>();
  /** Every key, sorted: list(prefix) is a binary search plus a scan of what it returns. */
  private readonly sortedKeys: string[] = [];
  private history: WatchEvent[] = [];
  private readonly watchers = new Set<BackendWatcher>();
  private readonly leases = new Map<LeaseId, BackendLease>();
  private nextLeaseId = 0x1000;

  constructor(
    readonly clock: Clock,
    private readonly historyLimit: number,
  ) {}

  // --- reads -------------------------------------------------------------------------------------

  get(key: string): KeyValue | undefined {
    return this.data.get(key);
  }

  range(key: string, prefix: boolean): KeyValue[] {
    if (!prefix) {
      const kv = this.data.get(key);
      return kv ? [kv] : [];
    }
    const out: KeyValue[] = [];
    for (let i = lowerBound(this.sortedKeys, key); i < this.sortedKeys.length; i++) {
      const k = this.sortedKeys[i]!;
      if (!k.startsWith(key)) break;
      out.push(this.data.get(k)!);
    }
    return out;
  }

  // --- writes: every change goes through a Batch so that one call = one revision ------------------

  txn(req: TxnRequest): TxnResult {
    validateOps(req.success, 'success');
    validateOps(req.failure ?? [], 'failure');
    const succeeded = req.compares.every((c) => this.holds(c));
    const ops = succeeded ? req.success : (req.failure ?? []);
    // Check leases first so that a refused op leaves nothing half-applied.
    for (const op of ops) if (op.type === 'put' && op.lease !== undefined) this.requireLease(op.lease);
    const batch = new Batch(this, this.revision + 1);
    const results: TxnOpResult[] = ops.map((op) => {
      switch (op.type) {
        case 'get':
          return { type: 'get', kvs: batch.range(op.key, op.prefix ?? false) };
        case 'put':
          batch.put(op.key, op.value, op.lease);
          return { type: 'put' };
        case 'delete':
          return { type: 'delete', deleted: batch.delete(op.key, op.prefix ?? false) };
      }
    });
    this.commit(batch);
    return { succeeded, revision: this.revision, results };
  }

  put(key: string, value: string, lease: LeaseId | undefined): number {
    if (lease !== undefined) this.requireLease(lease);
    const batch = new Batch(this, this.revision + 1);
    batch.put(key, value, lease);
    this.commit(batch);
    return this.revision;
  }

  delete(key: string, prefix: boolean): number {
    const batch = new Batch(this, this.revision + 1);
    batch.delete(key, prefix);
    this.commit(batch);
    return this.revision;
  }

  /** Apply a batch's changes to data, lease bookkeeping, history and watchers. */
  commit(batch: Batch): void {
    if (batch.events.length === 0) return;
    this.revision = batch.revision;
    for (const ev of batch.events) {
      const old = this.data.get(ev.key);
      if (old?.lease !== undefined) this.leases.get(old.lease)?.keys.delete(ev.key);
      if (ev.type === 'put') {
        if (!old) this.sortedKeys.splice(lowerBound(this.sortedKeys, ev.key), 0, ev.key);
        this.data.set(ev.key, ev.kv);
        if (ev.kv.lease !== undefined) this.leases.get(ev.kv.lease)?.keys.add(ev.key);
      } else {
        this.sortedKeys.splice(lowerBound(this.sortedKeys, ev.key), 1);
        this.data.delete(ev.key);
      }
      this.history.push(ev);
    }
    if (this.history.length > 2 * this.historyLimit) {
      this.compactTo(this.history[this.history.length - this.historyLimit]!.revision);
    }
    for (const w of this.watchers) this.offer(w, batch.events);
  }

  private holds(c: Compare): boolean {
    const kv = this.data.get(c.key);
    if (c.target === 'value') {
      if (!kv) return false;
      return compare(kv.value, c.op, c.value);
    }
    const actual = kv ? kv[c.target] : 0;
    return compare(actual, c.op, c.value);
  }

  // --- history and watches ---------------------------------------------------------------------------

  compact(revision: number): void {
    if (revision > this.revision) {
      throw new StoreError('invalid-argument', `compact(${revision}): revision is in the future (store is at ${this.revision})`);
    }
    if (revision <= this.compactRevision) {
      throw new StoreError('compacted', `compact(${revision}): history is already compacted up to ${this.compactRevision}`, {
        compactRevision: this.compactRevision,
      });
    }
    this.compactTo(revision);
  }

  private compactTo(revision: number): void {
    let lo = 0;
    let hi = this.history.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.history[mid]!.revision < revision) lo = mid + 1;
      else hi = mid;
    }
    this.history = this.history.slice(lo);
    this.compactRevision = revision;
  }

  addWatcher(w: BackendWatcher): void {
    if (w.next < this.compactRevision) {
      const err = compactedError(w.prefix, w.next, this.compactRevision);
      w.done = true;
      queueMicrotask(() => w.onError(err));
      return;
    }
    this.watchers.add(w);
    // Replay history the watcher asked for; live events follow through offer() in order.
    const past = this.history.filter((ev) => ev.revision >= w.next);
    if (past.length) this.offer(w, past);
  }

  removeWatcher(w: BackendWatcher): void {
    w.done = true;
    w.queue = [];
    this.watchers.delete(w);
  }

  private offer(w: BackendWatcher, events: WatchEvent[]): void {
    for (const ev of events) {
      if (ev.revision < w.next || !ev.key.startsWith(w.prefix)) continue;
      w.queue.push(w.prevKv ? ev : withoutPrevKv(ev));
    }
    if (w.queue.length && !w.flushScheduled) {
      w.flushScheduled = true;
      queueMicrotask(() => this.flush(w));
    }
  }

  private flush(w: BackendWatcher): void {
    w.flushScheduled = false;
    if (w.done || w.queue.length === 0) return;
    const batch = w.queue;
    w.queue = [];
    const last = batch[batch.length - 1]!.revision;
    w.next = last + 1;
    w.onEvents(batch, Math.max(last, this.revision));
  }

  // --- leases ----------------------------------------------------------------------------------------

  grantLease(ttlMs: number): BackendLease {
    const id = String(this.nextLeaseId++);
    const lease: BackendLease = { id, ttlMs, expiresAt: 0, keys: new Set(), timer: undefined, handles: new Set() };
    this.leases.set(id, lease);
    this.touch(lease);
    return lease;
  }

  keepAlive(id: LeaseId): 'ok' | 'not-found' {
    const lease = this.leases.get(id);
    if (!lease) return 'not-found';
    this.touch(lease);
    return 'ok';
  }

  revokeLease(id: LeaseId): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    this.endLease(lease);
  }

  hasLease(id: LeaseId): boolean {
    return this.leases.has(id);
  }

  leaseOf(id: LeaseId): BackendLease | undefined {
    return this.leases.get(id);
  }

  private requireLease(id: LeaseId): void {
    if (!this.leases.has(id)) throw new StoreError('lease-not-found', `lease ${id} does not exist (expired or revoked)`);
  }

  private touch(lease: BackendLease): void {
    lease.timer?.cancel();
    lease.expiresAt = this.clock.now() + lease.ttlMs;
    lease.timer = this.clock.setTimer(() => this.expireLease(lease), lease.ttlMs, true);
  }

  private expireLease(lease: BackendLease): void {
    if (this.leases.get(lease.id) !== lease) return;
    const early = lease.expiresAt - this.clock.now();
    if (early > 0) {
      // Timers may fire a fraction of a millisecond early against the monotonic clock.
      lease.timer = this.clock.setTimer(() => this.expireLease(lease), early, true);
      return;
    }
    // Holders learn first, then the keys vanish: the same order a real client gets from its local
    // deadline (see Lease), which in one process would otherwise depend on timer order.
    for (const h of lease.handles) {
      h.markLost('expired', `lease ${lease.id} (ttl ${lease.ttlMs / 1000}s) expired: no keep-alive in time`);
    }
    this.endLease(lease);
  }

  private endLease(lease: BackendLease): void {
    lease.timer?.cancel();
    this.leases.delete(lease.id);
    const batch = new Batch(this, this.revision + 1);
    for (const key of [...lease.keys].sort()) batch.delete(key, false);
    this.commit(batch);
  }

  close(): void {
    this.closed = true;
    for (const lease of this.leases.values()) lease.timer?.cancel();
    for (const w of this.watchers) this.removeWatcher(w);
  }
}

/** The changes of one revision, applied to a view of the data as it goes (ops see earlier ops). */
class Batch {
  readonly events: WatchEvent[] = [];
  private readonly view = new Map<string, KeyValue | undefined>();

  constructor(
    private readonly backend: Backend,
    readonly revision: number,
  ) {}

  private current(key: string): KeyValue | undefined {
    return this.view.has(key) ? this.view.get(key) : this.backend.get(key);
  }

  range(key: string, prefix: boolean): KeyValue[] {
    if (!prefix) {
      const kv = this.current(key);
      return kv ? [kv] : [];
    }
    const byKey = new Map(this.backend.range(key, true).map((kv) => [kv.key, kv] as const));
    for (const [k, kv] of this.view) {
      if (!k.startsWith(key)) continue;
      if (kv) byKey.set(k, kv);
      else byKey.delete(k);
    }
    return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }

  put(key: string, value: string, lease: LeaseId | undefined): void {
    const prev = this.current(key);
    const kv: KeyValue = Object.freeze({
      key,
      value,
      createRevision: prev ? prev.createRevision : this.revision,
      modRevision: this.revision,
      version: prev ? prev.version + 1 : 1,
      ...(lease !== undefined ? { lease } : {}),
    });
    this.view.set(key, kv);
    const ev: WatchEvent = { type: 'put', key, revision: this.revision, kv };
    if (prev) ev.prevKv = prev;
    this.events.push(Object.freeze(ev));
  }

  delete(key: string, prefix: boolean): number {
    const victims = this.range(key, prefix);
    for (const prev of victims) {
      this.view.set(prev.key, undefined);
      const kv: KeyValue = Object.freeze({ key: prev.key, value: '', createRevision: 0, modRevision: this.revision, version: 0 });
      this.events.push(Object.freeze({ type: 'delete', key: prev.key, revision: this.revision, kv, prevKv: prev }));
    }
    return victims.length;
  }
}

/** First index whose key is >= `key`. */
function lowerBound(keys: string[], key: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function compare<T extends string | number>(actual: T, op: Compare['op'], expected: T): boolean {
  switch (op) {
    case '==':
      return actual === expected;
    case '!=':
      return actual !== expected;
    case '<':
      return actual < expected;
    case '>':
      return actual > expected;
  }
}

/** Same rule as etcd: within one branch a key may be written once; a ranged delete may not cover a put. */
function validateOps(ops: TxnOp[], branch: string): void {
  const puts = new Set<string>();
  const deletes: { key: string; prefix: boolean }[] = [];
  for (const op of ops) {
    if (op.type === 'get') continue;
    if (op.type === 'put') {
      const covered = deletes.some((d) => (d.prefix ? op.key.startsWith(d.key) : d.key === op.key));
      if (puts.has(op.key) || covered) throw duplicateKey(op.key, branch);
      puts.add(op.key);
    } else {
      // Overlapping deletes are fine (etcd allows them); a delete covering a put is not.
      const prefix = op.prefix ?? false;
      if (prefix ? [...puts].some((k) => k.startsWith(op.key)) : puts.has(op.key)) throw duplicateKey(op.key, branch);
      deletes.push({ key: op.key, prefix });
    }
  }
}

function duplicateKey(key: string, branch: string): StoreError {
  return new StoreError('invalid-argument', `txn: key "${key}" is written twice in the ${branch} branch`);
}

function compactedError(prefix: string, from: number, compactRevision: number): StoreError {
  return new StoreError(
    'compacted',
    `watch "${prefix}" from revision ${from}: history before ${compactRevision} was compacted; re-list`,
    { compactRevision },
  );
}

/** Events without prevKv, for watches that did not ask for it; made once per event. */
const bareEvents = new WeakMap<WatchEvent, WatchEvent>();
function withoutPrevKv(ev: WatchEvent): WatchEvent {
  if (ev.prevKv === undefined) return ev;
  let bare = bareEvents.get(ev);
  if (!bare) {
    const { prevKv: _dropped, ...rest } = ev;
    bare = Object.freeze(rest);
    bareEvents.set(ev, bare);
  }
  return bare;
}

/**
 * One client of an embedded backend. `openEmbeddedStore()` makes a backend and its first session;
 * `session()` makes more clients of the same backend (one per simulated node). Closing a session
 * ends its watches and lease handles only.
 */
export class EmbeddedStore implements Store {
  readonly description = 'embedded (single process, not distributed)';
  private closed = false;
  private readonly watches = new Set<BackendWatcher>();
  private readonly handles = new Set<LeaseHandle>();

  /** Use openEmbeddedStore() or session(). */
  constructor(private readonly backend: Backend) {}

  /** Another client of the same backend. */
  session(): EmbeddedStore {
    return new EmbeddedStore(this.backend);
  }

  now(): number {
    return this.backend.clock.now();
  }

  /** Current revision (for tests and the simulator; real clients learn it from reads). */
  get revision(): number {
    return this.backend.revision;
  }

  get(key: string): Promise<GetResult> {
    return this.run('get', key, () => {
      const kv = this.backend.get(key);
      return { kv, kvs: kv ? [kv] : [], revision: this.backend.revision };
    });
  }

  list(prefix: string): Promise<RangeResult> {
    return this.run('list', prefix, () => ({ kvs: this.backend.range(prefix, true), revision: this.backend.revision }));
  }

  put(key: string, value: string, options?: PutOptions): Promise<number> {
    return this.run('put', key, () => this.backend.put(key, value, options?.lease));
  }

  delete(key: string): Promise<number> {
    return this.run('delete', key, () => this.backend.delete(key, false));
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.run('deletePrefix', prefix, () => this.backend.delete(prefix, true));
  }

  txn(request: TxnRequest): Promise<TxnResult> {
    return this.run('txn', request.compares.map((c) => c.key).join(',') || '-', () => this.backend.txn(request));
  }

  compact(revision: number): Promise<void> {
    return this.run('compact', String(revision), () => this.backend.compact(revision));
  }

  watch(prefix: string, options: WatchOptions, onEvents: WatchListener, onError: WatchErrorListener): Watch {
    const w: BackendWatcher = {
      prefix,
      next: options.fromRevision ?? this.backend.revision + 1,
      prevKv: options.prevKv ?? false,
      queue: [],
      flushScheduled: false,
      done: false,
      onEvents,
      onError,
    };
    if (this.closed) {
      w.done = true;
      queueMicrotask(() => onError(new StoreError('closed', `watch "${prefix}": store client is closed`)));
      return { ready: Promise.resolve(w.next), cancel: () => {} };
    }
    this.backend.addWatcher(w);
    if (!w.done) this.watches.add(w);
    return {
      ready: Promise.resolve(w.next),
      cancel: () => {
        this.backend.removeWatcher(w);
        this.watches.delete(w);
      },
    };
  }

  grantLease(ttlSeconds: number): Promise<Lease> {
    return this.run('grantLease', String(ttlSeconds), () => {
      if (!(ttlSeconds > 0)) throw new StoreError('invalid-argument', `grantLease(${ttlSeconds}): TTL must be positive`);
      const sentAt = this.backend.clock.now();
      const lease = this.backend.grantLease(ttlSeconds * 1000);
      const renewer: LeaseRenewer = {
        renew: async (id) => {
          if (this.closed) throw new StoreError('closed', `keep-alive of lease ${id}: store client is closed`);
          return this.backend.keepAlive(id);
        },
        revoke: async (id) => {
          if (this.closed) throw new StoreError('closed', `revoke of lease ${id}: store client is closed`);
          this.backend.revokeLease(id);
        },
      };
      const handle = new LeaseHandle(lease.id, ttlSeconds, sentAt, this.backend.clock, renewer);
      lease.handles.add(handle);
      this.handles.add(handle);
      handle.onLost(() => {
        this.handles.delete(handle);
        this.backend.leaseOf(lease.id)?.handles.delete(handle);
      });
      return handle;
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const w of this.watches) {
      this.backend.removeWatcher(w);
      const err = new StoreError('closed', `watch "${w.prefix}": store client was closed`);
      queueMicrotask(() => w.onError(err));
    }
    this.watches.clear();
    for (const h of [...this.handles]) h.markLost('closed', `lease ${h.id}: store client was closed`);
  }

  /** Shut the whole backend down: every session's calls fail afterwards. For tests and the demo. */
  async destroy(): Promise<void> {
    this.backend.close();
    await this.close();
  }

  private run<T>(op: string, what: string, fn: () => T): Promise<T> {
    if (this.closed || this.backend.closed) {
      return Promise.reject(new StoreError('closed', `${op} ${what}: store client is closed`));
    }
    try {
      return Promise.resolve(fn());
    } catch (err) {
      return Promise.reject(err);
    }
  }
}

/** A new, empty embedded backend and a first session on it. */
export function openEmbeddedStore(options: EmbeddedOptions = {}): EmbeddedStore {
  const backend = new Backend(options.clock ?? systemClock, options.historyLimit ?? 100_000);
  return new EmbeddedStore(backend);
}
