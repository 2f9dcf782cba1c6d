// Runs LSB init scripts (/etc/init.d/<type>) and maps their exit codes to OCF.

import { readFile } from 'node:fs/promises';
import { runAgentProcess } from './agent-process.ts';
import { baseAgentEnvironment } from './ocf-environment.ts';
import { isExecutable } from './ocf-runner.ts';
import { isSafeAgentName, resultFromRun, syntheticResult, type ClassRunner, type RunContext } from './runner.ts';
import { OcfRc, type OperationRequest, type OperationResult } from './types.ts';

export const DEFAULT_INIT_DIR = '/etc/init.d';

/** `status` codes (LSB 4.1, plus Pacemaker's 150/151) as OCF monitor codes. */
export function lsbStatusToOcf(code: number): number {
  switch (code) {
    case 0:
      return OcfRc.SUCCESS;
    case 1: // dead, pid file left behind
    case 2: // dead, lock file left behind
    case 3: // not running
      return OcfRc.NOT_RUNNING;
    case 150:
      return OcfRc.ERR_INSTALLED;
    case 151:
      return OcfRc.ERR_PERM;
    default: // 4 is "unknown": a failure, not a stopped service
      return OcfRc.ERR_GENERIC;
  }
}

/** Codes of actions other than `status`: 0-7 mean the same as in OCF, the rest is a failure. */
export function lsbActionToOcf(code: number): number {
  return code >= 0 && code <= 7 ? code : OcfRc.ERR_GENERIC;
}

export class LsbRunner implements ClassRunner {
  constructor(private readonly initDir = DEFAULT_INIT_DIR) {}

  scriptPath(type: string): string {
    return `${this.initDir}/${type}`;
  }

  async isInstalled(type: string): Promise<boolean> {
    return isSafeAgentName(type) && (await isExecutable(this.scriptPath(type)));
  }

  async run(req: OperationRequest, ctx: RunContext): Promise<OperationResult> {
    const startedAt = Date.now();
    const { type } = req.rsc;
    const path = this.scriptPath(type);
    if (!(await this.isInstalled(type))) {
      return syntheticResult('not-installed', OcfRc.ERR_INSTALLED, `LSB script lsb:${type} is not installed: ${path} is missing or not executable`);
    }
    switch (req.action) {
      case 'monitor':
        return this.invoke(req, ctx, 'status', req.timeoutMs, lsbStatusToOcf);
      case 'start':
      case 'stop':
        return this.idempotent(req, ctx, req.action, startedAt);
      case 'reload':
        return this.invoke(req, ctx, 'force-reload', req.timeoutMs, lsbActionToOcf);
      case 'validate-all':
        return syntheticResult('done', OcfRc.SUCCESS, '', startedAt);
      case 'meta-data':
        return syntheticResult('done', OcfRc.SUCCESS, '', startedAt, { exitReason: undefined, stdout: lsbMetadataXml(type, await readFile(path, 'utf8')) });
      default:
        return syntheticResult('error', OcfRc.ERR_UNIMPLEMENTED, `LSB scripts have no ${req.action} action`, startedAt);
    }
  }

  private invoke(req: OperationRequest, ctx: RunContext, verb: string, timeoutMs: number, map: (code: number) => number) {
    return runAgentProcess({
      file: this.scriptPath(req.rsc.type),
      args: [verb],
      env: { ...baseAgentEnvironment(ctx.env), ...(req.extraEnv ?? {}) },
      cwd: '/',
      timeoutMs,
      killGraceMs: ctx.killGraceMs,
      signal: ctx.signal,
    }).then((run) => resultFromRun(run, `${verb} of ${req.rsc.id} (lsb:${req.rsc.type})`, map));
  }

  /**
   * Pacemaker expects start on a running service and stop on a stopped one to succeed. Many init
   * scripts answer 1 instead, so a failed start/stop is checked against `status` before it is
   * believed.
   */
  private async idempotent(req: OperationRequest, ctx: RunContext, verb: 'start' | 'stop', startedAt: number): Promise<OperationResult> {
    const first = await this.invoke(req, ctx, verb, req.timeoutMs, lsbActionToOcf);
    if (first.status !== 'done' || first.rc === OcfRc.SUCCESS) return first;
    const remaining = req.timeoutMs - (Date.now() - startedAt);
    if (remaining <= 0) return first;
    const status = await this.invoke(req, ctx, 'status', remaining, lsbStatusToOcf);
    const alreadyThere = status.status === 'done' && status.rc === (verb === 'start' ? OcfRc.SUCCESS : OcfRc.NOT_RUNNING);
    if (!alreadyThere) return first;
    return { ...first, rc: OcfRc.SUCCESS, exitReason: undefined, durationMs: Date.now() - startedAt };
  }
}

/** Meta-data for an init script, from its LSB header, in the shape OCF agents print. */
export function lsbMetadataXml(type: string, script: string): string {
  const header = /### BEGIN INIT INFO([\s\S]*?)### END INIT INFO/.exec(script)?.[1] ?? '';
  const field = (name: string) => new RegExp(`^#\\s*${name}:[ \\t]*(.*)$`, 'mi').exec(header)?.[1]?.trim() ?? '';
  const shortdesc = field('Short-Description') || type;
  const longdesc = field('Description') || shortdesc;
  return `<?xml version="1.0"?>
<resource-agent name="${xmlEscape(type)}" version="0.1">
  <version>1.1</version>
  <longdesc lang="en">${xmlEscape(longdesc)}</longdesc>
  <shortdesc lang="en">${xmlEscape(shortdesc)}</shortdesc>
  <parameters/>
  <actions>
    <action name="start" timeout="15s"/>
    <action name="stop" timeout="15s"/>
    <action name="status" timeout="15s"/>
    <action name="monitor" timeout="15s" interval="15s"/>
    <action name="meta-data" timeout="5s"/>
  </actions>
</resource-agent>
`;
}

export function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
