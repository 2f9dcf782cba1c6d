// The `tandem` command line end to end on a CIB file (-f, as pcs -f): pcs argument syntax, --json
// shapes, and for every kind of wrong invocation one line on stderr, exit 1, and the file unchanged.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { CommanderError } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';
import { errorLine } from '../../src/cli/errors.ts';
import { sink } from '../../src/cli/output.ts';
import { parseAgentName, parseResourceArgs } from '../../src/cli/args.ts';
import { parseColocation, parseOrder } from '../../src/cli/commands/constraint.ts';
import { CliError } from '../../src/cli/errors.ts';

interface Run {
  code: number;
  out: string;
  err: string;
}

/**
 * Runs `tandem ARGS` in this process the way main() does (same program, same one-line error), with
 * output captured through the CLI's sink rather than by patching process.stdout (which the test
 * reporter writes to). The real process and main() are checked by the last test.
 */
async function tandem(...args: string[]): Promise<Run> {
  let out = '';
  let err = '';
  const program = await buildProgram(args[0]);
  program.configureOutput({ writeOut: (s) => void (out += s), writeErr: (s) => void (err += s), outputError: (s, write) => write(s.split('\n').filter(Boolean)[0] + '\n') });
  const saved = sink.out;
  sink.out = (s) => void (out += s);
  let code = 0;
  try {
    await program.parseAsync(['node', 'tandem', ...args]);
  } catch (e) {
    if (e instanceof CommanderError) code = e.exitCode;
    else {
      err += `tandem: ${errorLine(e)}\n`;
      code = 1;
    }
  } finally {
    sink.out = saved;
  }
  return { code, out, err };
}

function tmpCib(): { file: string; done: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
  return { file: join(dir, 'cib.xml'), done: () => rmSync(dir, { recursive: true, force: true }) };
}

async function ok(...args: string[]): Promise<Run> {
  const r = await tandem(...args);
  assert.equal(r.code, 0, `tandem ${args.join(' ')} failed: ${r.err}`);
  return r;
}

