// Tandem's cibadmin for agents: read-only queries. `cibadmin -Q` prints a CIB holding the nodes
// and their transient attributes (what crm_mon_no_validation pipes along; Tandem's crm_mon does not
// need it); `--xpath` answers the node-attribute lookups rabbitmq-cluster makes:
//   //node_state[@crmd='online']//nvpair[@name='NAME']   and   //node_state//nvpair[@name='NAME']
// Other XPath expressions and every change are refused: the CIB is Tandem's, edited through its CLI.

import { request } from './client.mjs';
import { xmlAttr } from './cluster-status.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: 'Q', long: ['query'], key: 'query', arg: 'none' },
  { short: 'A', long: ['xpath'], key: 'xpath', arg: 'required' },
  { short: 'o', long: ['scope'], key: 'scope', arg: 'required' },
  { short: 'l', long: ['local'], key: 'local', arg: 'none' },
  { short: 's', long: ['sync-call'], key: 'sync', arg: 'none' },
  { short: 'n', long: ['no-children'], key: 'noChildren', arg: 'none' },
  { short: 'V', long: ['verbose'], key: 'verbose', arg: 'none', repeat: true },
  ...['C:create', 'M:modify', 'P:patch', 'R:replace', 'D:delete', 'd:delete-all', 'E:erase', 'B:bump', 'S:sync', 'U:upgrade'].map((s) => {
    const [short, long] = s.split(':');
    return { short, long: [long], key: 'write', arg: 'none', repeat: true };
  }),
  { short: 'x', long: ['xml-file'], key: 'xmlFile', arg: 'required' },
  { short: 'X', long: ['xml-text'], key: 'xmlText', arg: 'required' },
  { short: '$', long: ['version'], key: 'version', arg: 'none' },
  { short: 'h', long: ['help'], key: 'help', arg: 'none' },
];

const NODE_NVPAIR_XPATH = /^\/\/node_state(\[@crmd=(['"])online\2\])?\/\/nvpair\[@name=(['"])([^'"]+)\3\]$/;

/** @param {string[]} argv */
export async function cibadmin(argv) {
  const { values: o } = parseOptions(argv, SPECS);
  if (o.version) {
    process.stdout.write('Pacemaker 2.1.5 (Tandem agent helper)\n');
    return Exit.OK;
  }
  if (o.help) {
    process.stdout.write("Usage: cibadmin -Q [--xpath \"//node_state[@crmd='online']//nvpair[@name='NAME']\"]\n");
    return Exit.OK;
  }
  if (o.write) throw new UsageError('Tandem\'s cibadmin only queries; change the configuration with the tandem CLI');
  if (!o.query) throw new UsageError('only -Q/--query is supported');
  if (o.scope !== undefined && !['status', 'nodes', 'configuration'].includes(o.scope)) throw new UsageError(`--scope ${o.scope} is not supported by Tandem`);

  const st = await request({ op: 'status' });
  const attrs = new Map();
  for (const n of st.nodes) attrs.set(n.name, (await request({ op: 'list', node: n.name, kind: 'transient' })).values);

  if (o.xpath !== undefined) {
    const m = NODE_NVPAIR_XPATH.exec(o.xpath);
    if (!m) throw new UsageError(`XPath not supported by Tandem: ${o.xpath}`);
    const onlineOnly = !!m[1];
    const name = m[4];
    const hits = [];
    for (const n of st.nodes) {
      if (onlineOnly && !n.online) continue;
      const value = attrs.get(n.name)[name];
      if (value !== undefined) hits.push(nvpair(n.id, name, value));
    }
    if (!hits.length) {
      process.stderr.write('Call cib_query failed (-6): No such device or address\n');
      return Exit.NOSUCH;
    }
    process.stdout.write(hits.length === 1 ? `${hits[0]}\n` : `<xpath-query>\n${hits.map((h) => `  ${h}`).join('\n')}\n</xpath-query>\n`);
    return Exit.OK;
  }

  const nodes = ['    <nodes>', ...st.nodes.map((n) => `      <node id="${xmlAttr(n.id)}" uname="${xmlAttr(n.name)}"/>`), '    </nodes>'];
  const status = ['  <status>'];
  for (const n of st.nodes) {
    const open = `    <node_state id="${xmlAttr(n.id)}" uname="${xmlAttr(n.name)}" in_ccm="${n.online}" crmd="${n.online ? 'online' : 'offline'}" join="${n.online ? 'member' : 'down'}" expected="${n.online ? 'member' : 'down'}"`;
    const pairs = Object.entries(attrs.get(n.name));
    if (!pairs.length) {
      status.push(`${open}/>`);
      continue;
    }
    status.push(`${open}>`, `      <transient_attributes id="${xmlAttr(n.id)}">`, `        <instance_attributes id="status-${xmlAttr(n.id)}">`);
    for (const [k, v] of pairs) status.push(`          ${nvpair(n.id, k, v)}`);
    status.push('        </instance_attributes>', '      </transient_attributes>', '    </node_state>');
  }
  status.push('  </status>');
  const configuration = ['  <configuration>', '    <crm_config/>', ...nodes, '    <resources/>', '    <constraints/>', '  </configuration>'];
  const body = o.scope === 'status' ? status : o.scope === 'nodes' ? nodes : o.scope === 'configuration' ? configuration : [...configuration, ...status];
  const wrapped = o.scope ? body : [`<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="${st.quorate ? 1 : 0}"${st.dc ? ` dc-uuid="${xmlAttr(st.nodes.find((n) => n.name === st.dc)?.id ?? '')}"` : ''}>`, ...body, '</cib>'];
  process.stdout.write(wrapped.join('\n') + '\n');
  return Exit.OK;
}

function nvpair(nodeId, name, value) {
  return `<nvpair id="status-${xmlAttr(nodeId)}-${xmlAttr(name)}" name="${xmlAttr(name)}" value="${xmlAttr(value)}"/>`;
}
