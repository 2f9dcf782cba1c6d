// npm run bench:failover -- --runs N [--json] [--scenarios node-crash,process-kill,etcd-leader]
//                           [--idle-seconds 10] [--out bench/failover-results.json] [--md bench/failover.md]
//                           [--responder perl|node] [--keep]
//
// A 3-node lab (src/lab): an etcd member and tandemd per host, a CIB with a VIP
// (ocf:heartbeat:IPaddr2, 1 s monitor) that goes where a responder runs and the responder as a
// clone of a `process` resource on port 7000. From the client namespace a prober connects to
// VIP:7000 every 20 ms; an auditor samples every 20 ms which hosts hold the VIP.
//
//   node-crash    crash the host holding the VIP (link down, then SIGKILL of everything on it,
//                 tandemd and its etcd member included); downtime = last answer before the crash
//                 to the first answer from another host.
//   process-kill  SIGKILL the responder on the VIP's host; downtime = last answer before the kill
//                 to the first answer from a new responder process.
//   etcd-leader   crash the host of the etcd leader while a client writes every 10 ms (100 ms
//                 deadline per write, next member on failure); gap = last acknowledged write
//                 before the crash to the first after.
//
// Prints one JSON line per scenario: {"scenario","runs","downtime_ms":{min,p50,max},"overlap_windows"}.
// Writes every run's figures to --out and the table to --md. Needs root, etcd-server, resource-agents.

import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { downtime, overlapWindows, stats, writeGap, type ProbeRecord } from '../src/lab/analysis.ts';
import { labCib } from '../src/lab/cib.ts';
import { AuditorProcess, EtcdWriter, Prober } from '../src/lab/client.ts';
import { crash, down, hostProcesses, labPrerequisites, RESPONDER_SCRIPT_RE, restart, startTandemd, startTandemdAll, up, waitEtcdHealthy, waitEtcdLeader, type ResponderKind } from '../src/lab/lab.ts';
import { isAlive, signalVerified, sleep } from '../src/lab/procs.ts';
import { readState, runDir, updateState, type LabState } from '../src/lab/state.ts';
import { REPO_ROOT, tandemdAvailable } from '../src/lab/tandemd.ts';
import { milestones, NODE_CRASH_MILESTONES, PROCESS_KILL_MILESTONES, readTandemdLogs } from '../src/lab/timeline.ts';

type Scenario = 'node-crash' | 'process-kill' | 'etcd-leader';
const ALL: Scenario[] = ['node-crash', 'process-kill', 'etcd-leader'];

const argv = process.argv.slice(2);
const opt = (name: string, dflt?: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : dflt;
};
const runs = Math.max(1, Math.min(Number(opt('runs', '10')), 100));
const json = argv.includes('--json');
const scenarios = (opt('scenarios', ALL.join(',')) ?? '').split(',').filter(Boolean) as Scenario[];
const idleSeconds = Math.min(Number(opt('idle-seconds', '10')), 120);
const responderKind = opt('responder', 'perl') as ResponderKind;
// tandemd's log level in the lab (inherited through the environment): debug adds the DC's "asked N
// to run X" lines the timeline needs.
process.env.TANDEM_LOG_LEVEL = opt('log-level', process.env.TANDEM_LOG_LEVEL ?? 'debug');
if (responderKind !== 'perl' && responderKind !== 'node') throw new Error(`--responder must be perl or node, got ${responderKind}`);
const outFile = opt('out', join(REPO_ROOT, 'bench', 'failover-results.json'))!;
const mdFile = opt('md', join(REPO_ROOT, 'bench', 'failover.md'))!;
const RECOVERY_TIMEOUT_MS = 15_000;
const STABLE_TIMEOUT_MS = Number(process.env.BENCH_STABLE_TIMEOUT_MS ?? 90_000);

for (const s of scenarios) if (!ALL.includes(s)) throw new Error(`unknown scenario ${s} (known: ${ALL.join(', ')})`);
const log = (line: string) => process.stderr.write(`[bench:failover] ${line}\n`);

interface RunResult {
  scenario: Scenario;
  run: number;
  at: number;
  target: string;
  downtimeMs?: number;
  from?: string;
  to?: string;
  overlapWindows: number;
  note?: string;
  /** Milestones (ms after the event) from the tandemd logs and the prober. */
  timeline?: Record<string, number>;
}

