// The fencer: given "fence node X", picks devices (topology levels, else any capable device), waits
// the configured delays, runs the agents, retries within the limits the configuration sets, records
// every attempt in the fencing history, and answers in the shape the DC controller expects.

import type { Cib } from '../cib/model.ts';
import { parseDurationMs } from '../cib/duration.ts';
import { isTrue } from '../cib/parse.ts';
import { unpackOptions } from '../scheduler/options.ts';
import { fetchFenceMetadata, runFenceAgent, type FenceAgentResult, type FenceMetadata, parseListOutput } from './agent-runner.ts';
import {
  agentParams,
  deviceDelayMs,
  devicesFromCib,
  hostCheckFor,
  portFor,
  supportsAction,
  type FenceDevice,
  type RunAgentFn,
} from './devices.ts';
import { InMemoryFencingHistory, newOperationId, type AttemptResult, type FencingAttempt, type FencingHistory, type FencingOperation } from './history.ts';
import { levelsForTarget, validateTopology } from './topology.ts';

export type FenceAction = 'reboot' | 'off' | 'on';

/** Structurally the controller's `Fencer` answer (src/controller/types.ts). */
export interface FenceResult {
  ok: boolean;
  /** 'none': no device can fence that node (or fencing is disabled): the DC waits for self-fencing. */
  method: 'agent' | 'self-fence-deadline' | 'none';
  device?: string;
  error?: string;
}

export interface FenceRequestOptions {
  /** Who asked (recorded). Default: this node's name. */
  requester?: string;
  /**
   * The target was lost (left the membership): priority-fencing-delay applies. False for fencing
   * that follows, say, a failed stop on a node still present. Default true.
   */
  nodeLost?: boolean;
  /**
   * Fencing token: the election revision of the DC term that asks. When the fencer has
   * `currentToken`, a request whose token is missing or not the current one is refused (a deposed
   * DC's late command), checked before any agent runs and again before every round.
   */
  token?: number;
}

export interface FencerOptions {
  /** This node's name: given to agents as `nodename`; devices banned here are not run here. */
  localNode: string;
  cib: Cib;
  history?: FencingHistory;
  /** Runs one agent invocation (default: runFenceAgent). Tests may wrap it. */
  runAgent?: RunAgentFn;
  agentDirs?: string[];
  /** The only randomness (pcmk_delay_max): returns [0, 1). Default Math.random. */
  random?: () => number;
  /** Waits (delays, pauses between rounds). Default setTimeout. */
  sleep?: (ms: number) => Promise<void>;
  /** Wall clock in ms for records. Default Date.now. */
  now?: () => number;
  /** Total resource priority of a node (see totalResourcePriority), for priority-fencing-delay. */
  nodePriority?: (node: string) => number;
  /** Node attributes, for fencing levels with target-attribute. */
  nodeAttributes?: (node: string) => ReadonlyMap<string, string> | undefined;
  /** Pause between two rounds of one operation (default 1000 ms). */
  roundPauseMs?: number;
  /** Rounds one fence() call may run (default: up to stonith-max-attempts). */
  maxRoundsPerCall?: number;
  /** How long a dynamic-list answer is reused (default 60 s, as Pacemaker does). */
  listCacheMs?: number;
  log?: (message: string) => void;
  /** The current DC term's election revision as the store sees it (see FenceRequestOptions.token). */
  currentToken?: () => number | undefined | Promise<number | undefined>;
}

export class FencerError extends Error {
  override name = 'FencerError';
}

interface FencerConfig {
  enabled: boolean;
  stonithTimeoutMs: number;
  maxAttempts: number;
  priorityDelayMs: number;
  devices: Map<string, FenceDevice>;
  topology: Cib['configuration']['fencingTopology'];
  errors: string[];
}

interface Step {
  level?: number;
  deviceIds: string[];
}

interface StepOutcome {
  ok: boolean;
  error?: string;
}

const ACTIONS: FenceAction[] = ['reboot', 'off', 'on'];

/**
 * Sum of the `priority` meta-attribute of the resources active on a node; a promoted instance whose
 * priority is not 0 counts priority + 1 (Pacemaker's rule for priority-fencing-delay).
 */
export function totalResourcePriority(active: readonly { priority: number; promoted?: boolean }[]): number {
  return active.reduce((sum, r) => sum + r.priority + (r.promoted && r.priority !== 0 ? 1 : 0), 0);
}

