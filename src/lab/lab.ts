// The lab: several hosts on one machine (see DESIGN.md, "The lab").
//
// Run R: network namespaces tlR-c1..cN (hosts), tlR-client, tlR-br (a bridge `br0`, STP off,
// forward delay 0); subnet 10.77.R.0/24 (client .2, host i .(10+i), VIPs .200 and up). Each host
// also has its own mount, UTS and PID namespaces: a PID-1 "holder" started with `ip netns exec NS
// unshare --mount --uts --pid --fork --mount-proc` mounts a private /run and /dev/shm (tmpfs) and
// binds the host's own directories over /var/lib/tandem and /var/log; every process of the host is
// entered into it with nsenter. Nothing is added to the root namespace's network.
//
// Processes are named by PID + start time (procs.ts); crash = link down, then SIGKILL of the holder
// (which takes the whole PID namespace with it) and of anything left in the host's mount namespace.

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { etcdCommand } from './etcd.ts';
import { killAndWait, nsInode, procRef, scanProcs, sleep, waitFor, type ProcInfo, type ProcRef } from './procs.ts';
import {
  LAB_ROOT,
  claimRun,
  readState,
  runDir,
  tryReadState,
  updateState,
  writeState,
  type HostRecord,
  type LabState,
  type ServiceName,
  type ServiceRecord,
} from './state.ts';
import { REPO_ROOT, etcdEndpoints, tandemdCommand, type TandemdOptions } from './tandemd.ts';

export const RESPONDER_PORT = 7000;
export const RESPONDER_JS = join(REPO_ROOT, 'src', 'lab', 'responder.mjs');
/** The same responder in Perl (perl-base): answers within milliseconds of its start. */
export const RESPONDER_PL = join(REPO_ROOT, 'src', 'lab', 'responder.pl');
export type ResponderKind = 'perl' | 'node';
/** Matches a responder's script in a command line (either kind). */
export const RESPONDER_SCRIPT_RE = /responder\.(mjs|pl)$/;

/** argv of a responder of the given kind (without --name: it then answers with its host name). */
export function responderArgv(kind: ResponderKind, port = RESPONDER_PORT): string[] {
  return kind === 'perl' ? ['/usr/bin/perl', RESPONDER_PL, '--port', String(port)] : [process.execPath, RESPONDER_JS, '--port', String(port)];
}
export const PROBER_JS = join(REPO_ROOT, 'src', 'lab', 'prober.mjs');
export const ETCD_CLIENT_JS = join(REPO_ROOT, 'src', 'lab', 'etcd-client.mjs');
export const POWER_TS = join(REPO_ROOT, 'src', 'lab', 'power.ts');

export function isRoot(): boolean {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

export function labPrerequisites(): string | undefined {
  if (!isRoot()) return 'the lab needs root (network namespaces)';
  for (const bin of ['/usr/bin/etcd', '/usr/bin/unshare', '/usr/bin/nsenter', '/usr/bin/python3']) {
    if (!existsSync(bin)) return `${bin} is missing`;
  }
  if (spawnSync('ip', ['-V']).status !== 0) return 'iproute2 (`ip`) is missing';
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// small helpers

function run(cmd: string, args: string[], input?: string): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')}: ${(err.stderr ?? '').trim() || err.message}`);
  }
}

/** `ip -n NS -batch -`: many commands, one process. */
function ipBatch(ns: string | undefined, lines: string[]): void {
  if (lines.length === 0) return;
  run('ip', [...(ns ? ['-n', ns] : []), '-batch', '-'], lines.join('\n') + '\n');
}

export function hostAddress(run: number, index: number): string {
  return `10.77.${run}.${10 + index}`;
}

export function vipAddress(run: number, n = 0): string {
  return `10.77.${run}.${200 + n}`;
}

function mac(run: number, index: number, client = false): string {
  const h = (n: number) => n.toString(16).padStart(2, '0');
  return `02:77:${h(run)}:00:${client ? '01' : '00'}:${h(index)}`;
}

