// `tandem demo --once`, as a user runs it: three nodes come up, a managed process is SIGKILLed and
// a node crashes; both recoveries are reported with their times and the command exits.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { existsSync, readFileSync } from 'node:fs';

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
  assert.match(out, /API\s+http:\/\/127\.0\.0\.1:\d+\/api\/v1 while the demo ran/);
  console.log(`# demo: process SIGKILLed -> answering ${proc![1]} ms; node crashed -> answering ${node![1]} ms`);
});

test('tandem demo (staying up) prints an admin token, writes it to a file, and the CLI works with it', { timeout: 120_000 }, async () => {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin/tandem.mjs'), 'demo', '--no-crash', '--port', String(port), '--api-port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d.toString()));
  child.stderr.on('data', (d) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
  try {
    const t0 = Date.now();
    while (!/press Ctrl-C/.test(out)) {
      if (Date.now() - t0 > 60_000 || child.exitCode !== null) assert.fail(`the demo did not come up:\n${out}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const token = /token:\s+(tdm_\S+)\s+\(admin; also in (\S+)\)/.exec(out);
    const url = /export TANDEM_URL=(\S+) TANDEM_TOKEN=\$\(cat (\S+)\)/.exec(out);
    assert.ok(token && url, out);
    assert.equal(url![2], token![2]);
    assert.equal(readFileSync(token![2]!, 'utf8').trim(), token![1]);
    // What the demo tells the user to run works as printed.
    const cli = spawnSync(process.execPath, [join(ROOT, 'bin/tandem.mjs'), 'status'], { env: { ...process.env, TANDEM_URL: url![1]!, TANDEM_TOKEN: readFileSync(url![2]!, 'utf8').trim() }, encoding: 'utf8', timeout: 60_000 });
    assert.equal(cli.status, 0, cli.stderr);
    assert.match(cli.stdout, /Online: \[ n1 n2 n3 \]/);
    assert.match(cli.stdout, /responder\s+\(process:responder\):\s+Started n\d/);
    // Every node serves it; without the token nothing is shown.
    for (const u of /nodes:\s+(.*)/.exec(out)![1]!.match(/http:\/\/\S+/g)!) {
      const base = u.replace(/,$/, '');
      assert.equal((await fetch(`${base}/api/v1/status`)).status, 401);
      assert.equal((await fetch(`${base}/api/v1/status`, { headers: { authorization: `Bearer ${token![1]}` } })).status, 200);
    }
    child.kill('SIGINT');
    const code = await Promise.race([exited, new Promise((r) => setTimeout(() => r('timeout'), 30_000))]);
    assert.notEqual(code, 'timeout');
    assert.ok(!existsSync(token![2]!), 'the token file is removed when the demo stops');
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
