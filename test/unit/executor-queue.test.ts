// The operation queue: one operation per resource, resources in parallel, a global cap, cancel.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OperationQueue } from '../../src/executor/operation-queue.ts';

/** A task that records when it runs and finishes when told to. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return { open, opened };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('OperationQueue', () => {
  it('runs tasks of one key one after another, in order', async () => {
    const q = new OperationQueue(4);
    const events: string[] = [];
    const g1 = gate();
    const t1 = q.enqueue('db', async () => (events.push('start 1'), await g1.opened, events.push('end 1'), 1), () => -1);
    const t2 = q.enqueue('db', async () => (events.push('start 2'), 2), () => -1);
    await tick();
    assert.deepEqual(events, ['start 1'], 'the second waits for the first');
    g1.open();
    assert.deepEqual(await Promise.all([t1.promise, t2.promise]), [1, 2]);
    assert.deepEqual(events, ['start 1', 'end 1', 'start 2']);
  });

  it('runs different keys in parallel up to the global cap', async () => {
    const q = new OperationQueue(2);
    const running = new Set<string>();
    let peak = 0;
    const gates = ['a', 'b', 'c'].map(() => gate());
    const tasks = ['a', 'b', 'c'].map((key, i) =>
      q.enqueue(key, async () => {
        running.add(key);
        peak = Math.max(peak, running.size);
        await gates[i]!.opened;
        running.delete(key);
        return key;
      }, () => 'cancelled'),
    );
    await tick();
    assert.deepEqual([...running], ['a', 'b']);
    assert.deepEqual(q.stats, { running: 2, waiting: 1 });
    gates[0]!.open();
    await tasks[0]!.promise;
    await tick();
    assert.deepEqual([...running].sort(), ['b', 'c'], 'c takes the freed slot');
    gates[1]!.open();
    gates[2]!.open();
    assert.deepEqual(await Promise.all(tasks.map((t) => t.promise)), ['a', 'b', 'c']);
    assert.equal(peak, 2);
  });

  it('lets a task of another key pass one that waits for its busy key', async () => {
    const q = new OperationQueue(2);
    const order: string[] = [];
    const g = gate();
    const a1 = q.enqueue('a', async () => (order.push('a1'), await g.opened), () => undefined);
    const a2 = q.enqueue('a', async () => void order.push('a2'), () => undefined);
    const b1 = q.enqueue('b', async () => void order.push('b1'), () => undefined);
    await b1.promise;
    assert.deepEqual(order, ['a1', 'b1'], 'b1 did not wait behind a2');
    g.open();
    await Promise.all([a1.promise, a2.promise]);
    assert.deepEqual(order, ['a1', 'b1', 'a2']);
  });

  it('cancels a waiting task without running it, and aborts a running one', async () => {
    const q = new OperationQueue(1);
    let aborted = false;
    const running = q.enqueue('a', (signal) => new Promise<string>((resolve) => signal.addEventListener('abort', () => ((aborted = true), resolve('aborted')))), () => 'never');
    let ran = false;
    const waiting = q.enqueue('b', async () => ((ran = true), 'ran'), () => 'cancelled');
    waiting.cancel();
    assert.equal(await waiting.promise, 'cancelled');
    running.cancel();
    assert.equal(await running.promise, 'aborted');
    assert.equal(aborted, true);
    assert.equal(ran, false);
    assert.deepEqual(q.stats, { running: 0, waiting: 0 });
  });

  it('keeps going after a task throws', async () => {
    const q = new OperationQueue(1);
    const bad = q.enqueue('a', async () => {
      throw new Error('boom');
    }, () => 0);
    const good = q.enqueue('a', async () => 42, () => 0);
    await assert.rejects(bad.promise, /boom/);
    assert.equal(await good.promise, 42);
  });
});
