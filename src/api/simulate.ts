// POST /simulate: crm_simulate's four sections for the live CIB (or a given one), with nodes taken
// down or brought up and operation failures injected as crm_simulate's --node-down / --node-up /
// --op-fail do. Pure apart from reading the CIB: nothing is written.
import type { Cib, LrmResource, NodeStateEntry, ResourceConfig } from '../cib/model.ts';
import { parseCibXml } from '../cib/parse.ts';
import { CibError } from '../cib/xml.ts';
import { simulationReport } from '../scheduler/report.ts';
import type { SimulateRequest, SimulateResponse } from './contract.ts';

/** A change that names something the CIB does not have. */
export class SimulateError extends Error {
  override readonly name = 'SimulateError';
}

function findPrimitive(resources: ResourceConfig[], id: string): ResourceConfig | undefined {
  const base = id.replace(/:\d+$/, '');
  for (const r of resources) {
    if (r.kind === 'primitive' && (r.id === id || r.id === base)) return r;
    const kids = r.kind === 'group' ? r.children : r.kind === 'clone' ? [r.child] : r.kind === 'bundle' && r.child ? [r.child] : [];
    const found = findPrimitive(kids as ResourceConfig[], id);
    if (found) return found;
  }
  return undefined;
}

function nodeEntry(cib: Cib, name: string, what: string): NodeStateEntry {
  const cfg = cib.configuration.nodes.find((n) => n.uname === name);
  let entry = cib.status.nodes.find((n) => (n.uname ?? n.id) === name);
  if (!cfg && !entry) throw new SimulateError(`${what}: no node named ${JSON.stringify(name)} (known: ${cib.configuration.nodes.map((n) => n.uname).join(', ') || 'none'})`);
  if (!entry) {
    entry = { id: cfg!.id, uname: name, attrs: {}, lrm: [], transient: [], hasLrm: false };
    cib.status.nodes.push(entry);
  }
  return entry;
}

function intervalOf(r: ResourceConfig, op: string, given: number | undefined): number {
  if (given !== undefined) return given;
  if (op !== 'monitor' || r.kind !== 'primitive') return 0;
  const mon = r.ops.find((o) => o.name === 'monitor' && o.intervalMs > 0);
  return mon?.intervalMs ?? 0;
}

function setTransient(entry: NodeStateEntry, name: string, value: string): void {
  let set = entry.transient[0];
  if (!set) entry.transient.push((set = { id: `status-${entry.id}`, nvpairs: [] }));
  const nv = set.nvpairs.find((p) => p.name === name);
  if (nv) nv.value = value;
  else set.nvpairs.push({ id: `status-${entry.id}-${name}`, name, value });
}

function getTransient(entry: NodeStateEntry, name: string): string | undefined {
  for (const s of entry.transient) for (const nv of s.nvpairs) if (nv.name === name) return nv.value;
  return undefined;
}

