import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openEmbeddedStore } from '../../src/store/embedded.ts';
import { CibConflictError, CibStore } from '../../src/cib/cib-store.ts';
import { CibError } from '../../src/cib/xml.ts';
import { keys } from '../../src/cib/store-layout.ts';

const CONFIG = `<configuration><crm_config/><nodes/><resources>
  <primitive id="a" class="ocf" provider="heartbeat" type="Dummy"/></resources><constraints/></configuration>`;

test('concurrent configuration change: the second writer with the same expected revision is refused, nothing merged', async () => {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, 'c1');
  const first = await cib.replaceConfiguration(CONFIG, 0);
  assert.equal(first.epoch, 1);
  const loaded = (await cib.loadConfiguration())!;
  await cib.replaceConfiguration(CONFIG.replace('id="a"', 'id="b"'), loaded.revision);
  await assert.rejects(cib.replaceConfiguration(CONFIG.replace('id="a"', 'id="c"'), loaded.revision), (err: unknown) => err instanceof CibConflictError && /changed concurrently/.test(err.message));
  const now = (await cib.loadConfiguration())!;
  assert.match(now.record.xml, /id="b"/);
  assert.equal(now.record.epoch, 2);
  // updateConfiguration retries on conflict: two concurrent edits both land.
  await Promise.all([
    cib.updateConfiguration((cfg) => void cfg.children.find((e) => e.name === 'resources')!.children.push({ name: 'primitive', attrs: { id: 'x', class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, children: [] })),
    cib.updateConfiguration((cfg) => void cfg.children.find((e) => e.name === 'resources')!.children.push({ name: 'primitive', attrs: { id: 'y', class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, children: [] })),
  ]);
  const both = (await cib.loadConfiguration())!.record.xml;
  assert.match(both, /id="x"/);
  assert.match(both, /id="y"/);
  await store.destroy();
});

test('bad XML and an invalid configuration are refused with a clear error and nothing is stored', async () => {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, 'c1');
  const before = store.revision;
  await assert.rejects(cib.replaceConfiguration('<configuration><crm_config>', 0), (e: unknown) => e instanceof CibError && /malformed XML/.test(e.message));
  await assert.rejects(cib.replaceConfiguration('<configuration><crm_config/><nodes/><resources><primitive id="a"/></resources><constraints/></configuration>', 0), (e: unknown) => e instanceof CibError && /primitive id=a/.test(e.message));
  await assert.rejects(cib.replaceConfiguration('<resources/>', 0), /root element must be <configuration> or <cib>/);
  await assert.rejects(cib.importCib('<cib><configuration><crm_config/></configuration></cib>'), /missing <nodes>/);
  assert.equal(store.revision, before, 'no write happened');
  assert.equal((await store.list(keys.root('c1'))).kvs.length, 0);
  await store.destroy();
});

test('importCib loads a Pacemaker cib.xml: configuration with its epoch, and its status tickets', async () => {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, 'c1');
  const xml = `<cib epoch="41" admin_epoch="2" num_updates="7" validate-with="pacemaker-3.7">${CONFIG}
    <status><tickets><ticket_state id="t1" granted="true" last-granted="1700000000"/></tickets></status></cib>`;
  const res = await cib.importCib(xml);
  assert.equal(res.epoch, 41);
  assert.equal(res.tickets, 1);
  const t = await cib.getTicket('t1');
  assert.deepEqual(t, { id: 't1', granted: true, lastGranted: 1700000000 });
  const loaded = (await cib.loadConfiguration())!;
  assert.equal(loaded.record.adminEpoch, 2);
  assert.equal(loaded.record.cibAttrs['validate-with'], 'pacemaker-3.7');
  await store.destroy();
});

test('markNodeStopped: one txn sets expected=down, clears history and transient attributes, writes the fencing record', async () => {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, 'c1');
  await cib.replaceConfiguration(CONFIG, 0);
  await cib.ensureNode('n1');
  await cib.setNodeAttribute('n1', 'fail-count-a', '1');
  await cib.recordOperation('n1', 'a', { class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, { operation: 'start', intervalMs: 0, rc: 0, status: 'done', callId: 3, startedAt: Date.now() });
  const rev = store.revision;
  const after = await cib.markNodeStopped('n1', { id: 'f1', target: 'n1', action: 'self-fence', result: 'self-fenced', completedAt: Date.now() });
  assert.equal(after, rev + 1, 'exactly one revision');
  assert.equal((await cib.getNode('n1'))!.expected, 'down');
  assert.deepEqual(await cib.listHistory('n1'), []);
  assert.deepEqual(await cib.listNodeAttributes('n1'), {});
  assert.ok((await store.get(keys.fencing('c1', 'n1', 'f1'))).kv);
  await store.destroy();
});
