// Test harness for the DC: a membership view the test controls (peers lost at a chosen instant,
// with a chosen self-fencing deadline), a real store election for the leadership, and a minimal
// node that executes action requests with the real executor (real agents, real processes).
// Tests that need the full node runtime use src/node/node-agent.ts instead; this harness exists so
// the DC's own paths (timeouts, refusals, deposition, vanishing nodes) can be driven precisely.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CibStore } from '../../src/cib/cib-store.ts';
import { decodeRecord, encodeRecord, keys, transitionKeyOf, type ActionRequest, type ActionResult } from '../../src/cib/store-layout.ts';
import { Executor, type OperationAction, type OperationResult } from '../../src/executor/index.ts';
import type { Leadership, LeaderRef, MembershipEvents, MembershipView, PeerView, TimingBudget } from '../../src/membership/types.ts';
import { DEFAULT_TIMING } from '../../src/membership/types.ts';
import { Election, openStore, watchWithRelist, type RelistWatch, type Store } from '../../src/store/index.ts';

export class TestView implements MembershipView {
  readonly timing: Readonly<TimingBudget> = DEFAULT_TIMING;
  quorate = true;
  leader: LeaderRef | null = null;
  leadership: Leadership | undefined;
  private readonly peerMap = new Map<string, PeerView>();
  private readonly listeners = new Map<string, Set<(...args: unknown[]) => void>>();

  constructor(
    readonly self: { name: string; id: string },
    peers: string[],
  ) {
    peers.forEach((name, i) => this.peerMap.set(name, { name, id: String(i + 2), state: 'up', lastHeardMs: Date.now(), voter: true, hasLease: true }));
  }

  peers(): PeerView[] {
    return [...this.peerMap.values()].map((p) => ({ ...p }));
  }
  peer(name: string): PeerView | undefined {
    const p = this.peerMap.get(name);
    return p ? { ...p } : undefined;
  }
  knownStopped(name: string, nowMs: number): boolean {
    const p = this.peerMap.get(name);
    if (!p) return false;
    return p.state === 'left' || (p.state === 'lost' && p.selfFencedBy !== undefined && nowMs >= p.selfFencedBy);
  }
  on<E extends keyof MembershipEvents>(event: E, listener: MembershipEvents[E]): () => void {
    const set = this.listeners.get(event) ?? new Set();
    set.add(listener as (...args: unknown[]) => void);
    this.listeners.set(event, set);
    return () => void set.delete(listener as (...args: unknown[]) => void);
  }
  emit<E extends keyof MembershipEvents>(event: E, ...args: Parameters<MembershipEvents[E]>): void {
    for (const l of this.listeners.get(event) ?? []) l(...args);
  }
  /** The peer is lost now; it is known stopped `selfFenceInMs` from now. */
  lose(name: string, selfFenceInMs: number): number {
    const p = this.peerMap.get(name)!;
    p.state = 'lost';
    p.selfFencedBy = Date.now() + selfFenceInMs;
    this.emit('peer', { ...p });
    return p.selfFencedBy;
  }
  setUp(name: string): void {
    const p = this.peerMap.get(name)!;
    p.state = 'up';
    delete p.selfFencedBy;
    this.emit('peer', { ...p });
  }
}

/** Wins a real store election and wraps it as the membership's Leadership. */
export async function lead(store: Store, cluster: string, node: string): Promise<{ leadership: Leadership; election: Election }> {
  const election = new Election(store, { prefix: keys.election(cluster), nodeId: node, ttlSeconds: 5 });
  const l = await election.campaign();
  const leadership: Leadership = {
    token: l.token,
    fence: l.fence,
    get active() {
      return l.active;
    },
    fencedTxn: (req) => election.fencedTxn(l.token, req),
    ended: l.ended,
  };
  return { leadership, election };
}

export interface MiniNodeOptions {
  store: Store;
  cib: CibStore;
  cluster: string;
  name: string;
  /** Never answer action requests (a hung node agent). */
  silent?: boolean;
}

/**
 * Executes the action requests addressed to one node with the real executor: refuses a token below
 * the highest it has seen, writes history + result and deletes the request in one txn, runs
 * recurring monitors, and reports a supervised process's exit at once.
 */
export class MiniNode {
  readonly executor: Executor;
  readonly stateDir: string;
  private watch: RelistWatch | undefined;
  private highestToken = 0;
  private callId = 0;
  private stopped = false;
  private readonly monitors = new Map<string, { rsc: string; intervalMs: number; req: ActionRequest }>();

