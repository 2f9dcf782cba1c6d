// Promotable clones: after instances are placed, each gets a promotion priority (the promotion
// score its agent set with crm_master, plus role=Promoted locations and colocations); the clone's
// node scores fold in the preferences of resources tied to the promoted role; the best instances
// up to promoted-max (promoted-node-max per node) are promoted, the others stay unpromoted.
import { INFINITY, addScores, parseScore, scoreToString } from '../../cib/score.ts';
import type { Node, Resource, WorkingSet } from '../types.ts';
import { primitivesOf } from '../unpack/resources.ts';
import { canRunResources } from './scores.ts';
import { applyColocation, mergeScores } from './assign.ts';
import { instanceAssigned, instanceNodes } from './clone.ts';

const roleRank = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 } as const;

/** The promotion score an agent recorded for an instance on a node (crm_master's master-<id>). */
function promotionScore(ws: WorkingSet, r: Resource, node: Node, notSet: number): number {
  if (r.kind === 'group') {
    let score = notSet;
    for (const c of r.children) {
      const s = promotionScore(ws, c, node, notSet);
      score = score === notSet ? s : score + s;
    }
    return score;
  }
  const anonymous = !r.unique;
  if (!(anonymous && anonymousAllowed(r, node))) {
    if (r.runningOn.length > 0 || r.knownOn.size > 0) {
      if (!r.runningOn.includes(node) && !r.knownOn.has(node.id)) return notSet;
    }
  }
  const w = r.allowed.get(node.id);
  if (w === undefined || w < 0) return notSet;
  let value = node.attrs.get(`master-${r.historyName ?? r.id}`);
  if (value === undefined && anonymous) value = node.attrs.get(`master-${r.baseId}`);
  return value !== undefined ? parseScore(value) : notSet;
}

/**
 * For anonymous clones, an instance may use the score recorded on a node unless another instance
 * is already active there (the score then belongs to that one).
 */
function anonymousAllowed(r: Resource, node: Node): boolean {
  const clone = r.parent?.kind === 'clone' ? r.parent : r.parent?.parent;
  if (!clone) return false;
  for (const inst of clone.children) {
    for (const p of primitivesOf(inst)) {
      if (p === r) continue;
      if (p.runningOn.includes(node)) return false;
    }
  }
  return true;
}

function applyPromotedLocations(ws: WorkingSet, inst: Resource, clone: Resource, node: Node): void {
  for (const loc of [...inst.locations, ...clone.locations]) {
    if (loc.role !== 'Promoted') continue;
    const s = loc.nodes.get(node.id);
    if (s !== undefined) inst.promotionPriority = addScores(inst.promotionPriority ?? 0, s);
  }
  void ws;
}

/** A colocation involving the promoted role nudges an already placed instance's priority. */
function applyColocationToPriority(ws: WorkingSet, inst: Resource, primary: Resource, c: import('../types.ts').Colocation): void {
  if (primary.kind === 'clone' || primary.kind === 'bundle') {
    applyColocation(ws, inst, primary, c);
    return;
  }
  const target = primary.kind === 'group' ? (c.score >= INFINITY ? primary.children[primary.children.length - 1] : primary.children[0]) : primary;
  if (!target) return;
  const a = instanceAssigned(inst);
  const b = target.assignedTo;
  if (!a || !b) return;
  const attr = c.nodeAttribute === '#uname' ? '#id' : c.nodeAttribute;
  if (a.attrs.get(attr) !== b.attrs.get(attr)) {
    if (c.score >= INFINITY && c.dependentRole === 'Promoted') inst.promotionPriority = -INFINITY;
    return;
  }
  if (c.primaryRole !== undefined && c.primaryRole !== target.nextRole) return;
  const mult = c.dependentRole === 'Unpromoted' ? -1 : 1;
  inst.promotionPriority = addScores(mult * c.score, inst.promotionPriority ?? 0);
}

function setRole(r: Resource, role: 'Promoted' | 'Unpromoted', current = false): void {
  for (const p of [r, ...r.children]) {
    if (current) {
      if (p.role === 'Started') p.role = 'Unpromoted';
    } else if (p.assignedTo || p.kind === 'group') {
      p.nextRole = role;
    }
  }
}

function compareForPromotion(ws: WorkingSet, a: Resource, b: Resource, fallback: (a: Resource, b: Resource) => number): number {
  const sa = a.promotionSortIndex ?? 0;
  const sb = b.promotionSortIndex ?? 0;
  if (sa !== sb) return sb - sa;
  const ra = roleRank[a.role];
  const rb = roleRank[b.role];
  if (ra !== rb) return rb - ra;
  void ws;
  return fallback(a, b);
}

/** Whether an instance may be promoted where it is; returns the clone's node entry id. */
function canBePromoted(ws: WorkingSet, clone: Resource, inst: Resource, promotedPerNode: Map<string, number>): Node | undefined {
  for (const p of inst.children) if (!canBePromoted(ws, clone, p, promotedPerNode)) return undefined;
  const node = instanceAssigned(inst);
  if (!node) return undefined;
  if (!inst.managed) {
    if (inst.role !== 'Promoted') return undefined;
  } else if ((inst.promotionPriority ?? 0) < 0) return undefined;
  else if (!canRunResources(node)) return undefined;
  if (!clone.allowed.has(node.id)) return undefined;
  if ((promotedPerNode.get(node.id) ?? 0) < clone.clone!.promotedNodeMax || !inst.managed) return node;
  return undefined;
}

