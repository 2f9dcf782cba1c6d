// Constraints in resolved form: references to tags, templates and patterns expanded to resources,
// resource sets turned into the pairwise colocations and orderings they mean. A constraint that
// names something that does not exist is skipped with a warning, as Pacemaker does.
import type { ColocationConstraint, LocationConstraint, OrderConstraint, ResourceSet, Role, Rule } from '../cib/model.ts';
import { evaluateRule } from '../cib/rules.ts';
import { INFINITY, addScores, parseScore } from '../cib/score.ts';
import type { Colocation, Location, Node, Resource, ResourceOrder, Task, WorkingSet } from './types.ts';
import { ticketFor } from './unpack/tickets.ts';

/** Resolves an id to the resources it names: a resource, every member of a tag, or a template's users. */
export function resolveRef(ws: WorkingSet, id: string): Resource[] {
  const r = ws.resourcesById.get(id);
  if (r && !r.orphan) return [r];
  const tag = ws.cib.configuration.tags.find((t) => t.id === id);
  if (tag) return tag.refs.flatMap((ref) => resolveRef(ws, ref));
  if (ws.cib.configuration.templates.some((t) => t.id === id)) {
    const users: Resource[] = [];
    for (const res of ws.resourcesById.values()) {
      if (res.kind === 'primitive' && res.config.kind === 'primitive' && res.config.template === id && res.instanceNumber === undefined) users.push(res);
    }
    return users;
  }
  return [];
}

function every(ws: WorkingSet, id: string | undefined, constraintId: string): Resource[] {
  if (id === undefined) return [];
  const rs = resolveRef(ws, id);
  if (rs.length === 0) ws.warnings.push(`Ignoring constraint '${constraintId}' because resource '${id}' does not exist`);
  return rs;
}

function single(ws: WorkingSet, id: string | undefined, constraintId: string): Resource | undefined {
  if (id === undefined) return undefined;
  const rs = resolveRef(ws, id);
  if (rs.length === 0) ws.warnings.push(`Ignoring constraint '${constraintId}' because resource '${id}' does not exist`);
  return rs[0];
}

// ---- locations ----

function nodeScoreFromRule(ws: WorkingSet, rule: Rule, node: Node, matches?: string[], role?: Role): number | undefined {
  const ctx = matches ? { now: ws.now, nodeAttrs: node.attrs, matches } : { now: ws.now, nodeAttrs: node.attrs };
  if (role) Object.assign(ctx, { role });
  if (!evaluateRule(rule, ctx)) return undefined;
  if (rule.scoreAttribute !== undefined) {
    const v = node.attrs.get(rule.scoreAttribute);
    if (v === undefined) return undefined;
    return parseScore(v);
  }
  return parseScore(rule.score ?? '0');
}

function locationFor(ws: WorkingSet, c: LocationConstraint, rsc: Resource, matches?: string[]): Location {
  const loc: Location = { id: c.id, rsc, discovery: c.resourceDiscovery ?? 'always', nodes: new Map() };
  if (c.role) loc.role = c.role;
  if (c.node !== undefined) {
    const node = ws.nodesByName.get(c.node);
    if (node) loc.nodes.set(node.id, parseScore(c.score));
  } else {
    for (const rule of c.rules) {
      for (const node of ws.nodes) {
        const s = nodeScoreFromRule(ws, rule, node, matches, rule.role);
        if (s === undefined) continue;
        loc.nodes.set(node.id, addScores(loc.nodes.get(node.id) ?? 0, s));
      }
      if (rule.role) loc.role = rule.role;
    }
  }
  return loc;
}

function unpackLocation(ws: WorkingSet, c: LocationConstraint): void {
  const add = (rsc: Resource, matches?: string[], role?: Role) => {
    const loc = locationFor(ws, c, rsc, matches);
    if (role) loc.role = role;
    ws.locations.push(loc);
    rsc.locations.push(loc);
  };
  if (c.rsc !== undefined) {
    const rs = resolveRef(ws, c.rsc);
    if (rs.length === 0) ws.warnings.push(`Ignoring constraint '${c.id}' because resource '${c.rsc}' does not exist`);
    for (const r of rs) add(r);
  } else if (c.rscPattern !== undefined) {
    let re: RegExp;
    try {
      re = new RegExp(c.rscPattern);
    } catch {
      ws.warnings.push(`Ignoring constraint '${c.id}': invalid rsc-pattern '${c.rscPattern}'`);
      return;
    }
    for (const r of ws.resources) {
      const m = re.exec(r.id);
      if (m) add(r, [...m].map((x) => x ?? ''));
    }
  }
  for (const set of c.sets) {
    for (const id of set.resources) for (const r of resolveRef(ws, id)) add(r, undefined, set.role);
  }
}

// ---- colocations ----

