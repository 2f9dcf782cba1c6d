// Validation of the timing budget. Every rule below is what the safety argument in membership.ts
// relies on; a budget that breaks any of them is refused as a whole, with every broken rule named
// and its numbers shown (Patroni's `loop_wait + 2 x retry_timeout <= ttl` is the model).
//
// | # | rule                                                    | why                                                                                         |
// |---|---------------------------------------------------------|---------------------------------------------------------------------------------------------|
// | 1 | every value is a finite integer; heartbeatMs >= 5       | timers below 5 ms are not honoured on a loaded machine                                      |
// | 2 | suspectMs > 2 x heartbeatMs                             | one lost or late heartbeat must not make a peer suspect                                     |
// | 3 | selfFenceMs >= suspectMs + heartbeatMs                  | a node sees its echoes go stale at most suspectMs + one check tick after the last good one; |
// |   |                                                         | it then still has selfFenceMs - suspectMs - heartbeatMs to stop its resources               |
// | 4 | marginMs >= heartbeatMs                                 | covers the delay of a peer's report and timer lateness on the observer                      |
// | 5 | storeCallDeadlineMs + storeGraceMs / 4 <= storeGraceMs  | a store probe (sent every storeGraceMs / 4) finishes inside the store freshness window      |
// |   | and storeGraceMs >= 4                                   |                                                                                             |
// | 6 | leaseTtlMs x 2/3 >= storeGraceMs + heartbeatMs          | store-loss window: the store can expire the lease (and the DC key with it) no earlier than  |
// |   |   + selfFenceMs + marginMs                              | 2/3 ttl after the node's last good probe (keep-alive every ttl/3); the node loses quorum    |
// |   |                                                         | by last good probe + storeGraceMs + one tick and is stopped selfFenceMs after that at the   |
// |   |                                                         | latest; so a vanished member key alone proves the node stopped                              |
// | 7 | leaseTtlMs >= 1000 and a multiple of 1000               | etcd leases have whole-second TTLs                                                          |
//
// storeGraceMs, when not given, is derived: the most rule 6 allows for the TTL, at most 1000 and
// never below suspectMs (1000 with the default 3 s TTL, 783 with a 2 s TTL). It is separate from
// suspectMs because the store is etcd: when the etcd leader dies, no linearizable read succeeds
// until the others elect a new one (200-600 ms in the lab with 20/200 ms etcd timings); with the
// old window (suspectMs) every surviving node lost quorum and stopped its resources at each such
// election. Heartbeats still decide peer loss and self-fencing after suspectMs.

import { DEFAULT_TIMING, type TimingBudget } from './types.ts';

export class TimingBudgetError extends Error {
  override readonly name = 'TimingBudgetError';
  constructor(readonly problems: string[]) {
    super(`timing budget refused (${problems.length} rule${problems.length === 1 ? '' : 's'} broken):\n  - ${problems.join('\n  - ')}`);
  }
}

const FIELDS: (keyof TimingBudget)[] = ['heartbeatMs', 'suspectMs', 'selfFenceMs', 'marginMs', 'storeCallDeadlineMs', 'leaseTtlMs', 'storeGraceMs'];

/** Upper bound of the derived storeGraceMs. */
export const STORE_GRACE_CAP_MS = 1000;

/** storeGraceMs of a budget: the given value, or the most rule 6 allows (capped, >= suspectMs). */
export function storeGraceOf(b: TimingBudget): number {
  if (b.storeGraceMs !== undefined) return b.storeGraceMs;
  const room = Math.floor((b.leaseTtlMs * 2) / 3) - b.heartbeatMs - b.selfFenceMs - b.marginMs;
  return Math.max(b.suspectMs, Math.min(STORE_GRACE_CAP_MS, room));
}

/** Interval between store probes: a quarter of the store freshness window. */
export function probeIntervalOf(b: TimingBudget): number {
  return Math.max(1, Math.floor(storeGraceOf(b) / 4));
}