export function setPromotableRoles(ws: WorkingSet, clone: Resource, fallback: (a: Resource, b: Resource) => number = () => 0): void {
  const promotedPerNode = new Map<string, number>();
  for (const inst of clone.children) {
    if (inst.role === 'Started') setRole(inst, 'Unpromoted', true);
    const chosen = instanceAssigned(inst);
    if (instanceNodes(inst).length > 1 && false) continue;
    const next = inst.nextRole;
    if (!chosen || next === 'Stopped') {
      inst.promotionPriority = -INFINITY;
    } else if (next === 'Started' || next === 'Unknown' || next === 'Unpromoted') {
      inst.promotionPriority = promotionScore(ws, inst, chosen, -1);
    }
    if (chosen) applyPromotedLocations(ws, inst, clone, chosen);
    for (const c of [...inst.thisWithColocations, ...(inst.inheritedThisWith ?? [])]) {
      if (c.dependentRole === undefined && c.primaryRole === undefined) continue;
      applyColocationToPriority(ws, inst, c.primary, c);
    }
    inst.promotionSortIndex = inst.promotionPriority ?? 0;
    if (next === 'Promoted') inst.promotionSortIndex = INFINITY;
  }
  mergePromotionPreferences(ws, clone);
  clone.children.sort((a, b) => compareForPromotion(ws, a, b, fallback));
  let promoted = 0;
  for (const inst of clone.children) {
    const node = instanceAssigned(inst);
    if (ws.scoreLog) ws.scoreLog.push(`${inst.id} promotion score on ${node ? node.name : 'none'}: ${node ? scoreToString(inst.promotionSortIndex ?? 0) : '0'}`);
    let chosen: Node | undefined;
    if ((inst.promotionSortIndex ?? 0) >= 0 && (promoted < clone.clone!.promotedMax || !clone.managed)) chosen = canBePromoted(ws, clone, inst, promotedPerNode);
    if (!chosen) {
      setRole(inst, 'Unpromoted');
      continue;
    }
    if (!ws.haveQuorum && ws.options.noQuorumPolicy === 'demote') {
      setRole(inst, 'Unpromoted');
      continue;
    }
    if (inst.role !== 'Promoted' && !ws.haveQuorum && ws.options.noQuorumPolicy === 'freeze') {
      setRole(inst, 'Unpromoted');
      continue;
    }
    promotedPerNode.set(chosen.id, (promotedPerNode.get(chosen.id) ?? 0) + 1);
    setRole(inst, 'Promoted');
    promoted++;
  }
}

/** Folds promotion priorities and role-tied colocations into the clone's node scores, then back into each instance's sort index. */
function mergePromotionPreferences(ws: WorkingSet, clone: Resource): void {
  clone.merging = true;
  const scores = new Map(clone.allowed);
  for (const inst of clone.children) {
    const node = instanceAssigned(inst);
    if (!node || (inst.promotionSortIndex ?? 0) < 0) continue;
    scores.set(node.id, addScores(inst.promotionSortIndex ?? 0, scores.get(node.id) ?? 0));
  }
  let work: Map<string, number> = scores;
  for (const c of clone.thisWithColocations) {
    if (c.dependentRole !== 'Promoted') continue;
    work = mergeScores(ws, c.primary, work, c.nodeAttribute, c.score / INFINITY, c.score >= INFINITY ? {} : { rollback: true }) ?? work;
  }
  for (const c of clone.withThisColocations) {
    if (!c.influence || c.primaryRole !== 'Promoted') continue;
    work = mergeScores(ws, c.dependent, work, c.nodeAttribute, c.score / INFINITY, { rollback: true, positive: true }) ?? work;
  }
  for (const dep of ws.ticketDeps) {
    if (dep.rsc !== clone || dep.role !== 'Promoted') continue;
    const t = ws.tickets.get(dep.ticket);
    if (t && t.granted && !t.standby) continue;
    // Freeze keeps the promoted instances where they are; nothing new is promoted.
    const freeze = dep.lossPolicy === 'freeze' && t?.granted !== true;
    for (const id of work.keys()) {
      if (freeze && clone.children.some((i) => i.role === 'Promoted' && i.runningOn.some((n) => n.id === id))) continue;
      work.set(id, -INFINITY);
    }
  }
  for (const inst of clone.children) {
    const node = instanceAssigned(inst);
    if (!inst.managed && inst.nextRole === 'Promoted') inst.promotionSortIndex = INFINITY;
    else if (!node || (inst.promotionSortIndex ?? 0) < 0) continue;
    else inst.promotionSortIndex = work.get(node.id) ?? 0;
  }
  clone.merging = false;
}

/**
 * Before a promotable clone's instances are placed, the promotion scores their agents recorded
 * count as node preferences too, so instances go where they can be promoted.
 */
export function addPromotionScoresToPlacement(ws: WorkingSet, clone: Resource): void {
  for (const inst of clone.children) {
    for (const r of inst.kind === 'group' ? [inst, ...inst.children] : [inst]) {
      if (r.kind === 'group') continue;
      for (const [id, w] of r.allowed) {
        const node = ws.nodesById.get(id);
        if (!node || w < 0) continue;
        const score = promotionScore(ws, r, node, 0);
        if (score !== 0) r.allowed.set(id, addScores(w, score));
      }
    }
  }
}
