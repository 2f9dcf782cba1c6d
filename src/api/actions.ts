// Node, resource and fencing actions, each as the store change the DC acts on (as Pacemaker's tools
// do through the CIB): standby/maintenance are permanent node attributes, enable/disable the
// target-role meta attribute, cleanup deletes fail counts and the failed resource's history (the DC
// re-probes it), restart is disable + wait until stopped + restore, and a fencing request is the
// transient node attribute `terminate` (the scheduler fences such a node; the DC's fencer carries it
// out and the fencing record clears the node's transient attributes).
import type { CibStore } from '../cib/cib-store.ts';
import { decodeRecord, encodeRecord, keys, parseKey, type TransientAttributeRecord } from '../cib/store-layout.ts';
import { firstChild, type XmlElement } from '../cib/xml.ts';
import type { MembershipView } from '../membership/types.ts';
import { schedule } from '../scheduler/index.ts';
import { descendants } from '../scheduler/unpack/resources.ts';
import type { TxnOp } from '../store/types.ts';
import type { ActionResponse, NodeAction, ResourceAction } from './contract.ts';

/** Something named does not exist (404) or the request cannot be done (400, 504). */
export class ActionError extends Error {
  override readonly name = 'ActionError';
  constructor(
    readonly status: 400 | 404 | 504,
    message: string,
  ) {
    super(message);
  }
}

const RESOURCE_ELEMENTS = new Set(['primitive', 'group', 'clone', 'master', 'bundle']);

function* walk(el: XmlElement): Iterable<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

function findResourceElement(cfg: XmlElement, id: string): XmlElement | undefined {
  const resources = firstChild(cfg, 'resources');
  if (!resources) return undefined;
  const base = id.replace(/:\d+$/, '');
  for (const el of walk(resources)) if (RESOURCE_ELEMENTS.has(el.name) && el.attrs.id === base) return el;
  return undefined;
}

function resourceIds(cfg: XmlElement): string[] {
  const resources = firstChild(cfg, 'resources');
  if (!resources) return [];
  return [...walk(resources)].filter((e) => RESOURCE_ELEMENTS.has(e.name) && e.attrs.id).map((e) => e.attrs.id!);
}

function primitivesOf(el: XmlElement): string[] {
  return [...walk(el)].filter((e) => e.name === 'primitive' && e.attrs.id).map((e) => e.attrs.id!);
}

function configNode(cfg: XmlElement, name: string): XmlElement | undefined {
  const nodes = firstChild(cfg, 'nodes');
  return nodes?.children.find((n) => n.name === 'node' && (n.attrs.uname ?? n.attrs.id) === name);
}

function nodeNames(cfg: XmlElement): string[] {
  const nodes = firstChild(cfg, 'nodes');
  return (nodes?.children ?? []).filter((n) => n.name === 'node').map((n) => n.attrs.uname ?? n.attrs.id ?? '?');
}

function metaValue(el: XmlElement, name: string): string | undefined {
  for (const ma of el.children.filter((c) => c.name === 'meta_attributes')) for (const nv of ma.children) if (nv.name === 'nvpair' && nv.attrs.name === name) return nv.attrs.value;
  return undefined;
}

/** Set (value defined) or remove (undefined) a meta attribute of a resource element. */
function setMeta(el: XmlElement, name: string, value: string | undefined): void {
  const sets = el.children.filter((c) => c.name === 'meta_attributes');
  if (value === undefined) {
    for (const ma of sets) ma.children = ma.children.filter((nv) => !(nv.name === 'nvpair' && nv.attrs.name === name));
    return;
  }
  for (const ma of sets) {
    const nv = ma.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
    if (nv) {
      nv.attrs.value = value;
      return;
    }
  }
  let ma = sets[0];
  if (!ma) {
    ma = { name: 'meta_attributes', attrs: { id: `${el.attrs.id}-meta_attributes` }, children: [] };
    // meta_attributes goes before operations/children for readability; order does not matter to the schema.
    el.children.unshift(ma);
  }
  ma.children.push({ name: 'nvpair', attrs: { id: `${ma.attrs.id}-${name}`, name, value }, children: [] });
}

function nodeAttr(node: XmlElement, name: string): string | undefined {
  for (const set of node.children.filter((c) => c.name === 'instance_attributes')) for (const nv of set.children) if (nv.name === 'nvpair' && nv.attrs.name === name) return nv.attrs.value;
  return undefined;
}

