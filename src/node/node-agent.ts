// The node side of the runtime: one per node. Joins membership, runs what the DC asks through the
// executor and records each result in ONE store txn (history entry + result + deletion of the
// request), keeps recurring monitors and reports their failures at once, and stops its resources
// per no-quorum-policy when it loses quorum, before its self-fencing deadline.

import { CibStore, type OperationOutcome } from '../cib/cib-store.ts';
import { decodeRecord, encodeRecord, keys, opIds, transitionKeyOf, type ActionRequest, type ActionResult, type AgentRef } from '../cib/store-layout.ts';
import { firstChild } from '../cib/xml.ts';
import { Executor, type ExecutorOptions, type OperationAction, type OperationRequest, type OperationResult, type ResourceStandard } from '../executor/index.ts';
import { leaderOf } from '../store/election.ts';
import { watchWithRelist, type RelistWatch } from '../store/relist.ts';
import type { KeyValue, Store, TxnOp } from '../store/types.ts';
import { Membership, nowMs } from '../membership/membership.ts';
import type { NoQuorumPolicy, SelfFenceHook, TimingBudget } from '../membership/types.ts';
import type { TransitionAction } from '../scheduler/transition.ts';
import { StoreAttributeBackend } from './store-attributes.ts';
import { clusterKey, decryptForAgent, isEncrypted, loadKeyFile, scrubText } from '../api/secrets.ts';

export interface NodeAgentOptions {
  store: Store;
  cluster: string;
  node: string;
  nodeId?: string;
  /** Heartbeat address (default 127.0.0.1, any port). */
  address?: { host?: string; port?: number };
  timing?: Partial<TimingBudget>;
  voters?: string[];
  /** Stand for DC (default true). */
  candidate?: boolean;
  selfFence?: SelfFenceHook;
  /** Executor options; `attributes` is set to the store-backed backend. */
  executor?: Omit<ExecutorOptions, 'attributes' | 'nodeName'>;
  /** Override the configuration's no-quorum-policy. */
  noQuorumPolicy?: NoQuorumPolicy;
  api?: string;
  /**
   * Secret parameters (stored as enc:v1:..., see src/api/secrets.ts): the key, or a key file;
   * default the cluster key in the store. Only the agent sees the clear values; the history keeps
   * (and digests) the stored ones.
   */
  secrets?: { key?: Buffer; keyFile?: string };
  log?: (line: string) => void;
}

export interface ActiveResource {
  /** Instance id as the agent sees it. */
  id: string;
  historyId: string;
  agent: AgentRef;
  role: 'Started' | 'Promoted';
  spec: OperationRequest['rsc'];
  /** Recurring monitors running: interval → expected rc. */
  monitors: Map<number, { expectedRc: number; timeoutMs: number }>;
}

export interface QuorumLossReport {
  deadline: number;
  policy: NoQuorumPolicy;
  stoppedAt?: number;
  resources: string[];
  inTime?: boolean;
}

const TASKS = new Set<OperationAction>(['start', 'stop', 'monitor', 'promote', 'demote', 'notify', 'migrate_to', 'migrate_from', 'reload']);

export class NodeAgent {
  readonly cib: CibStore;
  readonly executor: Executor;
  readonly attributes: StoreAttributeBackend;
  membership!: Membership;
  private readonly active = new Map<string, ActiveResource>();
  private readonly handling = new Set<string>();
  private actionsWatch: RelistWatch | undefined;
  private configWatch: RelistWatch | undefined;
  private configPolicy: NoQuorumPolicy = 'stop';
  private callId = 1;
  private dead = false;
  private stopping = false;
  private readonly log: (line: string) => void;
  private unsubscribers: (() => void)[] = [];
  /** Last quorum-loss handling (tests read it). */
  lastQuorumLoss: QuorumLossReport | undefined;
  /** Resolves when the current quorum-loss stop is over. */
  quorumLossDone: Promise<void> = Promise.resolve();
  private secretKey: Promise<Buffer> | undefined;

