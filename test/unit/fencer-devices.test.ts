// Devices from the CIB's stonith primitives, and which of them can fence a target:
// pcmk_host_list / pcmk_host_map / pcmk_host_check (static-list, dynamic-list, status, none and the
// default rule), pcmk_host_argument, disabled devices, location bans.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { devicesFromCib, parseHostMap, parseHostList, hostCheckFor, hostArgumentFor, deviceDelayMs, agentParams } from '../../src/fencer/devices.ts';
import { Fencer } from '../../src/fencer/fencer.ts';
import type { FenceMetadata } from '../../src/fencer/agent-runner.ts';
import { AGENT_DIRS, cib, labState, recordingSleep } from '../fixtures/fencer/cib.ts';

const mdWith = (actions: string[], params: string[] = []): FenceMetadata => ({
  name: 'x',
  shortdesc: '',
  longdesc: '',
  parameters: params.map((name) => ({ name, required: false, deprecated: false, type: 'string', shortdesc: '' })),
  actions: actions.map((name) => ({ name })),
});

test('pcmk_host_list splits on spaces, commas, semicolons; pcmk_host_map maps node:port (n2:2,3 keeps both plugs)', () => {
  assert.deepEqual(parseHostList('n1 n2,n3;n4'), ['n1', 'n2', 'n3', 'n4']);
  assert.deepEqual([...parseHostMap('n1:1;n2:2,3 n3=7')], [['n1', '1'], ['n2', '2,3'], ['n3', '7']]);
  assert.throws(() => parseHostMap('n1:1;bogus', 'ipmi'), /fence device ipmi: pcmk_host_map entry 'bogus' is not node:port/);
});

test('device attributes: pcmk_* kept out of agent params; actions renamed; timeouts, retries, delays parsed', () => {
  const { devices, errors } = devicesFromCib(
    cib({
      devices: [
        {
          id: 'pdu',
          attrs: {
            ip: '10.0.0.9',
            pcmk_host_map: 'n1:1;n2:2',
            pcmk_reboot_action: 'cycle',
            pcmk_off_timeout: '15s',
            pcmk_reboot_retries: '0',
            pcmk_delay_max: '10s',
            pcmk_delay_base: 'n1:1s;n2:3s',
          },
          meta: { priority: '5' },
        },
      ],
    }),
  );
  assert.deepEqual(errors, []);
  const d = devices[0]!;
  assert.deepEqual(d.params, { ip: '10.0.0.9' });
  assert.equal(d.actionNames.reboot, 'cycle');
  assert.equal(d.actionNames.off, 'off');
  assert.equal(d.timeoutsMs.off, 15_000);
  assert.equal(d.timeoutsMs.reboot, undefined);
  assert.equal(d.retries.reboot, 0);
  assert.equal(d.retries.off, 2);
  assert.equal(d.delayMaxMs, 10_000);
  assert.equal(d.delayBaseByNode.get('n2'), 3000);
  assert.equal(d.priority, 5);
  // pcmk_delay_base + random part, never above pcmk_delay_max
  assert.equal(deviceDelayMs(d, 'n2', () => 0), 3000);
  assert.equal(deviceDelayMs(d, 'n2', () => 0.999999), 10_000);
  assert.equal(deviceDelayMs(d, 'n1', () => 0.5), 1000 + Math.floor(0.5 * 9001));
});

test('misconfigured devices are reported by name and attribute, the others still load', () => {
  const { devices, errors } = devicesFromCib(
    cib({
      devices: [
        { id: 'bad1', attrs: { pcmk_host_check: 'sometimes' } },
        { id: 'bad2', attrs: { pcmk_delay_max: 'soon' } },
        { id: 'bad3', attrs: { pcmk_host_check: 'static-list' } },
        { id: 'good', attrs: { pcmk_host_list: 'n1' } },
      ],
    }),
  );
  assert.deepEqual(devices.map((d) => d.id), ['good']);
  assert.match(errors[0]!, /fence device bad1: pcmk_host_check='sometimes' is not one of static-list, dynamic-list, status, none/);
  assert.match(errors[1]!, /fence device bad2: pcmk_delay_max='soon' is not a duration/);
  assert.match(errors[2]!, /fence device bad3: pcmk_host_check=static-list needs pcmk_host_list or pcmk_host_map/);
});

test('default pcmk_host_check: static-list with a list or map, else dynamic-list if the agent lists, else status, else none', () => {
  const [withList, bare] = devicesFromCib(cib({ devices: [{ id: 'a', attrs: { pcmk_host_list: 'n1' } }, { id: 'b' }] })).devices;
  assert.equal(hostCheckFor(withList!, mdWith(['list', 'status'])), 'static-list');
  assert.equal(hostCheckFor(bare!, mdWith(['off', 'list', 'status'])), 'dynamic-list');
  assert.equal(hostCheckFor(bare!, mdWith(['off', 'status'])), 'status');
  assert.equal(hostCheckFor(bare!, mdWith(['off'])), 'none');
});

