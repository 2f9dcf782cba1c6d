// fence_tandem_lab: a fence agent for lab hosts, speaking the fence-agents protocol. Plain JS so it
// starts fast; it asks the run's power switch (power.ts) over /tmp/tandem-lab/R/power.sock, which
// works from the root namespace and from inside any lab host alike.
//
// Input: key=value lines on stdin (as Pacemaker's fencer passes them), or command-line options
// (-o/--action, -n/--plug, --run, --delay). Keys: action (off, on, reboot, status, monitor, list,
// list-status, metadata, validate-all), plug | port | nodename (lab host: c1, tlR-c1), run | lab_run
// (the lab run number), lab_dir (default /tmp/tandem-lab), delay (seconds before off/reboot),
// power_timeout (seconds, default 30). Exit codes: 0 success (status: on), 2 status: off, 1 failure.

import { createConnection } from 'node:net';
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const NAME = 'fence_tandem_lab';

export const METADATA = `<?xml version="1.0" ?>
<resource-agent name="${NAME}" shortdesc="Fence agent for Tandem lab hosts (network namespaces)">
<longdesc>${NAME} powers a host of a Tandem lab run off and on, through the run's power switch: off sets the host's link down and then SIGKILLs every process of the host (a dead machine sends nothing); on brings the host back with a clean network interface, an empty /run and /dev/shm, and its services started again.</longdesc>
<vendor-url>https://github.com/tandem-ha</vendor-url>
<parameters>
	<parameter name="action" unique="0" required="1">
		<getopt mixed="-o, --action=[action]" />
		<content type="string" default="reboot"  />
		<shortdesc lang="en">Fencing action</shortdesc>
	</parameter>
	<parameter name="plug" unique="0" required="1" obsoletes="port">
		<getopt mixed="-n, --plug=[host]" />
		<content type="string"  />
		<shortdesc lang="en">Lab host to act on (c1, c2, ...)</shortdesc>
	</parameter>
	<parameter name="port" unique="0" required="1" deprecated="1">
		<getopt mixed="-n, --plug=[host]" />
		<content type="string"  />
		<shortdesc lang="en">Lab host to act on (c1, c2, ...)</shortdesc>
	</parameter>
	<parameter name="run" unique="0" required="1">
		<getopt mixed="--run=[R]" />
		<content type="integer"  />
		<shortdesc lang="en">Lab run number (subnet 10.77.R.0/24)</shortdesc>
	</parameter>
	<parameter name="lab_dir" unique="0" required="0">
		<getopt mixed="--lab-dir=[dir]" />
		<content type="string" default="/tmp/tandem-lab"  />
		<shortdesc lang="en">Directory holding the lab runs</shortdesc>
	</parameter>
	<parameter name="delay" unique="0" required="0">
		<getopt mixed="--delay=[seconds]" />
		<content type="second" default="0"  />
		<shortdesc lang="en">Wait X seconds before fencing is started</shortdesc>
	</parameter>
	<parameter name="power_timeout" unique="0" required="0">
		<getopt mixed="--power-timeout=[seconds]" />
		<content type="second" default="30"  />
		<shortdesc lang="en">Test X seconds for status change after ON/OFF</shortdesc>
	</parameter>
	<parameter name="verbose" unique="0" required="0">
		<getopt mixed="-v, --verbose" />
		<content type="boolean"  />
		<shortdesc lang="en">Verbose mode</shortdesc>
	</parameter>
</parameters>
<actions>
	<action name="on" automatic="0"/>
	<action name="off" />
	<action name="reboot" />
	<action name="status" />
	<action name="list" />
	<action name="list-status" />
	<action name="monitor" />
	<action name="metadata" />
	<action name="validate-all" />
</actions>
</resource-agent>
`;

/** Options from key=value lines (comments and blank lines skipped). */
export function parseStdin(text) {
  const opts = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) opts[line] = '1';
    else opts[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return opts;
}

/** Options from the command line (fence-agents style). */
export function parseArgv(argv) {
  const opts = {};
  const map = { '-o': 'action', '--action': 'action', '-n': 'plug', '--plug': 'plug', '--port': 'plug', '--run': 'run', '--lab-dir': 'lab_dir', '--delay': 'delay', '--power-timeout': 'power_timeout' };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : a;
    if (key === '-v' || key === '--verbose') opts.verbose = '1';
    else if (map[key]) opts[map[key]] = eq > 0 ? a.slice(eq + 1) : argv[++i];
  }
  return opts;
}

