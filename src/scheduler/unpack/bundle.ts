// Bundles: N replicas of a container image. Each replica is a container resource
// (<bundle>-docker-N, -podman-N or -rkt-N), optionally an IP address (<bundle>-ip-<addr>) and,
// when the bundle wraps a primitive, a Pacemaker Remote connection (<bundle>-N) that makes the
// container a guest node of the same name. The wrapped primitive becomes a clone (<bundle>-clone,
// or <bundle>-master when promotable) whose instance N runs on guest node <bundle>-N.
import type { AttributeSet, BundleConfig, CloneConfig, OpConfig, PrimitiveConfig } from '../../cib/model.ts';
import { INFINITY } from '../../cib/score.ts';
import type { BundleReplica, BundleState, Node, Resource, WorkingSet } from '../types.ts';
import { applyConfiguredAttrs, newNode } from './nodes.ts';
import { buildClone, buildPrimitive, newBundleResource } from './resources.ts';

const CONTAINER_AGENTS: Record<string, string> = { docker: 'docker', podman: 'podman', rkt: 'rkt' };

function positiveInt(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = parseInt(v, 10);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/** The n-th address after an IPv4 range start; undefined when the start is not IPv4. */
export function nthAddress(start: string, n: number): string | undefined {
  const parts = start.split('.').map((p) => Number(p));
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  let value = ((parts[0]! << 24) >>> 0) + (parts[1]! << 16) + (parts[2]! << 8) + parts[3]! + n;
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    out.unshift(value & 255);
    value = Math.floor(value / 256);
  }
  return out.join('.');
}

function nvSet(id: string, pairs: Record<string, string | undefined>): AttributeSet {
  return {
    id,
    nvpairs: Object.entries(pairs)
      .filter(([, v]) => v !== undefined)
      .map(([name, value]) => ({ id: `${id}-${name}`, name, value: value! })),
  };
}

function monitorOp(id: string, interval: string, intervalMs: number, timeout: string): OpConfig {
  return { id: `${id}-monitor-interval-${interval}`, name: 'monitor', intervalMs, attrs: { interval, timeout }, meta: [], instance: [] };
}

function primitiveConfig(id: string, type: string, provider: string, params: Record<string, string | undefined>, ops: OpConfig[], meta: Record<string, string | undefined> = {}): PrimitiveConfig {
  return {
    kind: 'primitive',
    id,
    class: 'ocf',
    provider,
    type,
    ops,
    meta: Object.keys(meta).length ? [nvSet(`${id}-meta_attributes`, meta)] : [],
    instance: [nvSet(`${id}-instance_attributes`, params)],
    utilization: [],
  };
}

function readState(cfg: BundleConfig): BundleState {
  const c = cfg.container;
  const net = cfg.network?.attrs ?? {};
  const promotedMax = positiveInt(c['promoted-max'] ?? c.masters) ?? 0;
  const state: BundleState = {
    replicas: [],
    image: c.image ?? '',
    runtime: cfg.runtime,
    replicasPerHost: Math.max(1, positiveInt(c['replicas-per-host']) ?? 1),
    promotedMax,
  };
  if (net['ip-range-start'] !== undefined) state.ipRangeStart = net['ip-range-start'];
  if (net['control-port'] !== undefined) state.controlPort = net['control-port'];
  if (net['host-interface'] !== undefined) state.hostInterface = net['host-interface'];
  if (net['host-netmask'] !== undefined) state.hostNetmask = net['host-netmask'];
  return state;
}

function replicaCount(cfg: BundleConfig, state: BundleState): number {
  return positiveInt(cfg.container.replicas) ?? Math.max(1, state.promotedMax);
}

/** The clone wrapping the bundle's primitive, one instance per replica. */
function innerClone(ws: WorkingSet, bundle: Resource, cfg: BundleConfig, state: BundleState, replicas: number): Resource | undefined {
  if (!cfg.child) return undefined;
  const promotable = state.promotedMax > 0;
  const id = `${bundle.id}-${promotable ? 'master' : 'clone'}`;
  const cloneCfg: CloneConfig = {
    kind: 'clone',
    id,
    child: cfg.child,
    meta: [
      nvSet(`${id}-meta_attributes`, {
        'clone-max': String(replicas),
        'clone-node-max': String(state.replicasPerHost),
        'globally-unique': 'false',
        promotable: promotable ? 'true' : undefined,
        'promoted-max': promotable ? String(state.promotedMax) : undefined,
      }),
    ],
    instance: [],
    utilization: [],
  };
  return buildClone(ws, cloneCfg, bundle);
}

