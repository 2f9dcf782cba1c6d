// The pure configuration edits behind `tandem resource|constraint|property|node|stonith`: what
// they write (ids, order, attributes) and the one-line error for each kind of bad input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCibElement } from '../../src/cib/parse.ts';
import { parseXml, serializeXml, type XmlElement } from '../../src/cib/xml.ts';
import { CliError } from '../../src/cli/errors.ts';
import {
  colocationAdd,
  constraintList,
  constraintRemove,
  findById,
  initialConfiguration,
  locationPrefers,
  locationRule,
  nodeAdd,
  nodeAttribute,
  nodeRemove,
  orderAdd,
  propertyList,
  propertySet,
  propertyUnset,
  resourceBan,
  resourceClear,
  resourceClone,
  resourceCreate,
  resourceDelete,
  resourceMove,
  resourceSetEnabled,
  resourceUpdate,
  setConstraint,
  stonithCreate,
  type EditResult,
} from '../../src/cli/edit/index.ts';

const dummy = { class: 'ocf', provider: 'heartbeat', type: 'Dummy' };

function base(): XmlElement {
  return initialConfiguration('test', ['n1', 'n2', 'n3']);
}

function withVip(): XmlElement {
  return resourceCreate(base(), { id: 'vip', agent: { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' }, params: { ip: '10.77.0.10' }, ops: [{ name: 'monitor', attrs: { interval: '30s', timeout: '20s' } }] }).config;
}

/** Runs an edit expected to fail; returns its message, checking it is one line. */
function failure(fn: () => EditResult | XmlElement): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof CliError, `expected CliError, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'), `one line: ${err.message}`);
    return err.message;
  }
  assert.fail('the edit did not fail');
}

function section(conf: XmlElement, name: string): XmlElement {
  return conf.children.find((c) => c.name === name)!;
}

test('resource create writes a primitive with pcs-style ids, params, ops and meta, and the parser accepts it', () => {
  const conf = resourceCreate(base(), {
    id: 'vip',
    agent: { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' },
    params: { ip: '10.77.0.10', cidr_netmask: '24' },
    ops: [
      { name: 'monitor', attrs: { interval: '30s', timeout: '30s' } },
      { name: 'start', attrs: { timeout: '20s' } },
    ],
    meta: { 'resource-stickiness': '100' },
  }).config;
  const prim = findById(conf, 'vip')!.el;
  assert.equal(prim.name, 'primitive');
  assert.deepEqual(prim.attrs, { id: 'vip', class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' });
  assert.deepEqual(
    prim.children.map((c) => c.name),
    ['instance_attributes', 'meta_attributes', 'operations'],
  );
  assert.equal(findById(conf, 'vip-instance_attributes-ip')!.el.attrs.value, '10.77.0.10');
  assert.equal(findById(conf, 'vip-meta_attributes-resource-stickiness')!.el.attrs.value, '100');
  const ops = prim.children[2]!.children;
  assert.deepEqual(ops[0]!.attrs, { id: 'vip-monitor-interval-30s', name: 'monitor', interval: '30s', timeout: '30s' });
  assert.deepEqual(ops[1]!.attrs, { id: 'vip-start-interval-0s', name: 'start', interval: '0s', timeout: '20s' });
  const cib = parseCibElement({ name: 'cib', attrs: {}, children: [conf] });
  assert.equal(cib.configuration.resources[0]!.id, 'vip');
});

test('resource create adds the default ops of the meta-data only for operations the user did not give', () => {
  const conf = resourceCreate(base(), {
    id: 'r',
    agent: dummy,
    ops: [{ name: 'monitor', attrs: { interval: '30s' } }],
    defaultOps: [
      { name: 'start', attrs: { interval: '0s', timeout: '20s' } },
      { name: 'monitor', attrs: { interval: '10s', timeout: '20s' } },
    ],
  }).config;
  const ops = findById(conf, 'r')!.el.children.find((c) => c.name === 'operations')!.children;
  assert.deepEqual(
    ops.map((o) => `${o.attrs.name}/${o.attrs.interval}`),
    ['monitor/30s', 'start/0s'],
  );
});

test('resource create --group creates the group, appends, and honours --before/--after', () => {
  let conf = resourceCreate(base(), { id: 'a', agent: dummy, group: 'g' }).config;
  conf = resourceCreate(conf, { id: 'c', agent: dummy, group: 'g' }).config;
  conf = resourceCreate(conf, { id: 'b', agent: dummy, group: 'g', after: 'a' }).config;
  conf = resourceCreate(conf, { id: 'z', agent: dummy, group: 'g', before: 'a' }).config;
  const g = findById(conf, 'g')!.el;
  assert.deepEqual(
    g.children.map((c) => c.attrs.id),
    ['z', 'a', 'b', 'c'],
  );
  assert.match(failure(() => resourceCreate(conf, { id: 'y', agent: dummy, group: 'g', before: 'nope' })), /'nope' is not a member of group 'g' \(members: z, a, b, c\)/);
});

test('resource create clone/promotable wraps the primitive; promotable sets promotable=true; --disabled goes on the clone', () => {
  let conf = resourceCreate(base(), { id: 'hap', agent: dummy, clone: { meta: { interleave: 'true' } } }).config;
  conf = resourceCreate(conf, { id: 'db', agent: { class: 'ocf', provider: 'pacemaker', type: 'Stateful' }, promotable: { id: 'db-ms', meta: { 'promoted-max': '1' } }, disabled: true }).config;
  assert.equal(findById(conf, 'hap-clone')!.el.name, 'clone');
  assert.equal(findById(conf, 'hap-clone-meta_attributes-interleave')!.el.attrs.value, 'true');
  const cib = parseCibElement({ name: 'cib', attrs: {}, children: [conf] });
  const ms = cib.configuration.resources.find((r) => r.id === 'db-ms')!;
  assert.equal(ms.kind, 'clone');
  const meta = Object.fromEntries(ms.meta.flatMap((s) => s.nvpairs).map((p) => [p.name, p.value]));
  assert.deepEqual(meta, { 'promoted-max': '1', promotable: 'true', 'target-role': 'Stopped' });
});

test('resource create refuses a duplicate id, a bad interval, a bad op timeout and an ocf agent without provider', () => {
  const conf = withVip();
  assert.match(failure(() => resourceCreate(conf, { id: 'vip', agent: dummy })), /^duplicate id 'vip': a <primitive> already has it; choose another resource id$/);
  assert.match(failure(() => resourceCreate(conf, { id: 'vip-instance_attributes', agent: dummy })), /^duplicate id 'vip-instance_attributes'/);
  assert.match(failure(() => resourceCreate(conf, { id: 'x', agent: dummy, ops: [{ name: 'monitor', attrs: { interval: 'often' } }] })), /^bad interval for op monitor 'often': use a number with an optional unit/);
  assert.match(failure(() => resourceCreate(conf, { id: 'x', agent: dummy, ops: [{ name: 'start', attrs: { timeout: '-5s' } }] })), /^bad timeout for op start '-5s'/);
  assert.match(failure(() => resourceCreate(conf, { id: 'x', agent: { class: 'ocf', type: 'Dummy' } })), /needs a provider, e.g. ocf:heartbeat:Dummy/);
  assert.match(failure(() => resourceCreate(conf, { id: '1bad', agent: dummy })), /^invalid resource id '1bad'/);
});

test('resource update sets, replaces and removes params, meta and ops; unknown resource is one line', () => {
  let conf = withVip();
  const res = resourceUpdate(conf, 'vip', { params: { ip: '10.77.0.11', cidr_netmask: '24' }, meta: { 'target-role': 'Stopped' }, ops: [{ name: 'monitor', attrs: { interval: '10s' } }] });
  conf = res.config;
  assert.equal(findById(conf, 'vip-instance_attributes-ip')!.el.attrs.value, '10.77.0.11');
  assert.ok(findById(conf, 'vip-instance_attributes-cidr_netmask'));
  assert.ok(findById(conf, 'vip-monitor-interval-10s'));
  assert.equal(findById(conf, 'vip-monitor-interval-30s'), undefined);
  assert.match(res.notes.join('\n'), /replaced operation monitor interval=30s/);
  conf = resourceUpdate(conf, 'vip', { params: { cidr_netmask: '' } }).config;
  assert.equal(findById(conf, 'vip-instance_attributes-cidr_netmask'), undefined);
  assert.match(failure(() => resourceUpdate(conf, 'nope', { params: { a: 'b' } })), /^unknown resource 'nope'; known resources: vip$/);
  assert.match(failure(() => resourceUpdate(conf, 'vip', {})), /^nothing to update for 'vip'/);
});

test('resource delete removes the constraints that name it and says so; a group member keeps the group', () => {
  let conf = withVip();
  conf = resourceCreate(conf, { id: 'a', agent: dummy, group: 'g' }).config;
  conf = resourceCreate(conf, { id: 'b', agent: dummy, group: 'g' }).config;
  conf = colocationAdd(conf, { rsc: 'g', withRsc: 'vip' }).config;
  conf = setConstraint(conf, 'order', ['set', 'vip', 'a', 'set', 'b']).config;
  conf = locationPrefers(conf, 'vip', 'prefers', [{ node: 'n1', score: '50' }]).config;
  const res = resourceDelete(conf, 'vip');
  assert.equal(findById(res.config, 'vip'), undefined);
  assert.deepEqual(res.notes, [
    "removed constraint 'colocation-g-vip-INFINITY' (colocation) that named it",
    "removed the resource from the sets of constraint 'order_set_vipa_b'",
    "removed constraint 'location-vip-n1-50' (location) that named it",
  ]);
  const left = constraintList(res.config);
  assert.deepEqual(left.map((c) => c.id), ['order_set_vipa_b']);
  assert.deepEqual(left[0]!.sets!.map((s) => s.resources), [['a'], ['b']]);
  // Deleting the last member of a group removes the group too.
  let c2 = resourceDelete(res.config, 'a').config;
  assert.ok(findById(c2, 'g'));
  const last = resourceDelete(c2, 'b');
  c2 = last.config;
  assert.equal(findById(c2, 'g'), undefined);
  assert.match(last.notes.join('\n'), /removed group 'g' that held it/);
  assert.match(last.notes.join('\n'), /removed constraint 'order_set_vipa_b' \(order\): its sets named only removed resources/);
});

test('resource disable sets target-role=Stopped; enable removes it, also from a group that holds it', () => {
  let conf = resourceCreate(base(), { id: 'a', agent: dummy, group: 'g', disabled: true }).config;
  assert.equal(findById(conf, 'g-meta_attributes-target-role')!.el.attrs.value, 'Stopped');
  conf = resourceSetEnabled(conf, ['a'], false).config;
  assert.equal(findById(conf, 'a-meta_attributes-target-role')!.el.attrs.value, 'Stopped');
  const en = resourceSetEnabled(conf, ['a'], true);
  assert.equal(findById(en.config, 'a-meta_attributes-target-role'), undefined);
  assert.equal(findById(en.config, 'g-meta_attributes-target-role'), undefined);
  assert.match(en.notes[0]!, /also enabled group 'g'/);
  assert.match(failure(() => resourceSetEnabled(conf, ['a', 'ghost'], true)), /^unknown resource 'ghost'/);
});

test('resource move/ban write cli-prefer/cli-ban constraints (with a lifetime rule), tell the user, and clear removes them', () => {
  let conf = withVip();
  const moved = resourceMove(conf, 'vip', 'n2', { now: 1_700_000_000 });
  assert.deepEqual(findById(moved.config, 'cli-prefer-vip')!.el.attrs, { id: 'cli-prefer-vip', rsc: 'vip', role: 'Started', node: 'n2', score: 'INFINITY' });
  assert.match(moved.notes[0]!, /added location constraint 'cli-prefer-vip' .* it stays until you run 'tandem resource clear vip'/);
  const banned = resourceBan(moved.config, 'vip', 'n3', { now: 1_700_000_000, lifetime: '30min' });
  const ban = findById(banned.config, 'cli-ban-vip-on-n3')!.el;
  const rule = ban.children[0]!;
  assert.equal(rule.attrs.score, '-INFINITY');
  assert.deepEqual(
    rule.children.map((e) => [e.name, e.attrs.operation, e.attrs.value ?? e.attrs.end]),
    [
      ['expression', 'eq', 'n3'],
      ['date_expression', 'lt', '2023-11-14T22:43:20Z'],
    ],
  );
  assert.match(banned.notes[0]!, /expires at 2023-11-14T22:43:20Z/);
  conf = banned.config;
  assert.match(failure(() => resourceMove(conf, 'vip', 'n9', { now: 0 })), /^unknown node 'n9'; known nodes: n1, n2, n3$/);
  assert.match(failure(() => resourceBan(conf, 'vip', 'n1', { now: 0, lifetime: 'soon' })), /^bad lifetime 'soon'/);
  const cleared = resourceClear(conf, 'vip');
  assert.deepEqual(cleared.notes, ["removed constraint 'cli-prefer-vip'", "removed constraint 'cli-ban-vip-on-n3'"]);
  assert.deepEqual(constraintList(cleared.config), []);
  assert.match(resourceClear(cleared.config, 'vip').notes[0]!, /nothing to clear/);
});

test('resource clone wraps an existing primitive in place', () => {
  let conf = resourceCreate(base(), { id: 'a', agent: dummy }).config;
  conf = resourceCreate(conf, { id: 'b', agent: dummy }).config;
  conf = resourceClone(conf, 'a', { meta: { interleave: 'true' } }).config;
  assert.deepEqual(
    section(conf, 'resources').children.map((c) => `${c.name}:${c.attrs.id}`),
    ['clone:a-clone', 'primitive:b'],
  );
  assert.match(failure(() => resourceClone(conf, 'a-clone')), /'a-clone' is a clone; only a primitive or a group can be cloned/);
});

test('constraint location prefers/avoids writes one constraint per node with the scores pcs uses', () => {
  const res = locationPrefers(withVip(), 'vip', 'prefers', [{ node: 'n1', score: '100' }, { node: 'n2' }]);
  assert.deepEqual(
    constraintList(res.config).map((c) => [c.id, c.attrs.node, c.attrs.score]),
    [
      ['location-vip-n1-100', 'n1', '100'],
      ['location-vip-n2-INFINITY', 'n2', 'INFINITY'],
    ],
  );
  const av = locationPrefers(withVip(), 'vip', 'avoids', [{ node: 'n3', score: '50' }]);
  assert.equal(constraintList(av.config)[0]!.attrs.score, '-50');
  assert.match(failure(() => locationPrefers(withVip(), 'vip', 'prefers', [{ node: 'n1', score: 'lots' }])), /^bad score 'lots': use an integer, INFINITY or -INFINITY$/);
  assert.match(failure(() => locationPrefers(withVip(), 'ghost', 'prefers', [{ node: 'n1' }])), /^constraint names a missing id: resource 'ghost' is not a resource \(resources: vip\)$/);
  assert.match(failure(() => locationPrefers(withVip(), 'vip', 'prefers', [{ node: 'n7' }])), /^unknown node 'n7'/);
});

test('constraint location rule parses defined/not_defined/comparisons and dates into a <rule>', () => {
  const res = locationRule(withVip(), 'vip', ['not_defined', 'pingd', 'or', 'pingd', 'lte', '0'], { score: '-INFINITY' });
  const c = constraintList(res.config)[0]!;
  assert.equal(c.text, 'vip rule (score -INFINITY): not_defined pingd or pingd lte 0');
  const rule = findById(res.config, c.id)!.el.children[0]!;
  assert.deepEqual(rule.children[1]!.attrs.type, 'integer');
  assert.match(failure(() => locationRule(withVip(), 'vip', ['pingd', 'like', '3'])), /^rule: unknown operation 'like' after 'pingd'/);
  assert.match(failure(() => locationRule(withVip(), 'vip', ['a', 'eq', '1', 'and', 'b', 'eq', '2', 'or', 'c', 'eq', '3'])), /mixing 'and' and 'or'/);
});

test('constraint colocation/order add write Pacemaker attributes; roles, kinds and bad input', () => {
  let conf = resourceCreate(withVip(), { id: 'db', agent: { class: 'ocf', provider: 'pacemaker', type: 'Stateful' }, promotable: { meta: {} } }).config;
  conf = colocationAdd(conf, { rsc: 'vip', withRsc: 'db-clone', withRole: 'promoted', score: '500' }).config;
  conf = orderAdd(conf, { first: 'db-clone', firstAction: 'promote', then: 'vip', thenAction: 'start', kind: 'optional', symmetrical: false }).config;
  const [col, ord] = constraintList(conf);
  assert.deepEqual(col!.attrs, { id: 'colocation-vip-db-clone-500', score: '500', rsc: 'vip', 'with-rsc': 'db-clone', 'with-rsc-role': 'Promoted' });
  assert.deepEqual(ord!.attrs, { id: 'order-db-clone-vip-optional', first: 'db-clone', 'first-action': 'promote', then: 'vip', 'then-action': 'start', kind: 'Optional', symmetrical: 'false' });
  assert.match(failure(() => colocationAdd(conf, { rsc: 'vip', withRsc: 'nothing' })), /^constraint names a missing id: with-resource 'nothing' is not a resource/);
  assert.match(failure(() => orderAdd(conf, { first: 'vip', then: 'db-clone', thenAction: 'boot' })), /^bad action 'boot': use start, stop, promote or demote$/);
  assert.match(failure(() => orderAdd(conf, { first: 'vip', then: 'db-clone', kind: 'Sometimes' })), /^bad kind 'Sometimes'/);
  assert.match(failure(() => colocationAdd(conf, { rsc: 'vip', withRsc: 'db-clone', id: 'vip' })), /^duplicate id 'vip'/);
  assert.match(failure(() => colocationAdd(conf, { rsc: 'vip', withRsc: 'db-clone', withRole: 'boss' })), /^bad role 'boss'/);
});

test('set constraints: sequential=false, require-all, setoptions; a missing member is refused', () => {
  let conf = base();
  for (const id of ['a', 'b', 'c']) conf = resourceCreate(conf, { id, agent: dummy }).config;
  const res = setConstraint(conf, 'colocation', ['set', 'a', 'b', 'sequential=false', 'set', 'c', 'setoptions', 'score=-500', 'id=together']);
  const c = findById(res.config, 'together')!.el;
  assert.equal(c.name, 'rsc_colocation');
  assert.equal(c.attrs.score, '-500');
  assert.deepEqual(c.children.map((s) => [s.attrs.id, s.attrs.sequential, s.children.map((r) => r.attrs.id).join(' ')]), [
    ['together-set-1', 'false', 'a b'],
    ['together-set-2', undefined, 'c'],
  ]);
  assert.match(failure(() => setConstraint(conf, 'order', ['set', 'a', 'zz'])), /^constraint names a missing id: set member 'zz'/);
  assert.match(failure(() => setConstraint(conf, 'order', ['a', 'b'])), /^expected 'set' before 'a'/);
  assert.match(failure(() => setConstraint(conf, 'order', ['set', 'a', 'fast=yes'])), /^unknown set option 'fast'/);
});

test('constraint remove by id; unknown id lists the existing ones', () => {
  const conf = locationPrefers(withVip(), 'vip', 'prefers', [{ node: 'n1' }]).config;
  assert.deepEqual(constraintList(constraintRemove(conf, ['location-vip-n1-INFINITY']).config), []);
  assert.match(failure(() => constraintRemove(conf, ['nope'])), /^unknown constraint 'nope'; constraints: location-vip-n1-INFINITY$/);
});

test('property set/unset/list: known names, checked values, --force for unknown', () => {
  let conf = base();
  conf = propertySet(conf, { 'stonith-enabled': 'no', 'no-quorum-policy': 'freeze', 'cluster-recheck-interval': '2min' }).config;
  assert.deepEqual(propertyList(conf), { 'cluster-name': 'test', 'stonith-enabled': 'false', 'no-quorum-policy': 'freeze', 'cluster-recheck-interval': '2min' });
  assert.match(failure(() => propertySet(conf, { 'no-quorum-policy': 'panic' })), /^bad value 'panic' for property no-quorum-policy: use one of stop, freeze, ignore, demote, suicide$/);
  assert.match(failure(() => propertySet(conf, { 'stonith-enabld': 'false' })), /^unknown property 'stonith-enabld'.*use --force/);
  assert.equal(propertyList(propertySet(conf, { 'my-prop': 'x' }, { force: true }).config)['my-prop'], 'x');
  conf = propertyUnset(conf, ['no-quorum-policy']).config;
  assert.equal(propertyList(conf)['no-quorum-policy'], undefined);
  assert.match(failure(() => propertyUnset(conf, ['no-quorum-policy'])), /^property 'no-quorum-policy' is not set/);
});

test('node add/remove and standby/maintenance attributes', () => {
  let conf = nodeAdd(base(), 'n4').config;
  assert.deepEqual(section(conf, 'nodes').children.map((n) => `${n.attrs.id}=${n.attrs.uname}`), ['1=n1', '2=n2', '3=n3', '4=n4']);
  assert.match(failure(() => nodeAdd(conf, 'n4')), /^node 'n4' already exists$/);
  assert.match(failure(() => nodeAdd(conf, 'n5', { id: '2' })), /^duplicate id '2'/);
  conf = nodeAttribute(conf, ['n2', 'n3'], 'standby', 'on').config;
  const cib = parseCibElement({ name: 'cib', attrs: {}, children: [conf] });
  assert.deepEqual(cib.configuration.nodes.filter((n) => n.instance.some((s) => s.nvpairs.some((p) => p.name === 'standby' && p.value === 'on'))).map((n) => n.uname), ['n2', 'n3']);
  conf = nodeAttribute(conf, ['n2'], 'standby', undefined).config;
  assert.equal(findById(conf, 'nodes-2-instance_attributes'), undefined);
  assert.match(failure(() => nodeAttribute(conf, ['n2', 'bogus'], 'standby', 'on')), /^unknown node 'bogus'; known nodes: n1, n2, n3, n4$/);
  conf = locationPrefers(resourceCreate(conf, { id: 'r', agent: dummy }).config, 'r', 'prefers', [{ node: 'n4' }]).config;
  const rm = nodeRemove(conf, 'n4');
  assert.deepEqual(rm.notes, ["removed node 'n4'", "removed location constraint 'location-r-n4-INFINITY' that named it"]);
});

test('stonith create: class stonith with pcmk_host_list; names a node that exists; fence_* agents only', () => {
  const res = stonithCreate(base(), { id: 'fence-n1', agent: 'fence_ipmilan', params: { ip: '10.0.0.1', pcmk_host_list: 'n1' } });
  const p = findById(res.config, 'fence-n1')!.el;
  assert.deepEqual(p.attrs, { id: 'fence-n1', class: 'stonith', type: 'fence_ipmilan' });
  assert.ok(findById(res.config, 'fence-n1-monitor-interval-60s'));
  assert.match(failure(() => stonithCreate(base(), { id: 'f', agent: 'fence_xvm', params: { pcmk_host_list: 'n1,n9' } })), /^unknown node 'n9' in pcmk_host_list/);
  assert.match(failure(() => stonithCreate(base(), { id: 'f', agent: 'ipmi' })), /^bad fence agent 'ipmi'/);
});

test('edits keep ids and element order of what they do not touch (export round-trips)', () => {
  const original = `<configuration>
  <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
  <nodes><node id="101" uname="alpha"/><node id="102" uname="beta"/></nodes>
  <resources>
    <primitive id="zeta" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="my-op" name="monitor" interval="10"/></operations></primitive>
    <primitive id="alpha-r" class="ocf" provider="heartbeat" type="Dummy"/>
  </resources>
  <constraints><rsc_location id="keep-me" rsc="zeta" node="alpha" score="5"/></constraints>
  <rsc_defaults><meta_attributes id="rd"><nvpair id="rd1" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults>
</configuration>`;
  const conf = parseXml(original);
  const edited = resourceCreate(conf, { id: 'new', agent: dummy }).config;
  const before = serializeXml(conf);
  const after = serializeXml(edited);
  // Everything that was there is still there, in the same order; the new primitive is appended.
  assert.equal(after.replace(/\s*<primitive id="new"[^]*?\/>\n/, '\n').replace(/\n+/g, '\n'), before.replace(/\n+/g, '\n'));
  assert.ok(after.indexOf('id="alpha-r"') < after.indexOf('id="new"'));
  // The input is never changed (edits are pure).
  assert.equal(serializeXml(conf), before);
});