  private constructor(private readonly opts: NodeAgentOptions) {
    this.cib = new CibStore(opts.store, opts.cluster);
    this.log = opts.log ?? (() => {});
    this.attributes = new StoreAttributeBackend(this.cib, opts.node, () => this.membership);
    this.executor = new Executor({ ...(opts.executor ?? {}), attributes: this.attributes, nodeName: opts.node });
  }

  static async start(opts: NodeAgentOptions): Promise<NodeAgent> {
    const a = new NodeAgent(opts);
    await a.begin();
    return a;
  }

  get node(): string {
    return this.opts.node;
  }

  private async begin(): Promise<void> {
    const { store, cluster, node } = this.opts;
    const rec = await this.cib.ensureNode(node, this.opts.nodeId);
    // Call ids continue after what our history already holds.
    for (const e of await this.cib.listHistory(node)) this.callId = Math.max(this.callId, e.callId + 1);
    await this.executor.start();
    this.membership = await Membership.start({
      store,
      cluster,
      node,
      nodeId: rec.id,
      ...(this.opts.address?.host ? { host: this.opts.address.host } : {}),
      ...(this.opts.address?.port !== undefined ? { port: this.opts.address.port } : {}),
      ...(this.opts.timing ? { timing: this.opts.timing } : {}),
      ...(this.opts.voters ? { voters: this.opts.voters } : {}),
      ...(this.opts.candidate !== undefined ? { candidate: this.opts.candidate } : {}),
      ...(this.opts.selfFence ? { selfFence: this.opts.selfFence } : {}),
      ...(this.opts.api ? { api: this.opts.api } : {}),
      log: this.log,
    });
    await this.cib.updateNode(node, (r) => {
      r.expected = 'member';
      r.joinedAt = Date.now();
      delete r.shutdown;
    });
    this.unsubscribers.push(this.membership.on('quorum', (q) => !q.quorate && this.onQuorumLost(q.deadline ?? nowMs())));
    this.unsubscribers.push(this.executor.onProcessExit((e) => void this.onProcessExit(e.rscId, e.at, e.exitCode, e.signal)));
    this.configWatch = this.cib.watchConfiguration((config) => {
      const crm = config ? firstChild(config.element, 'crm_config') : undefined;
      let policy: string | undefined;
      for (const set of crm?.children ?? []) for (const nv of set.children) if (nv.attrs.name === 'no-quorum-policy' || nv.attrs.name === 'no_quorum_policy') policy = nv.attrs.value;
      this.configPolicy = (['stop', 'freeze', 'ignore', 'suicide', 'demote'].includes(policy ?? '') ? policy : 'stop') as NoQuorumPolicy;
    });
    const prefix = keys.nodeActionsPrefix(cluster, node);
    this.actionsWatch = watchWithRelist(store, prefix, {
      onSnapshot: (kvs) => kvs.forEach((kv) => this.onRequest(kv)),
      onEvents: (events) => events.forEach((e) => e.type === 'put' && this.onRequest(e.kv)),
      onError: (err) => this.log(`${node}: action watch ended: ${err.message}`),
    });
    await this.actionsWatch.ready;
  }

  get noQuorumPolicy(): NoQuorumPolicy {
    return this.opts.noQuorumPolicy ?? this.configPolicy;
  }

  activeResources(): ActiveResource[] {
    return [...this.active.values()];
  }

  // ---------------------------------------------------------------------------------------------
  // Requests from the DC

  private onRequest(kv: KeyValue): void {
    if (this.dead || this.handling.has(kv.key)) return;
    this.handling.add(kv.key);
    void this.handle(kv).finally(() => this.handling.delete(kv.key));
  }

