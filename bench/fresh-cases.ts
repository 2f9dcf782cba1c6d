// Fresh-case check: Tandem against crm_simulate 2.1.5 on CIBs it has never seen.
//
// Takes the visible corpus inputs (../shared/scheduler-corpus/xml), applies 1-2 seeded, deterministic
// mutations to each picked input (standby, node offline, node_state removed, stickiness, location
// constraint added/dropped, target-role=Stopped, unmanaged, clone-max, failed monitor,
// no-quorum-policy, mandatory order made optional, colocation removed), keeps only mutants
// crm_verify accepts and crm_simulate finishes within 20 s, and compares Tandem's Transition Summary,
// Current cluster status and Revised Cluster Status with crm_simulate's the way the corpus README
// says (order-insensitive multiset of whitespace-normalized lines). The visible corpus pass rates
// are measured in the same run, so the two numbers can be put side by side.
//
// usage: npm run bench:fresh -- [--count N] [--seed S] [--keep DIR] [--no-visible] [--no-write]
//   --count N     compared mutants wanted (default 300)
//   --seed S      PRNG seed (default 1); the same seed gives the same mutants
//   --keep DIR    write the mutant CIBs (and crm_simulate's output) to DIR and keep them
//   --no-visible  skip measuring the visible corpus (faster; the report then has no difference)
//   --no-write    do not write bench/fresh-cases.md and bench/fresh-cases-results.json
//
// "now": a mutant keeps its input's execution-date when it has one (crm_simulate then uses it, and so
// does Tandem); otherwise both sides run at the wall clock, as the corpus was produced.
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseXml, serializeXml, type XmlElement } from '../src/cib/xml.ts';
import { parseCibXml } from '../src/cib/parse.ts';
import { simulationReport } from '../src/scheduler/report.ts';
import { extractSections, multisetDiff } from '../src/scheduler/corpus.ts';

process.env.TZ = 'UTC';
process.env.LC_ALL = 'C';

const ROOT = new URL('..', import.meta.url).pathname;
const CORPUS = join(ROOT, '..', 'shared', 'scheduler-corpus');
const SIM_TIMEOUT_MS = 20_000;

// ---------------------------------------------------------------------------------------------
// Arguments

