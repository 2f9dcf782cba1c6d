// Pacemaker-style alert agents: executables configured in the CIB's <alerts> section, called with
// CRM_alert_* environment variables on node, fencing, resource and attribute events (the same
// events as GET /events). One call per recipient (or one with an empty recipient), with the
// alert's instance attributes as extra environment variables, killed after its timeout (meta
// attribute `timeout`, default 30s).
//
//   <alerts>
//     <alert id="log" path="/usr/share/pacemaker/alerts/alert_file.sh.sample">
//       <meta_attributes id="log-meta"><nvpair id="log-t" name="timeout" value="10s"/></meta_attributes>
//       <select><select_nodes/><select_fencing/><select_resources/></select>   (optional; default all but attributes)
//       <recipient id="log-r" value="/var/log/cluster-alerts.log"/>
//     </alert>
//   </alerts>
import { execFile } from 'node:child_process';
import type { CibStore } from '../cib/cib-store.ts';
import { parseDurationMs } from '../cib/duration.ts';
import { firstChild, type XmlElement } from '../cib/xml.ts';
import type { ClusterEvent } from './contract.ts';

export const ALERT_VERSION = '2.1.5';
export const DEFAULT_ALERT_TIMEOUT_MS = 30_000;

export type AlertKind = 'node' | 'fencing' | 'resource' | 'attribute';

export interface AlertRecipient {
  id: string;
  value: string;
  timeoutMs?: number;
  timestampFormat?: string;
  env: Record<string, string>;
}

export interface AlertConfig {
  id: string;
  path: string;
  timeoutMs: number;
  timestampFormat: string;
  env: Record<string, string>;
  /** Kinds selected (all but attribute when there is no <select>). */
  kinds: Set<AlertKind>;
  /** For select_attributes with <attribute name=...> children: only these. */
  attributes?: Set<string>;
  recipients: AlertRecipient[];
}

export interface AlertResult {
  alert: string;
  recipient: string;
  kind: AlertKind;
  ok: boolean;
  /** exit code, or the signal/timeout text */
  outcome: string;
  durationMs: number;
}

function nvpairs(el: XmlElement | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (!el) return out;
  for (const nv of el.children) if (nv.name === 'nvpair' && nv.attrs.name !== undefined) out[nv.attrs.name] = nv.attrs.value ?? '';
  return out;
}

function metaOf(el: XmlElement): Record<string, string> {
  return Object.assign({}, ...el.children.filter((c) => c.name === 'meta_attributes').map(nvpairs));
}

function instanceOf(el: XmlElement): Record<string, string> {
  return Object.assign({}, ...el.children.filter((c) => c.name === 'instance_attributes').map(nvpairs));
}

function timeoutOf(meta: Record<string, string>, where: string): number | undefined {
  if (meta.timeout === undefined) return undefined;
  try {
    return parseDurationMs(meta.timeout);
  } catch {
    throw new Error(`${where}: bad timeout '${meta.timeout}'`);
  }
}

/** Read the <alerts> section of a `<configuration>` element. */
export function parseAlerts(configuration: XmlElement): AlertConfig[] {
  const section = firstChild(configuration, 'alerts');
  if (!section) return [];
  const out: AlertConfig[] = [];
  for (const a of section.children.filter((c) => c.name === 'alert')) {
    const id = a.attrs.id ?? '?';
    if (!a.attrs.path) throw new Error(`<alert id=${id}> has no path`);
    const meta = metaOf(a);
    const select = firstChild(a, 'select');
    const kinds = new Set<AlertKind>();
    let attributes: Set<string> | undefined;
    if (select) {
      for (const s of select.children) {
        if (s.name === 'select_nodes') kinds.add('node');
        else if (s.name === 'select_fencing') kinds.add('fencing');
        else if (s.name === 'select_resources') kinds.add('resource');
        else if (s.name === 'select_attributes') {
          kinds.add('attribute');
          const names = s.children.filter((c) => c.name === 'attribute' && c.attrs.name).map((c) => c.attrs.name!);
          if (names.length) attributes = new Set(names);
        }
      }
    } else {
      kinds.add('node').add('fencing').add('resource');
    }
    const recipients: AlertRecipient[] = a.children
      .filter((c) => c.name === 'recipient')
      .map((r) => {
        const rm = metaOf(r);
        const t = timeoutOf(rm, `<recipient id=${r.attrs.id ?? '?'}>`);
        return {
          id: r.attrs.id ?? '?',
          value: r.attrs.value ?? '',
          env: instanceOf(r),
          ...(t !== undefined ? { timeoutMs: t } : {}),
          ...(rm['timestamp-format'] ? { timestampFormat: rm['timestamp-format'] } : {}),
        };
      });
    out.push({
      id,
      path: a.attrs.path,
      timeoutMs: timeoutOf(meta, `<alert id=${id}>`) ?? DEFAULT_ALERT_TIMEOUT_MS,
      timestampFormat: meta['timestamp-format'] ?? '%H:%M:%S.%06N',
      env: instanceOf(a),
      kinds,
      ...(attributes ? { attributes } : {}),
      recipients,
    });
  }
  return out;
}

