// The scheduler's working set: nodes and resources as unpacked from a CIB at one moment, with the
// state the status section shows and the decisions placement takes. Everything here is plain data
// owned by one scheduling run; nothing is shared between runs.
import type { CloneConfig, BundleConfig, GroupConfig, PrimitiveConfig, Role, Cib } from '../cib/model.ts';

export type NodeKind = 'member' | 'remote' | 'guest';

export interface Node {
  id: string;
  name: string;
  kind: NodeKind;
  /** Position in the configuration, the last tie-breaker. */
  index: number;
  online: boolean;
  unclean: boolean;
  /** Reason the node needs fencing, as the transition summary quotes it. */
  fenceReason?: string;
  pending: boolean;
  standby: boolean;
  standbyOnFail: boolean;
  maintenance: boolean;
  shutdown: boolean;
  /** Expected to be up (node_state expected="member"). */
  expectedUp: boolean;
  isDc: boolean;
  /** Whether a node_state entry existed for it. */
  seen: boolean;
  /** A remote node whose connection needs a reset before it can be used again. */
  remoteRequiresReset: boolean;
  /** Node was fenced/cleaned in the status (remote node "was fenced"). */
  remoteWasFenced: boolean;
  /** Unclean remote whose connection is being recovered elsewhere. */
  remoteMaintenance: boolean;
  /** Node attributes (permanent + transient) including the #-attributes rules use. */
  attrs: Map<string, string>;
  utilization: Map<string, number>;
  /** Base node score (the <node score=...>), added to every resource's allowed-node weight. */
  weight: number;
  /** For remote and guest nodes: the resource that connects to them. */
  connection?: Resource;
  /** Resources seen running here (filled while unpacking history). */
  running: Resource[];
  /** Count of resources assigned here during placement (for the even-spread tie-break). */
  assignedCount: number;
  /** Remaining capacity during placement, by utilization name. */
  remainingCapacity: Map<string, number>;
  /** Node health score (node-health-strategy). */
  health: number;
  /** Node is a cluster node with the resource history "unseen" (no lrm section): probes needed. */
  lrmKnown: boolean;
  /** Fencing of this node is scheduled in this transition. */
  fenceScheduled?: boolean;
  /** Shutdown-lock related: resources locked here. */
  lastSeen?: number;
  /** No node_state was seen for this node (its state is assumed, not known). */
  unseen?: boolean;
  /** Its resource history has been replayed (remote/guest nodes wait for their connection). */
  historyUnpacked?: boolean;
  /** Resources never run here (bundle nodes: only the bundle's own replica may). */
  discoverNever?: boolean;
}

export type ResourceKind = 'primitive' | 'group' | 'clone' | 'bundle';

/**
 * What a failed operation asks for. 'migrate' (ban the node, recover elsewhere) and
 * 'reset-remote' (recover a remote connection, fencing the remote node if needed) are
 * never configured directly: the status unpacking derives them.
 */
export type FailPolicy = 'ignore' | 'block' | 'stop' | 'restart' | 'standby' | 'fence' | 'demote' | 'restart-container' | 'migrate' | 'reset-remote';

/** A failed operation, as the "Failed Resource Actions" list and fail counts see it. */
export interface FailedOp {
  rsc: Resource;
  node: Node;
  opKey: string;
  task: string;
  intervalMs: number;
  rc: number;
  status: number;
  exitReason?: string;
  lastRcChange?: number;
  callId: number;
  execTime?: number;
  queueTime?: number;
  lrmId: string;
  /** The on_node the entry itself records, if any. */
  onNode?: string;
}

