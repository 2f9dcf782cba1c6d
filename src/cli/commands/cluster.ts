// `tandem cluster|node|property|stonith|config ...`: the cluster-wide verbs of pcs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { serializeXml } from '../../cib/xml.ts';
import { parseCibXml } from '../../cib/parse.ts';
import { agentMetadata, agentPaths, installedFenceAgents } from '../agents.ts';
import { parsePairs, parseResourceArgs, rejectOptions } from '../args.ts';
import { apiError, applyEdit, resolveTarget, withTarget, type GlobalOptions, type Target } from '../context.ts';
import { initialConfiguration, KNOWN_PROPERTIES, nodeAdd, nodeAttribute, nodeRemove, propertyList, propertySet, propertyUnset, stonithCreate } from '../edit/cluster.ts';
import { nodeNames, requireNode } from '../edit/resources.ts';
import { emptyConfiguration } from '../edit/tree.ts';
import { CliError } from '../errors.ts';
import { allOpts, example, print, printEdit, sink } from '../output.ts';
import { runStatus } from './status.ts';
import { describeResource, resourceJson } from './resource.ts';

type Opts = GlobalOptions & Record<string, unknown>;

function systemdHasTandemd(): boolean {
  if (!existsSync('/run/systemd/system')) return false;
  const r = spawnSync('systemctl', ['cat', 'tandemd.service'], { stdio: 'ignore' });
  return r.status === 0;
}

// ---- cluster ------------------------------------------------------------------------------------

export function registerClusterGroup(program: Command): void {
  const cluster = program.command('cluster').description('set up, start, stop and inspect the cluster (pcs cluster)');
  example(cluster, 'tandem cluster setup openstack controller1 controller2 controller3', 'tandem cluster status');

  const setup = withTarget(
    cluster
      .command('setup')
      .usage('NAME NODE... [--force]')
      .description('write the initial configuration: cluster name and nodes (refused over an existing one unless --force)')
      .argument('<name>')
      .argument('<nodes...>')
      .option('--force', 'replace an existing configuration'),
  );
  example(setup, 'tandem cluster setup openstack controller1 controller2 controller3');
  setup.action(async (name: string, nodes: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    rejectOptions(nodes);
    const conf = initialConfiguration(name, nodes);
    const target = resolveTarget(o);
    const { conf: current, revision } = await target.readConfig();
    const hasContent = ['resources', 'constraints'].some((s) => (current.children.find((c) => c.name === s)?.children.length ?? 0) > 0) || nodeNames(current).length > 0;
    if (hasContent && !o.force) {
      throw new CliError(`${target.where} already has a configuration (nodes ${nodeNames(current).join(', ') || 'none'}); --force replaces it, or use tandem node add`);
    }
    const res = await target.writeConfig(conf, revision);
    print(o.json, { ok: true, change: 'cluster setup', revision: res.revision, cluster: name, nodes }, () => [
      `cluster '${name}' set up with nodes ${nodes.join(', ')} (${target.where})`,
      'next: start tandemd on each node (tandem cluster start), then create resources',
    ]);
  });

  for (const verb of ['start', 'stop'] as const) {
    const c = cluster
      .command(verb)
      .usage('[--all]')
      .description(`${verb} tandemd on this node (systemctl ${verb} tandemd when systemd manages it)`)
      .option('--all', 'all nodes: run the command on each node (tandem has no remote agent like pcsd)')
      .option('--json', 'print JSON');
    example(c, `tandem cluster ${verb}`);
    c.action(async (o: Opts) => {
      if (o.all) throw new CliError(`tandem cluster ${verb} acts on this node only; run it on each node (e.g. ssh NODE tandem cluster ${verb})`);
      if (!systemdHasTandemd()) {
        throw new CliError(
          verb === 'start'
            ? 'no tandemd systemd unit on this machine: start the daemon with tandemd --config /etc/tandem/tandemd.json (or install the unit), or run tandem demo'
            : 'no tandemd systemd unit on this machine: stop the tandemd process you started (its resources stop first on SIGTERM)',
        );
      }
      try {
        execFileSync('systemctl', [verb, 'tandemd'], { stdio: ['ignore', 'ignore', 'pipe'] });
      } catch (err) {
        throw new CliError(`systemctl ${verb} tandemd failed: ${String((err as { stderr?: Buffer }).stderr ?? (err as Error).message).trim().split('\n')[0]}`);
      }
      print(o.json, { ok: true, action: verb }, () => `tandemd ${verb === 'start' ? 'started' : 'stopped'} on this node (systemctl ${verb} tandemd)`);
    });
  }

  const status = withTarget(cluster.command('status').description('same as tandem status'));
  status.action(async (_o, cmd: Command) => runStatus(allOpts<GlobalOptions>(cmd)));

  const destroy = withTarget(
    cluster
      .command('destroy')
      .usage('--force')
      .description('replace the whole configuration with an empty one (every resource stops); needs --force')
      .option('--force', 'yes, really'),
  );
  example(destroy, 'tandem cluster destroy --force');
  destroy.action(async (_o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    if (!o.force) throw new CliError('cluster destroy removes every resource, constraint and node from the configuration: add --force to do it');
    const target = resolveTarget(o);
    const { revision } = await target.readConfig();
    const res = await target.writeConfig(emptyConfiguration(), revision);
    print(o.json, { ok: true, change: 'cluster destroy', revision: res.revision }, () => `configuration emptied at ${target.where} (stop tandemd on the nodes to take them out entirely)`);
  });
}

