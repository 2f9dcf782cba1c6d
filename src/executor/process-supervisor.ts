// The built-in `process` class: Tandem starts a command itself and watches it, so a crash is known
// the instant the kernel reports it (SIGCHLD), not at the next monitor.
//
// Parameters:
//   command        the command line, run by /bin/sh -c (required)
//   cwd            working directory (default /)
//   env_<NAME>     environment variable NAME for the command
//   user           run as this user (name or numeric uid), with that user's primary group
//   pidfile        monitor also checks that the pid written in this file is alive
//   healthcheck    monitor (and start, until it passes) runs this via /bin/sh -c; exit 0 = healthy
//   startup_ms     start waits this long and fails if the process died meanwhile (default 0)
//   stop_grace_ms  time between SIGTERM and SIGKILL on stop (default: half the stop timeout, at most 5 s)

import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { killProcessGroup, runAgentProcess } from './agent-process.ts';
import { baseAgentEnvironment } from './ocf-environment.ts';
import { OutputTail } from './output-tail.ts';
import { syntheticResult, type ClassRunner, type RunContext } from './runner.ts';
import { OcfRc, type OperationRequest, type OperationResult } from './types.ts';

export interface ProcessExitEvent {
  rscId: string;
  pid: number;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  /** Epoch milliseconds of the exit as Node saw it. */
  at: number;
  stdout: string;
  stderr: string;
}

interface Supervised {
  child: ChildProcess;
  pid: number;
  state: 'running' | 'stopping' | 'exited';
  stdout: OutputTail;
  stderr: OutputTail;
  exit?: ProcessExitEvent;
  exited: Promise<void>;
}

const HEALTHCHECK_RETRY_MS = 100;

export const PROCESS_CLASS_METADATA = `<?xml version="1.0"?>
<resource-agent name="process" version="1.0">
  <version>1.1</version>
  <longdesc lang="en">A command started and supervised by Tandem itself: its exit is noticed at once.</longdesc>
  <shortdesc lang="en">Supervised process</shortdesc>
  <parameters>
    <parameter name="command" required="1"><longdesc lang="en">Command line, run by /bin/sh -c.</longdesc><shortdesc lang="en">Command</shortdesc><content type="string"/></parameter>
    <parameter name="cwd"><longdesc lang="en">Working directory.</longdesc><shortdesc lang="en">Working directory</shortdesc><content type="string" default="/"/></parameter>
    <parameter name="user"><longdesc lang="en">User to run the command as.</longdesc><shortdesc lang="en">User</shortdesc><content type="string"/></parameter>
    <parameter name="pidfile"><longdesc lang="en">Monitor checks that the pid in this file is alive.</longdesc><shortdesc lang="en">Pid file</shortdesc><content type="string"/></parameter>
    <parameter name="healthcheck"><longdesc lang="en">Command run by monitor; exit 0 means healthy. Start waits until it passes.</longdesc><shortdesc lang="en">Health check</shortdesc><content type="string"/></parameter>
    <parameter name="startup_ms"><longdesc lang="en">Start fails if the process dies within this many milliseconds.</longdesc><shortdesc lang="en">Startup window</shortdesc><content type="integer" default="0"/></parameter>
    <parameter name="stop_grace_ms"><longdesc lang="en">Milliseconds between SIGTERM and SIGKILL on stop.</longdesc><shortdesc lang="en">Stop grace</shortdesc><content type="integer"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="20s"/>
    <action name="stop" timeout="20s"/>
    <action name="monitor" timeout="20s" interval="10s"/>
    <action name="meta-data" timeout="5s"/>
    <action name="validate-all" timeout="5s"/>
  </actions>
</resource-agent>
`;

export class ProcessSupervisor implements ClassRunner {
  private readonly procs = new Map<string, Supervised>();

  constructor(private readonly onUnexpectedExit: (event: ProcessExitEvent) => void) {}

  /** Pid of a supervised process that is running, if any. */
  pidOf(rscId: string): number | undefined {
    const p = this.procs.get(rscId);
    return p?.state === 'running' ? p.pid : undefined;
  }

