// `tandem simulate`: what `crm_simulate -x FILE -S` prints, for one CIB file or a whole directory.
//
//   tandem simulate --xml FILE [--show-scores] [--now EPOCH|ISO]
//   tandem simulate --corpus DIR --out OUTDIR [--now EPOCH|ISO]     (DIR/xml/NAME.xml -> OUTDIR/NAME.summary)
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { parseCibXml } from '../../cib/parse.ts';
import type { Cib } from '../../cib/model.ts';
import { simulationReport } from '../../scheduler/report.ts';
import { CliError, errorLine } from '../errors.ts';

export interface SimulateOptions {
  showScores?: boolean;
  /** Seconds since the epoch, used when the CIB carries no execution-date. */
  now?: number;
}

/** Parses --now: seconds since the epoch, or an ISO 8601 date/time. */
export function parseNow(text: string): number {
  if (/^-?\d+(\.\d+)?$/.test(text.trim())) return Math.floor(Number(text));
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw new CliError(`--now: '${text}' is neither seconds since the epoch nor an ISO 8601 date`);
  return Math.floor(ms / 1000);
}

/** "now" for a CIB: its execution-date, else the given time, else the clock (the CLI's only clock read). */
export function resolveNow(cib: Cib, fallback: number | undefined): { now: number; fromExecutionDate: boolean } {
  const ed = cib.attrs['execution-date'];
  if (ed !== undefined && ed !== '') {
    const n = Number(ed);
    if (!Number.isFinite(n)) throw new CliError(`<cib>: execution-date '${ed}' is not a number of seconds`);
    return { now: Math.floor(n), fromExecutionDate: true };
  }
  return { now: fallback ?? Math.floor(Date.now() / 1000), fromExecutionDate: false };
}

/** The whole crm_simulate-style report for one CIB text. Throws CibError/CliError on bad input. */
export function simulateText(xml: string, source: string, opts: SimulateOptions = {}): string {
  const cib = parseCibXml(xml, source);
  const { now, fromExecutionDate } = resolveNow(cib, opts.now);
  return simulationReport(cib, now, { showScores: opts.showScores === true, fromExecutionDate }).join('\n') + '\n';
}

export interface BatchResult {
  total: number;
  failed: string[];
}

/** DIR/xml/NAME.xml -> OUTDIR/NAME.summary; a failing case gets its error in its file and the rest go on. */
export function simulateCorpus(dir: string, outDir: string, opts: SimulateOptions & { progress?: (done: number, total: number, failed: number) => void; only?: string[] } = {}): BatchResult {
  const xmlDir = join(dir, 'xml');
  let names: string[];
  try {
    names = readdirSync(xmlDir).filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4)).sort();
  } catch {
    throw new CliError(`--corpus: ${xmlDir} is not a readable directory`);
  }
  if (opts.only) names = names.filter((n) => opts.only!.includes(n));
  mkdirSync(outDir, { recursive: true });
  const failed: string[] = [];
  let done = 0;
  for (const name of names) {
    let text: string;
    try {
      text = simulateText(readFileSync(join(xmlDir, `${name}.xml`)).toString('utf8'), `${name}.xml`, opts);
    } catch (err) {
      failed.push(name);
      text = `Error: ${errorLine(err)}\n`;
    }
    writeFileSync(join(outDir, `${name}.summary`), text);
    done += 1;
    opts.progress?.(done, names.length, failed.length);
  }
  return { total: names.length, failed };
}

interface RawOptions {
  xml?: string;
  corpus?: string;
  out?: string;
  showScores?: boolean;
  now?: string;
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('schedule a CIB and print what crm_simulate -S prints (status, transition summary, execution, revised status)')
    .option('--xml <file>', 'CIB XML file to schedule')
    .option('--show-scores', 'also print the allocation scores')
    .option('--now <time>', 'evaluate at this time (seconds since the epoch or ISO 8601) when the CIB has no execution-date')
    .option('--corpus <dir>', 'batch: schedule every DIR/xml/NAME.xml')
    .option('--out <dir>', 'batch: write OUTDIR/NAME.summary')
    .action((raw: RawOptions) => {
      const opts: SimulateOptions = { showScores: raw.showScores === true };
      if (raw.now !== undefined) opts.now = parseNow(raw.now);
      if (raw.xml !== undefined && raw.corpus !== undefined) throw new CliError('simulate: give either --xml or --corpus, not both');
      if (raw.xml !== undefined) {
        let xml: string;
        try {
          // Reading bytes and decoding them is several times faster than readFileSync(…, 'utf8') on big files.
          xml = readFileSync(raw.xml).toString('utf8');
        } catch (err) {
          throw new CliError(errorLine(err));
        }
        process.stdout.write(simulateText(xml, raw.xml, opts));
        return;
      }
      if (raw.corpus !== undefined) {
        if (raw.out === undefined) throw new CliError('simulate: --corpus needs --out OUTDIR');
        const isTty = process.stderr.isTTY === true;
        const res = simulateCorpus(raw.corpus, raw.out, {
          ...opts,
          progress: (done, total, failed) => {
            if (done === total || done % 50 === 0) process.stderr.write(`simulate: ${done}/${total} cases, ${failed} failed${isTty && done !== total ? '\r' : '\n'}`);
          },
        });
        process.stdout.write(`simulate: ${res.total} cases written to ${raw.out}, ${res.failed.length} failed${res.failed.length ? ` (${res.failed.join(' ')})` : ''}\n`);
        return;
      }
      throw new CliError('simulate: --xml FILE or --corpus DIR --out OUTDIR is required');
    });
}