function setNodeAttr(node: XmlElement, name: string, value: string | undefined): void {
  const sets = node.children.filter((c) => c.name === 'instance_attributes');
  if (value === undefined) {
    for (const s of sets) s.children = s.children.filter((nv) => !(nv.name === 'nvpair' && nv.attrs.name === name));
    return;
  }
  for (const s of sets) {
    const nv = s.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
    if (nv) {
      nv.attrs.value = value;
      return;
    }
  }
  let set = sets[0];
  if (!set) node.children.push((set = { name: 'instance_attributes', attrs: { id: `nodes-${node.attrs.id}` }, children: [] }));
  set.children.push({ name: 'nvpair', attrs: { id: `${set.attrs.id}-${name}`, name, value }, children: [] });
}

const ON = /^(on|true|yes|1|y)$/i;

export class Actions {
  constructor(
    readonly cib: CibStore,
    readonly cluster: string,
    readonly view: () => Promise<MembershipView>,
  ) {}

  private async config(): Promise<XmlElement> {
    const loaded = await this.cib.loadConfiguration();
    if (!loaded) throw new ActionError(404, 'the cluster has no configuration yet: import one first (POST /api/v1/config/import)');
    return loaded.element;
  }

  async node(name: string, action: NodeAction, by: string): Promise<ActionResponse> {
    const cfg = await this.config();
    const node = configNode(cfg, name);
    if (!node) throw new ActionError(404, `unknown node ${JSON.stringify(name)}: the configuration has ${nodeNames(cfg).join(', ') || 'no nodes'}`);
    const attr = action === 'standby' || action === 'unstandby' ? 'standby' : 'maintenance';
    const on = action === 'standby' || action === 'maintenance';
    const isOn = ON.test(nodeAttr(node, attr) ?? '');
    const label = attr === 'standby' ? 'standby' : 'maintenance mode';
    if (isOn === on && (on || nodeAttr(node, attr) === undefined)) {
      return { target: name, action, revision: 0, message: `${name} was already ${on ? 'in' : 'out of'} ${label}; nothing changed` };
    }
    const res = await this.cib.updateConfiguration(
      (c) => {
        const n = configNode(c, name);
        if (!n) throw new ActionError(404, `unknown node ${JSON.stringify(name)}`);
        setNodeAttr(n, attr, on ? 'on' : undefined);
      },
      5,
      { by },
    );
    return { target: name, action, revision: res.revision, message: `${name} ${on ? 'put in' : 'taken out of'} ${label} (configuration epoch ${res.epoch})` };
  }

  async resource(id: string, action: ResourceAction, opts: { node?: string; timeoutMs?: number }, by: string, audit: (step: string, revision: number) => Promise<void>): Promise<ActionResponse> {
    const cfg = await this.config();
    const el = findResourceElement(cfg, id);
    if (!el) throw new ActionError(404, `unknown resource ${JSON.stringify(id)}: the configuration has ${resourceIds(cfg).join(', ') || 'no resources'}`);
    const rid = el.attrs.id!;
    switch (action) {
      case 'enable':
      case 'disable': {
        const want = action === 'disable' ? 'Stopped' : undefined;
        const cur = metaValue(el, 'target-role');
        if (action === 'disable' ? cur?.toLowerCase() === 'stopped' : cur === undefined) {
          return { target: rid, action, revision: 0, message: `${rid} was already ${action}d; nothing changed` };
        }
        const res = await this.setTargetRole(rid, want, by);
        return { target: rid, action, revision: res.revision, message: action === 'disable' ? `${rid} disabled (target-role=Stopped): the DC stops it` : `${rid} enabled (target-role removed): the DC may start it` };
      }
      case 'cleanup':
        return this.cleanup(rid, primitivesOf(el), opts.node);
      case 'restart':
        return this.restart(rid, metaValue(el, 'target-role'), opts.timeoutMs ?? 60_000, by, audit);
    }
  }

  private setTargetRole(rid: string, role: string | undefined, by: string) {
    return this.cib.updateConfiguration(
      (c) => {
        const e = findResourceElement(c, rid);
        if (!e) throw new ActionError(404, `unknown resource ${JSON.stringify(rid)}`);
        setMeta(e, 'target-role', role);
      },
      5,
      { by },
    );
  }