/** "Started" in a colocation means any role. */
function colocRole(role: Role | undefined): Role | undefined {
  return role === 'Started' ? undefined : role;
}

export function addColocation(ws: WorkingSet, id: string, dependent: Resource, primary: Resource, score: number, opts: { dependentRole?: Role | undefined; primaryRole?: Role | undefined; nodeAttribute?: string | undefined; influence?: boolean | undefined } = {}): void {
  if (score === 0) return;
  if (dependent === primary) return;
  const c: Colocation = {
    id,
    dependent,
    primary,
    score,
    nodeAttribute: opts.nodeAttribute ?? '#uname',
    influence: opts.influence ?? (dependent.meta.get('critical') === undefined ? true : dependent.critical),
  };
  const dr = colocRole(opts.dependentRole);
  const pr = colocRole(opts.primaryRole);
  if (dr) c.dependentRole = dr;
  if (pr) c.primaryRole = pr;
  ws.colocations.push(c);
  insertByPriority(dependent.thisWithColocations, c, (x) => x.primary);
  insertByPriority(primary.withThisColocations, c, (x) => x.dependent);
}

/** Colocations are considered in order of the other resource's priority, highest first. */
function insertByPriority(list: Colocation[], c: Colocation, other: (c: Colocation) => Resource): void {
  const p = other(c).priority;
  let i = list.length;
  while (i > 0 && other(list[i - 1]!).priority < p) i--;
  list.splice(i, 0, c);
}

function unpackColocation(ws: WorkingSet, c: ColocationConstraint): void {
  const score = parseScore(c.score);
  if (c.sets.length === 0) {
    // A tag or template stands for each resource it names.
    const deps = every(ws, c.rsc, c.id);
    const pris = every(ws, c.withRsc, c.id);
    for (const dep of deps) {
      for (const pri of pris) addColocation(ws, c.id, dep, pri, score, { dependentRole: c.rscRole, primaryRole: c.withRscRole, nodeAttribute: c.nodeAttribute, influence: c.influence });
    }
    return;
  }
  const setRes = (s: ResourceSet) => s.resources.flatMap((id) => resolveRef(ws, id));
  // Within a sequential set each member follows the one before it.
  for (const s of c.sets) {
    const local = s.score !== undefined ? parseScore(s.score) : score;
    const members = setRes(s);
    if (s.sequential === false) continue;
    for (let i = 1; i < members.length; i++) {
      addColocation(ws, c.id, members[i]!, members[i - 1]!, local, { dependentRole: s.role, primaryRole: s.role, nodeAttribute: c.nodeAttribute, influence: c.influence });
    }
  }
  // Between sets, each set follows the next one.
  for (let i = 0; i + 1 < c.sets.length; i++) {
    const s1 = c.sets[i]!;
    const s2 = c.sets[i + 1]!;
    const m1 = setRes(s1);
    const m2 = setRes(s2);
    const dep = s1.sequential !== false ? m1[0] : undefined;
    const pri = s2.sequential !== false ? m2[m2.length - 1] : undefined;
    const opts = { dependentRole: s1.role, primaryRole: s2.role, nodeAttribute: c.nodeAttribute, influence: c.influence };
    if (dep && pri) addColocation(ws, c.id, dep, pri, score, opts);
    else if (dep) for (const p of m2) addColocation(ws, c.id, dep, p, score, opts);
    else if (pri) for (const d of m1) addColocation(ws, c.id, d, pri, score, opts);
    else for (const d of m1) for (const p of m2) addColocation(ws, c.id, d, p, score, opts);
  }
}

// ---- orderings (resolved to resource-level tasks; action-level edges are built later) ----

function taskOf(action: string | undefined): Task {
  switch (action ?? 'start') {
    case 'start':
      return 'start';
    case 'stop':
      return 'stop';
    case 'promote':
      return 'promote';
    case 'demote':
      return 'demote';
    default:
      return 'start';
  }
}

function orderKind(c: OrderConstraint): 'Mandatory' | 'Optional' | 'Serialize' {
  if (c.orderKind === 'Mandatory' || c.orderKind === 'Optional' || c.orderKind === 'Serialize') return c.orderKind;
  if (c.score !== undefined) return parseScore(c.score) === 0 ? 'Optional' : 'Mandatory';
  return 'Mandatory';
}

function invertTask(t: Task): Task {
  switch (t) {
    case 'start':
      return 'stop';
    case 'stop':
      return 'start';
    case 'promote':
      return 'demote';
    case 'demote':
      return 'promote';
    default:
      return t;
  }
}

function pushOrder(ws: WorkingSet, o: ResourceOrder): void {
  ws.orderings.push(o);
}

