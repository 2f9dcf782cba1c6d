// The fence agent runner: the stdin protocol, exit-code mapping, timeouts that kill the agent's whole
// process group, list and meta-data parsing — against the lab agent in test/fixtures/fencer.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  formatAgentInput,
  parseFenceMetadata,
  parseListOutput,
  runFenceAgent,
  fetchFenceMetadata,
  FenceAgentError,
} from '../../src/fencer/agent-runner.ts';
import { AGENT_DIRS, labState } from '../fixtures/fencer/cib.ts';

import { isRunning as alive, waitGone } from '../support/process.ts';

test('the agent gets action and parameters as key=value lines on stdin, in order', () => {
  assert.equal(formatAgentInput('off', [['ip', '10.0.0.1'], ['port', 'n1'], ['nodename', 'n2']]), 'action=off\nip=10.0.0.1\nport=n1\nnodename=n2\n');
  assert.equal(formatAgentInput('status', { action: 'ignored', plug: 'x' }), 'action=status\nplug=x\n');
});

test('a parameter value with a line break is refused with an error naming the parameter', () => {
  assert.throws(() => formatAgentInput('off', { password: 'a\nb' }), (e: Error) => e instanceof FenceAgentError && /parameter 'password'.*line break/.test(e.message));
  assert.throws(() => formatAgentInput('off', { 'bad name': 'x' }), /parameter name 'bad name' is not valid/);
});

test('off, then status answers 2 (off), on, then status answers 0 — exit codes mapped', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const base = { agent: 'fence_lab', agentDirs: AGENT_DIRS, timeoutMs: 5000 };
  const params = { state_dir: s.dir, hosts: 'n1,n2', port: 'n1', nodename: 'n2' };
  const off = await runFenceAgent({ ...base, action: 'off', params });
  assert.equal(off.outcome, 'ok');
  assert.equal(off.rc, 0);
  const st = await runFenceAgent({ ...base, action: 'status', params });
  assert.equal(st.outcome, 'off');
  assert.equal(st.rc, 2);
  assert.equal((await runFenceAgent({ ...base, action: 'on', params })).outcome, 'ok');
  assert.equal((await runFenceAgent({ ...base, action: 'status', params })).outcome, 'ok');
  assert.deepEqual(readFileSync(`${s.dir}/calls.log`, 'utf8').trim().split('\n'), ['off n1 n2', 'status n1 n2', 'on n1 n2', 'status n1 n2']);
});

test('a failing agent gives outcome failed with its stderr message in the error', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const r = await runFenceAgent({ agent: 'fence_lab', agentDirs: AGENT_DIRS, timeoutMs: 5000, action: 'off', params: { state_dir: s.dir, fail: 'off', port: 'n1' } });
  assert.equal(r.outcome, 'failed');
  assert.equal(r.rc, 1);
  assert.match(r.error!, /fence_lab action off failed with exit code 1: .*lab device refuses off/);
});

test('a hanging agent times out and its whole process group (the sleeping child too) is killed', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const r = await runFenceAgent({ agent: 'fence_lab', agentDirs: AGENT_DIRS, timeoutMs: 400, killGraceMs: 200, action: 'off', params: { state_dir: s.dir, hang: 'off', port: 'n1' } });
  assert.equal(r.outcome, 'timeout');
  assert.match(r.error!, /timed out after 400 ms/);
  const child = Number(readFileSync(`${s.dir}/hang-child.pid`, 'utf8'));
  assert.equal(await waitGone(child, 2000), true, `the agent's child ${child} survived the timeout`);
});

test('a missing agent is not-installed with an error naming the agent and where it was looked for', async () => {
  const r = await runFenceAgent({ agent: 'fence_nonexistent_xyz', agentDirs: AGENT_DIRS, timeoutMs: 1000, action: 'off' });
  assert.equal(r.outcome, 'not-installed');
  assert.match(r.error!, /fence agent 'fence_nonexistent_xyz' is not installed \(looked in .*fixtures\/fencer, \/usr\/sbin\)/);
  await assert.rejects(() => runFenceAgent({ agent: '../etc/passwd', timeoutMs: 1000, action: 'off' }), /name '..\/etc\/passwd' is not valid/);
});

test('list output: port,alias and port alias lines; status lines and blanks skipped', () => {
  assert.deepEqual(parseListOutput('n1,lab-n1\nn2,lab-n2\n\nSuccess: done\n7 web7\nplain\n'), [
    { port: 'n1', alias: 'lab-n1' },
    { port: 'n2', alias: 'lab-n2' },
    { port: '7', alias: 'web7' },
    { port: 'plain' },
  ]);
});

test('list through the agent returns its hosts', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const r = await runFenceAgent({ agent: 'fence_lab', agentDirs: AGENT_DIRS, timeoutMs: 5000, action: 'list', params: { state_dir: s.dir, hosts: 'a,b,c' } });
  assert.deepEqual(parseListOutput(r.stdout).map((x) => x.port), ['a', 'b', 'c']);
});

test('meta-data of the lab agent: parameters with flags, actions with automatic=0 on', async () => {
  const md = await fetchFenceMetadata('fence_lab', { agentDirs: AGENT_DIRS });
  assert.equal(md.name, 'fence_lab');
  assert.equal(md.shortdesc, 'Lab fence agent (test fixture)');
  assert.deepEqual(md.actions.map((a) => a.name), ['on', 'off', 'reboot', 'status', 'list', 'monitor', 'metadata']);
  assert.equal(md.actions[0]!.automatic, false);
  const plug = md.parameters.find((p) => p.name === 'plug')!;
  assert.equal(plug.obsoletes, 'port');
  assert.equal(md.parameters.find((p) => p.name === 'port')!.deprecated, true);
  assert.equal(md.parameters.find((p) => p.name === 'state_dir')!.required, true);
  const nr = await fetchFenceMetadata('fence_lab_noreboot', { agentDirs: AGENT_DIRS });
  assert.equal(nr.actions.some((a) => a.name === 'reboot'), false);
});

test('bad meta-data is refused with an error saying what is wrong', () => {
  assert.throws(() => parseFenceMetadata('<foo/>', 'fence_x'), /fence_x meta-data root element is <foo>/);
  assert.throws(() => parseFenceMetadata('<resource-agent', 'fence_x'), /fence_x meta-data is not well-formed XML/);
  assert.throws(() => parseFenceMetadata('<resource-agent name="x"><parameters><parameter/></parameters></resource-agent>', 'fence_x'), /<parameter> without a name/);
});
