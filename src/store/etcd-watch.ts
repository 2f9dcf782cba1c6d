// A Store watch on etcd: one gRPC watch stream, moved to another member whenever it fails, resuming
// from the revision after the last one delivered (so nothing is lost and nothing repeats). When that
// revision has been compacted, the watch ends with a `compacted` StoreError and the caller re-lists
// (watchWithRelist does that).

import type { IDuplexStream, IWatchRequest, IWatchResponse } from 'etcd3';
import { fromEvent, prefixEnd, toBuf } from './etcd-codec.ts';
import type { Member } from './etcd-member.ts';
import { StoreError, type Watch, type WatchErrorListener, type WatchListener, type WatchOptions } from './types.ts';

export interface WatchHost {
  /** Member to (re)connect to: the preferred one, or the one after the member that just failed. */
  memberAfter(failed: Member | undefined): Member;
  /** Tell the host that a member failed a stream, so it moves on from it. */
  memberFailed(member: Member): void;
  /** How long a member may take to confirm a new watch before the next is tried (ms). */
  readonly attemptTimeoutMs: number;
  readonly closed: boolean;
}

type WatchStream = IDuplexStream<IWatchRequest, IWatchResponse>;

export class EtcdWatch implements Watch {
  readonly ready: Promise<number>;
  private resolveReady!: (rev: number) => void;
  /** Next revision to deliver; undefined until the first stream tells us "now". */
  private next: number | undefined;
  private stream: WatchStream | undefined;
  private member: Member | undefined;
  /** Failed (re)connections since the last healthy stream, for back-off. */
  private attempt = 0;
  private lastFailed: Member | undefined;
  private created = false;
  private done = false;
  private createTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly host: WatchHost,
    private readonly prefix: string,
    private readonly options: WatchOptions,
    private readonly onEvents: WatchListener,
    private readonly onError: WatchErrorListener,
  ) {
    this.next = options.fromRevision;
    this.ready = new Promise((res) => (this.resolveReady = res));
    queueMicrotask(() => void this.connect()); // never call back before watch() has returned
  }

  cancel(): void {
    if (this.done) return;
    this.done = true;
    this.dropStream();
  }

  /** End with a terminal error (store closed, compacted). */
  terminate(err: StoreError): void {
    if (this.done) return;
    this.done = true;
    this.dropStream();
    this.onError(err);
  }

  /** The member whose stream is established now, if any (for the store's quorum check). */
  get connectedTo(): Member | undefined {
    return this.stream && this.created ? this.member : undefined;
  }

  /** The store found `member` unhealthy: if this watch is on it, move to another member now. */
  memberUnhealthy(member: Member): void {
    if (this.member === member && this.stream) this.failed(member, this.stream);
  }

  private async connect(): Promise<void> {
    if (this.done) return;
    if (this.host.closed) return this.terminate(new StoreError('closed', `watch "${this.prefix}": store was closed`));
    const member = this.host.memberAfter(this.lastFailed);
    this.member = member;
    let stream: WatchStream;
    try {
      stream = await member.streams.watchClient.watch();
    } catch {
      return this.failed(member, undefined);
    }
    if (this.done) {
      stream.cancel();
      return;
    }
    this.stream = stream;
    this.created = false;
    stream.on('data', (res: IWatchResponse) => this.onResponse(stream, member, res));
    stream.on('error', () => this.failed(member, stream));
    stream.on('end', () => this.failed(member, stream));
    // A member that cannot confirm the watch quickly (no leader, overloaded) is skipped.
    this.createTimer = setTimeout(() => this.failed(member, stream), this.host.attemptTimeoutMs * 3);
    stream.write({
      create_request: {
        key: toBuf(this.prefix),
        range_end: prefixEnd(this.prefix),
        start_revision: this.next ?? 0,
        prev_kv: this.options.prevKv ?? false,
        progress_notify: true,
      },
    });
  }

  private onResponse(stream: WatchStream, member: Member, res: IWatchResponse): void {
    if (this.done || stream !== this.stream) return;
    const compactRevision = Number(res.compact_revision ?? 0);
    if (res.canceled || compactRevision > 0) {
      if (compactRevision > 0) {
        return this.terminate(
          new StoreError(
            'compacted',
            `watch "${this.prefix}" from revision ${this.next}: history before ${compactRevision} was compacted; re-list`,
            { compactRevision },
          ),
        );
      }
      // Cancelled by the member for another reason (e.g. it lost its leader): go elsewhere.
      return this.failed(member, stream);
    }
    if (res.created) {
      this.created = true;
      clearTimeout(this.createTimer);
      this.attempt = 0;
      this.lastFailed = undefined;
      if (this.next === undefined) this.next = Number(res.header.revision) + 1;
      this.resolveReady(this.next);
    }
    const events = (res.events ?? []).map((ev) => fromEvent(ev, this.options.prevKv ?? false));
    // After a reconnect the member replays from `next`; anything older was delivered already.
    const fresh = this.next === undefined ? events : events.filter((ev) => ev.revision >= this.next!);
    if (fresh.length === 0) return;
    const last = fresh[fresh.length - 1]!.revision;
    this.next = last + 1;
    this.onEvents(fresh, Math.max(last, Number(res.header.revision)));
  }

  private failed(member: Member, stream: WatchStream | undefined): void {
    if (this.done || (stream && stream !== this.stream)) return;
    this.dropStream();
    this.host.memberFailed(member);
    this.lastFailed = member;
    this.attempt++;
    // First retry at once (another member), then back off a little, at most 500 ms.
    const delay = this.attempt <= 1 ? 0 : Math.min(500, 25 * 2 ** Math.min(this.attempt, 5));
    this.retryTimer = setTimeout(() => void this.connect(), delay);
  }

  private dropStream(): void {
    clearTimeout(this.createTimer);
    clearTimeout(this.retryTimer);
    const s = this.stream;
    this.stream = undefined;
    if (s) {
      // Its listeners ignore it from now on (they check this.stream); cancel() makes it emit a
      // CANCELLED error, which they ignore too.
      s.cancel();
    }
  }
}
