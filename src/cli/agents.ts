// Agents installed on this machine: listing (`resource list`, `stonith list`), meta-data
// (`resource describe`), name lookup for `resource create` (type alone, provider:type), and the
// default operations pcs adds from the meta-data.
import { execFile } from 'node:child_process';
import { access, constants, readdir } from 'node:fs/promises';
import { listAgents, listOcfProviders, type AgentRef } from '../executor/agent-catalog.ts';
import { parseAgentMetadata, type AgentMetadata } from '../executor/agent-metadata.ts';
import { CliError } from './errors.ts';
import { parseAgentName } from './args.ts';
import { agentText, type AgentSpec, type OpSpec } from './edit/resources.ts';

export interface AgentPaths {
  ocfRoot: string;
  initDir: string;
  fenceDirs: string[];
}

export function agentPaths(env: NodeJS.ProcessEnv = process.env): AgentPaths {
  return {
    ocfRoot: env.OCF_ROOT ?? '/usr/lib/ocf',
    initDir: env.TANDEM_INIT_DIR ?? '/etc/init.d',
    fenceDirs: (env.TANDEM_FENCE_DIRS ?? '/usr/sbin:/usr/local/sbin').split(':').filter(Boolean),
  };
}

export function refText(r: AgentRef): string {
  return r.provider ? `${r.standard}:${r.provider}:${r.type}` : `${r.standard}:${r.type}`;
}

/** Installed resource agents (ocf, lsb) plus Tandem's built-in process class. */
export async function installedAgents(paths: AgentPaths, standard?: string): Promise<AgentRef[]> {
  const out: AgentRef[] = [];
  if (!standard || standard === 'ocf') out.push(...(await listAgents({ ocfRoot: paths.ocfRoot, initDir: paths.initDir }, 'ocf')));
  if (!standard || standard === 'lsb') out.push(...(await listAgents({ ocfRoot: paths.ocfRoot, initDir: paths.initDir }, 'lsb')));
  if (!standard || standard === 'process') out.push({ standard: 'process', type: 'process' });
  return out;
}

export async function installedFenceAgents(paths: AgentPaths): Promise<string[]> {
  const found = new Set<string>();
  for (const dir of paths.fenceDirs) {
    let names: string[] = [];
    try {
      names = await readdir(dir);
    } catch {
      continue;
    }
    for (const n of names) if (/^fence_[A-Za-z0-9_]+$/.test(n) && n !== 'fence_legacy') found.add(n);
  }
  return [...found].sort();
}

async function executable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The agent a create names. `type` alone and `provider:type` are looked up among installed agents;
 * an ocf agent that is not installed here is refused unless `force` (it may exist on the nodes only).
 */
export async function resolveAgent(spec: string, paths: AgentPaths, force = false): Promise<AgentSpec> {
  const parsed = parseAgentName(spec);
  if (parsed.bare) {
    if (parsed.type === 'process') return { class: 'process', type: 'process' };
    const all = await installedAgents(paths);
    const matches = all.filter((a) => a.type === parsed.type || a.type.toLowerCase() === parsed.type.toLowerCase());
    const exact = matches.filter((a) => a.type === parsed.type);
    const pick = exact.length ? exact : matches;
    if (pick.length === 1) return { class: pick[0]!.standard, ...(pick[0]!.provider ? { provider: pick[0]!.provider } : {}), type: pick[0]!.type };
    if (pick.length > 1) throw new CliError(`agent '${spec}' is ambiguous: say which of ${pick.map(refText).join(', ')}`);
    throw new CliError(`bad agent '${spec}': no installed agent has that name; write standard:provider:type (see tandem resource list)`);
  }
  if (parsed.class === 'ocf' && !force) {
    const path = `${paths.ocfRoot}/resource.d/${parsed.provider}/${parsed.type}`;
    if (!(await executable(path))) {
      const providers = await listOcfProviders(paths.ocfRoot);
      const elsewhere = (await installedAgents(paths, 'ocf')).filter((a) => a.type.toLowerCase() === parsed.type.toLowerCase());
      const hint = elsewhere.length
        ? `did you mean ${elsewhere.map(refText).join(' or ')}?`
        : providers.length
          ? `installed providers: ${providers.join(', ')} (see tandem resource list); --force if it exists on the nodes only`
          : `no OCF agents are installed here (${paths.ocfRoot}); --force if they exist on the nodes`;
      throw new CliError(`bad agent '${spec}': ${path} is not an installed agent; ${hint}`);
    }
  }
  if (parsed.class === 'lsb' && !force && !(await executable(`${paths.initDir}/${parsed.type}`))) {
    throw new CliError(`bad agent '${spec}': ${paths.initDir}/${parsed.type} is not an init script; --force if it exists on the nodes only`);
  }
  if (parsed.class === 'systemd') throw new CliError(`bad agent '${spec}': Tandem does not run systemd units; use process:NAME command=... or an ocf agent`);
  if (parsed.class === 'stonith') throw new CliError(`bad agent '${spec}': fencing devices are made with tandem stonith create ID ${parsed.type}`);
  const { bare: _b, ...agent } = parsed;
  return agent;
}

