// npm run bench:scheduler -- [--runs N] [--inputs a,b] [--no-crm] [--largest-runs N] [--out DIR]
//
// For every input of ../shared/scheduler-bench: runs one whole `tandem simulate --xml FILE` process
// N times and `crm_simulate -x FILE -R -Q` (Pacemaker 2.1.5's scheduler, run once; the test oracle)
// the same way in the same run, each under `/usr/bin/time` (wall, user+sys CPU, peak RSS), checks
// that tandem's Transition Summary equals crm_simulate's (the stored `crm_simulate -S` output in
// ../shared/scheduler-bench/summary), and writes bench/scheduler.md and bench/scheduler-results.json.
// --largest-runs N: fewer runs on the largest input (crm_simulate needs minutes there; at least 1).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { extractSections, multisetDiff } from '../src/scheduler/corpus.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = join(here, '..');
const benchDir = join(repo, '..', 'shared', 'scheduler-bench');

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const runs = Math.max(1, Number(opt('--runs') ?? 3));
const largestRuns = Math.max(1, Number(opt('--largest-runs') ?? runs));
const withCrm = !args.includes('--no-crm');
const outDir = opt('--out') ?? here;
const only = opt('--inputs')?.split(',').map((s) => s.trim().replace(/\.xml$/, ''));

interface Run {
  wallS: number;
  cpuS: number;
  rssMiB: number;
  exit: number;
}

interface Measure {
  runs: Run[];
  medianWallS: number;
  medianCpuS: number;
  maxRssMiB: number;
  failures: number;
}

