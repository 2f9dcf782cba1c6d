// `tandem why`: each kind of reason a small CIB can give — a location ban, standby, offline, a
// mandatory colocation, stickiness, fail count over migration-threshold, disabled, utilization —
// shows up as a contribution with the right score, and the verdict names where it runs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCibXml } from '../../src/cib/parse.ts';
import { CliError } from '../../src/cli/errors.ts';
import { formatWhy, why, type WhyResult } from '../../src/cli/why.ts';

const NOW = 1_700_000_000;

interface NodeSpec {
  name: string;
  online?: boolean;
  standby?: boolean;
  /** resource ids started here */
  running?: string[];
  fails?: Record<string, number>;
  utilization?: Record<string, string>;
}

function cib(opts: { nodes: NodeSpec[]; resources: string; constraints?: string; props?: Record<string, string> }): string {
  const props = { 'stonith-enabled': 'false', ...(opts.props ?? {}) };
  const nodes = opts.nodes
    .map((n, i) => {
      const inner = [
        n.standby ? `<instance_attributes id="na-${i}"><nvpair id="na-${i}-s" name="standby" value="on"/></instance_attributes>` : '',
        n.utilization ? `<utilization id="nu-${i}">${Object.entries(n.utilization).map(([k, v]) => `<nvpair id="nu-${i}-${k}" name="${k}" value="${v}"/>`).join('')}</utilization>` : '',
      ].join('');
      return `<node id="${i + 1}" uname="${n.name}">${inner}</node>`;
    })
    .join('');
  let call = 1;
  const status = opts.nodes
    .filter((n) => n.online !== false)
    .map((n) => {
      const i = opts.nodes.indexOf(n) + 1;
      const lrm = (n.running ?? [])
        .map(
          (r) =>
            `<lrm_resource id="${r}" class="ocf" provider="heartbeat" type="Dummy"><lrm_rsc_op id="${r}_last_0" operation_key="${r}_start_0" operation="start" call-id="${call++}" rc-code="0" op-status="0" interval="0" last-rc-change="${NOW - 100}" exec-time="10" queue-time="0" op-digest="x" transition-key="1:1:0:abc" transition-magic="0:0;1:1:0:abc" crm-debug-origin="test" crm_feature_set="3.16.2"/></lrm_resource>`,
        )
        .join('');
      const fails = Object.entries(n.fails ?? {})
        .map(([r, c], k) => `<nvpair id="st-${i}-${k}" name="fail-count-${r}#monitor_10000" value="${c}"/><nvpair id="st-${i}-${k}-l" name="last-failure-${r}#monitor_10000" value="${NOW - 50}"/>`)
        .join('');
      return `<node_state id="${i}" uname="${n.name}" in_ccm="true" crmd="online" join="member" expected="member">${fails ? `<transient_attributes id="${i}"><instance_attributes id="st-${i}">${fails}</instance_attributes></transient_attributes>` : ''}<lrm id="${i}"><lrm_resources>${lrm}</lrm_resources></lrm></node_state>`;
    })
    .join('');
  return `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1" dc-uuid="1">
<configuration>
<crm_config><cluster_property_set id="opts">${Object.entries(props).map(([k, v]) => `<nvpair id="opt-${k}" name="${k}" value="${v}"/>`).join('')}</cluster_property_set></crm_config>
<nodes>${nodes}</nodes>
<resources>${opts.resources}</resources>
<constraints>${opts.constraints ?? ''}</constraints>
</configuration>
<status>${status}</status>
</cib>`;
}

const dummy = (id: string, meta = '', extra = '') =>
  `<primitive id="${id}" class="ocf" provider="heartbeat" type="Dummy">${meta ? `<meta_attributes id="${id}-meta">${meta}</meta_attributes>` : ''}${extra}<operations><op id="${id}-mon" name="monitor" interval="10s"/></operations></primitive>`;

function explain(xml: string, id: string): WhyResult {
  return why(parseCibXml(xml), NOW, id);
}

