// Typed model -> Pacemaker CIB XML in current syntax (pacemaker-3.x): promotable clones as <clone>
// with meta promotable=true, roles as Promoted/Unpromoted (the parser already upgraded both), ids,
// id-refs, templates, tags, resource sets, rules, rsc/op defaults, alerts/acls and the status section
// kept. parseCibXml(writeCibXml(m)) gives back m (with validate-with raised to the schema written).
import type {
  AttributeSet,
  BundleConfig,
  Cib,
  CloneConfig,
  Constraint,
  Expression,
  GroupConfig,
  LrmRscOp,
  NodeConfig,
  NodeStateEntry,
  OpConfig,
  PrimitiveConfig,
  ResourceConfig,
  ResourceSet,
  Rule,
  VerbatimElement,
} from './model.ts';
import { serializeXml, type XmlElement } from './xml.ts';

/** The schema the writer's output follows. */
export const WRITTEN_SCHEMA = 'pacemaker-3.9';

type Attrs = Record<string, string | number | boolean | undefined>;

function el(name: string, attrs: Attrs = {}, children: XmlElement[] = []): XmlElement {
  const a: Record<string, string> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined) a[k] = String(v);
  return { name, attrs: a, children };
}

function attributeSet(name: string, s: AttributeSet): XmlElement {
  if (s.idRef !== undefined) return el(name, { 'id-ref': s.idRef });
  const children: XmlElement[] = [];
  if (s.rule) children.push(rule(s.rule));
  for (const nv of s.nvpairs) children.push(nv.idRef !== undefined ? el('nvpair', { 'id-ref': nv.idRef }) : el('nvpair', { id: nv.id, name: nv.name, value: nv.value }));
  return el(name, { id: s.id, score: s.score }, children);
}

function sets(name: string, list: AttributeSet[]): XmlElement[] {
  return list.map((s) => attributeSet(name, s));
}

function rule(r: Rule): XmlElement {
  if (r.idRef !== undefined) return el('rule', { 'id-ref': r.idRef });
  return el(
    'rule',
    { id: r.id, score: r.score, 'score-attribute': r.scoreAttribute, 'boolean-op': r.booleanOp, role: r.role },
    r.expressions.map(expression),
  );
}

function expression(e: Expression): XmlElement {
  switch (e.kind) {
    case 'rule':
      return rule(e);
    case 'attribute':
      return el('expression', {
        id: e.id,
        attribute: e.attribute,
        operation: e.operation,
        value: e.value,
        type: e.typeExplicit ? e.type : undefined,
        'value-source': e.valueSource === 'literal' ? undefined : e.valueSource,
      });
    case 'date': {
      const children: XmlElement[] = [];
      if (e.duration) children.push(el('duration', e.duration));
      if (e.dateSpec) children.push(el('date_spec', { id: e.dateSpec.id, ...e.dateSpec.fields }));
      return el('date_expression', { id: e.id, operation: e.operation, start: e.start, end: e.end }, children);
    }
    case 'rsc':
      return el('rsc_expression', { id: e.id, class: e.class, provider: e.provider, type: e.type });
    case 'op':
      return el('op_expression', { id: e.id, name: e.name, interval: e.interval });
  }
}

function op(o: OpConfig): XmlElement {
  return el('op', { id: o.id, name: o.name, interval: o.intervalMs === 0 ? '0' : `${o.intervalMs}ms`, ...o.attrs }, [
    ...sets('meta_attributes', o.meta),
    ...sets('instance_attributes', o.instance),
  ]);
}

function operations(p: PrimitiveConfig, ops: OpConfig[]): XmlElement[] {
  if (p.operationsRef !== undefined) return [el('operations', { 'id-ref': p.operationsRef })];
  if (ops.length === 0 && p.operationsId === undefined) return [];
  return [el('operations', { id: p.operationsId }, ops.map(op))];
}

