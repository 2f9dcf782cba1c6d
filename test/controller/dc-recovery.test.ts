// The DC recovers a killed process and moves resources off a lost node only after its
// self-fencing deadline — with real agents (process class, ocf:heartbeat:Dummy) run by the executor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { Controller } from '../../src/controller/controller.ts';
import { createLogger, MemorySink } from '../../src/controller/log.ts';
import { noDeviceFencer } from '../../src/controller/types.ts';
import { keys, decodeRecord, type HistoryEntry } from '../../src/cib/store-layout.ts';
import { cibXml, lead, MiniNode, newCluster, TestView, until } from './harness.ts';

async function runningOn(h: ReturnType<typeof newCluster>, rsc: string): Promise<string[]> {
  const { kvs } = await h.store.list(keys.historyPrefix(h.cluster));
  const nodes: string[] = [];
  for (const kv of kvs) {
    const e = decodeRecord<HistoryEntry>(kv.key, kv.value);
    if (e.rsc !== rsc || !e.id.endsWith('_last_0')) continue;
    if ((e.operation === 'start' || e.operation === 'monitor') && e.rcCode === 0 && e.opStatus === 0) nodes.push(e.onNode!);
  }
  return nodes.sort();
}

async function setup(resources: string, props: Record<string, string> = {}, constraints = '') {
  const h = newCluster();
  await h.cib.importCib(cibXml({ resources, props, constraints }));
  const sink = new MemorySink();
  const logger = createLogger({ level: 'debug', sinks: [sink.sink] });
  const nodes = await Promise.all(['n1', 'n2', 'n3'].map(async (name) => {
    const n = new MiniNode({ ...h, name });
    await n.start();
    return n;
  }));
  const view = new TestView({ name: 'n1', id: '1' }, ['n2', 'n3']);
  const { leadership, election } = await lead(h.store, h.cluster, 'n1');
  view.leader = { name: 'n1', token: leadership.token };
  view.leadership = leadership;
  const controller = new Controller({ cluster: h.cluster, node: 'n1', store: h.store, view, cib: h.cib, fencer: noDeviceFencer, logger });
  return {
    ...h, sink, nodes, view, controller, election,
    async close() {
      controller.stop();
      await election.close();
      await Promise.all(nodes.map((n) => n.stop()));
      await h.store.close();
    },
  };
}

test('a SIGKILLed process resource is running again on its node, measured', async () => {
  const pidDir = (await import('node:fs')).mkdtempSync('/tmp/tandem-dc-');
  const pidFile = join(pidDir, 'p.pid');
  const c = await setup(`<primitive id="p" class="process" type="responder">
      <instance_attributes id="p-ia"><nvpair id="p-c" name="command" value="echo $$ > ${pidFile}; exec sleep 1000"/></instance_attributes>
      <operations><op id="p-mon" name="monitor" interval="1s" timeout="5s"/></operations></primitive>`);
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /^started p on /.test(r.msg), 10_000);
    const where = await runningOn(c, 'p');
    assert.equal(where.length, 1);
    await until(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim() !== '', 2000, 'pid file');
    const pid = Number(readFileSync(pidFile, 'utf8'));
    const before = c.sink.records.length;
    const t0 = Date.now();
    process.kill(pid, 'SIGKILL');
    const done = await c.sink.waitFor((r) => c.sink.records.indexOf(r) >= before && /^(recovered|restarted|started) p /.test(r.msg), 10_000);
    // The process class's start returns once the child is spawned: its pid file follows shortly.
    const newPid = await until(() => {
      const p = Number(readFileSync(pidFile, 'utf8'));
      return p && p !== pid ? p : undefined;
    }, 5000, 'a new process');
    const ms = Date.now() - t0;
    process.kill(newPid, 0); // throws if not alive
    console.log(`# process killed -> running again: ${ms} ms (${done.msg})`);
    assert.ok(ms < 2000, `recovery took ${ms} ms`);
    // The failure was counted as Pacemaker names it.
    const fc = await c.cib.getNodeAttribute(where[0]!, 'fail-count-p#monitor_1000');
    assert.equal(fc, '1');
  } finally {
    await c.close();
  }
});

