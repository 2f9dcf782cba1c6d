// The typed model of a CIB: configuration (what the operator asked for) and status (what the
// cluster has seen). Produced by parse.ts from Pacemaker CIB XML of any schema version the corpus
// uses, already upgraded to current (pacemaker-3.x) syntax; written back by write.ts.

export type Role = 'Stopped' | 'Started' | 'Unpromoted' | 'Promoted' | 'Unknown';

/** A name/value pair inside an attribute set. */
export interface NvPair {
  id: string;
  name: string;
  value?: string;
  /** Set when the pair was written as a reference (<nvpair id-ref="..."/>); the fields are the target's. */
  idRef?: string;
}

/** instance_attributes, meta_attributes, utilization, cluster_property_set, ... */
export interface AttributeSet {
  id: string;
  score?: string;
  rule?: Rule;
  nvpairs: NvPair[];
  /** Set when the set was written as a reference (id-ref); the contents are the target's. */
  idRef?: string;
}

// ---- rules ----

export type Expression = AttributeExpression | DateExpression | RscExpression | OpExpression | Rule;

export interface Rule {
  kind: 'rule';
  id: string;
  /** Set when the rule was written as a reference (<rule id-ref="..."/>); the contents are the target's. */
  idRef?: string;
  score?: string;
  scoreAttribute?: string;
  booleanOp: 'and' | 'or';
  role?: Role;
  expressions: Expression[];
}

export type AttrOperation = 'lt' | 'gt' | 'lte' | 'gte' | 'eq' | 'ne' | 'defined' | 'not_defined';

export interface AttributeExpression {
  kind: 'attribute';
  id: string;
  attribute: string;
  operation: AttrOperation;
  value?: string;
  type: 'string' | 'integer' | 'number' | 'version';
  /** literal (default), param (value names a resource parameter), meta. */
  valueSource: 'literal' | 'param' | 'meta';
  typeExplicit: boolean;
}

export interface DateSpec {
  id: string;
  /** Each field is a range "a-b" or a single value, as written. */
  fields: Partial<Record<'hours' | 'monthdays' | 'weekdays' | 'yeardays' | 'months' | 'weeks' | 'years' | 'weekyears' | 'moon' | 'minutes' | 'seconds', string>>;
}

export interface DateExpression {
  kind: 'date';
  id: string;
  operation: 'gt' | 'lt' | 'in_range' | 'date_spec';
  start?: string;
  end?: string;
  duration?: Record<string, string>;
  dateSpec?: DateSpec;
}

export interface RscExpression {
  kind: 'rsc';
  id: string;
  class?: string;
  provider?: string;
  type?: string;
}

export interface OpExpression {
  kind: 'op';
  id: string;
  name: string;
  interval?: string;
}

// ---- resources ----

export interface OpConfig {
  id: string;
  name: string;
  /** interval in milliseconds (0 for non-recurring). */
  intervalMs: number;
  /** The remaining attributes as written (timeout, role, on-fail, start-delay, enabled, ...). */
  attrs: Record<string, string>;
  meta: AttributeSet[];
  instance: AttributeSet[];
}

interface ResourceBase {
  id: string;
  meta: AttributeSet[];
  instance: AttributeSet[];
  utilization: AttributeSet[];
}

export interface PrimitiveConfig extends ResourceBase {
  kind: 'primitive';
  class: string;
  provider?: string;
  type: string;
  ops: OpConfig[];
  /** Id of the template it was expanded from, if any. */
  template?: string;
  /**
   * For a primitive made from a template: what the <primitive> element itself says (the fields
   * above hold the merged result), so that it is written back as a reference to the template.
   */
  own?: {
    class?: string;
    provider?: string;
    type?: string;
    meta: AttributeSet[];
    instance: AttributeSet[];
    utilization: AttributeSet[];
    ops: OpConfig[];
  };
  /** Id of the <operations> element, and its id-ref when it was written as a reference. */
  operationsId?: string;
  operationsRef?: string;
}

export interface GroupConfig extends ResourceBase {
  kind: 'group';
  children: PrimitiveConfig[];
}

export interface CloneConfig extends ResourceBase {
  kind: 'clone';
  /** True for <master> and for clones with meta promotable=true. */
  child: PrimitiveConfig | GroupConfig;
}

export interface BundleConfig extends ResourceBase {
  kind: 'bundle';
  /** docker | podman | rkt */
  runtime: string;
  container: Record<string, string>;
  network?: { attrs: Record<string, string>; portMappings: Record<string, string>[] };
  storage: Record<string, string>[];
  child?: PrimitiveConfig;
}

export type ResourceConfig = PrimitiveConfig | GroupConfig | CloneConfig | BundleConfig;

