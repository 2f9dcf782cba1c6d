// Printing: text for people, --json for tools (one JSON document on stdout).
import type { Command } from 'commander';
import type { EditResult } from './edit/tree.ts';

/** Where command output goes (tests replace it; the process's stdout otherwise). */
export const sink = {
  out: (text: string): void => void process.stdout.write(text),
};

export function print(json: boolean | undefined, data: unknown, text: () => string | string[]): void {
  if (json) {
    sink.out(JSON.stringify(data, null, 2) + '\n');
    return;
  }
  const t = text();
  const s = Array.isArray(t) ? t.join('\n') : t;
  if (s !== '') sink.out(s.endsWith('\n') ? s : s + '\n');
}

/** What an edit command prints: its notes, or {revision, notes} as JSON. */
export function printEdit(json: boolean | undefined, what: string, res: EditResult & { revision: number }, extra: Record<string, unknown> = {}): void {
  print(json, { ok: true, change: what, revision: res.revision, notes: res.notes, ...extra }, () => res.notes);
}

/** Options of this command merged with its parents' (so -f/--url work at any level). */
export function allOpts<T>(cmd: Command): T {
  return cmd.optsWithGlobals() as T;
}

/** Appends an "Example:" section to a command's help. */
export function example(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}