function netnsExists(name: string): boolean {
  return existsSync(`/run/netns/${name}`);
}

export function netnsInode(name: string): number | undefined {
  try {
    return statSync(`/run/netns/${name}`).ino;
  } catch {
    return undefined;
  }
}

export function runNamespaces(state: Pick<LabState, 'prefix'>): string[] {
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    names = [];
  }
  return names.filter((n) => n.startsWith(state.prefix));
}

export function findHost(state: LabState, name: string): HostRecord {
  const h = state.hosts.find((x) => x.name === name || x.netns === name);
  if (!h) throw new Error(`lab run ${state.run} has no host ${name} (hosts: ${state.hosts.map((x) => x.name).join(' ')})`);
  return h;
}

// ---------------------------------------------------------------------------------------------
// up

export interface UpOptions {
  hosts?: number;
  responders?: boolean;
  /** Start tandemd on every host once etcd is healthy. */
  tandemd?: boolean | TandemdOptions;
  /** Preferred run number (default: the first free one). */
  run?: number;
  /** 'self' = this process owns the lab (tests, bench); 'keeper' = a sleeper in the bridge namespace (CLI). */
  owner?: 'self' | 'keeper';
  etcd?: { heartbeatMs?: number; electionMs?: number };
  vips?: number;
  cibFile?: string;
  log?: (line: string) => void;
}

export async function up(opts: UpOptions = {}): Promise<LabState> {
  const why = labPrerequisites();
  if (why) throw new Error(why);
  const nHosts = opts.hosts ?? 3;
  if (nHosts < 1 || nHosts > 9) throw new Error('--hosts must be 1..9');
  const log = opts.log ?? (() => {});
  const R = claimRun(opts.run);
  const prefix = `tl${R}-`;
  const dir = runDir(R);
  const me = procRef(process.pid)!;
  const state: LabState = {
    run: R,
    prefix,
    subnet: `10.77.${R}.0/24`,
    createdAt: new Date().toISOString(),
    owner: { ...me, what: `pid ${process.pid} (${process.argv.slice(1, 3).join(' ')})` },
    bridgeNs: `${prefix}br`,
    client: { netns: `${prefix}client`, address: `10.77.${R}.2` },
    hosts: [],
    vips: Array.from({ length: opts.vips ?? 1 }, (_, i) => vipAddress(R, i)),
    etcd: { heartbeatMs: opts.etcd?.heartbeatMs ?? 20, electionMs: opts.etcd?.electionMs ?? 200, clientPort: 2379, peerPort: 2380 },
    cibFile: opts.cibFile,
    phase: 'building',
  };
  for (let i = 1; i <= nHosts; i++) {
    state.hosts.push({
      name: `c${i}`,
      index: i,
      netns: `${prefix}c${i}`,
      address: hostAddress(R, i),
      mac: mac(R, i),
      power: 'off',
      dir: join(dir, 'hosts', `c${i}`),
      services: {},
    });
  }
  writeState(state);
  try {
    buildNetwork(state);
    log(`run ${R}: network up (${state.subnet})`);
    if (opts.owner === 'keeper') {
      const keeper = spawnDetached(['ip', 'netns', 'exec', state.bridgeNs, '/usr/bin/python3', '-c', 'import time\nwhile True: time.sleep(3600)'], join(dir, 'keeper.log'));
      state.owner = { ...keeper, what: 'keeper (sleeper in the bridge namespace; `lab down` removes it)' };
    }
    state.powerSwitch = spawnDetached([process.execPath, '--import', 'tsx', POWER_TS, 'serve', '--run', String(R)], join(dir, 'power.log'), REPO_ROOT);
    writeState(state);
    mkdirSync('/var/lib/tandem', { recursive: true });
    for (const h of state.hosts) await startHolder(state, h);
    writeState(state);
    for (const h of state.hosts) await startService(state, h, 'etcd', etcdCommand(state, h));
    writeState(state);
    await waitEtcdHealthy(state, 30_000);
    log(`run ${R}: etcd healthy`);
    if (opts.responders) {
      for (const h of state.hosts) await startService(state, h, 'responder', responderCommand(h));
      writeState(state);
    }
    state.phase = 'up';
    writeState(state);
    if (opts.tandemd) {
      await startTandemdAll(R, typeof opts.tandemd === 'object' ? opts.tandemd : {});
      return readState(R);
    }
    return state;
  } catch (e) {
    if (process.env.TANDEM_LAB_KEEP_ON_FAILURE) {
      log(`run ${R}: up failed; kept for inspection (TANDEM_LAB_KEEP_ON_FAILURE): ${(e as Error).message}`);
    } else {
      log(`run ${R}: up failed, tearing down: ${(e as Error).message}`);
      await down(R).catch(() => {});
    }
    throw e;
  }
}