export interface Resource {
  id: string;
  kind: ResourceKind;
  /** For clone instances: the id without the ":N" suffix. */
  baseId: string;
  /** Clone instance number (for instances and every primitive below an instance). */
  instanceNumber?: number;
  parent?: Resource;
  children: Resource[];
  config: PrimitiveConfig | GroupConfig | CloneConfig | BundleConfig;
  /** Primitive only: class, provider, type. */
  agent?: { class: string; provider?: string; type: string };
  meta: Map<string, string>;
  params: Map<string, string>;
  utilization: Map<string, number>;
  // ---- flags ----
  managed: boolean;
  orphan: boolean;
  failed: boolean;
  blocked: boolean;
  /** Clone instances: the clone is globally unique. */
  unique: boolean;
  promotable: boolean;
  /** Resource must be fenced-for (requires=fencing). */
  requires: 'nothing' | 'quorum' | 'fencing' | 'unfencing';
  priority: number;
  stickiness: number;
  migrationThreshold: number;
  failureTimeoutMs: number;
  multipleActive: 'stop_start' | 'stop_only' | 'block' | 'stop_unexpected';
  allowMigrate: boolean;
  critical: boolean;
  targetRole?: Role;
  /** Clone settings (clone resources only). */
  clone?: { max: number; nodeMax: number; promotedMax: number; promotedNodeMax: number; interleave: boolean; ordered: boolean; notify: boolean; globallyUnique: boolean };
  // ---- current state (from status) ----
  role: Role;
  /** Nodes where the resource is active now. */
  runningOn: Node[];
  /** Nodes where its state is known (probed). */
  knownOn: Set<string>;
  /** Nodes where a pending (op-status=-1, in flight) operation exists. */
  pendingTask?: string;
  pendingNode?: Node;
  /** Last failures per node. */
  failures: FailedOp[];
  /** Partial migration state discovered in the history. */
  partialMigrationSource?: Node;
  partialMigrationTarget?: Node;
  dangling?: { source: Node };
  /** on-fail policy that applies to the latest failure. */
  onFailHandling?: FailPolicy;
  /** Shutdown lock: the node this resource stays locked to (it stopped there on shutdown). */
  lockNode?: Node;
  // ---- placement ----
  /** Allowed nodes and their scores (node id -> score). */
  allowed: Map<string, number>;
  provisional: boolean;
  assignedTo?: Node;
  nextRole: Role;
  /** Why the resource cannot run, if it cannot (for explanations). */
  assignmentReason?: string;
  /** Colocations where this resource is the dependent / the primary. */
  thisWithColocations: Colocation[];
  withThisColocations: Colocation[];
  /** Location constraints that name this resource (after expansion). */
  locations: Location[];
  /** Bundle: the replica containers etc. */
  bundle?: BundleState;
  /** For guest nodes: the node this resource's container represents. */
  isRemoteConnection: boolean;
  containerOf?: Resource;
  /** The container resource this one runs inside (guest node or bundle replica). */
  container?: Resource;
  /** Allocation is in progress (colocation loop guard). */
  assigning?: boolean;
  /** Score merging is in progress (colocation loop guard). */
  merging?: boolean;
  /** Colocations inherited from a parent (group member or clone instance) during assignment. */
  inheritedThisWith?: Colocation[];
  inheritedWithThis?: Colocation[];
  /** A group's colocations were handed to its members. */
  groupExpanded?: boolean;
  /** The id the operation history knows an anonymous clone instance by (as agents set scores). */
  historyName?: string;
  /** The resource can apply a parameter change by reloading instead of restarting. */
  reload?: boolean;
  /** Score of the node when it was assigned. */
  assignedScore?: number;
  /** Promotable instances: the promotion priority being built up, then the merged sort index. */
  promotionPriority?: number;
  promotionSortIndex?: number;
  /** Was the resource's parameters changed (digest mismatch) on a node: forces a restart. */
  definitionChanged?: Set<string>;
  /** Node ids whose history was recorded with another agent (class/provider/type): a restart. */
  agentChanged?: Set<string>;
  /** Operation history is empty (never probed anywhere). */
  exclusiveDiscovery?: boolean;
  /** Lowest-level: the primitive's raw config ops. */
  ops: PrimitiveConfig['ops'];
  // ---- more status facts (filled by unpack/history.ts) ----
  /** A failure was recorded but ignored (on-fail=ignore, or a stop failure inside a container). */
  failureIgnored?: boolean;
  /** The history asks for this resource to be stopped (recovery of a failure). */
  stopRequired?: boolean;
  /** Nodes where the history asks for an explicit stop (failed, multiply active, migration leftovers). */
  stopOn?: Node[];
  /** A start is in flight. */
  startPending?: boolean;
  /** Migration sources where a completed migration left the resource to be stopped. */
  danglingSources?: Node[];
  /** -INFINITY preferences the history asks for; node undefined means every node. */
  statusBans?: { node?: Node; reason: string }[];
  /** INFINITY preference for the node an unmanaged resource is active on. */
  stickToNode?: Node;
  /**
   * Node ids this resource may run on as unpacked (before constraints): every node known when it
   * was built if the cluster is symmetric (bundle nodes excepted), plus nodes the history banned it
   * from. Clones list their "Stopped" nodes from it.
   */
  unpackAllowed?: Set<string>;
  /** Resources whose meta "container" names this one (they run inside it). */
  fillers?: Resource[];
  /** Shutdown lock: the resource stays stopped on lockNode until this time (seconds). */
  lockTime?: number;
  /** A promoted instance whose failure asks only for a demotion (on-fail=demote). */
  demoteOnFailure?: boolean;
  /** Moves by live migration (migrate_to on the source, migrate_from on the target). */
  migrating?: { source: Node; target: Node };
}