/** strftime subset used by timestamp-format: %Y %m %d %H %M %S %s %N %3N %6N %06N %%. */
export function formatTimestamp(fmt: string, ms: number, usec: number): string {
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return fmt.replace(/%(0?\d)?([YmdHMSsN%])/g, (_m, width: string | undefined, c: string) => {
    switch (c) {
      case 'Y':
        return String(d.getFullYear());
      case 'm':
        return p(d.getMonth() + 1);
      case 'd':
        return p(d.getDate());
      case 'H':
        return p(d.getHours());
      case 'M':
        return p(d.getMinutes());
      case 'S':
        return p(d.getSeconds());
      case 's':
        return String(Math.floor(ms / 1000));
      case 'N': {
        const digits = Math.min(9, Math.max(1, Number(width ?? '9')));
        const ns = String(usec * 1000).padStart(9, '0');
        return ns.slice(0, digits);
      }
      default:
        return '%';
    }
  });
}

/** The CRM_alert_* variables of an event, or undefined when alerts do not cover it. */
export function alertVariables(e: ClusterEvent): { kind: AlertKind; vars: Record<string, string> } | undefined {
  const d = e.data ?? {};
  const s = (v: unknown) => (v === undefined || v === null ? '' : String(v));
  switch (e.type) {
    case 'node':
      if (d.state !== 'member' && d.state !== 'lost') return undefined;
      return { kind: 'node', vars: { CRM_alert_node: s(e.node), CRM_alert_nodeid: s(d.id ?? ''), CRM_alert_desc: s(d.state) } };
    case 'fencing': {
      const ok = d.result === 'ok' || d.result === 'self-fenced';
      return {
        kind: 'fencing',
        vars: { CRM_alert_node: s(e.node), CRM_alert_task: s(d.action), CRM_alert_rc: ok ? '0' : '1', CRM_alert_desc: `Operation ${s(d.action)} of ${s(e.node)} by ${s(d.executioner ?? 'unknown')} for ${s(d.origin ?? 'unknown')}: ${ok ? 'OK' : 'Error'}` },
      };
    }
    case 'operation':
    case 'failure': {
      const interval = Number(d.intervalMs ?? 0);
      const rc = Number(d.rc ?? 0);
      const target = Number(d.targetRc ?? 0);
      const status = Number(d.opStatus ?? 0);
      // As Pacemaker: a recurring monitor that keeps succeeding is not alerted.
      if (e.type === 'operation' && interval > 0 && status === 0 && rc === target) return undefined;
      // A failure is alerted once, from its operation slot.
      if (e.type === 'failure') return undefined;
      return {
        kind: 'resource',
        vars: {
          CRM_alert_node: s(e.node),
          CRM_alert_rsc: s(e.resource),
          CRM_alert_task: s(d.operation),
          CRM_alert_interval: String(interval),
          CRM_alert_target_rc: String(target),
          CRM_alert_status: String(status),
          CRM_alert_rc: String(rc),
          CRM_alert_exec_time: s(d.execTimeMs ?? 0),
          CRM_alert_desc: e.message,
        },
      };
    }
    case 'attribute':
      return { kind: 'attribute', vars: { CRM_alert_node: s(e.node), CRM_alert_attribute_name: s(d.name), CRM_alert_attribute_value: s(d.value ?? '') } };
    default:
      return undefined;
  }
}

export interface AlertRunnerOptions {
  cib: CibStore;
  /** Which events this node runs alerts for (default: all). See `localAlertPolicy`. */
  runFor?: (e: ClusterEvent) => boolean;
  log?: (line: string) => void;
  onResult?: (r: AlertResult) => void;
}

