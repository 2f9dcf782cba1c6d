// Builds the working set from a CIB: options, nodes, resources, then the status (node states and
// resource history), in the order that makes later steps see what earlier ones found.
import type { Cib, NodeStateEntry } from '../../cib/model.ts';
import { isTrue } from '../../cib/parse.ts';
import type { Node, Resource, WorkingSet } from '../types.ts';
import { unpackOptions } from '../options.ts';
import { applyAttributeFlags, applyTransientAttrs, determineClusterNodeState, shutdownRequested, unpackClusterNodes } from './nodes.ts';
import { buildResource, descendants, linkRemoteConnections, unpackRemoteNodes } from './resources.ts';
import { newStatusContext, requestStop, unpackNodeHistory, type StatusContext } from './history.ts';
import { unpackTickets } from './tickets.ts';

export function unpackCib(cib: Cib, now: number): WorkingSet {
  const options = unpackOptions(cib, now);
  const ws: WorkingSet = {
    cib,
    now,
    options,
    haveQuorum: isTrue(cib.attrs['have-quorum']),
    nodes: [],
    nodesByName: new Map(),
    nodesById: new Map(),
    resources: [],
    resourcesById: new Map(),
    colocations: [],
    locations: [],
    orderings: [],
    tickets: new Map(),
    failedOps: [],
    warnings: [],
    actions: [],
    decisions: [],
    ticketDeps: [],
  };
  if (cib.attrs['dc-uuid'] !== undefined) ws.dcUuid = cib.attrs['dc-uuid'];
  settleNoQuorumPolicy(ws);
  unpackClusterNodes(ws);
  for (const node of ws.nodes) if (node.kind === 'member') assumeUnseen(ws, node);
  unpackRemoteNodes(ws);
  for (const cfg of cib.configuration.resources) ws.resources.push(buildResource(ws, cfg));
  ws.resources.push(...linkRemoteConnections(ws, ws.resources));
  for (const node of ws.nodes) if (node.kind === 'remote' && node.connection) assumeUnseen(ws, node);
  linkContainers(ws);
  unpackTickets(ws);
  unpackStatus(ws);
  return ws;
}

/**
 * no-quorum-policy=suicide needs fencing, and only applies to a cluster that has had quorum (or
 * was told to panic without it); otherwise it means stop.
 */
function settleNoQuorumPolicy(ws: WorkingSet): void {
  if (ws.options.noQuorumPolicy !== 'suicide') return;
  const panic = Number(ws.cib.attrs['no-quorum-panic'] ?? '0') > 0 || isTrue(ws.cib.attrs['no-quorum-panic']);
  if (!ws.options.stonithEnabled || !(panic || ws.haveQuorum)) ws.options.noQuorumPolicy = 'stop';
}

/**
 * Until its state is seen, a node (cluster or remote) is assumed to need fencing when startup
 * fencing applies: it may be running anything.
 */
function assumeUnseen(ws: WorkingSet, node: Node): void {
  node.unseen = true;
  if (ws.options.stonithEnabled && ws.options.startupFencing) {
    node.unclean = true;
    node.fenceReason = 'node is unclean';
  }
}

/** Resources whose meta "container" names another run inside it (its "fillers"). */
function linkContainers(ws: WorkingSet): void {
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      const id = r.meta.get('container');
      if (id === undefined || id === r.id) continue;
      const container = ws.resourcesById.get(id);
      if (!container) continue;
      r.container = container;
      const fillers = (container.fillers ??= []);
      if (!fillers.includes(r)) fillers.push(r);
    }
  }
}

function nodeForEntry(ws: WorkingSet, e: NodeStateEntry): Node | undefined {
  return ws.nodesById.get(e.id) ?? (e.uname !== undefined ? ws.nodesByName.get(e.uname) : undefined);
}

function unpackStatus(ws: WorkingSet): void {
  const entries: [Node, NodeStateEntry][] = [];
  for (const e of ws.cib.status.nodes) {
    const node = nodeForEntry(ws, e);
    if (!node || entries.some(([n]) => n === node)) continue;
    entries.push([node, e]);
    if (node.kind !== 'member') {
      // Remote nodes' state waits for their connections; only whether they were fenced counts now.
      node.remoteWasFenced = Number(e.attrs['node_fenced'] ?? '0') > 0;
      continue;
    }
    applyTransientAttrs(ws, node, e);
    applyAttributeFlags(node);
    determineClusterNodeState(ws, node, e);
  }

  const ctx = newStatusContext(ws);
  // Histories that others depend on come first: cluster nodes, then remote nodes whose
  // connection turned out to be up, repeatedly, then (with fencing) everything left.
  while (unpackHistories(ctx, false));
  unpackHistories(ctx, ws.options.stonithEnabled);
  stopContainersOfFailedConnections(ws);
  for (const node of ws.nodes) {
    if (node.kind === 'member') continue;
    if (node.shutdown && node.connection) node.connection.nextRole = 'Stopped';
    if (!node.historyUnpacked) determineRemoteState(node);
  }
  finishStatus(ws);
}

