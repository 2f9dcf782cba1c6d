// Cluster options (crm_config) with Pacemaker's defaults.
import type { Cib } from '../cib/model.ts';
import { isTrue } from '../cib/parse.ts';
import { parseDurationMs } from '../cib/duration.ts';
import { unpackSets } from '../cib/rules.ts';
import { parseScore } from '../cib/score.ts';
import type { ClusterOptions } from './types.ts';

function bool(raw: Map<string, string>, name: string, dflt: boolean): boolean {
  const v = raw.get(name);
  return v === undefined ? dflt : isTrue(v);
}

function duration(raw: Map<string, string>, name: string, dflt: number): number {
  const v = raw.get(name);
  if (v === undefined) return dflt;
  try {
    return parseDurationMs(v);
  } catch {
    return dflt;
  }
}

export function unpackOptions(cib: Cib, now: number): ClusterOptions {
  const raw = unpackSets(cib.configuration.crmConfig, { now }, new Map(), { firstId: 'cib-bootstrap-options' });
  // Old spellings still accepted by Pacemaker.
  const alias = (name: string, old: string) => {
    if (!raw.has(name) && raw.has(old)) raw.set(name, raw.get(old)!);
  };
  alias('stonith-enabled', 'stonith_enabled');
  alias('no-quorum-policy', 'no_quorum_policy');
  alias('symmetric-cluster', 'symmetric_cluster');
  alias('stop-orphan-resources', 'stop_orphan_resources');
  alias('stop-orphan-actions', 'stop_orphan_actions');
  alias('maintenance-mode', 'maintenance_mode');
  alias('fencing-enabled', 'stonith-enabled');
  const nqp = raw.get('no-quorum-policy') ?? 'stop';
  const ps = raw.get('placement-strategy') ?? 'default';
  const hs = raw.get('node-health-strategy') ?? 'none';
  const health = {
    red: parseScore(raw.get('node-health-red') ?? '-INFINITY'),
    yellow: parseScore(raw.get('node-health-yellow') ?? '0'),
    green: parseScore(raw.get('node-health-green') ?? '0'),
    base: parseScore(raw.get('node-health-base') ?? '0'),
  };
  const opts: ClusterOptions = {
    stonithEnabled: bool(raw, 'stonith-enabled', true),
    stonithAction: raw.get('stonith-action') === 'poweroff' ? 'off' : (raw.get('stonith-action') ?? 'reboot'),
    symmetricCluster: bool(raw, 'symmetric-cluster', true),
    noQuorumPolicy: (['stop', 'freeze', 'ignore', 'demote', 'suicide'].includes(nqp) ? nqp : 'stop') as ClusterOptions['noQuorumPolicy'],
    maintenanceMode: bool(raw, 'maintenance-mode', false),
    stopOrphanResources: bool(raw, 'stop-orphan-resources', true),
    stopOrphanActions: bool(raw, 'stop-orphan-actions', true),
    startFailureIsFatal: bool(raw, 'start-failure-is-fatal', true),
    placementStrategy: (['default', 'utilization', 'minimal', 'balanced'].includes(ps) ? ps : 'default') as ClusterOptions['placementStrategy'],
    startupFencing: bool(raw, 'startup-fencing', true),
    enableStartupProbes: bool(raw, 'enable-startup-probes', true),
    stopAllResources: bool(raw, 'stop-all-resources', false),
    concurrentFencing: bool(raw, 'concurrent-fencing', false),
    shutdownLock: bool(raw, 'shutdown-lock', false),
    shutdownLockLimitMs: duration(raw, 'shutdown-lock-limit', 0),
    priorityFencingDelayMs: duration(raw, 'priority-fencing-delay', 0),
    nodeHealthStrategy: (['none', 'migrate-on-red', 'only-green', 'progressive', 'custom'].includes(hs) ? hs : 'none') as ClusterOptions['nodeHealthStrategy'],
    nodeHealth: health,
    haveWatchdog: bool(raw, 'have-watchdog', false),
    stonithWatchdogTimeout: raw.get('stonith-watchdog-timeout') ?? '0',
    clusterRecheckIntervalMs: duration(raw, 'cluster-recheck-interval', 15 * 60_000),
    raw,
  };
  const name = raw.get('cluster-name');
  if (name !== undefined) opts.clusterName = name;
  // Health strategies fix the colour scores, except "custom" and "progressive" which use the options.
  if (hs === 'migrate-on-red') opts.nodeHealth = { ...health, red: -1_000_000, yellow: 0, green: 0 };
  if (hs === 'only-green') opts.nodeHealth = { ...health, red: -1_000_000, yellow: -1_000_000, green: 0 };
  return opts;
}
