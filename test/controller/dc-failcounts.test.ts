// Fail counts as Pacemaker keeps them: migration-threshold moves a resource after N failures, and
// failure-timeout lets it come back once the failures expire (the DC re-plans right at the expiry).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setupDc, until } from './harness.ts';

function proc(id: string, pidFile: string, meta: Record<string, string>): string {
  return `<primitive id="${id}" class="process" type="${id}">
    <instance_attributes id="${id}-ia"><nvpair id="${id}-c" name="command" value="echo $$ > ${pidFile}; exec sleep 1000"/></instance_attributes>
    <meta_attributes id="${id}-ma">${Object.entries(meta).map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`).join('')}</meta_attributes>
    <operations><op id="${id}-mon" name="monitor" interval="1s" timeout="5s"/></operations></primitive>`;
}

async function killCurrent(pidFile: string, previous?: number): Promise<number> {
  const pid = await until(() => {
    if (!existsSync(pidFile)) return undefined;
    const p = Number(readFileSync(pidFile, 'utf8'));
    return p && p !== previous ? p : undefined;
  }, 10_000, 'a running process');
  process.kill(pid, 'SIGKILL');
  return pid;
}

test('migration-threshold=2: the second failure on a node moves the resource to another node', async () => {
  const dir = mkdtempSync('/tmp/tandem-fc-');
  const pidFile = join(dir, 'p.pid');
  const c = await setupDc({ resources: proc('p', pidFile, { 'migration-threshold': '2' }), constraints: '<rsc_location id="p-n2" rsc="p" node="n2" score="100"/>' });
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /^started p on n2/.test(r.msg), 10_000);
    const first = await killCurrent(pidFile);
    await c.sink.waitFor((r) => /^recovered p on n2/.test(r.msg), 10_000);
    assert.deepEqual(await c.runningOn('p'), ['n2'], 'one failure: recovered in place');
    await killCurrent(pidFile, first);
    const moved = await c.sink.waitFor((r) => /^(moved|recovered) p (to|from n2 to) n[13]/.test(r.msg), 10_000);
    assert.equal(await c.cib.getNodeAttribute('n2', 'fail-count-p#monitor_1000'), '2');
    const where = await c.runningOn('p');
    assert.ok(where.length === 1 && where[0] !== 'n2', `p runs on ${where}`);
    console.log(`# migration-threshold: ${moved.msg}`);
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('failure-timeout: once the failure expires the fail count is cleared and the resource returns to its preferred node', async () => {
  const dir = mkdtempSync('/tmp/tandem-fc-');
  const pidFile = join(dir, 'p.pid');
  const c = await setupDc({
    resources: proc('p', pidFile, { 'migration-threshold': '1', 'failure-timeout': '2s' }),
    constraints: '<rsc_location id="p-n2" rsc="p" node="n2" score="100"/>',
  });
  try {
    c.controller.start();
    await c.sink.waitFor((r) => /^started p on n2/.test(r.msg), 10_000);
    await killCurrent(pidFile);
    const failedAt = Date.now();
    await c.sink.waitFor((r) => /^(moved|recovered) p (to|from n2 to) n[13]/.test(r.msg), 10_000);
    const cleared = await c.sink.waitFor((r) => /^cleared the fail count of p on n2: its failure-timeout of 2 s passed/.test(r.msg), 8_000);
    const back = await c.sink.waitFor((r) => r.time >= cleared.time && /^moved p (to|from n[13] to) n2/.test(r.msg), 8_000);
    assert.equal(await c.cib.getNodeAttribute('n2', 'fail-count-p#monitor_1000'), undefined);
    assert.deepEqual(await c.runningOn('p'), ['n2']);
    console.log(`# failure-timeout: fail count cleared ${cleared.time - failedAt} ms after the failure; ${back.msg}`);
  } catch (err) {
    console.log(c.sink.records.filter((r) => r.decision).map((r) => `${r.time % 100000} ${r.msg}`).join('\n'));
    throw err;
  } finally {
    await c.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
