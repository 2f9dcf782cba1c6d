// Node health (node-health-strategy): every node attribute whose name starts with "#health" is a
// colour (red, yellow, green) or a number; the strategy turns them into a score that is added to
// every resource's preference for the node. Resources with allow-unhealthy-nodes=true ignore it.
import { INFINITY, addScores, parseScore } from '../../cib/score.ts';
import type { Node, WorkingSet } from '../types.ts';
import { descendants } from '../unpack/resources.ts';

/** The health score of a node under the cluster's strategy (0 when no strategy is set). */
export function nodeHealthScore(ws: WorkingSet, node: Node): number {
  const strategy = ws.options.nodeHealthStrategy;
  if (strategy === 'none') return 0;
  const colours = ws.options.nodeHealth;
  let score = strategy === 'progressive' || strategy === 'custom' ? colours.base : 0;
  for (const [name, value] of node.attrs) {
    if (!name.startsWith('#health')) continue;
    const v = value.trim().toLowerCase();
    const s = v === 'red' ? colours.red : v === 'yellow' ? colours.yellow : v === 'green' ? colours.green : parseScore(value);
    score = addScores(score, s);
  }
  return score;
}

function allowsUnhealthy(meta: ReadonlyMap<string, string>): boolean {
  const v = meta.get('allow-unhealthy-nodes');
  return v !== undefined && /^(true|yes|1|on)$/i.test(v);
}

export function applyNodeHealth(ws: WorkingSet): void {
  if (ws.options.nodeHealthStrategy === 'none') return;
  const scores = new Map<string, number>();
  for (const node of ws.nodes) {
    node.health = nodeHealthScore(ws, node);
    if (node.health !== 0) scores.set(node.id, Math.max(node.health, -INFINITY));
  }
  if (scores.size === 0) return;
  for (const top of ws.resources) {
    for (const r of descendants(top)) {
      if (allowsUnhealthy(r.meta)) continue;
      for (const [id, s] of scores) {
        const w = r.allowed.get(id);
        if (w !== undefined) r.allowed.set(id, addScores(w, s));
      }
    }
  }
}
