// The text crm_simulate -S prints: "Current cluster status", "Transition Summary", "Executing
// Cluster Transition" and "Revised Cluster Status" (plus the allocation scores with --show-scores).
// Pure: `now` is an argument; the caller decides where it comes from.
import type { Cib } from '../cib/model.ts';
import { scheduleWorkingSet } from './index.ts';
import { buildTransition } from './transition.ts';
import { unpackCib } from './unpack/index.ts';
import { formatStatus } from './display.ts';
import { actionLine, applyTransition, executionOrder } from './simulate.ts';
import type { WorkingSet } from './types.ts';
import { descendants } from './unpack/resources.ts';

export interface ReportOptions {
  showScores?: boolean;
  /** True when `now` came from the CIB's execution-date (crm_simulate then says so). */
  fromExecutionDate?: boolean;
}

/** "2022-04-01 17:57:38Z", the way crm_simulate prints the execution date. */
export function formatExecutionDate(epochSeconds: number): string {
  const iso = new Date(epochSeconds * 1000).toISOString();
  return `${iso.slice(0, 10)} ${iso.slice(11, 19)}Z`;
}

/** "N of M resource instances DISABLED and K BLOCKED from further action due to failure". */
function disabledLine(ws: WorkingSet): string | undefined {
  let total = 0;
  let disabled = 0;
  let blocked = 0;
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      total += 1;
      let p: typeof r | undefined = r;
      let stopped = false;
      while (p) {
        if (p.targetRole === 'Stopped') stopped = true;
        p = p.parent;
      }
      if (stopped) disabled += 1;
      if (r.blocked) blocked += 1;
    }
  }
  if (disabled === 0 && blocked === 0) return undefined;
  return `${disabled} of ${total} resource instances DISABLED and ${blocked} BLOCKED from further action due to failure`;
}

function statusSection(ws: WorkingSet): string[] {
  const lines = formatStatus(ws);
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/** Everything `crm_simulate -x FILE -S` prints for this CIB at `now`, as lines. */
export function simulationReport(cib: Cib, now: number, opts: ReportOptions = {}): string[] {
  const out: string[] = [];
  const dateLine = opts.fromExecutionDate ? `Using the original execution date of: ${formatExecutionDate(now)}` : undefined;
  if (dateLine) out.push(dateLine);
  // The status is shown before placement, which annotates the working set as it goes.
  const ws = unpackCib(cib, now);
  const current = statusSection(ws);
  const result = scheduleWorkingSet(ws, { scores: opts.showScores === true });
  const disabled = disabledLine(result.ws);
  if (disabled) out.push(disabled, '');
  out.push('Current cluster status:', ...current, '');
  if (opts.showScores) {
    out.push('Allocation Scores:', ...result.scores, '');
  }
  out.push('Transition Summary:', ...result.summary, '');
  const transition = buildTransition(result);
  out.push('Executing Cluster Transition:', ...executionOrder(transition).map(actionLine));
  if (dateLine) out.push(dateLine);
  out.push('');
  const revised = applyTransition(cib, transition, now);
  out.push('Revised Cluster Status:', ...statusSection(unpackCib(revised, now)));
  return out;
}
