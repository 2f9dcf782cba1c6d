// The CLI against the real API: one version-checked write per command (a concurrent change in
// between is refused whole, as one line), no token or a read-only token is one line, and node
// standby goes through the API's node action.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CibStore } from '../../src/cib/cib-store.ts';
import { serializeXml } from '../../src/cib/xml.ts';
import { ApiClient } from '../../src/api/client.ts';
import { startApiServer } from '../../src/api/server.ts';
import { openEmbeddedStore } from '../../src/store/embedded.ts';
import { applyEdit, resolveTarget, type Target } from '../../src/cli/context.ts';
import { initialConfiguration, resourceCreate, findById } from '../../src/cli/edit/index.ts';
import { CliError } from '../../src/cli/errors.ts';
import { clusterState } from '../../src/cli/state.ts';

async function harness() {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, 'c');
  const server = await startApiServer({ store, cluster: 'c', node: 'n1', cib, admin: { user: 'root', password: 'admin-password-1' }, alerts: false });
  const target = resolveTarget({ url: server.url, token: server.adminToken! }, {});
  const api = new ApiClient({ url: server.url, token: server.adminToken! });
  return { server, target, api, close: async () => (await server.close(), await store.close()) };
}

async function cliError(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof CliError, `CliError expected, got ${String(err)}`);
    assert.ok(!err.message.includes('\n'));
    return err.message;
  }
  assert.fail('expected a failure');
}

test('API: edits are one version-checked PUT; a concurrent change between read and write is refused and nothing is applied', async () => {
  const h = await harness();
  try {
    const setup = await applyEdit(h.target, () => ({ config: initialConfiguration('c', ['n1', 'n2']), notes: [] }));
    assert.ok(setup.revision > 0);
    await applyEdit(h.target, (conf) => resourceCreate(conf, { id: 'a', agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' } }));
    // Someone else writes after our read: our write must be refused whole.
    const racing: Target = {
      ...h.target,
      readConfig: async () => {
        const got = await h.target.readConfig();
        const other = resourceCreate(got.conf, { id: 'theirs', agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' } }).config;
        await h.api.putConfig({ xml: serializeXml(other), expectedRevision: got.revision });
        return got;
      },
    };
    const msg = await cliError(applyEdit(racing, (conf) => resourceCreate(conf, { id: 'mine', agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' } })));
    assert.match(msg, /^the configuration changed while this command ran \(.*\); nothing was applied: run the command again$/);
    const { conf } = await h.target.readConfig();
    assert.ok(findById(conf, 'theirs'));
    assert.equal(findById(conf, 'mine'), undefined);
  } finally {
    await h.close();
  }
});

test('API: no token, a wrong token and an unreachable server are each one line saying what to do', async () => {
  const h = await harness();
  try {
    const anon = resolveTarget({ url: h.server.url }, {});
    assert.match(await cliError(anon.readConfig()), /^not authenticated at http:\/\/.*; pass --token or set TANDEM_TOKEN/);
    const wrong = resolveTarget({ url: h.server.url, token: 'tdm_nope' }, {});
    assert.match(await cliError(wrong.readConfig()), /^not authenticated/);
  } finally {
    await h.close();
  }
  const gone = resolveTarget({ url: h.server.url, token: 'x' }, {});
  assert.match(await cliError(gone.readConfig()), /^cannot reach http:.*; is tandemd running there\? set --url or TANDEM_URL/);
});

test('API: status through GET /status has the nodes of the configuration', async () => {
  const h = await harness();
  try {
    await applyEdit(h.target, () => ({ config: initialConfiguration('c', ['n1', 'n2']), notes: [] }));
    const st = await clusterState(h.target);
    assert.deepEqual(st.nodes.map((n) => n.name).sort(), ['n1', 'n2']);
  } finally {
    await h.close();
  }
});
