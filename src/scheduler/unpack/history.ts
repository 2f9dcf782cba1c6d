// Resource operation history (lrm_rsc_op) -> where each resource is active, in which role, and what
// failed. Each node's entries for a resource are replayed in call order; each result is judged
// against the result the controller expected (the target rc in its transition key), and the
// resource's on-fail policy decides what a failure means.
import type { LrmResource, LrmRscOp, NodeStateEntry, PrimitiveConfig, Role } from '../../cib/model.ts';
import { parseDurationMs } from '../../cib/duration.ts';
import { unpackSets } from '../../cib/rules.ts';
import { INFINITY } from '../../cib/score.ts';
import type { FailPolicy, FailedOp, Node, Resource, WorkingSet } from '../types.ts';
import { bundleOf, replicaOnNode } from './bundle.ts';
import { failCount, failureTimeoutSeconds } from './failcounts.ts';
import { applyConfiguredAttrs, fenceNode, newNode } from './nodes.ts';
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
  /** The rc recorded for an operation still in flight. */
  PENDING: 193,
} as const;

export const EXEC = {
  PENDING: -1,
  DONE: 0,
  CANCELLED: 1,
  TIMEOUT: 2,
  NOT_SUPPORTED: 3,
  ERROR: 4,
  ERROR_HARD: 5,
  ERROR_FATAL: 6,
  NOT_INSTALLED: 7,
  NOT_CONNECTED: 8,
} as const;

/** How serious each on-fail policy is; a node's replay keeps the most serious one seen. */
const failRank: Record<FailPolicy, number> = {
  ignore: 0,
  demote: 1,
  restart: 2,
  'reset-remote': 3,
  'restart-container': 4,
  migrate: 5,
  block: 6,
  stop: 7,
  standby: 8,
  fence: 9,
};

const roleRank: Record<Role, number> = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 };
export function roleAtLeast(a: Role, b: Role): boolean {
  return roleRank[a] >= roleRank[b];
}
function roleBelow(a: Role, b: Role): boolean {
  return roleRank[a] < roleRank[b];
}

// ---------------------------------------------------------------------------------------------
// Reading history entries

/** Parses "action:transition:target-rc:uuid". */
function parseTransitionKey(key: string | undefined): { transition: number; targetRc: number; uuid: string } | undefined {
  if (!key) return undefined;
  const parts = key.split(':');
  if (parts.length < 4) return undefined;
  const transition = Number(parts[1]);
  const targetRc = Number(parts[2]);
  if (!Number.isFinite(transition) || !Number.isFinite(targetRc)) return undefined;
  return { transition, targetRc, uuid: parts.slice(3).join(':') };
}

/** The rc the controller expected, from the transition key. */
function expectedRc(op: LrmRscOp): number {
  const k = parseTransitionKey(op.transitionKey ?? magicKey(op.transitionMagic));
  if (k) return k.targetRc;
  return isProbe(op) ? OCF.NOT_RUNNING : OCF.OK;
}

/** The transition key inside "status:rc;key". */
function magicKey(magic: string | undefined): string | undefined {
  if (!magic) return undefined;
  const i = magic.indexOf(';');
  return i >= 0 ? magic.slice(i + 1) : undefined;
}

export function isProbe(op: Pick<LrmRscOp, 'operation' | 'intervalMs'>): boolean {
  return op.operation === 'monitor' && op.intervalMs === 0;
}

/**
 * Probe results that only mean "cannot run here" (agent or its prerequisites missing): shown as
 * "Stopped (not installed)", not as a failure.
 */
export function isMaskedProbeFailure(op: { operation: string; intervalMs: number; rc: number; status: number }): boolean {
  return isProbe(op) && (op.rc === OCF.ERR_INSTALLED || op.rc === OCF.ERR_ARGS || op.status === EXEC.NOT_INSTALLED);
}

/**
 * Orders one resource's entries on one node: by call id, ties by last-rc-change; an operation still
 * in flight (call id -1) is placed by the transition that scheduled it.
 */
function compareOps(a: LrmRscOp, b: LrmRscOp): number {
  if (a.id === b.id) return 0;
  const ca = a.callId;
  const cb = b.callId;
  if (ca === -1 && cb === -1) return 0;
  if (ca >= 0 && ca < cb) return -1;
  if (cb >= 0 && ca > cb) return 1;
  if (ca >= 0 && cb >= 0 && ca === cb) {
    const la = a.lastRcChange ?? -1;
    const lb = b.lastRcChange ?? -1;
    if (la >= 0 && la < lb) return -1;
    if (lb >= 0 && la > lb) return 1;
    return 0;
  }
  // Only the result magic ("status:rc;key") places an operation in flight; without one, no order.
  const ka = parseTransitionKey(magicKey(a.transitionMagic));
  const kb = parseTransitionKey(magicKey(b.transitionMagic));
  if (!ka || !kb) return 0;
  if (ka.uuid !== kb.uuid || ka.transition === kb.transition) {
    if (cb === -1) return -1;
    if (ca === -1) return 1;
  } else if ((ka.transition >= 0 && ka.transition < kb.transition) || kb.transition === -1) {
    return -1;
  } else if ((kb.transition >= 0 && ka.transition > kb.transition) || ka.transition === -1) {
    return 1;
  }
  return 0;
}

/**
 * Entries in call order. Ties keep reversed document order. The comparison is not a total order
 * when operations are in flight, so the result depends on the algorithm: this is a top-down merge
 * sort that splits a list before its middle (first half the smaller) and takes from the left on
 * ties, as Pacemaker's list sort does.
 */
export function sortedOps(ops: readonly LrmRscOp[]): LrmRscOp[] {
  return mergeSort([...ops].reverse(), compareOps);
}

function mergeSort<T>(list: T[], cmp: (a: T, b: T) => number): T[] {
  if (list.length <= 1) return list;
  const half = Math.floor(list.length / 2);
  const left = mergeSort(list.slice(0, half), cmp);
  const right = mergeSort(list.slice(half), cmp);
  const out: T[] = [];
  let i = 0;
  let j = 0;
  while (i < left.length && j < right.length) out.push(cmp(left[i]!, right[j]!) <= 0 ? left[i++]! : right[j++]!);
  return out.concat(left.slice(i), right.slice(j));
}

