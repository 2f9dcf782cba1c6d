// Watchdog self-fencing, process-level path only (a real /dev/watchdog would reset this machine):
// at the deadline, or on expire, every registered resource process is SIGKILLed and tandemd exits;
// the supervisor process does the same on its own when tandemd's loop cannot.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { ProcessWatchdog, DeviceWatchdog, probeSoftdog } from '../../src/fencer/watchdog.ts';

const started: ChildProcess[] = [];
function sleeper(): ChildProcess {
  const c = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
  started.push(c);
  return c;
}
import { isRunning as alive, waitGone } from '../support/process.ts';
const exited = (c: ChildProcess) => new Promise<NodeJS.Signals | null>((r) => (c.exitCode !== null || c.signalCode !== null ? r(c.signalCode) : c.once('exit', (_code, sig) => r(sig))));
test.after(() => {
  for (const c of started) if (c.pid && alive(c.pid)) process.kill(c.pid, 'SIGKILL');
});

test('deadline passes without re-arm: registered resource processes get SIGKILL, then tandemd exits', async () => {
  const a = sleeper();
  const b = sleeper();
  const exits: string[] = [];
  const wd = new ProcessWatchdog({ supervised: false, exit: (why) => exits.push(why) });
  wd.register(a.pid!);
  wd.register(b.pid!, { group: true });
  wd.arm(Date.now() + 200);
  wd.arm(Date.now() + 300); // a re-arm moves the deadline
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(alive(a.pid!), true, 'nothing is killed before the deadline');
  assert.deepEqual(await Promise.all([exited(a), exited(b)]), ['SIGKILL', 'SIGKILL']);
  assert.equal(exits.length, 1);
  assert.match(exits[0]!, /deadline passed/);
});

test('disarm before the deadline: nothing is killed', async () => {
  const a = sleeper();
  const exits: string[] = [];
  const wd = new ProcessWatchdog({ supervised: false, exit: (why) => exits.push(why) });
  wd.register(a.pid!);
  wd.arm(150); // relative ms
  wd.disarm();
  await new Promise((r) => setTimeout(r, 300));
  assert.equal(alive(a.pid!), true);
  assert.deepEqual(exits, []);
});

test('expire(reason) resets at once', async () => {
  const a = sleeper();
  const exits: string[] = [];
  const wd = new ProcessWatchdog({ supervised: false, exit: (why) => exits.push(why) });
  wd.register(a.pid!);
  wd.expire('lost quorum with no-quorum-policy=suicide');
  assert.equal(await exited(a), 'SIGKILL');
  assert.deepEqual(exits, ['lost quorum with no-quorum-policy=suicide']);
});

test('the supervisor process alone (no in-process timer) kills the resources and the tandemd process at the deadline', async () => {
  const rsc = sleeper();
  const fakeTandemd = sleeper(); // stands in for tandemd: the supervisor kills it after the resources
  let resetEvent: { reason: string; killed: number[] } | undefined;
  const wd = new ProcessWatchdog({ inProcessTimer: false, tandemdPid: fakeTandemd.pid!, exit: () => assert.fail('in-process path must not run'), onSupervisorReset: (e) => (resetEvent = e) });
  wd.register(rsc.pid!, { group: true });
  wd.arm(Date.now() + 300);
  assert.deepEqual(await Promise.all([exited(rsc), exited(fakeTandemd)]), ['SIGKILL', 'SIGKILL']);
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(resetEvent?.killed, [rsc.pid]);
  assert.match(resetEvent!.reason, /deadline .* passed without re-arm/);
});

test('the supervisor disarmed and closed cleanly kills nothing', async () => {
  const rsc = sleeper();
  const wd = new ProcessWatchdog({ inProcessTimer: false, tandemdPid: 0, exit: () => assert.fail('no reset expected') });
  wd.register(rsc.pid!);
  wd.arm(Date.now() + 5000);
  await wd.close();
  await new Promise((r) => setTimeout(r, 100));
  assert.equal(alive(rsc.pid!), true);
});

test('bad registrations are refused with a clear error; the hardware watchdog needs an explicit opt-in', () => {
  const wd = new ProcessWatchdog({ supervised: false, exit: () => undefined });
  assert.throws(() => wd.register(1), /pid 1 is not a process id that can be registered/);
  assert.throws(() => wd.register(process.pid), /tandemd itself is not registered/);
  assert.throws(() => new DeviceWatchdog({ allowMachineReset: false }), /resets the whole machine.*allowMachineReset: true/);
  const probe = probeSoftdog('/nonexistent/watchdog');
  assert.equal(probe.devicePresent, false);
  assert.equal(typeof probe.softdogLoadable, 'boolean');
});
