// Simulated execution of a transition: what crm_simulate does between "Executing Cluster
// Transition" and "Revised Cluster Status". Every action is taken to succeed, and its result is
// recorded in the status section the way a controller records it (one lrm_rsc_op per operation key,
// newer call ids win), so unpacking the result again gives the cluster as it will be afterwards.
// Pure: the input CIB is not modified; nothing here reads a clock.
import type { Cib, LrmResource, LrmRscOp, NodeStateEntry } from '../cib/model.ts';
import type { Transition, TransitionAction } from './transition.ts';

/** OCF result codes the simulation records. */
const OCF_OK = 0;
const OCF_NOT_RUNNING = 7;
const OCF_RUNNING_PROMOTED = 8;

/**
 * The order in which the actions can be executed: every action after all of its inputs; among
 * the actions ready at the same time, the lowest id first (deterministic). Actions caught in an
 * ordering cycle (which a correct graph never has) come last, by id.
 */
export function executionOrder(transition: Transition): TransitionAction[] {
  const actions = transition.actions;
  const byId = new Map(actions.map((a) => [a.id, a]));
  const waiting = new Map<number, number>();
  const dependents = new Map<number, number[]>();
  for (const a of actions) {
    const inputs = a.inputs.filter((i) => byId.has(i) && i !== a.id);
    waiting.set(a.id, new Set(inputs).size);
    for (const i of new Set(inputs)) {
      const list = dependents.get(i) ?? [];
      list.push(a.id);
      dependents.set(i, list);
    }
  }
  // A binary heap would be faster; transitions hold hundreds of actions, a sorted ready list is enough.
  const ready = actions.filter((a) => waiting.get(a.id) === 0).map((a) => a.id).sort((x, y) => x - y);
  const out: TransitionAction[] = [];
  const done = new Set<number>();
  while (ready.length > 0) {
    const id = ready.shift()!;
    done.add(id);
    out.push(byId.get(id)!);
    for (const d of dependents.get(id) ?? []) {
      const left = waiting.get(d)! - 1;
      waiting.set(d, left);
      if (left === 0) {
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
          const mid = (lo + hi) >> 1;
          if (ready[mid]! < d) lo = mid + 1;
          else hi = mid;
        }
        ready.splice(lo, 0, d);
      }
    }
  }
  for (const a of actions) if (!done.has(a.id)) out.push(a);
  return out;
}

/** The line crm_simulate prints for an action it executes. */
export function actionLine(a: TransitionAction): string {
  if (a.type === 'fence') return `  * Fencing ${a.fence?.target ?? a.node ?? '?'} (${a.fence?.action ?? 'reboot'})`;
  if (a.type === 'pseudo') return `  * Pseudo action:   ${a.key}${a.node && a.task.startsWith('stonith') ? ` on ${a.node}` : ''}`;
  if (a.type === 'resource' && a.rsc) {
    const task = a.intervalMs > 0 ? `${a.task}=${a.intervalMs}` : a.task;
    return `  * Resource action: ${a.rsc.padEnd(15)} ${task} on ${a.node ?? '?'}`;
  }
  // Cluster actions (do_shutdown, clear_failcount) have no resource or a resource they only name.
  const what = a.task === 'clear_failcount' && a.rsc ? `clear_failcount for ${a.rsc}` : a.task;
  return `  * Cluster action:  ${what} on ${a.node ?? '?'}`;
}

/**
 * The node's status entry, copied on first write: the input CIB's entries are shared, never
 * changed (copying the whole status of a large cluster would cost more than scheduling it).
 */
function nodeEntry(cib: Cib, name: string, copied: Set<object>): NodeStateEntry {
  const i = cib.status.nodes.findIndex((n) => (n.uname ?? n.id) === name);
  let entry = i >= 0 ? cib.status.nodes[i]! : undefined;
  if (!entry) {
    const cfg = cib.configuration.nodes.find((n) => n.uname === name);
    entry = { id: cfg?.id ?? name, uname: name, attrs: {}, lrm: [], transient: [], hasLrm: true };
    cib.status.nodes.push(entry);
    copied.add(entry);
  } else if (!copied.has(entry)) {
    entry = { ...entry, attrs: { ...entry.attrs }, lrm: [...entry.lrm], transient: entry.transient.map((s) => ({ ...s, nvpairs: [...s.nvpairs] })) };
    cib.status.nodes[i] = entry;
    copied.add(entry);
  }
  entry.hasLrm = true;
  return entry;
}

function lrmResource(entry: NodeStateEntry, a: TransitionAction, copied: Set<object>): LrmResource {
  const id = a.historyId ?? a.rsc!;
  const i = entry.lrm.findIndex((r) => r.id === id);
  let res = i >= 0 ? entry.lrm[i] : undefined;
  if (res && !copied.has(res)) {
    res = { ...res, ops: [...res.ops] };
    entry.lrm[i] = res;
    copied.add(res);
  }
  if (!res) {
    res = { id, ops: [] };
    if (a.agent) {
      res.class = a.agent.class;
      if (a.agent.provider !== undefined) res.provider = a.agent.provider;
      res.type = a.agent.type;
    }
    entry.lrm.push(res);
    copied.add(res);
  }
  return res;
}