function buildNetwork(state: LabState): void {
  const R = state.run;
  const all = [state.bridgeNs, state.client.netns, ...state.hosts.map((h) => h.netns)];
  for (const ns of all) {
    if (netnsExists(ns)) throw new Error(`network namespace ${ns} already exists (stale lab? try \`lab gc\`)`);
  }
  for (const ns of all) run('ip', ['netns', 'add', ns]);
  ipBatch(state.bridgeNs, ['link set lo up', 'link add br0 type bridge stp_state 0 forward_delay 0', 'link set br0 up']);
  const members: { ns: string; port: string; address: string; mac: string; name: string }[] = [
    { ns: state.client.netns, port: 'client', address: state.client.address, mac: mac(R, 2, true), name: 'client' },
    ...state.hosts.map((h) => ({ ns: h.netns, port: h.name, address: h.address, mac: h.mac, name: h.name })),
  ];
  const hostsFile = [
    '127.0.0.1 localhost',
    `${state.client.address} client`,
    ...state.hosts.map((h) => `${h.address} ${h.name}`),
    ...state.vips.map((v, i) => `${v} ${i === 0 ? 'vip' : `vip${i}`}`),
    '',
  ].join('\n');
  for (const m of members) {
    // The veth is created inside the member's namespace; its peer goes straight to the bridge's.
    ipBatch(m.ns, [
      'link set lo up',
      `link add eth0 address ${m.mac} type veth peer name ${m.port} netns ${state.bridgeNs}`,
      `addr add ${m.address}/24 dev eth0`,
    ]);
    ipBatch(state.bridgeNs, [`link set ${m.port} master br0`, `link set ${m.port} up`]);
    ipBatch(m.ns, ['link set eth0 up']);
    run('ip', ['netns', 'exec', m.ns, 'sysctl', '-qw', 'net.ipv4.ip_nonlocal_bind=1']);
    mkdirSync(`/etc/netns/${m.ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${m.ns}/hosts`, hostsFile);
    writeFileSync(`/etc/netns/${m.ns}/hostname`, `${m.name}\n`);
  }
}

// ---------------------------------------------------------------------------------------------
// hosts: holder (PID 1 of the host) and services

const HOLDER_SCRIPT = `set -e
H="$1"; NAME="$2"
mount -t tmpfs -o mode=0755,size=64m tandem-run /run
mkdir -p /run/resource-agents /run/lock /run/tandem
mount -t tmpfs -o mode=1777,size=64m tandem-shm /dev/shm
mount --bind "$H/lib" /var/lib/tandem
mount --bind "$H/log" /var/log
hostname "$NAME"
echo ready > "$H/ready"
exec /usr/bin/python3 -c '
import os, signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
while True:
    try:
        os.wait()
    except ChildProcessError:
        time.sleep(1)
    except InterruptedError:
        pass
'`;

function spawnDetached(argv: string[], logFile: string, cwd?: string): ProcRef {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd], cwd });
    child.unref();
    const ref = procRef(child.pid!);
    if (!ref) throw new Error(`${argv[0]} exited at once (see ${logFile})`);
    return ref;
  } finally {
    closeSync(fd);
  }
}