/** Whether op a happened after op b (call ids compare only on the same node). */
function isNewer(a: LrmRscOp, b: LrmRscOp, sameNode: boolean): boolean {
  if (sameNode) return compareOps(a, b) > 0;
  const la = a.lastRcChange ?? -1;
  const lb = b.lastRcChange ?? -1;
  return la >= 0 && lb >= 0 && la > lb;
}

// ---------------------------------------------------------------------------------------------
// The whole status section's history, for questions about other nodes (migrations).

export interface StatusContext {
  ws: WorkingSet;
  /** node name -> history id -> entries */
  history: Map<string, Map<string, LrmRscOp[]>>;
}

export function newStatusContext(ws: WorkingSet): StatusContext {
  const history = new Map<string, Map<string, LrmRscOp[]>>();
  for (const e of ws.cib.status.nodes) {
    const name = e.uname ?? ws.nodesById.get(e.id)?.name;
    if (name === undefined) continue;
    const byRsc = history.get(name) ?? new Map<string, LrmRscOp[]>();
    history.set(name, byRsc);
    for (const lrm of e.lrm) byRsc.set(lrm.id, [...(byRsc.get(lrm.id) ?? []), ...lrm.ops]);
  }
  return { ws, history };
}

function opsOn(ctx: StatusContext, historyId: string, nodeName: string): LrmRscOp[] {
  return ctx.history.get(nodeName)?.get(historyId) ?? [];
}

/** The resource has no recorded result on the node (only in-flight operations, if any). */
function unknownOnNode(ctx: StatusContext, historyId: string, nodeName: string): boolean {
  return !opsOn(ctx, historyId, nodeName).some((o) => o.rcCode !== OCF.PENDING);
}

function findOp(ctx: StatusContext, historyId: string, task: string, nodeName: string, peer: string, requireRc?: number): LrmRscOp | undefined {
  const op = opsOn(ctx, historyId, nodeName).find(
    (o) => o.operation === task && (task === 'migrate_to' ? o.migrateTarget === peer : o.migrateSource === peer),
  );
  if (op && requireRc !== undefined && !(op.rcCode === requireRc && op.opStatus === EXEC.DONE)) return undefined;
  return op;
}

/** Any operation other than a monitor on the node newer than the given one. */
function nonMonitorAfter(ctx: StatusContext, historyId: string, nodeName: string, ref: LrmRscOp, sameNode: boolean): boolean {
  return opsOn(ctx, historyId, nodeName).some((o) => o !== ref && o.operation !== 'monitor' && isNewer(o, ref, sameNode));
}

/** A monitor newer than the given operation found the resource not running there. */
function monitorNotRunningAfter(ctx: StatusContext, historyId: string, nodeName: string, ref: LrmRscOp, sameNode: boolean): boolean {
  return opsOn(ctx, historyId, nodeName).some(
    (o) => o !== ref && o.operation === 'monitor' && o.rcCode === OCF.NOT_RUNNING && isNewer(o, ref, sameNode),
  );
}

/** The node has newer state for the resource than the migration events. */
function newerStateAfterMigrate(ctx: StatusContext, historyId: string, nodeName: string, migrateTo: LrmRscOp | undefined, migrateFrom: LrmRscOp | undefined): boolean {
  const anyOp = (migrateFrom ?? migrateTo)!;
  const source = anyOp.migrateSource;
  const target = anyOp.migrateTarget;
  let ref = anyOp;
  let sameNode = false;
  if (nodeName === target) {
    if (migrateFrom) {
      ref = migrateFrom;
      sameNode = true;
    } else ref = migrateTo!;
  } else if (nodeName === source) {
    if (migrateTo) {
      ref = migrateTo;
      sameNode = true;
    } else ref = migrateFrom!;
  }
  return nonMonitorAfter(ctx, historyId, nodeName, ref, sameNode) || monitorNotRunningAfter(ctx, historyId, nodeName, ref, sameNode);
}

// ---------------------------------------------------------------------------------------------
// on-fail

interface FailHandling {
  policy: FailPolicy;
  /** The role the resource should end in after such a failure. */
  failRole: Role;
}

function configuredOps(rsc: Resource): PrimitiveConfig['ops'] {
  return rsc.config.kind === 'primitive' ? (rsc.config as PrimitiveConfig).ops : [];
}

function opConfig(rsc: Resource, task: string, intervalMs: number) {
  return configuredOps(rsc).find((o) => o.name === task && o.intervalMs === intervalMs);
}

/**
 * The configured operation an operation key ("<rsc>_<task>_<interval>", as the history records it)
 * refers to. Keys are compared whole, so history written under another name matches nothing;
 * migrations and notifications fall back to a generic "migrate" / "notify" operation.
 */
function opConfigByKey(rsc: Resource, key: string) {
  const names = [rsc.id, ...(rsc.historyName !== undefined ? [rsc.historyName] : [])];
  const find = (k: string) =>
    configuredOps(rsc).find((o) => names.some((n) => `${n}_${o.name}_${o.intervalMs}`.toLowerCase() === k.toLowerCase()));
  const op = find(key);
  if (op) return op;
  if (key.includes('migrate_to') || key.includes('migrate_from')) return find(`${rsc.id}_migrate_0`);
  if (key.includes('_notify_')) return find(`${rsc.id}_notify_0`);
  return undefined;
}

function isPromotedMonitor(rsc: Resource, intervalMs: number): boolean {
  const role = opConfig(rsc, 'monitor', intervalMs)?.attrs.role;
  return role === 'Promoted' || role === 'Master';
}

/** A remote node's connection (not a guest's): losing it means fencing the remote node. */
function isRemoteNodeConnection(ws: WorkingSet, rsc: Resource): boolean {
  if (!rsc.isRemoteConnection) return false;
  const node = ws.nodesByName.get(rsc.id);
  return node !== undefined && node.kind === 'remote';
}

/** A remote connection's reconnect_interval parameter: wait this long before reconnecting. */
function remoteReconnectMs(rsc: Resource): number {
  const v = rsc.params.get('reconnect_interval');
  if (v === undefined) return 0;
  try {
    return parseDurationMs(v);
  } catch {
    return 0;
  }
}

