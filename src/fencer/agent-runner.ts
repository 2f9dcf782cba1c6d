// Runs a fence agent (Debian's fence-agents `fence_*`, or any program speaking the same protocol)
// unchanged: options as `key=value` lines on stdin, no arguments, an exit code as the answer.
//
// The protocol, as fence-agents' fencing.py reads it: one `name=value` per line; `#` lines and blank
// lines are ignored; names may use `-` or `_`; `nodename` is always accepted. Exit codes: 0 success;
// for `status`/`monitor` 2 means "the target is off"; anything else is a failure (fencing.py uses
// 1 generic, 3 login denied, 4 connection lost, 5 timed out, ...). `list` prints one target per line,
// `port,alias` or `port alias`. `metadata` prints <resource-agent> XML on stdout.
//
// Each run gets its own process group; on timeout the group gets SIGTERM, then SIGKILL.

import { accessSync, constants as fsConstants } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { SaxesParser } from 'saxes';
import { runAgentProcess } from '../executor/agent-process.ts';

export type FenceAgentAction = 'off' | 'on' | 'reboot' | 'status' | 'monitor' | 'list' | 'metadata' | 'validate-all' | (string & {});

/** Directories searched for a bare agent name, in order (fence-agents installs into /usr/sbin). */
export const DEFAULT_AGENT_DIRS = ['/usr/sbin', '/usr/local/sbin', '/sbin'];

export interface FenceAgentRequest {
  /** Agent name (`fence_dummy`) looked up in `agentDirs`, or an absolute path. */
  agent: string;
  /** The action sent as `action=`; the device's pcmk_*_action mapping is applied by the caller. */
  action: FenceAgentAction;
  /** Further `name=value` lines, in order (device instance attributes, port/plug, nodename). */
  params?: Record<string, string> | [string, string][];
  timeoutMs: number;
  /** SIGTERM → SIGKILL grace on timeout (default 1000 ms). */
  killGraceMs?: number;
  agentDirs?: string[];
  /** Environment of the agent; default: PATH and LANG=C only, so no proxy or locale leaks in. */
  env?: Record<string, string>;
  signal?: AbortSignal;
  /** Bytes of stdout kept (default 64 KiB: meta-data and long lists need it). */
  stdoutLimitBytes?: number;
}

/** What the exit code meant. `off` is `status`/`monitor` answering 2 (target powered off). */
export type FenceOutcome = 'ok' | 'off' | 'failed' | 'timeout' | 'not-installed' | 'error' | 'cancelled';

export interface FenceAgentResult {
  outcome: FenceOutcome;
  /** Exit code, or null when killed by a signal or never started. */
  rc: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** One sentence saying what went wrong; absent on ok/off. */
  error?: string;
  /** Path actually run (absent when the agent could not be found). */
  path?: string;
  startedAt: number;
  durationMs: number;
}

export class FenceAgentError extends Error {
  override name = 'FenceAgentError';
}

const AGENT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.+-]*$/;
const PARAM_NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/;

/** Finds the agent's executable, or explains why not. Bad names are refused before any lookup. */
export function resolveAgentPath(agent: string, dirs: string[] = DEFAULT_AGENT_DIRS): { path?: string; error?: string } {
  if (isAbsolute(agent)) {
    try {
      accessSync(agent, fsConstants.X_OK);
      return { path: agent };
    } catch {
      return { error: `fence agent '${agent}' is not installed or not executable` };
    }
  }
  if (!AGENT_NAME.test(agent)) throw new FenceAgentError(`fence agent name '${agent}' is not valid: use a bare program name like fence_ipmilan, or an absolute path`);
  for (const dir of dirs) {
    const p = join(dir, agent);
    try {
      accessSync(p, fsConstants.X_OK);
      return { path: p };
    } catch {
      /* next */
    }
  }
  return { error: `fence agent '${agent}' is not installed (looked in ${dirs.join(', ')})` };
}

/** The stdin text for a run; refuses names and values that would break the line protocol. */
export function formatAgentInput(action: string, params: Record<string, string> | [string, string][] = []): string {
  const pairs: [string, string][] = [['action', action], ...(Array.isArray(params) ? params : Object.entries(params)).filter(([k]) => k !== 'action')];
  let out = '';
  for (const [k, v] of pairs) {
    if (!PARAM_NAME.test(k)) throw new FenceAgentError(`fence agent parameter name '${k}' is not valid (letters, digits, _ . - only)`);
    if (typeof v !== 'string') throw new FenceAgentError(`fence agent parameter '${k}' must be a string, got ${typeof v}`);
    if (/[\r\n\0]/.test(v)) throw new FenceAgentError(`fence agent parameter '${k}' contains a line break or NUL, which the key=value protocol cannot carry`);
    out += `${k}=${v}\n`;
  }
  return out;
}