// ---- node ---------------------------------------------------------------------------------------

async function nodeAction(target: Target, names: string[], action: 'standby' | 'unstandby' | 'maintenance' | 'unmaintenance'): Promise<{ revision: number; notes: string[] }> {
  const { conf } = await target.readConfig();
  for (const n of names) requireNode(conf, n); // every name checked before anything changes
  if (target.api) {
    const notes: string[] = [];
    let revision = 0;
    for (const n of names) {
      try {
        const r = await target.api.nodeAction(n, action);
        notes.push(r.message);
        revision = r.revision;
      } catch (err) {
        throw apiError(err, target.where);
      }
    }
    return { revision, notes };
  }
  const attr = action.endsWith('standby') ? 'standby' : 'maintenance';
  const value = action.startsWith('un') ? undefined : 'on';
  const res = await applyEdit(target, (c) => nodeAttribute(c, names, attr, value));
  return { revision: res.revision, notes: [...names.map((n) => `${n}: ${action}`), ...res.notes] };
}

export function registerNodeGroup(program: Command): void {
  const node = program.command('node').description('add, remove, standby and maintenance of nodes (pcs node)');
  example(node, 'tandem node standby controller2', 'tandem node unstandby controller2');

  const add = withTarget(node.command('add').usage('NAME [id=ID]').description('add a node to the configuration (tandemd on it then joins)').argument('<name>').argument('[opts...]'));
  example(add, 'tandem node add controller4');
  add.action(async (name: string, words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const opts = parsePairs(words, 'node option');
    const bad = Object.keys(opts).find((k) => k !== 'id');
    if (bad) throw new CliError(`unknown node option '${bad}': usage: tandem node add NAME [id=ID]`);
    const res = await applyEdit(resolveTarget(o), (c) => nodeAdd(c, name, opts.id ? { id: opts.id } : {}));
    printEdit(o.json, 'node add', res, { node: name });
  });

  const remove = withTarget(node.command('remove').alias('delete').usage('NAME').description('remove a node and the location constraints that name it').argument('<name>'));
  example(remove, 'tandem node remove controller4');
  remove.action(async (name: string, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const res = await applyEdit(resolveTarget(o), (c) => nodeRemove(c, name));
    printEdit(o.json, 'node remove', res, { node: name });
  });

  for (const action of ['standby', 'unstandby', 'maintenance', 'unmaintenance'] as const) {
    const c = withTarget(
      node
        .command(action)
        .usage('[NODE...] [--all]')
        .description(
          {
            standby: 'move resources off nodes and keep them off (standby=on)',
            unstandby: 'let nodes run resources again',
            maintenance: 'leave the resources on nodes alone (not monitored, not moved)',
            unmaintenance: 'manage the resources on nodes again',
          }[action],
        )
        .argument('[nodes...]')
        .option('--all', 'every node'),
    );
    example(c, `tandem node ${action} controller2`);
    c.action(async (names: string[], _o, cmd: Command) => {
      const o = allOpts<Opts>(cmd);
      rejectOptions(names);
      const target = resolveTarget(o);
      let list = names;
      if (o.all) list = nodeNames((await target.readConfig()).conf);
      if (list.length === 0) throw new CliError(`which node? usage: tandem node ${action} NODE... (or --all)`);
      const res = await nodeAction(target, list, action);
      print(o.json, { ok: true, change: `node ${action}`, nodes: list, ...res }, () => res.notes);
    });
  }
}

