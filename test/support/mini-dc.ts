// A minimal stand-in for the DC in node-side tests: reads the CIB from the store, runs the real
// scheduler, writes each runnable resource action as a request (fenced on the DC's token) and waits
// for its result. Not the controller: no aborts, no fail counts, sequential.

import { CibStore } from '../../src/cib/cib-store.ts';
import { decodeRecord, encodeRecord, keys, type ActionRequest, type ActionResult } from '../../src/cib/store-layout.ts';
import type { Membership } from '../../src/membership/membership.ts';
import { schedule } from '../../src/scheduler/index.ts';
import { buildTransition, type TransitionAction } from '../../src/scheduler/transition.ts';
import type { Store } from '../../src/store/types.ts';
import { waitFor } from './cluster.ts';

let transitionSeq = 1;

export async function sendAction(store: Store, cluster: string, dc: Membership, action: TransitionAction, token = dc.leadership!.token, transitionId = transitionSeq++): Promise<ActionResult> {
  const id = `${transitionId}-${action.id}`;
  const req: ActionRequest = { id, node: action.node!, token, dc: dc.self.name, transitionId, action, createdAt: Date.now() };
  await store.put(keys.action(cluster, action.node!, id), encodeRecord(req));
  let result: ActionResult | undefined;
  await waitFor(`result of ${action.key} on ${action.node}`, async () => {
    const { kv } = await store.get(keys.result(cluster, action.node!, id));
    if (kv) result = decodeRecord<ActionResult>(kv.key, kv.value);
    return result !== undefined;
  }, 30_000);
  return result!;
}

/** Schedule and execute until the scheduler plans no resource action (at most `rounds` rounds). */
export async function converge(store: Store, cluster: string, dc: Membership, rounds = 5): Promise<{ executed: TransitionAction[]; results: ActionResult[] }> {
  const cib = new CibStore(store, cluster);
  const executed: TransitionAction[] = [];
  const results: ActionResult[] = [];
  for (let i = 0; i < rounds; i++) {
    const state = await cib.readCib(dc, Date.now());
    const t = buildTransition(schedule(state, Math.floor(Date.now() / 1000)));
    const todo = t.actions.filter((a) => a.type === 'resource');
    if (todo.length === 0) return { executed, results };
    const done = new Set(t.actions.filter((a) => a.type !== 'resource').map((a) => a.id));
    while (done.size < t.actions.length) {
      const ready = t.actions.filter((a) => !done.has(a.id) && a.inputs.every((x) => done.has(x)));
      if (ready.length === 0) break;
      for (const a of ready) {
        if (a.type === 'resource') {
          results.push(await sendAction(store, cluster, dc, a));
          executed.push(a);
        }
        done.add(a.id);
      }
    }
  }
  throw new Error(`no convergence after ${rounds} rounds: ${executed.map((a) => `${a.key}@${a.node}`).join(', ')}`);
}