export class Fencer {
  private cib: Cib;
  private cfg: FencerConfig;
  private readonly hist: FencingHistory;
  private readonly runAgent: RunAgentFn;
  private readonly random: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly now: () => number;
  private readonly metadata = new Map<string, Promise<FenceMetadata | undefined>>();
  private readonly metadataErrors = new Map<string, string>();
  private readonly listCache = new Map<string, { at: number; names: Set<string> }>();
  private readonly failures = new Map<string, number>();
  private readonly inflight = new Map<string, { action: FenceAction; promise: Promise<FenceResult> }>();

  constructor(private readonly opts: FencerOptions) {
    if (!opts.localNode) throw new FencerError('Fencer needs localNode (this node\'s name)');
    this.cib = opts.cib;
    this.cfg = this.unpack(opts.cib);
    this.hist = opts.history ?? new InMemoryFencingHistory();
    this.runAgent = opts.runAgent ?? runFenceAgent;
    this.random = opts.random ?? Math.random;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.now = opts.now ?? Date.now;
  }

  /** Takes a new configuration; in-flight operations finish with the one they started with. */
  updateCib(cib: Cib): void {
    this.cib = cib;
    this.cfg = this.unpack(cib);
    this.listCache.clear();
  }

  /** Misconfigured devices and topology levels (each message names the element). */
  configErrors(): string[] {
    return [...this.cfg.errors];
  }

  async history(target?: string): Promise<FencingOperation[]> {
    return this.hist.list(target);
  }

  /** Failed rounds counted against stonith-max-attempts for a target. */
  failureCount(target: string): number {
    return this.failures.get(target) ?? 0;
  }

  /** Forget the failures of a target (an operator's cleanup), so fencing it is attempted again. */
  resetFailures(target?: string): void {
    if (target === undefined) this.failures.clear();
    else this.failures.delete(target);
  }

  /** Ids of the enabled devices, usable from this node, that can fence `target` (ignoring topology). */
  async capableDevices(target: string): Promise<string[]> {
    const out: string[] = [];
    for (const dev of this.sortedDevices()) {
      if (!dev.enabled || dev.bannedNodes.has(this.opts.localNode)) continue;
      if ((await this.canFence(dev, target)).ok) out.push(dev.id);
    }
    return out;
  }

  /**
   * Fences `target`. Never rejects (the controller's contract): bad input comes back as
   * `{ ok: false, method: 'agent', error }` naming what is wrong — not 'none', which would let the DC
   * recover the node's resources after a self-fencing deadline nobody checked.
   */
  fence(target: string, action: FenceAction | string, reason: string, req: FenceRequestOptions = {}): Promise<FenceResult> {
    if (typeof target !== 'string' || !target.trim() || /[\s\0]/.test(target)) {
      return Promise.resolve({ ok: false, method: 'agent', error: `fence target '${String(target)}' is not a node name` });
    }
    if (!ACTIONS.includes(action as FenceAction)) {
      return Promise.resolve({ ok: false, method: 'agent', error: `fence action '${String(action)}' is not one of ${ACTIONS.join(', ')}` });
    }
    return this.fenceChecked(target, action as FenceAction, reason, req);
  }

  private fenceChecked(target: string, action: FenceAction, reason: string, req: FenceRequestOptions): Promise<FenceResult> {
    // A request for a target already being fenced with the same action joins it (Pacemaker merges
    // duplicate requests); a different action waits for it to end.
    const running = this.inflight.get(target);
    if (running && running.action === action) return running.promise;
    const promise = (running ? running.promise.catch(() => undefined) : Promise.resolve())
      .then(() => this.execute(target, action, reason ?? '', req))
      .catch((err: Error): FenceResult => ({ ok: false, method: 'agent', error: `fencing ${target} failed unexpectedly: ${err.message}` }));
    const entry = { action, promise };
    this.inflight.set(target, entry);
    void promise.finally(() => {
      if (this.inflight.get(target) === entry) this.inflight.delete(target);
    }).catch(() => undefined);
    return promise;
  }

  // ---- one operation ---------------------------------------------------------------------------

