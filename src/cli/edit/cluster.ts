// Cluster-level edits: properties (crm_config), nodes and their attributes (standby, maintenance),
// fencing devices, and the initial configuration `cluster setup` writes.
import type { XmlElement } from '../../cib/xml.ts';
import { CliError } from '../errors.ts';
import { dropConstraintsFor, nodeNames, requireNode, resourceCreate, type OpSpec } from './resources.ts';
import { checkDuration, checkIdSyntax, cloneTree, el, emptyConfiguration, nvAll, nvSet, section, validate, type EditResult } from './tree.ts';

// ---- properties -------------------------------------------------------------------------------

type PropType = 'boolean' | 'duration' | 'integer' | 'string' | 'enum';

/** Cluster options Pacemaker Explained documents (the ones Tandem reads, and the common rest). */
export const KNOWN_PROPERTIES: Record<string, { type: PropType; values?: string[]; default?: string }> = {
  'cluster-name': { type: 'string' },
  'dc-version': { type: 'string' },
  'cluster-infrastructure': { type: 'string' },
  'have-watchdog': { type: 'boolean', default: 'false' },
  'no-quorum-policy': { type: 'enum', values: ['stop', 'freeze', 'ignore', 'demote', 'suicide'], default: 'stop' },
  'symmetric-cluster': { type: 'boolean', default: 'true' },
  'maintenance-mode': { type: 'boolean', default: 'false' },
  'start-failure-is-fatal': { type: 'boolean', default: 'true' },
  'enable-startup-probes': { type: 'boolean', default: 'true' },
  'stonith-enabled': { type: 'boolean', default: 'true' },
  'stonith-action': { type: 'enum', values: ['reboot', 'off', 'poweroff'], default: 'reboot' },
  'stonith-timeout': { type: 'duration', default: '60s' },
  'stonith-watchdog-timeout': { type: 'string', default: '0' },
  'concurrent-fencing': { type: 'boolean', default: 'true' },
  'startup-fencing': { type: 'boolean', default: 'true' },
  'priority-fencing-delay': { type: 'duration', default: '0' },
  'cluster-delay': { type: 'duration', default: '60s' },
  'dc-deadtime': { type: 'duration', default: '20s' },
  'cluster-recheck-interval': { type: 'duration', default: '15min' },
  'batch-limit': { type: 'integer', default: '0' },
  'migration-limit': { type: 'integer', default: '-1' },
  'stop-all-resources': { type: 'boolean', default: 'false' },
  'stop-orphan-resources': { type: 'boolean', default: 'true' },
  'stop-orphan-actions': { type: 'boolean', default: 'true' },
  'placement-strategy': { type: 'enum', values: ['default', 'utilization', 'minimal', 'balanced'], default: 'default' },
  'node-health-strategy': { type: 'enum', values: ['none', 'migrate-on-red', 'only-green', 'progressive', 'custom'], default: 'none' },
  'node-health-base': { type: 'integer', default: '0' },
  'node-health-green': { type: 'integer', default: '0' },
  'node-health-yellow': { type: 'integer', default: '0' },
  'node-health-red': { type: 'string', default: '-INFINITY' },
  'shutdown-lock': { type: 'boolean', default: 'false' },
  'shutdown-lock-limit': { type: 'duration', default: '0' },
  'election-timeout': { type: 'duration', default: '2min' },
  'shutdown-escalation': { type: 'duration', default: '20min' },
  'join-integration-timeout': { type: 'duration', default: '3min' },
  'join-finalization-timeout': { type: 'duration', default: '30min' },
  'transition-delay': { type: 'duration', default: '0s' },
  'pe-error-series-max': { type: 'integer', default: '-1' },
  'pe-warn-series-max': { type: 'integer', default: '5000' },
  'pe-input-series-max': { type: 'integer', default: '4000' },
  'load-threshold': { type: 'string', default: '80%' },
  'node-action-limit': { type: 'integer', default: '0' },
  'fence-reaction': { type: 'enum', values: ['stop', 'panic'], default: 'stop' },
  'enable-acl': { type: 'boolean', default: 'false' },
  'cluster-ipc-limit': { type: 'integer', default: '500' },
  'remove-after-stop': { type: 'boolean', default: 'false' },
  'is-managed-default': { type: 'boolean', default: 'true' },
  'default-resource-stickiness': { type: 'integer', default: '0' },
};

const PROPERTY_SET_ID = 'cib-bootstrap-options';

