// `tandem why RESOURCE`: where a resource runs, or why it cannot, as the score contributions that
// decided it, in plain words. Pure: computed from schedule(cib, now, {scores: true}) — whose
// allocation scores are the final word per node — and from the working set, re-evaluating the
// resource's location constraints, colocations, stickiness, fail counts, node states and
// utilization to say where each node's score came from. Placement code is not changed.
import type { Cib } from '../cib/model.ts';
import { INFINITY, addScores, scoreToString } from '../cib/score.ts';
import { schedule } from '../scheduler/index.ts';
import { descendants } from '../scheduler/unpack/resources.ts';
import { failCount } from '../scheduler/placement/scores.ts';
import type { Colocation, Node, Resource, WorkingSet } from '../scheduler/types.ts';
import { CliError } from './errors.ts';

export interface Contribution {
  /** location, colocation, stickiness, failcount, node, utilization, health, history, cluster, role */
  kind: string;
  /** Score added (a number; ±1000000 for ±INFINITY); null when it is a fact without a score. */
  score: number | null;
  text: string;
  /** Constraint id, when it comes from one. */
  id?: string;
}

export interface NodeExplanation {
  node: string;
  /** Final allocation score the scheduler gave this node (as crm_simulate shows it). */
  score: string;
  canRun: boolean;
  chosen: boolean;
  runningNow: boolean;
  contributions: Contribution[];
}

export interface WhyResult {
  resource: string;
  kind: string;
  agent?: string;
  /** Nodes where it is active now, and where the scheduler puts it. */
  runningOn: string[];
  placedOn: string[];
  role?: string;
  /** One plain sentence: the answer. */
  verdict: string;
  /** Facts that apply everywhere (disabled, cluster options, what it depends on). */
  general: string[];
  nodes: NodeExplanation[];
  /** The primitive (or instance) the node-by-node scores belong to. */
  scoredAs: string;
}

const s = (n: number) => scoreToString(n);
const byName = (a: string, b: string) => a.localeCompare(b, undefined, { numeric: true });
const signed = (n: number) => (n >= INFINITY ? '+INFINITY' : n <= -INFINITY ? '-INFINITY' : n >= 0 ? `+${n}` : String(n));

function ancestors(r: Resource): Resource[] {
  const out: Resource[] = [];
  for (let p: Resource | undefined = r; p; p = p.parent) out.push(p);
  return out;
}

function agentText(r: Resource): string | undefined {
  const a = r.agent;
  return a ? (a.provider ? `${a.class}:${a.provider}:${a.type}` : `${a.class}:${a.type}`) : undefined;
}

/** Nodes a resource (any kind) is placed on after scheduling, optionally in one role. */
function placedNodes(r: Resource, role?: string): Node[] {
  const out: Node[] = [];
  for (const d of descendants(r)) {
    if (d.kind !== 'primitive' || !d.assignedTo) continue;
    if (role === 'Promoted' && d.nextRole !== 'Promoted') continue;
    if (role === 'Unpromoted' && d.nextRole === 'Promoted') continue;
    if (!out.includes(d.assignedTo)) out.push(d.assignedTo);
  }
  return out;
}

function runningNodes(r: Resource): Node[] {
  const out: Node[] = [];
  for (const d of descendants(r)) for (const n of d.runningOn) if (!out.includes(n)) out.push(n);
  return out;
}

/** The last allocation score the scheduler logged for this resource on each node. */
function finalScores(lines: string[], id: string): Map<string, string> {
  const out = new Map<string, string>();
  const prefix = ` ${id} allocation score on `;
  for (const l of lines) {
    const i = l.indexOf(prefix);
    if (i < 0) continue;
    const rest = l.slice(i + prefix.length);
    const j = rest.lastIndexOf(': ');
    out.set(rest.slice(0, j), rest.slice(j + 2));
  }
  return out;
}

function nodeStateReason(ws: WorkingSet, n: Node): string | undefined {
  if (n.unclean) return `${n.name} is lost and not yet known to be stopped (waiting for fencing)`;
  if (!n.online) return `${n.name} is offline`;
  if (n.pending) return `${n.name} is still joining the cluster`;
  if (n.standby) return `${n.name} is in standby (tandem node unstandby ${n.name})`;
  if (n.maintenance) return `${n.name} is in maintenance: nothing starts or stops there (tandem node unmaintenance ${n.name})`;
  if (n.shutdown) return `${n.name} is shutting down`;
  if (n.remoteRequiresReset) return `${n.name}'s remote connection needs a reset`;
  void ws;
  return undefined;
}

