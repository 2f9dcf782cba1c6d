// The lab's power switch: one process per run, in the root namespaces (it must see every host's
// processes), listening on the UNIX socket /tmp/tandem-lab/R/power.sock, which hosts can reach
// because /tmp is not private to them. Fence agents inside a host (bin/fence_tandem_lab) talk to it
// the way a real fence agent talks to a PDU; nothing is added to any network.
//
// Protocol: one JSON line each way. Request {"action":"off"|"on"|"reboot"|"status"|"list","host":"c1"};
// reply {"ok":true,"status":"on"|"off","hosts":[...]} or {"ok":false,"error":"..."}.
//
//   node --import tsx src/lab/power.ts serve --run R      (started by `lab up`)

import { existsSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { crash, findHost, restart } from './lab.ts';
import { isAlive } from './procs.ts';
import { readState, runDir } from './state.ts';

export function powerSocket(run: number): string {
  return join(runDir(run), 'power.sock');
}

export type PowerAction = 'off' | 'on' | 'reboot' | 'status' | 'list';

export interface PowerReply {
  ok: boolean;
  status?: 'on' | 'off';
  hosts?: { name: string; status: 'on' | 'off' }[];
  error?: string;
  ms?: number;
}

/** Power state of a host as the machine shows it: on while its PID-1 holder lives. */
export function powerStatus(run: number, host: string): 'on' | 'off' {
  const h = findHost(readState(run), host);
  return h.power === 'on' && isAlive(h.holder) ? 'on' : 'off';
}

/** Carry out one power action directly (this process must be in the root namespaces). */
export async function power(run: number, action: PowerAction, host?: string): Promise<PowerReply> {
  const t0 = performance.now();
  const ms = () => Math.round(performance.now() - t0);
  if (action === 'list') {
    const s = readState(run);
    return { ok: true, hosts: s.hosts.map((h) => ({ name: h.name, status: powerStatus(run, h.name) })), ms: ms() };
  }
  if (!host) return { ok: false, error: 'no host (plug) given' };
  const name = findHost(readState(run), host).name;
  if (action === 'status') return { ok: true, status: powerStatus(run, name), ms: ms() };
  if (action === 'off' || action === 'reboot') {
    if (powerStatus(run, name) === 'on') await crash(run, name);
    if (powerStatus(run, name) !== 'off') return { ok: false, error: `${name} did not power off`, ms: ms() };
    if (action === 'off') return { ok: true, status: 'off', ms: ms() };
  }
  // on, or the second half of reboot
  if (powerStatus(run, name) === 'off') await restart(run, name);
  const st = powerStatus(run, name);
  return st === 'on' ? { ok: true, status: 'on', ms: ms() } : { ok: false, error: `${name} did not power on`, ms: ms() };
}

/** Ask the run's power switch over its socket. */
export function powerRequest(run: number, action: PowerAction, host?: string, timeoutMs = 30_000): Promise<PowerReply> {
  return new Promise((resolve) => {
    const sock = createConnection(powerSocket(run));
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, error: `power switch of run ${run}: no answer within ${timeoutMs} ms` });
    }, timeoutMs);
    sock.on('connect', () => sock.write(JSON.stringify({ action, host }) + '\n'));
    sock.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl >= 0) {
        clearTimeout(timer);
        sock.destroy();
        try {
          resolve(JSON.parse(buf.slice(0, nl)) as PowerReply);
        } catch {
          resolve({ ok: false, error: 'bad reply from the power switch' });
        }
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `power switch of run ${run}: ${e.message}` });
    });
  });
}

/** Serve the power switch of run R until its run directory disappears. */
export function serve(run: number): Server {
  const path = powerSocket(run);
  rmSync(path, { force: true });
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((sock) => {
    let buf = '';
    sock.on('error', () => {});
    sock.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      let req: { action?: PowerAction; host?: string };
      try {
        req = JSON.parse(buf.slice(0, nl));
      } catch {
        sock.end(JSON.stringify({ ok: false, error: 'bad request' }) + '\n');
        return;
      }
      buf = '';
      // one action at a time, in arrival order, as a PDU would
      queue = queue.then(async () => {
        let reply: PowerReply;
        try {
          if (!['off', 'on', 'reboot', 'status', 'list'].includes(req.action ?? '')) throw new Error(`unknown action ${req.action}`);
          reply = await power(run, req.action!, req.host);
        } catch (e) {
          reply = { ok: false, error: (e as Error).message };
        }
        process.stderr.write(`${new Date().toISOString()} ${req.action} ${req.host ?? ''}: ${JSON.stringify(reply)}\n`);
        sock.end(JSON.stringify(reply) + '\n');
      });
    });
  });
  server.listen(path);
  // bounded: the switch goes away with its lab
  const watch = setInterval(() => {
    if (!existsSync(runDir(run))) {
      clearInterval(watch);
      server.close();
      process.exit(0);
    }
  }, 1000);
  return server;
}

if (process.argv[2] === 'serve' && process.argv[1]?.endsWith('power.ts')) {
  const i = process.argv.indexOf('--run');
  serve(Number(process.argv[i + 1]));
}
