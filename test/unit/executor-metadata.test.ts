// Agent meta-data: the real IPaddr2 and Stateful, hand-written OCF 1.1 corner cases, agent listing.

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Executor, MetadataError, parseAgentMetadata, parseDurationMs } from '../../src/executor/index.ts';

let executor: Executor;

before(() => {
  executor = new Executor({ ocfRoot: '/usr/lib/ocf' });
});

after(() => executor.shutdown());

describe('describeAgent on installed agents', () => {
  it('parses ocf:heartbeat:IPaddr2: parameters with flags and defaults, actions with timings', async () => {
    const md = await executor.describeAgent('ocf', 'heartbeat', 'IPaddr2');
    assert.equal(md.name, 'IPaddr2');
    assert.match(md.shortdesc, /virtual IPv4 and IPv6 addresses/);
    const ip = md.parameters.find((p) => p.name === 'ip');
    assert.ok(ip);
    assert.equal(ip.required, true);
    assert.equal(ip.unique, true);
    assert.equal(ip.type, 'string');
    assert.equal(ip.secret, false);
    const nic = md.parameters.find((p) => p.name === 'nic')!;
    assert.equal(nic.required, false);
    assert.equal(nic.unique, false);
    assert.ok(md.parameters.length > 20, `${md.parameters.length} parameters`);
    assert.deepEqual(
      md.actions.find((a) => a.name === 'monitor'),
      { name: 'monitor', timeoutMs: 20_000, intervalMs: 10_000, depth: 0 },
    );
    assert.deepEqual(md.actions.find((a) => a.name === 'start'), { name: 'start', timeoutMs: 20_000 });
    assert.deepEqual(md.actions.find((a) => a.name === 'meta-data'), { name: 'meta-data', timeoutMs: 5000 });
  });

  it('parses ocf:pacemaker:Stateful: unique-group, reloadable, role-specific monitors', async () => {
    const md = await executor.describeAgent('ocf', 'pacemaker', 'Stateful');
    const state = md.parameters.find((p) => p.name === 'state')!;
    assert.equal(state.uniqueGroup, 'state');
    assert.match(state.default ?? '', /Stateful-RESOURCE_ID\.state$/, 'meta-data is asked without an instance');
    assert.equal(md.parameters.find((p) => p.name === 'envfile')!.reloadable, true);
    const monitors = md.actions.filter((a) => a.name === 'monitor').map((a) => [a.role, a.intervalMs]);
    assert.deepEqual(monitors, [['Promoted', 10_000], ['Unpromoted', 11_000]]);
  });

  it('throws a MetadataError naming a missing agent', async () => {
    await assert.rejects(executor.describeAgent('ocf', 'heartbeat', 'NoSuchAgent'), (err: Error) => {
      assert.ok(err instanceof MetadataError);
      assert.match(err.message, /ocf:heartbeat:NoSuchAgent/);
      assert.match(err.message, /not installed/);
      return true;
    });
  });

  it('describes the built-in process class', async () => {
    const md = await executor.describeAgent('process', undefined, 'process');
    assert.equal(md.parameters.find((p) => p.name === 'command')?.required, true);
  });
});

describe('listAgents', () => {
  it('lists installed OCF agents per provider, without the hidden shell libraries', async () => {
    const heartbeat = await executor.listAgents('ocf', 'heartbeat');
    const types = heartbeat.map((a) => a.type);
    for (const t of ['Dummy', 'IPaddr2', 'anything', 'galera', 'rabbitmq-cluster']) assert.ok(types.includes(t), t);
    assert.ok(!types.some((t) => t.startsWith('.')));
    assert.ok(heartbeat.every((a) => a.standard === 'ocf' && a.provider === 'heartbeat'));
    const all = await executor.listAgents('ocf');
    assert.ok(all.some((a) => a.provider === 'pacemaker' && a.type === 'Stateful'));
    assert.deepEqual(await executor.listAgents('systemd'), []);
    assert.deepEqual(await executor.listAgents('process'), [{ standard: 'process', type: 'process' }]);
  });
});

describe('parseAgentMetadata', () => {
  const xml = `<?xml version="1.0"?>
<!DOCTYPE resource-agent SYSTEM "ra-api-1.dtd">
<resource-agent name="demo" version="2.0">
  <version>1.1</version>
  <longdesc lang="de">Deutsch</longdesc>
  <longdesc lang="en">Long &amp; English</longdesc>
  <shortdesc lang="en">Demo</shortdesc>
  <parameters>
    <parameter name="mode" required="1">
      <longdesc lang="en">How</longdesc><shortdesc lang="en">Mode</shortdesc>
      <content type="select" default="fast"><option value="fast"/><option value="safe"/></content>
    </parameter>
    <parameter name="old_dir">
      <deprecated><replaced-with name="dir"/><desc lang="en">use dir</desc></deprecated>
      <longdesc lang="en">x</longdesc><shortdesc lang="en">x</shortdesc><content type="string"/>
    </parameter>
    <parameter name="admin_password"><longdesc lang="en">p</longdesc><shortdesc lang="en">p</shortdesc><content type="string"/></parameter>
    <parameter name="key_blob" private="1"><longdesc lang="en">k</longdesc><shortdesc lang="en">k</shortdesc><content type="string"/></parameter>
    <parameter name="passive"><longdesc lang="en">x</longdesc><shortdesc lang="en">x</shortdesc><content type="boolean" default="false"/></parameter>
  </parameters>
  <actions>
    <action name="start" timeout="2min" start-delay="500ms"/>
    <action name="monitor" timeout="30" interval="0"/>
  </actions>
</resource-agent>`;

  it('reads select options, OCF 1.1 deprecation, secrets, languages and durations', () => {
    const md = parseAgentMetadata(xml);
    assert.equal(md.version, '2.0');
    assert.equal(md.ocfVersion, '1.1');
    assert.equal(md.longdesc, 'Long & English', 'the English description is chosen');
    const mode = md.parameters[0]!;
    assert.deepEqual([mode.type, mode.default, mode.options, mode.required], ['select', 'fast', ['fast', 'safe'], true]);
    const old = md.parameters[1]!;
    assert.deepEqual([old.deprecated, old.replacedWith], [true, ['dir']]);
    assert.deepEqual(md.parameters.map((p) => p.secret), [false, false, true, true, false], 'named like a password, or marked private');
    assert.deepEqual(md.actions, [
      { name: 'start', timeoutMs: 120_000, startDelayMs: 500 },
      { name: 'monitor', timeoutMs: 30_000, intervalMs: 0 },
    ]);
  });

  it('rejects what is not resource-agent meta-data', () => {
    assert.throws(() => parseAgentMetadata('Usage: foo {start|stop}'), MetadataError);
    assert.throws(() => parseAgentMetadata('<fence-agent name="x"/>'), /expected <resource-agent>/);
    assert.throws(() => parseAgentMetadata('<resource-agent name="x"><parameters><parameter/></parameters></resource-agent>'), /no name/);
  });

  it('reads Pacemaker durations, bare numbers being seconds', () => {
    assert.deepEqual(['20s', '10', '1min', '500ms', '1h', '2.5s', 'soon'].map(parseDurationMs), [20_000, 10_000, 60_000, 500, 3_600_000, 2500, undefined]);
  });
});
