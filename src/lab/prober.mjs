#!/usr/bin/env node
// Client-namespace prober: opens a TCP connection to TARGET every interval and reads the responder's
// "HOST PID" line. Bounded: stops after --duration-ms or --max-count attempts, on SIGTERM, or when
// stdin closes. Prints one JSON line per attempt as it completes:
//   {"s":startMs,"e":endMs,"ok":1,"h":"c2","p":1234}   or   {"s":..,"e":..,"ok":0,"err":"timeout"}
// and a final {"done":true,"attempts":N}.
//
//   node prober.mjs --target 10.77.R.200:7000 [--interval-ms 20] [--timeout-ms 200]
//                   [--duration-ms 30000] [--max-count 5000]

import { connect } from 'node:net';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const [host, portStr] = String(opt('target', '')).split(':');
const port = Number(portStr);
if (!host || !port) {
  console.error('usage: prober.mjs --target IP:PORT [--interval-ms 20] [--timeout-ms 200] [--duration-ms N] [--max-count N]');
  process.exit(2);
}
const intervalMs = Math.max(1, Number(opt('interval-ms', '20')));
const timeoutMs = Number(opt('timeout-ms', '200'));
const durationMs = Math.min(Number(opt('duration-ms', '30000')), 3_600_000);
const maxCount = Math.min(Number(opt('max-count', '5000')), 200_000);
const now = () => performance.timeOrigin + performance.now();
const r1 = (x) => Math.round(x * 10) / 10;

let attempts = 0;
let inflight = 0;
let stopping = false;
const t0 = now();

function out(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function attempt() {
  attempts++;
  inflight++;
  const s = now();
  let buf = '';
  let done = false;
  const finish = (rec) => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    sock.destroy();
    inflight--;
    out({ s: r1(s), e: r1(now()), ...rec });
    maybeExit();
  };
  const sock = connect({ host, port });
  const timer = setTimeout(() => finish({ ok: 0, err: 'timeout' }), timeoutMs);
  sock.setEncoding('utf8');
  sock.on('data', (d) => {
    buf += d;
    const nl = buf.indexOf('\n');
    if (nl >= 0) {
      const [h, p] = buf.slice(0, nl).trim().split(/\s+/);
      finish({ ok: 1, h, p: Number(p) });
    }
  });
  sock.on('end', () => finish(buf.trim() ? { ok: 1, h: buf.trim().split(/\s+/)[0], p: Number(buf.trim().split(/\s+/)[1]) } : { ok: 0, err: 'eof' }));
  sock.on('error', (e) => finish({ ok: 0, err: e.code ?? e.message }));
}

function maybeExit() {
  if (stopping && inflight === 0) {
    out({ done: true, attempts });
    process.exit(0);
  }
}

function stop() {
  if (stopping) return;
  stopping = true;
  clearInterval(tick);
  maybeExit();
}

const tick = setInterval(() => {
  if (attempts >= maxCount || now() - t0 >= durationMs) return stop();
  attempt();
}, intervalMs);
attempt();
process.on('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.on('error', stop);
process.stdin.resume();
