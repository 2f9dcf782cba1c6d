// Constraint edits, with pcs's argument forms: location prefers/avoids/rule, colocation add,
// order add, resource sets, remove by id, and a list for `constraint list`.
import type { XmlElement } from '../../cib/xml.ts';
import { CliError } from '../errors.ts';
import { normalizeRoleArg, requireNode, resourceElements } from './resources.ts';
import { checkIdSyntax, checkScore, cloneTree, definedIds, el, freshId, requireNewId, section, validate, type EditResult } from './tree.ts';

/** A constraint must name resources that exist: the one-line error lists what does. */
function requireRsc(conf: XmlElement, id: string, role: string): void {
  const all = resourceElements(conf);
  if (all.has(id)) return;
  const names = [...all.keys()];
  throw new CliError(`constraint names a missing id: ${role} '${id}' is not a resource${names.length ? ` (resources: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''})` : ''}`);
}

function addConstraint(conf: XmlElement, c: XmlElement): void {
  section(conf, 'constraints').children.push(c);
}

function scoreWord(s: string): string {
  return s.replace(/^-/, 'minus-').replace(/^\+/, '');
}

// ---- location ---------------------------------------------------------------------------------

export interface LocationNodeSpec {
  node: string;
  score?: string;
}

/** `constraint location RSC prefers|avoids NODE[=SCORE]...`: one rsc_location per node. */
export function locationPrefers(input: XmlElement, rsc: string, mode: 'prefers' | 'avoids', nodes: LocationNodeSpec[], opts: { id?: string; role?: string } = {}): EditResult {
  const conf = cloneTree(input);
  requireRsc(conf, rsc, 'resource');
  if (nodes.length === 0) throw new CliError(`constraint location ${rsc} ${mode} needs at least one NODE[=SCORE]`);
  if (opts.id && nodes.length > 1) throw new CliError('id= can only be given with a single node');
  const notes: string[] = [];
  const taken = definedIds(conf);
  for (const n of nodes) {
    requireNode(conf, n.node);
    let score = checkScore(n.score ?? 'INFINITY');
    if (mode === 'avoids') score = score.startsWith('-') ? score.slice(1) : `-${score}`;
    const id = opts.id ?? freshId(conf, `location-${rsc}-${n.node}-${scoreWord(score)}`, taken);
    if (opts.id) requireNewId(conf, id, 'constraint id');
    addConstraint(conf, el('rsc_location', { id, rsc, ...(opts.role ? { role: normalizeRoleArg(opts.role) } : {}), node: n.node, score }));
    notes.push(`added location constraint '${id}' (${rsc} ${score.startsWith('-') ? 'avoids' : 'prefers'} ${n.node} with ${score})`);
  }
  return { config: validate(conf), notes };
}

const ATTR_OPS = ['lt', 'gt', 'lte', 'gte', 'eq', 'ne'];
const TYPES = ['string', 'integer', 'number', 'version'];

/**
 * Parses pcs's rule expressions into a <rule>: `defined ATTR`, `not_defined ATTR`,
 * `ATTR OP [TYPE] VALUE` (OP: lt gt lte gte eq ne), `date gt|lt DATE`, `date in_range DATE to DATE`,
 * joined by `and` or `or` (one kind per rule).
 */
