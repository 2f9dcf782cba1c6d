// Assignment of resources to nodes. A resource first takes the nodes its primaries (the resources
// it is colocated with) were given, then folds in the preferences of its own dependents, then picks
// the best node: highest score, then fewest resources already assigned, then its current node,
// then name. Groups assign member by member; clones spread instances (clone.ts).
import { INFINITY, addScores } from '../../cib/score.ts';
import type { Role } from '../../cib/model.ts';
import type { Colocation, Node, Resource, WorkingSet } from '../types.ts';
import { canRunResources } from './scores.ts';
import { assignClone, colocateWithClone } from './clone.ts';
import { consumeCapacity, banInsufficientCapacity } from './utilization.ts';

export type Scores = Map<string, number>;

/** A log of the scores each assignment step saw, in crm_simulate's --show-scores format. */
export function logScores(ws: WorkingSet, fn: string, r: Resource, scores: Scores): void {
  const log = ws.scoreLog;
  if (!log) return;
  for (const n of ws.nodes) {
    const s = scores.get(n.id);
    if (s === undefined) continue;
    log.push(`${fn}: ${r.id} allocation score on ${n.name}: ${s >= INFINITY ? 'INFINITY' : s <= -INFINITY ? '-INFINITY' : s}`);
  }
}

export function assign(ws: WorkingSet, r: Resource, prefer?: Node): Node | undefined {
  switch (r.kind) {
    case 'primitive':
      return assignPrimitive(ws, r, prefer);
    case 'group':
      return assignGroup(ws, r, prefer);
    case 'clone':
      return assignClone(ws, r, prefer);
    case 'bundle':
      return ws.assignBundle ? ws.assignBundle(ws, r, prefer) : undefined;
  }
}

/** The node a resource is (or will be) on, for colocation purposes. */
export function assignedNode(r: Resource): Node | undefined {
  if (r.kind === 'primitive') return r.assignedTo;
  if (r.kind === 'group') return r.children[0]?.assignedTo;
  return r.assignedTo;
}

/** Whether a colocation should shape placement now (roles must match the next roles). */
function colocationAffectsPlacement(c: Colocation, dependent: Resource, primary: Resource): boolean {
  if (primary.provisional) return false;
  if (!dependent.provisional) return false;
  if (c.dependentRole !== undefined && c.dependentRole !== dependent.nextRole && dependent.nextRole !== 'Unknown') {
    // A role-limited colocation waits for promotion decisions.
    if (!(c.dependentRole === 'Unpromoted' && dependent.nextRole === 'Started')) return false;
  }
  if (c.dependentRole !== undefined && (c.dependentRole === 'Promoted' || c.dependentRole === 'Unpromoted') && dependent.parent?.promotable) return false;
  if (c.primaryRole !== undefined && c.primaryRole !== primary.nextRole) {
    if (!(primary.kind === 'clone' && primary.promotable)) return false;
  }
  return true;
}

/** Applies a primary's assignment to a dependent's node scores. */
export function applyColocation(ws: WorkingSet, dependent: Resource, primary: Resource, c: Colocation): void {
  if (primary.kind === 'clone' || primary.kind === 'bundle') {
    colocateWithClone(ws, dependent, primary, c);
    return;
  }
  if (primary.kind === 'group') {
    // Colocation with a group means with its last member when mandatory, else its first.
    const member = c.score >= INFINITY ? primary.children[primary.children.length - 1] : primary.children[0];
    if (member) applyColocation(ws, dependent, member, c);
    return;
  }
  applyColocationToScores(ws, dependent, primary.assignedTo, c);
}

/** Folds "dependent is colocated with something placed on `target`" into the dependent's scores. */
export function applyColocationToScores(ws: WorkingSet, dependent: Resource, target: Node | undefined, c: Colocation): void {
  const attr = c.nodeAttribute;
  if (!target && c.score < 0) return;
  const value = target ? target.attrs.get(attr) : undefined;
  const work = new Map(dependent.allowed);
  for (const [id, w] of work) {
    const node = ws.nodesById.get(id)!;
    if (!target) {
      work.set(id, addScores(-c.score, w));
      continue;
    }
    if (node.attrs.get(attr) !== undefined && node.attrs.get(attr) === value) {
      // A mandatory colocation is a requirement, not a preference: it adds nothing where satisfied.
      if (c.score < INFINITY) work.set(id, addScores(c.score, w));
    } else if (c.score >= INFINITY) {
      work.set(id, -INFINITY);
    }
  }
  if (c.score <= -INFINITY || c.score >= INFINITY || anyAvailable(ws, work)) dependent.allowed = work;
}