interface Idle {
  node: string;
  tandemdCpuPct: number;
  tandemdChildrenCpuPct: number;
  tandemdRssMiB: number;
  etcdCpuPct: number;
  etcdRssMiB: number;
}

const CLK_TCK = 100;

function cpuTicks(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields 14-17 (utime stime cutime cstime) are f[11..14]
  return { own: Number(f[11]) + Number(f[12]), children: Number(f[13]) + Number(f[14]) };
}

function rssMiB(pid: number): number {
  const m = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Math.round((Number(m[1]) / 1024) * 10) / 10 : NaN;
}

async function measureIdle(s: LabState, seconds: number): Promise<Idle[]> {
  const procs = s.hosts.map((h) => ({ node: h.name, tandemd: h.services.tandemd!.proc!.pid, etcd: h.services.etcd!.proc!.pid }));
  const t0 = performance.now();
  const a = procs.map((p) => ({ t: cpuTicks(p.tandemd), e: cpuTicks(p.etcd) }));
  await sleep(seconds * 1000);
  const dt = (performance.now() - t0) / 1000;
  return procs.map((p, i) => {
    const t = cpuTicks(p.tandemd);
    const e = cpuTicks(p.etcd);
    const pct = (d: number) => Math.round((d / CLK_TCK / dt) * 1000) / 10;
    return {
      node: p.node,
      tandemdCpuPct: pct(t.own - a[i]!.t.own),
      tandemdChildrenCpuPct: pct(t.children - a[i]!.t.children),
      tandemdRssMiB: rssMiB(p.tandemd),
      etcdCpuPct: pct(e.own - a[i]!.e.own),
      etcdRssMiB: rssMiB(p.etcd),
    };
  });
}

class Bench {
  auditor!: AuditorProcess;
  prober!: Prober;
  /** tandemd processes that died on a powered host and were started again (as an init system would). */
  readonly tandemdRestarts: { node: string; at: string }[] = [];
  constructor(public s: LabState) {}

  /** Restart-on-failure for tandemd, like systemd's Restart=on-failure on a real machine. */
  async superviseTandemd(): Promise<void> {
    for (const h of readState(this.s.run).hosts) {
      const svc = h.services.tandemd;
      if (h.power !== 'on' || !svc || isAlive(svc.proc)) continue;
      log(`tandemd on ${h.name} is dead (see its log): starting it again`);
      this.tandemdRestarts.push({ node: h.name, at: new Date().toISOString() });
      saveLogs(this.s.run, `tandemd-died-${h.name}-${this.tandemdRestarts.length}`);
      await startTandemd(this.s.run, h.name, {});
    }
  }

  get vip(): string {
    return this.s.vips[0]!;
  }

  start(totalMs: number): Promise<void> {
    this.auditor = new AuditorProcess(this.s, { watch: ['responder=responder\\.(mjs|pl)'], maxDurationMs: totalMs });
    this.prober = new Prober(this.s, { durationMs: totalMs, maxCount: Math.ceil(totalMs / 20) + 10, timeoutMs: 200 });
    return this.auditor.ready;
  }

