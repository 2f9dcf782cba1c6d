// `tandem resource ...`: pcs's resource verbs.
import type { Command } from 'commander';
import { agentMetadata, agentPaths, defaultOpsFrom, installedAgents, refText, resolveAgent } from '../agents.ts';
import { parseAgentName, parseResourceArgs, rejectOptions } from '../args.ts';
import { applyEdit, apiError, resolveTarget, withTarget, type GlobalOptions, type Target } from '../context.ts';
import {
  requireResource,
  resourceBan,
  resourceClear,
  resourceClone,
  resourceCreate,
  resourceDelete,
  resourceMove,
  resourceSetEnabled,
  resourceUpdate,
  type AgentSpec,
  type OpSpec,
} from '../edit/resources.ts';
import { nvAll } from '../edit/tree.ts';
import type { XmlElement } from '../../cib/xml.ts';
import { CliError } from '../errors.ts';
import { allOpts, example, print, printEdit } from '../output.ts';
import { clusterState } from '../state.ts';
import { formatResourceList } from './status.ts';

type Opts = GlobalOptions & Record<string, unknown>;

function now(): number {
  return Math.floor(Date.now() / 1000);
}

/** `lifetime=30min` among the words (pcs syntax), or --lifetime. */
function takeLifetime(words: string[], opt: unknown): { words: string[]; lifetime?: string } {
  let lifetime = typeof opt === 'string' ? opt : undefined;
  const rest: string[] = [];
  for (const w of words) {
    const m = /^lifetime=(.+)$/.exec(w);
    if (m) lifetime = m[1];
    else rest.push(w);
  }
  return { words: rest, ...(lifetime !== undefined ? { lifetime } : {}) };
}

/** Where a resource runs now (for move/ban without a node). */
async function currentNodes(target: Target, id: string): Promise<string[]> {
  const st = await clusterState(target);
  const r = st.resources.filter((x) => x.id === id || x.id.replace(/:\d+$/, '') === id || x.parent === id);
  return [...new Set(r.flatMap((x) => x.nodes))];
}