/** Apply the request's changes to `cib` in place; SimulateError names a bad change. */
export function applyChanges(cib: Cib, changes: NonNullable<SimulateRequest['changes']>, nowS: number): void {
  for (const name of changes.nodeDown ?? []) {
    const e = nodeEntry(cib, name, 'nodeDown');
    // A node lost without a clean leave: unclean until fenced, as crm_simulate --node-down shows.
    e.attrs = { ...e.attrs, in_ccm: 'false', crmd: 'offline', join: 'down', expected: 'member' };
  }
  for (const name of changes.nodeUp ?? []) {
    const e = nodeEntry(cib, name, 'nodeUp');
    e.attrs = { ...e.attrs, in_ccm: 'true', crmd: 'online', join: 'member', expected: 'member' };
    e.hasLrm = true;
  }
  let callId = 0;
  for (const n of cib.status.nodes) for (const r of n.lrm) for (const o of r.ops) callId = Math.max(callId, o.callId);
  for (const [i, f] of (changes.fail ?? []).entries()) {
    const what = `fail[${i}]`;
    const cfg = findPrimitive(cib.configuration.resources, f.rsc);
    if (!cfg || cfg.kind !== 'primitive') throw new SimulateError(`${what}: no primitive resource named ${JSON.stringify(f.rsc)}`);
    if (!/^[a-z_-]+$/.test(f.op)) throw new SimulateError(`${what}: bad operation ${JSON.stringify(f.op)} (use start, stop, monitor, promote, demote, ...)`);
    const e = nodeEntry(cib, f.node, what);
    e.hasLrm = true;
    const intervalMs = intervalOf(cfg, f.op, f.intervalMs);
    const rc = f.rc ?? 1;
    let lrm: LrmResource | undefined = e.lrm.find((r) => r.id === f.rsc);
    if (!lrm) {
      lrm = { id: f.rsc, class: cfg.class, type: cfg.type, ops: [], ...(cfg.provider ? { provider: cfg.provider } : {}) };
      e.lrm.push(lrm);
    }
    const key = `${f.rsc}_${f.op}_${intervalMs}`;
    const slot = intervalMs > 0 ? `${f.rsc}_monitor_${intervalMs}` : `${f.rsc}_last_0`;
    const base = {
      operation: f.op,
      operationKey: key,
      callId: ++callId,
      rcCode: rc,
      opStatus: 0,
      intervalMs,
      transitionKey: `0:0:0:simulate`,
      transitionMagic: `0:${rc};0:0:0:simulate`,
      lastRcChange: nowS,
      lastRun: nowS,
      execTime: 0,
      queueTime: 0,
      onNode: f.node,
    };
    lrm.ops = lrm.ops.filter((o) => o.id !== slot && o.id !== `${f.rsc}_last_failure_0`);
    lrm.ops.push({ id: slot, ...base }, { id: `${f.rsc}_last_failure_0`, ...base });
    const suffix = `${f.rsc}#${f.op}_${intervalMs}`;
    const count = Number(getTransient(e, `fail-count-${suffix}`) ?? '0');
    setTransient(e, `fail-count-${suffix}`, String((Number.isFinite(count) ? count : 0) + 1));
    setTransient(e, `last-failure-${suffix}`, String(nowS));
  }
}

const SECTIONS: Array<[string, keyof Omit<SimulateResponse, 'text'>]> = [
  ['Current cluster status:', 'currentStatus'],
  ['Allocation Scores:', 'scores'],
  ['Transition Summary:', 'transitionSummary'],
  ['Executing Cluster Transition:', 'executing'],
  ['Revised Cluster Status:', 'revisedStatus'],
];

/** Split crm_simulate's text into its sections. */
export function splitSections(lines: string[]): Omit<SimulateResponse, 'text'> {
  const out: Omit<SimulateResponse, 'text'> = { currentStatus: [], transitionSummary: [], executing: [], revisedStatus: [] };
  let cur: string[] | undefined;
  for (const line of lines) {
    const hit = SECTIONS.find(([h]) => h === line);
    if (hit) {
      cur = [];
      out[hit[1]] = cur;
      continue;
    }
    cur?.push(line);
  }
  for (const [, k] of SECTIONS) {
    const l = out[k];
    while (l && l.length && l[l.length - 1] === '') l.pop();
  }
  return out;
}

/** Run the simulation on `live` (already read) or on `req.xml`. */
export function simulate(req: SimulateRequest, live: () => Promise<Cib>, nowMs: number): Promise<SimulateResponse> {
  return (async () => {
    let cib: Cib;
    let nowS = Math.floor(nowMs / 1000);
    let fromExecutionDate = false;
    if (req.xml !== undefined) {
      cib = parseCibXml(req.xml, 'xml');
      const ed = cib.attrs['execution-date'];
      if (ed !== undefined) {
        const n = Number(ed);
        if (!Number.isFinite(n)) throw new CibError(`xml: <cib> execution-date '${ed}' is not a number of seconds`);
        nowS = n;
        fromExecutionDate = true;
      }
    } else {
      cib = await live();
    }
    if (req.changes) applyChanges(cib, req.changes, nowS);
    const lines = simulationReport(cib, nowS, { showScores: req.showScores === true, fromExecutionDate });
    return { ...splitSections(lines), text: lines.join('\n') + '\n' };
  })();
}
