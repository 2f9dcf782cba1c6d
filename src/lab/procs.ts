// Process bookkeeping for the lab, all through /proc: a process is named by its PID *and* its start
// time (field 22 of /proc/PID/stat, in clock ticks since boot), so a PID the kernel reused for some
// other process is never signalled. Nothing here finds a process by its name.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface ProcRef {
  pid: number;
  /** Start time in clock ticks since boot (/proc/PID/stat field 22). */
  start: number;
}

export interface ProcInfo extends ProcRef {
  ppid: number;
  /** PID as seen inside the process's innermost PID namespace (last NSpid entry). */
  nspid: number;
  netns: number;
  pidns: number;
  mntns: number;
  cmdline: string[];
}

/** Start time of PID, or undefined when it does not exist (or is a zombie already reaped). */
export function startTime(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // comm (field 2) may contain spaces and parentheses: parse after the last ')'.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // rest[0] is field 3 (state); field 22 is rest[19].
    if (rest[0] === 'Z' || rest[0] === 'X') return undefined;
    return Number(rest[19]);
  } catch {
    return undefined;
  }
}

export function procRef(pid: number): ProcRef | undefined {
  const start = startTime(pid);
  return start === undefined ? undefined : { pid, start };
}

export function isAlive(ref: ProcRef | undefined): boolean {
  return !!ref && startTime(ref.pid) === ref.start;
}

/** Signal the process only when PID still names the same process (same start time). */
export function signalVerified(ref: ProcRef, signal: NodeJS.Signals = 'SIGKILL'): boolean {
  if (startTime(ref.pid) !== ref.start) return false;
  try {
    process.kill(ref.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/** Inode of a namespace link (/proc/PID/ns/KIND), or undefined. */
export function nsInode(pid: number | 'self', kind: 'net' | 'pid' | 'mnt'): number | undefined {
  try {
    const link = readlinkSync(`/proc/${pid}/ns/${kind}`);
    const m = /\[(\d+)\]/.exec(link);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

function readStatus(pid: number): { ppid: number; nspid: number } | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const ppid = Number(/^PPid:\s+(\d+)/m.exec(text)?.[1] ?? 0);
    const ns = /^NSpid:\s+([\d\s]+)$/m.exec(text)?.[1]?.trim().split(/\s+/).map(Number) ?? [pid];
    return { ppid, nspid: ns[ns.length - 1]! };
  } catch {
    return undefined;
  }
}

export function procInfo(pid: number): ProcInfo | undefined {
  const start = startTime(pid);
  if (start === undefined) return undefined;
  const st = readStatus(pid);
  if (!st) return undefined;
  let cmdline: string[] = [];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((s) => s.length > 0);
  } catch {
    return undefined;
  }
  return {
    pid,
    start,
    ppid: st.ppid,
    nspid: st.nspid,
    netns: nsInode(pid, 'net') ?? -1,
    pidns: nsInode(pid, 'pid') ?? -1,
    mntns: nsInode(pid, 'mnt') ?? -1,
    cmdline,
  };
}

export function allPids(): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0) out.push(pid);
  }
  return out;
}

/** Every process for which `match` holds; namespace links are read before anything else. */
export function scanProcs(match: (p: { pid: number; netns?: number; pidns?: number; mntns?: number }) => boolean): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const pid of allPids()) {
    if (pid === process.pid) continue;
    const cheap = { pid, netns: nsInode(pid, 'net'), pidns: nsInode(pid, 'pid'), mntns: nsInode(pid, 'mnt') };
    if (!match(cheap)) continue;
    const info = procInfo(pid);
    if (info) out.push(info);
  }
  return out;
}

/** SIGKILL each (verified), then wait until they are gone; returns those still alive at the deadline. */
export async function killAndWait(refs: ProcRef[], timeoutMs = 5000): Promise<ProcRef[]> {
  for (const r of refs) signalVerified(r, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  let left = refs.filter(isAlive);
  while (left.length > 0 && Date.now() < deadline) {
    await sleep(10);
    left = left.filter(isAlive);
  }
  return left;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Poll `fn` every `stepMs` until it returns a value other than undefined, or throw at the deadline. */
export async function waitFor<T>(what: string, fn: () => T | undefined | Promise<T | undefined>, timeoutMs: number, stepMs = 20): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(stepMs);
  }
}
