// The client side of a lease, shared by both stores: the keep-alive loop and the local deadline.
// Only "renew once" and "revoke" differ between stores; they come in as a LeaseRenewer.

import type { Clock, Timer } from './clock.ts';
import { StoreError, type Lease, type LeaseId, type LeaseLostListener, type LeaseLostReason } from './types.ts';

export interface LeaseRenewer {
  /**
   * Renew the lease once. Resolves 'ok' when the store restarted the TTL, 'not-found' when the lease
   * no longer exists there. Rejects (StoreError) when no member answered; must give up by `giveUpAt`
   * (clock ms) since a renewal after the local deadline is worthless.
   */
  renew(id: LeaseId, giveUpAt: number): Promise<'ok' | 'not-found'>;
  /** Revoke the lease; resolves also when it is already gone. */
  revoke(id: LeaseId): Promise<void>;
}

export class LeaseHandle implements Lease {
  readonly id: LeaseId;
  readonly ttlSeconds: number;
  private readonly ttlMs: number;
  private deadline: number;
  private isLost = false;
  private stopped = false;
  private renewing: Promise<void> | undefined;
  private renewTimer: Timer | undefined;
  private lostTimer: Timer | undefined;
  private readonly listeners = new Set<LeaseLostListener>();
  private lostWith: { reason: LeaseLostReason; detail: string } | undefined;

  /**
   * `grantSentAt`: clock time at which the grant request was sent; the first deadline counts from
   * it, for the same reason renewals count from their send time (see Lease).
   */
  constructor(
    id: LeaseId,
    ttlSeconds: number,
    grantSentAt: number,
    private readonly clock: Clock,
    private readonly renewer: LeaseRenewer,
  ) {
    this.id = id;
    this.ttlSeconds = ttlSeconds;
    this.ttlMs = ttlSeconds * 1000;
    this.deadline = grantSentAt + this.ttlMs;
    this.armLostTimer();
    this.scheduleRenewal(grantSentAt + this.ttlMs / 3 - clock.now());
  }

  get lost(): boolean {
    return this.isLost;
  }

  expiresAt(): number {
    return this.deadline;
  }

  remainingMs(): number {
    return this.isLost ? 0 : this.deadline - this.clock.now();
  }

  keepAlive(): Promise<void> {
    if (this.isLost) return Promise.reject(this.lostError());
    return this.renewNow(true);
  }

  stopKeepAlive(): void {
    this.stopped = true;
    this.renewTimer?.cancel();
    this.renewTimer = undefined;
  }

  async revoke(): Promise<void> {
    this.stopKeepAlive();
    if (this.isLost && this.lostWith?.reason !== 'expired') return;
    await this.renewer.revoke(this.id);
    this.markLost('revoked', `lease ${this.id} was revoked by its holder`);
  }

  onLost(listener: LeaseLostListener): () => void {
    if (this.lostWith) {
      const { reason, detail } = this.lostWith;
      queueMicrotask(() => listener(reason, detail));
      return () => {};
    }
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** End the handle from outside (store closed, or the store saw the lease go). */
  markLost(reason: LeaseLostReason, detail: string): void {
    if (this.isLost) return;
    this.isLost = true;
    this.lostWith = { reason, detail };
    this.stopKeepAlive();
    this.lostTimer?.cancel();
    this.lostTimer = undefined;
    for (const listener of this.listeners) {
      try {
        listener(reason, detail);
      } catch (err) {
        queueMicrotask(() => {
          throw err;
        });
      }
    }
    this.listeners.clear();
  }

  private lostError(): StoreError {
    return new StoreError('lease-not-found', `lease ${this.id} is lost (${this.lostWith?.reason}): ${this.lostWith?.detail}`);
  }

  private armLostTimer(): void {
    this.lostTimer?.cancel();
    this.lostTimer = this.clock.setTimer(() => this.checkDeadline(), this.deadline - this.clock.now(), true);
  }

  private checkDeadline(): void {
    if (this.isLost) return;
    if (this.clock.now() < this.deadline) return this.armLostTimer();
    this.markLost('expired', `lease ${this.id} (ttl ${this.ttlSeconds}s): no keep-alive succeeded in time`);
  }

  private scheduleRenewal(inMs: number): void {
    if (this.stopped || this.isLost) return;
    this.renewTimer?.cancel();
    this.renewTimer = this.clock.setTimer(() => void this.renewNow(false).catch(() => {}), inMs, true);
  }

  private renewNow(explicit: boolean): Promise<void> {
    if (!this.renewing) {
      this.renewing = this.renewOnce().finally(() => (this.renewing = undefined));
    }
    const p = this.renewing;
    return explicit ? p.then(() => (this.isLost ? Promise.reject(this.lostError()) : undefined)) : p;
  }

  private async renewOnce(): Promise<void> {
    const sentAt = this.clock.now();
    let outcome: 'ok' | 'not-found';
    try {
      outcome = await this.renewer.renew(this.id, this.deadline);
    } catch (err) {
      // No member answered: try again soon; the lost timer fires if nothing succeeds in time.
      const retryIn = Math.min(100, this.ttlMs / 10);
      if (!this.isLost && this.clock.now() + retryIn < this.deadline) this.scheduleRenewal(retryIn);
      throw err;
    }
    if (this.isLost) return;
    if (outcome === 'not-found') {
      this.markLost('not-found', `lease ${this.id} no longer exists in the store (expired or revoked elsewhere)`);
      return;
    }
    if (sentAt + this.ttlMs > this.deadline) {
      this.deadline = sentAt + this.ttlMs;
      this.armLostTimer();
    }
    this.scheduleRenewal(sentAt + this.ttlMs / 3 - this.clock.now());
  }
}
