// Pacemaker CIB XML -> typed model. Older syntax (pacemaker-1.x/2.x) is upgraded on the way in:
// <master> becomes a promotable <clone>, Master/Slave roles become Promoted/Unpromoted. Errors name
// the element and say what is wrong; nothing here throws anything but CibError for bad input.
import type {
  AttrOperation,
  AttributeExpression,
  AttributeSet,
  BundleConfig,
  Cib,
  CloneConfig,
  ColocationConstraint,
  Configuration,
  Constraint,
  DateExpression,
  Expression,
  FencingLevel,
  GroupConfig,
  LocationConstraint,
  LrmResource,
  LrmRscOp,
  NodeConfig,
  NodeStateEntry,
  NvPair,
  OpConfig,
  OrderConstraint,
  PrimitiveConfig,
  ResourceConfig,
  ResourceSet,
  Role,
  Rule,
  Status,
  Tag,
  TicketConstraint,
  VerbatimElement,
} from './model.ts';
import { CibError, childrenNamed, describeElement, firstChild, parseXml, type XmlElement } from './xml.ts';
import { parseIntervalMs } from './duration.ts';

export function parseCibXml(text: string, source = 'CIB'): Cib {
  return parseCibElement(parseXml(text, source), source);
}

/** Maps legacy role spellings to the current ones; undefined stays undefined. */
export function normalizeRole(role: string | undefined, where: XmlElement): Role | undefined {
  if (role === undefined || role === '') return undefined;
  switch (role) {
    case 'Master':
    case 'Promoted':
      return 'Promoted';
    case 'Slave':
    case 'Unpromoted':
      return 'Unpromoted';
    case 'Started':
      return 'Started';
    case 'Stopped':
      return 'Stopped';
    default:
      throw new CibError(`${describeElement(where)}: unknown role '${role}' (expected Started, Stopped, Promoted or Unpromoted)`);
  }
}

const SCORE = /^\s*([+-]?\d+|[+-]?INFINITY|red|yellow|green)\s*$/i;
const RESOURCE_CLASSES = ['ocf', 'lsb', 'heartbeat', 'stonith', 'upstart', 'service', 'systemd', 'nagios', 'process'];

class Parser {
  private readonly byId = new Map<string, XmlElement>();
  /** Ids a constraint may name (filled once resources, templates and tags are read). */
  private readonly constrainable = new Set<string>();

  constructor(private readonly root: XmlElement, private readonly source: string) {
    this.indexIds(root);
  }

  private indexIds(el: XmlElement, inStatus = false): void {
    // Ids must be unique in the configuration; status ids repeat legitimately across nodes.
    // References (resource_ref, obj_ref) repeat ids by design; node ids live in their own space.
    const status = inStatus || el.name === 'status' || el.name === 'acls';
    const id = el.attrs.id;
    const definition = !['resource_ref', 'obj_ref', 'node'].includes(el.name);
    if (id !== undefined && !status && definition) {
      const prev = this.byId.get(id);
      if (prev && prev !== el && !el.attrs['id-ref']) {
        throw new CibError(`${this.source}: duplicate id '${id}': ${describeElement(prev)} and ${describeElement(el)}`);
      }
      if (!el.attrs['id-ref']) this.byId.set(id, el);
    }
    for (const c of el.children) this.indexIds(c, status);
  }

  fail(el: XmlElement, what: string): never {
    throw new CibError(`${this.source}: ${describeElement(el)}: ${what}`);
  }

  req(el: XmlElement, attr: string): string {
    const v = el.attrs[attr];
    if (v === undefined || v === '') this.fail(el, `missing required attribute '${attr}'`);
    return v;
  }

  /** A score attribute must be an integer, INFINITY, +INFINITY, -INFINITY (or a health colour). */
  score(el: XmlElement, attr: string): string | undefined {
    const v = el.attrs[attr];
    if (v !== undefined && !SCORE.test(v)) this.fail(el, `${attr} '${v}' is not a score (an integer, INFINITY or -INFINITY)`);
    return v;
  }

