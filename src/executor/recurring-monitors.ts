// Recurring monitors: run every intervalMs (the first one interval after being started), measured
// from the end of the previous run so a slow agent never overlaps itself.

import type { QueuedTask } from './operation-queue.ts';
import type { OperationRequest, OperationResult } from './types.ts';

export interface RecurringMonitorResult {
  rscId: string;
  intervalMs: number;
  result: OperationResult;
  /** True for the first result and whenever rc or status differ from the previous one: only
   * these (and failures) need escalating to the controller. */
  changed: boolean;
  previous?: { rc: number; status: OperationResult['status'] };
}

export type RecurringListener = (event: RecurringMonitorResult) => void;

interface Recurring {
  request: OperationRequest;
  onResult: RecurringListener;
  timer?: NodeJS.Timeout;
  inFlight?: QueuedTask<OperationResult>;
  previous?: { rc: number; status: OperationResult['status'] };
  active: boolean;
}

export class RecurringMonitors {
  private readonly ops = new Map<string, Recurring>();

  /** `submit` queues one monitor run behind the resource's other operations. */
  constructor(private readonly submit: (req: OperationRequest) => QueuedTask<OperationResult>) {}

  start(request: OperationRequest, onResult: RecurringListener): void {
    if (!(request.intervalMs > 0)) throw new Error(`a recurring monitor needs intervalMs > 0 (got ${request.intervalMs})`);
    this.cancel(request.rsc.id, request.intervalMs);
    const op: Recurring = { request: { ...request, action: 'monitor' }, onResult, active: true };
    this.ops.set(key(request.rsc.id, request.intervalMs), op);
    this.schedule(op);
  }

  /** Stops a recurring monitor; a run in progress is aborted and its result not reported. */
  cancel(rscId: string, intervalMs: number): boolean {
    const k = key(rscId, intervalMs);
    const op = this.ops.get(k);
    if (!op) return false;
    this.ops.delete(k);
    op.active = false;
    clearTimeout(op.timer);
    op.inFlight?.cancel();
    return true;
  }

  /** Cancels every recurring monitor of a resource; returns how many there were. */
  cancelResource(rscId: string): number {
    let n = 0;
    for (const op of [...this.ops.values()]) if (op.request.rsc.id === rscId && this.cancel(rscId, op.request.intervalMs)) n++;
    return n;
  }

  cancelAll(): void {
    for (const op of [...this.ops.values()]) this.cancel(op.request.rsc.id, op.request.intervalMs);
  }

  /** Interval of every active recurring monitor of a resource. */
  intervalsOf(rscId: string): number[] {
    return [...this.ops.values()].filter((op) => op.request.rsc.id === rscId).map((op) => op.request.intervalMs);
  }

  private schedule(op: Recurring): void {
    op.timer = setTimeout(() => void this.runOnce(op), op.request.intervalMs);
  }

  private async runOnce(op: Recurring): Promise<void> {
    if (!op.active) return;
    op.inFlight = this.submit(op.request);
    const result = await op.inFlight.promise;
    op.inFlight = undefined;
    if (!op.active) return;
    const changed = !op.previous || op.previous.rc !== result.rc || op.previous.status !== result.status;
    const event: RecurringMonitorResult = { rscId: op.request.rsc.id, intervalMs: op.request.intervalMs, result, changed, ...(op.previous ? { previous: op.previous } : {}) };
    op.previous = { rc: result.rc, status: result.status };
    this.schedule(op);
    try {
      op.onResult(event);
    } catch (err) {
      // A listener's bug must not stop the monitor; say so instead of crashing the node.
      process.emitWarning(`recurring monitor listener for ${event.rscId} threw: ${err instanceof Error ? err.message : String(err)}`);
    }
  }
}

function key(rscId: string, intervalMs: number): string {
  return `${rscId}\0${intervalMs}`;
}
