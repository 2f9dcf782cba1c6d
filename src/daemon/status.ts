// What `GET /status` and `GET /status.txt` show: the cluster as this node sees it (membership,
// DC, resources as the scheduler reads the store) in JSON, and as crm_mon-like text.
import type { CibStore } from '../cib/cib-store.ts';
import type { ControllerStatus } from '../controller/controller.ts';
import type { MembershipView } from '../membership/types.ts';
import { schedule } from '../scheduler/index.ts';
import { formatStatus } from '../scheduler/display.ts';
import type { Resource } from '../scheduler/types.ts';
import { descendants } from '../scheduler/unpack/resources.ts';

export interface StatusSources {
  cluster: string;
  node: string;
  storeDescription: string;
  cib: CibStore;
  view: MembershipView;
  controller: () => ControllerStatus;
  startedAt: number;
}

export interface ClusterStatusJson {
  cluster: string;
  node: string;
  store: string;
  time: string;
  uptimeMs: number;
  quorate: boolean;
  dc: { name: string; token: number } | null;
  nodes: Array<{ name: string; state: string; self: boolean; dc: boolean; standby?: boolean; maintenance?: boolean; selfFencedBy?: string }>;
  resources: Array<{ id: string; agent: string; role: string; nodes: string[]; managed: boolean; failed: boolean }>;
  failures: Array<{ node: string; attribute: string; value: string }>;
  controller: ControllerStatus;
  summary: string[];
}

export async function buildStatus(src: StatusSources): Promise<{ json: ClusterStatusJson; text: string }> {
  const now = Date.now();
  const cib = await src.cib.readCib(src.view, now);
  const res = schedule(cib, Math.floor(now / 1000));
  const ws = res.ws;
  const leader = src.view.leader;
  const nodes: ClusterStatusJson['nodes'] = [];
  const seen = new Set<string>();
  const wsNode = (name: string) => ws.nodesByName.get(name);
  nodes.push({ name: src.node, state: src.view.quorate ? 'up' : 'up (no quorum)', self: true, dc: leader?.name === src.node, ...flags(wsNode(src.node)) });
  seen.add(src.node);
  for (const p of src.view.peers()) {
    seen.add(p.name);
    nodes.push({
      name: p.name,
      state: p.state,
      self: false,
      dc: leader?.name === p.name,
      ...flags(wsNode(p.name)),
      ...(p.selfFencedBy !== undefined ? { selfFencedBy: new Date(p.selfFencedBy).toISOString() } : {}),
    });
  }
  for (const n of ws.nodes) if (!seen.has(n.name)) nodes.push({ name: n.name, state: n.online ? 'up' : 'offline', self: false, dc: false, ...flags(n) });
  const resources: ClusterStatusJson['resources'] = [];
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive') continue;
      resources.push({ id: r.id, agent: agentText(r), role: r.role, nodes: r.runningOn.map((n) => n.name), managed: r.managed, failed: r.failed });
    }
  }
  const failures: ClusterStatusJson['failures'] = [];
  for (const n of ws.nodes) for (const [k, v] of n.attrs) if (k.startsWith('fail-count-')) failures.push({ node: n.name, attribute: k, value: v });
  const json: ClusterStatusJson = {
    cluster: src.cluster,
    node: src.node,
    store: src.storeDescription,
    time: new Date(now).toISOString(),
    uptimeMs: now - src.startedAt,
    quorate: src.view.quorate,
    dc: leader,
    nodes,
    resources,
    failures,
    controller: src.controller(),
    summary: res.summary,
  };
  const header = [
    'Cluster Summary:',
    `  * Stack: tandem (${src.storeDescription})`,
    `  * Current DC: ${leader ? `${leader.name} (token ${leader.token})` : 'NONE'} - partition ${src.view.quorate ? 'with' : 'WITHOUT'} quorum`,
    `  * Last updated: ${new Date(now).toUTCString()} on ${src.node}`,
    `  * ${ws.nodes.length} node${ws.nodes.length === 1 ? '' : 's'} configured`,
    `  * ${resources.length} resource instance${resources.length === 1 ? '' : 's'} configured`,
    '',
  ];
  const lines = [...header, ...formatStatus(ws)];
  if (failures.length) {
    lines.push('', 'Failures:');
    for (const f of failures) lines.push(`  * ${f.node}: ${f.attribute}=${f.value}`);
  }
  if (res.summary.length) lines.push('', 'Pending transition:', ...res.summary);
  return { json, text: lines.join('\n') + '\n' };
}

function flags(n: { standby: boolean; maintenance: boolean } | undefined): { standby?: boolean; maintenance?: boolean } {
  if (!n) return {};
  return { ...(n.standby ? { standby: true } : {}), ...(n.maintenance ? { maintenance: true } : {}) };
}

function agentText(r: Resource): string {
  const a = r.agent;
  if (!a) return '';
  return a.provider ? `${a.class}:${a.provider}:${a.type}` : `${a.class}:${a.type}`;
}
