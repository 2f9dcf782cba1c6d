// Resource operation history (lrm_rsc_op) -> where each resource is active, in which role, and what
// failed. Operations are replayed in call order; the result of each is judged against the result
// the controller expected (the target rc in its transition key).
import type { LrmResource, LrmRscOp, NodeStateEntry, PrimitiveConfig, Role } from '../../cib/model.ts';
import { unpackSets } from '../../cib/rules.ts';
import type { FailPolicy, FailedOp, Node, Resource, WorkingSet } from '../types.ts';
import { addCloneInstance, descendants } from './resources.ts';

export const OCF = {
  OK: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
  DEGRADED: 190,
  DEGRADED_PROMOTED: 191,
} as const;

export const EXEC = { PENDING: -1, DONE: 0, CANCELLED: 1, TIMEOUT: 2, NOT_SUPPORTED: 3, ERROR: 4, ERROR_HARD: 5, ERROR_FATAL: 6, NOT_INSTALLED: 7 } as const;

const failSeverity: Record<FailPolicy, number> = {
  ignore: 0,
  demote: 1,
  restart: 2,
  'restart-container': 3,
  block: 4,
  stop: 5,
  standby: 6,
  fence: 7,
};

const roleRank: Record<Role, number> = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 };
export function roleAtLeast(a: Role, b: Role): boolean {
  return roleRank[a] >= roleRank[b];
}

/** The rc the controller expected, from "action:transition:target-rc:uuid". */
function expectedRc(op: LrmRscOp): number {
  const key = op.transitionKey;
  if (key) {
    const parts = key.split(':');
    if (parts.length >= 4) {
      const n = Number(parts[2]);
      if (Number.isFinite(n)) return n;
    }
  }
  return op.operation === 'monitor' && op.intervalMs === 0 ? OCF.NOT_RUNNING : OCF.OK;
}

function isProbe(op: LrmRscOp): boolean {
  return op.operation === 'monitor' && op.intervalMs === 0;
}

/** Sort by call id; pending operations (call id -1) count as newest. */
function byCallOrder(a: LrmRscOp, b: LrmRscOp): number {
  const ca = a.callId < 0 ? Number.MAX_SAFE_INTEGER : a.callId;
  const cb = b.callId < 0 ? Number.MAX_SAFE_INTEGER : b.callId;
  if (ca !== cb) return ca - cb;
  return (a.lastRcChange ?? 0) - (b.lastRcChange ?? 0);
}

interface ReplayState {
  role: Role;
  failed: boolean;
  onFail: FailPolicy;
  /** A hard error bans the resource from this node. */
  banned: boolean;
  /** A fatal error stops the resource everywhere. */
  fatal: boolean;
  lastFailure?: LrmRscOp;
  migrateToOnSource?: LrmRscOp;
  pendingTask?: string;
}

/** The configured on-fail for an operation, or Pacemaker's default. */
export function onFailFor(ws: WorkingSet, rsc: Resource, task: string, intervalMs: number): FailPolicy {
  const cfg = rsc.config.kind === 'primitive' ? (rsc.config as PrimitiveConfig) : undefined;
  let name = task;
  if (task === 'migrate_to' || task === 'migrate_from') name = task;
  const op = cfg?.ops.find((o) => o.name === name && o.intervalMs === intervalMs && o.attrs.enabled !== 'false')
    ?? (intervalMs === 0 && name === 'monitor' ? undefined : undefined);
  let value = op?.attrs['on-fail'];
  if (value === undefined) {
    const defaults = unpackSets(ws.cib.configuration.opDefaults, {
      now: ws.now,
      op: { name, intervalMs },
      rsc: rsc.agent ? { class: rsc.agent.class, type: rsc.agent.type, ...(rsc.agent.provider ? { provider: rsc.agent.provider } : {}) } : undefined,
    } as never);
    value = defaults.get('on-fail');
  }
  if (value === 'restart-container' && !rsc.container) value = 'restart';
  if (value !== undefined && value in failSeverity) {
    if (value === 'fence' && !ws.options.stonithEnabled) return 'block';
    if (value === 'demote' && !(task === 'promote' || (task === 'monitor' && isPromotedMonitor(rsc, intervalMs)))) return 'restart';
    return value as FailPolicy;
  }
  if (task === 'stop') return ws.options.stonithEnabled ? 'fence' : 'block';
  return 'restart';
}

function isPromotedMonitor(rsc: Resource, intervalMs: number): boolean {
  const cfg = rsc.config.kind === 'primitive' ? (rsc.config as PrimitiveConfig) : undefined;
  const op = cfg?.ops.find((o) => o.name === 'monitor' && o.intervalMs === intervalMs);
  return op?.attrs.role === 'Promoted';
}