async function startHolder(state: LabState, h: HostRecord): Promise<void> {
  mkdirSync(join(h.dir, 'lib'), { recursive: true });
  mkdirSync(join(h.dir, 'log'), { recursive: true });
  rmSync(join(h.dir, 'ready'), { force: true });
  const unshare = spawnDetached(
    ['ip', 'netns', 'exec', h.netns, 'unshare', '--mount', '--uts', '--pid', '--fork', '--mount-proc', '--propagation', 'private',
      '/bin/sh', '-c', HOLDER_SCRIPT, 'holder', h.dir, h.name],
    join(h.dir, 'holder.log'),
  );
  h.unshare = unshare;
  await waitFor(`${h.name} holder ready`, () => (existsSync(join(h.dir, 'ready')) ? true : undefined), 10_000, 5);
  const netns = netnsInode(h.netns);
  const holder = await waitFor(
    `${h.name} holder pid`,
    () => scanProcs((p) => p.netns === netns).find((p) => p.ppid === unshare.pid && p.nspid === 1),
    5000,
    10,
  );
  h.holder = { pid: holder.pid, start: holder.start };
  h.power = 'on';
}

/** The argv that serves TCP on the responder port in a host (used when the lab starts responders itself). */
export function responderCommand(h: HostRecord): string[] {
  return [process.execPath, RESPONDER_JS, '--port', String(RESPONDER_PORT), '--name', h.name];
}

/** Run argv inside the host as a daemon (own session, output to the host's /var/log/NAME.log). */
export async function startService(state: LabState, h: HostRecord, name: ServiceName, argv: string[]): Promise<ServiceRecord> {
  if (!h.holder || h.power !== 'on') throw new Error(`${h.name} is powered off`);
  const logInHost = `/var/log/${name}.log`;
  const out = run('nsenter', [
    '-t', String(h.holder.pid), '-n', '-m', '-u', '-p', '--',
    '/bin/sh', '-c', `cd /; setsid "$@" >>${logInHost} 2>&1 </dev/null & echo $!`, name, ...argv,
  ]);
  const nspid = Number(out.trim());
  const pidns = nsInode(h.holder.pid, 'pid');
  const info = await waitFor(`${h.name} ${name} pid`, () => scanProcs((p) => p.pidns === pidns).find((p) => p.nspid === nspid), 3000, 5);
  const rec: ServiceRecord = { proc: { pid: info.pid, start: info.start }, nspid, argv, enabled: true, log: join(h.dir, 'log', `${name}.log`) };
  h.services[name] = rec;
  return rec;
}

/** Every process of a host: its PID namespace and anything else entered into its mount namespace. */
export function hostProcesses(h: HostRecord): ProcInfo[] {
  if (!h.holder) return [];
  const pidns = nsInode(h.holder.pid, 'pid');
  const mntns = nsInode(h.holder.pid, 'mnt');
  if (pidns === undefined) return [];
  return scanProcs((p) => p.pidns === pidns || (mntns !== undefined && p.mntns === mntns));
}

async function killHostProcesses(h: HostRecord): Promise<void> {
  const procs: ProcRef[] = hostProcesses(h).map((p) => ({ pid: p.pid, start: p.start }));
  if (h.holder) procs.unshift(h.holder);
  if (h.unshare) procs.push(h.unshare);
  const left = await killAndWait(procs, 5000);
  if (left.length > 0) throw new Error(`${h.name}: processes still alive after SIGKILL: ${left.map((p) => p.pid).join(' ')}`);
}

export function setLinkSync(state: LabState, h: HostRecord, upDown: 'up' | 'down'): void {
  if (upDown === 'down') {
    ipBatch(h.netns, ['link set eth0 down']);
    ipBatch(state.bridgeNs, [`link set ${h.name} down`]);
  } else {
    ipBatch(state.bridgeNs, [`link set ${h.name} up`]);
    ipBatch(h.netns, ['link set eth0 up']);
  }
}

// ---------------------------------------------------------------------------------------------
// verbs on a running lab