// ---- constraints ----

export interface ResourceSet {
  id: string;
  /** Set when the set was written as a reference (id-ref); the contents are the target's. */
  idRef?: string;
  resources: string[];
  sequential?: boolean;
  requireAll?: boolean;
  ordering?: string;
  action?: string;
  role?: Role;
  score?: string;
  kind?: string;
}

export interface LocationConstraint {
  kind: 'location';
  id: string;
  rsc?: string;
  rscPattern?: string;
  sets: ResourceSet[];
  node?: string;
  score?: string;
  role?: Role;
  rules: Rule[];
  resourceDiscovery?: 'always' | 'never' | 'exclusive';
}

export interface ColocationConstraint {
  kind: 'colocation';
  id: string;
  rsc?: string;
  withRsc?: string;
  rscRole?: Role;
  withRscRole?: Role;
  rscInstance?: string;
  withRscInstance?: string;
  score: string;
  nodeAttribute?: string;
  influence?: boolean;
  sets: ResourceSet[];
}

export interface OrderConstraint {
  kind: 'order';
  id: string;
  first?: string;
  then?: string;
  firstAction?: string;
  thenAction?: string;
  firstInstance?: string;
  thenInstance?: string;
  orderKind?: 'Mandatory' | 'Optional' | 'Serialize';
  score?: string;
  symmetrical?: boolean;
  requireAll?: boolean;
  sets: ResourceSet[];
}

export interface TicketConstraint {
  kind: 'ticket';
  id: string;
  rsc?: string;
  rscRole?: Role;
  ticket: string;
  lossPolicy?: 'stop' | 'demote' | 'fence' | 'freeze';
  sets: ResourceSet[];
}

export type Constraint = LocationConstraint | ColocationConstraint | OrderConstraint | TicketConstraint;

export interface NodeConfig {
  id: string;
  uname: string;
  type: 'member' | 'remote' | 'ping';
  /** Permanent node attributes (instance_attributes; utilization kept apart). */
  instance: AttributeSet[];
  utilization: AttributeSet[];
  score?: string;
}

export interface FencingLevel {
  id: string;
  index: number;
  target?: string;
  targetPattern?: string;
  targetAttribute?: string;
  targetValue?: string;
  devices: string[];
}

export interface Tag {
  id: string;
  refs: string[];
}

export interface Configuration {
  crmConfig: AttributeSet[];
  nodes: NodeConfig[];
  resources: ResourceConfig[];
  constraints: Constraint[];
  rscDefaults: AttributeSet[];
  opDefaults: AttributeSet[];
  fencingTopology: FencingLevel[];
  tags: Tag[];
  templates: PrimitiveConfig[];
  /** Sections the scheduler does not use (alerts, acls), kept verbatim so that a CIB round-trips. */
  verbatim?: VerbatimElement[];
}

/** An XML element kept as written: name, attributes in order, children. */
export interface VerbatimElement {
  name: string;
  attrs: Record<string, string>;
  children: VerbatimElement[];
}

// ---- status ----

export interface LrmRscOp {
  id: string;
  operation: string;
  /** operation_key as recorded, or derived from id. */
  operationKey: string;
  callId: number;
  rcCode: number;
  opStatus: number;
  intervalMs: number;
  transitionKey?: string;
  transitionMagic?: string;
  opDigest?: string;
  opRestartDigest?: string;
  opSecureDigest?: string;
  /** Parameters left out of op-secure-digest (passwords), space separated. */
  opSecureParams?: string;
  opForceRestart?: string;
  lastRcChange?: number;
  lastRun?: number;
  execTime?: number;
  queueTime?: number;
  exitReason?: string;
  migrateSource?: string;
  migrateTarget?: string;
  onNode?: string;
  crmFeatureSet?: string;
}

export interface LrmResource {
  id: string;
  class?: string;
  provider?: string;
  type?: string;
  container?: string;
  ops: LrmRscOp[];
}

export interface NodeStateEntry {
  id: string;
  uname?: string;
  /** Raw node_state attributes (in_ccm, crmd, join, expected, shutdown, remote_node, ...). */
  attrs: Record<string, string>;
  lrm: LrmResource[];
  transient: AttributeSet[];
  /** Whether an <lrm> element was present (a node without it has never reported history). */
  hasLrm: boolean;
}

export interface TicketState {
  id: string;
  attrs: Record<string, string>;
}

export interface Status {
  nodes: NodeStateEntry[];
  tickets: TicketState[];
}

export interface Cib {
  /** Attributes of the <cib> element (epoch, admin_epoch, num_updates, validate-with, ...). */
  attrs: Record<string, string>;
  configuration: Configuration;
  status: Status;
}
