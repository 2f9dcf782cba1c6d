// examples/openstack-ha.sh, unchanged, against a real API server (startApiServer over an embedded
// store, admin token in TANDEM_TOKEN): every command succeeds, the stored configuration has the
// guide's resources and constraints, and the scheduler, given the three controllers online,
// starts every resource, those ordered after the database promotion waiting for it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CibStore } from '../../src/cib/cib-store.ts';
import { parseCibXml } from '../../src/cib/parse.ts';
import { ApiClient } from '../../src/api/client.ts';
import { startApiServer } from '../../src/api/server.ts';
import { openEmbeddedStore } from '../../src/store/embedded.ts';
import { simulateText } from '../../src/cli/commands/simulate.ts';
import { why } from '../../src/cli/why.ts';

const script = join(import.meta.dirname, '../../examples/openstack-ha.sh');

function run(env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('sh', [script], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 590_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    });
  });
}

test('examples/openstack-ha.sh builds the OpenStack HA configuration through the API; its first transition starts everything not waiting for the database promotion', { timeout: 600_000 }, async () => {
  const store = openEmbeddedStore();
  const cib = new CibStore(store, 'openstack');
  const server = await startApiServer({ store, cluster: 'openstack', node: 'controller1', cib, admin: { user: 'root', password: 'admin-password-1' }, alerts: false });
  try {
    const r = await run({ TANDEM_URL: server.url, TANDEM_TOKEN: server.adminToken!, TANDEM_CIB_FILE: '', VIP_AGENT: 'ocf:heartbeat:IPaddr2' });
    assert.equal(r.code, 0, `the script failed:\n${r.out.split('\n').slice(-15).join('\n')}`);
    assert.match(r.out, /Cluster name: openstack/);

    const api = new ApiClient({ url: server.url, token: server.adminToken! });
    const exported = await api.exportConfig();
    const conf = parseCibXml(exported).configuration;
    assert.deepEqual(
      conf.resources.map((x) => `${x.kind}:${x.id}`),
      ['primitive:vip', 'clone:haproxy-clone', 'clone:galera-clone', 'clone:rabbitmq-clone', 'clone:memcached-clone', 'clone:keystone-clone', 'clone:glance-clone', 'clone:cinder-api-clone', 'clone:neutron-server-clone', 'group:openstack-ap'],
    );
    assert.equal(conf.constraints.filter((c) => c.kind === 'colocation').length, 2);
    assert.equal(conf.constraints.filter((c) => c.kind === 'order').length, 6);
    assert.equal(conf.constraints.find((c) => c.id === 'order-apis-after-keystone')!.kind, 'order');

    // The three controllers online, nothing running yet: what would the cluster do?
    const online = ['controller1', 'controller2', 'controller3']
      .map((n, i) => `<node_state id="${i + 1}" uname="${n}" in_ccm="true" crmd="online" join="member" expected="member"/>`)
      .join('');
    const withStatus = exported.replace(/<cib /, '<cib have-quorum="1" dc-uuid="1" ').replace(/<status\/>|<status>\s*<\/status>/, `<status>${online}</status>`);
    const report = simulateText(withStatus, 'openstack.xml', { now: 1_700_000_000 });
    const summary = report.slice(report.indexOf('Transition Summary:'), report.indexOf('Executing Cluster Transition:'));
    const starts = summary.split('\n').filter((l) => /\* Start /.test(l));
    // vip, 3 instances of each of 8 clones, 2 group members: 27 starts.
    assert.equal(starts.length, 1 + 3 * 8 + 2, summary);
    // VIP, HAProxy, database, broker and memcached start now, HAProxy on every controller...
    const now = starts.filter((l) => !/blocked/.test(l));
    assert.deepEqual(now.map((l) => /Start\s+(\S+?)(:\d+)?\s/.exec(l)![1]).filter((v, i, a) => a.indexOf(v) === i), ['vip', 'haproxy', 'galera', 'rabbitmq', 'memcached']);
    assert.equal(now.filter((l) => /haproxy:/.test(l)).length, 3);
    // ...and the APIs wait for the database's promotion (Stateful asks for it after its first monitor).
    for (const l of starts.filter((x) => /blocked/.test(x))) assert.match(l, /due to unrunnable (galera:\d promote|keystone:\d start|keystone-clone running) \(blocked\)/);
    assert.doesNotMatch(summary, /Stop /);
    // And why agrees: the group follows the VIP to the preferred first controller.
    const w = why(parseCibXml(withStatus), 1_700_000_000, 'openstack-ap');
    assert.deepEqual(w.placedOn, ['controller1']);
  } finally {
    await server.close();
    await store.close();
  }
});
