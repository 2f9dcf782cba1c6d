// Orderings for bundles, remote and guest nodes, and resources that run inside a container.
//
// - A bundle replica starts its IP address, then its container, then its remote connection, then
//   the wrapped resource's instance on the guest node; stops go the other way. The bundle's own
//   milestones (start, running, stop, stopped; promote, promoted, demote, demoted when it wraps a
//   promotable resource) enclose those of its wrapped clone.
// - Anything on a remote or guest node starts only once that node's connection can start, and
//   stops before the connection stops.
// - A resource whose meta "container" names another starts after it and restarts with it.
import type { Action, Node, OrderFlags, Resource } from '../types.ts';
import { ActionGraph } from './graph.ts';
import { actionsFor, pseudoAction } from './order.ts';
import { descendants } from '../unpack/resources.ts';
import { recoveredGuests } from '../placement/bundle.ts';

function orderAll(graph: ActionGraph, firsts: Action[], thens: Action[], flags: OrderFlags): void {
  for (const f of firsts) for (const t of thens) graph.order(f, t, flags);
}

const starts = (graph: ActionGraph, r: Resource) => graph.find(r, 'start');
const stops = (graph: ActionGraph, r: Resource) => graph.find(r, 'stop');

function primitivesIn(r: Resource): Resource[] {
  return [...descendants(r)].filter((d) => d.kind === 'primitive');
}

function replicaOrders(graph: ActionGraph, ip: Resource | undefined, container: Resource, remote: Resource | undefined, child: Resource | undefined): void {
  const chain = [ip, container, remote].filter((p): p is Resource => p !== undefined);
  for (let i = 1; i < chain.length; i++) {
    const a = chain[i - 1]!;
    const b = chain[i]!;
    orderAll(graph, starts(graph, a), starts(graph, b), { impliesThen: true, runnableLeft: true });
    orderAll(graph, stops(graph, b), stops(graph, a), { impliesFirst: true });
  }
  if (!child) return;
  for (const p of primitivesIn(child)) {
    for (const holder of [container, remote]) {
      if (!holder) continue;
      orderAll(graph, starts(graph, holder), starts(graph, p), { impliesThen: true, runnableLeft: true });
      orderAll(graph, stops(graph, p), stops(graph, holder), { impliesFirst: true });
    }
  }
}

function bundleOrders(graph: ActionGraph, b: Resource): void {
  const state = b.bundle;
  if (!state) return;
  for (const rep of state.replicas) replicaOrders(graph, rep.ipRsc, rep.container, rep.remote, rep.child);
  const clone = state.child;
  const promotedMilestones = graph.allFor(b).filter((a) => a.pseudo && !a.node && (a.task === 'promote' || a.task === 'promoted'));
  if (!clone) {
    // Nothing in it can be promoted.
    for (const a of promotedMilestones) a.runnable = false;
    return;
  }
  const pair = (task: string, flags: OrderFlags, inward: boolean) => {
    const outer = pseudoAction(graph, b, task);
    const inner = pseudoAction(graph, clone, task);
    if (inward) graph.order(outer, inner, flags);
    else graph.order(inner, outer, flags);
  };
  pair('start', {}, true);
  pair('running', { impliesThen: true, runnableLeft: true }, false);
  pair('stop', {}, true);
  pair('stopped', { impliesThen: true }, false);
  if (clone.promotable) {
    pair('promote', { runnableLeft: true }, true);
    pair('promoted', { impliesThen: true, runnableLeft: true }, false);
    pair('demote', {}, true);
    pair('demoted', { impliesThen: true }, false);
    graph.order(pseudoAction(graph, b, 'running'), pseudoAction(graph, b, 'promote'), { runnableLeft: true });
    graph.order(pseudoAction(graph, b, 'demoted'), pseudoAction(graph, b, 'stop'), {});
  } else {
    for (const a of promotedMilestones) a.runnable = false;
  }
}

function isStartLike(task: string): boolean {
  return task === 'start' || task === 'promote' || task === 'migrate_from' || task === 'migrate_to';
}