function addOrderPair(ws: WorkingSet, id: string, first: Resource, firstTask: Task, then: Resource, thenTask: Task, kind: ResourceOrder['kind'], symmetrical: boolean, requireAll = true): void {
  // require-all=false on an order with a clone first means one instance is enough (clone-min 1).
  const cloneMin = first.kind === 'clone' ? Number(first.meta.get('clone-min') ?? (requireAll ? 0 : 1)) : 0;
  if (cloneMin > 0 && kind === 'Mandatory' && firstTask === 'start') {
    // "then" needs at least clone-min instances able to start.
    pushOrder(ws, { id, first, firstTask, then, thenTask, kind, symmetrical: false, oneOf: first.children, oneOfId: `clone-one-or-more:${id}`, minRequired: cloneMin });
  } else {
    pushOrder(ws, { id, first, firstTask, then, thenTask, kind, symmetrical });
  }
  if (symmetrical && kind !== 'Serialize') {
    pushOrder(ws, { id, first: then, firstTask: invertTask(thenTask), then: first, thenTask: invertTask(firstTask), kind, symmetrical: false });
  }
}

function unpackOrder(ws: WorkingSet, c: OrderConstraint): void {
  const kind = orderKind(c);
  const symmetrical = c.symmetrical ?? kind !== 'Serialize';
  if (c.sets.length === 0) {
    for (const first of every(ws, c.first, c.id)) {
      for (const then of every(ws, c.then, c.id)) addOrderPair(ws, c.id, first, taskOf(c.firstAction), then, taskOf(c.thenAction ?? c.firstAction), kind, symmetrical, c.requireAll !== false);
    }
    return;
  }
  const setRes = (s: ResourceSet) => s.resources.flatMap((id) => resolveRef(ws, id));
  for (const s of c.sets) {
    if (s.sequential === false) continue;
    const m = setRes(s);
    const t = taskOf(s.action);
    const k = s.kind ? (s.kind as ResourceOrder['kind']) : kind;
    for (let i = 1; i < m.length; i++) addOrderPair(ws, c.id, m[i - 1]!, t, m[i]!, t, k, symmetrical);
  }
  for (let i = 0; i + 1 < c.sets.length; i++) {
    const s1 = c.sets[i]!;
    const s2 = c.sets[i + 1]!;
    const m1 = setRes(s1);
    const m2 = setRes(s2);
    const t1 = taskOf(s1.action);
    const t2 = taskOf(s2.action);
    if (s1.requireAll === false) {
      // "then" needs any one member of the first set.
      for (const then of s2.sequential === false ? m2 : m2.slice(0, 1)) {
        pushOrder(ws, { id: c.id, first: m1[0]!, firstTask: t1, then, thenTask: t2, kind, symmetrical: false, oneOf: m1, oneOfId: `one-or-more:${s1.id}` });
      }
      continue;
    }
    const firsts = s1.sequential === false ? m1 : m1.slice(-1);
    const thens = s2.sequential === false ? m2 : m2.slice(0, 1);
    for (const f of firsts) for (const t of thens) addOrderPair(ws, c.id, f, t1, t, t2, kind, symmetrical);
  }
}

function unpackTicketConstraint(ws: WorkingSet, c: import('../cib/model.ts').TicketConstraint): void {
  const ticket = ticketFor(ws, c.ticket);
  const targets: { rsc: Resource; role?: Role }[] = [];
  if (c.rsc !== undefined) for (const r of resolveRef(ws, c.rsc)) targets.push(c.rscRole ? { rsc: r, role: c.rscRole } : { rsc: r });
  for (const s of c.sets) for (const id of s.resources) for (const r of resolveRef(ws, id)) targets.push(s.role ? { rsc: r, role: s.role } : { rsc: r });
  for (const t of targets) {
    ws.ticketDeps.push({ ticket: ticket.id, rsc: t.rsc, role: t.role, lossPolicy: c.lossPolicy ?? 'stop', id: c.id });
  }
}

/** Each member of a (collocated) group runs with the member before it. */
function groupColocations(ws: WorkingSet): void {
  const visit = (r: Resource): void => {
    if (r.kind === 'group') {
      const collocated = r.meta.get('collocated');
      if (collocated === undefined || /^(true|yes|1|on)$/i.test(collocated)) {
        for (let i = 1; i < r.children.length; i++) addColocation(ws, `${r.id}-internal`, r.children[i]!, r.children[i - 1]!, INFINITY);
      }
    }
    for (const c of r.children) visit(c);
  };
  for (const r of ws.resources) visit(r);
}

export function unpackConstraints(ws: WorkingSet): void {
  groupColocations(ws);
  for (const c of ws.cib.configuration.constraints) {
    switch (c.kind) {
      case 'location':
        unpackLocation(ws, c);
        break;
      case 'colocation':
        unpackColocation(ws, c);
        break;
      case 'order':
        unpackOrder(ws, c);
        break;
      case 'ticket':
        unpackTicketConstraint(ws, c);
        break;
    }
  }
}
