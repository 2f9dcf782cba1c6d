// LSB init scripts (in a temp init dir), the `service` alias, and systemd's clear refusal.

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Executor, OcfRc, lsbStatusToOcf, type OperationRequest, type OperationResult, type ResourceSpec } from '../../src/executor/index.ts';
import { makeTempOcfRoot, type TempOcfRoot } from './executor-fixtures.ts';

let tmp: TempOcfRoot;
let initDir: string;
let executor: Executor;

/** A well-behaved init script keeping its "running" state in a file. */
function goodScript(state: string): string {
  return `#!/bin/sh
### BEGIN INIT INFO
# Provides:          goodsvc
# Short-Description: A test service
# Description:       Keeps its state in a file.
### END INIT INFO
case "$1" in
  start) touch "${state}"; exit 0 ;;
  stop) rm -f "${state}"; exit 0 ;;
  status) [ -f "${state}" ] && exit 0; exit 3 ;;
  force-reload) exit 0 ;;
  *) echo "Usage: $0 {start|stop|status}"; exit 2 ;;
esac
`;
}

/** A sloppy one: stop of a stopped service and start of a started one both exit 1. */
function sloppyScript(state: string): string {
  return `#!/bin/sh
case "$1" in
  start) [ -f "${state}" ] && exit 1; touch "${state}"; exit 0 ;;
  stop) [ -f "${state}" ] || exit 1; rm -f "${state}"; exit 0 ;;
  status) [ -f "${state}" ] && exit 0; exit 3 ;;
  *) exit 2 ;;
esac
`;
}

before(() => {
  tmp = makeTempOcfRoot();
  initDir = join(tmp.work, 'init.d');
  mkdirSync(initDir);
  writeFileSync(join(initDir, 'goodsvc'), goodScript(join(tmp.work, 'good.running')), { mode: 0o755 });
  writeFileSync(join(initDir, 'sloppysvc'), sloppyScript(join(tmp.work, 'sloppy.running')), { mode: 0o755 });
  writeFileSync(join(initDir, 'weirdstatus'), '#!/bin/sh\n[ "$1" = status ] && exit 4\nexit 0\n', { mode: 0o755 });
  executor = new Executor({ ocfRoot: tmp.root, initDir });
});

after(async () => {
  await executor.shutdown();
  tmp.cleanup();
});

function rsc(standard: ResourceSpec['standard'], type: string): ResourceSpec {
  return { id: `${type}-1`, standard, type, params: {}, meta: {} };
}

function op(r: ResourceSpec, action: OperationRequest['action']): Promise<OperationResult> {
  return executor.execute({ rsc: r, action, intervalMs: 0, timeoutMs: 5000 });
}

describe('LSB scripts', () => {
  it('maps status 0 to running and 3 to not running across start and stop', async () => {
    const good = rsc('lsb', 'goodsvc');
    assert.equal((await op(good, 'monitor')).rc, OcfRc.NOT_RUNNING);
    assert.equal((await op(good, 'start')).rc, OcfRc.SUCCESS);
    assert.ok(existsSync(join(tmp.work, 'good.running')));
    assert.equal((await op(good, 'monitor')).rc, OcfRc.SUCCESS);
    assert.equal((await op(good, 'stop')).rc, OcfRc.SUCCESS);
    assert.equal((await op(good, 'monitor')).rc, OcfRc.NOT_RUNNING);
  });

  it('makes start of a running and stop of a stopped sloppy script succeed, as Pacemaker expects', async () => {
    const sloppy = rsc('lsb', 'sloppysvc');
    assert.equal((await op(sloppy, 'stop')).rc, OcfRc.SUCCESS, 'stop while stopped');
    assert.equal((await op(sloppy, 'start')).rc, OcfRc.SUCCESS);
    assert.equal((await op(sloppy, 'start')).rc, OcfRc.SUCCESS, 'start while started');
    assert.equal((await op(sloppy, 'stop')).rc, OcfRc.SUCCESS);
  });

  it('treats status codes outside 0-3 as a failure, not as stopped', async () => {
    assert.equal((await op(rsc('lsb', 'weirdstatus'), 'monitor')).rc, OcfRc.ERR_GENERIC);
    assert.deepEqual([0, 1, 2, 3, 4, 150, 151].map(lsbStatusToOcf), [0, 7, 7, 7, 1, 5, 4]);
  });

  it('answers meta-data from the LSB header', async () => {
    const md = await executor.describeAgent('lsb', undefined, 'goodsvc');
    assert.equal(md.name, 'goodsvc');
    assert.equal(md.shortdesc, 'A test service');
    assert.equal(md.longdesc, 'Keeps its state in a file.');
    assert.ok(md.actions.some((a) => a.name === 'monitor'));
  });

  it('lists the scripts of the init dir', async () => {
    const types = (await executor.listAgents('lsb')).map((a) => a.type);
    assert.deepEqual(types, ['goodsvc', 'sloppysvc', 'weirdstatus']);
  });

  it('reports a missing script as not-installed', async () => {
    const res = await op(rsc('lsb', 'nosuchsvc'), 'start');
    assert.equal(res.status, 'not-installed');
    assert.equal(res.rc, OcfRc.ERR_INSTALLED);
    assert.ok(res.exitReason?.includes(join(initDir, 'nosuchsvc')));
  });

  it('resolves service: to the init script when there is one', async () => {
    const svc = rsc('service', 'goodsvc');
    assert.equal((await op(svc, 'start')).rc, OcfRc.SUCCESS);
    assert.equal((await op(svc, 'monitor')).rc, OcfRc.SUCCESS);
    assert.equal((await op(svc, 'stop')).rc, OcfRc.SUCCESS);
  });

  it('refuses systemd units (and service: without an init script) as not-installed with a reason', async () => {
    for (const r of [rsc('systemd', 'nginx'), rsc('service', 'nosuchsvc')]) {
      const res = await op(r, 'start');
      assert.equal(res.status, 'not-installed');
      assert.equal(res.rc, OcfRc.ERR_INSTALLED);
      assert.match(res.exitReason ?? '', /systemd/);
    }
  });
});