function colocationText(c: Colocation, self: Resource): string {
  const role = (r: string | undefined) => (r && r !== 'Started' ? `${r.toLowerCase()} ` : '');
  const dep = c.dependent === self ? c.dependent.id : `${c.dependent.id} (which holds ${self.id})`;
  return `colocation '${c.id}': ${role(c.dependentRole)}${dep} with ${role(c.primaryRole)}${c.primary.id} (${s(c.score)})`;
}

function contributionsFor(ws: WorkingSet, subject: Resource, node: Node, chain: Resource[]): Contribution[] {
  const out: Contribution[] = [];
  const state = nodeStateReason(ws, node);
  if (state) out.push({ kind: 'node', score: null, text: state });
  if (!ws.options.symmetricCluster) {
    const allowed = ws.locations.some((l) => chain.includes(l.rsc) && (l.nodes.get(node.id) ?? -1) >= 0);
    if (!allowed) out.push({ kind: 'cluster', score: null, text: `symmetric-cluster=false: ${node.name} may only run resources a location constraint allows there, and none does` });
  }
  if (node.weight) out.push({ kind: 'node', score: node.weight, text: `node score of ${node.name}` });
  if (ws.options.nodeHealthStrategy !== 'none' && node.health) out.push({ kind: 'health', score: node.health, text: `node health of ${node.name} (node-health-strategy=${ws.options.nodeHealthStrategy})` });
  // Location constraints on the resource or anything that holds it.
  for (const loc of ws.locations) {
    if (!chain.includes(loc.rsc)) continue;
    const v = loc.nodes.get(node.id);
    if (v === undefined) continue;
    const on = loc.rsc === subject ? '' : ` (on ${loc.rsc.id}, which holds it)`;
    const hint = loc.id.startsWith('cli-ban-') ? ` — left by 'tandem resource ban'; 'tandem resource clear ${loc.rsc.id}' removes it` : loc.id.startsWith('cli-prefer-') ? ` — left by 'tandem resource move'; 'tandem resource clear ${loc.rsc.id}' removes it` : '';
    if (loc.role === 'Promoted' || loc.role === 'Unpromoted') {
      out.push({ kind: 'location', score: null, id: loc.id, text: `location constraint '${loc.id}'${on} for the ${loc.role.toLowerCase()} role: ${signed(v)} to promotion only${hint}` });
      continue;
    }
    out.push({ kind: 'location', score: v, id: loc.id, text: `location constraint '${loc.id}'${on}${v <= -INFINITY ? ' bans it from' : v < 0 ? ' keeps it away from' : ' prefers'} ${node.name}${hint}` });
  }
  // Stickiness on the current node.
  for (const d of descendants(subject)) {
    if (d.kind !== 'primitive' || !d.managed || d.stickiness === 0 || d.runningOn.length !== 1 || d.runningOn[0] !== node) continue;
    out.push({ kind: 'stickiness', score: d.stickiness, text: `resource-stickiness${d === subject ? '' : ` of ${d.id}`}: it runs on ${node.name} now` });
  }
  // Fail counts.
  for (const d of descendants(subject)) {
    if (d.kind !== 'primitive') continue;
    const fc = failCount(ws, d, node);
    if (fc <= 0) continue;
    const who = d === subject ? 'it' : d.id;
    if (d.migrationThreshold > 0 && fc >= d.migrationThreshold) {
      out.push({ kind: 'failcount', score: -INFINITY, text: `${who} failed ${s(fc)} time(s) on ${node.name}, migration-threshold is ${d.migrationThreshold} (tandem resource cleanup ${d.baseId} clears it)` });
    } else {
      out.push({ kind: 'failcount', score: null, text: `${who} failed ${s(fc)} time(s) on ${node.name}${d.migrationThreshold > 0 ? `; it leaves after ${d.migrationThreshold}` : ''}` });
    }
  }
  // Bans the operation history asks for (failed stops, hard errors, multiple-active recovery).
  for (const d of descendants(subject)) {
    for (const b of d.statusBans ?? []) {
      if (b.node && b.node !== node) continue;
      out.push({ kind: 'history', score: -INFINITY, text: `${d === subject ? 'it' : d.id}: ${b.reason}` });
    }
  }
  // Colocations where it (or what holds it) is the dependent.
  const seen = new Set<string>();
  for (const a of chain) {
    for (const c of [...a.thisWithColocations, ...(a.inheritedThisWith ?? [])]) {
      if (seen.has(c.id) || c.dependent !== a) continue;
      seen.add(c.id);
      const where = placedNodes(c.primary, c.primaryRole);
      const here = where.includes(node);
      const whereText = where.length ? `${c.primary.id}${c.primaryRole === 'Promoted' ? ' (promoted)' : ''} is placed on ${where.map((n) => n.name).join(', ')}` : `${c.primary.id} cannot run anywhere`;
      if (c.dependentRole === 'Promoted' || c.dependentRole === 'Unpromoted') {
        out.push({ kind: 'colocation', score: null, id: c.id, text: `${colocationText(c, subject)}: decides where the ${c.dependentRole.toLowerCase()} instance goes, not where instances run${here ? ` (${c.primary.id} is here)` : ''}` });
      } else if (c.score >= INFINITY) {
        if (!here) out.push({ kind: 'colocation', score: -INFINITY, id: c.id, text: `${colocationText(c, subject)}: must be on the same node, and ${whereText}` });
        else out.push({ kind: 'colocation', score: null, id: c.id, text: `${colocationText(c, subject)}: satisfied, ${c.primary.id} is here` });
      } else if (c.score <= -INFINITY) {
        if (here) out.push({ kind: 'colocation', score: -INFINITY, id: c.id, text: `${colocationText(c, subject)}: must not share a node, and ${c.primary.id} is here` });
      } else if (here && c.score !== 0) {
        out.push({ kind: 'colocation', score: c.score, id: c.id, text: `${colocationText(c, subject)}: ${c.primary.id} is here` });
      }
    }
  }
  // Utilization.
  if (ws.options.placementStrategy !== 'default') {
    const need = new Map<string, number>();
    for (const d of descendants(subject)) if (d.kind === 'primitive') for (const [k, v] of d.utilization) need.set(k, (need.get(k) ?? 0) + v);
    for (const [k, v] of need) {
      const capacity = node.utilization.get(k) ?? 0;
      let free = node.remainingCapacity.get(k) ?? capacity;
      for (const d of descendants(subject)) if (d.kind === 'primitive' && d.assignedTo === node) free += d.utilization.get(k) ?? 0;
      if (free < v) out.push({ kind: 'utilization', score: -INFINITY, text: `not enough ${k} on ${node.name}: needs ${v}, ${free} of ${capacity} free (placement-strategy=${ws.options.placementStrategy})` });
      else out.push({ kind: 'utilization', score: null, text: `${k}: needs ${v}, ${free} of ${capacity} free on ${node.name}` });
    }
  }
  return out;
}