  private async execute(target: string, action: FenceAction, reason: string, req: FenceRequestOptions): Promise<FenceResult> {
    const cfg = this.cfg;
    const op: FencingOperation = {
      id: newOperationId(this.now()),
      target,
      action,
      reason,
      requester: req.requester ?? this.opts.localNode,
      executor: this.opts.localNode,
      result: 'pending',
      method: 'agent',
      attempts: [],
      startedAt: this.now(),
    };
    const finish = async (result: FenceResult): Promise<FenceResult> => {
      op.result = result.ok ? 'ok' : 'failed';
      op.method = result.method;
      if (result.device !== undefined) op.device = result.device;
      if (result.error !== undefined) op.error = result.error;
      op.endedAt = this.now();
      await this.save(op);
      this.log(result.ok ? `fenced ${target} (${action}) with ${result.device ?? result.method}: ${reason}` : `fencing ${target} (${action}) did not succeed: ${result.error}`);
      return result;
    };

    if (!cfg.enabled) return finish({ ok: false, method: 'none', error: 'fencing is disabled (fencing-enabled/stonith-enabled=false)' });

    const failed = this.failures.get(target) ?? 0;
    if (failed >= cfg.maxAttempts) {
      return finish({ ok: false, method: 'agent', error: `fencing ${target} has failed ${failed} times (stonith-max-attempts=${cfg.maxAttempts}); not retried until its failures are reset` });
    }

    const stale = await this.staleToken(req);
    if (stale) return finish({ ok: false, method: 'agent', error: stale });
    const plan = await this.plan(target);
    if (plan.steps.length === 0) return finish({ ok: false, method: 'none', error: plan.why });
    await this.save(op);

    const maxRounds = Math.min(cfg.maxAttempts - failed, this.opts.maxRoundsPerCall ?? Infinity);
    let priorityDelay = this.priorityDelay(target, action, req);
    const errors: string[] = [];
    for (let round = 1; round <= maxRounds; round++) {
      if (round > 1) {
        const staleNow = await this.staleToken(req);
        if (staleNow) return finish({ ok: false, method: 'agent', error: staleNow });
      }
      errors.length = 0;
      for (const step of plan.steps) {
        const res = await this.runStep(op, step, target, action, round, priorityDelay);
        priorityDelay = 0; // applied once, before the first device runs
        if (res.ok) {
          this.failures.delete(target);
          return finish({ ok: true, method: 'agent', device: step.deviceIds.join(',') });
        }
        errors.push(res.error ?? `${step.deviceIds.join(',')} failed`);
      }
      this.failures.set(target, (this.failures.get(target) ?? 0) + 1);
      if (round < maxRounds) await this.sleep(this.opts.roundPauseMs ?? 1000);
    }
    const total = this.failures.get(target) ?? 0;
    return finish({
      ok: false,
      method: 'agent',
      error: `fencing ${target} (${action}) failed${total >= cfg.maxAttempts ? ` ${total} times, reaching stonith-max-attempts=${cfg.maxAttempts}` : ''}: ${errors.join('; ')}`,
    });
  }

  /** The ordered steps: one per fencing level, or one per capable device when no level applies. */
  private async plan(target: string): Promise<{ steps: Step[]; why: string }> {
    const levels = levelsForTarget(this.cfg.topology, target, this.opts.nodeAttributes?.(target));
    if (levels.length) return { steps: levels.map((l) => ({ level: l.index, deviceIds: l.devices })), why: '' };
    const steps: Step[] = [];
    const reasons: string[] = [];
    for (const dev of this.sortedDevices()) {
      if (!dev.enabled) {
        reasons.push(`${dev.id} is disabled (target-role=Stopped)`);
        continue;
      }
      if (dev.bannedNodes.has(this.opts.localNode)) {
        reasons.push(`${dev.id} is banned from ${this.opts.localNode} (location -INFINITY) and cannot run here`);
        continue;
      }
      const can = await this.canFence(dev, target);
      if (can.ok) steps.push({ deviceIds: [dev.id] });
      else reasons.push(can.why!);
    }
    const errs = this.cfg.errors.length ? `; configuration errors: ${this.cfg.errors.join('; ')}` : '';
    return { steps, why: `no fence device can fence ${target}${reasons.length ? `: ${reasons.join('; ')}` : ' (none configured)'}${errs}` };
  }