export function describeResource(e: XmlElement, depth = 0): string[] {
  const pad = '  '.repeat(depth);
  const lines: string[] = [];
  const a = e.attrs;
  if (e.name === 'primitive') lines.push(`${pad}Resource: ${a.id} (${['class', 'provider', 'type'].filter((k) => a[k]).map((k) => `${k}=${a[k]}`).join(' ')})`);
  else if (e.name === 'group') lines.push(`${pad}Group: ${a.id}`);
  else if (e.name === 'clone' || e.name === 'master') lines.push(`${pad}Clone: ${a.id}`);
  else lines.push(`${pad}${e.name}: ${a.id}`);
  const attrs = nvAll(e, 'instance_attributes');
  if (Object.keys(attrs).length) lines.push(`${pad}  Attributes: ${Object.entries(attrs).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const meta = nvAll(e, 'meta_attributes');
  if (Object.keys(meta).length) lines.push(`${pad}  Meta Attributes: ${Object.entries(meta).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const util = nvAll(e, 'utilization');
  if (Object.keys(util).length) lines.push(`${pad}  Utilization: ${Object.entries(util).map(([k, v]) => `${k}=${v}`).join(' ')}`);
  const ops = e.children.find((c) => c.name === 'operations')?.children.filter((o) => o.name === 'op') ?? [];
  if (ops.length) {
    lines.push(`${pad}  Operations:`);
    for (const o of ops) {
      const { id, name, ...rest } = o.attrs;
      lines.push(`${pad}    ${name}: ${id}`, `${pad}      ${Object.entries(rest).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    }
  }
  for (const c of e.children) if (['primitive', 'group'].includes(c.name)) lines.push(...describeResource(c, depth + 1));
  return lines;
}

export function resourceJson(e: XmlElement): Record<string, unknown> {
  const ops = e.children.find((c) => c.name === 'operations')?.children.filter((o) => o.name === 'op').map((o) => ({ ...o.attrs })) ?? [];
  return {
    id: e.attrs.id,
    kind: e.name === 'master' ? 'clone' : e.name,
    ...(e.name === 'primitive' ? { agent: [e.attrs.class, e.attrs.provider, e.attrs.type].filter(Boolean).join(':') } : {}),
    params: nvAll(e, 'instance_attributes'),
    meta: nvAll(e, 'meta_attributes'),
    ...(ops.length ? { ops } : {}),
    ...(e.children.some((c) => ['primitive', 'group'].includes(c.name)) ? { children: e.children.filter((c) => ['primitive', 'group'].includes(c.name)).map(resourceJson) } : {}),
  };
}

export function registerResource(program: Command): void {
  const resource = program.command('resource').description('create, change and move resources (pcs resource)');
  example(resource, 'tandem resource create vip ocf:heartbeat:IPaddr2 ip=192.168.1.10 op monitor interval=30s', 'tandem resource move vip node2', 'tandem resource describe ocf:heartbeat:IPaddr2');

  const create = withTarget(
    resource
      .command('create')
      .usage('ID [standard:provider:]type [NAME=VALUE...] [op ACTION OPTS... [ACTION OPTS...]] [meta K=V...] [clone [ID] [K=V...] | promotable [ID] [K=V...] | --group G [--before R | --after R]] [--disabled]')
      .description('create a resource from an agent, with parameters, operations and meta attributes')
      .argument('<id>', 'resource id')
      .argument('<agent>', 'ocf:heartbeat:IPaddr2, heartbeat:IPaddr2, IPaddr2, lsb:NAME or process:NAME')
      .argument('[args...]', 'NAME=VALUE... op ... meta ... clone/promotable ...')
      .option('--group <group>', 'put it in this group (created when missing)')
      .option('--before <rsc>', 'with --group: place it before this member')
      .option('--after <rsc>', 'with --group: place it after this member')
      .option('--disabled', 'create it stopped (target-role=Stopped)')
      .option('--no-default-ops', "do not add the operations the agent's meta-data declares")
      .option('--force', 'accept an agent not installed on this machine')
      .allowUnknownOption(),
  );
  example(create, 'tandem resource create vip ocf:heartbeat:IPaddr2 ip=192.168.1.10 cidr_netmask=24 op monitor interval=30s', 'tandem resource create web ocf:heartbeat:apache --group webgroup', 'tandem resource create db ocf:pacemaker:Stateful promotable promoted-max=1');
  create.action(async (id: string, agentName: string, words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const args = parseResourceArgs(words);
    const paths = agentPaths();
    const agent: AgentSpec = await resolveAgent(agentName, paths, o.force === true);
    let defaultOps: OpSpec[] | undefined;
    if (o.defaultOps !== false && agent.class === 'ocf') {
      try {
        defaultOps = defaultOpsFrom(await agentMetadata(agent, paths));
      } catch {
        defaultOps = undefined; // agent only on the nodes (--force): no defaults
      }
    }
    const target = resolveTarget(o);
    const res = await applyEdit(target, (conf) =>
      resourceCreate(conf, {
        id,
        agent,
        params: args.params,
        ops: args.ops,
        meta: args.meta,
        ...(args.clone ? { clone: args.clone } : {}),
        ...(args.promotable ? { promotable: args.promotable } : {}),
        ...(typeof o.group === 'string' ? { group: o.group } : {}),
        ...(typeof o.before === 'string' ? { before: o.before } : {}),
        ...(typeof o.after === 'string' ? { after: o.after } : {}),
        ...(o.disabled ? { disabled: true } : {}),
        ...(defaultOps ? { defaultOps } : {}),
      }),
    );
    res.notes.unshift(`created resource '${id}' (${[agent.class, agent.provider, agent.type].filter(Boolean).join(':')})${o.group ? ` in group '${o.group}'` : args.clone ? ' as a clone' : args.promotable ? ' as a promotable clone' : ''}`);
    printEdit(o.json, 'resource create', res, { id });
  });

  const update = withTarget(
    resource
      .command('update')
      .usage('ID [NAME=VALUE...] [op ACTION OPTS...] [meta K=V...]')
      .description('change parameters, operations or meta attributes (NAME= removes one)')
      .argument('<id>')
      .argument('[args...]')
      .allowUnknownOption(),
  );
  example(update, 'tandem resource update vip ip=192.168.1.11 op monitor interval=20s meta resource-stickiness=100');
  update.action(async (id: string, words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const args = parseResourceArgs(words, { allowClone: false });
    const res = await applyEdit(resolveTarget(o), (conf) => resourceUpdate(conf, id, args));
    res.notes.unshift(`updated resource '${id}'`);
    printEdit(o.json, 'resource update', res, { id });
  });

  const del = withTarget(resource.command('delete').alias('remove').usage('ID').description('delete a resource and the constraints that name it').argument('<id>'));
  example(del, 'tandem resource delete vip');
  del.action(async (id: string, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const res = await applyEdit(resolveTarget(o), (conf) => resourceDelete(conf, id));
    res.notes.unshift(`deleted resource '${id}'`);
    printEdit(o.json, 'resource delete', res, { id });
  });

  for (const [verb, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const) {
    const c = withTarget(
      resource
        .command(verb)
        .usage('ID...')
        .description(enabled ? 'allow resources to run (removes target-role=Stopped)' : 'stop resources and keep them stopped (target-role=Stopped)')
        .argument('<ids...>'),
    );
    example(c, `tandem resource ${verb} vip web`);
    c.action(async (ids: string[], _o, cmd: Command) => {
      const o = allOpts<Opts>(cmd);
      const res = await applyEdit(resolveTarget(o), (conf) => resourceSetEnabled(conf, ids, enabled));
      res.notes.unshift(`${enabled ? 'enabled' : 'disabled'} ${ids.map((i) => `'${i}'`).join(', ')}`);
      printEdit(o.json, `resource ${verb}`, res, { ids });
    });
  }

  for (const verb of ['move', 'ban'] as const) {
    const c = withTarget(
      resource
        .command(verb)
        .usage('ID [NODE] [lifetime=DURATION] [--promoted]')
        .description(
          verb === 'move'
            ? 'move a resource to NODE with a cli-prefer-ID location constraint (without NODE: away from where it runs, with a ban)'
            : 'keep a resource off NODE (default: where it runs) with a cli-ban-ID-on-NODE constraint',
        )
        .argument('<id>')
        .argument('[args...]', 'NODE, lifetime=30min')
        .option('--lifetime <duration>', 'the constraint expires after this long (30min, PT1H)')
        .option('--promoted', 'for promotable clones: the promoted role'),
    );
    example(c, `tandem resource ${verb} vip node2 lifetime=30min`, `tandem resource clear vip`);
    c.action(async (id: string, words: string[], _o, cmd: Command) => {
      const o = allOpts<Opts>(cmd);
      rejectOptions(words);
      const { words: rest, lifetime } = takeLifetime(words, o.lifetime);
      if (rest.length > 1) throw new CliError(`unexpected '${rest[1]}': usage: tandem resource ${verb} ID [NODE] [lifetime=DURATION]`);
      const target = resolveTarget(o);
      let node = rest[0];
      let mode: 'move' | 'ban' = verb;
      if (node === undefined) {
        const { conf } = await target.readConfig();
        requireResource(conf, id);
        const on = await currentNodes(target, id);
        if (on.length === 0) throw new CliError(`'${id}' is not running anywhere: give a node, e.g. tandem resource ${verb} ${id} NODE`);
        if (on.length > 1) throw new CliError(`'${id}' runs on ${on.join(', ')}: say which node, e.g. tandem resource ban ${id} ${on[0]}`);
        node = on[0]!;
        mode = 'ban';
      }
      const opts = { now: now(), ...(lifetime !== undefined ? { lifetime } : {}), ...(o.promoted ? { promoted: true } : {}) };
      const res = await applyEdit(target, (conf) => (mode === 'move' ? resourceMove(conf, id, node!, opts) : resourceBan(conf, id, node!, opts)));
      printEdit(o.json, `resource ${verb}`, res, { id, node, constraint: mode === 'move' ? `cli-prefer-${id}` : `cli-ban-${id}-on-${node}` });
    });
  }

  const clear = withTarget(resource.command('clear').usage('ID [NODE]').description('remove the cli-prefer-/cli-ban- constraints that move and ban left').argument('<id>').argument('[node]'));
  example(clear, 'tandem resource clear vip');
  clear.action(async (id: string, node: string | undefined, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const res = await applyEdit(resolveTarget(o), (conf) => resourceClear(conf, id, node));
    printEdit(o.json, 'resource clear', res, { id });
  });

  for (const verb of ['clone', 'promotable'] as const) {
    const c = withTarget(
      resource
        .command(verb)
        .usage('ID [CLONE-ID] [K=V...]')
        .description(verb === 'clone' ? 'run a primitive or group on several nodes (wraps it in a clone)' : 'wrap a primitive in a promotable clone (promotable=true)')
        .argument('<id>')
        .argument('[args...]'),
    );
    example(c, `tandem resource ${verb} ${verb === 'clone' ? 'haproxy interleave=true' : 'db promoted-max=1'}`);
    c.action(async (id: string, words: string[], _o, cmd: Command) => {
      const o = allOpts<Opts>(cmd);
      rejectOptions(words);
      let cloneId: string | undefined;
      const meta: Record<string, string> = {};
      for (const w of words) {
        const i = w.indexOf('=');
        if (i > 0) meta[w.slice(0, i)] = w.slice(i + 1);
        else if (cloneId === undefined && Object.keys(meta).length === 0) cloneId = w;
        else throw new CliError(`unexpected '${w}': usage: tandem resource ${verb} ID [CLONE-ID] [K=V...]`);
      }
      const res = await applyEdit(resolveTarget(o), (conf) => resourceClone(conf, id, { promotable: verb === 'promotable', meta, ...(cloneId ? { cloneId } : {}) }));
      res.notes.unshift(`wrapped '${id}' in ${verb === 'promotable' ? 'promotable ' : ''}clone '${cloneId ?? `${id}-clone`}'`);
      printEdit(o.json, `resource ${verb}`, res, { id });
    });
  }

  const cleanup = withTarget(resource.command('cleanup').usage('ID [--node NODE]').description("forget a resource's failures so the cluster re-evaluates it").argument('<id>').option('--node <node>', 'only on this node'));
  example(cleanup, 'tandem resource cleanup keystone --node node1');
  cleanup.action(async (id: string, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const target = resolveTarget(o);
    if (!target.api) throw new CliError('resource cleanup acts on a running cluster: drop -f and give --url');
    const { conf } = await target.readConfig();
    requireResource(conf, id);
    try {
      const r = await target.api.cleanup(id, typeof o.node === 'string' ? { node: o.node } : {});
      print(o.json, r, () => r.message);
    } catch (err) {
      throw apiError(err, target.where);
    }
  });

  const restart = withTarget(resource.command('restart').usage('ID [--timeout SECONDS]').description('stop a resource, wait until it is stopped, start it again').argument('<id>').option('--timeout <seconds>', 'how long to wait for the stop', '60'));
  example(restart, 'tandem resource restart keystone');
  restart.action(async (id: string, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const target = resolveTarget(o);
    if (!target.api) throw new CliError('resource restart acts on a running cluster: drop -f and give --url');
    const secs = Number(o.timeout);
    if (!Number.isFinite(secs) || secs <= 0) throw new CliError(`bad --timeout '${String(o.timeout)}': seconds, e.g. --timeout 60`);
    const { conf } = await target.readConfig();
    requireResource(conf, id);
    try {
      const r = await target.api.restart(id, { timeoutMs: Math.round(secs * 1000) });
      print(o.json, r, () => r.message);
    } catch (err) {
      throw apiError(err, target.where);
    }
  });

  const describe = resource
    .command('describe')
    .usage('[standard:provider:]type [--json]')
    .description("show an agent's parameters and default operations (its OCF meta-data)")
    .argument('<agent>')
    .option('--json', 'print JSON');
  example(describe, 'tandem resource describe ocf:heartbeat:IPaddr2');
  describe.action(async (name: string, o: Opts) => {
    const paths = agentPaths();
    const parsed = parseAgentName(name);
    const agent = parsed.bare || parsed.class === 'ocf' ? await resolveAgent(name, paths) : parsed;
    const md = await agentMetadata(agent, paths);
    print(o.json, { agent: [agent.class, agent.provider, agent.type].filter(Boolean).join(':'), ...md }, () => {
      const lines = [`${[agent.class, agent.provider, agent.type].filter(Boolean).join(':')} - ${md.shortdesc}`, '', ...md.longdesc.split('\n').map((l) => l.trim()).filter(Boolean), '', 'Resource options:'];
      for (const p of md.parameters) {
        const flags = [p.required ? 'required' : '', p.unique ? 'unique' : '', p.deprecated ? 'deprecated' : '', p.secret ? 'secret' : ''].filter(Boolean).join(', ');
        lines.push(`  ${p.name}${flags ? ` (${flags})` : ''}: ${p.shortdesc || p.longdesc.split('\n')[0]}${p.default !== undefined ? ` [default: ${p.default}]` : ''}`);
      }
      lines.push('', 'Default operations:');
      for (const op of defaultOpsFrom(md)) lines.push(`  ${op.name}: ${Object.entries(op.attrs).map(([k, v]) => `${k}=${v}`).join(' ')}`);
      return lines;
    });
  });

  const list = resource.command('list').usage('[FILTER] [--json]').description('list the agents installed on this machine').argument('[filter]').option('--json', 'print JSON');
  example(list, 'tandem resource list', 'tandem resource list heartbeat:IP');
  list.action(async (filter: string | undefined, o: Opts) => {
    const agents = (await installedAgents(agentPaths())).map(refText).filter((a) => !filter || a.toLowerCase().includes(filter.toLowerCase()));
    print(o.json, { agents }, () => (agents.length ? agents : [`no installed agent matches '${filter ?? ''}'`]));
  });

  const status = withTarget(resource.command('status').usage('[ID]').description('resources and where they run (the resource part of tandem status)').argument('[id]'));
  status.action(async (id: string | undefined, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const target = resolveTarget(o);
    const st = await clusterState(target);
    let rs = st.resources;
    if (id) {
      const { conf } = await target.readConfig();
      requireResource(conf, id);
      rs = rs.filter((r) => r.id === id || r.parent === id || r.id.replace(/:\d+$/, '') === id);
    }
    print(o.json, { resources: rs }, () => formatResourceList(rs));
  });

  const config = withTarget(resource.command('config').alias('show').usage('[ID...]').description('how resources are configured').argument('[ids...]'));
  example(config, 'tandem resource config vip');
  config.action(async (ids: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const { conf } = await resolveTarget(o).readConfig();
    const tops = ids.length ? ids.map((i) => requireResource(conf, i).el) : (conf.children.find((c) => c.name === 'resources')?.children ?? []).filter((c) => ['primitive', 'group', 'clone', 'master', 'bundle'].includes(c.name) && c.attrs.class !== 'stonith');
    print(o.json, { resources: tops.map(resourceJson) }, () => (tops.length ? tops.flatMap((t) => describeResource(t)) : ['NO resources configured']));
  });
}