function primitive(p: PrimitiveConfig, name = 'primitive'): XmlElement {
  if (p.template !== undefined && p.own) {
    const o = p.own;
    return el('primitive', { id: p.id, class: o.class, provider: o.provider, type: o.type, template: p.template }, [
      ...sets('meta_attributes', o.meta),
      ...sets('instance_attributes', o.instance),
      ...sets('utilization', o.utilization),
      ...operations(p, o.ops),
    ]);
  }
  return el(name, { id: p.id, class: p.class, provider: p.provider, type: p.type }, [
    ...sets('meta_attributes', p.meta),
    ...sets('instance_attributes', p.instance),
    ...sets('utilization', p.utilization),
    ...operations(p, p.ops),
  ]);
}

function group(g: GroupConfig): XmlElement {
  return el('group', { id: g.id }, [...sets('meta_attributes', g.meta), ...sets('instance_attributes', g.instance), ...g.children.map((c) => primitive(c))]);
}

function clone(c: CloneConfig): XmlElement {
  const child = c.child.kind === 'group' ? group(c.child) : primitive(c.child);
  return el('clone', { id: c.id }, [...sets('meta_attributes', c.meta), ...sets('instance_attributes', c.instance), child]);
}

function bundle(b: BundleConfig): XmlElement {
  const children: XmlElement[] = [el(b.runtime, b.container)];
  if (b.network) children.push(el('network', b.network.attrs, b.network.portMappings.map((p) => el('port-mapping', p))));
  if (b.storage.length) children.push(el('storage', {}, b.storage.map((s) => el('storage-mapping', s))));
  children.push(...sets('meta_attributes', b.meta), ...sets('instance_attributes', b.instance), ...sets('utilization', b.utilization));
  if (b.child) children.push(primitive(b.child));
  return el('bundle', { id: b.id }, children);
}

function resource(r: ResourceConfig): XmlElement {
  switch (r.kind) {
    case 'primitive':
      return primitive(r);
    case 'group':
      return group(r);
    case 'clone':
      return clone(r);
    case 'bundle':
      return bundle(r);
  }
}

function resourceSet(s: ResourceSet): XmlElement {
  if (s.idRef !== undefined) return el('resource_set', { 'id-ref': s.idRef });
  return el(
    'resource_set',
    { id: s.id, sequential: s.sequential, 'require-all': s.requireAll, ordering: s.ordering, action: s.action, role: s.role, score: s.score, kind: s.kind },
    s.resources.map((id) => el('resource_ref', { id })),
  );
}

function constraint(c: Constraint): XmlElement {
  const rsets = c.sets.map(resourceSet);
  switch (c.kind) {
    case 'location':
      return el(
        'rsc_location',
        { id: c.id, rsc: c.rsc, 'rsc-pattern': c.rscPattern, node: c.node, score: c.score, role: c.role, 'resource-discovery': c.resourceDiscovery },
        [...rsets, ...c.rules.map(rule)],
      );
    case 'colocation':
      return el(
        'rsc_colocation',
        {
          id: c.id,
          rsc: c.rsc,
          'with-rsc': c.withRsc,
          'rsc-role': c.rscRole,
          'with-rsc-role': c.withRscRole,
          'rsc-instance': c.rscInstance,
          'with-rsc-instance': c.withRscInstance,
          score: c.score,
          'node-attribute': c.nodeAttribute,
          influence: c.influence,
        },
        rsets,
      );
    case 'order':
      return el(
        'rsc_order',
        {
          id: c.id,
          first: c.first,
          then: c.then,
          'first-action': c.firstAction,
          'then-action': c.thenAction,
          'first-instance': c.firstInstance,
          'then-instance': c.thenInstance,
          kind: c.orderKind,
          score: c.score,
          symmetrical: c.symmetrical,
          'require-all': c.requireAll,
        },
        rsets,
      );
    case 'ticket':
      return el('rsc_ticket', { id: c.id, ticket: c.ticket, rsc: c.rsc, 'rsc-role': c.rscRole, 'loss-policy': c.lossPolicy }, rsets);
  }
}

