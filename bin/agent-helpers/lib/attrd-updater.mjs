// Tandem's attrd_updater: transient node attributes, optionally dampened (-d) or private (-p).
// Query output is Pacemaker 2.1.5's: name="NAME" host="NODE" value="VALUE", which agents eval.

import { request } from './client.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: 'n', long: ['name'], key: 'name', arg: 'required' },
  { short: 'U', long: ['update'], key: 'U', arg: 'required' },
  { short: 'v', long: [], key: 'U', arg: 'required' },
  { short: 'B', long: ['update-both'], key: 'B', arg: 'required' },
  { short: 'Y', long: ['update-delay'], key: 'Y', arg: 'none' },
  { short: 'Q', long: ['query'], key: 'Q', arg: 'none' },
  { short: 'D', long: ['delete'], key: 'D', arg: 'none' },
  { short: 'R', long: ['refresh'], key: 'R', arg: 'none' },
  { short: 'd', long: ['delay'], key: 'delay', arg: 'required' },
  { short: 's', long: ['set'], key: 'set', arg: 'required' },
  { short: 'N', long: ['node'], key: 'node', arg: 'required' },
  { short: 'A', long: ['all'], key: 'all', arg: 'none' },
  { short: 'l', long: ['lifetime'], key: 'lifetime', arg: 'required' },
  { short: 'S', long: ['section'], key: 'lifetime', arg: 'required' },
  { short: 'p', long: ['private'], key: 'private', arg: 'none' },
  { short: 'q', long: ['quiet'], key: 'quiet', arg: 'none' },
  { short: 'V', long: ['verbose'], key: 'verbose', arg: 'none', repeat: true },
  { long: ['output-as'], key: 'outputAs', arg: 'required' },
  { short: '$', long: ['version'], key: 'version', arg: 'none' },
  { short: 'h', long: ['help'], key: 'help', arg: 'none' },
];
const COMMANDS = ['U', 'B', 'Y', 'Q', 'D', 'R'];

/** Pacemaker time spec ("5", "5s", "500ms", "2m") in milliseconds; bare numbers are seconds. */
export function parseDelayMs(text) {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|msec|s|sec|m|min|h|hr)?\s*$/i.exec(text);
  if (!m) throw new UsageError(`Invalid delay: ${text}`);
  const n = Number(m[1]);
  const unit = (m[2] ?? 's').toLowerCase();
  const factor = unit.startsWith('ms') ? 1 : unit.startsWith('s') ? 1000 : unit.startsWith('m') ? 60_000 : 3_600_000;
  return Math.round(n * factor);
}

/** @param {string[]} argv */
export async function attrdUpdater(argv) {
  const { values: o, order } = parseOptions(argv, SPECS);
  if (o.version) {
    process.stdout.write('Pacemaker 2.1.5 (Tandem agent helper)\n');
    return Exit.OK;
  }
  if (o.help) {
    process.stdout.write('Usage: attrd_updater -n NAME (-U VALUE | -B VALUE -d DELAY | -Y -d DELAY | -Q [-A] | -D | -R) [-N NODE] [-p]\n');
    return Exit.OK;
  }
  const command = order.filter((k) => COMMANDS.includes(k)).pop();
  if (command === 'R') return Exit.OK; // Tandem writes attributes through at once: nothing to resend
  const name = o.name;
  if (typeof name !== 'string' || !name) throw new UsageError('-n/--name is required');
  const node = typeof o.node === 'string' ? o.node : undefined;
  const dampenMs = typeof o.delay === 'string' ? parseDelayMs(o.delay) : undefined;
  const extra = { ...(dampenMs !== undefined ? { dampenMs } : {}), ...(o.private ? { private: true } : {}) };

  switch (command) {
    case 'U':
      await request({ op: 'set', node, name, value: o.U, kind: 'transient', ...extra });
      return Exit.OK;
    case 'B':
      if (dampenMs === undefined) throw new UsageError('-B/--update-both requires -d/--delay');
      await request({ op: 'set', node, name, value: o.B, kind: 'transient', ...extra });
      return Exit.OK;
    case 'Y': {
      if (dampenMs === undefined) throw new UsageError('-Y/--update-delay requires -d/--delay');
      const current = await request({ op: 'get', node, name, kind: 'transient' });
      if (current.value !== null) await request({ op: 'set', node, name, value: current.value, kind: 'transient', ...extra });
      return Exit.OK;
    }
    case 'D':
      await request({ op: 'delete', node, name, kind: 'transient' });
      return Exit.OK;
    case 'Q': {
      const found = o.all
        ? (await request({ op: 'get-all', name, kind: 'transient' })).values
        : await request({ op: 'get', node, name, kind: 'transient' }).then((r) => (r.value === null ? [] : [{ node: r.node, value: r.value }]));
      if (found.length === 0) {
        process.stderr.write(`Could not query value of ${name}: attribute does not exist\n`);
        return Exit.NOSUCH;
      }
      for (const f of found) process.stdout.write(`name="${name}" host="${f.node}" value="${f.value}"\n`);
      return Exit.OK;
    }
    default:
      throw new UsageError('one of -U, -B, -Y, -Q, -D or -R is required');
  }
}
