// One operation per resource at a time (agents are not written to run concurrently with
// themselves), different resources in parallel, and a global cap so a mass failover cannot fork
// hundreds of agents on a two-core machine at once.

export interface QueuedTask<T> {
  readonly promise: Promise<T>;
  /** Drops the task if it has not started; aborts its signal if it is running. */
  cancel(): void;
}

interface Entry {
  key: string;
  run: (signal: AbortSignal) => Promise<unknown>;
  cancelled: () => unknown;
  resolve: (v: unknown) => void;
  reject: (e: unknown) => void;
  controller: AbortController;
  state: 'waiting' | 'running' | 'done';
}

export class OperationQueue {
  private readonly waiting: Entry[] = [];
  private readonly busyKeys = new Set<string>();
  private readonly active = new Set<Entry>();
  private running = 0;

  constructor(private readonly maxConcurrent: number) {
    if (!(maxConcurrent >= 1)) throw new Error(`maxConcurrent must be at least 1 (got ${maxConcurrent})`);
  }

  /**
   * Runs `run` once no other task of `key` runs and a global slot is free. If cancelled before it
   * starts, the promise resolves with `cancelled()` instead.
   */
  enqueue<T>(key: string, run: (signal: AbortSignal) => Promise<T>, cancelled: () => T): QueuedTask<T> {
    let entry!: Entry;
    const promise = new Promise<T>((resolve, reject) => {
      entry = { key, run, cancelled, resolve: resolve as (v: unknown) => void, reject, controller: new AbortController(), state: 'waiting' };
    });
    this.waiting.push(entry);
    this.pump();
    return {
      promise,
      cancel: () => {
        if (entry.state === 'waiting') {
          this.waiting.splice(this.waiting.indexOf(entry), 1);
          entry.state = 'done';
          entry.resolve(entry.cancelled());
        } else if (entry.state === 'running') {
          entry.controller.abort();
        }
      },
    };
  }

  /** Cancels everything: waiting tasks resolve as cancelled, running ones are aborted. */
  cancelAll(): void {
    for (const entry of this.waiting.splice(0)) {
      entry.state = 'done';
      entry.resolve(entry.cancelled());
    }
    for (const entry of this.active) entry.controller.abort();
  }

  /** Operations running now, and waiting. */
  get stats(): { running: number; waiting: number } {
    return { running: this.running, waiting: this.waiting.length };
  }

  private pump(): void {
    for (let i = 0; i < this.waiting.length && this.running < this.maxConcurrent; ) {
      const entry = this.waiting[i]!;
      if (this.busyKeys.has(entry.key)) {
        i++;
        continue;
      }
      this.waiting.splice(i, 1);
      this.start(entry);
    }
  }

  private start(entry: Entry): void {
    entry.state = 'running';
    this.active.add(entry);
    this.running++;
    this.busyKeys.add(entry.key);
    const settle = () => {
      entry.state = 'done';
      this.active.delete(entry);
      this.running--;
      this.busyKeys.delete(entry.key);
      this.pump();
    };
    let result: Promise<unknown>;
    try {
      result = entry.run(entry.controller.signal);
    } catch (err) {
      result = Promise.reject(err);
    }
    result.then(
      (v) => {
        settle();
        entry.resolve(v);
      },
      (e) => {
        settle();
        entry.reject(e);
      },
    );
  }
}
