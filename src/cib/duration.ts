// Time spans as Pacemaker writes them: "30", "30s", "500ms", "2min", "1h", or ISO 8601 "PT1M30S".
// A bare number means seconds.

const unitMs: Record<string, number> = {
  '': 1000,
  ms: 1,
  msec: 1,
  us: 0.001,
  usec: 0.001,
  s: 1000,
  sec: 1000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
};

/** Parses a duration into milliseconds; throws on text that is not one. */
export function parseDurationMs(text: string): number {
  const t = text.trim();
  if (/^P/i.test(t)) return parseIsoDurationMs(t);
  const m = /^([+-]?\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(t);
  if (!m) throw new Error(`not a duration: '${text}'`);
  const unit = m[2]!.toLowerCase();
  const mult = unitMs[unit];
  if (mult === undefined) throw new Error(`unknown time unit '${m[2]}' in '${text}'`);
  return Math.floor(Number(m[1]) * mult);
}

/** Interval of an operation in ms: like a duration, but an ISO duration counts months as 30 days. */
export function parseIntervalMs(text: string): number {
  return parseDurationMs(text);
}

export function parseIsoDurationMs(text: string): number {
  // "P10S" (seconds without the T) is accepted by Pacemaker; so is it here.
  const lenient = /^P(\d+(?:\.\d+)?)S$/i.exec(text.trim());
  if (lenient) return Math.floor(Number(lenient[1]) * 1000);
  const m = /^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(text.trim());
  if (!m) throw new Error(`not an ISO 8601 duration: '${text}'`);
  const [y, mo, w, d, h, mi, s] = m.slice(1).map((x) => (x ? Number(x) : 0)) as number[];
  const days = y! * 365 + mo! * 30 + w! * 7 + d!;
  return Math.floor(((days * 24 + h!) * 60 + mi!) * 60_000 + s! * 1000);
}
