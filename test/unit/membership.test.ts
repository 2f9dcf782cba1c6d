import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startMemberships, waitFor, nowMs } from '../support/cluster.ts';
import { checkTimingBudget, derivedTimings, resolveTimingBudget, TimingBudgetError } from '../../src/membership/timing.ts';
import { DEFAULT_TIMING } from '../../src/membership/types.ts';
import { keys } from '../../src/cib/store-layout.ts';

test('timing budget: the defaults pass; a budget breaking rules is refused with every rule named and its numbers', () => {
  assert.deepEqual(checkTimingBudget({ ...DEFAULT_TIMING }), []);
  assert.throws(
    () => resolveTimingBudget({ heartbeatMs: 200, suspectMs: 300, selfFenceMs: 300, marginMs: 10, storeCallDeadlineMs: 250, leaseTtlMs: 1100 }),
    (err: unknown) => {
      assert.ok(err instanceof TimingBudgetError);
      const text = err.message;
      for (const rule of ['rule 2', 'rule 3', 'rule 4', 'rule 5', 'rule 6', 'rule 7']) assert.match(text, new RegExp(rule), `${rule} missing in: ${text}`);
      assert.match(text, /suspectMs \(300\) must be > 2 x heartbeatMs \(400\)/);
      assert.match(text, /selfFenceMs \(300\) must be >= suspectMs \+ heartbeatMs \(500\)/);
      return true;
    },
  );
  assert.throws(() => resolveTimingBudget({ heartbeatMs: 1.5 }), /rule 1: heartbeatMs/);
  // storeGraceMs: derived from the TTL when not given (rule 6's room, at most 1000), checked when given.
  assert.equal(resolveTimingBudget().storeGraceMs, 1000);
  assert.equal(derivedTimings(resolveTimingBudget()).probeIntervalMs, 250);
  assert.equal(resolveTimingBudget({ leaseTtlMs: 2000 }).storeGraceMs, 783);
  assert.throws(() => resolveTimingBudget({ leaseTtlMs: 1000 }), /rule 6/);
  assert.throws(() => resolveTimingBudget({ leaseTtlMs: 2000, storeGraceMs: 1000 }), /rule 6: .*storeGraceMs \+ heartbeatMs/);
  assert.throws(() => resolveTimingBudget({ storeGraceMs: 120 }), /rule 5: storeCallDeadlineMs \+ storeGraceMs \/ 4/);
  // A budget written before storeGraceMs existed still checks (with the derived value).
  const { storeGraceMs: _g, ...old } = DEFAULT_TIMING;
  assert.deepEqual(checkTimingBudget(old), []);
  assert.throws(() => resolveTimingBudget({ hearbeatMs: 10 } as never), /unknown timing setting 'hearbeatMs'/);
});

test('a silenced peer is suspected after ~300 ms and then lost, with a known-stopped bound', async () => {
  const c = await startMemberships(['n1', 'n2', 'n3']);
  try {
    const [a, b, x] = c.nodes.map((n) => n.it) as [typeof c.nodes[0]['it'], typeof c.nodes[0]['it'], typeof c.nodes[0]['it']];
    await waitFor('all quorate and up', () => a.quorate && b.quorate && x.quorate && a.peer('n3')?.state === 'up' && b.peer('n3')?.state === 'up', 3000);
    const t0 = nowMs();
    x.setLinkDown(true);
    const suspectAfter = await waitFor('n1 suspects n3', () => a.peer('n3')?.state !== 'up');
    const lostAfter = await waitFor('n1 declares n3 lost', () => a.peer('n3')?.state === 'lost');
    const p = a.peer('n3')!;
    console.log(`# suspect after ${Math.round(suspectAfter)} ms, lost after ${Math.round(nowMs() - t0)} ms, known stopped at +${Math.round(p.selfFencedBy! - t0)} ms`);
    assert.ok(suspectAfter >= 250 && suspectAfter < 450, `suspected after ${suspectAfter} ms`);
    assert.ok(lostAfter < 300);
    assert.ok(p.selfFencedBy! >= p.lastHeardMs + 500 - 1);
    await waitFor('n3 notices it lost quorum', () => !x.quorate, 1000);
    assert.ok(a.quorate && b.quorate, 'the two others keep quorum');
    await waitFor('n3 known stopped', () => a.knownStopped('n3', nowMs()), 1000);
    x.setLinkDown(false);
    await waitFor('n3 back up', () => a.peer('n3')?.state === 'up' && x.quorate, 2000);
  } finally {
    await c.stop();
  }
});

