// Builds the working set from a CIB: options, nodes, resources, then the status (node states and
// resource history), in the order that makes later steps see what earlier ones found.
import type { Cib, NodeStateEntry } from '../../cib/model.ts';
import { isTrue } from '../../cib/parse.ts';
import type { Node, Resource, WorkingSet } from '../types.ts';
import { unpackOptions } from '../options.ts';
import { applyAttributeFlags, applyTransientAttrs, determineClusterNodeState, unpackClusterNodes } from './nodes.ts';
import { buildResource, descendants, linkRemoteConnections, unpackRemoteNodes } from './resources.ts';
import { unpackNodeHistory, type NodeHistoryResult } from './history.ts';
import { unpackBundles } from './bundle.ts';
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
    ticketDeps: [],
    tickets: new Map(),
    failedOps: [],
    warnings: [],
    actions: [],
    decisions: [],
  };
  if (cib.attrs['dc-uuid'] !== undefined) ws.dcUuid = cib.attrs['dc-uuid'];
  unpackClusterNodes(ws);
  unpackRemoteNodes(ws);
  for (const cfg of cib.configuration.resources) {
    const r = buildResource(ws, cfg);
    ws.resources.push(r);
  }
  unpackBundles(ws);
  ws.resources.push(...linkRemoteConnections(ws, ws.resources));
  unpackTickets(ws);
  unpackStatus(ws);
  return ws;
}

function stateEntryFor(ws: WorkingSet, node: Node): NodeStateEntry | undefined {
  return ws.cib.status.nodes.find((e) => e.id === node.id || (e.uname !== undefined && e.uname === node.name));
}

function unpackStatus(ws: WorkingSet): void {
  const entries = new Map<Node, NodeStateEntry>();
  for (const e of ws.cib.status.nodes) {
    const node = ws.nodesById.get(e.id) ?? (e.uname !== undefined ? ws.nodesByName.get(e.uname) : undefined);
    if (!node || entries.has(node)) continue;
    entries.set(node, e);
    applyTransientAttrs(ws, node, e);
  }
  for (const node of ws.nodes) {
    applyAttributeFlags(node);
    if (node.kind !== 'member') continue;
    const e = entries.get(node);
    if (e) determineClusterNodeState(ws, node, e);
    else if (ws.options.stonithEnabled && ws.options.startupFencing) {
      node.unclean = true;
      node.fenceReason = 'node is unclean';
    }
  }
  const result: NodeHistoryResult = { bans: [], fatal: [] };
  const done = new Set<Node>();
  // Cluster nodes that are up first, in status order; their history says whether remote
  // connections are active, which decides whether remote nodes' histories count.
  const ordered = [...entries.keys()];
  for (const node of ordered) {
    if (node.kind !== 'member' || !node.online) continue;
    unpackNodeHistory(ws, node, entries.get(node)!, result);
    done.add(node);
  }
  let progress = true;
  while (progress) {
    progress = false;
    for (const node of ordered) {
      if (done.has(node) || node.kind === 'member') continue;
      if (!decideRemoteState(ws, node, entries.get(node))) continue;
      done.add(node);
      progress = true;
      if (node.online || node.unclean) unpackNodeHistory(ws, node, entries.get(node)!, result);
    }
  }
  // Unclean nodes' history still matters: what ran there must be recovered after fencing.
  for (const node of ordered) {
    if (done.has(node)) continue;
    if (node.kind === 'member' && !(node.unclean || node.pending)) continue;
    if (node.kind !== 'member') decideRemoteState(ws, node, entries.get(node), true);
    if (node.kind === 'member' && node.pending && !node.unclean) continue;
    unpackNodeHistory(ws, node, entries.get(node)!, result);
    done.add(node);
  }
  for (const node of ws.nodes) if (node.kind !== 'member' && !done.has(node)) decideRemoteState(ws, node, entries.get(node), true);
  for (const { rsc, node } of result.bans) {
    rsc.allowed.set(node.id, -1_000_000);
    (rsc as Resource & { hardBans?: Set<string> }).hardBans ??= new Set();
    (rsc as Resource & { hardBans?: Set<string> }).hardBans!.add(node.id);
  }
  for (const r of result.fatal) for (const d of descendants(r)) d.blocked = false;
  finishStatus(ws);
}

/**
 * A remote or guest node is up when its connection resource is active (and, for a guest, its
 * container). Returns false while that cannot be known yet.
 */
function decideRemoteState(ws: WorkingSet, node: Node, entry: NodeStateEntry | undefined, final = false): boolean {
  const conn = node.connection;
  if (!conn) {
    node.online = false;
    return true;
  }
  const container = conn.container;
  const connActive = conn.runningOn.length > 0;
  if (!connActive && !final) {
    // Maybe the connection's host has not been unpacked yet.
    return ws.nodes.every((n) => n.kind !== 'member' || !n.online) || !hasPendingHost(ws, conn);
  }
  node.seen = entry !== undefined;
  if (entry && isTrue(entry.attrs['node_fenced'])) node.remoteWasFenced = true;
  if (container && container.failed) {
    node.unclean = true;
    node.online = false;
    node.fenceReason = 'guest is unclean';
    return true;
  }
  if (container && container.runningOn.length === 0 && connActive) {
    node.online = false;
    return true;
  }
  if (connActive && conn.failed) {
    node.online = false;
    node.unclean = true;
    node.fenceReason = 'remote connection is unrecoverable';
    return true;
  }
  if (connActive && conn.runningOn.every((h) => h.unclean) && !container) {
    node.online = true;
    return true;
  }
  node.online = connActive;
  if (node.online && entry) {
    const shutdown = node.attrs.get('shutdown');
    if (shutdown !== undefined && shutdown !== '0' && shutdown !== '') node.shutdown = true;
  }
  return true;
}

function hasPendingHost(_ws: WorkingSet, _conn: Resource): boolean {
  return false;
}

function finishStatus(ws: WorkingSet): void {
  for (const r of ws.resources) for (const d of descendants(r)) aggregateRole(d);
  void stateEntryFor;
}

/** Groups and clones take their role from their members (for display and decisions). */
function aggregateRole(r: Resource): void {
  if (r.kind === 'primitive') return;
  for (const c of r.children) aggregateRole(c);
  const roles = r.children.map((c) => c.role);
  const rank = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 } as const;
  let best: Resource['role'] = 'Stopped';
  for (const role of roles) if (rank[role] > rank[best]) best = role;
  r.role = best;
  r.runningOn = [];
  for (const c of r.children) for (const n of c.runningOn) if (!r.runningOn.includes(n)) r.runningOn.push(n);
  if (r.children.some((c) => c.failed)) r.failed = true;
}