export function anyAvailable(ws: WorkingSet, scores: Scores): boolean {
  for (const [id, w] of scores) if (w >= 0 && canRunResources(ws.nodesById.get(id))) return true;
  return false;
}

/** Highest score among a resource's available nodes whose attribute equals the value. */
function bestScoreMatching(ws: WorkingSet, r: Resource, attr: string, value: string | undefined): number {
  let best = -INFINITY;
  for (const [id, w] of r.allowed) {
    const node = ws.nodesById.get(id)!;
    if (w > best && canRunResources(node) && node.attrs.get(attr) === value) best = w;
  }
  return best;
}

export interface MergeFlags {
  /** Start from the resource's own scores rather than the given ones. */
  init?: boolean;
  /** Follow "this with" colocations (towards primaries) instead of dependents. */
  forward?: boolean;
  /** Give up the merge when no node remains usable. */
  rollback?: boolean;
  /** Only let preferences raise scores, never push a usable node negative. */
  positive?: boolean;
}

const UNUSABLE = -INFINITY - 1;

function addMatchingScores(ws: WorkingSet, work: Scores, r: Resource, attr: string, factor: number, onlyPositive: boolean): void {
  // Node names and ids are unique: the only matching node is the node itself.
  const byNode = attr === '#uname' || attr === '#id';
  for (const [id, w] of work) {
    const node = ws.nodesById.get(id)!;
    let score: number;
    if (byNode) {
      const own = r.allowed.get(id);
      score = own !== undefined && canRunResources(node) ? own : -INFINITY;
    } else score = bestScoreMatching(ws, r, attr, node.attrs.get(attr));
    if (factor < 0 && score < 0) continue; // a double negative must not become a preference
    if (w === UNUSABLE) continue;
    const f = factor * score;
    let weight = Math.round(Math.abs(f)) * Math.sign(f);
    if (weight === 0 && score !== 0) weight = factor > 0 ? 1 : factor < 0 ? -1 : 0;
    const next = addScores(weight, w);
    if (onlyPositive && next < 0 && w > 0) {
      work.set(id, UNUSABLE);
      continue;
    }
    if (onlyPositive && next < 0 && w === 0) continue;
    work.set(id, next);
  }
}

function isGroupWithMembers(r: Resource): boolean {
  return r.kind === 'group' && r.children.length > 0;
}

/**
 * Combines a resource's node preferences (and, recursively, those of resources colocated with it)
 * into the given scores, scaled by factor. This is how a primary learns where its dependents
 * would like to be, and how the assignment order is decided.
 */
export function mergeScores(ws: WorkingSet, r: Resource, scores: Scores | undefined, attr: string, factor: number, flags: MergeFlags): Scores | undefined {
  if (r.merging) return scores;
  r.merging = true;
  let work: Scores;
  let nextFlags = flags;
  if (flags.init) {
    if (isGroupWithMembers(r)) work = mergeScores(ws, r.children[r.children.length - 1]!, undefined, attr, factor, flags) ?? new Map();
    else work = new Map(r.allowed);
    nextFlags = { ...flags, init: false };
  } else if (isGroupWithMembers(r)) {
    work = mergeScores(ws, r.children[r.children.length - 1]!, scores, attr, factor, flags) ?? new Map();
  } else {
    work = new Map(scores ?? []);
    addMatchingScores(ws, work, r, attr, factor, !!flags.positive);
  }
  if (anyAvailable(ws, work)) {
    const multiplier = factor < 0 ? -1 : 1;
    let list: Colocation[];
    if (flags.forward) list = r.thisWithColocations;
    else if (isGroupWithMembers(r)) list = colocationsOf(r.children[r.children.length - 1]!, 'withThis');
    else list = colocationsOf(r, 'withThis');
    for (const c of list) {
      let other: Resource;
      if (flags.forward) other = c.primary;
      else if (!c.influence) continue;
      else other = c.dependent;
      work = mergeScores(ws, other, work, c.nodeAttribute, (multiplier * c.score) / INFINITY, { ...nextFlags, rollback: true }) ?? work;
    }
  } else if (flags.rollback) {
    r.merging = false;
    return scores;
  }
  if (flags.positive) for (const [id, w] of work) if (w === UNUSABLE) work.set(id, 1);
  r.merging = false;
  return work;
}

