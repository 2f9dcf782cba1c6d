// Definition changes: the history records, with each start, a digest of the parameters it ran
// with (op-digest) and of the parameters that cannot be reloaded (op-restart-digest, covering those
// listed in op-force-restart). When the configuration's parameters no longer give the recorded
// digest, the resource must restart on that node, or only reload when just reloadable ones changed.
import { createHash } from 'node:crypto';
import type { LrmRscOp } from '../cib/model.ts';
import { unpackSets } from '../cib/rules.ts';
import type { Resource, WorkingSet } from './types.ts';
import { descendants } from './unpack/resources.ts';

const escape = (v: string) => v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** The digest of a parameter set, in the form the history records it. */
export function parameterDigest(params: ReadonlyMap<string, string>, only?: ReadonlySet<string>): string {
  const entries = [...params].filter(([k]) => !k.startsWith('CRM_meta') && (only === undefined || only.has(k)));
  entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const text = entries.length === 0 ? ' <parameters/>\n' : ` <parameters ${entries.map(([k, v]) => `${k}="${escape(v)}"`).join(' ')}/>\n`;
  return createHash('md5').update(text).digest('hex');
}

/** A primitive's parameters including those its group or clone sets for it. */
export function effectiveParams(ws: WorkingSet, r: Resource): Map<string, string> {
  const out = new Map(r.params);
  for (let p = r.parent; p; p = p.parent) {
    const inherited = unpackSets(p.config.instance, { now: ws.now });
    for (const [k, v] of inherited) if (!out.has(k)) out.set(k, v);
  }
  return out;
}

const startLike = new Set(['start', 'migrate_from', 'reload', 'reload-agent']);

function lastStart(ops: LrmRscOp[]): LrmRscOp | undefined {
  let best: LrmRscOp | undefined;
  for (const op of ops) {
    // A probe that found it running (0, or 8 for promoted) recorded the parameters it saw too.
    const probeFound = op.operation === 'monitor' && (op.rcCode === 0 || op.rcCode === 8);
    if ((!startLike.has(op.operation) && !probeFound) || op.intervalMs !== 0 || op.opStatus !== 0 || (op.rcCode !== 0 && !probeFound)) continue;
    if (!best || op.callId > best.callId) best = op;
  }
  return best;
}

/** Marks resources whose recorded start no longer matches their definition (restart or reload). */
export function checkDefinitions(ws: WorkingSet): void {
  // Each node's history by resource id, looked up once per running resource.
  const byNode = new Map(ws.cib.status.nodes.map((n) => [n.uname ?? n.id, new Map(n.lrm.map((l) => [l.id, l]))]));
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (r.kind !== 'primitive' || r.runningOn.length === 0 || !r.managed) continue;
      // Bundle replicas' containers, IPs and connections are generated: their parameters are not the user's.
      if (top.kind === 'bundle' && r.parent?.kind !== 'clone') continue;
      if ((r.isRemoteConnection && (r.containerOf !== undefined || r.container !== undefined))) continue;
      const params = effectiveParams(ws, r);
      for (const node of r.runningOn) {
        const history = byNode.get(node.name);
        const lrm = history?.get(r.historyName ?? r.id) ?? history?.get(r.id);
        if (lrm && agentDiffers(r, lrm)) {
          (r.agentChanged ??= new Set()).add(node.id);
          continue;
        }
        const op = lrm ? lastStart(lrm.ops) : undefined;
        if (!op?.opDigest) continue;
        if (parameterDigest(params) === op.opDigest) continue;
        // With secret parameters (passwords), the history's digest without them is what can be compared.
        const secure = op.opSecureParams?.trim();
        if (op.opSecureDigest !== undefined && secure) {
          const hidden = new Set(secure.split(/\s+/));
          // Fencing devices' own pcmk_* settings are left out of that digest as well.
          const visible = new Map([...params].filter(([k]) => !hidden.has(k) && !k.startsWith('pcmk_')));
          if (parameterDigest(visible) === op.opSecureDigest) continue;
        }
        const forceRestart = op.opForceRestart?.trim();
        if (op.opRestartDigest !== undefined && forceRestart !== undefined) {
          const only = new Set(forceRestart.split(/\s+/).filter(Boolean));
          if (parameterDigest(params, only) === op.opRestartDigest) {
            r.reload = true;
            continue;
          }
        }
        (r.definitionChanged ??= new Set()).add(node.id);
      }
    }
  }
}

/** The history was recorded by another agent than the one configured now. */
function agentDiffers(r: Resource, lrm: { class?: string; provider?: string; type?: string }): boolean {
  if (!r.agent || lrm.class === undefined || lrm.type === undefined) return false;
  return lrm.class !== r.agent.class || lrm.type !== r.agent.type || (lrm.provider ?? '') !== (r.agent.provider ?? '');
}