  /** A constraint's reference to a resource must name one that exists. */
  resourceRef(el: XmlElement, attr: string, id: string | undefined): void {
    if (id !== undefined && !this.constrainable.has(id)) this.fail(el, `${attr} '${id}' names no resource, template or tag`);
  }

  oneOf<T extends string>(el: XmlElement, attr: string, allowed: readonly T[]): T | undefined {
    const v = el.attrs[attr];
    if (v !== undefined && !(allowed as readonly string[]).includes(v)) this.fail(el, `${attr} must be ${allowed.join(', ')}; not '${v}'`);
    return v as T | undefined;
  }

  /** Follows id-ref to the referenced element of the same kind. */
  deref(el: XmlElement): XmlElement {
    const ref = el.attrs['id-ref'];
    if (ref === undefined) return el;
    const target = this.byId.get(ref);
    if (!target) this.fail(el, `id-ref '${ref}' names no element`);
    return target;
  }

  cib(): Cib {
    const root = this.root;
    if (root.name !== 'cib') this.fail(root, `root element must be <cib>, found <${root.name}>`);
    const configEl = firstChild(root, 'configuration');
    if (!configEl) this.fail(root, 'missing <configuration>');
    const statusEl = firstChild(root, 'status');
    return {
      attrs: { ...root.attrs },
      configuration: this.configuration(configEl),
      status: statusEl ? this.status(statusEl) : { nodes: [], tickets: [] },
    };
  }

  configuration(el: XmlElement): Configuration {
    const known = new Set(['crm_config', 'nodes', 'resources', 'constraints', 'rsc_defaults', 'op_defaults', 'fencing-topology', 'tags', 'alerts', 'acls']);
    for (const c of el.children) if (!known.has(c.name)) this.fail(c, `unknown element in <configuration>`);
    const crmConfigEl = firstChild(el, 'crm_config');
    const nodesEl = firstChild(el, 'nodes');
    const resourcesEl = firstChild(el, 'resources');
    const constraintsEl = firstChild(el, 'constraints');
    if (!crmConfigEl) this.fail(el, 'missing <crm_config>');
    if (!nodesEl) this.fail(el, 'missing <nodes>');
    if (!resourcesEl) this.fail(el, 'missing <resources>');
    if (!constraintsEl) this.fail(el, 'missing <constraints>');
    const templates = childrenNamed(resourcesEl, 'template').map((t) => this.primitive(t, undefined, true));
    const templateById = new Map(templates.map((t) => [t.id, t]));
    const rscDefaultsEl = firstChild(el, 'rsc_defaults');
    const opDefaultsEl = firstChild(el, 'op_defaults');
    const crmConfig = childrenNamed(crmConfigEl, 'cluster_property_set').map((s) => this.attributeSet(s));
    const nodes = childrenNamed(nodesEl, 'node').map((n) => this.node(n));
    const resources = resourcesEl.children.filter((c) => c.name !== 'template').map((c) => this.resource(c, templateById));
    const tags = this.tags(firstChild(el, 'tags'));
    // What constraints may name: resources at any level, templates and tags.
    const collect = (r: ResourceConfig): void => {
      this.constrainable.add(r.id);
      if (r.kind === 'group') r.children.forEach(collect);
      else if (r.kind === 'clone') collect(r.child);
      else if (r.kind === 'bundle' && r.child) collect(r.child);
    };
    resources.forEach(collect);
    for (const t of templates) this.constrainable.add(t.id);
    for (const t of tags) this.constrainable.add(t.id);
    return {
      crmConfig,
      nodes,
      templates,
      resources,
      constraints: constraintsEl.children.map((c) => this.constraint(c)),
      rscDefaults: rscDefaultsEl ? childrenNamed(rscDefaultsEl, 'meta_attributes').map((s) => this.attributeSet(s)) : [],
      opDefaults: opDefaultsEl ? childrenNamed(opDefaultsEl, 'meta_attributes').map((s) => this.attributeSet(s)) : [],
      fencingTopology: this.fencingTopology(firstChild(el, 'fencing-topology')),
      tags,
      ...verbatimSections(el),
    };
  }