function node(w: WhyResult, name: string) {
  const n = w.nodes.find((x) => x.node === name);
  assert.ok(n, `node ${name} in the explanation`);
  return n;
}

const three = (over: Partial<Record<'n1' | 'n2' | 'n3', Partial<NodeSpec>>> = {}): NodeSpec[] => (['n1', 'n2', 'n3'] as const).map((name) => ({ name, ...(over[name] ?? {}) }));

test('why: a cli-ban location constraint and a standby node each exclude a node; the preferred node wins', () => {
  const xml = cib({
    nodes: three({ n3: { standby: true } }),
    resources: dummy('vip'),
    constraints: '<rsc_location id="cli-ban-vip-on-n1" rsc="vip" node="n1" score="-INFINITY"/><rsc_location id="pref" rsc="vip" node="n2" score="50"/>',
  });
  const w = explain(xml, 'vip');
  assert.deepEqual(w.placedOn, ['n2']);
  assert.match(w.verdict, /^vip runs on n2 \(not running yet: it will start\)$/);
  const n1 = node(w, 'n1');
  assert.equal(n1.score, '-INFINITY');
  assert.equal(n1.canRun, false);
  assert.deepEqual(n1.contributions.map((c) => [c.kind, c.score, c.id]), [['location', -1_000_000, 'cli-ban-vip-on-n1']]);
  assert.match(n1.contributions[0]!.text, /tandem resource clear vip/);
  const n2 = node(w, 'n2');
  assert.equal(n2.score, '50');
  assert.ok(n2.chosen);
  assert.deepEqual(n2.contributions.map((c) => [c.kind, c.score, c.id]), [['location', 50, 'pref']]);
  assert.match(node(w, 'n3').contributions[0]!.text, /n3 is in standby \(tandem node unstandby n3\)/);
  assert.equal(w.nodes[0]!.node, 'n2', 'the chosen node is listed first');
});

test('why: nowhere to run — ban, standby and offline named in the verdict', () => {
  const xml = cib({
    nodes: three({ n2: { standby: true }, n3: { online: false } }),
    resources: dummy('vip'),
    constraints: '<rsc_location id="no-n1" rsc="vip" node="n1" score="-INFINITY"/>',
  });
  const w = explain(xml, 'vip');
  assert.deepEqual(w.placedOn, []);
  assert.equal(
    w.verdict,
    "vip cannot run anywhere — n1: location constraint 'no-n1' bans it from n1; n2: n2 is in standby (tandem node unstandby n2); n3: n3 is offline",
  );
});

test('why: a mandatory colocation pins the dependent to the primary and says where the primary is', () => {
  const xml = cib({
    nodes: three(),
    resources: dummy('vip') + dummy('web'),
    constraints: '<rsc_location id="vip-n3" rsc="vip" node="n3" score="100"/><rsc_colocation id="web-with-vip" rsc="web" with-rsc="vip" score="INFINITY"/>',
  });
  const w = explain(xml, 'web');
  assert.deepEqual(w.placedOn, ['n3']);
  for (const n of ['n1', 'n2']) {
    const c = node(w, n).contributions.find((x) => x.kind === 'colocation')!;
    assert.equal(c.score, -1_000_000);
    assert.match(c.text, /colocation 'web-with-vip': web with vip \(INFINITY\): must be on the same node, and vip is placed on n3/);
  }
  assert.match(node(w, 'n3').contributions[0]!.text, /satisfied, vip is here/);
  // The primary's own explanation says its dependent pulls on it.
  assert.match(explain(xml, 'vip').general.join('\n'), /^$|web is colocated with vip/);
});