export function parseRule(conf: XmlElement, ruleId: string, words: string[], score: string, role: string | undefined, taken: Set<string>): XmlElement {
  if (words.length === 0) throw new CliError("rule needs an expression, e.g. 'rule #uname eq node1' or 'rule defined pingd'");
  const exprs: XmlElement[] = [];
  let boolOp: string | undefined;
  let i = 0;
  const next = (what: string): string => {
    const w = words[i++];
    if (w === undefined) throw new CliError(`rule '${words.join(' ')}' ends early: expected ${what}`);
    return w;
  };
  while (i < words.length) {
    const w = next('an expression');
    const eid = () => freshId(conf, `${ruleId}-expr`, taken);
    if (w === 'defined' || w === 'not_defined') {
      exprs.push(el('expression', { id: eid(), attribute: next('an attribute name'), operation: w }));
    } else if (w === 'date') {
      const op = next('gt, lt or in_range');
      if (op === 'gt') exprs.push(el('date_expression', { id: eid(), operation: 'gt', start: checkDate(next('a date')) }));
      else if (op === 'lt') exprs.push(el('date_expression', { id: eid(), operation: 'lt', end: checkDate(next('a date')) }));
      else if (op === 'in_range') {
        const start = checkDate(next('a start date'));
        if (next("'to'") !== 'to') throw new CliError("rule: write 'date in_range START to END'");
        exprs.push(el('date_expression', { id: eid(), operation: 'in_range', start, end: checkDate(next('an end date')) }));
      } else throw new CliError(`rule: unknown date operation '${op}': use gt, lt or in_range`);
    } else {
      const op = next('an operation (lt gt lte gte eq ne)');
      if (!ATTR_OPS.includes(op)) throw new CliError(`rule: unknown operation '${op}' after '${w}': use one of ${ATTR_OPS.join(' ')}, or 'defined ${w}'`);
      let type = 'string';
      let value = next('a value');
      if (TYPES.includes(value) && i < words.length && !['and', 'or'].includes(words[i]!)) {
        type = value;
        value = next('a value');
      } else if (/^-?\d+$/.test(value) && op !== 'eq' && op !== 'ne') type = 'integer';
      exprs.push(el('expression', { id: eid(), attribute: w, operation: op, value, type }));
    }
    if (i < words.length) {
      const b = next("'and' or 'or'");
      if (b !== 'and' && b !== 'or') throw new CliError(`rule: expected 'and' or 'or', found '${b}'`);
      if (boolOp && boolOp !== b) throw new CliError("rule: mixing 'and' and 'or' in one rule is not supported; add a second rule constraint");
      boolOp = b;
    }
  }
  return el('rule', { id: ruleId, score, ...(role ? { role } : {}), 'boolean-op': boolOp ?? 'and' }, exprs);
}

function checkDate(text: string): string {
  if (!Number.isFinite(Date.parse(text))) throw new CliError(`rule: '${text}' is not an ISO 8601 date, e.g. 2030-01-31T12:00:00Z`);
  return text;
}

/** `constraint location RSC rule [id=ID] [score=S] [role=R] EXPRESSION`. */
export function locationRule(input: XmlElement, rsc: string, words: string[], opts: { id?: string; score?: string; role?: string } = {}): EditResult {
  const conf = cloneTree(input);
  requireRsc(conf, rsc, 'resource');
  const taken = definedIds(conf);
  const id = opts.id ?? freshId(conf, `location-${rsc}`, taken);
  if (opts.id) requireNewId(conf, id, 'constraint id');
  taken.add(id);
  const score = checkScore(opts.score ?? 'INFINITY');
  const rule = parseRule(conf, freshId(conf, `${id}-rule`, taken), words, score, opts.role ? normalizeRoleArg(opts.role) : undefined, taken);
  addConstraint(conf, el('rsc_location', { id, rsc }, [rule]));
  return { config: validate(conf), notes: [`added location constraint '${id}' with rule: ${words.join(' ')}`] };
}

// ---- colocation -------------------------------------------------------------------------------

export interface ColocationSpec {
  rsc: string;
  withRsc: string;
  score?: string;
  rscRole?: string;
  withRole?: string;
  id?: string;
}