  attributeSet(raw: XmlElement): AttributeSet {
    const el = this.deref(raw);
    const set: AttributeSet = { id: raw.attrs.id ?? el.attrs.id ?? '', nvpairs: [] };
    if (raw.attrs['id-ref'] !== undefined) set.idRef = raw.attrs['id-ref'];
    if (el.attrs.score !== undefined) set.score = el.attrs.score;
    for (const c of el.children) {
      if (c.name === 'nvpair') {
        const nv = this.deref(c);
        const pair: NvPair = { id: nv.attrs.id ?? '', name: this.req(nv, 'name'), value: nv.attrs.value };
        if (c.attrs['id-ref'] !== undefined) pair.idRef = c.attrs['id-ref'];
        set.nvpairs.push(pair);
      } else if (c.name === 'rule') {
        set.rule = this.rule(c);
      } else {
        this.fail(c, `unexpected element inside <${el.name}>`);
      }
    }
    return set;
  }

  rule(raw: XmlElement): Rule {
    const el = this.deref(raw);
    const booleanOp = el.attrs['boolean-op'] ?? 'and';
    if (booleanOp !== 'and' && booleanOp !== 'or') this.fail(el, `boolean-op must be 'and' or 'or', not '${booleanOp}'`);
    const rule: Rule = { kind: 'rule', id: el.attrs.id ?? '', booleanOp, expressions: [] };
    if (raw.attrs['id-ref'] !== undefined) rule.idRef = raw.attrs['id-ref'];
    if (this.score(el, 'score') !== undefined) rule.score = el.attrs.score!;
    if (el.attrs['score-attribute'] !== undefined) rule.scoreAttribute = el.attrs['score-attribute'];
    const role = normalizeRole(el.attrs.role, el);
    if (role) rule.role = role;
    for (const c of el.children) rule.expressions.push(this.expression(c));
    return rule;
  }

  expression(el: XmlElement): Expression {
    switch (el.name) {
      case 'rule':
        return this.rule(el);
      case 'expression': {
        const operation = this.req(el, 'operation') as AttrOperation;
        const ops: AttrOperation[] = ['lt', 'gt', 'lte', 'gte', 'eq', 'ne', 'defined', 'not_defined'];
        if (!ops.includes(operation)) this.fail(el, `unknown operation '${operation}'`);
        const type = el.attrs.type ?? 'string';
        if (!['string', 'integer', 'number', 'version'].includes(type)) this.fail(el, `unknown type '${type}'`);
        const source = el.attrs['value-source'] ?? 'literal';
        if (!['literal', 'param', 'meta'].includes(source)) this.fail(el, `unknown value-source '${source}'`);
        const e: AttributeExpression = {
          kind: 'attribute',
          id: el.attrs.id ?? '',
          attribute: this.req(el, 'attribute'),
          operation,
          type: type as AttributeExpression['type'],
          typeExplicit: el.attrs.type !== undefined,
          valueSource: source as AttributeExpression['valueSource'],
        };
        if (el.attrs.value !== undefined) e.value = el.attrs.value;
        else if (operation !== 'defined' && operation !== 'not_defined') this.fail(el, `operation '${operation}' needs a value`);
        return e;
      }
      case 'date_expression': {
        const operation = el.attrs.operation ?? 'in_range';
        if (!['gt', 'lt', 'in_range', 'date_spec'].includes(operation)) this.fail(el, `unknown date operation '${operation}'`);
        const e: DateExpression = { kind: 'date', id: el.attrs.id ?? '', operation: operation as DateExpression['operation'] };
        if (el.attrs.start !== undefined) e.start = el.attrs.start;
        if (el.attrs.end !== undefined) e.end = el.attrs.end;
        const dur = firstChild(el, 'duration');
        if (dur) e.duration = { ...dur.attrs };
        const spec = firstChild(el, 'date_spec');
        if (spec) {
          const { id, ...fields } = spec.attrs;
          e.dateSpec = { id: id ?? '', fields };
        }
        return e;
      }
      case 'rsc_expression': {
        const e: Expression = { kind: 'rsc', id: el.attrs.id ?? '' };
        if (el.attrs.class !== undefined) e.class = el.attrs.class;
        if (el.attrs.provider !== undefined) e.provider = el.attrs.provider;
        if (el.attrs.type !== undefined) e.type = el.attrs.type;
        return e;
      }
      case 'op_expression': {
        const e: Expression = { kind: 'op', id: el.attrs.id ?? '', name: this.req(el, 'name') };
        if (el.attrs.interval !== undefined) e.interval = el.attrs.interval;
        return e;
      }
      default:
        this.fail(el, 'unexpected element inside <rule>');
    }
  }