function node(n: NodeConfig): XmlElement {
  return el('node', { id: n.id, uname: n.uname, type: n.type, score: n.score }, [...sets('instance_attributes', n.instance), ...sets('utilization', n.utilization)]);
}

function verbatim(v: VerbatimElement): XmlElement {
  return { name: v.name, attrs: { ...v.attrs }, children: v.children.map(verbatim) };
}

function lrmRscOp(o: LrmRscOp): XmlElement {
  return el('lrm_rsc_op', {
    id: o.id,
    operation_key: o.operationKey,
    operation: o.operation,
    'crm-debug-origin': undefined,
    crm_feature_set: o.crmFeatureSet,
    'transition-key': o.transitionKey,
    'transition-magic': o.transitionMagic,
    'exit-reason': o.exitReason,
    on_node: o.onNode,
    'call-id': o.callId,
    'rc-code': o.rcCode,
    'op-status': o.opStatus,
    interval: o.intervalMs,
    'last-run': o.lastRun,
    'last-rc-change': o.lastRcChange,
    'exec-time': o.execTime,
    'queue-time': o.queueTime,
    'op-digest': o.opDigest,
    'op-force-restart': o.opForceRestart,
    'op-restart-digest': o.opRestartDigest,
    'op-secure-digest': o.opSecureDigest,
    'op-secure-params': o.opSecureParams,
    migrate_source: o.migrateSource,
    migrate_target: o.migrateTarget,
  });
}

function nodeState(n: NodeStateEntry): XmlElement {
  const children: XmlElement[] = [];
  if (n.transient.length) children.push(el('transient_attributes', { id: n.id }, sets('instance_attributes', n.transient)));
  if (n.hasLrm) {
    const resources = n.lrm.map((r) => el('lrm_resource', { id: r.id, type: r.type, class: r.class, provider: r.provider, container: r.container }, r.ops.map(lrmRscOp)));
    children.push(el('lrm', { id: n.id }, [el('lrm_resources', {}, resources)]));
  }
  return el('node_state', { id: n.id, uname: n.uname, ...n.attrs }, children);
}

/** The model as an XML element tree. */
export function cibToXml(cib: Cib): XmlElement {
  const c = cib.configuration;
  const validate = cib.attrs['validate-with'];
  const attrs = { ...cib.attrs, 'validate-with': validate === 'none' ? 'none' : WRITTEN_SCHEMA };
  const config: XmlElement[] = [
    el('crm_config', {}, sets('cluster_property_set', c.crmConfig)),
    el('nodes', {}, c.nodes.map(node)),
    el('resources', {}, [...c.templates.map((t) => primitive(t, 'template')), ...c.resources.map(resource)]),
    el('constraints', {}, c.constraints.map(constraint)),
  ];
  if (c.fencingTopology.length) {
    config.push(
      el(
        'fencing-topology',
        {},
        c.fencingTopology.map((l) =>
          el('fencing-level', { id: l.id, target: l.target, 'target-pattern': l.targetPattern, 'target-attribute': l.targetAttribute, 'target-value': l.targetValue, index: l.index, devices: l.devices.join(',') }),
        ),
      ),
    );
  }
  if (c.rscDefaults.length) config.push(el('rsc_defaults', {}, sets('meta_attributes', c.rscDefaults)));
  if (c.opDefaults.length) config.push(el('op_defaults', {}, sets('meta_attributes', c.opDefaults)));
  if (c.tags.length) config.push(el('tags', {}, c.tags.map((t) => el('tag', { id: t.id }, t.refs.map((id) => el('obj_ref', { id }))))));
  for (const v of c.verbatim ?? []) config.push(verbatim(v));
  const status: XmlElement[] = cib.status.nodes.map(nodeState);
  if (cib.status.tickets.length) status.push(el('tickets', {}, cib.status.tickets.map((t) => el('ticket_state', { ...t.attrs, id: t.id }))));
  return el('cib', attrs, [el('configuration', {}, config), el('status', {}, status)]);
}

/** The model as CIB XML text. */
export function writeCibXml(cib: Cib): string {
  return serializeXml(cibToXml(cib));
}
