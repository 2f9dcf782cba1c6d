// The CIB kept in the store (layout: store-layout.ts). Configuration is one key, versioned by its
// store modRevision (compare-and-swap) and by a Pacemaker-style epoch; the status section is not
// stored as XML but rebuilt on every read from node records, membership, transient attributes and
// operation history, so each node writes only its own small keys.
//
// Every change here is ONE store txn: either all of it lands or nothing does.

import { parameterDigest } from '../scheduler/digests.ts';
import { StoreError, type Store, type TxnOp, type KeyValue, type Compare } from '../store/types.ts';
import { watchWithRelist, type RelistWatch } from '../store/relist.ts';
import type { MembershipView } from '../membership/types.ts';
import type { AttributeSet, Cib, LrmResource, LrmRscOp, NodeStateEntry, TicketState } from './model.ts';
import { isTrue, parseCibElement } from './parse.ts';
import { CibError, firstChild, parseXml, serializeXml, type XmlElement } from './xml.ts';
import {
  decodeRecord,
  encodeRecord,
  keys,
  opIds,
  parseKey,
  type AgentRef,
  type ConfigurationRecord,
  type FencingRecord,
  type HistoryEntry,
  type MemberRecord,
  type NodeRecord,
  type TicketRecord,
  type TransientAttributeRecord,
} from './store-layout.ts';

/** A version-checked change found the configuration changed under it. Nothing was written. */
export class CibConflictError extends Error {
  override readonly name = 'CibConflictError';
  constructor(
    readonly expectedRevision: number,
    readonly actualRevision: number,
  ) {
    super(
      `configuration changed concurrently: expected revision ${expectedRevision}, the store has ${actualRevision === 0 ? 'no configuration' : `revision ${actualRevision}`}; re-read and retry`,
    );
  }
}

export interface LoadedConfiguration {
  record: ConfigurationRecord;
  /** modRevision of the config key: pass it to replaceConfiguration. */
  revision: number;
  /** The `<configuration>` element. */
  element: XmlElement;
}

/** What an operation produced, as the node agent reports it to recordOperation. */
export interface OperationOutcome {
  operation: string;
  intervalMs: number;
  rc: number;
  /** Executor status (done, timeout, error, not-installed, cancelled) or a Pacemaker op-status number. */
  status: string | number;
  callId: number;
  /** The rc that counts as success (0, 7 for a probe that finds nothing, 8 promoted). */
  expectedRc?: number;
  transitionKey?: string;
  params?: Record<string, string>;
  exitReason?: string;
  /** Epoch ms when it ran, and how long it took. */
  startedAt: number;
  execTimeMs?: number;
  queueTimeMs?: number;
  migrateSource?: string;
  migrateTarget?: string;
}

export interface RecordOptions {
  /** Extra ops put in the same txn (e.g. the action result and the deletion of the request key). */
  also?: TxnOp[];
  /** Extra compares for the txn (e.g. that the request key still exists). */
  compares?: Compare[];
}

export interface ReadCibOptions {
  /**
   * How to show a configured node that never joined (no node record): 'down' (default) as a clean
   * offline node; 'unclean' leaves it out of the status so startup-fencing applies as in Pacemaker.
   */
  unseen?: 'down' | 'unclean';
}

export type NodeAttributeKind = 'transient' | 'permanent' | 'utilization';

const EXEC_STATUS: Record<string, number> = { done: 0, cancelled: 1, timeout: 2, 'not-supported': 3, error: 4, 'not-installed': 7, refused: 4 };

/** Pacemaker's op-status number for an executor status. */
export function opStatusOf(status: string | number): number {
  if (typeof status === 'number') return status;
  const n = EXEC_STATUS[status];
  if (n === undefined) throw new Error(`unknown operation status '${status}'`);
  return n;
}

/**
 * Digest of operation parameters, recorded as op-digest: the scheduler's own `parameterDigest`,
 * so that it compares equal and an unchanged definition does not look changed (restart loop).
 */
export function paramsDigest(params: Record<string, string>): string {
  return parameterDigest(new Map(Object.entries(params)));
}

function emptyConfigurationElement(): XmlElement {
  const el = (name: string): XmlElement => ({ name, attrs: {}, children: [] });
  return { name: 'configuration', attrs: {}, children: [el('crm_config'), el('nodes'), el('resources'), el('constraints')] };
}

