// Fencing topology: which levels apply to a target, in which order.
//
// A level applies to a target when its `target` equals the node name, or its `target-pattern`
// (a regular expression, matched anywhere in the name as POSIX regexec does; anchor it with ^...$
// to match whole names) matches, or the node's attribute `target-attribute` equals `target-value`.
// Levels are tried by ascending index; a level succeeds only when every one of its devices succeeds,
// run in the order listed. A target no level applies to is fenced with any capable device.

import type { FencingLevel } from '../cib/model.ts';

export interface TopologyProblem {
  level: string;
  message: string;
}

function levelMatches(level: FencingLevel, target: string, nodeAttrs: ReadonlyMap<string, string> | undefined): boolean {
  if (level.target !== undefined) return level.target === target;
  if (level.targetPattern !== undefined) {
    try {
      return new RegExp(level.targetPattern).test(target);
    } catch {
      return false; // reported by validateTopology
    }
  }
  if (level.targetAttribute !== undefined) return nodeAttrs?.get(level.targetAttribute) === level.targetValue;
  return false;
}

/**
 * The levels that apply to `target`, by ascending index. When two matching levels share an index
 * (say one by name, one by pattern) the first configured one is kept; validateTopology reports it.
 */
export function levelsForTarget(topology: readonly FencingLevel[], target: string, nodeAttrs?: ReadonlyMap<string, string>): FencingLevel[] {
  const byIndex = new Map<number, FencingLevel>();
  for (const level of topology) {
    if (!levelMatches(level, target, nodeAttrs)) continue;
    if (!byIndex.has(level.index)) byIndex.set(level.index, level);
  }
  return [...byIndex.values()].sort((a, b) => a.index - b.index);
}

/** Configuration problems: unknown devices, bad patterns, no target, duplicate index per target. */
export function validateTopology(topology: readonly FencingLevel[], deviceIds: ReadonlySet<string>): TopologyProblem[] {
  const problems: TopologyProblem[] = [];
  const seen = new Map<string, string>();
  for (const level of topology) {
    const kinds = [level.target, level.targetPattern, level.targetAttribute].filter((x) => x !== undefined).length;
    if (kinds === 0) problems.push({ level: level.id, message: `fencing-level ${level.id} names no target, target-pattern or target-attribute` });
    if (kinds > 1) problems.push({ level: level.id, message: `fencing-level ${level.id} names more than one of target, target-pattern, target-attribute` });
    if (level.targetAttribute !== undefined && level.targetValue === undefined) problems.push({ level: level.id, message: `fencing-level ${level.id} has target-attribute without target-value` });
    if (level.targetPattern !== undefined) {
      try {
        new RegExp(level.targetPattern);
      } catch (err) {
        problems.push({ level: level.id, message: `fencing-level ${level.id}: target-pattern '${level.targetPattern}' is not a valid regular expression (${(err as Error).message})` });
      }
    }
    if (level.devices.length === 0) problems.push({ level: level.id, message: `fencing-level ${level.id} lists no devices` });
    for (const d of level.devices) if (!deviceIds.has(d)) problems.push({ level: level.id, message: `fencing-level ${level.id} names device '${d}', which is not a configured stonith resource` });
    const key = `${level.target ?? level.targetPattern ?? `${level.targetAttribute}=${level.targetValue}`}#${level.index}`;
    const prev = seen.get(key);
    if (prev) problems.push({ level: level.id, message: `fencing-level ${level.id} has the same target and index ${level.index} as ${prev}` });
    else seen.set(key, level.id);
  }
  return problems;
}
