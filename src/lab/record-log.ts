// A growing list of records (probe results, audit samples) that callers can wait on: the one
// piece the prober, the in-process auditor and the auditor process driver all need.
export class RecordLog<T> {
  readonly items: T[] = [];
  private listeners: ((r: T) => void)[] = [];

  add(r: T): void {
    this.items.push(r);
    for (const fn of [...this.listeners]) fn(r);
  }

  latest(): T | undefined {
    return this.items[this.items.length - 1];
  }

  onRecord(fn: (r: T) => void): void {
    this.listeners.push(fn);
  }

  /**
   * The first record that satisfies `pred` — the latest one already there when `includeLatest`,
   * else the next ones to come — or undefined when `timeoutMs` passes first.
   */
  waitFor(pred: (r: T) => boolean, timeoutMs: number, includeLatest = true): Promise<T | undefined> {
    const l = this.latest();
    if (includeLatest && l !== undefined && pred(l)) return Promise.resolve(l);
    return new Promise((resolve) => {
      const done = (r: T | undefined) => {
        clearTimeout(timer);
        this.listeners = this.listeners.filter((x) => x !== fn);
        resolve(r);
      };
      const fn = (r: T) => {
        if (pred(r)) done(r);
      };
      const timer = setTimeout(() => done(undefined), timeoutMs);
      this.listeners.push(fn);
    });
  }
}
