// Watchdog-based self-fencing: the SelfFenceHook ({arm, disarm, expire}) the membership layer calls.
//
// Two implementations:
// - ProcessWatchdog (always available): at the deadline (or on expire) every registered resource
//   process (or its process group) gets SIGKILL and tandemd exits. A separate supervisor process
//   (watchdog-supervisor.mjs) holds the same deadline, so a stalled tandemd event loop cannot stall the
//   reset, and it also resets when tandemd dies while armed.
// - DeviceWatchdog: /dev/watchdog (softdog or hardware). It resets the whole machine, so it is only
//   opened when `allowMachineReset: true` is passed explicitly; tests never do. While armed it is
//   petted until `deadline - margin`, so the kernel resets at about the deadline if nobody re-arms.
//   It is meant to be combined with a ProcessWatchdog (CombinedWatchdog), which acts first.
//
// Deadlines are epoch milliseconds (as membership's selfFencedBy); a value below 10^12 is taken as
// milliseconds from now.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface SelfFenceHook {
  arm(deadlineMs: number): void;
  disarm(): void;
  expire(reason: string): void;
}

const toEpoch = (deadlineMs: number, now: number) => (deadlineMs < 1e12 ? now + deadlineMs : deadlineMs);

export interface SoftdogProbe {
  /** /dev/watchdog exists now. */
  devicePresent: boolean;
  /** `modprobe -n softdog` says the module could be loaded (or it is built in / loaded). */
  softdogLoadable: boolean;
  detail: string;
}

/** Looks, without loading or opening anything, whether a softdog watchdog could be had. */
export function probeSoftdog(devicePath = '/dev/watchdog'): SoftdogProbe {
  const devicePresent = existsSync(devicePath);
  const r = spawnSync('modprobe', ['-n', '-v', 'softdog'], { encoding: 'utf8', timeout: 5000 });
  const softdogLoadable = !r.error && r.status === 0;
  const detail = r.error ? `modprobe unavailable: ${r.error.message}` : r.status === 0 ? `modprobe -n softdog: ok${r.stdout.trim() ? ` (${r.stdout.trim()})` : ''}` : `modprobe -n softdog failed: ${(r.stderr || r.stdout).trim()}`;
  return { devicePresent, softdogLoadable, detail };
}

export interface ProcessWatchdogOptions {
  /** Exits tandemd after the kills (default: process.exit(112)). Tests pass a recorder. */
  exit?: (reason: string) => void;
  /** Run the separate supervisor process too (default true). */
  supervised?: boolean;
  /** The process the supervisor kills after the resources (default process.pid; 0 = none). */
  tandemdPid?: number;
  /** Keep the in-process timer (default true); tests turn it off to prove the supervisor alone. */
  inProcessTimer?: boolean;
  now?: () => number;
  log?: (msg: string) => void;
  /** Called when the supervisor reports a reset (tests). */
  onSupervisorReset?: (event: { reason: string; killed: number[] }) => void;
}

export class ProcessWatchdog implements SelfFenceHook {
  private readonly pids = new Map<number, boolean>();
  private deadline: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private supervisor: ChildProcess | undefined;
  private fired = false;
  private readonly now: () => number;

  constructor(private readonly opts: ProcessWatchdogOptions = {}) {
    this.now = opts.now ?? Date.now;
    if (opts.supervised !== false) this.startSupervisor();
  }

  /** A resource process this node started; `group` kills its whole process group (agents run detached). */
  register(pid: number, opts: { group?: boolean } = {}): void {
    if (!Number.isInteger(pid) || pid <= 1) throw new Error(`watchdog: pid ${pid} is not a process id that can be registered`);
    if (pid === process.pid) throw new Error('watchdog: tandemd itself is not registered as a resource process');
    this.pids.set(pid, !!opts.group);
    this.send({ op: 'register', pid, group: !!opts.group });
  }

  unregister(pid: number): void {
    this.pids.delete(pid);
    this.send({ op: 'unregister', pid });
  }

  registered(): number[] {
    return [...this.pids.keys()];
  }

  get armedUntil(): number | null {
    return this.deadline;
  }

  arm(deadlineMs: number): void {
    if (!Number.isFinite(deadlineMs)) throw new Error(`watchdog: deadline ${deadlineMs} is not a number of milliseconds`);
    if (this.fired) return;
    this.deadline = toEpoch(deadlineMs, this.now());
    this.send({ op: 'arm', deadline: this.deadline });
    clearTimeout(this.timer);
    if (this.opts.inProcessTimer !== false) {
      this.timer = setTimeout(() => this.reset(`self-fencing deadline passed without re-arm`), Math.max(0, this.deadline - this.now()));
    }
  }

  disarm(): void {
    this.deadline = null;
    clearTimeout(this.timer);
    this.send({ op: 'disarm' });
  }

  expire(reason: string): void {
    this.send({ op: 'expire', reason });
    this.reset(reason);
  }

