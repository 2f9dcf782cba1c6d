// Shared by the lab tests: they need root and the lab's programs; otherwise they skip and say why.

import { execFileSync } from 'node:child_process';
import { labPrerequisites } from '../../src/lab/lab.ts';

/** Reason to skip the lab tests, or false when they can run. */
export function labSkip(): string | false {
  const why = labPrerequisites();
  return why ? `lab tests skipped: ${why}` : false;
}

/** IPv4 addresses of the root network namespace that lie in the lab range 10.77.0.0/16. */
export function rootLabAddresses(): string[] {
  const out = execFileSync('ip', ['-o', '-4', 'addr', 'show'], { encoding: 'utf8' });
  return out.split('\n').filter((l) => / inet 10\.77\./.test(l));
}

export function ip(ns: string, ...args: string[]): string {
  return execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8' });
}
