import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgents, waitFor, nowMs } from '../support/cluster.ts';
import { converge, sendAction } from '../support/mini-dc.ts';
import { CibStore, parseConfigurationText } from '../../src/cib/cib-store.ts';
import { serializeXml } from '../../src/cib/xml.ts';
import { decodeRecord, keys, type ActionResult, type HistoryEntry } from '../../src/cib/store-layout.ts';
import { schedule } from '../../src/scheduler/index.ts';
import { buildTransition, type TransitionAction } from '../../src/scheduler/transition.ts';
import type { NodeAgent } from '../../src/node/node-agent.ts';

const DUMMY = '/usr/lib/ocf/resource.d/heartbeat/Dummy';

function config(resources: string, extra = ''): string {
  return `<configuration>
  <crm_config><cluster_property_set id="cib-bootstrap-options">
    <nvpair id="o1" name="stonith-enabled" value="false"/>${extra}
  </cluster_property_set></crm_config>
  <nodes/>
  <resources>${resources}</resources>
  <constraints/>
</configuration>`;
}

async function cluster(names: string[], xml: string) {
  const c = await startAgents(names);
  const cib = new CibStore(c.backend, 'test');
  // Keep the <nodes> the agents registered; take everything else from `xml`.
  const loaded = await cib.loadConfiguration();
  const nodes = loaded!.element.children.find((e) => e.name === 'nodes')!;

  const fresh = parseConfigurationText(xml).configuration;
  fresh.children = fresh.children.map((e) => (e.name === 'nodes' ? nodes : e));

  await cib.replaceConfiguration(serializeXml(fresh), loaded!.revision);
  const agents = c.nodes.map((n) => n.it);
  await waitFor('a quorate DC', () => agents.every((a) => a.membership.quorate) && agents.some((a) => a.membership.leadership?.active) && agents.every((a) => a.membership.leader), 5000);
  const dc = agents.find((a) => a.membership.leadership?.active)!;
  return { ...c, cib, agents, dc };
}

