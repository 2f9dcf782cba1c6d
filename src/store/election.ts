// Tandem's DC election, on top of any Store (not etcd's election helper, which has had double-leader
// bugs).
//
// Design: a queue of candidates. Each candidate writes `<prefix>/candidates/<nodeId>` bound to its
// lease; the leader is the candidate key with the LOWEST createRevision, and the fencing token is
// that createRevision (the store revision at which the winner entered the queue).
//
// Why a queue rather than one `<prefix>/leader` key taken with txn(createRevision == 0):
// - Failover needs no write: the successor's key already exists, so leadership passes the moment
//   the old key is deleted (lease expiry or resign), with no extra round trip and no herd of
//   candidates racing for the same key while the cluster is already degraded.
// - Order is stable and fair: a flapping node re-enters at the back and cannot snatch leadership
//   back from the node that took over.
// - Everyone can see who is standing by (the dashboard shows the queue).
// Tokens still strictly increase across leaders: keys are only ever created at new, higher revisions,
// and the successor's key is younger than the leader it replaces (it was not the lowest before).
//
// Fencing: `fencedTxn(fence, ...)` adds `createRevision(leaderKey) == token` to a txn. That compare
// holds exactly while this leadership lasts: the key cannot be re-created with the same
// createRevision, and no key with a lower createRevision can appear later, so while our key exists
// with our token nobody else can be leader. A deposed DC's late write is therefore refused by the
// store itself, whatever the deposed process believes.

import { applyEvents, watchWithRelist, type RelistWatch } from './relist.ts';
import { StoreError, type KeyValue, type Lease, type Store, type TxnRequest, type TxnResult } from './types.ts';

export interface ElectionOptions {
  /** Key prefix of this election, e.g. '/tandem/election/dc' (no trailing slash needed). */
  prefix: string;
  /** This node's id; it names the candidate key. */
  nodeId: string;
  /**
   * Lease to bind the candidate key to (typically the node's membership lease, so a node that loses
   * membership stops being DC at the same instant). Default: campaign() grants its own lease of
   * `ttlSeconds` and revokes it on resign.
   */
  lease?: Lease;
  /** TTL of the lease campaign() grants when no lease is given. Default 2 s. */
  ttlSeconds?: number;
  /** Value stored in the candidate key (e.g. the node's API address). Default: nodeId. */
  value?: string;
}

/** What every observer sees. `token` is null when nobody is leader. */
export interface LeaderInfo {
  nodeId: string | null;
  token: number | null;
  /** Value of the leader's candidate key. */
  value: string | null;
  /** Store revision of the view this was computed from. */
  revision: number;
}

/** What a fenced txn checks: the leader key and the createRevision it had when it won. */
export interface Fence {
  key: string;
  token: number;
}

export type LeadershipEndReason = 'resigned' | 'lease-lost' | 'key-deleted' | 'closed';

export interface LeadershipEnd {
  reason: LeadershipEndReason;
  detail: string;
}

export interface Leadership {
  /** Fencing token: strictly larger than any earlier leader's. */
  readonly token: number;
  readonly fence: Fence;
  /** True until the leadership ends. */
  readonly active: boolean;
  /**
   * Resolves when the leadership ends. With 'lease-lost' this happens at the lease's local deadline,
   * before the store can expire the lease and before any other candidate can win.
   */
  readonly ended: Promise<LeadershipEnd>;
}

/** The leader among candidate keys: the one with the lowest createRevision. */
export function leaderOf(candidates: Iterable<KeyValue>, candidatesPrefix: string, revision: number): LeaderInfo {
  let best: KeyValue | undefined;
  for (const kv of candidates) if (!best || kv.createRevision < best.createRevision) best = kv;
  if (!best) return { nodeId: null, token: null, value: null, revision };
  return { nodeId: best.key.slice(candidatesPrefix.length), token: best.createRevision, value: best.value, revision };
}

/**
 * A txn that applies only while `fence` is still the current leadership. If the leadership is gone
 * it throws StoreError 'fenced' (and nothing was applied); otherwise the result is the txn's own,
 * including `succeeded: false` when the caller's own compares failed.
 */
export async function fencedTxn(store: Store, fence: Fence, request: TxnRequest): Promise<TxnResult> {
  const res = await store.txn({
    compares: [{ key: fence.key, target: 'createRevision', op: '==', value: fence.token }, ...request.compares],
    success: request.success,
    failure: [{ type: 'get', key: fence.key }, ...(request.failure ?? [])],
  });
  if (res.succeeded) return res;
  const [fenceRead, ...rest] = res.results;
  const holder = fenceRead?.type === 'get' ? fenceRead.kvs[0] : undefined;
  if (!holder || holder.createRevision !== fence.token) {
    const now = holder ? `was re-created at revision ${holder.createRevision}` : 'no longer exists';
    throw new StoreError('fenced', `fenced txn refused: leadership token ${fence.token} is over (${fence.key} ${now})`);
  }
  return { succeeded: false, revision: res.revision, results: rest };
}

