// Orderings: the implicit ones (a resource stops before it starts, group members start in order,
// clone milestones wrap their instances, recovery waits for fencing) and those of rsc_order
// constraints. Groups and clones are represented by pseudo actions; an ordering that targets one
// is applied to the matching action of each member too, and an ordering that starts from one uses
// its completion milestone (running, stopped, promoted, demoted).
import type { Action, Node, OrderFlags, Resource, ResourceOrder, WorkingSet } from '../types.ts';
import { ActionGraph } from './graph.ts';
import { descendants } from '../unpack/resources.ts';

const completion: Record<string, string> = { start: 'running', stop: 'stopped', promote: 'promoted', demote: 'demoted' };

function isCollective(r: Resource): boolean {
  return r.kind === 'group' || r.kind === 'clone' || r.kind === 'bundle';
}

/** The resource-level action for a task, creating a node-less placeholder when none exists. */
export function actionsFor(graph: ActionGraph, r: Resource, task: string): Action[] {
  if (isCollective(r)) return [pseudoAction(graph, r, task)];
  const found = graph.find(r, task);
  if (found.length) return found;
  // A placeholder: nothing to do, and nothing that could be done.
  // An unmanaged resource that is active already is what a start would give: it satisfies orders.
  const activeUnmanaged = !r.managed && r.runningOn.length > 0 && (task === 'start' || (task === 'promote' && r.role === 'Promoted'));
  const runnable = ((task === 'stop' || task === 'demote') && r.managed && !r.blocked) || activeUnmanaged;
  return [graph.create({ task, rsc: r, optional: true, runnable })];
}

export function pseudoAction(graph: ActionGraph, r: Resource, task: string): Action {
  const found = graph.allFor(r).find((a) => a.task === task && a.pseudo && !a.node);
  if (found) return found;
  return graph.create({ task, rsc: r, pseudo: true, optional: true, runnable: true });
}

function memberActions(graph: ActionGraph, r: Resource, task: string): Action[] {
  return actionsFor(graph, r, task);
}

// ---- implicit orderings ----

function primitiveOrders(graph: ActionGraph, r: Resource): void {
  const stops = graph.find(r, 'stop');
  const starts = graph.find(r, 'start');
  for (const stop of stops) for (const start of starts) graph.order(stop, start, { impliesThen: true, restart: true });
  if (r.promotable) {
    for (const demote of graph.find(r, 'demote')) for (const stop of stops) graph.order(demote, stop, { impliesFirst: true });
    for (const start of starts) for (const promote of graph.find(r, 'promote')) graph.order(start, promote, { runnableLeft: true });
    for (const demote of graph.find(r, 'demote')) for (const start of starts) graph.order(demote, start, {});
  }
}

function groupOrders(graph: ActionGraph, g: Resource): void {
  const ordered = g.meta.get('ordered') === undefined || ['true', 'yes', '1', 'on'].includes(g.meta.get('ordered')!.toLowerCase());
  const promotable = g.promotable;
  const start = pseudoAction(graph, g, 'start');
  const running = pseudoAction(graph, g, 'running');
  const stop = pseudoAction(graph, g, 'stop');
  const stopped = pseudoAction(graph, g, 'stopped');
  graph.order(start, running, { runnableLeft: true });
  graph.order(stop, stopped, {});
  let prev: Resource | undefined;
  for (const m of g.children) {
    for (const a of memberActions(graph, m, 'start')) {
      graph.order(start, a, { runnableLeft: true });
      graph.order(a, running, { impliesThen: true, runnableLeft: true });
    }
    for (const a of graph.find(m, 'stop')) {
      graph.order(stop, a, {});
      graph.order(a, stopped, { impliesThen: true });
    }
    if (promotable) {
      const promote = pseudoAction(graph, g, 'promote');
      const promoted = pseudoAction(graph, g, 'promoted');
      const demote = pseudoAction(graph, g, 'demote');
      const demoted = pseudoAction(graph, g, 'demoted');
      for (const a of graph.find(m, 'promote')) {
        graph.order(promote, a, { runnableLeft: true });
        graph.order(a, promoted, { impliesThen: true, runnableLeft: true });
      }
      for (const a of graph.find(m, 'demote')) {
        graph.order(demote, a, {});
        graph.order(a, demoted, { impliesThen: true });
      }
    }
    if (prev && ordered) {
      for (const a of memberActions(graph, prev, 'start')) for (const b of memberActions(graph, m, 'start')) graph.order(a, b, { impliesThen: true, runnableLeft: true });
      // A member that stops takes the ones after it down first.
      for (const b of graph.find(m, 'stop')) for (const a of graph.find(prev, 'stop')) graph.order(b, a, { restart: true });
      if (promotable) {
        for (const a of graph.find(prev, 'promote')) for (const b of graph.find(m, 'promote')) graph.order(a, b, { impliesThen: true, runnableLeft: true });
        for (const b of graph.find(m, 'demote')) for (const a of graph.find(prev, 'demote')) graph.order(b, a, {});
      }
    }
    prev = m;
  }
}