export async function link(R: number, host: string, upDown: 'up' | 'down'): Promise<void> {
  const s = readState(R);
  setLinkSync(s, findHost(s, host), upDown);
}

/** A dead machine sends nothing: link down first, then SIGKILL everything in the host. */
export async function crash(R: number, host: string): Promise<{ at: number }> {
  return updateState(R, async (s) => {
    const h = findHost(s, host);
    setLinkSync(s, h, 'down');
    const at = performance.timeOrigin + performance.now();
    await killHostProcesses(h);
    h.power = 'off';
    h.holder = undefined;
    h.unshare = undefined;
    for (const svc of Object.values(h.services)) if (svc) delete svc.proc;
    return { at };
  });
}

/** Bring a crashed (or running) host back: clean eth0, empty /run and /dev/shm, its services again. */
export async function restart(R: number, host: string): Promise<void> {
  await updateState(R, async (s) => {
    const h = findHost(s, host);
    if (h.power === 'on') {
      setLinkSync(s, h, 'down');
      await killHostProcesses(h);
      h.power = 'off';
    }
    ipBatch(h.netns, ['addr flush dev eth0', `addr add ${h.address}/24 dev eth0`, 'neigh flush all']);
    setLinkSync(s, h, 'up');
    await startHolder(s, h);
    for (const name of ['etcd', 'responder', 'tandemd'] as ServiceName[]) {
      const svc = h.services[name];
      if (svc?.enabled) await startService(s, h, name, svc.argv);
    }
  });
}

export async function killService(R: number, host: string, name: ServiceName, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  await updateState(R, async (s) => {
    const h = findHost(s, host);
    const svc = h.services[name];
    if (!svc?.proc) throw new Error(`${h.name}: ${name} is not running`);
    if (signal === 'SIGKILL') {
      const left = await killAndWait([svc.proc], 5000);
      if (left.length) throw new Error(`${h.name}: ${name} survived SIGKILL`);
      delete svc.proc;
    } else {
      process.kill(svc.proc.pid, signal);
    }
  });
}

export async function startTandemdAll(R: number, opts: TandemdOptions = {}): Promise<void> {
  await updateState(R, async (s) => {
    for (const h of s.hosts) {
      if (h.power !== 'on') continue;
      if (h.services.tandemd?.proc) continue;
      await startService(s, h, 'tandemd', tandemdCommand(s, h, opts));
    }
  });
}

export async function startTandemd(R: number, host: string, opts: TandemdOptions = {}): Promise<void> {
  await updateState(R, async (s) => {
    const h = findHost(s, host);
    await startService(s, h, 'tandemd', tandemdCommand(s, h, opts));
  });
}

/** Argv that runs `argv` inside a host (all its namespaces) or in the client namespace. */
export function execArgv(s: LabState, host: string, argv: string[]): string[] {
  if (host === 'client' || host === s.client.netns) return ['ip', 'netns', 'exec', s.client.netns, ...argv];
  if (host === 'br' || host === s.bridgeNs) return ['ip', 'netns', 'exec', s.bridgeNs, ...argv];
  const h = findHost(s, host);
  if (!h.holder || h.power !== 'on') throw new Error(`${h.name} is powered off`);
  return ['nsenter', '-t', String(h.holder.pid), '-n', '-m', '-u', '-p', '--', ...argv];
}

export function execIn(R: number, host: string, argv: string[], opts: { input?: string; timeoutMs?: number } = {}): { status: number; stdout: string; stderr: string } {
  const s = readState(R);
  const a = execArgv(s, host, argv);
  const res = spawnSync(a[0]!, a.slice(1), { encoding: 'utf8', input: opts.input, timeout: opts.timeoutMs ?? 60_000 });
  return { status: res.status ?? 1, stdout: res.stdout ?? '', stderr: res.stderr ?? '' };
}

/** Runs the lab's etcd client tool in the client namespace and parses its JSON output. */
export function etcdClient(s: LabState, args: string[], timeoutMs = 30_000): any {
  const res = spawnSync('ip', ['netns', 'exec', s.client.netns, process.execPath, ETCD_CLIENT_JS, ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
  });
  const line = (res.stdout ?? '').trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`etcd-client ${args[0]}: ${res.stderr || res.stdout || res.error?.message}`);
  }
}

