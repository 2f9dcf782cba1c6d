// Fence devices from the CIB: every primitive of class `stonith`, with the pcmk_* instance attributes
// that say which nodes it can fence, how the target is named to the agent, delays, action names,
// timeouts and retries. Which devices can fence a target is answered here (statically, or by asking
// the agent: dynamic-list / status).

import type { Cib, LocationConstraint, PrimitiveConfig, ResourceConfig } from '../cib/model.ts';
import { parseDurationMs } from '../cib/duration.ts';
import { unpackSets } from '../cib/rules.ts';
import { INFINITY, parseScore } from '../cib/score.ts';
import type { FenceAgentRequest, FenceAgentResult, FenceMetadata } from './agent-runner.ts';
import { parseListOutput } from './agent-runner.ts';

export type HostCheck = 'static-list' | 'dynamic-list' | 'status' | 'none';
/** Actions a device runs for the fencer; each may be renamed with pcmk_<action>_action. */
export type DeviceAction = 'reboot' | 'off' | 'on' | 'status' | 'list' | 'monitor';
const DEVICE_ACTIONS: DeviceAction[] = ['reboot', 'off', 'on', 'status', 'list', 'monitor'];

export interface FenceDevice {
  id: string;
  /** Agent program (`type` of the primitive): fence_ipmilan, fence_dummy, ... */
  agent: string;
  /** Instance attributes passed to the agent (everything but pcmk_* and stonith-timeout). */
  params: Record<string, string>;
  /** pcmk_host_list, if set. */
  hostList?: string[];
  /** pcmk_host_map: node name → port/plug value (may be "2,3" for several plugs). */
  hostMap: Map<string, string>;
  /** pcmk_host_check as configured; undefined → decided from the agent's meta-data (see hostCheckFor). */
  hostCheck?: HostCheck;
  /** pcmk_host_argument as configured; undefined → port, else plug, per the agent's meta-data. */
  hostArgument?: string;
  /** pcmk_delay_max in ms (0 = none). */
  delayMaxMs: number;
  /** pcmk_delay_base: one value, or per node ("n1:0s;n2:5s"); `*`-less nodes fall back to 0. */
  delayBaseMs: number;
  delayBaseByNode: Map<string, number>;
  /** Action name sent to the agent for each fencer action (pcmk_reboot_action=cycle, ...). */
  actionNames: Record<DeviceAction, string>;
  /** pcmk_<action>_timeout, or the device's stonith-timeout; undefined → cluster stonith-timeout. */
  timeoutsMs: Partial<Record<DeviceAction, number>>;
  /** pcmk_<action>_retries (default 2): extra tries within the action's timeout after a failure. */
  retries: Record<DeviceAction, number>;
  /** Meta priority: higher is tried first when no topology applies. */
  priority: number;
  /** Nodes a location constraint bans this device from (score -INFINITY): it cannot run there. */
  bannedNodes: Set<string>;
  /** False when target-role=Stopped (on the device, a parent, or rsc_defaults). */
  enabled: boolean;
}

export class FencerConfigError extends Error {
  override name = 'FencerConfigError';
}

const HOST_CHECKS: HostCheck[] = ['static-list', 'dynamic-list', 'status', 'none'];

/** pcmk_host_list: names separated by spaces, commas or semicolons. */
export function parseHostList(text: string): string[] {
  return text.split(/[\s,;]+/).filter(Boolean);
}

/**
 * pcmk_host_map: `node:port` entries separated by `;` or whitespace (`=` works like `:`). The port
 * part is kept whole, so "n2:2,3" gives n2 the plugs "2,3" (fence-agents split it themselves).
 */
export function parseHostMap(text: string, deviceId = 'device'): Map<string, string> {
  const map = new Map<string, string>();
  for (const entry of text.split(/[;\s]+/).filter(Boolean)) {
    const m = /^([^:=]+)[:=](.+)$/.exec(entry);
    if (!m) throw new FencerConfigError(`fence device ${deviceId}: pcmk_host_map entry '${entry}' is not node:port`);
    map.set(m[1]!, m[2]!);
  }
  return map;
}

function duration(deviceId: string, name: string, text: string): number {
  try {
    const ms = parseDurationMs(text);
    if (ms < 0) throw new Error('negative');
    return ms;
  } catch {
    throw new FencerConfigError(`fence device ${deviceId}: ${name}='${text}' is not a duration (e.g. 30s, 500ms, 2min)`);
  }
}

function walkStonith(resources: ResourceConfig[], parentMeta: Map<string, string>[] = [], out: { prim: PrimitiveConfig; parents: Map<string, string>[] }[] = []) {
  for (const r of resources) {
    const meta = unpackSets(r.meta, { now: Math.floor(Date.now() / 1000) });
    if (r.kind === 'primitive') {
      if (r.class === 'stonith') out.push({ prim: r, parents: [...parentMeta, meta] });
    } else if (r.kind === 'group') walkStonith(r.children, [...parentMeta, meta], out);
    else if (r.kind === 'clone') walkStonith([r.child], [...parentMeta, meta], out);
  }
  return out;
}

