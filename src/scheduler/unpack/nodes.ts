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

function membershipFlag(v: string | undefined): boolean | undefined {
  if (v === undefined) return undefined;
  if (/^\d+$/.test(v)) return Number(v) > 0;
  return isTrue(v);
}

/** Transient attributes of a node_state, then the node's derived flags (standby, maintenance...). */
export function applyTransientAttrs(ws: WorkingSet, node: Node, entry: NodeStateEntry): void {
  const ctx = { now: ws.now, nodeAttrs: node.attrs };
  unpackSets(entry.transient, ctx, node.attrs);
  setBuiltinAttrs(ws, node);
}

export function applyAttributeFlags(node: Node): void {
  const standby = node.attrs.get('standby');
  if (standby !== undefined && isTrue(standby)) node.standby = true;
  if (standby === 'on-fail') node.standbyOnFail = true;
  const maint = node.attrs.get('maintenance');
  if (maint !== undefined && isTrue(maint)) node.maintenance = true;
}

/** Decides a cluster node's state from its node_state entry, the way Pacemaker's fencing logic does. */
export function determineClusterNodeState(ws: WorkingSet, node: Node, entry: NodeStateEntry): void {
  node.seen = true;
  const a = entry.attrs;
  const inCcm = membershipFlag(a.in_ccm);
  const crmdOnline = a.crmd === 'online' || (a.crmd !== undefined && /^\d+$/.test(a.crmd) && Number(a.crmd) > 0);
  const join = a.join;
  const expected = a.expected;
  const shutdownAttr = node.attrs.get('shutdown');
  const shuttingDown = shutdownAttr !== undefined && shutdownAttr !== '0' && shutdownAttr !== '';
  const terminate = node.attrs.get('terminate');
  node.expectedUp = expected === 'member';
  if (shuttingDown) node.shutdown = true;

  const unclean = (reason: string, online: boolean) => {
    node.online = online;
    node.unclean = true;
    node.fenceReason ??= reason;
  };

  if (!ws.options.stonithEnabled) {
    if (inCcm && crmdOnline && join === 'member') node.online = true;
    else if (inCcm && crmdOnline && join !== 'down' && join !== undefined && expected !== 'down') node.pending = true;
    else if (inCcm && !crmdOnline && join === 'member' && expected === 'member') {
      // Without fencing, a node whose controller vanished is simply treated as offline.
      node.online = false;
    }
    return;
  }

  if (inCcm === undefined) {
    unclean('peer has not been seen by the cluster', false);
  } else if (join === 'banned') {
    unclean('peer failed Pacemaker membership criteria', true);
  } else if (terminate !== undefined && terminate !== '0' && terminate !== 'false' && terminate !== '') {
    unclean('termination was requested', inCcm && crmdOnline);
  } else if (inCcm && crmdOnline && join === 'member') {
    node.online = true;
  } else if (!inCcm) {
    if (expected === 'member' && !shuttingDown) unclean('peer is no longer part of the cluster', false);
    else if (crmdOnline) node.pending = true;
  } else if (!crmdOnline) {
    if (expected === 'down' || shuttingDown) node.online = false;
    else if (join === 'member') unclean('peer process is no longer available', true);
    else node.pending = true;
  } else {
    node.pending = true;
  }
}
