// The production Store on etcd 3.4+, through the npm `etcd3` client's key (range/put/deleteRange/
// txn), lease and watch calls. Not its election or lock helpers: see election.ts.
//
// Failover behaviour is the point of this module. Every call gets a short deadline per attempt
// (default 100 ms, a LAN round trip plus a disk sync with room to spare) and, when an attempt fails
// or times out, is retried on the next member until the call's overall budget runs out (each new
// round over all members doubles the deadline, so a slow but working cluster still gets through). A put that
// reached a dying leader would otherwise hang for etcd's own server timeout (5 s + 2 x election
// timeout); with this loop writes resume as soon as the surviving members have elected a new leader.
//
// Retrying writes has one subtlety: an attempt that timed out may still have been applied. Puts and
// deletes are idempotent in effect; a txn is not, so when a txn retry finds its compares failing
// after such an attempt, the call fails with 'indeterminate' instead of reporting a false "compare
// failed" (callers re-read and decide).

import { randomBytes } from 'node:crypto';
import { systemClock } from './clock.ts';
import { classify, fromKv, fromResponseOp, prefixEnd, toBuf, toCompare, toRequestOp } from './etcd-codec.ts';
import { Member, type MemberOptions } from './etcd-member.ts';
import { EtcdWatch, type WatchHost } from './etcd-watch.ts';
import { LeaseHandle, type LeaseRenewer } from './lease-handle.ts';
import {
  StoreError,
  type GetResult,
  type Lease,
  type PutOptions,
  type RangeResult,
  type Store,
  type TxnRequest,
  type TxnResult,
  type Watch,
  type WatchErrorListener,
  type WatchListener,
  type WatchOptions,
} from './types.ts';

export interface EtcdStoreOptions {
  /** Client URLs of the members, e.g. ['http://10.77.0.1:2379', ...] (or 'host:port'). */
  endpoints: string[];
  /** Deadline of one attempt on one member, ms. Default 100. */
  attemptTimeoutMs?: number;
  /**
   * Overall budget of one call across attempts and members, ms. Default 2000: etcd elects a new
   * leader within about 1.1 s with its default timings (LAB-NOTES), much faster when tuned.
   */
  callBudgetMs?: number;
  /**
   * How often the members that carry watch streams are checked to still be part of a working quorum
   * (a linearizable read with the attempt deadline), ms. A watch on a member that is frozen or cut
   * off from the others receives nothing and reports nothing; this check is what moves it to another
   * member. Default 1000.
   */
  watchCheckMs?: number;
  /**
   * gRPC keep-alive ping interval on streams, ms: a second line of defence for streams on a silently
   * dead member. Default 10000, safely above etcd's default `--grpc-keepalive-min-time` of 5 s (pings
   * more frequent than that get the connection closed by the server).
   */
  streamPingMs?: number;
  credentials?: MemberOptions['credentials'];
  auth?: MemberOptions['auth'];
}

interface Attempt {
  member: Member;
  /** ms left for this attempt */
  timeoutMs: number;
  /** grpc deadline for this attempt */
  deadline: Date;
  /** An earlier attempt of this call may have been applied. */
  priorAmbiguous: boolean;
}

export class EtcdStore implements Store, WatchHost {
  readonly description: string;
  readonly attemptTimeoutMs: number;
  private readonly callBudgetMs: number;
  private readonly members: Member[];
  /** Index of the member that answered last; calls start there. */
  private preferred = 0;
  private isClosed = false;
  private readonly watches = new Set<EtcdWatch>();
  private readonly watchCheckMs: number;
  private watchCheckTimer: NodeJS.Timeout | undefined;
  private readonly handles = new Set<LeaseHandle>();