/** Parse + validate a `<configuration>` or a whole `<cib>`; throws CibError naming what is wrong. */
export function parseConfigurationText(xml: string, source = 'configuration'): { configuration: XmlElement; cib?: XmlElement } {
  const root = parseXml(xml, source);
  let configuration: XmlElement;
  let cib: XmlElement | undefined;
  if (root.name === 'cib') {
    const c = firstChild(root, 'configuration');
    if (!c) throw new CibError(`${source}: <cib> has no <configuration>`);
    configuration = c;
    cib = root;
  } else if (root.name === 'configuration') {
    configuration = root;
  } else {
    throw new CibError(`${source}: root element must be <configuration> or <cib>, found <${root.name}>`);
  }
  // Validate through the real parser: anything the scheduler could not read is refused here.
  parseCibElement({ name: 'cib', attrs: {}, children: [configuration] }, source);
  return { configuration, ...(cib ? { cib } : {}) };
}

export class CibStore {
  constructor(
    readonly store: Store,
    readonly cluster: string,
  ) {
    keys.root(cluster); // validates the name
  }

  // ---------------------------------------------------------------------------------------------
  // Configuration

  async loadConfiguration(): Promise<LoadedConfiguration | undefined> {
    const { kv } = await this.store.get(keys.config(this.cluster));
    if (!kv) return undefined;
    return this.decodeConfig(kv);
  }

  private decodeConfig(kv: KeyValue): LoadedConfiguration {
    const record = decodeRecord<ConfigurationRecord>(kv.key, kv.value);
    return { record, revision: kv.modRevision, element: parseXml(record.xml, 'stored configuration') };
  }

  /**
   * Replace the configuration, if the config key is still at `expectedRevision` (0: must not exist
   * yet). `xml` is a `<configuration>` or a whole `<cib>` (its status is ignored; epoch/admin_epoch
   * of a `<cib>` are kept when higher). Bad XML → CibError, nothing stored; concurrent change →
   * CibConflictError, nothing stored.
   */
  async replaceConfiguration(xml: string, expectedRevision: number, opts: { by?: string } = {}): Promise<{ revision: number; epoch: number }> {
    const { configuration, cib } = parseConfigurationText(xml);
    const current = await this.store.get(keys.config(this.cluster));
    const cur = current.kv ? decodeRecord<ConfigurationRecord>(current.kv.key, current.kv.value) : undefined;
    const actual = current.kv?.modRevision ?? 0;
    if (actual !== expectedRevision) throw new CibConflictError(expectedRevision, actual);
    const cibAttrs = { ...(cur?.cibAttrs ?? {}) };
    let epoch = (cur?.epoch ?? 0) + 1;
    let adminEpoch = cur?.adminEpoch ?? 0;
    if (cib) {
      const { epoch: e, admin_epoch: ae, num_updates: _n, ...rest } = cib.attrs;
      Object.assign(cibAttrs, rest);
      if (e !== undefined && Number(e) >= epoch) epoch = Number(e);
      if (ae !== undefined && Number(ae) > adminEpoch) adminEpoch = Number(ae);
    }
    return this.writeConfig(configuration, { epoch, adminEpoch, cibAttrs }, expectedRevision, opts.by);
  }

  private async writeConfig(
    configuration: XmlElement,
    v: { epoch: number; adminEpoch: number; cibAttrs: Record<string, string> },
    expectedRevision: number,
    by?: string,
    also: TxnOp[] = [],
  ): Promise<{ revision: number; epoch: number }> {
    const record: ConfigurationRecord = {
      xml: serializeXml(configuration),
      epoch: v.epoch,
      adminEpoch: v.adminEpoch,
      cibAttrs: v.cibAttrs,
      updatedAt: Date.now(),
      ...(by ? { updatedBy: by } : {}),
    };
    const key = keys.config(this.cluster);
    const res = await this.store.txn({
      compares: [{ key, target: 'modRevision', op: '==', value: expectedRevision }],
      success: [{ type: 'put', key, value: encodeRecord(record) }, ...also],
      failure: [{ type: 'get', key }],
    });
    if (!res.succeeded) {
      const got = res.results[0]?.type === 'get' ? res.results[0].kvs[0] : undefined;
      throw new CibConflictError(expectedRevision, got?.modRevision ?? 0);
    }
    return { revision: res.revision, epoch: v.epoch };
  }

