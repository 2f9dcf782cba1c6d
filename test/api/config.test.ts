import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { keys } from '../../src/cib/store-layout.ts';
import { ADMIN, CLUSTER, SECRET, rejects, startHarness, type Harness } from './helpers.ts';

describe('api configuration: version-checked changes, import/export, secrets, audit', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('PUT /config with a stale revision is 409 and changes nothing', async () => {
    const first = await h.admin.getConfig();
    const changed = first.xml.replace('<constraints/>', '<constraints>\n    <rsc_location id="web-n1" rsc="web" node="n1" score="10"/>\n  </constraints>');
    assert.notEqual(changed, first.xml);
    const ok = await h.admin.putConfig({ xml: changed, expectedRevision: first.revision });
    assert.ok(ok.revision > first.revision);
    const before = await h.admin.getConfig();
    // Someone else's edit based on the first read comes too late.
    const stale = first.xml.replace('<constraints/>', '<constraints>\n    <rsc_location id="web-n2" rsc="web" node="n2" score="10"/>\n  </constraints>');
    const e = await rejects(h.admin.putConfig({ xml: stale, expectedRevision: first.revision }), 409);
    assert.equal(e.code, 'conflict');
    assert.match(e.message, /changed concurrently/);
    const afterIt = await h.admin.getConfig();
    assert.equal(afterIt.revision, before.revision);
    assert.equal(afterIt.xml, before.xml);
    assert.doesNotMatch(afterIt.xml, /web-n2/);
  });

  it('bad XML is 400 naming the element, and nothing is stored', async () => {
    const cur = await h.admin.getConfig();
    const bad = cur.xml.replace('<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>', '<primitive id="web" class="ocf" type="Dummy"/>');
    assert.notEqual(bad, cur.xml);
    const e = await rejects(h.admin.putConfig({ xml: bad, expectedRevision: cur.revision }), 400);
    assert.match(e.message, /<primitive id=web>/);
    assert.match(e.message, /provider/);
    const unknown = cur.xml.replace('<constraints', '<bogus id="q"/><constraints');
    const e2 = await rejects(h.admin.putConfig({ xml: unknown, expectedRevision: cur.revision }), 400);
    assert.match(e2.message, /<bogus id=q>/);
    await rejects(h.admin.putConfig({ xml: '<configuration><resources>', expectedRevision: cur.revision }), 400);
    assert.equal((await h.admin.getConfig()).revision, cur.revision);
  });

  it('export then import round-trips the configuration (secrets kept though masked)', async () => {
    const before = await h.admin.getConfig({ reveal: true });
    const exported = await h.admin.exportConfig();
    assert.match(exported, /^<cib /);
    assert.match(exported, /<status\/>/);
    const r = await h.admin.importConfig({ xml: exported });
    assert.ok(r.revision > before.revision);
    const afterIt = await h.admin.getConfig({ reveal: true });
    assert.equal(afterIt.xml, before.xml);
    assert.equal((await h.admin.exportConfig()).replace(/epoch="\d+"/, ''), exported.replace(/epoch="\d+"/, ''));
  });

  it('a secret parameter is stored encrypted and never appears in config, export, status or the audit log', async () => {
    // Write it through the API (as an operator would), then look everywhere.
    const cur = await h.admin.getConfig({ reveal: true });
    assert.match(cur.xml, new RegExp(SECRET), 'an admin can reveal it');
    await h.admin.putConfig({ xml: cur.xml, expectedRevision: cur.revision });
    const raw = (await h.store.get(keys.config(CLUSTER))).kv!.value;
    assert.doesNotMatch(raw, new RegExp(SECRET), 'not in clear in the store');
    assert.match(raw, /enc:v1:/);
    const ro = await h.readOnly();
    const seen = [
      (await ro.getConfig()).xml,
      await ro.exportConfig(),
      JSON.stringify(await ro.getStatus()),
      await ro.getStatusText(),
      JSON.stringify(await ro.audit({ limit: 10000 })),
      await ro.metrics(),
      (await h.admin.getConfig()).xml,
      await h.admin.exportConfig(),
    ];
    for (const text of seen) {
      assert.doesNotMatch(text, new RegExp(SECRET));
      assert.doesNotMatch(text, /enc:v1:/);
    }
    assert.match(seen[0]!, /name="connstr" value="\*\*\*\*"/);
    // The masked value written back keeps the stored secret (and its ciphertext: no digest change).
    const masked = await h.admin.getConfig();
    await h.admin.putConfig({ xml: masked.xml, expectedRevision: masked.revision });
    assert.equal((await h.store.get(keys.config(CLUSTER))).kv!.value.match(/enc:v1:[^"\\]+/)![0], raw.match(/enc:v1:[^"\\]+/)![0]);
    assert.match((await h.admin.getConfig({ reveal: true })).xml, new RegExp(SECRET));
  });

  it('a refused change does not leak the secret into the audit log either', async () => {
    const cur = await h.admin.getConfig();
    const bad = cur.xml.replace('****', 'another-Secret-9876').replace('<constraints', '<bogus id="z"/><constraints');
    await rejects(h.admin.putConfig({ xml: bad, expectedRevision: cur.revision }), 400);
    const audit = JSON.stringify(await h.admin.audit({ limit: 10000 }));
    assert.doesNotMatch(audit, /another-Secret-9876/);
  });

  it('masked value for a secret that was never stored is refused naming the parameter', async () => {
    const cur = await h.admin.getConfig();
    const xml = cur.xml.replace('<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"/>', '<primitive id="web" class="ocf" provider="heartbeat" type="Dummy"><instance_attributes id="web-ia"><nvpair id="web-pw" name="password" value="****"/></instance_attributes></primitive>');
    const e = await rejects(h.admin.putConfig({ xml, expectedRevision: cur.revision }), 400);
    assert.match(e.message, /web-pw/);
    assert.match(e.message, /masked/);
  });

  it('the audit log names who changed what, with the revision', async () => {
    await h.admin.createUser({ user: 'alice', password: 'alice-password', role: 'admin' });
    const alice = h.anon.withToken((await h.anon.createToken({ user: 'alice', password: 'alice-password' })).token);
    const cur = await alice.getConfig();
    const r = await alice.putConfig({ xml: cur.xml, expectedRevision: cur.revision });
    const s = await alice.standby('n2');
    const f = await alice.fence('n2', { reason: 'test' });
    const { entries } = await h.admin.audit({ user: 'alice' });
    const find = (action: string) => entries.find((e) => e.action === action);
    assert.equal(find('config.replace')?.revision, r.revision);
    assert.equal(find('config.replace')?.result, 'ok');
    assert.equal(find('node.standby')?.target, 'n2');
    assert.equal(find('node.standby')?.revision, s.revision);
    assert.equal(find('fence')?.revision, f.revision);
    assert.ok(find('token.create'));
    assert.ok(entries.every((e) => e.user === 'alice'));
    const adminEntries = (await h.admin.audit({ user: ADMIN.user })).entries;
    assert.ok(adminEntries.some((e) => e.action === 'user.put' && e.target === 'alice'));
  });
});
