// A CIB status section rebuilt from GET /status, for `tandem why` against a live cluster whose
// export carries the configuration only: node membership, standby/maintenance (from the
// configuration itself), where each resource is active and in which role, and fail counts.
import { firstChild, parseXml, serializeXml, type XmlElement } from '../cib/xml.ts';
import type { ClusterState } from './state.ts';

const e = (name: string, attrs: Record<string, string>, children: XmlElement[] = []): XmlElement => ({ name, attrs, children });

export function statusFromState(cibText: string, st: ClusterState): string {
  const root = parseXml(cibText, 'exported cib');
  const cib: XmlElement = root.name === 'cib' ? root : e('cib', {}, [root]);
  const conf = firstChild(cib, 'configuration');
  const confNodes = firstChild(conf ?? e('x', {}), 'nodes')?.children ?? [];
  const idOf = (name: string) => confNodes.find((n) => n.attrs.uname === name)?.attrs.id ?? name;
  const agents = new Map<string, { class: string; provider?: string; type: string }>();
  for (const r of st.resources) {
    const [cls, a, b] = r.agent.split(':');
    agents.set(r.id.replace(/:\d+$/, ''), b !== undefined ? { class: cls!, provider: a!, type: b } : { class: cls!, type: a ?? '' });
  }
  let call = 1;
  const nodeStates = st.nodes.map((n) => {
    const lrm: XmlElement[] = [];
    for (const r of st.resources) {
      if (!r.nodes.includes(n.name)) continue;
      const id = r.id.replace(/:\d+$/, '');
      const ag = agents.get(id)!;
      const op = r.role === 'Promoted' ? 'promote' : 'start';
      lrm.push(
        e('lrm_resource', { id, class: ag.class, ...(ag.provider ? { provider: ag.provider } : {}), type: ag.type }, [
          e('lrm_rsc_op', { id: `${id}_last_0`, operation_key: `${id}_${op}_0`, operation: op, 'call-id': String(call++), 'rc-code': '0', 'op-status': '0', interval: '0', 'on_node': n.name }),
        ]),
      );
    }
    const fails = (st.failCounts ?? []).filter((f) => f.node === n.name);
    const transient = fails.length
      ? [
          e('transient_attributes', { id: idOf(n.name) }, [
            e(
              'instance_attributes',
              { id: `status-${idOf(n.name)}` },
              fails.map((f, i) => e('nvpair', { id: `status-${idOf(n.name)}-fc-${i}`, name: `fail-count-${f.resource.replace(/:\d+$/, '')}#${f.operation}_${f.intervalMs}`, value: f.count })),
            ),
          ]),
        ]
      : [];
    const online = n.online && n.state !== 'unclean';
    return e(
      'node_state',
      { id: idOf(n.name), uname: n.name, in_ccm: online ? 'true' : 'false', crmd: online ? 'online' : 'offline', join: online ? 'member' : 'down', expected: online ? 'member' : 'down' },
      [...transient, e('lrm', { id: idOf(n.name) }, [e('lrm_resources', {}, lrm)])],
    );
  });
  cib.children = cib.children.filter((c) => c.name !== 'status');
  cib.children.push(e('status', {}, nodeStates));
  cib.attrs['have-quorum'] = st.quorate ? '1' : '0';
  const dc = st.nodes.find((n) => n.dc);
  if (dc) cib.attrs['dc-uuid'] = idOf(dc.name);
  return serializeXml(cib);
}