test('why: stickiness keeps a running resource where it is, against a weaker preference', () => {
  const xml = cib({
    nodes: three({ n2: { running: ['vip'] } }),
    resources: dummy('vip', '<nvpair id="vip-st" name="resource-stickiness" value="100"/>'),
    constraints: '<rsc_location id="pref-n1" rsc="vip" node="n1" score="50"/>',
  });
  const w = explain(xml, 'vip');
  assert.deepEqual(w.runningOn, ['n2']);
  assert.deepEqual(w.placedOn, ['n2']);
  assert.equal(w.verdict, 'vip runs on n2');
  const n2 = node(w, 'n2');
  assert.ok(n2.runningNow);
  assert.deepEqual(n2.contributions.map((c) => [c.kind, c.score]), [['stickiness', 100]]);
  assert.equal(n2.score, '100');
  assert.equal(node(w, 'n1').score, '50');
});

test('why: a fail count at migration-threshold bans the node and says how to clear it', () => {
  const xml = cib({
    nodes: three({ n1: { running: ['vip'], fails: { vip: 3 } } }),
    resources: dummy('vip', '<nvpair id="vip-mt" name="migration-threshold" value="3"/>'),
    constraints: '<rsc_location id="pref-n1" rsc="vip" node="n1" score="100"/>',
  });
  const w = explain(xml, 'vip');
  assert.equal(w.placedOn.includes('n1'), false);
  assert.match(w.verdict, /now on n1: it will move/);
  const fc = node(w, 'n1').contributions.find((c) => c.kind === 'failcount')!;
  assert.equal(fc.score, -1_000_000);
  assert.equal(fc.text, 'it failed 3 time(s) on n1, migration-threshold is 3 (tandem resource cleanup vip clears it)');
});

test('why: a disabled resource says target-role=Stopped and how to enable it', () => {
  const xml = cib({ nodes: three(), resources: dummy('vip', '<nvpair id="vip-tr" name="target-role" value="Stopped"/>') });
  const w = explain(xml, 'vip');
  assert.deepEqual(w.placedOn, []);
  assert.equal(w.verdict, 'vip is stopped because it is disabled: vip has target-role=Stopped (tandem resource enable vip)');
});

test('why: utilization — a node without enough capacity is excluded with the numbers', () => {
  const xml = cib({
    nodes: three({ n1: { utilization: { cpu: '1' } }, n2: { utilization: { cpu: '4' } }, n3: { utilization: { cpu: '1' } } }),
    resources: dummy('big', '', '<utilization id="big-u"><nvpair id="big-u-cpu" name="cpu" value="2"/></utilization>'),
    props: { 'placement-strategy': 'utilization' },
  });
  const w = explain(xml, 'big');
  assert.deepEqual(w.placedOn, ['n2']);
  const u = node(w, 'n1').contributions.find((c) => c.kind === 'utilization')!;
  assert.equal(u.score, -1_000_000);
  assert.equal(u.text, 'not enough cpu on n1: needs 2, 1 of 1 free (placement-strategy=utilization)');
});

test('why: groups and clones are explained through their members; an unknown id is one line', () => {
  const xml = cib({
    nodes: three({ n1: { standby: true } }),
    resources: `<group id="g">${dummy('a')}${dummy('b')}</group><clone id="c-clone">${dummy('c')}</clone>`,
    constraints: '<rsc_location id="g-n2" rsc="g" node="n2" score="10"/>',
  });
  const g = explain(xml, 'g');
  assert.deepEqual(g.placedOn, ['n2']);
  assert.match(node(g, 'n2').contributions.map((c) => c.text).join('\n'), /location constraint 'g-n2' prefers n2/);
  const c = explain(xml, 'c-clone');
  assert.match(c.verdict, /^c-clone runs on 2 instance\(s\) on n2, n3/);
  assert.equal(explain(xml, 'c').resource, 'c-clone', 'the primitive inside a clone explains the clone');
  assert.throws(() => explain(xml, 'ghost'), (e: unknown) => e instanceof CliError && /^unknown resource 'ghost'; known resources: g, c-clone$/.test(e.message));
  const text = formatWhy(g).join('\n');
  assert.match(text, /^g runs on n2/);
  assert.match(text, /n1: -INFINITY {2}\(cannot run here\)\n\s+n1 is in standby/);
});
