// Fencing history: one record per fencing operation, holding every attempt (one agent run each).
// A record is written when the operation starts (result 'pending') and rewritten after each attempt,
// so a crash mid-fencing leaves a pending record behind rather than nothing.
//
// Store layout (until src/cib/store-layout.ts defines it; keep them in step):
//   /tandem/<cluster>/fencing/<target>/<operation id>  → JSON FencingOperation
// <target> is encodeURIComponent(node name); the operation id starts with the zero-padded start time
// in ms, so keys list in start order.

import type { Store } from '../store/types.ts';

export type AttemptResult = 'ok' | 'failed' | 'timeout' | 'not-installed' | 'error' | 'cancelled';

export interface FencingAttempt {
  device?: string;
  /** Fencing-level index, when the topology chose the device. */
  level?: number;
  /** The fencer's action (reboot/off/on) and the action name the agent was given. */
  action: string;
  agentAction?: string;
  /** Which round of the operation (1-based; stonith-max-attempts bounds the rounds). */
  round: number;
  result: AttemptResult;
  rc?: number | null;
  error?: string;
  /** Delay slept before this attempt (pcmk_delay_*, priority-fencing-delay), ms. */
  delayMs?: number;
  startedAt: number;
  endedAt: number;
}

export interface FencingOperation {
  id: string;
  target: string;
  action: 'reboot' | 'off' | 'on';
  reason: string;
  /** Who asked (the DC's node name, an operator, ...). */
  requester: string;
  /** The node whose fencer carried it out. */
  executor: string;
  result: 'pending' | 'ok' | 'failed';
  method: 'agent' | 'self-fence-deadline' | 'none';
  /** The device that completed the fencing (ok), as `dev` or `dev1,dev2` for a topology level. */
  device?: string;
  error?: string;
  attempts: FencingAttempt[];
  startedAt: number;
  endedAt?: number;
}

export interface FencingHistory {
  /** Insert or replace the record with this id. */
  save(op: FencingOperation): Promise<void>;
  /** Records, oldest first; only those of `target` when given. */
  list(target?: string): Promise<FencingOperation[]>;
}

const clone = (op: FencingOperation): FencingOperation => JSON.parse(JSON.stringify(op)) as FencingOperation;

export class InMemoryFencingHistory implements FencingHistory {
  private readonly ops = new Map<string, FencingOperation>();

  async save(op: FencingOperation): Promise<void> {
    this.ops.set(op.id, clone(op));
  }

  async list(target?: string): Promise<FencingOperation[]> {
    return [...this.ops.values()].filter((o) => target === undefined || o.target === target).sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1)).map(clone);
  }
}

export function fencingPrefix(cluster: string): string {
  if (!cluster || cluster.includes('/')) throw new Error(`cluster name '${cluster}' is not valid for a store key (empty or contains '/')`);
  return `/tandem/${cluster}/fencing/`;
}

export function fencingKey(cluster: string, target: string, id: string): string {
  return `${fencingPrefix(cluster)}${encodeURIComponent(target)}/${id}`;
}

export class StoreFencingHistory implements FencingHistory {
  constructor(
    private readonly store: Store,
    private readonly cluster: string,
  ) {
    fencingPrefix(cluster);
  }

  async save(op: FencingOperation): Promise<void> {
    await this.store.put(fencingKey(this.cluster, op.target, op.id), JSON.stringify(op));
  }

  async list(target?: string): Promise<FencingOperation[]> {
    const prefix = target === undefined ? fencingPrefix(this.cluster) : `${fencingPrefix(this.cluster)}${encodeURIComponent(target)}/`;
    const { kvs } = await this.store.list(prefix);
    const ops = kvs.map((kv) => JSON.parse(kv.value) as FencingOperation);
    return ops.sort((a, b) => a.startedAt - b.startedAt || (a.id < b.id ? -1 : 1));
  }
}

let seq = 0;
/** Sortable, unique within a process: start time (ms, 13 digits) + pid + counter. */
export function newOperationId(now: number): string {
  seq = (seq + 1) % 1_000_000;
  return `${String(now).padStart(13, '0')}-${process.pid}-${String(seq).padStart(6, '0')}`;
}