  async run(req: OperationRequest, ctx: RunContext): Promise<OperationResult> {
    const startedAt = Date.now();
    const problem = validate(req.rsc.params);
    switch (req.action) {
      case 'meta-data':
        return syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined, stdout: PROCESS_CLASS_METADATA });
      case 'validate-all':
        return problem ? syntheticResult('done', OcfRc.ERR_CONFIGURED, problem, startedAt) : syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined });
      case 'start':
        if (problem) return syntheticResult('done', OcfRc.ERR_CONFIGURED, problem, startedAt);
        return this.start(req, ctx, startedAt);
      case 'stop':
        return this.stop(req, startedAt);
      case 'monitor':
        return this.monitor(req, ctx, startedAt);
      default:
        return syntheticResult('error', OcfRc.ERR_UNIMPLEMENTED, `the process class has no ${req.action} action`, startedAt);
    }
  }

  /** Stops every supervised process (executor shutdown). */
  async stopAll(timeoutMs = 5000): Promise<void> {
    await Promise.all([...this.procs.keys()].map((id) => this.stopById(id, Math.min(timeoutMs / 2, 5000), timeoutMs)));
  }

  private async start(req: OperationRequest, ctx: RunContext, startedAt: number): Promise<OperationResult> {
    const { rsc } = req;
    if (this.pidOf(rsc.id) !== undefined) return syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined });
    const p = rsc.params;
    const cwd = p.cwd || '/';
    if (!(await isDirectory(cwd))) return syntheticResult('done', OcfRc.ERR_CONFIGURED, `cwd ${cwd} is not a directory`, startedAt);
    let ids: { uid: number; gid: number } | undefined;
    if (p.user) {
      ids = lookupUser(p.user);
      if (!ids) return syntheticResult('done', OcfRc.ERR_CONFIGURED, `user ${p.user} does not exist`, startedAt);
    }

    const env = { ...baseAgentEnvironment(ctx.env), ...commandEnv(p) };
    const child = spawn('/bin/sh', ['-c', p.command!], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'], uid: ids?.uid, gid: ids?.gid });
    const spawned = await new Promise<Error | undefined>((resolve) => {
      child.once('spawn', () => resolve(undefined));
      child.once('error', (err) => resolve(err));
    });
    if (spawned || child.pid === undefined) {
      return syntheticResult('error', OcfRc.ERR_GENERIC, `could not start ${rsc.id}: ${spawned?.message ?? 'no pid'}`, startedAt);
    }
    const entry = this.supervise(rsc.id, child);

    const deadline = startedAt + req.timeoutMs;
    const startupMs = Number(p.startup_ms ?? 0);
    if (startupMs > 0) await Promise.race([entry.exited, sleep(Math.min(startupMs, deadline - Date.now()))]);
    if (p.healthcheck) {
      while (entry.state === 'running' && Date.now() < deadline) {
        const check = await this.healthcheck(req, ctx, deadline - Date.now());
        if (check.rc === OcfRc.SUCCESS) break;
        await Promise.race([entry.exited, sleep(Math.min(HEALTHCHECK_RETRY_MS, Math.max(0, deadline - Date.now())))]);
      }
      if (entry.state === 'running' && Date.now() >= deadline) {
        await this.stopById(rsc.id, 0, 1000);
        return syntheticResult('timeout', OcfRc.ERR_GENERIC, `healthcheck of ${rsc.id} did not pass within ${req.timeoutMs} ms`, startedAt);
      }
    }
    if (entry.state !== 'running') {
      const e = entry.exit!;
      return syntheticResult('done', OcfRc.ERR_GENERIC, `${rsc.id} exited during start (${describeExit(e)})`, startedAt, { stdout: e.stdout, stderr: e.stderr });
    }
    return syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined, stdout: `started pid ${entry.pid}\n` });
  }

  private supervise(rscId: string, child: ChildProcess): Supervised {
    const stdout = new OutputTail(4096);
    const stderr = new OutputTail(4096);
    child.stdout!.on('data', (b: Buffer) => stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => stderr.push(b));
    let markExited!: () => void;
    const entry: Supervised = {
      child,
      pid: child.pid!,
      state: 'running',
      stdout,
      stderr,
      exited: new Promise<void>((r) => (markExited = r)),
    };
    this.procs.set(rscId, entry);
    child.on('error', () => {}); // signalling is done by process group; nothing else can fail here
    child.once('exit', (exitCode, signal) => {
      const wasExpected = entry.state === 'stopping';
      entry.state = 'exited';
      // The service is over: anything it forked goes too, so a restart starts clean.
      killProcessGroup(entry.pid, 'SIGKILL');
      child.stdout!.destroy();
      child.stderr!.destroy();
      entry.exit = { rscId, pid: entry.pid, exitCode, signal, at: Date.now(), stdout: stdout.text(), stderr: stderr.text() };
      markExited();
      if (!wasExpected) this.onUnexpectedExit(entry.exit);
    });
    return entry;
  }

  private async monitor(req: OperationRequest, ctx: RunContext, startedAt: number): Promise<OperationResult> {
    const entry = this.procs.get(req.rsc.id);
    if (!entry || entry.state === 'stopping') return syntheticResult('done', OcfRc.NOT_RUNNING, '', startedAt, { exitReason: undefined });
    if (entry.state === 'exited') {
      const e = entry.exit!;
      return syntheticResult('done', OcfRc.NOT_RUNNING, `${req.rsc.id} exited (${describeExit(e)})`, startedAt, { stdout: e.stdout, stderr: e.stderr });
    }
    const { pidfile, healthcheck } = req.rsc.params;
    if (pidfile) {
      const pid = await readPidFile(pidfile);
      if (pid === undefined || !isPidAlive(pid)) {
        return syntheticResult('done', OcfRc.ERR_GENERIC, `pid file ${pidfile} names no live process${pid ? ` (pid ${pid})` : ''}`, startedAt);
      }
    }
    if (healthcheck) {
      const check = await this.healthcheck(req, ctx, req.timeoutMs - (Date.now() - startedAt));
      if (check.rc !== OcfRc.SUCCESS) return { ...check, startedAt, durationMs: Date.now() - startedAt };
    }
    return syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined });
  }

  private async healthcheck(req: OperationRequest, ctx: RunContext, timeoutMs: number): Promise<OperationResult> {
    const p = req.rsc.params;
    const ids = p.user ? lookupUser(p.user) : undefined;
    const run = await runAgentProcess({
      file: '/bin/sh',
      args: ['-c', p.healthcheck!],
      env: { ...baseAgentEnvironment(ctx.env), ...commandEnv(p) },
      cwd: p.cwd || '/',
      timeoutMs: Math.max(1, timeoutMs),
      killGraceMs: ctx.killGraceMs,
      signal: ctx.signal,
      uid: ids?.uid,
      gid: ids?.gid,
    });
    const base = { stdout: run.stdout, stderr: run.stderr, startedAt: run.startedAt, durationMs: run.durationMs };
    if (run.exitCode === 0) return { ...base, rc: OcfRc.SUCCESS, status: 'done' };
    const how = run.timedOut ? 'timed out' : run.exitCode !== null ? `exit ${run.exitCode}` : `killed by ${run.exitSignal}`;
    return { ...base, rc: OcfRc.ERR_GENERIC, status: run.timedOut ? 'timeout' : 'done', exitReason: `healthcheck of ${req.rsc.id} failed (${how})` };
  }

  private async stop(req: OperationRequest, startedAt: number): Promise<OperationResult> {
    const graceParam = req.rsc.params.stop_grace_ms;
    const graceMs = graceParam !== undefined && graceParam !== '' ? Number(graceParam) : Math.min(req.timeoutMs / 2, 5000);
    const outcome = await this.stopById(req.rsc.id, graceMs, req.timeoutMs);
    if (outcome === 'timeout') return syntheticResult('timeout', OcfRc.ERR_GENERIC, `${req.rsc.id} did not exit within ${req.timeoutMs} ms, even after SIGKILL`, startedAt);
    return syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined, stdout: outcome ? `${outcome}\n` : '' });
  }

  /** Returns a line saying how the process ended, '' if there was none, or 'timeout'. */
  private async stopById(rscId: string, graceMs: number, timeoutMs: number): Promise<string> {
    const entry = this.procs.get(rscId);
    if (!entry) return '';
    if (entry.state === 'exited') {
      this.procs.delete(rscId);
      return '';
    }
    entry.state = 'stopping';
    const t0 = Date.now();
    let escalated = false;
    killProcessGroup(entry.pid, 'SIGTERM');
    const escalate = setTimeout(() => {
      escalated = true;
      killProcessGroup(entry.pid, 'SIGKILL');
    }, Math.max(0, graceMs));
    const finished = await Promise.race([entry.exited.then(() => true), sleep(timeoutMs).then(() => false)]);
    clearTimeout(escalate);
    if (!finished) return 'timeout';
    this.procs.delete(rscId);
    return escalated
      ? `stopped pid ${entry.pid} with SIGKILL: still running ${graceMs} ms after SIGTERM`
      : `stopped pid ${entry.pid} with SIGTERM after ${Date.now() - t0} ms`;
  }
}