/**
 * The configured on-fail for an operation, or Pacemaker's default for it. With the operation key
 * from the history, the configured operation is the one that key names.
 */
export function failHandlingFor(ws: WorkingSet, rsc: Resource, task: string, intervalMs: number, opKey?: string): FailHandling {
  const conf = opKey !== undefined ? opConfigByKey(rsc, opKey) : opConfig(rsc, task, intervalMs);
  let value = conf?.attrs['on-fail'];
  if (value === undefined && task === 'demote') {
    // A demote fails the way the promoted-role monitor is configured to.
    value = configuredOps(rsc).find((o) => o.name === 'monitor' && (o.attrs.role === 'Promoted' || o.attrs.role === 'Master'))?.attrs['on-fail'];
  }
  if (value === undefined) {
    const defaults = unpackSets(ws.cib.configuration.opDefaults, {
      now: ws.now,
      op: { name: task, intervalMs },
      rsc: rsc.agent ? { class: rsc.agent.class, type: rsc.agent.type, ...(rsc.agent.provider ? { provider: rsc.agent.provider } : {}) } : undefined,
    } as never);
    value = defaults.get('on-fail');
  }
  let failRole: Role = 'Unknown';
  let policy: FailPolicy | undefined;
  switch (value) {
    case 'block':
      policy = 'block';
      break;
    case 'fence':
      if (ws.options.stonithEnabled) {
        policy = 'fence';
        failRole = 'Stopped';
      } else {
        policy = 'stop';
        failRole = 'Stopped';
      }
      break;
    case 'standby':
      policy = 'standby';
      failRole = 'Stopped';
      break;
    case 'ignore':
      policy = 'ignore';
      break;
    case 'migrate':
      policy = 'migrate';
      break;
    case 'stop':
      policy = 'stop';
      failRole = 'Stopped';
      break;
    case 'restart':
      policy = 'restart';
      break;
    case 'restart-container':
      if (rsc.container) policy = 'restart-container';
      break;
    case 'demote':
      if (task === 'promote' || (task === 'monitor' && isPromotedMonitor(rsc, intervalMs))) {
        policy = 'demote';
        failRole = 'Unpromoted';
      }
      break;
    default:
      break;
  }
  // A failed stop cannot be answered by stopping or moving away: it gets the stop default.
  if (task === 'stop' && (policy === 'stop' || policy === 'standby')) {
    policy = undefined;
    failRole = 'Unknown';
  }
  const probeOrStart = (task === 'monitor' && intervalMs === 0) || task === 'start';
  if (policy === undefined && rsc.container) {
    policy = 'restart-container';
  } else if ((policy === undefined || !rsc.managed) && isRemoteNodeConnection(ws, rsc) && !probeOrStart) {
    if (!rsc.managed) {
      policy = 'stop';
      failRole = 'Stopped';
    } else {
      policy = 'reset-remote';
      if (remoteReconnectMs(rsc) > 0) failRole = 'Stopped';
    }
  } else if (policy === undefined && task === 'stop') {
    policy = ws.options.stonithEnabled ? 'fence' : 'block';
  } else if (policy === undefined) {
    policy = 'restart';
  }
  if (failRole === 'Unknown') failRole = task === 'promote' ? 'Unpromoted' : 'Started';
  return { policy, failRole };
}

/** The on-fail policy for an operation (kept for callers that only need the policy). */
export function onFailFor(ws: WorkingSet, rsc: Resource, task: string, intervalMs: number): FailPolicy {
  return failHandlingFor(ws, rsc, task, intervalMs).policy;
}

// ---------------------------------------------------------------------------------------------
// Replaying one resource's history on one node

interface Replay {
  ctx: StatusContext;
  rsc: Resource;
  node: Node;
  /** The id the history uses (for looking up the same resource's entries on other nodes). */
  historyId: string;
  onFail: FailPolicy;
  lastFailure?: LrmRscOp;
}

/** A resource's top: the clone of a clone instance (not beyond a bundle), else itself. */
function uberParent(r: Resource): Resource {
  let p = r;
  while (p.parent && p.parent.kind !== 'bundle') p = p.parent;
  return p;
}

function setActive(rp: Replay): void {
  rp.rsc.role = uberParent(rp.rsc).promotable ? 'Unpromoted' : 'Started';
}

function setNextRole(rsc: Resource, role: Role): void {
  rsc.nextRole = role;
}

/** -INFINITY for a resource (and everything in it) on a node, or everywhere. */
export function banResource(ws: WorkingSet, rsc: Resource, node: Node | undefined, reason: string): void {
  (rsc.statusBans ??= []).push(node ? { node, reason } : { reason });
  for (const d of descendants(rsc)) {
    for (const n of node ? [node] : ws.nodes) {
      d.allowed.set(n.id, -INFINITY);
      d.unpackAllowed?.add(n.id);
    }
  }
}

/**
 * The history asks for a stop of the resource on a node. A stop that cannot run (the node is
 * down) can only be achieved by fencing the node.
 */
export function requestStop(ws: WorkingSet, rsc: Resource, node: Node): void {
  const list = (rsc.stopOn ??= []);
  if (!list.includes(node)) list.push(node);
  const reachable = node.online && !(node.kind === 'guest' && node.remoteRequiresReset);
  if (!reachable && (node.kind !== 'guest' || node.remoteRequiresReset) && rsc.managed && !node.unclean) {
    fenceNode(ws, node, 'resource actions are unrunnable');
  }
}

/** Adds a failed operation to the list crm_mon shows, once per operation and node. */
function recordFailedOp(ws: WorkingSet, rsc: Resource, node: Node, op: LrmRscOp): void {
  if (!node.online) return;
  if (ws.failedOps.some((f) => f.opKey === op.operationKey && f.node === node)) return;
  const failure: FailedOp = {
    rsc,
    node,
    opKey: op.operationKey,
    task: op.operation,
    intervalMs: op.intervalMs,
    rc: op.rcCode,
    status: op.opStatus,
    callId: op.callId,
    lrmId: op.id,
  };
  if (op.exitReason !== undefined) failure.exitReason = op.exitReason;
  if (op.lastRcChange !== undefined) failure.lastRcChange = op.lastRcChange;
  if (op.execTime !== undefined) failure.execTime = op.execTime;
  if (op.queueTime !== undefined) failure.queueTime = op.queueTime;
  if (op.onNode !== undefined) failure.onNode = op.onNode;
  rsc.failures.push(failure);
  ws.failedOps.push(failure);
}