/** The highest call id recorded anywhere, so that simulated results are newer than all history. */
function maxCallId(cib: Cib): number {
  let max = 0;
  for (const n of cib.status.nodes) for (const r of n.lrm) for (const o of r.ops) if (o.callId > max) max = o.callId;
  return max;
}

/** The result a simulated action reports: probes find nothing, promoted monitors report promoted. */
function simulatedRc(a: TransitionAction): number {
  if (a.task === 'monitor' && a.intervalMs === 0) return OCF_NOT_RUNNING;
  if (a.task === 'monitor' && a.expectedRc === OCF_RUNNING_PROMOTED) return OCF_RUNNING_PROMOTED;
  return a.expectedRc === OCF_RUNNING_PROMOTED || a.expectedRc === OCF_NOT_RUNNING ? a.expectedRc : OCF_OK;
}

function fenceNode(cib: Cib, name: string, copied: Set<object>): void {
  const entry = nodeEntry(cib, name, copied);
  entry.attrs = { ...entry.attrs, in_ccm: 'false', crmd: 'offline', join: 'down', expected: 'down' };
  entry.lrm = [];
  entry.transient = [];
}

function clearFailcount(cib: Cib, a: TransitionAction, copied: Set<object>): void {
  if (!a.node || !a.rsc) return;
  const entry = nodeEntry(cib, a.node, copied);
  const ids = new Set([a.rsc, a.historyId ?? a.rsc, a.rsc.replace(/:\d+$/, '')]);
  const matches = (name: string): boolean => {
    const m = /^(fail-count|last-failure)-(.+?)(#.*)?$/.exec(name);
    return m !== null && ids.has(m[2]!);
  };
  for (const set of entry.transient) set.nvpairs = set.nvpairs.filter((nv) => !matches(nv.name));
}

/**
 * Applies every action of the transition, as if each succeeded, to a copy of the CIB's status and
 * returns that copy. `now` stamps last-rc-change/last-run of the simulated results.
 */
export function applyTransition(cib: Cib, transition: Transition, now = 0): Cib {
  // Shallow copies down to what changes; see nodeEntry.
  const out: Cib = { ...cib, status: { ...cib.status, nodes: [...cib.status.nodes] } };
  const copied = new Set<object>();
  let callId = maxCallId(out);
  for (const a of executionOrder(transition)) {
    if (a.type === 'fence') {
      const target = a.fence?.target ?? a.node;
      if (target && (a.fence?.action ?? 'reboot') !== 'on') fenceNode(out, target, copied);
      continue;
    }
    if (a.type === 'pseudo') continue;
    if (a.task === 'clear_failcount') {
      clearFailcount(out, a, copied);
      continue;
    }
    if (a.task === 'do_shutdown' || a.type !== 'resource' || !a.rsc || !a.node) continue;
    const entry = nodeEntry(out, a.node, copied);
    if (a.task === 'delete') {
      const id = a.historyId ?? a.rsc;
      entry.lrm = entry.lrm.filter((r) => r.id !== id);
      continue;
    }
    const res = lrmResource(entry, a, copied);
    if (a.task === 'cancel') {
      res.ops = res.ops.filter((o) => !(o.operation === 'monitor' && o.intervalMs === a.intervalMs));
      continue;
    }
    if (a.task === 'notify' || a.task === 'reload-agent' || a.task === 'reload') continue;
    const rc = simulatedRc(a);
    callId += 1;
    const historyId = a.historyId ?? a.rsc;
    const opId = a.intervalMs > 0 ? `${historyId}_${a.task}_${a.intervalMs}` : `${historyId}_last_0`;
    const key = `${a.id}:0:${rc}:tandem-simulate`;
    const op: LrmRscOp = {
      id: opId,
      operation: a.task,
      operationKey: `${historyId}_${a.task}_${a.intervalMs}`,
      callId,
      rcCode: rc,
      opStatus: 0,
      intervalMs: a.intervalMs,
      transitionKey: key,
      transitionMagic: `0:${rc};${key}`,
      lastRcChange: now,
      lastRun: now,
      execTime: 0,
      queueTime: 0,
      onNode: a.node,
    };
    if (a.task === 'migrate_to' || a.task === 'migrate_from') {
      if (a.meta['migrate_source'] !== undefined) op.migrateSource = a.meta['migrate_source'];
      if (a.meta['migrate_target'] !== undefined) op.migrateTarget = a.meta['migrate_target'];
    }
    // One entry per id: a new result replaces the previous one with the same id.
    res.ops = res.ops.filter((o) => o.id !== opId);
    if (a.task === 'stop') {
      // A stop ends every recurring monitor on that node.
      res.ops = res.ops.filter((o) => !(o.operation === 'monitor' && o.intervalMs > 0));
    }
    res.ops.push(op);
  }
  return out;
}