  /** Every powered host runs a responder, exactly one holds the VIP, and the VIP answers. */
  async waitStable(timeoutMs = STABLE_TIMEOUT_MS): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const on = readState(this.s.run).hosts.filter((h) => h.power === 'on').map((h) => h.name);
    for (;;) {
      const l = this.auditor.latest();
      const recent = this.prober.records.slice(-5);
      if (
        l &&
        l.held[this.vip]!.length === 1 &&
        on.every((h) => l.held.responder!.includes(h)) &&
        recent.length === 5 &&
        recent.every((r) => r.ok && r.h === l.held[this.vip]![0])
      ) {
        return l.held[this.vip]![0]!;
      }
      await this.superviseTandemd();
      if (Date.now() > deadline) {
        throw new Error(`cluster not stable after ${timeoutMs} ms: vip on [${l?.held[this.vip]}], responders on [${l?.held.responder}], last probes ${JSON.stringify(recent.slice(-2))}`);
      }
      await sleep(100);
    }
  }

  async settle(): Promise<string> {
    await this.waitStable();
    await sleep(2000);
    return this.waitStable();
  }

  /** Milestones of one run: from the hosts' tandemd logs, plus the client's last and first answer. */
  timeline(at: number, target: string, spec: typeof NODE_CRASH_MILESTONES, d: { lastBefore?: number; firstAfter?: number }): Record<string, number> {
    const t: Record<string, number> = {};
    if (d.lastBefore !== undefined) t['last answer before'] = Math.round(d.lastBefore - at);
    Object.assign(t, milestones(readTandemdLogs(runDir(this.s.run), at - 1000, at + 5000), at, target, spec));
    if (d.firstAfter !== undefined) t['first answer after'] = Math.round(d.firstAfter - at);
    return t;
  }

  overlapsBetween(from: number, to: number): number {
    return overlapWindows(this.auditor.samples, [this.vip]).filter((w) => w.to >= from && w.from <= to).length;
  }

  async nodeCrash(i: number): Promise<RunResult> {
    const holder = await this.settle();
    const t0 = performance.timeOrigin + performance.now();
    const { at } = await crash(this.s.run, holder);
    const back = await this.prober.waitFor((r) => !!r.ok && r.h !== holder && r.s > at, RECOVERY_TIMEOUT_MS);
    await sleep(1000); // the VIP's start result reaches the DC after the address answers
    const d = downtime(this.prober.records, at, 'host');
    const res: RunResult = {
      scenario: 'node-crash', run: i, at, target: holder, downtimeMs: back ? d.downtimeMs : undefined, from: d.hostBefore, to: d.hostAfter,
      overlapWindows: this.overlapsBetween(t0, performance.timeOrigin + performance.now()),
      ...(back ? {} : { note: `no answer from another host within ${RECOVERY_TIMEOUT_MS} ms` }),
      timeline: this.timeline(at, holder, NODE_CRASH_MILESTONES, d),
    };
    await restart(this.s.run, holder);
    return res;
  }

  async processKill(i: number): Promise<RunResult> {
    const holder = await this.settle();
    const h = readState(this.s.run).hosts.find((x) => x.name === holder)!;
    const victim = hostProcesses(h).find((p) => p.cmdline.some((a) => RESPONDER_SCRIPT_RE.test(a)) && p.cmdline[0] !== '/bin/sh' && p.cmdline[0] !== 'sh');
    if (!victim) throw new Error(`no responder process on ${holder}`);
    const t0 = performance.timeOrigin + performance.now();
    const before = this.prober.records.filter((r) => r.ok).slice(-1)[0]!;
    const at = performance.timeOrigin + performance.now();
    signalVerified(victim, 'SIGKILL');
    const back = await this.prober.waitFor((r) => !!r.ok && r.s > at && (r.h !== before.h || r.p !== before.p), RECOVERY_TIMEOUT_MS);
    await sleep(500);
    const d = downtime(this.prober.records, at, 'pid');
    return {
      scenario: 'process-kill', run: i, at, target: `${holder} pid ${victim.pid}`, downtimeMs: back ? d.downtimeMs : undefined,
      from: `${d.hostBefore}/${d.pidBefore}`, to: `${d.hostAfter}/${d.pidAfter}`,
      overlapWindows: this.overlapsBetween(t0, performance.timeOrigin + performance.now()),
      ...(back ? {} : { note: `no answer from a new responder within ${RECOVERY_TIMEOUT_MS} ms` }),
      timeline: this.timeline(at, holder, PROCESS_KILL_MILESTONES, d),
    };
  }

  async etcdLeaderCrash(i: number): Promise<RunResult> {
    await this.settle();
    const leader = await waitEtcdLeader(readState(this.s.run), 15_000);
    const t0 = performance.timeOrigin + performance.now();
    const writer = new EtcdWriter(readState(this.s.run), { intervalMs: 10, deadlineMs: 100, durationMs: 20_000 });
    await writer.ready;
    await sleep(500);
    const { at } = await crash(this.s.run, leader);
    await sleep(4000);
    const records = await writer.stop();
    const g = writeGap(records, at);
    if (g.gapMs === undefined) log(`etcd-leader #${i}: ${records.length} writes, ${records.filter((r) => r[2] && r[1] <= at).length} acknowledged before the crash, ${records.filter((r) => r[2] && r[1] > at).length} after`);
    const res: RunResult = {
      scenario: 'etcd-leader', run: i, at, target: leader, downtimeMs: g.gapMs,
      overlapWindows: this.overlapsBetween(t0, performance.timeOrigin + performance.now()),
      ...(g.gapMs === undefined ? { note: 'writes did not resume' } : {}),
    };
    await restart(this.s.run, leader);
    await waitEtcdHealthy(readState(this.s.run), 30_000);
    return res;
  }
}

