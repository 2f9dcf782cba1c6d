// Node scores before assignment: the symmetric default, location constraints, stickiness on the
// current node, and bans from fail counts (migration-threshold) and hard errors.
import { INFINITY, addScores, parseScore } from '../../cib/score.ts';
import type { Location, Node, Resource, WorkingSet } from '../types.ts';
import { descendants } from '../unpack/resources.ts';

/** Adds a score for a resource on a node, or on every node when node is undefined (recursing into children). */
export function addLocationScore(ws: WorkingSet, r: Resource, node: Node | undefined, score: number): void {
  const nodes = node ? [node] : ws.nodes;
  for (const d of descendants(r)) {
    for (const n of nodes) d.allowed.set(n.id, addScores(d.allowed.get(n.id) ?? 0, score));
  }
}

/** Whether a node can host resources at all right now. */
export function canRunResources(node: Node | undefined): boolean {
  if (!node) return false;
  return node.online && !node.unclean && !node.standby && !node.shutdown && !node.pending && !node.maintenance && !node.remoteRequiresReset;
}

function initialScores(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      const existing = r.allowed;
      r.allowed = new Map();
      if (ws.options.symmetricCluster) for (const n of ws.nodes) r.allowed.set(n.id, 0);
      // Bans from hard errors found in the history stay.
      for (const [id, s] of existing) if (s <= -INFINITY) r.allowed.set(id, -INFINITY);
    }
  }
}

/** Connection resources cannot run on remote or guest nodes, and a guest's container not on itself. */
function remoteRestrictions(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      if (r.isRemoteConnection || (r.containerOf && r.parent?.kind !== 'bundle')) {
        for (const n of ws.nodes) if (n.kind !== 'member') r.allowed.set(n.id, -INFINITY);
      }
    }
  }
  for (const n of ws.nodes) {
    if (n.kind !== 'guest' || !n.connection?.container) continue;
    // A resource that contains the guest can never run inside it.
    for (const d of descendants(n.connection.container)) d.allowed.set(n.id, -INFINITY);
  }
}

function applyLocation(ws: WorkingSet, loc: Location): void {
  if (loc.role && loc.role !== 'Started') return; // role-specific locations only shape promotion
  for (const [nodeId, score] of loc.nodes) {
    const node = ws.nodesById.get(nodeId);
    if (node) addLocationScore(ws, loc.rsc, node, score);
  }
}

/** With resource-discovery=exclusive, a resource may only run on the nodes those constraints name. */
function applyExclusiveDiscovery(ws: WorkingSet): void {
  const byRsc = new Map<Resource, Set<string>>();
  for (const loc of ws.locations) {
    if (loc.discovery !== 'exclusive') continue;
    let set = byRsc.get(loc.rsc);
    if (!set) byRsc.set(loc.rsc, (set = new Set()));
    for (const id of loc.nodes.keys()) set.add(id);
  }
  for (const [rsc, nodes] of byRsc) {
    for (const d of descendants(rsc)) {
      d.exclusiveDiscovery = true;
      for (const n of ws.nodes) if (!nodes.has(n.id)) d.allowed.set(n.id, -INFINITY);
    }
  }
}

/** The name fail counts are recorded under: anonymous clone instances share their base name. */
export function failCountName(r: Resource): string {
  return r.unique || !cloneAncestorOf(r) ? r.id : r.baseId;
}

function cloneAncestorOf(r: Resource): Resource | undefined {
  for (let p = r.parent; p; p = p.parent) if (p.kind === 'clone') return p;
  return undefined;
}

interface FailureEntry {
  total: number;
  lastFailure: number;
}

/** Per node: fail counts and last failure times by resource name (summed over operations). */
const failureIndex = new WeakMap<Node, Map<string, FailureEntry>>();

function failuresOn(node: Node): Map<string, FailureEntry> {
  let index = failureIndex.get(node);
  if (index) return index;
  index = new Map();
  for (const [k, v] of node.attrs) {
    const isCount = k.startsWith('fail-count-');
    if (!isCount && !k.startsWith('last-failure-')) continue;
    const rest = k.slice(isCount ? 'fail-count-'.length : 'last-failure-'.length);
    const hash = rest.indexOf('#');
    const name = hash >= 0 ? rest.slice(0, hash) : rest;
    let e = index.get(name);
    if (!e) index.set(name, (e = { total: 0, lastFailure: 0 }));
    if (isCount) e.total = addScores(e.total, parseScore(v));
    else e.lastFailure = Math.max(e.lastFailure, Number(v) || 0);
  }
  failureIndex.set(node, index);
  return index;
}

/** Effective fail count of a primitive on a node (expired failures excluded). */
export function failCount(ws: WorkingSet, r: Resource, node: Node): number {
  const index = failuresOn(node);
  if (index.size === 0) return 0;
  const name = failCountName(r);
  let total = 0;
  let lastFailure = 0;
  for (const n of name !== r.id ? [name, r.id] : [name]) {
    const e = index.get(n);
    if (!e) continue;
    total = addScores(total, e.total);
    lastFailure = Math.max(lastFailure, e.lastFailure);
  }
  if (total > 0 && r.failureTimeoutMs > 0 && lastFailure > 0) {
    const expires = lastFailure + Math.ceil(r.failureTimeoutMs / 1000);
    if (ws.now >= expires) return 0;
  }
  return total;
}

function applyStickinessAndFailures(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      // An unmanaged resource stays where it is active, and whatever is tied to it knows it.
      if (r.stickToNode && r.allowed.has(r.stickToNode.id)) r.allowed.set(r.stickToNode.id, INFINITY);
      if (r.managed && r.stickiness !== 0 && r.runningOn.length === 1) {
        const node = r.runningOn[0]!;
        if (r.allowed.has(node.id) || !ws.options.symmetricCluster) {
          r.allowed.set(node.id, addScores(r.allowed.get(node.id) ?? 0, r.stickiness));
        }
      }
      if (r.migrationThreshold <= 0) continue;
      for (const node of ws.nodes) {
        const fc = failCount(ws, r, node);
        if (fc <= 0 || fc < r.migrationThreshold) continue;
        // Anonymous clone instances are interchangeable: the whole clone leaves the node.
        const target = r.unique || !cloneAncestorOf(r) ? r : topOf(r);
        for (const d of descendants(target)) d.allowed.set(node.id, -INFINITY);
        ws.decisions.push(`Forcing ${target.id} away from ${node.name} after ${fc} failures (max=${r.migrationThreshold})`);
      }
    }
  }
}

function topOf(r: Resource): Resource {
  let t = r;
  while (t.parent) t = t.parent;
  return t;
}

export function computeInitialScores(ws: WorkingSet): void {
  initialScores(ws);
  remoteRestrictions(ws);
  for (const loc of ws.locations) applyLocation(ws, loc);
  applyExclusiveDiscovery(ws);
  applyStickinessAndFailures(ws);
}