/** `constraint colocation add [ROLE] A with [ROLE] B [SCORE] [id=ID]`. */
export function colocationAdd(input: XmlElement, spec: ColocationSpec): EditResult {
  const conf = cloneTree(input);
  requireRsc(conf, spec.rsc, 'resource');
  requireRsc(conf, spec.withRsc, 'with-resource');
  if (spec.rsc === spec.withRsc) throw new CliError(`a resource cannot be colocated with itself ('${spec.rsc}')`);
  const score = checkScore(spec.score ?? 'INFINITY');
  const id = spec.id ?? freshId(conf, `colocation-${spec.rsc}-${spec.withRsc}-${scoreWord(score)}`);
  if (spec.id) requireNewId(conf, id, 'constraint id');
  const attrs: Record<string, string> = { id, score, rsc: spec.rsc, 'with-rsc': spec.withRsc };
  if (spec.rscRole) attrs['rsc-role'] = normalizeRoleArg(spec.rscRole);
  if (spec.withRole) attrs['with-rsc-role'] = normalizeRoleArg(spec.withRole);
  addConstraint(conf, el('rsc_colocation', attrs));
  return { config: validate(conf), notes: [`added colocation constraint '${id}' (${spec.rsc} with ${spec.withRsc}, ${score})`] };
}

// ---- order ------------------------------------------------------------------------------------

export interface OrderSpec {
  first: string;
  then: string;
  firstAction?: string;
  thenAction?: string;
  kind?: string;
  symmetrical?: boolean;
  id?: string;
}

const ACTIONS = ['start', 'stop', 'promote', 'demote'];

function checkAction(a: string | undefined): string {
  const x = a ?? 'start';
  if (!ACTIONS.includes(x)) throw new CliError(`bad action '${x}': use start, stop, promote or demote`);
  return x;
}

function checkKind(k: string | undefined): string | undefined {
  if (k === undefined) return undefined;
  const m = ['Mandatory', 'Optional', 'Serialize'].find((x) => x.toLowerCase() === k.toLowerCase());
  if (!m) throw new CliError(`bad kind '${k}': use Mandatory, Optional or Serialize`);
  return m;
}

function checkBool(v: string, what: string): string {
  if (/^(true|yes|on|1)$/i.test(v)) return 'true';
  if (/^(false|no|off|0)$/i.test(v)) return 'false';
  throw new CliError(`bad ${what} '${v}': use true or false`);
}

/** `constraint order [ACTION] A then [ACTION] B [kind=K] [symmetrical=BOOL] [id=ID]`. */
export function orderAdd(input: XmlElement, spec: OrderSpec): EditResult {
  const conf = cloneTree(input);
  requireRsc(conf, spec.first, 'first resource');
  requireRsc(conf, spec.then, 'then resource');
  if (spec.first === spec.then) throw new CliError(`a resource cannot be ordered against itself ('${spec.first}')`);
  const fa = checkAction(spec.firstAction);
  const ta = checkAction(spec.thenAction);
  const kind = checkKind(spec.kind);
  const id = spec.id ?? freshId(conf, `order-${spec.first}-${spec.then}-${(kind ?? 'Mandatory').toLowerCase()}`);
  if (spec.id) requireNewId(conf, id, 'constraint id');
  const attrs: Record<string, string> = { id, first: spec.first, 'first-action': fa, then: spec.then, 'then-action': ta };
  if (kind) attrs.kind = kind;
  if (spec.symmetrical !== undefined) attrs.symmetrical = String(spec.symmetrical);
  addConstraint(conf, el('rsc_order', attrs));
  return { config: validate(conf), notes: [`added order constraint '${id}' (${fa} ${spec.first} then ${ta} ${spec.then}${kind ? `, ${kind}` : ''})`] };
}

// ---- sets -------------------------------------------------------------------------------------

export interface SetSpec {
  resources: string[];
  options: Record<string, string>;
}

const SET_OPTIONS = ['sequential', 'require-all', 'action', 'role', 'score', 'kind', 'ordering', 'id'];

/**
 * Splits `set A B sequential=false set C D [setoptions k=v...]` into sets and constraint options.
 */
