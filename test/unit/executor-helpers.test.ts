// Tandem's crm_attribute, crm_master, crm_node and attrd_updater, called the way real agents call
// them (galera, rabbitmq-cluster, mysql, redis, conntrackd, mariadb, SysInfo, ping, Stateful), talking
// to an in-memory backend through the executor's attribute socket.

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { after, before, beforeEach, describe, it } from 'node:test';
import { AGENT_HELPERS_DIR, AttributeServer, InMemoryAttributeBackend } from '../../src/executor/index.ts';

let backend: InMemoryAttributeBackend;
let server: AttributeServer;
let socket: string;

before(async () => {
  backend = new InMemoryAttributeBackend({ localNode: 'node1', nodes: ['node1', 'node2', 'node3'] });
  server = new AttributeServer(backend);
  socket = await server.listen();
});

after(() => server.close());

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

function run(tool: string, args: string[], env: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    execFile(
      join(AGENT_HELPERS_DIR, tool),
      args,
      { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', TANDEM_ATTRD_SOCKET: socket, ...env } },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

describe('crm_attribute', () => {
  it('sets, queries (plain and -q), and deletes a transient node attribute as galera does', async () => {
    const set = await run('crm_attribute', ['-N', 'node2', '-l', 'reboot', '--name', 'galera-last-committed', '-v', '1234']);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, '');
    assert.equal(backend.peek('node2', 'galera-last-committed', 'transient'), '1234');

    const plain = await run('crm_attribute', ['-N', 'node2', '-l', 'reboot', '--name', 'galera-last-committed', '-G']);
    assert.deepEqual(plain, { code: 0, stdout: 'scope=status  name=galera-last-committed value=1234\n', stderr: '' });
    const quiet = await run('crm_attribute', ['-N', 'node2', '-l', 'reboot', '--name', 'galera-last-committed', '--quiet']);
    assert.deepEqual(quiet, { code: 0, stdout: '1234\n', stderr: '' }, '--quiet alone is a query');
    const bundled = await run('crm_attribute', ['-N', 'node2', '-l', 'reboot', '-Gqn', 'galera-last-committed']);
    assert.equal(bundled.stdout, '1234\n');

    assert.equal((await run('crm_attribute', ['-N', 'node2', '-l', 'reboot', '--name', 'galera-last-committed', '-D'])).code, 0);
    assert.equal(backend.peek('node2', 'galera-last-committed', 'transient'), undefined);
    assert.equal((await run('crm_attribute', ['-N', 'node2', '-l', 'reboot', '--name', 'galera-last-committed', '-D'])).code, 0, 'deleting what is not there is fine');
  });

  it('exits 105 with an error on stderr when the attribute is not set, unless -d gives a default', async () => {
    const missing = await run('crm_attribute', ['-N', 'node1', '-l', 'reboot', '--name', 'nope', '--quiet']);
    assert.equal(missing.code, 105);
    assert.equal(missing.stdout, '');
    assert.equal(missing.stderr, 'crm_attribute: Error performing operation: No such device or address\n');
    const dflt = await run('crm_attribute', ['-N', 'node1', '-l', 'reboot', '--name', 'nope', '-G', '-d', 'fallback']);
    assert.deepEqual(dflt, { code: 0, stdout: 'scope=status  name=nope value=fallback\n', stderr: '' });
  });

  it('keeps -l forever (and -N without -l) apart from -l reboot, as rabbitmq-cluster relies on', async () => {
    await run('crm_attribute', ['-N', 'node1', '-l', 'forever', '--name', 'rmq-node-attr-last-known-rmq', '-v', 'rabbit@node1']);
    assert.equal(backend.peek('node1', 'rmq-node-attr-last-known-rmq', 'permanent'), 'rabbit@node1');
    assert.equal(backend.peek('node1', 'rmq-node-attr-last-known-rmq', 'transient'), undefined);
    const q = await run('crm_attribute', ['-N', 'node1', '-l', 'forever', '--query', '--name', 'rmq-node-attr-last-known-rmq', '-q']);
    assert.equal(q.stdout, 'rabbit@node1\n');
    const noLifetime = await run('crm_attribute', ['-N', 'node1', '--name', 'rmq-node-attr-last-known-rmq', '-G']);
    assert.equal(noLifetime.stdout, 'scope=nodes  name=rmq-node-attr-last-known-rmq value=rabbit@node1\n');
    const transient = await run('crm_attribute', ['-N', 'node1', '-l', 'reboot', '--name', 'rmq-node-attr-last-known-rmq', '-G']);
    assert.equal(transient.code, 105);
  });

  it('uses the local node when -l is given without -N', async () => {
    await run('crm_attribute', ['-l', 'reboot', '-n', 'runs_ers_X', '-v', '1']);
    assert.equal(backend.peek('node1', 'runs_ers_X', 'transient'), '1');
  });

  it('reads and writes cluster options with --type crm_config and a set name, as the mysql agent does', async () => {
    const base = ['--type', 'crm_config', '--name', 'mysql_REPL_INFO', '-s', 'mysql_replication'];
    assert.equal((await run('crm_attribute', [...base, '-v', 'node1|mysql-bin.000003|154'])).code, 0);
    const q = await run('crm_attribute', [...base, '--query', '-q']);
    assert.equal(q.stdout, 'node1|mysql-bin.000003|154\n');
    const plain = await run('crm_attribute', ['--type', 'crm_config', '--name', 'mysql_REPL_INFO', '-G']);
    assert.equal(plain.stdout, 'scope=crm_config  name=mysql_REPL_INFO value=node1|mysql-bin.000003|154\n', 'without -s any set matches');
    assert.equal((await run('crm_attribute', [...base, '-D'])).code, 0);
    assert.equal((await run('crm_attribute', [...base, '-G'])).code, 105);
  });

  it('sets the promotion score with -p/--promotion from OCF_RESOURCE_INSTANCE, or a named resource', async () => {
    const env = { OCF_RESOURCE_INSTANCE: 'galera' };
    assert.equal((await run('crm_attribute', ['-p', '-v', '100'], env)).code, 0);
    assert.equal(backend.peek('node1', 'master-galera', 'transient'), '100', '-p defaults to -l reboot on the local node');
    assert.equal((await run('crm_attribute', ['-p', '-N', 'node3', '-v', '50'], env)).code, 0);
    assert.equal(backend.peek('node3', 'master-galera', 'transient'), '50');
    assert.equal((await run('crm_attribute', ['--promotion', '-G', '-q'], env)).stdout, '100\n');
    assert.equal((await run('crm_attribute', ['-p', 'other', '-v', '7'])).code, 0);
    assert.equal(backend.peek('node1', 'master-other', 'transient'), '7');
    assert.equal((await run('crm_attribute', ['-p', '-D'], env)).code, 0);
    assert.equal(backend.peek('node1', 'master-galera', 'transient'), undefined);
    const noRsc = await run('crm_attribute', ['-p', '-G']);
    assert.equal(noRsc.code, 64);
    assert.match(noRsc.stderr, /OCF resource agent or with a resource ID/);
  });

  it('refuses an unknown node with exit 105 and a message naming it', async () => {
    const res = await run('crm_attribute', ['-N', 'node9', '-l', 'reboot', '--name', 'x', '-v', '1']);
    assert.equal(res.code, 105);
    assert.match(res.stderr, /Could not map name=node9 to a UUID/);
  });

  it('exits 64 on usage errors', async () => {
    assert.equal((await run('crm_attribute', ['-G'])).code, 64);
    assert.equal((await run('crm_attribute', ['--bogus'])).code, 64);
    assert.equal((await run('crm_attribute', ['-n', 'x', '-l', 'sometimes', '-G'])).code, 64);
  });

  it('exits 102 "not connected" when there is no attribute socket', async () => {
    const res = await run('crm_attribute', ['-n', 'x', '-G'], { TANDEM_ATTRD_SOCKET: '' });
    assert.equal(res.code, 102);
    assert.match(res.stderr, /not connected/);
    const gone = await run('crm_node', ['-n'], { TANDEM_ATTRD_SOCKET: '/nonexistent/attrd.sock' });
    assert.equal(gone.code, 102);
  });
});

describe('crm_master', () => {
  beforeEach(() => backend.log.splice(0));

  it('sets master-<instance> with -l reboot -v, including the quiet -Q form conntrackd uses', async () => {
    const env = { OCF_RESOURCE_INSTANCE: 'redis' };
    assert.equal((await run('crm_master', ['-l', 'reboot', '-v', '100'], env)).code, 0);
    assert.equal(backend.peek('node1', 'master-redis', 'transient'), '100');
    assert.equal((await run('crm_master', ['-Q', '-l', 'reboot', '-v', '3'], env)).code, 0);
    assert.equal(backend.peek('node1', 'master-redis', 'transient'), '3');
    const q = await run('crm_master', ['-N', 'node1', '-l', 'reboot', '-G', '--quiet'], env);
    assert.deepEqual(q, { code: 0, stdout: '3\n', stderr: '' });
    assert.equal((await run('crm_master', ['-l', 'reboot', '-D'], env)).code, 0);
    assert.equal(backend.peek('node1', 'master-redis', 'transient'), undefined);
  });

  it('defaults to lifetime forever like Pacemaker’s script, and takes -r for the resource', async () => {
    assert.equal((await run('crm_master', ['-r', 'pgsql', '-v', '1000'])).code, 0);
    assert.equal(backend.peek('node1', 'master-pgsql', 'permanent'), '1000');
    const none = await run('crm_master', ['-v', '1']);
    assert.equal(none.code, 64);
    assert.match(none.stderr, /No resource specified/);
  });
});

describe('crm_node', () => {
  it('prints the node name, id, member list, partition and quorum as Pacemaker does', async () => {
    assert.equal((await run('crm_node', ['-n'])).stdout, 'node1\n');
    assert.equal((await run('crm_node', ['--name'])).stdout, 'node1\n');
    assert.equal((await run('crm_node', ['-i'])).stdout, '1\n');
    assert.equal((await run('crm_node', ['-N', '2'])).stdout, 'node2\n');
    assert.equal((await run('crm_node', ['-l'])).stdout, '1 node1 member\n2 node2 member\n3 node3 member\n');
    assert.equal((await run('crm_node', ['-p'])).stdout, 'node1 node2 node3\n');
    assert.equal((await run('crm_node', ['-q'])).stdout, '1\n');
    assert.equal((await run('crm_node', ['-l', '-p'])).stdout, 'node1 node2 node3\n', 'the last command wins');
  });

  it('reflects a minority partition without quorum', async () => {
    backend.partitionMembers = ['node1'];
    backend.quorate = false;
    try {
      assert.equal((await run('crm_node', ['-p'])).stdout, 'node1\n');
      assert.equal((await run('crm_node', ['-q'])).stdout, '0\n');
    } finally {
      backend.partitionMembers = undefined;
      backend.quorate = true;
    }
  });
});

describe('attrd_updater', () => {
  it('updates with dampening, queries in the form mariadb evals, and deletes', async () => {
    assert.equal((await run('attrd_updater', ['-n', '#health-cpu', '-U', 'green', '-d', '30s'])).code, 0);
    assert.equal(backend.peek('node1', '#health-cpu'), 'green');
    assert.deepEqual(backend.log.at(-1)?.opts, { dampenMs: 30_000 });

    const q = await run('attrd_updater', ['-n', '#health-cpu', '-Q']);
    assert.deepEqual(q, { code: 0, stdout: 'name="#health-cpu" host="node1" value="green"\n', stderr: '' });

    assert.equal((await run('attrd_updater', ['-D', '-n', '#health-cpu', '-d', '30s'])).code, 0);
    const gone = await run('attrd_updater', ['-n', '#health-cpu', '-Q']);
    assert.equal(gone.code, 105);
    assert.match(gone.stderr, /Could not query value of #health-cpu: attribute does not exist/);
  });

  it('takes private attributes for another node with long options (rabbitmq-server-ha, mariadb)', async () => {
    assert.equal((await run('attrd_updater', ['-p', '--name', 'rmq-count', '--node', 'node2', '--update', '4'])).code, 0);
    assert.deepEqual(backend.log.at(-1), { op: 'set', node: 'node2', name: 'rmq-count', value: '4', kind: 'transient', opts: { private: true } });
    const q = await run('attrd_updater', ['-p', '--name', 'rmq-count', '--node', 'node2', '--query']);
    assert.equal(q.stdout, 'name="rmq-count" host="node2" value="4"\n');
    const evald = await new Promise<string>((resolve) =>
      execFile('/bin/sh', ['-c', `eval ${q.stdout.trim()}; echo "$value@$host"`], (_e, out) => resolve(out)),
    );
    assert.equal(evald, '4@node2\n', 'the query line can be eval-ed by a shell');
  });

  it('accepts the legacy -S section and -v forms (SysInfo) and -B with a delay (ping)', async () => {
    assert.equal((await run('attrd_updater', ['-d', '0', '-S', 'status', '-n', 'cpu_load', '-v', '0.5'])).code, 0);
    assert.equal(backend.peek('node1', 'cpu_load'), '0.5');
    assert.equal((await run('attrd_updater', ['-n', 'pingd', '-B', '1000', '-d', '5s'])).code, 0);
    assert.deepEqual(backend.log.at(-1)?.opts, { dampenMs: 5000 });
    assert.equal((await run('attrd_updater', ['-n', 'pingd', '-B', '1000'])).code, 64, '-B needs -d');
    assert.equal((await run('attrd_updater', ['-n', 'pingd', '-Y', '-d', '10'])).code, 0);
    assert.deepEqual(backend.log.at(-1)?.opts, { dampenMs: 10_000 });
  });

  it('lists every node holding the attribute with -A', async () => {
    await run('attrd_updater', ['-n', 'gtid', '-N', 'node1', '-U', 'a']);
    await run('attrd_updater', ['-n', 'gtid', '-N', 'node3', '-U', 'c']);
    const all = await run('attrd_updater', ['-n', 'gtid', '-Q', '-A']);
    assert.equal(all.stdout, 'name="gtid" host="node1" value="a"\nname="gtid" host="node3" value="c"\n');
  });
});

describe('crm_mon, cibadmin and crm_resource (status for galera and rabbitmq-cluster)', () => {
  before(() => {
    backend.resources = [
      { id: 'galera', agent: 'ocf:heartbeat:galera', role: 'Promoted', node: 'node1', clone: { id: 'galera-clone', promotable: true, unique: false } },
      { id: 'galera', agent: 'ocf:heartbeat:galera', role: 'Unpromoted', node: 'node2', clone: { id: 'galera-clone', promotable: true, unique: false } },
      { id: 'vip', agent: 'ocf:heartbeat:IPaddr2', role: 'Started', node: 'node1' },
      { id: 'haproxy', agent: 'ocf:heartbeat:haproxy', role: 'Stopped' },
    ];
    backend.nodeStatus = { node3: { online: false } };
  });
  after(() => {
    backend.resources = [];
    backend.nodeStatus = {};
  });

  it('prints crm_mon XML whose resource lines match the pattern galera greps for', async () => {
    const res = await run('crm_mon', ['-1', '--output-as=xml']);
    assert.equal(res.code, 0, res.stderr);
    const galeraPromoted = /resource.*id="galera".*role="(Promoted|Master)".*active="true".*orphaned="false".*failed="false"/i;
    assert.ok(res.stdout.split('\n').some((l) => galeraPromoted.test(l)), res.stdout);
    assert.match(res.stdout, /<clone id="galera-clone" multi_state="true"/);
    assert.match(res.stdout, /<node name="node3" id="3" online="false" standby="false"[^>]* unclean="false"[^>]* type="member"\/>/);
    assert.ok(!res.stdout.includes('haproxy'), 'inactive resources only with -r');
    assert.match((await run('crm_mon', ['-r', '--as-xml'])).stdout, /id="haproxy" resource_agent="ocf:heartbeat:haproxy" role="Stopped" active="false"/);
    assert.equal((await run('crm_mon', ['-1X'])).stdout.includes('<nodes>'), true);
  });

  it('prints a crm_mon text summary', async () => {
    const res = await run('crm_mon', ['-1']);
    assert.equal(res.code, 0);
    assert.match(res.stdout, /Online: \[ node1 node2 \]/);
    assert.match(res.stdout, /OFFLINE: \[ node3 \]/);
    assert.match(res.stdout, /galera\t\(ocf:heartbeat:galera\):\t Promoted node1/);
  });

  it("answers cibadmin's node_state nvpair XPath queries the way rabbitmq-cluster uses them", async () => {
    await backend.setNodeAttribute('node1', 'rmq-node-attr-rmq', 'rabbit@node1', 'transient');
    await backend.setNodeAttribute('node3', 'rmq-node-attr-rmq', 'rabbit@node3', 'transient');
    try {
      const online = await run('cibadmin', ['-Q', '--xpath', "//node_state[@crmd='online']//nvpair[@name='rmq-node-attr-rmq']"]);
      assert.deepEqual(online, { code: 0, stdout: '<nvpair id="status-1-rmq-node-attr-rmq" name="rmq-node-attr-rmq" value="rabbit@node1"/>\n', stderr: '' });
      const any = await run('cibadmin', ['-Q', '--xpath', "//node_state//nvpair[@name='rmq-node-attr-rmq']"]);
      assert.match(any.stdout, /^<xpath-query>\n {2}<nvpair [^\n]*rabbit@node1[^\n]*\n {2}<nvpair [^\n]*rabbit@node3[^\n]*\n<\/xpath-query>\n$/);
      const none = await run('cibadmin', ['-Q', '--xpath', "//node_state//nvpair[@name='nothing']"]);
      assert.equal(none.code, 105);
      assert.equal(none.stdout, '');
      const whole = await run('cibadmin', ['-Q']);
      assert.match(whole.stdout, /<node_state id="1" uname="node1" in_ccm="true" crmd="online"/);
      assert.match(whole.stdout, /<node_state id="3" uname="node3" in_ccm="false" crmd="offline"/);
      assert.equal((await run('cibadmin', ['-Q', '--xpath', '//resources'])).code, 64);
      assert.equal((await run('cibadmin', ['-C', '-o', 'resources', '-X', '<primitive/>'])).code, 64, 'no writes');
    } finally {
      await backend.deleteNodeAttribute('node1', 'rmq-node-attr-rmq', 'transient');
      await backend.deleteNodeAttribute('node3', 'rmq-node-attr-rmq', 'transient');
    }
  });

  it('locates resources with crm_resource --locate / -W', async () => {
    assert.deepEqual(await run('crm_resource', ['--locate', '-r', 'galera']), {
      code: 0,
      stdout: 'resource galera is running on: node1 Promoted\nresource galera is running on: node2\n',
      stderr: '',
    });
    assert.equal((await run('crm_resource', ['-W', '-r', 'vip', '-Q'])).stdout, 'node1\n');
    assert.equal((await run('crm_resource', ['-W', '-r', 'galera-clone', '-Q'])).stdout, 'node1\nnode2\n');
    const stopped = await run('crm_resource', ['-W', '-r', 'haproxy']);
    assert.deepEqual(stopped, { code: 0, stdout: '', stderr: 'resource haproxy is NOT running\n' });
    const missing = await run('crm_resource', ['-W', '-r', 'nope']);
    assert.equal(missing.code, 105);
    assert.match(missing.stderr, /Resource 'nope' not found/);
    assert.equal((await run('crm_resource', ['-r', 'vm', '-z', '-g', 'cpu'])).code, 64, 'utilization edits are refused');
  });
});