test('pcs syntax: parameters, several ops, meta and clone options split the way pcs splits them', () => {
  assert.deepEqual(parseResourceArgs(['ip=10.0.0.1', 'op', 'monitor', 'interval=30s', 'timeout=30s', 'start', 'timeout=60s', 'meta', 'target-role=Stopped', 'clone', 'c1', 'interleave=true']), {
    params: { ip: '10.0.0.1' },
    ops: [
      { name: 'monitor', attrs: { interval: '30s', timeout: '30s' } },
      { name: 'start', attrs: { timeout: '60s' } },
    ],
    meta: { 'target-role': 'Stopped' },
    clone: { id: 'c1', meta: { interleave: 'true' } },
  });
  assert.deepEqual(parseResourceArgs(['promotable', 'promoted-max=1']).promotable, { meta: { 'promoted-max': '1' } });
  assert.throws(() => parseResourceArgs(['ip']), /unexpected 'ip': resource parameters are written name=value/);
  assert.throws(() => parseResourceArgs(['op', 'interval=3s']), /needs an operation name first/);
  assert.throws(() => parseResourceArgs(['--grup', 'g']), /^CliError: unknown option '--grup'|unknown option '--grup'/);
  assert.deepEqual(parseAgentName('ocf:heartbeat:IPaddr2'), { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' });
  assert.deepEqual(parseAgentName('heartbeat:IPaddr2'), { class: 'ocf', provider: 'heartbeat', type: 'IPaddr2' });
  assert.deepEqual(parseAgentName('process:web'), { class: 'process', type: 'web' });
  assert.deepEqual(parseAgentName('IPaddr2'), { class: '', type: 'IPaddr2', bare: true });
  assert.throws(() => parseAgentName('lsb:x:y'), (e: unknown) => e instanceof CliError && /only ocf agents have a provider/.test(e.message));
  assert.deepEqual(parseColocation(['promoted', 'db-clone', 'with', 'vip', '-INFINITY', 'id=c1']), { rsc: 'db-clone', withRsc: 'vip', score: '-INFINITY', rscRole: 'promoted', id: 'c1' });
  assert.deepEqual(parseOrder(['promote', 'db', 'then', 'start', 'api', 'kind=Optional']), { first: 'db', then: 'api', firstAction: 'promote', thenAction: 'start', kind: 'Optional' });
  assert.deepEqual(parseOrder(['vip', 'then', 'web']), { first: 'vip', then: 'web' });
  assert.throws(() => parseOrder(['vip', 'before', 'web']), /usage: constraint order/);
});

test('a configuration built with the CLI on a file; --json shapes of edits, lists, status and why', async () => {
  const { file, done } = tmpCib();
  try {
    await ok('cluster', 'setup', 'lab', 'n1', 'n2', 'n3', '-f', file);
    await ok('property', 'set', 'stonith-enabled=false', '-f', file);
    const created = JSON.parse((await ok('resource', 'create', 'vip', 'ocf:heartbeat:IPaddr2', 'ip=10.77.0.10', 'op', 'monitor', 'interval=30s', '--json', '-f', file)).out);
    assert.deepEqual(Object.keys(created).sort(), ['change', 'id', 'notes', 'ok', 'revision']);
    assert.equal(created.change, 'resource create');
    assert.equal(created.id, 'vip');
    assert.equal(typeof created.revision, 'number');
    await ok('resource', 'create', 'web', 'ocf:heartbeat:Dummy', '--group', 'g', '-f', file);
    await ok('constraint', 'colocation', 'add', 'g', 'with', 'vip', 'INFINITY', '-f', file);
    await ok('constraint', 'order', 'start', 'vip', 'then', 'start', 'g', '-f', file);
    await ok('constraint', 'location', 'vip', 'avoids', 'n1', '-f', file);
    const moved = await ok('resource', 'move', 'vip', 'n2', 'lifetime=1h', '-f', file);
    assert.match(moved.out, /added location constraint 'cli-prefer-vip' .* it expires at .*'tandem resource clear vip' removes it sooner/);

    const list = JSON.parse((await ok('constraint', 'list', '--json', '-f', file)).out);
    assert.deepEqual(
      list.constraints.map((c: { id: string; type: string }) => `${c.type}:${c.id}`),
      ['colocation:colocation-g-vip-INFINITY', 'order:order-vip-g-mandatory', 'location:location-vip-n1-minus-INFINITY', 'location:cli-prefer-vip'],
    );
    const props = JSON.parse((await ok('property', 'list', '--json', '-f', file)).out);
    assert.deepEqual(props, { properties: { 'cluster-name': 'lab', 'stonith-enabled': 'false' } });
    const cfg = JSON.parse((await ok('resource', 'config', 'g', '--json', '-f', file)).out);
    assert.equal(cfg.resources[0].kind, 'group');
    assert.equal(cfg.resources[0].children[0].agent, 'ocf:heartbeat:Dummy');

    const status = JSON.parse((await ok('status', '--json', '-f', file)).out);
    assert.deepEqual(Object.keys(status).sort(), ['cluster', 'dc', 'failCounts', 'failedActions', 'node', 'nodes', 'pending', 'quorate', 'resources', 'store', 'time']);
    assert.equal(status.cluster, 'lab');
    assert.deepEqual(status.nodes.map((n: { name: string }) => n.name), ['n1', 'n2', 'n3']);
    assert.deepEqual(status.resources.map((r: { id: string; parent?: string }) => `${r.id}${r.parent ? `<${r.parent}` : ''}`), ['vip', 'web<g']);
    const text = (await ok('status', '-f', file)).out;
    assert.match(text, /^Cluster name: lab\nCluster Summary:\n/);
    assert.match(text, /Full List of Resources:\n {2}\* vip\t\(ocf:heartbeat:IPaddr2\):\t Stopped\n {2}\* Resource Group: g:\n {4}\* web/);

    const w = JSON.parse((await ok('why', 'vip', '--json', '-f', file)).out);
    assert.deepEqual(Object.keys(w).sort(), ['agent', 'general', 'kind', 'nodes', 'placedOn', 'resource', 'role', 'runningOn', 'scoredAs', 'verdict']);
    assert.deepEqual(Object.keys(w.nodes[0]).sort(), ['canRun', 'chosen', 'contributions', 'node', 'runningNow', 'score']);

    const del = await ok('resource', 'delete', 'vip', '-f', file);
    assert.match(del.out, /removed constraint 'colocation-g-vip-INFINITY' \(colocation\) that named it/);
    assert.match(del.out, /removed constraint 'cli-prefer-vip'/);
  } finally {
    done();
  }
});

test('wrong invocations: one line on stderr naming the problem and the fix, exit 1, the configuration unchanged', async () => {
  const { file, done } = tmpCib();
  try {
    await ok('cluster', 'setup', 'lab', 'n1', 'n2', '-f', file);
    await ok('resource', 'create', 'vip', 'ocf:heartbeat:IPaddr2', 'ip=10.77.0.10', '-f', file);
    const before = readFileSync(file, 'utf8');
    const cases: [string[], RegExp][] = [
      [['resource', 'update', 'ghost', 'a=b'], /^tandem: unknown resource 'ghost'; known resources: vip$/],
      [['resource', 'ban', 'vip', 'n9'], /^tandem: unknown node 'n9'; known nodes: n1, n2$/],
      [['node', 'standby', 'n1', 'n9'], /^tandem: unknown node 'n9'; known nodes: n1, n2$/],
      [['resource', 'create', 'x', 'ocf:heartbeat:NoSuchAgent'], /^tandem: bad agent 'ocf:heartbeat:NoSuchAgent': .* is not an installed agent; /],
      [['resource', 'create', 'x', 'ocf:NoSuch'], /^tandem: bad agent 'ocf:NoSuch': an ocf agent needs a provider/],
      [['resource', 'create', 'x', 'ocf:heartbeat:Dummy', 'op', 'monitor', 'interval=soon'], /^tandem: bad interval for op monitor 'soon': use a number with an optional unit \(ms, s, min, h\), e\.g\. 30s$/],
      [['resource', 'create', 'vip', 'ocf:heartbeat:Dummy'], /^tandem: duplicate id 'vip': a <primitive> already has it; choose another resource id$/],
      [['constraint', 'colocation', 'add', 'vip', 'with', 'ghost'], /^tandem: constraint names a missing id: with-resource 'ghost' is not a resource \(resources: vip\)$/],
      [['constraint', 'order', 'start', 'ghost', 'then', 'start', 'vip'], /^tandem: constraint names a missing id: first resource 'ghost'/],
      [['constraint', 'location', 'vip', 'prefers', 'n1=much'], /^tandem: bad score 'much': use an integer, INFINITY or -INFINITY$/],
      [['constraint', 'remove', 'nope'], /^tandem: unknown constraint 'nope'; there are no constraints$/],
      [['resource', 'create', 'x', 'ocf:heartbeat:Dummy', '--grup', 'g'], /^tandem: unknown option '--grup' \(see --help\)$/],
      [['property', 'set', 'no-quorum-policy=sometimes'], /^tandem: bad value 'sometimes' for property no-quorum-policy: use one of/],
      [['resource', 'cleanup', 'vip'], /^tandem: resource cleanup acts on a running cluster: drop -f and give --url$/],
      [['resorce', 'list'], /^error: unknown command 'resorce'/],
    ];
    for (const [args, re] of cases) {
      const r = await tandem(...args, '-f', file);
      assert.equal(r.code, 1, `${args.join(' ')} should exit 1 (stderr: ${r.err})`);
      assert.equal(r.err.trimEnd().split('\n').length, 1, `${args.join(' ')}: one line, got ${JSON.stringify(r.err)}`);
      assert.match(r.err.trimEnd(), re, args.join(' '));
      assert.equal(r.out, '', `${args.join(' ')} prints nothing on stdout`);
      assert.equal(readFileSync(file, 'utf8'), before, `${args.join(' ')} left the configuration unchanged`);
    }
  } finally {
    done();
  }
});

test('the installed command exits non-zero with one line (a real process, not the in-process main)', () => {
  const { file, done } = tmpCib();
  try {
    const bin = join(import.meta.dirname, '../../bin/tandem.mjs');
    const r = spawnSync(process.execPath, [bin, 'resource', 'delete', 'ghost', '-f', file], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 1);
    assert.equal(r.stderr, "tandem: unknown resource 'ghost'; there are no resources yet (tandem resource create)\n");
    const help = spawnSync(process.execPath, [bin, 'resource', 'create', '--help'], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(help.status, 0);
    assert.match(help.stdout, /^Usage: tandem resource create ID \[standard:provider:\]type \[NAME=VALUE\.\.\.\] \[op ACTION OPTS/);
    assert.match(help.stdout, /Examples:\n {2}\$ tandem resource create vip ocf:heartbeat:IPaddr2 ip=192\.168\.1\.10/);
  } finally {
    done();
  }
});
