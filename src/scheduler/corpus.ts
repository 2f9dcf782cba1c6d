// The scheduler corpus check: run `tandem simulate --corpus` over Pacemaker's regression cases and
// compare each case's output with the summary Pacemaker 2.1.5 printed, the way
// ../shared/scheduler-corpus/README.md (and its tools/compare-summaries.py) defines it:
//   - Transition Summary: the lines after the header up to a blank line or the next top-level
//     header; whitespace runs collapsed, cts-scheduler's sed rewrites applied, blank lines and
//     "Using the original execution date" lines dropped; compared as an order-insensitive multiset.
//   - Revised Cluster Status: everything after the last such header, normalized the same way.
//   - Current cluster status (reported as well): the lines between its header and the next
//     top-level header, normalized the same way.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SED: [RegExp, string][] = [
  [/Masters:/, 'Promoted:'],
  [/Slaves:/, 'Unpromoted:'],
  [/ Master( |\[|$)/, ' Promoted$1'],
  [/ Slave /, ' Unpromoted '],
];
const DROP = /^(Using the original execution date of:|Setting effective cluster time:)/;
const TOP_HDR = /^\S.*:\s*$/;

/** One line as the comparison sees it. */
export function normalizeLine(line: string): string {
  let l = line.split(/\s+/).filter(Boolean).join(' ');
  l = l.replace(/ocf::/g, 'ocf:');
  for (const [re, rep] of SED) l = l.replace(re, rep);
  return l.split(/\s+/).filter(Boolean).join(' ');
}

function keep(lines: string[]): string[] {
  return lines.map(normalizeLine).filter((l) => l !== '' && !DROP.test(l));
}

function isHeader(line: string, name: string): boolean {
  return !/^\s/.test(line) && line.trim().toLowerCase() === name.toLowerCase();
}

export interface Sections {
  transitionSummary?: string[];
  revisedStatus?: string[];
  currentStatus?: string[];
}

export function extractSections(text: string): Sections {
  const lines = text.split(/\r?\n/);
  const out: Sections = {};
  const ts = lines.findIndex((l) => isHeader(l, 'Transition Summary:'));
  if (ts >= 0) {
    const body: string[] = [];
    for (const l of lines.slice(ts + 1)) {
      if (l.trim() === '' || (TOP_HDR.test(l) && !/^\s/.test(l))) break;
      body.push(l);
    }
    out.transitionSummary = keep(body);
  }
  let last = -1;
  lines.forEach((l, i) => {
    if (isHeader(l, 'Revised Cluster Status:')) last = i;
  });
  if (last >= 0) out.revisedStatus = keep(lines.slice(last + 1));
  const cs = lines.findIndex((l) => isHeader(l, 'Current cluster status:'));
  if (cs >= 0) {
    const body: string[] = [];
    for (const l of lines.slice(cs + 1)) {
      if (TOP_HDR.test(l) && !/^\s/.test(l)) break;
      body.push(l);
    }
    out.currentStatus = keep(body);
  }
  return out;
}

/** Lines missing from `actual` and lines in excess, as multisets. */
export function multisetDiff(expected: string[], actual: string[]): { missing: string[]; extra: string[] } {
  const count = new Map<string, number>();
  for (const l of expected) count.set(l, (count.get(l) ?? 0) + 1);
  const extra: string[] = [];
  for (const l of actual) {
    const c = count.get(l) ?? 0;
    if (c > 0) count.set(l, c - 1);
    else extra.push(l);
  }
  const missing: string[] = [];
  for (const [l, c] of count) for (let i = 0; i < c; i++) missing.push(l);
  return { missing: missing.sort(), extra: extra.sort() };
}

export interface CaseResult {
  name: string;
  group: string;
  summaryPass: boolean;
  revisedPass: boolean;
  currentPass: boolean;
  missing: string[];
  extra: string[];
  error?: string;
}

export interface GroupCount {
  group: string;
  total: number;
  summary: number;
  revised: number;
  current: number;
}

export interface CorpusReport {
  cases: CaseResult[];
  groups: GroupCount[];
  passed: number;
  failed: number;
  revisedPassed: number;
  currentPassed: number;
}

export function readManifest(corpusDir: string): Map<string, { group: string; description: string }> {
  const out = new Map<string, { group: string; description: string }>();
  const path = join(corpusDir, 'manifest.tsv');
  if (!existsSync(path)) return out;
  const rows = readFileSync(path, 'utf8').split('\n');
  const hdr = rows[0]!.split('\t');
  for (const r of rows.slice(1)) {
    if (!r.trim()) continue;
    const cols = r.split('\t');
    const d = Object.fromEntries(hdr.map((h, i) => [h, cols[i] ?? '']));
    out.set(d.name!, { group: d.group ?? '?', description: d.description ?? '' });
  }
  return out;
}