  /** One level (every device must succeed, in order) or one device. */
  private async runStep(op: FencingOperation, step: Step, target: string, action: FenceAction, round: number, priorityDelay: number): Promise<StepOutcome> {
    const devices: FenceDevice[] = [];
    for (const id of step.deviceIds) {
      const dev = this.cfg.devices.get(id);
      let problem: string | undefined;
      if (!dev) problem = `device ${id} is not a configured stonith resource${this.cfg.errors.some((e) => e.includes(` ${id}:`)) ? ' (it is misconfigured)' : ''}`;
      else if (!dev.enabled) problem = `device ${id} is disabled (target-role=Stopped)`;
      else if (dev.bannedNodes.has(this.opts.localNode)) problem = `device ${id} is banned from ${this.opts.localNode} (location -INFINITY)`;
      else {
        const can = await this.canFence(dev, target);
        if (!can.ok) problem = can.why;
      }
      if (problem) {
        const t = this.now();
        op.attempts.push({ device: id, ...(step.level !== undefined ? { level: step.level } : {}), action, round, result: 'error', error: problem, startedAt: t, endedAt: t });
        await this.save(op);
        return { ok: false, error: step.level !== undefined ? `level ${step.level}: ${problem}` : problem };
      }
      devices.push(dev!);
    }

    let pending = priorityDelay;
    const delayFor = (dev: FenceDevice): number => {
      if (round !== 1 || action === 'on') return 0;
      const d = pending + deviceDelayMs(dev, target, this.random);
      pending = 0;
      return d;
    };
    const label = (error: string) => (step.level !== undefined ? `level ${step.level}: ${error}` : error);

    // Reboot with several devices in a level: all off, then all on (Pacemaker does the same, so
    // that a host with two power supplies really loses power).
    if (action === 'reboot' && devices.length > 1) {
      for (const dev of devices) {
        const r = await this.deviceAction(op, dev, target, 'off', 'reboot', round, step.level, delayFor(dev));
        if (!r.ok) return { ok: false, error: label(r.error!) };
      }
      for (const dev of devices) await this.turnOnAfterOff(op, dev, target, round, step.level);
      return { ok: true };
    }
    for (const dev of devices) {
      const md = await this.getMetadata(dev.agent);
      if (action === 'reboot' && md && !supportsAction(md, dev.actionNames.reboot)) {
        // The agent has no reboot: off, then on. The target is safe once off, so a failing `on`
        // is recorded but does not fail the fencing.
        const r = await this.deviceAction(op, dev, target, 'off', 'reboot', round, step.level, delayFor(dev));
        if (!r.ok) return { ok: false, error: label(r.error!) };
        await this.turnOnAfterOff(op, dev, target, round, step.level);
        continue;
      }
      const r = await this.deviceAction(op, dev, target, action, action, round, step.level, delayFor(dev));
      if (!r.ok) return { ok: false, error: label(r.error!) };
    }
    return { ok: true };
  }

  private async turnOnAfterOff(op: FencingOperation, dev: FenceDevice, target: string, round: number, level: number | undefined): Promise<void> {
    const md = await this.getMetadata(dev.agent);
    if (md && !supportsAction(md, dev.actionNames.on)) return;
    const r = await this.deviceAction(op, dev, target, 'on', 'reboot', round, level, 0);
    if (!r.ok) this.log(`${dev.id} turned ${target} off but could not turn it on again: ${r.error}`);
  }