const fenceDeviceCache = new WeakMap<WorkingSet, boolean>();

function hasFenceDevice(ws: WorkingSet): boolean {
  let known = fenceDeviceCache.get(ws);
  if (known === undefined) {
    known = [...ws.resourcesById.values()].some((r) => r.agent?.class === 'stonith');
    fenceDeviceCache.set(ws, known);
  }
  return known;
}

/**
 * Whether fencing is possible for a node: it needs fencing enabled, a fence device, and quorum
 * (or a policy that ignores it, or the node being in our membership). A guest is "fenced" by
 * recovering its container, which needs its host to be up or fenceable.
 */
export function canFence(ws: WorkingSet, node: Node): boolean {
  if (node.kind === 'guest') {
    const hosts = node.connection?.container?.runningOn ?? [];
    return hosts.every((h) => h.online || canFence(ws, h));
  }
  if (!ws.options.stonithEnabled) return false;
  // A fence device, or a watchdog to fence itself with (SBD).
  if (!ws.options.haveWatchdog && !hasFenceDevice(ws)) return false;
  if (ws.haveQuorum || ws.options.noQuorumPolicy === 'ignore') return true;
  return node.online;
}

/**
 * A result that means the agent can never work here. If it was a stop and the node cannot be
 * fenced, nothing can recover the resource: it is blocked.
 */
function hardError(rp: Replay, op: LrmRscOp): number {
  if (op.operation === 'stop' && !canFence(rp.ctx.ws, rp.node)) {
    rp.rsc.managed = false;
    rp.rsc.blocked = true;
  }
  return EXEC.ERROR_HARD;
}

/**
 * Maps an agent's exit code to an execution status, given what the controller expected; also
 * applies what the code says about the role (not running, promoted).
 */
function judgeResult(rp: Replay, op: LrmRscOp, status: number, rc: number, expected: number): number {
  if (status !== EXEC.DONE && status !== EXEC.ERROR) return status;
  const probe = isProbe(op);
  let judged: number = rc === expected ? EXEC.DONE : EXEC.ERROR;
  switch (rc) {
    case OCF.OK:
      if (probe && expected === OCF.NOT_RUNNING) judged = EXEC.DONE;
      break;
    case OCF.NOT_RUNNING:
      if (probe || expected === rc || !rp.rsc.managed) {
        judged = EXEC.DONE;
        rp.rsc.role = 'Stopped';
        rp.onFail = 'ignore';
        setNextRole(rp.rsc, 'Unknown');
      }
      break;
    case OCF.RUNNING_PROMOTED:
      if (probe) judged = EXEC.DONE;
      rp.rsc.role = 'Promoted';
      break;
    case OCF.FAILED_PROMOTED:
      rp.rsc.role = 'Promoted';
      judged = EXEC.ERROR;
      break;
    case OCF.ERR_CONFIGURED:
      judged = EXEC.ERROR_FATAL;
      break;
    case OCF.ERR_UNIMPLEMENTED:
      // A recurring operation the agent cannot do; anything else means it can never work here.
      if (op.intervalMs > 0) judged = EXEC.NOT_SUPPORTED;
      else judged = hardError(rp, op);
      break;
    case OCF.ERR_INSTALLED:
    case OCF.ERR_ARGS:
    case OCF.ERR_PERM:
      judged = hardError(rp, op);
      break;
    default:
      // Any other code is a failure, even if the controller said it expected it.
      judged = EXEC.ERROR;
      break;
  }
  return judged;
}

/**
 * failure-timeout: a failure older than the timeout no longer counts, unless the resource still
 * has an unexpired fail count. Probes that found the resource in a definite state never expire.
 */
function isExpired(rp: Replay, op: LrmRscOp): boolean {
  const { ws } = rp.ctx;
  const rsc = rp.rsc;
  if (!(failureTimeoutSeconds(rsc) > 0) || op.lastRcChange === undefined) return false;
  let expired = ws.now >= op.lastRcChange + failureTimeoutSeconds(rsc) && !ignoresFailureTimeout(rp, op);
  const unexpired = failCount(ws, rp.node, rsc, { effective: true, op });
  // An old entry, but the resource still has a fresh fail count: it still counts.
  if (expired && failCount(ws, rp.node, rsc, { effective: false, op }) > 0 && unexpired > 0) expired = false;
  if (expired && isProbe(op)) {
    const definite: number[] = [OCF.OK, OCF.NOT_RUNNING, OCF.RUNNING_PROMOTED, OCF.DEGRADED, OCF.DEGRADED_PROMOTED];
    if (definite.includes(op.rcCode)) expired = false;
  }
  return expired;
}

/** A remote connection's monitor failure does not expire while its node still awaits fencing. */
function ignoresFailureTimeout(rp: Replay, op: LrmRscOp): boolean {
  const { ws } = rp.ctx;
  if (!(remoteReconnectMs(rp.rsc) > 0) || !ws.options.stonithEnabled) return false;
  if (!(op.operation === 'monitor' && op.intervalMs > 0)) return false;
  const remote = ws.nodesByName.get(rp.rsc.id);
  return remote !== undefined && remote.unclean && !remote.remoteWasFenced;
}