function checkPropertyValue(name: string, value: string): string {
  const p = KNOWN_PROPERTIES[name];
  if (!p) return value;
  switch (p.type) {
    case 'boolean':
      if (/^(true|yes|on|1|y)$/i.test(value)) return 'true';
      if (/^(false|no|off|0|n)$/i.test(value)) return 'false';
      throw new CliError(`bad value '${value}' for property ${name}: use true or false`);
    case 'duration':
      checkDuration(value, `value for property ${name}`);
      return value;
    case 'integer':
      if (!/^-?\d+$/.test(value)) throw new CliError(`bad value '${value}' for property ${name}: use an integer`);
      return value;
    case 'enum':
      if (!p.values!.includes(value)) throw new CliError(`bad value '${value}' for property ${name}: use one of ${p.values!.join(', ')}`);
      return value;
    default:
      return value;
  }
}

function propertySetElement(conf: XmlElement): XmlElement {
  const crm = section(conf, 'crm_config');
  let set = crm.children.find((c) => c.name === 'cluster_property_set' && c.attrs.id === PROPERTY_SET_ID);
  if (!set) {
    set = el('cluster_property_set', { id: PROPERTY_SET_ID });
    crm.children.unshift(set);
  }
  return set;
}

/** `property set NAME=VALUE...` (an empty value unsets). Unknown names need force. */
export function propertySet(input: XmlElement, values: Record<string, string>, opts: { force?: boolean } = {}): EditResult {
  const conf = cloneTree(input);
  const entries = Object.entries(values);
  if (entries.length === 0) throw new CliError('property set needs NAME=VALUE, e.g. tandem property set stonith-enabled=false');
  const set = propertySetElement(conf);
  const notes: string[] = [];
  for (const [name, value] of entries) {
    if (!KNOWN_PROPERTIES[name] && !opts.force) {
      const near = Object.keys(KNOWN_PROPERTIES).filter((k) => k.includes(name) || name.includes(k.split('-')[0]!)).slice(0, 3);
      throw new CliError(`unknown property '${name}'${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; use --force to set it anyway`);
    }
    const pair = set.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
    if (value === '') {
      if (pair) set.children = set.children.filter((c) => c !== pair);
      notes.push(`unset ${name}`);
      continue;
    }
    const v = checkPropertyValue(name, value);
    if (pair) pair.attrs.value = v;
    else set.children.push(el('nvpair', { id: `${PROPERTY_SET_ID}-${name}`, name, value: v }));
  }
  return { config: validate(conf), notes };
}

/** `property unset NAME...`. */
export function propertyUnset(input: XmlElement, names: string[]): EditResult {
  const conf = cloneTree(input);
  if (names.length === 0) throw new CliError('property unset needs a property name');
  const crm = section(conf, 'crm_config');
  for (const name of names) {
    let found = false;
    for (const set of crm.children.filter((c) => c.name === 'cluster_property_set')) {
      const before = set.children.length;
      set.children = set.children.filter((c) => !(c.name === 'nvpair' && c.attrs.name === name));
      if (set.children.length !== before) found = true;
    }
    if (!found) throw new CliError(`property '${name}' is not set (see tandem property list)`);
  }
  return { config: validate(conf), notes: [] };
}

/** crm_config properties as set (first set wins, as the scheduler reads them). */
export function propertyList(conf: XmlElement): Record<string, string> {
  const crm = conf.children.find((c) => c.name === 'crm_config');
  const out: Record<string, string> = {};
  for (const set of crm?.children.filter((c) => c.name === 'cluster_property_set') ?? []) {
    for (const p of set.children) if (p.name === 'nvpair' && p.attrs.name && !(p.attrs.name in out)) out[p.attrs.name] = p.attrs.value ?? '';
  }
  return out;
}

// ---- nodes ------------------------------------------------------------------------------------

const NODE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

/** `node add NAME [id=ID]`: a `<node>` in the configuration (tandemd joins it on start). */
export function nodeAdd(input: XmlElement, name: string, opts: { id?: string } = {}): EditResult {
  const conf = cloneTree(input);
  if (!NODE_NAME.test(name)) throw new CliError(`bad node name '${name}': use a host name (letters, digits, '.', '-', '_')`);
  if (nodeNames(conf).includes(name)) throw new CliError(`node '${name}' already exists`);
  const nodes = section(conf, 'nodes');
  const used = new Set(nodes.children.map((n) => n.attrs.id));
  let id = opts.id;
  if (id !== undefined) {
    if (used.has(id)) throw new CliError(`duplicate id '${id}': a node already has it; choose another node id`);
  } else {
    let n = 1;
    while (used.has(String(n))) n++;
    id = String(n);
  }
  nodes.children.push(el('node', { id, uname: name }));
  return { config: validate(conf), notes: [`added node '${name}' (id ${id})`] };
}