function run(file: string, args: string[], env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { env, timeout: 15_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout) => {
      if (err && !stdout) reject(err);
      else resolve(stdout);
    });
  });
}

/** Runs the agent's meta-data action here and parses it. */
export async function agentMetadata(agent: AgentSpec, paths: AgentPaths): Promise<AgentMetadata> {
  let text: string;
  const what = agentText(agent);
  try {
    if (agent.class === 'ocf') {
      const path = `${paths.ocfRoot}/resource.d/${agent.provider}/${agent.type}`;
      if (!(await executable(path))) throw new CliError(`bad agent '${what}': ${path} is not installed here (see tandem resource list)`);
      text = await run(path, ['meta-data'], { ...process.env, OCF_ROOT: paths.ocfRoot, OCF_RESOURCE_TYPE: agent.type, OCF_RA_VERSION_MAJOR: '1', OCF_RA_VERSION_MINOR: '1' });
    } else if (agent.class === 'stonith') {
      const dir = paths.fenceDirs.find((d) => d) ?? '/usr/sbin';
      let path = `${dir}/${agent.type}`;
      for (const d of paths.fenceDirs) if (await executable(`${d}/${agent.type}`)) path = `${d}/${agent.type}`;
      if (!(await executable(path))) throw new CliError(`bad fence agent '${agent.type}': not installed here (see tandem stonith list)`);
      text = await run(path, ['-o', 'metadata'], process.env);
    } else {
      throw new CliError(`'${what}' has no meta-data: only ocf and stonith agents describe themselves`);
    }
  } catch (err) {
    if (err instanceof CliError) throw err;
    throw new CliError(`meta-data of ${what} failed: ${(err as Error).message.split('\n')[0]}`);
  }
  try {
    return parseAgentMetadata(text);
  } catch (err) {
    throw new CliError(`meta-data of ${what}: ${(err as Error).message}`);
  }
}

function seconds(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** The operations pcs adds from meta-data when the user gives none of that name. */
export function defaultOpsFrom(md: AgentMetadata): OpSpec[] {
  const out: OpSpec[] = [];
  for (const a of md.actions) {
    if (!['start', 'stop', 'monitor', 'promote', 'demote'].includes(a.name)) continue;
    const attrs: Record<string, string> = {};
    const interval = a.name === 'monitor' ? seconds(a.intervalMs ?? 60_000)! : '0s';
    attrs.interval = interval;
    const timeout = seconds(a.timeoutMs);
    if (timeout) attrs.timeout = timeout;
    if (a.role) attrs.role = a.role === 'Master' ? 'Promoted' : a.role === 'Slave' ? 'Unpromoted' : a.role;
    if (a.name === 'monitor' && a.intervalMs === 0) continue;
    out.push({ name: a.name, attrs });
  }
  if (!out.some((o) => o.name === 'monitor')) out.push({ name: 'monitor', attrs: { interval: '60s' } });
  return out;
}