interface Args {
  count: number;
  seed: number;
  keep?: string;
  visible: boolean;
  write: boolean;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { count: 300, seed: 1, visible: true, write: true };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i]!;
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${k} needs a value`);
      return v;
    };
    if (k === '--count') a.count = Number(next());
    else if (k === '--seed') a.seed = Number(next());
    else if (k === '--keep') a.keep = next();
    else if (k === '--no-visible') a.visible = false;
    else if (k === '--no-write') a.write = false;
    else throw new Error(`unknown option ${k}`);
  }
  if (!Number.isInteger(a.count) || a.count < 1) throw new Error('--count must be a positive integer');
  if (!Number.isInteger(a.seed)) throw new Error('--seed must be an integer');
  return a;
}

// ---------------------------------------------------------------------------------------------
// Seeded PRNG (mulberry32)

class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = (seed ^ 0x9e3779b9) >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('pick from empty list');
    return xs[this.int(xs.length)]!;
  }
}

// ---------------------------------------------------------------------------------------------
// XML helpers

function walk(el: XmlElement, f: (e: XmlElement, parent: XmlElement | undefined) => void, parent?: XmlElement): void {
  f(el, parent);
  for (const c of el.children) walk(c, f, el);
}

function all(root: XmlElement, ...names: string[]): XmlElement[] {
  const out: XmlElement[] = [];
  walk(root, (e) => {
    if (names.includes(e.name)) out.push(e);
  });
  return out;
}

function child(el: XmlElement, name: string): XmlElement | undefined {
  return el.children.find((c) => c.name === name);
}

function ensureChild(el: XmlElement, name: string, attrs: Record<string, string> = {}): XmlElement {
  let c = child(el, name);
  if (!c) {
    c = { name, attrs, children: [] };
    el.children.push(c);
  }
  return c;
}

function remove(parent: XmlElement, el: XmlElement): void {
  parent.children = parent.children.filter((c) => c !== el);
}

function parentOf(root: XmlElement, target: XmlElement): XmlElement | undefined {
  let found: XmlElement | undefined;
  walk(root, (e, p) => {
    if (e === target) found = p;
  });
  return found;
}

let idCounter = 0;
function freshId(base: string): string {
  return `fc-${base}-${++idCounter}`;
}

/** Sets NAME=VALUE in el's direct `blockName` blocks (every existing nvpair of that name), or adds one. */
function setNvpair(el: XmlElement, blockName: string, name: string, value: string): void {
  const blocks = el.children.filter((c) => c.name === blockName && c.attrs['id-ref'] === undefined);
  let done = false;
  for (const b of blocks) {
    for (const nv of b.children) {
      if (nv.name === 'nvpair' && nv.attrs.name === name) {
        nv.attrs.value = value;
        delete nv.attrs['id-ref'];
        done = true;
      }
    }
  }
  if (done) return;
  let b = blocks.find((x) => !x.children.some((c) => c.name === 'rule'));
  if (!b) {
    b = { name: blockName, attrs: { id: freshId(`${el.attrs.id ?? el.name}-${blockName}`) }, children: [] };
    // Blocks go before operations/children for readability; order does not matter to the schema here.
    el.children.unshift(b);
  }
  b.children.push({ name: 'nvpair', attrs: { id: freshId(`${el.attrs.id ?? 'x'}-${name}`), name, value }, children: [] });
}

function intervalMs(text: string | undefined): number {
  if (!text) return 0;
  const m = /^\s*(\d+)\s*(ms|msec|s|sec|m|min|h|hr)?\s*$/.exec(text);
  if (!m) return 0;
  const n = Number(m[1]);
  const unit = m[2] ?? 's';
  return unit.startsWith('ms') ? n : unit.startsWith('s') ? n * 1000 : unit.startsWith('m') ? n * 60_000 : n * 3_600_000;
}

// ---------------------------------------------------------------------------------------------
// The CIB's parts the mutations look at

interface View {
  root: XmlElement;
  config: XmlElement;
  status?: XmlElement;
  /** Cluster nodes (not remote/ping) from configuration/nodes. */
  nodes: XmlElement[];
  /** Cluster node_state entries (not remote). */
  nodeStates: XmlElement[];
  /** Every primitive/group/clone/master/bundle under resources (not templates). */
  resources: XmlElement[];
  topResources: XmlElement[];
  clones: XmlElement[];
}

function view(root: XmlElement): View {
  const config = child(root, 'configuration')!;
  const status = child(root, 'status');
  const nodesEl = child(config, 'nodes');
  const nodes = (nodesEl?.children ?? []).filter((n) => n.name === 'node' && (n.attrs.type ?? 'member') !== 'remote' && n.attrs.type !== 'ping');
  const nodeStates = (status?.children ?? []).filter((n) => n.name === 'node_state' && n.attrs.remote_node !== 'true');
  const rscs = child(config, 'resources');
  const kinds = ['primitive', 'group', 'clone', 'master', 'bundle'];
  const resources = rscs ? all(rscs, ...kinds).filter((r) => r.attrs.id !== undefined) : [];
  const topResources = (rscs?.children ?? []).filter((r) => kinds.includes(r.name));
  const clones = resources.filter((r) => r.name === 'clone' || r.name === 'master');
  return { root, config, status, nodes, nodeStates, resources, topResources, clones };
}

function nodeName(n: XmlElement): string {
  return n.attrs.uname ?? n.attrs.id ?? '?';
}

// ---------------------------------------------------------------------------------------------
// Mutations: each returns a one-line description, or undefined when it does not apply.

type Mutation = (v: View, rng: Rng) => string | undefined;

const SCORES = ['-INFINITY', '-1000', '-100', '-10', '0', '10', '100', '1000', 'INFINITY'];

const MUTATIONS: Record<string, Mutation> = {
  standby(v, rng) {
    const cand = v.nodes.filter((n) => !n.children.some((b) => b.name === 'instance_attributes' && b.children.some((nv) => nv.attrs.name === 'standby' && /^(on|true|yes|1)$/i.test(nv.attrs.value ?? ''))));
    if (cand.length === 0) return undefined;
    const n = rng.pick(cand);
    setNvpair(n, 'instance_attributes', 'standby', 'on');
    return `node ${nodeName(n)} standby=on`;
  },
  offline(v, rng) {
    const cand = v.nodeStates.filter((s) => !(s.attrs.in_ccm === 'false' && s.attrs.crmd === 'offline' && s.attrs.expected === 'down'));
    if (cand.length === 0) return undefined;
    const s = rng.pick(cand);
    Object.assign(s.attrs, { in_ccm: 'false', crmd: 'offline', join: 'down', expected: 'down' });
    return `node_state ${nodeName(s)} offline (in_ccm=false crmd=offline join=down expected=down)`;
  },
  'remove-node-state'(v, rng) {
    if (v.nodeStates.length === 0 || !v.status) return undefined;
    const s = rng.pick(v.nodeStates);
    remove(v.status, s);
    return `node_state ${nodeName(s)} removed`;
  },
  stickiness(v, rng) {
    const value = rng.pick(['0', '1', '50', '100', '1000', 'INFINITY']);
    if (rng.next() < 0.5 || v.resources.length === 0) {
      const defs = ensureChild(v.config, 'rsc_defaults');
      setNvpair(defs, 'meta_attributes', 'resource-stickiness', value);
      return `rsc_defaults resource-stickiness=${value}`;
    }
    const r = rng.pick(v.resources);
    setNvpair(r, 'meta_attributes', 'resource-stickiness', value);
    return `${r.name} ${r.attrs.id} resource-stickiness=${value}`;
  },
  'add-location'(v, rng) {
    if (v.topResources.length === 0 || v.nodes.length === 0) return undefined;
    const r = rng.pick(v.topResources);
    const n = rng.pick(v.nodes);
    const score = rng.pick(SCORES);
    const cons = ensureChild(v.config, 'constraints');
    const id = freshId(`loc-${r.attrs.id}`);
    cons.children.push({ name: 'rsc_location', attrs: { id, rsc: r.attrs.id!, node: nodeName(n), score }, children: [] });
    return `rsc_location ${r.attrs.id} on ${nodeName(n)} score=${score}`;
  },
  'drop-location'(v, rng) {
    const cons = child(v.config, 'constraints');
    const locs = cons?.children.filter((c) => c.name === 'rsc_location') ?? [];
    if (!cons || locs.length === 0) return undefined;
    const l = rng.pick(locs);
    remove(cons, l);
    return `rsc_location ${l.attrs.id} removed`;
  },
  'target-stopped'(v, rng) {
    const cand = v.resources.filter((r) => !r.children.some((b) => b.name === 'meta_attributes' && b.children.some((nv) => nv.attrs.name === 'target-role' && nv.attrs.value === 'Stopped')));
    if (cand.length === 0) return undefined;
    const r = rng.pick(cand);
    setNvpair(r, 'meta_attributes', 'target-role', 'Stopped');
    return `${r.name} ${r.attrs.id} target-role=Stopped`;
  },
  unmanaged(v, rng) {
    if (v.resources.length === 0) return undefined;
    const r = rng.pick(v.resources);
    setNvpair(r, 'meta_attributes', 'is-managed', 'false');
    return `${r.name} ${r.attrs.id} is-managed=false`;
  },
  'clone-max'(v, rng) {
    if (v.clones.length === 0) return undefined;
    const c = rng.pick(v.clones);
    const value = String(1 + rng.int(Math.max(1, v.nodes.length) + 1));
    setNvpair(c, 'meta_attributes', 'clone-max', value);
    return `clone ${c.attrs.id} clone-max=${value}`;
  },
  'failed-monitor'(v, rng) {
    const running: { state: XmlElement; lrm: XmlElement; ops: XmlElement[]; last: XmlElement }[] = [];
    for (const s of v.nodeStates) {
      if (s.attrs.crmd !== 'online' || s.attrs.in_ccm === 'false') continue;
      const lrmRscs = child(child(s, 'lrm') ?? { name: '', attrs: {}, children: [] }, 'lrm_resources');
      for (const lr of lrmRscs?.children ?? []) {
        if (lr.name !== 'lrm_resource') continue;
        const ops = lr.children.filter((o) => o.name === 'lrm_rsc_op' && Number(o.attrs['call-id']) >= 0);
        if (ops.length === 0) continue;
        const last = ops.reduce((a, b) => (Number(b.attrs['call-id']) > Number(a.attrs['call-id']) ? b : a));
        const op = last.attrs.operation;
        const rc = last.attrs['rc-code'];
        const okRc = rc === '0' || (rc === '8' && op !== 'demote');
        if (last.attrs['op-status'] === '0' && okRc && ['start', 'monitor', 'promote', 'demote', 'migrate_from'].includes(op ?? '')) {
          running.push({ state: s, lrm: lr, ops, last });
        }
      }
    }
    if (running.length === 0) return undefined;
    const { state, lrm, ops, last } = rng.pick(running);
    const rscId = lrm.attrs.id!;
    const baseId = rscId.replace(/:\d+$/, '');
    const prim = v.resources.find((r) => r.name === 'primitive' && r.attrs.id === baseId);
    const cfgMon = prim ? all(prim, 'op').find((o) => o.attrs.name === 'monitor' && intervalMs(o.attrs.interval) > 0) : undefined;
    const existing = ops.find((o) => o.attrs.operation === 'monitor' && Number(o.attrs.interval ?? '0') > 0 && (o.attrs['rc-code'] === '0' || o.attrs['rc-code'] === '8'));
    const interval = existing ? Number(existing.attrs.interval) : cfgMon ? intervalMs(cfgMon.attrs.interval) : 10_000;
    // A fixed time: the latest change the history already records (keeps the mutant deterministic).
    let when = 0;
    walk(v.root, (e) => {
      const t = Number(e.attrs['last-rc-change'] ?? 0);
      if (t > when) when = t;
    });
    if (v.root.attrs['execution-date']) when = Math.max(when, Number(v.root.attrs['execution-date']) - 60);
    const key = (k: string | undefined): string => {
      const parts = (k ?? '1:1:0:fc000000-0000-0000-0000-000000000000').split(':');
      if (parts.length >= 4) parts[2] = '0';
      return parts.join(':');
    };
    let failure: XmlElement;
    if (existing) {
      const k = key(existing.attrs['transition-key']);
      Object.assign(existing.attrs, { 'rc-code': '7', 'op-status': '0', 'transition-key': k, 'transition-magic': `0:7;${k}`, 'last-rc-change': String(when) });
      failure = { name: 'lrm_rsc_op', attrs: { ...existing.attrs, id: `${rscId}_last_failure_0` }, children: [] };
    } else {
      const maxCall = Math.max(...all(state, 'lrm_rsc_op').map((o) => Number(o.attrs['call-id'] ?? 0)));
      const k = key(last.attrs['transition-key']);
      const attrs: Record<string, string> = { ...last.attrs };
      for (const d of ['op-digest', 'op-restart-digest', 'op-force-restart', 'op-secure-params', 'op-secure-digest', 'last-run', 'migrate_source', 'migrate_target']) delete attrs[d];
      Object.assign(attrs, {
        id: `${rscId}_last_failure_0`,
        operation_key: `${rscId}_monitor_${interval}`,
        operation: 'monitor',
        interval: String(interval),
        'rc-code': '7',
        'op-status': '0',
        'call-id': String(maxCall + 1),
        'transition-key': k,
        'transition-magic': `0:7;${k}`,
        'last-rc-change': String(when),
        'exec-time': '0',
        'queue-time': '0',
      });
      failure = { name: 'lrm_rsc_op', attrs, children: [] };
    }
    lrm.children = lrm.children.filter((o) => o.attrs.id !== `${rscId}_last_failure_0`);
    lrm.children.push(failure);
    // The fail count the controller records with it.
    const ta = ensureChild(state, 'transient_attributes', { id: state.attrs.id ?? nodeName(state) });
    let ia = ta.children.find((c) => c.name === 'instance_attributes');
    if (!ia) {
      ia = { name: 'instance_attributes', attrs: { id: `status-${state.attrs.id ?? nodeName(state)}` }, children: [] };
      ta.children.push(ia);
    }
    const fcName = `fail-count-${rscId}#monitor_${interval}`;
    const lfName = `last-failure-${rscId}#monitor_${interval}`;
    ia.children = ia.children.filter((nv) => nv.attrs.name !== fcName && nv.attrs.name !== lfName);
    ia.children.push({ name: 'nvpair', attrs: { id: freshId('fail-count'), name: fcName, value: '1' }, children: [] });
    ia.children.push({ name: 'nvpair', attrs: { id: freshId('last-failure'), name: lfName, value: String(when) }, children: [] });
    return `${rscId} monitor (${interval}ms) rc=7 on ${nodeName(state)} (+fail-count 1)`;
  },
  'no-quorum-policy'(v, rng) {
    const value = rng.pick(['stop', 'freeze', 'ignore', 'demote', 'suicide']);
    const crm = ensureChild(v.config, 'crm_config');
    let set = crm.children.find((c) => c.name === 'cluster_property_set' && c.attrs.id === 'cib-bootstrap-options');
    if (!set) {
      set = { name: 'cluster_property_set', attrs: { id: 'cib-bootstrap-options' }, children: [] };
      crm.children.push(set);
    }
    // Make every existing no-quorum-policy agree, then make sure one is set.
    for (const nv of all(crm, 'nvpair')) if (nv.attrs.name === 'no-quorum-policy') nv.attrs.value = value;
    if (!all(crm, 'nvpair').some((nv) => nv.attrs.name === 'no-quorum-policy')) {
      set.children.push({ name: 'nvpair', attrs: { id: freshId('no-quorum-policy'), name: 'no-quorum-policy', value }, children: [] });
    }
    let desc = `no-quorum-policy=${value}`;
    if (rng.next() < 0.5 && v.root.attrs['have-quorum'] !== 'false' && v.root.attrs['have-quorum'] !== '0') {
      v.root.attrs['have-quorum'] = 'false';
      desc += ' and have-quorum=false';
    }
    return desc;
  },
  'order-optional'(v, rng) {
    const cons = child(v.config, 'constraints');
    const cand = (cons?.children ?? []).filter((c) => {
      if (c.name !== 'rsc_order') return false;
      const kind = c.attrs.kind;
      if (kind !== undefined) return kind === 'Mandatory';
      const s = c.attrs.score;
      return s === undefined || s === 'INFINITY' || s === '+INFINITY' || Number(s) > 0;
    });
    if (cand.length === 0) return undefined;
    const o = rng.pick(cand);
    o.attrs.kind = 'Optional';
    delete o.attrs.score;
    return `rsc_order ${o.attrs.id} kind=Optional`;
  },
  'drop-colocation'(v, rng) {
    const cons = child(v.config, 'constraints');
    const cols = cons?.children.filter((c) => c.name === 'rsc_colocation') ?? [];
    if (!cons || cols.length === 0) return undefined;
    const c = rng.pick(cols);
    remove(cons, c);
    return `rsc_colocation ${c.attrs.id} removed`;
  },
};
const KINDS = Object.keys(MUTATIONS);