function applyFailure(ws: WorkingSet, rsc: Resource, node: Node, op: LrmRscOp, st: ReplayState, rc: number, hard: boolean, fatal: boolean): void {
  const task = op.operation;
  const policy = onFailFor(ws, rsc, task, op.intervalMs);
  const failure: FailedOp = {
    rsc,
    node,
    opKey: op.operationKey,
    task,
    intervalMs: op.intervalMs,
    rc,
    status: op.opStatus,
    callId: op.callId,
    lrmId: op.id,
  };
  if (op.exitReason !== undefined) failure.exitReason = op.exitReason;
  if (op.lastRcChange !== undefined) failure.lastRcChange = op.lastRcChange;
  if (op.execTime !== undefined) failure.execTime = op.execTime;
  if (op.queueTime !== undefined) failure.queueTime = op.queueTime;
  rsc.failures.push(failure);
  ws.failedOps.push(failure);
  st.lastFailure = op;
  if (hard) st.banned = true;
  if (fatal) st.fatal = true;
  if (policy === 'ignore') {
    // An ignored failure still leaves a record but changes nothing else; a failed probe or
    // monitor with on-fail=ignore still leaves the resource running.
    if (st.role === 'Stopped' && task !== 'stop') st.role = 'Started';
    return;
  }
  if (failSeverity[policy] > failSeverity[st.onFail]) st.onFail = policy;
  st.failed = true;
  switch (task) {
    case 'stop':
      st.role = 'Started';
      break;
    case 'promote':
      st.role = 'Promoted';
      break;
    case 'demote':
      st.role = policy === 'block' ? 'Promoted' : 'Promoted';
      break;
    case 'start':
    case 'migrate_from':
      st.role = 'Started';
      break;
    case 'migrate_to':
      st.role = 'Started';
      break;
    case 'monitor':
      if (rc === OCF.FAILED_PROMOTED) st.role = 'Promoted';
      else if (rc === OCF.NOT_RUNNING && op.intervalMs > 0) {
        // A recurring monitor that finds the resource gone: it failed where it was.
        if (st.role === 'Stopped') st.role = 'Started';
      } else if (st.role === 'Stopped' || st.role === 'Unknown') st.role = 'Started';
      break;
    default:
      if (st.role === 'Stopped' || st.role === 'Unknown') st.role = 'Started';
  }
}

function replayOp(ws: WorkingSet, rsc: Resource, node: Node, op: LrmRscOp, st: ReplayState): void {
  const task = op.operation;
  const status = op.opStatus;
  const rc = op.rcCode;
  const expected = expectedRc(op);
  if (task === 'notify' || task === 'meta-data') {
    if (status === EXEC.DONE || rc === expected) return;
  }
  if (status === EXEC.CANCELLED) return;
  if (status === EXEC.PENDING) {
    st.pendingTask = task;
    if (task === 'start' || task === 'migrate_from' || task === 'promote' || task === 'demote') {
      st.role = task === 'promote' ? 'Promoted' : task === 'demote' ? 'Unpromoted' : 'Started';
    } else if (task === 'stop' || task === 'migrate_to') {
      if (st.role === 'Stopped' || st.role === 'Unknown') st.role = 'Started';
    } else if (task === 'monitor' && op.intervalMs === 0) {
      // A probe still in flight: nothing known yet.
    }
    return;
  }
  if (status === EXEC.TIMEOUT || status === EXEC.NOT_SUPPORTED || status === EXEC.ERROR_HARD || status === EXEC.ERROR_FATAL || status === EXEC.NOT_INSTALLED) {
    if (status === EXEC.NOT_INSTALLED && isProbe(op)) {
      // A probe saying "not installed here": the resource is not running here and cannot run here.
      st.role = 'Stopped';
      st.banned = true;
      return;
    }
    applyFailure(ws, rsc, node, op, st, rc, status !== EXEC.TIMEOUT, status === EXEC.ERROR_FATAL);
    return;
  }
  // Completed: judge the rc.
  if (rc === expected || (isProbe(op) && (rc === OCF.NOT_RUNNING || rc === OCF.OK || rc === OCF.RUNNING_PROMOTED))) {
    succeed(rsc, op, st, rc);
    return;
  }
  if (rc === OCF.DEGRADED || rc === OCF.DEGRADED_PROMOTED) {
    succeed(rsc, op, st, rc === OCF.DEGRADED ? OCF.OK : OCF.RUNNING_PROMOTED);
    return;
  }
  if (isProbe(op) && rc === OCF.ERR_INSTALLED) {
    st.role = 'Stopped';
    st.banned = true;
    return;
  }
  const hard = rc === OCF.ERR_ARGS || rc === OCF.ERR_UNIMPLEMENTED || rc === OCF.ERR_PERM || rc === OCF.ERR_INSTALLED;
  const fatal = rc === OCF.ERR_CONFIGURED;
  applyFailure(ws, rsc, node, op, st, rc, hard, fatal);
}

