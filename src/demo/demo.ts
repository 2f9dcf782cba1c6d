// `tandem demo`: a three-node cluster in one process on the embedded store, managing real local
// processes. It shows the cluster coming up, kills a managed process (SIGKILL) and then a whole
// node, printing each decision of the DC and the measured recovery time as it happens, and leaves
// the API running (each node serves it; one admin token, printed and written to a file, works on all).
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, type LogRecord, type LogSink } from '../controller/log.ts';
import { loadConfig } from '../daemon/config.ts';
import { startTandemd, type Tandemd } from '../daemon/tandemd.ts';
import { openStore } from '../store/index.ts';
import { AuthStore, makeToken } from '../api/auth.ts';
import { AuditLog } from '../api/audit.ts';
import { randomBytes } from 'node:crypto';
import { EventHub } from '../api/events.ts';
import { API_PREFIX } from '../api/contract.ts';

export interface DemoOptions {
  /** Exit after the scenario instead of leaving the API running. */
  once?: boolean;
  /** TCP port of the managed responder. Default 7400. */
  port?: number;
  /** First API port (nodes use it, +1, +2). Default 7480; 0 picks free ports. */
  apiPort?: number;
  /** Where the admin token is written (mode 0600). Default: tokenFilePath(first API port). */
  tokenFile?: string;
  /** Only bring the cluster up (no process kill, no node crash). */
  crash?: boolean;
  verbose?: boolean;
  out?: NodeJS.WritableStream;
  /** OCF root to look for Dummy in (default /usr/lib/ocf). */
  ocfRoot?: string;
}

export interface DemoReport {
  upMs: number;
  /** Process SIGKILLed → the responder answers again. */
  processRecoveryMs?: number;
  /** Node crashed → the responder answers again from another node. */
  nodeRecoveryMs?: number;
  crashedNode?: string;
  /** Base URL of the API of a live node (routes under /api/v1). */
  url: string;
  /** Base URLs of every node's API. */
  urls: string[];
  /** The admin token (works on every node). */
  token: string;
  /** The file holding the token. */
  tokenFile: string;
  usedDummy: boolean;
  nodes: Tandemd[];
  /** Stop every node and clean up. */
  stop(): Promise<void>;
}

const NODES = ['n1', 'n2', 'n3'];

/** Where `tandem demo` writes its admin token: $XDG_RUNTIME_DIR (private to the user) or /tmp. */
export function tokenFilePath(apiPort: number, env: NodeJS.ProcessEnv = process.env): string {
  const dir = env.XDG_RUNTIME_DIR && existsSync(env.XDG_RUNTIME_DIR) ? env.XDG_RUNTIME_DIR : tmpdir();
  return join(dir, `tandem-demo-${apiPort}.token`);
}

/** The small TCP responder: answers every connection with its node, pid and uptime. */
function responderCommand(port: number): string {
  const js = `const n=require('net');n.createServer(s=>s.end('tandem-demo pid='+process.pid+'\\n')).listen(${port},'127.0.0.1')`;
  return `exec '${process.execPath}' -e "${js}"`;
}

/** A process that stands in for a virtual IP: holds nothing, just runs where the VIP would be. */
function vipCommand(): string {
  return `exec '${process.execPath}' -e "setInterval(()=>{},1<<30)"`;
}

