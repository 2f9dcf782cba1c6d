import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  downtime,
  holdersAt,
  longestGap,
  overlapWindows,
  placementChanges,
  stats,
  writeGap,
  type AuditSample,
  type ProbeRecord,
  type WriteRecord,
} from '../../src/lab/analysis.ts';

/** A probe every 20 ms from `from` to `to` (exclusive), answered by `h` (or failing when h is undefined). */
function probes(from: number, to: number, h?: string, p = 1): ProbeRecord[] {
  const out: ProbeRecord[] = [];
  for (let s = from; s < to; s += 20) out.push(h ? { s, e: s + 2, ok: 1, h, p } : { s, e: s + 200, ok: 0, err: 'timeout' });
  return out;
}

test('downtime: last answer before the event to the first answer after it', () => {
  const recs = [...probes(0, 1000, 'c1'), ...probes(1000, 1600), ...probes(1600, 2000, 'c2')];
  const d = downtime(recs, 1005);
  assert.equal(d.lastBefore, 982);
  assert.equal(d.firstAfter, 1602);
  assert.equal(d.downtimeMs, 620);
  assert.equal(d.hostBefore, 'c1');
  assert.equal(d.hostAfter, 'c2');
  assert.ok(d.failedAttempts > 0);
});

test('downtime: requireChange skips answers from the killed host or process', () => {
  // c1 still answers 30 ms after the event (in flight), then c2 takes over
  const recs = [...probes(0, 1040, 'c1', 7), ...probes(1040, 1500), ...probes(1500, 1700, 'c2', 9)];
  assert.equal(downtime(recs, 1000).firstAfter, 1002);
  assert.equal(downtime(recs, 1000, 'host').firstAfter, 1502);
  assert.equal(downtime(recs, 1000, 'host').lastBefore, 982);
  const restarted = [...probes(0, 1000, 'c1', 7), ...probes(1000, 1300), ...probes(1300, 1400, 'c1', 8)];
  const d = downtime(restarted, 1000, 'pid');
  assert.equal(d.pidBefore, 7);
  assert.equal(d.pidAfter, 8);
  assert.equal(d.downtimeMs, 320);
});

test('downtime: no recovery, or no answer before the event', () => {
  const d = downtime([...probes(0, 500, 'c1'), ...probes(500, 900)], 510);
  assert.equal(d.firstAfter, undefined);
  assert.equal(d.downtimeMs, undefined);
  const e = downtime(probes(600, 700, 'c2'), 500);
  assert.equal(e.lastBefore, undefined);
  assert.equal(e.firstAfter, 602);
  assert.equal(e.downtimeMs, undefined);
  assert.deepEqual(downtime([], 1).failedAttempts, 0);
});

test('longestGap', () => {
  const recs = [...probes(0, 100, 'c1'), ...probes(100, 400), ...probes(400, 500, 'c1')];
  assert.equal(longestGap(recs, 0, 500), 320);
  assert.equal(longestGap([], 0, 500), 500);
});

test('stats: min, median (mean of the middle two for an even count), max, mean', () => {
  assert.equal(stats([]), undefined);
  assert.deepEqual(stats([5]), { min: 5, p50: 5, max: 5, mean: 5 });
  assert.deepEqual(stats([300, 100, 200]), { min: 100, p50: 200, max: 300, mean: 200 });
  assert.deepEqual(stats([4, 1, 3, 2]), { min: 1, p50: 2.5, max: 4, mean: 2.5 });
});

const S = (t: number, held: Record<string, string[]>): AuditSample => ({ t, held });

test('overlapWindows: consecutive samples with two holders form one window', () => {
  const samples = [
    S(0, { vip: ['c1'] }),
    S(20, { vip: ['c1', 'c2'] }),
    S(40, { vip: ['c2', 'c1'] }),
    S(60, { vip: ['c2'] }),
    S(80, { vip: [] }),
    S(100, { vip: ['c3', 'c2'] }),
  ];
  const w = overlapWindows(samples);
  assert.equal(w.length, 2);
  assert.deepEqual(w[0], { resource: 'vip', from: 20, to: 40, samples: 2, hosts: ['c1', 'c2'] });
  assert.deepEqual(w[1], { resource: 'vip', from: 100, to: 100, samples: 1, hosts: ['c3', 'c2'] });
});

test('overlapWindows: per resource, only the unique ones asked for, samples out of order, duplicates ignored', () => {
  const samples = [
    S(40, { vip: ['c1'], clone: ['c1', 'c2', 'c3'], db: ['c2'] }),
    S(0, { vip: ['c1'], clone: ['c1', 'c2'], db: ['c1', 'c1'] }),
    S(20, { vip: ['c1'], clone: ['c1', 'c2'], db: ['c1', 'c2'] }),
  ];
  const w = overlapWindows(samples, ['vip', 'db']);
  assert.deepEqual(w, [{ resource: 'db', from: 20, to: 20, samples: 1, hosts: ['c1', 'c2'] }]);
  assert.equal(overlapWindows(samples).filter((x) => x.resource === 'clone').length, 1);
});

test('placementChanges and holdersAt', () => {
  const samples = [S(0, { vip: ['c1'] }), S(20, { vip: ['c1'] }), S(40, { vip: [] }), S(60, { vip: ['c2'] })];
  assert.deepEqual(placementChanges(samples), [
    { resource: 'vip', t: 40, from: ['c1'], to: [] },
    { resource: 'vip', t: 60, from: [], to: ['c2'] },
  ]);
  assert.deepEqual(holdersAt(samples, 'vip', 30), ['c1']);
  assert.deepEqual(holdersAt(samples, 'vip', 60), ['c2']);
  assert.deepEqual(holdersAt(samples, 'vip', -1), []);
});

test('writeGap: last acknowledged write before the event to the first after', () => {
  const recs: WriteRecord[] = [
    [0, 3, 1, 0],
    [10, 13, 1, 0],
    [20, 120, 0, 0],
    [120, 220, 0, 1],
    [220, 230, 1, 2],
    [240, 243, 1, 2],
  ];
  assert.deepEqual(writeGap(recs, 15), { lastBefore: 13, firstAfter: 230, gapMs: 217 });
  assert.deepEqual(writeGap(recs.slice(0, 4), 15), { lastBefore: 13, firstAfter: undefined, gapMs: undefined });
});
