// Helpers the configuration edits share: a `<configuration>` element tree (src/cib/xml.ts) is
// copied, changed, checked and handed back whole. Element order and every id the edit does not
// touch stay as they were, so an exported configuration round-trips.
import { parseCibElement } from '../../cib/parse.ts';
import { CibError, type XmlElement } from '../../cib/xml.ts';
import { parseScore } from '../../cib/score.ts';
import { parseDurationMs } from '../../cib/duration.ts';
import { CliError } from '../errors.ts';

/** What an edit produced: the new `<configuration>` and what the user should be told about it. */
export interface EditResult {
  config: XmlElement;
  /** Side effects worth a line each ("removed constraint location-x"). */
  notes: string[];
}

export function el(name: string, attrs: Record<string, string> = {}, children: XmlElement[] = []): XmlElement {
  return { name, attrs: { ...attrs }, children };
}

export function cloneTree(e: XmlElement): XmlElement {
  const out: XmlElement = { name: e.name, attrs: { ...e.attrs }, children: e.children.map(cloneTree) };
  if (e.line !== undefined) out.line = e.line;
  return out;
}

/** An empty configuration: the four sections every CIB has. */
export function emptyConfiguration(): XmlElement {
  return el('configuration', {}, [el('crm_config'), el('nodes'), el('resources'), el('constraints')]);
}

/** The named section of `<configuration>`, created (in schema order) if missing. */
export function section(conf: XmlElement, name: string): XmlElement {
  const found = conf.children.find((c) => c.name === name);
  if (found) return found;
  const order = ['crm_config', 'nodes', 'resources', 'constraints', 'fencing-topology', 'op_defaults', 'rsc_defaults', 'acls', 'tags', 'alerts'];
  const made = el(name);
  const rank = order.indexOf(name);
  const at = conf.children.findIndex((c) => order.indexOf(c.name) > rank);
  if (at < 0) conf.children.push(made);
  else conf.children.splice(at, 0, made);
  return made;
}

export function* walk(e: XmlElement, parent?: XmlElement): Generator<{ el: XmlElement; parent: XmlElement | undefined }> {
  yield { el: e, parent };
  for (const c of e.children) yield* walk(c, e);
}

/** Ids that count as definitions (references and node ids live apart, as in the CIB parser). */
export function definedIds(conf: XmlElement): Set<string> {
  const ids = new Set<string>();
  for (const { el: e } of walk(conf)) {
    if (e.attrs.id === undefined || e.attrs['id-ref'] !== undefined) continue;
    if (['resource_ref', 'obj_ref', 'node'].includes(e.name)) continue;
    ids.add(e.attrs.id);
  }
  return ids;
}

export function findById(conf: XmlElement, id: string): { el: XmlElement; parent: XmlElement } | undefined {
  for (const { el: e, parent } of walk(conf)) {
    if (parent && e.attrs.id === id && e.attrs['id-ref'] === undefined && e.name !== 'node') return { el: e, parent };
  }
  return undefined;
}

const ID_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** An XML id as Pacemaker accepts it (an NCName). */
export function checkIdSyntax(id: string, what: string): void {
  if (!ID_RE.test(id)) {
    throw new CliError(`invalid ${what} '${id}': an id starts with a letter or '_' and holds only letters, digits, '_', '.', '-'`);
  }
}

/** Refuses an id already defined anywhere in the configuration. */
export function requireNewId(conf: XmlElement, id: string, what: string): void {
  checkIdSyntax(id, what);
  const found = findById(conf, id);
  if (found) throw new CliError(`duplicate id '${id}': a <${found.el.name}> already has it; choose another ${what}`);
}

/** A fresh id from a base: base, base-1, base-2, ... (ids made the way pcs makes them). */
export function freshId(conf: XmlElement, base: string, taken: Set<string> = definedIds(conf)): string {
  let id = base.replace(/[^A-Za-z0-9_.-]/g, '_');
  if (!/^[A-Za-z_]/.test(id)) id = `_${id}`;
  let out = id;
  for (let i = 1; taken.has(out); i++) out = `${id}-${i}`;
  taken.add(out);
  return out;
}

/** A score as written in constraints: INFINITY, -INFINITY, +INFINITY or an integer. */
export function checkScore(text: string, what = 'score'): string {
  const t = text.trim();
  if (/^[+-]?(INFINITY|inf)$/i.test(t)) return t.toLowerCase().startsWith('-') ? '-INFINITY' : 'INFINITY';
  if (/^[+-]?\d+$/.test(t)) return String(parseScore(t));
  throw new CliError(`bad ${what} '${text}': use an integer, INFINITY or -INFINITY`);
}

/** A time span as Pacemaker writes it (30s, 1min, 500ms, PT1M); returns it as given. */
export function checkDuration(text: string, what: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch {
    throw new CliError(`bad ${what} '${text}': use a number with an optional unit (ms, s, min, h), e.g. 30s`);
  }
  if (!Number.isFinite(ms) || ms < 0) throw new CliError(`bad ${what} '${text}': must not be negative, e.g. 30s`);
  return ms;
}

/** The value of an nvpair in a set, if any. */
export function nvGet(set: XmlElement | undefined, name: string): string | undefined {
  return set?.children.find((c) => c.name === 'nvpair' && c.attrs.name === name)?.attrs.value;
}

/**
 * Sets (or with value '' / undefined removes) name=value in the first attribute set `setName`
 * under `owner`, creating the set as `<ownerId>-<setName>` when there is none.
 */
export function nvSet(conf: XmlElement, owner: XmlElement, setName: string, name: string, value: string | undefined, setIdBase?: string): void {
  let set = owner.children.find((c) => c.name === setName && c.attrs['id-ref'] === undefined && !c.children.some((r) => r.name === 'rule'));
  if (value === undefined || value === '') {
    if (!set) return;
    set.children = set.children.filter((c) => !(c.name === 'nvpair' && c.attrs.name === name));
    if (set.children.length === 0) owner.children = owner.children.filter((c) => c !== set);
    return;
  }
  if (!set) {
    set = el(setName, { id: freshId(conf, `${setIdBase ?? owner.attrs.id ?? owner.name}-${setName}`) });
    insertSet(owner, set);
  }
  const pair = set.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
  if (pair) pair.attrs.value = value;
  else set.children.push(el('nvpair', { id: freshId(conf, `${set.attrs.id}-${name}`), name, value }));
}

/** Attribute sets go before <operations> and child resources, as pcs writes them. */
function insertSet(owner: XmlElement, set: XmlElement): void {
  const order: Record<string, number> = { instance_attributes: 1, meta_attributes: 2, utilization: 3 };
  const rank = order[set.name] ?? 2;
  const at = owner.children.findIndex((c) => (order[c.name] ?? 9) > rank);
  if (at < 0) owner.children.push(set);
  else owner.children.splice(at, 0, set);
}

/** Every nvpair name=value under sets named `setName` directly under `owner`. */
export function nvAll(owner: XmlElement, setName: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const set of owner.children.filter((c) => c.name === setName)) {
    for (const p of set.children) if (p.name === 'nvpair' && p.attrs.name) out[p.attrs.name] = p.attrs.value ?? '';
  }
  return out;
}

/**
 * Checks the edited configuration with the same parser the store and the scheduler use, so an
 * edit can never store something they would refuse. A problem becomes one CliError line.
 */
export function validate(conf: XmlElement): XmlElement {
  try {
    parseCibElement({ name: 'cib', attrs: {}, children: [conf] }, 'edited configuration');
  } catch (err) {
    if (err instanceof CibError) throw new CliError(err.message.split('\n')[0]!);
    throw err;
  }
  return conf;
}
