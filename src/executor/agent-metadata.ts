// Parses an agent's meta-data XML (OCF RA API 1.0/1.1) into what the CLI, the API and the
// configuration checks need: parameters with their flags, and actions with default timings.

import { SaxesParser } from 'saxes';

export interface AgentParameter {
  name: string;
  shortdesc: string;
  longdesc: string;
  /** boolean, string, integer, second, select, ... as the agent declares it. */
  type: string;
  default?: string;
  /** Choices of a `select` parameter. */
  options?: string[];
  required: boolean;
  unique: boolean;
  /** OCF 1.1 unique-group: parameters of one group must be unique together. */
  uniqueGroup?: string;
  /** OCF 1.1: a change can be applied with reload-agent instead of a restart. */
  reloadable: boolean;
  deprecated: boolean;
  /** Names of parameters that replace a deprecated one. */
  replacedWith?: string[];
  /** Keep out of logs and the dashboard: marked private/secret by the agent, or named like a password. */
  secret: boolean;
}

export interface AgentAction {
  name: string;
  /** Default timeout in milliseconds, if the agent declares one. */
  timeoutMs?: number;
  /** Default interval in milliseconds (monitors). */
  intervalMs?: number;
  startDelayMs?: number;
  depth?: number;
  role?: string;
}

export interface AgentMetadata {
  name: string;
  /** Version of the agent (resource-agent@version). */
  version?: string;
  /** OCF API version the agent follows (<version> element). */
  ocfVersion?: string;
  shortdesc: string;
  longdesc: string;
  parameters: AgentParameter[];
  actions: AgentAction[];
}

export class MetadataError extends Error {
  override name = 'MetadataError';
}

interface Node {
  name: string;
  attrs: Record<string, string>;
  children: Node[];
  text: string;
}

/** A small element tree; meta-data documents are a few KiB. */
function parseTree(xml: string): Node {
  const parser = new SaxesParser();
  const stack: Node[] = [];
  let root: Node | undefined;
  parser.on('opentag', (tag) => {
    const node: Node = { name: tag.name, attrs: { ...(tag.attributes as Record<string, string>) }, children: [], text: '' };
    if (stack.length) stack[stack.length - 1]!.children.push(node);
    else root = node;
    stack.push(node);
  });
  parser.on('text', (t) => {
    if (stack.length) stack[stack.length - 1]!.text += t;
  });
  parser.on('cdata', (t) => {
    if (stack.length) stack[stack.length - 1]!.text += t;
  });
  parser.on('closetag', () => void stack.pop());
  try {
    parser.write(xml).close();
  } catch (err) {
    throw new MetadataError(`meta-data is not well-formed XML: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!root) throw new MetadataError('meta-data is empty');
  return root;
}

const child = (n: Node, name: string) => n.children.find((c) => c.name === name);
const children = (n: Node | undefined, name: string) => (n ? n.children.filter((c) => c.name === name) : []);
const isTrue = (v: string | undefined) => v !== undefined && ['1', 'true', 'yes', 'on'].includes(v.toLowerCase());

/** English description if there is one, else the first; whitespace runs collapsed. */
function description(n: Node, name: string): string {
  const all = children(n, name);
  const chosen = all.find((d) => !d.attrs.lang || d.attrs.lang === 'en') ?? all[0];
  return chosen ? chosen.text.trim().replace(/[ \t]+\n/g, '\n') : '';
}

const SECRET_NAME = /(^|_)(pass(word|wd)?|secret|token|credentials?|api_?key)($|_)/i;

export function parseAgentMetadata(xml: string): AgentMetadata {
  const root = parseTree(xml);
  if (root.name !== 'resource-agent') throw new MetadataError(`meta-data root element is <${root.name}>, expected <resource-agent>`);
  if (!root.attrs.name) throw new MetadataError('<resource-agent> has no name attribute');

  const parameters = children(child(root, 'parameters'), 'parameter').map((p): AgentParameter => {
    const name = p.attrs.name;
    if (!name) throw new MetadataError('a <parameter> has no name attribute');
    const content = child(p, 'content');
    const deprecatedEl = child(p, 'deprecated');
    const replacedWith = deprecatedEl ? children(deprecatedEl, 'replaced-with').map((r) => r.attrs.name).filter((n): n is string => !!n) : [];
    const options = content ? children(content, 'option').map((o) => o.attrs.value).filter((v): v is string => v !== undefined) : [];
    return {
      name,
      shortdesc: description(p, 'shortdesc'),
      longdesc: description(p, 'longdesc'),
      type: content?.attrs.type ?? 'string',
      ...(content?.attrs.default !== undefined ? { default: content.attrs.default } : {}),
      ...(options.length ? { options } : {}),
      required: isTrue(p.attrs.required),
      unique: isTrue(p.attrs.unique),
      ...(p.attrs['unique-group'] ? { uniqueGroup: p.attrs['unique-group'] } : {}),
      reloadable: isTrue(p.attrs.reloadable),
      deprecated: !!deprecatedEl || isTrue(p.attrs.deprecated),
      ...(replacedWith.length ? { replacedWith } : {}),
      secret: isTrue(p.attrs.private) || isTrue(p.attrs.secret) || SECRET_NAME.test(name),
    };
  });

  const actions = children(child(root, 'actions'), 'action').map((a): AgentAction => {
    if (!a.attrs.name) throw new MetadataError('an <action> has no name attribute');
    const ms = (attr: string) => (a.attrs[attr] !== undefined ? parseDurationMs(a.attrs[attr]!) : undefined);
    const timeoutMs = ms('timeout');
    const intervalMs = ms('interval');
    const startDelayMs = ms('start-delay');
    return {
      name: a.attrs.name,
      ...(timeoutMs !== undefined ? { timeoutMs } : {}),
      ...(intervalMs !== undefined ? { intervalMs } : {}),
      ...(startDelayMs !== undefined ? { startDelayMs } : {}),
      ...(a.attrs.depth !== undefined && /^\d+$/.test(a.attrs.depth) ? { depth: Number(a.attrs.depth) } : {}),
      ...(a.attrs.role ? { role: a.attrs.role } : {}),
    };
  });

  const ocfVersion = child(root, 'version')?.text.trim();
  return {
    name: root.attrs.name,
    ...(root.attrs.version ? { version: root.attrs.version } : {}),
    ...(ocfVersion ? { ocfVersion } : {}),
    shortdesc: description(root, 'shortdesc'),
    longdesc: description(root, 'longdesc'),
    parameters,
    actions,
  };
}

const UNIT_MS: Record<string, number> = { ms: 1, msec: 1, us: 0.001, usec: 0.001, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000, hr: 3_600_000 };

/** Pacemaker interval/timeout spec ("20s", "10", "1min", "500ms") in ms; bare numbers are seconds. */
export function parseDurationMs(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const factor = m[2] ? UNIT_MS[m[2].toLowerCase()] : 1000;
  return factor === undefined ? undefined : Math.round(Number(m[1]) * factor);
}
