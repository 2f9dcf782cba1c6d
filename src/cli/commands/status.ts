// `tandem status` (and `cluster status`): the layout of `pcs status` — cluster name, DC, quorum,
// nodes, resources, failed actions — plus what the cluster is about to do.
import type { Command } from 'commander';
import type { XmlElement } from '../../cib/xml.ts';
import { resolveTarget, withTarget, type GlobalOptions } from '../context.ts';
import { allOpts, example, print } from '../output.ts';
import { clusterState, type ClusterState } from '../state.ts';
import { nvAll } from '../edit/tree.ts';

type Rsc = ClusterState['resources'][number];

const natural = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });

function baseId(id: string): string {
  return id.replace(/:\d+$/, '');
}

function primitiveLine(r: Rsc, pad: string): string {
  const where = r.nodes.length ? ` ${r.nodes.join(' ')}` : '';
  const flags = [r.failed ? 'FAILED' : '', !r.managed ? 'unmanaged' : '', r.targetRole === 'Stopped' && r.nodes.length === 0 ? 'disabled' : ''].filter(Boolean);
  const role = r.nodes.length ? r.role : 'Stopped';
  return `${pad}* ${r.id}\t(${r.agent}):\t ${r.failed ? 'FAILED' : role}${where}${flags.filter((f) => f !== 'FAILED').map((f) => ` (${f})`).join('')}`;
}

interface Shape {
  kind: 'primitive' | 'group' | 'clone';
  promotable?: boolean;
  members?: string[];
  inner?: string;
}

/** How each top-level resource is built, from the configuration. */
export function shapes(conf: XmlElement | undefined): Map<string, Shape> {
  const out = new Map<string, Shape>();
  const resources = conf?.children.find((c) => c.name === 'resources');
  for (const r of resources?.children ?? []) {
    const id = r.attrs.id;
    if (!id) continue;
    if (r.name === 'group') out.set(id, { kind: 'group', members: r.children.filter((c) => c.name === 'primitive').map((c) => c.attrs.id ?? '') });
    else if (r.name === 'clone' || r.name === 'master') {
      const inner = r.children.find((c) => c.name === 'primitive' || c.name === 'group');
      const p = nvAll(r, 'meta_attributes').promotable;
      out.set(id, { kind: 'clone', promotable: r.name === 'master' || p === 'true', ...(inner?.attrs.id ? { inner: inner.attrs.id } : {}) });
    } else out.set(id, { kind: 'primitive' });
  }
  return out;
}

/** The "Full List of Resources" section. */
export function formatResourceList(rs: Rsc[], conf?: XmlElement): string[] {
  const shape = shapes(conf);
  const lines: string[] = [];
  const byParent = new Map<string, Rsc[]>();
  const order: string[] = [];
  for (const r of rs) {
    const top = r.parent ?? baseId(r.id);
    if (!byParent.has(top)) {
      byParent.set(top, []);
      order.push(top);
    }
    byParent.get(top)!.push(r);
  }
  for (const top of order) {
    const members = byParent.get(top)!;
    const s = shape.get(top);
    const looksClone = s ? s.kind === 'clone' : members.some((m) => /:\d+$/.test(m.id) || m.nodes.length > 1);
    if (!s && members.length === 1 && members[0]!.id === top) {
      lines.push(primitiveLine(members[0]!, '  '));
    } else if (s?.kind === 'primitive') {
      lines.push(primitiveLine(members[0]!, '  '));
    } else if (looksClone) {
      const inner = s?.inner ?? baseId(members[0]!.id);
      lines.push(`  * Clone Set: ${top} [${inner}]${s?.promotable ? ' (promotable)' : ''}:`);
      const byRole = new Map<string, Set<string>>();
      for (const m of members) {
        const role = m.failed ? 'FAILED' : m.nodes.length ? m.role : 'Stopped';
        if (role === 'Stopped') continue;
        if (!byRole.has(role)) byRole.set(role, new Set());
        for (const n of m.nodes) byRole.get(role)!.add(n);
      }
      const roles = ['Promoted', 'Unpromoted', 'Started', 'FAILED', ...byRole.keys()].filter((r, i, a) => a.indexOf(r) === i && byRole.has(r));
      for (const role of roles) lines.push(`    * ${role}: [ ${[...byRole.get(role)!].sort(natural).join(' ')} ]`);
      if (roles.length === 0) lines.push('    * Stopped: [ all ]');
    } else {
      lines.push(`  * Resource Group: ${top}:`);
      for (const m of members) lines.push(primitiveLine(m, '    '));
    }
  }
  return lines.length ? lines : ['  * No resources'];
}

export function formatStatus(st: ClusterState, conf?: XmlElement): string[] {
  const online = st.nodes.filter((n) => n.online && !n.standby && !n.maintenance).map((n) => n.name).sort(natural);
  const offline = st.nodes.filter((n) => !n.online && n.state !== 'unclean').map((n) => n.name).sort(natural);
  const lines = [
    `Cluster name: ${st.cluster || '(unnamed)'}`,
    'Cluster Summary:',
    `  * Stack: tandem (${st.store})`,
    `  * Current DC: ${st.dc ? st.dc.name : 'NONE'} - partition ${st.quorate ? 'with' : 'WITHOUT'} quorum`,
    `  * Last updated: ${st.time}${st.node ? ` by ${st.node}` : ''}`,
    `  * ${st.nodes.length} node${st.nodes.length === 1 ? '' : 's'} configured`,
    `  * ${st.resources.length} resource instance${st.resources.length === 1 ? '' : 's'} configured`,
    '',
    'Node List:',
  ];
  for (const n of st.nodes) {
    if (n.state === 'unclean') lines.push(`  * Node ${n.name}: UNCLEAN (${n.online ? 'online' : 'offline'})`);
    else if (n.standby) lines.push(`  * Node ${n.name}: standby${n.online ? '' : ' (offline)'}`);
    else if (n.maintenance) lines.push(`  * Node ${n.name}: maintenance`);
  }
  if (online.length) lines.push(`  * Online: [ ${online.join(' ')} ]`);
  if (offline.length) lines.push(`  * OFFLINE: [ ${offline.join(' ')} ]`);
  lines.push('', 'Full List of Resources:', ...formatResourceList(st.resources, conf));
  if (st.failedActions.length) {
    lines.push('', 'Failed Resource Actions:');
    for (const f of st.failedActions) {
      const key = `${f.resource}_${f.operation}_${f.intervalMs}`;
      lines.push(`  * ${key} on ${f.node} returned ${f.rc} (${f.status})${f.exitReason ? `: ${f.exitReason}` : ''}${f.time ? ` at ${f.time}` : ''}`);
    }
  }
  if (st.pending.length) lines.push('', 'Pending actions (what the cluster does next):', ...st.pending.map((p) => `  ${p.trim()}`));
  return lines;
}

export async function runStatus(o: GlobalOptions): Promise<void> {
  const target = resolveTarget(o);
  const st = await clusterState(target);
  let conf: XmlElement | undefined;
  try {
    conf = (await target.readConfig()).conf;
  } catch {
    conf = undefined; // status still prints; groups/clones are then inferred
  }
  print(o.json, st, () => formatStatus(st, conf));
}

export function registerStatus(program: Command): void {
  const status = withTarget(program.command('status').description('cluster status in the layout of pcs status: name, DC, quorum, nodes, resources, failed actions'));
  example(status, 'tandem status', 'tandem status --json | jq .resources');
  status.action(async (_o, cmd: Command) => runStatus(allOpts<GlobalOptions>(cmd)));
}
