// Fail counts: the "fail-count-<rsc>#<op>_<interval>" and "last-failure-..." node attributes the
// controller keeps, summed per resource and node. An expired count (failure-timeout passed since
// the last failure) no longer counts, except when the failure blocks the resource.
import type { LrmRscOp, PrimitiveConfig } from '../../cib/model.ts';
import { compareVersions } from '../../cib/rules.ts';
import { addScores, parseScore } from '../../cib/score.ts';
import type { Node, Resource, WorkingSet } from '../types.ts';

function escapeRegex(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Before feature set 3.0.13, fail counts were per resource rather than per operation. */
function legacyFailCounts(ws: WorkingSet): boolean {
  const v = ws.cib.attrs.crm_feature_set;
  return v === undefined || compareVersions(v, '3.0.13') < 0;
}

function attributePattern(ws: WorkingSet, prefix: string, rsc: Resource): RegExp {
  // Anonymous clone instances share one name, possibly recorded with an instance number.
  const name = rsc.unique ? rsc.id : rsc.id.replace(/:\d+$/, '');
  const instance = rsc.unique ? '' : '(:[0-9]+)?';
  const op = legacyFailCounts(ws) ? '' : '#.+_[0-9]+';
  return new RegExp(`^${prefix}-${escapeRegex(name)}${instance}${op}$`);
}

/** A failure recorded for an operation configured with on-fail=block. */
function isMatchedFailure(name: string, conf: { name: string; intervalMs: number }, op: LrmRscOp): boolean {
  if (conf.intervalMs !== op.intervalMs || conf.name !== op.operation) return false;
  if (op.id === `${name}_last_failure_0`) return true;
  if (op.id !== `${name}_${conf.name}_${conf.intervalMs}`) return false;
  const key = op.transitionKey?.split(':');
  const target = key && key.length >= 4 ? Number(key[2]) : 0;
  return op.rcCode !== target;
}

/** Whether this resource's failure on the node is one that blocks it (on-fail=block). */
function blockFailure(ws: WorkingSet, node: Node, rsc: Resource, op: LrmRscOp | undefined): boolean {
  const name = rsc.id.replace(/:\d+$/, '');
  const cfg = rsc.config.kind === 'primitive' ? (rsc.config as PrimitiveConfig) : undefined;
  const blocking = (cfg?.ops ?? []).filter((o) => o.attrs['on-fail'] === 'block');
  for (const conf of blocking) {
    if (op) {
      if (isMatchedFailure(name, conf, op)) return true;
      continue;
    }
    const entry = ws.cib.status.nodes.find((e) => e.uname === node.name);
    const history = entry?.lrm.find((l) => l.id === name)?.ops ?? [];
    if (history.some((h) => isMatchedFailure(name, conf, h))) return true;
  }
  return false;
}

export interface FailCountQuery {
  /** Leave out counts whose failure-timeout has passed. */
  effective: boolean;
  /** The failed operation being judged (decides whether on-fail=block applies). */
  op?: LrmRscOp;
}

/** The resource's fail count on a node, with the time of its last failure. */
export function failCountWithTime(ws: WorkingSet, node: Node, rsc: Resource, q: FailCountQuery): { count: number; lastFailure: number } {
  const countRe = attributePattern(ws, 'fail-count', rsc);
  const lastRe = attributePattern(ws, 'last-failure', rsc);
  let count = 0;
  let lastFailure = 0;
  for (const [k, v] of node.attrs) {
    if (countRe.test(k)) count = addScores(count, parseScore(v));
    else if (lastRe.test(k)) {
      const t = Number(v);
      if (Number.isFinite(t)) lastFailure = Math.max(lastFailure, t);
    }
  }
  // A failure that blocks the resource never expires.
  if (count > 0 && rsc.failureTimeoutMs > 0 && blockFailure(ws, node, rsc, q.op)) rsc.failureTimeoutMs = 0;
  if (q.effective && count > 0 && lastFailure > 0 && rsc.failureTimeoutMs !== 0) {
    if (ws.now > lastFailure + failureTimeoutSeconds(rsc)) count = 0;
  }
  return { count, lastFailure };
}

export function failCount(ws: WorkingSet, node: Node, rsc: Resource, q: FailCountQuery): number {
  return failCountWithTime(ws, node, rsc, q).count;
}

/** failure-timeout in whole seconds, as the fail-count arithmetic uses it. */
export function failureTimeoutSeconds(rsc: Resource): number {
  return Math.floor(rsc.failureTimeoutMs / 1000);
}