const LOGS_DIR = '/tmp/tandem-bench-failover-logs';

/** Keep the hosts' logs of a failed run (the run directory goes away with the lab). */
function saveLogs(R: number, tag: string): void {
  try {
    const dest = join(LOGS_DIR, String(R), tag);
    mkdirSync(dest, { recursive: true });
    for (const h of readState(R).hosts) cpSync(join(h.dir, 'log'), join(dest, h.name), { recursive: true });
    log(`logs of ${tag} kept in ${dest}`);
  } catch (e) {
    log(`could not keep logs: ${(e as Error).message}`);
  }
}

function markdown(summary: Record<string, unknown>[], idle: Idle[], meta: Record<string, unknown>, results: RunResult[] = []): string {
  const failed = results.filter((r) => r.downtimeMs === undefined);
  const failedText = failed.length
    ? `\n## Runs without a figure\n\n${failed.map((r) => `- ${r.scenario} #${r.run}: ${r.note ?? 'no recovery'}`).join('\n')}\n\nThe hosts' logs of such runs are kept under \`${LOGS_DIR}/RUN/\` on the machine that ran the bench.\n`
    : '';
  const row = (x: any) => {
    const d = x.downtime_ms;
    return `| ${x.scenario} | ${x.runs} | ${d ? `${d.min}` : '–'} | ${d ? `**${d.p50}**` : '–'} | ${d ? `${d.max}` : '–'} | ${x.failed} | ${x.overlap_windows} |`;
  };
  const idleRows = idle.map((i) => `| ${i.node} | ${i.tandemdCpuPct} % | ${i.tandemdChildrenCpuPct} % | ${i.tandemdRssMiB} MiB | ${i.etcdCpuPct} % | ${i.etcdRssMiB} MiB |`);
  const timelineText = timelineTables(results);
  return `# Failover benchmark (3-node network-namespace lab)

Recorded by \`${meta.command}\` on ${meta.date} (${meta.machine}${
    meta.loadAverageAtStart
      ? `; load average ${(meta.loadAverageAtStart as number[]).join(' / ')} at the start and ${(meta.loadAverageAtEnd as number[]).join(' / ')} at the end`
      : ''
  }: the machine's 2 cores were shared with other work, so every figure here is on a busy machine).
Lab: 3 hosts (own network, mount, UTS and PID namespaces), one etcd 3.4 member each (heartbeat
${meta.etcdHeartbeatMs} ms, election ${meta.etcdElectionMs} ms, --pre-vote), tandemd on each host with the etcd store, and a
client namespace. CIB: VIP \`ocf:heartbeat:IPaddr2\` with a 1 s monitor, colocated with a clone of a
\`process\` resource (a TCP responder on port 7000, \`src/lab/${meta.responder === 'node' ? 'responder.mjs' : 'responder.pl'}\`). The client connects to
VIP:7000 every 20 ms (200 ms connect timeout); an auditor samples every 20 ms which hosts hold the VIP.

| scenario | runs | min ms | p50 ms | max ms | runs without recovery | overlap windows |
|---|---|---|---|---|---|---|
${summary.map(row).join('\n')}

- **node-crash**: the host holding the VIP is crashed — its link set down, then everything on it
  (tandemd, its etcd member, the responder) SIGKILLed. Downtime = last answer before the crash to the
  first answer from another host.
- **process-kill**: the responder on the VIP's host is SIGKILLed. Downtime = last answer before the
  kill to the first answer from a new responder process.
- **etcd-leader**: the host of the etcd leader is crashed while a client in the client namespace
  writes every 10 ms (100 ms deadline per write, next member on failure). Figure = last acknowledged
  write before the crash to the first after.
- **overlap windows**: stretches of consecutive auditor samples in which two hosts held the VIP (a
  crashed host, whose link is down, holds nothing).

## Beside Pacemaker 2.1.5 + Corosync 3.1.7 on this machine (issue 3)

| scenario | Pacemaker, defaults | Pacemaker, tuned | Tandem p50 (this run) |
|---|---|---|---|
| node crash → VIP answers from another node | 8.9 s (8.1–9.1 s) | 3.4 s with token 1000 ms (2.3–4.0 s) | ${fmt(summary, 'node-crash')} |
| process killed → answers again | 6.9 s (10 s monitor) | 0.98 s (1 s monitor) | ${fmt(summary, 'process-kill')} |
| idle node | 0.8 % of a core, 200 MB RSS | | see below |

Targets of issue 3: node crash p50 < 1,000 ms and max < 2,000 ms with no overlap; process p50 < 300 ms;
tandemd idle < 1 % of a core and < 100 MB RSS per node.

## Idle cost per node (${meta.idleSeconds} s, cluster stable, VIP monitor every 1 s)

| node | tandemd CPU | its agents (children) CPU | tandemd RSS | etcd CPU | etcd RSS |
|---|---|---|---|---|---|
${idleRows.join('\n')}

CPU is % of one core; the machine has 2 cores shared with other work, so figures are upper bounds.
tandemd processes that died on a powered host and were started again by the bench (as an init
system's restart-on-failure would): ${(meta.tandemdRestarts as unknown[]).length}.
Every run's figures are in \`bench/failover-results.json\`.
${timelineText}${failedText}`;
}

