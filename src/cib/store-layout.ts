// The CIB in the store: where every piece of cluster state lives under `/tandem/<cluster>/`, and the
// JSON record stored at each key. This file is a CONTRACT shared by the node side (cib-store,
// membership, node agent) and the DC (controller): change it only by adding optional fields.
//
// Layout (every name segment is encoded with `seg()`, so node, resource and ticket names may hold
// any character; `/` never appears inside a segment):
//
// | key                                             | record                   | written by            |
// |-------------------------------------------------|--------------------------|-----------------------|
// | config                                          | ConfigurationRecord      | cib-store (CAS)       |
// | nodes/<node>                                    | NodeRecord               | node agent / DC       |
// | attrs/<node>/<name>                             | TransientAttributeRecord | agents, DC (failcount)|
// | history/<node>/<rsc>/<opId>                     | HistoryEntry             | node agent            |
// | actions/<node>/<id>                             | ActionRequest            | DC (fenced txn)       |
// | results/<node>/<id>                             | ActionResult             | node agent            |
// | transitions/current                             | TransitionRecord         | DC (fenced txn)       |
// | fencing/<target>/<id>                           | FencingRecord            | fencer / DC / agents  |
// | tickets/<ticket>                                | TicketRecord             | operator / DC         |
// | members/<node>             (bound to a lease)   | MemberRecord             | membership            |
// | election/dc/candidates/<node> (bound to lease)  | Election's value: node   | store Election        |
//
// Rules:
// - `nodes/<node>` outlives the node (expected up/down, fencedAt); `members/<node>` exists exactly
//   while the node holds its membership lease.
// - History follows Pacemaker's status section: per node, per resource, one entry per operation
//   slot: `<rsc>_last_0` (the latest non-recurring operation), `<rsc>_last_failure_0` (the latest
//   failure), `<rsc>_monitor_<interval>` (each recurring monitor's latest result). `opId` is that id.
// - An action request is consumed by the node in ONE txn that writes the history entry, writes
//   `results/<node>/<id>` and deletes `actions/<node>/<id>`. The DC deletes results it has read.
// - Values are JSON (`encodeRecord` / `decodeRecord`). Unknown fields must be ignored by readers.

import type { TransitionAction } from '../scheduler/transition.ts';

// ------------------------------------------------------------------------------------------------
// Keys

/** Encode one key segment (node, resource, attribute, ticket names): safe for any string. */
export function seg(name: string): string {
  if (name === '') throw new Error('store key segment must not be empty');
  return encodeURIComponent(name);
}

/** Decode a segment produced by `seg()`. */
export function unseg(segment: string): string {
  return decodeURIComponent(segment);
}

/** Check a cluster name: letters, digits, `.`, `_`, `-`; 1–64 characters. */
export function validateClusterName(cluster: string): void {
  if (!/^[A-Za-z0-9._-]{1,64}$/.test(cluster)) {
    throw new Error(`bad cluster name ${JSON.stringify(cluster)}: use 1-64 letters, digits, '.', '_' or '-'`);
  }
}

/** `/tandem/<cluster>/` — everything of one cluster lives under it. */
export function clusterPrefix(cluster: string): string {
  validateClusterName(cluster);
  return `/tandem/${cluster}/`;
}

export const keys = {
  root: (c: string) => clusterPrefix(c),
  config: (c: string) => `${clusterPrefix(c)}config`,

  nodesPrefix: (c: string) => `${clusterPrefix(c)}nodes/`,
  node: (c: string, node: string) => `${clusterPrefix(c)}nodes/${seg(node)}`,

  attrsPrefix: (c: string) => `${clusterPrefix(c)}attrs/`,
  nodeAttrsPrefix: (c: string, node: string) => `${clusterPrefix(c)}attrs/${seg(node)}/`,
  attr: (c: string, node: string, name: string) => `${clusterPrefix(c)}attrs/${seg(node)}/${seg(name)}`,

  historyPrefix: (c: string) => `${clusterPrefix(c)}history/`,
  nodeHistoryPrefix: (c: string, node: string) => `${clusterPrefix(c)}history/${seg(node)}/`,
  resourceHistoryPrefix: (c: string, node: string, rsc: string) => `${clusterPrefix(c)}history/${seg(node)}/${seg(rsc)}/`,
  history: (c: string, node: string, rsc: string, opId: string) =>
    `${clusterPrefix(c)}history/${seg(node)}/${seg(rsc)}/${seg(opId)}`,

  actionsPrefix: (c: string) => `${clusterPrefix(c)}actions/`,
  nodeActionsPrefix: (c: string, node: string) => `${clusterPrefix(c)}actions/${seg(node)}/`,
  action: (c: string, node: string, id: string) => `${clusterPrefix(c)}actions/${seg(node)}/${seg(id)}`,

  resultsPrefix: (c: string) => `${clusterPrefix(c)}results/`,
  nodeResultsPrefix: (c: string, node: string) => `${clusterPrefix(c)}results/${seg(node)}/`,
  result: (c: string, node: string, id: string) => `${clusterPrefix(c)}results/${seg(node)}/${seg(id)}`,

  transition: (c: string) => `${clusterPrefix(c)}transitions/current`,

  fencingPrefix: (c: string) => `${clusterPrefix(c)}fencing/`,
  targetFencingPrefix: (c: string, target: string) => `${clusterPrefix(c)}fencing/${seg(target)}/`,
  fencing: (c: string, target: string, id: string) => `${clusterPrefix(c)}fencing/${seg(target)}/${seg(id)}`,

  ticketsPrefix: (c: string) => `${clusterPrefix(c)}tickets/`,
  ticket: (c: string, ticket: string) => `${clusterPrefix(c)}tickets/${seg(ticket)}`,

  membersPrefix: (c: string) => `${clusterPrefix(c)}members/`,
  member: (c: string, node: string) => `${clusterPrefix(c)}members/${seg(node)}`,

  /** Prefix for the store's `Election` (`new Election(store, { prefix: keys.election(c), nodeId: node })`). */
  election: (c: string) => `${clusterPrefix(c)}election/dc`,
  electionCandidatesPrefix: (c: string) => `${clusterPrefix(c)}election/dc/candidates/`,
} as const;

