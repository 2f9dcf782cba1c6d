// Cluster status rendered the way Pacemaker 2.1.5's crm_mon and cibadmin print it, from the
// executor's `status` reply. Shared by crm_mon, cibadmin and crm_resource.

/** @param {unknown} v */
export function xmlAttr(v) {
  return String(v).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/**
 * crm_mon's XML (--output-as=xml, -X/--as-xml). Attribute order matters: galera greps
 * `resource.*id="galera".*role="(Promoted|Master)".*active="true".*orphaned="false".*failed="false"`.
 * @param {{ dc?: string, quorate: boolean, nodes: any[], resources: any[] }} st
 * @param {{ inactive: boolean, request: string }} opts
 */
export function crmMonXml(st, opts) {
  const out = [];
  const running = (name) => st.resources.filter((r) => r.node === name && r.role !== 'Stopped').length;
  out.push(`<pacemaker-result api-version="2.25" request="${xmlAttr(opts.request)}">`);
  out.push('  <summary>');
  out.push('    <stack type="tandem"/>');
  out.push(st.dc ? `    <current_dc present="true" name="${xmlAttr(st.dc)}" with_quorum="${st.quorate}"/>` : '    <current_dc present="false"/>');
  out.push(`    <nodes_configured number="${st.nodes.length}"/>`);
  out.push(`    <resources_configured number="${st.resources.length}" disabled="0" blocked="0"/>`);
  out.push('  </summary>');
  out.push('  <nodes>');
  for (const n of st.nodes) {
    out.push(
      `    <node name="${xmlAttr(n.name)}" id="${xmlAttr(n.id)}" online="${n.online}" standby="${n.standby}" standby_onfail="false" ` +
        `maintenance="${!!n.maintenance}" pending="false" unclean="${n.unclean}" shutdown="false" expected_up="${n.online}" ` +
        `is_dc="${n.name === st.dc}" resources_running="${running(n.name)}" type="${n.type ?? 'member'}"/>`,
    );
  }
  out.push('  </nodes>');
  out.push('  <resources>');
  for (const item of resourceTree(st.resources.filter((r) => opts.inactive || r.role !== 'Stopped'))) renderItem(item, '    ', out, st.nodes);
  out.push('  </resources>');
  out.push('  <status code="0" message="OK"/>');
  out.push('</pacemaker-result>');
  return out.join('\n') + '\n';
}

/** Instances nested into clone and group containers, keeping first-seen order. */
function resourceTree(instances) {
  const top = [];
  const containers = new Map();
  const container = (list, kind, id, attrs) => {
    const key = `${kind}:${id}`;
    let c = containers.get(key);
    if (!c) {
      c = { kind, id, attrs, children: [] };
      containers.set(key, c);
      list.push(c);
    }
    return c.children;
  };
  for (const r of instances) {
    let list = top;
    if (r.clone) list = container(list, 'clone', r.clone.id, r.clone);
    if (r.group) list = container(list, 'group', `${r.clone?.id ?? ''}/${r.group}`, { id: r.group });
    list.push({ kind: 'resource', r });
  }
  return top;
}

function renderItem(item, indent, out, nodes) {
  if (item.kind === 'resource') {
    const r = item.r;
    const active = r.role !== 'Stopped' && !!r.node;
    const head =
      `${indent}<resource id="${xmlAttr(r.id)}" resource_agent="${xmlAttr(r.agent)}" role="${xmlAttr(r.role)}" active="${active}" ` +
      `orphaned="${!!r.orphaned}" blocked="${!!r.blocked}" managed="${r.managed !== false}" failed="${!!r.failed}" ` +
      `failure_ignored="false" nodes_running_on="${active ? 1 : 0}"`;
    if (!active) {
      out.push(`${head}/>`);
      return;
    }
    const node = nodes.find((n) => n.name === r.node);
    out.push(`${head}>`);
    out.push(`${indent}  <node name="${xmlAttr(r.node)}" id="${xmlAttr(node?.id ?? '')}" cached="true"/>`);
    out.push(`${indent}</resource>`);
    return;
  }
  const failed = item.children.some((c) => c.kind === 'resource' && c.r.failed);
  if (item.kind === 'clone') {
    out.push(`${indent}<clone id="${xmlAttr(item.id)}" multi_state="${!!item.attrs.promotable}" unique="${!!item.attrs.unique}" managed="true" disabled="false" failed="${failed}" failure_ignored="false">`);
  } else {
    out.push(`${indent}<group id="${xmlAttr(item.attrs.id)}" number_resources="${item.children.length}" managed="true" disabled="false">`);
  }
  for (const c of item.children) renderItem(c, indent + '  ', out, nodes);
  out.push(`${indent}</${item.kind}>`);
}

/** crm_mon's one-shot text summary, in Pacemaker 2.1's layout. */
export function crmMonText(st, opts) {
  const out = ['Cluster Summary:', '  * Stack: tandem'];
  out.push(st.dc ? `  * Current DC: ${st.dc} - partition ${st.quorate ? 'with' : 'WITHOUT'} quorum` : '  * Current DC: NONE');
  out.push(`  * ${st.nodes.length} nodes configured`, `  * ${st.resources.length} resource instances configured`, '', 'Node List:');
  const online = st.nodes.filter((n) => n.online && !n.standby).map((n) => n.name);
  const standby = st.nodes.filter((n) => n.online && n.standby).map((n) => n.name);
  const offline = st.nodes.filter((n) => !n.online && !n.unclean).map((n) => n.name);
  for (const n of st.nodes.filter((x) => x.unclean)) out.push(`  * Node ${n.name}: UNCLEAN (offline)`);
  for (const n of standby) out.push(`  * Node ${n}: standby`);
  if (online.length) out.push(`  * Online: [ ${online.join(' ')} ]`);
  if (offline.length) out.push(`  * OFFLINE: [ ${offline.join(' ')} ]`);
  out.push('', opts.inactive ? 'Full List of Resources:' : 'Active Resources:');
  const shown = st.resources.filter((r) => opts.inactive || r.role !== 'Stopped');
  if (!shown.length) out.push('  * No active resources');
  for (const r of shown) {
    const where = r.role === 'Stopped' ? 'Stopped' : `${r.role} ${r.node}`;
    out.push(`  * ${r.id}\t(${r.agent}):\t ${where}${r.failed ? ' (FAILED)' : ''}`);
  }
  return out.join('\n') + '\n';
}
