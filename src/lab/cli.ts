// `npm run lab -- VERB ...`: build and drive the network-namespace lab (see lab.ts).
//
//   up [--hosts 3] [--responders] [--tandemd] [--cib FILE] [--run R] [--heartbeat-ms 20] [--election-ms 200]
//   down --run R | status --run R | list | gc
//   exec --run R HOST -- cmd ...        (HOST = c1.., client, br)
//   crash --run R HOST | restart --run R HOST | link --run R HOST up|down
//   kill --run R HOST etcd|tandemd|responder
//   tandemd --run R [--cib FILE]        (start tandemd on every powered host)
//   etcd-leader --run R

import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import {
  crash,
  down,
  etcdLeader,
  etcdStatus,
  execArgv,
  gc,
  link,
  listRuns,
  killService,
  restart,
  startTandemdAll,
  status,
  up,
} from './lab.ts';
import { readState, type ServiceName } from './state.ts';

const argv = process.argv.slice(2);
const dd = argv.indexOf('--');
const main = dd >= 0 ? argv.slice(0, dd) : argv;
const tail = dd >= 0 ? argv.slice(dd + 1) : [];

function flag(name: string): boolean {
  const i = main.indexOf(`--${name}`);
  if (i < 0) return false;
  main.splice(i, 1);
  return true;
}
function opt(name: string): string | undefined {
  const i = main.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = main[i + 1];
  if (v === undefined) throw new Error(`--${name} needs a value`);
  main.splice(i, 2);
  return v;
}
function needRun(): number {
  const r = opt('run');
  if (!r) throw new Error('--run R is required');
  return Number(r);
}
const print = (x: unknown) => console.log(typeof x === 'string' ? x : JSON.stringify(x, null, 2));
const log = (line: string) => console.error(line);

async function cli(): Promise<number> {
  const verb = main.shift();
  switch (verb) {
    case 'up': {
      const hosts = Number(opt('hosts') ?? 3);
      const responders = flag('responders');
      const tandemd = flag('tandemd');
      const cib = opt('cib');
      const r = opt('run');
      const heartbeatMs = opt('heartbeat-ms');
      const electionMs = opt('election-ms');
      const t0 = Date.now();
      const s = await up({
        hosts,
        responders,
        tandemd,
        cibFile: cib ? resolve(cib) : undefined,
        run: r ? Number(r) : undefined,
        owner: 'keeper',
        etcd: { heartbeatMs: heartbeatMs ? Number(heartbeatMs) : undefined, electionMs: electionMs ? Number(electionMs) : undefined },
        log,
      });
      log(`run ${s.run} up in ${Date.now() - t0} ms: ${s.hosts.map((h) => `${h.name}=${h.address}`).join(' ')} client=${s.client.address} vip=${s.vips.join(',')}`);
      print(String(s.run));
      return 0;
    }
    case 'down': {
      const r = needRun();
      print(await down(r));
      return 0;
    }
    case 'status':
      print(status(needRun()));
      return 0;
    case 'list':
      print(listRuns());
      return 0;
    case 'gc':
      print({ removed: await gc(log) });
      return 0;
    case 'exec': {
      const r = needRun();
      const host = main.shift();
      if (!host || tail.length === 0) throw new Error('usage: exec --run R HOST -- cmd ...');
      const a = execArgv(readState(r), host, tail);
      const res = spawnSync(a[0]!, a.slice(1), { stdio: 'inherit' });
      return res.status ?? 1;
    }
    case 'crash': {
      const r = needRun();
      print(await crash(r, main.shift()!));
      return 0;
    }
    case 'restart': {
      const r = needRun();
      await restart(r, main.shift()!);
      return 0;
    }
    case 'link': {
      const r = needRun();
      const host = main.shift()!;
      const ud = main.shift();
      if (ud !== 'up' && ud !== 'down') throw new Error('usage: link --run R HOST up|down');
      await link(r, host, ud);
      return 0;
    }
    case 'kill': {
      const r = needRun();
      const host = main.shift()!;
      const what = main.shift() as ServiceName;
      if (!['etcd', 'tandemd', 'responder'].includes(what)) throw new Error('usage: kill --run R HOST etcd|tandemd|responder');
      await killService(r, host, what);
      return 0;
    }
    case 'tandemd': {
      const r = needRun();
      const cib = opt('cib');
      await startTandemdAll(r, { cibFile: cib ? resolve(cib) : undefined });
      return 0;
    }
    case 'etcd-leader': {
      const s = readState(needRun());
      print({ leader: etcdLeader(s) ?? null, members: etcdStatus(s) });
      return 0;
    }
    default:
      console.error(`usage: npm run lab -- up|down|status|list|gc|exec|crash|restart|link|kill|tandemd|etcd-leader (see src/lab/cli.ts)`);
      return 2;
  }
}

cli().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`lab: ${(e as Error).message}`);
    process.exit(1);
  },
);
