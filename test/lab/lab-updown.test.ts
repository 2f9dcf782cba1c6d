// lab up / down leaves nothing behind: namespaces, processes, /tmp state, /etc/netns entries, and
// never a 10.77 address in the root namespace.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { test } from 'node:test';
import { down, gc, status, up } from '../../src/lab/lab.ts';
import { isAlive, type ProcRef } from '../../src/lab/procs.ts';
import { REPO_ROOT } from '../../src/lab/tandemd.ts';
import { readState, runDir, stateFile } from '../../src/lab/state.ts';
import { ip, labSkip, rootLabAddresses } from './helpers.ts';

const skip = labSkip();

test('lab up builds hosts, client and bridge; down removes every namespace, process and file', { skip, timeout: 120_000 }, async () => {
  const rootBefore = rootLabAddresses();
  const s = await up({ hosts: 3, responders: true, owner: 'self' });
  let torn = false;
  try {
    assert.ok(existsSync(stateFile(s.run)));
    const names = readdirSync('/run/netns').filter((n) => n.startsWith(s.prefix)).sort();
    assert.deepEqual(names, [`${s.prefix}br`, `${s.prefix}c1`, `${s.prefix}c2`, `${s.prefix}c3`, `${s.prefix}client`]);
    const st = status(s.run);
    for (const h of st.hosts) {
      assert.equal(h.power, 'on');
      assert.equal(h.link, 'up');
      assert.deepEqual(h.addresses, [`${s.hosts.find((x) => x.name === h.name)!.address}/24`]);
      assert.match(h.services.etcd!, /^pid \d+$/);
      assert.match(h.services.responder!, /^pid \d+$/);
    }
    assert.match(ip(s.client.netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'), new RegExp(` inet 10\\.77\\.${s.run}\\.2/24`));
    // nothing of the lab in the root namespace's network
    assert.deepEqual(rootLabAddresses(), rootBefore);

    const procs: ProcRef[] = s.hosts.flatMap((h) => [h.holder!, ...Object.values(h.services).map((x) => x!.proc!)]);
    assert.ok(procs.every(isAlive));
    const res = await down(s.run);
    torn = true;
    assert.equal(res.namespaces.length, 5);
    assert.ok(procs.every((p) => !isAlive(p)), 'every lab process is gone');
    assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(s.prefix)), []);
    assert.equal(existsSync(runDir(s.run)), false);
    for (const n of names) assert.equal(existsSync(`/etc/netns/${n}`), false);
    assert.deepEqual(rootLabAddresses(), rootBefore);
  } finally {
    if (!torn) await down(s.run);
  }
});

test('gc leaves a lab whose owner is alive', { skip, timeout: 60_000 }, async () => {
  const s = await up({ hosts: 1, owner: 'self' });
  try {
    const removed = await gc();
    assert.ok(!removed.includes(s.run));
    assert.ok(existsSync(stateFile(s.run)));
  } finally {
    await down(s.run);
  }
});

test('gc removes a lab whose owner died, leaving nothing behind', { skip, timeout: 120_000 }, async () => {
  // a child process builds a lab it owns and exits without tearing it down
  const code = `import { up } from ${JSON.stringify(new URL('../../src/lab/lab.ts', import.meta.url).pathname)};
const s = await up({ hosts: 1, owner: 'self' });
console.log(s.run);
process.exit(0);`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000, cwd: REPO_ROOT });
  const run = Number(r.stdout.trim().split('\n').pop());
  assert.ok(run > 0, `child built a lab: ${r.stderr}`);
  const prefix = `tl${run}-`;
  assert.ok(readdirSync('/run/netns').some((n) => n.startsWith(prefix)));
  const st = readState(run);
  const procs: ProcRef[] = [st.powerSwitch!, ...st.hosts.flatMap((h) => [h.holder!, ...Object.values(h.services).map((x) => x!.proc!)])];
  assert.ok(procs.every(isAlive));
  const removed = await gc();
  assert.ok(removed.includes(run), `gc removed run ${run} (removed: ${removed})`);
  assert.deepEqual(readdirSync('/run/netns').filter((n) => n.startsWith(prefix)), []);
  assert.equal(existsSync(runDir(run)), false);
  assert.ok(procs.every((p) => !isAlive(p)), 'gc killed the dead owner\'s lab processes');
});