  node(el: XmlElement): NodeConfig {
    const type = el.attrs.type ?? 'member';
    const node: NodeConfig = {
      id: this.req(el, 'id'),
      uname: this.req(el, 'uname'),
      type: type === 'normal' ? 'member' : (type as NodeConfig['type']),
      instance: childrenNamed(el, 'instance_attributes').map((s) => this.attributeSet(s)),
      utilization: childrenNamed(el, 'utilization').map((s) => this.attributeSet(s)),
    };
    if (!['member', 'remote', 'ping'].includes(node.type)) this.fail(el, `unknown node type '${type}'`);
    if (el.attrs.score !== undefined) node.score = el.attrs.score;
    return node;
  }

  sets(el: XmlElement, name: string): AttributeSet[] {
    return childrenNamed(el, name).map((s) => this.attributeSet(s));
  }

  op(el: XmlElement): OpConfig {
    const { id, name, interval, ...rest } = el.attrs;
    const attrs: Record<string, string> = {};
    for (const [k, v] of Object.entries(rest)) attrs[k] = k === 'role' ? normalizeRole(v, el)! : v;
    let intervalMs: number;
    try {
      intervalMs = parseIntervalMs(interval ?? '0');
    } catch {
      this.fail(el, `invalid interval '${interval}'`);
    }
    return {
      id: id ?? '',
      name: this.req(el, 'name'),
      intervalMs,
      attrs,
      meta: this.sets(el, 'meta_attributes'),
      instance: this.sets(el, 'instance_attributes'),
    };
  }

  primitive(el: XmlElement, templates: Map<string, PrimitiveConfig> | undefined, isTemplate = false): PrimitiveConfig {
    const id = this.req(el, 'id');
    const templateId = el.attrs.template;
    let base: PrimitiveConfig | undefined;
    if (templateId !== undefined && !isTemplate) {
      base = templates?.get(templateId);
      if (!base) this.fail(el, `template '${templateId}' does not exist`);
    }
    const cls = el.attrs.class ?? base?.class;
    const type = el.attrs.type ?? base?.type;
    if (!cls) this.fail(el, "missing required attribute 'class'");
    if (!RESOURCE_CLASSES.includes(cls)) this.fail(el, `unknown resource class '${cls}' (expected ${RESOURCE_CLASSES.join(', ')})`);
    if (!type) this.fail(el, "missing required attribute 'type'");
    const provider = el.attrs.provider ?? base?.provider;
    if (cls === 'ocf' && !provider) this.fail(el, "class 'ocf' needs a 'provider'");
    const opsEl = firstChild(el, 'operations');
    const ownOps = opsEl ? childrenNamed(this.deref(opsEl), 'op').map((o) => this.op(o)) : [];
    // A primitive's own op replaces the template's op of the same name and interval.
    const ops = base
      ? [...base.ops.filter((b) => !ownOps.some((o) => o.name === b.name && o.intervalMs === b.intervalMs)), ...ownOps]
      : ownOps;
    const p: PrimitiveConfig = {
      kind: 'primitive',
      id,
      class: cls,
      type,
      ops,
      // Template sets come first so the primitive's own values, evaluated later, win.
      meta: [...(base?.meta ?? []), ...this.sets(el, 'meta_attributes')],
      instance: [...(base?.instance ?? []), ...this.sets(el, 'instance_attributes')],
      utilization: [...(base?.utilization ?? []), ...this.sets(el, 'utilization')],
    };
    if (provider) p.provider = provider;
    if (opsEl?.attrs.id !== undefined) p.operationsId = opsEl.attrs.id;
    if (opsEl?.attrs['id-ref'] !== undefined) p.operationsRef = opsEl.attrs['id-ref'];
    if (templateId) {
      p.template = templateId;
      if (base) {
        p.own = {
          meta: this.sets(el, 'meta_attributes'),
          instance: this.sets(el, 'instance_attributes'),
          utilization: this.sets(el, 'utilization'),
          ops: ownOps,
        };
        if (el.attrs.class !== undefined) p.own.class = el.attrs.class;
        if (el.attrs.provider !== undefined) p.own.provider = el.attrs.provider;
        if (el.attrs.type !== undefined) p.own.type = el.attrs.type;
      }
    }
    return p;
  }