function defaultEnv(): Record<string, string> {
  return { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C', LC_ALL: 'C' };
}

export async function runFenceAgent(req: FenceAgentRequest): Promise<FenceAgentResult> {
  const startedAt = Date.now();
  const t0 = performance.now();
  if (!Number.isFinite(req.timeoutMs) || req.timeoutMs <= 0) throw new FenceAgentError(`fence agent timeout must be a positive number of ms, got ${req.timeoutMs}`);
  const input = formatAgentInput(req.action, req.params);
  const found = resolveAgentPath(req.agent, req.agentDirs);
  const done = (r: Omit<FenceAgentResult, 'startedAt' | 'durationMs'>): FenceAgentResult => ({ ...r, startedAt, durationMs: Math.round(performance.now() - t0) });
  if (!found.path) {
    return done({ outcome: 'not-installed', rc: null, signal: null, stdout: '', stderr: '', error: found.error! });
  }
  const path = found.path;
  // The executor's runner: own process group, deadline, SIGTERM then SIGKILL to the whole group.
  const run = await runAgentProcess({
    file: path,
    args: [],
    env: req.env ?? defaultEnv(),
    timeoutMs: req.timeoutMs,
    killGraceMs: req.killGraceMs ?? 1000,
    stdoutLimitBytes: req.stdoutLimitBytes ?? 65536,
    stdin: input,
    ...(req.signal ? { signal: req.signal } : {}),
  });
  const base = { rc: run.exitCode, signal: run.exitSignal, stdout: run.stdout, stderr: run.stderr, path };
  if (run.spawnError) return done({ ...base, outcome: run.spawnError.code === 'ENOENT' ? 'not-installed' : 'error', error: `fence agent ${path} could not be started: ${run.spawnError.message}` });
  if (run.timedOut) return done({ ...base, outcome: 'timeout', error: `fence agent ${req.agent} action ${req.action} timed out after ${req.timeoutMs} ms` });
  if (run.cancelled) return done({ ...base, outcome: 'cancelled', error: `fence agent ${req.agent} action ${req.action} was cancelled` });
  return done({ ...base, ...interpretExit(req.agent, req.action, run.exitCode, run.exitSignal, base.stderr) });
}

/** Last non-empty stderr line, for error messages (fencing.py logs "ERROR: Failed: ..."). */
function lastLine(text: string): string | undefined {
  // fencing.py logs "<date> <time>,<ms> ERROR: Failed: <why>" and then "Please use '-h' for usage":
  // the Failed: line is the reason.
  const lines = text.split('\n').map((l) => l.trim().replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ /, '')).filter(Boolean);
  const rev = [...lines].reverse();
  return rev.find((l) => /failed:/i.test(l)) ?? rev.find((l) => /error|fail/i.test(l)) ?? lines[lines.length - 1];
}

export function interpretExit(agent: string, action: string, rc: number | null, sig: NodeJS.Signals | null, stderr = ''): { outcome: FenceOutcome; error?: string } {
  if (rc === null) return { outcome: 'failed', error: `fence agent ${agent} action ${action} was killed by ${sig ?? 'a signal'}` };
  if (rc === 0) return { outcome: 'ok' };
  if (rc === 2 && (action === 'status' || action === 'monitor')) return { outcome: 'off' };
  const why = lastLine(stderr);
  return { outcome: 'failed', error: `fence agent ${agent} action ${action} failed with exit code ${rc}${why ? `: ${why}` : ''}` };
}

// ---- list output ----------------------------------------------------------------------------------

export interface ListedTarget {
  port: string;
  alias?: string;
}

/**
 * Parses `list` output: one target per line, `port,alias` (fencing.py's default separator) or
 * `port alias` (older agents and the lab agent). Blank lines and fencing.py's status lines
 * ("Success: ...", "Failed: ...") are skipped. A device can fence a node when the node's name is a
 * port or an alias.
 */
export function parseListOutput(stdout: string): ListedTarget[] {
  const out: ListedTarget[] = [];
  for (const raw of stdout.split('\n')) {
    const line = raw.trim();
    if (!line || /^(success|failed|warning|error)\b:?/i.test(line)) continue;
    const [port, alias] = line.split(/\s*,\s*|\s+/);
    if (!port) continue;
    out.push(alias ? { port, alias } : { port });
  }
  return out;
}

// ---- meta-data ------------------------------------------------------------------------------------

export interface FenceParameter {
  name: string;
  required: boolean;
  deprecated: boolean;
  /** Name of the parameter this one replaces (fencing.py's `obsoletes`). */
  obsoletes?: string;
  type: string;
  default?: string;
  shortdesc: string;
}

