// The resource tree: primitives, groups, clones (with one child per instance) and bundles, each
// with its meta-attributes resolved (own, then the parent's, then rsc_defaults), plus the remote and
// guest nodes that connection resources create.
import type { AttributeSet, BundleConfig, CloneConfig, GroupConfig, PrimitiveConfig, ResourceConfig, Role } from '../../cib/model.ts';
import { isTrue, normalizeRole } from '../../cib/parse.ts';
import { parseDurationMs } from '../../cib/duration.ts';
import { unpackSets, type RuleContext } from '../../cib/rules.ts';
import { INFINITY, parseScore } from '../../cib/score.ts';
import type { Resource, ResourceKind, WorkingSet } from '../types.ts';
import { applyConfiguredAttrs, newNode, parseUtilization } from './nodes.ts';
import { buildBundle } from './bundle.ts';

function newResource(ws: WorkingSet, id: string, kind: ResourceKind, config: ResourceConfig, parent?: Resource): Resource {
  const r: Resource = {
    id,
    kind,
    baseId: id.replace(/:\d+$/, ''),
    parent,
    children: [],
    config,
    meta: new Map(),
    params: new Map(),
    utilization: new Map(),
    managed: true,
    orphan: false,
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
    ops: config.kind === 'primitive' ? config.ops : [],
  };
  if (parent) {
    const m = /:(\d+)$/.exec(id);
    if (m) r.instanceNumber = Number(m[1]);
    else if (parent.instanceNumber !== undefined) r.instanceNumber = parent.instanceNumber;
  }
  return r;
}

function register(ws: WorkingSet, r: Resource): void {
  ws.resourcesById.set(r.id, r);
  r.unpackAllowed = defaultAllowedNodes(ws);
}

/**
 * In a symmetric cluster every resource may run on every node known when it is unpacked, except
 * nodes where nothing may be discovered (bundle nodes, which only their own replica uses).
 */
function defaultAllowedNodes(ws: WorkingSet): Set<string> {
  const out = new Set<string>();
  if (!ws.options.symmetricCluster) return out;
  for (const n of ws.nodes) if (!n.discoverNever) out.add(n.id);
  return out;
}

function ruleContext(ws: WorkingSet, cfg: ResourceConfig): RuleContext {
  const ctx: RuleContext = { now: ws.now };
  if (cfg.kind === 'primitive') {
    const rsc: NonNullable<RuleContext['rsc']> = { class: cfg.class, type: cfg.type };
    if (cfg.provider !== undefined) rsc.provider = cfg.provider;
    ctx.rsc = rsc;
  }
  return ctx;
}

/** Resolves meta-attributes and the flags derived from them. */
/**
 * A primitive made from a template: its own attribute sets override the template's, so they go
 * first (the first value seen for a name wins).
 */
function ownSetsFirst(ws: WorkingSet, cfg: ResourceConfig, pick: (c: PrimitiveConfig) => AttributeSet[]): AttributeSet[] {
  const sets = pick(cfg as PrimitiveConfig);
  if (cfg.kind !== 'primitive' || cfg.template === undefined) return sets;
  const tmpl = ws.cib.configuration.templates.find((t) => t.id === cfg.template);
  if (!tmpl) return sets;
  const fromTemplate = new Set(pick(tmpl));
  return [...sets.filter((x) => !fromTemplate.has(x)), ...sets.filter((x) => fromTemplate.has(x))];
}

