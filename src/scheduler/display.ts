// Cluster status in the text layout crm_mon and crm_simulate print: the node list, then every
// resource (groups, clones and bundles nested), with role, node and flags.
import type { Node, Resource, WorkingSet } from './types.ts';
import { primitivesOf } from './unpack/resources.ts';

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

function nodeLines(ws: WorkingSet): string[] {
  const lines: string[] = [];
  const lists = { Online: [] as string[], OFFLINE: [] as string[], RemoteOnline: [] as string[], RemoteOFFLINE: [] as string[], GuestOnline: [] as string[], GuestOFFLINE: [] as string[] };
  const nodes = [...ws.nodes].sort((a, b) => compareNames(a.name, b.name));
  for (const n of nodes) {
    const kindWord = n.kind === 'member' ? 'Node' : n.kind === 'remote' ? 'RemoteNode' : 'GuestNode';
    const prefix = n.kind === 'member' ? '' : n.kind === 'remote' ? 'Remote' : 'Guest';
    if (n.kind === 'guest' && !n.online && !n.unclean && !isGuestShown(n)) continue;
    if (n.kind === 'guest' && n.unclean) continue;
    const hasActive = n.running.length > 0;
    if (n.unclean) {
      lines.push(`${kindWord} ${n.name}: UNCLEAN (${n.online ? 'online' : 'offline'})`);
    } else if (n.pending) {
      lines.push(`${kindWord} ${n.name}: pending`);
    } else if (n.online && n.standby) {
      lines.push(`${kindWord} ${n.name}: standby${hasActive ? ' (with active resources)' : ''}`);
    } else if (n.online && n.maintenance) {
      lines.push(`${kindWord} ${n.name}: maintenance`);
    } else if (!n.online && n.standby) {
      lines.push(`${kindWord} ${n.name}: OFFLINE (standby)`);
    } else if (!n.online && n.maintenance) {
      lines.push(`${kindWord} ${n.name}: OFFLINE (maintenance)`);
    } else if (n.online && healthWord(ws, n)) {
      lines.push(`${kindWord} ${n.name}: online (health is ${healthWord(ws, n)})`);
    } else if (n.online) {
      lists[`${prefix}Online` as keyof typeof lists].push(n.name);
    } else {
      lists[`${prefix}OFFLINE` as keyof typeof lists].push(n.name);
    }
  }
  for (const [label, names] of Object.entries(lists)) if (names.length) lines.push(`${label}: [ ${names.join(' ')} ]`);
  return lines;
}

function isGuestShown(_n: Node): boolean {
  return false;
}

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

function agentText(r: Resource): string {
  const a = r.agent!;
  return a.provider ? `${a.class}:${a.provider}:${a.type}` : `${a.class}:${a.type}`;
}

function isDisabled(r: Resource): boolean {
  return r.targetRole === 'Stopped';
}

/** The display name: anonymous clone instances are shown without their instance number. */
function displayName(r: Resource): string {
  const inClone = cloneAncestor(r);
  if (inClone && !inClone.unique && r.kind === 'primitive') return r.baseId;
  return r.id;
}

function cloneAncestor(r: Resource): Resource | undefined {
  for (let p = r.parent; p; p = p.parent) if (p.kind === 'clone') return p;
  return undefined;
}

function roleWord(r: Resource): string {
  if (r.role === 'Unknown') return 'Stopped';
  return r.role;
}

/** One primitive's status text after the tab: "Started node1 (unmanaged)". */
export function primitiveState(r: Resource, node?: Node): string {
  let s = '';
  if (r.orphan) s += 'ORPHANED ';
  const running = node ? [node] : r.runningOn;
  const pendingStart = r.pendingTask === 'start' && r.pendingNode;
  if (r.failed) {
    s += 'FAILED';
    if (r.role === 'Promoted') s += ' Promoted';
  } else if (pendingStart && running.length <= 1) {
    s += 'Starting';
  } else {
    s += roleWord(r);
  }
  if (running.length === 1) s += ` ${running[0]!.name}`;
  else if (running.length > 1) s += ` [ ${running.map((n) => n.name).join(' ')} ]`;
  const flags: string[] = [];
  if (running.length === 1 && running[0]!.unclean) flags.push('UNCLEAN');
  if (isDisabled(r)) flags.push('disabled');
  if (!r.managed) flags.push('unmanaged');
  if (r.blocked) flags.push('blocked');
  if (r.pendingTask === 'monitor' && running.length > 0) flags.push('Monitoring');
  if (flags.length) s += ` (${flags.join(', ')})`;
  return s;
}

function primitiveLine(r: Resource): string {
  return `${displayName(r)}\t(${agentText(r)}):\t ${primitiveState(r)}`;
}

function indentAll(lines: string[], depth: number): string[] {
  return lines.map((l) => `${'  '.repeat(depth)}* ${l}`);
}

function groupLines(g: Resource, depth: number): string[] {
  const flags: string[] = [];
  if (!g.managed) flags.push('unmanaged');
  if (isDisabled(g)) flags.push('disabled');
  const head = `Resource Group: ${g.id}${flags.length ? ` (${flags.join(', ')})` : ''}:`;
  const out = indentAll([head], depth);
  for (const c of g.children) out.push(...indentAll([primitiveLine(c)], depth + 1));
  return out;
}

