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
// | 5 | storeCallDeadlineMs + 2 x heartbeatMs <= suspectMs      | a store probe (sent every 2 heartbeats) must finish inside the freshness window             |
// | 6 | leaseTtlMs x 2/3 >= suspectMs + heartbeatMs             | store-loss window: the store can expire the lease (and the DC key with it) no earlier than  |
// |   |   + selfFenceMs + marginMs                              | 2/3 ttl after the node's last good probe (keep-alive every ttl/3); the node loses quorum    |
// |   |                                                         | by last good probe + suspectMs + one tick and is stopped selfFenceMs after that at the      |
// |   |                                                         | latest; so a vanished member key alone proves the node stopped                              |
// | 7 | leaseTtlMs >= 1000 and a multiple of 1000               | etcd leases have whole-second TTLs                                                          |

import { DEFAULT_TIMING, type TimingBudget } from './types.ts';

export class TimingBudgetError extends Error {
  override readonly name = 'TimingBudgetError';
  constructor(readonly problems: string[]) {
    super(`timing budget refused (${problems.length} rule${problems.length === 1 ? '' : 's'} broken):\n  - ${problems.join('\n  - ')}`);
  }
}

const FIELDS: (keyof TimingBudget)[] = ['heartbeatMs', 'suspectMs', 'selfFenceMs', 'marginMs', 'storeCallDeadlineMs', 'leaseTtlMs'];

/** Every broken rule, as sentences with the numbers (empty when the budget is good). */
export function checkTimingBudget(b: TimingBudget): string[] {
  const problems: string[] = [];
  for (const f of FIELDS) {
    const v = b[f];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) problems.push(`rule 1: ${f} must be a non-negative integer of milliseconds, got ${String(v)}`);
  }
  if (problems.length) return problems;
  if (b.heartbeatMs < 5) problems.push(`rule 1: heartbeatMs must be >= 5, got ${b.heartbeatMs}`);
  if (!(b.suspectMs > 2 * b.heartbeatMs)) problems.push(`rule 2: suspectMs (${b.suspectMs}) must be > 2 x heartbeatMs (${2 * b.heartbeatMs})`);
  if (!(b.selfFenceMs >= b.suspectMs + b.heartbeatMs)) {
    problems.push(`rule 3: selfFenceMs (${b.selfFenceMs}) must be >= suspectMs + heartbeatMs (${b.suspectMs + b.heartbeatMs})`);
  }
  if (!(b.marginMs >= b.heartbeatMs)) problems.push(`rule 4: marginMs (${b.marginMs}) must be >= heartbeatMs (${b.heartbeatMs})`);
  if (!(b.storeCallDeadlineMs + 2 * b.heartbeatMs <= b.suspectMs)) {
    problems.push(
      `rule 5: storeCallDeadlineMs + 2 x heartbeatMs (${b.storeCallDeadlineMs} + ${2 * b.heartbeatMs} = ${b.storeCallDeadlineMs + 2 * b.heartbeatMs}) must be <= suspectMs (${b.suspectMs})`,
    );
  }
  if (b.storeCallDeadlineMs <= 0) problems.push(`rule 5: storeCallDeadlineMs must be > 0, got ${b.storeCallDeadlineMs}`);
  const lossBound = b.suspectMs + b.heartbeatMs + b.selfFenceMs + b.marginMs;
  if (!((b.leaseTtlMs * 2) / 3 >= lossBound)) {
    problems.push(
      `rule 6: store-loss window leaseTtlMs x 2/3 (${Math.floor((b.leaseTtlMs * 2) / 3)}) must be >= suspectMs + heartbeatMs + selfFenceMs + marginMs (${lossBound})`,
    );
  }
  if (b.leaseTtlMs < 1000 || b.leaseTtlMs % 1000 !== 0) problems.push(`rule 7: leaseTtlMs must be a whole number of seconds >= 1000, got ${b.leaseTtlMs}`);
  return problems;
}

/** Fill defaults, validate, and return the budget; throws TimingBudgetError listing every broken rule. */
export function resolveTimingBudget(partial: Partial<TimingBudget> = {}): TimingBudget {
  const unknown = Object.keys(partial).filter((k) => !(FIELDS as string[]).includes(k));
  const budget: TimingBudget = { ...DEFAULT_TIMING, ...partial };
  const problems = [...unknown.map((k) => `unknown timing setting '${k}' (known: ${FIELDS.join(', ')})`), ...checkTimingBudget(budget)];
  if (problems.length) throw new TimingBudgetError(problems);
  return budget;
}

/** Derived values, for logs and the README table. */
export function derivedTimings(b: TimingBudget): { probeIntervalMs: number; stopWindowMs: number; knownStoppedAfterMs: number; keepAliveMs: number } {
  return {
    probeIntervalMs: 2 * b.heartbeatMs,
    stopWindowMs: b.selfFenceMs - b.suspectMs - b.heartbeatMs,
    knownStoppedAfterMs: b.selfFenceMs + b.marginMs,
    keepAliveMs: Math.floor(b.leaseTtlMs / 3),
  };
}