/** Nodes ordered best first: score, then (for default/balanced placement) fewest assigned, then current node, then name. */
export function sortNodes(ws: WorkingSet, scores: Scores, current?: Node): Node[] {
  const nodes = [...scores.keys()].map((id) => ws.nodesById.get(id)!).filter(Boolean);
  const eff = (n: Node) => (canRunResources(n) ? scores.get(n.id)! : -INFINITY);
  return nodes.sort((a, b) => {
    const d = eff(b) - eff(a);
    if (d !== 0) return d;
    if (ws.options.placementStrategy !== 'minimal') {
      if (ws.options.placementStrategy === 'balanced') {
        const c = compareCapacity(a, b);
        if (c !== 0) return c;
      }
      if (a.assignedCount !== b.assignedCount) return a.assignedCount - b.assignedCount;
    }
    if (current) {
      if (a === current) return -1;
      if (b === current) return 1;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** Balanced placement prefers the node with more free capacity, counted over every utilization name. */
function compareCapacity(a: Node, b: Node): number {
  let result = 0;
  for (const [k, va] of a.remainingCapacity) {
    const vb = b.remainingCapacity.get(k) ?? 0;
    if (va > vb) result--;
    else if (va < vb) result++;
  }
  for (const [k, vb] of b.remainingCapacity) {
    if (a.remainingCapacity.has(k)) continue;
    if (vb > 0) result++;
  }
  return result;
}

/** The node a resource is active on (first one, if several). */
export function currentNode(r: Resource): Node | undefined {
  return r.runningOn[0];
}

function chooseNode(ws: WorkingSet, r: Resource, prefer?: Node): Node | undefined {
  const preferRef = { node: prefer };
  banInsufficientCapacity(ws, r, preferRef);
  prefer = preferRef.node;
  const current = currentNode(r);
  const nodes = sortNodes(ws, r.allowed, current);
  let chosen: Node | undefined;
  if (prefer) {
    const s = r.allowed.get(prefer.id);
    if (s !== undefined && s >= 0 && canRunResources(prefer)) chosen = prefer;
  }
  if (!chosen && nodes.length > 0) {
    chosen = nodes[0]!;
    const uniqueInstance = r.parent?.kind === 'clone' && r.parent.unique;
    if (!uniqueInstance && (r.allowed.get(chosen.id) ?? 0) > 0 && canRunResources(chosen) && current && canRunResources(current)) {
      const best = r.allowed.get(chosen.id)!;
      for (const n of nodes) {
        if ((r.allowed.get(n.id) ?? -INFINITY) < best) break;
        if (n === current) {
          chosen = n;
          break;
        }
      }
    }
    const score = r.allowed.get(chosen.id) ?? -INFINITY;
    if (score < 0 || !canRunResources(chosen)) chosen = undefined;
  }
  return chosen;
}

/** Records an assignment (or none) and updates the node's counters. */
export function assignTo(ws: WorkingSet, r: Resource, node: Node | undefined, force = false): void {
  r.provisional = false;
  if (!node) {
    r.assignedTo = undefined;
    if (r.nextRole === 'Unknown' || force) r.nextRole = 'Stopped';
    r.nextRole = 'Stopped';
    return;
  }
  r.assignedTo = node;
  r.assignedScore = r.allowed.get(node.id) ?? 0;
  node.assignedCount++;
  consumeCapacity(node, r);
  if (r.nextRole === 'Unknown' || r.nextRole === 'Stopped') r.nextRole = r.promotable ? 'Unpromoted' : 'Started';
}

export function assignPrimitive(ws: WorkingSet, r: Resource, prefer?: Node): Node | undefined {
  if (!r.provisional) return r.assignedTo;
  if (r.assigning) {
    ws.decisions.push(`Dependency loop detected involving ${r.id}`);
    return undefined;
  }
  r.assigning = true;
  for (const c of colocationsOf(r, 'thisWith')) {
    assign(ws, c.primary);
    if (colocationAffectsPlacement(c, r, c.primary)) applyColocation(ws, r, c.primary, c);
  }
  for (const c of colocationsOf(r, 'withThis')) {
    if (!c.influence) continue;
    r.allowed = mergeScores(ws, c.dependent, r.allowed, c.nodeAttribute, c.score / INFINITY, { rollback: true }) ?? r.allowed;
  }
  if (r.nextRole === 'Stopped') {
    for (const id of r.allowed.keys()) r.allowed.set(id, -INFINITY);
  } else if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze' && rankOf(r.nextRole) > rankOf(r.role)) {
    r.nextRole = r.role;
  }
  logScores(ws, 'pcmk__primitive_assign', r, r.allowed);
  if (!r.managed) {
    const node = currentNode(r);
    r.nextRole = r.role;
    assignTo(ws, r, node, true);
    if (node) r.nextRole = r.role;
  } else if (ws.options.stopAllResources) {
    assignTo(ws, r, undefined, true);
  } else {
    assignTo(ws, r, chooseNode(ws, r, prefer));
  }
  r.assigning = false;
  return r.assignedTo;
}

function rankOf(role: Role): number {
  return { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 }[role];
}

/**
 * The colocations that apply to a primitive, including those inherited from its group (group
 * members follow the first member; "with the group" means with the last) and from its clone.
 */
export function colocationsOf(r: Resource, side: 'thisWith' | 'withThis'): Colocation[] {
  const own = side === 'thisWith' ? r.thisWithColocations : r.withThisColocations;
  const extra = side === 'thisWith' ? r.inheritedThisWith : r.inheritedWithThis;
  return extra && extra.length ? [...own, ...extra] : own;
}

export function assignGroup(ws: WorkingSet, g: Resource, prefer?: Node): Node | undefined {
  if (!g.provisional) return assignedNode(g);
  if (g.assigning) {
    ws.decisions.push(`Dependency loop detected involving ${g.id}`);
    return undefined;
  }
  const first = g.children[0];
  if (!first) {
    g.provisional = false;
    return undefined;
  }
  g.assigning = true;
  g.role = first.role;
  expandGroupColocations(g);
  logScores(ws, 'pcmk__group_assign', g, g.allowed);
  for (const c of g.children) logScores(ws, 'pcmk__group_assign', c, c.allowed);
  let groupNode: Node | undefined;
  for (const c of g.children) {
    const n = assign(ws, c, prefer);
    groupNode ??= n;
  }
  g.nextRole = first.nextRole;
  g.assigning = false;
  g.provisional = false;
  g.assignedTo = groupNode;
  return groupNode;
}

/** Order in which top-level resources are assigned: by priority, then as configured. */
export function assignmentOrder(ws: WorkingSet): Resource[] {
  const list = ws.resources.filter((r) => !r.parent);
  const indexed = list.map((r, i) => ({ r, i }));
  // Higher priority first; otherwise the order of the configuration (the sort is stable).
  indexed.sort((x, y) => y.r.priority - x.r.priority || x.i - y.i);
  return indexed.map((x) => x.r);
}

/**
 * Wires a group's colocations onto its members when the group is assigned: "group with X" becomes
 * "first member with X" (the others follow the first), "X with group" becomes "X with last member".
 */
function expandGroupColocations(g: Resource): void {
  if (g.groupExpanded) return;
  g.groupExpanded = true;
  const first = g.children[0]!;
  const last = g.children[g.children.length - 1]!;
  const groupThisWith = colocationsOf(g, 'thisWith');
  first.inheritedThisWith = [...(first.inheritedThisWith ?? []), ...groupThisWith];
  // With an unmanaged member, later members need the mandatory colocations themselves.
  let anyUnmanaged = !first.managed;
  for (const m of g.children.slice(1)) {
    if (anyUnmanaged) m.inheritedThisWith = [...(m.inheritedThisWith ?? []), ...groupThisWith.filter((c) => c.score >= INFINITY)];
    else if (!m.managed) anyUnmanaged = true;
  }
  last.inheritedWithThis = [...(last.inheritedWithThis ?? []), ...colocationsOf(g, 'withThis')];
}
