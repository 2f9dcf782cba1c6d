// One leadership of this node as DC (designated controller), from election to deposition.
//
// Loop: a relevant change (configuration, node record, attribute value, ticket, history not caused
// by the running transition, a node lost or left, quorum, the recheck timer) → debounce → read the
// CIB → schedule → build the transition → publish it (fenced) → dispatch each action once its inputs
// are done (action requests fenced on our token) → collect results. Any new change, a failed or
// unexpected result, a refusal, a node lost while its action runs, or an action without answer
// within its timeout + grace aborts the transition: nothing new is dispatched, in-flight actions are
// waited for (bounded), then the DC plans again (after a back-off if transitions keep failing).
//
// Every write goes through the leadership's fenced txn: once the leadership is over the store
// refuses it and the term stops at once.
import { CibConflictError, type CibStore } from '../cib/cib-store.ts';
import {
  decodeRecord,
  encodeRecord,
  keys,
  parseKey,
  transitionKeyOf,
  type ActionRequest,
  type ActionResult,
  type FencingRecord,
  type HistoryEntry,
  type TransientAttributeRecord,
  type TransitionRecord,
} from '../cib/store-layout.ts';
import type { Leadership, MembershipView, PeerView } from '../membership/types.ts';
import { schedule } from '../scheduler/index.ts';
import { buildTransition, type Transition, type TransitionAction } from '../scheduler/transition.ts';
import type { WorkingSet } from '../scheduler/types.ts';
import { isStoreError, StoreError, watchWithRelist, type Compare, type KeyValue, type RelistWatch, type Store, type TxnOp, type WatchEvent } from '../store/index.ts';
import { explainSummaryLine, joinReasons } from './explain.ts';
import type { Logger } from './log.ts';
import { DEFAULT_CONTROLLER_TIMING, type ControllerTiming, type Fencer } from './types.ts';
import { failCountNames, expiredFailCounts, nextFailureExpiryMs } from './failcounts.ts';

/** What the DC needs from the CIB in the store: `CibStore` of src/cib/cib-store.ts. */
export type ControllerCib = Pick<CibStore, 'readCibWithRevision' | 'markNodeStopped' | 'recordOperation'>;

export interface DcTermDeps {
  cluster: string;
  /** This node's name. */
  node: string;
  store: Store;
  view: MembershipView;
  leadership: Leadership;
  cib: ControllerCib;
  fencer: Fencer;
  logger: Logger;
  timing?: Partial<ControllerTiming>;
  /** Epoch ms. */
  now?: () => number;
}

type ActionState = 'waiting' | 'running' | 'done' | 'failed';

interface RunningTransition {
  id: number;
  /** Store revision of the CIB it was computed from. */
  inputRevision: number;
  actions: TransitionAction[];
  summary: string[];
  state: ActionState[];
  /** Request id → action id, for resource actions in flight. */
  inFlight: Map<string, number>;
  timers: Map<string, NodeJS.Timeout>;
  /** Fence actions in progress (fencer call or deadline wait). */
  fencing: Set<number>;
  deadlineWaits: Map<number, NodeJS.Timeout>;
  aborted: boolean;
  /** Whether it ended badly (counts for the back-off). */
  failed: boolean;
  abortReason?: string;
  startedAt: number;
  why: string;
  steps: ReturnType<typeof explainSummaryLine>[];
  dispatchedAt: Map<number, number>;
}

/** What /status shows about the DC. */
export interface DcStatus {
  token: number;
  state: 'inheriting' | 'idle' | 'planning' | 'running' | 'aborting' | 'backing-off' | 'stopped';
  transition?: { id: number; actions: number; done: number; summary: string[]; aborted: boolean };
  lastTransition?: { id: number; result: 'complete' | 'aborted'; durationMs: number; summary: string[] };
  nextRecheckAt?: number;
  consecutiveFailures: number;
}

const KNOWN_TRIGGER_PREFIXES = ['config', 'nodes/', 'attrs/', 'tickets/', 'history/'];

export class DcTerm {
  readonly token: number;
  private readonly timing: ControllerTiming;
  private readonly log: Logger;
  private readonly now: () => number;
  private readonly prefix: string;
  private watch: RelistWatch | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;
  private state: DcStatus['state'] = 'inheriting';

  private planTimer: NodeJS.Timeout | undefined;
  private recheckTimer: NodeJS.Timeout | undefined;
  private nextRecheckAt: number | undefined;
  private readonly selfFenceTimers = new Map<string, NodeJS.Timeout>();
  /** Lost nodes already recorded as stopped, with the deadline they were recorded for. */
  private readonly markedStopped = new Map<string, number>();
  private pendingReasons: string[] = [];
  private planning = false;
  private dirty = false;
  private transition: RunningTransition | undefined;
  private lastTransition: DcStatus['lastTransition'];
  private nextTransitionId = 1;
  private consecutiveFailures = 0;
  private backoffUntil = 0;
  private readonly fenceAttempts = new Map<string, number>();
  private readonly gaveUpLogged = new Set<string>();
  /** Revisions of our own writes: their watch events are not triggers. */
  private readonly ownRevisions = new Set<number>();
  private readonly ownPending: Array<{ key: string; prefix?: boolean }> = [];
  /** Previous DC's requests we wait for before planning: key → deadline (epoch ms). */
  private readonly inherited = new Map<string, { node: string; deadline: number }>();
  private inheritTimer: NodeJS.Timeout | undefined;
  private lastWs: WorkingSet | undefined;
  private inputRevision = 0;
  private maxFenceAttempts: number;
  private pendingResultDeletes: string[] = [];
  private readonly attrValues = new Map<string, string>();
  private readonly startFailureIsFatal = { value: true };

  constructor(private readonly deps: DcTermDeps) {
    this.token = deps.leadership.token;
    this.timing = { ...DEFAULT_CONTROLLER_TIMING, ...deps.timing };
    this.log = deps.logger;
    this.now = deps.now ?? Date.now;
    this.prefix = keys.root(deps.cluster);
    this.maxFenceAttempts = this.timing.stonithMaxAttempts;
  }