  /**
   * Load an existing Pacemaker cib.xml: its configuration (replacing whatever is stored, version
   * checked against `expectedRevision` when given) and its status tickets, in one txn. Node
   * history of the file is not imported (it describes another cluster's processes).
   */
  async importCib(xmlText: string, opts: { expectedRevision?: number; by?: string } = {}): Promise<{ revision: number; epoch: number; tickets: number }> {
    const root = parseXml(xmlText, 'cib.xml');
    if (root.name !== 'cib') throw new CibError(`cib.xml: root element must be <cib>, found <${root.name}>`);
    const parsed = parseCibElement(root, 'cib.xml'); // full validation, status included
    const configuration = firstChild(root, 'configuration')!;
    const current = await this.store.get(keys.config(this.cluster));
    const expected = opts.expectedRevision ?? current.kv?.modRevision ?? 0;
    const { epoch: e, admin_epoch: ae, num_updates: _n, ...cibAttrs } = root.attrs;
    const cur = current.kv ? decodeRecord<ConfigurationRecord>(current.kv.key, current.kv.value) : undefined;
    const epoch = Math.max(Number(e ?? 0) || 0, (cur?.epoch ?? 0) + 1);
    const adminEpoch = Number(ae ?? 0) || 0;
    // Tickets replace the stored ones: delete those the file does not have, put the others (a key
    // may be written only once per txn, so no prefix delete).
    const imported = new Set(parsed.status.tickets.map((t) => keys.ticket(this.cluster, t.id)));
    const existing = await this.store.list(keys.ticketsPrefix(this.cluster));
    const tickets: TxnOp[] = [
      ...existing.kvs.filter((kv) => !imported.has(kv.key)).map((kv): TxnOp => ({ type: 'delete', key: kv.key })),
      ...parsed.status.tickets.map((t): TxnOp => ({ type: 'put', key: keys.ticket(this.cluster, t.id), value: encodeRecord(ticketFromState(t)) })),
    ];
    const res = await this.writeConfig(configuration, { epoch, adminEpoch, cibAttrs }, expected, opts.by ?? 'import', tickets);
    return { ...res, tickets: parsed.status.tickets.length };
  }

  /**
   * Read-modify-write: `edit` gets a copy of the `<configuration>` element (an empty one if none
   * is stored) and changes it in place (or returns a replacement). Retried on a concurrent change
   * up to `attempts` times; the edit must therefore be repeatable. A throwing edit stores nothing.
   */
  async updateConfiguration(
    edit: (configuration: XmlElement, record: ConfigurationRecord | undefined) => XmlElement | void,
    attempts = 5,
    opts: { by?: string } = {},
  ): Promise<{ revision: number; epoch: number }> {
    let last: unknown;
    for (let i = 0; i < attempts; i++) {
      const loaded = await this.loadConfiguration();
      const el = loaded ? loaded.element : emptyConfigurationElement();
      const replaced = edit(el, loaded?.record) ?? el;
      const text = serializeXml(replaced);
      const { configuration } = parseConfigurationText(text, 'edited configuration');
      try {
        return await this.writeConfig(
          configuration,
          { epoch: (loaded?.record.epoch ?? 0) + 1, adminEpoch: loaded?.record.adminEpoch ?? 0, cibAttrs: loaded?.record.cibAttrs ?? {} },
          loaded?.revision ?? 0,
          opts.by,
        );
      } catch (err) {
        if (!(err instanceof CibConflictError)) throw err;
        last = err;
      }
    }
    throw last;
  }

  /** Calls `cb` with the current configuration (undefined if none) and on every change. */
  watchConfiguration(cb: (config: LoadedConfiguration | undefined, revision: number) => void, onError?: (err: Error) => void): RelistWatch {
    const key = keys.config(this.cluster);
    let last: KeyValue | undefined;
    const report = (revision: number) => {
      try {
        cb(last ? this.decodeConfig(last) : undefined, revision);
      } catch (err) {
        onError?.(err as Error);
      }
    };
    return watchWithRelist(this.store, key, {
      onSnapshot: (kvs, revision) => {
        last = kvs.find((kv) => kv.key === key);
        report(revision);
      },
      onEvents: (events, revision) => {
        let changed = false;
        for (const e of events) {
          if (e.key !== key) continue;
          last = e.type === 'put' ? e.kv : undefined;
          changed = true;
        }
        if (changed) report(revision);
      },
      onError: (err) => onError?.(err),
    });
  }

  // ---------------------------------------------------------------------------------------------
  // Nodes