  /**
   * Runs one device action, retrying failures (not timeouts) up to pcmk_<action>_retries times while
   * the action's timeout has time left. Every run is an attempt in the record.
   */
  private async deviceAction(
    op: FencingOperation,
    dev: FenceDevice,
    target: string,
    action: 'off' | 'on' | 'reboot',
    opAction: FenceAction,
    round: number,
    level: number | undefined,
    delayMs: number,
  ): Promise<StepOutcome> {
    if (delayMs > 0) {
      this.log(`waiting ${delayMs} ms before ${dev.id} fences ${target}`);
      await this.sleep(delayMs);
    }
    const md = await this.getMetadata(dev.agent);
    const agentAction = dev.actionNames[action];
    const timeoutMs = dev.timeoutsMs[action] ?? this.cfg.stonithTimeoutMs;
    const t0 = this.now();
    let last: FenceAgentResult | undefined;
    for (let attempt = 0; attempt <= dev.retries[action]; attempt++) {
      const remaining = timeoutMs - (this.now() - t0);
      if (attempt > 0 && remaining <= 0) break;
      const startedAt = this.now();
      let r: FenceAgentResult;
      try {
        r = await this.runAgent({
          agent: dev.agent,
          action: agentAction,
          params: agentParams(dev, md, target, this.opts.localNode),
          timeoutMs: Math.max(1, remaining),
          ...(this.opts.agentDirs ? { agentDirs: this.opts.agentDirs } : {}),
        });
      } catch (err) {
        r = { outcome: 'error', rc: null, signal: null, stdout: '', stderr: '', error: `fence device ${dev.id}: ${(err as Error).message}`, startedAt, durationMs: 0 };
      }
      last = r;
      const result: AttemptResult = r.outcome === 'ok' ? 'ok' : r.outcome === 'off' ? 'failed' : r.outcome;
      const a: FencingAttempt = {
        device: dev.id,
        ...(level !== undefined ? { level } : {}),
        action: opAction,
        agentAction,
        round,
        result,
        rc: r.rc,
        ...(r.error ? { error: r.error } : {}),
        ...(attempt === 0 && delayMs > 0 ? { delayMs } : {}),
        startedAt,
        endedAt: this.now(),
      };
      op.attempts.push(a);
      await this.save(op);
      if (r.outcome === 'ok') return { ok: true };
      if (r.outcome === 'timeout' || r.outcome === 'not-installed' || r.outcome === 'cancelled') break;
    }
    return { ok: false, error: `${dev.id}: ${last?.error ?? 'failed'}` };
  }

  // ---- capability ------------------------------------------------------------------------------

  /** Whether a device can fence the target, per its host check (see devices.ts hostCheckFor). */
  async canFence(dev: FenceDevice, target: string): Promise<{ ok: boolean; why?: string }> {
    const md = await this.getMetadata(dev.agent);
    const check = hostCheckFor(dev, md);
    switch (check) {
      case 'none':
        return { ok: true };
      case 'static-list': {
        const ok = (dev.hostList?.includes(target) ?? false) || dev.hostMap.has(target);
        return ok ? { ok } : { ok, why: `${dev.id} does not list ${target} in pcmk_host_list/pcmk_host_map` };
      }
      case 'dynamic-list': {
        const cached = this.listCache.get(dev.id);
        let names = cached && this.now() - cached.at < (this.opts.listCacheMs ?? 60_000) ? cached.names : undefined;
        if (!names) {
          const r = await this.runAgent({
            agent: dev.agent,
            action: dev.actionNames.list,
            params: agentParams(dev, md, undefined, this.opts.localNode),
            timeoutMs: dev.timeoutsMs.list ?? this.cfg.stonithTimeoutMs,
            ...(this.opts.agentDirs ? { agentDirs: this.opts.agentDirs } : {}),
          });
          if (r.outcome !== 'ok') return { ok: false, why: `${dev.id} could not list its targets (pcmk_host_check=dynamic-list): ${r.error}` };
          names = new Set(parseListOutput(r.stdout).flatMap((t) => (t.alias ? [t.port, t.alias] : [t.port])));
          this.listCache.set(dev.id, { at: this.now(), names });
        }
        const ok = names.has(portFor(dev, target)) || names.has(target);
        return ok ? { ok } : { ok, why: `${dev.id} does not list ${target} among its targets (pcmk_host_check=dynamic-list)` };
      }
      case 'status': {
        const r = await this.runAgent({
          agent: dev.agent,
          action: dev.actionNames.status,
          params: agentParams(dev, md, target, this.opts.localNode),
          timeoutMs: dev.timeoutsMs.status ?? this.cfg.stonithTimeoutMs,
          ...(this.opts.agentDirs ? { agentDirs: this.opts.agentDirs } : {}),
        });
        const ok = r.outcome === 'ok' || r.outcome === 'off';
        return ok ? { ok } : { ok, why: `${dev.id} does not know ${target} (pcmk_host_check=status): ${r.error}` };
      }
    }
  }

  /** The agent's meta-data, fetched once; undefined (with the error kept) when it cannot be had. */
  getMetadata(agent: string): Promise<FenceMetadata | undefined> {
    let p = this.metadata.get(agent);
    if (!p) {
      p = fetchFenceMetadata(agent, { timeoutMs: 10_000, ...(this.opts.agentDirs ? { agentDirs: this.opts.agentDirs } : {}) }).catch((err: Error) => {
        this.metadataErrors.set(agent, err.message);
        this.metadata.delete(agent); // try again next time: the agent may get installed
        return undefined;
      });
      this.metadata.set(agent, p);
    }
    return p;
  }