  /** Starts following the cluster; resolves once the first view of the store is loaded. */
  async start(): Promise<void> {
    const { view, leadership } = this.deps;
    this.log.decision(`became DC with token ${this.token}: won the election`, { token: this.token });
    void leadership.ended.then((end) => this.stop(`leadership ended (${end.reason}: ${end.detail})`));
    this.unsubscribe.push(
      view.on('peer', (p) => this.onPeer(p)),
      view.on('quorum', (q) => this.trigger(q.quorate ? 'quorum regained' : `quorum lost (${q.reason})`)),
      view.on('lost-leadership', (info) => {
        if (info.token === this.token) this.stop(`lost leadership (${info.reason}: ${info.detail})`);
      }),
    );
    for (const p of view.peers()) if (p.state === 'lost' && p.selfFencedBy !== undefined) this.armSelfFenceTimer(p);
    let first = true;
    let resolveReady!: () => void;
    const ready = new Promise<void>((r) => (resolveReady = r));
    this.watch = watchWithRelist(
      this.deps.store,
      this.prefix,
      {
        onSnapshot: (kvs, revision) => {
          this.onSnapshot(kvs, revision, first);
          if (first) (first = false), resolveReady();
        },
        onEvents: (events) => this.onEvents(events),
        onError: (err) => this.stop(`the store view ended: ${err.message}`),
      },
      { prevKv: true },
    );
    await ready;
  }

  /** Stops the loop at once: no further writes. In-flight requests stay for the next DC. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.state = 'stopped';
    this.watch?.cancel();
    for (const u of this.unsubscribe) u();
    clearTimeout(this.planTimer);
    clearTimeout(this.recheckTimer);
    clearTimeout(this.inheritTimer);
    for (const t of this.selfFenceTimers.values()) clearTimeout(t);
    const tr = this.transition;
    if (tr) for (const t of [...tr.timers.values(), ...tr.deadlineWaits.values()]) clearTimeout(t);
    this.log.decision(`stopped acting as DC (token ${this.token}): ${reason}`, { token: this.token });
  }

  get active(): boolean {
    return !this.stopped;
  }

  status(): DcStatus {
    const tr = this.transition;
    return {
      token: this.token,
      state: this.state,
      ...(tr
        ? {
            transition: {
              id: tr.id,
              actions: tr.actions.length,
              done: tr.state.filter((s) => s === 'done').length,
              summary: tr.summary,
              aborted: tr.aborted,
            },
          }
        : {}),
      ...(this.lastTransition ? { lastTransition: this.lastTransition } : {}),
      ...(this.nextRecheckAt !== undefined ? { nextRecheckAt: this.nextRecheckAt } : {}),
      consecutiveFailures: this.consecutiveFailures,
    };
  }

  // ------------------------------------------------------------------------------------------
  // Triggers

  /**
   * Something relevant changed: plan again (debounced; aborts a running transition). `delayMs` 0 is
   * for a change that comes alone and is the very thing recovery waits for (a self-fencing deadline).
   */
  trigger(reason: string, delayMs = this.timing.debounceMs): void {
    if (this.stopped) return;
    this.pendingReasons.push(reason);
    // Something changed: fencing may be worth trying again.
    if (!reason.startsWith('recheck')) this.fenceAttempts.clear(), this.gaveUpLogged.clear();
    if (this.transition && !this.transition.aborted) this.abort(reason, false);
    this.schedulePlan(delayMs);
  }

  private schedulePlan(delayMs: number): void {
    if (this.stopped || this.state === 'inheriting') return;
    const wait = Math.max(delayMs, this.backoffUntil - this.now());
    if (this.planTimer) return; // one is already coming; it will see the new reasons
    if (wait > this.timing.debounceMs) this.state = this.transition ? this.state : 'backing-off';
    this.planTimer = setTimeout(() => {
      this.planTimer = undefined;
      if (this.transition || this.planning) {
        this.dirty = true;
        return;
      }
      void this.plan();
    }, wait);
  }

  private onPeer(p: PeerView): void {
    if (p.state === 'lost' || p.state === 'left') {
      this.dropActionsOn(p.name, p.state === 'lost' ? `${p.name} was lost` : `${p.name} left`);
      for (const [k, v] of this.inherited) if (v.node === p.name) this.inherited.delete(k);
      this.checkInheritance();
    }
    if (p.state === 'lost') {
      if (p.selfFencedBy !== undefined) {
        this.armSelfFenceTimer(p);
        // Deadline (almost) passed: the timer marks it stopped and plans once, with that known.
        if (p.selfFencedBy - this.now() <= 2 * this.timing.debounceMs) return;
      }
      const left = p.selfFencedBy !== undefined ? p.selfFencedBy - this.now() : undefined;
      const by = left === undefined ? '' : left > 0 ? ` (known stopped in ${left} ms, at its self-fencing deadline)` : ' (already past its self-fencing deadline)';
      this.trigger(`${p.name} was lost${by}`);
    } else if (p.state === 'left') {
      this.trigger(`${p.name} left the cluster`);
    } else if (p.state === 'up') {
      const t = this.selfFenceTimers.get(p.name);
      if (t) clearTimeout(t), this.selfFenceTimers.delete(p.name);
      this.trigger(`${p.name} is up`);
    }
    // 'suspect' is not acted on: only a lost node's resources are recovered.
  }

  /** Plan again right at a lost node's self-fencing deadline (not at its lease expiry). */
  private armSelfFenceTimer(p: PeerView): void {
    if (p.selfFencedBy === undefined) return;
    const old = this.selfFenceTimers.get(p.name);
    if (old) clearTimeout(old);
    const at = p.selfFencedBy;
    const timer = setTimeout(() => {
      this.selfFenceTimers.delete(p.name);
      this.onSelfFenceDeadline(p.name, at);
    }, Math.max(0, at - this.now()) + 1);
    this.selfFenceTimers.set(p.name, timer);
  }

