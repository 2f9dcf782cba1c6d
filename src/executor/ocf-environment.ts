// The environment an OCF agent expects, as Pacemaker's executor builds it.

import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { OperationRequest } from './types.ts';

/** Tandem's own crm_attribute, crm_master, crm_node, attrd_updater. */
export const AGENT_HELPERS_DIR = fileURLToPath(new URL('../../bin/agent-helpers', import.meta.url));

export const DEFAULT_OCF_ROOT = '/usr/lib/ocf';

const HAVE_BASH = existsSync('/bin/bash');

/** Pacemaker 2.1.5's feature set. Agents compare it (ocf_promotion_score picks
 * `crm_attribute -p` from 3.10.0 on; galera picks crm_mon's XML option by it). */
export const CRM_FEATURE_SET = '3.16.2';

export interface AgentEnvironmentOptions {
  ocfRoot: string;
  helpersDir: string;
  /** Socket of the attribute service the helper commands talk to. */
  attrdSocket?: string;
  /** HA_RSCTMP for agents (where Dummy & co. keep state files); per node when several share a host. */
  rscTmpDir?: string;
  /** HA_VARRUN for agents (default theirs: /var/run); per node when several share a host. */
  varRunDir?: string;
  /** This node's name, passed as CRM_meta_on_node unless the request already sets it. */
  nodeName?: string;
  /** HA_debug=1 makes ocf_log debug lines appear. */
  debug?: boolean;
  /** Environment the agents inherit (PATH, LANG, ...); defaults to this process's. */
  baseEnv?: NodeJS.ProcessEnv;
}

/** Environment shared by every agent class: where the helpers are and how to log. */
export function baseAgentEnvironment(opts: AgentEnvironmentOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.baseEnv ?? process.env)) {
    // Never leak our own socket or another cluster stack's settings into an agent by accident.
    if (v !== undefined && !k.startsWith('OCF_') && !k.startsWith('HA_') && !k.startsWith('CIB_')) env[k] = v;
  }
  const inheritedPath = env.PATH || '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
  // The helpers are `#!/usr/bin/env node` scripts: make sure the node running us is findable.
  const nodeDir = dirname(process.execPath);
  const withNode = inheritedPath.split(':').includes(nodeDir) ? inheritedPath : `${inheritedPath}:${nodeDir}`;
  env.PATH = `${opts.helpersDir}:${withNode}`;
  // Agents call "${HA_SBIN_DIR}/crm_attribute" by full path; Pacemaker's own tools may be installed
  // in /usr/sbin, so HA_SBIN_DIR must point at ours.
  env.HA_SBIN_DIR = opts.helpersDir;
  // "none" sends ha_log to stderr (which the executor keeps) instead of syslog.
  env.HA_LOGFACILITY = 'none';
  env.HA_LOGD = 'no';
  env.HA_debug = opts.debug ? '1' : '0';
  // ocf-shellfuncs' crm_mon_no_validation runs "$SHELL" -c with bash's <(...); a daemon's
  // environment may have no SHELL at all.
  if (HAVE_BASH) env.SHELL = '/bin/bash';
  if (opts.attrdSocket) env.TANDEM_ATTRD_SOCKET = opts.attrdSocket;
  if (opts.rscTmpDir) env.HA_RSCTMP = opts.rscTmpDir;
  if (opts.varRunDir) env.HA_VARRUN = opts.varRunDir;
  return env;
}

/** Meta attribute name as an environment variable: Pacemaker turns '-' into '_'. */
export function metaEnvName(name: string): string {
  return `OCF_RESKEY_CRM_meta_${name.replace(/-/g, '_')}`;
}

export function ocfEnvironment(req: OperationRequest, opts: AgentEnvironmentOptions): Record<string, string> {
  const { rsc } = req;
  const env = baseAgentEnvironment(opts);
  env.OCF_ROOT = opts.ocfRoot;
  env.OCF_FUNCTIONS_DIR = `${opts.ocfRoot}/lib/heartbeat`;
  env.OCF_RA_VERSION_MAJOR = '1';
  env.OCF_RA_VERSION_MINOR = '1';
  // meta-data is asked without an instance; ocf-shellfuncs then names it RESOURCE_ID.
  if (rsc.id) env.OCF_RESOURCE_INSTANCE = rsc.id;
  env.OCF_RESOURCE_TYPE = rsc.type;
  if (rsc.provider) env.OCF_RESOURCE_PROVIDER = rsc.provider;
  env.OCF_RESKEY_crm_feature_set = CRM_FEATURE_SET;
  for (const [name, value] of Object.entries(rsc.params)) env[`OCF_RESKEY_${name}`] = value;

  const meta: Record<string, string> = { ...rsc.meta };
  if (opts.nodeName && meta['on_node'] === undefined) meta['on_node'] = opts.nodeName;
  for (const [name, value] of Object.entries(meta)) env[metaEnvName(name)] = value;
  // Operation metas describe this call and win over anything configured under the same name.
  env[metaEnvName('name')] = req.action;
  env[metaEnvName('interval')] = String(req.intervalMs);
  env[metaEnvName('timeout')] = String(req.timeoutMs);

  Object.assign(env, req.extraEnv ?? {});
  return env;
}