  resource(el: XmlElement, templates: Map<string, PrimitiveConfig>): ResourceConfig {
    switch (el.name) {
      case 'primitive':
        return this.primitive(el, templates);
      case 'group': {
        const children = childrenNamed(el, 'primitive').map((c) => this.primitive(c, templates));
        const g: GroupConfig = {
          kind: 'group',
          id: this.req(el, 'id'),
          children,
          meta: this.sets(el, 'meta_attributes'),
          instance: this.sets(el, 'instance_attributes'),
          utilization: [],
        };
        return g;
      }
      case 'clone':
      case 'master': {
        const inner = el.children.find((c) => c.name === 'primitive' || c.name === 'group');
        if (!inner) this.fail(el, 'a clone must contain one primitive or group');
        const child = inner.name === 'group' ? (this.resource(inner, templates) as GroupConfig) : this.primitive(inner, templates);
        const meta = this.sets(el, 'meta_attributes');
        if (el.name === 'master') {
          // Pacemaker's upgrade turns <master> into a clone with promotable=true.
          meta.unshift({ id: `${el.attrs.id}-meta_attributes-promotable`, nvpairs: [{ id: `${el.attrs.id}-meta_attributes-promotable-nv`, name: 'promotable', value: 'true' }] });
        }
        const c: CloneConfig = {
          kind: 'clone',
          id: this.req(el, 'id'),
          child,
          meta,
          instance: this.sets(el, 'instance_attributes'),
          utilization: [],
        };
        return c;
      }
      case 'bundle': {
        const runtimeEl = el.children.find((c) => ['docker', 'podman', 'rkt'].includes(c.name));
        if (!runtimeEl) this.fail(el, 'a bundle needs a <docker>, <podman> or <rkt> element');
        const netEl = firstChild(el, 'network');
        const storageEl = firstChild(el, 'storage');
        const prim = firstChild(el, 'primitive');
        const b: BundleConfig = {
          kind: 'bundle',
          id: this.req(el, 'id'),
          runtime: runtimeEl.name,
          container: { ...runtimeEl.attrs },
          storage: storageEl ? storageEl.children.map((c) => ({ ...c.attrs })) : [],
          meta: this.sets(el, 'meta_attributes'),
          instance: this.sets(el, 'instance_attributes'),
          utilization: this.sets(el, 'utilization'),
        };
        if (netEl) b.network = { attrs: { ...netEl.attrs }, portMappings: childrenNamed(netEl, 'port-mapping').map((p) => ({ ...p.attrs })) };
        if (prim) b.child = this.primitive(prim, templates);
        return b;
      }
      default:
        this.fail(el, 'unknown element in <resources>');
    }
  }

