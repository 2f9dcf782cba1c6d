// A small structured logger shared by the controller, tandemd and the demo. Each record is one
// line; `decision` records are the controller's one-sentence explanations of what it did and why.
// Sinks decide the format (JSON lines for daemons, short text for people, memory for tests).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

const LEVELS: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogRecord {
  /** Epoch milliseconds. */
  time: number;
  level: LogLevel;
  msg: string;
  /** True for a controller decision (one plain sentence saying what and why). */
  decision?: boolean;
  [field: string]: unknown;
}

export type LogSink = (record: LogRecord) => void;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  /** A decision of the controller: logged at info with `decision: true`. */
  decision(sentence: string, fields?: Record<string, unknown>): void;
  /** A logger whose records carry these fields too (e.g. `{ node: 'n1', component: 'dc' }`). */
  child(fields: Record<string, unknown>): Logger;
  /** Whether records of this level are kept (to skip building expensive messages). */
  enabled(level: LogLevel): boolean;
}

export interface LoggerOptions {
  /** Lowest level kept. Default 'info'. */
  level?: LogLevel;
  sinks?: LogSink[];
}

class SinkLogger implements Logger {
  constructor(
    private readonly min: number,
    private readonly sinks: LogSink[],
    private readonly fields: Record<string, unknown>,
  ) {}

  private emit(level: LogLevel, msg: string, fields: Record<string, unknown> | undefined, decision: boolean): void {
    if (LEVELS[level] < this.min) return;
    const rec: LogRecord = { time: Date.now(), level, msg, ...this.fields, ...fields };
    if (decision) rec.decision = true;
    for (const sink of this.sinks) {
      try {
        sink(rec);
      } catch {
        /* a broken sink must not break the caller */
      }
    }
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit('debug', msg, fields, false);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit('info', msg, fields, false);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit('warn', msg, fields, false);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit('error', msg, fields, false);
  }
  decision(sentence: string, fields?: Record<string, unknown>): void {
    this.emit('info', sentence, fields, true);
  }
  child(fields: Record<string, unknown>): Logger {
    return new SinkLogger(this.min, this.sinks, { ...this.fields, ...fields });
  }
  enabled(level: LogLevel): boolean {
    return LEVELS[level] >= this.min;
  }
}

export function createLogger(opts: LoggerOptions = {}): Logger {
  return new SinkLogger(LEVELS[opts.level ?? 'info'], opts.sinks ?? [jsonSink(process.stderr)], {});
}

/** A logger that drops everything. */
export const silentLogger: Logger = createLogger({ sinks: [] });

export function isLogLevel(s: string): s is LogLevel {
  return s in LEVELS;
}

/** One JSON object per line. */
export function jsonSink(stream: NodeJS.WritableStream): LogSink {
  return (rec) => void stream.write(JSON.stringify(rec) + '\n');
}

/** "12:00:01.234 n1 decision: started web on n2: ..." — for people watching a terminal. */
export function textSink(stream: NodeJS.WritableStream, opts: { decisionsOnly?: boolean } = {}): LogSink {
  return (rec) => {
    if (opts.decisionsOnly && !rec.decision) return;
    const t = new Date(rec.time).toISOString().slice(11, 23);
    const who = typeof rec.node === 'string' ? ` ${rec.node}` : '';
    const tag = rec.decision ? 'decision' : rec.level;
    stream.write(`${t}${who} ${tag}: ${rec.msg}\n`);
  };
}

/** Keeps records in memory (tests, the demo's event feed). */
export class MemorySink {
  readonly records: LogRecord[] = [];
  private readonly waiters = new Set<{ test: (r: LogRecord) => boolean; resolve: (r: LogRecord) => void }>();
  readonly sink: LogSink = (rec) => {
    this.records.push(rec);
    for (const w of this.waiters) if (w.test(rec)) (this.waiters.delete(w), w.resolve(rec));
  };

  decisions(): string[] {
    return this.records.filter((r) => r.decision).map((r) => r.msg);
  }

  /** Resolves with the first record (already kept or future) matching `test`; rejects after `timeoutMs`. */
  waitFor(test: (r: LogRecord) => boolean, timeoutMs = 10_000): Promise<LogRecord> {
    const found = this.records.find(test);
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const w = { test, resolve: (r: LogRecord) => (clearTimeout(timer), resolve(r)) };
      const timer = setTimeout(() => {
        this.waiters.delete(w);
        reject(new Error(`no log record matched within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiters.add(w);
    });
  }
}