/** Split a key below `prefix` into its decoded segments (e.g. history → [node, rsc, opId]). */
export function parseKey(prefix: string, key: string): string[] {
  if (!key.startsWith(prefix)) throw new Error(`key ${key} is not under ${prefix}`);
  return key.slice(prefix.length).split('/').map(unseg);
}

/** The history slot ids Pacemaker uses (`lrm_rsc_op` ids). */
export const opIds = {
  last: (rsc: string) => `${rsc}_last_0`,
  lastFailure: (rsc: string) => `${rsc}_last_failure_0`,
  monitor: (rsc: string, intervalMs: number) => `${rsc}_monitor_${intervalMs}`,
} as const;

// ------------------------------------------------------------------------------------------------
// Records

export function encodeRecord(record: unknown): string {
  return JSON.stringify(record);
}

/** Parse a stored record; a corrupt value throws an Error naming the key. */
export function decodeRecord<T>(key: string, value: string): T {
  try {
    return JSON.parse(value) as T;
  } catch (err) {
    throw new Error(`store key ${key} holds a value that is not JSON: ${(err as Error).message}`);
  }
}

/** `config`: the CIB `<configuration>` element as XML text, versioned like Pacemaker's CIB. */
export interface ConfigurationRecord {
  /** `<configuration>...</configuration>` serialized (element order and ids kept). */
  xml: string;
  /** Increases by one on every change. */
  epoch: number;
  /** Changed only by an operator who wants to override a newer epoch elsewhere (import). */
  adminEpoch: number;
  /** Other attributes of the `<cib>` element (validate-with, crm_feature_set, ...). */
  cibAttrs: Record<string, string>;
  /** Epoch ms of the change, and who made it (free text: node, user, tool). */
  updatedAt: number;
  updatedBy?: string;
}

/** `nodes/<node>`: what outlives the node's membership. */
export interface NodeRecord {
  name: string;
  /** Cluster node id (crm_node -i); the configuration's `<node id>` when there is one. */
  id: string;
  /**
   * 'member' while the node is expected up (it joined and did not leave cleanly); 'down' after a
   * clean leave or once it is known stopped (fenced or past its self-fencing deadline).
   */
  expected: 'member' | 'down';
  /** Epoch ms of the latest time it was known stopped (fencing confirmed or self-fence deadline). */
  fencedAt?: number;
  /** Epoch ms of a shutdown request (Pacemaker's `shutdown` node_state attribute); cleared on join. */
  shutdown?: number;
  /** Epoch ms of the latest join. */
  joinedAt?: number;
}

/**
 * `attrs/<node>/<name>`: one transient (reboot-lifetime) node attribute: fail-count-*,
 * last-failure-*, master-*, agents' own. Permanent attributes (standby, maintenance, ...) live in the
 * configuration's `<nodes>` section; a transient `standby`/`maintenance` overrides them as in
 * Pacemaker.
 */
export interface TransientAttributeRecord {
  value: string;
  /** Epoch ms of the update. */
  updatedAt?: number;
}

/** How an agent is named in history: `ocf:heartbeat:Dummy` split. */
export interface AgentRef {
  class: string;
  provider?: string;
  type: string;
}

/**
 * `history/<node>/<rsc>/<opId>`: one operation history slot, shaped like Pacemaker's `lrm_rsc_op`
 * (fields as in `LrmRscOp` of src/cib/model.ts, plus the agent so the resource's class/type are known).
 */