  /** Why a request must be refused, or undefined when it may run. */
  private async refusal(req: ActionRequest): Promise<string | undefined> {
    const a = req.action;
    if (!a || typeof a !== 'object') return 'request carries no action';
    if (a.node !== undefined && a.node !== this.opts.node) return `action is for node ${a.node}, not ${this.opts.node}`;
    if (a.type !== 'resource') return `action type '${a.type}' is not run by the node agent`;
    if (!a.agent) return `action ${a.key} names no agent`;
    if (!TASKS.has(a.task as OperationAction)) return `unknown task '${a.task}'`;
    if (!this.membership.quorate) return `${this.opts.node} is not quorate`;
    const cached = this.membership.leader?.token;
    if (cached !== undefined && req.token < cached) return `request of DC ${req.dc} carries token ${req.token}, older than the current DC's token ${cached}: the DC was deposed`;
    if (cached === req.token) return undefined;
    // Our view may lag: ask the store who leads now.
    const prefix = keys.electionCandidatesPrefix(this.opts.cluster);
    const { kvs, revision } = await this.opts.store.list(prefix);
    const leader = leaderOf(kvs, prefix, revision);
    if (leader.token !== req.token) {
      return `request of DC ${req.dc} carries token ${req.token} but the current DC is ${leader.nodeId ?? 'nobody'}${leader.token !== null ? ` with token ${leader.token}` : ''}: the DC was deposed`;
    }
    return undefined;
  }