  /**
   * Make sure `name` has a node record and a `<node>` in the configuration. The id is the
   * configuration's `<node id>` for that uname, else `id`, else the next free number.
   */
  async ensureNode(name: string, id?: string): Promise<NodeRecord> {
    if (!name || /\s/.test(name)) throw new Error(`bad node name ${JSON.stringify(name)}`);
    const key = keys.node(this.cluster, name);
    for (let attempt = 0; attempt < 5; attempt++) {
      const { kv } = await this.store.get(key);
      if (kv) {
        const rec = decodeRecord<NodeRecord>(key, kv.value);
        await this.ensureConfigNode(name, rec.id);
        return rec;
      }
      const loaded = await this.loadConfiguration();
      const cfgNode = loaded ? findConfigNode(loaded.element, name) : undefined;
      let nodeId = cfgNode?.attrs.id ?? id;
      if (!nodeId) {
        const all = await this.store.list(keys.nodesPrefix(this.cluster));
        const used = new Set(all.kvs.map((k) => decodeRecord<NodeRecord>(k.key, k.value).id));
        if (loaded) for (const n of configNodes(loaded.element)) if (n.attrs.id) used.add(n.attrs.id);
        let n = 1;
        while (used.has(String(n))) n++;
        nodeId = String(n);
      }
      const rec: NodeRecord = { name, id: nodeId, expected: 'down' };
      const res = await this.store.txn({
        compares: [{ key, target: 'createRevision', op: '==', value: 0 }],
        success: [{ type: 'put', key, value: encodeRecord(rec) }],
      });
      if (res.succeeded) {
        await this.ensureConfigNode(name, nodeId);
        return rec;
      }
    }
    throw new Error(`could not create the node record of ${name}: it kept changing`);
  }

  private async ensureConfigNode(name: string, id: string): Promise<void> {
    const loaded = await this.loadConfiguration();
    if (loaded && findConfigNode(loaded.element, name)) return;
    await this.updateConfiguration((cfg) => {
      if (findConfigNode(cfg, name)) return;
      let nodes = firstChild(cfg, 'nodes');
      if (!nodes) cfg.children.push((nodes = { name: 'nodes', attrs: {}, children: [] }));
      nodes.children.push({ name: 'node', attrs: { id, uname: name }, children: [] });
    }, 5, { by: `ensureNode ${name}` });
  }

  async getNode(name: string): Promise<NodeRecord | undefined> {
    const { kv } = await this.store.get(keys.node(this.cluster, name));
    return kv ? decodeRecord<NodeRecord>(kv.key, kv.value) : undefined;
  }

  async listNodes(): Promise<NodeRecord[]> {
    const { kvs } = await this.store.list(keys.nodesPrefix(this.cluster));
    return kvs.map((kv) => decodeRecord<NodeRecord>(kv.key, kv.value));
  }

  /** Read-modify-write of a node record (CAS on its modRevision, retried). */
  async updateNode(name: string, change: (rec: NodeRecord) => void): Promise<NodeRecord> {
    const key = keys.node(this.cluster, name);
    for (let attempt = 0; attempt < 10; attempt++) {
      const { kv } = await this.store.get(key);
      if (!kv) throw new Error(`node ${name} has no node record (ensureNode first)`);
      const rec = decodeRecord<NodeRecord>(key, kv.value);
      change(rec);
      const res = await retryable(() =>
        this.store.txn({
          compares: [{ key, target: 'modRevision', op: '==', value: kv.modRevision }],
          success: [{ type: 'put', key, value: encodeRecord(rec) }],
        }),
      );
      if (res?.succeeded) return rec;
    }
    throw new Error(`node record of ${name} kept changing; gave up`);
  }

  /**
   * The node is known stopped (fenced, or its self-fencing deadline passed): in one txn set
   * expected=down + fencedAt, clear its history and transient attributes, write the fencing record.
   */
  async markNodeStopped(node: string, record: FencingRecord, opts: RecordOptions = {}): Promise<number> {
    const key = keys.node(this.cluster, node);
    for (let attempt = 0; attempt < 10; attempt++) {
      const { kv } = await this.store.get(key);
      const rec: NodeRecord = kv ? decodeRecord<NodeRecord>(key, kv.value) : { name: node, id: node, expected: 'down' };
      rec.expected = 'down';
      rec.fencedAt = record.completedAt;
      delete rec.shutdown;
      const res = await retryable(() => this.store.txn({
        compares: [{ key, target: 'modRevision', op: '==', value: kv?.modRevision ?? 0 }, ...(opts.compares ?? [])],
        success: [
          { type: 'put', key, value: encodeRecord(rec) },
          { type: 'delete', key: keys.nodeHistoryPrefix(this.cluster, node), prefix: true },
          { type: 'delete', key: keys.nodeAttrsPrefix(this.cluster, node), prefix: true },
          { type: 'put', key: keys.fencing(this.cluster, node, record.id), value: encodeRecord(record) },
          ...(opts.also ?? []),
        ],
      }));
      if (!res) continue;
      if (res.succeeded) return res.revision;
      if (opts.compares?.length) {
        const again = await this.store.get(key);
        if ((again.kv?.modRevision ?? 0) === (kv?.modRevision ?? 0)) throw new Error(`markNodeStopped ${node}: the caller's conditions no longer hold; nothing was written`);
      }
    }
    throw new Error(`node record of ${node} kept changing; could not mark it stopped`);
  }

  // ---------------------------------------------------------------------------------------------
  // Operation history

