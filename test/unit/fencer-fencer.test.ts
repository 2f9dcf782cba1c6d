// Fencer.fence end to end with the lab agent: topology order, reboot as off+on, timeouts and
// retries, missing agents, fencing disabled, delays (pcmk_delay_max, priority-fencing-delay),
// stonith-max-attempts, and the history in memory and in the store.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Fencer, totalResourcePriority } from '../../src/fencer/fencer.ts';
import { levelsForTarget, validateTopology } from '../../src/fencer/topology.ts';
import { StoreFencingHistory, fencingPrefix } from '../../src/fencer/history.ts';
import { openEmbeddedStore } from '../../src/store/embedded.ts';
import { AGENT_DIRS, cib, labState, recordingSleep } from '../fixtures/fencer/cib.ts';

const calls = (dir: string) => readFileSync(`${dir}/calls.log`, 'utf8').trim().split('\n');

test('topology: levels by index for target, target-pattern and target-attribute; problems named', () => {
  const c = cib({
    nodes: ['web1', 'db1'],
    levels: [
      { id: 'l2', index: 2, target: 'web1', devices: 'b' },
      { id: 'l1', index: 1, pattern: '^web[0-9]+$', devices: 'a' },
      { id: 'l3', index: 3, attribute: 'rack', value: 'r1', devices: 'c,d' },
      { id: 'bad', index: 1, pattern: '(', devices: 'zz' },
    ],
  });
  const topo = c.configuration.fencingTopology;
  assert.deepEqual(levelsForTarget(topo, 'web1', new Map([['rack', 'r1']])).map((l) => l.id), ['l1', 'l2', 'l3']);
  assert.deepEqual(levelsForTarget(topo, 'db1', new Map([['rack', 'r2']])).map((l) => l.id), []);
  const problems = validateTopology(topo, new Set(['a', 'b', 'c', 'd'])).map((p) => p.message);
  assert.ok(problems.some((m) => /fencing-level bad: target-pattern '\(' is not a valid regular expression/.test(m)));
  assert.ok(problems.some((m) => /fencing-level bad names device 'zz', which is not a configured stonith resource/.test(m)));
});

test('topology: level 1 fails → level 2 is used; every attempt is recorded in order', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    devices: [
      { id: 'ipmi', attrs: { state_dir: s.dir, pcmk_host_list: 'n1', fail: 'reboot', pcmk_reboot_retries: '0' } },
      { id: 'pdu-a', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } },
      { id: 'pdu-b', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } },
    ],
    levels: [
      { id: 'lvl1', index: 1, target: 'n1', devices: 'ipmi' },
      { id: 'lvl2', index: 2, target: 'n1', devices: 'pdu-a,pdu-b' },
    ],
  });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: recordingSleep().sleep });
  const r = await f.fence('n1', 'reboot', 'n1 lost its lease', { requester: 'n2-dc' });
  assert.deepEqual(r, { ok: true, method: 'agent', device: 'pdu-a,pdu-b' });
  // Reboot with two devices in a level: both off, then both on.
  assert.deepEqual(calls(s.dir), ['reboot n1 n2', 'off n1 n2', 'off n1 n2', 'on n1 n2', 'on n1 n2']);
  const [op] = await f.history('n1');
  assert.equal(op!.result, 'ok');
  assert.equal(op!.requester, 'n2-dc');
  assert.equal(op!.executor, 'n2');
  assert.equal(op!.reason, 'n1 lost its lease');
  assert.deepEqual(
    op!.attempts.map((a) => [a.level, a.device, a.agentAction, a.result]),
    [
      [1, 'ipmi', 'reboot', 'failed'],
      [2, 'pdu-a', 'off', 'ok'],
      [2, 'pdu-b', 'off', 'ok'],
      [2, 'pdu-a', 'on', 'ok'],
      [2, 'pdu-b', 'on', 'ok'],
    ],
  );
  assert.ok(op!.attempts.every((a) => a.endedAt >= a.startedAt && a.startedAt >= op!.startedAt));
});

test('without topology the capable devices are tried by priority (highest first)', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    devices: [
      { id: 'low', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } },
      { id: 'high', attrs: { state_dir: s.dir, pcmk_host_list: 'n1', fail: 'off', pcmk_off_retries: '0' }, meta: { priority: '10' } },
    ],
  });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS });
  assert.deepEqual(await f.fence('n1', 'off', 'test'), { ok: true, method: 'agent', device: 'low' });
  const [op] = await f.history('n1');
  assert.deepEqual(op!.attempts.map((a) => [a.device, a.result]), [['high', 'failed'], ['low', 'ok']]);
});

test('reboot on a device whose agent has no reboot action is done as off then on', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({ devices: [{ id: 'nr', agent: 'fence_lab_noreboot', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } }] });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS });
  assert.deepEqual(await f.fence('n1', 'reboot', 'test'), { ok: true, method: 'agent', device: 'nr' });
  assert.deepEqual(calls(s.dir), ['off n1 n2', 'on n1 n2']);
});

