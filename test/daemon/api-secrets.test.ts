// tandemd (in process) serving the API over HTTPS with a bootstrap admin token from the
// configuration; a resource whose parameter is secret, created through the API: the agent runs
// with the clear value, while the store, the API's outputs and the logs hold it only encrypted or
// masked.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiClient, ApiError } from '../../src/api/client.ts';
import { makeToken } from '../../src/api/auth.ts';
import { generateSelfSignedCert } from '../../src/api/tls.ts';
import { createLogger, type LogRecord } from '../../src/controller/log.ts';
import { loadConfig } from '../../src/daemon/config.ts';
import { startTandemd, validateTiming } from '../../src/daemon/tandemd.ts';

async function until<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() - t0 > timeoutMs) assert.fail(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

test('tandemd serves HTTPS with the configured admin token; a secret parameter reaches the agent in clear and nothing else', { timeout: 120_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandemd-secrets-'));
  const tls = generateSelfSignedCert({ names: ['127.0.0.1'] });
  writeFileSync(join(dir, 'cert.pem'), tls.cert);
  writeFileSync(join(dir, 'key.pem'), tls.key);
  const token = makeToken();
  const config = loadConfig({
    env: { TANDEM_ADMIN_TOKEN: token },
    argv: ['--cluster', 'sec', '--node', 'solo', '--node-id', '1', '--address', '127.0.0.1', '--api-port', '0', '--state-dir', join(dir, 'state'), '--tls-cert', join(dir, 'cert.pem'), '--tls-key', join(dir, 'key.pem')],
    validateTiming,
  });
  const records: LogRecord[] = [];
  const logger = createLogger({ level: 'debug', sinks: [(r) => void records.push(r)] });
  const d = await startTandemd(config, { logger });
  const password = 'S3cret-db-pass-' + Math.random().toString(36).slice(2);
  const seen = join(dir, 'seen-by-agent');
  try {
    assert.match(d.url!, /^https:\/\/127\.0\.0\.1:\d+$/);
    const api = new ApiClient({ url: d.url!, token, ca: tls.cert });
    assert.equal((await api.whoami()).user, 'admin');
    await assert.rejects(new ApiClient({ url: d.url!, ca: tls.cert }).getStatus(), (e: unknown) => e instanceof ApiError && e.status === 401);

    // The cluster is empty; configure it through the API (secret values are encrypted on the way in).
    const cmd = `printf %s "$DB_PASSWORD" > ${seen}; exec sleep 600`;
    const xml = `<configuration>
      <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="solo"/></nodes>
      <resources>
        <primitive id="db" class="process" type="db"><instance_attributes id="db-ia">
          <nvpair id="db-cmd" name="command" value="${cmd.replace(/"/g, '&quot;').replace(/>/g, '&gt;')}"/>
          <nvpair id="db-pw" name="env_DB_PASSWORD" value="${password}"/>
        </instance_attributes><operations><op id="db-mon" name="monitor" interval="10s" timeout="20s"/></operations></primitive>
      </resources><constraints/></configuration>`;
    const current = await api.getConfig().catch(() => undefined);
    await api.putConfig({ xml, expectedRevision: current?.revision ?? 0 });

    const status = await until('db started', async () => {
      const s = await api.getStatus();
      return s.resources.find((r) => r.id === 'db' && r.role === 'Started') ? s : undefined;
    });
    assert.deepEqual(status.resources.find((r) => r.id === 'db')!.nodes, ['solo']);
    // The agent got the clear value...
    await until('the agent wrote what it saw', async () => (existsSync(seen) && readFileSync(seen, 'utf8') ? true : undefined), 5000);
    assert.equal(readFileSync(seen, 'utf8'), password);
    // ...and nothing else holds it: not the store (configuration, history, digests), not the API, not the logs.
    const { kvs } = await d.store.list('/tandem/sec/');
    const stored = kvs.map((kv) => kv.value).join('\n');
    assert.ok(!stored.includes(password), 'the store holds the secret in clear');
    assert.match(stored, /enc:v1:/);
    assert.ok(!(await api.getConfig()).xml.includes(password));
    assert.ok(!(await api.exportConfig()).includes(password));
    assert.ok(!JSON.stringify(await api.getStatus()).includes(password));
    assert.ok(!(await api.getStatusText()).includes(password));
    assert.ok(!JSON.stringify(records).includes(password), 'a log line holds the secret');
    // An admin may ask for it explicitly.
    assert.ok((await api.getConfig({ reveal: true })).xml.includes(password));

    // Stored (encrypted) values are what the history digests: no restart on the next transitions.
    await new Promise((r) => setTimeout(r, 1500));
    const later = await api.getStatus();
    assert.deepEqual(later.pending, [], `nothing should be pending, got ${later.pending.join('; ')}`);
    assert.deepEqual(later.failedActions, []);
  } finally {
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
