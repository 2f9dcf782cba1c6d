// Tandem's crm_master: Pacemaker's deprecated wrapper around crm_attribute for promotion scores.
// Same translation as Pacemaker's script: the attribute is master-<resource>, lifetime defaults to
// forever (agents pass -l reboot), and -r or OCF_RESOURCE_INSTANCE names the resource.

import { crmAttribute } from './crm-attribute.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: 'V', long: ['verbose'], key: '-V', arg: 'none' },
  { short: 'q', long: ['quiet'], key: '-q', arg: 'none' },
  { short: 'Q', long: [], key: '-q', arg: 'none' },
  { short: 'G', long: ['query', 'get-value'], key: '-G', arg: 'none' },
  { short: 'D', long: ['delete', 'delete-attr'], key: '-D', arg: 'none' },
  { short: 'v', long: ['update', 'attr-value'], key: '-v', arg: 'required' },
  { short: 'N', long: ['node'], key: '-N', arg: 'required' },
  { short: 'U', long: ['uname'], key: '-N', arg: 'required' },
  { short: 'l', long: ['lifetime'], key: '-l', arg: 'required' },
  { short: 'i', long: ['id', 'attr-id'], key: '-i', arg: 'required' },
  { short: 'r', long: ['resource'], key: 'resource', arg: 'required' },
  { long: ['help'], key: 'help', arg: 'none' },
  { long: ['version'], key: '--version', arg: 'none' },
];

/** @param {string[]} argv */
export async function crmMaster(argv) {
  const { values } = parseOptions(argv, SPECS);
  if (values.help) {
    process.stdout.write("crm_master - Query, update, or delete a resource's promotion score\n");
    return Exit.OK;
  }
  if (values['--version']) return crmAttribute(['--version']);
  const rsc = typeof values.resource === 'string' ? values.resource : process.env.OCF_RESOURCE_INSTANCE;
  if (!rsc) throw new UsageError('No resource specified');
  const args = ['-n', `master-${rsc}`, '--lifetime', 'forever'];
  for (const [key, value] of Object.entries(values)) {
    if (!key.startsWith('-')) continue;
    if (value === true) args.push(key);
    else args.push(key, String(value));
  }
  return crmAttribute(args, 'crm_attribute');
}
