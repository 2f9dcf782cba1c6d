// The executor against Debian's real OCF agents (resource-agents, pacemaker-resource-agents) and
// small misbehaving agents written for the occasion.

import assert from 'node:assert/strict';
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AGENT_HELPERS_DIR,
  Executor,
  InMemoryAttributeBackend,
  OcfRc,
  type OperationRequest,
  type OperationResult,
  type RecurringMonitorResult,
  type ResourceSpec,
} from '../../src/executor/index.ts';
import { isAlive, killQuietly, makeTempOcfRoot, readPid, waitFor, type TempOcfRoot } from './executor-fixtures.ts';

let ocf: TempOcfRoot;
let backend: InMemoryAttributeBackend;
let executor: Executor;

before(async () => {
  ocf = makeTempOcfRoot();
  backend = new InMemoryAttributeBackend({ localNode: 'node1', nodes: ['node1', 'node2'] });
  executor = new Executor({ ocfRoot: ocf.root, attributes: backend, killGraceMs: 200 });
  await executor.start();
});

after(async () => {
  await executor.shutdown();
  ocf.cleanup();
});

function op(rsc: ResourceSpec, action: OperationRequest['action'], extra: Partial<OperationRequest> = {}): Promise<OperationResult> {
  return executor.execute({ rsc, action, intervalMs: 0, timeoutMs: 20_000, ...extra });
}

function ocfRsc(id: string, provider: string, type: string, params: Record<string, string> = {}, meta: Record<string, string> = {}): ResourceSpec {
  return { id, standard: 'ocf', provider, type, params, meta };
}