/**
 * One pass over the node_state entries; true if any history was unpacked. Nodes are looked up
 * afresh: an orphaned remote connection found in the history creates its node on the way.
 */
function unpackHistories(ctx: StatusContext, fence: boolean): boolean {
  const { ws } = ctx;
  let progress = false;
  for (const entry of ws.cib.status.nodes) {
    const node = nodeForEntry(ws, entry);
    if (!node || node.historyUnpacked) continue;
    if (!fence && !historyReady(ws, node)) continue;
    if (node.kind !== 'member') {
      determineRemoteState(node);
      applyRemoteAttrs(ws, node, entry);
    }
    unpackNodeHistory(ctx, node, entry);
    progress = true;
  }
  return progress;
}

/** Whether a node's history can be replayed yet. */
function historyReady(ws: WorkingSet, node: Node): boolean {
  const conn = node.connection;
  if (node.kind === 'guest') {
    // Only once both its container and its connection are known to be up.
    return conn !== undefined && conn.role === 'Started' && conn.container?.role === 'Started';
  }
  if (node.kind === 'remote') return conn !== undefined && (ws.options.shutdownLock || conn.role === 'Started');
  // Without fencing, offline nodes wait so that active clone instances are numbered first.
  return ws.options.stonithEnabled || ws.options.shutdownLock || node.online;
}

/** A remote or guest node is up when its connection (and container) are. */
function determineRemoteState(node: Node): void {
  const conn = node.connection;
  if (!conn) {
    node.online = false;
    return;
  }
  const container = conn.container;
  const host = container && conn.runningOn.length === 1 ? conn.runningOn[0] : undefined;
  if (conn.role === 'Started') node.online = true;
  if (conn.role === 'Started' && conn.nextRole === 'Stopped') node.shutdown = true;
  if (container && container.failed) {
    node.online = false;
    node.remoteRequiresReset = true;
  } else if (conn.failed) {
    node.online = false;
  } else if (conn.role === 'Stopped' || (container && container.role === 'Stopped')) {
    node.online = false;
    node.remoteRequiresReset = false;
  } else if (host && !host.online && host.unclean) {
    node.online = false;
    node.remoteRequiresReset = true;
  }
}

/** The attributes and flags of a remote node, known once its connection state is. */
function applyRemoteAttrs(ws: WorkingSet, node: Node, entry: NodeStateEntry): void {
  node.seen = true;
  node.remoteMaintenance = Number(entry.attrs['node_in_maintenance'] ?? '0') > 0;
  if (!node.remoteRequiresReset) {
    node.unclean = false;
    node.unseen = false;
    delete node.fenceReason;
  }
  applyTransientAttrs(ws, node, entry);
  if (shutdownRequested(node)) node.shutdown = true;
  if (isTrue(node.attrs.get('standby'))) node.standby = true;
  if (isTrue(node.attrs.get('maintenance')) || (node.connection && !node.connection.managed)) node.maintenance = true;
}

/** A bundle's connection that must be recovered takes its container down with it. */
function stopContainersOfFailedConnections(ws: WorkingSet): void {
  for (const top of ws.resources) {
    if (top.kind !== 'bundle') continue;
    for (const rep of top.bundle?.replicas ?? []) {
      const conn = rep.remote;
      if (!conn || !conn.failed || !conn.stopRequired) continue;
      const where = rep.container.runningOn[0];
      if (where) requestStop(ws, rep.container, where);
    }
  }
}

function finishStatus(ws: WorkingSet): void {
  for (const r of ws.resources) aggregateRole(r);
}

/** Groups, clones and bundles take their role from their members (for decisions). */
function aggregateRole(r: Resource): void {
  if (r.kind === 'primitive') return;
  for (const c of r.children) aggregateRole(c);
  const rank = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 } as const;
  let best: Resource['role'] = 'Stopped';
  for (const c of r.children) if (rank[c.role] > rank[best]) best = c.role;
  r.role = best;
}