export interface BundleState {
  replicas: BundleReplica[];
  /** The bundle's inner resource (a clone wrapping the primitive), if any. */
  child?: Resource;
  /** Container image, as shown in the status header. */
  image: string;
  /** docker | podman | rkt */
  runtime: string;
  replicasPerHost: number;
  promotedMax: number;
  /** network ip-range-start: replica N gets this address plus N. */
  ipRangeStart?: string;
  controlPort?: string;
  hostInterface?: string;
  hostNetmask?: string;
}

export interface BundleReplica {
  index: number;
  ip?: string;
  container: Resource;
  ipRsc?: Resource;
  remote?: Resource;
  child?: Resource;
  node?: Node;
}

export interface Colocation {
  id: string;
  dependent: Resource;
  primary: Resource;
  dependentRole?: Role;
  primaryRole?: Role;
  score: number;
  nodeAttribute: string;
  influence: boolean;
}

export interface Location {
  id: string;
  rsc: Resource;
  role?: Role;
  discovery: 'always' | 'never' | 'exclusive';
  /** node id -> score contributed. */
  nodes: Map<string, number>;
}

export interface Ticket {
  id: string;
  granted: boolean;
  standby: boolean;
  lastGranted?: number;
}

export interface ClusterOptions {
  stonithEnabled: boolean;
  stonithAction: string;
  symmetricCluster: boolean;
  noQuorumPolicy: 'stop' | 'freeze' | 'ignore' | 'demote' | 'suicide';
  maintenanceMode: boolean;
  stopOrphanResources: boolean;
  stopOrphanActions: boolean;
  startFailureIsFatal: boolean;
  placementStrategy: 'default' | 'utilization' | 'minimal' | 'balanced';
  startupFencing: boolean;
  enableStartupProbes: boolean;
  stopAllResources: boolean;
  concurrentFencing: boolean;
  shutdownLock: boolean;
  shutdownLockLimitMs: number;
  priorityFencingDelayMs: number;
  nodeHealthStrategy: 'none' | 'migrate-on-red' | 'only-green' | 'progressive' | 'custom';
  nodeHealth: { red: number; yellow: number; green: number; base: number };
  clusterName?: string;
  haveWatchdog: boolean;
  stonithWatchdogTimeout: string;
  clusterRecheckIntervalMs: number;
  /** crm_config values as unpacked, for anything else. */
  raw: Map<string, string>;
}

export interface WorkingSet {
  cib: Cib;
  /** Seconds since the epoch. */
  now: number;
  options: ClusterOptions;
  haveQuorum: boolean;
  dcUuid?: string;
  nodes: Node[];
  nodesByName: Map<string, Node>;
  nodesById: Map<string, Node>;
  /** Top-level resources in configuration order. */
  resources: Resource[];
  /** Every resource at every level, by id (instances as "id:N"). */
  resourcesById: Map<string, Resource>;
  colocations: Colocation[];
  locations: Location[];
  orderings: ResourceOrder[];
  ticketDeps: TicketDependency[];
  tickets: Map<string, Ticket>;
  failedOps: FailedOp[];
  /** Non-fatal configuration problems (printed by crm_verify-like checks). */
  warnings: string[];
  /** rsc_defaults / op_defaults as sets (evaluated per resource/op). */
  actions: Action[];
  /** Resources scheduled in this order (for display of decisions). */
  decisions: string[];
  /** When set, assignment steps record the scores they saw (crm_simulate --show-scores). */
  scoreLog?: string[];
  /** Bundle assignment, provided by the bundle module. */
  assignBundle?: (ws: WorkingSet, r: Resource, prefer?: Node) => Node | undefined;
}

// ---- actions and ordering ----