describe('OCF agents', () => {
  it('runs ocf:heartbeat:Dummy through start, monitor and stop with its state file in a temp dir', async () => {
    const state = join(ocf.work, 'dummy.state');
    const dummy = ocfRsc('dummy1', 'heartbeat', 'Dummy', { state });

    assert.equal((await op(dummy, 'monitor')).rc, OcfRc.NOT_RUNNING, 'probe before start');
    const start = await op(dummy, 'start');
    assert.equal(start.status, 'done');
    assert.equal(start.rc, OcfRc.SUCCESS);
    assert.ok(existsSync(state), 'start creates the state file');
    assert.equal((await op(dummy, 'monitor', { intervalMs: 10_000 })).rc, OcfRc.SUCCESS);
    assert.equal((await op(dummy, 'stop')).rc, OcfRc.SUCCESS);
    assert.ok(!existsSync(state), 'stop removes the state file');
    assert.equal((await op(dummy, 'monitor')).rc, OcfRc.NOT_RUNNING);
  });

  it('promotes and demotes ocf:pacemaker:Stateful, whose crm_attribute calls reach the attribute backend', async () => {
    const st = ocfRsc('stateful1', 'pacemaker', 'Stateful', { state: join(ocf.work, 'stateful.state') });
    const score = () => backend.peek('node1', 'master-stateful1', 'transient');

    assert.equal((await op(st, 'start')).rc, OcfRc.SUCCESS);
    assert.equal(score(), '5', 'start sets the unpromoted score');
    assert.equal((await op(st, 'promote')).rc, OcfRc.SUCCESS);
    assert.equal(score(), '10', 'promote sets the promoted score');
    assert.equal((await op(st, 'monitor', { intervalMs: 10_000 })).rc, OcfRc.RUNNING_PROMOTED);
    assert.equal((await op(st, 'demote')).rc, OcfRc.SUCCESS);
    assert.equal(score(), '5');
    assert.equal((await op(st, 'monitor', { intervalMs: 11_000 })).rc, OcfRc.SUCCESS);
    assert.equal((await op(st, 'stop')).rc, OcfRc.SUCCESS);
    assert.equal(score(), undefined, 'stop deletes the promotion score');
    const ours = backend.log.filter((e) => e.name === 'master-stateful1').map((e) => `${e.op}${e.value ? `=${e.value}` : ''}`);
    assert.deepEqual(ours, ['set=5', 'set=10', 'set=5', 'delete']);
  });

  it('gives agents the full OCF environment, with the helper commands first on PATH', async () => {
    const dump = join(ocf.work, 'env.dump');
    ocf.addAgent('envdump', `#!/bin/sh\nenv > "$OCF_RESKEY_dump"\nexit 0\n`);
    const rsc = ocfRsc('web:1', 'test', 'envdump', { dump, config_file: '/etc/x.conf' }, { 'clone-max': '3', notify: 'true' });
    const res = await op(rsc, 'notify', { timeoutMs: 7000, extraEnv: { OCF_RESKEY_CRM_meta_notify_type: 'pre' } });
    assert.equal(res.rc, OcfRc.SUCCESS);
    const env = Object.fromEntries(
      readFileSync(dump, 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    assert.equal(env.OCF_ROOT, ocf.root);
    assert.equal(env.OCF_FUNCTIONS_DIR, `${ocf.root}/lib/heartbeat`);
    assert.equal(env.OCF_RA_VERSION_MAJOR, '1');
    assert.equal(env.OCF_RA_VERSION_MINOR, '1');
    assert.equal(env.OCF_RESOURCE_INSTANCE, 'web:1');
    assert.equal(env.OCF_RESOURCE_TYPE, 'envdump');
    assert.equal(env.OCF_RESOURCE_PROVIDER, 'test');
    assert.equal(env.OCF_RESKEY_dump, dump);
    assert.equal(env.OCF_RESKEY_config_file, '/etc/x.conf');
    assert.equal(env.OCF_RESKEY_CRM_meta_clone_max, '3', "meta names have '-' turned into '_'");
    assert.equal(env.OCF_RESKEY_CRM_meta_notify, 'true');
    assert.equal(env.OCF_RESKEY_CRM_meta_name, 'notify');
    assert.equal(env.OCF_RESKEY_CRM_meta_interval, '0');
    assert.equal(env.OCF_RESKEY_CRM_meta_timeout, '7000');
    assert.equal(env.OCF_RESKEY_CRM_meta_on_node, 'node1');
    assert.equal(env.OCF_RESKEY_CRM_meta_notify_type, 'pre');
    assert.equal(env.HA_SBIN_DIR, AGENT_HELPERS_DIR);
    assert.equal(env.PATH!.split(':')[0], AGENT_HELPERS_DIR);
    assert.equal(env.HA_LOGD, 'no');
    assert.ok(env.HA_LOGFACILITY !== undefined && env.HA_debug !== undefined);
    assert.equal(env.TANDEM_ATTRD_SOCKET, executor.attrdSocketPath);
  });

  it("runs ocf-shellfuncs' own helpers (ocf_promotion_score, ocf_attribute_target) through Tandem's commands", async () => {
    const out = join(ocf.work, 'shellfuncs.out');
    // What galera does: promotion scores for itself and a peer, partition size, quorum, an attribute query.
    ocf.addAgent(
      'shellfuncs',
      `#!/bin/sh
. "\${OCF_FUNCTIONS_DIR}/ocf-shellfuncs"
ocf_promotion_score -v 100 || exit 1
ocf_promotion_score -N node2 -v 50 || exit 1
echo "target=$(ocf_attribute_target)" > "$OCF_RESKEY_out"
echo "partition=$(\${HA_SBIN_DIR}/crm_node -p | wc -w)" >> "$OCF_RESKEY_out"
echo "quorate=$(\${HA_SBIN_DIR}/crm_node -q)" >> "$OCF_RESKEY_out"
echo "bootstrap=$(\${HA_SBIN_DIR}/crm_attribute -N node1 -l reboot --name galera-bootstrap --quiet 2>/dev/null)" >> "$OCF_RESKEY_out"
exit $OCF_SUCCESS
`,
    );
    await backend.setNodeAttribute('node1', 'galera-bootstrap', 'true', 'transient');
    const res = await op(ocfRsc('galera', 'test', 'shellfuncs', { out }), 'promote');
    assert.equal(res.rc, OcfRc.SUCCESS, res.stderr);
    assert.equal(backend.peek('node1', 'master-galera', 'transient'), '100');
    assert.equal(backend.peek('node2', 'master-galera', 'transient'), '50');
    assert.equal(readFileSync(out, 'utf8'), 'target=node1\npartition=2\nquorate=1\nbootstrap=true\n');
  });

  it("gives galera's crm_mon_no_validation checks and rabbitmq-cluster's cibadmin join list the answers they parse", async () => {
    const out = join(ocf.work, 'status.out');
    // The pipelines below are copied from galera (master_exists, is_last_node_in_quorate_partition)
    // and rabbitmq-cluster (rmq_join_list).
    ocf.addAgent(
      'statusprobe',
      `#!/bin/sh
. "\${OCF_FUNCTIONS_DIR}/ocf-shellfuncs"
INSTANCE_ATTR_NAME=galera
RMQ_CRM_ATTR_COOKIE="rmq-node-attr-rabbitmq"
if crm_mon_no_validation -1 --output-as=xml | grep -q -i -E "resource.*id=\\"\${INSTANCE_ATTR_NAME}\\".*role=\\"(Promoted|Master)\\".*active=\\"true\\".*orphaned=\\"false\\".*failed=\\"false\\""; then
  echo "master_exists=yes" > "$OCF_RESKEY_out"
else
  echo "master_exists=no" > "$OCF_RESKEY_out"
fi
echo "clean_members=$(crm_mon_no_validation -1X | xmllint --xpath 'count(//nodes/node[@type="member" and @unclean="false"])' -)" >> "$OCF_RESKEY_out"
join_list=$(cibadmin -Q --xpath "//node_state[@crmd='online']//nvpair[@name='$RMQ_CRM_ATTR_COOKIE']" | grep "$RMQ_CRM_ATTR_COOKIE" | sed -n -e "s/^.*value=.\\(.*\\)\\".*$/\\1/p")
echo "join_list=$join_list" >> "$OCF_RESKEY_out"
exit $OCF_SUCCESS
`,
    );
    backend.resources = [
      { id: 'galera', agent: 'ocf:heartbeat:galera', role: 'Promoted', node: 'node2', clone: { id: 'galera-clone', promotable: true, unique: false } },
    ];
    await backend.setNodeAttribute('node2', 'rmq-node-attr-rabbitmq', 'rabbit@node2', 'transient');
    try {
      const res = await op(ocfRsc('probe', 'test', 'statusprobe', { out }), 'monitor');
      assert.equal(res.rc, OcfRc.SUCCESS, res.stderr);
      assert.equal(readFileSync(out, 'utf8'), 'master_exists=yes\nclean_members=2\njoin_list=rabbit@node2\n');
      backend.resources = [{ ...backend.resources[0]!, role: 'Unpromoted' }];
      await op(ocfRsc('probe', 'test', 'statusprobe', { out }), 'monitor');
      assert.match(readFileSync(out, 'utf8'), /^master_exists=no\n/);
    } finally {
      backend.resources = [];
      await backend.deleteNodeAttribute('node2', 'rmq-node-attr-rabbitmq', 'transient');
    }
  });

  it('kills a hanging agent and its whole process group at the timeout, grandchild included', async () => {
    const pids = join(ocf.work, 'hang');
    // Ignores SIGTERM, and so does the sleep it forks: only the SIGKILL escalation ends them.
    ocf.addAgent('hang', `#!/bin/sh\ntrap '' TERM\necho $$ > "${pids}.agent"\nsleep 300 &\necho $! > "${pids}.grandchild"\nwait\nwait\n`);
    const t0 = Date.now();
    const res = await op(ocfRsc('hang1', 'test', 'hang'), 'start', { timeoutMs: 400 });
    const elapsed = Date.now() - t0;
    const agent = readPid(`${pids}.agent`);
    const grandchild = readPid(`${pids}.grandchild`);
    try {
      assert.equal(res.status, 'timeout');
      assert.equal(res.rc, OcfRc.ERR_GENERIC);
      assert.ok(elapsed >= 400 && elapsed < 3000, `result after ${elapsed} ms`);
      assert.ok(await waitFor(() => !isAlive(agent), 1000), 'the agent is dead');
      assert.ok(await waitFor(() => !isAlive(grandchild), 1000), 'the grandchild is dead');
    } finally {
      killQuietly(agent);
      killQuietly(grandchild);
    }
  });

  it('returns as soon as an agent exits, leaving a daemon it started (and that holds its pipes) running', async () => {
    const pidfile = join(ocf.work, 'daemon.pid');
    ocf.addAgent('daemonizer', `#!/bin/sh\nsleep 300 &\necho $! > "${pidfile}"\nexit 0\n`);
    const res = await op(ocfRsc('daemon1', 'test', 'daemonizer'), 'start', { timeoutMs: 500 });
    const daemon = readPid(pidfile);
    try {
      assert.equal(res.status, 'done');
      assert.equal(res.rc, OcfRc.SUCCESS);
      assert.ok(res.durationMs < 400, `result after ${res.durationMs} ms`);
      await new Promise((r) => setTimeout(r, 700)); // past the operation's deadline
      assert.ok(isAlive(daemon), 'the daemon survives the operation and its deadline');
    } finally {
      killQuietly(daemon);
    }
  });

  it('kills a running operation that is cancelled, reporting it as cancelled', async () => {
    const pidfile = join(ocf.work, 'cancel.pid');
    ocf.addAgent('sleeper', `#!/bin/sh\necho $$ > "${pidfile}"\nexec sleep 300\n`);
    const task = executor.submit({ rsc: ocfRsc('sleeper1', 'test', 'sleeper'), action: 'start', intervalMs: 0, timeoutMs: 20_000 });
    assert.ok(await waitFor(() => existsSync(pidfile), 2000));
    const pid = readPid(pidfile);
    try {
      task.cancel();
      const res = await task.promise;
      assert.equal(res.status, 'cancelled');
      assert.ok(await waitFor(() => !isAlive(pid), 1000));
    } finally {
      killQuietly(pid);
    }
  });

  it('reports an agent killed by a signal as an error naming the signal', async () => {
    ocf.addAgent('crash', '#!/bin/sh\necho "about to crash" >&2\nkill -SEGV $$\n');
    const res = await op(ocfRsc('crash1', 'test', 'crash'), 'start');
    assert.equal(res.status, 'error');
    assert.equal(res.rc, OcfRc.ERR_GENERIC);
    assert.match(res.exitReason ?? '', /SIGSEGV/);
    assert.match(res.stderr, /about to crash/);
  });

  it("takes an agent's ocf_exit_reason as the result's exit reason", async () => {
    ocf.addAgent('reason', '#!/bin/sh\n. "${OCF_FUNCTIONS_DIR}/ocf-shellfuncs"\nocf_exit_reason "disk %s is on fire" sdb\nexit $OCF_ERR_CONFIGURED\n');
    const res = await op(ocfRsc('reason1', 'test', 'reason'), 'start');
    assert.equal(res.status, 'done');
    assert.equal(res.rc, OcfRc.ERR_CONFIGURED);
    assert.equal(res.exitReason, 'disk sdb is on fire');
  });

  it('reports a missing agent as not-installed, naming the path it looked for', async () => {
    const res = await op(ocfRsc('ghost1', 'heartbeat', 'NoSuchAgent'), 'start');
    assert.equal(res.status, 'not-installed');
    assert.equal(res.rc, OcfRc.ERR_INSTALLED);
    assert.ok(res.exitReason?.includes(`${ocf.root}/resource.d/heartbeat/NoSuchAgent`), res.exitReason);
  });

  it('refuses provider or type names that would leave the agent directory', async () => {
    const res = await op(ocfRsc('evil1', '..', 'sh'), 'start');
    assert.equal(res.status, 'error');
    assert.equal(res.rc, OcfRc.ERR_CONFIGURED);
  });

  it('runs a command with ocf:heartbeat:anything and stops it', async () => {
    const pidfile = join(ocf.work, 'anything.pid');
    const rsc = ocfRsc('anything1', 'heartbeat', 'anything', { binfile: '/bin/sleep', cmdline_options: '300', pidfile });
    let pid: number | undefined;
    try {
      assert.equal((await op(rsc, 'start')).rc, OcfRc.SUCCESS);
      pid = readPid(pidfile);
      assert.ok(isAlive(pid), 'the command runs');
      assert.equal((await op(rsc, 'monitor', { intervalMs: 10_000 })).rc, OcfRc.SUCCESS);
      assert.equal((await op(rsc, 'stop')).rc, OcfRc.SUCCESS);
      assert.ok(await waitFor(() => !isAlive(pid!), 1000), 'the command is gone after stop');
      assert.equal((await op(rsc, 'monitor')).rc, OcfRc.NOT_RUNNING);
    } finally {
      killQuietly(pid);
    }
  });

  it('runs one operation per resource at a time and different resources in parallel', async () => {
    const log = join(ocf.work, 'overlap.log');
    ocf.addAgent('slow', `#!/bin/sh\necho "begin $OCF_RESOURCE_INSTANCE" >> "${log}"\nsleep 0.3\necho "end $OCF_RESOURCE_INSTANCE" >> "${log}"\n`);
    const a = ocfRsc('slowA', 'test', 'slow');
    const b = ocfRsc('slowB', 'test', 'slow');
    const t0 = Date.now();
    await Promise.all([op(a, 'start'), op(a, 'monitor'), op(b, 'start')]);
    const elapsed = Date.now() - t0;
    const lines = readFileSync(log, 'utf8').trim().split('\n');
    const aLines = lines.filter((l) => l.endsWith('slowA'));
    assert.deepEqual(aLines, ['begin slowA', 'end slowA', 'begin slowA', 'end slowA'], 'slowA never overlaps itself');
    assert.ok(lines.indexOf('begin slowB') < lines.indexOf('end slowA'), 'slowB ran alongside slowA');
    assert.ok(elapsed < 1500, `two slowA ops in a row, slowB in parallel: ${elapsed} ms`);
  });
});

describe('recurring monitors', () => {
  it('detects a Dummy whose state file was deleted, flagging only changes', async () => {
    const state = join(ocf.work, 'recurring.state');
    const dummy = ocfRsc('dummy-rec', 'heartbeat', 'Dummy', { state });
    assert.equal((await op(dummy, 'start')).rc, OcfRc.SUCCESS);
    const seen: RecurringMonitorResult[] = [];
    const t0 = Date.now();
    executor.startRecurring({ rsc: dummy, action: 'monitor', intervalMs: 150, timeoutMs: 5000 }, (e) => seen.push(e));
    assert.ok(await waitFor(() => seen.length >= 2, 3000), 'two monitors ran');
    assert.ok(seen[0]!.result.startedAt - t0 >= 140, 'the first run comes one interval after starting');
    assert.deepEqual(seen.slice(0, 2).map((e) => [e.result.rc, e.changed]), [[0, true], [0, false]]);

    unlinkSync(state);
    assert.ok(await waitFor(() => seen.some((e) => e.result.rc === OcfRc.NOT_RUNNING), 3000), 'a monitor saw it stopped');
    const failure = seen.find((e) => e.result.rc === OcfRc.NOT_RUNNING)!;
    assert.equal(failure.changed, true);
    assert.deepEqual(failure.previous, { rc: 0, status: 'done' });

    assert.deepEqual(executor.recurringIntervals('dummy-rec'), [150]);
    await op(dummy, 'stop');
    assert.deepEqual(executor.recurringIntervals('dummy-rec'), [], 'stop cancelled the recurring monitor');
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 400));
    assert.equal(seen.length, count, 'no results after the stop');
  });

  it('cancelRecurring stops further runs', async () => {
    const dummy = ocfRsc('dummy-cancel', 'heartbeat', 'Dummy', { state: join(ocf.work, 'cancel.state') });
    await op(dummy, 'start');
    const seen: RecurringMonitorResult[] = [];
    executor.startRecurring({ rsc: dummy, action: 'monitor', intervalMs: 100, timeoutMs: 5000 }, (e) => seen.push(e));
    assert.ok(await waitFor(() => seen.length >= 1, 2000));
    assert.equal(executor.cancelRecurring('dummy-cancel', 100), true);
    assert.equal(executor.cancelRecurring('dummy-cancel', 100), false, 'already cancelled');
    const count = seen.length;
    await new Promise((r) => setTimeout(r, 350));
    assert.equal(seen.length, count);
    await op(dummy, 'stop');
  });
});