  private async cleanup(rid: string, prims: string[], node: string | undefined): Promise<ActionResponse> {
    const c = this.cluster;
    const store = this.cib.store;
    const ids = new Set(prims.length ? prims : [rid]);
    const matches = (rsc: string) => ids.has(rsc) || ids.has(rsc.replace(/:\d+$/, ''));
    const ops: TxnOp[] = [];
    const what: string[] = [];
    const attrs = await store.list(keys.attrsPrefix(c));
    for (const kv of attrs.kvs) {
      const [n, name] = parseKey(keys.attrsPrefix(c), kv.key);
      if (!n || !name || (node && n !== node)) continue;
      const m = /^(?:fail-count|last-failure)-(.+)#/.exec(name);
      if (m && matches(m[1]!)) {
        ops.push({ type: 'delete', key: kv.key });
        if (name.startsWith('fail-count-')) what.push(`fail count ${decodeRecord<TransientAttributeRecord>(kv.key, kv.value).value} of ${m[1]} on ${n}`);
      }
    }
    const hist = await store.list(keys.historyPrefix(c));
    const failedOn = new Set<string>();
    for (const kv of hist.kvs) {
      const [n, rsc, opId] = parseKey(keys.historyPrefix(c), kv.key);
      if (!n || !rsc || !opId || (node && n !== node) || !matches(rsc)) continue;
      if (opId.endsWith('_last_failure_0')) failedOn.add(`${n}\u0000${rsc}`);
    }
    for (const key of failedOn) {
      const [n, rsc] = key.split('\u0000') as [string, string];
      ops.push({ type: 'delete', key: keys.resourceHistoryPrefix(c, n, rsc), prefix: true });
      what.push(`failed operations of ${rsc} on ${n}`);
    }
    if (ops.length === 0) return { target: rid, action: 'cleanup', revision: 0, message: `${rid} has no failures${node ? ` on ${node}` : ''} to clean up` };
    const res = await store.txn({ compares: [], success: ops });
    return { target: rid, action: 'cleanup', revision: res.revision, message: `cleaned up ${what.join(', ')}: the DC re-checks ${rid}` };
  }

  private async runningNodes(rid: string): Promise<string[]> {
    const cib = await this.cib.readCib(await this.view(), Date.now());
    const ws = schedule(cib, Math.floor(Date.now() / 1000)).ws;
    const top = ws.resourcesById.get(rid);
    const out = new Set<string>();
    const roots = top ? [top] : [...ws.resourcesById.values()].filter((r) => r.id.replace(/:\d+$/, '') === rid);
    for (const r of roots) for (const d of descendants(r)) for (const n of d.runningOn) out.add(n.name);
    return [...out];
  }

  private async restart(rid: string, previousRole: string | undefined, timeoutMs: number, by: string, audit: (step: string, revision: number) => Promise<void>): Promise<ActionResponse> {
    if (previousRole !== undefined && previousRole.toLowerCase() === 'stopped') throw new ActionError(400, `${rid} is disabled (target-role=Stopped): enable it instead of restarting it`);
    const wasOn = await this.runningNodes(rid);
    const stop = await this.setTargetRole(rid, 'Stopped', by);
    await audit('stop for restart (target-role=Stopped)', stop.revision);
    const deadline = Date.now() + timeoutMs;
    let running = wasOn;
    while (Date.now() < deadline) {
      running = await this.runningNodes(rid);
      if (running.length === 0) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const back = await this.setTargetRole(rid, previousRole, by);
    await audit(`start after restart (target-role ${previousRole ?? 'removed'})`, back.revision);
    if (running.length > 0) throw new ActionError(504, `${rid} was still running on ${running.join(', ')} after ${timeoutMs} ms; its target-role was restored, so it was not restarted`);
    return { target: rid, action: 'restart', revision: back.revision, message: `${rid} stopped${wasOn.length ? ` on ${wasOn.join(', ')}` : ''} and allowed to start again` };
  }

  /** Record a fencing request: the transient attribute `terminate` on the node. */
  async fence(name: string): Promise<ActionResponse> {
    const cfg = await this.config();
    const known = configNode(cfg, name) ?? (await this.cib.store.get(keys.node(this.cluster, name))).kv;
    if (!known) throw new ActionError(404, `unknown node ${JSON.stringify(name)}: the configuration has ${nodeNames(cfg).join(', ') || 'no nodes'}`);
    const rec: TransientAttributeRecord = { value: 'true', updatedAt: Date.now() };
    const revision = await this.cib.store.put(keys.attr(this.cluster, name, 'terminate'), encodeRecord(rec));
    return { target: name, action: 'fence', revision, message: `fencing of ${name} requested: the DC fences it (see GET /api/v1/fencing/history)` };
  }
}
