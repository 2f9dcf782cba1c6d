// Actions for each primitive: the steps from its current role on its current node(s) to its next
// role on its assigned node. A resource that stays put still gets optional stop/start actions, so
// that orderings can turn them into a restart when something it depends on restarts.
import type { Role } from '../../cib/model.ts';
import type { Action, Node, Resource, WorkingSet } from '../types.ts';
import { ActionGraph } from './graph.ts';

const rank: Record<Role, number> = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 };

/** Roles of promotable instances are Unpromoted/Promoted; elsewhere Started. */
function norm(r: Resource, role: Role): Role {
  if (r.promotable && role === 'Started') return 'Unpromoted';
  return role;
}

/** Whether an action on a node can be carried out, and if not, why. */
export function runnableOn(ws: WorkingSet, r: Resource, task: string, node: Node | undefined): { runnable: boolean; reason?: string } {
  if (!node) return { runnable: false };
  if (!node.online || node.unclean) return { runnable: false };
  if (node.pending) return { runnable: false };
  const needsNothing = task === 'stop' || task === 'demote' || r.requires === 'nothing' || task === 'migrate_to';
  if (needsNothing) return { runnable: true };
  // Only a start says why quorum blocks it; what follows the start is blocked by the start.
  const why = (text: string) => (task === 'start' ? { runnable: false, reason: text } : { runnable: false });
  if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'stop') return why('no quorum');
  // Without quorum, policy "demote" keeps promotable instances running unpromoted and stops the rest.
  if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'demote') {
    const promotable = r.promotable || r.parent?.promotable === true;
    if (task === 'promote' || !promotable) return why('no quorum');
  }
  if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze') {
    if (r.runningOn.length === 0 || rank[norm(r, r.nextRole)] > rank[norm(r, r.role)]) return why('quorum freeze');
  }
  return { runnable: true };
}

export interface ActionSet {
  graph: ActionGraph;
}

/** Creates (or updates) a resource action; an existing one only becomes more required. */
function resourceAction(graph: ActionGraph, r: Resource, task: string, node: Node | undefined, optional: boolean): Action {
  const existing = graph.findOne(r, task, node);
  if (existing) {
    if (!optional) existing.optional = false;
    return existing;
  }
  const ws = graph.ws;
  const check = runnableOn(ws, r, task, node);
  const a = graph.create({ task, rsc: r, ...(node ? { node } : {}), optional, runnable: check.runnable });
  if (check.reason) a.reason = check.reason;
  if (!r.managed) a.optional = true;
  // Stopping on a node that is going to be fenced happens by the fencing itself.
  if (node && node.unclean && node.fenceScheduled && (task === 'stop' || task === 'demote')) {
    a.pseudo = true;
    a.runnable = true;
    a.impliedByFencing = true;
  }
  return a;
}

function stopActions(graph: ActionGraph, r: Resource, optional: boolean): void {
  for (const node of r.runningOn) {
    if (r.partialMigrationTarget === node && r.partialMigrationTarget === r.assignedTo) continue;
    const stop = resourceAction(graph, r, 'stop', node, optional);
    if (!r.assignedTo) stop.reason = 'node availability';
  }
}

function startAction(graph: ActionGraph, r: Resource, node: Node | undefined, optional: boolean): void {
  const start = resourceAction(graph, r, 'start', node, true);
  if (start.runnable && !optional) start.optional = false;
}

function promoteAction(graph: ActionGraph, r: Resource, node: Node | undefined, optional: boolean): void {
  const starts = graph.find(r, 'start', node);
  const startsRunnable = starts.every((s) => s.runnable);
  const promote = resourceAction(graph, r, 'promote', node, startsRunnable ? optional : true);
  if (!startsRunnable) promote.runnable = false;
}

function demoteActions(graph: ActionGraph, r: Resource, optional: boolean): void {
  for (const node of r.runningOn) resourceAction(graph, r, 'demote', node, optional);
}

/** One step between adjacent roles. */
function step(graph: ActionGraph, r: Resource, from: Role, to: Role, node: Node | undefined, optional: boolean): void {
  if (from === 'Stopped' && (to === 'Started' || to === 'Unpromoted')) startAction(graph, r, node, optional);
  else if ((from === 'Started' || from === 'Unpromoted') && to === 'Stopped') stopActions(graph, r, optional);
  else if (from === 'Unpromoted' && to === 'Promoted') promoteAction(graph, r, node, optional);
  else if (from === 'Promoted' && to === 'Unpromoted') demoteActions(graph, r, optional);
}