  /** Stops the supervisor after a clean disarm (tandemd shutting down). */
  async close(): Promise<void> {
    this.disarm();
    const sup = this.supervisor;
    this.supervisor = undefined;
    if (!sup || sup.exitCode !== null || sup.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      sup.once('exit', () => resolve());
      sup.stdin!.end();
    });
  }

  private reset(reason: string): void {
    if (this.fired) return;
    this.fired = true;
    clearTimeout(this.timer);
    const killed: number[] = [];
    for (const [pid, group] of this.pids) {
      try {
        process.kill(group ? -pid : pid, 'SIGKILL');
        killed.push(pid);
      } catch {
        /* already gone */
      }
    }
    this.opts.log?.(`self-fencing: ${reason}; killed ${killed.length} resource process(es) [${killed.join(', ')}], exiting tandemd`);
    (this.opts.exit ?? (() => process.exit(112)))(reason);
  }

  private startSupervisor(): void {
    const script = fileURLToPath(new URL('./watchdog-supervisor.mjs', import.meta.url));
    const sup = spawn(process.execPath, [script, String(this.opts.tandemdPid ?? process.pid)], { detached: true, stdio: ['pipe', 'pipe', 'inherit'] });
    sup.stdin!.on('error', () => undefined);
    let buf = '';
    sup.stdout!.setEncoding('utf8');
    sup.stdout!.on('data', (c: string) => {
      buf += c;
      let nl;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        try {
          const ev = JSON.parse(line) as { event: string; reason?: string; killed?: number[] };
          if (ev.event === 'reset') this.opts.onSupervisorReset?.({ reason: ev.reason ?? '', killed: ev.killed ?? [] });
        } catch {
          /* not ours */
        }
      }
    });
    sup.unref();
    (sup.stdout as unknown as { unref?: () => void }).unref?.();
    (sup.stdin as unknown as { unref?: () => void }).unref?.();
    this.supervisor = sup;
  }

  /** Pid of the supervisor process (tests, diagnostics). */
  get supervisorPid(): number | undefined {
    return this.supervisor?.pid;
  }

  private send(msg: object): void {
    const sup = this.supervisor;
    if (!sup || sup.exitCode !== null || !sup.stdin!.writable) return;
    sup.stdin!.write(JSON.stringify(msg) + '\n');
  }
}

export interface DeviceWatchdogOptions {
  /** Must be true: opening a watchdog device arms a machine reset. */
  allowMachineReset: boolean;
  devicePath?: string;
  /** The device's timeout (softdog's soft_margin, default 60 s). */
  marginMs?: number;
  /** How often to pet while armed (default 1 s). */
  petIntervalMs?: number;
  now?: () => number;
}

/** /dev/watchdog. Never opened unless allowMachineReset is true. */
export class DeviceWatchdog implements SelfFenceHook {
  private fd: number | undefined;
  private deadline: number | null = null;
  private timer: NodeJS.Timeout | undefined;
  private readonly path: string;
  private readonly margin: number;
  private readonly now: () => number;

  constructor(private readonly opts: DeviceWatchdogOptions) {
    if (opts.allowMachineReset !== true) throw new Error('DeviceWatchdog resets the whole machine when it expires: pass allowMachineReset: true to use it');
    this.path = opts.devicePath ?? '/dev/watchdog';
    this.margin = opts.marginMs ?? 60_000;
    this.now = opts.now ?? Date.now;
  }

  arm(deadlineMs: number): void {
    this.deadline = toEpoch(deadlineMs, this.now());
    // Opening the device starts its countdown: only done on the first arm.
    if (this.fd === undefined) this.fd = openSync(this.path, 'w');
    this.pet();
    clearInterval(this.timer);
    this.timer = setInterval(() => this.pet(), this.opts.petIntervalMs ?? 1000);
  }

  private pet(): void {
    if (this.fd === undefined || this.deadline === null) return;
    // Stop petting once the kernel's countdown would outlast the deadline.
    if (this.now() + this.margin > this.deadline) {
      clearInterval(this.timer);
      return;
    }
    writeSync(this.fd, '\0');
  }

  disarm(): void {
    this.deadline = null;
    clearInterval(this.timer);
    if (this.fd !== undefined) {
      writeSync(this.fd, 'V'); // magic close: the driver stops the countdown (unless nowayout)
      closeSync(this.fd);
      this.fd = undefined;
    }
  }

  expire(_reason: string): void {
    // Stop petting; the kernel resets the machine within the margin.
    clearInterval(this.timer);
    this.deadline = this.now();
  }
}

/** Several hooks as one (ProcessWatchdog first: it acts at the deadline, the device backs it up). */
export class CombinedWatchdog implements SelfFenceHook {
  constructor(private readonly hooks: SelfFenceHook[]) {}
  arm(deadlineMs: number): void {
    for (const h of this.hooks) h.arm(deadlineMs);
  }
  disarm(): void {
    for (const h of this.hooks) h.disarm();
  }
  expire(reason: string): void {
    for (const h of this.hooks) h.expire(reason);
  }
}
