// tandemd's configuration: layering (defaults < file < TANDEM_* env < flags) and validation errors
// that name the setting at fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/daemon/config.ts';
import { validateTiming } from '../../src/daemon/tandemd.ts';

const base = ['--cluster', 'c1', '--node', 'n1', '--node-id', '1', '--address', '10.77.0.1'];

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('no error');
}

test('the lab command line loads as given', () => {
  const c = loadConfig({
    env: {},
    argv: [...base, '--store', 'etcd', '--etcd-endpoints', 'http://10.77.0.1:2379,http://10.77.0.2:2379', '--api-port', '7500', '--state-dir', '/tmp/x', '--cib', '/tmp/cib.xml'],
    validateTiming,
  });
  assert.equal(c.cluster, 'c1');
  assert.equal(c.nodeId, 1);
  assert.equal(c.store, 'etcd');
  assert.deepEqual(c.etcdEndpoints, ['http://10.77.0.1:2379', 'http://10.77.0.2:2379']);
  assert.equal(c.apiPort, 7500);
  assert.equal(c.stateDir, '/tmp/x');
  assert.equal(c.cib, '/tmp/cib.xml');
});

test('flags win over TANDEM_* variables, which win over the JSON file, which wins over defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cfg-'));
  const file = join(dir, 'tandemd.json');
  writeFileSync(file, JSON.stringify({ cluster: 'fromfile', node: 'n9', nodeId: 9, apiPort: 1111, logLevel: 'warn', timing: { heartbeatMs: 40 } }));
  const c = loadConfig({ env: { TANDEM_CONFIG: file, TANDEM_API_PORT: '2222', TANDEM_NODE: 'envnode' }, argv: ['--node', 'flagnode'], validateTiming });
  assert.equal(c.cluster, 'fromfile');
  assert.equal(c.node, 'flagnode');
  assert.equal(c.apiPort, 2222);
  assert.equal(c.logLevel, 'warn');
  assert.equal(c.store, 'embedded');
  assert.equal(c.timing.heartbeatMs, 40);
});

test('validation errors name the setting', () => {
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: ['--node', 'n1', '--node-id', '1'] })).setting, 'cluster');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--node-id', 'zero'] })).setting, 'node-id');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--address', 'not-an-ip'] })).setting, 'address');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--store', 'zookeeper'] })).setting, 'store');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--store', 'etcd'] })).setting, 'etcd-endpoints');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--etcd-endpoints', 'nope'] })).setting, 'etcd-endpoints');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--api-port', '70000'] })).setting, 'api-port');
  assert.equal(errorOf(() => loadConfig({ env: { TANDEM_LOG_LEVEL: 'loud' }, argv: base })).setting, 'log-level');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--bogus', '1'] })).setting, 'bogus');
  const e = errorOf(() => loadConfig({ env: {}, argv: [...base, '--api-port', 'x'] }));
  assert.match(e.message, /^invalid setting api-port: must be an integer 0-65535, got 'x'$/);
});

test('the timing budget is validated at load and the error names the broken setting', () => {
  const e = errorOf(() => loadConfig({ env: {}, argv: [...base, '--timing', 'suspectMs=60'], validateTiming }));
  assert.equal(e.setting, 'timing.suspectMs');
  assert.match(e.message, /suspectMs \(60\) must be > 2 x heartbeatMs/);
  const env = errorOf(() => loadConfig({ env: { TANDEM_TIMING_LEASETTLMS: '1500' }, argv: base, validateTiming }));
  assert.match(env.message, /leaseTtlMs/);
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--timing', 'heartbeatMs=-3'], validateTiming })).setting, 'timing.heartbeatMs');
  assert.doesNotThrow(() => loadConfig({ env: {}, argv: [...base, '--timing', 'heartbeatMs=40', '--timing', 'suspectMs=250'], validateTiming }));
});

test('API settings: TLS files, bootstrap admin from files or the environment, secrets key file; errors name the setting', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cfg-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  writeFileSync(cert, '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n');
  writeFileSync(key, '-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n');
  const pw = join(dir, 'pw');
  writeFileSync(pw, 'a-long-password\n');
  const tok = join(dir, 'tok');
  const token = `tdm_${'ab'.repeat(8)}_${'x'.repeat(30)}`;
  writeFileSync(tok, token + '\n');
  const sk = join(dir, 'secrets.key');
  writeFileSync(sk, 'cd'.repeat(32));

  const c = loadConfig({ env: {}, argv: [...base, '--tls-cert', cert, '--tls-key', key, '--admin-user', 'ops', '--admin-password-file', pw, '--admin-token-file', tok, '--secrets-key-file', sk] });
  assert.equal(c.tlsCert, cert);
  assert.deepEqual(c.admin, { user: 'ops', password: 'a-long-password', token });
  assert.equal(c.secretsKeyFile, sk);
  // The token and password may come from the environment (never from a flag); the user defaults to admin.
  assert.deepEqual(loadConfig({ env: { TANDEM_ADMIN_TOKEN: token, TANDEM_ADMIN_PASSWORD: 'another-password' }, argv: base }).admin, { user: 'admin', password: 'another-password', token });
  assert.equal(loadConfig({ env: {}, argv: base }).admin, undefined);

  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--tls-cert', cert] })).setting, 'tls-key');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--tls-key', key] })).setting, 'tls-cert');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--tls-cert', key, '--tls-key', key] })).setting, 'tls-cert');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--tls-cert', cert, '--tls-key', join(dir, 'missing')] })).setting, 'tls-key');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--admin-token-file', pw] })).setting, 'admin-token-file');
  const bad = errorOf(() => loadConfig({ env: { TANDEM_ADMIN_TOKEN: 'hunter2' }, argv: base }));
  assert.equal(bad.setting, 'TANDEM_ADMIN_TOKEN');
  assert.doesNotMatch(bad.message, /hunter2/);
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--admin-password-file', join(dir, 'missing')] })).setting, 'admin-password-file');
  assert.equal(errorOf(() => loadConfig({ env: { TANDEM_ADMIN_PASSWORD: 'short' }, argv: base })).setting, 'TANDEM_ADMIN_PASSWORD');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--admin-user', 'bad user'] })).setting, 'admin-user');
  writeFileSync(join(dir, 'short.key'), 'abcd');
  assert.equal(errorOf(() => loadConfig({ env: {}, argv: [...base, '--secrets-key-file', join(dir, 'short.key')] })).setting, 'secrets-key-file');
});
