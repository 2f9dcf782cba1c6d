// Pure functions over what the lab's client-side tools record: prober attempts, auditor samples and
// etcd writer records. No I/O, no clock.

/** One prober attempt: start/end in epoch ms, ok, and on success the answering host and PID. */
export interface ProbeRecord {
  s: number;
  e: number;
  ok: 0 | 1 | boolean;
  h?: string;
  p?: number;
  err?: string;
}

export interface Downtime {
  /** End of the last successful answer at or before the event (undefined: none). */
  lastBefore?: number;
  /** End of the first successful answer after the event (undefined: the service never came back). */
  firstAfter?: number;
  /** firstAfter - lastBefore; undefined when either is missing. */
  downtimeMs?: number;
  hostBefore?: string;
  hostAfter?: string;
  pidBefore?: number;
  pidAfter?: number;
  /** Failed attempts that ended between lastBefore and firstAfter. */
  failedAttempts: number;
}

/**
 * Downtime around an event at `eventAt` (a crash or a kill): from the last answer before it to the
 * first answer after it. With `requireChange`, the first answer after must come from another host
 * (node crash) or another PID (process restart); answers from what was killed are not recovery.
 */
export function downtime(probes: readonly ProbeRecord[], eventAt: number, requireChange: 'host' | 'pid' | 'none' = 'none'): Downtime {
  const ok = probes.filter((p) => !!p.ok).sort((a, b) => a.e - b.e);
  let before: ProbeRecord | undefined;
  for (const p of ok) if (p.e <= eventAt) before = p;
  let after: ProbeRecord | undefined;
  for (const p of ok) {
    if (p.e <= eventAt) continue;
    if (before && requireChange === 'host' && p.h === before.h) continue;
    if (before && requireChange === 'pid' && p.h === before.h && p.p === before.p) continue;
    after = p;
    break;
  }
  const lo = before?.e ?? -Infinity;
  const hi = after?.e ?? Infinity;
  const failedAttempts = probes.filter((p) => !p.ok && p.e > lo && p.e < hi).length;
  return {
    lastBefore: before?.e,
    firstAfter: after?.e,
    downtimeMs: before && after ? round1(after.e - before.e) : undefined,
    hostBefore: before?.h,
    hostAfter: after?.h,
    pidBefore: before?.p,
    pidAfter: after?.p,
    failedAttempts,
  };
}

/** Longest stretch without a successful answer inside [from, to] (0 when the service answered throughout). */
export function longestGap(probes: readonly ProbeRecord[], from: number, to: number): number {
  const ends = probes.filter((p) => !!p.ok && p.e >= from && p.e <= to).map((p) => p.e).sort((a, b) => a - b);
  if (ends.length === 0) return round1(to - from);
  let gap = ends[0]! - from;
  for (let i = 1; i < ends.length; i++) gap = Math.max(gap, ends[i]! - ends[i - 1]!);
  gap = Math.max(gap, to - ends[ends.length - 1]!);
  return round1(gap);
}

export interface Stats {
  min: number;
  p50: number;
  max: number;
  mean: number;
}

/** min / median / max / mean; the median of an even count is the mean of the two middle values. */
export function stats(values: readonly number[]): Stats | undefined {
  if (values.length === 0) return undefined;
  const v = [...values].sort((a, b) => a - b);
  const n = v.length;
  const p50 = n % 2 === 1 ? v[(n - 1) / 2]! : (v[n / 2 - 1]! + v[n / 2]!) / 2;
  return { min: round1(v[0]!), p50: round1(p50), max: round1(v[n - 1]!), mean: round1(v.reduce((a, b) => a + b, 0) / n) };
}

/** One auditor sample: for each watched resource, the hosts seen holding or running it. */
export interface AuditSample {
  t: number;
  held: Record<string, string[]>;
}

export interface OverlapWindow {
  resource: string;
  /** Time of the first and last sample of the window. */
  from: number;
  to: number;
  samples: number;
  hosts: string[];
}

/**
 * Overlap windows: maximal runs of consecutive samples in which one unique resource was seen on two
 * or more hosts. `unique` limits the check to those resources (default: every resource sampled).
 */
export function overlapWindows(samples: readonly AuditSample[], unique?: readonly string[]): OverlapWindow[] {
  const out: OverlapWindow[] = [];
  const open = new Map<string, OverlapWindow>();
  const sorted = [...samples].sort((a, b) => a.t - b.t);
  const names = unique ?? [...new Set(sorted.flatMap((s) => Object.keys(s.held)))];
  for (const s of sorted) {
    for (const r of names) {
      const hosts = s.held[r] ?? [];
      const w = open.get(r);
      if (new Set(hosts).size >= 2) {
        if (w) {
          w.to = s.t;
          w.samples++;
          for (const h of hosts) if (!w.hosts.includes(h)) w.hosts.push(h);
        } else {
          open.set(r, { resource: r, from: s.t, to: s.t, samples: 1, hosts: [...new Set(hosts)] });
        }
      } else if (w) {
        out.push(w);
        open.delete(r);
      }
    }
  }
  out.push(...open.values());
  return out.sort((a, b) => a.from - b.from);
}

export interface Move {
  resource: string;
  t: number;
  from: string[];
  to: string[];
}

/** Every change of the set of holders of each resource, in time order. */
export function placementChanges(samples: readonly AuditSample[]): Move[] {
  const out: Move[] = [];
  const last = new Map<string, string[]>();
  for (const s of [...samples].sort((a, b) => a.t - b.t)) {
    for (const [r, hosts] of Object.entries(s.held)) {
      const now = [...new Set(hosts)].sort();
      const prev = last.get(r);
      if (!prev || prev.join(',') !== now.join(',')) {
        if (prev) out.push({ resource: r, t: s.t, from: prev, to: now });
        last.set(r, now);
      }
    }
  }
  return out;
}

/** Holders of `resource` in the last sample at or before t. */
export function holdersAt(samples: readonly AuditSample[], resource: string, t: number): string[] {
  let best: AuditSample | undefined;
  for (const s of samples) if (s.t <= t && (!best || s.t > best.t)) best = s;
  return best?.held[resource] ?? [];
}

/** etcd writer record: [startMs, endMs, ok (1/0), endpointIndex]. */
export type WriteRecord = [number, number, number, number];

/** Writes resume: from the last acknowledged write before the event to the first after it. */
export function writeGap(records: readonly WriteRecord[], eventAt: number): { lastBefore?: number; firstAfter?: number; gapMs?: number } {
  let lastBefore: number | undefined;
  let firstAfter: number | undefined;
  for (const [, e, ok] of records) {
    if (!ok) continue;
    if (e <= eventAt) lastBefore = lastBefore === undefined ? e : Math.max(lastBefore, e);
    else firstAfter = firstAfter === undefined ? e : Math.min(firstAfter, e);
  }
  return { lastBefore, firstAfter, gapMs: lastBefore !== undefined && firstAfter !== undefined ? round1(firstAfter - lastBefore) : undefined };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