function validate(params: Record<string, string>): string | undefined {
  if (!params.command?.trim()) return 'parameter "command" is required';
  for (const name of ['startup_ms', 'stop_grace_ms']) {
    const v = params[name];
    if (v !== undefined && v !== '' && !/^\d+$/.test(v)) return `parameter "${name}" must be a number of milliseconds (got "${v}")`;
  }
  return undefined;
}

function commandEnv(params: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) if (k.startsWith('env_') && k.length > 4) env[k.slice(4)] = v;
  return env;
}

function describeExit(e: ProcessExitEvent): string {
  return e.signal ? `pid ${e.pid} killed by ${e.signal}` : `pid ${e.pid} exit code ${e.exitCode}`;
}

/** uid and primary gid of a user name or numeric id, from /etc/passwd. */
export function lookupUser(user: string): { uid: number; gid: number } | undefined {
  let passwd: string;
  try {
    passwd = readFileSync('/etc/passwd', 'utf8');
  } catch {
    return undefined;
  }
  for (const line of passwd.split('\n')) {
    const [name, , uid, gid] = line.split(':');
    if (name === user || uid === user) return { uid: Number(uid), gid: Number(gid) };
  }
  return undefined;
}

/** True if the process exists and is not a zombie. */
export function isPidAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

async function readPidFile(path: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt((await readFile(path, 'utf8')).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, Math.max(0, ms)).unref?.());
}
