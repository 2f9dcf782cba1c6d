// Cluster nodes and their state: online, offline, pending or unclean (needing fencing), standby,
// maintenance, shutting down; node attributes (permanent and transient) and utilization.
import type { NodeConfig, NodeStateEntry } from '../../cib/model.ts';
import { isTrue } from '../../cib/parse.ts';
import { unpackSets } from '../../cib/rules.ts';
import { parseScore } from '../../cib/score.ts';
import type { Node, NodeKind, WorkingSet } from '../types.ts';

export function newNode(ws: WorkingSet, id: string, name: string, kind: NodeKind): Node {
  const node: Node = {
    id,
    name,
    kind,
    index: ws.nodes.length,
    online: false,
    unclean: false,
    pending: false,
    standby: false,
    standbyOnFail: false,
    maintenance: false,
    shutdown: false,
    expectedUp: false,
    isDc: false,
    seen: false,
    remoteRequiresReset: false,
    remoteWasFenced: false,
    remoteMaintenance: false,
    attrs: new Map(),
    utilization: new Map(),
    weight: 0,
    running: [],
    assignedCount: 0,
    remainingCapacity: new Map(),
    health: 0,
    lrmKnown: false,
  };
  ws.nodes.push(node);
  ws.nodesByName.set(name, node);
  ws.nodesById.set(id, node);
  return node;
}

/** Built-in attributes rules may test. */
function setBuiltinAttrs(ws: WorkingSet, node: Node): void {
  node.attrs.set('#uname', node.name);
  node.attrs.set('#id', node.id);
  node.attrs.set('#kind', node.kind === 'member' ? 'cluster' : node.kind === 'remote' ? 'remote' : 'container');
  node.attrs.set('#is_dc', node.isDc ? 'true' : 'false');
  if (ws.options.clusterName !== undefined) node.attrs.set('#cluster-name', ws.options.clusterName);
  const site = node.attrs.get('site-name') ?? ws.options.clusterName;
  if (site !== undefined) node.attrs.set('#site-name', site);
}

/** Creates the cluster (member) nodes of the <nodes> section; remote entries are kept for later. */
export function unpackClusterNodes(ws: WorkingSet): void {
  for (const nc of ws.cib.configuration.nodes) {
    if (nc.type === 'ping') continue;
    const node = newNode(ws, nc.id, nc.uname, nc.type === 'remote' ? 'remote' : 'member');
    node.weight = parseScore(nc.score);
    node.isDc = ws.dcUuid !== undefined && ws.dcUuid === nc.id;
    applyConfiguredAttrs(ws, node, nc);
  }
}

export function applyConfiguredAttrs(ws: WorkingSet, node: Node, nc: NodeConfig | undefined): void {
  setBuiltinAttrs(ws, node);
  if (!nc) return;
  const ctx = { now: ws.now, nodeAttrs: node.attrs };
  unpackSets(nc.instance, ctx, node.attrs);
  for (const [k, v] of unpackSets(nc.utilization, ctx)) node.utilization.set(k, parseUtilization(v));
  setBuiltinAttrs(ws, node);
}

export function parseUtilization(v: string): number {
  const n = parseInt(v, 10);
  return Number.isFinite(n) ? n : 0;
}

/** Whether a node attribute asks for something ("shutdown", "terminate": true or a timestamp). */
function requested(v: string | undefined): boolean {
  if (v === undefined || v === '') return false;
  if (isTrue(v)) return true;
  return /^[1-9]/.test(v);
}

/** Transient attributes of a node_state, then the node's derived flags (standby, maintenance...). */
export function applyTransientAttrs(ws: WorkingSet, node: Node, entry: NodeStateEntry): void {
  const ctx = { now: ws.now, nodeAttrs: node.attrs };
  // What the node reports now overrides the permanent value.
  for (const [k, v] of unpackSets(entry.transient, ctx, new Map(), { overwrite: true })) node.attrs.set(k, v);
  setBuiltinAttrs(ws, node);
}

