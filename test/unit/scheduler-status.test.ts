// The "Current cluster status" the scheduler prints for small, hand-written CIBs. Every expected
// text here was produced by Pacemaker 2.1.5's crm_simulate on the same XML.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCibXml } from '../../src/cib/parse.ts';
import { unpackCib } from '../../src/scheduler/unpack/index.ts';
import { formatStatus } from '../../src/scheduler/display.ts';

// ---- builders for the status section ----

interface OpSpec {
  rsc: string;
  task: string;
  intervalMs?: number;
  rc: number;
  call: number;
  /** Execution status (0 done, -1 in flight). */
  status?: number;
  extra?: string;
}

/** One lrm_rsc_op; the expected rc is what the controller asks for (7 for a probe). */
function op({ rsc, task, intervalMs = 0, rc, call, status = 0, extra = '' }: OpSpec): string {
  const target = task === 'monitor' && intervalMs === 0 ? 7 : 0;
  const key = `${call}:1:${target}:uuid`;
  return (
    `<lrm_rsc_op id="${rsc}_${task}_${intervalMs}_${call}" operation_key="${rsc}_${task}_${intervalMs}" operation="${task}" ` +
    `transition-key="${key}" transition-magic="${status}:${rc};${key}" call-id="${call}" rc-code="${rc}" op-status="${status}" interval="${intervalMs}"${extra}/>`
  );
}

const DUMMY_AGENT = 'class="ocf" provider="pacemaker" type="Dummy"';

function lrm(rsc: string, ops: string[], agent = DUMMY_AGENT): string {
  return `<lrm_resource id="${rsc}" ${agent}>${ops.join('')}</lrm_resource>`;
}

const MEMBER = 'in_ccm="true" crmd="online" join="member" expected="member"';

function nodeState(node: string, lrms = '', attrs = MEMBER): string {
  return `<node_state id="${node}" uname="${node}" ${attrs}><lrm id="${node}"><lrm_resources>${lrms}</lrm_resources></lrm></node_state>`;
}

function dummy(id: string, inner = ''): string {
  return `<primitive id="${id}" ${DUMMY_AGENT}>${inner}</primitive>`;
}

function cib(resources: string, states: string[], opts: { nodes?: string[]; stonith?: boolean } = {}): string {
  const nodes = (opts.nodes ?? ['node1', 'node2']).map((n) => `<node id="${n}" uname="${n}"/>`).join('');
  return (
    `<cib validate-with="pacemaker-3.0" crm_feature_set="3.0.14" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1">` +
    `<configuration><crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="${opts.stonith ?? false}"/></cluster_property_set></crm_config>` +
    `<nodes>${nodes}</nodes><resources>${resources}</resources><constraints/></configuration>` +
    `<status>${states.join('')}</status></cib>`
  );
}

/** The status lines, whitespace-normalised, in order. */
function status(xml: string): string[] {
  const ws = unpackCib(parseCibXml(xml), 1_700_000_000);
  return formatStatus(ws)
    .map((l) => l.replace(/\s+/g, ' ').trim())
    .filter(Boolean);
}

function expectStatus(xml: string, expected: string[]): void {
  assert.deepEqual([...status(xml)].sort(), [...expected].sort());
}

// ---- scenarios ----

test('a failed recurring monitor shows the resource FAILED on its node', () => {
  const xml = cib(dummy('rsc1'), [
    nodeState('node1', lrm('rsc1', [op({ rsc: 'rsc1', task: 'start', rc: 0, call: 2 }), op({ rsc: 'rsc1', task: 'monitor', intervalMs: 10000, rc: 1, call: 3 })])),
    nodeState('node2'),
  ]);
  expectStatus(xml, ['* Node List:', '* Online: [ node1 node2 ]', '* Full List of Resources:', '* rsc1 (ocf:pacemaker:Dummy): FAILED node1']);
});

test('a probe that finds the agent missing shows the resource Stopped (not installed), not failed', () => {
  const xml = cib(dummy('rsc1'), [
    nodeState('node1', lrm('rsc1', [op({ rsc: 'rsc1', task: 'monitor', rc: 5, call: 1, extra: ' on_node="node1"' })])),
    nodeState('node2', lrm('rsc1', [op({ rsc: 'rsc1', task: 'monitor', rc: 7, call: 1 })])),
  ]);
  expectStatus(xml, ['* Node List:', '* Online: [ node1 node2 ]', '* Full List of Resources:', '* rsc1 (ocf:pacemaker:Dummy): Stopped (not installed)']);
});

test('a failure of an operation with on-fail=ignore leaves the resource started, marked "failure ignored"', () => {
  const ops = '<operations><op id="rsc1-mon" name="monitor" interval="10s" on-fail="ignore"/></operations>';
  const xml = cib(dummy('rsc1', ops), [
    nodeState('node1', lrm('rsc1', [op({ rsc: 'rsc1', task: 'start', rc: 0, call: 2 }), op({ rsc: 'rsc1', task: 'monitor', intervalMs: 10000, rc: 1, call: 3 })])),
    nodeState('node2'),
  ]);
  expectStatus(xml, ['* Node List:', '* Online: [ node1 node2 ]', '* Full List of Resources:', '* rsc1 (ocf:pacemaker:Dummy): Started node1 (failure ignored)']);
});

