// Clone placement: instances are ordered (active ones first), kept where they run when that node
// still has room for them, then spread over the remaining nodes up to clone-max, clone-node-max per
// node. Promotable clones then choose which instances to promote (promotion.ts).
import { INFINITY, addScores } from '../../cib/score.ts';
import type { Colocation, Node, Resource, WorkingSet } from '../types.ts';
import { descendants, primitivesOf } from '../unpack/resources.ts';
import { canRunResources } from './scores.ts';
import { applyColocationToScores, assign, colocationsOf, logScores, mergeScores, sortNodes, anyAvailable, type Scores } from './assign.ts';
import { addPromotionScoresToPlacement, setPromotableRoles } from './promotion.ts';

/** Nodes an instance is active on (any of its primitives). */
export function instanceNodes(inst: Resource): Node[] {
  const out: Node[] = [];
  for (const p of primitivesOf(inst)) for (const n of p.runningOn) if (!out.includes(n)) out.push(n);
  return out;
}

/** Where an instance is assigned (first primitive's node for a group instance). */
export function instanceAssigned(inst: Resource): Node | undefined {
  if (inst.kind === 'primitive') return inst.assignedTo;
  if (inst.kind === 'group') return inst.children[0]?.assignedTo ?? inst.assignedTo;
  return inst.assignedTo;
}

function instanceFailed(inst: Resource): boolean {
  return primitivesOf(inst).some((p) => p.failed);
}