function ipResource(ws: WorkingSet, bundle: Resource, state: BundleState, ip: string): Resource {
  const id = `${bundle.id}-ip-${ip}`;
  const cfg = primitiveConfig(
    id,
    'IPaddr2',
    'heartbeat',
    { ip, nic: state.hostInterface, cidr_netmask: state.hostNetmask ?? '32' },
    [monitorOp(id, '60s', 60_000, '20s')],
  );
  return buildPrimitive(ws, cfg, id, bundle);
}

function containerResource(ws: WorkingSet, bundle: Resource, cfg: BundleConfig, state: BundleState, index: number): Resource {
  const agent = CONTAINER_AGENTS[state.runtime] ?? state.runtime;
  const id = `${bundle.id}-${state.runtime}-${index}`;
  const c = cfg.container;
  const prim = primitiveConfig(
    id,
    agent,
    'heartbeat',
    { name: id, image: state.image, allow_pull: 'true', force_kill: 'false', reuse: 'false', run_opts: c.options, run_cmd: c['run-command'] },
    [monitorOp(id, '60s', 60_000, '20s')],
  );
  return buildPrimitive(ws, prim, id, bundle);
}

function remoteResource(ws: WorkingSet, bundle: Resource, state: BundleState, index: number, ip: string | undefined, container: Resource): Resource {
  const id = `${bundle.id}-${index}`;
  const prim = primitiveConfig(
    id,
    'remote',
    'pacemaker',
    { addr: ip ?? '#uname', port: state.controlPort },
    [monitorOp(id, '30s', 30_000, '30s')],
    { container: container.id },
  );
  const r = buildPrimitive(ws, prim, id, bundle);
  r.isRemoteConnection = true;
  r.container = container;
  container.containerOf = r;
  return r;
}

/** The guest node a replica's connection creates; only that replica's instance may run there. */
function guestNode(ws: WorkingSet, name: string, connection: Resource): Node {
  let node = ws.nodesByName.get(name);
  if (!node) {
    node = newNode(ws, name, name, 'guest');
    applyConfiguredAttrs(ws, node, ws.cib.configuration.nodes.find((n) => n.id === name || n.uname === name));
  }
  node.kind = 'guest';
  node.weight = -INFINITY;
  node.discoverNever = true;
  node.connection = connection;
  return node;
}

/** Builds a bundle with its replicas (in configuration order, so later resources see its nodes). */
export function buildBundle(ws: WorkingSet, cfg: BundleConfig): Resource {
  const bundle = newBundleResource(ws, cfg);
  const state = readState(cfg);
  const replicas = replicaCount(cfg, state);
  const clone = innerClone(ws, bundle, cfg, state, replicas);
  if (clone) state.child = clone;
  // A connection needs an address to reach: an IP per replica, or the host's own on a control port.
  const reachable = state.ipRangeStart !== undefined || state.controlPort !== undefined;
  for (let i = 0; i < replicas; i++) {
    const ip = state.ipRangeStart !== undefined ? nthAddress(state.ipRangeStart, i) : undefined;
    const replica: BundleReplica = { index: i, container: undefined as unknown as Resource };
    if (ip !== undefined) {
      replica.ip = ip;
      replica.ipRsc = ipResource(ws, bundle, state, ip);
    }
    replica.container = containerResource(ws, bundle, cfg, state, i);
    const child = clone?.children[i];
    if (child) {
      replica.child = child;
      if (reachable) {
        replica.remote = remoteResource(ws, bundle, state, i, ip, replica.container);
        replica.node = guestNode(ws, replica.remote.id, replica.remote);
      }
    }
    state.replicas.push(replica);
  }
  for (const rep of state.replicas) {
    if (rep.ipRsc) bundle.children.push(rep.ipRsc);
    bundle.children.push(rep.container);
    if (rep.remote) bundle.children.push(rep.remote);
  }
  if (clone) bundle.children.push(clone);
  bundle.bundle = state;
  return bundle;
}

/** The replica whose guest node this is. */
export function replicaOnNode(bundle: Resource, node: Node): BundleReplica | undefined {
  return bundle.bundle?.replicas.find((r) => r.node === node);
}

/** The bundle a resource belongs to (a replica's container, IP, connection, or inner instance). */
export function bundleOf(r: Resource): Resource | undefined {
  for (let p: Resource | undefined = r; p; p = p.parent) if (p.kind === 'bundle') return p;
  return undefined;
}
