// bin/fence_tandem_lab powers lab hosts off and on through the run's power switch, from the root
// namespace and from inside another lab host, and answers status / list / monitor / metadata.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { down, execIn, up, waitEtcdHealthy } from '../../src/lab/lab.ts';
import { isAlive } from '../../src/lab/procs.ts';
import { readState, type LabState } from '../../src/lab/state.ts';
import { REPO_ROOT } from '../../src/lab/tandemd.ts';
import { labSkip } from './helpers.ts';

const skip = labSkip();
const AGENT = join(REPO_ROOT, 'bin', 'fence_tandem_lab');

function agent(input: string, args: string[] = []): { code: number; out: string; err: string } {
  const r = spawnSync(AGENT, args, { input, encoding: 'utf8', timeout: 60_000 });
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

test('metadata is fence-agents XML with the actions and parameters', () => {
  const r = agent('action=metadata\n');
  assert.equal(r.code, 0);
  assert.match(r.out, /^<\?xml version="1.0" \?>\n<resource-agent name="fence_tandem_lab"/);
  for (const a of ['on', 'off', 'reboot', 'status', 'list', 'monitor', 'metadata']) assert.match(r.out, new RegExp(`<action name="${a}"`));
  for (const p of ['action', 'plug', 'port', 'run']) assert.match(r.out, new RegExp(`<parameter name="${p}"`));
  const xmllint = spawnSync('xmllint', ['--noout', '-'], { input: r.out });
  if (!xmllint.error) assert.equal(xmllint.status, 0, 'well-formed XML');
});

test('a missing run or an unknown action fails with fence-agents\' error line', () => {
  const r = agent('action=status\nplug=c1\nrun=251\n');
  assert.equal(r.code, 1);
  assert.match(r.err, /^ERROR: Failed: lab run 251 does not exist/m);
});

describe('fence_tandem_lab on a lab', { skip, timeout: 180_000 }, () => {
  let s: LabState;
  before(async () => {
    s = await up({ hosts: 3, responders: true, owner: 'self' });
  });
  after(async () => {
    if (s) await down(s.run);
  });

  test('list, monitor and status', () => {
    const l = agent(`action=list\nrun=${s.run}\n`);
    assert.equal(l.code, 0, l.err);
    assert.equal(l.out, 'c1,c1\nc2,c2\nc3,c3\n');
    assert.equal(agent(`action=monitor\nrun=${s.run}\n`).code, 0);
    const st = agent(`action=status\nport=c2\nrun=${s.run}\n`);
    assert.equal(st.code, 0);
    assert.equal(st.out, 'Status: ON\n');
    assert.equal(agent(`action=status\nplug=c9\nrun=${s.run}\n`).code, 1);
  });

  test('off powers the host off (every process killed), status answers 2, on brings it back', async () => {
    const c2 = readState(s.run).hosts[1]!;
    const procs = [c2.holder!, c2.services.etcd!.proc!, c2.services.responder!.proc!];
    const off = agent(`action=off\nplug=c2\nrun=${s.run}\n`);
    assert.equal(off.code, 0, off.err);
    assert.equal(off.out, 'Success: Powered OFF\n');
    assert.ok(procs.every((p) => !isAlive(p)));
    const st = agent(`action=status\nplug=c2\nrun=${s.run}\n`);
    assert.equal(st.code, 2);
    assert.equal(st.out, 'Status: OFF\n');
    // off again is still a success (already off)
    assert.equal(agent(`action=off\nplug=c2\nrun=${s.run}\n`).code, 0);
    const on = agent('', ['-o', 'on', '-n', `tl${s.run}-c2`, '--run', String(s.run)]);
    assert.equal(on.code, 0, on.err);
    assert.equal(on.out, 'Success: Powered ON\n');
    assert.equal(agent(`action=status\nplug=c2\nrun=${s.run}\n`).code, 0);
    await waitEtcdHealthy(readState(s.run), 20_000);
  });

  test('from inside another host, as a fencer there would run it: reboot', async () => {
    const before = readState(s.run).hosts[2]!.holder!;
    const r = execIn(s.run, 'c1', [AGENT], { input: `action=reboot\nplug=c3\nrun=${s.run}\n` });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, 'Success: Rebooted\n');
    assert.equal(isAlive(before), false);
    const after = readState(s.run).hosts[2]!;
    assert.ok(isAlive(after.holder));
    assert.ok(isAlive(after.services.etcd!.proc));
    await waitEtcdHealthy(readState(s.run), 20_000);
  });
});
