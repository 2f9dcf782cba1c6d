// IPaddr2 for real, in a network namespace of its own: nothing is added to the machine's network.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';

const NS = `tandemtest-${process.pid}`;
const DRIVER = fileURLToPath(new URL('./executor-netns-driver.ts', import.meta.url));
let nsReady = false;
let nsError = '';

before(() => {
  const ip = (...args: string[]) => execFileSync('ip', args, { stdio: 'pipe' });
  try {
    ip('netns', 'add', NS);
    nsReady = true;
    // A veth pair inside the namespace: IPaddr2 needs a real interface with an address in the subnet.
    ip('-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0p');
    for (const dev of ['lo', 'eth0', 'eth0p']) ip('-n', NS, 'link', 'set', dev, 'up');
    ip('-n', NS, 'addr', 'add', '10.77.250.1/24', 'dev', 'eth0');
  } catch (err) {
    nsError = err instanceof Error ? err.message : String(err);
  }
});

after(() => {
  if (nsReady) spawnSync('ip', ['netns', 'del', NS]);
});

describe('ocf:heartbeat:IPaddr2 in a throwaway network namespace', () => {
  it('adds the address on start, sees it on monitor, removes it on stop', (t) => {
    if (nsError) {
      t.skip(`cannot create network namespace ${NS}: ${nsError}`);
      return;
    }
    const params = { ip: '10.77.250.10', cidr_netmask: '24', nic: 'eth0' };
    const run = spawnSync(
      'ip',
      ['netns', 'exec', NS, process.execPath, '--import', 'tsx', DRIVER, JSON.stringify(params), 'eth0', 'monitor', 'start', 'monitor', 'stop', 'monitor'],
      { encoding: 'utf8', timeout: 60_000 },
    );
    assert.equal(run.status, 0, run.stderr);
    const steps = JSON.parse(run.stdout) as Array<{ action: string; rc: number; status: string; addrs: string; stderr: string }>;
    assert.deepEqual(steps.map((s) => [s.action, s.status, s.rc]), [
      ['monitor', 'done', 7],
      ['start', 'done', 0],
      ['monitor', 'done', 0],
      ['stop', 'done', 0],
      ['monitor', 'done', 7],
    ], JSON.stringify(steps, null, 1));
    assert.ok(!steps[0]!.addrs.includes('10.77.250.10/24'));
    assert.ok(steps[1]!.addrs.includes('10.77.250.10/24'), steps[1]!.addrs);
    assert.ok(!steps[3]!.addrs.includes('10.77.250.10/24'), steps[3]!.addrs);
    const root = execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' });
    assert.ok(!root.includes('10.77.250.'), 'the root namespace never got the address');
  });
});