// ---- property -----------------------------------------------------------------------------------

export function registerPropertyGroup(program: Command): void {
  const property = program.command('property').description('cluster properties (crm_config; pcs property)');
  example(property, 'tandem property set stonith-enabled=false', 'tandem property list --all');

  const set = withTarget(property.command('set').usage('NAME=VALUE... [--force]').description('set cluster properties (NAME= unsets)').argument('<pairs...>').option('--force', 'allow a property Tandem does not know'));
  example(set, 'tandem property set stonith-enabled=false no-quorum-policy=stop');
  set.action(async (pairs: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const values = parsePairs(pairs, 'property');
    const res = await applyEdit(resolveTarget(o), (c) => propertySet(c, values, { force: o.force === true }));
    res.notes.unshift(...Object.entries(values).filter(([, v]) => v !== '').map(([k, v]) => `${k}=${v}`));
    printEdit(o.json, 'property set', res, { properties: values });
  });

  const unset = withTarget(property.command('unset').usage('NAME...').description('remove cluster properties (back to their defaults)').argument('<names...>'));
  example(unset, 'tandem property unset no-quorum-policy');
  unset.action(async (names: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const res = await applyEdit(resolveTarget(o), (c) => propertyUnset(c, names));
    res.notes.unshift(...names.map((n) => `unset ${n}`));
    printEdit(o.json, 'property unset', res, { names });
  });

  const list = withTarget(property.command('list').alias('config').usage('[--all]').description('cluster properties that are set (--all: with the defaults)').option('--all', 'also the defaults of properties not set'));
  example(list, 'tandem property list --all');
  list.action(async (_o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const { conf } = await resolveTarget(o).readConfig();
    const set = propertyList(conf);
    const all: Record<string, string> = { ...set };
    if (o.all) for (const [k, p] of Object.entries(KNOWN_PROPERTIES)) if (!(k in all) && p.default !== undefined) all[k] = p.default;
    print(o.json, { properties: all }, () => ['Cluster Properties:', ...Object.entries(all).sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => `  ${k}: ${v}${o.all && !(k in set) ? ' (default)' : ''}`)]);
  });
}

// ---- stonith ------------------------------------------------------------------------------------

