// Evaluation of CIB rules (attribute, date, resource and operation expressions) and the unpacking
// of attribute sets: sets are taken highest score first, and the first value of a name wins.
import type { AttributeExpression, AttributeSet, DateExpression, Expression, Role, Rule } from './model.ts';
import { addDuration, calendarFields, parseIsoDateTime, type CalendarFields } from './iso8601.ts';
import { parseScore } from './score.ts';

export interface RuleContext {
  /** Seconds since the epoch. */
  now: number;
  /** Node attributes, including the built-in #uname, #id, #kind, #is_dc, #cluster-name. */
  nodeAttrs?: ReadonlyMap<string, string>;
  role?: Role;
  rsc?: { class?: string; provider?: string; type?: string };
  op?: { name: string; intervalMs: number };
  /** Resource parameters and meta-attributes, for value-source="param"/"meta". */
  params?: ReadonlyMap<string, string>;
  meta?: ReadonlyMap<string, string>;
  /** Regular-expression submatches of rsc-pattern, for %0..%9 in expression values. */
  matches?: string[];
}

export function evaluateRule(rule: Rule, ctx: RuleContext): boolean {
  if (rule.expressions.length === 0) return true;
  if (rule.booleanOp === 'or') return rule.expressions.some((e) => evaluateExpression(e, ctx));
  return rule.expressions.every((e) => evaluateExpression(e, ctx));
}

export function evaluateExpression(e: Expression, ctx: RuleContext): boolean {
  switch (e.kind) {
    case 'rule':
      return evaluateRule(e, ctx);
    case 'attribute':
      return evaluateAttribute(e, ctx);
    case 'date':
      return evaluateDate(e, ctx.now);
    case 'rsc':
      if (!ctx.rsc) return true;
      return (
        (e.class === undefined || e.class === ctx.rsc.class) &&
        (e.provider === undefined || e.provider === ctx.rsc.provider) &&
        (e.type === undefined || e.type === ctx.rsc.type)
      );
    case 'op': {
      if (!ctx.op) return true;
      if (e.name !== ctx.op.name) return false;
      if (e.interval === undefined) return true;
      return intervalOf(e.interval) === ctx.op.intervalMs;
    }
  }
}

function intervalOf(text: string): number {
  const m = /^(\d+)\s*(ms|s|m|min|h)?$/.exec(text.trim());
  if (!m) return -1;
  const mult = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 }[m[2] ?? 's'] ?? 1000;
  return Number(m[1]) * mult;
}

function expandMatches(text: string, matches: string[] | undefined): string {
  if (!matches) return text;
  return text.replace(/%(\d)/g, (_, d: string) => matches[Number(d)] ?? '');
}

function evaluateAttribute(e: AttributeExpression, ctx: RuleContext): boolean {
  const attrName = expandMatches(e.attribute, ctx.matches);
  const left = ctx.nodeAttrs?.get(attrName);
  let right = e.value === undefined ? undefined : expandMatches(e.value, ctx.matches);
  if (right !== undefined && e.valueSource !== 'literal') {
    right = (e.valueSource === 'param' ? ctx.params : ctx.meta)?.get(right);
  }
  switch (e.operation) {
    case 'defined':
      return left !== undefined;
    case 'not_defined':
      return left === undefined;
  }
  if (left === undefined || right === undefined) return e.operation === 'ne';
  let type = e.type;
  if (!e.typeExplicit) {
    // Without an explicit type, ordering comparisons are numeric, equality is textual.
    if (['lt', 'gt', 'lte', 'gte'].includes(e.operation)) type = left.includes('.') || right.includes('.') ? 'number' : 'integer';
    else type = 'string';
  }
  const cmp = compareValues(type, left, right);
  switch (e.operation) {
    case 'eq':
      return cmp === 0;
    case 'ne':
      return cmp !== 0;
    case 'lt':
      return cmp < 0;
    case 'lte':
      return cmp <= 0;
    case 'gt':
      return cmp > 0;
    case 'gte':
      return cmp >= 0;
  }
}