export async function waitEtcdHealthy(s: LabState, timeoutMs: number, hosts?: HostRecord[]): Promise<number> {
  const members = hosts ?? s.hosts.filter((h) => h.power === 'on');
  const eps = members.map((h) => `http://${h.address}:${s.etcd.clientPort}`).join(',');
  const r = etcdClient(s, ['health', '--endpoints', eps, '--timeout-ms', String(timeoutMs)], timeoutMs + 5000);
  if (!r.ok) {
    const logs = members.map((h) => `${h.name}: ${tail(join(h.dir, 'log', 'etcd.log'))}`).join('\n');
    throw new Error(`etcd not healthy after ${timeoutMs} ms\n${logs}`);
  }
  return r.ms;
}

export interface EtcdMemberStatus {
  host: string;
  memberId?: string;
  leader?: string;
  error?: string;
}

export function etcdStatus(s: LabState): EtcdMemberStatus[] {
  const out = etcdClient(s, ['status', '--endpoints', etcdEndpoints(s), '--deadline-ms', '1000'], 10_000) as { endpoint: string; memberId?: string; leader?: string; error?: string }[];
  return out.map((o, i) => ({ host: s.hosts[i]!.name, memberId: o.memberId, leader: o.leader, error: o.error }));
}

const memberHosts = new Map<string, string>(); // etcd member id -> "run/host" (ids survive restarts)

/** Host whose etcd member is the leader, as the members that answer report it; undefined when none does. */
export function etcdLeader(s: LabState): string | undefined {
  const st = etcdStatus(s);
  for (const x of st) if (x.memberId) memberHosts.set(x.memberId, `${s.run}/${x.host}`);
  const leaderId = st.find((x) => x.leader && x.leader !== '0')?.leader;
  const where = leaderId ? memberHosts.get(leaderId) : undefined;
  return where?.startsWith(`${s.run}/`) ? where.slice(String(s.run).length + 1) : undefined;
}

/** The etcd leader's host, asked again (bounded) while the members do not agree on one. */
export async function waitEtcdLeader(s: LabState, timeoutMs = 10_000): Promise<string> {
  return waitFor('an etcd leader', () => {
    try {
      return etcdLeader(s);
    } catch {
      return undefined;
    }
  }, timeoutMs, 200);
}

function tail(file: string, n = 5): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-n).join('\n');
  } catch {
    return '(no log)';
  }
}

// ---------------------------------------------------------------------------------------------
// status, list, down, gc

export interface HostStatus {
  name: string;
  address: string;
  power: string;
  link: string;
  addresses: string[];
  services: Record<string, string>;
  processes: number;
}