export interface FenceMetadataAction {
  name: string;
  /** fence-agents mark `on` with automatic="0": not run by the cluster on its own. */
  automatic?: boolean;
  /** The action runs on the target itself (fence_kdump style). */
  onTarget?: boolean;
  timeoutMs?: number;
}

export interface FenceMetadata {
  name: string;
  shortdesc: string;
  longdesc: string;
  parameters: FenceParameter[];
  actions: FenceMetadataAction[];
}

interface MdNode {
  name: string;
  attrs: Record<string, string>;
  children: MdNode[];
  text: string;
}

const boolAttr = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes'].includes(v.toLowerCase());

/** Parses a fence agent's `metadata` output. Throws FenceAgentError naming what is wrong. */
export function parseFenceMetadata(xml: string, agent = 'fence agent'): FenceMetadata {
  const parser = new SaxesParser();
  const stack: MdNode[] = [];
  let root: MdNode | undefined;
  parser.on('opentag', (tag) => {
    const n: MdNode = { name: tag.name, attrs: { ...(tag.attributes as Record<string, string>) }, children: [], text: '' };
    if (stack.length) stack[stack.length - 1]!.children.push(n);
    else root = n;
    stack.push(n);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1]!.text += t;
  });
  parser.on('closetag', () => void stack.pop());
  try {
    parser.write(xml).close();
  } catch (err) {
    throw new FenceAgentError(`${agent} meta-data is not well-formed XML: ${(err as Error).message}`);
  }
  if (!root) throw new FenceAgentError(`${agent} meta-data is empty`);
  if (root.name !== 'resource-agent') throw new FenceAgentError(`${agent} meta-data root element is <${root.name}>, expected <resource-agent>`);
  const kids = (n: MdNode | undefined, name: string) => (n ? n.children.filter((c) => c.name === name) : []);
  const one = (n: MdNode, name: string) => n.children.find((c) => c.name === name);
  const desc = (n: MdNode, name: string) => {
    const all = kids(n, name);
    return (all.find((d) => !d.attrs.lang || d.attrs.lang === 'en') ?? all[0])?.text.trim() ?? '';
  };
  const parameters = kids(one(root, 'parameters'), 'parameter').map((p): FenceParameter => {
    if (!p.attrs.name) throw new FenceAgentError(`${agent} meta-data has a <parameter> without a name`);
    const content = one(p, 'content');
    return {
      name: p.attrs.name,
      required: boolAttr(p.attrs.required),
      deprecated: boolAttr(p.attrs.deprecated) || !!one(p, 'deprecated'),
      ...(p.attrs.obsoletes ? { obsoletes: p.attrs.obsoletes } : {}),
      type: content?.attrs.type ?? 'string',
      ...(content?.attrs.default !== undefined ? { default: content.attrs.default } : {}),
      shortdesc: p.attrs.shortdesc ?? desc(p, 'shortdesc'),
    };
  });
  const actions = kids(one(root, 'actions'), 'action').map((a): FenceMetadataAction => {
    if (!a.attrs.name) throw new FenceAgentError(`${agent} meta-data has an <action> without a name`);
    const t = a.attrs.timeout !== undefined ? /^(\d+)(s|ms)?$/.exec(a.attrs.timeout.trim()) : null;
    return {
      name: a.attrs.name,
      ...(a.attrs.automatic !== undefined ? { automatic: boolAttr(a.attrs.automatic) } : {}),
      ...(a.attrs.on_target !== undefined ? { onTarget: boolAttr(a.attrs.on_target) } : {}),
      ...(t ? { timeoutMs: Number(t[1]) * (t[2] === 'ms' ? 1 : 1000) } : {}),
    };
  });
  return {
    name: root.attrs.name ?? agent,
    shortdesc: root.attrs.shortdesc ?? desc(root, 'shortdesc'),
    longdesc: desc(root, 'longdesc'),
    parameters,
    actions,
  };
}

/** Runs `action=metadata` and parses it. Rejects with a FenceAgentError when either step fails. */
export async function fetchFenceMetadata(agent: string, opts: { timeoutMs?: number; agentDirs?: string[] } = {}): Promise<FenceMetadata> {
  const r = await runFenceAgent({ agent, action: 'metadata', timeoutMs: opts.timeoutMs ?? 10_000, ...(opts.agentDirs ? { agentDirs: opts.agentDirs } : {}) });
  if (r.outcome !== 'ok') throw new FenceAgentError(r.error ?? `fence agent ${agent} metadata failed`);
  return parseFenceMetadata(r.stdout, agent);
}
