// Cluster status in the text layout crm_mon and crm_simulate print: the node list, then every
// resource (groups, clones and bundles nested), with role, node and flags.
import type { FailedOp, Node, Resource, WorkingSet } from './types.ts';
import { isMaskedProbeFailure } from './unpack/history.ts';

/** Natural order of node names, as crm_mon sorts them ("node2" before "node10"). */
export function compareNames(a: string, b: string): number {
  const ax = a.toLowerCase().match(/(\d+|\D+)/g) ?? [];
  const bx = b.toLowerCase().match(/(\d+|\D+)/g) ?? [];
  for (let i = 0; i < Math.min(ax.length, bx.length); i++) {
    const x = ax[i]!;
    const y = bx[i]!;
    if (x === y) continue;
    const xn = /^\d/.test(x);
    const yn = /^\d/.test(y);
    if (xn && yn) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return ax.length - bx.length;
}

function sortedNames(nodes: Iterable<Node>): string {
  return [...nodes]
    .sort((a, b) => compareNames(a.name, b.name))
    .map((n) => n.name)
    .join(' ');
}

// ---------------------------------------------------------------------------------------------
// Nodes

function healthWord(ws: WorkingSet, n: Node): string | undefined {
  if (ws.options.nodeHealthStrategy === 'none') return undefined;
  let worst: string | undefined;
  for (const [k, v] of n.attrs) {
    if (!k.startsWith('#health')) continue;
    const val = v.toLowerCase();
    if (val === 'red') return 'RED';
    if (val === 'yellow') worst = 'YELLOW';
  }
  return worst;
}

/** The state of a node that does not fit the plain Online/OFFLINE lists, with its health. */
function unusualNodeState(ws: WorkingSet, n: Node): string | undefined {
  const mode = nodeMode(n);
  const health = healthWord(ws, n);
  if (health) return `${mode ?? (n.online ? 'online' : 'OFFLINE')} (health is ${health})`;
  return mode;
}

function nodeMode(n: Node): string | undefined {
  if (n.unclean) return n.online ? 'UNCLEAN (online)' : n.pending ? 'UNCLEAN (pending)' : 'UNCLEAN (offline)';
  if (n.pending) return 'pending';
  if (n.standbyOnFail && n.online) return 'standby (on-fail)';
  if (n.standby) {
    if (!n.online) return 'OFFLINE (standby)';
    return n.running.length > 0 ? 'standby (with active resources)' : 'standby';
  }
  if (n.maintenance) return n.online ? 'maintenance' : 'OFFLINE (maintenance)';
  return undefined;
}

function nodeLines(ws: WorkingSet): string[] {
  const lines: string[] = [];
  const lists: Record<string, Node[]> = { Online: [], OFFLINE: [], RemoteOnline: [], RemoteOFFLINE: [], GuestOnline: [] };
  for (const n of [...ws.nodes].sort((a, b) => compareNames(a.name, b.name))) {
    const state = unusualNodeState(ws, n);
    if (state !== undefined) {
      const kind = n.kind === 'member' ? 'Node' : n.kind === 'remote' ? 'RemoteNode' : 'GuestNode';
      lines.push(`${kind} ${n.name}: ${state}`);
    } else if (n.online) {
      lists[n.kind === 'member' ? 'Online' : n.kind === 'remote' ? 'RemoteOnline' : 'GuestOnline']!.push(n);
    } else if (n.kind !== 'guest') {
      // Offline guest nodes are not worth mentioning: their container is simply stopped.
      lists[n.kind === 'member' ? 'OFFLINE' : 'RemoteOFFLINE']!.push(n);
    }
  }
  for (const [label, nodes] of Object.entries(lists)) if (nodes.length) lines.push(`${label}: [ ${nodes.map((n) => n.name).join(' ')} ]`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Resource activity, as the status display judges it

/** The top of a resource, not looking beyond a bundle (a bundle's clone is its own top). */
function uberParent(r: Resource): Resource {
  let p = r;
  while (p.parent && p.parent.kind !== 'bundle') p = p.parent;
  return p;
}

/**
 * Whether a resource is active: running on a node that is up, or on one that still needs fencing,
 * or unmanaged anywhere. `all` asks whether every member is active, else whether any is.
 */
export function isActive(r: Resource, all: boolean): boolean {
  switch (r.kind) {
    case 'primitive':
      return r.runningOn.some((n) => n.unclean || n.online || !r.managed);
    case 'group': {
      const states = r.children.map((c) => isActive(c, all));
      if (!states.some(Boolean)) return false;
      return !(all && states.some((s) => !s));
    }
    case 'clone':
      for (const c of r.children) {
        const active = isActive(c, all);
        if (!all && active) return true;
        if (all && !active) return false;
      }
      return all;
    case 'bundle':
      for (const rep of r.bundle?.replicas ?? []) {
        for (const m of [rep.ipRsc, rep.child, rep.container, rep.remote]) {
          if (!m) continue;
          const active = isActive(m, all);
          if (!all && active) return true;
          if (all && !active) return false;
        }
      }
      return all;
  }
}

/**
 * The display lists what runs on the cluster's nodes: something active only through an unmanaged
 * member on a node that is down is not on the list of any node, so it is left out.
 */
function hiddenByNodeFilter(r: Resource): boolean {
  return isActive(r, false) && r.runningOn.length === 0;
}

/** The one node a (possibly grouped) resource is running on, if exactly one. */
function singleLocation(r: Resource): Node | undefined {
  const nodes: Node[] = [];
  for (const p of primitivesOf(r)) for (const n of p.runningOn) if (!nodes.includes(n)) nodes.push(n);
  return nodes.length === 1 ? nodes[0] : undefined;
}

function primitivesOf(r: Resource): Resource[] {
  return r.kind === 'primitive' ? [r] : r.children.flatMap(primitivesOf);
}

function anyDescendant(r: Resource, test: (x: Resource) => boolean): boolean {
  return test(r) || r.children.some((c) => anyDescendant(c, test));
}

const roleRank = { Unknown: 0, Stopped: 1, Started: 2, Unpromoted: 3, Promoted: 4 } as const;

/** Highest role among an instance's members. */
function instanceRole(r: Resource): Resource['role'] {
  if (r.kind === 'primitive') return r.role;
  let best: Resource['role'] = 'Unknown';
  for (const c of r.children) {
    const role = instanceRole(c);
    if (roleRank[role] > roleRank[best]) best = role;
  }
  return best;
}

// ---------------------------------------------------------------------------------------------
// Primitives

function agentText(r: Resource): string {
  const a = r.agent!;
  return a.class === 'ocf' ? `${a.class}:${a.provider ?? ''}:${a.type}` : `${a.class}:${a.type}`;
}

function targetRoleText(r: Resource): string | undefined {
  return r.meta.get('target-role');
}

/** A clone's configured role: its own target-role, else its first instance's. */
function configuredRole(c: Resource): string | undefined {
  return (targetRoleText(c) ?? (c.children[0] ? targetRoleText(c.children[0]) : undefined))?.toLowerCase();
}

/** target-role limits what the resource may do: Stopped, or Unpromoted for a promotable one. */
function isDisabled(r: Resource): boolean {
  const t = targetRoleText(r)?.toLowerCase();
  if (t === 'stopped') return true;
  return (t === 'unpromoted' || t === 'slave') && uberParent(r).promotable;
}

/** The role as shown: a started instance of a promotable clone is "Unpromoted". */
function displayRole(r: Resource): Resource['role'] {
  if (r.role === 'Started' && uberParent(r).promotable) return 'Unpromoted';
  return r.role;
}

const PENDING_STATE: Record<string, string> = {
  start: 'Starting',
  stop: 'Stopping',
  migrate_to: 'Migrating',
  migrate_from: 'Migrating',
  promote: 'Promoting',
  demote: 'Demoting',
};

const OCF_RESULT_TEXT: Record<number, string> = {
  0: 'ok',
  1: 'error',
  2: 'invalid parameter',
  3: 'unimplemented feature',
  4: 'insufficient privileges',
  5: 'not installed',
  6: 'not configured',
  7: 'not running',
  8: 'promoted',
  9: 'promoted (failed)',
  190: 'degraded',
  191: 'degraded promoted',
};

function resultText(rc: number): string {
  return OCF_RESULT_TEXT[rc] ?? 'unknown';
}

/** The resource id an operation key ("<rsc>_<task>_<interval>") names. */
function opKeyResource(key: string): string | undefined {
  const m = /^(.+)_[^_]+_\d+$/.exec(key);
  if (!m) return undefined;
  // migrate_to / migrate_from contain an underscore themselves.
  return m[1]!.replace(/_migrate$/, '');
}

/** The probe that found a resource not installed (or misconfigured) on a node, if any. */
function failedProbeFor(ws: WorkingSet, r: Resource, nodeName: string | undefined): FailedOp | undefined {
  const top = uberParent(r);
  let id = r.id;
  if (r.kind === 'clone') id = cloneChildId(r);
  else if (top.kind === 'clone') id = cloneChildId(top);
  return ws.failedOps.find(
    (f) =>
      isMaskedProbeFailure({ operation: f.task, intervalMs: f.intervalMs, rc: f.rc, status: f.status }) &&
      f.onNode !== undefined &&
      (nodeName === undefined || f.onNode === nodeName) &&
      opKeyResource(f.opKey) === id,
  );
}

function cloneChildId(c: Resource): string {
  return c.config.kind === 'clone' ? c.config.child.id : c.id;
}

/** The name a resource is shown by: anonymous clone instances go by their configured id. */
function printableId(r: Resource): string {
  const top = uberParent(r);
  if (top.kind === 'clone' && !top.unique && r.kind === 'primitive') return r.baseId;
  return r.id;
}

/** One primitive's line: "name\t(agent):\t state node (flags)". */
export function primitiveLine(ws: WorkingSet, r: Resource, name: string, shownNode: Node | undefined): string {
  let node = shownNode ?? r.lockNode;
  if (r.runningOn.length > 1) node = undefined;
  const words: string[] = [];
  if (r.orphan) words.push('ORPHANED');
  const role = displayRole(r);
  if (r.failed) {
    words.push('FAILED');
    if (roleRank[role] > roleRank.Unpromoted) words.push(role);
  } else {
    const pending = r.pendingTask !== undefined ? PENDING_STATE[r.pendingTask] : undefined;
    words.push(pending ?? (role === 'Unknown' ? 'Unknown' : role));
  }
  if (node) words.push(node.name);
  let text = `${name}\t(${agentText(r)}):\t ${words.join(' ')}`;
  if (role === 'Stopped') {
    const probe = failedProbeFor(ws, r, node?.name);
    if (probe) text += ` (${resultText(probe.rc)}) `;
  }
  const flags: string[] = [];
  if (node && !node.online && node.unclean) flags.push('UNCLEAN');
  if (node && node === r.lockNode) flags.push('LOCKED');
  if (r.pendingTask === 'monitor') flags.push('Monitoring');
  const target = targetRoleText(r);
  if (target !== undefined) {
    const t = target.toLowerCase();
    if (t === 'stopped') flags.push('disabled');
    else if ((t === 'unpromoted' || t === 'slave') && uberParent(r).promotable) flags.push(`target-role:${target}`);
  }
  if (r.blocked) flags.push('blocked');
  else if (!r.managed) flags.push('unmanaged');
  if (r.failureIgnored) flags.push('failure ignored');
  if (flags.length) text += ` (${flags.join(', ')})`;
  if (r.runningOn.length > 1) text += ` [ ${r.runningOn.map((n) => n.name).join(' ')} ]`;
  return text;
}

/** The node a primitive is shown on: where it runs, else where an operation is in flight. */
function shownNodeOf(r: Resource): Node | undefined {
  return r.runningOn[0] ?? r.pendingNode;
}

function primitiveItem(ws: WorkingSet, r: Resource): string {
  return primitiveLine(ws, r, printableId(r), shownNodeOf(r));
}

// ---------------------------------------------------------------------------------------------
// Groups, clones, bundles

function item(depth: number, text: string): string {
  return `${'  '.repeat(depth)}* ${text}`;
}

function groupLines(ws: WorkingSet, g: Resource, depth: number): string[] {
  const flags: string[] = [];
  if (!g.managed) flags.push('unmanaged');
  if (isDisabled(g)) flags.push('disabled');
  const out = [item(depth, `Resource Group: ${g.id}${flags.length ? ` (${flags.join(', ')})` : ''}:`)];
  for (const c of g.children) out.push(item(depth + 1, primitiveItem(ws, c)));
  return out;
}

function instanceLines(ws: WorkingSet, inst: Resource, depth: number): string[] {
  return inst.kind === 'group' ? groupLines(ws, inst, depth) : [item(depth, primitiveItem(ws, inst))];
}

function cloneHeader(c: Resource): string {
  const flags: string[] = [];
  if (c.promotable) flags.push('promotable');
  if (c.unique) flags.push('unique');
  if (!c.managed) flags.push('unmanaged');
  if (isDisabled(c)) flags.push('disabled');
  return `Clone Set: ${c.id} [${cloneChildId(c)}]${flags.length ? ` (${flags.join(', ')})` : ''}:`;
}

/**
 * A clone: instances worth a closer look (unique ones, failed, orphaned, unmanaged, partly active,
 * pending) in full; the rest summarised as node lists per role, plus where it is stopped.
 */
function cloneLines(ws: WorkingSet, c: Resource, depth: number): string[] {
  const body: string[] = [];
  const promoted: Node[] = [];
  const started: Node[] = [];
  for (const inst of c.children) {
    if (hiddenByNodeFilter(inst)) continue;
    const partlyActive = isActive(inst, false);
    if (inst.orphan && !partlyActive) continue;
    let full = false;
    if (c.unique) {
      full = true;
    } else if (inst.kind === 'primitive' && inst.pendingTask !== undefined) {
      full = true;
    } else if (!partlyActive) {
      // Counted in the Stopped list below.
    } else if (anyDescendant(inst, (x) => x.orphan || !x.managed || x.failed)) {
      full = true;
    } else if (isActive(inst, true)) {
      const where = singleLocation(inst);
      const role = instanceRole(inst);
      if (!where || (!where.online && where.unclean)) full = true;
      else if (roleRank[role] > roleRank.Unpromoted) promoted.push(where);
      else started.push(where);
    } else {
      full = true;
    }
    if (full) body.push(...instanceLines(ws, inst, depth + 1));
  }
  if (promoted.length) body.push(item(depth + 1, `Promoted: [ ${sortedNames(promoted)} ]`));
  if (started.length) {
    const unpromotedByConfig = configuredRole(c) === 'unpromoted' || configuredRole(c) === 'slave';
    const label = c.promotable ? (unpromotedByConfig ? 'Unpromoted (target-role)' : 'Unpromoted') : 'Started';
    body.push(item(depth + 1, `${label}: [ ${sortedNames(started)} ]`));
  }
  // Instances shown in full do not count as accounted for.
  const listed = promoted.length + started.length;
  if (!c.unique && listed < (c.clone?.max ?? 0)) body.push(...stoppedLines(ws, c, depth + 1));
  return [item(depth, cloneHeader(c)), ...body];
}

/** Where an anonymous clone could run but does not, grouped by why. */
function stoppedLines(ws: WorkingSet, c: Resource, depth: number): string[] {
  let ids = c.unpackAllowed ?? new Set<string>();
  if (ids.size === 0) ids = c.knownOn;
  const byState = new Map<string, Node[]>();
  for (const id of ids) {
    const node = ws.nodesById.get(id);
    if (!node || c.runningOn.includes(node)) continue;
    const probe = failedProbeFor(ws, c, node.name);
    const state = probe ? `Stopped (${resultText(probe.rc)})` : configuredRole(c) === 'stopped' ? 'Stopped (disabled)' : 'Stopped';
    const list = byState.get(state) ?? [];
    list.push(node);
    byState.set(state, list);
  }
  return [...byState].map(([state, nodes]) => item(depth, `${state}: [ ${sortedNames(nodes)} ]`));
}

function bundleLines(ws: WorkingSet, b: Resource, depth: number): string[] {
  const state = b.bundle;
  if (!state || state.replicas.length === 0) return [];
  const head = `Container bundle${state.replicas.length > 1 ? ' set' : ''}: ${b.id} [${state.image}]${b.managed ? '' : ' (unmanaged)'}:`;
  const out = [item(depth, head)];
  for (const rep of state.replicas) {
    const shown = rep.child ?? rep.container;
    let name = rep.remote ? rep.remote.id : rep.container.id;
    if (rep.ip !== undefined) name += ` (${rep.ip})`;
    out.push(item(depth + 1, primitiveLine(ws, shown, name, rep.container.runningOn[0])));
  }
  return out;
}

/** Connections Pacemaker creates for guest nodes are internal and not listed. */
function isInternal(r: Resource): boolean {
  return r.isRemoteConnection && r.container !== undefined && !r.parent && !r.orphan;
}

function resourceLines(ws: WorkingSet, r: Resource, depth: number): string[] {
  switch (r.kind) {
    case 'primitive':
      return [item(depth, primitiveItem(ws, r))];
    case 'group':
      return groupLines(ws, r, depth);
    case 'clone':
      return cloneLines(ws, r, depth);
    case 'bundle':
      return bundleLines(ws, r, depth);
  }
}

export function formatStatus(ws: WorkingSet): string[] {
  const lines: string[] = [];
  const nodes = nodeLines(ws);
  if (nodes.length) {
    lines.push('  * Node List:');
    for (const l of nodes) lines.push(`    * ${l}`);
    lines.push('');
  }
  lines.push('  * Full List of Resources:');
  const resources: string[] = [];
  for (const r of ws.resources) {
    if (r.parent || isInternal(r)) continue;
    // Deleted resources still in the history are only worth showing while active.
    if (r.orphan && !isActive(r, true)) continue;
    if (hiddenByNodeFilter(r)) continue;
    resources.push(...resourceLines(ws, r, 2));
  }
  lines.push(...(resources.length ? resources : ['    * No resources']));
  return lines;
}