test('a lost node\'s resource starts elsewhere only after its self-fencing deadline, measured', async () => {
  const c = await setup(`<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">
      <operations><op id="d-mon" name="monitor" interval="1s" timeout="5s"/></operations></primitive>`,
    {}, `<rsc_location id="pref" rsc="d" node="n2" score="100"/>`);
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /^started d on n2/.test(r.msg), 10_000);
    // n2 "crashes": its node stops answering and membership declares it lost, known stopped 400 ms later.
    await c.nodes[1]!.stop();
    const lostAt = Date.now();
    const deadline = c.view.lose('n2', 400);
    const moved = await c.sink.waitFor((r) => /^(moved|recovered|started) d /.test(r.msg) && r.time >= lostAt, 10_000);
    const where = await runningOn(c, 'd');
    assert.ok(where.length === 1 && where[0] !== 'n2', `d runs on ${where.join(',')}`);
    // Order: the start on the new node was dispatched only after the deadline.
    const { kvs } = await c.store.list(keys.historyPrefix(c.cluster));
    const start = kvs.map((kv) => decodeRecord<HistoryEntry>(kv.key, kv.value)).find((e) => e.rsc === 'd' && e.operation === 'start' && e.onNode === where[0]);
    assert.ok(start, 'start recorded');
    const startMs = start!.lastRun! * 1000;
    assert.ok(startMs >= Math.floor(deadline / 1000) * 1000, 'start ran after the deadline');
    const decisionAt = c.sink.records.find((r) => /^n2 is known stopped/.test(r.msg) && r.time >= lostAt);
    assert.ok(decisionAt && decisionAt.time >= deadline, `known stopped at ${decisionAt?.time}, deadline ${deadline}`);
    console.log(`# node lost -> started elsewhere: ${moved.time - lostAt} ms (deadline at +${deadline - lostAt} ms): ${moved.msg}`);
    assert.ok(moved.time >= deadline);
    assert.ok(moved.time - deadline < 1000, `recovery ${moved.time - deadline} ms after the deadline`);
  } finally {
    await c.close();
  }
});

test('with stonith enabled and no fence device, the fence action waits for the self-fencing deadline, then the resource moves', async () => {
  const c = await setup(`<primitive id="d" class="ocf" provider="heartbeat" type="Dummy">
      <operations><op id="d-mon" name="monitor" interval="1s" timeout="5s"/></operations></primitive>`,
    { 'stonith-enabled': 'true' }, `<rsc_location id="pref" rsc="d" node="n2" score="100"/>`);
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /^started d on n2/.test(r.msg), 10_000);
    await c.nodes[1]!.stop();
    const lostAt = Date.now();
    const deadline = c.view.lose('n2', 400);
    const waiting = await c.sink.waitFor((r) => /^waiting \d+ ms for n2's self-fencing deadline: no fence device can fence it/.test(r.msg), 5_000);
    const known = await c.sink.waitFor((r) => /^n2 is known stopped: it passed its self-fencing deadline/.test(r.msg), 5_000);
    const moved = await c.sink.waitFor((r) => /^(moved|recovered|started) d .*n[13]/.test(r.msg) && r.time >= lostAt, 10_000);
    assert.ok(waiting.time < deadline, 'waited in the transition');
    assert.ok(known.time >= deadline, `known stopped ${known.time - deadline} ms after the deadline`);
    const fencing = (await c.store.list(keys.targetFencingPrefix(c.cluster, 'n2'))).kvs;
    assert.equal(fencing.length, 1, 'a self-fence record was written');
    assert.match(fencing[0]!.value, /"result":"self-fenced"/);
    console.log(`# stonith enabled, no device: ${moved.msg} (${moved.time - lostAt} ms after the loss, deadline +${deadline - lostAt} ms)`);
  } finally {
    await c.close();
  }
});
