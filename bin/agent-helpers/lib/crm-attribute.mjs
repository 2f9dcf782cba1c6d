// Tandem's crm_attribute: node attributes and cluster options, as Pacemaker 2.1.5's tool reads
// and prints them (checked against the real tool on a CIB file).

import { request } from './client.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: 'n', long: ['name'], key: 'name', arg: 'required' },
  { short: 'P', long: ['pattern'], key: 'pattern', arg: 'required' },
  { short: 'p', long: ['promotion'], key: 'promotion', arg: 'optional' },
  { short: 's', long: ['set-name'], key: 'set', arg: 'required' },
  { short: 'i', long: ['id', 'attr-id'], key: 'id', arg: 'required' },
  { short: 'D', long: ['delete', 'delete-attr'], key: 'delete', arg: 'none' },
  { short: 'G', long: ['query', 'get-value'], key: 'query', arg: 'none' },
  { short: 'v', long: ['update', 'attr-value'], key: 'update', arg: 'required' },
  { short: 'd', long: ['default'], key: 'default', arg: 'required' },
  { short: 'l', long: ['lifetime'], key: 'lifetime', arg: 'required' },
  { short: 'N', long: ['node'], key: 'node', arg: 'required' },
  { short: 'U', long: ['node-uname', 'uname'], key: 'node', arg: 'required' },
  { short: 't', long: ['type'], key: 'type', arg: 'required' },
  { short: 'z', long: ['utilization'], key: 'utilization', arg: 'none' },
  { short: 'q', long: ['quiet'], key: 'quiet', arg: 'none' },
  { short: 'Q', long: [], key: 'quiet', arg: 'none' },
  { short: 'V', long: ['verbose'], key: 'verbose', arg: 'none', repeat: true },
  { short: '!', long: ['inhibit-policy-engine'], key: 'inhibit', arg: 'none' },
  { long: ['output-as'], key: 'outputAs', arg: 'required' },
  { short: '$', long: ['version'], key: 'version', arg: 'none' },
  { short: 'h', long: ['help'], key: 'help', arg: 'none' },
];

const PROPERTY_SECTIONS = ['crm_config', 'rsc_defaults', 'op_defaults', 'tickets'];

/**
 * Where an attribute lives, from -p/-t/-l/-N/-z the way crm_attribute decides it.
 * @returns {{ target: 'node', kind: 'transient'|'permanent'|'utilization', scope: string } | { target: 'property', section: string, scope: string }}
 */
export function resolveScope(o) {
  if (o.type !== undefined && !['status', 'nodes', ...PROPERTY_SECTIONS].includes(o.type)) {
    throw new UsageError(`--type must be one of status, nodes, ${PROPERTY_SECTIONS.join(', ')} (got ${o.type})`);
  }
  if (PROPERTY_SECTIONS.includes(o.type)) return { target: 'property', section: o.type, scope: o.type };
  let lifetime = o.lifetime;
  if (lifetime !== undefined) {
    if (lifetime === 'status') lifetime = 'reboot';
    if (lifetime === 'nodes') lifetime = 'forever';
    if (lifetime !== 'reboot' && lifetime !== 'forever') throw new UsageError(`--lifetime must be reboot or forever (got ${o.lifetime})`);
  }
  if (o.utilization) return { target: 'node', kind: 'utilization', scope: 'nodes' };
  if (o.type === 'status') lifetime = 'reboot';
  if (o.type === 'nodes') lifetime ??= 'forever';
  if (o.promotion !== undefined) lifetime ??= 'reboot';
  if (lifetime === undefined && o.node !== undefined) lifetime = 'forever';
  if (lifetime === undefined) return { target: 'property', section: 'crm_config', scope: 'crm_config' };
  return lifetime === 'reboot' ? { target: 'node', kind: 'transient', scope: 'status' } : { target: 'node', kind: 'permanent', scope: 'nodes' };
}

/** @param {string[]} argv @param {string} tool */
export async function crmAttribute(argv, tool = 'crm_attribute') {
  const { values: o } = parseOptions(argv, SPECS);
  if (o.version) {
    process.stdout.write('Pacemaker 2.1.5 (Tandem agent helper)\n');
    return Exit.OK;
  }
  if (o.help) {
    process.stdout.write(`Usage: ${tool} [-N NODE] [-l reboot|forever | -t SECTION] (-n NAME | -p [RSC]) [-G | -v VALUE | -D] [-q] [-d DEFAULT]\n`);
    return Exit.OK;
  }
  if (o.pattern !== undefined) throw new UsageError('-P/--pattern is not supported by Tandem');

  let name = o.name;
  if (o.promotion !== undefined) {
    const rsc = o.promotion === true ? process.env.OCF_RESOURCE_INSTANCE : o.promotion;
    if (!rsc) throw new UsageError('-p/--promotion must be called from an OCF resource agent or with a resource ID specified');
    name = `master-${rsc}`;
  }
  if (!name) throw new UsageError('an attribute name is required (-n/--name); querying all attributes is not supported by Tandem');

  const scope = resolveScope(o);
  const set = typeof o.set === 'string' ? o.set : undefined;
  const quiet = o.quiet === true;

  if (typeof o.update === 'string') {
    if (scope.target === 'property') await request({ op: 'set-property', name, value: o.update, section: scope.section, ...(set ? { set } : {}) });
    else await request({ op: 'set', node: o.node, name, value: o.update, kind: scope.kind });
    return Exit.OK;
  }
  if (o.delete) {
    if (scope.target === 'property') await request({ op: 'delete-property', name, section: scope.section, ...(set ? { set } : {}) });
    else await request({ op: 'delete', node: o.node, name, kind: scope.kind });
    return Exit.OK;
  }

  const reply = scope.target === 'property'
    ? await request({ op: 'get-property', name, section: scope.section, ...(set ? { set } : {}) })
    : await request({ op: 'get', node: o.node, name, kind: scope.kind });
  let value = reply.value;
  if (value === null && typeof o.default === 'string') value = o.default;
  if (value === null) {
    process.stderr.write(`${tool}: Error performing operation: No such device or address\n`);
    return Exit.NOSUCH;
  }
  if (quiet) process.stdout.write(`${value}\n`);
  else process.stdout.write(`scope=${scope.scope} ${o.id ? `id=${o.id}` : ''} name=${name} value=${value}\n`);
  return Exit.OK;
}
