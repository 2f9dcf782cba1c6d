// tandemd as the lab runs it: the real command line (bin/tandemd.mjs) with --store embedded starts,
// runs its resources, serves the API (a token is required; status through the typed client and as
// text), and idles cheaply (CPU and RSS measured).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { ApiClient, ApiError } from '../../src/api/client.ts';
import { makeToken } from '../../src/api/auth.ts';

const ROOT = new URL('../..', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const rest = f.slice(f.lastIndexOf(')') + 2).split(' ');
  return Number(rest[11]) + Number(rest[12]); // utime + stime
}

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m?.[1] ?? 0);
}

test('tandemd --store embedded starts its resources and serves the API with a token; idle CPU and RSS measured', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandemd-test-'));
  const cib = join(dir, 'cib.xml');
  writeFileSync(
    cib,
    `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration>
      <crm_config><cluster_property_set id="o"><nvpair id="o1" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
      <nodes><node id="1" uname="solo"/></nodes>
      <resources>
        <primitive id="dummy" class="ocf" provider="heartbeat" type="Dummy"><operations><op id="dm" name="monitor" interval="10s" timeout="20s"/></operations></primitive>
        <primitive id="sleeper" class="process" type="sleeper"><instance_attributes id="si"><nvpair id="sc" name="command" value="exec sleep 600"/></instance_attributes>
          <operations><op id="sm" name="monitor" interval="10s" timeout="20s"/></operations></primitive>
      </resources><constraints/></configuration><status/></cib>`,
  );
  const port = await freePort();
  const token = makeToken();
  const child = spawn(
    process.execPath,
    [join(ROOT, 'bin/tandemd.mjs'), '--cluster', 'solo', '--node', 'solo', '--node-id', '1', '--address', '127.0.0.1', '--store', 'embedded', '--cib', cib, '--api-port', String(port), '--state-dir', join(dir, 'state')],
    { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, TANDEM_ADMIN_TOKEN: token } },
  );
  let log = '';
  child.stderr.on('data', (d) => (log += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  try {
    const url = `http://127.0.0.1:${port}`;
    const api = new ApiClient({ url, token });
    const t0 = Date.now();
    let status: Awaited<ReturnType<ApiClient['getStatus']>> | undefined;
    for (;;) {
      try {
        status = await api.getStatus();
        if (status.resources.length === 2 && status.resources.every((r) => r.role === 'Started')) break;
      } catch (err) {
        if (err instanceof ApiError && err.status >= 400 && err.status !== 503) throw err; // 401 etc.: a real failure (0: not up yet)
      }
      if (Date.now() - t0 > 30_000) assert.fail(`tandemd did not start its resources within 30 s; log:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(status!.dc?.name, 'solo');
    assert.deepEqual(status!.resources.map((r) => `${r.id}@${r.nodes.join(',')}`).sort(), ['dummy@solo', 'sleeper@solo']);
    const text = await api.getStatusText();
    assert.match(text, /Current DC: solo/);
    assert.match(text, /dummy\s+\(ocf:heartbeat:Dummy\):\s+Started solo/);
    assert.equal((await api.whoami()).user, 'admin');
    // Without a token, or with a wrong one, nothing about the cluster is shown.
    const anon = await fetch(`${url}/api/v1/status`);
    assert.equal(anon.status, 401);
    assert.doesNotMatch(await anon.text(), /dummy|sleeper/);
    await assert.rejects(new ApiClient({ url, token: makeToken() }).getStatus(), (e: unknown) => e instanceof ApiError && e.status === 401);
    // The unauthenticated root only says where the API and its description are.
    const root = (await (await fetch(`${url}/`)).json()) as Record<string, string>;
    assert.equal(root.openapi, '/api/v1/openapi.json');
    assert.equal((await fetch(`${url}/status`)).status, 404);
    // Each decision is one JSON line with a sentence.
    assert.match(log, /"decision":true/);
    assert.match(log, /"msg":"started dummy on solo in \d+ ms/);

    // Idle: let it settle, then measure 10 s.
    await new Promise((r) => setTimeout(r, 2000));
    const hz = 100;
    const c0 = cpuTicks(child.pid!);
    const w0 = Date.now();
    await new Promise((r) => setTimeout(r, 10_000));
    const cpuPct = ((cpuTicks(child.pid!) - c0) / hz / ((Date.now() - w0) / 1000)) * 100;
    const rss = rssKb(child.pid!) / 1024;
    console.log(`# idle tandemd (1 node, embedded store, 2 resources with 10 s monitors): CPU ${cpuPct.toFixed(2)} % of one core over 10 s, RSS ${rss.toFixed(1)} MB`);
    assert.ok(rss < 200, `RSS ${rss} MB`);
  } finally {
    child.kill('SIGTERM');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 15_000))]);
    if (code === 'timeout') child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
  assert.match(log, /SIGTERM: stopping/);
});
