// Resource edits, as pcs's `resource` verbs make them: create (with group, clone, promotable),
// update, delete (with the constraints that name it), enable/disable, move/ban/clear.
// Every function is pure: it takes a `<configuration>` element and returns a changed copy.
import type { XmlElement } from '../../cib/xml.ts';
import { CliError } from '../errors.ts';
import {
  checkDuration,
  checkIdSyntax,
  cloneTree,
  definedIds,
  el,
  findById,
  freshId,
  nvGet,
  nvSet,
  requireNewId,
  section,
  validate,
  walk,
  type EditResult,
} from './tree.ts';

export const RESOURCE_ELEMENTS = ['primitive', 'group', 'clone', 'master', 'bundle'];

export interface AgentSpec {
  class: string;
  provider?: string;
  type: string;
}

export interface OpSpec {
  name: string;
  /** interval, timeout, role, on-fail, ... as given. */
  attrs: Record<string, string>;
}

export interface ResourceCreateSpec {
  id: string;
  agent: AgentSpec;
  params?: Record<string, string>;
  ops?: OpSpec[];
  meta?: Record<string, string>;
  /** Put it in this group (created when missing). */
  group?: string;
  /** Position in the group: before/after this member (default: last). */
  before?: string;
  after?: string;
  /** Wrap it in a clone (meta given) / promotable clone. */
  clone?: { id?: string; meta: Record<string, string> };
  promotable?: { id?: string; meta: Record<string, string> };
  /** Create with target-role=Stopped. */
  disabled?: boolean;
  /** Operations the agent's meta-data declares, added where the user gave none of that name. */
  defaultOps?: OpSpec[];
}

export function agentText(a: AgentSpec): string {
  return a.provider ? `${a.class}:${a.provider}:${a.type}` : `${a.class}:${a.type}`;
}

/** Every resource element (primitive, group, clone, master, bundle) by id. */
export function resourceElements(conf: XmlElement): Map<string, { el: XmlElement; parent: XmlElement }> {
  const out = new Map<string, { el: XmlElement; parent: XmlElement }>();
  const resources = conf.children.find((c) => c.name === 'resources');
  if (!resources) return out;
  for (const { el: e, parent } of walk(resources)) {
    if (parent && RESOURCE_ELEMENTS.includes(e.name) && e.attrs.id) out.set(e.attrs.id, { el: e, parent });
  }
  return out;
}

/** The resource element with this id, or a CliError naming the ones that exist. */
export function requireResource(conf: XmlElement, id: string): { el: XmlElement; parent: XmlElement } {
  const all = resourceElements(conf);
  const found = all.get(id);
  if (found) return found;
  const names = [...all.keys()];
  const hint = names.length ? `known resources: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}` : 'there are no resources yet (tandem resource create)';
  throw new CliError(`unknown resource '${id}'; ${hint}`);
}

export function nodeNames(conf: XmlElement): string[] {
  const nodes = conf.children.find((c) => c.name === 'nodes');
  return (nodes?.children ?? []).filter((n) => n.name === 'node').map((n) => n.attrs.uname ?? n.attrs.id ?? '');
}

export function requireNode(conf: XmlElement, name: string): XmlElement {
  const nodes = section(conf, 'nodes');
  const found = nodes.children.find((n) => n.name === 'node' && (n.attrs.uname === name || (n.attrs.uname === undefined && n.attrs.id === name)));
  if (found) return found;
  const names = nodeNames(conf);
  throw new CliError(`unknown node '${name}'; ${names.length ? `known nodes: ${names.join(', ')}` : 'no nodes are configured (tandem node add NAME)'}`);
}