  private onSelfFenceDeadline(name: string, at: number): void {
    if (this.stopped) return;
    if (this.markedStopped.get(name) === at) return;
    // A fence action waiting on this deadline completes itself (see runFence); otherwise re-plan.
    const tr = this.transition;
    if (tr && [...tr.deadlineWaits.keys()].some((id) => tr.actions[id]?.fence?.target === name)) return;
    const peer = this.deps.view.peer(name);
    if (!peer || peer.state !== 'lost') return;
    this.markedStopped.set(name, at);
    // Plan at once: readCib takes node states from the membership view, where the node is known
    // stopped from now on (offline, its history ignored), so the plan need not wait for the record
    // written here (which clears its history and attributes for when it rejoins).
    this.log.decision(`${name} is known stopped: it passed its self-fencing deadline`);
    this.trigger(`${name} is known stopped at its self-fencing deadline`, 0);
    void this.markStopped(name, at, undefined, 'self-fence deadline passed').catch((err) => this.handleStoreError(err));
  }

  // ------------------------------------------------------------------------------------------
  // The store view

  private isOwn(rev: number): boolean {
    return this.ownRevisions.has(rev);
  }

  /** An event of one of our writes (its txn may still be on its way back to us). */
  private isOwnEvent(ev: WatchEvent): boolean {
    if (this.ownRevisions.has(ev.revision)) return true;
    if (this.ownPending.some((p) => (p.prefix ? ev.key.startsWith(p.key) : ev.key === p.key))) {
      this.noteOwn(ev.revision);
      return true;
    }
    return false;
  }

  /** Registers keys we are about to write; returns a function to call once the write returned. */
  private expectOwn(entries: Array<{ key: string; prefix?: boolean }>): () => void {
    this.ownPending.push(...entries);
    return () => {
      for (const e of entries) {
        const i = this.ownPending.indexOf(e);
        if (i >= 0) this.ownPending.splice(i, 1);
      }
    };
  }

  private noteOwn(rev: number): void {
    this.ownRevisions.add(rev);
    if (this.ownRevisions.size > 512) {
      const drop = [...this.ownRevisions].slice(0, 256);
      for (const r of drop) this.ownRevisions.delete(r);
    }
  }

  private rel(key: string): string {
    return key.slice(this.prefix.length);
  }

  private onSnapshot(kvs: KeyValue[], _revision: number, first: boolean): void {
    this.attrValues.clear();
    for (const kv of kvs) {
      const rel = this.rel(kv.key);
      if (rel.startsWith('attrs/')) this.attrValues.set(kv.key, kv.value);
    }
    if (first) {
      this.inheritFrom(kvs);
      return;
    }
    // A re-list after compaction: results may have been missed; look at what is there now.
    for (const kv of kvs) if (this.rel(kv.key).startsWith('results/')) this.onResult(kv.key, kv.value);
    this.trigger('the store view was re-read');
  }

