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
  if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'stop') return { runnable: false, reason: 'no quorum' };
  if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze') {
    if (r.runningOn.length === 0 || rank[norm(r, r.nextRole)] > rank[norm(r, r.role)]) return { runnable: false, reason: 'quorum freeze' };
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
  if (plan.multiplyActive) {
    if (r.multipleActive === 'block') {
      r.blocked = true;
      return plan;
    }
    plan.needStop = true;
  }
  if (current && chosen && current !== chosen) {
    plan.moving = true;
    plan.needStop = true;
  } else if (r.failed) {
    plan.needStop = true;
  }
  if (r.definitionChanged && chosen && r.definitionChanged.has(chosen.id) && current === chosen) plan.needStop = true;

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
  if (plan.multiplyActive) {
    for (const s of graph.find(r, 'stop')) s.reason ??= 'being multiply active';
  }
  return plan;
}