/** Instance order for assignment (see the module comment). */
function compareInstances(ws: WorkingSet, clone: Resource, a: Resource, b: Resource): number {
  const na = instanceNodes(a);
  const nb = instanceNodes(b);
  if (na.length > 0 && nb.length > 0 && na.length !== nb.length) return na.length - nb.length;
  let ca: Node | undefined = na[0];
  let cb: Node | undefined = nb[0];
  let canA = true;
  let canB = true;
  if (ca) {
    const s = a.allowed.get(ca.id);
    if (s === undefined || s < 0) {
      ca = undefined;
      canA = false;
    }
  }
  if (cb) {
    const s = b.allowed.get(cb.id);
    if (s === undefined || s < 0) {
      cb = undefined;
      canB = false;
    }
  }
  if (canA !== canB) return canA ? -1 : 1;
  if (a.priority !== b.priority) return b.priority - a.priority;
  if (!ca && !cb) {
    // Neither runs anywhere: the one with the stronger preference for some node goes first.
    const ba = bestScore(ws, a);
    const bb = bestScore(ws, b);
    return ba !== bb ? bb - ba : 0;
  }
  if (ca !== cb) {
    if (!ca) return 1;
    if (!cb) return -1;
  }
  const runA = canRunResources(ca);
  const runB = canRunResources(cb);
  if (runA !== runB) return runA ? -1 : 1;
  const fa = instanceFailed(a);
  const fb = instanceFailed(b);
  if (fa !== fb) return fa ? 1 : -1;
  // Scores on the current node once the clone's colocations are folded in.
  const wa = colocatedWeight(ws, clone, a, ca!);
  const wb = colocatedWeight(ws, clone, b, cb!);
  if (wa !== wb) return wb - wa;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

function bestScore(ws: WorkingSet, inst: Resource): number {
  let best = -INFINITY;
  for (const r of inst.kind === 'group' ? inst.children.slice(0, 1) : [inst]) {
    for (const [id, w] of r.allowed) if (w > best && canRunResources(ws.nodesById.get(id))) best = w;
  }
  return best;
}

function colocatedWeight(ws: WorkingSet, clone: Resource, inst: Resource, node: Node): number {
  let scores: Scores | undefined = new Map([[node.id, clone.allowed.get(node.id) ?? 0]]);
  for (const c of clone.thisWithColocations) {
    scores = mergeScores(ws, c.primary, scores, c.nodeAttribute, c.score / INFINITY, {});
  }
  for (const c of clone.withThisColocations) {
    if (!c.influence) continue;
    scores = mergeScores(ws, c.dependent, scores, c.nodeAttribute, c.score / INFINITY, { positive: true });
  }
  void inst;
  return scores?.get(node.id) ?? 0;
}

/** Stable sort (Array.prototype.sort is stable in V8). */
function sortInstances(ws: WorkingSet, clone: Resource): void {
  clone.children.sort((a, b) => compareInstances(ws, clone, a, b));
}

interface CloneCounts {
  perNode: Map<string, number>;
}

/** Gives an instance the clone's colocations: mandatory and negative ones always, the rest only when not every node gets a copy. */
function inheritCloneColocations(clone: Resource, inst: Resource, all: boolean): void {
  inst.inheritedThisWith = clone.thisWithColocations.filter((c) => all || c.score < 0 || c.score >= INFINITY);
  inst.inheritedWithThis = clone.withThisColocations.filter((c) => c.influence && (all || c.score < 0));
}

/** Bans an instance from nodes that cannot take it (unavailable, not allowed for the clone, or full). */
function banUnsuitableNodes(ws: WorkingSet, clone: Resource, inst: Resource, counts: CloneCounts, limit: number): void {
  for (const r of descendants(inst)) {
    for (const id of r.allowed.keys()) {
      const node = ws.nodesById.get(id)!;
      const cloneScore = clone.allowed.get(id);
      const full = (counts.perNode.get(id) ?? 0) >= limit;
      if (!canRunResources(node) || r.orphan || cloneScore === undefined || cloneScore < 0 || full) r.allowed.set(id, -INFINITY);
    }
  }
}

function saveScores(inst: Resource): Map<Resource, Scores> {
  const saved = new Map<Resource, Scores>();
  for (const r of descendants(inst)) saved.set(r, new Map(r.allowed));
  return saved;
}

function unassign(inst: Resource, saved: Map<Resource, Scores>): void {
  for (const r of descendants(inst)) {
    const s = saved.get(r);
    if (s) r.allowed = s;
    if (r.assignedTo) r.assignedTo.assignedCount--;
    r.assignedTo = undefined;
    r.provisional = true;
    r.nextRole = 'Unknown';
    r.groupExpanded = false;
    r.inheritedThisWith = undefined;
    r.inheritedWithThis = undefined;
  }
}

function assignInstance(ws: WorkingSet, clone: Resource, inst: Resource, prefer: Node | undefined, all: boolean, limit: number, counts: CloneCounts): Node | undefined {
  if (!inst.provisional) return instanceAssigned(inst);
  if (inst.assigning) return undefined;
  inheritCloneColocations(clone, inst, all);
  if (prefer) {
    const s = inst.allowed.get(prefer.id);
    if (s === undefined || s < 0) return undefined;
  }
  banUnsuitableNodes(ws, clone, inst, counts, limit);
  const saved = saveScores(inst);
  let chosen = assign(ws, inst, prefer);
  if (chosen && prefer && chosen !== prefer) {
    unassign(inst, saved);
    chosen = undefined;
  }
  if (chosen) counts.perNode.set(chosen.id, (counts.perNode.get(chosen.id) ?? 0) + 1);
  return chosen;
}

/** Banning every node for an instance that will not run. */
function stopInstance(ws: WorkingSet, inst: Resource): void {
  for (const r of descendants(inst)) {
    for (const id of r.allowed.keys()) r.allowed.set(id, -INFINITY);
  }
  assign(ws, inst);
}

export function assignClone(ws: WorkingSet, clone: Resource, _prefer?: Node): Node | undefined {
  if (!clone.provisional) return undefined;
  if (clone.assigning) return undefined;
  clone.assigning = true;
  for (const c of clone.thisWithColocations) assign(ws, c.primary);
  for (const c of clone.withThisColocations) {
    if (!c.influence) continue;
    clone.allowed = mergeScores(ws, c.dependent, clone.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: true }) ?? clone.allowed;
  }
  if (clone.promotable) addPromotionScoresToPlacement(ws, clone);
  logScores(ws, 'pcmk__clone_allocate', clone, clone.allowed);
  for (const inst of clone.children) for (const r of descendants(inst)) logScores(ws, 'pcmk__clone_allocate', r, r.allowed);
  sortInstances(ws, clone);
  distributeInstances(ws, clone);
  if (clone.promotable) setPromotableRoles(ws, clone, (a, b) => compareInstances(ws, clone, a, b));
  clone.provisional = false;
  clone.assigning = false;
  return undefined;
}

function distributeInstances(ws: WorkingSet, clone: Resource): void {
  const max = clone.clone!.max;
  const perHost = clone.clone!.nodeMax;
  const counts: CloneCounts = { perNode: new Map() };
  let available = 0;
  for (const id of clone.allowed.keys()) if (canRunResources(ws.nodesById.get(id))) available++;
  const all = max < available;
  let optimal = available > 0 ? Math.floor(max / available) : 0;
  if (optimal < 1) optimal = 1;
  let assigned = 0;
  // Keep instances where they are, while their node has no more than its fair share.
  for (const inst of clone.children) {
    if (assigned >= max) break;
    const nodes = instanceNodes(inst);
    if (nodes.length === 0 || !inst.provisional || instanceFailed(inst)) continue;
    const node = nodes[0]!;
    if (!canRunResources(node) || node.weight < 0) continue;
    const cloneEntry = clone.allowed.get(node.id);
    if (cloneEntry !== undefined && (counts.perNode.get(node.id) ?? 0) >= optimal) continue;
    if (assignInstance(ws, clone, inst, node, all, perHost, counts)) assigned++;
  }
  for (const inst of clone.children) {
    if (!inst.provisional) continue;
    if (assigned >= max) {
      stopInstance(ws, inst);
      continue;
    }
    if (assignInstance(ws, clone, inst, undefined, all, perHost, counts)) assigned++;
  }
}

