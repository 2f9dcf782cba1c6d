// Utilization-based placement (placement-strategy utilization/minimal/balanced): a node is only a
// candidate when its remaining capacity covers what the resource (and the unassigned resources
// that must run with it) need.
import { INFINITY } from '../../cib/score.ts';
import type { Node, Resource, WorkingSet } from '../types.ts';
import { descendants } from '../unpack/resources.ts';

export function initCapacity(ws: WorkingSet): void {
  for (const n of ws.nodes) n.remainingCapacity = new Map(n.utilization);
}

export function consumeCapacity(node: Node, r: Resource): void {
  for (const [k, v] of r.utilization) node.remainingCapacity.set(k, (node.remainingCapacity.get(k) ?? 0) - v);
}

function hasCapacity(node: Node, need: Map<string, number>): boolean {
  for (const [k, v] of need) if ((node.remainingCapacity.get(k) ?? 0) < v) return false;
  return true;
}

/** The resource plus every still-unassigned resource tied to it by a mandatory colocation. */
function colocatedUnassigned(r: Resource, seen = new Set<Resource>()): Set<Resource> {
  if (seen.has(r)) return seen;
  seen.add(r);
  for (const c of r.thisWithColocations) if (c.score >= INFINITY && c.primary.provisional) colocatedUnassigned(c.primary, seen);
  for (const c of r.withThisColocations) if (c.score >= INFINITY && c.dependent.provisional) colocatedUnassigned(c.dependent, seen);
  return seen;
}

function totalUtilization(rs: Iterable<Resource>): Map<string, number> {
  const total = new Map<string, number>();
  for (const r of rs) for (const d of descendants(r)) if (d.kind === 'primitive') for (const [k, v] of d.utilization) total.set(k, (total.get(k) ?? 0) + v);
  return total;
}

/** Bans nodes without room for the resource; with "prefer", drops the preference if it lacks room. */
export function banInsufficientCapacity(ws: WorkingSet, r: Resource, prefer: { node: Node | undefined }): void {
  if (ws.options.placementStrategy === 'default') return;
  if (r.utilization.size === 0 && ![...r.thisWithColocations, ...r.withThisColocations].some((c) => c.score >= INFINITY)) return;
  let need = totalUtilization(colocatedUnassigned(r));
  const anyFits = [...r.allowed.keys()].some((id) => hasCapacity(ws.nodesById.get(id)!, need));
  if (!anyFits) need = new Map(r.utilization);
  for (const [id] of r.allowed) {
    const node = ws.nodesById.get(id)!;
    if (!hasCapacity(node, need)) {
      r.allowed.set(id, -INFINITY);
      ws.decisions.push(`Resource ${r.id} cannot run on ${node.name}: not enough capacity`);
    }
  }
  if (prefer.node && !hasCapacity(prefer.node, need)) prefer.node = undefined;
}