/** Actions on remote and guest nodes wait for the connection; stops come before it goes. */
function remoteNodeOrders(graph: ActionGraph): void {
  const byConnection = new Map<Node, Action[]>();
  for (const a of graph.actions) {
    const node = a.node;
    if (!node || node.kind === 'member' || !a.rsc || !node.connection || a.rsc === node.connection) continue;
    if (a.task === 'stonith') continue;
    let l = byConnection.get(node);
    if (!l) byConnection.set(node, (l = []));
    l.push(a);
  }
  for (const [node, actions] of byConnection) {
    const conn = node.connection!;
    const connStarts = actionsFor(graph, conn, 'start');
    // A guest's resources restart when its container does.
    const containerStarts = node.kind === 'guest' && conn.container && !recoveredGuests.has(node) ? graph.find(conn.container, 'start') : [];
    const connStops = graph.find(conn, 'stop');
    for (const a of actions) {
      if (a.intervalMs !== 0) continue;
      if (isStartLike(a.task)) {
        for (const s of connStarts) if (!s.node || s.node === conn.assignedTo) graph.order(s, a, { runnableLeft: true });
        if (a.task === 'start') orderAll(graph, containerStarts, [a], { impliesThen: true });
      } else if (a.task === 'stop' || a.task === 'demote') {
        if (!a.impliedByFencing) orderAll(graph, [a], connStops, {});
      }
    }
  }
}

/** Resources inside a container (meta "container") start after it and restart with it. */
function fillerOrders(graph: ActionGraph): void {
  for (const top of graph.ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive' || !r.container) continue;
      const container = r.container;
      // A failed resource inside a container takes the container down with it.
      // (a stop that failed inside it is cleaned up by restarting the container).
      const failedOn = new Set<Node>();
      if (r.isRemoteConnection) failedOn.clear();
      else {
      if (r.failed && !['ignore', 'block', 'stop', 'standby'].includes(r.onFailHandling ?? '')) for (const n of r.runningOn) failedOn.add(n);
      if (r.failureIgnored) for (const f of r.failures) if (f.task === 'stop') failedOn.add(f.node);
      }
      // A group inside a container is ordered as a whole.
      const whole = r.parent?.kind === 'group' && r.parent.meta.get('container') === container.id ? r.parent : undefined;
      const fStarts = whole ? [pseudoAction(graph, whole, 'start')] : starts(graph, r);
      const fStops = whole ? [pseudoAction(graph, whole, 'stopped')] : stops(graph, r);
      for (const c of primitivesIn(container)) {
        for (const s of stops(graph, c)) if (s.node && failedOn.has(s.node)) s.optional = false;
        orderAll(graph, starts(graph, c), fStarts, { impliesThen: true, runnableLeft: true });
        orderAll(graph, fStops, stops(graph, c), { impliesFirst: true });
      }
    }
  }
}

/**
 * A guest node whose container failed (or must be recovered) is "fenced" by recovering the
 * container: what ran on it is stopped by that, and may start there again afterwards.
 */
function guestFencing(graph: ActionGraph): Action[] {
  const ws = graph.ws;
  const fences: Action[] = [];
  if (!ws.options.stonithEnabled) return fences;
  for (const node of ws.nodes) {
    if (node.kind !== 'guest' || !(node.remoteRequiresReset || recoveredGuests.has(node)) || node.fenceScheduled) continue;
    const conn = node.connection;
    const container = conn?.container;
    if (!conn || !container) continue;
    const onNode = graph.actions.filter((a) => a.node === node && a.rsc && (a.task === 'stop' || a.task === 'demote'));
    if (conn.runningOn.length === 0 && onNode.length === 0) continue;
    const fence = graph.create({ task: 'stonith', key: `stonith-${node.name}-reboot`, node, pseudo: true, optional: false, reason: 'guest is unclean' });
    fence.fenceTarget = node;
    fence.fenceType = 'reboot';
    node.fenceScheduled = true;
    fences.push(fence);
    for (const s of graph.find(container, 'stop')) graph.order(s, fence, { impliesThen: true });
    for (const a of onNode) {
      a.pseudo = true;
      a.runnable = true;
      a.optional = false;
      a.impliedByFencing = true;
      delete a.reason;
      if (a.task === 'stop') a.rsc!.failed = true;
      graph.order(fence, a, { impliesThen: true });
    }
  }
  return fences;
}

/** Called once, after the implicit and constraint orderings exist; returns guest "fencing". */
export function createBundleOrders(graph: ActionGraph): Action[] {
  for (const top of graph.ws.resources) if (top.kind === 'bundle') bundleOrders(graph, top);
  remoteNodeOrders(graph);
  fillerOrders(graph);
  return guestFencing(graph);
}
