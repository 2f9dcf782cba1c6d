// Runs one agent invocation as its own process group, with a deadline.
// Why a process group: agents fork helpers (and daemons); on a timeout everything the agent started
// must go, not just the shell script we launched.

import { spawn } from 'node:child_process';
import { OutputTail, parseExitReason } from './output-tail.ts';

export interface AgentInvocation {
  file: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  timeoutMs: number;
  /** Time between SIGTERM and SIGKILL to the group once the deadline passed. */
  killGraceMs: number;
  uid?: number;
  gid?: number;
  /** Aborting kills the group the same way a timeout does; the run then reports `cancelled`. */
  signal?: AbortSignal;
  /** How much of stdout to keep (default 8 KiB); meta-data needs all of it. */
  stdoutLimitBytes?: number;
  /** Text written to the agent's stdin, then closed (fence agents read their options there). */
  stdin?: string;
}

export interface AgentRun {
  /** Exit code, or null when the agent died of a signal or never started. */
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  timedOut: boolean;
  cancelled: boolean;
  /** Set when the program could not be started at all (ENOENT, EACCES, ...). */
  spawnError?: NodeJS.ErrnoException;
  stdout: string;
  stderr: string;
  exitReason?: string;
  startedAt: number;
  durationMs: number;
}

/** How long to wait for the pipes to close after the agent exited. A daemon the agent left
 * behind may hold them open for ever; its output is not the agent's. */
const PIPE_DRAIN_MS = 50;

export function killProcessGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false; // ESRCH: the group is already gone
  }
}

export function runAgentProcess(inv: AgentInvocation): Promise<AgentRun> {
  const startedAt = Date.now();
  const t0 = performance.now();
  const stdout = new OutputTail(inv.stdoutLimitBytes);
  const stderr = new OutputTail();
  const reasons = new ExitReasonScanner();

  return new Promise<AgentRun>((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let settled = false;
    let exited = false;

    const child = spawn(inv.file, inv.args, {
      env: inv.env,
      cwd: inv.cwd,
      detached: true, // own process group (setsid), so the whole tree can be signalled
      stdio: [inv.stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      uid: inv.uid,
      gid: inv.gid,
    });
    if (inv.stdin !== undefined) {
      child.stdin!.on('error', () => {
        /* EPIPE: the agent did not read its input; its exit code tells the rest */
      });
      child.stdin!.end(inv.stdin);
    }
    child.stdout!.on('data', (b: Buffer) => stdout.push(b));
    child.stderr!.on('data', (b: Buffer) => {
      stderr.push(b);
      reasons.push(b);
    });

    const finish = (exitCode: number | null, exitSignal: NodeJS.Signals | null, spawnError?: NodeJS.ErrnoException) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(killTimer);
      inv.signal?.removeEventListener('abort', onAbort);
      const stderrText = stderr.text();
      resolve({
        exitCode,
        exitSignal,
        timedOut,
        cancelled,
        spawnError,
        stdout: stdout.text(),
        stderr: stderrText,
        exitReason: reasons.last() ?? parseExitReason(stderrText),
        startedAt,
        durationMs: Math.round(performance.now() - t0),
      });
    };

    const terminate = () => {
      if (child.pid === undefined) return;
      killProcessGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => killProcessGroup(child.pid!, 'SIGKILL'), inv.killGraceMs);
    };
    const deadline = setTimeout(() => {
      timedOut = true;
      terminate();
    }, inv.timeoutMs);
    const onAbort = () => {
      if (timedOut || cancelled || exited) return;
      cancelled = true;
      terminate();
    };
    if (inv.signal?.aborted) queueMicrotask(onAbort);
    else inv.signal?.addEventListener('abort', onAbort, { once: true });

    child.on('error', (err: NodeJS.ErrnoException) => {
      // Spawn failures (the child never ran) end the run; later errors change nothing.
      if (child.pid === undefined) finish(null, null, err);
    });
    child.once('exit', (code, sig) => {
      // The agent finished: a deadline passing while its pipes drain must not kill what it left
      // running (a daemon it started) nor turn a success into a timeout.
      exited = true;
      clearTimeout(deadline);
      if (timedOut || cancelled) {
        // The agent is gone; whatever it left in its group goes now rather than after the grace.
        clearTimeout(killTimer);
        killProcessGroup(child.pid!, 'SIGKILL');
      }
      const drain = setTimeout(() => {
        child.stdout!.destroy();
        child.stderr!.destroy();
        finish(code, sig);
      }, PIPE_DRAIN_MS);
      child.once('close', () => {
        clearTimeout(drain);
        finish(code, sig);
      });
    });
  });
}

/** Picks `ocf-exit-reason:` lines out of stderr as it streams, so a long log cannot push the
 * reason out of the kept tail. */
class ExitReasonScanner {
  private partial = '';
  private reason: string | undefined;

  push(chunk: Buffer): void {
    const text = this.partial + chunk.toString('utf8');
    const lines = text.split('\n');
    this.partial = lines.pop()!.slice(-4096);
    for (const line of lines) this.reason = parseExitReason(line) ?? this.reason;
  }

  last(): string | undefined {
    return parseExitReason(this.partial) ?? this.reason;
  }
}