/**
 * Pacemaker runs alerts on the node that saw the event. With one store watch on every node, use
 * this policy so that each event is alerted once: resource and attribute events on the node they
 * happened on, node and fencing events on the DC.
 */
export function localAlertPolicy(self: string, dc: () => string | undefined): (e: ClusterEvent) => boolean {
  return (e) => (e.type === 'node' || e.type === 'fencing' ? dc() === self : e.node === self);
}

export class AlertRunner {
  private cache: AlertConfig[] | undefined;
  private sequence = 0;
  private running = 0;
  private readonly idle: Array<() => void> = [];

  constructor(private readonly opts: AlertRunnerOptions) {}

  private async alerts(): Promise<AlertConfig[]> {
    if (this.cache) return this.cache;
    const loaded = await this.opts.cib.loadConfiguration();
    this.cache = loaded ? parseAlerts(loaded.element) : [];
    return this.cache;
  }

  /** Feed one event (from the EventHub). */
  handle(e: ClusterEvent): void {
    if (e.type === 'config') this.cache = undefined;
    if (this.opts.runFor && !this.opts.runFor(e)) return;
    const av = alertVariables(e);
    if (!av) return;
    this.running++;
    void this.dispatch(e, av.kind, av.vars)
      .catch((err) => this.opts.log?.(`alerts: ${(err as Error).message}`))
      .finally(() => {
        if (--this.running === 0) for (const f of this.idle.splice(0)) f();
      });
  }

  /** Resolves when no alert agent is running. */
  settled(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((r) => this.idle.push(r));
  }

  private async dispatch(e: ClusterEvent, kind: AlertKind, vars: Record<string, string>): Promise<void> {
    const alerts = await this.alerts();
    const seq = ++this.sequence;
    const now = Date.now();
    const usec = (now % 1000) * 1000;
    const runs: Promise<void>[] = [];
    for (const a of alerts) {
      if (!a.kinds.has(kind)) continue;
      if (kind === 'attribute' && a.attributes && !a.attributes.has(vars.CRM_alert_attribute_name ?? '')) continue;
      const recipients = a.recipients.length ? a.recipients : [{ id: '', value: '', env: {} } as AlertRecipient];
      for (const r of recipients) {
        const env: Record<string, string> = {
          PATH: process.env.PATH ?? '/usr/bin:/bin',
          ...a.env,
          ...r.env,
          ...vars,
          CRM_alert_kind: kind,
          CRM_alert_version: ALERT_VERSION,
          CRM_alert_recipient: r.value,
          CRM_alert_node_sequence: String(seq),
          CRM_alert_timestamp: formatTimestamp(r.timestampFormat ?? a.timestampFormat, now, usec),
          CRM_alert_timestamp_epoch: String(Math.floor(now / 1000)),
          CRM_alert_timestamp_usec: String(usec),
        };
        runs.push(this.run(a, r, kind, env, r.timeoutMs ?? a.timeoutMs));
      }
    }
    await Promise.all(runs);
    void e;
  }

  private run(a: AlertConfig, r: AlertRecipient, kind: AlertKind, env: Record<string, string>, timeoutMs: number): Promise<void> {
    const started = Date.now();
    return new Promise((resolve) => {
      execFile(a.path, [], { env, timeout: timeoutMs, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err) => {
        const durationMs = Date.now() - started;
        let outcome = 'exit 0';
        let ok = true;
        if (err) {
          ok = false;
          const e = err as NodeJS.ErrnoException & { killed?: boolean; signal?: string | null; code?: number | string };
          if (e.killed && e.signal === 'SIGKILL') outcome = `timed out after ${timeoutMs} ms`;
          else if (typeof e.code === 'number') outcome = `exit ${e.code}`;
          else if (e.code === 'ENOENT' || e.code === 'EACCES') outcome = `cannot run ${a.path}: ${e.code}`;
          else outcome = e.signal ? `killed by ${e.signal}` : e.message;
        }
        const result: AlertResult = { alert: a.id, recipient: r.value, kind, ok, outcome, durationMs };
        if (!ok) this.opts.log?.(`alert ${a.id}${r.value ? ` (recipient ${r.value})` : ''} for a ${kind} event failed: ${outcome}`);
        this.opts.onResult?.(result);
        resolve();
      });
    });
  }
}