  resourceSets(el: XmlElement): ResourceSet[] {
    return childrenNamed(el, 'resource_set').map((raw) => {
      const s = this.deref(raw);
      const set: ResourceSet = {
        id: s.attrs.id ?? '',
        resources: childrenNamed(s, 'resource_ref').map((r) => {
          const id = this.req(r, 'id');
          this.resourceRef(r, 'resource_ref', id);
          return id;
        }),
      };
      this.score(s, 'score');
      if (raw.attrs['id-ref'] !== undefined) set.idRef = raw.attrs['id-ref'];
      if (s.attrs.sequential !== undefined) set.sequential = isTrue(s.attrs.sequential);
      if (s.attrs['require-all'] !== undefined) set.requireAll = isTrue(s.attrs['require-all']);
      if (s.attrs.ordering !== undefined) set.ordering = s.attrs.ordering;
      if (s.attrs.action !== undefined) set.action = s.attrs.action;
      const role = normalizeRole(s.attrs.role, s);
      if (role) set.role = role;
      if (s.attrs.score !== undefined) set.score = s.attrs.score;
      if (s.attrs.kind !== undefined) set.kind = s.attrs.kind;
      return set;
    });
  }

  constraint(el: XmlElement): Constraint {
    const a = el.attrs;
    const id = this.req(el, 'id');
    switch (el.name) {
      case 'rsc_location': {
        const c: LocationConstraint = { kind: 'location', id, sets: this.resourceSets(el), rules: childrenNamed(el, 'rule').map((r) => this.rule(r)) };
        this.resourceRef(el, 'rsc', a.rsc);
        this.score(el, 'score');
        if (a.rsc !== undefined) c.rsc = a.rsc;
        if (a['rsc-pattern'] !== undefined) c.rscPattern = a['rsc-pattern'];
        if (a.node !== undefined) c.node = a.node;
        if (a.score !== undefined) c.score = a.score;
        const role = normalizeRole(a.role, el);
        if (role) c.role = role;
        if (a['resource-discovery'] !== undefined) {
          const d = a['resource-discovery'];
          if (d !== 'always' && d !== 'never' && d !== 'exclusive') this.fail(el, `resource-discovery must be always, never or exclusive, not '${d}'`);
          c.resourceDiscovery = d;
        }
        if (c.rsc === undefined && c.rscPattern === undefined && c.sets.length === 0) this.fail(el, "needs 'rsc', 'rsc-pattern' or a resource_set");
        if (c.node !== undefined && c.score === undefined && a['score-attribute'] === undefined) this.fail(el, "a location with 'node' needs a 'score'");
        return c;
      }
      case 'rsc_colocation': {
        this.resourceRef(el, 'rsc', a.rsc);
        this.resourceRef(el, 'with-rsc', a['with-rsc']);
        this.score(el, 'score');
        const c: ColocationConstraint = { kind: 'colocation', id, score: a.score ?? a['score-attribute'] ?? '0', sets: this.resourceSets(el) };
        if (a.rsc !== undefined) c.rsc = a.rsc;
        if (a['with-rsc'] !== undefined) c.withRsc = a['with-rsc'];
        const r1 = normalizeRole(a['rsc-role'], el);
        if (r1) c.rscRole = r1;
        const r2 = normalizeRole(a['with-rsc-role'], el);
        if (r2) c.withRscRole = r2;
        if (a['rsc-instance'] !== undefined) c.rscInstance = a['rsc-instance'];
        if (a['with-rsc-instance'] !== undefined) c.withRscInstance = a['with-rsc-instance'];
        if (a['node-attribute'] !== undefined) c.nodeAttribute = a['node-attribute'];
        if (a.influence !== undefined) c.influence = isTrue(a.influence);
        if (c.sets.length === 0 && (c.rsc === undefined || c.withRsc === undefined)) this.fail(el, "needs 'rsc' and 'with-rsc' or resource sets");
        if (a.score === undefined && c.sets.length === 0) this.fail(el, "missing required attribute 'score'");
        return c;
      }
      case 'rsc_order': {
        this.resourceRef(el, 'first', a.first);
        this.resourceRef(el, 'then', a.then);
        this.score(el, 'score');
        const c: OrderConstraint = { kind: 'order', id, sets: this.resourceSets(el) };
        if (a.first !== undefined) c.first = a.first;
        if (a.then !== undefined) c.then = a.then;
        if (a['first-action'] !== undefined) c.firstAction = a['first-action'];
        if (a['then-action'] !== undefined) c.thenAction = a['then-action'];
        if (a['first-instance'] !== undefined) c.firstInstance = a['first-instance'];
        if (a['then-instance'] !== undefined) c.thenInstance = a['then-instance'];
        if (a.kind !== undefined) c.orderKind = a.kind as OrderConstraint['orderKind'];
        if (a.score !== undefined) c.score = a.score;
        if (a.symmetrical !== undefined) c.symmetrical = isTrue(a.symmetrical);
        if (a['require-all'] !== undefined) c.requireAll = isTrue(a['require-all']);
        if (c.sets.length === 0 && (c.first === undefined || c.then === undefined)) this.fail(el, "needs 'first' and 'then' or resource sets");
        return c;
      }
      case 'rsc_ticket': {
        this.resourceRef(el, 'rsc', a.rsc);
        this.oneOf(el, 'loss-policy', ['stop', 'demote', 'fence', 'freeze']);
        const c: TicketConstraint = { kind: 'ticket', id, ticket: this.req(el, 'ticket'), sets: this.resourceSets(el) };
        if (a.rsc !== undefined) c.rsc = a.rsc;
        const role = normalizeRole(a['rsc-role'], el);
        if (role) c.rscRole = role;
        if (a['loss-policy'] !== undefined) c.lossPolicy = a['loss-policy'] as TicketConstraint['lossPolicy'];
        return c;
      }
      default:
        this.fail(el, 'unknown element in <constraints>');
    }
  }

