import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, chmodSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ApiClient } from '../../src/api/client.ts';
import type { AlertResult } from '../../src/api/alerts.ts';
import { generateSelfSignedCert } from '../../src/api/tls.ts';
import { encodeRecord, keys } from '../../src/cib/store-layout.ts';
import { CLUSTER, rejects, seedCib, startHarness, type Harness } from './helpers.ts';

describe('api over HTTPS with a generated certificate', () => {
  const tls = generateSelfSignedCert({ names: ['localhost', '127.0.0.1'] });
  let h: Harness;
  before(async () => {
    h = await startHarness({ tls });
  });
  after(async () => h.close());

  it('serves HTTPS that a client trusting the certificate can use', async () => {
    assert.match(h.server.url, /^https:\/\//);
    assert.equal((await h.admin.whoami()).role, 'admin');
    assert.equal((await h.admin.getStatus()).cluster, CLUSTER);
  });

  it('a client that does not trust the certificate cannot connect', async () => {
    const e = await rejects(new ApiClient({ url: h.server.url, token: h.server.adminToken! }).whoami(), 0);
    assert.match(e.message, /certificate/i);
  });

  it('a plain-HTTP client gets nothing from the HTTPS port', async () => {
    await assert.rejects(new ApiClient({ url: h.server.url.replace('https', 'http'), token: h.server.adminToken!, timeoutMs: 2000 }).whoami());
  });
});

describe('alert agents from the CIB <alerts> section', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-alert-'));
  const out = join(dir, 'out');
  const script = join(dir, 'alert.sh');
  const slow = join(dir, 'slow.sh');
  const results: AlertResult[] = [];
  let h: Harness;
  before(async () => {
    // Written to a temporary name and renamed, so the test never reads a half-written file.
    writeFileSync(script, `#!/bin/sh\nf="${out}.$CRM_alert_node_sequence.$CRM_alert_kind"\nenv | grep -E '^(CRM_alert_|EXTRA=)' | sort > "$f.tmp" && mv "$f.tmp" "$f"\n`);
    writeFileSync(slow, '#!/bin/sh\nsleep 30\n');
    chmodSync(script, 0o755);
    chmodSync(slow, 0o755);
    const alerts = `
    <alerts>
      <alert id="file" path="${script}">
        <instance_attributes id="file-ia"><nvpair id="file-extra" name="EXTRA" value="yes"/></instance_attributes>
        <recipient id="file-r" value="/var/log/tandem-alerts.log"/>
      </alert>
      <alert id="slow" path="${slow}">
        <meta_attributes id="slow-meta"><nvpair id="slow-t" name="timeout" value="300ms"/></meta_attributes>
        <select><select_fencing/></select>
      </alert>
    </alerts>`;
    h = await startHarness({ cibXml: seedCib(alerts), alerts: { onResult: (r) => results.push(r) } });
  });
  after(async () => {
    await h.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const waitFor = async (pred: () => boolean, what: string) => {
    const deadline = Date.now() + 8000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error(`${what} did not happen; results: ${JSON.stringify(results)}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  const envOf = (kind: string): Record<string, string> | undefined => {
    for (let seq = 1; seq < 50; seq++) {
      const f = `${out}.${seq}.${kind}`;
      if (existsSync(f)) return Object.fromEntries(readFileSync(f, 'utf8').trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
    }
    return undefined;
  };

  it('a failed resource operation runs the agent with CRM_alert_kind=resource and its variables', async () => {
    const entry = { id: 'db_monitor_10000', rsc: 'db', agent: { class: 'ocf', provider: 'heartbeat', type: 'Dummy' }, operation: 'monitor', operationKey: 'db_monitor_10000', callId: 9, rcCode: 7, opStatus: 0, intervalMs: 10000, execTime: 4, transitionKey: '3:2:0:abc' };
    await h.store.put(keys.history(CLUSTER, 'n1', 'db', 'db_monitor_10000'), encodeRecord(entry));
    await waitFor(() => envOf('resource') !== undefined && results.some((r) => r.kind === 'resource'), 'resource alert');
    const env = envOf('resource')!;
    assert.equal(env.CRM_alert_kind, 'resource');
    assert.equal(env.CRM_alert_node, 'n1');
    assert.equal(env.CRM_alert_rsc, 'db');
    assert.equal(env.CRM_alert_task, 'monitor');
    assert.equal(env.CRM_alert_interval, '10000');
    assert.equal(env.CRM_alert_rc, '7');
    assert.equal(env.CRM_alert_target_rc, '0');
    assert.equal(env.CRM_alert_recipient, '/var/log/tandem-alerts.log');
    assert.equal(env.EXTRA, 'yes');
    assert.match(env.CRM_alert_timestamp_epoch!, /^\d+$/);
    assert.ok(env.CRM_alert_version);
  });

  it('node and fencing events reach the agent; an agent past its timeout is killed and reported', async () => {
    await h.store.put(keys.member(CLUSTER, 'n2'), encodeRecord({ name: 'n2', id: '2', host: '127.0.0.1', port: 1, leaseId: '1', incarnation: 1, heartbeatMs: 50 }));
    await h.store.put(keys.fencing(CLUSTER, 'n2', 'f9'), encodeRecord({ id: 'f9', target: 'n2', action: 'reboot', result: 'ok', executioner: 'n1', origin: 'n1', completedAt: Date.now() }));
    await waitFor(() => envOf('node') !== undefined && envOf('fencing') !== undefined, 'node and fencing alerts');
    assert.equal(envOf('node')!.CRM_alert_desc, 'member');
    assert.equal(envOf('node')!.CRM_alert_node, 'n2');
    const f = envOf('fencing')!;
    assert.equal(f.CRM_alert_task, 'reboot');
    assert.equal(f.CRM_alert_rc, '0');
    await waitFor(() => results.some((r) => r.alert === 'slow'), 'slow alert result');
    const slowRes = results.find((r) => r.alert === 'slow')!;
    assert.equal(slowRes.ok, false);
    assert.match(slowRes.outcome, /timed out after 300 ms/);
    assert.ok(slowRes.durationMs < 5000);
    assert.ok(!results.some((r) => r.alert === 'slow' && r.kind !== 'fencing'), 'select_fencing limits the slow agent to fencing');
  });
});