function resolveMeta(ws: WorkingSet, r: Resource): void {
  const ctx = ruleContext(ws, r.config);
  const meta = unpackSets(ownSetsFirst(ws, r.config, (c) => c.meta), ctx);
  if (r.parent) for (const [k, v] of r.parent.meta) if (!meta.has(k)) meta.set(k, v);
  unpackSets(ws.cib.configuration.rscDefaults, ctx, meta);
  for (const [k, v] of meta) if (v === '#default') meta.delete(k);
  r.meta = meta;
  r.params = unpackSets(ownSetsFirst(ws, r.config, (c) => c.instance), ctx);
  for (const [k, v] of unpackSets(ownSetsFirst(ws, r.config, (c) => c.utilization), ctx)) r.utilization.set(k, parseUtilization(v));

  const get = (k: string) => meta.get(k);
  r.priority = parseScore(get('priority') ?? '0');
  r.managed = get('is-managed') === undefined ? true : isTrue(get('is-managed'));
  if (get('maintenance') !== undefined && isTrue(get('maintenance'))) r.managed = false;
  if (ws.options.maintenanceMode) r.managed = false;
  const stick = get('resource-stickiness') ?? get('resource_stickiness');
  r.stickiness = stick !== undefined ? parseScore(stick) : 0;
  const mt = get('migration-threshold');
  r.migrationThreshold = mt !== undefined ? parseScore(mt) : INFINITY;
  const ft = get('failure-timeout');
  if (ft !== undefined) {
    try {
      r.failureTimeoutMs = parseDurationMs(ft);
    } catch {
      r.failureTimeoutMs = 0;
    }
  }
  // A remote connection waits reconnect_interval after a failure by letting the failure expire then.
  const reconnect = r.config.kind === 'primitive' && isRemoteAgent(r.config) ? r.params.get('reconnect_interval') : undefined;
  if (reconnect !== undefined) {
    try {
      r.failureTimeoutMs = parseDurationMs(reconnect);
    } catch {
      // keep failure-timeout
    }
  }
  const ma = get('multiple-active');
  if (ma === 'stop_only' || ma === 'block' || ma === 'stop_start' || ma === 'stop_unexpected') r.multipleActive = ma;
  r.critical = get('critical') === undefined ? true : isTrue(get('critical'));
  const tr = get('target-role');
  if (tr !== undefined) {
    try {
      r.targetRole = tr === 'Started' ? 'Started' : normalizeRole(tr, { name: 'meta', attrs: { id: r.id }, children: [] });
    } catch {
      ws.warnings.push(`resource ${r.id}: unknown target-role '${tr}' ignored`);
    }
  }
  if (r.agent) {
    const am = get('allow-migrate');
    r.allowMigrate = am !== undefined ? isTrue(am) : r.agent.class === 'ocf' && r.agent.provider === 'pacemaker' && r.agent.type === 'remote';
    const req = get('requires');
    if (req === 'nothing' || req === 'quorum' || req === 'fencing' || req === 'unfencing') r.requires = req;
    else if (r.agent.class === 'stonith') r.requires = 'quorum';
    else r.requires = ws.options.stonithEnabled ? 'fencing' : 'quorum';
    if (r.requires === 'fencing' && !ws.options.stonithEnabled) r.requires = 'quorum';
  }
}

export function buildPrimitive(ws: WorkingSet, cfg: PrimitiveConfig, id: string, parent?: Resource): Resource {
  const r = newResource(ws, id, 'primitive', cfg, parent);
  r.agent = { class: cfg.class, type: cfg.type };
  if (cfg.provider !== undefined) r.agent.provider = cfg.provider;
  resolveMeta(ws, r);
  register(ws, r);
  return r;
}

function suffix(id: string, n: number | undefined): string {
  return n === undefined ? id : `${id}:${n}`;
}

function buildGroup(ws: WorkingSet, cfg: GroupConfig, id: string, parent: Resource | undefined, instance?: number): Resource {
  const g = newResource(ws, id, 'group', cfg, parent);
  resolveMeta(ws, g);
  register(ws, g);
  for (const c of cfg.children) g.children.push(buildPrimitive(ws, c, suffix(c.id, instance), g));
  return g;
}

function cloneCount(meta: Map<string, string>, name: string, legacy: string | undefined, dflt: number): number {
  const v = meta.get(name) ?? (legacy ? meta.get(legacy) : undefined);
  if (v === undefined) return dflt;
  const n = parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : dflt;
}

/**
 * Adds one more instance to a clone (also used for orphaned instances found in the history). An
 * instance numbered beyond clone-max is an orphan: history says it runs, configuration wants none.
 */
export function addCloneInstance(ws: WorkingSet, clone: Resource, n: number): Resource {
  const cfg = clone.config as CloneConfig;
  const child = cfg.child;
  const inst = child.kind === 'group' ? buildGroup(ws, child, `${child.id}:${n}`, clone, n) : buildPrimitive(ws, child, `${child.id}:${n}`, clone);
  markInstance(inst, clone);
  clone.children.push(inst);
  if (n >= (clone.clone?.max ?? 0)) for (const r of descendants(inst)) r.orphan = true;
  return inst;
}

