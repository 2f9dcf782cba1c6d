// npm run corpus [-- --out DIR] [-v] [--corpus DIR]: runs `tandem simulate --corpus` over
// ../shared/scheduler-corpus and compares with Pacemaker 2.1.5's summaries (see src/scheduler/corpus.ts).
import { formatCorpusReport, runCorpus } from '../src/scheduler/corpus.ts';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const corpusDir = opt('--corpus');
const outDir = opt('--out');
const report = runCorpus({ ...(corpusDir ? { corpusDir } : {}), ...(outDir ? { outDir } : {}) });
const lines = formatCorpusReport(report, args.includes('-v'));
lines.splice(lines.length - 1, 0, '', `batch: ${report.seconds.toFixed(1)} s`);
console.log(lines.join('\n'));
