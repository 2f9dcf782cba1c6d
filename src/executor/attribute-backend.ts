// What the agent helper commands (crm_attribute, crm_master, crm_node, attrd_updater) need from
// the cluster. The runtime implements it over the store; InMemoryAttributeBackend serves tests.

/**
 * transient = Pacemaker's `-l reboot` (status section, gone when the node leaves);
 * permanent = `-l forever` (nodes section); utilization = `-z` (node utilization).
 */
export type NodeAttributeKind = 'transient' | 'permanent' | 'utilization';

/** Sections crm_attribute --type can name besides node attributes. */
export type PropertySection = 'crm_config' | 'rsc_defaults' | 'op_defaults' | 'tickets';

export interface ClusterNode {
  /** Cluster node id (crm_node -i / -l print it). */
  id: string;
  name: string;
  /** 'member' while part of the cluster, 'lost' once it left. */
  state: 'member' | 'lost';
}

export interface Partition {
  /** Names of the nodes in this node's partition. */
  members: string[];
  quorate: boolean;
}

export interface SetAttributeOptions {
  /** attrd_updater -d: wait this long for further changes before writing (dampening). */
  dampenMs?: number;
  /** attrd_updater -p: never written to the CIB, only kept by the attribute service. */
  private?: boolean;
}

/** A node as crm_mon shows it. */
export interface NodeStatus {
  name: string;
  id: string;
  online: boolean;
  standby: boolean;
  /** Lost without being known stopped (needs fencing). */
  unclean: boolean;
  maintenance?: boolean;
  type?: 'member' | 'remote';
}

/** One placed (or stopped) instance of a resource, as crm_mon lists it. */
export interface ResourceInstanceStatus {
  /** Primitive id without clone suffix, as crm_mon prints it ("galera"). */
  id: string;
  /** "ocf:heartbeat:galera" */
  agent: string;
  role: 'Started' | 'Stopped' | 'Promoted' | 'Unpromoted' | 'Starting' | 'Stopping' | 'Migrating' | 'Unknown';
  /** Where the instance is active; absent when stopped. */
  node?: string;
  failed?: boolean;
  managed?: boolean;
  orphaned?: boolean;
  blocked?: boolean;
  /** Clone the instance belongs to. */
  clone?: { id: string; promotable: boolean; unique: boolean };
  /** Group the primitive belongs to. */
  group?: string;
}

/** What crm_mon, cibadmin -Q and crm_resource --locate show agents (galera, rabbitmq-cluster). */
export interface ClusterStatus {
  dc?: string;
  quorate: boolean;
  nodes: NodeStatus[];
  resources: ResourceInstanceStatus[];
}

export class NoSuchNodeError extends Error {
  constructor(readonly node: string) {
    super(`Could not map name=${node} to a UUID`);
    this.name = 'NoSuchNodeError';
  }
}

export interface AttributeBackend {
  localNodeName(): Promise<string>;
  listNodes(): Promise<ClusterNode[]>;
  partition(): Promise<Partition>;
  /** undefined when the attribute is not set. Throws NoSuchNodeError for an unknown node. */
  getNodeAttribute(node: string, name: string, kind: NodeAttributeKind): Promise<string | undefined>;
  setNodeAttribute(node: string, name: string, value: string, kind: NodeAttributeKind, opts?: SetAttributeOptions): Promise<void>;
  /** Deleting an attribute that is not set is not an error. */
  deleteNodeAttribute(node: string, name: string, kind: NodeAttributeKind): Promise<void>;
  /** Every attribute of one kind on a node (cibadmin -Q shows the transient ones). */
  listNodeAttributes(node: string, kind: NodeAttributeKind): Promise<Record<string, string>>;
  /** Nodes and resource instances for crm_mon, cibadmin -Q and crm_resource --locate. */
  clusterStatus(): Promise<ClusterStatus>;
  /** `set` is the XML id of the property set (crm_attribute -s); undefined means any set. */
  getClusterProperty(name: string, section: PropertySection, set?: string): Promise<string | undefined>;
  setClusterProperty(name: string, value: string, section: PropertySection, set?: string): Promise<void>;
  deleteClusterProperty(name: string, section: PropertySection, set?: string): Promise<void>;
}

