// The auditor as a process of its own, so that nothing its driver does (synchronous commands,
// JSON parsing) delays a sample: prints one JSON line per sample ({"t":..,"held":{..}}) and stops
// on SIGTERM, when stdin closes, or at its bounds.
//
//   node --import tsx src/lab/auditor-main.ts --run R [--vips IP,IP] [--watch NAME=REGEX ...]
//        [--interval-ms 20] [--max-duration-ms 600000] [--max-samples 30000]

import { Auditor, watchedFromSpec } from './auditor.ts';
import { readState } from './state.ts';

const args = process.argv.slice(2);
const opts: Record<string, string[]> = {};
for (let i = 0; i < args.length; i += 2) (opts[args[i]!.replace(/^--/, '')] ??= []).push(args[i + 1]!);
const state = readState(Number(opts.run?.[0]));
const auditor = new Auditor(state, {
  vips: opts.vips?.[0]?.split(',').filter(Boolean) ?? state.vips,
  processes: (opts.watch ?? []).map(watchedFromSpec),
  intervalMs: Number(opts['interval-ms']?.[0] ?? 20),
  maxDurationMs: Math.min(Number(opts['max-duration-ms']?.[0] ?? 600_000), 3_600_000),
  maxSamples: Math.min(Number(opts['max-samples']?.[0] ?? 30_000), 200_000),
});
let stopped = false;
const stop = () => {
  if (stopped) return;
  stopped = true;
  auditor.stop();
  process.stdout.write(JSON.stringify({ done: true, samples: auditor.samples.length }) + '\n', () => process.exit(0));
};
auditor.onSample((s) => {
  process.stdout.write(JSON.stringify(s) + '\n');
});
auditor.start();
const bound = setInterval(() => {
  if ((auditor as unknown as { stopped: boolean }).stopped) stop();
}, 200);
bound.unref();
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
