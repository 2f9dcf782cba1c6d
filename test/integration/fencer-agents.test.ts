// Debian's real fence agents through Tandem's runner and fencer:
// - fence_dummy (fence-agents' own test agent; its "power" is a status file): meta-data, status,
//   off/on/reboot, `list` (type=fail), and a real agent hanging past stonith-timeout.
// - fence_redfish against a local Redfish BMC (test/fixtures/fencer/redfish-server.ts, HTTPS on
//   127.0.0.1 with a throwaway certificate): each system stands for a lab node whose stand-in process
//   dies when the BMC powers it off. No traffic leaves the loopback interface.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawn, type ChildProcess } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fetchFenceMetadata, runFenceAgent } from '../../src/fencer/agent-runner.ts';
import { Fencer } from '../../src/fencer/fencer.ts';
import { cib } from '../fixtures/fencer/cib.ts';
import { startRedfish } from '../fixtures/fencer/redfish-server.ts';

const haveDummy = existsSync('/usr/sbin/fence_dummy');
const haveRedfish = existsSync('/usr/sbin/fence_redfish') && existsSync('/usr/bin/openssl');
const skipDummy = haveDummy ? false : 'fence-agents (fence_dummy) is not installed';
const skipRedfish = haveRedfish ? false : 'fence_redfish or openssl is not installed';