export interface HistoryEntry {
  /** `<rsc>_last_0`, `<rsc>_last_failure_0`, `<rsc>_monitor_<ms>` (see opIds). */
  id: string;
  /** Resource id as history records it (TransitionAction.historyId). */
  rsc: string;
  agent: AgentRef;
  /** start, stop, monitor, promote, demote, ... */
  operation: string;
  /** `${rsc}_${operation}_${intervalMs}` */
  operationKey: string;
  /** Increases with every operation on the node (orders entries like Pacemaker's call-id). */
  callId: number;
  rcCode: number;
  /** Pacemaker's execution status: 0 done, 1 cancelled, 2 timeout, 3 not supported, 4 error, 7 not installed, -1 pending. */
  opStatus: number;
  intervalMs: number;
  /** `action:transition:expected-rc:uuid` as Pacemaker writes it (`transitionKeyOf`). */
  transitionKey?: string;
  /** `opStatus:rc;transitionKey` */
  transitionMagic?: string;
  /** Digest of the parameters the operation ran with (`paramsDigest`). */
  opDigest?: string;
  /** Seconds since epoch of the last rc change, and of the last run (Pacemaker's units). */
  lastRcChange?: number;
  lastRun?: number;
  /** Milliseconds. */
  execTime?: number;
  queueTime?: number;
  exitReason?: string;
  migrateSource?: string;
  migrateTarget?: string;
  /** Node that ran it (same as the key's node). */
  onNode?: string;
}

/** `actions/<node>/<id>`: an action the DC asks a node to run. */
export interface ActionRequest {
  /** Unique per request; the key's last segment. Suggested `${transitionId}-${action.id}`. */
  id: string;
  /** Node that must run it. */
  node: string;
  /** The DC's fencing token (its Election token). A node refuses a token below the current leader's. */
  token: number;
  /** The DC's node name (for logs). */
  dc: string;
  /** Transition number the action belongs to (history's transition key uses it). */
  transitionId: number;
  action: TransitionAction;
  /** Epoch ms the DC wrote it. */
  createdAt: number;
}

/** Result status: the executor's statuses plus 'refused' (a deposed DC's request, or bad request). */
export type ActionResultStatus = 'done' | 'timeout' | 'error' | 'not-installed' | 'cancelled' | 'refused';

/** `results/<node>/<id>`: what happened to an ActionRequest. */
export interface ActionResult {
  id: string;
  node: string;
  /** Token of the request it answers. */
  token: number;
  transitionId: number;
  actionId: number;
  status: ActionResultStatus;
  rc: number;
  /** The rc the action expected (copied from the request): `rc === expectedRc` means success. */
  expectedRc: number;
  exitReason?: string;
  /** History slot written with it (absent for a refused request). */
  historyKey?: string;
  callId?: number;
  startedAt: number;
  finishedAt: number;
}

/** `transitions/current`: the transition the DC is executing (for observers and a successor DC). */
export interface TransitionRecord {
  id: number;
  token: number;
  dc: string;
  /** Store revision of the inputs it was computed from. */
  inputRevision: number;
  createdAt: number;
  state: 'running' | 'complete' | 'aborted';
  actions: TransitionAction[];
  summary: string[];
}

/** `fencing/<target>/<id>`: a fencing operation or self-fence, confirmed or failed. */
export interface FencingRecord {
  id: string;
  target: string;
  /** reboot, off, on; 'self-fence' when the node's own deadline passed. */
  action: string;
  result: 'ok' | 'failed' | 'self-fenced';
  /** Who carried it out (node name; for self-fence the target). */
  executioner?: string;
  /** Who asked (DC node name). */
  origin?: string;
  /** Device used, when a fence agent did it. */
  device?: string;
  /** Epoch ms after which the target is known stopped. */
  completedAt: number;
  /** DC token that asked for it, if any. */
  token?: number;
  reason?: string;
}

/** `tickets/<ticket>`: Pacemaker's ticket_state. */
export interface TicketRecord {
  id: string;
  granted: boolean;
  standby?: boolean;
  /** Epoch seconds. */
  lastGranted?: number;
  /** Any other ticket_state attributes. */
  attrs?: Record<string, string>;
}

/** `members/<node>` (bound to the node's membership lease): the node is in the cluster. */
export interface MemberRecord {
  name: string;
  id: string;
  /** UDP heartbeat address. */
  host: string;
  port: number;
  leaseId: string;
  /** Epoch ms this incarnation started (a restart is a new incarnation). */
  incarnation: number;
  /** Heartbeat interval this node uses (peers check budgets match). */
  heartbeatMs: number;
  /** The node's API address, if it serves one. */
  api?: string;
}

// ------------------------------------------------------------------------------------------------
// Helpers shared by both sides

/** Pacemaker's transition key: `action:transition:expected-rc:uuid` (uuid = the DC's token). */
export function transitionKeyOf(actionId: number, transitionId: number, expectedRc: number, dcUuid: string): string {
  return `${actionId}:${transitionId}:${expectedRc}:${dcUuid}`;
}
