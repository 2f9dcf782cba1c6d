// Placement of bundles, guest nodes and remote nodes.
//
// Remote connections (ocf:pacemaker:remote primitives and the implicit connections of guest nodes)
// are assigned before anything else, so that the nodes they create are known to be usable (or not)
// when other resources are placed there. A guest node's connection follows its container.
//
// A bundle places its replicas' containers the way an anonymous clone places its instances
// (replicas = clone-max, replicas-per-host = clone-node-max, the bundle's own location and
// colocation constraints apply to every container, stickiness keeps them where they run). Each
// replica's IP address and remote connection then go where its container went, and the instance
// N of the wrapped resource may run only on the guest node of replica N.
import { INFINITY } from '../../cib/score.ts';
import type { Colocation, Node, Resource, WorkingSet } from '../types.ts';
import { descendants } from '../unpack/resources.ts';
import { assign, assignPrimitive, logScores } from './assign.ts';
import { assignClone } from './clone.ts';
import { failCount } from './scores.ts';

function bundleOf(r: Resource): Resource | undefined {
  for (let p: Resource | undefined = r.parent; p; p = p.parent) if (p.kind === 'bundle') return p;
  return undefined;
}

function colocation(id: string, dependent: Resource, primary: Resource): Colocation {
  return { id, dependent, primary, score: INFINITY, nodeAttribute: '#uname', influence: true };
}

/**
 * Internal colocations: a guest node's connection, and any resource whose meta "container" names
 * another, run where that container runs.
 */
function addInternalColocations(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive' || !r.container) continue;
      if (bundleOf(r)) continue; // bundles place their own connections
      if (r.thisWithColocations.some((c) => c.primary === r.container)) continue;
      const c = colocation(`${r.id}-with-${r.container.id}`, r, r.container);
      r.thisWithColocations.push(c);
      r.container.withThisColocations.push(c);
    }
  }
}

/** A resource inside a container charges its failures to the container (migration-threshold). */
function banContainersOfFailedFillers(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const c of descendants(top)) {
      if (c.kind !== 'primitive' || !c.fillers?.length || c.migrationThreshold <= 0) continue;
      for (const node of ws.nodes) {
        let total = failCount(ws, c, node);
        for (const f of c.fillers) for (const p of descendants(f)) if (p.kind === 'primitive') total += failCount(ws, p, node);
        if (total >= c.migrationThreshold) c.allowed.set(node.id, -INFINITY);
      }
    }
  }
}

/** Nothing but a bundle's own replicas may run on its guest nodes, and containers never on guests. */
function banBundleNodes(ws: WorkingSet): void {
  const bundleNodes = new Map<Node, Resource>();
  for (const top of ws.resources) {
    if (top.kind !== 'bundle') continue;
    for (const rep of top.bundle?.replicas ?? []) if (rep.node) bundleNodes.set(rep.node, top);
  }
  if (bundleNodes.size === 0) return;
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      const own = bundleOf(r);
      for (const [node, b] of bundleNodes) {
        if (b === own && r.isRemoteConnection === false && !isContainer(r)) continue;
        r.allowed.set(node.id, -INFINITY);
      }
    }
  }
}

function isContainer(r: Resource): boolean {
  const b = bundleOf(r);
  return b !== undefined && (b.bundle?.replicas.some((rep) => rep.container === r) ?? false);
}

/** Guest nodes that need "fencing" (their container's recovery) but may take resources afterwards. */
export const recoveredGuests = new WeakSet<Node>();

/**
 * A remote or guest node can take resources once its connection is assigned; a node whose
 * connection will not run anymore takes none (what runs there stops).
 */
export function updateRemoteNode(node: Node): void {
  const conn = node.connection;
  if (!conn || node.kind === 'member') return;
  if (conn.provisional) return;
  if (conn.assignedTo) {
    // A guest whose container is recovered comes back with it (after being "fenced").
    if (!node.online && !node.unclean && (!node.remoteRequiresReset || node.kind === 'guest')) {
      const container = conn.container;
      if (!container || container.assignedTo) {
        node.online = true;
        if (node.remoteRequiresReset) {
          recoveredGuests.add(node);
          node.remoteRequiresReset = false;
        }
      }
    }
  } else if (node.online) {
    node.shutdown = true;
  }
}