/** Median offset of each milestone over the runs of a scenario (ms after the crash / kill). */
function timelineTables(results: RunResult[]): string {
  const parts: string[] = [];
  for (const sc of ['node-crash', 'process-kill'] as Scenario[]) {
    const runs = results.filter((r) => r.scenario === sc && r.timeline);
    if (!runs.length) continue;
    const names: string[] = [];
    for (const r of runs) for (const k of Object.keys(r.timeline!)) if (!names.includes(k)) names.push(k);
    const rows = names
      .map((n) => {
        const v = runs.map((r) => r.timeline![n]).filter((x): x is number => x !== undefined);
        const st = stats(v);
        return st ? { n, p50: st.p50, min: st.min, max: st.max, count: v.length } : undefined;
      })
      .filter((x): x is NonNullable<typeof x> => !!x)
      .sort((a, b) => a.p50 - b.p50);
    parts.push(
      `\n### ${sc}: milestones (ms after the ${sc === 'node-crash' ? 'crash' : 'kill'}, from the tandemd logs and the prober)\n\n| milestone | p50 | min | max | runs |\n|---|---|---|---|---|\n${rows
        .map((r) => `| ${r.n} | ${r.p50} | ${r.min} | ${r.max} | ${r.count} |`)
        .join('\n')}\n`,
    );
  }
  return parts.length ? `\n## Where the time goes (recorded by this run)\n${parts.join('')}\nThe analysis of these figures is in \`bench/failover-timeline.md\`.\n` : '';
}

function fmt(summary: Record<string, any>[], sc: string): string {
  const x = summary.find((y) => y.scenario === sc);
  return x?.downtime_ms ? `${(x.downtime_ms.p50 / 1000).toFixed(2)} s (${(x.downtime_ms.min / 1000).toFixed(2)}–${(x.downtime_ms.max / 1000).toFixed(2)} s)` : 'not measured';
}