export function registerStonithGroup(program: Command): void {
  const stonith = program.command('stonith').description('fencing devices and fencing (pcs stonith)');
  example(stonith, 'tandem stonith create ipmi-n1 fence_ipmilan ip=10.0.0.101 username=admin password=secret pcmk_host_list=node1', 'tandem stonith history');

  const create = withTarget(
    stonith
      .command('create')
      .usage('ID fence_AGENT [NAME=VALUE...] [op ...] [meta ...] [--disabled] [--force]')
      .description('create a fencing device (pcmk_host_list=, pcmk_host_map= say which nodes it fences)')
      .argument('<id>')
      .argument('<agent>')
      .argument('[args...]')
      .option('--disabled', 'create it stopped')
      .option('--force', 'accept an agent not installed on this machine')
      .allowUnknownOption(),
  );
  example(create, 'tandem stonith create ipmi-n1 fence_ipmilan ip=10.0.0.101 username=admin password=secret pcmk_host_list=node1');
  create.action(async (id: string, agent: string, words: string[], _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const args = parseResourceArgs(words, { allowClone: false });
    const type = agent.replace(/^stonith:/, '');
    if (!o.force && /^fence_/.test(type)) {
      const installed = await installedFenceAgents(agentPaths());
      if (installed.length && !installed.includes(type)) throw new CliError(`bad fence agent '${type}': not installed here (see tandem stonith list); --force if it exists on the nodes only`);
    }
    const res = await applyEdit(resolveTarget(o), (c) =>
      stonithCreate(c, { id, agent: type, params: args.params, ...(args.ops.length ? { ops: args.ops } : {}), meta: args.meta, ...(o.disabled ? { disabled: true } : {}) }),
    );
    res.notes.unshift(`created fencing device '${id}' (stonith:${type})`);
    printEdit(o.json, 'stonith create', res, { id });
  });

  const fence = withTarget(stonith.command('fence').usage('NODE [--off]').description('fence a node now (the DC carries it out)').argument('<node>').option('--off', 'power off instead of reboot').option('--reason <text>', 'recorded in the fencing history'));
  example(fence, 'tandem stonith fence node3 --off');
  fence.action(async (node: string, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const target = resolveTarget(o);
    if (!target.api) throw new CliError('stonith fence acts on a running cluster: drop -f and give --url');
    requireNode((await target.readConfig()).conf, node);
    try {
      const r = await target.api.fence(node, { action: o.off ? 'off' : 'reboot', ...(typeof o.reason === 'string' ? { reason: o.reason } : {}) });
      print(o.json, r, () => r.message);
    } catch (err) {
      throw apiError(err, target.where);
    }
  });

  const history = withTarget(stonith.command('history').usage('[NODE]').description('fencing operations, newest first, and requests not yet carried out').argument('[node]'));
  example(history, 'tandem stonith history node3');
  history.action(async (node: string | undefined, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const target = resolveTarget(o);
    if (!target.api) throw new CliError('stonith history is kept by the running cluster: drop -f and give --url');
    try {
      const h = await target.api.fencingHistory(node ? { node } : {});
      print(o.json, h, () => {
        const lines = h.history.map((e) => `${e.completedAt} ${e.action} of ${e.target}: ${e.result}${e.device ? ` (device ${e.device})` : ''}${e.executioner ? ` by ${e.executioner}` : ''}${e.reason ? `: ${e.reason}` : ''}`);
        for (const p of h.pendingRequests) lines.push(`pending: fence ${p.node}${p.requestedAt ? ` requested ${p.requestedAt}` : ''}${p.by ? ` by ${p.by}` : ''}`);
        return lines.length ? lines : [`no fencing${node ? ` of ${node}` : ''} recorded`];
      });
    } catch (err) {
      throw apiError(err, target.where);
    }
  });

  const list = stonith.command('list').usage('[FILTER]').description('fence agents installed on this machine').argument('[filter]').option('--json', 'print JSON');
  example(list, 'tandem stonith list ipmi');
  list.action(async (filter: string | undefined, o: Opts) => {
    const agents = (await installedFenceAgents(agentPaths())).filter((a) => !filter || a.includes(filter));
    print(o.json, { agents }, () => (agents.length ? agents : ['no fence agents found (install fence-agents)']));
  });

  const describe = stonith.command('describe').usage('fence_AGENT').description("a fence agent's parameters (its meta-data)").argument('<agent>').option('--json', 'print JSON');
  describe.action(async (agent: string, o: Opts) => {
    const md = await agentMetadata({ class: 'stonith', type: agent.replace(/^stonith:/, '') }, agentPaths());
    print(o.json, md, () => [`${md.name} - ${md.shortdesc}`, '', 'Stonith options:', ...md.parameters.map((p) => `  ${p.name}${p.required ? ' (required)' : ''}: ${p.shortdesc}`)]);
  });

  const config = withTarget(stonith.command('config').alias('show').description('configured fencing devices'));
  config.action(async (_o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const { conf } = await resolveTarget(o).readConfig();
    const devs = (conf.children.find((c) => c.name === 'resources')?.children ?? []).filter((c) => c.name === 'primitive' && c.attrs.class === 'stonith');
    print(o.json, { devices: devs.map(resourceJson) }, () => (devs.length ? devs.flatMap((d) => describeResource(d)) : ['NO stonith devices configured']));
  });
}