function succeed(rsc: Resource, op: LrmRscOp, st: ReplayState, rc: number): void {
  switch (op.operation) {
    case 'start':
    case 'migrate_from':
      st.role = 'Started';
      break;
    case 'stop':
      st.role = 'Stopped';
      st.failed = false;
      st.onFail = 'ignore';
      break;
    case 'promote':
      st.role = 'Promoted';
      break;
    case 'demote':
      st.role = 'Unpromoted';
      break;
    case 'migrate_to':
      st.migrateToOnSource = op;
      if (st.role === 'Stopped' || st.role === 'Unknown') st.role = 'Started';
      break;
    case 'monitor':
      if (rc === OCF.NOT_RUNNING) {
        st.role = 'Stopped';
        if (isProbe(op)) {
          st.failed = false;
          st.onFail = 'ignore';
        }
      } else if (rc === OCF.RUNNING_PROMOTED) st.role = 'Promoted';
      else if (!roleAtLeast(st.role, 'Started')) st.role = 'Started';
      break;
    default:
      break;
  }
}

/**
 * Finds the resource a history entry belongs to: itself, a clone instance (anonymous clones map
 * onto the instance already active on this node, else the first inactive one), or a new orphan.
 */
function findHistoryResource(ws: WorkingSet, node: Node, lrm: LrmResource): Resource | undefined {
  const direct = ws.resourcesById.get(lrm.id);
  if (direct && direct.kind === 'primitive' && !isAnonymousInstance(direct)) return direct;
  const base = lrm.id.replace(/:\d+$/, '');
  const primitiveAnywhere = [...ws.resourcesById.values()].find((r) => r.kind === 'primitive' && r.baseId === base && r.parent);
  const clone = primitiveAnywhere ? cloneAncestor(primitiveAnywhere) : undefined;
  if (!clone) {
    if (direct && direct.kind === 'primitive') return direct;
    return undefined;
  }
  if (clone.unique) {
    if (direct) return direct;
    const m = /:(\d+)$/.exec(lrm.id);
    if (!m) return undefined;
    const inst = addCloneInstance(ws, clone, Number(m[1]));
    for (const r of descendants(inst)) r.orphan = true;
    return findPrimitiveIn(inst, base);
  }
  let inactive: Resource | undefined;
  for (const inst of clone.children) {
    const prim = findPrimitiveIn(inst, base);
    if (!prim) continue;
    const active = activeNodes(inst);
    if (active.length > 0) {
      if (active.includes(node) && !prim.runningOn.includes(node)) return prim;
      if (active.includes(node) && prim.runningOn.includes(node)) continue;
    } else if (!inactive && !inst.blocked) {
      if (prim.pendingNode && prim.pendingNode !== node) continue;
      inactive = prim;
    }
  }
  if (inactive) return inactive;
  const inst = addCloneInstance(ws, clone, clone.children.length);
  for (const r of descendants(inst)) r.orphan = true;
  return findPrimitiveIn(inst, base);
}

function isAnonymousInstance(r: Resource): boolean {
  const c = cloneAncestor(r);
  return c !== undefined && !c.unique;
}

function cloneAncestor(r: Resource): Resource | undefined {
  for (let p = r.parent; p; p = p.parent) if (p.kind === 'clone') return p;
  return undefined;
}

function findPrimitiveIn(inst: Resource, base: string): Resource | undefined {
  for (const r of descendants(inst)) if (r.kind === 'primitive' && r.baseId === base) return r;
  return undefined;
}

function activeNodes(r: Resource): Node[] {
  const out: Node[] = [];
  for (const d of descendants(r)) for (const n of d.runningOn) if (!out.includes(n)) out.push(n);
  return out;
}

/** An orphan: history of a resource no longer configured. */
function makeOrphan(ws: WorkingSet, lrm: LrmResource): Resource {
  const cfg: PrimitiveConfig = {
    kind: 'primitive',
    id: lrm.id,
    class: lrm.class ?? 'ocf',
    type: lrm.type ?? 'unknown',
    ops: [],
    meta: [],
    instance: [],
    utilization: [],
  };
  if (lrm.provider !== undefined) cfg.provider = lrm.provider;
  const r: Resource = {
    ...placeholder(lrm.id, cfg),
  };
  r.agent = { class: cfg.class, type: cfg.type };
  if (cfg.provider) r.agent.provider = cfg.provider;
  r.orphan = true;
  r.managed = !ws.options.maintenanceMode;
  r.requires = r.agent.class === 'stonith' ? 'nothing' : ws.options.stonithEnabled ? 'fencing' : 'quorum';
  const meta = unpackSets(ws.cib.configuration.rscDefaults, { now: ws.now });
  r.meta = meta;
  ws.resourcesById.set(r.id, r);
  ws.resources.push(r);
  return r;
}

