// A cluster of node agents (or bare memberships) in one process on one embedded store, each node
// with its own store session behind a CuttableStore. For the runtime's unit tests.

import { openEmbeddedStore, type EmbeddedStore } from '../../src/store/embedded.ts';
import { Membership, nowMs } from '../../src/membership/membership.ts';
import { NodeAgent, type NodeAgentOptions } from '../../src/node/node-agent.ts';
import type { PeerState, TimingBudget } from '../../src/membership/types.ts';
import { CuttableStore } from './cuttable-store.ts';

export { nowMs };

export interface HarnessNode<T> {
  name: string;
  store: CuttableStore;
  it: T;
}

export function newBackend(): EmbeddedStore {
  return openEmbeddedStore();
}

export async function startMemberships(
  names: string[],
  opts: { cluster?: string; timing?: Partial<TimingBudget>; log?: (l: string) => void; backend?: EmbeddedStore } = {},
): Promise<{ backend: EmbeddedStore; nodes: HarnessNode<Membership>[]; stop: () => Promise<void> }> {
  const backend = opts.backend ?? openEmbeddedStore();
  const nodes: HarnessNode<Membership>[] = [];
  for (const name of names) {
    const store = new CuttableStore(backend.session());
    const it = await Membership.start({ store, cluster: opts.cluster ?? 'test', node: name, voters: names, ...(opts.timing ? { timing: opts.timing } : {}), ...(opts.log ? { log: opts.log } : {}) });
    nodes.push({ name, store, it });
  }
  return {
    backend,
    nodes,
    stop: async () => {
      for (const n of nodes) n.store.setCut(false);
      await Promise.all(nodes.map((n) => n.it.stop().catch(() => {})));
      await backend.destroy();
    },
  };
}

export async function startAgents(
  names: string[],
  opts: Partial<NodeAgentOptions> & { backend?: EmbeddedStore } = {},
): Promise<{ backend: EmbeddedStore; nodes: HarnessNode<NodeAgent>[]; stop: () => Promise<void> }> {
  const backend = opts.backend ?? openEmbeddedStore();
  const nodes: HarnessNode<NodeAgent>[] = [];
  const { backend: _b, ...rest } = opts;
  for (const name of names) {
    const store = new CuttableStore(backend.session());
    const it = await NodeAgent.start({ cluster: 'test', voters: names, ...rest, store, node: name });
    nodes.push({ name, store, it });
  }
  return {
    backend,
    nodes,
    stop: async () => {
      for (const n of nodes) n.store.setCut(false);
      await Promise.all(nodes.map((n) => n.it.stop().catch(() => {})));
      await backend.destroy();
    },
  };
}

/** Poll `cond` every 5 ms until true; throws with `what` after `timeoutMs`. Returns elapsed ms. */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<number> {
  const start = nowMs();
  for (;;) {
    if (await cond()) return nowMs() - start;
    if (nowMs() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export function peerState(m: Membership, name: string): PeerState | undefined {
  return m.peer(name)?.state;
}