test('an anonymous clone lists where it is stopped only while some instance is unused', () => {
  const started = (n: string) => nodeState(n, lrm('d', [op({ rsc: 'd', task: 'start', rc: 0, call: 2 })]));
  const nodes = ['node1', 'node2', 'node3'];
  const twoOfTwo = cib(`<clone id="c"><meta_attributes id="cm"><nvpair id="cm1" name="clone-max" value="2"/></meta_attributes>${dummy('d')}</clone>`, [started('node1'), started('node2'), nodeState('node3')], { nodes });
  expectStatus(twoOfTwo, ['* Node List:', '* Online: [ node1 node2 node3 ]', '* Full List of Resources:', '* Clone Set: c [d]:', '* Started: [ node1 node2 ]']);
  const oneOfThree = cib(`<clone id="c">${dummy('d')}</clone>`, [started('node1'), nodeState('node2'), nodeState('node3')], { nodes });
  expectStatus(oneOfThree, ['* Node List:', '* Online: [ node1 node2 node3 ]', '* Full List of Resources:', '* Clone Set: c [d]:', '* Started: [ node1 ]', '* Stopped: [ node2 node3 ]']);
});

test('a member whose controller vanished while expected up is UNCLEAN (online) and keeps its resources', () => {
  const xml = cib(
    dummy('rsc1'),
    [nodeState('node1', lrm('rsc1', [op({ rsc: 'rsc1', task: 'start', rc: 0, call: 2 })]), 'in_ccm="true" crmd="offline" join="member" expected="member"'), nodeState('node2')],
    { stonith: true },
  );
  expectStatus(xml, ['* Node List:', '* Node node1: UNCLEAN (online)', '* Online: [ node2 ]', '* Full List of Resources:', '* rsc1 (ocf:pacemaker:Dummy): Started node1']);
});

test('a stop that fails for good where nothing can fence the node blocks the resource', () => {
  const xml = cib(dummy('rsc1'), [nodeState('node1', lrm('rsc1', [op({ rsc: 'rsc1', task: 'start', rc: 0, call: 2 }), op({ rsc: 'rsc1', task: 'stop', rc: 5, call: 3 })])), nodeState('node2')], {
    stonith: true,
  });
  expectStatus(xml, ['* Node List:', '* Node node1: UNCLEAN (online)', '* Online: [ node2 ]', '* Full List of Resources:', '* rsc1 (ocf:pacemaker:Dummy): FAILED node1 (blocked)']);
});

test('a migration still waiting for migrate_from shows the resource on both nodes, target first', () => {
  const vm = dummy('vm', '<meta_attributes id="vm-m"><nvpair id="vm-m1" name="allow-migrate" value="true"/></meta_attributes>');
  const mig = ' migrate_source="node1" migrate_target="node2"';
  const source = nodeState('node1', lrm('vm', [op({ rsc: 'vm', task: 'start', rc: 0, call: 2 }), op({ rsc: 'vm', task: 'migrate_to', rc: 0, call: 3, extra: mig })]));
  const pending = cib(vm, [source, nodeState('node2', lrm('vm', [op({ rsc: 'vm', task: 'monitor', rc: 7, call: 1 }), op({ rsc: 'vm', task: 'migrate_from', rc: 193, call: -1, status: -1, extra: mig })]))]);
  expectStatus(pending, ['* Node List:', '* Online: [ node1 node2 ]', '* Full List of Resources:', '* vm (ocf:pacemaker:Dummy): Migrating [ node2 node1 ]']);
  // With nothing known on the target yet, only the source counts.
  const unknownTarget = cib(vm, [source, nodeState('node2')]);
  expectStatus(unknownTarget, ['* Node List:', '* Online: [ node1 node2 ]', '* Full List of Resources:', '* vm (ocf:pacemaker:Dummy): Started node1']);
});

test('a bundle shows one line per replica with its address and inner resource, on its guest node', () => {
  const web = `<bundle id="web"><docker image="img:web" replicas="2"/><network ip-range-start="10.0.0.10" control-port="3121"/>${dummy('httpd')}</bundle>`;
  const started = (rsc: string, agent: string, call: number) => lrm(rsc, [op({ rsc, task: 'start', rc: 0, call })], agent);
  const host = nodeState(
    'node1',
    started('web-docker-0', 'class="ocf" provider="heartbeat" type="docker"', 2) +
      started('web-ip-10.0.0.10', 'class="ocf" provider="heartbeat" type="IPaddr2"', 3) +
      started('web-0', 'class="ocf" provider="pacemaker" type="remote"', 4),
  );
  const guest = nodeState('web-0', started('httpd', DUMMY_AGENT, 5), 'remote_node="true" in_ccm="true"');
  expectStatus(cib(web, [host, nodeState('node2'), guest]), [
    '* Node List:',
    '* Online: [ node1 node2 ]',
    '* GuestOnline: [ web-0 ]',
    '* Full List of Resources:',
    '* Container bundle set: web [img:web]:',
    '* web-0 (10.0.0.10) (ocf:pacemaker:Dummy): Started node1',
    '* web-1 (10.0.0.11) (ocf:pacemaker:Dummy): Stopped',
  ]);
});