function markInstance(r: Resource, clone: Resource): void {
  r.unique = clone.unique;
  r.promotable = clone.promotable;
  for (const c of r.children) markInstance(c, clone);
}

/** Only OCF and fence agents can tell instances apart; other classes' clones are forced anonymous. */
function supportsUniqueInstances(cfg: CloneConfig): boolean {
  const prims = cfg.child.kind === 'group' ? cfg.child.children : [cfg.child];
  return prims.every((p) => p.class === 'ocf' || p.class === 'stonith');
}

export function buildClone(ws: WorkingSet, cfg: CloneConfig, parent?: Resource): Resource {
  const c = newResource(ws, cfg.id, 'clone', cfg, parent);
  resolveMeta(ws, c);
  register(ws, c);
  const m = c.meta;
  const globallyUnique = isTrue(m.get('globally-unique')) && supportsUniqueInstances(cfg);
  if (!globallyUnique && m.has('globally-unique')) m.set('globally-unique', 'false');
  const promotable = isTrue(m.get('promotable'));
  c.unique = globallyUnique;
  c.promotable = promotable;
  c.clone = {
    max: cloneCount(m, 'clone-max', undefined, ws.nodes.length),
    nodeMax: cloneCount(m, 'clone-node-max', undefined, 1),
    promotedMax: cloneCount(m, 'promoted-max', 'master-max', 1),
    promotedNodeMax: cloneCount(m, 'promoted-node-max', 'master-node-max', 1),
    interleave: isTrue(m.get('interleave')),
    ordered: isTrue(m.get('ordered')),
    notify: isTrue(m.get('notify')),
    globallyUnique,
  };
  // Clones are sticky by default so instances do not shuffle between equal nodes.
  if (!c.meta.has('resource-stickiness')) {
    c.meta.set('resource-stickiness', '1');
    c.stickiness = 1;
  }
  for (let i = 0; i < c.clone.max; i++) addCloneInstance(ws, c, i);
  // Even a clone with clone-max=0 gets one (orphan) instance, so history can be matched to it.
  if (c.clone.max === 0) addCloneInstance(ws, c, 0);
  return c;
}

/** A bundle resource itself; bundle.ts builds its replicas. */
export function newBundleResource(ws: WorkingSet, cfg: BundleConfig): Resource {
  const b = newResource(ws, cfg.id, 'bundle', cfg);
  resolveMeta(ws, b);
  register(ws, b);
  return b;
}

export function buildResource(ws: WorkingSet, cfg: ResourceConfig): Resource {
  switch (cfg.kind) {
    case 'primitive':
      return buildPrimitive(ws, cfg, cfg.id);
    case 'group':
      return buildGroup(ws, cfg, cfg.id, undefined);
    case 'clone':
      return buildClone(ws, cfg);
    case 'bundle':
      return buildBundle(ws, cfg);
  }
}

/** The configuration's own resource ids (no clone suffixes), for recognising orphans. */
export function isAnonymousCloneMember(r: Resource): boolean {
  const c = cloneOf(r);
  return c !== undefined && !c.unique;
}

/** The connection runs inside the container, and is managed (and migrates) the way it says. */
function guestConnectionMeta(container: Resource, name: string): { id: string; name: string; value: string }[] {
  const pairs = [{ id: `${name}-meta_attributes-container`, name: 'container', value: container.id }];
  const cfg = container.config as PrimitiveConfig;
  const managed = rawMeta(cfg, 'is-managed');
  if (managed !== undefined) pairs.push({ id: `${name}-meta_attributes-is-managed`, name: 'is-managed', value: managed });
  const migrate = rawMeta(cfg, 'remote-allow-migrate');
  if (migrate !== undefined) pairs.push({ id: `${name}-meta_attributes-allow-migrate`, name: 'allow-migrate', value: migrate });
  return pairs;
}

