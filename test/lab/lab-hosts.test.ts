// One 3-host lab: crash and restart a host, etcd through a member (leader) crash, and the prober and
// auditor watching a VIP moved by hand (with an overlap window while two hosts hold it) and a unique
// process running on two hosts.

import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { downtime, overlapWindows, placementChanges, writeGap } from '../../src/lab/analysis.ts';
import { AuditorProcess, EtcdWriter, Prober } from '../../src/lab/client.ts';
import { crash, down, execIn, restart, status, up, waitEtcdHealthy, waitEtcdLeader } from '../../src/lab/lab.ts';
import { isAlive, sleep } from '../../src/lab/procs.ts';
import { readState, type LabState } from '../../src/lab/state.ts';
import { ip, labSkip, rootLabAddresses } from './helpers.ts';

const skip = labSkip();

describe('lab hosts', { skip, timeout: 300_000 }, () => {
  let s: LabState;
  before(async () => {
    s = await up({ hosts: 3, responders: true, owner: 'self' });
  });
  after(async () => {
    if (s) await down(s.run);
  });

  test('crash: link down, every process of the host gone; restart: clean eth0, empty /run and /dev/shm, etcd rejoins with its data', async () => {
    const R = s.run;
    const c1 = readState(R).hosts[0]!;
    // leave traces that a restart must clear (a VIP, /run, /dev/shm) or keep (/var/lib/tandem)
    const vip = s.vips[0]!;
    for (const cmd of [
      ['ip', 'addr', 'add', `${vip}/24`, 'dev', 'eth0'],
      ['sh', '-c', 'echo x > /run/trace && echo x > /dev/shm/trace && echo x > /var/lib/tandem/trace'],
    ]) assert.equal(execIn(R, 'c1', cmd).status, 0);
    // /run and /dev/shm are the host's own
    assert.equal(existsSync('/run/trace'), false);
    assert.equal(existsSync('/dev/shm/trace'), false);
    assert.equal(readFileSync(`${c1.dir}/lib/trace`, 'utf8'), 'x\n');

    const before = [c1.holder!, c1.services.etcd!.proc!, c1.services.responder!.proc!];
    await crash(R, 'c1');
    assert.ok(before.every((p) => !isAlive(p)), 'holder, etcd and responder are dead');
    const st = status(R).hosts[0]!;
    assert.equal(st.power, 'off');
    assert.equal(st.link, 'down');
    assert.equal(st.processes, 0);
    assert.match(ip(`${s.prefix}br`, '-o', 'link', 'show', 'dev', 'c1'), /state DOWN|<[^>]*>/);

    await restart(R, 'c1');
    const st2 = status(R).hosts[0]!;
    assert.equal(st2.power, 'on');
    assert.equal(st2.link, 'up');
    assert.deepEqual(st2.addresses, [`${c1.address}/24`], 'the VIP is not back');
    assert.match(st2.services.etcd!, /^pid/);
    assert.match(st2.services.responder!, /^pid/);
    assert.equal(execIn(R, 'c1', ['sh', '-c', 'test ! -e /run/trace && test ! -e /dev/shm/trace && test -e /var/lib/tandem/trace']).status, 0);
    await waitEtcdHealthy(readState(R), 20_000);
  });

  test('etcd keeps taking writes through the crash of its leader', async () => {
    const R = s.run;
    const leader = await waitEtcdLeader(readState(R));
    const writer = new EtcdWriter(readState(R), { durationMs: 10_000 });
    await writer.ready;
    await sleep(500);
    const { at } = await crash(R, leader);
    await sleep(2500);
    const records = await writer.stop();
    const gap = writeGap(records, at);
    assert.ok(gap.gapMs !== undefined, `writes resumed (${records.length} records)`);
    assert.ok(gap.gapMs! < 5000, `writes resumed after ${gap.gapMs} ms`);
    const newLeader = await waitEtcdLeader(readState(R));
    assert.ok(newLeader && newLeader !== leader, `new leader ${newLeader}`);
    await restart(R, leader);
    await waitEtcdHealthy(readState(R), 20_000);
  });

  test('prober and auditor see a VIP moved by hand, with the overlap window while two hosts hold it', async (t) => {
    const R = s.run;
    const vip = s.vips[0]!;
    const st = readState(R);
    const auditor = new AuditorProcess(st, { vips: [vip], watch: ['unique-sleeper=^sleep 7\\.77$'], maxDurationMs: 60_000 });
    await auditor.ready;
    const prober = new Prober(st, { durationMs: 30_000 });
    try {
      const add = (h: string) => assert.equal(execIn(R, h, ['ip', 'addr', 'add', `${vip}/24`, 'dev', 'eth0']).status, 0);
      const del = (h: string) => assert.equal(execIn(R, h, ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']).status, 0);
      add('c1');
      assert.ok(await prober.waitFor((r) => !!r.ok && r.h === 'c1', 5000), 'c1 answers on the VIP');
      add('c2');
      assert.ok(await auditor.waitFor((x) => x.held[vip]!.length === 2, 2000), 'auditor sees both holders');
      await sleep(100);
      del('c1');
      // the client still has c1's MAC for the VIP: forget it as a gratuitous ARP would make it
      ip(st.client.netns, 'neigh', 'flush', 'all');
      const movedAt = performance.timeOrigin + performance.now();
      assert.ok(await prober.waitFor((r) => !!r.ok && r.h === 'c2', 5000), 'c2 answers on the VIP');
      // a unique process on two hosts at once
      for (const h of ['c1', 'c3']) assert.equal(execIn(R, h, ['sh', '-c', 'setsid sleep 7.77 </dev/null >/dev/null 2>&1 &']).status, 0);
      assert.ok(await auditor.waitFor((x) => x.held['unique-sleeper']!.length === 2, 3000), 'auditor sees the process on c1 and c3');
      await sleep(100);
      const samples = await auditor.stop();
      const records = await prober.stop();

      const windows = overlapWindows(samples, [vip]);
      assert.equal(windows.length, 1, JSON.stringify(windows));
      assert.deepEqual(windows[0]!.hosts.sort(), ['c1', 'c2']);
      assert.ok(windows[0]!.samples >= 2, 'the window spans several 20 ms samples');
      const moves = placementChanges(samples).filter((m) => m.resource === vip).map((m) => m.to.join('+'));
      assert.deepEqual(moves.slice(-3), ['c1', 'c1+c2', 'c2']);
      const procWindows = overlapWindows(samples, ['unique-sleeper']);
      assert.equal(procWindows.length, 1);
      assert.deepEqual(procWindows[0]!.hosts.sort(), ['c1', 'c3']);

      const d = downtime(records, movedAt, 'host');
      assert.equal(d.hostBefore, 'c1');
      assert.equal(d.hostAfter, 'c2');
      assert.ok(d.downtimeMs !== undefined && d.downtimeMs < 5000);
      // intervals: one sample every 20 ms on an idle machine; a loaded one (2 shared cores) stretches them
      const dt = (samples[samples.length - 1]!.t - samples[0]!.t) / (samples.length - 1);
      t.diagnostic(`auditor: ${samples.length} samples, mean interval ${dt.toFixed(1)} ms`);
      assert.ok(dt < 200, `mean sample interval ${dt.toFixed(1)} ms`);
      assert.deepEqual(rootLabAddresses().filter((l) => l.includes(vip)), []);
    } finally {
      await auditor.stop();
      await prober.stop();
      execIn(R, 'c1', ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
      execIn(R, 'c2', ['ip', 'addr', 'del', `${vip}/24`, 'dev', 'eth0']);
    }
  });
});