/** Assigns remote connections first (a migrating one prefers its partial migration target). */
function assignRemoteConnections(ws: WorkingSet): void {
  // A remote node never seen, whose connection has never run anywhere, cannot be running anything.
  for (const n of ws.nodes) {
    const conn = n.connection;
    if (n.kind !== 'remote' || !n.unseen || !n.unclean || !conn || conn.runningOn.length > 0 || conn.knownOn.size > 0) continue;
    n.unclean = false;
    n.remoteRequiresReset = false;
    delete n.fenceReason;
  }
  for (const r of ws.resources) {
    if (r.kind !== 'primitive' || !r.isRemoteConnection) continue;
    assign(ws, r, r.partialMigrationTarget);
  }
  for (const n of ws.nodes) updateRemoteNode(n);
}

/** Keeps only one node (with at least score 0 unless banned) in a resource's scores. */
function restrictTo(r: Resource, node: Node | undefined, score?: number): void {
  for (const id of r.allowed.keys()) if (!node || id !== node.id) r.allowed.set(id, -INFINITY);
  if (!node) return;
  const s = r.allowed.get(node.id);
  if (s !== undefined && s <= -INFINITY) return;
  r.allowed.set(node.id, score ?? Math.max(0, s ?? 0));
}

/**
 * Pins a replica's part to one node: the bundle's own constraints were meant for its containers,
 * so only the part's own failures there can keep it away.
 */
function pinTo(ws: WorkingSet, r: Resource, node: Node | undefined, score: number): void {
  const banned = node !== undefined && r.kind === 'primitive' && r.migrationThreshold > 0 && failCount(ws, r, node) >= r.migrationThreshold;
  if (node && !banned) r.allowed.set(node.id, score);
  restrictTo(r, node, score);
}

/** Containers are spread like the instances of an anonymous clone. */
function assignContainers(ws: WorkingSet, b: Resource): void {
  const state = b.bundle!;
  const containers = state.replicas.map((rep) => rep.container);
  const carrier: Resource = {
    ...b,
    kind: 'clone',
    children: [...containers],
    promotable: false,
    unique: false,
    provisional: true,
    assigning: false,
    clone: {
      max: state.replicas.length,
      nodeMax: state.replicasPerHost,
      promotedMax: 0,
      promotedNodeMax: 0,
      interleave: false,
      ordered: false,
      notify: false,
      globallyUnique: false,
    },
  };
  for (const c of containers) for (const n of ws.nodes) if (n.kind === 'guest') c.allowed.set(n.id, -INFINITY);
  assignClone(ws, carrier);
  b.allowed = carrier.allowed;
}

function assignInnerClone(ws: WorkingSet, b: Resource): void {
  const state = b.bundle!;
  const clone = state.child;
  if (!clone) return;
  const guests = new Set<string>();
  for (const rep of state.replicas) {
    const child = rep.child;
    if (!child) continue;
    const node = rep.node;
    const usable = node && rep.remote?.assignedTo && rep.container.assignedTo;
    // The bundle's own locations were meant for its containers: the instance is pinned to its node.
    for (const d of descendants(child)) pinTo(ws, d, usable ? node : undefined, INFINITY);
    if (usable) guests.add(node.id);
  }
  for (const id of clone.allowed.keys()) clone.allowed.set(id, guests.has(id) ? 0 : -INFINITY);
  for (const id of guests) clone.allowed.set(id, 0);
  // Role-specific locations and colocations of the bundle concern its wrapped resource.
  for (const loc of b.locations) if (loc.role === 'Promoted' && !clone.locations.includes(loc)) clone.locations.push(loc);
  assign(ws, clone);
}

export function assignBundle(ws: WorkingSet, b: Resource, _prefer?: Node): Node | undefined {
  if (!b.provisional || b.assigning || !b.bundle) return undefined;
  b.assigning = true;
  logScores(ws, 'pcmk__bundle_allocate', b, b.allowed);
  assignContainers(ws, b);
  for (const rep of b.bundle.replicas) {
    const node = rep.container.assignedTo;
    for (const r of [rep.ipRsc, rep.remote]) {
      if (!r) continue;
      // A connection cannot run on a remote node: it goes where that node's own connection runs.
      const where = r === rep.remote && node && node.kind !== 'member' ? node.connection?.assignedTo : node;
      pinTo(ws, r, where, 0);
      assignPrimitive(ws, r);
    }
    if (rep.node) updateRemoteNode(rep.node);
  }
  assignInnerClone(ws, b);
  b.provisional = false;
  b.assigning = false;
  b.nextRole = b.bundle.replicas.some((rep) => rep.container.assignedTo) ? 'Started' : 'Stopped';
  return undefined;
}

/** Called once before assignment: registers bundle assignment and places remote connections. */
export function prepareBundlesAndRemotes(ws: WorkingSet): void {
  ws.assignBundle = assignBundle;
  addInternalColocations(ws);
  banBundleNodes(ws);
  banContainersOfFailedFillers(ws);
  assignRemoteConnections(ws);
}
