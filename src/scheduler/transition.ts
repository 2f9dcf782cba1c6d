// The transition: what the controller executes. The scheduler's action graph is reduced to the
// actions that must happen (required and runnable), each with everything an executor needs (agent,
// parameters, timeout, expected result) and the ids of the actions that must finish first. Recurring
// monitors are added for every resource that ends up running. Plain data: it can be stored as JSON.
import type { OpConfig, PrimitiveConfig } from '../cib/model.ts';
import { parseDurationMs } from '../cib/duration.ts';
import { unpackSets } from '../cib/rules.ts';
import type { Role } from '../cib/model.ts';
import type { Action, Node, Resource, WorkingSet } from './types.ts';
import type { ScheduleResult } from './index.ts';
import { descendants, isAnonymousCloneMember } from './unpack/resources.ts';

export type TransitionActionType = 'resource' | 'pseudo' | 'fence';

export interface TransitionAction {
  /** Unique within the transition; `inputs` refer to it. */
  id: number;
  type: TransitionActionType;
  /** start, stop, monitor, promote, demote, migrate_to, migrate_from, notify; stonith; or a milestone name. */
  task: string;
  /** Operation key as the history records it: `${historyId}_${task}_${intervalMs}`. */
  key: string;
  /** Resource instance id as the scheduler knows it ("web:1"). */
  rsc?: string;
  /** The id the node's history records it under (anonymous clone instances use the bare id). */
  historyId?: string;
  agent?: { class: string; provider?: string; type: string };
  node?: string;
  intervalMs: number;
  timeoutMs: number;
  /** Instance attributes (OCF_RESKEY_*). */
  params: Record<string, string>;
  /** Meta attributes for the agent (OCF_RESKEY_CRM_meta_*), without the prefix. */
  meta: Record<string, string>;
  /** The result that counts as success: 0, or 8 for a monitor of a promoted instance. */
  expectedRc: number;
  /** Ids of the actions that must complete before this one may start. */
  inputs: number[];
  /** For fencing: whom and how (reboot, off, on). */
  fence?: { target: string; action: string };
  /** Why the action is needed, as the summary says it (when known). */
  reason?: string;
}

export interface Transition {
  actions: TransitionAction[];
  /** The Transition Summary lines, as crm_simulate prints them. */
  summary: string[];
}

const DEFAULT_TIMEOUT_MS = 20_000;

/** The configured operation matching a task and interval (monitor ops also by role). */
export function findOp(cfg: PrimitiveConfig, task: string, intervalMs: number, role?: Role): OpConfig | undefined {
  const same = cfg.ops.filter((o) => o.name === task && o.intervalMs === intervalMs);
  if (role && same.length > 1) return same.find((o) => opRole(o) === role) ?? same[0];
  return same[0];
}

function opRole(o: OpConfig): Role | undefined {
  const r = o.attrs['role'];
  if (r === undefined) return undefined;
  if (r === 'Master') return 'Promoted';
  if (r === 'Slave') return 'Unpromoted';
  return r as Role;
}

function primitiveConfig(r: Resource): PrimitiveConfig | undefined {
  return r.config.kind === 'primitive' ? r.config : undefined;
}

/** The timeout of an operation: its own, then op_defaults, then 20 s. */
export function opTimeoutMs(ws: WorkingSet, r: Resource, task: string, intervalMs: number): number {
  const cfg = primitiveConfig(r);
  const op = cfg ? findOp(cfg, task, intervalMs) ?? (task === 'monitor' ? undefined : findOp(cfg, task, 0)) : undefined;
  const own = op?.attrs['timeout'];
  const ctx = { now: ws.now, op: { name: task, intervalMs }, ...(r.agent ? { rsc: r.agent } : {}) };
  const defaults = unpackSets(ws.cib.configuration.opDefaults, ctx);
  const text = own ?? defaults.get('timeout');
  if (text === undefined) return DEFAULT_TIMEOUT_MS;
  try {
    return parseDurationMs(text);
  } catch {
    return DEFAULT_TIMEOUT_MS;
  }
}

export function paramsOf(r: Resource): Record<string, string> {
  return Object.fromEntries(r.params);
}