export function parseSets(words: string[]): { sets: SetSpec[]; options: Record<string, string> } {
  const sets: SetSpec[] = [];
  const options: Record<string, string> = {};
  let mode: 'none' | 'set' | 'opts' = 'none';
  for (const w of words) {
    if (w === 'set') {
      sets.push({ resources: [], options: {} });
      mode = 'set';
      continue;
    }
    if (w === 'setoptions') {
      mode = 'opts';
      continue;
    }
    if (mode === 'none') throw new CliError(`expected 'set' before '${w}': write set A B [sequential=false] set C [setoptions score=INFINITY]`);
    const kv = /^([a-z-]+)=(.*)$/.exec(w);
    if (mode === 'opts') {
      if (!kv) throw new CliError(`setoptions takes name=value, not '${w}'`);
      options[kv[1]!] = kv[2]!;
    } else if (kv) {
      if (!SET_OPTIONS.includes(kv[1]!)) throw new CliError(`unknown set option '${kv[1]}': use ${SET_OPTIONS.join(', ')}`);
      sets[sets.length - 1]!.options[kv[1]!] = kv[2]!;
    } else {
      sets[sets.length - 1]!.resources.push(w);
    }
  }
  if (sets.length === 0) throw new CliError('a set constraint needs at least one set: set A B [set C ...]');
  for (const s of sets) if (s.resources.length === 0) throw new CliError("each 'set' needs at least one resource");
  return { sets, options };
}

/** `constraint colocation|order set ...`: rsc_colocation / rsc_order with resource_set children. */
export function setConstraint(input: XmlElement, kind: 'colocation' | 'order', words: string[]): EditResult {
  const conf = cloneTree(input);
  const { sets, options } = parseSets(words);
  for (const s of sets) for (const r of s.resources) requireRsc(conf, r, 'set member');
  const taken = definedIds(conf);
  const base = `${kind === 'order' ? 'order' : 'colocation'}_set_${sets.map((s) => s.resources.join('')).join('_')}`;
  const id = options.id ?? freshId(conf, base.slice(0, 60), taken);
  if (options.id) requireNewId(conf, id, 'constraint id');
  taken.add(id);
  const attrs: Record<string, string> = { id };
  for (const [k, v] of Object.entries(options)) {
    if (k === 'id') continue;
    if (kind === 'colocation' && k === 'score') attrs.score = checkScore(v);
    else if (kind === 'order' && k === 'kind') attrs.kind = checkKind(v)!;
    else if (kind === 'order' && k === 'symmetrical') attrs.symmetrical = checkBool(v, 'symmetrical');
    else throw new CliError(`unknown setoption '${k}' for ${kind}: use ${kind === 'order' ? 'kind, symmetrical' : 'score'} or id`);
  }
  if (kind === 'colocation' && attrs.score === undefined) attrs.score = 'INFINITY';
  const setEls = sets.map((s, n) => {
    const sid = s.options.id ?? freshId(conf, `${id}-set-${n + 1}`, taken);
    if (s.options.id) checkIdSyntax(sid, 'set id');
    const a: Record<string, string> = { id: sid };
    for (const [k, v] of Object.entries(s.options)) {
      if (k === 'id') continue;
      if (k === 'sequential' || k === 'require-all') a[k] = checkBool(v, k);
      else if (k === 'role') a.role = normalizeRoleArg(v);
      else if (k === 'action') a.action = checkAction(v);
      else if (k === 'score') a.score = checkScore(v);
      else if (k === 'kind') a.kind = checkKind(v)!;
      else a[k] = v;
    }
    return el('resource_set', a, s.resources.map((r) => el('resource_ref', { id: r })));
  });
  addConstraint(conf, el(kind === 'order' ? 'rsc_order' : 'rsc_colocation', attrs, setEls));
  return { config: validate(conf), notes: [`added ${kind} set constraint '${id}' (${sets.map((s) => `(${s.resources.join(' ')})`).join(' ')})`] };
}

// ---- remove / list ----------------------------------------------------------------------------

/** `constraint remove ID...` (also `constraint delete`). */
export function constraintRemove(input: XmlElement, ids: string[]): EditResult {
  const conf = cloneTree(input);
  if (ids.length === 0) throw new CliError('constraint remove needs at least one constraint id (see tandem constraint list --full)');
  const cons = section(conf, 'constraints');
  const notes: string[] = [];
  for (const id of ids) {
    const i = cons.children.findIndex((c) => c.attrs.id === id);
    if (i < 0) {
      const known = cons.children.map((c) => c.attrs.id).filter(Boolean);
      throw new CliError(`unknown constraint '${id}'${known.length ? `; constraints: ${known.slice(0, 8).join(', ')}${known.length > 8 ? ', ...' : ''}` : '; there are no constraints'}`);
    }
    notes.push(`removed constraint '${id}'`);
    cons.children.splice(i, 1);
  }
  return { config: validate(conf), notes };
}