  private onEvents(events: WatchEvent[]): void {
    if (this.stopped) return;
    // Results first: history written in the same txn as one of our results is not a trigger.
    const resultRevisions = new Set<number>();
    for (const ev of events) {
      const rel = this.rel(ev.key);
      if (rel.startsWith('results/') && ev.type === 'put') {
        if (this.onResult(ev.key, ev.kv.value)) resultRevisions.add(ev.revision);
      } else if (rel.startsWith('actions/') && ev.type === 'delete') {
        if (this.inherited.delete(ev.key)) this.checkInheritance();
      }
    }
    for (const ev of events) {
      const rel = this.rel(ev.key);
      if (!KNOWN_TRIGGER_PREFIXES.some((p) => rel.startsWith(p))) continue;
      if (rel.startsWith('history/')) {
        if (ev.type === 'put') this.onHistoryPut(ev);
        if (resultRevisions.has(ev.revision) || this.isOwnEvent(ev)) continue;
        if (ev.type === 'put') {
          const h = safeDecode<HistoryEntry>(ev.key, ev.kv.value);
          const [node] = parseKey(keys.historyPrefix(this.deps.cluster), ev.key);
          if (h) this.trigger(`${h.operation}${h.intervalMs ? ` (${h.intervalMs} ms)` : ''} of ${h.rsc} on ${node} reported ${rcText(h)}`);
        }
        continue;
      }
      if (rel.startsWith('attrs/')) {
        const before = this.attrValues.get(ev.key);
        const after = ev.type === 'put' ? ev.kv.value : undefined;
        if (after === undefined) this.attrValues.delete(ev.key);
        else this.attrValues.set(ev.key, after);
        const vb = before === undefined ? undefined : safeDecode<TransientAttributeRecord>(ev.key, before)?.value;
        const va = after === undefined ? undefined : safeDecode<TransientAttributeRecord>(ev.key, after)?.value;
        if (vb === va || this.isOwnEvent(ev)) continue;
        const [node, name] = parseKey(keys.attrsPrefix(this.deps.cluster), ev.key);
        this.trigger(va === undefined ? `attribute ${name} of ${node} was removed` : `attribute ${name} of ${node} is now ${va}`);
        continue;
      }
      if (this.isOwnEvent(ev)) continue;
      if (rel === 'config') this.trigger('the configuration changed');
      else if (rel.startsWith('nodes/')) this.trigger(`node record of ${parseKey(keys.nodesPrefix(this.deps.cluster), ev.key)[0]} changed`);
      else if (rel.startsWith('tickets/')) this.trigger(`ticket ${parseKey(keys.ticketsPrefix(this.deps.cluster), ev.key)[0]} changed`);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Taking over from a previous DC

  private inheritFrom(kvs: KeyValue[]): void {
    const now = this.now();
    const staleResults: string[] = [];
    for (const kv of kvs) {
      const rel = this.rel(kv.key);
      if (rel === 'transitions/current') {
        const rec = safeDecode<TransitionRecord>(kv.key, kv.value);
        if (rec) this.nextTransitionId = rec.id + 1;
      } else if (rel.startsWith('actions/')) {
        const req = safeDecode<ActionRequest>(kv.key, kv.value);
        if (!req || req.token >= this.token) continue;
        const peer = this.deps.view.peer(req.node);
        if (peer && (peer.state === 'lost' || peer.state === 'left')) continue;
        const deadline = Math.min(req.createdAt + req.action.timeoutMs + this.timing.resultGraceMs, now + this.timing.inheritWaitMaxMs);
        this.inherited.set(kv.key, { node: req.node, deadline: Math.max(deadline, now) });
      } else if (rel.startsWith('results/')) {
        const res = safeDecode<ActionResult>(kv.key, kv.value);
        if (res && res.token < this.token) staleResults.push(kv.key);
      }
    }
    if (staleResults.length) this.deleteResults(staleResults);
    if (this.inherited.size) {
      const last = Math.max(...[...this.inherited.values()].map((v) => v.deadline));
      this.log.decision(
        `waiting for ${this.inherited.size} action(s) of the previous DC before planning (at most ${last - now} ms): their outcome decides what comes next`,
      );
      this.inheritTimer = setTimeout(() => this.finishInheritance(true), last - now + 1);
      return;
    }
    this.finishInheritance(false);
  }

  private checkInheritance(): void {
    if (this.state === 'inheriting' && this.inherited.size === 0 && this.watch) this.finishInheritance(false);
  }

  private finishInheritance(timedOut: boolean): void {
    if (this.state !== 'inheriting' || this.stopped) return;
    clearTimeout(this.inheritTimer);
    const left = [...this.inherited.keys()];
    this.inherited.clear();
    this.state = 'idle';
    if (timedOut && left.length) {
      this.log.decision(`withdrew ${left.length} unanswered action(s) of the previous DC: no answer within their timeout`);
      void this.fenced(left.map((key) => ({ type: 'delete', key }) as TxnOp)).catch(() => {});
    }
    this.trigger('took over as DC');
  }

  // ------------------------------------------------------------------------------------------
  // Planning

  private async plan(): Promise<void> {
    if (this.stopped || this.planning) return;
    this.planning = true;
    this.state = 'planning';
    const reasons = this.pendingReasons;
    this.pendingReasons = [];
    this.dirty = false;
    const now = this.now();
    let transition: Transition;
    try {
      const { cib, revision } = await this.deps.cib.readCibWithRevision(this.deps.view, now);
      this.inputRevision = revision;
      if (this.stopped) return;
      const result = schedule(cib, Math.floor(now / 1000));
      transition = buildTransition(result);
      this.lastWs = result.ws;
      this.startFailureIsFatal.value = result.ws.options.startFailureIsFatal;
      const maxAttempts = Number(result.ws.options.raw.get('stonith-max-attempts'));
      this.maxFenceAttempts = Number.isInteger(maxAttempts) && maxAttempts > 0 ? maxAttempts : this.timing.stonithMaxAttempts;
      if (await this.clearExpiredFailCounts(result.ws, now)) {
        // Our own deletion changes nothing the scheduler has not already discounted; plan on.
      }
      this.armRecheck(result.ws, now);
    } catch (err) {
      this.planning = false;
      if (this.handleStoreError(err)) return;
      this.consecutiveFailures++;
      this.log.error(`could not plan: ${(err as Error).message}`, { err: String((err as Error).stack ?? err) });
      this.pendingReasons.push(...reasons);
      this.backoff('planning failed');
      return;
    }
    this.planning = false;
    if (this.stopped) return;
    if (this.dirty) {
      // Changes arrived while reading: that plan is already stale.
      this.pendingReasons.push(...reasons);
      this.schedulePlan(0);
      return;
    }
    if (transition.actions.length === 0) {
      this.state = 'idle';
      this.consecutiveFailures = 0;
      this.log.debug(`nothing to do after ${joinReasons(reasons)}`);
      return;
    }
    // A lost node that is not yet known stopped may still run its resources: act on it only once it
    // is (its self-fencing deadline re-plans; fencing, when enabled, is in the transition itself).
    const waitingFor = new Set<string>();
    for (const a of transition.actions) {
      if (a.type !== 'resource' || !a.node) continue;
      const p = this.deps.view.peer(a.node);
      if (p && (p.state === 'lost' || p.state === 'left') && !this.deps.view.knownStopped(a.node, this.now())) waitingFor.add(a.node);
    }
    if (waitingFor.size) {
      for (const n of waitingFor) {
        const by = this.deps.view.peer(n)?.selfFencedBy;
        this.log.decision(
          `waiting for ${n} to be known stopped${by !== undefined ? ` (self-fencing deadline in ${Math.max(0, by - this.now())} ms)` : ''} before changing anything: it may still run its resources`,
        );
      }
      this.pendingReasons.push(...reasons);
      this.state = 'idle';
      return;
    }
    // Fencing that keeps failing is given up until something changes.
    const blocked = transition.actions.filter((a) => a.type === 'fence' && (this.fenceAttempts.get(a.fence!.target) ?? 0) >= this.maxFenceAttempts);
    if (blocked.length) {
      for (const a of blocked) {
        const target = a.fence!.target;
        if (this.gaveUpLogged.has(target)) continue;
        this.gaveUpLogged.add(target);
        this.log.decision(
          `gave up fencing ${target} after ${this.maxFenceAttempts} failed attempts (stonith-max-attempts): its resources stay where they are until something changes`,
        );
      }
      this.state = 'idle';
      return;
    }
    await this.run(transition, joinReasons(reasons));
  }

  private armRecheck(ws: WorkingSet, now: number): void {
    clearTimeout(this.recheckTimer);
    const candidates: Array<[number, string]> = [];
    const interval = ws.options.clusterRecheckIntervalMs;
    if (interval > 0) candidates.push([now + interval, 'cluster-recheck-interval passed']);
    const expiry = nextFailureExpiryMs(ws, now);
    // Expiries already passed were just cleared (clearExpiredFailCounts) and planned for.
    if (expiry !== undefined && expiry > now) candidates.push([expiry, 'a failure-timeout expired']);
    if (candidates.length === 0) return;
    const [at, why] = candidates.reduce((a, b) => (b[0] < a[0] ? b : a));
    this.nextRecheckAt = at;
    this.recheckTimer = setTimeout(() => this.trigger(`recheck: ${why}`), Math.min(at - now, 2 ** 31 - 1));
    this.recheckTimer.unref?.();
  }

  /** Expired fail counts are discounted by the scheduler; removing them keeps the status clean. */
  private async clearExpiredFailCounts(ws: WorkingSet, now: number): Promise<boolean> {
    const expired = expiredFailCounts(ws, now);
    if (expired.length === 0) return false;
    const ops: TxnOp[] = [];
    for (const e of expired) {
      for (const name of e.attributes) ops.push({ type: 'delete', key: keys.attr(this.deps.cluster, e.node, name) });
      this.log.decision(
        `cleared the fail count of ${e.rsc} on ${e.node}: its failure-timeout of ${Math.round(e.failureTimeoutMs / 1000)} s passed since the last failure`,
      );
    }
    await this.fenced(ops);
    return true;
  }

  // ------------------------------------------------------------------------------------------
  // Executing a transition

  private async run(t: Transition, why: string): Promise<void> {
    const id = this.nextTransitionId++;
    const tr: RunningTransition = {
      id,
      inputRevision: this.inputRevision,
      actions: t.actions,
      summary: t.summary,
      state: t.actions.map(() => 'waiting'),
      inFlight: new Map(),
      timers: new Map(),
      fencing: new Set(),
      deadlineWaits: new Map(),
      aborted: false,
      failed: false,
      startedAt: this.now(),
      why,
      steps: t.summary.map(explainSummaryLine),
      dispatchedAt: new Map(),
    };
    this.transition = tr;
    this.state = 'running';
    for (const step of tr.steps) if (step) this.log.decision(`decided to ${step.text}: ${why}`, { transition: id });
    if (!tr.steps.some(Boolean)) this.log.decision(`running transition ${id} (${t.actions.length} actions, e.g. monitors to set up): ${why}`, { transition: id });
    try {
      await this.fenced([{ type: 'put', key: keys.transition(this.deps.cluster), value: encodeRecord(this.record(tr, 'running')) }]);
    } catch (err) {
      if (this.handleStoreError(err)) return;
      this.abort(`could not publish the transition: ${(err as Error).message}`, true);
      this.maybeFinish();
      return;
    }
    this.pump();
  }

  private record(tr: RunningTransition, state: TransitionRecord['state']): TransitionRecord {
    return {
      id: tr.id,
      token: this.token,
      dc: this.deps.node,
      inputRevision: tr.inputRevision,
      createdAt: tr.startedAt,
      state,
      actions: tr.actions,
      summary: tr.summary,
    };
  }

  /** Dispatches every action whose inputs are done. */
  private pump(): void {
    const tr = this.transition;
    if (!tr || this.stopped || tr.aborted) return this.maybeFinish();
    const sends: Array<{ action: TransitionAction; reqId: string; req: ActionRequest }> = [];
    let progressed = true;
    while (progressed) {
      progressed = false;
      for (const a of tr.actions) {
        if (tr.state[a.id] !== 'waiting') continue;
        if (!a.inputs.every((i) => tr.state[i] === 'done')) continue;
        if (a.type === 'pseudo') {
          tr.state[a.id] = 'done';
          progressed = true;
          continue;
        }
        tr.state[a.id] = 'running';
        tr.dispatchedAt.set(a.id, this.now());
        if (a.type === 'fence') {
          void this.runFence(tr, a);
          continue;
        }
        const node = a.node!;
        const peer = this.deps.view.peer(node);
        if (peer && (peer.state === 'lost' || peer.state === 'left')) {
          tr.state[a.id] = 'failed';
          this.abort(`${a.key} cannot run on ${node}: it is ${peer.state}`, true);
          return this.maybeFinish();
        }
        const reqId = `${this.token}-${tr.id}-${a.id}`;
        const req: ActionRequest = { id: reqId, node, token: this.token, dc: this.deps.node, transitionId: tr.id, action: a, createdAt: this.now() };
        sends.push({ action: a, reqId, req });
      }
    }
    if (sends.length) void this.send(tr, sends);
    this.maybeFinish();
  }

  private async send(tr: RunningTransition, sends: Array<{ action: TransitionAction; reqId: string; req: ActionRequest }>): Promise<void> {
    for (const s of sends) {
      tr.inFlight.set(s.reqId, s.action.id);
      const timer = setTimeout(() => void this.onActionTimeout(tr, s.reqId, s.req), s.action.timeoutMs + this.timing.resultGraceMs);
      tr.timers.set(s.reqId, timer);
    }
    try {
      await this.fenced(sends.map((s) => ({ type: 'put', key: keys.action(this.deps.cluster, s.req.node, s.reqId), value: encodeRecord(s.req) }) as TxnOp));
      if (this.log.enabled('debug')) for (const s of sends) this.log.debug(`asked ${s.req.node} to run ${s.action.key}`, { transition: tr.id, request: s.reqId });
    } catch (err) {
      if (this.handleStoreError(err)) return;
      for (const s of sends) this.settle(tr, s.reqId, 'failed');
      this.abort(`could not send actions: ${(err as Error).message}`, true);
      this.maybeFinish();
    }
  }

  private settle(tr: RunningTransition, reqId: string, state: 'done' | 'failed'): number | undefined {
    const actionId = tr.inFlight.get(reqId);
    if (actionId === undefined) return undefined;
    tr.inFlight.delete(reqId);
    clearTimeout(tr.timers.get(reqId));
    tr.timers.delete(reqId);
    tr.state[actionId] = state;
    return actionId;
  }

  /** A result arrived. Returns true when it answered one of our in-flight requests. */
  private onResult(key: string, value: string): boolean {
    const res = safeDecode<ActionResult>(key, value);
    if (!res) return false;
    if (res.token !== this.token) {
      if (res.token < this.token) this.deleteResults([key]);
      return false;
    }
    this.deleteResults([key]);
    const tr = this.transition;
    if (!tr || !tr.inFlight.has(res.id)) return false;
    const ok = res.status === 'done' && res.rc === res.expectedRc;
    const a = tr.actions[tr.inFlight.get(res.id)!]!;
    const took = this.now() - (tr.dispatchedAt.get(a.id) ?? tr.startedAt);
    this.settle(tr, res.id, ok ? 'done' : 'failed');
    if (ok) {
      this.log.debug(`${a.key} on ${res.node} succeeded in ${took} ms`, { transition: tr.id });
    } else {
      const what = res.status === 'refused' ? `was refused (${res.exitReason ?? 'no reason given'})` : `returned ${resultText(res)}`;
      const probe = a.task === 'monitor' && a.intervalMs === 0;
      this.abort(`${a.key} on ${res.node} ${what}, expected ${rcName(res.expectedRc)}`, !probe);
    }
    this.pump();
    return true;
  }

  /** No answer within the operation's timeout + grace: record the timeout ourselves. */
  private async onActionTimeout(tr: RunningTransition, reqId: string, req: ActionRequest): Promise<void> {
    if (this.stopped || !tr.inFlight.has(reqId)) return;
    const a = req.action;
    const node = req.node;
    const nowMs = this.now();
    const rsc = a.historyId ?? a.rsc ?? a.key;
    const actionKey = keys.action(this.deps.cluster, node, reqId);
    this.settle(tr, reqId, 'failed');
    this.log.decision(
      `recorded ${a.key} on ${node} as timed out: no answer within its ${a.timeoutMs} ms timeout plus ${this.timing.resultGraceMs} ms grace`,
      { transition: tr.id },
    );
    const done = this.expectOwn([{ key: keys.resourceHistoryPrefix(this.deps.cluster, node, rsc), prefix: true }, { key: actionKey }]);
    try {
      // Only if the node has not answered in the meantime (its answer deletes the request), and
      // withdrawing the request in the same txn so a late node cannot still run it.
      const res = await this.deps.cib.recordOperation(
        node,
        rsc,
        a.agent ?? { class: 'ocf', type: 'unknown' },
        {
          operation: a.task,
          intervalMs: a.intervalMs,
          rc: 1,
          status: 'timeout',
          callId: -1,
          expectedRc: a.expectedRc,
          transitionKey: transitionKeyOf(a.id, tr.id, a.expectedRc, String(this.token)),
          params: a.params,
          exitReason: `no answer from ${node} within ${a.timeoutMs} ms + ${this.timing.resultGraceMs} ms grace (recorded by the DC)`,
          startedAt: req.createdAt,
          execTimeMs: nowMs - req.createdAt,
        },
        { compares: [this.fenceCompare(), { key: actionKey, target: 'version', op: '>', value: 0 }], also: [{ type: 'delete', key: actionKey }] },
      );
      if (res.succeeded) this.noteOwn(res.revision);
      else if (!this.deps.leadership.active) throw new StoreError('fenced', `recording a timeout was refused: leadership token ${this.token} is over`);
    } catch (err) {
      if (this.handleStoreError(err)) return;
    } finally {
      done();
    }
    this.abort(`${a.key} on ${node} timed out`, true);
    this.maybeFinish();
  }

  private dropActionsOn(node: string, why: string): void {
    const tr = this.transition;
    if (!tr) return;
    let dropped = 0;
    for (const [reqId, actionId] of [...tr.inFlight]) {
      if (tr.actions[actionId]?.node !== node) continue;
      this.settle(tr, reqId, 'failed');
      dropped++;
    }
    if (dropped) {
      this.log.decision(`abandoned ${dropped} running action(s) on ${node}: ${why}, so their results cannot come`, { transition: tr.id });
      this.abort(why, false);
      this.maybeFinish();
    }
  }

  private async runFence(tr: RunningTransition, a: TransitionAction): Promise<void> {
    const target = a.fence!.target;
    const action = a.fence!.action;
    const reason = a.reason ?? 'node is unclean';
    tr.fencing.add(a.id);
    const peer = this.deps.view.peer(target);
    const known = this.deps.view.knownStopped(target, this.now());
    let res;
    if (known && peer?.state === 'left') res = { ok: true, method: 'self-fence-deadline' as const };
    else res = await this.deps.fencer.fence(target, action, reason);
    if (this.stopped) return;
    if (res.ok) {
      tr.fencing.delete(a.id);
      this.fenceAttempts.delete(target);
      const how = res.method === 'agent' ? `fence device ${res.device ?? '?'} confirmed ${action}` : 'it passed its self-fencing deadline';
      try {
        await this.markStopped(target, this.now(), res.device, how, action);
      } catch (err) {
        if (this.handleStoreError(err)) return;
      }
      tr.state[a.id] = 'done';
      this.log.decision(`${target} is known stopped: ${how}`, { transition: tr.id });
      this.pump();
      return;
    }
    if (res.method === 'none') {
      const by = this.deps.view.peer(target)?.selfFencedBy;
      if (by !== undefined) {
        const wait = Math.max(0, by - this.now());
        this.log.decision(
          `waiting ${wait} ms for ${target}'s self-fencing deadline: no fence device can fence it, and it stops its own resources once it cannot renew its lease`,
          { transition: tr.id },
        );
        const timer = setTimeout(() => {
          tr.deadlineWaits.delete(a.id);
          void this.completeSelfFence(tr, a, by);
        }, wait + 1);
        tr.deadlineWaits.set(a.id, timer);
        return;
      }
    }
    tr.fencing.delete(a.id);
    tr.state[a.id] = 'failed';
    const n = (this.fenceAttempts.get(target) ?? 0) + 1;
    this.fenceAttempts.set(target, n);
    this.log.decision(`fencing ${target} failed (attempt ${n} of ${this.maxFenceAttempts}): ${res.error ?? 'no reason given'}`, { transition: tr.id });
    this.abort(`fencing ${target} failed`, true);
    this.maybeFinish();
  }

  private async completeSelfFence(tr: RunningTransition, a: TransitionAction, by: number): Promise<void> {
    const target = a.fence!.target;
    if (this.stopped) return;
    tr.fencing.delete(a.id);
    if (tr.aborted) return this.maybeFinish();
    if (!this.deps.view.knownStopped(target, this.now()) && this.deps.view.peer(target)?.state !== 'lost') {
      tr.state[a.id] = 'failed';
      this.abort(`${target} is no longer lost`, false);
      return this.maybeFinish();
    }
    try {
      if (this.markedStopped.get(target) !== by) {
        this.markedStopped.set(target, by);
        await this.markStopped(target, by, undefined, 'self-fence deadline passed');
      }
    } catch (err) {
      if (this.handleStoreError(err)) return;
    }
    tr.state[a.id] = 'done';
    this.log.decision(`${target} is known stopped: it passed its self-fencing deadline`, { transition: tr.id });
    this.pump();
  }

  private async markStopped(target: string, at: number, device: string | undefined, reason: string, action = 'self-fence'): Promise<void> {
    const record: FencingRecord = {
      id: `${this.token}-${target}-${at}`,
      target,
      action: device ? action : 'self-fence',
      result: device ? 'ok' : 'self-fenced',
      executioner: device ? this.deps.node : target,
      origin: this.deps.node,
      ...(device ? { device } : {}),
      completedAt: at,
      token: this.token,
      reason,
    };
    const c = this.deps.cluster;
    const done = this.expectOwn([
      { key: keys.node(c, target) },
      { key: keys.nodeHistoryPrefix(c, target), prefix: true },
      { key: keys.nodeAttrsPrefix(c, target), prefix: true },
      { key: keys.targetFencingPrefix(c, target), prefix: true },
    ]);
    try {
      const rev = await this.deps.cib.markNodeStopped(target, record, { compares: [this.fenceCompare()] });
      this.noteOwn(rev);
    } catch (err) {
      if (err instanceof CibConflictError || !this.deps.leadership.active) {
        throw new StoreError('fenced', `marking ${target} stopped was refused: leadership token ${this.token} is over`);
      }
      throw err;
    } finally {
      done();
    }
  }

  private fenceCompare(): Compare {
    const f = this.deps.leadership.fence;
    return { key: f.key, target: 'createRevision', op: '==', value: f.token };
  }


  private abort(reason: string, failed: boolean): void {
    const tr = this.transition;
    if (!tr) return;
    if (failed) tr.failed = true;
    if (tr.aborted) return;
    tr.aborted = true;
    tr.abortReason = reason;
    for (const t of tr.deadlineWaits.values()) clearTimeout(t);
    for (const id of tr.deadlineWaits.keys()) tr.fencing.delete(id);
    tr.deadlineWaits.clear();
    this.state = 'aborting';
    const waiting = tr.inFlight.size + tr.fencing.size;
    this.log.decision(
      `aborted transition ${tr.id}: ${reason}${waiting ? `; waiting for ${waiting} running action(s) before planning again` : ''}`,
      { transition: tr.id },
    );
  }

  /** Ends the transition once nothing is in flight (complete, or aborted). */
  private maybeFinish(): void {
    const tr = this.transition;
    if (!tr || this.stopped) return;
    if (tr.inFlight.size || tr.fencing.size) return;
    const complete = !tr.aborted && tr.state.every((s) => s === 'done');
    if (!complete && !tr.aborted) {
      // Nothing in flight, yet actions wait whose inputs failed: the transition cannot go on.
      if (tr.state.some((s) => s === 'waiting') && !tr.state.some((s) => s === 'running')) {
        tr.aborted = true;
        tr.failed = true;
      } else return;
    }
    this.transition = undefined;
    const durationMs = this.now() - tr.startedAt;
    this.lastTransition = { id: tr.id, result: complete ? 'complete' : 'aborted', durationMs, summary: tr.summary };
    if (complete) {
      this.consecutiveFailures = 0;
      this.backoffUntil = 0;
      for (const step of tr.steps) if (step) this.log.decision(`${step.done} in ${durationMs} ms: ${tr.why}`, { transition: tr.id, durationMs });
      if (!tr.steps.some(Boolean)) this.log.debug(`transition ${tr.id} complete in ${durationMs} ms`);
      this.state = 'idle';
    } else if (tr.failed) {
      this.consecutiveFailures++;
    }
    void this.fenced([{ type: 'put', key: keys.transition(this.deps.cluster), value: encodeRecord(this.record(tr, complete ? 'complete' : 'aborted')) }]).catch((err) =>
      this.handleStoreError(err),
    );
    if (!complete) {
      if (tr.failed) this.backoff(tr.abortReason ?? 'the transition failed');
      else this.schedulePlan(this.timing.debounceMs);
    } else if (this.dirty || this.pendingReasons.length) {
      this.schedulePlan(this.timing.debounceMs);
    }
  }

  private backoff(why: string): void {
    const n = Math.max(1, this.consecutiveFailures);
    const delay = Math.min(this.timing.backoffMaxMs, this.timing.backoffMinMs * 2 ** (n - 1));
    this.backoffUntil = this.now() + delay;
    this.state = 'backing-off';
    if (n > 1) this.log.decision(`planning again in ${delay} ms: ${n} transitions in a row failed (last: ${why})`);
    if (!this.pendingReasons.length) this.pendingReasons.push(`retry after: ${why}`);
    this.schedulePlan(delay);
  }

  // ------------------------------------------------------------------------------------------
  // Fail counts

  /** A failure recorded in history: count it (Pacemaker's fail-count-<rsc>#<op>_<interval>). */
  private onHistoryPut(ev: WatchEvent): void {
    const [node, , opId] = parseKey(keys.historyPrefix(this.deps.cluster), ev.key);
    if (!node || !opId || !opId.endsWith('_last_failure_0')) return;
    const h = safeDecode<HistoryEntry>(ev.key, ev.kv.value);
    if (!h) return;
    const names = failCountNames(h.rsc, h.operation, h.intervalMs);
    const infinite = h.operation === 'start' && this.startFailureIsFatal.value;
    void this.bumpFailCount(node, names, infinite, h).catch((err) => {
      if (!this.handleStoreError(err)) this.log.warn(`could not update ${names.count} on ${node}: ${(err as Error).message}`);
    });
  }

  private async bumpFailCount(node: string, names: { count: string; last: string }, infinite: boolean, h: HistoryEntry): Promise<void> {
    const countKey = keys.attr(this.deps.cluster, node, names.count);
    const lastKey = keys.attr(this.deps.cluster, node, names.last);
    for (let attempt = 0; attempt < 5; attempt++) {
      const cur = await this.deps.store.get(countKey);
      const old = cur.kv ? safeDecode<TransientAttributeRecord>(countKey, cur.kv.value)?.value : undefined;
      const oldN = old === undefined ? 0 : /^\+?INFINITY$/i.test(old) ? Infinity : Number(old) || 0;
      const next = infinite || oldN === Infinity ? 'INFINITY' : String(oldN + 1);
      const at = h.lastRcChange ?? Math.floor(this.now() / 1000);
      const res = await this.fenced(
        [
          { type: 'put', key: countKey, value: encodeRecord({ value: next, updatedAt: this.now() } satisfies TransientAttributeRecord) },
          { type: 'put', key: lastKey, value: encodeRecord({ value: String(at), updatedAt: this.now() } satisfies TransientAttributeRecord) },
        ],
        [{ key: countKey, target: 'modRevision', op: '==', value: cur.kv?.modRevision ?? 0 }],
        false,
      );
      if (res) {
        this.log.decision(
          `set ${names.count} on ${node} to ${next}: ${h.operation}${h.intervalMs ? ` (${h.intervalMs} ms)` : ''} of ${h.rsc} ${rcText(h)}${infinite ? ' and start failures are fatal (start-failure-is-fatal)' : ''}`,
        );
        return;
      }
    }
  }

  // ------------------------------------------------------------------------------------------
  // Store helpers

  /**
   * A fenced txn on our leadership. Returns false when the caller's own compares failed (only
   * with `ownOnly = false`); throws otherwise.
   */
  private async fenced(ops: TxnOp[], compares: Parameters<Store['txn']>[0]['compares'] = [], mustSucceed = true): Promise<boolean> {
    if (this.stopped) throw Object.assign(new Error('DC term stopped'), { stopped: true });
    const done = this.expectOwn(ops.filter((o) => o.type !== 'get').map((o) => ({ key: o.key, prefix: o.type === 'delete' && !!o.prefix })));
    let res;
    try {
      res = await this.deps.leadership.fencedTxn({ compares, success: ops });
    } finally {
      done();
    }
    if (res.succeeded) this.noteOwn(res.revision);
    if (!res.succeeded && mustSucceed && compares.length === 0) throw new Error('fenced txn did not apply');
    return res.succeeded;
  }

  private deleteResults(keysToDelete: string[]): void {
    this.pendingResultDeletes.push(...keysToDelete);
    if (this.pendingResultDeletes.length !== keysToDelete.length) return;
    queueMicrotask(() => {
      const batch = [...new Set(this.pendingResultDeletes)];
      this.pendingResultDeletes = [];
      if (this.stopped || batch.length === 0) return;
      void this.fenced(batch.map((key) => ({ type: 'delete', key }) as TxnOp)).catch((err) => this.handleStoreError(err));
    });
  }

  /** Deposition stops the term at once. Returns true when the error ended the term. */
  private handleStoreError(err: unknown): boolean {
    if ((err as { stopped?: boolean })?.stopped) return true;
    if (isStoreError(err, 'fenced')) {
      this.stop(`a fenced write was refused: ${(err as Error).message}`);
      return true;
    }
    if (this.stopped) return true;
    this.log.warn(`store call failed: ${(err as Error).message}`);
    return false;
  }

  /** The working set of the latest plan (status display). */
  get lastWorkingSet(): WorkingSet | undefined {
    return this.lastWs;
  }
}

function safeDecode<T>(key: string, value: string): T | undefined {
  try {
    return decodeRecord<T>(key, value);
  } catch {
    return undefined;
  }
}

const RC_NAMES: Record<number, string> = { 0: 'ok', 1: 'error', 2: 'invalid parameter', 3: 'unimplemented feature', 4: 'insufficient privileges', 5: 'not installed', 6: 'not configured', 7: 'not running', 8: 'promoted', 9: 'promoted (failed)' };
function rcName(rc: number): string {
  return RC_NAMES[rc] ?? `rc ${rc}`;
}

const OP_STATUS: Record<number, string> = { 1: 'was cancelled', 2: 'timed out', 3: 'is not supported', 4: 'failed', 7: 'is not installed' };
function rcText(h: HistoryEntry): string {
  if (h.opStatus !== 0 && OP_STATUS[h.opStatus]) return `${OP_STATUS[h.opStatus]}${h.exitReason ? ` (${h.exitReason})` : ''}`;
  return `${rcName(h.rcCode)}${h.exitReason ? ` (${h.exitReason})` : ''}`;
}

function resultText(r: ActionResult): string {
  if (r.status === 'timeout') return 'a timeout';
  if (r.status === 'not-installed') return `not installed${r.exitReason ? ` (${r.exitReason})` : ''}`;
  return `${rcName(r.rc)}${r.status !== 'done' ? ` [${r.status}]` : ''}${r.exitReason ? ` (${r.exitReason})` : ''}`;
}