interface InputResult {
  input: string;
  nodes: number;
  instances: number;
  sizeMiB: number;
  tandem: Measure;
  crm?: Measure;
  summaryLines: number;
  summaryMatches: boolean;
  summaryMissing: string[];
  summaryExtra: string[];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Runs argv under /usr/bin/time; returns its figures and the command's stdout. */
function timed(argv: string[], env: NodeJS.ProcessEnv): { run: Run; stdout: string } {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-bench-'));
  const timeFile = join(dir, 'time');
  try {
    const res = spawnSync('/usr/bin/time', ['-o', timeFile, '-f', '%e %U %S %M', 'timeout', '-s', 'KILL', '600', ...argv], {
      env: { ...env, CIB_shadow_dir: dir },
      encoding: 'utf8',
      maxBuffer: 256 * 1024 * 1024,
    });
    // /usr/bin/time writes "Command exited with non-zero status N" before the figures on failure.
    const last = readFileSync(timeFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const [wall, user, sys, rssKb] = last as [number, number, number, number];
    return { run: { wallS: wall, cpuS: user + sys, rssMiB: rssKb / 1024, exit: res.status ?? -1 }, stdout: res.stdout ?? '' };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function summarize(rs: Run[]): Measure {
  const ok = rs.filter((r) => r.exit === 0);
  const use = ok.length ? ok : rs;
  return {
    runs: rs,
    medianWallS: median(use.map((r) => r.wallS)),
    medianCpuS: median(use.map((r) => r.cpuS)),
    maxRssMiB: Math.max(...use.map((r) => r.rssMiB)),
    failures: rs.length - ok.length,
  };
}

/** Least-squares slope of log(y) on log(x): y grows like x^slope. */
function exponent(points: [number, number][]): number | undefined {
  const p = points.filter(([x, y]) => x > 0 && y > 0);
  if (p.length < 2) return undefined;
  const lx = p.map(([x]) => Math.log(x));
  const ly = p.map(([, y]) => Math.log(y));
  const mx = lx.reduce((a, b) => a + b, 0) / p.length;
  const my = ly.reduce((a, b) => a + b, 0) / p.length;
  let num = 0;
  let den = 0;
  for (let i = 0; i < p.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  return den === 0 ? undefined : num / den;
}

const inputs = readdirSync(benchDir)
  .filter((f) => /^scale-\d+n-\d+r\.xml$/.test(f))
  .map((f) => f.slice(0, -4))
  .filter((n) => !only || only.includes(n))
  .sort((a, b) => Number(/-(\d+)r/.exec(a)![1]) - Number(/-(\d+)r/.exec(b)![1]));
if (inputs.length === 0) {
  console.error(`bench:scheduler: no inputs in ${benchDir}${only ? ` matching ${only.join(',')}` : ''}`);
  process.exit(1);
}
const largest = inputs[inputs.length - 1];
const crmAvailable = withCrm && spawnSync('sh', ['-c', 'command -v crm_simulate'], { encoding: 'utf8' }).status === 0;
if (withCrm && !crmAvailable) console.error('bench:scheduler: crm_simulate not found; measuring tandem only (apt-get install pacemaker-cli-utils)');

const env = { ...process.env, LC_ALL: 'C', TZ: 'UTC' };
const results: InputResult[] = [];
for (const name of inputs) {
  const file = join(benchDir, `${name}.xml`);
  const [, nodes, instances] = /^scale-(\d+)n-(\d+)r$/.exec(name)!.map(Number) as [number, number, number];
  const n = name === largest ? largestRuns : runs;
  readFileSync(file); // page cache warm-up, as the README's timings had
  const tandemRuns: Run[] = [];
  let output = '';
  for (let i = 0; i < n; i++) {
    const { run, stdout } = timed([process.execPath, join(repo, 'bin', 'tandem.mjs'), 'simulate', '--xml', file], env);
    tandemRuns.push(run);
    output ||= run.exit === 0 ? stdout : '';
    console.error(`${name}: tandem run ${i + 1}/${n}: ${run.wallS.toFixed(2)} s wall, ${run.cpuS.toFixed(2)} s CPU, ${run.rssMiB.toFixed(0)} MiB${run.exit ? ` (exit ${run.exit})` : ''}`);
  }
  let crm: Measure | undefined;
  if (crmAvailable) {
    const crmRuns: Run[] = [];
    for (let i = 0; i < n; i++) {
      const { run } = timed(['crm_simulate', '-x', file, '-R', '-Q'], env);
      crmRuns.push(run);
      console.error(`${name}: crm_simulate -R -Q run ${i + 1}/${n}: ${run.wallS.toFixed(2)} s wall, ${run.cpuS.toFixed(2)} s CPU, ${run.rssMiB.toFixed(0)} MiB${run.exit ? ` (exit ${run.exit})` : ''}`);
    }
    crm = summarize(crmRuns);
  }
  const expected = extractSections(readFileSync(join(benchDir, 'summary', `${name}.summary`), 'utf8')).transitionSummary ?? [];
  const actual = extractSections(output).transitionSummary;
  const d = actual ? multisetDiff(expected, actual) : { missing: expected, extra: [] };
  results.push({
    input: `${name}.xml`,
    nodes,
    instances,
    sizeMiB: statSync(file).size / 1024 / 1024,
    tandem: summarize(tandemRuns),
    ...(crm ? { crm } : {}),
    summaryLines: expected.length,
    summaryMatches: actual !== undefined && d.missing.length === 0 && d.extra.length === 0,
    summaryMissing: d.missing,
    summaryExtra: d.extra,
  });
}

// ---- report ----
const fit = (pick: (r: InputResult) => number | undefined): number | undefined =>
  exponent(results.filter((r) => r.instances >= 500).map((r) => [r.instances, pick(r) ?? 0]));
const growth = {
  tandemWall: fit((r) => r.tandem.medianWallS),
  tandemCpu: fit((r) => r.tandem.medianCpuS),
  crmWall: fit((r) => r.crm?.medianWallS),
  crmCpu: fit((r) => r.crm?.medianCpuS),
};
const date = new Date().toISOString();
const command = `npm run bench:scheduler -- ${args.join(' ')}`.trim();
const machine = `${cpus().length} CPU(s) ${cpus()[0]?.model ?? ''}, Node ${process.version}, load average at the end ${loadavg().map((l) => l.toFixed(1)).join(' ')}`;
const json = { date, command, machine, runs, largestRuns, results, growth };
writeFileSync(join(outDir, 'scheduler-results.json'), JSON.stringify(json, null, 2) + '\n');

const f2 = (x: number | undefined): string => (x === undefined ? '-' : x.toFixed(2));
const lines: string[] = [];
lines.push('# Scheduler benchmark: tandem simulate vs crm_simulate (Pacemaker 2.1.5)', '');
lines.push(`Date: ${date}  `, `Command: \`${command}\`  `, `Machine: ${machine}`, '');
lines.push(
  'One whole `tandem simulate --xml FILE` process (read, parse, unpack, place, order, build the transition,',
  'simulate its execution, print all four sections) against `crm_simulate -x FILE -R -Q` (scheduling only,',
  'printing nothing), each run under `/usr/bin/time` in the same run of this script. Wall and CPU are',
  'medians over the runs; RSS is the peak. "summary" says whether tandem\'s Transition Summary equals',
  "crm_simulate's (the stored `crm_simulate -S` output of ../shared/scheduler-bench/summary, compared as",
  'an order-insensitive multiset of whitespace-normalized lines).',
  '',
);
lines.push('| input | instances | runs | tandem wall s | tandem CPU s | tandem RSS MiB | crm wall s | crm CPU s | crm RSS MiB | wall tandem/crm | CPU tandem/crm | summary |');
lines.push('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of results) {
  const c = r.crm;
  lines.push(
    `| ${r.input} | ${r.instances} | ${r.tandem.runs.length} | ${f2(r.tandem.medianWallS)} | ${f2(r.tandem.medianCpuS)} | ${r.tandem.maxRssMiB.toFixed(0)} | ${f2(c?.medianWallS)} | ${f2(c?.medianCpuS)} | ${c ? c.maxRssMiB.toFixed(0) : '-'} | ${c ? (r.tandem.medianWallS / c.medianWallS).toFixed(3) : '-'} | ${c ? (r.tandem.medianCpuS / c.medianCpuS).toFixed(3) : '-'} | ${r.summaryMatches ? 'same' : `differs (${r.summaryMissing.length} missing, ${r.summaryExtra.length} extra of ${r.summaryLines})`} |`,
  );
}
lines.push('', '## Growth from 500 to 10,000 instances', '');
lines.push(
  'Least-squares fit of log(time) on log(instances) over the inputs with at least 500 instances (time ~ instances^k):',
  '',
  `- tandem: k = ${f2(growth.tandemWall)} (wall), ${f2(growth.tandemCpu)} (CPU)`,
  `- crm_simulate -R -Q: k = ${f2(growth.crmWall)} (wall), ${f2(growth.crmCpu)} (CPU)`,
  '',
);
const diffs = results.filter((r) => !r.summaryMatches);
if (diffs.length) {
  lines.push('## Transition Summary differences', '');
  for (const r of diffs) {
    lines.push(`${r.input}:`, '');
    for (const l of r.summaryMissing) lines.push(`    - ${l}`);
    for (const l of r.summaryExtra) lines.push(`    + ${l}`);
    lines.push('');
  }
}
writeFileSync(join(outDir, 'scheduler.md'), lines.join('\n') + '\n');
console.log(lines.join('\n'));
