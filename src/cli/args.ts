// pcs's argument syntax, turned into the specs the edit functions take:
//
//   NAME=VALUE...  op ACTION k=v... [ACTION k=v...]  meta k=v...  clone [ID] [k=v...]  promotable [ID] [k=v...]
//
// and agent names (standard:provider:type, provider:type, type).
import { CliError } from './errors.ts';
import type { AgentSpec, OpSpec } from './edit/resources.ts';

export interface ResourceArgs {
  params: Record<string, string>;
  ops: OpSpec[];
  meta: Record<string, string>;
  clone?: { id?: string; meta: Record<string, string> };
  promotable?: { id?: string; meta: Record<string, string> };
}

function pair(word: string, where: string): [string, string] | undefined {
  const i = word.indexOf('=');
  if (i <= 0) return undefined;
  const name = word.slice(0, i);
  if (!/^[A-Za-z_#][A-Za-z0-9_.:#-]*$/.test(name)) throw new CliError(`bad ${where} name in '${word}': write name=value`);
  return [name, word.slice(i + 1)];
}

/** Refuses leftover --options (commander passes unknown ones through so that -INFINITY works). */
export function rejectOptions(words: string[]): void {
  const bad = words.find((w) => /^--?[A-Za-z]/.test(w) && !/^-INFINITY$/i.test(w) && !/^-inf$/i.test(w));
  if (bad) throw new CliError(`unknown option '${bad}' (see --help)`);
}

/** Splits resource create/update words into parameters, operations, meta and clone parts. */
export function parseResourceArgs(words: string[], opts: { allowClone?: boolean } = { allowClone: true }): ResourceArgs {
  rejectOptions(words);
  const out: ResourceArgs = { params: {}, ops: [], meta: {} };
  let mode: 'params' | 'op' | 'meta' | 'clone' | 'promotable' = 'params';
  let currentOp: OpSpec | undefined;
  for (const w of words) {
    if (w === 'op' || w === 'meta' || w === 'clone' || w === 'promotable') {
      if ((w === 'clone' || w === 'promotable') && !opts.allowClone) throw new CliError(`'${w}' is not valid here: use tandem resource ${w} ID`);
      if (w === 'clone' || w === 'promotable') {
        if (out.clone || out.promotable) throw new CliError("give either 'clone' or 'promotable', once");
        out[w] = { meta: {} };
      }
      mode = w;
      currentOp = undefined;
      continue;
    }
    const kv = pair(w, mode === 'op' ? 'operation option' : mode === 'meta' ? 'meta attribute' : 'parameter');
    switch (mode) {
      case 'params':
        if (!kv) throw new CliError(`unexpected '${w}': resource parameters are written name=value (then op ..., meta ...)`);
        out.params[kv[0]] = kv[1];
        break;
      case 'meta':
        if (!kv) throw new CliError(`unexpected '${w}' after meta: write meta name=value`);
        out.meta[kv[0]] = kv[1];
        break;
      case 'op':
        if (kv) {
          if (!currentOp) throw new CliError(`'${w}' after op needs an operation name first: op monitor interval=30s`);
          currentOp.attrs[kv[0]] = kv[1];
        } else {
          currentOp = { name: w, attrs: {} };
          out.ops.push(currentOp);
        }
        break;
      case 'clone':
      case 'promotable': {
        const c = out[mode]!;
        if (kv) c.meta[kv[0]] = kv[1];
        else if (c.id === undefined && Object.keys(c.meta).length === 0) c.id = w;
        else throw new CliError(`unexpected '${w}' after ${mode}: write ${mode} [ID] [name=value...]`);
        break;
      }
    }
  }
  if (mode === 'op' && out.ops.length === 0) throw new CliError("'op' needs an operation: op monitor interval=30s");
  return out;
}

/** name=value words into a record; anything else is refused. */
export function parsePairs(words: string[], what: string): Record<string, string> {
  rejectOptions(words);
  const out: Record<string, string> = {};
  for (const w of words) {
    const kv = pair(w, what);
    if (!kv) throw new CliError(`unexpected '${w}': ${what}s are written name=value`);
    out[kv[0]] = kv[1];
  }
  return out;
}

export const STANDARDS = ['ocf', 'lsb', 'service', 'systemd', 'process', 'stonith'];

/**
 * `standard:provider:type`, `standard:type` (lsb, service, systemd, process, stonith),
 * `provider:type` (ocf), or `type` (undefined class: the caller looks it up among installed agents).
 */
export function parseAgentName(spec: string): AgentSpec & { bare?: boolean } {
  const parts = spec.split(':');
  if (parts.some((p) => p === '') || parts.length > 3) throw new CliError(`bad agent '${spec}': write standard:provider:type (e.g. ocf:heartbeat:IPaddr2), provider:type, or type`);
  if (parts.length === 3) {
    if (parts[0] !== 'ocf') throw new CliError(`bad agent '${spec}': only ocf agents have a provider; use ${parts[0]}:${parts[2]}`);
    return { class: 'ocf', provider: parts[1]!, type: parts[2]! };
  }
  if (parts.length === 2) {
    if (parts[0] === 'ocf') throw new CliError(`bad agent '${spec}': an ocf agent needs a provider, e.g. ocf:heartbeat:${parts[1]}`);
    if (STANDARDS.includes(parts[0]!)) return { class: parts[0]!, type: parts[1]! };
    return { class: 'ocf', provider: parts[0]!, type: parts[1]! };
  }
  return { class: '', type: parts[0]!, bare: true };
}