/** Meta attributes the agent sees: the resource's own plus clone facts agents rely on. */
export function metaOf(r: Resource): Record<string, string> {
  const meta: Record<string, string> = {};
  for (const [k, v] of r.meta) meta[k.replace(/-/g, '_')] = v;
  let clone: Resource | undefined = r.parent;
  while (clone && clone.kind !== 'clone') clone = clone.parent;
  if (clone?.clone) {
    meta['clone_max'] = String(clone.clone.max);
    meta['clone_node_max'] = String(clone.clone.nodeMax);
    meta['globally_unique'] = String(clone.clone.globallyUnique);
    meta['notify'] = String(clone.clone.notify);
    if (clone.promotable) {
      meta['promoted_max'] = String(clone.clone.promotedMax);
      meta['promoted_node_max'] = String(clone.clone.promotedNodeMax);
      meta['master_max'] = String(clone.clone.promotedMax);
      meta['master_node_max'] = String(clone.clone.promotedNodeMax);
    }
    if (r.instanceNumber !== undefined) meta['clone'] = String(r.instanceNumber);
  }
  return meta;
}

const recordedIds = new WeakMap<WorkingSet, Set<string>>();

/**
 * The name the node and its agent know a resource by: anonymous clone instances use the base id
 * (as Pacemaker does), unless the history already records the instance under its own id.
 */
function historyIdOf(r: Resource, ws?: WorkingSet): string {
  if (r.historyName !== undefined) return r.historyName;
  if (!isAnonymousCloneMember(r)) return r.id;
  if (ws) {
    let ids = recordedIds.get(ws);
    if (!ids) {
      ids = new Set(ws.cib.status.nodes.flatMap((n) => n.lrm.map((l) => l.id)));
      recordedIds.set(ws, ids);
    }
    if (ids.has(r.id)) return r.id;
  }
  return r.baseId;
}

function isExecuted(a: Action): boolean {
  return !a.optional && a.runnable && !a.cancelled && !a.impliedByFencing;
}

/** Whether the node's recorded history already has this recurring monitor active. */
function hasRecordedMonitor(ws: WorkingSet, r: Resource, node: Node, intervalMs: number): boolean {
  const entry = ws.cib.status.nodes.find((n) => (n.uname ?? n.id) === node.name);
  const lrm = entry?.lrm.find((l) => l.id === historyIdOf(r, ws) || l.id === r.id);
  if (!lrm) return false;
  const key = `${historyIdOf(r, ws)}_monitor_${intervalMs}`;
  const ops = lrm.ops.filter((o) => o.intervalMs === intervalMs && o.operation === 'monitor' && (o.operationKey === key || o.operationKey.endsWith(`_monitor_${intervalMs}`)));
  if (ops.length === 0) return false;
  const last = ops.reduce((a, b) => (b.callId > a.callId ? b : a));
  return last.opStatus === 0 || last.opStatus === -1;
}

/** Whether a recurring monitor op applies to a resource in a given role. */
function monitorApplies(o: OpConfig, role: Role, promotable: boolean): boolean {
  if (o.name !== 'monitor' || o.intervalMs <= 0) return false;
  const enabled = o.attrs['enabled'];
  if (enabled !== undefined && /^(false|no|off|0)$/i.test(enabled)) return false;
  const want = opRole(o);
  if (want === undefined) return !(promotable && role === 'Promoted');
  if (want === 'Started') return role === 'Started' || role === 'Unpromoted';
  return want === role;
}

export function buildTransition(result: ScheduleResult): Transition {
  const { ws, graph } = result;
  const out: TransitionAction[] = [];
  const idOf = new Map<Action, number>();
  const executed = graph.actions.filter(isExecuted);
  for (const a of executed) idOf.set(a, out.length), out.push(toTransitionAction(ws, a, out.length));
  for (const a of executed) {
    const t = out[idOf.get(a)!]!;
    const inputs = new Set<number>();
    for (const e of a.before) {
      const id = idOf.get(e.action);
      if (id !== undefined) inputs.add(id);
    }
    t.inputs = [...inputs].sort((x, y) => x - y);
  }
  addRecurringMonitors(ws, executed, idOf, out);
  return { actions: out, summary: result.summary };
}