  private async handle(kv: KeyValue): Promise<void> {
    const c = this.opts.cluster;
    const node = this.opts.node;
    let req: ActionRequest;
    try {
      req = decodeRecord<ActionRequest>(kv.key, kv.value);
    } catch (err) {
      this.log(`${node}: dropping unreadable request ${kv.key}: ${(err as Error).message}`);
      await this.opts.store.delete(kv.key).catch(() => {});
      return;
    }
    const startedAt = Date.now();
    const why = await this.refusal(req).catch((err: Error) => `cannot verify the DC's token: ${err.message}`);
    if (this.dead) return;
    if (why !== undefined) {
      this.log(`${node}: refused ${req.action?.key ?? req.id}: ${why}`);
      const result: ActionResult = {
        id: req.id,
        node,
        token: req.token,
        transitionId: req.transitionId,
        actionId: req.action?.id ?? -1,
        status: 'refused',
        rc: 1,
        expectedRc: req.action?.expectedRc ?? 0,
        exitReason: why,
        startedAt,
        finishedAt: Date.now(),
      };
      await this.opts.store
        .txn({ compares: [], success: [{ type: 'put', key: keys.result(c, node, req.id), value: encodeRecord(result) }, { type: 'delete', key: kv.key }] })
        .catch((err: Error) => this.log(`${node}: could not record refusal of ${req.id}: ${err.message}`));
      return;
    }
    const a = req.action;
    const opReq = this.operationRequest(a);
    let result: OperationResult;
    if (a.task === 'monitor' && a.intervalMs > 0) {
      // First run now (its result confirms the action), then every interval.
      result = await this.execute({ ...opReq });
      if (!this.dead && result.status === 'done' && (result.rc === a.expectedRc || result.rc === 0 || result.rc === 8)) await this.startMonitor(a, opReq);
    } else {
      result = await this.execute(opReq);
    }
    if (this.dead) return;
    this.track(a, opReq, result);
    const outcome: OperationOutcome = this.outcomeOf(a, result, req);
    const historyId = a.historyId ?? a.rsc!;
    const resultRec: ActionResult = {
      id: req.id,
      node,
      token: req.token,
      transitionId: req.transitionId,
      actionId: a.id,
      status: result.status,
      rc: result.rc,
      expectedRc: a.expectedRc,
      ...(result.exitReason ? { exitReason: result.exitReason } : {}),
      historyKey: keys.history(c, node, historyId, a.task === 'monitor' && a.intervalMs > 0 ? opIds.monitor(historyId, a.intervalMs) : opIds.last(historyId)),
      callId: outcome.callId,
      startedAt: result.startedAt,
      finishedAt: result.startedAt + result.durationMs,
    };
    const also: TxnOp[] = [
      { type: 'put', key: keys.result(c, node, req.id), value: encodeRecord(resultRec) },
      { type: 'delete', key: kv.key },
    ];
    try {
      await this.cib.recordOperation(node, historyId, agentOf(a), outcome, { also });
    } catch (err) {
      this.log(`${node}: could not record ${a.key}: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Secret parameters: requests, `active` and the history hold the stored (encrypted) values; the
  // agent alone gets the clear ones, and what it prints back (exit reason) is scrubbed of them.

  private key(): Promise<Buffer> {
    const s = this.opts.secrets;
    if (!this.secretKey) {
      this.secretKey = s?.key ? Promise.resolve(s.key) : s?.keyFile ? Promise.resolve().then(() => loadKeyFile(s.keyFile!)) : clusterKey(this.opts.store, this.opts.cluster);
      this.secretKey.catch(() => (this.secretKey = undefined));
    }
    return this.secretKey;
  }

  /** The request as the agent runs it: secret parameters decrypted (the key is fetched only when one is encrypted). */
  private async forAgent(req: OperationRequest): Promise<{ req: OperationRequest; secrets: string[] }> {
    const params = req.rsc.params;
    if (!Object.values(params).some((v) => isEncrypted(v))) return { req, secrets: [] };
    const clear = decryptForAgent(params, await this.key());
    const secrets = Object.keys(params).filter((k) => isEncrypted(params[k])).map((k) => clear[k]!).filter((v) => v.length > 0);
    return { req: { ...req, rsc: { ...req.rsc, params: clear } }, secrets };
  }

  /** Runs one operation with the clear parameters; a secret that cannot be decrypted fails it (rc 6, not configured). */
  private async execute(req: OperationRequest): Promise<OperationResult> {
    let clear: { req: OperationRequest; secrets: string[] };
    const startedAt = Date.now();
    try {
      clear = await this.forAgent(req);
    } catch (err) {
      const reason = `secret parameter of ${req.rsc.id} cannot be decrypted: ${(err as Error).message}`;
      this.log(`${this.opts.node}: ${req.action} ${req.rsc.id}: ${reason}`);
      return { rc: 6, status: 'error', stdout: '', stderr: '', exitReason: reason, startedAt, durationMs: Date.now() - startedAt };
    }
    const result = await this.executor.execute(clear.req);
    if (clear.secrets.length) {
      if (result.exitReason) result.exitReason = scrubText(result.exitReason, clear.secrets);
      result.stdout = scrubText(result.stdout, clear.secrets);
      result.stderr = scrubText(result.stderr, clear.secrets);
    }
    return result;
  }

  private operationRequest(a: TransitionAction): OperationRequest {
    const agent = a.agent!;
    return {
      rsc: {
        id: a.historyId ?? a.rsc!,
        standard: agent.class as ResourceStandard,
        ...(agent.provider ? { provider: agent.provider } : {}),
        type: agent.type,
        params: a.params ?? {},
        meta: a.meta ?? {},
      },
      action: a.task as OperationAction,
      intervalMs: a.intervalMs,
      timeoutMs: a.timeoutMs || 20_000,
    };
  }

  private outcomeOf(a: TransitionAction, result: OperationResult, req?: ActionRequest): OperationOutcome {
    return {
      operation: a.task,
      intervalMs: a.intervalMs,
      rc: result.rc,
      status: result.status,
      callId: this.callId++,
      expectedRc: a.expectedRc,
      ...(req ? { transitionKey: transitionKeyOf(a.id, req.transitionId, a.expectedRc, String(req.token)) } : {}),
      params: a.params ?? {},
      ...(result.exitReason ? { exitReason: result.exitReason } : {}),
      startedAt: result.startedAt,
      execTimeMs: result.durationMs,
    };
  }

  /** Keep `active` in step with what ran. */
  private track(a: TransitionAction, opReq: OperationRequest, result: OperationResult): void {
    const id = opReq.rsc.id;
    const ok = result.status === 'done';
    const entry = (role: 'Started' | 'Promoted') => {
      const cur = this.active.get(id);
      if (cur) cur.role = role;
      else this.active.set(id, { id, historyId: a.historyId ?? a.rsc!, agent: agentOf(a), role, spec: opReq.rsc, monitors: new Map() });
    };
    switch (a.task) {
      case 'start':
      case 'migrate_from':
        if (ok && result.rc === 0) entry('Started');
        break;
      case 'promote':
        if (ok && result.rc === 0) entry('Promoted');
        break;
      case 'demote':
        if (ok && result.rc === 0) entry('Started');
        break;
      case 'stop':
      case 'migrate_to':
        if (ok && result.rc === 0) this.active.delete(id);
        break;
      case 'monitor':
        if (ok && result.rc === 0) entry(this.active.get(id)?.role ?? 'Started');
        else if (ok && result.rc === 8) entry('Promoted');
        else if (ok && result.rc === 7 && a.intervalMs === 0) this.active.delete(id);
        break;
    }
  }

  private async startMonitor(a: TransitionAction, opReq: OperationRequest): Promise<void> {
    const id = opReq.rsc.id;
    const historyId = a.historyId ?? a.rsc!;
    const cur = this.active.get(id);
    if (cur) cur.monitors.set(a.intervalMs, { expectedRc: a.expectedRc, timeoutMs: a.timeoutMs });
    let clear: { req: OperationRequest; secrets: string[] };
    try {
      clear = await this.forAgent({ ...opReq, action: 'monitor' });
    } catch (err) {
      this.log(`${this.opts.node}: cannot start the monitor of ${id}: ${(err as Error).message}`);
      return;
    }
    if (this.dead) return;
    this.executor.startRecurring(clear.req, (ev) => {
      if (this.dead) return;
      if (ev.result.exitReason && clear.secrets.length) ev.result.exitReason = scrubText(ev.result.exitReason, clear.secrets);
      const failed = ev.result.status !== 'done' || ev.result.rc !== a.expectedRc;
      if (!ev.changed && !failed) return;
      if (!ev.changed && failed) return; // already recorded: keep last-rc-change
      void this.cib
        .recordOperation(this.opts.node, historyId, agentOf(a), this.outcomeOf(a, ev.result))
        .catch((err: Error) => this.log(`${this.opts.node}: could not record monitor of ${id}: ${err.message}`));
      if (failed) this.log(`${this.opts.node}: monitor of ${id} failed: rc ${ev.result.rc} (${ev.result.status})${ev.result.exitReason ? `: ${ev.result.exitReason}` : ''}`);
    });
  }

  /** process class: the child exited on its own; record a monitor failure right away. */
  private async onProcessExit(rscId: string, at: number, code: number | null, signal: string | null): Promise<void> {
    if (this.dead) return;
    const cur = this.active.get(rscId);
    if (!cur) return;
    const [interval, mon] = [...cur.monitors.entries()][0] ?? [0, { expectedRc: 0, timeoutMs: 20_000 }];
    const reason = `process exited unexpectedly (${signal ? `signal ${signal}` : `exit code ${code}`})`;
    this.log(`${this.opts.node}: ${rscId}: ${reason}`);
    const outcome: OperationOutcome = {
      operation: 'monitor',
      intervalMs: interval,
      rc: 7,
      status: 'done',
      callId: this.callId++,
      expectedRc: mon.expectedRc,
      exitReason: reason,
      startedAt: at,
      execTimeMs: 0,
      params: cur.spec.params,
    };
    this.active.delete(rscId);
    try {
      await this.cib.recordOperation(this.opts.node, cur.historyId, cur.agent, outcome);
    } catch (err) {
      this.log(`${this.opts.node}: could not record the exit of ${rscId}: ${(err as Error).message}`);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Quorum loss

  private onQuorumLost(deadline: number): void {
    if (this.dead || this.stopping) return;
    const policy = this.noQuorumPolicy;
    const report: QuorumLossReport = { deadline, policy, resources: [...this.active.keys()] };
    this.lastQuorumLoss = report;
    if (policy === 'freeze' || policy === 'ignore') {
      this.log(`${this.opts.node} lost quorum; no-quorum-policy=${policy}: resources left running`);
      return;
    }
    this.quorumLossDone = (async () => {
      await this.stopAll(policy === 'demote' ? 'demote' : 'stop');
      report.stoppedAt = nowMs();
      report.inTime = report.stoppedAt <= deadline;
      const hook = this.membership.selfFence;
      if (policy === 'suicide') hook.expire(`no-quorum-policy=suicide: ${this.opts.node} lost quorum`);
      else if (!report.inTime) hook.expire(`${this.opts.node} stopped its resources ${Math.round(report.stoppedAt - deadline)} ms after its self-fencing deadline`);
      else hook.disarm();
      this.log(
        `${this.opts.node} lost quorum; no-quorum-policy=${policy}: ${report.resources.length} resource(s) ${policy === 'demote' ? 'demoted' : 'stopped'} ${Math.round(deadline - report.stoppedAt)} ms before its deadline`,
      );
    })();
  }

  /** Demote promoted instances first, then stop everything in parallel (results recorded best effort). */
  private async stopAll(mode: 'stop' | 'demote'): Promise<void> {
    const list = [...this.active.values()];
    await Promise.all(
      list
        .filter((r) => r.role === 'Promoted')
        .map(async (r) => {
          const res = await this.execute({ rsc: r.spec, action: 'demote', intervalMs: 0, timeoutMs: 20_000 });
          if (res.status === 'done' && res.rc === 0) r.role = 'Started';
          this.recordLocal(r, 'demote', res);
        }),
    );
    if (mode === 'demote') return;
    await Promise.all(
      list.map(async (r) => {
        const res = await this.execute({ rsc: r.spec, action: 'stop', intervalMs: 0, timeoutMs: 20_000 });
        if (res.status === 'done' && res.rc === 0) this.active.delete(r.id);
        this.recordLocal(r, 'stop', res);
      }),
    );
  }

  private recordLocal(r: ActiveResource, task: string, res: OperationResult): void {
    if (this.dead) return;
    const outcome: OperationOutcome = { operation: task, intervalMs: 0, rc: res.rc, status: res.status, callId: this.callId++, expectedRc: 0, startedAt: res.startedAt, execTimeMs: res.durationMs, params: r.spec.params };
    void this.cib.recordOperation(this.opts.node, r.historyId, r.agent, outcome).catch(() => {});
  }

  // ---------------------------------------------------------------------------------------------
  // Shutdown

  /** Clean leave: stop every resource (demote first), mark expected=down, leave membership. */
  async stop(): Promise<void> {
    if (this.dead || this.stopping) return;
    this.stopping = true;
    this.actionsWatch?.cancel();
    await this.stopAll('stop');
    try {
      await this.cib.updateNode(this.opts.node, (r) => {
        r.expected = 'down';
      });
    } catch (err) {
      this.log(`${this.opts.node}: could not mark itself down: ${(err as Error).message}`);
    }
    await this.membership.stop();
    this.close();
    await this.executor.shutdown();
  }

  /** Crash: silence at once, no result writes. (In one process the supervised children are cleaned up.) */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.membership?.kill();
    this.close();
    void this.executor.shutdown().catch(() => {});
  }

  private close(): void {
    this.actionsWatch?.cancel();
    this.configWatch?.cancel();
    for (const u of this.unsubscribers) u();
    this.unsubscribers = [];
  }
}

function agentOf(a: TransitionAction): AgentRef {
  const ag = a.agent!;
  return { class: ag.class, ...(ag.provider ? { provider: ag.provider } : {}), type: ag.type };
}
