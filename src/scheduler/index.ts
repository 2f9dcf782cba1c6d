// The scheduler: a pure function of (CIB, now). It unpacks the CIB into a working set, places
// every resource, creates the actions that get the cluster from where it is to where it should be,
// orders them, and summarises the transition. No I/O, no clock, no randomness.
import type { Cib } from '../cib/model.ts';
import type { Action, Node, Resource, WorkingSet } from './types.ts';
import { unpackCib } from './unpack/index.ts';
import { descendants } from './unpack/resources.ts';
import { unpackConstraints } from './constraints.ts';
import { computeInitialScores } from './placement/scores.ts';
import { initCapacity } from './placement/utilization.ts';
import { assign, assignmentOrder } from './placement/assign.ts';
import { prepareBundlesAndRemotes } from './placement/bundle.ts';
import { ActionGraph, propagate } from './actions/graph.ts';
import { cancelBlockedMigrations, createPrimitiveActions, orderMigrations } from './actions/create.ts';
import { createConstraintOrders, createFencingOrders, createImplicitOrders } from './actions/order.ts';
import { transitionSummary } from './actions/summary.ts';
import { createBundleOrders } from './actions/bundle.ts';
import { checkDefinitions } from './digests.ts';
import { applyNodeHealth } from './placement/health.ts';

export interface ScheduleOptions {
  /** Record allocation and promotion scores (crm_simulate --show-scores). */
  scores?: boolean;
}

export interface ScheduleResult {
  ws: WorkingSet;
  graph: ActionGraph;
  fences: Action[];
  summary: string[];
  scores: string[];
}

/** Target roles limit what a resource may become before placement starts. */
function applyTargetRoles(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.targetRole === 'Stopped') r.nextRole = 'Stopped';
    }
  }
}

/** Resources tied to a ticket that is not granted may not run (or not be promoted). */
function applyTickets(ws: WorkingSet): void {
  for (const dep of ws.ticketDeps) {
    const t = ws.tickets.get(dep.ticket);
    const ok = t !== undefined && t.granted && !t.standby;
    if (ok) continue;
    if (dep.lossPolicy === 'fence' && t !== undefined && !t.granted) fenceTicketHolders(ws, dep.rsc, dep.role);
    // For the promoted role, only loss-policy=stop stops the whole resource; the rest is decided when promoting.
    if (dep.role === 'Promoted' && dep.lossPolicy !== 'stop') continue;
    if (dep.lossPolicy === 'freeze' && t?.granted !== true) {
      // Freeze: what runs is left exactly as it is (no recovery, no stop); nothing new starts.
      for (const r of descendants(dep.rsc)) {
        if (r.runningOn.length > 0) r.managed = false;
        else for (const id of r.allowed.keys()) r.allowed.set(id, -1_000_000);
      }
      continue;
    }
    for (const r of descendants(dep.rsc)) {
      for (const id of r.allowed.keys()) r.allowed.set(id, -1_000_000);
    }
  }
}

/** loss-policy=fence: every node where the resource is active (in the role) must be fenced. */
function fenceTicketHolders(ws: WorkingSet, rsc: Resource, role: string | undefined): void {
  for (const r of descendants(rsc)) {
    if (r.kind !== 'primitive') continue;
    if (role === 'Promoted' && r.role !== 'Promoted') continue;
    for (const node of r.runningOn) {
      if (node.unclean) continue;
      node.unclean = true;
      node.fenceReason = 'deadman ticket was lost';
    }
  }
}

function canFence(ws: WorkingSet, node: Node): boolean {
  if (!ws.options.stonithEnabled) return false;
  if (node.kind === 'guest') return true;
  if (ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore') return true;
  return node.online;
}

function createFencing(ws: WorkingSet, graph: ActionGraph): Action[] {
  const fences: Action[] = [];
  for (const node of ws.nodes) {
    if (!node.unclean || !canFence(ws, node)) continue;
    node.fenceScheduled = true;
    const type = ws.options.stonithAction;
    const a = graph.create({ task: 'stonith', key: `stonith-${node.name}-${type}`, node, optional: false, reason: node.fenceReason ?? 'node is unclean' });
    a.fenceTarget = node;
    a.fenceType = type;
    fences.push(a);
  }
  return fences;
}

/**
 * Devices that provide unfencing (fence_scsi, fence_mpath) need every node unfenced ("Fence (on)")
 * before anything that requires unfencing runs there; a node records it in #node-unfenced.
 */
function createUnfencing(ws: WorkingSet, graph: ActionGraph): Action[] {
  if (!ws.options.stonithEnabled) return [];
  const devices = ws.resources.flatMap((top) => [...descendants(top)]).filter((r) => r.kind === 'primitive' && r.agent?.class === 'stonith' && r.meta.get('provides') === 'unfencing');
  const device = devices[0];
  if (!device) return [];
  const out: Action[] = [];
  for (const node of ws.nodes) {
    if (node.kind !== 'member' || !node.online || node.unclean || node.attrs.has('#node-unfenced')) continue;
    const a = graph.create({ task: 'stonith', key: `stonith-${node.name}-on`, node, optional: false, reason: `required by ${device.id} monitor` });
    a.fenceTarget = node;
    a.fenceType = 'on';
    out.push(a);
  }
  return out;
}

export function schedule(cib: Cib, now: number, opts: ScheduleOptions = {}): ScheduleResult {
  return scheduleWorkingSet(unpackCib(cib, now), opts);
}

/** Schedules an already unpacked working set (it is changed by placement). */
export function scheduleWorkingSet(ws: WorkingSet, opts: ScheduleOptions = {}): ScheduleResult {
  if (opts.scores) ws.scoreLog = [];
  unpackConstraints(ws);
  computeInitialScores(ws);
  applyNodeHealth(ws);
  initCapacity(ws);
  applyTargetRoles(ws);
  applyTickets(ws);
  prepareBundlesAndRemotes(ws);
  for (const r of assignmentOrder(ws)) assign(ws, r);
  checkDefinitions(ws);
  const graph = new ActionGraph(ws);
  const fenceNodes = ws.nodes.filter((n) => n.unclean && canFence(ws, n));
  for (const n of fenceNodes) n.fenceScheduled = true;
  for (const top of ws.resources) {
    for (const r of descendants(top)) if (r.kind === 'primitive') createPrimitiveActions(graph, r);
  }
  const fences = createFencing(ws, graph);
  const unfences = createUnfencing(ws, graph);
  createImplicitOrders(graph);
  createConstraintOrders(graph);
  fences.push(...createBundleOrders(graph));
  createFencingOrders(graph, fences);
  for (const u of unfences) {
    for (const a of graph.actions) if (a.task === 'start' && a.node === u.fenceTarget && a.rsc && a.rsc.requires !== 'nothing') graph.order(u, a, { runnableLeft: true });
  }
  propagate(graph);
  cancelBlockedMigrations(graph);
  orderMigrations(graph);
  propagate(graph);
  fences.push(...unfences);
  const summary = transitionSummary(ws, graph, fences);
  return { ws, graph, fences, summary, scores: ws.scoreLog ?? [] };
}

export type { Resource };