/** The resource the user named, among top-level resources, members and clone instances. */
function findResource(ws: WorkingSet, id: string): Resource {
  const direct = ws.resourcesById.get(id);
  if (direct) return direct;
  for (const top of ws.resources) for (const d of descendants(top)) if (d.baseId === id || d.id.replace(/:\d+$/, '') === id) return d.parent?.kind === 'clone' ? d.parent : d;
  const names = ws.resources.map((r) => r.id);
  throw new CliError(`unknown resource '${id}'${names.length ? `; known resources: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', ...' : ''}` : '; there are no resources'}`);
}

/** The primitive whose scores stand for the resource: itself, a group's first member, a clone's first instance. */
function scoredSubject(r: Resource): Resource {
  if (r.kind === 'primitive') return r;
  if (r.kind === 'group') return r;
  const first = r.children.find((c) => c.assignedTo) ?? r.children[0];
  return first ? first : r;
}

function disabledBy(chain: Resource[]): Resource | undefined {
  return chain.find((a) => a.targetRole === 'Stopped');
}

export function why(cib: Cib, now: number, id: string): WhyResult {
  const { ws, scores } = schedule(cib, now, { scores: true });
  const r = findResource(ws, id);
  const subject = scoredSubject(r);
  const chain = ancestors(subject);
  const scoreId = subject.kind === 'group' ? (subject.children[0]?.id ?? subject.id) : subject.id;
  const finals = finalScores(scores, scoreId);
  const placed = placedNodes(r);
  const running = runningNodes(r);
  const general: string[] = [];

  const disabled = disabledBy(ancestors(r));
  if (disabled) general.push(`${disabled.id} has target-role=Stopped (tandem resource enable ${disabled.id})`);
  if (ws.options.stopAllResources) general.push('stop-all-resources=true: the cluster stops every resource (tandem property unset stop-all-resources)');
  if (ws.options.maintenanceMode) general.push('maintenance-mode=true: the cluster leaves every resource as it is (tandem property unset maintenance-mode)');
  if (!ws.haveQuorum && ws.options.noQuorumPolicy !== 'ignore') general.push(`the cluster has no quorum and no-quorum-policy=${ws.options.noQuorumPolicy}`);
  if (!r.managed) general.push(`${r.id} is unmanaged: the cluster does not start, stop or move it`);
  for (const a of chain) {
    for (const c of a.withThisColocations) if (c.influence && c.score !== 0 && Math.abs(c.score) < INFINITY) general.push(`${c.dependent.id} is colocated with ${a.id} (${s(c.score)}), so its preferences pull on ${a.id}'s placement too`);
  }
  for (const o of ws.orderings) {
    if (o.then === r && o.kind === 'Mandatory' && placedNodes(o.first).length === 0 && ['start', 'promote'].includes(o.firstTask)) {
      general.push(`order '${o.id}': ${o.then.id} may ${o.thenTask} only after ${o.first.id} ${o.firstTask}s, and ${o.first.id} cannot run`);
    }
  }

  const nodes: NodeExplanation[] = ws.nodes.map((n) => {
    const contributions = contributionsFor(ws, subject, n, chain);
    const final = finals.get(n.name);
    const sum = contributions.reduce((acc, c) => (c.score === null ? acc : addScores(acc, c.score)), 0);
    let score = final;
    if (score === undefined) {
      // The scheduler did not score this node (e.g. the resource never reached assignment).
      score = s(contributions.some((c) => c.kind === 'node' || c.kind === 'cluster') ? -INFINITY : sum);
    }
    const numeric = score === 'INFINITY' ? INFINITY : score === '-INFINITY' ? -INFINITY : Number(score);
    if (Number.isFinite(numeric) && Math.abs(numeric) < INFINITY && numeric !== sum && Math.abs(sum) < INFINITY) {
      contributions.push({ kind: 'other', score: numeric - sum, text: 'from resources colocated with it (their preferences) and instance spreading' });
    }
    const state = nodeStateReason(ws, n);
    return {
      node: n.name,
      score,
      canRun: !state && numeric > -INFINITY,
      chosen: placed.includes(n),
      runningNow: running.includes(n),
      contributions,
    };
  });
  const rank = (x: NodeExplanation) => (x.score === 'INFINITY' ? INFINITY : x.score === '-INFINITY' ? -INFINITY : Number(x.score));
  nodes.sort((a, b) => Number(b.chosen) - Number(a.chosen) || Number(b.canRun) - Number(a.canRun) || rank(b) - rank(a) || byName(a.node, b.node));

  const names = (ns: Node[]) => ns.map((n) => n.name).sort(byName).join(', ');
  let verdict: string;
  const promoted = r.kind === 'clone' && r.promotable ? placedNodes(r, 'Promoted') : [];
  if (placed.length) {
    const where = r.kind === 'clone' ? `${placed.length} instance(s) on ${names(placed)}${promoted.length ? `, promoted on ${names(promoted)}` : ''}` : names(placed);
    const moving = running.length && names(running) !== names(placed) ? ` (now on ${names(running)}: it will move)` : running.length ? '' : ' (not running yet: it will start)';
    const blocked = !ws.haveQuorum && ws.options.noQuorumPolicy !== 'ignore' && !running.length;
    verdict = blocked ? `${r.id} would run on ${where}, but the cluster has no quorum, so it does not start` : `${r.id} runs on ${where}${moving}`;
  } else if (disabled) {
    verdict = `${r.id} is stopped because it is disabled: ${general[0]}`;
  } else {
    const blockers = [...nodes].sort((a, b) => byName(a.node, b.node)).map((n) => {
      const worst = n.contributions.find((c) => c.kind === 'node') ?? n.contributions.find((c) => c.score !== null && c.score <= -INFINITY) ?? n.contributions.find((c) => c.kind === 'cluster');
      return `${n.node}: ${worst ? worst.text : `score ${n.score}`}`;
    });
    verdict = `${r.id} cannot run anywhere${running.length ? ` (it runs on ${names(running)} now and will stop)` : ''} — ${blockers.join('; ') || 'there are no nodes'}`;
  }
  return {
    resource: r.id,
    kind: r.kind,
    ...(agentText(subject) ? { agent: agentText(subject)! } : {}),
    runningOn: running.map((n) => n.name).sort(byName),
    placedOn: placed.map((n) => n.name).sort(byName),
    ...(r.kind === 'primitive' ? { role: r.nextRole } : {}),
    verdict,
    general,
    nodes,
    scoredAs: scoreId,
  };
}

export function formatWhy(w: WhyResult): string[] {
  const lines = [`${w.verdict}.`];
  if (w.general.length) lines.push('', ...w.general.map((g) => `  * ${g}`));
  lines.push('', `Node by node (the highest score wins; -INFINITY means never${w.scoredAs !== w.resource ? `; scores of ${w.scoredAs}` : ''}):`);
  for (const n of w.nodes) {
    const tags = [n.chosen ? 'chosen' : '', n.runningNow ? 'running here now' : '', !n.canRun ? 'cannot run here' : ''].filter(Boolean);
    lines.push(`  ${n.node}: ${n.score}${tags.length ? `  (${tags.join(', ')})` : ''}`);
    if (n.contributions.length === 0) lines.push('      0  nothing prefers or avoids this node');
    for (const c of n.contributions) lines.push(`  ${(c.score === null ? '' : signed(c.score)).padStart(10)}  ${c.text}`);
  }
  return lines;
}
