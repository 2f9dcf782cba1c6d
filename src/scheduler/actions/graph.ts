// The action graph: actions (resource operations, pseudo milestones of groups and clones, fencing)
// and orderings between them. Each ordering carries flags saying how the two actions constrain
// each other; propagate() applies them until nothing changes.
import type { Action, ActionEdge, Node, OrderFlags, Resource, Task, WorkingSet } from '../types.ts';

export function actionKey(rscId: string, task: string, intervalMs = 0): string {
  return `${rscId}_${task}_${intervalMs}`;
}

export class ActionGraph {
  readonly actions: Action[] = [];
  private readonly byRsc = new Map<Resource, Action[]>();
  private readonly byKey = new Map<string, Action[]>();
  private nextId = 0;

  constructor(readonly ws: WorkingSet) {}

  create(opts: { task: Task | string; rsc?: Resource; node?: Node; pseudo?: boolean; optional: boolean; runnable?: boolean; intervalMs?: number; key?: string; reason?: string }): Action {
    const interval = opts.intervalMs ?? 0;
    const key = opts.key ?? (opts.rsc ? actionKey(opts.rsc.id, opts.task, interval) : opts.task);
    const a: Action = {
      id: this.nextId++,
      key,
      task: opts.task as Task,
      intervalMs: interval,
      pseudo: opts.pseudo ?? false,
      optional: opts.optional,
      runnable: opts.runnable ?? true,
      meta: new Map(),
      before: [],
      after: [],
    };
    if (opts.rsc) a.rsc = opts.rsc;
    if (opts.node) a.node = opts.node;
    if (opts.reason) a.reason = opts.reason;
    this.actions.push(a);
    if (opts.rsc) {
      let l = this.byRsc.get(opts.rsc);
      if (!l) this.byRsc.set(opts.rsc, (l = []));
      l.push(a);
    }
    let k = this.byKey.get(key);
    if (!k) this.byKey.set(key, (k = []));
    k.push(a);
    return a;
  }

  /** Actions of a resource with a task, optionally on one node. */
  find(rsc: Resource, task: string, node?: Node): Action[] {
    const l = this.byRsc.get(rsc) ?? [];
    return l.filter((a) => a.task === task && a.intervalMs === 0 && (node === undefined || a.node === node) && !a.cancelled);
  }

  findOne(rsc: Resource, task: string, node?: Node): Action | undefined {
    return this.find(rsc, task, node)[0];
  }

  byKeyName(key: string): Action[] {
    return this.byKey.get(key) ?? [];
  }

  allFor(rsc: Resource): Action[] {
    return this.byRsc.get(rsc) ?? [];
  }

  /** Orders `first` before `then` with the given flags (duplicate edges merge their flags). */
  order(first: Action, then: Action, flags: OrderFlags): void {
    if (first === then) return;
    const existing = first.after.find((e) => e.action === then);
    if (existing) {
      Object.assign(existing.flags, mergeFlags(existing.flags, flags));
      const back = then.before.find((e) => e.action === first)!;
      back.flags = existing.flags;
      return;
    }
    const f = { ...flags };
    first.after.push({ action: then, flags: f });
    then.before.push({ action: first, flags: f });
  }
}

function mergeFlags(a: OrderFlags, b: OrderFlags): OrderFlags {
  const out: OrderFlags = { ...a };
  for (const [k, v] of Object.entries(b)) if (v) (out as Record<string, unknown>)[k] = v;
  return out;
}

/** "required rsc1 start" / "unrunnable rsc1 start": why an action changed. */
function reasonText(change: 'required' | 'unrunnable', cause: Action): string {
  const task = cause.task;
  return cause.rsc ? `${change} ${cause.rsc.id} ${task}` : `${change} ${task}`;
}

function setReason(a: Action, reason: string): void {
  a.reason ??= reason;
}

/** Makes `then` required because `first` is, noting why when they concern different resources. */
function require(then: Action, cause: Action): boolean {
  if (!then.optional) return false;
  then.optional = false;
  if (then.rsc !== cause.rsc) setReason(then, reasonText('required', cause));
  return true;
}

function disable(then: Action, cause: Action): boolean {
  if (!then.runnable) return false;
  then.runnable = false;
  if (then.rsc !== cause.rsc) setReason(then, reasonText('unrunnable', cause));
  return true;
}

/** Applies ordering flags until a fixed point: requiredness flows along implies-edges, unrunnability along runnable-left edges. */
export function propagate(graph: ActionGraph): void {
  let changed = true;
  let rounds = 0;
  while (changed && rounds++ < 1000) {
    changed = false;
    for (const first of graph.actions) {
      for (const edge of first.after) {
        if (applyEdge(first, edge)) changed = true;
      }
    }
    for (const then of graph.actions) {
      if (applyOneOrMore(then)) changed = true;
    }
  }
}

function applyEdge(first: Action, edge: ActionEdge): boolean {
  const then = edge.action;
  const f = edge.flags;
  let changed = false;
  if (f.impliesThen && !first.optional && then.optional && (!f.sameNode || first.node === then.node)) changed = require(then, first) || changed;
  if (f.impliesFirst && !then.optional && first.optional) changed = require(first, then) || changed;
  if (f.restart && first.optional) {
    // A restart: when "then" (a start) is required, or can no longer run for a managed resource,
    // "first" (the stop) becomes required.
    const due = !then.optional || (!then.runnable && (then.rsc?.managed ?? false));
    if (due && (first.runnable || !then.optional)) changed = require(first, then) || changed;
  }
  // A stop that cannot run holds back what must follow it, but only when it is needed at all.
  const firstMatters = !(first.task === 'stop' || first.task === 'demote') || !first.optional;
  if (f.runnableLeft && !f.oneOrMore && !first.runnable && then.runnable && firstMatters && (!f.asymmetrical || !then.optional)) changed = disable(then, first) || changed;
  return changed;
}

/** "then" needs at least one of its one-or-more inputs (per group) to be runnable. */
function applyOneOrMore(then: Action): boolean {
  const groups = new Map<string, ActionEdge[]>();
  for (const e of then.before) {
    if (!e.flags.oneOrMore) continue;
    const k = e.flags.oneOrMoreGroup ?? '';
    let l = groups.get(k);
    if (!l) groups.set(k, (l = []));
    l.push(e);
  }
  let changed = false;
  for (const [, edges] of groups) {
    const need = then.requiredRunnableBefore ?? 1;
    if (edges.filter((e) => e.action.runnable).length >= need) continue;
    if (then.runnable) {
      then.runnable = false;
      const cause = edges[0]!.action;
      if (then.rsc !== cause.rsc) setReason(then, reasonText('unrunnable', cause));
      changed = true;
    }
  }
  return changed;
}