/** Every broken rule, as sentences with the numbers (empty when the budget is good). */
export function checkTimingBudget(b: TimingBudget): string[] {
  const problems: string[] = [];
  for (const f of FIELDS) {
    const v = b[f];
    if (f === 'storeGraceMs' && v === undefined) continue;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`rule 1: ${f} must be a non-negative integer of milliseconds, got ${String(v)}`);
  }
  if (problems.length) return problems;
  if (b.heartbeatMs < 5) problems.push(`rule 1: heartbeatMs must be >= 5, got ${b.heartbeatMs}`);
  if (!(b.suspectMs > 2 * b.heartbeatMs)) problems.push(`rule 2: suspectMs (${b.suspectMs}) must be > 2 x heartbeatMs (${2 * b.heartbeatMs})`);
  if (!(b.selfFenceMs >= b.suspectMs + b.heartbeatMs)) {
    problems.push(`rule 3: selfFenceMs (${b.selfFenceMs}) must be >= suspectMs + heartbeatMs (${b.suspectMs + b.heartbeatMs})`);
  }
  if (!(b.marginMs >= b.heartbeatMs)) problems.push(`rule 4: marginMs (${b.marginMs}) must be >= heartbeatMs (${b.heartbeatMs})`);
  const grace = storeGraceOf(b);
  const probeEvery = probeIntervalOf(b);
  if (grace < 4) problems.push(`rule 5: storeGraceMs must be >= 4, got ${grace}`);
  if (!(b.storeCallDeadlineMs + probeEvery <= grace)) {
    problems.push(
      `rule 5: storeCallDeadlineMs + storeGraceMs / 4 (${b.storeCallDeadlineMs} + ${probeEvery} = ${b.storeCallDeadlineMs + probeEvery}) must be <= storeGraceMs (${grace})`,
    );
  }
  if (b.storeCallDeadlineMs <= 0) problems.push(`rule 5: storeCallDeadlineMs must be > 0, got ${b.storeCallDeadlineMs}`);
  const lossBound = grace + b.heartbeatMs + b.selfFenceMs + b.marginMs;
  if (!((b.leaseTtlMs * 2) / 3 >= lossBound)) {
    problems.push(
      `rule 6: store-loss window leaseTtlMs x 2/3 (${Math.floor((b.leaseTtlMs * 2) / 3)}) must be >= storeGraceMs + heartbeatMs + selfFenceMs + marginMs (${grace} + ${b.heartbeatMs} + ${b.selfFenceMs} + ${b.marginMs} = ${lossBound})`,
    );
  }
  if (b.leaseTtlMs < 1000 || b.leaseTtlMs % 1000 !== 0) problems.push(`rule 7: leaseTtlMs must be a whole number of seconds >= 1000, got ${b.leaseTtlMs}`);
  return problems;
}

/** Fill defaults, validate, and return the budget; throws TimingBudgetError listing every broken rule. */
export function resolveTimingBudget(partial: Partial<TimingBudget> = {}): TimingBudget {
  const unknown = Object.keys(partial).filter((k) => !(FIELDS as string[]).includes(k));
  const { storeGraceMs: _defaultGrace, ...defaults } = DEFAULT_TIMING;
  const merged: TimingBudget = { ...defaults, ...partial };
  // Not given: derived from the rest of the budget (the default TTL gives the default value).
  const budget: TimingBudget = { ...merged, storeGraceMs: storeGraceOf(merged) };
  const problems = [...unknown.map((k) => `unknown timing setting '${k}' (known: ${FIELDS.join(', ')})`), ...checkTimingBudget(budget)];
  if (problems.length) throw new TimingBudgetError(problems);
  return budget;
}

/** Derived values, for logs and the README table. */
export function derivedTimings(b: TimingBudget): { probeIntervalMs: number; storeGraceMs: number; stopWindowMs: number; knownStoppedAfterMs: number; keepAliveMs: number } {
  return {
    probeIntervalMs: probeIntervalOf(b),
    storeGraceMs: storeGraceOf(b),
    stopWindowMs: b.selfFenceMs - b.suspectMs - b.heartbeatMs,
    knownStoppedAfterMs: b.selfFenceMs + b.marginMs,
    keepAliveMs: Math.floor(b.leaseTtlMs / 3),
  };
}
