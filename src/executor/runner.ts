// What every resource class implements, and the result shapes they share.

import type { AgentRun } from './agent-process.ts';
import type { AgentEnvironmentOptions } from './ocf-environment.ts';
import { OcfRc, type OperationRequest, type OperationResult } from './types.ts';

export interface RunContext {
  env: AgentEnvironmentOptions;
  killGraceMs: number;
  /** Aborted when the operation is cancelled while running. */
  signal: AbortSignal;
}

export interface ClassRunner {
  run(req: OperationRequest, ctx: RunContext): Promise<OperationResult>;
}

/** A result the executor makes up itself, without running anything. */
export function syntheticResult(
  status: OperationResult['status'],
  rc: number,
  exitReason: string,
  startedAt = Date.now(),
  extra: Partial<OperationResult> = {},
): OperationResult {
  return { rc, status, stdout: '', stderr: '', exitReason, startedAt, durationMs: Date.now() - startedAt, ...extra };
}

/** A finished process as an operation result; `rc` is what the class made of the exit code. */
export function resultFromRun(run: AgentRun, what: string, mapExitCode: (code: number) => number): OperationResult {
  const base = { stdout: run.stdout, stderr: run.stderr, startedAt: run.startedAt, durationMs: run.durationMs };
  if (run.spawnError) {
    const notFound = run.spawnError.code === 'ENOENT';
    return {
      ...base,
      rc: notFound ? OcfRc.ERR_INSTALLED : OcfRc.ERR_GENERIC,
      status: notFound ? 'not-installed' : 'error',
      exitReason: `could not run ${what}: ${run.spawnError.message}`,
    };
  }
  if (run.timedOut) {
    return { ...base, rc: OcfRc.ERR_GENERIC, status: 'timeout', exitReason: `${what} timed out after ${run.durationMs} ms` };
  }
  if (run.cancelled) {
    return { ...base, rc: OcfRc.ERR_GENERIC, status: 'cancelled', exitReason: `${what} was cancelled` };
  }
  if (run.exitCode === null) {
    return {
      ...base,
      rc: OcfRc.ERR_GENERIC,
      status: 'error',
      exitReason: run.exitReason ?? `${what} was killed by ${run.exitSignal ?? 'a signal'}`,
    };
  }
  return { ...base, rc: mapExitCode(run.exitCode), status: 'done', exitReason: run.exitReason };
}

/** Refuses names that would step out of an agent directory ("../../bin/sh"). */
export function isSafeAgentName(name: string | undefined): name is string {
  return !!name && !name.includes('/') && name !== '.' && name !== '..' && !name.includes('\0');
}