function replayOp(rp: Replay, op: LrmRscOp): void {
  const { ws } = rp.ctx;
  const task = op.operation;
  let status = op.opStatus;
  // Degraded but working counts as working.
  let rc = op.rcCode === OCF.DEGRADED ? OCF.OK : op.rcCode === OCF.DEGRADED_PROMOTED ? OCF.RUNNING_PROMOTED : op.rcCode;
  const expected = expectedRc(op);
  // Cancelled operations and notifications say nothing about the resource's state.
  if (status === EXEC.CANCELLED || task === 'notify') return;
  const expired = status !== EXEC.NOT_INSTALLED && isExpired(rp, op);
  // A probe finding the agent missing is remembered ("not installed") but means "not running";
  // once expired it is forgotten like any other failure.
  if (!bundleOf(rp.rsc) && isMaskedProbeFailure({ operation: task, intervalMs: op.intervalMs, rc: op.rcCode, status: op.opStatus })) {
    if (expired) return;
    recordFailedOp(ws, rp.rsc, rp.node, op);
    status = EXEC.DONE;
    rc = OCF.NOT_RUNNING;
  }
  status = judgeResult(rp, op, status, rc, expected);
  if (expired && status !== EXEC.DONE) {
    // An expired failure is forgotten (a recurring monitor is simply run again).
    if (op.intervalMs === 0) return;
    if (rp.node.online && !rp.node.unclean) return;
  }
  switch (status) {
    case EXEC.PENDING:
      replayPending(rp, op);
      return;
    case EXEC.DONE:
      applySuccess(rp, op, rc);
      return;
    case EXEC.NOT_INSTALLED: {
      // The agent is missing on this node: even on-fail=ignore cannot keep it here.
      if (failHandlingFor(ws, rp.rsc, task, op.intervalMs, op.operationKey).policy === 'ignore') rp.onFail = 'migrate';
      banResource(ws, uberParent(rp.rsc), rp.node, 'hard-error');
      applyFailure(rp, op, rc);
      return;
    }
    case EXEC.NOT_CONNECTED: {
      const conn = rp.node.connection;
      if (rp.node.kind !== 'member' && conn && conn.managed) {
        conn.failed = true;
        conn.stopRequired = true;
      }
      break;
    }
    default:
      break;
  }
  const { policy } = failHandlingFor(ws, rp.rsc, task, op.intervalMs, op.operationKey);
  if (policy === 'ignore' || (policy === 'restart-container' && task === 'stop')) {
    // Pretend it succeeded, but remember the failure.
    applySuccess(rp, op, expected);
    rp.rsc.failureIgnored = true;
    recordFailedOp(ws, rp.rsc, rp.node, op);
    if (policy === 'restart-container' && failRank[rp.onFail] <= failRank.restart) rp.onFail = policy;
    return;
  }
  applyFailure(rp, op, rc);
  if (status === EXEC.ERROR_HARD) banResource(ws, uberParent(rp.rsc), rp.node, 'hard-error');
  else if (status === EXEC.ERROR_FATAL) banResource(ws, uberParent(rp.rsc), undefined, 'fatal-error');
}

function replayPending(rp: Replay, op: LrmRscOp): void {
  const rsc = rp.rsc;
  const task = op.operation;
  if (task === 'start') {
    rsc.startPending = true;
    setActive(rp);
  } else if (task === 'promote') {
    rsc.role = 'Promoted';
  } else if (task === 'migrate_to' && rp.node.unclean) {
    // The migration may have reached its target: make sure it is stopped there too.
    const target = op.migrateTarget !== undefined ? rp.ctx.ws.nodesByName.get(op.migrateTarget) : undefined;
    if (target) requestStop(rp.ctx.ws, rsc, target);
  }
  // Probes in flight are not shown.
  if (rsc.pendingTask === undefined && (op.intervalMs !== 0 || task !== 'monitor')) {
    rsc.pendingTask = task;
    rsc.pendingNode = rp.node;
  }
}

/** A completed operation with the given (expected) result. */
function applySuccess(rp: Replay, op: LrmRscOp, rc: number): void {
  const rsc = rp.rsc;
  let clearFailure = false;
  if (rc === OCF.NOT_RUNNING) {
    clearFailure = true;
  } else if (rc === OCF.ERR_INSTALLED) {
    rsc.role = 'Stopped';
  } else {
    switch (op.operation) {
      case 'monitor':
        if (rp.lastFailure && rp.lastFailure.operationKey === op.operationKey) clearFailure = true;
        if (roleBelow(rsc.role, 'Started')) setActive(rp);
        break;
      case 'start':
        rsc.role = 'Started';
        clearFailure = true;
        break;
      case 'stop':
        rsc.role = 'Stopped';
        clearFailure = true;
        break;
      case 'promote':
        rsc.role = 'Promoted';
        clearFailure = true;
        break;
      case 'demote':
        // Only on-fail=demote is cured by a demote.
        if (rp.onFail === 'demote') clearFailure = true;
        rsc.role = 'Unpromoted';
        break;
      case 'migrate_from':
        rsc.role = 'Started';
        clearFailure = true;
        break;
      case 'migrate_to':
        migrateToSucceeded(rp, op);
        break;
      default:
        if (roleBelow(rsc.role, 'Started')) setActive(rp);
        break;
    }
  }
  if (clearFailure) clearPastFailure(rp);
}

/** Success after a failure forgets it, unless the failure asked for something lasting. */
function clearPastFailure(rp: Replay): void {
  switch (rp.onFail) {
    case 'stop':
    case 'fence':
    case 'migrate':
    case 'standby':
      return;
    case 'reset-remote':
      if (remoteReconnectMs(rp.rsc) > 0) return;
      break;
    default:
      break;
  }
  rp.onFail = 'ignore';
  setNextRole(rp.rsc, 'Unknown');
}

function applyFailure(rp: Replay, op: LrmRscOp, rc: number): void {
  const { ws } = rp.ctx;
  const rsc = rp.rsc;
  const task = op.operation;
  rp.lastFailure = op;
  recordFailedOp(ws, rsc, rp.node, op);
  const { policy, failRole } = failHandlingFor(ws, rsc, task, op.intervalMs, op.operationKey);
  if (failRank[rp.onFail] < failRank[policy]) rp.onFail = policy;
  switch (task) {
    case 'stop':
      banResource(ws, rsc, rp.node, '__stop_fail__');
      break;
    case 'migrate_to':
      migrateToFailed(rp, op);
      break;
    case 'migrate_from':
      migrateFromFailed(rp, op);
      break;
    case 'promote':
      rsc.role = 'Promoted';
      break;
    case 'demote':
      if (policy === 'block') {
        rsc.role = 'Promoted';
        setNextRole(rsc, 'Stopped');
      } else if (rc === OCF.NOT_RUNNING) {
        rsc.role = 'Stopped';
      } else {
        // Staying promoted would loop; recovery stops it anyway.
        rsc.role = 'Unpromoted';
      }
      break;
    default:
      break;
  }
  if (isProbe(op) && rc === OCF.ERR_INSTALLED) rsc.role = 'Stopped';
  else if (roleBelow(rsc.role, 'Started')) setActive(rp);
  if (failRole !== 'Started' && roleBelow(rsc.nextRole, failRole)) setNextRole(rsc, failRole);
  if (failRole === 'Stopped') banResource(ws, rsc, undefined, 'will not be started under current conditions');
}

