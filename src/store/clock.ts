// A monotonic clock with timers, injectable so that lease expiry can be tested without sleeping.

export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Monotonic milliseconds (not wall-clock time: it never jumps backwards). */
  now(): number;
  /** Run `fn` once after `ms`. `unref`: do not keep the process alive for this timer. */
  setTimer(fn: () => void, ms: number, unref?: boolean): Timer;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(fn, ms, unref = false) {
    const t = setTimeout(fn, Math.max(0, ms));
    if (unref) t.unref();
    return { cancel: () => clearTimeout(t) };
  },
};

interface ManualTimer {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A clock that moves only when told to: `advance(ms)` runs due timers in time order. */
export class ManualClock implements Clock {
  private t: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = 0) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimer(fn: () => void, ms: number): Timer {
    const timer: ManualTimer = { at: this.t + Math.max(0, ms), seq: this.seq++, fn, cancelled: false };
    this.timers.push(timer);
    return { cancel: () => void (timer.cancelled = true) };
  }

  /** Move time forward by `ms`, running every timer that falls due, each at its own time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.timers = this.timers.filter((x) => !x.cancelled);
      let next: ManualTimer | undefined;
      for (const x of this.timers) {
        if (x.at <= end && (!next || x.at < next.at || (x.at === next.at && x.seq < next.seq))) next = x;
      }
      if (!next) break;
      this.t = Math.max(this.t, next.at);
      next.cancelled = true;
      next.fn();
    }
    this.t = end;
  }

  /** Number of timers still pending (for tests that check nothing leaks). */
  pending(): number {
    return this.timers.filter((x) => !x.cancelled).length;
  }
}
