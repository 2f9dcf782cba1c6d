// `tandem why RESOURCE`: where a resource runs or why it cannot (src/cli/why.ts does the work).
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import { parseCibXml } from '../../cib/parse.ts';
import type { Cib } from '../../cib/model.ts';
import { resolveTarget, withTarget, type GlobalOptions, type Target } from '../context.ts';
import { allOpts, example, print } from '../output.ts';
import { clusterState } from '../state.ts';
import { formatWhy, why } from '../why.ts';
import { parseNow, resolveNow } from './simulate.ts';
import { statusFromState } from '../status-xml.ts';

type Opts = GlobalOptions & { xml?: string; now?: string };

/** The CIB with its status: the API's export, completed from GET /status when it has no status. */
async function liveCib(target: Target): Promise<Cib> {
  const text = await target.readCib();
  const cib = parseCibXml(text, target.where);
  if (target.api && cib.status.nodes.length === 0) {
    const st = await clusterState(target);
    return parseCibXml(statusFromState(text, st), target.where);
  }
  return cib;
}

export function registerWhy(program: Command): void {
  const cmd = withTarget(
    program
      .command('why')
      .usage('RESOURCE [--xml FILE] [--now TIME] [--json]')
      .description('where a resource runs or why it cannot: the location, colocation, stickiness, fail-count, standby and utilization scores that decided it')
      .argument('<resource>')
      .option('--xml <file>', 'explain from this CIB file (with its status) instead of the live cluster')
      .option('--now <time>', 'evaluate at this time (seconds since the epoch or ISO 8601)'),
  );
  example(cmd, 'tandem why vip', 'tandem why keystone-clone --json', 'tandem why db --xml cib.xml');
  cmd.action(async (id: string, _o, c: Command) => {
    const o = allOpts<Opts>(c);
    const cib = o.xml ? parseCibXml(readFileSync(o.xml, 'utf8'), o.xml) : await liveCib(resolveTarget(o));
    const { now } = resolveNow(cib, o.now !== undefined ? parseNow(o.now) : undefined);
    const w = why(cib, now, id);
    print(o.json, w, () => formatWhy(w));
  });
}
