// GET /status: the cluster as the scheduler reads it from the store (nodes, resources, failed
// actions, fail counts, fencing) in JSON, and as crm_mon-like text. Parameters never appear here.
import type { CibStore } from '../cib/cib-store.ts';
import type { Cib } from '../cib/model.ts';
import { decodeRecord, keys, type ConfigurationRecord, type FencingRecord, type TransientAttributeRecord } from '../cib/store-layout.ts';
import type { MembershipView } from '../membership/types.ts';
import { formatStatus } from '../scheduler/display.ts';
import { schedule } from '../scheduler/index.ts';
import { descendants } from '../scheduler/unpack/resources.ts';
import type { Resource } from '../scheduler/types.ts';
import type { FencingEntry, StatusResponse } from './contract.ts';
import { opStatusText } from './events.ts';

export interface StatusContext {
  cluster: string;
  node: string;
  cib: CibStore;
  view: MembershipView;
}

export function agentText(a: { class: string; provider?: string; type: string } | undefined): string {
  if (!a) return '';
  return a.provider ? `${a.class}:${a.provider}:${a.type}` : `${a.class}:${a.type}`;
}

export function fencingEntry(f: FencingRecord): FencingEntry {
  const e: FencingEntry = { id: f.id, target: f.target, action: f.action, result: f.result, completedAt: new Date(f.completedAt).toISOString() };
  if (f.executioner) e.executioner = f.executioner;
  if (f.origin) e.origin = f.origin;
  if (f.device) e.device = f.device;
  if (f.reason) e.reason = f.reason;
  return e;
}

export async function readFencing(ctx: Pick<StatusContext, 'cib' | 'cluster'>, node?: string): Promise<{ history: FencingEntry[]; pendingRequests: Array<{ node: string; requestedAt?: string }> }> {
  const store = ctx.cib.store;
  const prefix = node ? keys.targetFencingPrefix(ctx.cluster, node) : keys.fencingPrefix(ctx.cluster);
  const { kvs } = await store.list(prefix);
  const history = kvs
    .map((kv) => decodeRecord<FencingRecord>(kv.key, kv.value))
    .sort((a, b) => b.completedAt - a.completedAt)
    .map(fencingEntry);
  const attrs = await store.list(keys.attrsPrefix(ctx.cluster));
  const pendingRequests: Array<{ node: string; requestedAt?: string }> = [];
  for (const kv of attrs.kvs) {
    const parts = kv.key.slice(keys.attrsPrefix(ctx.cluster).length).split('/').map(decodeURIComponent);
    if (parts[1] !== 'terminate' || (node && parts[0] !== node)) continue;
    const rec = decodeRecord<TransientAttributeRecord>(kv.key, kv.value);
    if (!/^(true|yes|on|1|y)$/i.test(rec.value) && !/^\d{4,}$/.test(rec.value)) continue;
    pendingRequests.push({ node: parts[0]!, ...(rec.updatedAt ? { requestedAt: new Date(rec.updatedAt).toISOString() } : {}) });
  }
  return { history, pendingRequests };
}

function failedActions(cib: Cib): StatusResponse['failedActions'] {
  const out: StatusResponse['failedActions'] = [];
  for (const n of cib.status.nodes) {
    for (const r of n.lrm) {
      for (const op of r.ops) {
        if (!op.id.endsWith('_last_failure_0')) continue;
        const e: StatusResponse['failedActions'][number] = {
          node: n.uname ?? n.id,
          resource: r.id,
          operation: op.operation,
          intervalMs: op.intervalMs,
          rc: op.rcCode,
          status: opStatusText(op.opStatus),
        };
        if (op.exitReason) e.exitReason = op.exitReason;
        if (op.lastRcChange) e.time = new Date(op.lastRcChange * 1000).toISOString();
        out.push(e);
      }
    }
  }
  return out;
}

const COUNT_RE = /^fail-count-(.+)#(.+)_(\d+)$/;

