import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { routes, API_PREFIX } from '../../src/api/contract.ts';
import type { ClusterEvent } from '../../src/api/contract.ts';
import { encodeRecord, keys } from '../../src/cib/store-layout.ts';
import { CLUSTER, rejects, startHarness, type Harness } from './helpers.ts';

describe('api events, metrics, openapi, actions, simulate', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('/events delivers a config event after a change, and an operation failure from history', async () => {
    const got: ClusterEvent[] = [];
    const ro = await h.readOnly();
    const stream = ro.events((e) => got.push(e));
    await stream.ready;
    try {
      const s = await h.admin.disable('web');
      // A failed monitor as the node agent records it.
      const entry = { id: 'db_monitor_10000', rsc: 'db', agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, operation: 'monitor', operationKey: 'db_monitor_10000', callId: 5, rcCode: 7, opStatus: 0, intervalMs: 10000, execTime: 12 };
      await h.store.txn({
        compares: [],
        success: [
          { type: 'put', key: keys.history(CLUSTER, 'n1', 'db', 'db_monitor_10000'), value: encodeRecord(entry) },
          { type: 'put', key: keys.history(CLUSTER, 'n1', 'db', 'db_last_failure_0'), value: encodeRecord({ ...entry, id: 'db_last_failure_0' }) },
        ],
      });
      const deadline = Date.now() + 5000;
      while (Date.now() < deadline && !(got.some((e) => e.type === 'config') && got.some((e) => e.type === 'failure'))) await new Promise((r) => setTimeout(r, 20));
      const cfg = got.find((e) => e.type === 'config');
      assert.ok(cfg, `no config event in ${JSON.stringify(got)}`);
      assert.equal(cfg.revision, s.revision);
      assert.match(cfg.message, /root/);
      const failure = got.find((e) => e.type === 'failure');
      assert.ok(failure);
      assert.equal(failure.resource, 'db');
      assert.equal(failure.node, 'n1');
      assert.match(failure.message, /monitor .* of db on n1 failed: not running/);
    } finally {
      stream.close();
    }
    await rejects(new Promise((resolve, reject) => h.anon.events(resolve, reject)), 401);
  });

  it('/metrics is Prometheus text with node, resource, fail-count and fencing series', async () => {
    await h.store.put(keys.attr(CLUSTER, 'n1', 'fail-count-db#monitor_10000'), encodeRecord({ value: '2' }));
    await h.store.put(keys.fencing(CLUSTER, 'n2', 'f1'), encodeRecord({ id: 'f1', target: 'n2', action: 'reboot', result: 'ok', completedAt: Date.now() }));
    const text = await h.admin.metrics();
    const samples = new Map<string, number>();
    const types = new Map<string, string>();
    for (const line of text.split('\n')) {
      if (line === '') continue;
      const t = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
      if (t) {
        types.set(t[1]!, t[2]!);
        continue;
      }
      if (line.startsWith('# HELP ')) continue;
      const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\]|\\.)*",?)*\})? (-?[0-9.e+-]+|NaN|\+Inf|-Inf)$/.exec(line);
      assert.ok(m, `not Prometheus exposition format: ${JSON.stringify(line)}`);
      samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
    }
    assert.equal(types.get('tandem_node_online'), 'gauge');
    assert.equal(types.get('tandem_transitions_total'), 'counter');
    assert.equal(types.get('tandem_operation_duration_seconds'), 'histogram');
    assert.equal(samples.get('tandem_nodes_configured{cluster="apitest"}'), 2);
    assert.equal(samples.get('tandem_fail_count{resource="db",node="n1",operation="monitor",interval_ms="10000",cluster="apitest"}'), 2);
    assert.equal(samples.get('tandem_fencing_operations{target="n2",result="ok",cluster="apitest"}'), 1);
    assert.ok([...samples.keys()].some((k) => k.startsWith('tandem_resource_failed{resource="db"')));
  });

  it('openapi.json lists every route of the contract with its method', async () => {
    const doc = (await h.anon.openapi()) as { paths: Record<string, Record<string, { operationId: string }>> };
    for (const [name, def] of Object.entries(routes)) {
      const path = API_PREFIX + def.path.replace(/:([A-Za-z]+)/g, '{$1}');
      const op = doc.paths[path]?.[def.method.toLowerCase()];
      assert.ok(op, `${def.method} ${path} missing from openapi.json`);
      assert.equal(op.operationId, name);
    }
    assert.equal(Object.keys(doc.paths).length, new Set(Object.values(routes).map((d) => d.path)).size);
  });

  it('node and resource actions change the configuration the DC reads; unknown names are 404', async () => {
    const s = await h.admin.standby('n1');
    assert.ok(s.revision > 0);
    assert.match((await h.admin.getConfig()).xml, /name="standby" value="on"/);
    const again = await h.admin.standby('n1');
    assert.equal(again.revision, 0);
    assert.match(again.message, /already/);
    await h.admin.unstandby('n1');
    assert.doesNotMatch((await h.admin.getConfig()).xml, /name="standby"/);
    await h.admin.disable('db');
    assert.match((await h.admin.getConfig()).xml, /name="target-role" value="Stopped"/);
    await h.admin.enable('db');
    assert.doesNotMatch((await h.admin.getConfig()).xml, /name="target-role" value="Stopped"[^\n]*\n[^\n]*db/);
    const e = await rejects(h.admin.standby('n9'), 404);
    assert.match(e.message, /n9.*n1, n2/);
    const e2 = await rejects(h.admin.disable('nope'), 404);
    assert.match(e2.message, /nope/);
  });

  it('cleanup removes fail counts and failed history of the resource only', async () => {
    await h.store.put(keys.attr(CLUSTER, 'n2', 'fail-count-db#start_0'), encodeRecord({ value: '1' }));
    await h.store.put(keys.attr(CLUSTER, 'n2', 'fail-count-web#start_0'), encodeRecord({ value: '1' }));
    const r = await h.admin.cleanup('db');
    assert.ok(r.revision > 0);
    assert.equal((await h.store.get(keys.attr(CLUSTER, 'n2', 'fail-count-db#start_0'))).kv, undefined);
    assert.equal((await h.store.get(keys.attr(CLUSTER, 'n1', 'fail-count-db#monitor_10000'))).kv, undefined);
    assert.equal((await h.store.list(keys.resourceHistoryPrefix(CLUSTER, 'n1', 'db'))).kvs.length, 0);
    assert.ok((await h.store.get(keys.attr(CLUSTER, 'n2', 'fail-count-web#start_0'))).kv, 'other resources untouched');
    assert.equal((await h.admin.cleanup('db')).revision, 0);
  });

  it('a fencing request is recorded for the DC and shown as pending', async () => {
    await h.admin.fence('n2');
    const hist = await h.admin.fencingHistory();
    assert.deepEqual(hist.pendingRequests.map((p) => p.node), ['n2']);
    assert.equal((await h.admin.getStatus()).fencing.pendingRequests[0]?.node, 'n2');
  });

  it('simulate shows what a node loss or a failure would do without changing anything', async () => {
    const before = await h.admin.getConfig();
    const sim = await h.admin.simulate({ xml: simCib(), changes: { fail: [{ rsc: 'db', node: 'n1', op: 'monitor' }] } });
    assert.ok(sim.currentStatus.some((l) => /db/.test(l)));
    assert.ok(sim.transitionSummary.some((l) => /Recover\s+db/.test(l)), sim.text);
    const down = await h.admin.simulate({ xml: simCib(), changes: { nodeDown: ['n1'] } });
    assert.ok(down.transitionSummary.some((l) => /db/.test(l) && /(Move|Start|Recover)/.test(l)), down.text);
    const e = await rejects(h.admin.simulate({ xml: simCib(), changes: { nodeDown: ['n7'] } }), 400);
    assert.match(e.message, /n7/);
    await h.admin.simulate({ changes: { fail: [{ rsc: 'db', node: 'n1', op: 'start' }] } });
    assert.equal((await h.admin.getConfig()).revision, before.revision, 'simulate stores nothing');
  });
});

/** db running on n1, both nodes online. */
function simCib(): string {
  const ok = (id: string, op: string, interval: number, call: number) =>
    `<lrm_rsc_op id="${id}" operation_key="db_${op}_${interval}" operation="${op}" crm-debug-origin="x" crm_feature_set="3.16.2" transition-key="1:1:0:x" transition-magic="0:0;1:1:0:x" exit-reason="" on_node="n1" call-id="${call}" rc-code="0" op-status="0" interval="${interval}" last-rc-change="1700000000" exec-time="10" queue-time="0"/>`;
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="3" num_updates="0" admin_epoch="0" have-quorum="1" execution-date="1700000100">
  <configuration>
    <crm_config><cluster_property_set id="opts"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="n1"/><node id="2" uname="n2"/></nodes>
    <resources><primitive id="db" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="db-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive></resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="1"><lrm_resources><lrm_resource id="db" class="ocf" provider="heartbeat" type="Dummy">${ok('db_last_0', 'start', 0, 2)}${ok('db_monitor_10000', 'monitor', 10000, 3)}</lrm_resource></lrm_resources></lrm></node_state>
    <node_state id="2" uname="n2" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="2"><lrm_resources/></lrm></node_state>
  </status>
</cib>`;
}