/** `node remove NAME`: the `<node>` and the location constraints that name it. */
export function nodeRemove(input: XmlElement, name: string): EditResult {
  const conf = cloneTree(input);
  const node = requireNode(conf, name);
  const nodes = section(conf, 'nodes');
  nodes.children = nodes.children.filter((n) => n !== node);
  const notes = [`removed node '${name}'`];
  const cons = section(conf, 'constraints');
  cons.children = cons.children.filter((c) => {
    if (c.name === 'rsc_location' && c.attrs.node === name) {
      notes.push(`removed location constraint '${c.attrs.id}' that named it`);
      return false;
    }
    return true;
  });
  const topo = conf.children.find((c) => c.name === 'fencing-topology');
  if (topo) {
    topo.children = topo.children.filter((l) => {
      if (l.attrs.target === name) notes.push(`removed fencing level '${l.attrs.id}' for it`);
      return l.attrs.target !== name;
    });
  }
  return { config: validate(conf), notes };
}

/** A permanent node attribute (instance_attributes of `<node>`): standby=on, maintenance=on. */
export function nodeAttribute(input: XmlElement, names: string[], attr: string, value: string | undefined): EditResult {
  const conf = cloneTree(input);
  if (names.length === 0) throw new CliError(`which node? e.g. tandem node ${attr === 'standby' ? 'standby' : 'maintenance'} node1 (or --all)`);
  const notes: string[] = [];
  for (const name of names) {
    const node = requireNode(conf, name);
    const before = nvAll(node, 'instance_attributes')[attr];
    nvSet(conf, node, 'instance_attributes', attr, value, `nodes-${node.attrs.id}`);
    if ((before ?? undefined) === value) notes.push(`${name}: ${attr} was already ${value ?? 'off'}`);
  }
  return { config: validate(conf), notes };
}

// ---- fencing ----------------------------------------------------------------------------------

/** `stonith create ID AGENT [name=value...] [op ...] [meta ...]`: a class=stonith primitive. */
export function stonithCreate(
  input: XmlElement,
  spec: { id: string; agent: string; params?: Record<string, string>; ops?: OpSpec[]; meta?: Record<string, string>; disabled?: boolean },
): EditResult {
  const type = spec.agent.replace(/^stonith:/, '');
  if (!/^fence_[A-Za-z0-9_]+$/.test(type) && type !== 'external' && !type.startsWith('external/')) {
    throw new CliError(`bad fence agent '${spec.agent}': fence agents are named fence_*, e.g. fence_ipmilan (see tandem stonith list)`);
  }
  const params = spec.params ?? {};
  for (const k of ['pcmk_host_list', 'pcmk_host_map']) {
    if (params[k] !== undefined) {
      const conf = input;
      const hosts = params[k]!.split(/[\s,;]+/).filter(Boolean).map((h) => h.split(':')[0]!);
      const known = nodeNames(conf);
      const missing = hosts.filter((h) => !known.includes(h));
      if (known.length && missing.length) throw new CliError(`unknown node '${missing[0]}' in ${k}; known nodes: ${known.join(', ')}`);
    }
  }
  const res = resourceCreate(input, {
    id: spec.id,
    agent: { class: 'stonith', type },
    params,
    ops: spec.ops ?? [{ name: 'monitor', attrs: { interval: '60s' } }],
    meta: spec.meta ?? {},
    ...(spec.disabled ? { disabled: true } : {}),
  });
  return res;
}

// ---- setup ------------------------------------------------------------------------------------

/** `cluster setup NAME NODE...`: an initial configuration with the cluster name and the nodes. */
export function initialConfiguration(clusterName: string, nodes: string[], opts: { properties?: Record<string, string> } = {}): XmlElement {
  checkIdSyntax(clusterName.replace(/^[0-9]/, '_'), 'cluster name');
  if (nodes.length === 0) throw new CliError('cluster setup needs at least one node: tandem cluster setup NAME NODE1 [NODE2...]');
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n)) throw new CliError(`node '${n}' is listed twice`);
    seen.add(n);
  }
  let conf = emptyConfiguration();
  conf = propertySet(conf, { 'cluster-name': clusterName, ...(opts.properties ?? {}) }).config;
  for (const n of nodes) conf = nodeAdd(conf, n).config;
  return validate(conf);
}