function isPlainInstance(inst: Resource): boolean {
  // Instances listed only by node when all is ordinary.
  for (const p of primitivesOf(inst)) {
    if (p.failed || !p.managed || p.orphan || p.blocked || p.pendingTask === 'start') return false;
    if (p.runningOn.length > 1) return false;
    if (p.runningOn.some((n) => n.unclean)) return false;
  }
  if (inst.kind === 'group') {
    // A group instance whose members disagree on role or node is shown in full.
    const prims = primitivesOf(inst);
    const first = prims[0];
    if (!first) return true;
    const nodes = new Set(prims.map((p) => p.runningOn[0]?.name ?? ''));
    const roles = new Set(prims.map((p) => p.role));
    if (nodes.size > 1 || roles.size > 1) return false;
  }
  return true;
}

function cloneLines(ws: WorkingSet, c: Resource, depth: number): string[] {
  const child = c.children[0];
  const childBase = (c.config.kind === 'clone' ? c.config.child.id : c.id);
  const flags: string[] = [];
  if (c.promotable) flags.push('promotable');
  if (c.unique) flags.push('unique');
  if (!c.managed) flags.push('unmanaged');
  if (isDisabled(c)) flags.push('disabled');
  const head = `Clone Set: ${c.id} [${childBase}]${flags.length ? ` (${flags.join(', ')})` : ''}:`;
  const out = indentAll([head], depth);
  const body: string[] = [];
  void child;
  if (c.unique) {
    for (const inst of c.children) {
      if (inst.orphan && inst.runningOn.length === 0) continue;
      if (inst.kind === 'group') body.push(...groupLines(inst, depth + 1).map((l) => l));
      else body.push(...indentAll([primitiveLine(inst)], depth + 1));
    }
    return [...out, ...body];
  }
  const promoted: Node[] = [];
  const unpromoted: Node[] = [];
  const started: Node[] = [];
  const activeNodes = new Set<string>();
  for (const inst of c.children) {
    for (const n of inst.runningOn) activeNodes.add(n.id);
    if (inst.runningOn.length === 0) continue;
    if (!isPlainInstance(inst)) {
      if (inst.kind === 'group') body.push(...groupLines(inst, depth + 1));
      else body.push(...indentAll([primitiveLine(inst)], depth + 1));
      continue;
    }
    const node = inst.runningOn[0]!;
    if (inst.role === 'Promoted') promoted.push(node);
    else if (c.promotable && (inst.role === 'Unpromoted' || inst.role === 'Started')) unpromoted.push(node);
    else started.push(node);
  }
  const sortNodes = (l: Node[]) => l.sort((a, b) => compareNames(a.name, b.name)).map((n) => n.name).join(' ');
  if (promoted.length) body.push(...indentAll([`Promoted: [ ${sortNodes(promoted)} ]`], depth + 1));
  if (unpromoted.length) body.push(...indentAll([`Unpromoted: [ ${sortNodes(unpromoted)} ]`], depth + 1));
  if (started.length) body.push(...indentAll([`Started: [ ${sortNodes(started)} ]`], depth + 1));
  const stopped = ws.nodes.filter((n) => !activeNodes.has(n.id) && stoppedCandidate(ws, c, n));
  if (stopped.length) {
    const word = isDisabled(c) ? 'Stopped (disabled)' : 'Stopped';
    body.push(...indentAll([`${word}: [ ${sortNodes(stopped)} ]`], depth + 1));
  }
  return [...out, ...body];
}

/** Nodes listed as "Stopped" for an anonymous clone: where it may run but does not. */
function stoppedCandidate(ws: WorkingSet, c: Resource, n: Node): boolean {
  const score = c.allowed.get(n.id);
  if (score !== undefined && score < 0) return false;
  if (!ws.options.symmetricCluster && score === undefined) return false;
  if (n.kind === 'guest' && !n.online) return false;
  return true;
}

function resourceLines(ws: WorkingSet, r: Resource, depth: number): string[] {
  switch (r.kind) {
    case 'primitive':
      if (r.orphan && r.runningOn.length === 0 && !r.failed) return [];
      return indentAll([primitiveLine(r)], depth);
    case 'group':
      return groupLines(r, depth);
    case 'clone':
      return cloneLines(ws, r, depth);
    case 'bundle':
      return bundleLines(ws, r, depth);
  }
}

function bundleLines(ws: WorkingSet, b: Resource, depth: number): string[] {
  const cfg = b.config.kind === 'bundle' ? b.config : undefined;
  const image = cfg?.container.image ?? '';
  const multi = (b.bundle?.replicas.length ?? 0) > 1;
  const flags: string[] = [];
  if (!b.managed) flags.push('unmanaged');
  if (isDisabled(b)) flags.push('disabled');
  const head = `Container bundle${multi ? ' set' : ''}: ${b.id} [${image}]${flags.length ? ` (${flags.join(', ')})` : ''}:`;
  const out = indentAll([head], depth);
  for (const rep of b.bundle?.replicas ?? []) {
    const shown = rep.child ?? rep.container;
    const name = rep.ip ? `${b.id}-${rep.index} (${rep.ip})` : `${b.id}-${rep.index}`;
    const node = rep.container.runningOn[0];
    const line = rep.child
      ? `${name}\t(${agentText(rep.child)}):\t ${primitiveState(rep.child, rep.child.runningOn.length ? undefined : node)}`
      : `${displayName(shown)}\t(${agentText(shown)}):\t ${primitiveState(shown)}`;
    out.push(...indentAll([line], depth + 1));
  }
  void ws;
  return out;
}

export function formatStatus(ws: WorkingSet): string[] {
  const lines: string[] = [];
  lines.push('  * Node List:');
  for (const l of nodeLines(ws)) lines.push(`    * ${l}`);
  lines.push('');
  lines.push('  * Full List of Resources:');
  for (const r of ws.resources) {
    if (r.isRemoteConnection && r.container) continue;
    if (r.parent) continue;
    lines.push(...resourceLines(ws, r, 2));
  }
  return lines;
}
