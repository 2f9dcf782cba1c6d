// The transition summary: one line per resource that changes (Start, Stop, Move, Recover, Restart,
// Migrate, Promote, Demote, Re-promote, Reload) and per node being fenced, worded as crm_simulate
// words them, with the reason an action became necessary or could not run.
import type { Action, Node, Resource, WorkingSet } from '../types.ts';
import type { ActionGraph } from './graph.ts';
import { descendants } from '../unpack/resources.ts';

const rank = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 } as const;

interface Item {
  change: string;
  rsc: Resource;
  origin: Node | undefined;
  destination: Node | undefined;
  action: Action;
  source: Action | undefined;
}

function details(item: Item): string {
  const { rsc, origin, destination } = item;
  const needRole = rank[rsc.role] > rank.Started || rank[rsc.nextRole] > rank.Unpromoted;
  const sameHost = origin !== undefined && destination !== undefined && origin === destination;
  const sameRole = rsc.role === rsc.nextRole;
  if (needRole && !origin) return `${rsc.role} -> ${rsc.nextRole} ${destination!.name}`;
  if (!origin) return destination!.name;
  if (needRole && !destination) return `${rsc.role} ${origin.name}`;
  if (!destination) return origin.name;
  if (needRole && sameRole && sameHost) return `${rsc.role} ${origin.name}`;
  if (sameRole && sameHost) return origin.name;
  if (needRole && sameRole) return `${origin.name} -> ${destination.name} ${rsc.role}`;
  if (sameRole) return `${origin.name} -> ${destination.name}`;
  if (sameHost) return `${rsc.role} -> ${rsc.nextRole} ${origin.name}`;
  return `${rsc.role} ${origin.name} -> ${rsc.nextRole} ${destination.name}`;
}

function formatItem(item: Item): string {
  const source = item.source ?? item.action;
  let reason = '';
  if (source.reason && !item.action.runnable) reason = `due to ${source.reason} (blocked)`;
  else if (source.reason) reason = `due to ${source.reason}`;
  else if (!item.action.runnable) reason = 'blocked';
  return `  * ${item.change.padEnd(8)}   ${item.rsc.id.padEnd(item.rsc.id.length + 2)}   ( ${details(item)} )${reason ? '  ' + reason : ''}`;
}

function primitiveItems(graph: ActionGraph, r: Resource): Item[] {
  const out: Item[] = [];
  const next = r.assignedTo;
  const current = r.runningOn[0];
  if (current && r.role === 'Stopped') r.role = 'Started';
  if (!current && r.orphan) return out;
  if (!r.managed || (!current && !next)) return out;
  const moving = current !== undefined && next !== undefined && current !== next;
  const start = next ? graph.findOne(r, 'start', next) : undefined;
  const startNode = start && start.runnable ? current : undefined;
  const stop = startNode ? graph.findOne(r, 'stop', startNode) : graph.find(r, 'stop').find((a) => a.node !== undefined);
  const promote = next ? graph.findOne(r, 'promote', next) : undefined;
  const demote = next ? graph.findOne(r, 'demote', next) : undefined;
  const item = (change: string, origin: Node | undefined, destination: Node | undefined, action: Action, source?: Action) => out.push({ change, rsc: r, origin, destination, action, source });

  if (r.role === r.nextRole) {
    const migrate = next ? graph.findOne(r, 'migrate_from', next) : undefined;
    if (!next) return out;
    if (migrate && current && migrate.runnable) item('Migrate', r.migrating?.source ?? current, next, start ?? migrate);
    else if (r.reload) item('Reload', current, next, start ?? graph.findOne(r, 'reload-agent') ?? migrate!);
    else if (!start || start.optional) {
      if (demote && promote && !demote.optional && !promote.optional) item('Re-promote', current, next, promote, demote);
    } else if (!start.runnable) {
      item('Stop', current, undefined, stop ?? start, stop && stop.reason ? stop : start);
    } else if (moving && current) {
      item(r.failed ? 'Recover' : 'Move', current, next, stop ?? start);
    } else if (r.failed) {
      item('Recover', current, undefined, stop ?? start);
    } else {
      item('Restart', current, next, start);
    }
    return out;
  }
  if (stop && (r.nextRole === 'Stopped' || (start && !start.runnable))) {
    for (const node of r.runningOn) {
      const stopOn = graph.findOne(r, 'stop', node);
      if (!stopOn) continue;
      item('Stop', node, undefined, stopOn, stopOn.reason ? stopOn : start);
    }
  } else if (stop && r.failed) {
    item('Recover', current, next, stop, start);
  } else if (moving && stop) {
    item('Move', current, next, stop);
  } else if (r.reload && start) {
    item('Reload', current, next, start);
  } else if (stop && !stop.optional && start) {
    item('Restart', current, next, start);
  } else if (r.role === 'Promoted' && demote) {
    item('Demote', current, next, demote);
  } else if (r.nextRole === 'Promoted' && promote) {
    item('Promote', current, next, promote);
  } else if (r.role === 'Stopped' && rank[r.nextRole] > rank.Stopped && start) {
    item('Start', current, next, start);
  }
  return out;
}

function fenceLine(a: Action): string {
  const node = a.fenceTarget!;
  const via = node.kind === 'guest' && node.connection?.container ? ` (resource: ${node.connection.container.id})` : '';
  return `  * Fence (${a.fenceType ?? 'reboot'}) ${node.name}${via} '${a.reason ?? 'node is unclean'}'`;
}

export function transitionSummary(ws: WorkingSet, graph: ActionGraph, fences: Action[]): string[] {
  const lines: string[] = [];
  for (const f of fences) if (!f.optional) lines.push(fenceLine(f));
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      for (const item of primitiveItems(graph, r)) lines.push(formatItem(item));
    }
  }
  return lines;
}
