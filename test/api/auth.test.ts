import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../src/api/client.ts';
import { makeToken } from '../../src/api/auth.ts';
import { ADMIN, rejects, startHarness, type Harness } from './helpers.ts';

describe('api authentication and roles', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  it('refuses a request without a token with 401 and says how to get one', async () => {
    const e = await rejects(h.anon.getStatus(), 401);
    assert.equal(e.code, 'unauthorized');
    assert.match(e.message, /Bearer/);
    assert.match(e.message, /auth\/tokens/);
  });

  it('refuses a well-formed token that was never issued', async () => {
    await rejects(h.anon.withToken(makeToken()).getConfig(), 401);
  });

  it('refuses a malformed Authorization header', async () => {
    await rejects(h.anon.withToken('not-a-token').whoami(), 401);
  });

  it('refuses a wrong password when creating a token, and audits the attempt', async () => {
    await rejects(h.anon.createToken({ user: ADMIN.user, password: 'wrong-password' }), 401);
    await rejects(h.anon.createToken({ user: 'nobody', password: 'wrong-password' }), 401);
    const { entries } = await h.admin.audit();
    assert.ok(entries.some((e) => e.action === 'token.create' && e.result === 'refused' && e.user === ADMIN.user));
  });

  it('a revoked token is refused with 401 right after revocation', async () => {
    const t = await h.anon.createToken({ user: ADMIN.user, password: ADMIN.password, name: 'short-lived' });
    const c = h.anon.withToken(t.token);
    assert.equal((await c.whoami()).tokenId, t.id);
    await c.revokeToken(t.id);
    const e = await rejects(c.whoami(), 401);
    assert.match(e.message, /not valid|revoked/);
    await rejects(h.admin.revokeToken(t.id), 404);
  });

  it('a read-only user may read but changing the configuration is 403 naming the role', async () => {
    const ro = await h.readOnly();
    assert.equal((await ro.whoami()).role, 'read-only');
    const cfg = await ro.getConfig();
    const e = await rejects(ro.putConfig({ xml: cfg.xml, expectedRevision: cfg.revision }), 403);
    assert.equal(e.code, 'forbidden');
    assert.match(e.message, /read-only/);
    assert.match(e.message, /admin/);
    await rejects(ro.standby('n1'), 403);
    await rejects(ro.fence('n2'), 403);
    await rejects(ro.createUser({ user: 'x', password: 'xxxxxxxxxx', role: 'admin' }), 403);
    assert.equal((await h.admin.getConfig()).revision, cfg.revision, 'nothing changed');
  });

  it('a read-only user may not reveal secrets (403), may revoke only their own token', async () => {
    const ro = await h.readOnly();
    await rejects(ro.getConfig({ reveal: true }), 403);
    await rejects(ro.exportConfig({ reveal: true }), 403);
    const adminTokens = (await h.admin.listTokens()).tokens.filter((t) => t.user === ADMIN.user);
    await rejects(ro.revokeToken(adminTokens[0]!.id), 403);
    const mine = (await ro.listTokens()).tokens;
    assert.ok(mine.length >= 1 && mine.every((t) => t.role === 'read-only'));
  });

  it('deleting a user revokes their tokens', async () => {
    await h.admin.createUser({ user: 'temp', password: 'temp-password', role: 'admin' });
    const t = await h.anon.createToken({ user: 'temp', password: 'temp-password' });
    const c = h.anon.withToken(t.token);
    await c.whoami();
    const r = await h.admin.deleteUser('temp');
    assert.equal(r.tokensRevoked, 1);
    await rejects(c.whoami(), 401);
  });

  it('openapi.json needs no token; a bad request body is 400 naming the field', async () => {
    const doc = await h.anon.openapi();
    assert.equal(doc.openapi, '3.1.0');
    const e = await rejects(h.admin.putConfig({ xml: '<configuration/>', expectedRevision: -1 }), 400);
    assert.match(e.message, /body\.expectedRevision/);
  });

  it('a pre-made bootstrap token works (as the demo prints it)', async () => {
    const token = makeToken();
    const h2 = await startHarness({ admin: { user: 'demo', token } });
    try {
      const c = new ApiClient({ url: h2.server.url, token });
      assert.deepEqual(await c.whoami(), { user: 'demo', role: 'admin', tokenId: token.slice(4, 20) });
    } finally {
      await h2.close();
    }
  });
});
