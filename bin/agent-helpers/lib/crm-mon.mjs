// Tandem's crm_mon for agents: one-shot status, as text or as Pacemaker's XML. galera reads it
// (master_exists, two-node quorum checks) and rabbitmq-cluster lists online nodes from it. Any
// CIB_file in the environment is ignored: the live status comes from the executor.

import { request } from './client.mjs';
import { crmMonText, crmMonXml } from './cluster-status.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: '1', long: ['one-shot'], key: 'oneShot', arg: 'none' },
  { short: 'X', long: ['as-xml'], key: 'xml', arg: 'none' },
  { long: ['output-as'], key: 'outputAs', arg: 'required' },
  { long: ['output-to'], key: 'outputTo', arg: 'required' },
  { short: 'r', long: ['inactive'], key: 'inactive', arg: 'none' },
  // Display options Tandem accepts and does not vary its output for.
  ...['n:group-by-node', 'f:failcounts', 'A:show-node-attributes', 'o:operations', 't:timing-details', 'c:tickets', 'L:neg-locations', 'm:fence-history', 'R:show-detail', 'D:hide-headers', 'b:brief', 'j:pending', 's:simple-status', 'Q:quiet', 'V:verbose'].map((s) => {
    const [short, long] = s.split(':');
    return { short, long: [long], key: `ignored-${short}`, arg: 'none', repeat: true };
  }),
  { short: 'I', long: ['include'], key: 'include', arg: 'required', repeat: true },
  { short: 'U', long: ['exclude'], key: 'exclude', arg: 'required', repeat: true },
  { short: '$', long: ['version'], key: 'version', arg: 'none' },
  { short: 'h', long: ['help'], key: 'help', arg: 'none' },
];

/** @param {string[]} argv */
export async function crmMon(argv) {
  const { values: o } = parseOptions(argv, SPECS);
  if (o.version) {
    process.stdout.write('Pacemaker 2.1.5 (Tandem agent helper)\n');
    return Exit.OK;
  }
  if (o.help) {
    process.stdout.write('Usage: crm_mon -1 [-r] [-X | --output-as=xml]\n');
    return Exit.OK;
  }
  if (o.outputAs !== undefined && o.outputAs !== 'xml' && o.outputAs !== 'text') throw new UsageError(`--output-as must be text or xml (got ${o.outputAs})`);
  const st = await request({ op: 'status' });
  const xml = o.xml === true || o.outputAs === 'xml';
  const opts = { inactive: o.inactive === true, request: ['crm_mon', ...argv].join(' ') };
  process.stdout.write(xml ? crmMonXml(st, opts) : crmMonText(st, opts));
  return Exit.OK;
}
