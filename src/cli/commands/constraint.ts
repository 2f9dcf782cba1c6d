// `tandem constraint ...`: location, colocation, order (with sets), remove, list — pcs syntax.
import type { Command } from 'commander';
import { applyEdit, resolveTarget, withTarget, type GlobalOptions } from '../context.ts';
import { colocationAdd, constraintList, constraintRemove, locationPrefers, locationRule, orderAdd, setConstraint, type LocationNodeSpec } from '../edit/constraints.ts';
import { CliError } from '../errors.ts';
import { allOpts, example, print, printEdit } from '../output.ts';
import { rejectOptions } from '../args.ts';

type Opts = GlobalOptions & Record<string, unknown>;

const ROLES = ['promoted', 'unpromoted', 'started', 'stopped', 'master', 'slave'];
const ACTIONS = ['start', 'stop', 'promote', 'demote'];

/** Words of the form name=value at the end, split off. */
function splitOptions(words: string[]): { rest: string[]; options: Record<string, string> } {
  const rest: string[] = [];
  const options: Record<string, string> = {};
  for (const w of words) {
    const m = /^([a-z-]+)=(.*)$/.exec(w);
    if (m) options[m[1]!] = m[2]!;
    else rest.push(w);
  }
  return { rest, options };
}

function unknownOptions(options: Record<string, string>, allowed: string[], usage: string): void {
  const bad = Object.keys(options).find((k) => !allowed.includes(k));
  if (bad) throw new CliError(`unknown option '${bad}=': ${usage}`);
}

/** `[ROLE] A with [ROLE] B [SCORE] [id=ID]` */
export function parseColocation(words: string[]): Parameters<typeof colocationAdd>[1] {
  const usage = 'usage: constraint colocation add [ROLE] A with [ROLE] B [SCORE] [id=ID]';
  const { rest, options } = splitOptions(words);
  unknownOptions(options, ['id', 'score'], usage);
  let i = 0;
  let rscRole: string | undefined;
  let withRole: string | undefined;
  if (ROLES.includes(rest[i]?.toLowerCase() ?? '')) rscRole = rest[i++];
  const rsc = rest[i++];
  if (rest[i++] !== 'with' || !rsc) throw new CliError(usage);
  if (ROLES.includes(rest[i]?.toLowerCase() ?? '')) withRole = rest[i++];
  const withRsc = rest[i++];
  if (!withRsc) throw new CliError(usage);
  const score = rest[i++] ?? options.score;
  if (i < rest.length) throw new CliError(`unexpected '${rest[i]}': ${usage}`);
  return { rsc, withRsc, ...(score !== undefined ? { score } : {}), ...(rscRole ? { rscRole } : {}), ...(withRole ? { withRole } : {}), ...(options.id ? { id: options.id } : {}) };
}

/** `[ACTION] A then [ACTION] B [kind=K] [symmetrical=BOOL] [id=ID]` */
export function parseOrder(words: string[]): Parameters<typeof orderAdd>[1] {
  const usage = 'usage: constraint order [ACTION] A then [ACTION] B [kind=Mandatory|Optional|Serialize] [symmetrical=true|false] [id=ID]';
  const { rest, options } = splitOptions(words);
  unknownOptions(options, ['id', 'kind', 'symmetrical'], usage);
  let i = 0;
  let fa: string | undefined;
  let ta: string | undefined;
  if (ACTIONS.includes(rest[i] ?? '') && rest[i + 1] !== 'then') fa = rest[i++];
  const first = rest[i++];
  if (rest[i++] !== 'then' || !first) throw new CliError(usage);
  if (ACTIONS.includes(rest[i] ?? '') && rest.length > i + 1) ta = rest[i++];
  const then = rest[i++];
  if (!then) throw new CliError(usage);
  if (i < rest.length) throw new CliError(`unexpected '${rest[i]}': ${usage}`);
  let symmetrical: boolean | undefined;
  if (options.symmetrical !== undefined) {
    if (!/^(true|false)$/i.test(options.symmetrical)) throw new CliError(`bad symmetrical '${options.symmetrical}': use true or false`);
    symmetrical = options.symmetrical.toLowerCase() === 'true';
  }
  return {
    first,
    then,
    ...(fa ? { firstAction: fa } : {}),
    ...(ta ? { thenAction: ta } : fa ? { thenAction: fa } : {}),
    ...(options.kind ? { kind: options.kind } : {}),
    ...(symmetrical !== undefined ? { symmetrical } : {}),
    ...(options.id ? { id: options.id } : {}),
  };
}

