// Runs OCF resource agents: ${OCF_ROOT}/resource.d/<provider>/<type> <action>.

import { access, constants } from 'node:fs/promises';
import { runAgentProcess } from './agent-process.ts';
import { ocfEnvironment } from './ocf-environment.ts';
import { isSafeAgentName, resultFromRun, syntheticResult, type ClassRunner, type RunContext } from './runner.ts';
import { OcfRc, type OperationRequest, type OperationResult } from './types.ts';

/** Meta-data is parsed, not just shown: keep all of it (IPaddr2's is ~15 KiB). */
const META_DATA_LIMIT_BYTES = 1024 * 1024;

export function ocfAgentPath(ocfRoot: string, provider: string, type: string): string {
  return `${ocfRoot}/resource.d/${provider}/${type}`;
}

export async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export class OcfRunner implements ClassRunner {
  async run(req: OperationRequest, ctx: RunContext): Promise<OperationResult> {
    const { provider, type } = req.rsc;
    if (!isSafeAgentName(provider) || !isSafeAgentName(type)) {
      return syntheticResult('error', OcfRc.ERR_CONFIGURED, `ocf resource ${req.rsc.id} needs a provider and a type without '/' (got ${provider ?? '(none)'}:${type})`);
    }
    const path = ocfAgentPath(ctx.env.ocfRoot, provider, type);
    if (!(await isExecutable(path))) {
      return syntheticResult('not-installed', OcfRc.ERR_INSTALLED, `OCF agent ocf:${provider}:${type} is not installed: ${path} is missing or not executable`);
    }
    const run = await runAgentProcess({
      file: path,
      args: [req.action],
      env: ocfEnvironment(req, ctx.env),
      cwd: '/',
      timeoutMs: req.timeoutMs,
      killGraceMs: ctx.killGraceMs,
      signal: ctx.signal,
      ...(req.action === 'meta-data' ? { stdoutLimitBytes: META_DATA_LIMIT_BYTES } : {}),
    });
    return resultFromRun(run, `${req.action} of ${req.rsc.id} (ocf:${provider}:${type})`, (code) => code);
  }
}