  // ---- helpers ---------------------------------------------------------------------------------

  private priorityDelay(target: string, action: FenceAction, req: FenceRequestOptions): number {
    if (this.cfg.priorityDelayMs <= 0 || action === 'on' || req.nodeLost === false || !this.opts.nodePriority) return 0;
    const nodes = new Set<string>();
    for (const n of this.cib.configuration.nodes) if (n.type === 'member') nodes.add(n.uname);
    for (const s of this.cib.status.nodes) if (s.uname) nodes.add(s.uname);
    nodes.add(target);
    const mine = this.opts.nodePriority(target);
    const others = [...nodes].filter((n) => n !== target).map((n) => this.opts.nodePriority!(n));
    // The delay goes to the node with the strictly highest priority: it is fenced later, so in a
    // two-node fence race the side running the more important resources shoots first and survives.
    return others.every((p) => mine > p) ? this.cfg.priorityDelayMs : 0;
  }

  /** Why the request's fencing token is refused, or undefined when it is current (or unchecked). */
  private async staleToken(req: FenceRequestOptions): Promise<string | undefined> {
    if (!this.opts.currentToken) return undefined;
    let current: number | undefined;
    try {
      current = await this.opts.currentToken();
    } catch (err) {
      return `refused: the current DC term could not be read (${(err as Error).message})`;
    }
    if (req.token === undefined) return 'refused: the request carries no fencing token (DC election revision)';
    if (current === undefined || req.token !== current) return `refused: fencing token ${req.token} is not the current DC term (${current ?? 'none'}); a deposed DC's request is not carried out`;
    return undefined;
  }

  private sortedDevices(): FenceDevice[] {
    // Higher priority first; configuration order among equals (Map keeps insertion order).
    return [...this.cfg.devices.values()].map((d, i) => ({ d, i })).sort((a, b) => b.d.priority - a.d.priority || a.i - b.i).map((x) => x.d);
  }

  private async save(op: FencingOperation): Promise<void> {
    try {
      await this.hist.save(op);
    } catch (err) {
      // Fencing goes on (the node must be fenced either way); the failure to record is logged.
      this.log(`could not record fencing of ${op.target} in the history: ${(err as Error).message}`);
    }
  }

  private log(msg: string): void {
    this.opts.log?.(msg);
  }

  private unpack(cib: Cib): FencerConfig {
    const options = unpackOptions(cib, Math.floor(Date.now() / 1000));
    const errors: string[] = [];
    const raw = options.raw;
    let stonithTimeoutMs = 60_000;
    const st = raw.get('stonith-timeout');
    if (st !== undefined) {
      try {
        stonithTimeoutMs = parseDurationMs(st);
        if (stonithTimeoutMs <= 0) throw new Error('not positive');
      } catch {
        errors.push(`cluster option stonith-timeout='${st}' is not a positive duration; using 60s`);
        stonithTimeoutMs = 60_000;
      }
    }
    let maxAttempts = 10;
    const sma = raw.get('stonith-max-attempts');
    if (sma !== undefined) {
      if (/^\d+$/.test(sma) && Number(sma) >= 1) maxAttempts = Number(sma);
      else errors.push(`cluster option stonith-max-attempts='${sma}' is not a positive integer; using 10`);
    }
    const { devices, errors: devErrors } = devicesFromCib(cib);
    errors.push(...devErrors);
    const ids = new Set(devices.map((d) => d.id));
    errors.push(...validateTopology(cib.configuration.fencingTopology, ids).map((p) => p.message));
    return {
      // fencing-enabled is the newer name of stonith-enabled (unpackOptions copies the old into it).
      enabled: raw.has('fencing-enabled') ? isTrue(raw.get('fencing-enabled')) : options.stonithEnabled,
      stonithTimeoutMs,
      maxAttempts,
      priorityDelayMs: options.priorityFencingDelayMs,
      devices: new Map(devices.map((d) => [d.id, d])),
      topology: cib.configuration.fencingTopology,
      errors,
    };
  }
}
