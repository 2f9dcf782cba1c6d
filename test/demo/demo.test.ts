// `tandem demo --once`, as a user runs it: three nodes come up, a managed process is SIGKILLed and
// a node crashes; both recoveries are reported with their times and the command exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';

const ROOT = new URL('../..', import.meta.url).pathname;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

test('tandem demo --once finishes and reports both recoveries', async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin/tandem.mjs'), 'demo', '--once', '--port', String(port), '--api-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  const code = await new Promise<number | null | 'timeout'>((resolve) => {
    const t = setTimeout(() => resolve('timeout'), 90_000);
    child.on('exit', (c) => (clearTimeout(t), resolve(c)));
  });
  if (code === 'timeout') child.kill('SIGKILL');
  assert.equal(code, 0, out);
  const proc = /process SIGKILLed -> answering\s+(\d+) ms/.exec(out);
  const node = /node crashed -> answering\s+(\d+) ms/.exec(out);
  assert.ok(proc && node, out);
  // Decisions are printed as they happen, one sentence each.
  assert.match(out, /decided to recover responder on n\d: monitor \(1000 ms\) of responder on n\d reported not running/);
  assert.match(out, /n\d is known stopped: it passed its self-fencing deadline/);
  assert.match(out, /status API: http:\/\/127\.0\.0\.1:\d+\/status/);
  console.log(`# demo: process SIGKILLed -> answering ${proc![1]} ms; node crashed -> answering ${node![1]} ms`);
});
