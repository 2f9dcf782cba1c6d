// Where the time of a failover goes: milestones picked out of the hosts' tandemd logs (JSON lines,
// `time` in epoch ms) around an event, as offsets from the event. The failover bench records them
// per run (with tandemd at log level debug, which adds the DC's "asked N to run X" lines) and
// prints their medians; `npm run lab -- timeline --run R --at EPOCH_MS` prints the raw lines.

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export interface LogLine {
  time: number;
  host: string;
  level: string;
  msg: string;
}

/** Every JSON line of every host's tandemd.log of run directory `dir` within [from, to]. */
export function readTandemdLogs(dir: string, from: number, to: number): LogLine[] {
  const out: LogLine[] = [];
  let hosts: string[] = [];
  try {
    hosts = readdirSync(join(dir, 'hosts'));
  } catch {
    return out;
  }
  for (const host of hosts) {
    let text = '';
    try {
      text = readFileSync(join(dir, 'hosts', host, 'log', 'tandemd.log'), 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n')) {
      if (!line.startsWith('{')) continue;
      try {
        const j = JSON.parse(line) as { time?: number; level?: string; msg?: string };
        if (typeof j.time !== 'number' || j.time < from || j.time > to) continue;
        out.push({ time: j.time, host, level: j.level ?? '', msg: j.msg ?? '' });
      } catch {
        /* not a log record */
      }
    }
  }
  return out.sort((a, b) => a.time - b.time);
}

export interface Milestone {
  name: string;
  /** First line matching (regex source; TARGET is replaced by the target's name). */
  pattern: string;
}

const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Milestones of a node crash (TARGET = the crashed host). */
export const NODE_CRASH_MILESTONES: Milestone[] = [
  { name: 'suspected', pattern: 'peer TARGET up -> suspect' },
  { name: 'lost', pattern: 'peer TARGET suspect -> lost' },
  { name: 'DC takeover', pattern: 'takes over as DC: TARGET' },
  { name: 'known stopped (DC)', pattern: '^TARGET is known stopped' },
  { name: 'DC decided', pattern: '^decided to (start|move|recover) vip' },
  { name: 'vip start asked', pattern: '^asked \\S+ to run vip_start_0' },
  { name: 'vip start result at DC', pattern: '^vip_start_0 on \\S+ succeeded' },
];

/** Milestones of a killed process (TARGET = its host). */
export const PROCESS_KILL_MILESTONES: Milestone[] = [
  { name: 'exit seen by node agent', pattern: 'TARGET: responder\\S*: process exited unexpectedly' },
  { name: 'DC decided', pattern: '^decided to recover responder' },
  { name: 'stop asked', pattern: '^asked TARGET to run responder\\S*_stop_0' },
  { name: 'stop result at DC', pattern: '^responder\\S*_stop_0 on TARGET succeeded' },
  { name: 'start asked', pattern: '^asked TARGET to run responder\\S*_start_0' },
  { name: 'start result at DC', pattern: '^responder\\S*_start_0 on TARGET succeeded' },
];

/** Offset (ms from `at`) of the first line after `at` matching each milestone; absent when none. */
export function milestones(lines: readonly LogLine[], at: number, target: string, spec: readonly Milestone[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of spec) {
    const re = new RegExp(m.pattern.replaceAll('TARGET', esc(target)));
    const hit = lines.find((l) => l.time >= at - 5 && re.test(l.msg));
    if (hit) out[m.name] = Math.round(hit.time - at);
  }
  return out;
}