function compareValues(type: AttributeExpression['type'], l: string, r: string): number {
  if (type === 'integer' || type === 'number') {
    const a = type === 'integer' ? parseIntStrict(l) : parseFloatStrict(l);
    const b = type === 'integer' ? parseIntStrict(r) : parseFloatStrict(r);
    if (a !== undefined && b !== undefined) return a === b ? 0 : a < b ? -1 : 1;
    return compareStrings(l, r);
  }
  if (type === 'version') return compareVersions(l, r);
  return compareStrings(l, r);
}

function compareStrings(l: string, r: string): number {
  const a = l.toLowerCase();
  const b = r.toLowerCase();
  return a === b ? 0 : a < b ? -1 : 1;
}

function parseIntStrict(v: string): number | undefined {
  const m = /^\s*[+-]?\d+/.exec(v);
  return m ? Number(m[0]) : undefined;
}

function parseFloatStrict(v: string): number | undefined {
  const n = parseFloat(v);
  return Number.isNaN(n) ? undefined : n;
}

export function compareVersions(l: string, r: string): number {
  const a = l.split('.').map((x) => parseInt(x, 10) || 0);
  const b = r.split('.').map((x) => parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const d = (a[i] ?? 0) - (b[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function evaluateDate(e: DateExpression, now: number): boolean {
  const start = e.start !== undefined ? parseIsoDateTime(e.start) : undefined;
  let end = e.end !== undefined ? parseIsoDateTime(e.end) : undefined;
  switch (e.operation) {
    case 'gt':
      return start !== undefined && now > start;
    case 'lt':
      return end !== undefined && now < end;
    case 'in_range':
      if (end === undefined && start !== undefined && e.duration) end = addDuration(start, e.duration);
      if (start === undefined && end === undefined) return false;
      return (start === undefined || now >= start) && (end === undefined || now <= end);
    case 'date_spec':
      return e.dateSpec ? matchesDateSpec(e.dateSpec.fields, calendarFields(now)) : false;
  }
}

function matchesDateSpec(fields: Record<string, string | undefined>, cal: CalendarFields): boolean {
  for (const [name, range] of Object.entries(fields)) {
    if (range === undefined || name === 'moon') continue;
    const value = cal[name as keyof CalendarFields];
    if (value === undefined) continue;
    const m = /^\s*(\d+)?\s*(-)?\s*(\d+)?\s*$/.exec(range);
    if (!m) return false;
    const lo = m[1] !== undefined ? Number(m[1]) : undefined;
    const hi = m[2] ? (m[3] !== undefined ? Number(m[3]) : undefined) : lo;
    if (lo !== undefined && value < lo) return false;
    if (hi !== undefined && value > hi) return false;
  }
  return true;
}

/** Sets sorted as Pacemaker applies them: by score, highest first; an optional id always first. */
export function orderSets(sets: readonly AttributeSet[], firstId?: string): AttributeSet[] {
  const indexed = sets.map((s, i) => ({ s, i, score: parseScore(s.score) }));
  indexed.sort((a, b) => {
    if (firstId !== undefined) {
      if (a.s.id === firstId && b.s.id !== firstId) return -1;
      if (b.s.id === firstId && a.s.id !== firstId) return 1;
    }
    return b.score - a.score || a.i - b.i;
  });
  return indexed.map((x) => x.s);
}

/**
 * Unpacks attribute sets into a map: sets whose rule fails are skipped, and the first value seen
 * for a name wins (so higher-scored sets override lower ones). With `into`, names already present
 * are kept (defaults are applied after a resource's own values this way).
 */
export function unpackSets(
  sets: readonly AttributeSet[],
  ctx: RuleContext,
  into: Map<string, string> = new Map(),
  opts: { firstId?: string; overwrite?: boolean } = {},
): Map<string, string> {
  for (const set of orderSets(sets, opts.firstId)) {
    if (set.rule && !evaluateRule(set.rule, ctx)) continue;
    for (const nv of set.nvpairs) {
      if (nv.value === undefined) continue;
      if (opts.overwrite || !into.has(nv.name)) into.set(nv.name, nv.value);
    }
  }
  return into;
}