  constructor(options: EtcdStoreOptions) {
    if (!options.endpoints.length) throw new StoreError('invalid-argument', 'etcd store: no endpoints given');
    this.attemptTimeoutMs = options.attemptTimeoutMs ?? 100;
    this.callBudgetMs = options.callBudgetMs ?? 2000;
    this.watchCheckMs = options.watchCheckMs ?? 1000;
    const memberOptions: MemberOptions = {
      streamPingMs: options.streamPingMs ?? 10_000,
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.auth ? { auth: options.auth } : {}),
    };
    this.members = options.endpoints.map((e) => new Member(e, memberOptions));
    this.description = `etcd(${options.endpoints.join(',')})`;
  }

  get closed(): boolean {
    return this.isClosed;
  }

  now(): number {
    return systemClock.now();
  }

  // --- the retry loop --------------------------------------------------------------------------------

  /** Run `fn` against members until it succeeds, fails for good, or the budget is spent. */
  private async call<T>(what: string, fn: (a: Attempt) => Promise<T>, budgetMs = this.callBudgetMs): Promise<T> {
    if (this.isClosed) throw new StoreError('closed', `${what}: store client is closed`);
    const start = systemClock.now();
    const errors: string[] = [];
    let priorAmbiguous = false;
    let allUnavailable = true;
    const first = this.preferred;
    for (let attempt = 0; ; attempt++) {
      const member = this.members[(first + attempt) % this.members.length]!;
      const left = start + budgetMs - systemClock.now();
      // Each full round over the members doubles the deadline: the first round finds a live member
      // fast; later rounds stop a merely slow (loaded) cluster from timing out every attempt, which
      // would make txn outcomes needlessly indeterminate.
      const round = Math.floor(attempt / this.members.length);
      const timeoutMs = Math.max(1, Math.min(this.attemptTimeoutMs * 2 ** Math.min(round, 4), left));
      try {
        const result = await fn({ member, timeoutMs, deadline: new Date(Date.now() + timeoutMs), priorAmbiguous });
        this.preferred = this.members.indexOf(member);
        return result;
      } catch (err) {
        if (this.isClosed) throw new StoreError('closed', `${what}: store client was closed`);
        // A StoreError raised inside fn is final (indeterminate, ...) unless it is a transport failure.
        if (err instanceof StoreError && err.code !== 'timeout' && err.code !== 'unavailable') throw err;
        const c = classify(err);
        if (!c.retry) throw new StoreError(c.code, `${what} on ${member.endpoint}: ${c.message}`, { cause: err });
        priorAmbiguous ||= c.ambiguous;
        if (c.code !== 'unavailable') allUnavailable = false;
        errors.push(`${member.endpoint}: ${c.message}`);
        this.memberFailed(member);
      }
      // A pause only after a whole round of members failed: the next member may be healthy now.
      const roundsDone = Math.floor((attempt + 1) / this.members.length);
      const pause = (attempt + 1) % this.members.length === 0 ? Math.min(200, 10 * 2 ** Math.min(roundsDone, 5)) : 0;
      if (systemClock.now() + pause >= start + budgetMs) {
        const code = allUnavailable ? 'unavailable' : 'timeout';
        throw new StoreError(
          code,
          `${what}: no etcd member completed it within ${budgetMs} ms (${attempt + 1} attempts; last: ${errors.slice(-2).join('; ')})`,
        );
      }
      if (pause) await new Promise((r) => setTimeout(r, pause));
    }
  }

  memberAfter(failed: Member | undefined): Member {
    if (!failed) return this.members[this.preferred]!;
    return this.members[(this.members.indexOf(failed) + 1) % this.members.length]!;
  }

  memberFailed(member: Member): void {
    if (this.members[this.preferred] === member) this.preferred = (this.preferred + 1) % this.members.length;
  }

  // --- keys ----------------------------------------------------------------------------------------

  get(key: string): Promise<GetResult> {
    return this.call(`get ${key}`, async (a) => {
      const res = await a.member.unary.kv.range({ key: toBuf(key) }, { deadline: a.deadline });
      const kvs = res.kvs.map(fromKv);
      return { kv: kvs[0], kvs, revision: Number(res.header.revision) };
    });
  }

  list(prefix: string): Promise<RangeResult> {
    return this.call(`list ${prefix}`, async (a) => {
      const res = await a.member.unary.kv.range({ key: toBuf(prefix), range_end: prefixEnd(prefix) }, { deadline: a.deadline });
      return { kvs: res.kvs.map(fromKv), revision: Number(res.header.revision) };
    });
  }

  put(key: string, value: string, options?: PutOptions): Promise<number> {
    return this.call(`put ${key}`, async (a) => {
      const req = { key: toBuf(key), value: toBuf(value), ...(options?.lease ? { lease: options.lease } : {}) };
      const res = await a.member.unary.kv.put(req, { deadline: a.deadline });
      return Number(res.header.revision);
    });
  }

  delete(key: string): Promise<number> {
    return this.call(`delete ${key}`, async (a) => {
      const res = await a.member.unary.kv.deleteRange({ key: toBuf(key) }, { deadline: a.deadline });
      return Number(res.header.revision);
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.call(`deletePrefix ${prefix}`, async (a) => {
      const res = await a.member.unary.kv.deleteRange(
        { key: toBuf(prefix), range_end: prefixEnd(prefix) },
        { deadline: a.deadline },
      );
      return Number(res.header.revision);
    });
  }

  txn(request: TxnRequest): Promise<TxnResult> {
    const what = `txn on ${request.compares.map((c) => c.key).join(', ') || '(no compares)'}`;
    const failure = request.failure ?? [];
    const wire = {
      compare: request.compares.map(toCompare),
      success: request.success.map(toRequestOp),
      failure: failure.map(toRequestOp),
    };
    return this.call(what, async (a) => {
      const res = await a.member.unary.kv.txn(wire, { deadline: a.deadline });
      if (!res.succeeded && a.priorAmbiguous && request.compares.length > 0) {
        throw new StoreError(
          'indeterminate',
          `${what}: an earlier attempt timed out after being sent and the retry's compares failed, so the txn may or may not have been applied; re-read before deciding`,
        );
      }
      const ops = res.succeeded ? request.success : failure;
      return {
        succeeded: res.succeeded,
        revision: Number(res.header.revision),
        results: ops.map((op, i) => fromResponseOp(op, res.responses[i])),
      };
    });
  }

  compact(revision: number): Promise<void> {
    return this.call(`compact ${revision}`, async (a) => {
      await a.member.unary.kv.compact({ revision, physical: false }, { deadline: a.deadline });
    });
  }

  // --- watches -------------------------------------------------------------------------------------

  watch(prefix: string, options: WatchOptions, onEvents: WatchListener, onError: WatchErrorListener): Watch {
    const w = new EtcdWatch(this, prefix, options, onEvents, onError);
    this.watches.add(w);
    this.watchCheckTimer ??= setInterval(() => void this.checkWatchMembers(), this.watchCheckMs).unref();
    return {
      ready: w.ready,
      cancel: () => {
        this.watches.delete(w);
        w.cancel();
        if (this.watches.size === 0) {
          clearInterval(this.watchCheckTimer);
          this.watchCheckTimer = undefined;
        }
      },
    };
  }

  /** Move watches off members that no longer answer a linearizable read in time. */
  private async checkWatchMembers(): Promise<void> {
    const inUse = new Set<Member>();
    for (const w of this.watches) {
      const m = w.connectedTo;
      if (m) inUse.add(m);
    }
    await Promise.all(
      [...inUse].map(async (m) => {
        try {
          await m.checkQuorum(this.attemptTimeoutMs * 2);
        } catch {
          if (this.isClosed) return;
          this.memberFailed(m);
          for (const w of this.watches) w.memberUnhealthy(m);
        }
      }),
    );
  }

  // --- leases --------------------------------------------------------------------------------------

  async grantLease(ttlSeconds: number): Promise<Lease> {
    if (!(ttlSeconds > 0)) throw new StoreError('invalid-argument', `grantLease(${ttlSeconds}): TTL must be positive`);
    // Our own id makes a retried grant recognisable ("already exists" = the earlier attempt worked).
    const id = (randomBytes(8).readBigUInt64BE() >> 2n).toString() || '1';
    const sentAt = systemClock.now();
    await this.call(`grantLease ${ttlSeconds}s`, async (a) => {
      try {
        await a.member.unary.leaseClient.leaseGrant({ ID: id, TTL: Math.ceil(ttlSeconds) }, { deadline: a.deadline });
      } catch (err) {
        if (a.priorAmbiguous && String((err as Error).message).includes('lease already exists')) return;
        throw err;
      }
    });
    const handle = new LeaseHandle(id, ttlSeconds, sentAt, systemClock, this.renewer);
    this.handles.add(handle);
    handle.onLost(() => this.handles.delete(handle));
    return handle;
  }

  private readonly renewer: LeaseRenewer = {
    renew: async (id, giveUpAt) => {
      const budget = Math.max(1, giveUpAt - systemClock.now());
      const ttl = await this.call(`keep-alive of lease ${id}`, (a) => a.member.renewLease(id, a.timeoutMs), budget);
      return ttl > 0 ? 'ok' : 'not-found';
    },
    revoke: async (id) => {
      await this.call(`revoke lease ${id}`, async (a) => {
        try {
          await a.member.unary.leaseClient.leaseRevoke({ ID: id }, { deadline: a.deadline });
        } catch (err) {
          if (classify(err).code === 'lease-not-found') return;
          throw err;
        }
      });
    },
  };

  // --- closing -------------------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.isClosed) return;
    this.isClosed = true;
    clearInterval(this.watchCheckTimer);
    for (const w of this.watches) w.terminate(new StoreError('closed', 'watch: store client was closed'));
    this.watches.clear();
    for (const h of [...this.handles]) h.markLost('closed', `lease ${h.id}: store client was closed`);
    for (const m of this.members) m.close();
  }
}
