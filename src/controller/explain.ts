// Turns the scheduler's transition summary lines into plain sentences for the decision log.
// "  * Move       vip     ( n1 -> n2 )" → "move vip from n1 to n2".

export interface SummaryStep {
  verb: string;
  rsc?: string;
  from?: string;
  to?: string;
  /** The sentence fragment: "move vip from n1 to n2". */
  text: string;
  /** The past tense, for when it is done: "moved vip to n2". */
  done: string;
}

const PAST: Record<string, string> = {
  start: 'started',
  stop: 'stopped',
  move: 'moved',
  recover: 'recovered',
  restart: 'restarted',
  promote: 'promoted',
  demote: 'demoted',
  migrate: 'migrated',
  reload: 'reloaded',
  fence: 'fenced',
};

export function explainSummaryLine(line: string): SummaryStep | undefined {
  const m = /^\s*\*\s+(\S+)\s+(.*)$/.exec(line);
  if (!m) return undefined;
  const verb = m[1]!.toLowerCase();
  const rest = m[2]!.trim();
  if (verb === 'fence') {
    const f = /^\((\w+)\)\s+(\S+)(?:\s+'(.*)')?/.exec(rest);
    const node = f?.[2] ?? rest;
    const text = `fence ${node}${f?.[1] ? ` (${f[1]})` : ''}`;
    return { verb, to: node, text, done: `fenced ${node}` };
  }
  const r = /^(\S+)\s+\((.*)\)\s*(.*)$/.exec(rest);
  if (!r) return { verb, text: `${verb} ${rest}`, done: `${PAST[verb] ?? verb} ${rest}` };
  const rsc = r[1]!;
  const inner = r[2]!.trim();
  const arrow = /^(?:([^\s]+)\s+)?(\S+)\s+->\s+(?:([^\s]+)\s+)?(\S+)$/.exec(inner);
  if (arrow) {
    const from = arrow[2]!;
    const to = arrow[4]!;
    const text = `${verb} ${rsc} from ${from} to ${to}`;
    return { verb, rsc, from, to, text, done: `${PAST[verb] ?? verb} ${rsc} to ${to}` };
  }
  const parts = inner.split(/\s+/);
  const node = parts[parts.length - 1]!;
  const role = parts.length > 1 ? `${parts.slice(0, -1).join(' ')} ` : '';
  const on = verb === 'stop' ? 'on' : 'on';
  return { verb, rsc, to: node, text: `${verb} ${role}${rsc} ${on} ${node}`, done: `${PAST[verb] ?? verb} ${role}${rsc} on ${node}` };
}

/** Joins reasons into "a, b and c" (at most `max`, then "and N more"). */
export function joinReasons(reasons: string[], max = 3): string {
  const uniq = [...new Set(reasons)];
  if (uniq.length === 0) return 'the cluster is not in its intended state';
  const shown = uniq.slice(0, max);
  const more = uniq.length - shown.length;
  if (more > 0) return `${shown.join(', ')} and ${more} more change${more === 1 ? '' : 's'}`;
  if (shown.length === 1) return shown[0]!;
  return `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}`;
}
