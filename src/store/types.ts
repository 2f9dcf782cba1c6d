// The Store: the one interface every part of Tandem uses for cluster state. All state lives here and
// it is the only channel between nodes. Two implementations: `embedded.ts` (one process, not
// distributed) and `etcd.ts` (production). Both follow etcd's MVCC model so that code written and
// tested against the embedded store behaves the same on etcd.
//
// Model, in short:
// - Keys and values are strings (callers JSON-encode values). Keys sort as strings.
// - One global revision counter. Every change (put, delete, successful txn with writes) advances it by
//   exactly one; every key changed by that change gets that revision as its modRevision. A read or a
//   change that touches nothing (delete of a missing key) does not advance it. A fresh store is at
//   revision 1.
// - Per key: createRevision (revision of the put that created this incarnation of the key), modRevision
//   (revision of its latest change), version (number of puts since creation, 1 for a new key).
//   Deleting a key and writing it again starts a new incarnation: new createRevision, version 1.
// - History of changes is kept for watches until compacted.

/** A lease id: decimal string (etcd's ids are int64, which a JS number cannot hold exactly). */
export type LeaseId = string;

/** One key as stored at some revision. */
export interface KeyValue {
  key: string;
  value: string;
  /** Revision of the put that created this incarnation of the key. */
  createRevision: number;
  /** Revision of the latest change to the key. */
  modRevision: number;
  /** Number of puts since the key was created (1 after the first put). */
  version: number;
  /** Lease the key is bound to, if any; the key is deleted when the lease ends. */
  lease?: LeaseId;
}

/** Result of a read: the keys found and the store revision the read saw. */
export interface RangeResult {
  /** Keys found, sorted by key. */
  kvs: KeyValue[];
  /** Store revision at read time: a watch from `revision + 1` continues exactly after this read. */
  revision: number;
}

/** Result of `get`: a RangeResult (0 or 1 kvs) plus the key itself for convenience. */
export interface GetResult extends RangeResult {
  kv: KeyValue | undefined;
}

export interface PutOptions {
  /** Bind the key to this lease: the key is deleted when the lease expires or is revoked. */
  lease?: LeaseId;
}

// ---------------------------------------------------------------------------------------------------
// Transactions

export type CompareOp = '==' | '!=' | '<' | '>';

/**
 * One condition of a txn. On a missing key, version/createRevision/modRevision compare as 0 and a
 * `value` compare is false whatever the operator (etcd's rule).
 */
export type Compare =
  | { key: string; target: 'value'; op: CompareOp; value: string }
  | { key: string; target: 'version' | 'createRevision' | 'modRevision'; op: CompareOp; value: number };

/** An operation inside a txn. Within one txn a key may be written (put/delete) at most once. */
export type TxnOp =
  | { type: 'put'; key: string; value: string; lease?: LeaseId }
  | { type: 'delete'; key: string; prefix?: boolean }
  | { type: 'get'; key: string; prefix?: boolean };

/** Result of one TxnOp, in the same order as the ops. */
export type TxnOpResult =
  | { type: 'put' }
  | { type: 'delete'; deleted: number }
  | { type: 'get'; kvs: KeyValue[] };

export interface TxnRequest {
  /** All must hold for `success` to run; otherwise `failure` runs. Empty = always succeeds. */
  compares: Compare[];
  success: TxnOp[];
  failure?: TxnOp[];
}

export interface TxnResult {
  /** True when every compare held and the success ops ran. */
  succeeded: boolean;
  /** Store revision after the txn (advanced by one if the branch that ran wrote anything). */
  revision: number;
  /** Results of the ops of the branch that ran. */
  results: TxnOpResult[];
}

// ---------------------------------------------------------------------------------------------------
// Watches

export interface WatchEvent {
  type: 'put' | 'delete';
  key: string;
  /** Revision of the change (all events of one txn share it). */
  revision: number;
  /**
   * The key after the change. For a delete: value '' and version 0, modRevision = the deletion
   * revision, createRevision 0 (as etcd reports it).
   */
  kv: KeyValue;
  /** The key before the change, when the watch asked for `prevKv` and it was still available. */
  prevKv?: KeyValue;
}

export interface WatchOptions {
  /**
   * First revision to deliver (inclusive). Omitted: changes after the moment the watch is
   * established (`ready` tells when). To continue after a read, pass `read.revision + 1`.
   */
  fromRevision?: number;
  /** Also deliver each event's previous key-value (useful for deletes: what was there). */
  prevKv?: boolean;
}

/**
 * Receives events in batches. Across batches revisions strictly increase and no event is delivered
 * twice, including across reconnects; within a batch events are in revision order. `revision` is
 * the store revision the batch brings the watcher up to (>= the last event's revision).
 */
export type WatchListener = (events: WatchEvent[], revision: number) => void;

/**
 * Terminal condition of a watch; after it the watch delivers nothing more. `compacted` means the
 * revision it had to continue from is gone from history: re-list (see `watchWithRelist`). `closed`
 * means the store was closed. Transient disconnects are not reported: the watch resumes by itself
 * from the last revision it delivered.
 */
export type WatchErrorListener = (err: StoreError) => void;

export interface Watch {
  /** Resolves with the first revision the watch will deliver once the server has it in place. */
  readonly ready: Promise<number>;
  /** Stop delivering. Idempotent. No callback fires after it returns. */
  cancel(): void;
}

// ---------------------------------------------------------------------------------------------------
// Leases

/** Why a lease handle stopped being valid. */
export type LeaseLostReason =
  /** Renewals did not succeed before the locally computed deadline. */
  | 'expired'
  /** The store answered that the lease no longer exists (revoked elsewhere, or expired there). */
  | 'not-found'
  /** `revoke()` was called on this handle. */
  | 'revoked'
  /** The store client was closed. */
  | 'closed';