function locationBans(constraints: readonly LocationConstraint[], rscId: string): Set<string> {
  const banned = new Set<string>();
  for (const c of constraints) {
    if (c.node === undefined || c.score === undefined) continue;
    const applies = c.rsc === rscId || (c.rscPattern !== undefined && safeRegex(c.rscPattern)?.test(rscId)) || c.sets.some((s) => s.resources.includes(rscId));
    if (applies && parseScore(c.score) <= -INFINITY) banned.add(c.node);
  }
  return banned;
}

function safeRegex(p: string): RegExp | undefined {
  try {
    return new RegExp(p);
  } catch {
    return undefined;
  }
}

/** Builds one device from its primitive. Throws FencerConfigError naming the device and attribute. */
export function deviceFromPrimitive(prim: PrimitiveConfig, opts: { meta?: Map<string, string>; constraints?: readonly LocationConstraint[]; now?: number } = {}): FenceDevice {
  const id = prim.id;
  if (prim.class !== 'stonith') throw new FencerConfigError(`resource ${id} is class '${prim.class}', not a stonith device`);
  if (!prim.type) throw new FencerConfigError(`fence device ${id} names no agent (type)`);
  const attrs = unpackSets(prim.instance, { now: opts.now ?? Math.floor(Date.now() / 1000) });
  const meta = opts.meta ?? unpackSets(prim.meta, { now: opts.now ?? Math.floor(Date.now() / 1000) });

  const params: Record<string, string> = {};
  for (const [k, v] of attrs) if (!k.startsWith('pcmk_') && k !== 'stonith-timeout' && k !== 'priority') params[k] = v;

  const hostCheckRaw = attrs.get('pcmk_host_check');
  if (hostCheckRaw !== undefined && !HOST_CHECKS.includes(hostCheckRaw as HostCheck)) {
    throw new FencerConfigError(`fence device ${id}: pcmk_host_check='${hostCheckRaw}' is not one of ${HOST_CHECKS.join(', ')}`);
  }
  const hostListRaw = attrs.get('pcmk_host_list');
  const hostList = hostListRaw !== undefined ? parseHostList(hostListRaw) : undefined;
  if (hostCheckRaw === 'static-list' && !hostList?.length && !attrs.get('pcmk_host_map')) {
    throw new FencerConfigError(`fence device ${id}: pcmk_host_check=static-list needs pcmk_host_list or pcmk_host_map`);
  }

  const delayMaxMs = attrs.has('pcmk_delay_max') ? duration(id, 'pcmk_delay_max', attrs.get('pcmk_delay_max')!) : 0;
  let delayBaseMs = 0;
  const delayBaseByNode = new Map<string, number>();
  const baseRaw = attrs.get('pcmk_delay_base');
  if (baseRaw !== undefined) {
    if (/[:=]/.test(baseRaw)) {
      for (const [node, v] of parseHostMap(baseRaw, id)) delayBaseByNode.set(node, duration(id, 'pcmk_delay_base', v));
    } else delayBaseMs = duration(id, 'pcmk_delay_base', baseRaw);
  }

  const actionNames = {} as Record<DeviceAction, string>;
  const timeoutsMs: Partial<Record<DeviceAction, number>> = {};
  const retries = {} as Record<DeviceAction, number>;
  const deviceTimeout = attrs.get('stonith-timeout');
  for (const a of DEVICE_ACTIONS) {
    // pcmk_poweroff_action is the old spelling of pcmk_off_action.
    actionNames[a] = attrs.get(`pcmk_${a}_action`) ?? (a === 'off' ? attrs.get('pcmk_poweroff_action') : undefined) ?? a;
    if (!/^[A-Za-z0-9_-]+$/.test(actionNames[a])) throw new FencerConfigError(`fence device ${id}: pcmk_${a}_action='${actionNames[a]}' is not an action name`);
    const t = attrs.get(`pcmk_${a}_timeout`) ?? (a === 'off' ? attrs.get('pcmk_poweroff_timeout') : undefined) ?? deviceTimeout;
    if (t !== undefined) {
      const ms = duration(id, `pcmk_${a}_timeout`, t);
      if (ms <= 0) throw new FencerConfigError(`fence device ${id}: pcmk_${a}_timeout must be positive`);
      timeoutsMs[a] = ms;
    }
    const r = attrs.get(`pcmk_${a}_retries`) ?? (a === 'off' ? attrs.get('pcmk_poweroff_retries') : undefined);
    if (r !== undefined && !/^\d+$/.test(r)) throw new FencerConfigError(`fence device ${id}: pcmk_${a}_retries='${r}' is not a non-negative integer`);
    retries[a] = r === undefined ? 2 : Number(r);
  }

  const targetRole = meta.get('target-role');
  const dev: FenceDevice = {
    id,
    agent: prim.type,
    params,
    hostMap: attrs.has('pcmk_host_map') ? parseHostMap(attrs.get('pcmk_host_map')!, id) : new Map(),
    delayMaxMs,
    delayBaseMs,
    delayBaseByNode,
    actionNames,
    timeoutsMs,
    retries,
    priority: meta.has('priority') ? parseScore(meta.get('priority')) : 0,
    bannedNodes: locationBans(opts.constraints ?? [], id),
    enabled: targetRole === undefined || targetRole.toLowerCase() !== 'stopped',
  };
  if (hostList) dev.hostList = hostList;
  if (hostCheckRaw) dev.hostCheck = hostCheckRaw as HostCheck;
  if (attrs.has('pcmk_host_argument')) dev.hostArgument = attrs.get('pcmk_host_argument')!;
  return dev;
}