export function applyAttributeFlags(node: Node): void {
  const standby = node.attrs.get('standby');
  if (standby !== undefined && isTrue(standby)) node.standby = true;
  const maint = node.attrs.get('maintenance');
  if (maint !== undefined && isTrue(maint)) node.maintenance = true;
}

export function shutdownRequested(node: Node): boolean {
  const v = node.attrs.get('shutdown');
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * Marks a node as needing fencing. A guest node is "fenced" by recovering its container, so it is
 * not marked unclean (it may run resources again once that recovery succeeds); an unmanaged
 * connection or container means nothing can be done.
 */
export function fenceNode(ws: WorkingSet, node: Node, reason: string): void {
  if (node.kind === 'guest') {
    const container = node.connection?.container;
    if (container && !container.failed && container.managed) {
      node.remoteRequiresReset = true;
      container.failed = true;
      container.stopRequired = true;
    }
    return;
  }
  if (node.kind === 'remote') {
    const conn = node.connection;
    if (!(conn && !conn.managed)) node.remoteRequiresReset = true;
    node.unclean = true;
    if (node.fenceReason === undefined || node.unseen) node.fenceReason = reason;
    return;
  }
  if (node.unclean) return;
  node.unclean = true;
  node.fenceReason = reason;
}

/** Decides a cluster node's state from its node_state entry, as Pacemaker's membership logic does. */
export function determineClusterNodeState(ws: WorkingSet, node: Node, entry: NodeStateEntry): void {
  node.seen = true;
  node.unseen = false;
  node.unclean = false;
  const a = entry.attrs;
  const inCluster = a.in_ccm === undefined ? undefined : isTrue(a.in_ccm);
  const controllerUp = a.crmd === 'online' || isTrue(a.crmd);
  const join = a.join;
  const expected = a.expected ?? 'down';
  node.shutdown = shutdownRequested(node);
  node.expectedUp = !node.shutdown && expected === 'member';
  const online = ws.options.stonithEnabled
    ? onlineWithFencing(ws, node, inCluster, controllerUp, join, expected)
    : onlineWithoutFencing(ws, node, inCluster === true, controllerUp, join);
  node.online = online;
  if (!ws.haveQuorum && node.online && ws.options.noQuorumPolicy === 'suicide') {
    fenceNode(ws, node, 'cluster does not have quorum');
  }
}

/** Without fencing a node is either up (member of the cluster and joined) or down. */
function onlineWithoutFencing(ws: WorkingSet, node: Node, inCluster: boolean, controllerUp: boolean, join: string | undefined): boolean {
  if (!inCluster) return false;
  if (controllerUp) return join === 'member';
  if (node.expectedUp) fenceNode(ws, node, 'peer is unexpectedly down');
  return false;
}

/** With fencing, any state the node could not have reached cleanly means it must be fenced. */
function onlineWithFencing(
  ws: WorkingSet,
  node: Node,
  inCluster: boolean | undefined,
  controllerUp: boolean,
  join: string | undefined,
  expected: string | undefined,
): boolean {
  const terminate = requested(node.attrs.get('terminate'));
  const pending = () => {
    node.pending = true;
    node.standby = true;
  };
  // A node shutting down cleanly is up as long as its controller is: it cannot be shut down dead.
  if (node.shutdown) return controllerUp;
  if (inCluster === undefined) {
    fenceNode(ws, node, 'peer has not been seen by the cluster');
    return false;
  }
  if (join === 'banned') {
    fenceNode(ws, node, 'peer failed Pacemaker membership criteria');
  } else if (!terminate && expected === 'down') {
    if (inCluster || controllerUp) pending();
  } else if (terminate && join === 'down' && !inCluster && !controllerUp) {
    // Just fenced.
    return false;
  } else if (!inCluster) {
    fenceNode(ws, node, 'peer is no longer part of the cluster');
  } else if (!controllerUp) {
    fenceNode(ws, node, 'peer process is no longer available');
  } else if (terminate) {
    fenceNode(ws, node, 'termination was requested');
  } else if (join === 'member') {
    // Active.
  } else if (join === 'pending' || join === 'down') {
    pending();
  } else {
    fenceNode(ws, node, 'peer was in an unknown state');
  }
  return inCluster === true;
}
