// Scores as Pacemaker counts them: integers clamped to +/-INFINITY (1,000,000), where -INFINITY
// wins over everything and +INFINITY over every finite value.

export const INFINITY = 1_000_000;

/** Text -> score. "INFINITY", "+INFINITY", "-INFINITY", integers; red/yellow/green via health map. */
export function parseScore(text: string | undefined, health?: { red: number; yellow: number; green: number }): number {
  if (text === undefined) return 0;
  const t = text.trim();
  switch (t.toUpperCase()) {
    case 'INFINITY':
    case '+INFINITY':
      return INFINITY;
    case '-INFINITY':
      return -INFINITY;
    case 'RED':
      return health?.red ?? -INFINITY;
    case 'YELLOW':
      return health?.yellow ?? 0;
    case 'GREEN':
      return health?.green ?? 0;
  }
  const m = /^[+-]?\d+/.exec(t);
  if (!m) return 0;
  return clamp(Number(m[0]));
}

export function clamp(n: number): number {
  if (n >= INFINITY) return INFINITY;
  if (n <= -INFINITY) return -INFINITY;
  return n;
}

/** a + b with INFINITY arithmetic: -INFINITY absorbs, then +INFINITY. */
export function addScores(a: number, b: number): number {
  if (a <= -INFINITY || b <= -INFINITY) return -INFINITY;
  if (a >= INFINITY || b >= INFINITY) return INFINITY;
  return clamp(a + b);
}

export function scoreToString(n: number): string {
  if (n >= INFINITY) return 'INFINITY';
  if (n <= -INFINITY) return '-INFINITY';
  return String(n);
}
