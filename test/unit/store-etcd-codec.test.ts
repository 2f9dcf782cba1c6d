// How the etcd store reads etcd's errors (retry elsewhere or report) and builds prefix ranges.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EtcdLeaseInvalidError, GRPCDeadlineExceededError, GRPCOutOfRangeError, GRPCUnavailableError } from 'etcd3';
import { classify, prefixEnd } from '../../src/store/etcd-codec.ts';

test('prefix ranges end just after the last key with the prefix', () => {
  assert.deepEqual(prefixEnd('/a/'), Buffer.from('/a0'));
  assert.deepEqual(prefixEnd('a\u00ff'), Buffer.from([0x61, 0xc3, 0xc0])); // UTF-8 bytes c3 bf → c3 c0
  assert.deepEqual(prefixEnd(''), Buffer.from([0]), 'empty prefix: every key');
});

test('a timed-out attempt is retried and marked ambiguous; a refused connection is retried as never sent', () => {
  const timeout = classify(new GRPCDeadlineExceededError('4 DEADLINE_EXCEEDED: Deadline exceeded'));
  assert.deepEqual([timeout.retry, timeout.ambiguous, timeout.code], [true, true, 'timeout']);
  const refused = classify(
    new GRPCUnavailableError('14 UNAVAILABLE: No connection established. Last error: connect ECONNREFUSED 127.0.0.1:2379'),
  );
  assert.deepEqual([refused.retry, refused.ambiguous, refused.code], [true, false, 'unavailable']);
  const dropped = classify(new GRPCUnavailableError('14 UNAVAILABLE: Connection dropped'));
  assert.deepEqual([dropped.retry, dropped.ambiguous], [true, true]);
  const noLeader = classify(new GRPCUnavailableError('14 UNAVAILABLE: etcdserver: no leader'));
  assert.deepEqual([noLeader.retry, noLeader.ambiguous], [true, false]);
});

test('answers that another member would repeat are reported, not retried', () => {
  const compacted = classify(new GRPCOutOfRangeError('11 OUT_OF_RANGE: etcdserver: mvcc: required revision has been compacted'));
  assert.deepEqual([compacted.retry, compacted.code], [false, 'compacted']);
  const lease = classify(new EtcdLeaseInvalidError('5 NOT_FOUND: etcdserver: requested lease not found'));
  assert.deepEqual([lease.retry, lease.code], [false, 'lease-not-found']);
  const dup = classify(new Error('3 INVALID_ARGUMENT: etcdserver: duplicate key given in txn request'));
  assert.deepEqual([dup.retry, dup.code], [false, 'invalid-argument']);
});