export interface DeviceSet {
  /** Every well-formed device, enabled or not, in configuration order. */
  devices: FenceDevice[];
  /** Misconfigured devices: one message each, naming the device and the attribute. */
  errors: string[];
}

/** All stonith primitives of the CIB (also inside groups and clones). */
export function devicesFromCib(cib: Cib, now = Math.floor(Date.now() / 1000)): DeviceSet {
  const rscDefaults = unpackSets(cib.configuration.rscDefaults, { now });
  const constraints = cib.configuration.constraints.filter((c): c is LocationConstraint => c.kind === 'location');
  const devices: FenceDevice[] = [];
  const errors: string[] = [];
  for (const { prim, parents } of walkStonith(cib.configuration.resources)) {
    // The device's own meta wins over its parents', which win over rsc_defaults.
    const meta = new Map(rscDefaults);
    for (const m of parents) for (const [k, v] of m) meta.set(k, v);
    try {
      devices.push(deviceFromPrimitive(prim, { meta, constraints, now }));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  return { devices, errors };
}

// ---- capability ------------------------------------------------------------------------------------

export type RunAgentFn = (req: FenceAgentRequest) => Promise<FenceAgentResult>;

export function supportsAction(md: FenceMetadata | undefined, action: string): boolean {
  return md?.actions.some((a) => a.name === action) ?? false;
}

/**
 * The host check in force: the configured one, else (as Pacemaker documents) static-list when
 * pcmk_host_list or pcmk_host_map is set, else dynamic-list when the agent supports `list`, else
 * status when it supports `status`, else none.
 */
export function hostCheckFor(dev: FenceDevice, md: FenceMetadata | undefined): HostCheck {
  if (dev.hostCheck) return dev.hostCheck;
  if (dev.hostList?.length || dev.hostMap.size) return 'static-list';
  if (supportsAction(md, dev.actionNames.list)) return 'dynamic-list';
  if (supportsAction(md, dev.actionNames.status)) return 'status';
  return 'none';
}

/**
 * The parameter that names the target to the agent: pcmk_host_argument if set ('none' → none),
 * else `port` when the meta-data has it, else `plug` when it has that, else none. Without meta-data,
 * `port` (fence-agents accept both spellings).
 */
export function hostArgumentFor(dev: FenceDevice, md: FenceMetadata | undefined): string | undefined {
  if (dev.hostArgument !== undefined) return dev.hostArgument === 'none' ? undefined : dev.hostArgument;
  if (!md) return 'port';
  if (md.parameters.some((p) => p.name === 'port')) return 'port';
  if (md.parameters.some((p) => p.name === 'plug')) return 'plug';
  return undefined;
}

/** The port a node is known by on this device: the pcmk_host_map entry, else the node name. */
export function portFor(dev: FenceDevice, target: string): string {
  return dev.hostMap.get(target) ?? target;
}

/** pcmk_delay_base for this target: the per-node value, or the single value. */
export function delayBaseFor(dev: FenceDevice, target: string): number {
  return dev.delayBaseByNode.get(target) ?? dev.delayBaseMs;
}

/**
 * The delay before this device fences this target: pcmk_delay_base plus a random part such that
 * the sum stays within pcmk_delay_max (Pacemaker's rule). `random` returns [0, 1).
 */
export function deviceDelayMs(dev: FenceDevice, target: string, random: () => number): number {
  const base = delayBaseFor(dev, target);
  if (dev.delayMaxMs <= base) return base;
  return base + Math.floor(random() * (dev.delayMaxMs - base + 1));
}

/** Agent parameters for one run against `target` (instance attributes + host argument + nodename). */
export function agentParams(dev: FenceDevice, md: FenceMetadata | undefined, target: string | undefined, localNode: string): [string, string][] {
  const out: [string, string][] = Object.entries(dev.params);
  const arg = target === undefined ? undefined : hostArgumentFor(dev, md);
  // An explicitly configured port/plug attribute is the operator's choice: it is not overridden.
  if (arg !== undefined && target !== undefined && !(arg in dev.params)) out.push([arg, portFor(dev, target)]);
  if (!('nodename' in dev.params)) out.push(['nodename', localNode]);
  return out;
}