// ---- config -------------------------------------------------------------------------------------

export function registerConfigGroup(program: Command): void {
  const config = program.command('config').description('the whole configuration as Pacemaker cib.xml (pcs config, cluster cib / cib-push)');
  example(config, 'tandem config export cib.xml', 'tandem config import cib.xml');

  const exp = withTarget(
    config.command('export').usage('[FILE] [--reveal]').description('write the configuration as a Pacemaker cib.xml (stdout or FILE)').argument('[file]').option('--reveal', 'show secret parameters (admin)'),
    { json: false },
  );
  example(exp, 'tandem config export cib.xml', 'crm_verify --xml-file cib.xml');
  exp.action(async (file: string | undefined, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const target = resolveTarget(o);
    let xml: string;
    if (target.api) {
      try {
        xml = await target.api.exportConfig(o.reveal ? { reveal: true } : {});
      } catch (err) {
        throw apiError(err, target.where);
      }
    } else xml = await target.readCib();
    if (file) {
      writeFileSync(file, xml.endsWith('\n') ? xml : xml + '\n');
      process.stderr.write(`wrote ${file}\n`);
    } else sink.out(xml.endsWith('\n') ? xml : xml + '\n');
  });

  const imp = withTarget(config.command('import').usage('FILE').description('load a Pacemaker cib.xml, replacing the configuration (checked whole first)').argument('<file>'));
  example(imp, 'tandem config import /var/lib/pacemaker/cib/cib.xml');
  imp.action(async (file: string, _o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const xml = readFileSync(file, 'utf8');
    const cib = parseCibXml(xml, file); // refused here whole, before anything is sent
    const target = resolveTarget(o);
    if (target.api) {
      try {
        const r = await target.api.importConfig({ xml });
        print(o.json, { ok: true, change: 'config import', ...r }, () => `imported ${file}: ${cib.configuration.resources.length} resources, ${cib.configuration.constraints.length} constraints, ${cib.configuration.nodes.length} nodes (revision ${r.revision})`);
      } catch (err) {
        throw apiError(err, target.where);
      }
      return;
    }
    if (target.file === file) throw new CliError('config import: FILE and -f are the same file');
    writeFileSync(target.file!, xml);
    print(o.json, { ok: true, change: 'config import', file: target.file }, () => `copied ${file} to ${target.file}`);
  });

  const show = withTarget(config.command('show').description('nodes, resources, constraints and properties in readable form'));
  show.action(async (_o, cmd: Command) => {
    const o = allOpts<Opts>(cmd);
    const { conf } = await resolveTarget(o).readConfig();
    print(o.json, { xml: serializeXml(conf) }, () => serializeXml(conf));
  });
}

export function registerClusterCommands(program: Command): void {
  registerClusterGroup(program);
  registerNodeGroup(program);
  registerPropertyGroup(program);
  registerStonithGroup(program);
  registerConfigGroup(program);
}