function toTransitionAction(ws: WorkingSet, a: Action, id: number): TransitionAction {
  const t: TransitionAction = {
    id,
    type: a.task === 'stonith' ? 'fence' : a.pseudo || !a.rsc || a.rsc.kind !== 'primitive' ? 'pseudo' : 'resource',
    task: a.task,
    key: a.key,
    intervalMs: a.intervalMs,
    timeoutMs: DEFAULT_TIMEOUT_MS,
    params: {},
    meta: {},
    expectedRc: 0,
    inputs: [],
  };
  if (a.node) t.node = a.node.name;
  if (a.reason) t.reason = a.reason;
  if (a.fenceTarget) {
    t.fence = { target: a.fenceTarget.name, action: a.fenceType ?? ws.options.stonithAction };
    t.node = a.fenceTarget.name;
  }
  if (a.rsc) {
    t.rsc = a.rsc.id;
    if (t.type === 'resource') {
      const r = a.rsc;
      t.historyId = historyIdOf(r, ws);
      t.key = `${t.historyId}_${a.task}_${a.intervalMs}`;
      if (r.agent) t.agent = { ...r.agent };
      t.timeoutMs = opTimeoutMs(ws, r, a.task, a.intervalMs);
      t.params = paramsOf(r);
      t.meta = metaOf(r);
      for (const [k, v] of a.meta) t.meta[k] = v;
      if (a.task === 'migrate_to' || a.task === 'migrate_from') {
        const source = r.runningOn[0] ?? r.partialMigrationSource;
        const target = r.assignedTo ?? r.partialMigrationTarget;
        if (source) t.meta['migrate_source'] = source.name;
        if (target) t.meta['migrate_target'] = target.name;
      }
    }
  }
  return t;
}

/** Recurring monitors for every primitive that will run: after its start/promote/demote, or now if missing. */
function addRecurringMonitors(ws: WorkingSet, executed: Action[], idOf: Map<Action, number>, out: TransitionAction[]): void {
  const lastStep = new Map<string, Action>();
  const tasksOn = new Map<string, Set<string>>();
  for (const a of executed) {
    if (!a.rsc || !a.node) continue;
    const key = `${a.rsc.id}@${a.node.name}`;
    let tasks = tasksOn.get(key);
    if (!tasks) tasksOn.set(key, (tasks = new Set()));
    tasks.add(a.task);
    if (a.pseudo) continue;
    if (a.task === 'start' || a.task === 'promote' || a.task === 'demote' || a.task === 'migrate_from') {
      const k = `${a.rsc.id}@${a.node.name}`;
      const prev = lastStep.get(k);
      if (!prev || order(prev.task) < order(a.task)) lastStep.set(k, a);
    }
  }
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      const cfg = primitiveConfig(r);
      if (!cfg || !r.managed || r.nextRole === 'Stopped' || !r.assignedTo) continue;
      const node = r.assignedTo;
      if (!node.online || node.unclean || node.maintenance) continue;
      const key = `${r.id}@${node.name}`;
      const step = lastStep.get(key);
      // Only where it will run after this transition: already there and not stopped, or started now.
      const tasks = tasksOn.get(key);
      const startedHere = tasks !== undefined && (tasks.has('start') || tasks.has('migrate_from'));
      const keptHere = r.runningOn.includes(node) && !(tasks?.has('stop') ?? false);
      if (!startedHere && !keptHere) continue;
      const role: Role = r.nextRole === 'Promoted' ? 'Promoted' : r.promotable || r.parent?.promotable ? 'Unpromoted' : 'Started';
      const promotable = r.promotable || (r.parent?.promotable ?? false);
      for (const o of cfg.ops) {
        if (!monitorApplies(o, role, promotable)) continue;
        if (!step && hasRecordedMonitor(ws, r, node, o.intervalMs)) continue;
        const historyId = historyIdOf(r, ws);
        out.push({
          id: out.length,
          type: 'resource',
          task: 'monitor',
          key: `${historyId}_monitor_${o.intervalMs}`,
          rsc: r.id,
          historyId,
          ...(r.agent ? { agent: { ...r.agent } } : {}),
          node: node.name,
          intervalMs: o.intervalMs,
          timeoutMs: opTimeoutMs(ws, r, 'monitor', o.intervalMs),
          params: paramsOf(r),
          meta: { ...metaOf(r), interval: String(o.intervalMs) },
          expectedRc: role === 'Promoted' ? 8 : 0,
          inputs: step ? [idOf.get(step)!] : [],
        });
      }
    }
  }
}

function order(task: string): number {
  return task === 'start' || task === 'migrate_from' ? 1 : task === 'demote' ? 2 : 3;
}

