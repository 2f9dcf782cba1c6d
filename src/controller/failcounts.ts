// Fail counts as Pacemaker names them: transient node attributes `fail-count-<rsc>#<op>_<interval>`
// and `last-failure-<rsc>#<op>_<interval>` (epoch seconds). The DC bumps them when history records
// a failure; the scheduler reads them (migration-threshold, failure-timeout); the DC clears the ones
// whose failure-timeout has passed and re-plans right when the next one expires.
import type { Resource, WorkingSet } from '../scheduler/types.ts';

export function failCountNames(rsc: string, op: string, intervalMs: number): { count: string; last: string } {
  const suffix = `${rsc}#${op}_${intervalMs}`;
  return { count: `fail-count-${suffix}`, last: `last-failure-${suffix}` };
}

const COUNT_RE = /^fail-count-(.+)#(.+)_(\d+)$/;

interface FailCountEntry {
  node: string;
  rsc: string;
  op: string;
  intervalMs: number;
  count: string;
  /** Epoch seconds of the last failure (0 if unknown). */
  lastFailure: number;
  failureTimeoutMs: number;
}

function resourceFor(ws: WorkingSet, id: string): Resource | undefined {
  return ws.resourcesById.get(id) ?? ws.resourcesById.get(`${id}:0`);
}

function entries(ws: WorkingSet): FailCountEntry[] {
  const out: FailCountEntry[] = [];
  for (const node of ws.nodes) {
    for (const [name, value] of node.attrs) {
      const m = COUNT_RE.exec(name);
      if (!m) continue;
      const [, rsc, op, interval] = m;
      const r = resourceFor(ws, rsc!);
      const last = Number(node.attrs.get(`last-failure-${rsc}#${op}_${interval}`) ?? '0');
      out.push({
        node: node.name,
        rsc: rsc!,
        op: op!,
        intervalMs: Number(interval),
        count: value,
        lastFailure: Number.isFinite(last) ? last : 0,
        failureTimeoutMs: r?.failureTimeoutMs ?? 0,
      });
    }
  }
  return out;
}

/** Epoch ms when the next fail count with a failure-timeout stops counting, if any. */
export function nextFailureExpiryMs(ws: WorkingSet, afterMs = 0): number | undefined {
  let next: number | undefined;
  for (const e of entries(ws)) {
    if (e.failureTimeoutMs <= 0 || e.lastFailure <= 0) continue;
    // The scheduler discounts a count once now > last-failure + failure-timeout (whole seconds).
    const at = (e.lastFailure + Math.floor(e.failureTimeoutMs / 1000) + 1) * 1000;
    if (at <= afterMs) continue;
    if (next === undefined || at < next) next = at;
  }
  return next;
}

/** Fail counts whose failure-timeout has passed at `nowMs`, with the attribute names to delete. */
export function expiredFailCounts(ws: WorkingSet, nowMs: number): Array<FailCountEntry & { attributes: string[] }> {
  const nowS = Math.floor(nowMs / 1000);
  return entries(ws)
    .filter((e) => e.failureTimeoutMs > 0 && e.lastFailure > 0 && nowS > e.lastFailure + Math.floor(e.failureTimeoutMs / 1000))
    .map((e) => ({ ...e, attributes: Object.values(failCountNames(e.rsc, e.op, e.intervalMs)) }));
}