function instancesOf(r: Resource): Resource[] {
  if (r.kind === 'bundle') return r.bundle?.replicas.map((rep) => rep.container) ?? [];
  return r.children;
}

function cloneOrders(graph: ActionGraph, c: Resource): void {
  const start = pseudoAction(graph, c, 'start');
  const running = pseudoAction(graph, c, 'running');
  const stop = pseudoAction(graph, c, 'stop');
  const stopped = pseudoAction(graph, c, 'stopped');
  graph.order(stopped, start, {});
  graph.order(start, running, { runnableLeft: true });
  graph.order(stop, stopped, {});
  let promote: Action | undefined;
  let promoted: Action | undefined;
  let demote: Action | undefined;
  let demoted: Action | undefined;
  if (c.promotable) {
    promote = pseudoAction(graph, c, 'promote');
    promoted = pseudoAction(graph, c, 'promoted');
    demote = pseudoAction(graph, c, 'demote');
    demoted = pseudoAction(graph, c, 'demoted');
    graph.order(demoted, stop, {});
    graph.order(running, promote, { runnableLeft: true });
    graph.order(demote, demoted, {});
    graph.order(promote, promoted, { runnableLeft: true });
  }
  const group = `clone:${c.id}`;
  for (const inst of instancesOf(c)) {
    for (const a of memberActions(graph, inst, 'start')) {
      graph.order(start, a, { runnableLeft: true });
      graph.order(a, running, { impliesThen: true, oneOrMore: true, oneOrMoreGroup: `${group}:start` });
    }
    for (const a of memberActions(graph, inst, 'stop')) {
      graph.order(stop, a, {});
      if (a.node || isCollective(inst)) graph.order(a, stopped, { impliesThen: true });
    }
    if (c.promotable) {
      for (const a of memberActions(graph, inst, 'promote')) {
        graph.order(promote!, a, { runnableLeft: true });
        graph.order(a, promoted!, { impliesThen: true, oneOrMore: true, oneOrMoreGroup: `${group}:promote` });
      }
      for (const a of graph.find(inst, 'demote')) {
        graph.order(demote!, a, {});
        graph.order(a, demoted!, { impliesThen: true });
      }
    }
  }
}

export function createImplicitOrders(graph: ActionGraph): void {
  for (const top of graph.ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind === 'primitive') primitiveOrders(graph, r);
    }
  }
  for (const top of graph.ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind === 'group') groupOrders(graph, r);
      else if (r.kind === 'clone' || r.kind === 'bundle') cloneOrders(graph, r);
    }
  }
}

// ---- constraint orderings ----

function flagsFor(o: ResourceOrder, inverse: boolean): OrderFlags {
  if (o.kind !== 'Mandatory') return {};
  if (inverse) return { impliesFirst: true, runnableLeft: true };
  if (!o.symmetrical) return { asymmetrical: true, runnableLeft: o.firstTask === 'start' || o.firstTask === 'promote' };
  return { impliesThen: true, runnableLeft: o.firstTask === 'start' || o.firstTask === 'promote' };
}

/** The "first" side of an ordering: a collective's completion milestone, or the primitive's actions. */
function firstActions(graph: ActionGraph, r: Resource, task: string): Action[] {
  if (isCollective(r)) return [pseudoAction(graph, r, completion[task] ?? task)];
  return actionsFor(graph, r, task);
}

/** The "then" side, expanded to every member's matching action. */
function thenActions(graph: ActionGraph, r: Resource, task: string): Action[] {
  if (!isCollective(r)) return actionsFor(graph, r, task);
  const out = [pseudoAction(graph, r, task)];
  for (const m of instancesOf(r)) out.push(...thenActions(graph, m, task));
  return out;
}