export function demoCib(opts: { port: number; dummy: boolean }): string {
  const mon = (id: string, interval = '1s') => `<operations><op id="${id}-monitor" name="monitor" interval="${interval}" timeout="5s"/></operations>`;
  const proc = (id: string, command: string) =>
    `<primitive id="${id}" class="process" type="${id}"><instance_attributes id="${id}-ia"><nvpair id="${id}-cmd" name="command" value="${command.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;')}"/></instance_attributes>${mon(id)}</primitive>`;
  const worker = opts.dummy
    ? `<primitive id="worker" class="ocf" provider="heartbeat" type="Dummy">${mon('worker')}</primitive>`
    : proc('worker', `exec '${process.execPath}' -e "setInterval(()=>{},1<<30)"`);
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="cib-bootstrap-options">
      <nvpair id="opt-stonith" name="stonith-enabled" value="false"/>
      <nvpair id="opt-name" name="cluster-name" value="demo"/>
    </cluster_property_set></crm_config>
    <nodes>${NODES.map((n, i) => `<node id="${i + 1}" uname="${n}"/>`).join('')}</nodes>
    <resources>
      <group id="web">${proc('vip', vipCommand())}${proc('responder', responderCommand(opts.port))}</group>
      ${worker}
    </resources>
    <constraints>
      <rsc_location id="web-prefers-n2" rsc="web" node="n2" score="50"/>
      <rsc_colocation id="worker-apart" rsc="worker" with-rsc="web" score="-100"/>
    </constraints>
    <rsc_defaults><meta_attributes id="rsc-defaults"><nvpair id="rd-stick" name="resource-stickiness" value="100"/></meta_attributes></rsc_defaults>
  </configuration>
  <status/>
</cib>`;
}

/** Connects to the responder; resolves with its answer, or undefined when nothing answers. */
export function ask(port: number, timeoutMs = 200): Promise<string | undefined> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let data = '';
    const done = (v: string | undefined) => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(undefined), timeoutMs);
    s.on('data', (d) => (data += d.toString()));
    s.on('end', () => done(data.trim() || undefined));
    s.on('error', () => done(undefined));
  });
}

async function waitFor<T>(fn: () => Promise<T | undefined> | T | undefined, timeoutMs: number, what: string, everyMs = 10): Promise<T> {
  const start = Date.now();
  for (;;) {
    const v = await fn();
    if (v !== undefined && v !== false) return v as T;
    if (Date.now() - start > timeoutMs) throw new Error(`demo: ${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

function pidOf(answer: string | undefined): number | undefined {
  const m = answer ? /pid=(\d+)/.exec(answer) : null;
  return m ? Number(m[1]) : undefined;
}

export async function runDemo(opts: DemoOptions = {}): Promise<DemoReport> {
  const out = opts.out ?? process.stdout;
  const port = opts.port ?? 7400;
  const apiBase = opts.apiPort ?? 7480;
  const say = (line: string) => void out.write(line + '\n');
  const t0 = Date.now();
  const stamp = () => `+${String(Date.now() - t0).padStart(5)} ms`;
  const ocfRoot = opts.ocfRoot ?? process.env.OCF_ROOT ?? '/usr/lib/ocf';
  const usedDummy = existsSync(join(ocfRoot, 'resource.d/heartbeat/Dummy'));

  if (await ask(port, 150)) throw new Error(`demo: something already answers on 127.0.0.1:${port}; pick another with --port`);

  say('Tandem demo: a 3-node cluster in this process on the embedded store (not distributed), managing real local processes.');
  say(`  web = vip (a process standing in for a virtual IP) + responder (TCP on 127.0.0.1:${port}); worker = ${usedDummy ? 'ocf:heartbeat:Dummy' : 'a process'}`);
  if (!usedDummy) say(`  (ocf:heartbeat:Dummy is not installed under ${ocfRoot} — install Debian's resource-agents to run it; using a process resource instead)`);
  say('');

  const sink: LogSink = (rec: LogRecord) => {
    if (rec.decision || (opts.verbose && rec.level !== 'debug')) say(`${stamp()}  ${String(rec.node ?? '').padEnd(3)} ${rec.decision ? '' : `[${rec.level}] `}${rec.msg}`);
    else if (rec.level === 'error' || rec.level === 'warn') say(`${stamp()}  ${String(rec.node ?? '').padEnd(3)} [${rec.level}] ${rec.msg}`);
  };
  const logger = createLogger({ level: opts.verbose ? 'debug' : 'info', sinks: [sink] });
  const store = openStore({ kind: 'embedded' });
  const stateRoot = mkdtempSync(join(tmpdir(), 'tandem-demo-'));
  const cibFile = join(stateRoot, 'cib.xml');
  (await import('node:fs')).writeFileSync(cibFile, demoCib({ port, dummy: usedDummy }));

  // One admin token for the whole demo: the nodes share the store, so it works on every node.
  // Set up before the nodes start, so that no password hashing (scrypt) competes with their
  // heartbeats on this one event loop.
  const token = makeToken();
  const auth = new AuthStore(store, 'demo');
  await auth.putUser('admin', randomBytes(24).toString('base64url'), 'admin');
  await auth.importToken(token, 'admin', 'tandem demo');
  await new AuditLog(store, 'demo').append({ user: 'system', action: 'auth.bootstrap', target: 'admin', result: 'ok', details: 'bootstrap admin set up by tandem demo' });
  const hub = new EventHub(store, 'demo');
  let tokenFile: string | undefined;

  const nodes: Tandemd[] = [];
  const configOf = (name: string, i: number, apiPort: number) =>
    loadConfig({
      env: {},
      overrides: {
        cluster: 'demo',
        node: name,
        nodeId: i + 1,
        address: '127.0.0.1',
        store: 'embedded',
        apiPort,
        stateDir: join(stateRoot, name),
        ...(i === 0 ? { cib: cibFile } : {}),
      },
    });
  const start = (name: string, i: number, apiPort: number) => startTandemd(configOf(name, i, apiPort), { store, logger: logger.child({ node: name }), voters: NODES, hub, privateVarRun: true });
  const stopAll = async () => {
    await Promise.all(nodes.map((n) => n.stop().catch(() => {})));
    hub.stop();
    await store.close().catch(() => {});
    rmSync(stateRoot, { recursive: true, force: true });
    if (tokenFile) rmSync(tokenFile, { force: true });
  };
  try {
    // All three start together, as machines booting at once would.
    const settled = await Promise.allSettled(NODES.map((name, i) => start(name, i, apiBase === 0 ? 0 : apiBase + i)));
    for (const r of settled) if (r.status === 'fulfilled') nodes.push(r.value);
    const failed = settled.find((r) => r.status === 'rejected');
    if (failed) {
      const msg = (failed.reason as Error).message;
      throw new Error(/EADDRINUSE/.test(msg) ? `${msg}; pick other ports with --api-port (the nodes use it, +1 and +2)` : msg);
    }
    tokenFile = opts.tokenFile ?? tokenFilePath(nodes[0]!.api!.port);
    writeFileSync(tokenFile, token + '\n', { mode: 0o600 });
    say(`${stamp()}  started tandemd n1, n2, n3; waiting for the resources to run`);
    const first = await waitFor(() => ask(port), 20_000, 'the responder answering');
    const upMs = Date.now() - t0;
    say(`${stamp()}  the cluster is up: responder answers "${first}" (${upMs} ms after start)`);

    let holderClosed: Promise<void> = Promise.resolve();
    const report: DemoReport = { upMs, url: '', urls: nodes.map((n) => n.url!), token, tokenFile, usedDummy, nodes, stop: stopAll };
    if (opts.crash !== false) {
      // 1. A managed process dies.
      await new Promise((r) => setTimeout(r, 1200));
      // Ask again: a DC change at start-up may have restarted it since the first answer.
      let pid = 0;
      let k0 = 0;
      for (let attempt = 1; ; attempt++) {
        pid = pidOf(await waitFor(() => ask(port), 5000, 'the responder answering'))!;
        k0 = Date.now();
        try {
          process.kill(pid, 'SIGKILL');
          break;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ESRCH' || attempt >= 5) throw err;
          await new Promise((r) => setTimeout(r, 300)); // it was just restarted: ask again
        }
      }
      say('');
      say(`${stamp()}  >>> killed the responder process (pid ${pid}) with SIGKILL`);
      const again = await waitFor(async () => {
        const a = await ask(port, 100);
        return a && pidOf(a) !== pid ? a : undefined;
      }, 20_000, 'the responder answering again');
      report.processRecoveryMs = Date.now() - k0;
      say(`${stamp()}  <<< responder answers again ("${again}"): recovered in ${report.processRecoveryMs} ms`);

      // 2. The node running web crashes.
      await new Promise((r) => setTimeout(r, 1200));
      const holder = await waitFor(async () => {
        for (const n of nodes) if (n.agent.activeResources().some((r) => r.id === 'responder')) return n;
        return undefined;
      }, 5000, 'finding the node that runs the responder');
      say('');
      say(`${stamp()}  >>> crashing node ${holder.config.node} (its tandemd stops dead: no heartbeats, no clean leave)`);
      const c0 = Date.now();
      holderClosed = holder.kill();
      report.crashedNode = holder.config.node;
      const back = await waitFor(() => ask(port, 100), 20_000, 'the responder answering from another node');
      report.nodeRecoveryMs = Date.now() - c0;
      const now = nodes.find((n) => n !== holder && n.agent.activeResources().some((r) => r.id === 'responder'));
      say(`${stamp()}  <<< responder answers again from ${now?.config.node ?? 'another node'} ("${back}"): recovered in ${report.nodeRecoveryMs} ms`);
    }
    say('');
    say('Summary:');
    say(`  cluster up                      ${upMs} ms`);
    if (report.processRecoveryMs !== undefined) say(`  process SIGKILLed -> answering  ${report.processRecoveryMs} ms`);
    if (report.nodeRecoveryMs !== undefined) say(`  node crashed -> answering       ${report.nodeRecoveryMs} ms (resources moved only after ${report.crashedNode} passed its self-fencing deadline)`);
    if (report.crashedNode && !opts.once) {
      // Staying up: bring the crashed node back, as its init system would, so the cluster is whole.
      const i = nodes.findIndex((n) => n.config.node === report.crashedNode);
      const dead = nodes[i]!;
      await holderClosed;
      nodes[i] = await start(dead.config.node, i, dead.api?.port ?? (apiBase === 0 ? 0 : apiBase + i));
      say('');
      say(`${stamp()}  ${dead.config.node} restarted (as its init system would) and rejoined the cluster`);
      report.urls = nodes.map((n) => n.url!);
    }
    const alive = nodes.find((n) => n.config.node !== report.crashedNode && n.url) ?? nodes.find((n) => n.url);
    report.url = alive?.url ?? '';
    if (report.url && opts.once) say(`  API                             ${report.url}${API_PREFIX} while the demo ran (without --once it stays up, with a token)`);
    else if (report.url) {
      say('');
      say('The API (each node serves it; OpenAPI description at ' + `${report.url}${API_PREFIX}/openapi.json):`);
      say(`  nodes:   ${report.urls.map((u, i) => `${NODES[i]} ${u}`).join(', ')}`);
      say(`  token:   ${token}   (admin; also in ${tokenFile})`);
      say('  try:');
      say(`    export TANDEM_URL=${report.url} TANDEM_TOKEN=$(cat ${tokenFile})`);
      say('    npx tandem status');
      say('    npx tandem resource disable worker      # and: npx tandem resource enable worker');
      say('    npx tandem why responder');
      say(`    curl -H "Authorization: Bearer $TANDEM_TOKEN" ${report.url}${API_PREFIX}/status?format=text`);
    }
    return report;
  } catch (err) {
    await stopAll();
    throw err;
  }
}
