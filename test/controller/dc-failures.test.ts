// The DC never gets stuck: hanging, silent, missing and vanishing agents each end in a recorded
// failure and a new plan; a deposed DC's writes are refused by the store. Real agents throughout
// (ocf:heartbeat:Delay, ocf:heartbeat:Dummy) run by the executor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DcTerm } from '../../src/controller/dc-term.ts';
import { createLogger, MemorySink } from '../../src/controller/log.ts';
import { noDeviceFencer } from '../../src/controller/types.ts';
import { decodeRecord, keys, type HistoryEntry } from '../../src/cib/store-layout.ts';
import type { Leadership } from '../../src/membership/types.ts';
import { fencedTxn } from '../../src/store/index.ts';
import { setupDc, until } from './harness.ts';

const delay = (id: string, start: number, timeout: string) => `<primitive id="${id}" class="ocf" provider="heartbeat" type="Delay">
  <instance_attributes id="${id}-ia"><nvpair id="${id}-s" name="startdelay" value="${start}"/><nvpair id="${id}-t" name="stopdelay" value="0"/><nvpair id="${id}-m" name="mondelay" value="0"/></instance_attributes>
  <operations><op id="${id}-start" name="start" interval="0" timeout="${timeout}"/><op id="${id}-stop" name="stop" interval="0" timeout="10s"/></operations></primitive>`;
const prefer = (rsc: string, node: string) => `<rsc_location id="${rsc}-prefers-${node}" rsc="${rsc}" node="${node}" score="100"/>`;

test('a start that hangs past its timeout is aborted and the resource is planned on another node', async () => {
  const c = await setupDc({ resources: delay('hang', 30, '1s'), constraints: prefer('hang', 'n2') });
  try {
    c.controller.start();
    const t0 = Date.now();
    await c.sink.waitFor((r) => /^aborted transition \d+: hang_start_0 on n2 returned a timeout/.test(r.msg), 10_000);
    const aborted = Date.now() - t0;
    const elsewhere = await c.sink.waitFor((r) => /^decided to (start|move|recover) hang .*(n1|n3)/.test(r.msg), 10_000);
    assert.equal(await c.cib.getNodeAttribute('n2', 'fail-count-hang#start_0'), 'INFINITY');
    console.log(`# hanging start: aborted after ${aborted} ms (timeout 1 s); then "${elsewhere.msg}"`);
  } finally {
    await c.close();
  }
});

test('a node agent that never answers: the DC records the timeout itself after timeout + grace and plans again', async () => {
  const c = await setupDc({
    resources: `<primitive id="d" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="d-start" name="start" interval="0" timeout="1s"/></operations></primitive>`,
    constraints: prefer('d', 'n2'),
    silent: ['n2'],
    timing: { resultGraceMs: 300 },
  });
  try {
    c.controller.start();
    const t0 = Date.now();
    await c.sink.waitFor((r) => /^recorded d_start_0 on n2 as timed out/.test(r.msg), 5_000);
    const ms = Date.now() - t0;
    assert.ok(ms >= 1300, `gave up after ${ms} ms, before timeout + grace`);
    const kv = await until(async () => (await c.store.get(keys.history(c.cluster, 'n2', 'd', 'd_last_failure_0'))).kv, 2_000, 'the failure in n2\'s history');
    const e = decodeRecord<HistoryEntry>(kv.key, kv.value);
    assert.equal(e.opStatus, 2, 'recorded as a timeout');
    // The request was withdrawn, so a late node cannot still run it.
    assert.equal((await c.store.list(keys.nodeActionsPrefix(c.cluster, 'n2'))).kvs.filter((k) => k.value.includes('"d_start_0"')).length, 0);
    // And the DC goes on: the start is planned again somewhere.
    await c.sink.waitFor((r) => r.time > t0 + ms && /^decided to /.test(r.msg), 5_000);
    console.log(`# silent node agent: DC recorded the timeout after ${ms} ms (1 s timeout + 300 ms grace)`);
  } finally {
    await c.close();
  }
});

test('a missing agent ends in a recorded failure and an idle DC, not a stuck one', async () => {
  const c = await setupDc({ resources: `<primitive id="ghost" class="ocf" provider="heartbeat" type="NoSuchAgentAnywhere"/>` });
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /ghost_start_0 on n\d returned not installed/.test(r.msg), 10_000);
    await until(() => c.controller.status().term?.state === 'idle', 15_000, 'the DC to be idle');
    const failed = [];
    for (const n of ['n1', 'n2', 'n3']) if (await c.cib.getNodeAttribute(n, 'fail-count-ghost#start_0')) failed.push(n);
    assert.ok(failed.length >= 1, 'failure counted');
    console.log(`# missing agent: failed on ${failed.join(', ')}; DC idle; decisions: ${c.decisions().length}`);
  } finally {
    await c.close();
  }
});

test('a node that vanishes mid-transition: its running action is abandoned and the resource starts elsewhere after its deadline', async () => {
  const c = await setupDc({ resources: delay('slow', 2, '20s'), constraints: prefer('slow', 'n2') });
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /^decided to start slow on n2/.test(r.msg), 10_000);
    await new Promise((r) => setTimeout(r, 200));
    await c.nodes[1]!.stop();
    const deadline = c.view.lose('n2', 300);
    await c.sink.waitFor((r) => /^abandoned 1 running action\(s\) on n2/.test(r.msg), 2_000);
    const started = await c.sink.waitFor((r) => /^started slow on n[13]/.test(r.msg), 15_000);
    const decided = c.sink.records.find((r) => /^decided to start slow on n[13]/.test(r.msg))!;
    assert.ok(decided.time >= deadline, 'planned elsewhere only after the deadline');
    console.log(`# vanished mid-transition: ${started.msg}`);
  } finally {
    await c.close();
  }
});

test('a deposed DC: its fenced write is refused by the store and its loop stops at once', async () => {
  const c = await setupDc({ resources: `<primitive id="d" class="ocf" provider="heartbeat" type="Dummy"/>` });
  try {
    // A term that does not know it was deposed: its leadership looks active, but its key is gone.
    const fence = c.leadership.fence;
    const stale: Leadership = { token: fence.token, fence, active: true, fencedTxn: (req) => fencedTxn(c.store, fence, req), ended: new Promise(() => {}) };
    await c.store.delete(fence.key);
    const sink = new MemorySink();
    const term = new DcTerm({ cluster: c.cluster, node: 'n1', store: c.store, view: c.view, leadership: stale, cib: c.cib, fencer: noDeviceFencer, logger: createLogger({ sinks: [sink.sink] }) });
    await term.start();
    await sink.waitFor((r) => /^stopped acting as DC .*a fenced write was refused/.test(r.msg), 5_000);
    assert.equal(term.active, false);
    assert.equal((await c.store.list(keys.actionsPrefix(c.cluster))).kvs.length, 0, 'no action request was written');
    assert.equal((await c.store.get(keys.transition(c.cluster))).kv, undefined, 'no transition was published');
  } finally {
    await c.close();
  }
});