  /**
   * Record one operation's result in the node's history, in one txn (plus `also`): the slot
   * `<rsc>_monitor_<ms>` for a recurring monitor, else `<rsc>_last_0`; a failure also goes to
   * `<rsc>_last_failure_0`; a successful stop removes the resource's recurring monitor entries.
   * Returns the store revision and the entry written.
   */
  async recordOperation(node: string, rsc: string, agent: AgentRef, outcome: OperationOutcome, opts: RecordOptions = {}): Promise<{ revision: number; entry: HistoryEntry; succeeded: boolean }> {
    const entry = await this.historyEntryFor(node, rsc, agent, outcome);
    const ops = this.historyOps(node, rsc, entry, outcome);
    const res = await this.store.txn({ compares: opts.compares ?? [], success: [...ops, ...(opts.also ?? [])] });
    return { revision: res.revision, entry, succeeded: res.succeeded };
  }

  /** The history entry an outcome produces (reads the previous one for last-rc-change). */
  async historyEntryFor(node: string, rsc: string, agent: AgentRef, outcome: OperationOutcome): Promise<HistoryEntry> {
    const recurring = outcome.operation === 'monitor' && outcome.intervalMs > 0;
    const id = recurring ? opIds.monitor(rsc, outcome.intervalMs) : opIds.last(rsc);
    const opStatus = opStatusOf(outcome.status);
    const nowSec = Math.floor(outcome.startedAt / 1000);
    let lastRcChange = nowSec;
    if (recurring) {
      const prev = await this.store.get(keys.history(this.cluster, node, rsc, id));
      if (prev.kv) {
        const p = decodeRecord<HistoryEntry>(prev.kv.key, prev.kv.value);
        if (p.rcCode === outcome.rc && p.opStatus === opStatus && p.lastRcChange !== undefined) lastRcChange = p.lastRcChange;
      }
    }
    const entry: HistoryEntry = {
      id,
      rsc,
      agent,
      operation: outcome.operation,
      operationKey: `${rsc}_${outcome.operation}_${outcome.intervalMs}`,
      callId: outcome.callId,
      rcCode: outcome.rc,
      opStatus,
      intervalMs: outcome.intervalMs,
      lastRcChange,
      lastRun: nowSec,
      execTime: outcome.execTimeMs ?? 0,
      queueTime: outcome.queueTimeMs ?? 0,
      onNode: node,
    };
    if (outcome.transitionKey) {
      entry.transitionKey = outcome.transitionKey;
      entry.transitionMagic = `${opStatus}:${outcome.rc};${outcome.transitionKey}`;
    }
    if (outcome.params) entry.opDigest = paramsDigest(outcome.params);
    if (outcome.exitReason) entry.exitReason = outcome.exitReason;
    if (outcome.migrateSource) entry.migrateSource = outcome.migrateSource;
    if (outcome.migrateTarget) entry.migrateTarget = outcome.migrateTarget;
    return entry;
  }

  /** Txn ops that store `entry` (see recordOperation). */
  historyOps(node: string, rsc: string, entry: HistoryEntry, outcome: Pick<OperationOutcome, 'expectedRc' | 'operation' | 'intervalMs'>): TxnOp[] {
    const c = this.cluster;
    const ops: TxnOp[] = [{ type: 'put', key: keys.history(c, node, rsc, entry.id), value: encodeRecord(entry) }];
    const expected = outcome.expectedRc ?? (outcome.operation === 'monitor' && outcome.intervalMs === 0 ? undefined : 0);
    const probe = outcome.operation === 'monitor' && outcome.intervalMs === 0;
    const failed = entry.opStatus !== 0 || (expected !== undefined ? entry.rcCode !== expected : probe ? ![0, 7, 8].includes(entry.rcCode) : false);
    if (failed) {
      const id = opIds.lastFailure(rsc);
      ops.push({ type: 'put', key: keys.history(c, node, rsc, id), value: encodeRecord({ ...entry, id }) });
    }
    if (entry.operation === 'stop' && !failed) {
      ops.push({ type: 'delete', key: keys.history(c, node, rsc, `${rsc}_monitor_`), prefix: true });
    }
    return ops;
  }

  async deleteResourceHistory(node: string, rsc: string): Promise<number> {
    return this.store.deletePrefix(keys.resourceHistoryPrefix(this.cluster, node, rsc));
  }

  async listHistory(node: string): Promise<HistoryEntry[]> {
    const { kvs } = await this.store.list(keys.nodeHistoryPrefix(this.cluster, node));
    return kvs.map((kv) => decodeRecord<HistoryEntry>(kv.key, kv.value));
  }

  // ---------------------------------------------------------------------------------------------
  // Node attributes