test('pcmk_host_argument: port if the meta-data has it, else plug, else none; explicit value wins; "none" sends nothing', () => {
  const [plain, explicit, none] = devicesFromCib(
    cib({ devices: [{ id: 'a' }, { id: 'b', attrs: { pcmk_host_argument: 'uuid' } }, { id: 'c', attrs: { pcmk_host_argument: 'none' } }] }),
  ).devices;
  assert.equal(hostArgumentFor(plain!, mdWith([], ['port', 'plug'])), 'port');
  assert.equal(hostArgumentFor(plain!, mdWith([], ['plug'])), 'plug');
  assert.equal(hostArgumentFor(plain!, mdWith([], ['ip'])), undefined);
  assert.equal(hostArgumentFor(explicit!, mdWith([], ['port'])), 'uuid');
  assert.deepEqual(agentParams(explicit!, mdWith([], ['port']), 'n1', 'n2'), [['uuid', 'n1'], ['nodename', 'n2']]);
  assert.deepEqual(agentParams(none!, mdWith([], ['port']), 'n1', 'n2'), [['nodename', 'n2']]);
});

test('which devices can fence a target: static list, host map, dynamic list (agent asked), status (agent asked), none', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    nodes: ['n1', 'n2', 'n3'],
    devices: [
      { id: 'static', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } },
      { id: 'mapped', attrs: { state_dir: s.dir, pcmk_host_map: 'n2:plug2' } },
      { id: 'dynamic', attrs: { state_dir: s.dir, hosts: 'n3' } }, // lab agent supports list → dynamic-list
      { id: 'bystatus', attrs: { state_dir: s.dir, hosts: 'n1,n2', pcmk_host_check: 'status' } },
      { id: 'anyone', attrs: { state_dir: s.dir, pcmk_host_check: 'none' } },
    ],
  });
  const f = new Fencer({ localNode: 'n1', cib: c, agentDirs: AGENT_DIRS });
  assert.deepEqual(await f.capableDevices('n1'), ['static', 'bystatus', 'anyone']);
  assert.deepEqual(await f.capableDevices('n2'), ['mapped', 'bystatus', 'anyone']);
  assert.deepEqual(await f.capableDevices('n3'), ['dynamic', 'anyone']);
  const calls = readFileSync(`${s.dir}/calls.log`, 'utf8').trim().split('\n');
  // The dynamic list is asked once and cached; status is asked per target.
  assert.equal(calls.filter((l) => l.startsWith('list')).length, 1);
  assert.deepEqual(calls.filter((l) => l.startsWith('status')), ['status n1 n1', 'status n2 n1', 'status n3 n1']);
});

test('the host map port is what the agent gets as plug', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({ devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_map: 'n1:outlet7;n2:outlet8' } }] });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS, sleep: recordingSleep().sleep });
  const r = await f.fence('n1', 'off', 'test');
  assert.deepEqual(r, { ok: true, method: 'agent', device: 'pdu' });
  // The lab agent's meta-data has plug (and deprecated port): port is preferred, as Pacemaker does.
  assert.equal(readFileSync(`${s.dir}/calls.log`, 'utf8').trim(), 'off outlet7 n2');
  assert.equal(readFileSync(`${s.dir}/outlet7.power`, 'utf8').trim(), 'off');
});

test('a device with target-role=Stopped is not used; the error says why', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({ devices: [{ id: 'pdu', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' }, meta: { 'target-role': 'Stopped' } }] });
  const f = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS });
  const r = await f.fence('n1', 'off', 'test');
  assert.equal(r.ok, false);
  assert.equal(r.method, 'none');
  assert.match(r.error!, /no fence device can fence n1: pdu is disabled \(target-role=Stopped\)/);
});

test('a device banned from node n1 (location -INFINITY) still fences n1 from n2, but is not run on n1', async (t) => {
  const s = labState();
  t.after(s.cleanup);
  const c = cib({
    devices: [{ id: 'fence-n1', attrs: { state_dir: s.dir, pcmk_host_list: 'n1' } }, { id: 'fence-n2', attrs: { state_dir: s.dir, pcmk_host_list: 'n2' } }],
    constraints: '<rsc_location id="ban-f1" rsc="fence-n1" node="n1" score="-INFINITY"/>',
  });
  const fromN2 = new Fencer({ localNode: 'n2', cib: c, agentDirs: AGENT_DIRS });
  assert.deepEqual(await fromN2.fence('n1', 'off', 'n1 lost'), { ok: true, method: 'agent', device: 'fence-n1' });
  const fromN1 = new Fencer({ localNode: 'n1', cib: c, agentDirs: AGENT_DIRS });
  assert.deepEqual(await fromN1.capableDevices('n1'), []);
  const r = await fromN1.fence('n1', 'off', 'self');
  assert.equal(r.method, 'none');
  assert.match(r.error!, /fence-n1 is banned from n1 \(location -INFINITY\) and cannot run here/);
});