  constructor(private readonly o: MiniNodeOptions) {
    this.stateDir = mkdtempSync(join(tmpdir(), `tandem-mini-${o.name}-`));
    this.executor = new Executor({ nodeName: o.name, killGraceMs: 200, rscTmpDir: this.stateDir });
    this.executor.onProcessExit((e) => void this.onExit(e.rscId));
  }

  async start(): Promise<void> {
    await this.executor.start();
    this.watch = watchWithRelist(this.o.store, keys.nodeActionsPrefix(this.o.cluster, this.o.name), {
      onSnapshot: (kvs) => kvs.forEach((kv) => void this.onRequest(kv.key, kv.value)),
      onEvents: (evs) => evs.forEach((ev) => ev.type === 'put' && void this.onRequest(ev.key, ev.kv.value)),
    });
    await this.watch.ready;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.watch?.cancel();
    await this.executor.shutdown();
    rmSync(this.stateDir, { recursive: true, force: true });
  }

  private spec(req: ActionRequest) {
    const a = req.action;
    const params = { ...a.params };
    if (a.agent?.type === 'Dummy' && !params.state) params.state = join(this.stateDir, `Dummy-${a.rsc}.state`);
    return {
      id: a.rsc ?? a.key,
      standard: (a.agent?.class ?? 'ocf') as 'ocf',
      ...(a.agent?.provider ? { provider: a.agent.provider } : {}),
      type: a.agent?.type ?? 'unknown',
      params,
      meta: a.meta,
    };
  }

  private async onRequest(key: string, value: string): Promise<void> {
    if (this.stopped || this.o.silent) return;
    const req = decodeRecord<ActionRequest>(key, value);
    const a = req.action;
    if (req.token < this.highestToken) {
      await this.answer(req, key, { status: 'refused', rc: 1, exitReason: `token ${req.token} is below ${this.highestToken}` });
      return;
    }
    this.highestToken = req.token;
    const result = await this.executor.execute({ rsc: this.spec(req), action: a.task as OperationAction, intervalMs: 0, timeoutMs: a.timeoutMs });
    if (this.stopped) return;
    const ok = result.status === 'done' && result.rc === a.expectedRc;
    if (ok && a.task === 'monitor' && a.intervalMs > 0) this.startMonitor(req);
    await this.answer(req, key, { status: result.status, rc: result.rc, ...(result.exitReason ? { exitReason: result.exitReason } : {}) }, result);
  }

  private startMonitor(req: ActionRequest): void {
    const a = req.action;
    this.monitors.set(`${a.rsc}/${a.intervalMs}`, { rsc: a.rsc!, intervalMs: a.intervalMs, req });
    this.executor.startRecurring({ rsc: this.spec(req), action: 'monitor', intervalMs: a.intervalMs, timeoutMs: a.timeoutMs }, ({ result, changed }) => {
      if (changed && !this.stopped) void this.recordMonitor(req, result);
    });
  }

  private async onExit(rscId: string): Promise<void> {
    for (const m of this.monitors.values()) {
      if (m.rsc !== rscId) continue;
      this.executor.cancelRecurring(rscId, m.intervalMs);
      this.monitors.delete(`${m.rsc}/${m.intervalMs}`);
      await this.recordMonitor(m.req, { rc: 7, status: 'done', stdout: '', stderr: '', exitReason: 'process exited', startedAt: Date.now(), durationMs: 0 });
    }
  }

  private async recordMonitor(req: ActionRequest, result: OperationResult): Promise<void> {
    const a = req.action;
    await this.o.cib.recordOperation(this.o.name, a.historyId ?? a.rsc!, a.agent!, {
      operation: 'monitor',
      intervalMs: a.intervalMs,
      rc: result.rc,
      status: result.status,
      callId: ++this.callId,
      expectedRc: a.expectedRc,
      transitionKey: transitionKeyOf(a.id, req.transitionId, a.expectedRc, String(req.token)),
      params: a.params,
      ...(result.exitReason ? { exitReason: result.exitReason } : {}),
      startedAt: result.startedAt,
    });
  }

