// The agent helper commands' backend (crm_attribute, crm_master, attrd_updater, crm_node, crm_mon,
// cibadmin -Q, crm_resource --locate) over the store: transient attributes are store keys, permanent
// ones and cluster properties are version-checked configuration edits.

import type { CibStore, NodeAttributeKind } from '../cib/cib-store.ts';
import { firstChild, type XmlElement } from '../cib/xml.ts';
import {
  NoSuchNodeError,
  type AttributeBackend,
  type ClusterNode,
  type ClusterStatus,
  type Partition,
  type PropertySection,
  type ResourceInstanceStatus,
  type SetAttributeOptions,
} from '../executor/attribute-backend.ts';
import type { MembershipView } from '../membership/types.ts';

const SECTION_ELEMENT: Record<Exclude<PropertySection, 'tickets'>, { parent: string; set: string; defaultId: string }> = {
  crm_config: { parent: 'crm_config', set: 'cluster_property_set', defaultId: 'cib-bootstrap-options' },
  rsc_defaults: { parent: 'rsc_defaults', set: 'meta_attributes', defaultId: 'rsc_defaults-options' },
  op_defaults: { parent: 'op_defaults', set: 'meta_attributes', defaultId: 'op_defaults-options' },
};

export class StoreAttributeBackend implements AttributeBackend {
  /** Pending dampened writes (attrd_updater -d): node\0name → timer. */
  private readonly dampened = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly cib: CibStore,
    private readonly node: string,
    private readonly view: () => MembershipView | undefined,
  ) {}

  async localNodeName(): Promise<string> {
    return this.node;
  }

  async listNodes(): Promise<ClusterNode[]> {
    const view = this.view();
    const records = await this.cib.listNodes();
    return records.map((r) => {
      const online = r.name === this.node || ['up', 'suspect'].includes(view?.peer(r.name)?.state ?? '');
      return { id: r.id, name: r.name, state: online ? 'member' : 'lost' };
    });
  }

  async partition(): Promise<Partition> {
    const nodes = await this.listNodes();
    return { members: nodes.filter((n) => n.state === 'member').map((n) => n.name), quorate: this.view()?.quorate ?? false };
  }

  private async checkNode(node: string): Promise<void> {
    if (node === this.node) return;
    if (!(await this.cib.getNode(node))) throw new NoSuchNodeError(node);
  }

  async getNodeAttribute(node: string, name: string, kind: NodeAttributeKind): Promise<string | undefined> {
    await this.checkNode(node);
    return this.cib.getNodeAttribute(node, name, kind);
  }

  async setNodeAttribute(node: string, name: string, value: string, kind: NodeAttributeKind, opts?: SetAttributeOptions): Promise<void> {
    await this.checkNode(node);
    if (opts?.dampenMs && kind === 'transient') {
      const k = `${node}\0${name}`;
      clearTimeout(this.dampened.get(k));
      const t = setTimeout(() => {
        this.dampened.delete(k);
        void this.cib.setNodeAttribute(node, name, value, kind).catch(() => {});
      }, opts.dampenMs);
      t.unref();
      this.dampened.set(k, t);
      return;
    }
    await this.cib.setNodeAttribute(node, name, value, kind);
  }

  async deleteNodeAttribute(node: string, name: string, kind: NodeAttributeKind): Promise<void> {
    await this.checkNode(node);
    await this.cib.deleteNodeAttribute(node, name, kind);
  }

  async listNodeAttributes(node: string, kind: NodeAttributeKind): Promise<Record<string, string>> {
    await this.checkNode(node);
    return this.cib.listNodeAttributes(node, kind);
  }

  async clusterStatus(): Promise<ClusterStatus> {
    const view = this.view();
    const records = await this.cib.listNodes();
    const status: ClusterStatus = { quorate: view?.quorate ?? false, nodes: [], resources: [] };
    if (view?.leader) status.dc = view.leader.name;
    const loaded = await this.cib.loadConfiguration();
    const primitives = new Map<string, { agent: string; clone?: { id: string; promotable: boolean; unique: boolean }; group?: string }>();
    if (loaded) collectPrimitives(firstChild(loaded.element, 'resources'), primitives);
    for (const r of records) {
      const peer = view?.peer(r.name);
      const online = r.name === this.node || peer?.state === 'up' || peer?.state === 'suspect';
      const unclean = peer?.state === 'lost' && !view?.knownStopped(r.name, Date.now());
      const standby = (await this.cib.getNodeAttribute(r.name, 'standby', 'permanent').catch(() => undefined)) ?? (await this.cib.getNodeAttribute(r.name, 'standby'));
      status.nodes.push({ name: r.name, id: r.id, online, standby: /^(true|on|yes|1)$/i.test(standby ?? ''), unclean: unclean ?? false, type: 'member' });
      if (!online) continue;
      for (const e of await this.cib.listHistory(r.name)) {
        if (!e.id.endsWith('_last_0') || e.opStatus !== 0) continue;
        const running =
          (['start', 'promote', 'demote', 'migrate_from'].includes(e.operation) && e.rcCode === 0) || (e.operation === 'monitor' && (e.rcCode === 0 || e.rcCode === 8));
        if (!running) continue;
        const base = e.rsc.replace(/:\d+$/, '');
        const p = primitives.get(base);
        const inst: ResourceInstanceStatus = {
          id: base,
          agent: p?.agent ?? `${e.agent.class}${e.agent.provider ? `:${e.agent.provider}` : ''}:${e.agent.type}`,
          role: e.operation === 'promote' || e.rcCode === 8 ? 'Promoted' : p?.clone?.promotable ? 'Unpromoted' : 'Started',
          node: r.name,
        };
        if (p?.clone) inst.clone = p.clone;
        if (p?.group) inst.group = p.group;
        status.resources.push(inst);
      }
    }
    return status;
  }

  async getClusterProperty(name: string, section: PropertySection, set?: string): Promise<string | undefined> {
    if (section === 'tickets') {
      const t = await this.cib.getTicket(set ?? name);
      if (!t) return undefined;
      if (set === undefined) return String(t.granted);
      return name === 'granted' ? String(t.granted) : t.attrs?.[name];
    }
    const loaded = await this.cib.loadConfiguration();
    if (!loaded) return undefined;
    const { parent, set: setName } = SECTION_ELEMENT[section];
    const p = firstChild(loaded.element, parent);
    for (const s of p?.children ?? []) {
      if (s.name !== setName || (set !== undefined && s.attrs.id !== set)) continue;
      const nv = s.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
      if (nv) return nv.attrs.value;
    }
    return undefined;
  }

  async setClusterProperty(name: string, value: string, section: PropertySection, set?: string): Promise<void> {
    if (section === 'tickets') {
      const id = set ?? name;
      const t = (await this.cib.getTicket(id)) ?? { id, granted: false };
      if (name === 'granted' || set === undefined) t.granted = /^(true|on|yes|1)$/i.test(value);
      else t.attrs = { ...(t.attrs ?? {}), [name]: value };
      await this.cib.setTicket(t);
      return;
    }
    const { parent, set: setName, defaultId } = SECTION_ELEMENT[section];
    await this.cib.updateConfiguration((cfg) => {
      let p = firstChild(cfg, parent);
      if (!p) cfg.children.push((p = { name: parent, attrs: {}, children: [] }));
      const id = set ?? defaultId;
      let s = p.children.find((c) => c.name === setName && c.attrs.id === id);
      if (!s) p.children.push((s = { name: setName, attrs: { id }, children: [] }));
      const nv = s.children.find((c) => c.name === 'nvpair' && c.attrs.name === name);
      if (nv) nv.attrs.value = value;
      else s.children.push({ name: 'nvpair', attrs: { id: `${id}-${name}`, name, value }, children: [] });
    });
  }

  async deleteClusterProperty(name: string, section: PropertySection, set?: string): Promise<void> {
    if (section === 'tickets') {
      const id = set ?? name;
      if (set === undefined) await this.cib.deleteTicket(id);
      else {
        const t = await this.cib.getTicket(id);
        if (t?.attrs?.[name] !== undefined) {
          delete t.attrs[name];
          await this.cib.setTicket(t);
        }
      }
      return;
    }
    if ((await this.getClusterProperty(name, section, set)) === undefined) return;
    const { parent, set: setName } = SECTION_ELEMENT[section];
    await this.cib.updateConfiguration((cfg) => {
      const p = firstChild(cfg, parent);
      for (const s of p?.children ?? []) {
        if (s.name !== setName || (set !== undefined && s.attrs.id !== set)) continue;
        s.children = s.children.filter((c) => !(c.name === 'nvpair' && c.attrs.name === name));
      }
    });
  }
}

function collectPrimitives(
  el: XmlElement | undefined,
  out: Map<string, { agent: string; clone?: { id: string; promotable: boolean; unique: boolean }; group?: string }>,
  ctx: { clone?: { id: string; promotable: boolean; unique: boolean }; group?: string } = {},
): void {
  for (const c of el?.children ?? []) {
    if (c.name === 'primitive' && c.attrs.id) {
      const a = c.attrs;
      out.set(a.id!, { agent: `${a.class}${a.provider ? `:${a.provider}` : ''}:${a.type}`, ...ctx });
    } else if (c.name === 'group') collectPrimitives(c, out, { ...ctx, group: c.attrs.id! });
    else if (c.name === 'clone' || c.name === 'master') {
      const meta = c.children.filter((x) => x.name === 'meta_attributes').flatMap((m) => m.children);
      const val = (n: string) => meta.find((nv) => nv.attrs.name === n)?.attrs.value ?? '';
      collectPrimitives(c, out, { clone: { id: c.attrs.id!, promotable: c.name === 'master' || /^(true|1|yes|on)$/i.test(val('promotable')), unique: /^(true|1|yes|on)$/i.test(val('globally-unique')) } });
    }
  }
}