/** The next role on the way from one role to another. */
function nextStep(r: Resource, from: Role, to: Role): Role {
  const up = r.promotable ? 'Unpromoted' : 'Started';
  if (from === to) return to;
  if (from === 'Stopped' || from === 'Unknown') return up;
  if (from === 'Promoted') return 'Unpromoted';
  if (to === 'Promoted') return 'Promoted';
  if (to === 'Stopped') return 'Stopped';
  return to;
}

export interface PrimitivePlan {
  needStop: boolean;
  moving: boolean;
  multiplyActive: boolean;
}

export function createPrimitiveActions(graph: ActionGraph, r: Resource): PrimitivePlan {
  const current = r.runningOn[0];
  const chosen = r.assignedTo;
  let nextRole = norm(r, r.nextRole);
  if (chosen && (nextRole === 'Unknown' || nextRole === 'Stopped')) nextRole = r.promotable ? 'Unpromoted' : 'Started';
  if (!chosen) nextRole = 'Stopped';
  r.nextRole = nextRole;
  const role = norm(r, r.role === 'Unknown' ? 'Stopped' : r.role);
  r.role = role;
  const plan: PrimitivePlan = { needStop: false, moving: false, multiplyActive: r.runningOn.length > 1 };
  if (!r.managed || r.blocked) return plan;
  // A migration that got as far as migrate_to finishes when the target is still the place to be.
  const pSource = r.partialMigrationSource;
  const pTarget = r.partialMigrationTarget;
  if (pSource && pTarget && chosen === pTarget && r.allowMigrate && !r.failed && pSource.online && !pSource.unclean && pTarget.online && !pTarget.unclean) {
    createMigration(graph, r, pSource, pTarget, { migrateToDone: true });
    return plan;
  }
  if (plan.multiplyActive) {
    if (r.multipleActive === 'block') {
      r.blocked = true;
      return plan;
    }
    plan.needStop = true;
  }
  if (r.failed && r.demoteOnFailure && current && current === chosen && role === 'Promoted' && !plan.multiplyActive) {
    // on-fail=demote: demote in place, and promote again if it is still the best place to be promoted.
    const demote = resourceAction(graph, r, 'demote', current, false);
    if (nextRole === 'Promoted') graph.order(demote, resourceAction(graph, r, 'promote', current, false), { impliesThen: true, runnableLeft: true });
    return plan;
  }
  if (current && chosen && current !== chosen) {
    plan.moving = true;
    plan.needStop = true;
  } else if (r.failed) {
    plan.needStop = true;
  }
  if (plan.moving && current && chosen && canMigrate(r, current, chosen)) {
    createMigration(graph, r, current, chosen);
    return plan;
  }
  const changed = r.definitionChanged !== undefined && chosen !== undefined && r.definitionChanged.has(chosen.id) && current === chosen;
  if (changed) plan.needStop = true;
  if (r.agentChanged && current && current === chosen && r.agentChanged.has(current.id)) plan.needStop = true;

  // Down from the current role, optional unless the resource must stop.
  let at: Role = role;
  while (at !== 'Stopped') {
    const n = nextStep(r, at, 'Stopped');
    step(graph, r, at, n, current, !plan.needStop);
    at = n;
  }
  // Back up to the current role on the assigned node (a restart), when not going down.
  while (rank[role] <= rank[nextRole] && at !== role) {
    const n = nextStep(r, at, role);
    step(graph, r, at, n, chosen, !plan.needStop);
    at = n;
  }
  // The required steps from the current role to the next one.
  at = role;
  while (at !== nextRole) {
    const n = nextStep(r, at, nextRole);
    step(graph, r, at, n, chosen, false);
    at = n;
  }
  if (plan.multiplyActive && r.multipleActive === 'stop_unexpected') {
    for (const s of graph.find(r, 'stop')) s.reason ??= 'being multiply active';
  }
  if (changed) {
    for (const a of [...graph.find(r, 'stop', current), ...graph.find(r, 'start', chosen)]) a.reason ??= 'resource definition change';
  } else if (r.reload && current && current === chosen && !plan.needStop) {
    resourceAction(graph, r, 'reload-agent', current, false);
  }
  return plan;
}

