// Tandem's crm_node: this node's name and id, the member list, the partition and quorum.
// Output as Pacemaker 2.1.5 prints it: -l "ID NAME STATE" per line, -p names on one line,
// -q 1 or 0. When several commands are given, the last one counts (GLib callbacks overwrite).

import { request } from './client.mjs';
import { Exit, UsageError, parseOptions } from './options.mjs';

/** @type {import('./options.mjs').OptionSpec[]} */
const SPECS = [
  { short: 'i', long: ['cluster-id'], key: 'i', arg: 'none' },
  { short: 'l', long: ['list'], key: 'l', arg: 'none' },
  { short: 'n', long: ['name'], key: 'n', arg: 'none' },
  { short: 'p', long: ['partition'], key: 'p', arg: 'none' },
  { short: 'q', long: ['quorum'], key: 'q', arg: 'none' },
  { short: 'N', long: ['name-for-id'], key: 'N', arg: 'required' },
  { short: 'R', long: ['remove'], key: 'R', arg: 'required' },
  { short: 'f', long: ['force'], key: 'force', arg: 'none' },
  { short: 'Q', long: ['quiet'], key: 'quiet', arg: 'none' },
  { short: 'V', long: ['verbose'], key: 'verbose', arg: 'none', repeat: true },
  { short: '$', long: ['version'], key: 'version', arg: 'none' },
  { short: 'h', long: ['help'], key: 'help', arg: 'none' },
];
const COMMANDS = ['i', 'l', 'n', 'p', 'q', 'N', 'R'];

/** @param {string[]} argv */
export async function crmNode(argv) {
  const { values, order } = parseOptions(argv, SPECS);
  if (values.version) {
    process.stdout.write('Pacemaker 2.1.5 (Tandem agent helper)\n');
    return Exit.OK;
  }
  if (values.help) {
    process.stdout.write('Usage: crm_node -n | -i | -l | -p | -q | -N ID\n');
    return Exit.OK;
  }
  const command = order.filter((k) => COMMANDS.includes(k)).pop();
  const out = (line) => process.stdout.write(`${line}\n`);
  switch (command) {
    case 'n':
      out((await request({ op: 'node-name' })).value);
      return Exit.OK;
    case 'i': {
      const [name, nodes] = await Promise.all([request({ op: 'node-name' }), request({ op: 'nodes' })]);
      const me = nodes.nodes.find((n) => n.name === name.value);
      if (!me) {
        process.stderr.write(`crm_node: Could not find the id of node ${name.value}\n`);
        return Exit.NOSUCH;
      }
      out(me.id);
      return Exit.OK;
    }
    case 'N': {
      const nodes = (await request({ op: 'nodes' })).nodes;
      const node = nodes.find((n) => n.id === values.N);
      if (!node) {
        process.stderr.write(`crm_node: Could not find the name of node with id ${values.N}\n`);
        return Exit.NOSUCH;
      }
      out(node.name);
      return Exit.OK;
    }
    case 'l':
      for (const n of (await request({ op: 'nodes' })).nodes) out(`${n.id} ${n.name} ${n.state}`);
      return Exit.OK;
    case 'p':
      out((await request({ op: 'partition' })).members.join(' '));
      return Exit.OK;
    case 'q':
      out((await request({ op: 'partition' })).quorate ? '1' : '0');
      return Exit.OK;
    case 'R':
      throw new UsageError('removing nodes is done with the tandem CLI, not crm_node -R');
    default:
      throw new UsageError('one of -n, -i, -l, -p, -q or -N is required');
  }
}
