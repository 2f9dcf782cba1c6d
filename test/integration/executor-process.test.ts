// The built-in `process` class: Tandem's own supervisor, whose onExit is the fast path to recovery.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Executor, OcfRc, type OperationRequest, type OperationResult, type ProcessExitEvent, type ResourceSpec } from '../../src/executor/index.ts';
import { isAlive, killQuietly, makeTempOcfRoot, waitFor, type TempOcfRoot } from './executor-fixtures.ts';

let tmp: TempOcfRoot;
let executor: Executor;

before(async () => {
  tmp = makeTempOcfRoot();
  executor = new Executor({ ocfRoot: tmp.root });
  await executor.start();
});

after(async () => {
  await executor.shutdown();
  tmp.cleanup();
});

function proc(id: string, params: Record<string, string>): ResourceSpec {
  return { id, standard: 'process', type: 'process', params, meta: {} };
}

function op(rsc: ResourceSpec, action: OperationRequest['action'], timeoutMs = 5000): Promise<OperationResult> {
  return executor.execute({ rsc, action, intervalMs: 0, timeoutMs });
}

function pidFromStart(res: OperationResult): number {
  const m = /started pid (\d+)/.exec(res.stdout);
  assert.ok(m, `start names the pid: ${res.stdout}`);
  return Number(m[1]);
}

describe('process class', () => {
  it('fires onExit within 100 ms of the child being killed with SIGKILL', async () => {
    const rsc = proc('svc-kill', { command: 'exec sleep 300' });
    const start = await op(rsc, 'start');
    assert.equal(start.rc, OcfRc.SUCCESS);
    const pid = pidFromStart(start);
    try {
      assert.equal((await op(rsc, 'monitor')).rc, OcfRc.SUCCESS);
      const exited = new Promise<{ event: ProcessExitEvent; ms: number }>((resolve) => {
        const t0 = performance.now();
        const off = executor.onProcessExit((event) => {
          off();
          resolve({ event, ms: performance.now() - t0 });
        });
        process.kill(pid, 'SIGKILL');
      });
      const { event, ms } = await exited;
      assert.ok(ms < 100, `onExit after ${ms.toFixed(1)} ms`);
      assert.equal(event.rscId, 'svc-kill');
      assert.equal(event.pid, pid);
      assert.equal(event.signal, 'SIGKILL');
      const monitor = await op(rsc, 'monitor');
      assert.equal(monitor.rc, OcfRc.NOT_RUNNING, 'monitor answers from what the supervisor saw');
      assert.match(monitor.exitReason ?? '', /SIGKILL/);
      assert.equal((await op(rsc, 'stop')).rc, OcfRc.SUCCESS, 'stop of a dead process succeeds');
    } finally {
      killQuietly(pid);
    }
  });

  it('stops with SIGTERM without firing onExit', async () => {
    const rsc = proc('svc-term', { command: 'exec sleep 300' });
    const pid = pidFromStart(await op(rsc, 'start'));
    const events: ProcessExitEvent[] = [];
    const off = executor.onProcessExit((e) => events.push(e));
    try {
      const stop = await op(rsc, 'stop');
      assert.equal(stop.rc, OcfRc.SUCCESS);
      assert.match(stop.stdout, /SIGTERM/);
      assert.ok(!isAlive(pid));
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(events, [], 'an ordered stop is not an unexpected exit');
      assert.equal((await op(rsc, 'monitor')).rc, OcfRc.NOT_RUNNING);
    } finally {
      off();
      killQuietly(pid);
    }
  });

  it('escalates stop to SIGKILL for a child that ignores SIGTERM', async () => {
    const marker = join(tmp.work, 'ignoring-term');
    // The shell ignores TERM and so do the sleeps it forks (ignored signals survive exec).
    const rsc = proc('svc-stubborn', { command: `trap '' TERM; touch ${marker}; while :; do sleep 0.05; done`, stop_grace_ms: '200' });
    const pid = pidFromStart(await op(rsc, 'start'));
    try {
      assert.ok(await waitFor(() => existsSync(marker), 2000), 'the trap is in place');
      const stop = await op(rsc, 'stop');
      assert.equal(stop.status, 'done');
      assert.equal(stop.rc, OcfRc.SUCCESS);
      assert.match(stop.stdout, /SIGKILL/);
      assert.ok(stop.durationMs >= 190, `stop waited the grace period (${stop.durationMs} ms)`);
      assert.ok(await waitFor(() => !isAlive(pid), 500), 'the child is dead');
    } finally {
      killQuietly(pid);
    }
  });

  it('passes env_* parameters and cwd to the command', async () => {
    const out = join(tmp.work, 'greeting');
    const rsc = proc('svc-env', { command: `echo "$GREETING from $(pwd)" > ${out}; exec sleep 300`, env_GREETING: 'hello', cwd: tmp.work });
    const pid = pidFromStart(await op(rsc, 'start'));
    try {
      assert.ok(await waitFor(() => existsSync(out) && readFileSync(out, 'utf8').includes('\n'), 2000));
      assert.equal(readFileSync(out, 'utf8'), `hello from ${tmp.work}\n`);
    } finally {
      await op(rsc, 'stop');
      killQuietly(pid);
    }
  });

  it('monitors with a healthcheck command and a pid file', async () => {
    const healthy = join(tmp.work, 'healthy');
    const pidfile = join(tmp.work, 'svc.pid');
    const rsc = proc('svc-health', { command: `echo $$ > ${pidfile}; exec sleep 300`, healthcheck: `test -f ${healthy}`, pidfile });
    writeFileSync(healthy, '');
    const start = await op(rsc, 'start');
    assert.equal(start.rc, OcfRc.SUCCESS, 'start waits for the healthcheck to pass');
    const pid = pidFromStart(start);
    try {
      assert.ok(await waitFor(() => existsSync(pidfile), 1000));
      assert.equal((await op(rsc, 'monitor')).rc, OcfRc.SUCCESS);
      unlinkSync(healthy);
      const sick = await op(rsc, 'monitor');
      assert.equal(sick.rc, OcfRc.ERR_GENERIC);
      assert.match(sick.exitReason ?? '', /healthcheck/);
      writeFileSync(healthy, '');
      writeFileSync(pidfile, '999999999\n');
      const stale = await op(rsc, 'monitor');
      assert.equal(stale.rc, OcfRc.ERR_GENERIC);
      assert.match(stale.exitReason ?? '', /pid file/);
    } finally {
      await op(rsc, 'stop');
      killQuietly(pid);
    }
  });

  it('fails a start whose command dies within startup_ms', async () => {
    const res = await op(proc('svc-bad', { command: 'echo "no such config" >&2; exit 3', startup_ms: '300' }), 'start');
    assert.equal(res.rc, OcfRc.ERR_GENERIC);
    assert.match(res.exitReason ?? '', /exit code 3/);
    assert.match(res.stderr, /no such config/);
  });

  it('rejects a missing command as not configured', async () => {
    const res = await op(proc('svc-empty', {}), 'start');
    assert.equal(res.rc, OcfRc.ERR_CONFIGURED);
    assert.match(res.exitReason ?? '', /command/);
  });
});