  private async answer(req: ActionRequest, key: string, r: Pick<ActionResult, 'status' | 'rc' | 'exitReason'>, result?: OperationResult): Promise<void> {
    const a = req.action;
    const now = Date.now();
    const res: ActionResult = {
      id: req.id,
      node: this.o.name,
      token: req.token,
      transitionId: req.transitionId,
      actionId: a.id,
      status: r.status,
      rc: r.rc,
      expectedRc: a.expectedRc,
      ...(r.exitReason ? { exitReason: r.exitReason } : {}),
      startedAt: result?.startedAt ?? now,
      finishedAt: now,
    };
    const also = [
      { type: 'put' as const, key: keys.result(this.o.cluster, this.o.name, req.id), value: encodeRecord(res) },
      { type: 'delete' as const, key },
    ];
    const compares = [{ key, target: 'version' as const, op: '>' as const, value: 0 }];
    if (r.status === 'refused' || !a.rsc) {
      await this.o.store.txn({ compares, success: also });
      return;
    }
    await this.o.cib.recordOperation(
      this.o.name,
      a.historyId ?? a.rsc,
      a.agent!,
      {
        operation: a.task,
        intervalMs: a.intervalMs,
        rc: r.rc,
        status: r.status,
        callId: ++this.callId,
        expectedRc: a.expectedRc,
        transitionKey: transitionKeyOf(a.id, req.transitionId, a.expectedRc, String(req.token)),
        params: a.params,
        ...(r.exitReason ? { exitReason: r.exitReason } : {}),
        startedAt: result?.startedAt ?? now,
        execTimeMs: result?.durationMs ?? 0,
      },
      { compares, also },
    );
  }
}

export function newCluster(): { store: Store; cib: CibStore; cluster: string } {
  const store = openStore({ kind: 'embedded' });
  const cluster = 'test';
  return { store, cib: new CibStore(store, cluster), cluster };
}

/** A CIB with three nodes and the given resources/constraints/properties XML. */
export function cibXml(opts: { resources: string; constraints?: string; props?: Record<string, string>; nodes?: string[] }): string {
  const nodes = opts.nodes ?? ['n1', 'n2', 'n3'];
  const props = { 'stonith-enabled': 'false', ...(opts.props ?? {}) };
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">${Object.entries(props)
      .map(([k, v]) => `<nvpair id="opt-${k}" name="${k}" value="${v}"/>`)
      .join('')}</cluster_property_set></crm_config>
    <nodes>${nodes.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>
    <resources>${opts.resources}</resources>
    <constraints>${opts.constraints ?? ''}</constraints>
  </configuration>
  <status/>
</cib>`;
}

/** Polls `fn` every 5 ms until it returns a truthy value; rejects after `timeoutMs`. */
export async function until<T>(fn: () => T | Promise<T>, timeoutMs = 10_000, what = 'condition'): Promise<NonNullable<T>> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v as NonNullable<T>;
    if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

import { Controller } from '../../src/controller/controller.ts';
import { createLogger, MemorySink } from '../../src/controller/log.ts';
import { noDeviceFencer, type ControllerTiming } from '../../src/controller/types.ts';
import type { HistoryEntry } from '../../src/cib/store-layout.ts';

export interface DcSetupOptions {
  resources: string;
  constraints?: string;
  props?: Record<string, string>;
  /** Nodes whose agent never answers. */
  silent?: string[];
  timing?: Partial<ControllerTiming>;
}

/** A DC on n1 (real election, test view) over three MiniNodes sharing one embedded store. */
export async function setupDc(o: DcSetupOptions) {
  const h = newCluster();
  await h.cib.importCib(cibXml({ resources: o.resources, ...(o.props ? { props: o.props } : {}), ...(o.constraints ? { constraints: o.constraints } : {}) }));
  const sink = new MemorySink();
  const logger = createLogger({ level: 'debug', sinks: [sink.sink] });
  const nodes = await Promise.all(
    ['n1', 'n2', 'n3'].map(async (name) => {
      const n = new MiniNode({ ...h, name, silent: o.silent?.includes(name) ?? false });
      await n.start();
      return n;
    }),
  );
  const view = new TestView({ name: 'n1', id: '1' }, ['n2', 'n3']);
  const { leadership, election } = await lead(h.store, h.cluster, 'n1');
  view.leader = { name: 'n1', token: leadership.token };
  view.leadership = leadership;
  const controller = new Controller({ cluster: h.cluster, node: 'n1', store: h.store, view, cib: h.cib, fencer: noDeviceFencer, logger, ...(o.timing ? { timing: o.timing } : {}) });
  return {
    ...h,
    sink,
    nodes,
    view,
    controller,
    election,
    leadership,
    decisions: () => sink.decisions(),
    /** Nodes whose latest non-recurring operation on `rsc` left it running. */
    async runningOn(rsc: string): Promise<string[]> {
      const { kvs } = await h.store.list(keys.historyPrefix(h.cluster));
      const out: string[] = [];
      for (const kv of kvs) {
        const e = decodeRecord<HistoryEntry>(kv.key, kv.value);
        if (e.rsc === rsc && e.id === `${rsc}_last_0` && e.operation === 'start' && e.rcCode === 0 && e.opStatus === 0) out.push(e.onNode!);
      }
      return out.sort();
    },
    async close() {
      controller.stop();
      await election.close();
      await Promise.all(nodes.map((n) => n.stop()));
      await h.store.close();
    },
  };
}
