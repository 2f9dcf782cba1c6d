// The executor of one node: runs what it is told, one operation per resource at a time, and
// reports results. It knows nothing of scheduling.

import { readFileSync } from 'node:fs';
import { listAgents, type AgentRef } from './agent-catalog.ts';
import { MetadataError, parseAgentMetadata, type AgentMetadata } from './agent-metadata.ts';
import type { AttributeBackend } from './attribute-backend.ts';
import { AttributeServer } from './attribute-server.ts';
import { LsbRunner, DEFAULT_INIT_DIR } from './lsb-runner.ts';
import { AGENT_HELPERS_DIR, DEFAULT_OCF_ROOT, type AgentEnvironmentOptions } from './ocf-environment.ts';
import { OcfRunner } from './ocf-runner.ts';
import { OperationQueue, type QueuedTask } from './operation-queue.ts';
import { ProcessSupervisor, type ProcessExitEvent } from './process-supervisor.ts';
import { RecurringMonitors, type RecurringListener } from './recurring-monitors.ts';
import { syntheticResult, type ClassRunner, type RunContext } from './runner.ts';
import { OcfRc, type OperationRequest, type OperationResult, type ResourceStandard } from './types.ts';

export interface ExecutorOptions {
  /** Default: $OCF_ROOT or /usr/lib/ocf. */
  ocfRoot?: string;
  /** Where LSB scripts live. Default /etc/init.d. */
  initDir?: string;
  /** Directory of crm_attribute & co., put first on the agents' PATH. */
  helpersDir?: string;
  /** Operations running at once across all resources. Default 8. */
  maxConcurrent?: number;
  /** SIGTERM-to-SIGKILL grace for a timed-out agent's process group. Default 1000 ms. */
  killGraceMs?: number;
  /** Passed to agents as CRM_meta_on_node; defaults to the attribute backend's local node. */
  nodeName?: string;
  /** When given, start() serves the agent helper commands from it over a UNIX socket. */
  attributes?: AttributeBackend;
  /** Path of that socket; default a fresh one under the temp directory. */
  attrdSocketPath?: string;
  /** HA_debug=1 for agents. */
  debug?: boolean;
  /** Environment agents inherit; default this process's. */
  baseEnv?: NodeJS.ProcessEnv;
  /** HA_RSCTMP for agents (state files of Dummy & co.); give each node its own when nodes share a host. */
  rscTmpDir?: string;
  /** HA_VARRUN for agents (Stateful keeps its role there); give each node its own when nodes share a host (tandem demo). */
  varRunDir?: string;
}

export type ProcessExitListener = (event: ProcessExitEvent) => void;

const META_DATA_TIMEOUT_MS = 10_000;

/** systemd units are out of reach: there is no systemd PID 1 on the machines Tandem runs on. */
export class SystemdUnavailable implements ClassRunner {
  async run(req: OperationRequest): Promise<OperationResult> {
    let pid1 = 'unknown';
    try {
      pid1 = readFileSync('/proc/1/comm', 'utf8').trim();
    } catch {
      /* keep 'unknown' */
    }
    const why = pid1 === 'systemd' ? 'Tandem does not manage systemd units' : `systemd is not running here (PID 1 is ${pid1})`;
    return syntheticResult('not-installed', OcfRc.ERR_INSTALLED, `systemd:${req.rsc.type} cannot be managed: ${why}; use the lsb, ocf or process class`);
  }
}

export class Executor {
  private readonly env: AgentEnvironmentOptions;
  private readonly killGraceMs: number;
  private readonly queue: OperationQueue;
  private readonly recurring: RecurringMonitors;
  private readonly ocf = new OcfRunner();
  private readonly lsb: LsbRunner;
  private readonly systemd = new SystemdUnavailable();
  private readonly processes: ProcessSupervisor;
  private readonly exitListeners = new Set<ProcessExitListener>();
  private readonly attributeServer?: AttributeServer;
  private readonly initDir: string;

  constructor(private readonly opts: ExecutorOptions = {}) {
    this.env = {
      ocfRoot: opts.ocfRoot ?? process.env.OCF_ROOT ?? DEFAULT_OCF_ROOT,
      helpersDir: opts.helpersDir ?? AGENT_HELPERS_DIR,
      nodeName: opts.nodeName,
      debug: opts.debug,
      baseEnv: opts.baseEnv,
      ...(opts.rscTmpDir ? { rscTmpDir: opts.rscTmpDir } : {}),
      ...(opts.varRunDir ? { varRunDir: opts.varRunDir } : {}),
    };
    this.killGraceMs = opts.killGraceMs ?? 1000;
    this.initDir = opts.initDir ?? DEFAULT_INIT_DIR;
    this.queue = new OperationQueue(opts.maxConcurrent ?? 8);
    this.recurring = new RecurringMonitors((req) => this.submit(req));
    this.lsb = new LsbRunner(this.initDir);
    this.processes = new ProcessSupervisor((event) => {
      for (const listener of this.exitListeners) listener(event);
    });
    if (opts.attributes) this.attributeServer = new AttributeServer(opts.attributes, opts.attrdSocketPath);
  }

  /** Opens the helper commands' socket (if there is an attribute backend). Call before running agents. */
  async start(): Promise<void> {
    if (this.attributeServer) this.env.attrdSocket = await this.attributeServer.listen();
    if (!this.env.nodeName && this.opts.attributes) this.env.nodeName = await this.opts.attributes.localNodeName();
  }

  /** Path of the helper commands' socket, once started. */
  get attrdSocketPath(): string | undefined {
    return this.env.attrdSocket;
  }