test('a hanging agent: timeout (stonith-timeout), recorded failure, retried in the next round, which succeeds', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    options: { 'stonith-timeout': '500ms', 'stonith-max-attempts': '3' },
    devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1', hang: 'off', hang_times: '1' } }],
  });
  const rec = recordingSleep();
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: rec.sleep, roundPauseMs: 50 });
  const r = await f.fence('n1', 'off', 'test');
  assert.deepEqual(r, { ok: true, method: 'agent', device: 'pdu' });
  const [op] = await f.history('n1');
  assert.deepEqual(op!.attempts.map((a) => [a.round, a.result]), [[1, 'timeout'], [2, 'ok']]);
  assert.match(op!.attempts[0]!.error!, /timed out after 500 ms/);
  assert.ok(op!.attempts[0]!.endedAt - op!.attempts[0]!.startedAt >= 450);
  assert.deepEqual(rec.waits, [50]);
});

test('an agent that always hangs: stonith-max-attempts rounds, each recorded, then ok:false method agent and no more tries', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    options: { 'stonith-timeout': '300ms', 'stonith-max-attempts': '2' },
    devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1', hang: 'off' } }],
  });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: recordingSleep().sleep });
  const r = await f.fence('n1', 'off', 'test');
  assert.equal(r.ok, false);
  assert.equal(r.method, 'agent');
  assert.match(r.error!, /fencing n1 \(off\) failed 2 times, reaching stonith-max-attempts=2: pdu: fence agent fence_lab action off timed out after 300 ms/);
  assert.equal(f.failureCount('n1'), 2);
  const again = await f.fence('n1', 'off', 'test');
  assert.match(again.error!, /has failed 2 times \(stonith-max-attempts=2\); not retried until its failures are reset/);
  const hist = await f.history('n1');
  assert.equal(hist.length, 2);
  assert.deepEqual(hist[0]!.attempts.map((a) => a.result), ['timeout', 'timeout']);
  assert.equal(hist[1]!.attempts.length, 0);
  assert.ok(hist.every((o) => o.result === 'failed'));
});

test('a missing agent: recorded failure naming the agent; not method none (a device is configured)', async () => {
  const c = cib({ options: { 'stonith-max-attempts': '1' }, devices: [{ id: 'ghost', agent: 'fence_not_installed_here', attrs: { pcmk_host_list: 'n1' } }] });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS });
  const r = await f.fence('n1', 'reboot', 'test');
  assert.equal(r.ok, false);
  assert.equal(r.method, 'agent');
  assert.match(r.error!, /ghost: fence agent 'fence_not_installed_here' is not installed/);
  const [op] = await f.history('n1');
  assert.equal(op!.result, 'failed');
  assert.deepEqual(op!.attempts.map((a) => [a.device, a.result]), [['ghost', 'not-installed']]);
});

test('fencing disabled (fencing-enabled=false, or stonith-enabled=false) → ok:false, method none, recorded', async () => {
  for (const options of [{ 'fencing-enabled': 'false' }, { 'stonith-enabled': 'false' }] as Record<string, string>[]) {
    const f = new Fencer({ localNode: 'n2', cib: cib({ options, devices: [{ id: 'pdu', attrs: { pcmk_host_list: 'n1' } }] }), agentDirs: AGENT_DIRS });
    const r = await f.fence('n1', 'reboot', 'test');
    assert.deepEqual(r, { ok: false, method: 'none', error: 'fencing is disabled (fencing-enabled/stonith-enabled=false)' });
    assert.equal((await f.history('n1'))[0]!.method, 'none');
  }
});

test('no device at all → method none (the DC waits for the self-fencing deadline)', async () => {
  const f = new Fencer({ localNode: 'n2', cib: cib({}), agentDirs: AGENT_DIRS });
  const r = await f.fence('n1', 'reboot', 'test');
  assert.deepEqual(r, { ok: false, method: 'none', error: 'no fence device can fence n1 (none configured)' });
});

test('bad input never rejects: a clear error naming the bad target or action', async () => {
  const f = new Fencer({ localNode: 'n2', cib: cib({}), agentDirs: AGENT_DIRS });
  assert.deepEqual(await f.fence('', 'off', 'x'), { ok: false, method: 'agent', error: "fence target '' is not a node name" });
  assert.deepEqual(await f.fence('n1', 'explode', 'x'), { ok: false, method: 'agent', error: "fence action 'explode' is not one of reboot, off, on" });
});

test('pcmk_delay_max: a random delay within [pcmk_delay_base, pcmk_delay_max], from the injected random source, first round only', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({ devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1', pcmk_delay_base: '1s', pcmk_delay_max: '5s' } }] });
  const rec = recordingSleep();
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: rec.sleep, random: () => 0.5 });
  await f.fence('n1', 'off', 'test');
  assert.deepEqual(rec.waits, [1000 + Math.floor(0.5 * 4001)]);
  assert.equal((await f.history('n1'))[0]!.attempts[0]!.delayMs, 3000);
  // on is never delayed
  await f.fence('n1', 'on', 'test');
  assert.equal(rec.waits.length, 1);
});