function tmp(t: { after: (fn: () => void) => void }): string {
  const d = mkdtempSync(join(tmpdir(), 'tandem-fa-'));
  t.after(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

test('fence_dummy meta-data parses: actions and parameters as the agent declares them', { skip: skipDummy }, async () => {
  const md = await fetchFenceMetadata('fence_dummy');
  assert.equal(md.name, 'fence_dummy');
  assert.equal(md.shortdesc, 'Dummy fence agent');
  for (const a of ['on', 'off', 'reboot', 'status', 'monitor', 'metadata']) assert.ok(md.actions.some((x) => x.name === a), `action ${a}`);
  assert.equal(md.actions.find((a) => a.name === 'on')!.automatic, false);
  assert.equal(md.actions.some((a) => a.name === 'list'), false);
  const sf = md.parameters.find((p) => p.name === 'status_file')!;
  assert.equal(sf.default, '/tmp/fence_dummy.status');
  assert.equal(md.parameters.find((p) => p.name === 'action')!.required, true);
});

test('fence_dummy through the runner: off → status 2 (off), on → status 0, exit codes mapped', { skip: skipDummy }, async (t) => {
  const file = join(tmp(t), 'power');
  const run = (action: string) => runFenceAgent({ agent: 'fence_dummy', action, params: { status_file: file, nodename: 'n2' }, timeoutMs: 20_000 });
  writeFileSync(file, 'on');
  assert.equal((await run('status')).outcome, 'ok');
  const off = await run('off');
  assert.equal(off.outcome, 'ok', off.stderr);
  assert.equal(readFileSync(file, 'utf8'), 'off');
  const st = await run('status');
  assert.equal(st.rc, 2);
  assert.equal(st.outcome, 'off');
  assert.equal((await run('on')).outcome, 'ok');
  assert.equal((await run('status')).rc, 0);
});

test('fence_dummy has no list action: pcmk_host_check=dynamic-list cannot use it, and the error says why', { skip: skipDummy }, async (t) => {
  const r = await runFenceAgent({ agent: 'fence_dummy', action: 'list', params: { type: 'fail' }, timeoutMs: 20_000 });
  assert.equal(r.outcome, 'failed');
  assert.match(r.error!, /fence_dummy action list failed with exit code 1: .*Unrecognised action 'list'/);
  const file = join(tmp(t), 'power');
  const f = new Fencer({ localNode: 'n2', cib: cib({ devices: [{ id: 'dl', agent: 'fence_dummy', attrs: { status_file: file, pcmk_host_check: 'dynamic-list' } }] }) });
  const res = await f.fence('n1', 'off', 'test');
  assert.equal(res.method, 'none');
  assert.match(res.error!, /dl could not list its targets \(pcmk_host_check=dynamic-list\): fence agent fence_dummy action list failed/);
  // Default host check for fence_dummy (no list, has status): status, which answers for any target.
  const g = new Fencer({ localNode: 'n2', cib: cib({ devices: [{ id: 'st', agent: 'fence_dummy', attrs: { status_file: file } }] }) });
  assert.deepEqual(await g.capableDevices('n1'), ['st']);
});

test('Fencer with a fence_dummy device: reboot of n1 succeeds and is recorded with device, times and requester', { skip: skipDummy }, async (t) => {
  const file = join(tmp(t), 'power');
  writeFileSync(file, 'on');
  const f = new Fencer({ localNode: 'n2', cib: cib({ devices: [{ id: 'dummy-n1', agent: 'fence_dummy', attrs: { status_file: file, pcmk_host_list: 'n1' } }] }) });
  const r = await f.fence('n1', 'reboot', 'n1 lost its lease', { requester: 'dc:n2' });
  assert.deepEqual(r, { ok: true, method: 'agent', device: 'dummy-n1' });
  const [op] = await f.history('n1');
  assert.equal(op!.result, 'ok');
  assert.equal(op!.requester, 'dc:n2');
  assert.deepEqual(op!.attempts.map((a) => [a.device, a.agentAction, a.result, a.rc]), [['dummy-n1', 'reboot', 'ok', 0]]);
});

test('a real agent hanging past stonith-timeout (fence_dummy random_sleep_range) → timeout recorded, retried, then failure', { skip: skipDummy }, async (t) => {
  const file = join(tmp(t), 'power');
  writeFileSync(file, 'on');
  const f = new Fencer({
    localNode: 'n2',
    cib: cib({
      options: { 'stonith-timeout': '1500ms', 'stonith-max-attempts': '2' },
      // random_sleep_range=30: sleeps 1..30 s; random in the agent is seeded by the OS, so allow
      // the rare draw of 1 s by checking only that any success came after a recorded timeout.
      devices: [{ id: 'slow', agent: 'fence_dummy', attrs: { status_file: file, pcmk_host_list: 'n1', random_sleep_range: '30' } }],
    }),
    roundPauseMs: 10,
  });
  const r = await f.fence('n1', 'off', 'test');
  const [op] = await f.history('n1');
  const results = op!.attempts.map((a) => a.result);
  if (r.ok) assert.ok(results.length === 1 || results[0] === 'timeout');
  else {
    assert.deepEqual(results, ['timeout', 'timeout']);
    assert.match(r.error!, /timed out after \d+ ms/);
    assert.equal(r.method, 'agent');
  }
});

test('fence_redfish against a local Redfish BMC: fencing n1 powers its system off and kills the node stand-in; n2 untouched', { skip: skipRedfish }, async (t) => {
  const nodes = new Map<string, ChildProcess>();
  for (const n of ['n1', 'n2']) nodes.set(n, spawn('sleep', ['300'], { detached: true, stdio: 'ignore' }));
  t.after(() => {
    for (const c of nodes.values()) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });
  const lab = await startRedfish({ systems: ['n1', 'n2'], username: 'admin', password: 'secret', onOff: (s) => nodes.get(s)?.kill('SIGKILL') });
  t.after(() => lab.close());
  const dev = (node: string, password = 'secret') => ({
    id: `bmc-${node}`,
    agent: 'fence_redfish',
    attrs: { ip: '127.0.0.1', ipport: String(lab.port), username: 'admin', password, ssl_insecure: '1', systems_uri: `/redfish/v1/Systems/${node}`, pcmk_host_list: node },
  });
  const f = new Fencer({ localNode: 'n2', cib: cib({ devices: [dev('n1'), dev('n2')] }) });
  assert.deepEqual(await f.capableDevices('n1'), ['bmc-n1']);

  const n1Exit = new Promise((r) => nodes.get('n1')!.once('exit', (_c, sig) => r(sig)));
  const r = await f.fence('n1', 'off', 'n1 lost its lease');
  assert.deepEqual(r, { ok: true, method: 'agent', device: 'bmc-n1' });
  assert.equal(await n1Exit, 'SIGKILL');
  assert.equal(lab.power.get('n1'), 'Off');
  assert.equal(lab.power.get('n2'), 'On');
  assert.equal(nodes.get('n2')!.exitCode, null);
  assert.ok(lab.requests.includes('POST /redfish/v1/Systems/n1/Actions/ComputerSystem.Reset ForceOff'));

  // Unfencing: on.
  assert.equal((await f.fence('n1', 'on', 'rejoin')).ok, true);
  assert.equal(lab.power.get('n1'), 'On');
});

test('fence_redfish with a wrong password: recorded failure with the agent\'s error, not a success', { skip: skipRedfish }, async (t) => {
  const lab = await startRedfish({ systems: ['n1'], username: 'admin', password: 'secret' });
  t.after(() => lab.close());
  const f = new Fencer({
    localNode: 'n2',
    cib: cib({
      options: { 'stonith-max-attempts': '1' },
      devices: [{ id: 'bmc-n1', agent: 'fence_redfish', attrs: { ip: '127.0.0.1', ipport: String(lab.port), username: 'admin', password: 'wrong', ssl_insecure: '1', systems_uri: '/redfish/v1/Systems/n1', pcmk_host_list: 'n1', pcmk_reboot_retries: '0' } }],
    }),
  });
  const r = await f.fence('n1', 'reboot', 'test');
  assert.equal(r.ok, false);
  assert.equal(r.method, 'agent');
  assert.match(r.error!, /bmc-n1: fence agent fence_redfish action reboot failed with exit code \d+/);
  assert.equal(lab.power.get('n1'), 'On');
  const [op] = await f.history('n1');
  assert.deepEqual(op!.attempts.map((a) => [a.device, a.result]), [['bmc-n1', 'failed']]);
});
