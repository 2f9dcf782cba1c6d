// A lab run's record: /tmp/tandem-lab/R/state.json. Run R is claimed with an atomic mkdir of
// /tmp/tandem-lab/R; every later change goes through updateState(), which holds a mkdir lock.

import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, procRef, sleep, type ProcRef } from './procs.ts';

export const LAB_ROOT = process.env.TANDEM_LAB_DIR ?? '/tmp/tandem-lab';

export type ServiceName = 'etcd' | 'tandemd' | 'responder';

export interface ServiceRecord {
  /** Root-namespace PID and start time of the running process (absent while stopped). */
  proc?: ProcRef;
  /** PID inside the host's PID namespace. */
  nspid?: number;
  /** Argument vector run inside the host. */
  argv: string[];
  /** Started again when the host restarts. */
  enabled: boolean;
  log: string;
}

export interface HostRecord {
  name: string; // c1, c2, ...
  index: number; // 1-based
  netns: string; // tlR-c1
  address: string; // 10.77.R.(10+i)
  mac: string;
  /** PID 1 of the host's PID namespace (root-namespace PID), while the host is up. */
  holder?: ProcRef;
  /** The `unshare` process that forked the holder. */
  unshare?: ProcRef;
  power: 'on' | 'off';
  dir: string; // per-host directory on the machine
  services: Partial<Record<ServiceName, ServiceRecord>>;
}

export interface LabState {
  run: number;
  prefix: string; // tlR-
  subnet: string; // 10.77.R.0/24
  createdAt: string;
  /** The lab belongs to this process; `gc` removes labs whose owner is gone. */
  owner: ProcRef & { what: string };
  bridgeNs: string;
  client: { netns: string; address: string };
  hosts: HostRecord[];
  vips: string[];
  etcd: { heartbeatMs: number; electionMs: number; clientPort: number; peerPort: number };
  cibFile?: string;
  /** The run's power switch (power.ts), used by the lab fence agent. */
  powerSwitch?: ProcRef;
  phase: 'building' | 'up' | 'tearing-down';
}

export function runDir(run: number): string {
  return join(LAB_ROOT, String(run));
}

export function stateFile(run: number): string {
  return join(runDir(run), 'state.json');
}

/** Claim the first free run number in [first, 250] with an atomic mkdir; returns it. */
export function claimRun(preferred?: number): number {
  mkdirSync(LAB_ROOT, { recursive: true });
  const candidates: number[] = [];
  if (preferred !== undefined) candidates.push(preferred);
  else {
    const startAt = 1 + (process.pid % 200);
    for (let i = 0; i < 250; i++) candidates.push(((startAt - 1 + i) % 250) + 1);
  }
  for (const r of candidates) {
    if (r < 1 || r > 250) throw new Error(`run ${r} out of range 1..250 (subnet 10.77.R.0/24)`);
    try {
      mkdirSync(runDir(r));
      return r;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      if (preferred !== undefined) throw new Error(`run ${r} is taken (${runDir(r)} exists)`);
    }
  }
  throw new Error('no free lab run number');
}

export function readState(run: number): LabState {
  const f = stateFile(run);
  if (!existsSync(f)) throw new Error(`no lab run ${run} (${f} missing)`);
  return JSON.parse(readFileSync(f, 'utf8')) as LabState;
}

export function tryReadState(run: number): LabState | undefined {
  try {
    return readState(run);
  } catch {
    return undefined;
  }
}

export function writeState(state: LabState): void {
  const f = stateFile(state.run);
  const tmp = `${f}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2) + '\n');
  renameSync(tmp, f);
}

const LOCK_STALE_MS = 30_000;

async function lock(run: number): Promise<() => void> {
  const dir = join(runDir(run), 'lock');
  const deadline = Date.now() + 60_000;
  for (;;) {
    try {
      mkdirSync(dir);
      const me = procRef(process.pid)!;
      writeFileSync(join(dir, 'owner'), JSON.stringify({ ...me, at: Date.now() }));
      return () => {
        try {
          rmdirSyncForce(dir);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // A lock whose holder died (or is very old) is broken.
      try {
        const o = JSON.parse(readFileSync(join(dir, 'owner'), 'utf8')) as ProcRef & { at: number };
        if (!isAlive(o) || Date.now() - o.at > LOCK_STALE_MS) rmdirSyncForce(dir);
      } catch {
        /* owner file not written yet */
      }
      if (Date.now() > deadline) throw new Error(`lab run ${run}: lock busy`);
      await sleep(5);
    }
  }
}

function rmdirSyncForce(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Read-modify-write the state under the run's lock. */
export async function updateState<T>(run: number, fn: (s: LabState) => T | Promise<T>): Promise<T> {
  const release = await lock(run);
  try {
    const s = readState(run);
    const out = await fn(s);
    writeState(s);
    return out;
  } finally {
    release();
  }
}