test('DC killed: a survivor takes over in ~500 ms with a larger token while the dead DC lease key still exists', async () => {
  const c = await startMemberships(['n1', 'n2', 'n3']);
  try {
    const ms = c.nodes.map((n) => n.it);
    await waitFor('a DC', () => ms.every((m) => m.quorate && m.peers().every((p) => p.state === 'up')) && ms.some((m) => m.leadership) && ms.every((m) => m.leader !== null), 3000);
    const dc = ms.find((m) => m.leadership)!;
    const oldToken = dc.leadership!.token;
    const survivors = ms.filter((m) => m !== dc);
    await waitFor('everyone sees the DC', () => survivors.every((m) => m.leader?.name === dc.self.name));
    const t0 = nowMs();
    dc.kill();
    const took = await waitFor('a survivor leads', () => survivors.some((m) => m.leadership?.active), 3000);
    const next = survivors.find((m) => m.leadership?.active)!;
    const memberKey = await c.backend.get(keys.member('test', dc.self.name));
    console.log(`# takeover ${Math.round(took)} ms after the DC was killed; token ${oldToken} -> ${next.leadership!.token}`);
    assert.ok(next.leadership!.token > oldToken);
    assert.ok(memberKey.kv, 'the dead DC membership key (its lease) still exists');
    assert.ok(took < 900, `takeover took ${took} ms`);
    assert.ok(nowMs() - t0 >= 400, 'not before the dead DC is known stopped');
    await waitFor('the other survivor sees the new DC', () => survivors.every((m) => m.leader?.name === next.self.name), 1000);
  } finally {
    await c.stop();
  }
});

test('a node cut off from the store loses quorum and its deadline is never later than the survivors bound', async () => {
  const c = await startMemberships(['n1', 'n2', 'n3']);
  try {
    const ms = c.nodes.map((n) => n.it);
    await waitFor('all quorate', () => ms.every((m) => m.quorate) && ms.every((m) => m.peers().every((p) => p.state === 'up')), 3000);
    const cut = c.nodes[2]!;
    let deadline: number | undefined;
    cut.it.on('quorum', (q) => {
      if (!q.quorate) deadline = q.deadline;
    });
    const t0 = nowMs();
    cut.store.setCut(true);
    await waitFor('cut node loses quorum', () => deadline !== undefined, 2500);
    await waitFor('survivors declare it lost', () => ms[0]!.peer('n3')?.state === 'lost' && ms[1]!.peer('n3')?.state === 'lost', 1500);
    const bounds = [ms[0]!.peer('n3')!.selfFencedBy!, ms[1]!.peer('n3')!.selfFencedBy!];
    console.log(`# quorum lost at +${Math.round(nowMs() - t0)} ms; deadline +${Math.round(deadline! - t0)} ms; survivors' bounds +${bounds.map((b) => Math.round(b - t0)).join(', +')} ms`);
    for (const b of bounds) assert.ok(b >= deadline!, `bound ${b} earlier than the node's deadline ${deadline}`);
  } finally {
    await c.stop();
  }
});

test('a store outage shorter than storeGraceMs (an etcd leader election) costs no node its quorum; a longer one does', async () => {
  const c = await startMemberships(['n1', 'n2', 'n3']);
  try {
    const ms = c.nodes.map((n) => n.it);
    await waitFor('all quorate', () => ms.every((m) => m.quorate) && ms.every((m) => m.peers().every((p) => p.state === 'up')), 3000);
    const losses: string[] = [];
    for (const m of ms) m.on('quorum', (q) => !q.quorate && losses.push(m.self.name));
    for (const n of c.nodes) n.store.setCut(true);
    await new Promise((r) => setTimeout(r, 500));
    for (const n of c.nodes) n.store.setCut(false);
    await new Promise((r) => setTimeout(r, 600));
    assert.deepEqual(losses, [], 'nobody lost quorum over a 500 ms store outage');
    assert.ok(ms.every((m) => m.quorate));
    const t0 = nowMs();
    c.nodes[0]!.store.setCut(true);
    await waitFor('n1 loses quorum', () => !ms[0]!.quorate, 2500);
    const after = nowMs() - t0;
    console.log(`# cut from the store: quorum lost after ${Math.round(after)} ms (storeGraceMs ${ms[0]!.timing.storeGraceMs})`);
    assert.ok(after >= ms[0]!.timing.storeGraceMs! - derivedTimings(ms[0]!.timing).probeIntervalMs - 50, `lost quorum too early: ${after} ms`);
  } finally {
    await c.stop();
  }
});