async function main(): Promise<number> {
  const render = opt('render');
  if (render) {
    // --render RESULTS.json: write the table again from recorded results, without a lab
    const r = JSON.parse(readFileSync(render, 'utf8')) as { meta: Record<string, unknown>; summary: Record<string, unknown>[]; idle: Idle[]; runs: RunResult[] };
    writeFileSync(mdFile, markdown(r.summary, r.idle, r.meta, r.runs));
    log(`wrote ${mdFile} from ${render}`);
    return 0;
  }
  const why = labPrerequisites() ?? (tandemdAvailable() ? undefined : 'bin/tandemd.mjs is missing');
  if (why) {
    log(`cannot run: ${why}`);
    return 2;
  }
  const t0 = Date.now();
  const loadAtStart = loadavg().map((x) => Math.round(x * 100) / 100);
  const s0 = await up({ hosts: 3, owner: 'self', log });
  const R = s0.run;
  let bench: Bench | undefined;
  const onSignal = () => {
    log('interrupted: tearing the lab down');
    void down(R).finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    const cibFile = join(runDir(R), 'cib.xml');
    writeFileSync(cibFile, labCib(s0, { responder: responderKind }));
    await updateState(R, (s) => {
      s.cibFile = cibFile;
    });
    await startTandemdAll(R, {});
    const s = readState(R);
    bench = new Bench(s);
    const perRunMs = 45_000;
    await bench.start(Math.min(60 * 60_000, 120_000 + idleSeconds * 1000 + runs * scenarios.length * perRunMs));
    log(`run ${R}: tandemd started; waiting for the cluster to settle`);
    const holder = await bench.settle().catch((e) => {
      saveLogs(R, 'settle');
      throw e;
    });
    log(`stable: VIP on ${holder}`);
    const idle = await measureIdle(readState(R), idleSeconds);
    log(`idle: ${JSON.stringify(idle)}`);

    const results: RunResult[] = [];
    const summary: Record<string, unknown>[] = [];
    for (const sc of scenarios) {
      const mine: RunResult[] = [];
      let failedInARow = 0;
      for (let i = 1; i <= runs; i++) {
        let r: RunResult;
        try {
          r = sc === 'node-crash' ? await bench.nodeCrash(i) : sc === 'process-kill' ? await bench.processKill(i) : await bench.etcdLeaderCrash(i);
        } catch (e) {
          r = { scenario: sc, run: i, at: Date.now(), target: '-', overlapWindows: 0, note: (e as Error).message };
          saveLogs(R, `${sc}-${i}`);
          // bring every host back before the next run
          for (const h of readState(R).hosts) if (h.power !== 'on') await restart(R, h.name).catch(() => {});
        }
        if (r.downtimeMs === undefined) {
          saveLogs(R, `${sc}-${i}`);
          failedInARow++;
        } else failedInARow = 0;
        log(`${sc} #${i}: ${r.downtimeMs ?? 'no recovery'} ms (${r.target}${r.to ? ` → ${r.to}` : ''}), overlap windows ${r.overlapWindows}${r.note ? `, ${r.note}` : ''}`);
        mine.push(r);
        results.push(r);
        if (failedInARow >= 3) {
          log(`${sc}: three failed runs in a row, giving up on this scenario`);
          break;
        }
      }
      const st = stats(mine.filter((r) => r.downtimeMs !== undefined).map((r) => r.downtimeMs!));
      const line = {
        scenario: sc,
        runs: mine.length,
        downtime_ms: st ? { min: st.min, p50: st.p50, max: st.max } : null,
        overlap_windows: mine.reduce((a, r) => a + r.overlapWindows, 0),
        failed: mine.filter((r) => r.downtimeMs === undefined).length,
      };
      summary.push(line);
      if (json) process.stdout.write(JSON.stringify(line) + '\n');
      else log(JSON.stringify(line));
    }
    const samples = await bench.auditor.stop();
    const probes: ProbeRecord[] = await bench.prober.stop();
    const meta = {
      command: `npm run bench:failover -- ${argv.join(' ')}`.trim(),
      date: new Date().toISOString(),
      machine: `${(await import('node:os')).cpus().length} cores, Node ${process.version}`,
      etcdHeartbeatMs: s.etcd.heartbeatMs,
      etcdElectionMs: s.etcd.electionMs,
      responder: responderKind,
      idleSeconds,
      wallSeconds: Math.round((Date.now() - t0) / 1000),
      auditorSamples: samples.length,
      probes: probes.length,
      overlapWindowsWholeBench: overlapWindows(samples, [s.vips[0]!]).length,
      tandemdRestarts: bench.tandemdRestarts,
      loadAverageAtStart: loadAtStart,
      loadAverageAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    };
    writeFileSync(outFile, JSON.stringify({ meta, summary, idle, runs: results }, null, 2) + '\n');
    writeFileSync(mdFile, markdown(summary, idle, meta, results));
    log(`wrote ${outFile} and ${mdFile} (${meta.wallSeconds} s)`);
    return 0;
  } finally {
    if (bench) {
      await bench.auditor?.stop();
      await bench.prober?.stop();
    }
    if (!argv.includes('--keep')) await down(R);
    else log(`--keep: lab run ${R} left up (npm run lab -- down --run ${R})`);
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    log(`failed: ${(e as Error).stack ?? e}`);
    process.exit(1);
  },
);