// ---------------------------------------------------------------------------------------------
// Migrations

function migrationNodes(op: LrmRscOp): { source: string; target: string } | undefined {
  if (op.migrateSource === undefined || op.migrateTarget === undefined) return undefined;
  return { source: op.migrateSource, target: op.migrateTarget };
}

/**
 * migrate_to succeeded on the source. Complete migrations are migrate_to, migrate_from on the
 * target, then stop on the source; anything less is partial (active on both, or still moving).
 */
function migrateToSucceeded(rp: Replay, op: LrmRscOp): void {
  const { ctx, rsc } = rp;
  const names = migrationNodes(op);
  if (!names || names.source !== rp.node.name) return;
  const sourceNewer = nonMonitorAfter(ctx, rp.historyId, names.source, op, true);
  const migrateFrom = findOp(ctx, rp.historyId, 'migrate_from', names.target, names.source);
  let fromRc: number = OCF.OK;
  let fromStatus: number = EXEC.PENDING;
  if (migrateFrom) {
    if (sourceNewer) return;
    fromRc = migrateFrom.rcCode;
    fromStatus = migrateFrom.opStatus;
  }
  const targetNewer = newerStateAfterMigrate(ctx, rp.historyId, names.target, op, migrateFrom);
  if (sourceNewer && targetNewer) return;
  if (fromRc === OCF.OK && fromStatus === EXEC.DONE) {
    // Migrated but never stopped on the source: it only needs that stop.
    rsc.role = 'Stopped';
    (rsc.danglingSources ??= []).push(rp.node);
    rsc.dangling ??= { source: rp.node };
    return;
  }
  rsc.role = 'Started';
  const target = ctx.ws.nodesByName.get(names.target);
  const source = ctx.ws.nodesByName.get(names.source);
  if (fromStatus !== EXEC.PENDING) {
    if (!targetNewer && target && target.online) addRunning(ctx.ws, rsc, target, true);
    else markMigrationFailed(rsc);
  } else if (!targetNewer && target && target.online) {
    // Nothing known on the target yet (it will be probed): active on the source only.
    if (unknownOnNode(ctx, rp.historyId, names.target)) return;
    addRunning(ctx.ws, rsc, target, false);
    if (source && source.online) {
      rsc.partialMigrationTarget = target;
      rsc.partialMigrationSource = source;
    }
  } else if (!sourceNewer) {
    markMigrationFailed(rsc);
  }
}

function markMigrationFailed(rsc: Resource): void {
  rsc.failed = true;
  rsc.stopRequired = true;
  rsc.allowMigrate = false;
}

/** migrate_to failed on the source: the resource may be active on both nodes. */
function migrateToFailed(rp: Replay, op: LrmRscOp): void {
  const { ctx, rsc } = rp;
  const names = migrationNodes(op);
  if (!names || names.source !== rp.node.name) return;
  rsc.role = 'Started';
  const migrateFrom = findOp(ctx, rp.historyId, 'migrate_from', names.target, names.source, OCF.OK);
  if (!unknownOnNode(ctx, rp.historyId, names.target) && !newerStateAfterMigrate(ctx, rp.historyId, names.target, op, migrateFrom)) {
    const target = ctx.ws.nodesByName.get(names.target);
    if (target && target.online) addRunning(ctx.ws, rsc, target, false);
  } else if (!nonMonitorAfter(ctx, rp.historyId, names.source, op, true)) {
    (rsc.danglingSources ??= []).push(rp.node);
  }
}

/** migrate_from failed on the target: the resource may still be active on the source. */
function migrateFromFailed(rp: Replay, op: LrmRscOp): void {
  const { ctx, rsc } = rp;
  const names = migrationNodes(op);
  if (!names || names.target !== rp.node.name) return;
  rsc.role = 'Started';
  const migrateTo = findOp(ctx, rp.historyId, 'migrate_to', names.source, names.target, OCF.OK);
  if (!unknownOnNode(ctx, rp.historyId, names.source) && !newerStateAfterMigrate(ctx, rp.historyId, names.source, migrateTo, op)) {
    const source = ctx.ws.nodesByName.get(names.source);
    if (source && source.online) addRunning(ctx.ws, rsc, source, true);
  }
}

// ---------------------------------------------------------------------------------------------
// Where a resource is active

/**
 * Records that a resource is active on a node (and so are its parents). A resource on a node in
 * maintenance is unmanaged; one active on several nodes is handled per multiple-active.
 */
export function addRunning(ws: WorkingSet, rsc: Resource, node: Node, _failed: boolean): void {
  if (rsc.runningOn.includes(node)) return;
  rsc.runningOn.push(node);
  if (rsc.kind === 'primitive') {
    if (!node.running.includes(rsc)) node.running.push(rsc);
    if (node.maintenance) rsc.managed = false;
  }
  if (!rsc.managed) {
    rsc.stickToNode = node;
    if (node.online) for (let p = rsc.parent; p; p = p.parent) p.runningOn.push(node);
    return;
  }
  if (rsc.kind === 'primitive' && rsc.runningOn.length > 1) handleMultiplyActive(ws, rsc);
  if (rsc.parent) addRunning(ws, rsc.parent, node, false);
}

function handleMultiplyActive(ws: WorkingSet, rsc: Resource): void {
  switch (rsc.multipleActive) {
    case 'stop_only':
      banResource(ws, rsc, undefined, 'multiple-active=stop_only');
      break;
    case 'block': {
      rsc.managed = false;
      rsc.blocked = true;
      const parent = rsc.parent;
      if (parent && (parent.kind === 'group' || parent.kind === 'bundle') && parent.multipleActive === 'block') {
        for (const c of parent.children) {
          c.managed = false;
          c.blocked = true;
        }
      }
      break;
    }
    default:
      break;
  }
}