function instanceNode(inst: Resource, task: string): Node | undefined {
  const prims = [...descendants(inst)].filter((d) => d.kind === 'primitive');
  if (task === 'stop' || task === 'demote') return prims.find((p) => p.runningOn[0])?.runningOn[0];
  return prims.find((p) => p.assignedTo)?.assignedTo ?? prims.find((p) => p.runningOn[0])?.runningOn[0];
}

/** Interleaved clones order instance by instance, on the same node. */
function interleavedOrder(graph: ActionGraph, o: ResourceOrder, flags: OrderFlags): boolean {
  const first = o.first;
  const then = o.then;
  if (first.kind !== 'clone' || then.kind !== 'clone') return false;
  if (!then.clone!.interleave) return false;
  for (const ti of then.children) {
    const node = instanceNode(ti, o.thenTask);
    const fi = node ? first.children.find((f) => instanceNode(f, o.firstTask) === node) : undefined;
    if (!fi) {
      if (flags.runnableLeft && node && o.kind === 'Mandatory') {
        for (const t of thenActions(graph, ti, o.thenTask)) if (t.runnable) t.runnable = false;
      }
      continue;
    }
    for (const f of firstActions(graph, fi, o.firstTask)) for (const t of thenActions(graph, ti, o.thenTask)) graph.order(f, t, flags);
  }
  return true;
}

export function createConstraintOrders(graph: ActionGraph): void {
  const ws: WorkingSet = graph.ws;
  const seenInverse = new Set<string>();
  for (const o of ws.orderings) {
    const key = `${o.id}:${o.first.id}:${o.firstTask}:${o.then.id}:${o.thenTask}`;
    const inverse = seenInverse.has(key);
    seenInverse.add(key);
    const isInverse = o.symmetrical === false && ws.orderings.some((x) => x !== o && x.id === o.id && x.first === o.then && x.then === o.first && x.symmetrical);
    const flags = flagsFor(o, isInverse || inverse);
    if (o.oneOf) {
      const pseudo = graph.byKeyName(o.oneOfId!)[0] ?? graph.create({ task: o.oneOfId!, key: o.oneOfId!, pseudo: true, optional: true });
      if (o.minRequired !== undefined) pseudo.requiredRunnableBefore = o.minRequired;
      for (const f of o.oneOf) for (const a of firstActions(graph, f, o.firstTask)) graph.order(a, pseudo, { oneOrMore: true, oneOrMoreGroup: o.oneOfId!, impliesThen: true });
      for (const t of thenActions(graph, o.then, o.thenTask)) graph.order(pseudo, t, { runnableLeft: true });
      continue;
    }
    if (interleavedOrder(graph, o, flags)) continue;
    // A collective's members only inherit the sequencing: whether "first" is needed depends on the
    // collective's own milestone, not on any one member.
    const memberFlags: OrderFlags = { ...flags };
    delete memberFlags.impliesFirst;
    for (const f of firstActions(graph, o.first, o.firstTask)) {
      for (const t of thenActions(graph, o.then, o.thenTask)) graph.order(f, t, t.rsc === o.then || !isCollective(o.then) ? flags : memberFlags);
    }
  }
}

// ---- fencing ----

/** Stops on a fenced node wait for the fencing; starts of resources that need fencing wait for all fencing. */
export function createFencingOrders(graph: ActionGraph, fences: Action[]): void {
  if (fences.length === 0) return;
  const targets = new Map<Node, Action[]>();
  for (const fence of fences) {
    const l = targets.get(fence.fenceTarget!);
    if (l) l.push(fence);
    else targets.set(fence.fenceTarget!, [fence]);
  }
  for (const a of graph.actions) {
    const onTarget = a.node ? targets.get(a.node) : undefined;
    if (onTarget && (a.task === 'stop' || a.task === 'demote') && a.impliedByFencing) for (const fence of onTarget) graph.order(fence, a, { impliesThen: true });
    if (a.task !== 'start' || !a.rsc || (a.rsc.requires !== 'fencing' && a.rsc.requires !== 'unfencing')) continue;
    for (const fence of fences) graph.order(fence, a, { runnableLeft: true });
  }
}