  fencingTopology(el: XmlElement | undefined): FencingLevel[] {
    if (!el) return [];
    return childrenNamed(el, 'fencing-level').map((l) => {
      const index = Number(this.req(l, 'index'));
      if (!Number.isInteger(index) || index < 1) this.fail(l, `index must be a positive integer`);
      const lvl: FencingLevel = { id: this.req(l, 'id'), index, devices: this.req(l, 'devices').split(',').map((d) => d.trim()).filter(Boolean) };
      if (l.attrs.target !== undefined) lvl.target = l.attrs.target;
      if (l.attrs['target-pattern'] !== undefined) lvl.targetPattern = l.attrs['target-pattern'];
      if (l.attrs['target-attribute'] !== undefined) lvl.targetAttribute = l.attrs['target-attribute'];
      if (l.attrs['target-value'] !== undefined) lvl.targetValue = l.attrs['target-value'];
      return lvl;
    });
  }

  tags(el: XmlElement | undefined): Tag[] {
    if (!el) return [];
    return childrenNamed(el, 'tag').map((t) => ({ id: this.req(t, 'id'), refs: childrenNamed(t, 'obj_ref').map((r) => this.req(r, 'id')) }));
  }

  status(el: XmlElement): Status {
    const nodes: NodeStateEntry[] = [];
    for (const ns of childrenNamed(el, 'node_state')) nodes.push(this.nodeState(ns));
    const ticketsEl = firstChild(el, 'tickets');
    const tickets = ticketsEl ? childrenNamed(ticketsEl, 'ticket_state').map((t) => ({ id: this.req(t, 'id'), attrs: { ...t.attrs } })) : [];
    return { nodes, tickets };
  }