function opElement(conf: XmlElement, rscId: string, op: OpSpec, taken: Set<string>): XmlElement {
  if (!/^[a-z][a-z0-9_-]*$/i.test(op.name)) throw new CliError(`bad operation name '${op.name}': e.g. op monitor interval=30s`);
  const attrs = { ...op.attrs };
  const interval = attrs.interval ?? '0s';
  checkDuration(interval, `interval for op ${op.name}`);
  for (const k of ['timeout', 'start-delay']) if (attrs[k] !== undefined) checkDuration(attrs[k]!, `${k} for op ${op.name}`);
  if (attrs.role !== undefined) attrs.role = normalizeRoleArg(attrs.role);
  delete attrs.interval;
  const id = op.attrs.id ?? freshId(conf, `${rscId}-${op.name}-interval-${interval}`, taken);
  if (op.attrs.id) {
    checkIdSyntax(id, 'operation id');
    if (taken.has(id)) throw new CliError(`duplicate id '${id}': choose another operation id`);
    taken.add(id);
  }
  delete attrs.id;
  return el('op', { id, name: op.name, interval, ...attrs });
}

/** Role words pcs accepts, written as Pacemaker 2.1 writes them. */
export function normalizeRoleArg(role: string): string {
  switch (role.toLowerCase()) {
    case 'promoted':
    case 'master':
      return 'Promoted';
    case 'unpromoted':
    case 'slave':
      return 'Unpromoted';
    case 'started':
      return 'Started';
    case 'stopped':
      return 'Stopped';
  }
  throw new CliError(`bad role '${role}': use Promoted, Unpromoted, Started or Stopped`);
}

function attributeSet(conf: XmlElement, ownerId: string, setName: string, values: Record<string, string>, taken: Set<string>): XmlElement | undefined {
  const entries = Object.entries(values);
  if (entries.length === 0) return undefined;
  const id = freshId(conf, `${ownerId}-${setName}`, taken);
  return el(
    setName,
    { id },
    entries.map(([name, value]) => el('nvpair', { id: freshId(conf, `${id}-${name}`, taken), name, value })),
  );
}

