// The client side of a lease (keep-alive loop, local deadline), on a manual clock with a scripted
// store: the rules that make a node learn it lost its lease before anyone else can see it expire.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '../../src/store/clock.ts';
import { LeaseHandle, type LeaseRenewer } from '../../src/store/lease-handle.ts';
import { StoreError } from '../../src/store/types.ts';

const flush = () => new Promise<void>((r) => setImmediate(r));
async function advance(clock: ManualClock, ms: number, step = 5): Promise<void> {
  for (let t = 0; t < ms; t += step) {
    clock.advance(Math.min(step, ms - t));
    await flush();
  }
}

/** A store whose answers the test scripts: each renewal answers `next` after `delayMs`. */
function scripted(clock: ManualClock) {
  const calls: number[] = [];
  const script = { next: 'ok' as 'ok' | 'not-found' | 'fail', delayMs: 0, revoked: [] as string[] };
  const renewer: LeaseRenewer = {
    renew: (_id, _giveUpAt) => {
      calls.push(clock.now());
      const answer = script.next;
      return new Promise((resolve, reject) => {
        clock.setTimer(() => {
          if (answer === 'fail') reject(new StoreError('unavailable', 'scripted: no member answered'));
          else resolve(answer);
        }, script.delayMs);
      });
    },
    revoke: async (id) => void script.revoked.push(id),
  };
  return { calls, script, renewer };
}

test('keep-alives go out every ttl/3, and the deadline counts from when the last good renewal was SENT', async () => {
  const clock = new ManualClock(0);
  const { calls, script, renewer } = scripted(clock);
  script.delayMs = 200; // answers come back late
  const lease = new LeaseHandle('7', 3, 0, clock, renewer);
  assert.equal(lease.expiresAt(), 3000, 'first deadline counts from the grant request');
  await advance(clock, 1000);
  assert.deepEqual(calls, [1000]);
  await advance(clock, 300);
  assert.equal(lease.expiresAt(), 4000, 'sent at 1000 + ttl, although answered at 1200');
  await advance(clock, 5000);
  assert.deepEqual(calls, [1000, 2000, 3000, 4000, 5000, 6000]);
  assert.equal(lease.lost, false);
  lease.stopKeepAlive();
});

test('when renewals keep failing, they are retried, and the lease is lost exactly at its deadline', async () => {
  const clock = new ManualClock(0);
  const { calls, script, renewer } = scripted(clock);
  const lease = new LeaseHandle('7', 3, 0, clock, renewer);
  await advance(clock, 1100);
  assert.equal(lease.expiresAt(), 4000);
  script.next = 'fail';
  const lost: string[] = [];
  lease.onLost((reason) => lost.push(`${reason}@${clock.now()}`));
  await advance(clock, 2895, 1);
  assert.equal(lease.lost, false);
  assert.ok(calls.length > 5, `failed renewals are retried quickly (${calls.length} calls)`);
  await advance(clock, 10, 1);
  assert.deepEqual(lost, ['expired@4000']);
  assert.equal(lease.remainingMs(), 0);
  await assert.rejects(lease.keepAlive(), (e: any) => e.code === 'lease-not-found' && /expired/.test(e.message));
});

test('a renewal answered "not found" loses the lease at once', async () => {
  const clock = new ManualClock(0);
  const { script, renewer } = scripted(clock);
  const lease = new LeaseHandle('9', 3, 0, clock, renewer);
  script.next = 'not-found';
  const lost: string[] = [];
  lease.onLost((reason) => lost.push(`${reason}@${clock.now()}`));
  await advance(clock, 1000);
  assert.deepEqual(lost, ['not-found@1000']);
});

test('revoke revokes in the store, reports revoked once, and stops the keep-alives', async () => {
  const clock = new ManualClock(0);
  const { calls, script, renewer } = scripted(clock);
  const lease = new LeaseHandle('11', 3, 0, clock, renewer);
  const lost: string[] = [];
  lease.onLost((reason) => lost.push(reason));
  await lease.revoke();
  await lease.revoke();
  await advance(clock, 5000);
  assert.deepEqual(script.revoked, ['11']);
  assert.deepEqual(lost, ['revoked']);
  assert.deepEqual(calls, []);
  let late = '';
  lease.onLost((reason) => (late = reason));
  await flush();
  assert.equal(late, 'revoked', 'a listener added after the loss hears of it too');
});