export function registerConstraint(program: Command): void {
  const constraint = program.command('constraint').description('location, colocation and order constraints (pcs constraint)');
  example(constraint, 'tandem constraint location vip prefers node1=100', 'tandem constraint colocation add web with vip INFINITY', 'tandem constraint order start vip then start web', 'tandem constraint list --full');

  const location = withTarget(
    constraint
      .command('location')
      .usage('RSC prefers|avoids NODE[=SCORE]... | RSC rule [id=ID] [score=S] [role=R] EXPRESSION | add ID RSC NODE SCORE | remove ID')
      .description('where a resource may or prefers to run')
      .argument('<words...>')
      .allowUnknownOption(),
  );
  example(location, 'tandem constraint location vip prefers node1=100 node2=50', 'tandem constraint location vip avoids node3', 'tandem constraint location web rule score=-INFINITY not_defined pingd or pingd lt 1', 'tandem constraint location remove location-vip-node1-100');
  location.action(async (words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    rejectOptions(words);
    const target = resolveTarget(o);
    let res;
    if (words[0] === 'remove' || words[0] === 'delete') {
      res = await applyEdit(target, (conf) => constraintRemove(conf, words.slice(1)));
    } else if (words[0] === 'add') {
      const [, id, rsc, node, score, ...more] = words;
      if (!id || !rsc || !node || !score || more.length) throw new CliError('usage: constraint location add ID RSC NODE SCORE');
      res = await applyEdit(target, (conf) => locationPrefers(conf, rsc, 'prefers', [{ node, score }], { id }));
    } else {
      const [rsc, mode, ...rest] = words;
      if (!rsc || !mode) throw new CliError('usage: constraint location RSC prefers|avoids NODE[=SCORE]... (or RSC rule EXPRESSION)');
      if (mode === 'prefers' || mode === 'avoids') {
        const options: Record<string, string> = {};
        const nodes: LocationNodeSpec[] = [];
        for (const w of rest) {
          const m = /^(id|role)=(.*)$/.exec(w);
          if (m) options[m[1]!] = m[2]!;
          else {
            const i = w.indexOf('=');
            nodes.push(i > 0 ? { node: w.slice(0, i), score: w.slice(i + 1) } : { node: w });
          }
        }
        res = await applyEdit(target, (conf) => locationPrefers(conf, rsc, mode, nodes, { ...(options.id ? { id: options.id } : {}), ...(options.role ? { role: options.role } : {}) }));
      } else if (mode === 'rule') {
        const opts: Record<string, string> = {};
        let i = 0;
        while (i < rest.length && /^(id|score|role|score-attribute)=/.test(rest[i]!)) {
          const [k, v] = rest[i]!.split(/=(.*)/s) as [string, string];
          opts[k] = v;
          i++;
        }
        res = await applyEdit(target, (conf) => locationRule(conf, rsc, rest.slice(i), { ...(opts.id ? { id: opts.id } : {}), ...(opts.score ? { score: opts.score } : {}), ...(opts.role ? { role: opts.role } : {}) }));
      } else {
        throw new CliError(`unknown location form '${mode}': use RSC prefers NODE[=SCORE], RSC avoids NODE[=SCORE] or RSC rule EXPRESSION`);
      }
    }
    printEdit(o.json, 'constraint location', res);
  });

  const colocation = withTarget(
    constraint
      .command('colocation')
      .usage('add [ROLE] A with [ROLE] B [SCORE] [id=ID] | set A B [opts] set C [opts] [setoptions score=S id=ID] | remove ID')
      .description('keep resources together (positive score) or apart (negative)')
      .argument('<words...>')
      .allowUnknownOption(),
  );
  example(colocation, 'tandem constraint colocation add vip with haproxy-clone INFINITY', 'tandem constraint colocation add promoted db-clone with vip', 'tandem constraint colocation set a b sequential=false set c setoptions score=INFINITY');
  colocation.action(async (words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    rejectOptions(words);
    const [verb, ...rest] = words;
    const target = resolveTarget(o);
    let res;
    if (verb === 'add') res = await applyEdit(target, (conf) => colocationAdd(conf, parseColocation(rest)));
    else if (verb === 'set') res = await applyEdit(target, (conf) => setConstraint(conf, 'colocation', words));
    else if (verb === 'remove' || verb === 'delete') res = await applyEdit(target, (conf) => constraintRemove(conf, rest));
    else throw new CliError(`unknown colocation form '${verb}': use add, set or remove (e.g. constraint colocation add A with B)`);
    printEdit(o.json, 'constraint colocation', res);
  });

  const order = withTarget(
    constraint
      .command('order')
      .usage('[add] [ACTION] A then [ACTION] B [kind=K] [symmetrical=BOOL] [id=ID] | set A B [opts] set C [setoptions kind=K] | remove ID')
      .description('start (promote, ...) one resource before another')
      .argument('<words...>')
      .allowUnknownOption(),
  );
  example(order, 'tandem constraint order start vip then start haproxy-clone', 'tandem constraint order add promote db-clone then start keystone-clone kind=Optional', 'tandem constraint order set a b sequential=false set c');
  order.action(async (words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    rejectOptions(words);
    const target = resolveTarget(o);
    let res;
    if (words[0] === 'set') res = await applyEdit(target, (conf) => setConstraint(conf, 'order', words));
    else if (words[0] === 'remove' || words[0] === 'delete') res = await applyEdit(target, (conf) => constraintRemove(conf, words.slice(1)));
    else res = await applyEdit(target, (conf) => orderAdd(conf, parseOrder(words[0] === 'add' ? words.slice(1) : words)));
    printEdit(o.json, 'constraint order', res);
  });

  const remove = withTarget(constraint.command('remove').alias('delete').usage('ID...').description('remove constraints by id (see constraint list --full)').argument('<ids...>'));
  example(remove, 'tandem constraint remove colocation-vip-haproxy-clone-INFINITY');
  remove.action(async (ids: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const res = await applyEdit(resolveTarget(o), (conf) => constraintRemove(conf, ids));
    printEdit(o.json, 'constraint remove', res);
  });

  const list = withTarget(constraint.command('list').alias('config').usage('[--full]').description('all constraints, by kind').option('--full', 'show ids'));
  example(list, 'tandem constraint list --full');
  list.action(async (_o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const { conf } = await resolveTarget(o).readConfig();
    const all = constraintList(conf);
    print(o.json, { constraints: all }, () => {
      const lines: string[] = [];
      for (const [type, title] of [
        ['location', 'Location Constraints:'],
        ['order', 'Ordering Constraints:'],
        ['colocation', 'Colocation Constraints:'],
        ['ticket', 'Ticket Constraints:'],
      ] as const) {
        const mine = all.filter((c) => c.type === type);
        if (!mine.length) continue;
        lines.push(title, ...mine.map((c) => `  ${c.text}${o.full ? ` (id: ${c.id})` : ''}`));
      }
      return lines.length ? lines : ['No constraints'];
    });
  });
}