/** After one node's history of a resource: what its final state there means. */
function processResourceState(rp: Replay): void {
  const { ws } = rp.ctx;
  const { rsc, node } = rp;
  if (rsc.role !== 'Unknown') {
    for (let r: Resource | undefined = rsc; r; r = r.parent) {
      r.knownOn.add(node.id);
      if (r.unique) break;
    }
  }
  const active = roleAtLeast(rsc.role, 'Started');
  if (active && !node.online && !node.maintenance && rsc.managed) fenceForActiveResource(ws, rsc, node);
  let onFail = rp.onFail;
  // A node that will be fenced needs nothing more; its resources may start again elsewhere.
  if (node.unclean) onFail = 'ignore';
  applyOnFail(ws, rsc, node, onFail);
  if (rsc.isRemoteConnection && rsc.failed) {
    const remote = ws.nodesByName.get(rsc.id);
    if (remote && remote.unclean) remote.unseen = false;
  }
  if (active) {
    addRunning(ws, rsc, node, rp.onFail !== 'ignore');
    if (onFail === 'demote' || onFail === 'block') rsc.failed = true;
    else if (onFail !== 'ignore') {
      rsc.failed = true;
      rsc.stopRequired = true;
    }
  }
  // A stop on the migration source does not stop the partially migrated copy on the target.
  if (rsc.role === 'Stopped' && rsc.partialMigrationSource === node && rsc.partialMigrationTarget && rsc.runningOn.length > 0) {
    rsc.role = 'Started';
  }
}

/** A resource thought active on a node that is down: the node must be fenced to be sure. */
function fenceForActiveResource(ws: WorkingSet, rsc: Resource, node: Node): void {
  if (node.kind === 'guest') {
    rsc.failed = true;
    rsc.stopRequired = true;
    fenceNode(ws, node, `${rsc.id} is thought to be active there`);
    return;
  }
  if (!ws.options.stonithEnabled) return;
  let reason = `${rsc.id} is thought to be active there`;
  if (node.kind === 'remote' && node.connection && !node.connection.failed) {
    // Revoked if the connection can be re-established elsewhere.
    node.unseen = true;
    reason = `${rsc.id} is active there (fencing will be revoked if remote connection can be re-established elsewhere)`;
  }
  fenceNode(ws, node, reason);
}