/** One constraint as `constraint list --json` shows it. */
export interface ConstraintInfo {
  id: string;
  type: 'location' | 'colocation' | 'order' | 'ticket';
  /** The pcs-style one-line description. */
  text: string;
  attrs: Record<string, string>;
  sets?: { id: string; resources: string[]; options: Record<string, string> }[];
}

function ruleText(r: XmlElement): string {
  const parts = r.children.map((e) => {
    if (e.name === 'expression') return e.attrs.value !== undefined ? `${e.attrs.attribute} ${e.attrs.operation} ${e.attrs.value}` : `${e.attrs.operation} ${e.attrs.attribute}`;
    if (e.name === 'date_expression') return `date ${e.attrs.operation} ${[e.attrs.start, e.attrs.end].filter(Boolean).join(' to ')}`;
    if (e.name === 'rule') return `(${ruleText(e)})`;
    return e.name;
  });
  return parts.join(` ${r.attrs['boolean-op'] ?? 'and'} `);
}

export function constraintList(conf: XmlElement): ConstraintInfo[] {
  const cons = conf.children.find((c) => c.name === 'constraints');
  const out: ConstraintInfo[] = [];
  for (const c of cons?.children ?? []) {
    const a = c.attrs;
    const type = c.name.replace('rsc_', '') as ConstraintInfo['type'];
    const sets = c.children
      .filter((s) => s.name === 'resource_set')
      .map((s) => {
        const { id, ...options } = s.attrs;
        return { id: id ?? '', resources: s.children.filter((r) => r.name === 'resource_ref').map((r) => r.attrs.id ?? ''), options };
      });
    const setText = sets.map((s) => `set ${s.resources.join(' ')}${Object.entries(s.options).map(([k, v]) => ` ${k}=${v}`).join('')}`).join(' ');
    let text: string;
    switch (type) {
      case 'location': {
        const rules = c.children.filter((r) => r.name === 'rule');
        const who = a.rsc ?? (a['rsc-pattern'] ? `pattern ${a['rsc-pattern']}` : setText);
        if (a.node) {
          const s = a.score ?? '0';
          text = `${who} ${s.startsWith('-') ? `avoids ${a.node} (score ${s})` : `prefers ${a.node} (score ${s})`}`;
        } else text = `${who} ${rules.map((r) => `rule (score ${r.attrs.score ?? r.attrs['score-attribute'] ?? '0'}): ${ruleText(r)}`).join('; ')}`;
        if (a.role) text += ` (role ${a.role})`;
        break;
      }
      case 'colocation':
        text = sets.length
          ? `${setText} (score ${a.score ?? 'INFINITY'})`
          : `${a['rsc-role'] ? `${a['rsc-role']} ` : ''}${a.rsc} with ${a['with-rsc-role'] ? `${a['with-rsc-role']} ` : ''}${a['with-rsc']} (score ${a.score})`;
        break;
      case 'order':
        text = sets.length
          ? `${setText}${a.kind ? ` (kind ${a.kind})` : ''}`
          : `${a['first-action'] ?? 'start'} ${a.first} then ${a['then-action'] ?? a['first-action'] ?? 'start'} ${a.then}${a.kind ? ` (kind ${a.kind})` : a.score ? ` (score ${a.score})` : ''}${a.symmetrical === 'false' ? ' (non-symmetrical)' : ''}`;
        break;
      default:
        text = `${a.rsc ?? setText} depends on ticket ${a.ticket}`;
    }
    out.push({ id: a.id ?? '', type, text, attrs: { ...a }, ...(sets.length ? { sets } : {}) });
  }
  return out;
}
