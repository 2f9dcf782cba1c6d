// Translation between Tandem's Store types and etcd's wire types (via the `etcd3` client), and the
// classification of etcd/gRPC errors into "retry on another member" or "report to the caller".

import type { ICompare, IEvent, IKeyValue, IRequestOp, IResponseOp } from 'etcd3';
import { StoreError, type Compare, type KeyValue, type StoreErrorCode, type TxnOp, type TxnOpResult, type WatchEvent } from './types.ts';

export function toBuf(s: string): Buffer {
  return Buffer.from(s, 'utf8');
}

/** etcd's range_end for "every key starting with prefix": the prefix with its last byte + 1. */
export function prefixEnd(prefix: string): Buffer {
  const buf = Buffer.from(prefix, 'utf8');
  for (let i = buf.length - 1; i >= 0; i--) {
    if (buf[i]! < 0xff) {
      const end = buf.subarray(0, i + 1);
      end[i] = buf[i]! + 1;
      return Buffer.from(end);
    }
  }
  return Buffer.from([0]); // empty prefix (or all 0xff): every key
}

export function fromKv(kv: IKeyValue): KeyValue {
  const out: KeyValue = {
    key: kv.key.toString('utf8'),
    value: kv.value ? kv.value.toString('utf8') : '',
    createRevision: Number(kv.create_revision),
    modRevision: Number(kv.mod_revision),
    version: Number(kv.version),
  };
  if (kv.lease && kv.lease !== '0') out.lease = kv.lease;
  return out;
}

export function fromEvent(ev: IEvent, withPrev: boolean): WatchEvent {
  const kv = fromKv(ev.kv);
  const out: WatchEvent = { type: ev.type === 'Delete' ? 'delete' : 'put', key: kv.key, revision: kv.modRevision, kv };
  if (withPrev && ev.prev_kv && ev.prev_kv.key && ev.prev_kv.key.length) out.prevKv = fromKv(ev.prev_kv);
  return out;
}

const compareResult = { '==': 'Equal', '!=': 'NotEqual', '<': 'Less', '>': 'Greater' } as const;

export function toCompare(c: Compare): ICompare {
  const base = { key: toBuf(c.key), result: compareResult[c.op] };
  switch (c.target) {
    case 'value':
      return { ...base, target: 'Value', value: toBuf(c.value) };
    case 'version':
      return { ...base, target: 'Version', version: c.value };
    case 'createRevision':
      return { ...base, target: 'Create', create_revision: c.value };
    case 'modRevision':
      return { ...base, target: 'Mod', mod_revision: c.value };
  }
}

export function toRequestOp(op: TxnOp): IRequestOp {
  switch (op.type) {
    case 'put':
      return { request_put: { key: toBuf(op.key), value: toBuf(op.value), ...(op.lease ? { lease: op.lease } : {}) } };
    case 'delete':
      return { request_delete_range: { key: toBuf(op.key), ...(op.prefix ? { range_end: prefixEnd(op.key) } : {}) } };
    case 'get':
      return { request_range: { key: toBuf(op.key), ...(op.prefix ? { range_end: prefixEnd(op.key) } : {}) } };
  }
}

export function fromResponseOp(op: TxnOp, res: IResponseOp | undefined): TxnOpResult {
  switch (op.type) {
    case 'put':
      return { type: 'put' };
    case 'delete':
      return { type: 'delete', deleted: Number(res?.response_delete_range?.deleted ?? 0) };
    case 'get':
      return { type: 'get', kvs: (res?.response_range?.kvs ?? []).map(fromKv) };
  }
}

/** How the retry loop should treat a failed attempt. */
export interface Classified {
  /** Try again (on another member) within the call's budget. */
  retry: boolean;
  /** The request may have been applied although this attempt failed (matters for txns). */
  ambiguous: boolean;
  code: StoreErrorCode;
  message: string;
}

// Failures that prove the request never reached a server (safe to retry any write).
const NOT_SENT = /ECONNREFUSED|No connection established|Connection refused|failed to connect|before call started|Name resolution failed|etcdserver: no leader|etcdserver: not leader|etcdserver: too many requests|etcdserver: not capable|etcdserver: server stopped/i;

export function classify(err: unknown): Classified {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof StoreError) {
    return { retry: err.code === 'timeout' || err.code === 'unavailable', ambiguous: err.code === 'timeout', code: err.code, message };
  }
  const name = err instanceof Error ? err.constructor.name : '';
  const m = message.toLowerCase();
  if (name === 'ClientClosedError') return { retry: false, ambiguous: false, code: 'closed', message };
  if (m.includes('required revision has been compacted')) return { retry: false, ambiguous: false, code: 'compacted', message };
  if (m.includes('future revision')) return { retry: false, ambiguous: false, code: 'invalid-argument', message };
  if (m.includes('requested lease not found')) return { retry: false, ambiguous: false, code: 'lease-not-found', message };
  if (m.includes('duplicate key') || m.includes('too many operations') || m.includes('request is too large')) {
    return { retry: false, ambiguous: false, code: 'invalid-argument', message };
  }
  if (m.includes('database space exceeded')) return { retry: false, ambiguous: false, code: 'unavailable', message };
  if (NOT_SENT.test(message)) return { retry: true, ambiguous: false, code: 'unavailable', message };
  switch (name) {
    case 'GRPCDeadlineExceededError':
      return { retry: true, ambiguous: true, code: 'timeout', message };
    case 'GRPCUnavailableError':
    case 'GRPCCancelledError':
    case 'GRPCInternalError':
    case 'GRPCUnknownError':
    case 'GRPCAbortedError':
    case 'GRPCResourceExhastedError':
      return { retry: true, ambiguous: true, code: 'unavailable', message };
    case 'GRPCFailedPreconditionError': // e.g. "etcdserver: not leader" on lease calls to a follower
      return { retry: true, ambiguous: false, code: 'unavailable', message };
  }
  return { retry: false, ambiguous: false, code: 'internal', message };
}