// ---------------------------------------------------------------------------------------------
// Running the oracle

interface Run {
  code: number | null;
  out: string;
  timedOut: boolean;
  ms: number;
}

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const e = err as (NodeJS.ErrnoException & { killed?: boolean; code?: number | string }) | null;
      const timedOut = e?.killed === true;
      const code = e ? (typeof e.code === 'number' ? e.code : null) : 0;
      resolve({ code, out: stdout + stderr, timedOut, ms: performance.now() - t0 });
    });
  });
}

function oracleEnv(dir: string): NodeJS.ProcessEnv {
  return { ...process.env, LC_ALL: 'C', TZ: 'UTC', CIB_shadow_dir: dir, PCMK_schema_directory: process.env.PCMK_schema_directory ?? '/usr/share/pacemaker' };
}

/** crm_verify's verdict: errors (or a crash) reject; warnings are fine (it exits 78 for both). */
async function verify(file: string, dir: string): Promise<{ ok: boolean; why: string }> {
  const r = await run('crm_verify', ['--xml-file', file], oracleEnv(dir), SIM_TIMEOUT_MS);
  if (r.timedOut) return { ok: false, why: 'crm_verify timed out' };
  if (r.code === 0) return { ok: true, why: '' };
  if (r.code === 78 && !/Errors found|not valid/.test(r.out.replace(/may not be valid/g, ''))) return { ok: true, why: '' };
  return { ok: false, why: (r.out.split('\n').find((l) => /error/i.test(l)) ?? `exit ${r.code}`).trim() };
}