export type Task =
  | 'start'
  | 'stop'
  | 'monitor'
  | 'promote'
  | 'demote'
  | 'notify'
  | 'migrate_to'
  | 'migrate_from'
  | 'reload-agent'
  | 'stonith'
  | 'do_shutdown'
  | 'clear_failcount'
  | 'lrm_delete'
  | 'running'
  | 'stopped'
  | 'promoted'
  | 'demoted'
  | 'notified'
  | 'pre_notify'
  | 'post_notify'
  | 'confirmed-pre_notify'
  | 'confirmed-post_notify'
  | 'cancel'
  | 'stonith_complete'
  | 'one-or-more'
  | 'probe_complete';

export interface Action {
  id: number;
  /** Resource-level key, e.g. "rsc1_start_0", "rsc1_monitor_10000". */
  key: string;
  /** A Task, or the name of a special pseudo action (e.g. "one-or-more:set1"). */
  task: string;
  rsc?: Resource;
  node?: Node;
  intervalMs: number;
  /** Pseudo actions have no node and need no executor (group/clone milestones, fencing stand-ins). */
  pseudo: boolean;
  optional: boolean;
  runnable: boolean;
  /** Why a previously optional action became required, as the summary prints it. */
  reason?: string;
  /** Extra properties passed through to the executor (notify type/operation, fence action...). */
  meta: Map<string, string>;
  /** Orderings in and out (by action id). */
  before: ActionEdge[];
  after: ActionEdge[];
  /** A required action that must not run (block/unrunnable). */
  migrateRunnable?: boolean;
  /** For fencing: the reason. */
  fenceReason?: string;
  /** Derived flag: counted in the summary as a change. */
  printed?: boolean;
  /** For clone/group pseudo actions: members that must complete. */
  requiredRunnableBefore?: number;
  /** Never-to-run marker for cancelled duplicates. */
  cancelled?: boolean;
  /** A stop on a node being fenced: done by the fencing itself. */
  impliedByFencing?: boolean;
  /** For fencing actions: the node and the fence type (reboot, off, on). */
  fenceTarget?: Node;
  fenceType?: string;
}

/** Flags of an ordering between two actions, describing how one constrains the other. */
export interface OrderFlags {
  /** "then" may only run after "first" (plain sequencing). */
  optional?: boolean;
  /** first required => then required. */
  impliesThen?: boolean;
  /** then required => first required. */
  impliesFirst?: boolean;
  /** then runnable only if first runnable. */
  runnableLeft?: boolean;
  /** then runnable only if at least one "first" runnable (clone/one-or-more). */
  oneOrMore?: boolean;
  /** Restart relationship: then (start) required => first (stop) required. */
  restart?: boolean;
  /** then runnable only if first not required (anti-ordering for serialize). */
  serialize?: boolean;
  /** Only apply if the resources are on the same node. */
  sameNode?: boolean;
  /** Groups one-or-more inputs: "then" needs at least one runnable input of the group. */
  oneOrMoreGroup?: string;
  /** Propagate implied-first only when "then" is a migration. */
  impliesFirstMigratable?: boolean;
  /** Print reason: what the summary says when this ordering makes "then" required. */
  asymmetrical?: boolean;
  impliesThenPrinted?: boolean;
  /** "then" becomes unrunnable if "first" is unrunnable but required (for promotions). */
  implies_first_printed?: boolean;
  /** Optional only: then need not wait for first if first is optional. */
  applyFirstNonMigratable?: boolean;
  /** Do not carry over "required" from first to then on the same resource when migrating. */
  thenCancelsFirst?: boolean;
}

export interface ActionEdge {
  action: Action;
  flags: OrderFlags;
}

/** An order constraint resolved to resource-level tasks; action-level edges are built later. */
export interface ResourceOrder {
  id: string;
  first: Resource;
  firstTask: Task;
  then: Resource;
  thenTask: Task;
  kind: 'Mandatory' | 'Optional' | 'Serialize';
  symmetrical: boolean;
  /** For require-all=false sets: "then" needs any one of these. */
  oneOf?: Resource[];
  oneOfId?: string;
  /** How many of `oneOf` must be able to run (clone-min); one when unset. */
  minRequired?: number;
}

/** A resource that may only run (in a role) while a ticket is granted. */
export interface TicketDependency {
  id: string;
  ticket: string;
  rsc: Resource;
  role: Role | undefined;
  lossPolicy: 'stop' | 'demote' | 'fence' | 'freeze';
}