function checkNames(values: Record<string, string> | undefined, what: string): void {
  for (const k of Object.keys(values ?? {})) {
    if (!/^[A-Za-z_#][A-Za-z0-9_.:-]*$/.test(k)) throw new CliError(`bad ${what} name '${k}': write name=value`);
  }
}

function sameOp(a: OpSpec, b: OpSpec): boolean {
  return a.name === b.name && (a.attrs.role ?? '') .toLowerCase() === (b.attrs.role ?? '').toLowerCase();
}

/** `resource create`: a primitive, alone, in a group, or wrapped in a (promotable) clone. */
export function resourceCreate(input: XmlElement, spec: ResourceCreateSpec): EditResult {
  const conf = cloneTree(input);
  const notes: string[] = [];
  requireNewId(conf, spec.id, 'resource id');
  const a = spec.agent;
  if (!a.type) throw new CliError(`bad agent '${agentText(a)}': write standard:provider:type, e.g. ocf:heartbeat:IPaddr2`);
  if (a.class === 'ocf' && !a.provider) throw new CliError(`bad agent 'ocf:${a.type}': an ocf agent needs a provider, e.g. ocf:heartbeat:${a.type}`);
  if (spec.group && (spec.clone || spec.promotable)) throw new CliError('--group cannot be combined with clone or promotable: clone the group instead (tandem resource create ... then clone the group)');
  if ((spec.before || spec.after) && !spec.group) throw new CliError('--before/--after need --group GROUP');
  if (spec.before && spec.after) throw new CliError('give either --before or --after, not both');
  checkNames(spec.params, 'parameter');
  checkNames(spec.meta, 'meta attribute');
  const taken = definedIds(conf);
  taken.add(spec.id);

  const meta = { ...(spec.meta ?? {}) };
  const prim = el('primitive', { id: spec.id, class: a.class, ...(a.provider ? { provider: a.provider } : {}), type: a.type });
  const ia = attributeSet(conf, spec.id, 'instance_attributes', spec.params ?? {}, taken);
  if (ia) prim.children.push(ia);
  const wrapped = spec.clone || spec.promotable;
  if (spec.disabled && !wrapped && !spec.group) meta['target-role'] = 'Stopped';
  const ma = attributeSet(conf, spec.id, 'meta_attributes', meta, taken);
  if (ma) prim.children.push(ma);
  const userOps = spec.ops ?? [];
  const ops = [...userOps, ...(spec.defaultOps ?? []).filter((d) => !userOps.some((u) => u.name === d.name))];
  if (ops.length) {
    prim.children.push(el('operations', {}, ops.map((o) => opElement(conf, spec.id, o, taken))));
  }

  const resources = section(conf, 'resources');
  if (spec.group) {
    checkIdSyntax(spec.group, 'group id');
    let group = resources.children.find((c) => c.name === 'group' && c.attrs.id === spec.group);
    if (!group) {
      requireNewId(conf, spec.group, 'group id');
      group = el('group', { id: spec.group });
      resources.children.push(group);
      notes.push(`created group '${spec.group}'`);
    }
    const anchor = spec.before ?? spec.after;
    let at = group.children.length;
    if (anchor !== undefined) {
      const i = group.children.findIndex((c) => c.name === 'primitive' && c.attrs.id === anchor);
      if (i < 0) {
        const members = group.children.filter((c) => c.name === 'primitive').map((c) => c.attrs.id);
        throw new CliError(`'${anchor}' is not a member of group '${spec.group}'${members.length ? ` (members: ${members.join(', ')})` : ''}`);
      }
      at = spec.before ? i : i + 1;
    }
    group.children.splice(at, 0, prim);
    if (spec.disabled) nvSet(conf, group, 'meta_attributes', 'target-role', 'Stopped');
  } else if (wrapped) {
    const w = (spec.promotable ?? spec.clone)!;
    const cloneId = w.id ?? `${spec.id}-clone`;
    requireNewId(conf, cloneId, 'clone id');
    taken.add(cloneId);
    const cmeta: Record<string, string> = { ...w.meta };
    checkNames(cmeta, 'clone meta attribute');
    if (spec.promotable) cmeta.promotable = 'true';
    if (spec.disabled) cmeta['target-role'] = 'Stopped';
    const clone = el('clone', { id: cloneId }, [prim]);
    const cma = attributeSet(conf, cloneId, 'meta_attributes', cmeta, taken);
    if (cma) clone.children.push(cma);
    resources.children.push(clone);
  } else {
    resources.children.push(prim);
  }
  return { config: validate(conf), notes };
}

/** `resource clone ID` / `resource promotable ID`: wraps an existing primitive or group. */
export function resourceClone(input: XmlElement, id: string, opts: { promotable?: boolean; cloneId?: string; meta?: Record<string, string> } = {}): EditResult {
  const conf = cloneTree(input);
  const { el: r, parent } = requireResource(conf, id);
  if (r.name !== 'primitive' && r.name !== 'group') throw new CliError(`'${id}' is a ${r.name}; only a primitive or a group can be cloned`);
  if (parent.name !== 'resources') throw new CliError(`'${id}' is inside ${parent.name} '${parent.attrs.id}'; clone that instead`);
  const cloneId = opts.cloneId ?? `${id}-clone`;
  requireNewId(conf, cloneId, 'clone id');
  const clone = el('clone', { id: cloneId }, [r]);
  const meta = { ...(opts.meta ?? {}), ...(opts.promotable ? { promotable: 'true' } : {}) };
  checkNames(meta, 'clone meta attribute');
  const taken = definedIds(conf);
  const ma = attributeSet(conf, cloneId, 'meta_attributes', meta, taken);
  if (ma) clone.children.push(ma);
  parent.children[parent.children.indexOf(r)] = clone;
  return { config: validate(conf), notes: [] };
}

/** `resource update ID [name=value...] [op NAME k=v...] [meta k=v...]`; an empty value removes. */
export function resourceUpdate(input: XmlElement, id: string, spec: { params?: Record<string, string>; meta?: Record<string, string>; ops?: OpSpec[] }): EditResult {
  const conf = cloneTree(input);
  const { el: r } = requireResource(conf, id);
  const notes: string[] = [];
  checkNames(spec.params, 'parameter');
  checkNames(spec.meta, 'meta attribute');
  const hasParams = Object.keys(spec.params ?? {}).length > 0;
  if (hasParams && r.name !== 'primitive') throw new CliError(`'${id}' is a ${r.name}: only primitives have parameters; use meta k=v`);
  if (!hasParams && !Object.keys(spec.meta ?? {}).length && !(spec.ops ?? []).length) {
    throw new CliError(`nothing to update for '${id}': give name=value, op NAME interval=..., or meta name=value`);
  }
  for (const [k, v] of Object.entries(spec.params ?? {})) nvSet(conf, r, 'instance_attributes', k, v);
  for (const [k, v] of Object.entries(spec.meta ?? {})) nvSet(conf, r, 'meta_attributes', k, v);
  if ((spec.ops ?? []).length) {
    if (r.name !== 'primitive') throw new CliError(`'${id}' is a ${r.name}: only primitives have operations`);
    let ops = r.children.find((c) => c.name === 'operations');
    if (!ops) {
      ops = el('operations');
      r.children.push(ops);
    }
    const taken = definedIds(conf);
    for (const o of spec.ops!) {
      // pcs replaces the operation of that name (and role) with the new definition.
      const old = ops.children.filter((c) => c.name === 'op' && sameOp({ name: c.attrs.name ?? '', attrs: c.attrs }, o));
      for (const x of old) {
        taken.delete(x.attrs.id ?? '');
        notes.push(`replaced operation ${x.attrs.name} interval=${x.attrs.interval}`);
      }
      const made = opElement(conf, id, o, taken);
      const i = old.length ? ops.children.indexOf(old[0]!) : -1;
      ops.children = ops.children.filter((c) => !old.includes(c));
      if (i >= 0) ops.children.splice(i, 0, made);
      else ops.children.push(made);
    }
  }
  return { config: validate(conf), notes };
}

/** Ids a constraint element names (rsc, with-rsc, first, then, resource_ref in sets). */
function constraintRefs(c: XmlElement): string[] {
  const out: string[] = [];
  for (const k of ['rsc', 'with-rsc', 'first', 'then']) if (c.attrs[k] !== undefined) out.push(c.attrs[k]!);
  for (const s of c.children) if (s.name === 'resource_set') for (const r of s.children) if (r.name === 'resource_ref' && r.attrs.id) out.push(r.attrs.id);
  return out;
}

/**
 * Removes references to `gone` from the constraints: constraints naming them directly go; sets lose
 * the members (and a set left empty goes; a constraint left without sets goes). Returns notes.
 */
export function dropConstraintsFor(conf: XmlElement, gone: Set<string>): string[] {
  const notes: string[] = [];
  const cons = conf.children.find((c) => c.name === 'constraints');
  if (cons) {
    const keep: XmlElement[] = [];
    for (const c of cons.children) {
      const direct = ['rsc', 'with-rsc', 'first', 'then'].some((k) => c.attrs[k] !== undefined && gone.has(c.attrs[k]!));
      if (direct) {
        notes.push(`removed constraint '${c.attrs.id}' (${c.name.replace('rsc_', '')}) that named it`);
        continue;
      }
      let touched = false;
      for (const s of c.children.filter((x) => x.name === 'resource_set')) {
        const before = s.children.length;
        s.children = s.children.filter((r) => !(r.name === 'resource_ref' && gone.has(r.attrs.id ?? '')));
        if (s.children.length !== before) touched = true;
      }
      const before = c.children.length;
      c.children = c.children.filter((s) => !(s.name === 'resource_set' && s.children.length === 0));
      const hadSets = before > 0 && c.children.some((x) => x.name === 'resource_set');
      if (touched && (!hadSets || (c.children.filter((x) => x.name === 'resource_set').length === 0))) {
        notes.push(`removed constraint '${c.attrs.id}' (${c.name.replace('rsc_', '')}): its sets named only removed resources`);
        continue;
      }
      if (touched) notes.push(`removed the resource from the sets of constraint '${c.attrs.id}'`);
      keep.push(c);
    }
    cons.children = keep;
  }
  const tags = conf.children.find((c) => c.name === 'tags');
  if (tags) {
    for (const t of tags.children) t.children = t.children.filter((r) => !gone.has(r.attrs.id ?? ''));
    tags.children = tags.children.filter((t) => t.children.length > 0);
  }
  return notes;
}

/** `resource delete ID`: the resource (a group with its members, a clone with what it holds). */
export function resourceDelete(input: XmlElement, id: string): EditResult {
  const conf = cloneTree(input);
  const { el: r, parent } = requireResource(conf, id);
  const notes: string[] = [];
  let target = r;
  let holder = parent;
  // Deleting the only thing inside a clone, or the last member of a group, removes the wrapper too.
  while ((holder.name === 'clone' || holder.name === 'master' || (holder.name === 'group' && holder.children.filter((c) => c.name === 'primitive').length === 1)) && holder.attrs.id) {
    notes.push(`removed ${holder.name} '${holder.attrs.id}' that held it`);
    const up = findById(conf, holder.attrs.id)!;
    target = holder;
    holder = up.parent;
  }
  const gone = new Set<string>();
  for (const { el: e } of walk(target)) if (RESOURCE_ELEMENTS.includes(e.name) && e.attrs.id) gone.add(e.attrs.id);
  holder.children = holder.children.filter((c) => c !== target);
  notes.push(...dropConstraintsFor(conf, gone));
  return { config: validate(conf), notes };
}

/** `resource enable|disable ID...`: target-role removed / set to Stopped. */
export function resourceSetEnabled(input: XmlElement, ids: string[], enabled: boolean): EditResult {
  const conf = cloneTree(input);
  if (ids.length === 0) throw new CliError(`resource ${enabled ? 'enable' : 'disable'} needs at least one resource id`);
  const notes: string[] = [];
  for (const id of ids) {
    const { el: r } = requireResource(conf, id);
    if (enabled) {
      // Enabling clears target-role on the resource and on what holds it / what it holds.
      for (const { el: e } of walk(r)) if (RESOURCE_ELEMENTS.includes(e.name)) nvSet(conf, e, 'meta_attributes', 'target-role', undefined);
      let up = findById(conf, id)?.parent;
      while (up && RESOURCE_ELEMENTS.includes(up.name)) {
        if (nvGet(up.children.find((c) => c.name === 'meta_attributes'), 'target-role') === 'Stopped') {
          nvSet(conf, up, 'meta_attributes', 'target-role', undefined);
          notes.push(`also enabled ${up.name} '${up.attrs.id}' that held it stopped`);
        }
        up = up.attrs.id ? findById(conf, up.attrs.id)?.parent : undefined;
      }
    } else {
      nvSet(conf, r, 'meta_attributes', 'target-role', 'Stopped');
    }
  }
  return { config: validate(conf), notes };
}

function isoDate(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function locationFor(conf: XmlElement, cid: string, rsc: string, node: string, score: string, role: string | undefined, lifetimeEnd: number | undefined): XmlElement {
  if (lifetimeEnd === undefined) return el('rsc_location', { id: cid, rsc, ...(role ? { role } : {}), node, score });
  const taken = definedIds(conf);
  return el('rsc_location', { id: cid, rsc, ...(role ? { role } : {}) }, [
    el('rule', { id: freshId(conf, `${cid}-rule`, taken), score, 'boolean-op': 'and' }, [
      el('expression', { id: freshId(conf, `${cid}-expr`, taken), attribute: '#uname', operation: 'eq', value: node, type: 'string' }),
      el('date_expression', { id: freshId(conf, `${cid}-lifetime`, taken), operation: 'lt', end: isoDate(lifetimeEnd) }),
    ]),
  ]);
}

export interface MoveOptions {
  /** How long the constraint holds (30min, PT1H); undefined: until `resource clear`. */
  lifetime?: string;
  /** Seconds since the epoch (for the lifetime's end). */
  now: number;
  /** For promotable clones: where the promoted role goes. */
  promoted?: boolean;
}

function lifetimeEnd(opts: MoveOptions): number | undefined {
  if (opts.lifetime === undefined) return undefined;
  const ms = checkDuration(opts.lifetime, 'lifetime');
  if (ms <= 0) throw new CliError(`bad lifetime '${opts.lifetime}': must be longer than 0, e.g. 30min`);
  return opts.now + Math.ceil(ms / 1000);
}

function replaceConstraint(conf: XmlElement, c: XmlElement): boolean {
  const cons = section(conf, 'constraints');
  const i = cons.children.findIndex((x) => x.attrs.id === c.attrs.id);
  if (i >= 0) cons.children[i] = c;
  else cons.children.push(c);
  return i >= 0;
}

function clearNote(rsc: string, lifetimeAt: number | undefined): string {
  return lifetimeAt === undefined
    ? `it stays until you run 'tandem resource clear ${rsc}'`
    : `it expires at ${isoDate(lifetimeAt)}; 'tandem resource clear ${rsc}' removes it sooner`;
}

/** `resource move ID NODE [lifetime=..]`: a cli-prefer-ID location constraint (INFINITY on NODE). */
export function resourceMove(input: XmlElement, id: string, node: string, opts: MoveOptions): EditResult {
  const conf = cloneTree(input);
  requireResource(conf, id);
  requireNode(conf, node);
  const end = lifetimeEnd(opts);
  const cid = `cli-prefer-${id}`;
  const c = locationFor(conf, cid, id, node, 'INFINITY', opts.promoted ? 'Promoted' : 'Started', end);
  const replaced = replaceConstraint(conf, c);
  const note = `${replaced ? 'replaced' : 'added'} location constraint '${cid}' (${id} prefers ${node} with INFINITY); ${clearNote(id, end)}`;
  return { config: validate(conf), notes: [note] };
}

/** `resource ban ID NODE [lifetime=..]`: a cli-ban-ID-on-NODE location constraint (-INFINITY). */
export function resourceBan(input: XmlElement, id: string, node: string, opts: MoveOptions): EditResult {
  const conf = cloneTree(input);
  requireResource(conf, id);
  requireNode(conf, node);
  const end = lifetimeEnd(opts);
  const cid = `cli-ban-${id}-on-${node}`;
  checkIdSyntax(cid, 'constraint id');
  const c = locationFor(conf, cid, id, node, '-INFINITY', opts.promoted ? 'Promoted' : undefined, end);
  const replaced = replaceConstraint(conf, c);
  const note = `${replaced ? 'replaced' : 'added'} location constraint '${cid}' (${id} avoids ${node} with -INFINITY); ${clearNote(id, end)}`;
  return { config: validate(conf), notes: [note] };
}

/** `resource clear ID [NODE]`: removes the cli-prefer-/cli-ban- constraints move and ban left. */
export function resourceClear(input: XmlElement, id: string, node?: string): EditResult {
  const conf = cloneTree(input);
  requireResource(conf, id);
  if (node !== undefined) requireNode(conf, node);
  const cons = section(conf, 'constraints');
  const removed: string[] = [];
  cons.children = cons.children.filter((c) => {
    const cid = c.attrs.id ?? '';
    const mine =
      c.name === 'rsc_location' &&
      c.attrs.rsc === id &&
      ((cid === `cli-prefer-${id}` && (node === undefined || preferNode(c) === node)) || (node === undefined ? cid.startsWith(`cli-ban-${id}-on-`) : cid === `cli-ban-${id}-on-${node}`));
    if (mine) removed.push(cid);
    return !mine;
  });
  const notes = removed.length ? removed.map((r) => `removed constraint '${r}'`) : [`no cli-prefer-/cli-ban- constraints for '${id}'${node ? ` on ${node}` : ''}: nothing to clear`];
  return { config: validate(conf), notes };
}

function preferNode(c: XmlElement): string | undefined {
  if (c.attrs.node) return c.attrs.node;
  for (const { el: e } of walk(c)) if (e.name === 'expression' && e.attrs.attribute === '#uname') return e.attrs.value;
  return undefined;
}
