// The scheduler corpus: `tandem simulate --corpus` over ../shared/scheduler-corpus, compared with
// Pacemaker 2.1.5's Transition Summaries. Fails when fewer cases pass than the committed floor.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { formatCorpusReport, runCorpus, defaultCorpusDir } from '../../src/scheduler/corpus.ts';

const floor = JSON.parse(readFileSync(new URL('../scheduler-corpus-floor.json', import.meta.url), 'utf8')) as { passed: number };

test('scheduler corpus: transition summaries match Pacemaker 2.1.5 on at least the floor', { timeout: 600_000 }, () => {
  assert.ok(existsSync(defaultCorpusDir), `the corpus is expected at ${defaultCorpusDir}`);
  const report = runCorpus();
  const lines = formatCorpusReport(report);
  console.log(lines.join('\n'));
  assert.equal(report.cases.length, 635, 'every corpus case is compared');
  assert.ok(report.passed >= floor.passed, `scheduler-corpus: ${report.passed} passed, below the floor of ${floor.passed}`);
  assert.equal(lines[lines.length - 1], `scheduler-corpus: ${report.passed} passed, ${report.failed} failed`);
});
