// Tandem's crm_resource for agents: --locate (-W) only, printed as Pacemaker 2.1.5 does:
//   resource galera is running on: node1 Promoted
// with -Q just the node names. Other crm_resource commands (utilization -z, --list-operations,
// parameter edits) are refused with exit 64: they change or read configuration Tandem keeps itself.

import { request } from './client.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: 'W', long: ['locate'], key: 'locate', arg: 'none' },
  { short: 'r', long: ['resource'], key: 'resource', arg: 'required' },
  { short: 'Q', long: ['quiet'], key: 'quiet', arg: 'none' },
  { short: 'V', long: ['verbose'], key: 'verbose', arg: 'none', repeat: true },
  { short: '$', long: ['version'], key: 'version', arg: 'none' },
  { short: 'h', long: ['help'], key: 'help', arg: 'none' },
];

/** @param {string[]} argv */
export async function crmResource(argv) {
  let o;
  try {
    o = parseOptions(argv, SPECS).values;
  } catch (err) {
    if (err instanceof UsageError) throw new UsageError(`${err.message} (Tandem's crm_resource supports only --locate/-W -r RESOURCE [-Q])`);
    throw err;
  }
  if (o.version) {
    process.stdout.write('Pacemaker 2.1.5 (Tandem agent helper)\n');
    return Exit.OK;
  }
  if (o.help || !o.locate) {
    process.stdout.write('Usage: crm_resource --locate -r RESOURCE [-Q]\n');
    return o.help ? Exit.OK : Exit.USAGE;
  }
  const wanted = o.resource;
  if (typeof wanted !== 'string' || !wanted) throw new UsageError('--locate needs -r RESOURCE');
  const st = await request({ op: 'status' });
  const base = wanted.replace(/:\d+$/, ''); // anonymous clone instance "galera:1" is "galera"
  const instances = st.resources.filter((r) => r.id === base || r.clone?.id === wanted || r.group === wanted);
  if (!instances.length) {
    process.stderr.write(`crm_resource: Resource '${wanted}' not found\nError performing operation: No such object\n`);
    return Exit.NOSUCH;
  }
  const active = instances.filter((r) => r.node && r.role !== 'Stopped');
  if (!active.length) {
    process.stderr.write(`resource ${wanted} is NOT running\n`);
    return Exit.OK;
  }
  for (const r of active) {
    if (o.quiet) process.stdout.write(`${r.node}\n`);
    else process.stdout.write(`resource ${wanted} is running on: ${r.node}${r.role === 'Promoted' ? ' Promoted' : ''}\n`);
  }
  return Exit.OK;
}