/** Whether a move can be a live migration: a started, healthy, unique primitive between two good nodes. */
function canMigrate(r: Resource, from: Node, to: Node): boolean {
  if (!r.allowMigrate || r.kind !== 'primitive' || r.failed || r.blocked || !r.managed) return false;
  if (r.parent?.kind === 'clone' || r.container || r.isRemoteConnection && r.containerOf) return false;
  if (r.runningOn.length !== 1 || r.role !== 'Started' || r.nextRole !== 'Started') return false;
  if (!from.online || from.unclean || from.pending || !to.online || to.unclean) return false;
  return true;
}

/**
 * migrate_to on the source (unless the history shows it done already), migrate_from on the target,
 * then the source's stop; the start is implied.
 */
function createMigration(graph: ActionGraph, r: Resource, from: Node, to: Node, opts: { migrateToDone?: boolean } = {}): void {
  r.migrating = { source: from, target: to };
  const migrateFrom = resourceAction(graph, r, 'migrate_from', to, false);
  if (!opts.migrateToDone) graph.order(resourceAction(graph, r, 'migrate_to', from, false), migrateFrom, { impliesThen: true, runnableLeft: true });
  const stop = resourceAction(graph, r, 'stop', from, false);
  const start = resourceAction(graph, r, 'start', to, false);
  start.pseudo = true;
  graph.order(migrateFrom, stop, { impliesThen: true, runnableLeft: true });
  graph.order(migrateFrom, start, { impliesThen: true, runnableLeft: true });
}

/**
 * A resource can only migrate when nothing it is ordered after is restarted: a dependency that
 * stops and starts again needs it stopped first. Such migrations become plain moves.
 */
export function cancelBlockedMigrations(graph: ActionGraph): void {
  for (const a of graph.actions) {
    if (a.task !== 'migrate_to' || a.cancelled || !a.rsc?.migrating) continue;
    const r = a.rsc;
    const start = graph.findOne(r, 'start', r.migrating!.target);
    if (!start) continue;
    for (const e of start.before) {
      const f = e.action;
      if (!f.rsc || f.rsc === r || (f.task !== 'start' && f.task !== 'running')) continue;
      // Its own group's or clone's milestones wrap it; they are not something it depends on.
      if (isAncestor(f.rsc, r)) continue;
      // An optional (kind=Optional) ordering does not tie the migration to a restart.
      if (!e.flags.impliesThen && !e.flags.runnableLeft) continue;
      if (!restarting(graph, f.rsc)) continue;
      cancelMigration(graph, r, `unrunnable ${f.rsc.id} stop`);
      break;
    }
  }
}

function restarting(graph: ActionGraph, x: Resource): boolean {
  if (x.kind !== 'primitive') return x.children.some((c) => restarting(graph, c));
  if (x.migrating) return false;
  const stops = graph.allFor(x).filter((a) => a.task === 'stop' && !a.optional && !a.cancelled);
  const starts = graph.allFor(x).filter((a) => a.task === 'start' && !a.optional && !a.cancelled);
  return stops.length > 0 && starts.length > 0;
}

function cancelMigration(graph: ActionGraph, r: Resource, reason: string): void {
  const m = r.migrating!;
  r.migrating = undefined;
  for (const a of graph.allFor(r)) if (a.task === 'migrate_to' || a.task === 'migrate_from') a.cancelled = true;
  const start = graph.findOne(r, 'start', m.target);
  if (start) start.pseudo = false;
  const stop = graph.findOne(r, 'stop', m.source);
  if (stop) stop.reason = reason;
  if (stop && start) graph.order(stop, start, { impliesThen: true, restart: true });
}

/** A migrating resource's migrate_to waits for whatever its start waits for. */
export function orderMigrations(graph: ActionGraph): void {
  for (const a of graph.actions) {
    if (a.task !== 'migrate_to' || a.cancelled || !a.rsc?.migrating) continue;
    const start = graph.findOne(a.rsc, 'start', a.rsc.migrating.target);
    if (!start) continue;
    for (const e of [...start.before]) {
      if (e.action.rsc === a.rsc) continue;
      graph.order(e.action, a, { ...e.flags });
    }
  }
}

function isAncestor(a: Resource, r: Resource): boolean {
  for (let p = r.parent; p; p = p.parent) if (p === a) return true;
  return false;
}