test('real ocf:heartbeat:Dummy: start, monitor, stop through the node agents; readCib + schedule() then sees it Started and plans nothing', { skip: !existsSync(DUMMY) && 'resource-agents not installed' }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-na-'));
  const c = await cluster(['n1', 'n2', 'n3'], config(`<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">
      <instance_attributes id="d-ia"><nvpair id="d-state" name="state" value="${dir}/d.state"/></instance_attributes>
      <operations><op id="d-mon" name="monitor" interval="1s" timeout="10s"/></operations>
    </primitive>`));
  try {
    const t0 = nowMs();
    const run = await converge(c.backend, 'test', c.dc.membership);
    console.log(`# converged in ${Math.round(nowMs() - t0)} ms: ${run.executed.map((a) => `${a.task}/${a.intervalMs}@${a.node}`).join(', ')}`);
    assert.ok(run.executed.some((a) => a.task === 'start'), 'a start was executed');
    assert.ok(run.executed.some((a) => a.task === 'monitor' && a.intervalMs === 1000), 'the recurring monitor was asked for');
    assert.ok(run.results.every((r) => r.rc === r.expectedRc), JSON.stringify(run.results));
    const startedOn = run.executed.find((a) => a.task === 'start')!.node!;
    assert.ok(existsSync(`${dir}/d.state`), 'Dummy wrote its state file');
    const owner = c.agents.find((a) => a.node === startedOn)!;
    assert.deepEqual(owner.activeResources().map((r) => [r.id, r.role]), [['d', 'Started']]);
    // Nothing pending: requests consumed.
    assert.equal((await c.backend.list(keys.actionsPrefix('test'))).kvs.length, 0);
    const state = await c.cib.readCib(c.dc.membership, Date.now());
    const result = schedule(state, Math.floor(Date.now() / 1000));
    const rsc = result.ws.resources.find((r) => r.id === 'd')!;
    assert.deepEqual(rsc.runningOn.map((n) => n.name), [startedOn]);
    assert.deepEqual(buildTransition(result).actions.filter((a) => a.type === 'resource'), []);
    // Stop it: target-role=Stopped.
    await c.cib.updateConfiguration((cfg) => {
      const p = cfg.children.find((e) => e.name === 'resources')!.children[0]!;
      p.children.unshift({ name: 'meta_attributes', attrs: { id: 'd-meta' }, children: [{ name: 'nvpair', attrs: { id: 'd-tr', name: 'target-role', value: 'Stopped' }, children: [] }] });
    });
    const stop = await converge(c.backend, 'test', c.dc.membership);
    assert.deepEqual(stop.executed.map((a) => a.task), ['stop']);
    assert.ok(!existsSync(`${dir}/d.state`), 'Dummy removed its state file');
    const hist = await c.cib.listHistory(startedOn);
    assert.ok(hist.some((e) => e.id === 'd_last_0' && e.operation === 'stop' && e.rcCode === 0));
    assert.ok(!hist.some((e) => e.id === 'd_monitor_1000'), 'a successful stop removes the recurring monitor entry');
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

function processAction(node: string, task: string, intervalMs: number, params: Record<string, string>, id = 1): TransitionAction {
  return { id, type: 'resource', task, key: `p_${task}_${intervalMs}`, rsc: 'p', historyId: 'p', agent: { class: 'process', type: 'p' }, node, intervalMs, timeoutMs: 5000, params, meta: {}, expectedRc: 0, inputs: [] };
}

test('a process resource killed with SIGKILL: the failure is in the store history within 100 ms', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-na-'));
  const c = await cluster(['n1', 'n2', 'n3'], config(''));
  try {
    const node = c.agents.find((a) => a !== c.dc)!.node;
    const params = { command: `echo $$ > ${dir}/pid; exec sleep 60` };
    const start = await sendAction(c.backend, 'test', c.dc.membership, processAction(node, 'start', 0, params));
    assert.equal(start.rc, 0);
    const mon = await sendAction(c.backend, 'test', c.dc.membership, processAction(node, 'monitor', 10_000, params, 2));
    assert.equal(mon.rc, 0);
    await waitFor('pid file', () => existsSync(`${dir}/pid`) && readFileSync(`${dir}/pid`, 'utf8').trim() !== '');
    const pid = Number(readFileSync(`${dir}/pid`, 'utf8').trim());
    const key = keys.history('test', node, 'p', 'p_monitor_10000');
    let seen: HistoryEntry | undefined;
    const t0 = nowMs();
    process.kill(pid, 'SIGKILL');
    const took = await waitFor('monitor failure recorded', async () => {
      const { kv } = await c.backend.get(key);
      seen = kv ? decodeRecord<HistoryEntry>(kv.key, kv.value) : undefined;
      return seen?.rcCode === 7;
    }, 2000);
    console.log(`# SIGKILL -> failure in the store after ${Math.round(took)} ms (${Math.round(nowMs() - t0)} ms)`);
    assert.ok(took < 100, `took ${took} ms`);
    assert.match(seen!.exitReason ?? '', /SIGKILL/);
    assert.ok((await c.backend.get(keys.history('test', node, 'p', 'p_last_failure_0'))).kv, 'last_failure written');
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a deposed DC's request is refused and recorded as refused, and nothing runs", async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-na-'));
  const c = await cluster(['n1', 'n2', 'n3'], config(''));
  try {
    const node = c.agents.find((a) => a !== c.dc)!.node;
    const token = c.dc.membership.leadership!.token;
    const params = { command: `touch ${dir}/ran; exec sleep 60` };
    const res: ActionResult = await sendAction(c.backend, 'test', c.dc.membership, processAction(node, 'start', 0, params), token - 1);
    assert.equal(res.status, 'refused');
    assert.equal(res.rc, 1);
    assert.match(res.exitReason ?? '', /deposed/);
    assert.equal((await c.backend.list(keys.nodeActionsPrefix('test', node))).kvs.length, 0, 'request key deleted');
    assert.ok(!existsSync(`${dir}/ran`), 'the agent never ran');
    assert.equal(c.agents.find((a) => a.node === node)!.activeResources().length, 0);
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a node cut off from the store stops its resources (no-quorum-policy=stop) before its self-fencing deadline', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-na-'));
  const c = await cluster(['n1', 'n2', 'n3'], config(''));
  try {
    const victim = c.nodes.find((n) => n.it !== c.dc)!;
    const agent: NodeAgent = victim.it;
    for (let i = 0; i < 3; i++) {
      const a = { ...processAction(agent.node, 'start', 0, { command: 'exec sleep 60' }, i + 1), rsc: `p${i}`, historyId: `p${i}`, key: `p${i}_start_0` };
      assert.equal((await sendAction(c.backend, 'test', c.dc.membership, a)).rc, 0);
    }
    assert.equal(agent.activeResources().length, 3);
    const t0 = nowMs();
    victim.store.setCut(true);
    await waitFor('quorum lost', () => agent.lastQuorumLoss !== undefined, 2000);
    await agent.quorumLossDone;
    const r = agent.lastQuorumLoss!;
    console.log(`# store cut: quorum lost, 3 processes stopped at +${Math.round(r.stoppedAt! - t0)} ms, deadline +${Math.round(r.deadline - t0)} ms`);
    assert.equal(r.policy, 'stop');
    assert.ok(r.inTime, `stopped at ${r.stoppedAt}, deadline ${r.deadline}`);
    assert.equal(agent.activeResources().length, 0);
    const others = c.nodes.filter((n) => n !== victim).map((n) => n.it.membership);
    await waitFor('survivors declare it lost', () => others.every((m) => m.peer(agent.node)?.state === 'lost'), 2000);
    for (const m of others) assert.ok(m.peer(agent.node)!.selfFencedBy! >= r.deadline, 'survivors never treat it as stopped before its own deadline');
  } finally {
    await c.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