function applyOnFail(ws: WorkingSet, rsc: Resource, node: Node, onFail: FailPolicy): void {
  const active = rsc.role !== 'Stopped' && rsc.role !== 'Unknown';
  switch (onFail) {
    case 'ignore':
      break;
    case 'demote':
      rsc.failed = true;
      if (rsc.role === 'Promoted') rsc.demoteOnFailure = true;
      break;
    case 'fence':
      fenceNode(ws, node, `${rsc.id} failed there`);
      break;
    case 'standby':
      node.standby = true;
      node.standbyOnFail = true;
      break;
    case 'block':
      rsc.managed = false;
      rsc.blocked = true;
      break;
    case 'migrate':
      banResource(ws, rsc, node, '__action_migration_auto__');
      break;
    case 'stop':
      setNextRole(rsc, 'Stopped');
      break;
    case 'restart':
      if (active) {
        rsc.failed = true;
        rsc.stopRequired = true;
        requestStop(ws, rsc, node);
      }
      break;
    case 'restart-container':
      rsc.failed = true;
      rsc.stopRequired = true;
      if (rsc.container && !bundleOf(rsc)) requestStop(ws, rsc.container, node);
      else if (!rsc.container && active) requestStop(ws, rsc, node);
      break;
    case 'reset-remote': {
      rsc.failed = true;
      rsc.stopRequired = true;
      if (ws.options.stonithEnabled && rsc.isRemoteConnection) {
        const remote = ws.nodesByName.get(rsc.id);
        if (remote && remote.kind === 'remote' && !remote.remoteWasFenced) fenceNode(ws, remote, 'remote connection is unrecoverable');
      }
      if (roleAtLeast(rsc.role, 'Started')) requestStop(ws, rsc, node);
      if (remoteReconnectMs(rsc) > 0) setNextRole(rsc, 'Stopped');
      break;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Which resource a history entry belongs to

/**
 * Finds the resource a history entry belongs to: itself; for an anonymous clone, the instance
 * already active on this node, else the first inactive one, else a new orphan instance; for a
 * bundle's primitive, the instance of the replica whose guest node this is.
 */
function findHistoryResource(ctx: StatusContext, node: Node, historyId: string): Resource | undefined {
  const { ws } = ctx;
  let rsc = ws.resourcesById.get(historyId);
  let top: Resource | undefined;
  if (!rsc) {
    // An entry named without instance number may be a clone instance: look for instance :0.
    const zero = ws.resourcesById.get(`${historyId.replace(/:\d+$/, '')}:0`);
    // (Only an anonymous clone's instance: anything outside a clone counts as unique.)
    if (zero && !zero.unique && uberParent(zero).kind === 'clone') {
      rsc = zero;
      top = uberParent(zero);
    }
  } else if (rsc.kind !== 'primitive') {
    return undefined; // no longer a primitive: orphaned history
  } else {
    top = uberParent(rsc);
  }
  if (rsc && top && top.kind === 'clone' && !top.unique) {
    if (top.parent?.kind === 'bundle') {
      rsc = replicaOnNode(top.parent, node)?.child;
    } else {
      rsc = findAnonymousInstance(ws, node, top, historyId.replace(/:\d+$/, ''));
    }
  }
  if (rsc && rsc.id !== historyId) rsc.historyName = historyId;
  return rsc;
}

function locations(r: Resource, includePending: boolean): Node[] {
  const out: Node[] = [];
  for (const d of descendants(r)) {
    if (d.kind !== 'primitive') continue;
    for (const n of d.runningOn) if (!out.includes(n)) out.push(n);
    if (includePending && d.pendingNode && !out.includes(d.pendingNode)) out.push(d.pendingNode);
  }
  return out;
}

function memberOf(inst: Resource, base: string): Resource | undefined {
  for (const r of descendants(inst)) if (r.kind === 'primitive' && r.baseId === base) return r;
  return undefined;
}

/** Clone-max covers every node: such a clone's instances need no care about fencing. */
function isUniversalClone(ws: WorkingSet, clone: Resource): boolean {
  return (clone.clone?.max ?? 0) === ws.nodes.length;
}

function findAnonymousInstance(ws: WorkingSet, node: Node, clone: Resource, base: string): Resource {
  let found: Resource | undefined;
  let inactive: Resource | undefined;
  let skipInactive = false;
  for (const inst of clone.children) {
    if (found) break;
    const where = locations(inst, true);
    if (where.length > 0) {
      if (where[0] === node) {
        const member = memberOf(inst, base);
        if (member) {
          // A second history entry for the same instance on this node (globally-unique was
          // switched off): the extra ones are orphans.
          if (member.runningOn.length > 0) skipInactive = true;
          else found = member;
        }
      }
    } else if (!skipInactive && !inactive && !inst.blocked) {
      const member = memberOf(inst, base);
      // Not one already associated with an operation in flight elsewhere.
      if (member && !(member.pendingNode && member.pendingNode !== node)) inactive = member;
    }
  }
  if (!found && !skipInactive && inactive) found = inactive;
  // An instance that does not require fencing must not be used up by an unclean node: what ran
  // there counts as stopped once the node is gone, so the instance can start elsewhere.
  if (found && found.requires !== 'fencing' && found.requires !== 'unfencing' && (!node.online || node.unclean) && node.kind !== 'guest' && !isUniversalClone(ws, clone)) {
    found = undefined;
  }
  if (!found) {
    const inst = addCloneInstance(ws, clone, clone.children.length);
    for (const r of descendants(inst)) r.orphan = true;
    found = memberOf(inst, base)!;
  }
  return found;
}

/** History of a resource no longer configured: a stand-alone orphan primitive. */
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
  const r = orphanResource(lrm.id, cfg);
  r.agent = { class: cfg.class, type: cfg.type };
  if (cfg.provider) r.agent.provider = cfg.provider;
  r.managed = ws.options.stopOrphanResources && !ws.options.maintenanceMode;
  r.requires = r.agent.class === 'stonith' ? 'nothing' : ws.options.stonithEnabled ? 'fencing' : 'quorum';
  r.meta = unpackSets(ws.cib.configuration.rscDefaults, { now: ws.now });
  r.unpackAllowed = new Set(ws.options.symmetricCluster ? ws.nodes.filter((n) => !n.discoverNever).map((n) => n.id) : []);
  // Stopped where it runs, and never started again.
  if (ws.options.stopOrphanResources) banResource(ws, r, undefined, '__orphan_do_not_run__');
  ws.resourcesById.set(r.id, r);
  ws.resources.push(r);
  if (r.agent.class === 'ocf' && r.agent.provider === 'pacemaker' && r.agent.type === 'remote') adoptOrphanedRemoteNode(ws, r);
  return r;
}

/** The connection of a remote node no longer configured still makes it a (departing) node. */
function adoptOrphanedRemoteNode(ws: WorkingSet, conn: Resource): void {
  let node = ws.nodesByName.get(conn.id);
  if (!node) {
    node = newNode(ws, conn.id, conn.id, 'remote');
    applyConfiguredAttrs(ws, node, undefined);
  }
  conn.isRemoteConnection = true;
  node.connection = conn;
  // Its container (if any) is only linked later: until its state is seen it is treated as a
  // remote node, fenced at startup like any other.
  node.unseen = true;
  if (ws.options.stonithEnabled && ws.options.startupFencing) {
    node.unclean = true;
    node.fenceReason = 'node is unclean';
  }
  node.shutdown = true;
}

function orphanResource(id: string, cfg: PrimitiveConfig): Resource {
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
    migrationThreshold: INFINITY,
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

// ---------------------------------------------------------------------------------------------
// Entry points

/** target-role caps the role the resource is heading for. */
function applyTargetRole(rsc: Resource): void {
  const t = rsc.targetRole;
  if (t === undefined || t === 'Started') return;
  if (roleAtLeast(t, 'Unpromoted') && !(uberParent(rsc).promotable && t === 'Unpromoted')) return;
  if (rsc.nextRole === 'Unknown' || roleBelow(t, rsc.nextRole)) setNextRole(rsc, t);
}

function unpackLrmResource(ctx: StatusContext, node: Node, lrm: LrmResource): void {
  if (lrm.ops.length === 0) return;
  const rsc = findHistoryResource(ctx, node, lrm.id) ?? makeOrphan(ctx.ws, lrm);
  const saved = rsc.role;
  rsc.role = 'Unknown';
  const rp: Replay = { ctx, rsc, node, historyId: lrm.id, onFail: 'ignore' };
  for (const op of sortedOps(lrm.ops)) replayOp(rp, op);
  processResourceState(rp);
  applyTargetRole(rsc);
  if (roleBelow(rsc.role, saved)) rsc.role = saved;
}

/** Replays one node's resource history. */
export function unpackNodeHistory(ctx: StatusContext, node: Node, entry: NodeStateEntry): void {
  node.lrmKnown = entry.hasLrm;
  node.historyUnpacked = true;
  for (const lrm of entry.lrm) unpackLrmResource(ctx, node, lrm);
  mapOrphanedFillers(ctx.ws, entry);
}

/**
 * Orphans whose history names a container (which may itself be an orphan found later in the same
 * node's history) run inside it; an orphaned connection with a container was a guest node's.
 */
function mapOrphanedFillers(ws: WorkingSet, entry: NodeStateEntry): void {
  for (const lrm of entry.lrm) {
    if (lrm.container === undefined) continue;
    const container = ws.resourcesById.get(lrm.container);
    const rsc = ws.resourcesById.get(lrm.id);
    if (!container || !rsc || !rsc.orphan || rsc.parent || rsc.container) continue;
    rsc.container = container;
    (container.fillers ??= []).push(rsc);
    if (rsc.isRemoteConnection) {
      container.containerOf = rsc;
      const node = ws.nodesByName.get(rsc.id);
      if (node && node.connection === rsc) node.kind = 'guest';
    }
  }
}