/** Compares every expected NAME.summary of corpusDir/summary with actualDir/NAME.summary. */
export function compareCorpus(corpusDir: string, actualDir: string): CorpusReport {
  const manifest = readManifest(corpusDir);
  const names = readdirSync(join(corpusDir, 'summary'))
    .filter((f) => f.endsWith('.summary'))
    .map((f) => f.slice(0, -8))
    .sort();
  const cases: CaseResult[] = [];
  for (const name of names) {
    const exp = extractSections(readFileSync(join(corpusDir, 'summary', `${name}.summary`), 'utf8'));
    const group = manifest.get(name)?.group ?? '?';
    let actText: string | undefined;
    try {
      actText = readFileSync(join(actualDir, `${name}.summary`), 'utf8');
    } catch {
      actText = undefined;
    }
    if (actText === undefined) {
      cases.push({ name, group, summaryPass: false, revisedPass: false, currentPass: false, missing: exp.transitionSummary ?? [], extra: [], error: 'no output file' });
      continue;
    }
    const act = extractSections(actText);
    const r: CaseResult = { name, group, summaryPass: false, revisedPass: false, currentPass: false, missing: [], extra: [] };
    if (act.transitionSummary === undefined) {
      r.error = actText.split('\n')[0] ?? 'no Transition Summary section';
      r.missing = exp.transitionSummary ?? [];
    } else {
      const d = multisetDiff(exp.transitionSummary ?? [], act.transitionSummary);
      r.summaryPass = d.missing.length === 0 && d.extra.length === 0;
      r.missing = d.missing;
      r.extra = d.extra;
    }
    if (act.revisedStatus !== undefined && exp.revisedStatus !== undefined) {
      const d = multisetDiff(exp.revisedStatus, act.revisedStatus);
      r.revisedPass = d.missing.length === 0 && d.extra.length === 0;
    } else {
      r.revisedPass = act.revisedStatus === undefined && exp.revisedStatus === undefined;
    }
    if (act.currentStatus !== undefined && exp.currentStatus !== undefined) {
      const d = multisetDiff(exp.currentStatus, act.currentStatus);
      r.currentPass = d.missing.length === 0 && d.extra.length === 0;
    }
    cases.push(r);
  }
  const groupIds = [...new Set(cases.map((c) => c.group))].sort((a, b) => {
    const na = Number(a);
    const nb = Number(b);
    if (Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
    return a < b ? -1 : a > b ? 1 : 0;
  });
  const groups = groupIds.map((g) => {
    const cs = cases.filter((c) => c.group === g);
    return {
      group: g,
      total: cs.length,
      summary: cs.filter((c) => c.summaryPass).length,
      revised: cs.filter((c) => c.revisedPass).length,
      current: cs.filter((c) => c.currentPass).length,
    };
  });
  const passed = cases.filter((c) => c.summaryPass).length;
  return {
    cases,
    groups,
    passed,
    failed: cases.length - passed,
    revisedPassed: cases.filter((c) => c.revisedPass).length,
    currentPassed: cases.filter((c) => c.currentPass).length,
  };
}

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const defaultCorpusDir = join(repoRoot, '..', 'shared', 'scheduler-corpus');

/**
 * Runs the real CLI (`tandem simulate --corpus DIR --out OUT`) in a child process under TZ=UTC (the
 * expected outputs assume it), then compares. OUT defaults to a temporary directory, removed after.
 */
export function runCorpus(opts: { corpusDir?: string; outDir?: string } = {}): CorpusReport & { seconds: number; batchOutput: string } {
  const corpusDir = opts.corpusDir ?? defaultCorpusDir;
  const outDir = opts.outDir ?? mkdtempSync(join(tmpdir(), 'tandem-corpus-'));
  const started = process.hrtime.bigint();
  const res = spawnSync(process.execPath, [join(repoRoot, 'bin', 'tandem.mjs'), 'simulate', '--corpus', corpusDir, '--out', outDir], {
    env: { ...process.env, TZ: 'UTC', LC_ALL: 'C' },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (res.status !== 0) {
    throw new Error(`tandem simulate --corpus failed (exit ${res.status ?? res.signal}): ${(res.stderr ?? '').trim().split('\n').pop()}`);
  }
  try {
    return { ...compareCorpus(corpusDir, outDir), seconds, batchOutput: res.stdout };
  } finally {
    if (!opts.outDir) rmSync(outDir, { recursive: true, force: true });
  }
}

/** The report as text; the last line is `scheduler-corpus: P passed, F failed`. */
export function formatCorpusReport(r: CorpusReport, verbose = false): string[] {
  const total = r.cases.length;
  const pct = (n: number): string => (total ? ((100 * n) / total).toFixed(1) : '0.0');
  const out: string[] = [];
  out.push(`cases: ${total}`);
  out.push(`transition summary:     ${r.passed}/${total} passed (${pct(r.passed)}%)`);
  out.push(`current cluster status: ${r.currentPassed}/${total} passed (${pct(r.currentPassed)}%)`);
  out.push(`revised cluster status: ${r.revisedPassed}/${total} passed (${pct(r.revisedPassed)}%)`);
  out.push('');
  out.push('group  total  summary  current  revised');
  for (const g of r.groups) {
    out.push(`${g.group.padStart(5)}  ${String(g.total).padStart(5)}  ${String(g.summary).padStart(7)}  ${String(g.current).padStart(7)}  ${String(g.revised).padStart(7)}`);
  }
  const errors = r.cases.filter((c) => c.error);
  if (errors.length) {
    out.push('');
    out.push(`cases that failed to run (${errors.length}):`);
    for (const c of errors) out.push(`  ${c.name}: ${c.error}`);
  }
  if (verbose) {
    for (const c of r.cases) {
      if (c.summaryPass) continue;
      out.push('', `== ${c.name} (group ${c.group})`);
      for (const l of c.missing) out.push(`  - ${l}`);
      for (const l of c.extra) out.push(`  + ${l}`);
    }
  }
  out.push(`scheduler-corpus: ${r.passed} passed, ${r.failed} failed`);
  return out;
}