// ---------------------------------------------------------------------------------------------
// Comparison and mismatch shapes

function diffOf(expected: string[] | undefined, actual: string[] | undefined): { pass: boolean; missing: string[]; extra: string[] } {
  if (!expected || !actual) return { pass: false, missing: expected ?? ['(no section)'], extra: actual ?? ['(no section)'] };
  const d = multisetDiff(expected, actual);
  return { pass: d.missing.length === 0 && d.extra.length === 0, ...d };
}

/** A line with node names and resource ids replaced, so lines of the same kind group together. */
function shape(line: string, names: { nodes: Set<string>; rscs: Set<string> }): string {
  return line
    .split(' ')
    .map((tok) => {
      const m = /^([[(']?)(.*?)([\]),:']*)$/.exec(tok)!;
      const core = m[2]!;
      if (names.nodes.has(core)) return `${m[1]}N${m[3]}`;
      const base = core.replace(/:\d+$/, '');
      if (names.rscs.has(core) || names.rscs.has(base)) return `${m[1]}R${m[3]}`;
      if (/^\d+$/.test(core)) return `${m[1]}#${m[3]}`;
      return tok;
    })
    .join(' ')
    .replace(/\b(?:N )+N\b/g, 'N…')
    .replace(/\b(?:R )+R\b/g, 'R…');
}

function namesOf(root: XmlElement): { nodes: Set<string>; rscs: Set<string> } {
  const nodes = new Set<string>();
  const rscs = new Set<string>();
  walk(root, (e) => {
    if (e.name === 'node' || e.name === 'node_state') {
      if (e.attrs.uname) nodes.add(e.attrs.uname);
      if (e.attrs.id) nodes.add(e.attrs.id);
    }
    if (['primitive', 'group', 'clone', 'master', 'bundle'].includes(e.name) && e.attrs.id) rscs.add(e.attrs.id);
    if (e.name === 'lrm_resource' && e.attrs.id) rscs.add(e.attrs.id);
    if (e.name === 'nvpair' && e.attrs.name === 'remote-node' && e.attrs.value) nodes.add(e.attrs.value);
  });
  // Bundle replicas and their containers / connections.
  for (const b of all(root, 'bundle')) {
    for (let i = 0; i < 16; i++) {
      nodes.add(`${b.attrs.id}-${i}`);
      rscs.add(`${b.attrs.id}-${i}`);
    }
  }
  return { nodes, rscs };
}

/** The feature a mismatch signature points at: the verbs/statuses involved, missing (-) vs extra (+). */
function signature(missing: string[], extra: string[], names: { nodes: Set<string>; rscs: Set<string> }): string {
  const s = new Set<string>();
  for (const l of missing) s.add('- ' + shape(l, names));
  for (const l of extra) s.add('+ ' + shape(l, names));
  return [...s].sort().join(' | ');
}

// ---------------------------------------------------------------------------------------------
// Visible corpus, measured in the same run

interface Visible {
  summary?: { passed: number; failed: number };
  current?: { passed: number; failed: number };
}

async function measureVisible(): Promise<Visible> {
  const out: Visible = {};
  for (const [key, script, label] of [
    ['summary', 'scripts/corpus-summary.ts', 'transition-summary'],
    ['current', 'scripts/corpus-current-status.ts', 'current-status'],
  ] as const) {
    const r = await run(process.execPath, ['--import', 'tsx', join(ROOT, script)], { ...process.env, TZ: 'UTC', LC_ALL: 'C', V: '', LIST: '' }, 600_000);
    const m = new RegExp(`${label}: (\\d+) passed, (\\d+) failed`).exec(r.out);
    if (m) out[key] = { passed: Number(m[1]), failed: Number(m[2]) };
    else console.error(`${script}: no "${label}: P passed, F failed" line`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Does Tandem pass the unmutated input? (Transition Summary and Current status, as the corpus.)

const basePassCache = new Map<string, boolean>();
function basePasses(base: string): boolean {
  const hit = basePassCache.get(base);
  if (hit !== undefined) return hit;
  let ok = false;
  try {
    const exp = extractSections(readFileSync(join(CORPUS, 'summary', `${base}.summary`), 'utf8'));
    const cib = parseCibXml(readFileSync(join(CORPUS, 'xml', `${base}.xml`), 'utf8'), base);
    const ed = cib.attrs['execution-date'];
    const now = ed !== undefined ? Number(ed) : Math.floor(Date.now() / 1000);
    const act = extractSections(simulationReport(cib, now, { fromExecutionDate: ed !== undefined }).join('\n'));
    ok = diffOf(exp.transitionSummary, act.transitionSummary).pass && diffOf(exp.currentStatus, act.currentStatus).pass;
  } catch {
    ok = false;
  }
  basePassCache.set(base, ok);
  return ok;
}

// ---------------------------------------------------------------------------------------------
// Main

interface CaseOut {
  name: string;
  base: string;
  mutations: { kind: string; detail: string }[];
  executionDate: boolean;
  /** Whether Tandem passes this mutant's input in the visible corpus (Transition Summary and Current status). */
  basePasses: boolean;
  transitionSummary: { pass: boolean; missing: string[]; extra: string[] };
  currentStatus: { pass: boolean; missing: string[]; extra: string[] };
  revisedStatus: { pass: boolean; missing: string[]; extra: string[] };
  tandemError?: string;
  crmMs: number;
  tandemMs: number;
  signatures: { transitionSummary?: string; currentStatus?: string };
}

const pct = (p: number, n: number): string => (n === 0 ? 'n/a' : `${((100 * p) / n).toFixed(1)} %`);
const rate = (p: number, n: number): number => (n === 0 ? 0 : (100 * p) / n);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const command = `npm run bench:fresh -- --count ${args.count} --seed ${args.seed}`;
  const work = args.keep ?? mkdtempSync(join(tmpdir(), 'tandem-fresh-'));
  mkdirSync(work, { recursive: true });
  const shadow = join(work, '.shadow');
  mkdirSync(shadow, { recursive: true });

  const bases = readdirSync(join(CORPUS, 'xml')).filter((f) => f.endsWith('.xml')).map((f) => f.slice(0, -4)).sort();
  const rng = new Rng(args.seed);
  const baseOk = new Map<string, boolean>();
  const skipped = { baseRejected: 0, notApplicable: 0, verifyRejected: 0, timeout: 0, noSummary: 0 };
  const rejects: { name: string; why: string }[] = [];
  const cases: CaseOut[] = [];
  const maxAttempts = args.count * 4;
  const t0 = Date.now();

  // Visible corpus first (it spawns its own node; runs while nothing else does).
  let visible: Visible = {};
  if (args.visible) {
    console.error('measuring the visible corpus ...');
    visible = await measureVisible();
    console.error(`visible: ${JSON.stringify(visible)}`);
  }

  for (let attempt = 0; attempt < maxAttempts && cases.length < args.count; attempt++) {
    const base = rng.pick(bases);
    const nMut = 1 + rng.int(2);
    const kinds: string[] = [];
    while (kinds.length < nMut) {
      const k = rng.pick(KINDS);
      if (!kinds.includes(k)) kinds.push(k);
    }
    const subSeed = rng.int(2 ** 31);
    const name = `m${String(attempt + 1).padStart(4, '0')}-${base}`;

    if (!baseOk.has(base)) {
      baseOk.set(base, (await verify(join(CORPUS, 'xml', `${base}.xml`), shadow)).ok);
    }
    if (!baseOk.get(base)) {
      skipped.baseRejected++;
      continue;
    }

    const root = parseXml(readFileSync(join(CORPUS, 'xml', `${base}.xml`), 'utf8'), base);
    const mrng = new Rng(subSeed);
    idCounter = 0;
    const mutations: { kind: string; detail: string }[] = [];
    for (const k of kinds) {
      const d = MUTATIONS[k]!(view(root), mrng);
      if (d !== undefined) mutations.push({ kind: k, detail: d });
    }
    if (mutations.length === 0) {
      skipped.notApplicable++;
      continue;
    }
    const file = join(work, `${name}.xml`);
    writeFileSync(file, serializeXml(root));

    const ver = await verify(file, shadow);
    if (!ver.ok) {
      skipped.verifyRejected++;
      rejects.push({ name, why: `${mutations.map((m) => m.kind).join('+')}: ${ver.why}` });
      if (!args.keep) rmSync(file);
      continue;
    }
    const sim = await run('crm_simulate', ['-x', file, '-S'], oracleEnv(shadow), SIM_TIMEOUT_MS);
    // Tandem runs right after, at (nearly) the same wall clock.
    const exp = extractSections(sim.out.replace(/ocf::/g, 'ocf:'));
    if (sim.timedOut) {
      skipped.timeout++;
      if (!args.keep) rmSync(file);
      continue;
    }
    if (!exp.transitionSummary) {
      skipped.noSummary++;
      rejects.push({ name, why: `crm_simulate printed no Transition Summary (exit ${sim.code})` });
      if (!args.keep) rmSync(file);
      continue;
    }
    if (args.keep) writeFileSync(join(work, `${name}.expected`), sim.out);

    let actualText = '';
    let tandemError: string | undefined;
    const t1 = performance.now();
    try {
      const cib = parseCibXml(readFileSync(file, 'utf8'), name);
      const ed = cib.attrs['execution-date'];
      const now = ed !== undefined ? Number(ed) : Math.floor(Date.now() / 1000);
      actualText = simulationReport(cib, now, { fromExecutionDate: ed !== undefined }).join('\n') + '\n';
    } catch (err) {
      tandemError = ((err as Error).message ?? String(err)).split('\n')[0];
    }
    const tandemMs = performance.now() - t1;
    if (args.keep) writeFileSync(join(work, `${name}.actual`), actualText || `ERROR ${tandemError}\n`);
    const act = extractSections(actualText);
    const names = namesOf(root);
    const ts = diffOf(exp.transitionSummary, act.transitionSummary);
    const cs = diffOf(exp.currentStatus, act.currentStatus);
    const rs = diffOf(exp.revisedStatus, act.revisedStatus);
    cases.push({
      name,
      base,
      mutations,
      executionDate: root.attrs['execution-date'] !== undefined,
      basePasses: basePasses(base),
      transitionSummary: ts,
      currentStatus: cs,
      revisedStatus: rs,
      ...(tandemError !== undefined ? { tandemError } : {}),
      crmMs: Math.round(sim.ms),
      tandemMs: Math.round(tandemMs),
      signatures: {
        ...(ts.pass ? {} : { transitionSummary: tandemError ? `error: ${tandemError.replace(/\S*\d\S*/g, '…')}` : signature(ts.missing, ts.extra, names) }),
        ...(cs.pass ? {} : { currentStatus: tandemError ? 'error' : signature(cs.missing, cs.extra, names) }),
      },
    });
    if (!args.keep) rmSync(file);
    if (cases.length % 25 === 0) {
      const p = cases.filter((c) => c.transitionSummary.pass).length;
      console.error(`${cases.length}/${args.count} compared (${attempt + 1} tried): transition summary ${p} passed`);
    }
  }
  if (!args.keep) rmSync(work, { recursive: true, force: true });

  // ---- Tallies
  const n = cases.length;
  const tsP = cases.filter((c) => c.transitionSummary.pass).length;
  const csP = cases.filter((c) => c.currentStatus.pass).length;
  const rsP = cases.filter((c) => c.revisedStatus.pass).length;
  const byKind = KINDS.map((k) => {
    const cs0 = cases.filter((c) => c.mutations.some((m) => m.kind === k));
    const alone = cs0.filter((c) => c.mutations.length === 1);
    return {
      kind: k,
      cases: cs0.length,
      transitionSummary: cs0.filter((c) => c.transitionSummary.pass).length,
      currentStatus: cs0.filter((c) => c.currentStatus.pass).length,
      revisedStatus: cs0.filter((c) => c.revisedStatus.pass).length,
      aloneCases: alone.length,
      aloneTransitionSummary: alone.filter((c) => c.transitionSummary.pass).length,
    };
  });
  // The same tallies on mutants whose input already passes in the visible corpus: there a mismatch
  // is what the mutation brought in, not a known failure of the input.
  const onPassing = cases.filter((c) => c.basePasses);
  const basePassing = {
    cases: onPassing.length,
    transitionSummary: onPassing.filter((c) => c.transitionSummary.pass).length,
    currentStatus: onPassing.filter((c) => c.currentStatus.pass).length,
  };
  // Groups of mismatches by signature.
  const group = (sec: 'transitionSummary' | 'currentStatus'): { signature: string; count: number; kinds: Record<string, number>; example: CaseOut }[] => {
    const m = new Map<string, CaseOut[]>();
    for (const c of cases) {
      const s = c.signatures[sec];
      if (s === undefined) continue;
      m.set(s, [...(m.get(s) ?? []), c]);
    }
    return [...m.entries()]
      .map(([signature, cs0]) => {
        const kinds: Record<string, number> = {};
        for (const c of cs0) for (const mu of c.mutations) kinds[mu.kind] = (kinds[mu.kind] ?? 0) + 1;
        return { signature, count: cs0.length, kinds, example: cs0[0]! };
      })
      .sort((a, b) => b.count - a.count || a.signature.localeCompare(b.signature));
  };
  const tsGroups = group('transitionSummary');
  const csGroups = group('currentStatus');
  const vis = {
    transitionSummary: visible.summary ? { ...visible.summary, rate: rate(visible.summary.passed, visible.summary.passed + visible.summary.failed) } : undefined,
    currentStatus: visible.current ? { ...visible.current, rate: rate(visible.current.passed, visible.current.passed + visible.current.failed) } : undefined,
  };
  const fresh = {
    compared: n,
    transitionSummary: { passed: tsP, failed: n - tsP, rate: rate(tsP, n) },
    currentStatus: { passed: csP, failed: n - csP, rate: rate(csP, n) },
    revisedStatus: { passed: rsP, failed: n - rsP, rate: rate(rsP, n) },
  };
  const diffPts = {
    transitionSummary: vis.transitionSummary ? fresh.transitionSummary.rate - vis.transitionSummary.rate : undefined,
    currentStatus: vis.currentStatus ? fresh.currentStatus.rate - vis.currentStatus.rate : undefined,
  };
  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length ? s[Math.floor(s.length / 2)]! : 0;
  };
  const date = new Date().toISOString();
  const elapsedS = Math.round((Date.now() - t0) / 1000);

  console.log(`visible  transition-summary: ${vis.transitionSummary ? `${vis.transitionSummary.passed}/${vis.transitionSummary.passed + vis.transitionSummary.failed} (${vis.transitionSummary.rate.toFixed(1)} %)` : 'not measured'}`);
  console.log(`visible  current-status:     ${vis.currentStatus ? `${vis.currentStatus.passed}/${vis.currentStatus.passed + vis.currentStatus.failed} (${vis.currentStatus.rate.toFixed(1)} %)` : 'not measured'}`);
  console.log(`fresh    transition-summary: ${tsP}/${n} (${pct(tsP, n)})${diffPts.transitionSummary !== undefined ? `, ${diffPts.transitionSummary >= 0 ? '+' : ''}${diffPts.transitionSummary.toFixed(1)} points` : ''}`);
  console.log(`fresh    current-status:     ${csP}/${n} (${pct(csP, n)})${diffPts.currentStatus !== undefined ? `, ${diffPts.currentStatus >= 0 ? '+' : ''}${diffPts.currentStatus.toFixed(1)} points` : ''}`);
  console.log(`fresh    revised-status:     ${rsP}/${n} (${pct(rsP, n)})`);
  console.log(`skipped: ${JSON.stringify(skipped)}`);
  for (const k of byKind) console.log(`  ${k.kind.padEnd(18)} ${String(k.cases).padStart(4)} cases  TS ${pct(k.transitionSummary, k.cases).padStart(7)}  CS ${pct(k.currentStatus, k.cases).padStart(7)}`);

  if (!args.write) return;
  const results = {
    date,
    command,
    seed: args.seed,
    requested: args.count,
    elapsedSeconds: elapsedS,
    oracle: 'crm_simulate 2.1.5 (crm_simulate -x FILE -S, LC_ALL=C TZ=UTC), crm_verify --xml-file',
    skipped,
    rejects,
    visible: vis,
    fresh,
    differencePoints: diffPts,
    byKind,
    basePassing,
    timing: { crmSimulateMedianMs: median(cases.map((c) => c.crmMs)), tandemMedianMs: median(cases.map((c) => c.tandemMs)) },
    transitionSummaryMismatches: tsGroups.map((g) => ({ signature: g.signature, count: g.count, kinds: g.kinds, example: g.example.name })),
    currentStatusMismatches: csGroups.map((g) => ({ signature: g.signature, count: g.count, kinds: g.kinds, example: g.example.name })),
    cases,
  };
  writeFileSync(join(ROOT, 'bench', 'fresh-cases-results.json'), JSON.stringify(results, null, 1) + '\n');

  // ---- Markdown
  const mdPath = join(ROOT, 'bench', 'fresh-cases.md');
  const old = existsSync(mdPath) ? readFileSync(mdPath, 'utf8') : '';
  const notes = /<!-- notes -->[\s\S]*?<!-- \/notes -->/.exec(old)?.[0] ?? '<!-- notes -->\n<!-- /notes -->';
  const fmtVis = (x?: { passed: number; failed: number; rate: number }): string => (x ? `${x.passed}/${x.passed + x.failed} (${x.rate.toFixed(1)} %)` : 'not measured');
  const fmtDiff = (d?: number): string => (d === undefined ? 'n/a' : `${d >= 0 ? '+' : ''}${d.toFixed(1)}`);
  const ex = (c: CaseOut, sec: 'transitionSummary' | 'currentStatus'): string => {
    const d = c[sec];
    const lines = [...d.missing.slice(0, 3).map((l) => `- ${l}`), ...d.extra.slice(0, 3).map((l) => `+ ${l}`)];
    const more = d.missing.length + d.extra.length - lines.length;
    return `\`${c.name}\` (${c.mutations.map((m) => m.detail).join('; ')}):<br>` + lines.map((l) => `\`${l.replace(/\|/g, '\\|').replace(/`/g, "'")}\``).join('<br>') + (more > 0 ? `<br>… ${more} more` : '') + (c.tandemError ? `<br>error: \`${c.tandemError}\`` : '');
  };
  const groupTable = (gs: ReturnType<typeof group>, sec: 'transitionSummary' | 'currentStatus'): string => {
    if (gs.length === 0) return '_none_\n';
    let t = '| cases | mismatch shape (N = a node, R = a resource; - expected only, + Tandem only) | mutations involved | example |\n|---:|---|---|---|\n';
    for (const g of gs.slice(0, 40)) {
      const kinds = Object.entries(g.kinds).sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${c}`).join(', ');
      const sig = g.signature.length > 400 ? g.signature.slice(0, 400) + ' …' : g.signature;
      t += `| ${g.count} | \`${sig.replace(/\|/g, '\\|').replace(/`/g, "'")}\` | ${kinds} | ${ex(g.example, sec)} |\n`;
    }
    if (gs.length > 40) t += `\n${gs.length - 40} more shapes (${gs.slice(40).reduce((a, g) => a + g.count, 0)} cases) in fresh-cases-results.json.\n`;
    return t;
  };
  let md = `# Fresh cases: Tandem vs crm_simulate 2.1.5 on mutated corpus inputs\n\n`;
  md += `Generated by \`bench/fresh-cases.ts\` on ${date} (${elapsedS} s).\n\n`;
  md += `Command: \`${command}\` (seed ${args.seed}). Reproduce the mutant files with \`--keep DIR\`.\n\n`;
  md += `Each mutant is a visible corpus input (\`../shared/scheduler-corpus/xml\`) with 1-2 seeded mutations. `;
  md += `Expected output: \`crm_simulate -x FILE -S\` (LC_ALL=C, TZ=UTC; stdout+stderr). Mutants \`crm_verify --xml-file\` reports errors for, `;
  md += `and mutants crm_simulate needs more than ${SIM_TIMEOUT_MS / 1000} s for, are skipped. "now": the input's execution-date when it has one, else the wall clock on both sides (as the corpus). `;
  md += `Tandem runs in-process (\`simulationReport\`, what \`tandem simulate\` prints). Comparison as the corpus README says: order-insensitive multiset of whitespace-normalized lines, per section.\n\n`;
  md += `## Pass rates\n\n| | visible corpus (same run) | fresh mutants | difference (points) |\n|---|---:|---:|---:|\n`;
  md += `| Transition Summary | ${fmtVis(vis.transitionSummary)} | ${tsP}/${n} (${pct(tsP, n)}) | ${fmtDiff(diffPts.transitionSummary)} |\n`;
  md += `| Current cluster status | ${fmtVis(vis.currentStatus)} | ${csP}/${n} (${pct(csP, n)}) | ${fmtDiff(diffPts.currentStatus)} |\n`;
  md += `| Revised Cluster Status | (not measured here) | ${rsP}/${n} (${pct(rsP, n)}) | |\n\n`;
  md += `Attempts: ${n + Object.values(skipped).reduce((a, b) => a + b, 0)}; compared ${n}; skipped: input already rejected by crm_verify ${skipped.baseRejected}, `;
  md += `mutation not applicable ${skipped.notApplicable}, mutant rejected by crm_verify ${skipped.verifyRejected}, crm_simulate over ${SIM_TIMEOUT_MS / 1000} s ${skipped.timeout}, no Transition Summary ${skipped.noSummary}.\n`;
  md += `Mutants of inputs Tandem already passes in the visible corpus (both sections): ${basePassing.cases}; Transition Summary ${basePassing.transitionSummary}/${basePassing.cases} (${pct(basePassing.transitionSummary, basePassing.cases)}), Current status ${basePassing.currentStatus}/${basePassing.cases} (${pct(basePassing.currentStatus, basePassing.cases)}).\n`;
  md += `Median time per mutant: crm_simulate ${results.timing.crmSimulateMedianMs} ms (process), Tandem ${results.timing.tandemMedianMs} ms (in-process).\n\n`;
  md += `## By mutation kind\n\nA case with two mutations counts under both kinds; "alone" = cases with only that mutation.\n\n`;
  md += `| mutation | cases | Transition Summary | Current status | Revised status | alone: Transition Summary |\n|---|---:|---:|---:|---:|---:|\n`;
  for (const k of byKind) md += `| ${k.kind} | ${k.cases} | ${pct(k.transitionSummary, k.cases)} | ${pct(k.currentStatus, k.cases)} | ${pct(k.revisedStatus, k.cases)} | ${k.aloneTransitionSummary}/${k.aloneCases} |\n`;
  md += `\n## Reading (by feature)\n\n${notes}\n\n`;
  md += `## Transition Summary mismatches, grouped by shape\n\n${groupTable(tsGroups, 'transitionSummary')}\n`;
  md += `## Current cluster status mismatches, grouped by shape\n\n${groupTable(csGroups, 'currentStatus')}\n`;
  writeFileSync(mdPath, md);
  console.log(`wrote bench/fresh-cases.md and bench/fresh-cases-results.json (${elapsedS} s)`);
}

main().catch((err) => {
  console.error((err as Error).stack ?? String(err));
  process.exit(1);
});