  /** Runs one operation; resolves when it is over (never rejects). A stop first cancels the
   * resource's recurring monitors. */
  execute(req: OperationRequest): Promise<OperationResult> {
    return this.submit(req).promise;
  }

  /** Like execute, but the operation can be cancelled (dropped if queued, killed if running). */
  submit(req: OperationRequest): QueuedTask<OperationResult> {
    const problem = requestProblem(req);
    if (problem) {
      const result = syntheticResult('error', OcfRc.ERR_GENERIC, `invalid request: ${problem}`);
      return { promise: Promise.resolve(result), cancel: () => {} };
    }
    if (req.action === 'stop') this.recurring.cancelResource(req.rsc.id);
    const enqueuedAt = Date.now();
    // meta-data is asked without an instance id; such calls queue per agent, not all together.
    const key = req.rsc.id || `meta-data\0${req.rsc.standard ?? 'ocf'}:${req.rsc.provider ?? ''}:${req.rsc.type}`;
    return this.queue.enqueue(
      key,
      (signal) => this.runNow(req, signal),
      () => syntheticResult('cancelled', OcfRc.ERR_GENERIC, `${req.action} of ${req.rsc.id} was cancelled before it started`, enqueuedAt),
    );
  }

  /** Runs the monitor every req.intervalMs, first one interval from now; `onResult` gets every
   * result with a `changed` flag. Replaces a recurring monitor with the same interval. */
  startRecurring(req: OperationRequest, onResult: RecurringListener): void {
    this.recurring.start(req, onResult);
  }

  cancelRecurring(rscId: string, intervalMs: number): boolean {
    return this.recurring.cancel(rscId, intervalMs);
  }

  /** Intervals of a resource's active recurring monitors. */
  recurringIntervals(rscId: string): number[] {
    return this.recurring.intervalsOf(rscId);
  }

  /** Called the instant a process-class resource exits without being stopped. */
  onProcessExit(listener: ProcessExitListener): () => void {
    this.exitListeners.add(listener);
    return () => this.exitListeners.delete(listener);
  }

  /** Runs the agent's meta-data action and parses it. Throws MetadataError when there is none. */
  async describeAgent(standard: ResourceStandard, provider: string | undefined, type: string): Promise<AgentMetadata> {
    const result = await this.execute({
      rsc: { id: '', standard, provider, type, params: {}, meta: {} },
      action: 'meta-data',
      intervalMs: 0,
      timeoutMs: META_DATA_TIMEOUT_MS,
    });
    const what = [standard, provider, type].filter(Boolean).join(':');
    if (result.status !== 'done' || result.rc !== OcfRc.SUCCESS) {
      throw new MetadataError(`no meta-data for ${what}: ${result.exitReason ?? `${result.status}, rc ${result.rc}`}`);
    }
    try {
      return parseAgentMetadata(result.stdout);
    } catch (err) {
      throw new MetadataError(`meta-data of ${what}: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  listAgents(standard: ResourceStandard, provider?: string): Promise<AgentRef[]> {
    return listAgents({ ocfRoot: this.env.ocfRoot, initDir: this.initDir }, standard, provider);
  }

  get stats(): { running: number; waiting: number } {
    return this.queue.stats;
  }

  /** Cancels recurring monitors and pending operations, kills running ones, stops supervised
   * processes and closes the helper socket. */
  async shutdown(): Promise<void> {
    this.recurring.cancelAll();
    this.queue.cancelAll();
    await this.processes.stopAll();
    await this.attributeServer?.close();
  }

  private async runNow(req: OperationRequest, signal: AbortSignal): Promise<OperationResult> {
    const ctx: RunContext = { env: this.env, killGraceMs: this.killGraceMs, signal };
    try {
      return await (await this.runnerFor(req.rsc.standard ?? 'ocf', req.rsc.type)).run(req, ctx);
    } catch (err) {
      // A bug of ours must come back as a failed operation, not hang the resource's queue.
      return syntheticResult('error', OcfRc.ERR_GENERIC, `executor error: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  private async runnerFor(standard: ResourceStandard, type: string): Promise<ClassRunner> {
    switch (standard) {
      case 'ocf':
        return this.ocf;
      case 'lsb':
        return this.lsb;
      case 'service':
        // As in Pacemaker: an init script if there is one, else a systemd unit.
        return (await this.lsb.isInstalled(type)) ? this.lsb : this.systemd;
      case 'systemd':
        return this.systemd;
      case 'process':
        return this.processes;
    }
  }
}

const ACTIONS = new Set(['start', 'stop', 'monitor', 'promote', 'demote', 'notify', 'migrate_to', 'migrate_from', 'reload', 'meta-data', 'validate-all']);
const STANDARDS = new Set(['ocf', 'lsb', 'process', 'service', 'systemd']);

function requestProblem(req: OperationRequest): string | undefined {
  if (!req?.rsc || typeof req.rsc.type !== 'string' || !req.rsc.type) return 'rsc.type is required';
  if (typeof req.rsc.id !== 'string') return 'rsc.id must be a string';
  if (!req.rsc.id && req.action !== 'meta-data') return 'rsc.id is required';
  if (req.rsc.standard !== undefined && !STANDARDS.has(req.rsc.standard)) return `unknown standard ${req.rsc.standard}`;
  if (!ACTIONS.has(req.action)) return `unknown action ${req.action}`;
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) return `timeoutMs must be positive (got ${req.timeoutMs})`;
  if (!Number.isFinite(req.intervalMs) || req.intervalMs < 0) return `intervalMs must be 0 or more (got ${req.intervalMs})`;
  return undefined;
}