test('priority-fencing-delay: the node with the higher total resource priority is fenced later, so it wins a two-node race', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    options: { 'priority-fencing-delay': '7s' },
    devices: [
      { id: 'f1', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } },
      { id: 'f2', attrs: { state_dir: s.dir, pcmk_host_list: 'n2' } },
    ],
  });
  // n1 runs the promoted database (priority 10 → 11) and a VIP (priority 1): 12. n2 runs a clone (1).
  const prio = new Map([
    ['n1', totalResourcePriority([{ priority: 10, promoted: true }, { priority: 1 }])],
    ['n2', totalResourcePriority([{ priority: 1 }])],
  ]);
  assert.equal(prio.get('n1'), 12);
  const delays: Record<string, number[]> = {};
  for (const [me, target] of [['n2', 'n1'], ['n1', 'n2']] as const) {
    const rec = recordingSleep();
    const f = new Fencer({ localNode: me, cib: c, agentDirs: AGENT_DIRS, sleep: rec.sleep, nodePriority: (n) => prio.get(n) ?? 0 });
    assert.equal((await f.fence(target, 'reboot', 'split brain')).ok, true);
    delays[target] = rec.waits;
  }
  assert.deepEqual(delays.n1, [7000], 'fencing the important node n1 waits priority-fencing-delay');
  assert.deepEqual(delays.n2, [], 'fencing n2 goes at once');

  // Equal priorities: no one gets the delay (pcmk_delay_max is the tie breaker).
  const rec = recordingSleep();
  const tie = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: rec.sleep, nodePriority: () => 3 });
  await tie.fence('n1', 'off', 'x');
  assert.deepEqual(rec.waits, []);
  // Fencing a node that was not lost (failed stop): no priority delay.
  const rec2 = recordingSleep();
  const nl = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: rec2.sleep, nodePriority: (n) => prio.get(n) ?? 0 });
  await nl.fence('n1', 'off', 'stop failed', { nodeLost: false });
  assert.deepEqual(rec2.waits, []);
});

test('two requests to fence the same node at once share one operation', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const f = new Fencer({ localNode: 'n2', cib: cib({ devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } }] }), agentDirs: AGENT_DIRS });
  const [a, b] = await Promise.all([f.fence('n1', 'off', 'one'), f.fence('n1', 'off', 'two')]);
  assert.deepEqual(a, b);
  assert.deepEqual(calls(s.dir), ['off n1 n2']);
});

test('history in the store under /tandem/<cluster>/fencing/<target>/, pending while running, final after', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const store = openEmbeddedStore();
  t.after(() => store.close());
  const history = new StoreFencingHistory(store, 'lab');
  const seen: string[] = [];
  const f = new Fencer({
    localNode: 'n2',
    cib: cib({ devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1 n3' } }] }),
    agentDirs: AGENT_DIRS,
    history: {
      save: async (op) => {
        seen.push(op.result);
        await history.save(op);
      },
      list: (target) => history.list(target),
    },
  });
  await f.fence('n1', 'off', 'a');
  await f.fence('n3', 'reboot', 'b');
  assert.deepEqual(seen, ['pending', 'pending', 'ok', 'pending', 'pending', 'ok']);
  const { kvs } = await store.list(fencingPrefix('lab'));
  assert.equal(kvs.length, 2);
  assert.match(kvs[0]!.key, /^\/tandem\/lab\/fencing\/n1\/\d{13}-/);
  assert.deepEqual((await f.history()).map((o) => [o.target, o.action, o.result, o.device]), [['n1', 'off', 'ok', 'pdu'], ['n3', 'reboot', 'ok', 'pdu']]);
  assert.deepEqual((await f.history('n3')).map((o) => o.target), ['n3']);
});

test('fencing token: a request from a deposed DC term is refused and recorded; the current term is carried out', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  let term = 41;
  const f = new Fencer({
    localNode: 'n2',
    cib: cib({ devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } }] }),
    agentDirs: AGENT_DIRS,
    currentToken: () => term,
  });
  term = 42; // n3 won a new election while the old DC's request was in flight
  const late = await f.fence('n1', 'off', 'old DC', { token: 41 });
  assert.deepEqual(late, { ok: false, method: 'agent', error: "refused: fencing token 41 is not the current DC term (42); a deposed DC's request is not carried out" });
  assert.match((await f.fence('n1', 'on', 'no token')).error!, /carries no fencing token/);
  assert.deepEqual(await f.fence('n1', 'off', 'current DC', { token: 42 }), { ok: true, method: 'agent', device: 'pdu' });
  assert.deepEqual(calls(s.dir), ['off n1 n2']);
  assert.deepEqual((await f.history('n1')).map((o) => o.result), ['failed', 'failed', 'ok']);
});