/** Everything in maps; dampening is recorded, not waited for. For tests and the demo. */
export class InMemoryAttributeBackend implements AttributeBackend {
  readonly nodes: ClusterNode[];
  readonly localNode: string;
  quorate = true;
  /** Names of the nodes in our partition; defaults to every member. */
  partitionMembers?: string[];
  /** Resource instances crm_mon shows; tests set them. */
  resources: ResourceInstanceStatus[] = [];
  /** Per-node overrides of what crm_mon shows (online, standby, unclean). */
  nodeStatus: Record<string, Partial<NodeStatus>> = {};
  private readonly attrs = new Map<string, string>();
  private readonly props = new Map<string, string>();
  /** Every change, in order: what tests assert on. */
  readonly log: Array<{ op: 'set' | 'delete'; node?: string; name: string; value?: string; kind: string; opts?: SetAttributeOptions }> = [];

  constructor(opts: { localNode: string; nodes?: string[] }) {
    this.localNode = opts.localNode;
    const names = opts.nodes ?? [opts.localNode];
    this.nodes = names.map((name, i) => ({ id: String(i + 1), name, state: 'member' }));
  }

  async localNodeName(): Promise<string> {
    return this.localNode;
  }

  async listNodes(): Promise<ClusterNode[]> {
    return this.nodes.map((n) => ({ ...n }));
  }

  async partition(): Promise<Partition> {
    const members = this.partitionMembers ?? this.nodes.filter((n) => n.state === 'member').map((n) => n.name);
    return { members, quorate: this.quorate };
  }

  async getNodeAttribute(node: string, name: string, kind: NodeAttributeKind): Promise<string | undefined> {
    this.checkNode(node);
    return this.attrs.get(attrKey(node, name, kind));
  }

  async setNodeAttribute(node: string, name: string, value: string, kind: NodeAttributeKind, opts?: SetAttributeOptions): Promise<void> {
    this.checkNode(node);
    this.attrs.set(attrKey(node, name, kind), value);
    this.log.push({ op: 'set', node, name, value, kind, ...(opts && Object.keys(opts).length ? { opts } : {}) });
  }

  async deleteNodeAttribute(node: string, name: string, kind: NodeAttributeKind): Promise<void> {
    this.checkNode(node);
    this.attrs.delete(attrKey(node, name, kind));
    this.log.push({ op: 'delete', node, name, kind });
  }

  async listNodeAttributes(node: string, kind: NodeAttributeKind): Promise<Record<string, string>> {
    this.checkNode(node);
    const prefix = attrKey(node, '', kind);
    const out: Record<string, string> = {};
    for (const [k, v] of this.attrs) if (k.startsWith(prefix)) out[k.slice(prefix.length)] = v;
    return out;
  }

  async clusterStatus(): Promise<ClusterStatus> {
    const { members, quorate } = await this.partition();
    return {
      dc: members[0],
      quorate,
      nodes: this.nodes.map((n) => ({
        name: n.name,
        id: n.id,
        online: members.includes(n.name),
        standby: false,
        unclean: false,
        type: 'member' as const,
        ...this.nodeStatus[n.name],
      })),
      resources: this.resources.map((r) => ({ ...r })),
    };
  }

  async getClusterProperty(name: string, section: PropertySection, set?: string): Promise<string | undefined> {
    if (set !== undefined) return this.props.get(propKey(section, set, name));
    for (const [k, v] of this.props) if (k.startsWith(`${section}\0`) && k.endsWith(`\0${name}`)) return v;
    return undefined;
  }

  async setClusterProperty(name: string, value: string, section: PropertySection, set?: string): Promise<void> {
    this.props.set(propKey(section, set ?? defaultSet(section), name), value);
    this.log.push({ op: 'set', name, value, kind: section });
  }

  async deleteClusterProperty(name: string, section: PropertySection, set?: string): Promise<void> {
    for (const k of [...this.props.keys()]) {
      if (k.startsWith(`${section}\0`) && k.endsWith(`\0${name}`) && (set === undefined || k === propKey(section, set, name))) this.props.delete(k);
    }
    this.log.push({ op: 'delete', name, kind: section });
  }

  /** Synchronous peek for tests. */
  peek(node: string, name: string, kind: NodeAttributeKind = 'transient'): string | undefined {
    return this.attrs.get(attrKey(node, name, kind));
  }

  private checkNode(node: string): void {
    if (!this.nodes.some((n) => n.name === node)) throw new NoSuchNodeError(node);
  }
}

function attrKey(node: string, name: string, kind: NodeAttributeKind): string {
  return `${kind}\0${node}\0${name}`;
}

function propKey(section: PropertySection, set: string, name: string): string {
  return `${section}\0${set}\0${name}`;
}

/** Pacemaker's default set ids, used when crm_attribute is given no -s. */
function defaultSet(section: PropertySection): string {
  return section === 'crm_config' ? 'cib-bootstrap-options' : `${section}-options`;
}