export type LeaseLostListener = (reason: LeaseLostReason, detail: string) => void;

/**
 * A lease held by this client. Keep-alives start at once and repeat every ttl/3.
 *
 * Loss is computed locally and conservatively: the deadline is `t_sent + ttl` of the last renewal
 * that succeeded, where `t_sent` is when that renewal request was *sent* (the server started its new
 * TTL when it *received* it, which is later). So `onLost` fires, and `expiresAt()` passes, no later
 * than the moment the store itself can expire the lease and other nodes can see its keys vanish —
 * a node learns that it lost its lease before anyone else can act on it. (Only the lateness of this
 * process's own timers eats into that margin: a caller with hard deadlines should also check
 * `remainingMs()` before acting, not only wait for the callback.)
 */
export interface Lease {
  readonly id: LeaseId;
  /** TTL asked for, in seconds (the store may keep the lease somewhat longer, never shorter). */
  readonly ttlSeconds: number;
  /** True once the lease is lost for any reason; it never becomes valid again. */
  readonly lost: boolean;
  /** Local deadline (ms on the store's clock, see Store.now) after which the lease may be gone. */
  expiresAt(): number;
  /** Milliseconds left before the local deadline (<= 0 once lost). */
  remainingMs(): number;
  /** Renew now (the automatic loop also does this). Rejects if the lease is already lost. */
  keepAlive(): Promise<void>;
  /**
   * Stop renewing without revoking: the lease runs out at its deadline (onLost 'expired') and the
   * store then deletes its keys. Models a node that hangs; used by tests and by drain logic.
   */
  stopKeepAlive(): void;
  /** Revoke now: its keys are deleted at once. onLost fires with 'revoked'. */
  revoke(): Promise<void>;
  /** Called once when the lease is lost (immediately if already lost). Returns an unsubscribe. */
  onLost(listener: LeaseLostListener): () => void;
}

// ---------------------------------------------------------------------------------------------------
// The store

export interface Store {
  /** What this is, for logs: 'embedded' or 'etcd(host1,host2,...)'. */
  readonly description: string;

  /** Monotonic clock of this client, in ms (used by lease deadlines). */
  now(): number;

  /** Read one key. */
  get(key: string): Promise<GetResult>;

  /** Read every key starting with `prefix`, sorted by key. */
  list(prefix: string): Promise<RangeResult>;

  /** Write a key; resolves with the new store revision. */
  put(key: string, value: string, options?: PutOptions): Promise<number>;

  /** Delete a key (no-op if missing); resolves with the store revision after it. */
  delete(key: string): Promise<number>;

  /** Delete every key starting with `prefix` in one revision; resolves with the revision after it. */
  deletePrefix(prefix: string): Promise<number>;

  /**
   * Atomic compare-and-swap over several keys: either every compare holds and all success ops apply
   * at one revision, or nothing of the success branch applies. Every multi-key change of the cluster
   * configuration goes through this, version-checked (compare modRevision or version, not value: a
   * value compare cannot tell an ABA change apart).
   */
  txn(request: TxnRequest): Promise<TxnResult>;

  /** Watch every key starting with `prefix`. See WatchListener / WatchErrorListener. */
  watch(prefix: string, options: WatchOptions, onEvents: WatchListener, onError: WatchErrorListener): Watch;

  /** Create a lease of `ttlSeconds` whose keep-alive starts at once (see Lease). */
  grantLease(ttlSeconds: number): Promise<Lease>;

  /**
   * Discard history before `revision`: watches from a revision below it fail with `compacted`.
   * Current values are untouched. (On etcd this is cluster-wide.)
   */
  compact(revision: number): Promise<void>;

  /**
   * Release this client: watches end with `closed`, lease handles report 'closed' (the leases
   * themselves are not revoked: they run out on the server), and later calls fail with `closed`.
   */
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------
// Errors

export type StoreErrorCode =
  /** No store member answered (connection refused, no leader, ...) within the call's budget. */
  | 'unavailable'
  /** Members were reachable but the call did not complete within its budget. */
  | 'timeout'
  /** The revision asked for was compacted away (`compactRevision` tells the oldest available). */
  | 'compacted'
  /** The client was closed. */
  | 'closed'
  /** The lease named does not exist (expired or revoked). */
  | 'lease-not-found'
  /** The request is malformed (e.g. a key written twice in one txn, a bad TTL). */
  | 'invalid-argument'
  /** A fenced txn was refused: the fencing token is no longer the current leadership. */
  | 'fenced'
  /**
   * A write may or may not have been applied: an attempt timed out after being sent and a retry
   * could not tell. Re-read before deciding what to do.
   */
  | 'indeterminate'
  /** An election campaign ended without winning (lease lost, resigned, key deleted). */
  | 'not-leader'
  /** Anything else the store reported. */
  | 'internal';

/** Every failure of a Store call is a StoreError whose message says what failed and why. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
  readonly code: StoreErrorCode;
  /** For `compacted`: the oldest revision still available. */
  declare readonly compactRevision?: number;

  constructor(code: StoreErrorCode, message: string, extra?: { cause?: unknown; compactRevision?: number }) {
    super(message, extra?.cause === undefined ? undefined : { cause: extra.cause });
    this.code = code;
    if (extra?.compactRevision !== undefined) Object.defineProperty(this, 'compactRevision', { value: extra.compactRevision, enumerable: true });
  }
}

export function isStoreError(err: unknown, code?: StoreErrorCode): err is StoreError {
  return err instanceof StoreError && (code === undefined || err.code === code);
}