function request(sockPath, req, timeoutMs) {
  return new Promise((resolve) => {
    const sock = createConnection(sockPath);
    let buf = '';
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, error: `no answer from the power switch within ${timeoutMs} ms` });
    }, timeoutMs);
    sock.on('connect', () => sock.write(JSON.stringify(req) + '\n'));
    sock.on('data', (d) => {
      buf += d;
      const nl = buf.indexOf('\n');
      if (nl < 0) return;
      clearTimeout(timer);
      sock.destroy();
      try {
        resolve(JSON.parse(buf.slice(0, nl)));
      } catch {
        resolve({ ok: false, error: 'bad reply from the power switch' });
      }
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      resolve({ ok: false, error: `power switch: ${e.message}` });
    });
  });
}

/** Runs one fence-agent invocation; returns { code, out, err }. */
export async function fenceAgent(opts) {
  const action = opts.action ?? opts.option ?? 'reboot';
  const out = [];
  const err = [];
  const fail = (msg) => ({ code: 1, out: out.join(''), err: err.join('') + `ERROR: Failed: ${msg}\n` });
  if (action === 'metadata') return { code: 0, out: METADATA, err: '' };
  const run = opts.run ?? opts.lab_run;
  if (!run || !/^\d+$/.test(run)) return fail('no lab run given (run=R)');
  const labDir = opts.lab_dir ?? process.env.TANDEM_LAB_DIR ?? '/tmp/tandem-lab';
  const sockPath = join(labDir, run, 'power.sock');
  const timeoutMs = Math.max(1, Number(opts.power_timeout ?? 30)) * 1000;
  const plug = opts.plug ?? opts.port ?? opts.nodename;
  const host = plug ? plug.replace(new RegExp(`^tl${run}-`), '') : undefined;
  if (opts.verbose) err.push(`${NAME}: run ${run} action ${action} plug ${plug ?? '-'}\n`);
  let state;
  try {
    state = JSON.parse(readFileSync(join(labDir, run, 'state.json'), 'utf8'));
  } catch {
    return fail(`lab run ${run} does not exist`);
  }
  const hosts = state.hosts.map((h) => h.name);
  switch (action) {
    case 'monitor':
    case 'validate-all': {
      const r = await request(sockPath, { action: 'list' }, timeoutMs);
      if (!r.ok) return fail(r.error);
      if (action === 'validate-all' && plug && !hosts.includes(host)) return fail(`no host ${plug} in lab run ${run}`);
      return { code: 0, out: '', err: err.join('') };
    }
    case 'list':
    case 'list-status': {
      const r = await request(sockPath, { action: 'list' }, timeoutMs);
      if (!r.ok) return fail(r.error);
      for (const h of r.hosts) out.push(action === 'list' ? `${h.name},${h.name}\n` : `${h.name},${h.name},${h.status}\n`);
      return { code: 0, out: out.join(''), err: err.join('') };
    }
    case 'status':
    case 'off':
    case 'on':
    case 'reboot': {
      if (!host) return fail('no plug (host) given');
      if (!hosts.includes(host)) return fail(`no host ${plug} in lab run ${run}`);
      if ((action === 'off' || action === 'reboot') && Number(opts.delay ?? 0) > 0) {
        err.push(`Delay ${opts.delay} second(s) before logging in to the fence device\n`);
        await new Promise((r) => setTimeout(r, Number(opts.delay) * 1000));
      }
      const r = await request(sockPath, { action, host }, timeoutMs);
      if (!r.ok) return fail(r.error);
      if (action === 'status') {
        out.push(`Status: ${r.status.toUpperCase()}\n`);
        return { code: r.status === 'on' ? 0 : 2, out: out.join(''), err: err.join('') };
      }
      out.push(action === 'reboot' ? 'Success: Rebooted\n' : `Success: Powered ${action.toUpperCase()}\n`);
      return { code: 0, out: out.join(''), err: err.join('') };
    }
    default:
      return fail(`Unrecognised action '${action}'`);
  }
}

async function readStdin() {
  if (process.stdin.isTTY) return '';
  const chunks = [];
  for await (const c of process.stdin) chunks.push(c);
  return Buffer.concat(chunks).toString('utf8');
}

export async function main(argv) {
  const fromArgs = parseArgv(argv);
  const opts = Object.keys(fromArgs).length > 0 ? fromArgs : parseStdin(await readStdin());
  const r = await fenceAgent(opts);
  process.stdout.write(r.out);
  process.stderr.write(r.err);
  process.exitCode = r.code;
}

if (process.argv[1] && basename(process.argv[1]) === 'fence-agent.mjs') await main(process.argv.slice(2));