/** Implicit connection resource of a guest node (remote-node=NAME on a VM resource). */
function guestConnection(ws: WorkingSet, container: Resource, name: string): Resource {
  const m = container.meta;
  const params: PrimitiveConfig['instance'] = [
    {
      id: `${name}-instance_attributes`,
      nvpairs: [
        { id: `${name}-instance_attributes-addr`, name: 'server', value: m.get('remote-addr') ?? name },
        ...(m.has('remote-port') ? [{ id: `${name}-instance_attributes-port`, name: 'port', value: m.get('remote-port')! }] : []),
      ],
    },
  ];
  const cfg: PrimitiveConfig = {
    kind: 'primitive',
    id: name,
    class: 'ocf',
    provider: 'pacemaker',
    type: 'remote',
    ops: [{ id: `${name}-monitor-interval-30s`, name: 'monitor', intervalMs: 30_000, attrs: { timeout: '30s' }, meta: [], instance: [] }],
    meta: [{ id: `${name}-meta_attributes`, nvpairs: guestConnectionMeta(container, name) }],
    instance: params,
    utilization: [],
  };
  const r = buildPrimitive(ws, cfg, name);
  r.container = container;
  r.isRemoteConnection = true;
  container.containerOf = r;
  return r;
}

/** The value of a meta-attribute as written in a primitive's first sets (no rules), for discovery. */
function rawMeta(cfg: PrimitiveConfig, name: string): string | undefined {
  for (const set of cfg.meta) for (const nv of set.nvpairs) if (nv.name === name) return nv.value;
  return undefined;
}

function isRemoteAgent(cfg: PrimitiveConfig): boolean {
  return cfg.class === 'ocf' && cfg.provider === 'pacemaker' && cfg.type === 'remote';
}

/**
 * Creates remote nodes (ocf:pacemaker:remote primitives) and guest nodes (remote-node meta on a
 * resource) from the configuration, before resources are built: clone-max defaults count them.
 */
export function unpackRemoteNodes(ws: WorkingSet): void {
  const nodeConfig = (name: string) => ws.cib.configuration.nodes.find((n) => n.id === name || n.uname === name);
  const add = (name: string, kind: 'remote' | 'guest') => {
    const existing = ws.nodesByName.get(name);
    if (existing) {
      existing.kind = kind;
      return;
    }
    const node = newNode(ws, name, name, kind);
    applyConfiguredAttrs(ws, node, nodeConfig(name));
  };
  for (const cfg of ws.cib.configuration.resources) {
    const prims = cfg.kind === 'primitive' ? [cfg] : cfg.kind === 'group' ? cfg.children : [];
    for (const p of prims) {
      if (isRemoteAgent(p)) add(p.id, 'remote');
      const guest = rawMeta(p, 'remote-node');
      if (guest !== undefined) add(guest, 'guest');
    }
  }
}

/** Links connection resources to their nodes, creating the implicit connection of each guest. */
export function linkRemoteConnections(ws: WorkingSet, top: Resource[]): Resource[] {
  const extra: Resource[] = [];
  const visit = (r: Resource) => {
    if (r.kind === 'primitive' && r.agent && !r.parent?.clone) {
      const node = ws.nodesByName.get(r.id);
      if (isRemoteAgent(r.config as PrimitiveConfig) && node && node.kind === 'remote') {
        r.isRemoteConnection = true;
        node.connection = r;
      }
      const guest = r.meta.get('remote-node');
      const guestNode = guest !== undefined ? ws.nodesByName.get(guest) : undefined;
      if (guest !== undefined && guestNode) {
        const conn = guestConnection(ws, r, guest);
        guestNode.connection = conn;
        extra.push(conn);
      }
    }
    for (const c of r.children) visit(c);
  };
  for (const r of top) visit(r);
  return extra;
}

/** Applies a role limit: a non-promotable resource cannot exceed Started. */
export function roleLimit(r: Resource): Role {
  const t = r.targetRole;
  if (t === undefined) return r.promotable ? 'Promoted' : 'Started';
  if (t === 'Promoted' && !r.promotable) return 'Started';
  return t;
}

/** Walks a resource and every descendant. */
/** The resource and everything below it, depth first (an array: much cheaper than a generator here). */
export function descendants(r: Resource, out: Resource[] = []): Resource[] {
  out.push(r);
  for (const c of r.children) descendants(c, out);
  return out;
}

/** The primitives of a resource (itself if primitive). */
export function primitivesOf(r: Resource): Resource[] {
  return [...descendants(r)].filter((x) => x.kind === 'primitive');
}

/** The top-level ancestor. */
export function topOf(r: Resource): Resource {
  let t = r;
  while (t.parent) t = t.parent;
  return t;
}

/** The clone this resource is (part of) an instance of, if any. */
export function cloneOf(r: Resource): Resource | undefined {
  for (let p = r.parent; p; p = p.parent) if (p.kind === 'clone') return p;
  return undefined;
}
