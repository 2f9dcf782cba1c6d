// Cluster events from one store watch over `/tandem/<c>/`: transitions, operation results,
// failures, fencing, node membership, configuration and attribute changes. One EventHub feeds the
// SSE stream (/events), the alert agents (alerts.ts) and the event counters of /metrics.
import type { ConfigurationRecord, FencingRecord, HistoryEntry, MemberRecord, NodeRecord, TransitionRecord, TransientAttributeRecord } from '../cib/store-layout.ts';
import { clusterPrefix, decodeRecord, unseg } from '../cib/store-layout.ts';
import { watchWithRelist, type RelistWatch } from '../store/relist.ts';
import type { Store, WatchEvent } from '../store/types.ts';
import type { ClusterEvent } from './contract.ts';

export type EventListener = (e: ClusterEvent) => void;

const RC_TEXT: Record<number, string> = { 0: 'ok', 1: 'error', 2: 'invalid parameter', 3: 'unimplemented feature', 4: 'insufficient privileges', 5: 'not installed', 6: 'not configured', 7: 'not running', 8: 'promoted', 9: 'failed (promoted)' };
const STATUS_TEXT: Record<number, string> = { 0: 'complete', 1: 'Cancelled', 2: 'Timed Out', 3: 'NOT SUPPORTED', 4: 'Error', 5: 'Not installed', 6: 'Not connected', 7: 'Not installed' };

export function rcText(rc: number): string {
  return RC_TEXT[rc] ?? `rc ${rc}`;
}
export function opStatusText(s: number): string {
  return STATUS_TEXT[s] ?? (s === -1 ? 'pending' : `status ${s}`);
}

function safe<T>(key: string, value: string): T | undefined {
  try {
    return decodeRecord<T>(key, value);
  } catch {
    return undefined;
  }
}