  nodeState(el: XmlElement): NodeStateEntry {
    const { id, uname, ...rest } = el.attrs;
    const lrmEl = firstChild(el, 'lrm');
    const lrm: LrmResource[] = [];
    if (lrmEl) {
      const resEl = firstChild(lrmEl, 'lrm_resources');
      for (const r of resEl ? childrenNamed(resEl, 'lrm_resource') : []) {
        const res: LrmResource = { id: this.req(r, 'id'), ops: childrenNamed(r, 'lrm_rsc_op').map((o) => this.lrmOp(o)) };
        if (r.attrs.class !== undefined) res.class = r.attrs.class;
        if (r.attrs.provider !== undefined) res.provider = r.attrs.provider;
        if (r.attrs.type !== undefined) res.type = r.attrs.type;
        if (r.attrs.container !== undefined) res.container = r.attrs.container;
        lrm.push(res);
      }
    }
    const transient: AttributeSet[] = [];
    for (const t of childrenNamed(el, 'transient_attributes')) transient.push(...this.sets(t, 'instance_attributes'));
    const entry: NodeStateEntry = { id: id ?? uname ?? '', attrs: rest, lrm, transient, hasLrm: lrmEl !== undefined };
    if (uname !== undefined) entry.uname = uname;
    if (!entry.id) this.fail(el, "missing required attribute 'id'");
    return entry;
  }

  lrmOp(el: XmlElement): LrmRscOp {
    const a = el.attrs;
    const num = (k: string, k2?: string): number | undefined => {
      const v = a[k] ?? (k2 ? a[k2] : undefined);
      if (v === undefined) return undefined;
      const n = Number(v);
      if (!Number.isFinite(n)) this.fail(el, `attribute '${k}' is not a number: '${v}'`);
      return n;
    };
    const op: LrmRscOp = {
      id: this.req(el, 'id'),
      operation: this.req(el, 'operation'),
      operationKey: a.operation_key ?? a.id!,
      callId: num('call-id') ?? -1,
      rcCode: num('rc-code') ?? 0,
      opStatus: num('op-status') ?? 0,
      intervalMs: num('interval') ?? 0,
    };
    const opt: [keyof LrmRscOp, string][] = [
      ['transitionKey', 'transition-key'],
      ['transitionMagic', 'transition-magic'],
      ['opDigest', 'op-digest'],
      ['opRestartDigest', 'op-restart-digest'],
      ['opSecureDigest', 'op-secure-digest'],
      ['opSecureParams', 'op-secure-params'],
      ['opForceRestart', 'op-force-restart'],
      ['exitReason', 'exit-reason'],
      ['migrateSource', 'migrate_source'],
      ['migrateTarget', 'migrate_target'],
      ['onNode', 'on_node'],
      ['crmFeatureSet', 'crm_feature_set'],
    ];
    for (const [key, attr] of opt) if (a[attr] !== undefined) (op as unknown as Record<string, unknown>)[key] = a[attr];
    const lrc = num('last-rc-change', 'last_rc_change');
    if (lrc !== undefined) op.lastRcChange = lrc;
    const lr = num('last-run', 'last_run');
    if (lr !== undefined) op.lastRun = lr;
    const et = num('exec-time', 'exec_time');
    if (et !== undefined) op.execTime = et;
    const qt = num('queue-time', 'queue_time');
    if (qt !== undefined) op.queueTime = qt;
    return op;
  }
}

/** alerts and acls, which the scheduler does not read, kept as written. */
function verbatimSections(el: XmlElement): { verbatim?: VerbatimElement[] } {
  const keep = el.children.filter((c) => c.name === 'alerts' || c.name === 'acls');
  return keep.length ? { verbatim: keep.map(toVerbatim) } : {};
}

function toVerbatim(el: XmlElement): VerbatimElement {
  return { name: el.name, attrs: { ...el.attrs }, children: el.children.map(toVerbatim) };
}

export function isTrue(v: string | undefined): boolean {
  if (v === undefined) return false;
  return ['true', 'on', 'yes', 'y', '1'].includes(v.toLowerCase());
}

export function parseCibElement(root: XmlElement, source = 'CIB'): Cib {
  try {
    return new Parser(root, source).cib();
  } catch (err) {
    // Helpers outside the parser (normalizeRole) do not know the source: every message names it.
    if (err instanceof CibError && !err.message.startsWith(`${source}: `)) throw new CibError(`${source}: ${err.message}`);
    throw err;
  }
}