interface Candidacy {
  key: string;
  lease: Lease;
  ownLease: boolean;
  /** createRevision of our candidate key (the token if we win). */
  token: number;
  unsubscribeLease: () => void;
  win: (l: Leadership) => void;
  lose: (err: StoreError) => void;
  leadership?: LeadershipImpl;
}

class LeadershipImpl implements Leadership {
  active = true;
  readonly ended: Promise<LeadershipEnd>;
  private finish!: (end: LeadershipEnd) => void;

  constructor(
    readonly token: number,
    readonly fence: Fence,
  ) {
    this.ended = new Promise((res) => (this.finish = res));
  }

  end(end: LeadershipEnd): void {
    if (!this.active) return;
    this.active = false;
    this.finish(end);
  }
}

export class Election {
  readonly candidatesPrefix: string;
  private readonly key: string;
  private mirror: RelistWatch | undefined;
  private readonly candidates = new Map<string, KeyValue>();
  private viewRevision = 0;
  private mirrorReady: Promise<number> | undefined;
  private readonly observers = new Set<(info: LeaderInfo) => void>();
  private lastReported: LeaderInfo | undefined;
  private candidacy: Candidacy | undefined;
  private closed = false;
  /** campaign() is writing its key (candidacy not set up yet). */
  private entering = false;

  constructor(
    private readonly store: Store,
    private readonly options: ElectionOptions,
  ) {
    this.candidatesPrefix = `${options.prefix.replace(/\/+$/, '')}/candidates/`;
    this.key = this.candidatesPrefix + options.nodeId;
  }

  /**
   * Enter the queue and resolve once this node is leader. Rejects with StoreError 'not-leader' if the
   * candidacy ends first (lease lost, resign(), key deleted) and with the store's error if it
   * cannot write its candidate key.
   */
  async campaign(): Promise<Leadership> {
    if (this.closed) throw new StoreError('closed', `election ${this.options.prefix}: closed`);
    if (this.candidacy || this.entering) {
      throw new StoreError('invalid-argument', `election ${this.options.prefix}: ${this.options.nodeId} is already campaigning`);
    }
    this.entering = true;
    const ownLease = !this.options.lease;
    let lease: Lease | undefined;
    let token: number;
    try {
      lease = this.options.lease ?? (await this.store.grantLease(this.options.ttlSeconds ?? 2));
      if (lease.lost) throw new StoreError('not-leader', `campaign of ${this.options.nodeId}: its lease ${lease.id} is already lost`);
      token = await this.enterQueue(lease);
    } catch (err) {
      if (ownLease) await lease?.revoke().catch(() => {});
      throw err;
    } finally {
      this.entering = false;
    }
    const result = new Promise<Leadership>((win, lose) => {
      const candidacy: Candidacy = { key: this.key, lease, ownLease, token, win, lose, unsubscribeLease: () => {} };
      this.candidacy = candidacy;
      candidacy.unsubscribeLease = lease.onLost((reason, detail) =>
        this.endCandidacy(candidacy, 'lease-lost', `lease ${lease.id} lost (${reason}): ${detail}`),
      );
    });
    this.ensureMirror();
    this.evaluate();
    return result;
  }

  /**
   * Report the current leader to `listener` now (once the view is loaded) and on every change.
   * Returns an unsubscribe function.
   */
  observe(listener: (info: LeaderInfo) => void): () => void {
    this.observers.add(listener);
    this.ensureMirror();
    if (this.lastReported) {
      const info = this.lastReported;
      queueMicrotask(() => this.observers.has(listener) && listener(info));
    }
    return () => void this.observers.delete(listener);
  }

  /** One-shot read of the current leader (no watch). */
  async leader(): Promise<LeaderInfo> {
    const { kvs, revision } = await this.store.list(this.candidatesPrefix);
    return leaderOf(kvs, this.candidatesPrefix, revision);
  }

  /** The leadership this node holds now, if any. */
  get leadership(): Leadership | undefined {
    return this.candidacy?.leadership?.active ? this.candidacy.leadership : undefined;
  }

  /** Leave the queue (and leadership): deletes our candidate key; revokes the lease if we granted it. */
  async resign(): Promise<void> {
    const c = this.candidacy;
    if (!c) return;
    this.endCandidacy(c, 'resigned', `${this.options.nodeId} resigned`);
    // Only our own incarnation: a newer campaign of the same node must not be deleted by a late resign.
    await this.store.txn({
      compares: [{ key: c.key, target: 'createRevision', op: '==', value: c.token }],
      success: [{ type: 'delete', key: c.key }],
    });
    if (c.ownLease) await c.lease.revoke().catch(() => {});
  }