export function status(R: number): { run: number; phase: string; owner: string; ownerAlive: boolean; hosts: HostStatus[] } {
  const s = readState(R);
  const hosts = s.hosts.map((h) => {
    let linkState = '?';
    let addresses: string[] = [];
    try {
      const l = run('ip', ['-n', h.netns, '-o', 'link', 'show', 'dev', 'eth0']);
      linkState = /<([^>]*)>/.exec(l)?.[1]?.split(',').includes('UP') ? 'up' : 'down';
      addresses = run('ip', ['-n', h.netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'])
        .split('\n')
        .map((x) => /inet (\S+)/.exec(x)?.[1])
        .filter((x): x is string => !!x);
    } catch {
      /* namespace gone */
    }
    const services: Record<string, string> = {};
    for (const [n, svc] of Object.entries(h.services)) {
      services[n] = svc?.proc ? (procRef(svc.proc.pid)?.start === svc.proc.start ? `pid ${svc.proc.pid}` : 'dead') : 'stopped';
    }
    return { name: h.name, address: h.address, power: h.power, link: linkState, addresses, services, processes: hostProcesses(h).length };
  });
  const ownerAlive = procRef(s.owner.pid)?.start === s.owner.start;
  return { run: R, phase: s.phase, owner: s.owner.what, ownerAlive, hosts };
}

export function listRuns(): { run: number; phase: string; hosts: number; ownerAlive: boolean; createdAt?: string }[] {
  let names: string[] = [];
  try {
    names = readdirSync(LAB_ROOT);
  } catch {
    return [];
  }
  return names
    .map(Number)
    .filter((r) => Number.isInteger(r) && r > 0)
    .sort((a, b) => a - b)
    .map((r) => {
      const s = tryReadState(r);
      if (!s) return { run: r, phase: 'no-state', hosts: 0, ownerAlive: false };
      return { run: r, phase: s.phase, hosts: s.hosts.length, ownerAlive: procRef(s.owner.pid)?.start === s.owner.start, createdAt: s.createdAt };
    });
}

/** Remove everything run R created: processes (by PID), namespaces, /etc/netns entries, its directory. */
export async function down(R: number): Promise<{ killed: number; namespaces: string[] }> {
  const s = tryReadState(R);
  const prefix = s?.prefix ?? `tl${R}-`;
  if (s) {
    s.phase = 'tearing-down';
    try {
      writeState(s);
    } catch {
      /* directory may be half gone */
    }
  }
  let killed = 0;
  // 1. each host's PID namespace (holder first: its death takes the namespace with it)
  for (const h of s?.hosts ?? []) {
    const refs: ProcRef[] = [...(h.holder ? [h.holder] : []), ...hostProcesses(h), ...(h.unshare ? [h.unshare] : [])];
    killed += refs.length;
    await killAndWait(refs, 5000);
  }
  if (s?.powerSwitch) {
    killed++;
    await killAndWait([s.powerSwitch], 5000);
  }
  // 2. anything else still inside one of the run's network namespaces (client tools, the keeper, nsenter)
  const names = runNamespaces({ prefix });
  const inodes = new Set(names.map(netnsInode).filter((x): x is number => x !== undefined));
  const stragglers = scanProcs((p) => p.netns !== undefined && inodes.has(p.netns));
  killed += stragglers.length;
  const left = await killAndWait(stragglers, 5000);
  if (left.length) throw new Error(`run ${R}: processes survived SIGKILL: ${left.map((p) => p.pid).join(' ')}`);
  // 3. namespaces (their veths go with them), /etc/netns entries, the run directory
  for (const ns of names) {
    try {
      run('ip', ['netns', 'del', ns]);
    } catch {
      /* raced with another teardown */
    }
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  }
  rmSync(runDir(R), { recursive: true, force: true });
  return { killed, namespaces: names };
}

/** Remove labs whose owner died, half-built runs older than a minute, and namespaces with no run directory. */
export async function gc(log: (line: string) => void = () => {}): Promise<number[]> {
  const removed: number[] = [];
  for (const r of listRuns()) {
    const s = tryReadState(r.run);
    let dead = false;
    if (!s) {
      try {
        dead = Date.now() - statSync(runDir(r.run)).mtimeMs > 60_000;
      } catch {
        dead = true;
      }
    } else dead = !r.ownerAlive;
    if (dead) {
      log(`gc: run ${r.run} (${s ? `owner ${s.owner.what} is gone` : 'no state'})`);
      await down(r.run);
      removed.push(r.run);
    }
  }
  // namespaces of runs whose directory is gone (the directory is claimed before any namespace exists)
  let names: string[] = [];
  try {
    names = readdirSync('/run/netns');
  } catch {
    names = [];
  }
  const orphanRuns = new Set<number>();
  for (const n of names) {
    const m = /^tl(\d+)-(c\d+|client|br)$/.exec(n);
    if (m && !existsSync(runDir(Number(m[1])))) orphanRuns.add(Number(m[1]));
  }
  for (const r of orphanRuns) {
    log(`gc: namespaces of run ${r} without a run directory`);
    await down(r);
    removed.push(r);
  }
  return removed;
}
