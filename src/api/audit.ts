// The audit log: one store key per change made through the API, `/tandem/<c>/audit/<time>-<n>`,
// naming who, what, when and the store revision. Keys sort by time; details never hold a secret
// (callers pass text that went through the secret masking).
import { randomBytes } from 'node:crypto';
import { clusterPrefix, decodeRecord, encodeRecord } from '../cib/store-layout.ts';
import type { Store } from '../store/types.ts';
import type { AuditEntry } from './contract.ts';

export const auditPrefix = (c: string) => `${clusterPrefix(c)}audit/`;

export interface AuditRecord {
  time: number;
  user: string;
  action: string;
  target?: string;
  revision?: number;
  details?: string;
  result: 'ok' | 'refused' | 'failed';
}

export class AuditLog {
  private n = 0;
  private readonly instance = randomBytes(2).toString('hex');

  constructor(
    readonly store: Store,
    readonly cluster: string,
  ) {}

  /** Append one entry; resolves with its id. Never overwrites (create-only txn). */
  async append(rec: Omit<AuditRecord, 'time'> & { time?: number }): Promise<string> {
    const time = rec.time ?? Date.now();
    for (let attempt = 0; attempt < 5; attempt++) {
      const id = `${String(time).padStart(13, '0')}-${String(++this.n % 1_000_000).padStart(6, '0')}${this.instance}`;
      const key = auditPrefix(this.cluster) + id;
      const record: AuditRecord = { ...rec, time };
      const res = await this.store.txn({
        compares: [{ key, target: 'createRevision', op: '==', value: 0 }],
        success: [{ type: 'put', key, value: encodeRecord(record) }],
      });
      if (res.succeeded) return id;
    }
    throw new Error('could not append to the audit log: its keys kept colliding');
  }

  /** Entries oldest first; `limit` keeps the newest N. */
  async list(opts: { limit?: number; user?: string } = {}): Promise<AuditEntry[]> {
    const prefix = auditPrefix(this.cluster);
    const { kvs } = await this.store.list(prefix);
    let out = kvs.map((kv) => {
      const r = decodeRecord<AuditRecord>(kv.key, kv.value);
      const e: AuditEntry = { id: kv.key.slice(prefix.length), time: new Date(r.time).toISOString(), user: r.user, action: r.action, result: r.result };
      if (r.target !== undefined) e.target = r.target;
      if (r.revision !== undefined) e.revision = r.revision;
      if (r.details !== undefined) e.details = r.details;
      return e;
    });
    if (opts.user !== undefined) out = out.filter((e) => e.user === opts.user);
    const limit = opts.limit ?? 100;
    return out.slice(Math.max(0, out.length - limit));
  }
}