function placeholder(id: string, cfg: PrimitiveConfig): Resource {
  return {
    id,
    kind: 'primitive',
    baseId: id,
    children: [],
    config: cfg,
    meta: new Map(),
    params: new Map(),
    utilization: new Map(),
    managed: true,
    orphan: true,
    failed: false,
    blocked: false,
    unique: false,
    promotable: false,
    requires: 'fencing',
    priority: 0,
    stickiness: 0,
    migrationThreshold: 1_000_000,
    failureTimeoutMs: 0,
    multipleActive: 'stop_start',
    allowMigrate: false,
    critical: true,
    role: 'Stopped',
    runningOn: [],
    knownOn: new Set(),
    failures: [],
    allowed: new Map(),
    provisional: true,
    nextRole: 'Unknown',
    thisWithColocations: [],
    withThisColocations: [],
    locations: [],
    isRemoteConnection: false,
    ops: [],
  };
}

export interface NodeHistoryResult {
  /** Resources banned from the node by hard errors. */
  bans: { rsc: Resource; node: Node }[];
  fatal: Resource[];
}

/** Replays one node's history. */
export function unpackNodeHistory(ws: WorkingSet, node: Node, entry: NodeStateEntry, out: NodeHistoryResult): void {
  node.lrmKnown = entry.hasLrm;
  for (const lrm of entry.lrm) {
    let rsc = findHistoryResource(ws, node, lrm);
    const ops = [...lrm.ops].sort(byCallOrder);
    if (!rsc) {
      // Only a history that shows the resource active makes an orphan worth tracking.
      rsc = makeOrphan(ws, lrm);
    }
    const st: ReplayState = { role: 'Unknown', failed: false, onFail: 'ignore', banned: false, fatal: false };
    for (const op of ops) replayOp(ws, rsc, node, op, st);
    if (ops.length > 0) rsc.knownOn.add(node.id);
    if (st.pendingTask !== undefined) {
      rsc.pendingTask = st.pendingTask;
      rsc.pendingNode = node;
    }
    if (st.banned) out.bans.push({ rsc, node });
    if (st.fatal) out.fatal.push(rsc);
    if (st.migrateToOnSource) recordMigration(ws, rsc, node, st.migrateToOnSource, st);
    let role = st.role;
    if (rsc.promotable && role === 'Started') role = 'Unpromoted';
    if (role === 'Unknown' || role === 'Stopped') {
      if (rsc.orphan && !rsc.parent && rsc.runningOn.length === 0) {
        // An orphan that is not running anywhere is forgotten.
        if (!ws.failedOps.some((f) => f.rsc === rsc)) dropOrphan(ws, rsc);
      }
      continue;
    }
    if (st.failed) {
      rsc.failed = true;
      if (failSeverity[st.onFail] > failSeverity[rsc.onFailHandling ?? 'ignore']) rsc.onFailHandling = st.onFail;
      if (st.onFail === 'block') rsc.blocked = true;
      if (st.onFail === 'fence' && !node.unclean) {
        node.unclean = true;
        node.fenceReason = `${rsc.id} failed there`;
      }
      if (st.onFail === 'standby') node.standby = true;
    }
    addRunning(rsc, node, role);
  }
}

function dropOrphan(ws: WorkingSet, rsc: Resource): void {
  ws.resourcesById.delete(rsc.id);
  const i = ws.resources.indexOf(rsc);
  if (i >= 0) ws.resources.splice(i, 1);
}

function recordMigration(ws: WorkingSet, rsc: Resource, source: Node, op: LrmRscOp, st: ReplayState): void {
  const target = op.migrateTarget !== undefined ? ws.nodesByName.get(op.migrateTarget) : undefined;
  if (!target) return;
  if (st.role === 'Stopped') return;
  rsc.partialMigrationSource = source;
  rsc.partialMigrationTarget = target;
}

export function addRunning(rsc: Resource, node: Node, role: Role): void {
  if (!rsc.runningOn.includes(node)) rsc.runningOn.push(node);
  if (!node.running.includes(rsc)) node.running.push(rsc);
  if (rsc.runningOn.length === 1 || roleAtLeast(role, rsc.role)) rsc.role = role;
}