/** Turn one store change into a cluster event (undefined: not an event anyone needs). */
export function toClusterEvent(cluster: string, ev: WatchEvent): ClusterEvent | undefined {
  const prefix = clusterPrefix(cluster);
  if (!ev.key.startsWith(prefix)) return undefined;
  const rel = ev.key.slice(prefix.length);
  const parts = rel.split('/');
  const time = new Date().toISOString();
  const base = { revision: ev.revision, time };
  const put = ev.type === 'put';
  switch (parts[0]) {
    case 'transitions': {
      if (!put) return undefined;
      const t = safe<TransitionRecord>(ev.key, ev.kv.value);
      if (!t) return undefined;
      return {
        ...base,
        type: 'transition',
        node: t.dc,
        message: `transition ${t.id} ${t.state === 'running' ? 'started' : t.state} (${t.actions.length} action${t.actions.length === 1 ? '' : 's'}) by DC ${t.dc}`,
        data: { id: t.id, state: t.state, actions: t.actions.length, summary: t.summary, inputRevision: t.inputRevision },
      };
    }
    case 'history': {
      if (!put || parts.length < 4) return undefined;
      const node = unseg(parts[1]!);
      const rsc = unseg(parts[2]!);
      const opId = unseg(parts[3]!);
      const h = safe<HistoryEntry>(ev.key, ev.kv.value);
      if (!h) return undefined;
      const failure = opId.endsWith('_last_failure_0');
      const what = `${h.operation}${h.intervalMs ? ` (every ${h.intervalMs} ms)` : ''} of ${rsc} on ${node}`;
      const result = h.opStatus === 0 ? rcText(h.rcCode) : `${opStatusText(h.opStatus)}, ${rcText(h.rcCode)}`;
      return {
        ...base,
        type: failure ? 'failure' : 'operation',
        node,
        resource: rsc,
        message: failure ? `${what} failed: ${result}${h.exitReason ? ` (${h.exitReason})` : ''}` : `${what}: ${result}${h.execTime !== undefined ? ` in ${h.execTime} ms` : ''}`,
        data: {
          operation: h.operation,
          intervalMs: h.intervalMs,
          rc: h.rcCode,
          opStatus: h.opStatus,
          execTimeMs: h.execTime ?? 0,
          ...(h.transitionKey ? { transitionKey: h.transitionKey } : {}),
          ...(h.exitReason ? { exitReason: h.exitReason } : {}),
          targetRc: expectedRcOf(h),
        },
      };
    }
    case 'fencing': {
      if (!put) return undefined;
      const f = safe<FencingRecord>(ev.key, ev.kv.value);
      if (!f) return undefined;
      return {
        ...base,
        type: 'fencing',
        node: f.target,
        message: `${f.action} of ${f.target}${f.executioner ? ` by ${f.executioner}` : ''}${f.device ? ` with ${f.device}` : ''}: ${f.result}${f.reason ? ` (${f.reason})` : ''}`,
        data: { action: f.action, result: f.result, ...(f.executioner ? { executioner: f.executioner } : {}), ...(f.origin ? { origin: f.origin } : {}), ...(f.device ? { device: f.device } : {}) },
      };
    }
    case 'members': {
      const node = parts[1] ? unseg(parts[1]) : '';
      if (put) {
        if (ev.kv.version !== 1) return undefined; // re-puts of the same incarnation are not joins
        const m = safe<MemberRecord>(ev.key, ev.kv.value);
        return { ...base, type: 'node', node, message: `node ${node} joined the cluster`, data: { state: 'member', ...(m ? { id: m.id } : {}) } };
      }
      return { ...base, type: 'node', node, message: `node ${node} left the cluster (membership lease gone)`, data: { state: 'lost' } };
    }
    case 'nodes': {
      if (!put) return undefined;
      const n = safe<NodeRecord>(ev.key, ev.kv.value);
      const prev = ev.prevKv ? safe<NodeRecord>(ev.key, ev.prevKv.value) : undefined;
      if (!n || (prev && prev.expected === n.expected && prev.fencedAt === n.fencedAt)) return undefined;
      return { ...base, type: 'node', node: n.name, message: `node ${n.name} is expected ${n.expected}${n.fencedAt ? `, known stopped since ${new Date(n.fencedAt).toISOString()}` : ''}`, data: { expected: n.expected, id: n.id } };
    }
    case 'config': {
      if (!put) return undefined;
      const c = safe<ConfigurationRecord>(ev.key, ev.kv.value);
      if (!c) return undefined;
      return { ...base, type: 'config', message: `configuration changed to epoch ${c.epoch}${c.updatedBy ? ` by ${c.updatedBy}` : ''}`, data: { epoch: c.epoch, ...(c.updatedBy ? { by: c.updatedBy } : {}) } };
    }
    case 'attrs': {
      if (parts.length < 3) return undefined;
      const node = unseg(parts[1]!);
      const name = unseg(parts[2]!);
      const value = put ? safe<TransientAttributeRecord>(ev.key, ev.kv.value)?.value : undefined;
      return {
        ...base,
        type: 'attribute',
        node,
        message: value === undefined ? `attribute ${name} of ${node} removed` : `attribute ${name} of ${node} set to ${value}`,
        data: { name, ...(value !== undefined ? { value } : {}) },
      };
    }
    default:
      return undefined;
  }
}

function expectedRcOf(h: HistoryEntry): number {
  const parts = h.transitionKey?.split(':');
  const n = parts && parts.length >= 3 ? Number(parts[2]) : NaN;
  return Number.isFinite(n) ? n : 0;
}

/** One watch, many listeners. Events are delivered in store order. */
export class EventHub {
  private readonly listeners = new Set<EventListener>();
  private watch: RelistWatch | undefined;
  /** Revision of the latest event delivered. */
  lastRevision = 0;

  constructor(
    readonly store: Store,
    readonly cluster: string,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {}

  /** Start watching; resolves once the watch is in place (changes after it are delivered). */
  async start(): Promise<void> {
    if (this.watch) return;
    this.watch = watchWithRelist(
      this.store,
      clusterPrefix(this.cluster),
      {
        onSnapshot: (_kvs, revision) => {
          this.lastRevision = Math.max(this.lastRevision, revision);
        },
        onEvents: (events) => {
          for (const ev of events) {
            const ce = toClusterEvent(this.cluster, ev);
            if (ce) this.emit(ce);
            this.lastRevision = Math.max(this.lastRevision, ev.revision);
          }
        },
        onError: (err) => this.onError(err),
      },
      { prevKv: true },
    );
    await this.watch.ready;
  }

  emit(e: ClusterEvent): void {
    for (const l of [...this.listeners]) {
      try {
        l(e);
      } catch (err) {
        this.onError(err as Error);
      }
    }
  }

  subscribe(l: EventListener): () => void {
    this.listeners.add(l);
    return () => void this.listeners.delete(l);
  }

  get subscribers(): number {
    return this.listeners.size;
  }

  stop(): void {
    this.watch?.cancel();
    this.watch = undefined;
    this.listeners.clear();
  }
}
