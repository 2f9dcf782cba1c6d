// The auditor: samples from outside, every 20 ms, which hosts hold each VIP and which hosts run each
// watched unique process. Addresses are read through one persistent `ip -n NS -o -4 -batch -` per
// host (a host whose eth0 is down holds nothing: a dead machine answers no ARP); processes through
// /proc, attributed to a host by their network namespace. Bounded by --max-samples and duration.

import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { AuditSample } from './analysis.ts';
import { netnsInode } from './lab.ts';
import { nsInode } from './procs.ts';
import type { LabState } from './state.ts';
import { RecordLog } from './record-log.ts';

export interface WatchedProcess {
  /** Resource name used in the samples. */
  name: string;
  /** True for the command lines of this resource's process. */
  match: (cmdline: string[]) => boolean;
}

/** A watched process given as NAME=REGEX, the regex tested against the command line joined by spaces. */
export function watchedFromSpec(spec: string): WatchedProcess {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`watch spec '${spec}' is not NAME=REGEX`);
  const re = new RegExp(spec.slice(eq + 1));
  return { name: spec.slice(0, eq), match: (argv) => re.test(argv.join(' ')) };
}

export interface AuditorOptions {
  vips?: string[];
  processes?: WatchedProcess[];
  intervalMs?: number;
  /** Hard bounds: the auditor stops by itself after this many samples or milliseconds. */
  maxSamples?: number;
  maxDurationMs?: number;
}

interface HostReader {
  host: string;
  ns: string;
  proc: ChildProcess;
  pending?: { lines: string[]; resolve: (lines: string[]) => void };
}

// `ip -batch` keeps state from one command to the next (an `addr show` after a `link show` prints
// links), so only `addr show` is sent: eth0's addresses only while eth0 is up (`up`), then lo's as
// the end marker of the sample.
const END_LINE = /^\d+: lo\s+inet /;

export class Auditor {
  private readonly log = new RecordLog<AuditSample>();
  readonly samples: AuditSample[] = this.log.items;
  private readers: HostReader[] = [];
  private timer?: NodeJS.Timeout;
  private busy = false;
  private startedAt = 0;
  private stopped = false;
  private readonly vips: string[];
  private readonly watched: WatchedProcess[];
  private readonly intervalMs: number;
  private readonly maxSamples: number;
  private readonly maxDurationMs: number;
  private netnsToHost = new Map<number, string>();
  /** pid → host and the watched resources its command line matches (pid reuse: dropped when the pid vanishes). */
  private pidCache = new Map<number, { host?: string; resources: string[] }>();

  constructor(private readonly state: LabState, opts: AuditorOptions = {}) {
    this.vips = opts.vips ?? state.vips;
    this.watched = opts.processes ?? [];
    this.intervalMs = opts.intervalMs ?? 20;
    this.maxSamples = opts.maxSamples ?? 30_000;
    this.maxDurationMs = opts.maxDurationMs ?? 10 * 60_000;
  }

  start(): this {
    for (const h of this.state.hosts) {
      const ino = netnsInode(h.netns);
      if (ino !== undefined) this.netnsToHost.set(ino, h.name);
      const proc = spawn('ip', ['-n', h.netns, '-o', '-4', '-batch', '-'], { stdio: ['pipe', 'pipe', 'ignore'] });
      const r: HostReader = { host: h.name, ns: h.netns, proc };
      proc.stdin!.on('error', () => {});
      const rl = createInterface({ input: proc.stdout! });
      rl.on('line', (line) => {
        const p = r.pending;
        if (!p) return;
        p.lines.push(line);
        if (END_LINE.test(line)) {
          r.pending = undefined;
          p.resolve(p.lines);
        }
      });
      this.readers.push(r);
    }
    this.startedAt = Date.now();
    this.timer = setInterval(() => void this.tick(), this.intervalMs);
    return this;
  }

  onSample(fn: (s: AuditSample) => void): void {
    this.log.onRecord(fn);
  }

  /** Latest sample (undefined before the first). */
  latest(): AuditSample | undefined {
    return this.log.latest();
  }

  private readHost(r: HostReader): Promise<string[]> {
    return new Promise((resolve) => {
      const timeout = setTimeout(() => {
        r.pending = undefined;
        resolve([]);
      }, 1000);
      r.pending = {
        lines: [],
        resolve: (lines) => {
          clearTimeout(timeout);
          resolve(lines);
        },
      };
      r.proc.stdin!.write('addr show dev eth0 up\naddr show dev lo\n');
    });
  }

  /** Take one sample now. */
  async sample(): Promise<AuditSample> {
    const held: Record<string, string[]> = {};
    for (const v of this.vips) held[v] = [];
    for (const w of this.watched) held[w.name] = [];
    const results = await Promise.all(this.readers.map((r) => this.readHost(r)));
    results.forEach((lines, i) => {
      const host = this.readers[i]!.host;
      for (const l of lines) {
        if (!/^\d+: eth0\s/.test(l)) continue;
        const m = /\binet (\d+\.\d+\.\d+\.\d+)\//.exec(l);
        if (m && m[1]! in held && this.vips.includes(m[1]!)) held[m[1]!]!.push(host);
      }
    });
    if (this.watched.length > 0) this.sampleProcesses(held);
    const s: AuditSample = { t: performance.timeOrigin + performance.now(), held };
    return s;
  }

  private sampleProcesses(held: Record<string, string[]>): void {
    const seen = new Set<number>();
    for (const name of readdirSync('/proc')) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      seen.add(pid);
      // Processes outside the lab are remembered (their network namespace does not change); a host's
      // processes are looked at every sample, since a command line changes at exec.
      let host = this.pidCache.get(pid)?.host;
      if (!this.pidCache.has(pid)) {
        const net = nsInode(pid, 'net');
        host = net === undefined ? undefined : this.netnsToHost.get(net);
        if (net === undefined) continue;
        this.pidCache.set(pid, { host, resources: [] });
      }
      if (!host) continue;
      let cmdline: string[];
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((x) => x.length > 0);
      } catch {
        continue; // gone since readdir
      }
      for (const w of this.watched) if (w.match(cmdline) && !held[w.name]!.includes(host)) held[w.name]!.push(host);
    }
    for (const pid of this.pidCache.keys()) if (!seen.has(pid)) this.pidCache.delete(pid);
  }

  private async tick(): Promise<void> {
    if (this.busy || this.stopped) return;
    if (this.samples.length >= this.maxSamples || Date.now() - this.startedAt > this.maxDurationMs) {
      this.stop();
      return;
    }
    this.busy = true;
    try {
      const s = await this.sample();
      if (!this.stopped) {
        this.log.add(s);
      }
    } finally {
      this.busy = false;
    }
  }

  /** Wait until `pred` holds for a sample, or the timeout passes (returns undefined). */
  waitFor(pred: (s: AuditSample) => boolean, timeoutMs: number): Promise<AuditSample | undefined> {
    return this.log.waitFor(pred, timeoutMs);
  }

  stop(): AuditSample[] {
    if (this.stopped) return this.samples;
    this.stopped = true;
    if (this.timer) clearInterval(this.timer);
    for (const r of this.readers) {
      r.proc.stdin!.end();
      if (r.proc.exitCode === null && r.proc.signalCode === null) r.proc.kill('SIGKILL'); // our own child, by its handle
    }
    return this.samples;
  }
}