  async getNodeAttribute(node: string, name: string, kind: NodeAttributeKind = 'transient'): Promise<string | undefined> {
    if (kind === 'transient') {
      const { kv } = await this.store.get(keys.attr(this.cluster, node, name));
      return kv ? decodeRecord<TransientAttributeRecord>(kv.key, kv.value).value : undefined;
    }
    const loaded = await this.loadConfiguration();
    const n = loaded ? findConfigNode(loaded.element, node) : undefined;
    return n ? setNvpairs(n, kind === 'permanent' ? 'instance_attributes' : 'utilization').get(name)?.attrs.value : undefined;
  }

  async setNodeAttribute(node: string, name: string, value: string, kind: NodeAttributeKind = 'transient'): Promise<void> {
    if (!name) throw new Error('attribute name must not be empty');
    if (kind === 'transient') {
      const rec: TransientAttributeRecord = { value, updatedAt: Date.now() };
      await this.store.put(keys.attr(this.cluster, node, name), encodeRecord(rec));
      return;
    }
    await this.updateConfiguration((cfg) => {
      const n = findConfigNode(cfg, node);
      if (!n) throw new Error(`node ${node} is not in the configuration`);
      const setName = kind === 'permanent' ? 'instance_attributes' : 'utilization';
      let set = firstChild(n, setName);
      if (!set) n.children.push((set = { name: setName, attrs: { id: `nodes-${n.attrs.id}${kind === 'utilization' ? '-utilization' : ''}` }, children: [] }));
      const nv = set.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
      if (nv) nv.attrs.value = value;
      else set.children.push({ name: 'nvpair', attrs: { id: `${set.attrs.id}-${name}`, name, value }, children: [] });
    }, 5, { by: `attribute ${name} on ${node}` });
  }

  async deleteNodeAttribute(node: string, name: string, kind: NodeAttributeKind = 'transient'): Promise<void> {
    if (kind === 'transient') {
      await this.store.delete(keys.attr(this.cluster, node, name));
      return;
    }
    const current = await this.getNodeAttribute(node, name, kind);
    if (current === undefined) return;
    await this.updateConfiguration((cfg) => {
      const n = findConfigNode(cfg, node);
      const set = n && firstChild(n, kind === 'permanent' ? 'instance_attributes' : 'utilization');
      if (set) set.children = set.children.filter((c) => !(c.name === 'nvpair' && c.attrs.name === name));
    });
  }

