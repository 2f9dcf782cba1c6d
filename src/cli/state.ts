// The cluster's state as `tandem status`, `resource status` and `why` read it: from the API's
// GET /status, or, for a CIB file (-f), computed here with the scheduler from its status section.
import type { StatusResponse } from '../api/contract.ts';
import { parseCibXml } from '../cib/parse.ts';
import type { Cib } from '../cib/model.ts';
import { schedule } from '../scheduler/index.ts';
import { descendants } from '../scheduler/unpack/resources.ts';
import type { Resource } from '../scheduler/types.ts';
import { apiError, type Target } from './context.ts';

export type ClusterState = Pick<StatusResponse, 'cluster' | 'node' | 'store' | 'time' | 'dc' | 'quorate' | 'nodes' | 'resources' | 'failedActions' | 'pending'> & {
  failCounts: StatusResponse['failCounts'];
};

export async function clusterState(target: Target, nowSeconds = Math.floor(Date.now() / 1000)): Promise<ClusterState> {
  if (target.api) {
    try {
      const s = await target.api.getStatus();
      return { cluster: s.cluster, node: s.node, store: s.store, time: s.time, dc: s.dc, quorate: s.quorate, nodes: s.nodes, resources: s.resources, failedActions: s.failedActions, failCounts: s.failCounts ?? [], pending: s.pending };
    } catch (err) {
      throw apiError(err, target.where);
    }
  }
  const cib = parseCibXml(await target.readCib(), target.where);
  return stateFromCib(cib, nowSeconds, target.where);
}

function agentOf(r: Resource): string {
  const a = r.agent;
  if (!a) return '';
  return a.provider ? `${a.class}:${a.provider}:${a.type}` : `${a.class}:${a.type}`;
}

function topOf(r: Resource): Resource {
  let t = r;
  while (t.parent) t = t.parent;
  return t;
}

const EXEC_STATUS = ['complete', 'Cancelled', 'Timed Out', 'NOT SUPPORTED', 'Error', 'Not installed', 'Not connected', 'Not installed', 'Error'];

/** What GET /status would say, computed from a CIB (its status section) with the scheduler. */
export function stateFromCib(cib: Cib, now: number, source: string): ClusterState {
  const { ws, summary } = schedule(cib, now);
  const props = new Map<string, string>();
  for (const s of cib.configuration.crmConfig) for (const p of s.nvpairs) if (!props.has(p.name)) props.set(p.name, p.value ?? '');
  const dcNode = ws.nodes.find((n) => n.id === ws.dcUuid);
  const resources: ClusterState['resources'] = [];
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive' || r.orphan) continue;
      const parent = r.parent ? (r.parent.baseId ?? r.parent.id).replace(/:\d+$/, '') : undefined;
      resources.push({
        id: r.id,
        agent: agentOf(r),
        role: r.runningOn.length ? r.role : 'Stopped',
        nodes: r.runningOn.map((n) => n.name),
        managed: r.managed,
        failed: r.failed,
        ...(parent ? { parent: topOf(r).id } : {}),
        ...(r.targetRole ? { targetRole: r.targetRole } : {}),
      });
    }
  }
  return {
    cluster: ws.options.clusterName ?? props.get('cluster-name') ?? '',
    node: '',
    store: source,
    time: new Date(now * 1000).toISOString(),
    dc: dcNode ? { name: dcNode.name, token: 0 } : null,
    quorate: ws.haveQuorum,
    nodes: ws.nodes.map((n) => ({
      name: n.name,
      id: n.id,
      state: n.unclean ? 'unclean' : n.pending ? 'pending' : n.online ? 'online' : 'offline',
      online: n.online,
      dc: n.id === ws.dcUuid,
      standby: n.standby,
      maintenance: n.maintenance,
      resources: n.running.length,
    })),
    resources,
    failedActions: ws.failedOps.map((f) => ({
      node: f.node.name,
      resource: f.rsc.id,
      operation: f.task,
      intervalMs: f.intervalMs,
      rc: f.rc,
      status: EXEC_STATUS[f.status] ?? String(f.status),
      ...(f.exitReason ? { exitReason: f.exitReason } : {}),
      ...(f.lastRcChange ? { time: new Date(f.lastRcChange * 1000).toISOString() } : {}),
    })),
    failCounts: [],
    pending: summary,
  };
}
