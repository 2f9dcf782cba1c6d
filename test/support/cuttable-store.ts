// A Store wrapper that can be cut off from its backend, like a node whose link to etcd is down:
// while cut, calls fail with 'unavailable' after `hangMs` (as the etcd client does after its budget),
// lease keep-alives fail (so the lease runs out), and watch events are held back until the cut ends.

import { LeaseHandle } from '../../src/store/lease-handle.ts';
import { systemClock } from '../../src/store/clock.ts';
import { StoreError, type Lease, type Store, type TxnRequest, type WatchOptions, type WatchListener, type WatchErrorListener, type Watch, type WatchEvent, type PutOptions } from '../../src/store/types.ts';

export class CuttableStore implements Store {
  readonly description: string;
  private isCut = false;
  private readonly held: Array<() => void> = [];

  constructor(private readonly inner: Store, private readonly hangMs = 300) {
    this.description = `cuttable(${inner.description})`;
  }

  get cut(): boolean {
    return this.isCut;
  }

  setCut(cut: boolean): void {
    this.isCut = cut;
    if (!cut) for (const f of this.held.splice(0)) f();
  }

  now(): number {
    return this.inner.now();
  }

  private call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (!this.isCut) return fn();
    return new Promise((_, rej) => setTimeout(() => rej(new StoreError('unavailable', `${what}: store unreachable (cut off)`)), this.hangMs).unref());
  }

  get(key: string) { return this.call(`get ${key}`, () => this.inner.get(key)); }
  list(prefix: string) { return this.call(`list ${prefix}`, () => this.inner.list(prefix)); }
  put(key: string, value: string, options?: PutOptions) { return this.call(`put ${key}`, () => this.inner.put(key, value, options)); }
  delete(key: string) { return this.call(`delete ${key}`, () => this.inner.delete(key)); }
  deletePrefix(prefix: string) { return this.call(`deletePrefix ${prefix}`, () => this.inner.deletePrefix(prefix)); }
  txn(request: TxnRequest) { return this.call('txn', () => this.inner.txn(request)); }
  compact(revision: number) { return this.call('compact', () => this.inner.compact(revision)); }
  close() { return this.inner.close(); }

  watch(prefix: string, options: WatchOptions, onEvents: WatchListener, onError: WatchErrorListener): Watch {
    return this.inner.watch(
      prefix,
      options,
      (events: WatchEvent[], revision: number) => {
        if (this.isCut) this.held.push(() => onEvents(events, revision));
        else onEvents(events, revision);
      },
      onError,
    );
  }

  async grantLease(ttlSeconds: number): Promise<Lease> {
    const sentAt = systemClock.now();
    const inner = await this.call('grantLease', () => this.inner.grantLease(ttlSeconds));
    inner.stopKeepAlive();
    return new LeaseHandle(inner.id, ttlSeconds, sentAt, systemClock, {
      renew: async () => {
        if (this.isCut) {
          await new Promise((r) => setTimeout(r, Math.min(this.hangMs, 100)));
          throw new StoreError('unavailable', `keep-alive of lease ${inner.id}: store unreachable (cut off)`);
        }
        try {
          await inner.keepAlive();
          return 'ok';
        } catch {
          return 'not-found';
        }
      },
      revoke: async () => {
        if (this.isCut) throw new StoreError('unavailable', `revoke of lease ${inner.id}: store unreachable (cut off)`);
        await inner.revoke().catch(() => {});
      },
    });
  }
}