  async listNodeAttributes(node: string, kind: NodeAttributeKind = 'transient'): Promise<Record<string, string>> {
    const out: Record<string, string> = {};
    if (kind === 'transient') {
      const prefix = keys.nodeAttrsPrefix(this.cluster, node);
      const { kvs } = await this.store.list(prefix);
      for (const kv of kvs) out[parseKey(prefix, kv.key)[0]!] = decodeRecord<TransientAttributeRecord>(kv.key, kv.value).value;
      return out;
    }
    const loaded = await this.loadConfiguration();
    const n = loaded ? findConfigNode(loaded.element, node) : undefined;
    if (n) for (const [k, nv] of setNvpairs(n, kind === 'permanent' ? 'instance_attributes' : 'utilization')) out[k] = nv.attrs.value ?? '';
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // Tickets

  async getTicket(id: string): Promise<TicketRecord | undefined> {
    const { kv } = await this.store.get(keys.ticket(this.cluster, id));
    return kv ? decodeRecord<TicketRecord>(kv.key, kv.value) : undefined;
  }

  async setTicket(ticket: TicketRecord): Promise<number> {
    if (!ticket.id) throw new Error('ticket id must not be empty');
    return this.store.put(keys.ticket(this.cluster, ticket.id), encodeRecord(ticket));
  }

  async deleteTicket(id: string): Promise<number> {
    return this.store.delete(keys.ticket(this.cluster, id));
  }

  async listTickets(): Promise<TicketRecord[]> {
    const { kvs } = await this.store.list(keys.ticketsPrefix(this.cluster));
    return kvs.map((kv) => decodeRecord<TicketRecord>(kv.key, kv.value));
  }

  // ---------------------------------------------------------------------------------------------
  // The whole CIB, as the scheduler takes it

  /**
   * One consistent snapshot (one txn of range reads) turned into the `Cib` the scheduler takes.
   * Node states:
   * - self, and peers up or suspect: online (`in_ccm=true crmd=online join=member expected=member`).
   * - a peer known stopped (left cleanly, or lost and past its self-fencing bound, or expected=down
   *   without membership): offline and clean (`in_ccm=false crmd=offline join=down expected=down`),
   *   without history or transient attributes — its resources are stopped.
   * - a peer lost but not yet known stopped: with stonith disabled it stays online, so the scheduler
   *   does not move its resources before it is known stopped; with stonith enabled it is shown
   *   offline with expected=member, which the scheduler treats as unclean and fences.
   * `cib.attrs['tandem-revision']` is the store revision of the snapshot.
   */
  async readCib(view: MembershipView, nowMs: number, opts: ReadCibOptions = {}): Promise<Cib> {
    return (await this.readCibWithRevision(view, nowMs, opts)).cib;
  }

  async readCibWithRevision(view: MembershipView, nowMs: number, opts: ReadCibOptions = {}): Promise<{ cib: Cib; revision: number }> {
    const c = this.cluster;
    const res = await this.store.txn({
      compares: [],
      success: [
        { type: 'get', key: keys.config(c) },
        { type: 'get', key: keys.nodesPrefix(c), prefix: true },
        { type: 'get', key: keys.attrsPrefix(c), prefix: true },
        { type: 'get', key: keys.historyPrefix(c), prefix: true },
        { type: 'get', key: keys.ticketsPrefix(c), prefix: true },
        { type: 'get', key: keys.membersPrefix(c), prefix: true },
      ],
    });
    const kvsAt = (i: number): KeyValue[] => {
      const r = res.results[i];
      return r?.type === 'get' ? r.kvs : [];
    };
    const configKv = kvsAt(0)[0];
    const config = configKv ? decodeRecord<ConfigurationRecord>(configKv.key, configKv.value) : undefined;
    const configEl = config ? parseXml(config.xml, 'stored configuration') : emptyConfigurationElement();
    const cibEl: XmlElement = { name: 'cib', attrs: {}, children: [configEl] };
    const cib = parseCibElement(cibEl, 'stored configuration');
    cib.attrs = {
      ...(config?.cibAttrs ?? {}),
      epoch: String(config?.epoch ?? 0),
      admin_epoch: String(config?.adminEpoch ?? 0),
      num_updates: '0',
      'have-quorum': view.quorate ? '1' : '0',
      'tandem-revision': String(res.revision),
    };
    const records = new Map<string, NodeRecord>();
    for (const kv of kvsAt(1)) {
      const r = decodeRecord<NodeRecord>(kv.key, kv.value);
      records.set(r.name, r);
    }
    const members = new Set(kvsAt(5).map((kv) => decodeRecord<MemberRecord>(kv.key, kv.value).name));
    const attrs = new Map<string, Record<string, string>>();
    const attrsPrefix = keys.attrsPrefix(c);
    for (const kv of kvsAt(2)) {
      const [node, name] = parseKey(attrsPrefix, kv.key);
      if (!node || !name) continue;
      const m = attrs.get(node) ?? {};
      m[name] = decodeRecord<TransientAttributeRecord>(kv.key, kv.value).value;
      attrs.set(node, m);
    }
    const history = new Map<string, Map<string, HistoryEntry[]>>();
    const historyPrefix = keys.historyPrefix(c);
    for (const kv of kvsAt(3)) {
      const [node, rsc] = parseKey(historyPrefix, kv.key);
      if (!node || !rsc) continue;
      const byRsc = history.get(node) ?? new Map<string, HistoryEntry[]>();
      const list = byRsc.get(rsc) ?? [];
      list.push(decodeRecord<HistoryEntry>(kv.key, kv.value));
      byRsc.set(rsc, list);
      history.set(node, byRsc);
    }
    const stonith = stonithEnabled(cib);
    const dc = view.leader;
    if (dc) {
      const dcRec = records.get(dc.name);
      cib.attrs['dc-uuid'] = dcRec?.id ?? dc.name;
    }

    const names: string[] = [];
    const idOf = new Map<string, string>();
    for (const n of cib.configuration.nodes) if (n.type !== 'remote' && n.type !== 'ping') names.push(n.uname), idOf.set(n.uname, n.id);
    for (const name of records.keys()) if (!idOf.has(name)) names.push(name), idOf.set(name, records.get(name)!.id);

    const status: NodeStateEntry[] = [];
    for (const name of names) {
      const rec = records.get(name);
      const id = idOf.get(name)!;
      const peer = name === view.self.name ? undefined : view.peer(name);
      const isSelf = name === view.self.name;
      let state: 'online' | 'down' | 'unclean' | 'omit';
      if (isSelf) state = 'online';
      else if (peer && (peer.state === 'up' || peer.state === 'suspect')) state = 'online';
      else if (peer && peer.state === 'left') state = 'down';
      else if (peer && peer.state === 'lost') {
        if (view.knownStopped(name, nowMs)) state = 'down';
        else state = stonith ? 'unclean' : 'online';
      } else if (!rec) state = opts.unseen === 'unclean' ? 'omit' : 'down';
      else if (rec.expected === 'down' && !members.has(name)) state = 'down';
      else if (view.knownStopped(name, nowMs)) state = 'down';
      else state = stonith ? 'unclean' : 'online';
      if (state === 'omit') continue;
      const entry: NodeStateEntry = { id, uname: name, attrs: {}, lrm: [], transient: [], hasLrm: state !== 'down' };
      if (state === 'online') entry.attrs = { in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' };
      else if (state === 'down') entry.attrs = { in_ccm: 'false', crmd: 'offline', join: 'down', expected: 'down' };
      else entry.attrs = { in_ccm: 'false', crmd: 'offline', join: 'down', expected: 'member' };
      if (rec?.shutdown !== undefined && state !== 'down') entry.attrs.shutdown = String(Math.floor(rec.shutdown / 1000));
      if (state !== 'down') {
        const a = attrs.get(name);
        if (a && Object.keys(a).length) entry.transient.push(transientSet(id, a));
        for (const [rsc, entries] of history.get(name) ?? []) entry.lrm.push(lrmResource(rsc, entries));
      }
      status.push(entry);
    }
    cib.status = { nodes: status, tickets: [...ticketsOf(kvsAt(4))] };
    return { cib, revision: res.revision };
  }
}

function stonithEnabled(cib: Cib): boolean {
  for (const set of cib.configuration.crmConfig) {
    for (const nv of set.nvpairs) if (nv.name === 'stonith-enabled' || nv.name === 'stonith_enabled') return isTrue(nv.value);
  }
  return true;
}

function transientSet(nodeId: string, a: Record<string, string>): AttributeSet {
  return {
    id: `status-${nodeId}`,
    nvpairs: Object.entries(a).map(([name, value]) => ({ id: `status-${nodeId}-${name}`, name, value })),
  };
}

function lrmResource(rsc: string, entries: HistoryEntry[]): LrmResource {
  const agent = entries[0]?.agent;
  const res: LrmResource = { id: rsc, ops: entries.map(toLrmOp) };
  if (agent) {
    res.class = agent.class;
    if (agent.provider) res.provider = agent.provider;
    res.type = agent.type;
  }
  return res;
}

function toLrmOp(e: HistoryEntry): LrmRscOp {
  const { rsc: _r, agent: _a, ...rest } = e;
  const op: LrmRscOp = { ...rest };
  return op;
}

function* ticketsOf(kvs: KeyValue[]): Iterable<TicketState> {
  for (const kv of kvs) {
    const t = decodeRecord<TicketRecord>(kv.key, kv.value);
    const attrs: Record<string, string> = { ...(t.attrs ?? {}), id: t.id, granted: String(t.granted) };
    if (t.standby !== undefined) attrs.standby = String(t.standby);
    if (t.lastGranted !== undefined) attrs['last-granted'] = String(t.lastGranted);
    yield { id: t.id, attrs };
  }
}

function ticketFromState(t: TicketState): TicketRecord {
  const { id: _id, granted, standby, 'last-granted': lastGranted, ...rest } = t.attrs;
  const rec: TicketRecord = { id: t.id, granted: isTrue(granted) };
  if (standby !== undefined) rec.standby = isTrue(standby);
  if (lastGranted !== undefined && Number.isFinite(Number(lastGranted))) rec.lastGranted = Number(lastGranted);
  if (Object.keys(rest).length) rec.attrs = rest;
  return rec;
}

function configNodes(cfg: XmlElement): XmlElement[] {
  const nodes = firstChild(cfg, 'nodes');
  return nodes ? nodes.children.filter((c) => c.name === 'node') : [];
}

function findConfigNode(cfg: XmlElement, name: string): XmlElement | undefined {
  return configNodes(cfg).find((n) => (n.attrs.uname ?? n.attrs.id) === name);
}

function setNvpairs(node: XmlElement, setName: string): Map<string, XmlElement> {
  const out = new Map<string, XmlElement>();
  for (const set of node.children.filter((c) => c.name === setName)) for (const nv of set.children) if (nv.name === 'nvpair' && nv.attrs.name) out.set(nv.attrs.name, nv);
  return out;
}

/**
 * Runs a compare-and-swap write whose outcome may be unknown (an etcd leader change mid-write):
 * 'indeterminate' and 'unavailable' give undefined, so the caller re-reads and decides again
 * instead of failing; the compare on the record's revision keeps a repeated write from applying twice.
 */
async function retryable<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof StoreError && (err.code === 'indeterminate' || err.code === 'unavailable')) {
      await new Promise((r) => setTimeout(r, 50));
      return undefined;
    }
    throw err;
  }
}