  /**
   * A txn gated on this node's leadership with `token` (see fencedTxn). Refused with 'fenced' at
   * once if this node already knows that leadership is over.
   */
  fencedTxn(token: number, request: TxnRequest): Promise<TxnResult> {
    const l = this.candidacy?.leadership;
    if (!l || !l.active || l.token !== token) {
      return Promise.reject(
        new StoreError('fenced', `fenced txn refused: ${this.options.nodeId} does not hold leadership token ${token}`),
      );
    }
    return fencedTxn(this.store, l.fence, request);
  }

  /** Resign (if campaigning) and stop watching. */
  async close(): Promise<void> {
    if (this.closed) return;
    await this.resign().catch(() => {});
    this.closed = true;
    this.mirror?.cancel();
    this.observers.clear();
  }

  /** Write our candidate key bound to `lease`; returns its createRevision. */
  private async enterQueue(lease: Lease): Promise<number> {
    const value = this.options.value ?? this.options.nodeId;
    for (let attempt = 0; attempt < 5; attempt++) {
      let res: TxnResult;
      try {
        res = await this.store.txn({
          compares: [{ key: this.key, target: 'createRevision', op: '==', value: 0 }],
          success: [{ type: 'put', key: this.key, value, lease: lease.id }],
          failure: [{ type: 'get', key: this.key }],
        });
      } catch (err) {
        if (err instanceof StoreError && err.code === 'indeterminate') continue; // re-read decides
        throw err;
      }
      if (res.succeeded) return res.revision;
      const existing = res.results[0]?.type === 'get' ? res.results[0].kvs[0] : undefined;
      if (!existing) continue;
      if (existing.lease === lease.id) return existing.createRevision; // ours already (retried write)
      // A key of an earlier incarnation of this node (crashed, lease not yet expired): delete it,
      // which also fences whatever that incarnation might still do, and enter afresh.
      await this.store.txn({
        compares: [{ key: this.key, target: 'modRevision', op: '==', value: existing.modRevision }],
        success: [{ type: 'delete', key: this.key }],
      });
    }
    throw new StoreError('internal', `campaign of ${this.options.nodeId}: could not write ${this.key} after 5 attempts`);
  }

  private ensureMirror(): void {
    if (this.mirror) return;
    this.mirror = watchWithRelist(this.store, this.candidatesPrefix, {
      onSnapshot: (kvs, revision) => {
        this.candidates.clear();
        for (const kv of kvs) this.candidates.set(kv.key, kv);
        this.viewRevision = revision;
        this.evaluate();
      },
      onEvents: (events, revision) => {
        applyEvents(this.candidates, events);
        this.viewRevision = revision;
        this.evaluate();
      },
      onError: (err) => {
        const c = this.candidacy;
        if (c) this.endCandidacy(c, 'closed', `election view ended: ${err.message}`);
      },
    });
    this.mirrorReady = this.mirror.ready;
  }

  /** Recompute the leader after the view changed; report it; settle our candidacy. */
  private evaluate(): void {
    if (this.viewRevision === 0) return;
    const info = leaderOf(this.candidates.values(), this.candidatesPrefix, this.viewRevision);
    const c = this.candidacy;
    if (c && this.viewRevision >= c.token) {
      const mine = this.candidates.get(c.key);
      if (!mine || mine.createRevision !== c.token) {
        this.endCandidacy(c, 'key-deleted', `candidate key ${c.key} (revision ${c.token}) was deleted`);
      } else if (info.token === c.token && !c.leadership && !c.lease.lost) {
        c.leadership = new LeadershipImpl(c.token, { key: c.key, token: c.token });
        c.win(c.leadership);
      }
    }
    const last = this.lastReported;
    if (!last || last.token !== info.token || last.nodeId !== info.nodeId) {
      this.lastReported = info;
      for (const listener of this.observers) listener(info);
    }
  }

  private endCandidacy(c: Candidacy, reason: LeadershipEndReason, detail: string): void {
    if (this.candidacy !== c) return;
    this.candidacy = undefined;
    c.unsubscribeLease();
    // A lease we granted only for this candidacy must not be kept alive after it (resign revokes it
    // itself, after deleting the key).
    if (c.ownLease && reason !== 'resigned') void c.lease.revoke().catch(() => {});
    if (c.leadership) c.leadership.end({ reason, detail });
    else c.lose(new StoreError('not-leader', `campaign of ${this.options.nodeId} ended before winning: ${detail}`));
  }
}