/** The clone's instance on a node compatible with a dependent instance (for interleaved colocation). */
export function compatibleInstance(ws: WorkingSet, dependent: Resource, primary: Resource, role?: string): Resource | undefined {
  const nodes = sortNodes(ws, dependent.allowed, undefined).filter((n) => (dependent.allowed.get(n.id) ?? -INFINITY) >= 0 || dependent.assignedTo === n);
  const candidates = dependent.assignedTo ? [dependent.assignedTo, ...nodes.filter((n) => n !== dependent.assignedTo)] : nodes;
  for (const node of candidates) {
    for (const inst of primary.children) {
      if (instanceAssigned(inst) !== node) continue;
      if (role && inst.nextRole !== role) continue;
      return inst;
    }
  }
  return undefined;
}

function copiesPerNode(r: Resource): number {
  if (r.kind === 'clone') return r.clone!.nodeMax;
  return 1;
}

function excludeNodes(dependent: Resource, keep: Map<string, number>, merge: boolean): void {
  for (const [id, w] of dependent.allowed) {
    if (!keep.has(id)) dependent.allowed.set(id, -INFINITY);
    else if (merge) dependent.allowed.set(id, addScores(w, keep.get(id)!));
  }
  for (const id of keep.keys()) if (!dependent.allowed.has(id)) dependent.allowed.set(id, -INFINITY);
}

/** A dependent colocated with a clone (or bundle): with the nodes its instances were given. */
export function colocateWithClone(ws: WorkingSet, dependent: Resource, primary: Resource, c: Colocation): void {
  if (primary.provisional) return;
  if (primary.promotable && c.primaryRole !== undefined) {
    colocateWithPromotable(ws, dependent, primary, c);
    return;
  }
  const depClone = c.dependent;
  const interleave = depClone.kind === 'clone' && depClone.clone!.interleave && copiesPerNode(depClone) === copiesPerNode(primary);
  const instances = primary.kind === 'bundle' ? (primary.bundle?.replicas.map((r) => r.child ?? r.container) ?? []) : primary.children;
  if (interleave && dependent !== depClone) {
    const inst = compatibleInstance(ws, dependent, primary);
    if (inst) applyColocationToScores(ws, dependent, instanceAssigned(inst), c);
    else if (c.score >= INFINITY) {
      for (const id of dependent.allowed.keys()) dependent.allowed.set(id, -INFINITY);
    }
    return;
  }
  if (c.score >= INFINITY) {
    const keep = new Map<string, number>();
    for (const inst of instances) {
      const node = instanceAssigned(inst);
      if (node && !descendantsBlocked(inst)) keep.set(node.id, 0);
    }
    excludeNodes(dependent, keep, false);
    return;
  }
  for (const inst of instances) applyColocationToScores(ws, dependent, instanceAssigned(inst), c);
  void anyAvailable;
}

function descendantsBlocked(r: Resource): boolean {
  return [...descendants(r)].some((d) => d.blocked);
}

function colocateWithPromotable(ws: WorkingSet, dependent: Resource, primary: Resource, c: Colocation): void {
  if (dependent.provisional) {
    const keep = new Map<string, number>();
    for (const inst of primary.children) {
      const node = instanceAssigned(inst);
      if (node && inst.nextRole === c.primaryRole) keep.set(node.id, inst.assignedScore ?? 0);
    }
    if (c.dependentRole !== 'Promoted' || c.primaryRole !== 'Promoted') {
      if (c.score >= INFINITY) excludeNodes(dependent, keep, true);
    }
    return;
  }
  if (c.dependentRole === 'Promoted' && c.primaryRole === 'Promoted') {
    const inst = compatibleInstance(ws, dependent, primary, 'Promoted');
    if (!inst && c.score >= INFINITY) dependent.promotionPriority = -INFINITY;
    else if (inst) dependent.promotionPriority = addScores(dependent.promotionPriority ?? 0, c.score);
  }
  void ws;
}

export { colocationsOf };
