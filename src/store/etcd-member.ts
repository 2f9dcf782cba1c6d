// One etcd member as the store sees it: its own `etcd3` clients with the client's fault handling
// switched off, because Tandem does the retrying itself (short per-attempt deadlines, next member on
// failure). The client's defaults — 3 retries on random hosts, a circuit breaker that shuts a host
// out for 5 s, no deadline — are what stalled writes 5+ s when a leader died (LAB-NOTES).

import { Etcd3, type IDuplexStream, type ILeaseKeepAliveRequest, type ILeaseKeepAliveResponse, type IOptions } from 'etcd3';
import { StoreError } from './types.ts';

type Policy = NonNullable<NonNullable<IOptions['faultHandling']>['global']>;

/** A policy that just runs the call: no retry, no circuit breaker. (Async: a sync throw must become a rejection.) */
const passThrough = {
  execute: async <T>(fn: (ctx: { signal: AbortSignal }) => PromiseLike<T> | T) => fn({ signal: new AbortController().signal }),
} as unknown as Policy;

export interface MemberOptions {
  credentials?: IOptions['credentials'];
  auth?: IOptions['auth'];
  /** gRPC keep-alive ping interval on streams (ms); see EtcdStoreOptions.streamPingMs. */
  streamPingMs: number;
}

export class Member {
  /** Unary calls (range, put, delete, txn, lease grant/revoke, compact). */
  readonly unary: Etcd3;
  /**
   * Streams (watches, lease keep-alives) on a separate client: the etcd3 client resets every
   * channel of a host after a failed call, which must not tear down healthy long-lived streams.
   */
  readonly streams: Etcd3;
  private keepAlive: KeepAliveStream | undefined;

  constructor(
    readonly endpoint: string,
    options: MemberOptions,
  ) {
    const common: IOptions = {
      hosts: [endpoint],
      faultHandling: { host: () => passThrough, global: passThrough },
      ...(options.credentials ? { credentials: options.credentials } : {}),
      ...(options.auth ? { auth: options.auth } : {}),
    };
    const backoff = {
      'grpc.initial_reconnect_backoff_ms': 50,
      'grpc.max_reconnect_backoff_ms': 500,
      // gRPC's 4 MiB default would turn a large list into an endless "retry" of RESOURCE_EXHAUSTED.
      'grpc.max_receive_message_length': -1,
    };
    this.unary = new Etcd3({ ...common, grpcOptions: backoff });
    this.streams = new Etcd3({
      ...common,
      grpcOptions: {
        ...backoff,
        // A member that goes silent (link down, host frozen) leaves a stream hanging without an
        // error; pings are how such a stream is noticed and moved to another member.
        'grpc.keepalive_time_ms': options.streamPingMs,
        'grpc.keepalive_timeout_ms': Math.min(options.streamPingMs, 1000),
        'grpc.keepalive_permit_without_calls': 0,
      },
    });
  }

  /**
   * Is this member part of a working quorum? A linearizable read needs the leader's confirmation,
   * so a member that is dead, frozen or cut off from the others fails it within the deadline —
   * whereas a watch stream on such a member would just stay silent.
   */
  async checkQuorum(timeoutMs: number): Promise<void> {
    await this.unary.kv.range({ key: Buffer.from([0]), count_only: true }, { deadline: new Date(Date.now() + timeoutMs) });
  }

  /** One keep-alive for `id` on this member's shared keep-alive stream; resolves with the new TTL (0: gone). */
  async renewLease(id: string, timeoutMs: number): Promise<number> {
    if (!this.keepAlive || this.keepAlive.broken) this.keepAlive = new KeepAliveStream(this);
    return this.keepAlive.renew(id, timeoutMs);
  }

  close(): void {
    this.keepAlive?.close();
    this.unary.close();
    this.streams.close();
  }
}

interface Waiter {
  resolve: (ttl: number) => void;
  reject: (err: unknown) => void;
}

/**
 * One LeaseKeepAlive stream per member, shared by every lease renewed through it. etcd answers the
 * requests of one stream in order, so responses are matched first-in-first-out per lease id. A
 * request that misses its deadline breaks the whole stream: a late answer must never be taken for a
 * newer request's (the local lease deadline counts from the newer request's send time).
 */
class KeepAliveStream {
  broken = false;
  private stream: Promise<IDuplexStream<ILeaseKeepAliveRequest, ILeaseKeepAliveResponse>>;
  private readonly waiting = new Map<string, Waiter[]>();

  constructor(private readonly member: Member) {
    this.stream = member.streams.leaseClient.leaseKeepAlive();
    this.stream.then(
      (s) => {
        s.on('data', (res: ILeaseKeepAliveResponse) => this.answer(res));
        s.on('error', (err: unknown) => this.fail(err));
        s.on('end', () => this.fail(new StoreError('unavailable', `lease keep-alive stream to ${member.endpoint} ended`)));
      },
      (err: unknown) => this.fail(err),
    );
  }

  async renew(id: string, timeoutMs: number): Promise<number> {
    const s = await this.stream;
    if (this.broken) throw new StoreError('unavailable', `lease keep-alive stream to ${this.member.endpoint} is broken`);
    return new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.fail(new StoreError('timeout', `keep-alive of lease ${id} on ${this.member.endpoint}: no answer in time`));
      }, Math.max(1, timeoutMs));
      const waiter: Waiter = {
        resolve: (ttl) => {
          clearTimeout(timer);
          resolve(ttl);
        },
        reject: (err) => {
          clearTimeout(timer);
          reject(err);
        },
      };
      const list = this.waiting.get(id) ?? [];
      list.push(waiter);
      this.waiting.set(id, list);
      s.write({ ID: id });
    });
  }

  private answer(res: ILeaseKeepAliveResponse): void {
    const list = this.waiting.get(res.ID);
    const waiter = list?.shift();
    if (list && list.length === 0) this.waiting.delete(res.ID);
    waiter?.resolve(Number(res.TTL));
  }

  fail(err: unknown): void {
    if (this.broken) return;
    this.broken = true;
    for (const list of this.waiting.values()) for (const w of list) w.reject(err);
    this.waiting.clear();
    this.stream.then((s) => s.cancel(), () => {});
  }

  close(): void {
    this.fail(new StoreError('closed', `lease keep-alive stream to ${this.member.endpoint}: store closed`));
  }
}
