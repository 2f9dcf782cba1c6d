// Drivers for the client-namespace tools (prober.mjs, etcd-client.mjs writer), run under
// `ip netns exec CLIENT` as children of this process. Each is bounded by its own arguments and also
// stops when its stdin closes, so it never outlives its driver.

import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import type { AuditSample, ProbeRecord, WriteRecord } from './analysis.ts';
import { ETCD_CLIENT_JS, PROBER_JS, RESPONDER_PORT } from './lab.ts';
import type { LabState } from './state.ts';
import { REPO_ROOT, etcdEndpoints } from './tandemd.ts';
import { RecordLog } from './record-log.ts';

const AUDITOR_MAIN = join(REPO_ROOT, 'src', 'lab', 'auditor-main.ts');

export interface ProberOptions {
  target?: string;
  intervalMs?: number;
  timeoutMs?: number;
  durationMs?: number;
  maxCount?: number;
}

export class Prober {
  private readonly log = new RecordLog<ProbeRecord>();
  readonly records: ProbeRecord[] = this.log.items;
  private child: ChildProcess;
  private exited: Promise<void>;

  constructor(state: LabState, opts: ProberOptions = {}) {
    const target = opts.target ?? `${state.vips[0]}:${RESPONDER_PORT}`;
    this.child = spawn(
      'ip',
      ['netns', 'exec', state.client.netns, process.execPath, PROBER_JS,
        '--target', target,
        '--interval-ms', String(opts.intervalMs ?? 20),
        '--timeout-ms', String(opts.timeoutMs ?? 200),
        '--duration-ms', String(opts.durationMs ?? 60_000),
        '--max-count', String(opts.maxCount ?? 5000)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.child.stdin!.on('error', () => {});
    const rl = createInterface({ input: this.child.stdout! });
    rl.on('line', (line) => {
      let r: ProbeRecord & { done?: boolean };
      try {
        r = JSON.parse(line);
      } catch {
        return;
      }
      if (r.done) return;
      this.log.add(r);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => resolve()));
  }

  /** Resolves with the first record (after now) that satisfies pred, or undefined at the timeout. */
  waitFor(pred: (r: ProbeRecord) => boolean, timeoutMs: number): Promise<ProbeRecord | undefined> {
    return this.log.waitFor(pred, timeoutMs, false);
  }

  async stop(): Promise<ProbeRecord[]> {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000); // our own child, by its handle
    await this.exited;
    clearTimeout(t);
    return this.records;
  }
}

export class EtcdWriter {
  private child: ChildProcess;
  private out = '';
  private exited: Promise<void>;
  /** Resolves after the first acknowledged write (or when the writer exits). */
  readonly ready: Promise<void>;

  constructor(state: LabState, opts: { intervalMs?: number; durationMs?: number; deadlineMs?: number; endpoints?: string } = {}) {
    this.child = spawn(
      'ip',
      ['netns', 'exec', state.client.netns, process.execPath, ETCD_CLIENT_JS, 'writer',
        '--endpoints', opts.endpoints ?? etcdEndpoints(state),
        '--interval-ms', String(opts.intervalMs ?? 10),
        '--duration-ms', String(opts.durationMs ?? 20_000),
        '--deadline-ms', String(opts.deadlineMs ?? 100)],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    this.child.stdin!.on('error', () => {});
    let readyResolve!: () => void;
    this.ready = new Promise((r) => (readyResolve = r));
    this.child.stdout!.on('data', (d) => {
      this.out += d;
      if (this.out.includes('"ready":true')) readyResolve();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => (readyResolve(), resolve())));
  }

  async stop(): Promise<WriteRecord[]> {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 5000);
    await this.exited;
    clearTimeout(t);
    try {
      return (JSON.parse(this.out.trim().split('\n').pop() ?? '{}') as { records: WriteRecord[] }).records ?? [];
    } catch {
      return [];
    }
  }
}

/**
 * The auditor (auditor.ts) run as a child process (auditor-main.ts) so the driver's own work never
 * delays a sample; samples arrive as JSON lines.
 */
export class AuditorProcess {
  private readonly log = new RecordLog<AuditSample>();
  readonly samples: AuditSample[] = this.log.items;
  private child: ChildProcess;
  private exited: Promise<void>;
  readonly ready: Promise<void>;

  constructor(state: LabState, opts: { vips?: string[]; watch?: string[]; intervalMs?: number; maxDurationMs?: number } = {}) {
    const args = [
      '--import', 'tsx', AUDITOR_MAIN,
      '--run', String(state.run),
      '--vips', (opts.vips ?? state.vips).join(','),
      '--interval-ms', String(opts.intervalMs ?? 20),
      '--max-duration-ms', String(opts.maxDurationMs ?? 600_000),
      '--max-samples', String(Math.ceil((opts.maxDurationMs ?? 600_000) / (opts.intervalMs ?? 20)) + 10),
      ...(opts.watch ?? []).flatMap((w) => ['--watch', w]),
    ];
    this.child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'inherit'], cwd: REPO_ROOT });
    this.child.stdin!.on('error', () => {});
    let readyResolve!: () => void;
    this.ready = new Promise((r) => (readyResolve = r));
    const rl = createInterface({ input: this.child.stdout! });
    rl.on('line', (line) => {
      let s: AuditSample & { done?: boolean };
      try {
        s = JSON.parse(line);
      } catch {
        return;
      }
      if (s.done) return;
      readyResolve();
      this.log.add(s);
    });
    this.exited = new Promise((resolve) => this.child.on('exit', () => (readyResolve(), resolve())));
  }

  latest(): AuditSample | undefined {
    return this.log.latest();
  }

  waitFor(pred: (s: AuditSample) => boolean, timeoutMs: number): Promise<AuditSample | undefined> {
    return this.log.waitFor(pred, timeoutMs);
  }

  async stop(): Promise<AuditSample[]> {
    this.child.stdin!.end();
    const t = setTimeout(() => this.child.kill('SIGKILL'), 3000); // our own child, by its handle
    await this.exited;
    clearTimeout(t);
    return this.samples;
  }
}
