// Shared set-up for the executor tests: a throwaway OCF_ROOT that holds Debian's real agents
// (heartbeat, pacemaker) next to small test agents, and process-liveness checks.

import { mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const SYSTEM_OCF_ROOT = '/usr/lib/ocf';

export interface TempOcfRoot {
  root: string;
  /** Scratch directory for state files. */
  work: string;
  /** Writes an executable agent ocf:test:<type>. */
  addAgent(type: string, script: string): string;
  cleanup(): void;
}

export function makeTempOcfRoot(): TempOcfRoot {
  const base = mkdtempSync(join(tmpdir(), 'tandem-executor-test-'));
  const root = join(base, 'ocf');
  const work = join(base, 'work');
  mkdirSync(join(root, 'resource.d', 'test'), { recursive: true });
  mkdirSync(work);
  symlinkSync(join(SYSTEM_OCF_ROOT, 'lib'), join(root, 'lib'));
  for (const provider of ['heartbeat', 'pacemaker']) {
    symlinkSync(join(SYSTEM_OCF_ROOT, 'resource.d', provider), join(root, 'resource.d', provider));
  }
  return {
    root,
    work,
    addAgent(type, script) {
      const path = join(root, 'resource.d', 'test', type);
      writeFileSync(path, script, { mode: 0o755 });
      return path;
    },
    cleanup: () => rmSync(base, { recursive: true, force: true }),
  };
}

/** True if the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** Polls until `check` holds or `timeoutMs` passes; returns whether it held. */
export async function waitFor(check: () => boolean, timeoutMs: number, everyMs = 10): Promise<boolean> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  return check();
}

export function readPid(path: string): number {
  const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
  if (!Number.isInteger(pid) || pid <= 0) throw new Error(`no pid in ${path}`);
  return pid;
}

/** Kills a process a test started, if a failed assertion left it behind. */
export function killQuietly(pid: number | undefined): void {
  if (pid === undefined) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