export async function buildApiStatus(ctx: StatusContext): Promise<{ json: StatusResponse; text: string; cib: Cib }> {
  const now = Date.now();
  const { cib } = await ctx.cib.readCibWithRevision(ctx.view, now);
  const configKv = (await ctx.cib.store.get(keys.config(ctx.cluster))).kv;
  const config = configKv ? decodeRecord<ConfigurationRecord>(configKv.key, configKv.value) : undefined;
  const res = schedule(cib, Math.floor(now / 1000));
  const ws = res.ws;
  const leader = ctx.view.leader;
  const nodes: StatusResponse['nodes'] = ws.nodes
    .filter((n) => n.kind !== 'remote' || n.seen)
    .map((n) => {
      const peer = n.name === ctx.node ? undefined : ctx.view.peer(n.name);
      return {
        name: n.name,
        id: n.id,
        state: n.unclean ? 'unclean' : n.pending ? 'pending' : n.online ? 'online' : 'offline',
        online: n.online,
        dc: leader?.name === n.name,
        standby: n.standby,
        maintenance: n.maintenance,
        ...(n.name === ctx.node ? { membership: 'self' } : peer ? { membership: peer.state } : {}),
        resources: n.running.length,
      };
    });
  const resources: StatusResponse['resources'] = [];
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      const item: StatusResponse['resources'][number] = { id: r.id, agent: agentText(r.agent), role: r.role, nodes: r.runningOn.map((n) => n.name), managed: r.managed, failed: r.failed };
      const parent = topParent(r);
      if (parent) item.parent = parent.id;
      const tr = r.targetRole ?? inheritedTargetRole(r);
      if (tr) item.targetRole = tr;
      resources.push(item);
    }
  }
  const failCounts: StatusResponse['failCounts'] = [];
  for (const n of ws.nodes) {
    for (const [k, v] of n.attrs) {
      const m = COUNT_RE.exec(k);
      if (m) failCounts.push({ node: n.name, resource: m[1]!, operation: m[2]!, intervalMs: Number(m[3]), count: v });
    }
  }
  const fencing = await readFencing(ctx);
  const json: StatusResponse = {
    cluster: ctx.cluster,
    node: ctx.node,
    store: ctx.cib.store.description,
    time: new Date(now).toISOString(),
    dc: leader,
    quorate: ctx.view.quorate,
    configuration: configKv && config ? { revision: configKv.modRevision, epoch: config.epoch } : null,
    nodes,
    resources,
    failedActions: failedActions(cib),
    failCounts,
    fencing: {
      total: fencing.history.length,
      failed: fencing.history.filter((f) => f.result === 'failed').length,
      pendingRequests: fencing.pendingRequests,
      recent: fencing.history.slice(0, 10),
    },
    pending: res.summary,
  };
  const lines = [
    `Cluster name: ${ctx.cluster}`,
    'Cluster Summary:',
    `  * Stack: tandem (${ctx.cib.store.description})`,
    `  * Current DC: ${leader ? `${leader.name} (token ${leader.token})` : 'NONE'} - partition ${ctx.view.quorate ? 'with' : 'WITHOUT'} quorum`,
    `  * Last updated: ${new Date(now).toUTCString()} on ${ctx.node}`,
    `  * ${ws.nodes.length} node${ws.nodes.length === 1 ? '' : 's'} configured`,
    `  * ${resources.length} resource instance${resources.length === 1 ? '' : 's'} configured`,
    '',
    ...formatStatus(ws),
  ];
  while (lines.length && lines[lines.length - 1] === '') lines.pop();
  if (json.failedActions.length) {
    lines.push('', 'Failed Resource Actions:');
    for (const f of json.failedActions) {
      const op = `${f.resource}_${f.operation}_${f.intervalMs}`;
      lines.push(`  * ${op} on ${f.node} '${rcLabel(f.rc)}' (${f.rc}): status=${f.status}${f.exitReason ? `, exitreason='${f.exitReason}'` : ''}${f.time ? `, last-rc-change='${f.time}'` : ''}`);
    }
  }
  if (fencing.history.length || fencing.pendingRequests.length) {
    lines.push('', 'Fencing History:');
    for (const r of fencing.pendingRequests) lines.push(`  * fencing of ${r.node} requested${r.requestedAt ? ` at ${r.requestedAt}` : ''}: pending`);
    for (const f of fencing.history.slice(0, 10)) lines.push(`  * ${f.action} of ${f.target} ${f.result === 'failed' ? 'failed' : 'successful'}: ${f.executioner ? `delegate=${f.executioner}, ` : ''}${f.origin ? `client=${f.origin}, ` : ''}completed='${f.completedAt}'`);
  }
  if (res.summary.length) lines.push('', 'Pending actions (Transition Summary):', ...res.summary);
  return { json, text: lines.join('\n') + '\n', cib };
}

function rcLabel(rc: number): string {
  return ['ok', 'error', 'invalid parameter', 'unimplemented feature', 'insufficient privileges', 'not installed', 'not configured', 'not running', 'promoted', 'promoted failed'][rc] ?? 'unknown';
}

function topParent(r: Resource): Resource | undefined {
  let p = r.parent;
  while (p?.parent) p = p.parent;
  return p;
}

function inheritedTargetRole(r: Resource): string | undefined {
  for (let p = r.parent; p; p = p.parent) if (p.targetRole) return p.targetRole;
  return undefined;
}
