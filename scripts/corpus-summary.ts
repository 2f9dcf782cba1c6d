// Development check: the "Transition Summary" of every corpus case against Pacemaker's.
// usage: node --import tsx scripts/corpus-summary.ts [CASE]   (V=1 shows diffs, LIST=1 lists failures)
import { readFileSync, readdirSync } from 'node:fs';
import { parseCibXml } from '../src/cib/parse.ts';
import { schedule } from '../src/scheduler/index.ts';
const dir = new URL('../../shared/scheduler-corpus', import.meta.url).pathname;
const norm = (l: string[]) => l.map((x) => x.replace(/\s+/g, ' ').trim()).filter(Boolean).sort();
function section(lines: string[]): string[] {
  const s = lines.indexOf('Transition Summary:');
  const out: string[] = [];
  for (const l of lines.slice(s + 1)) { if (l.trim() === '' || /^\S/.test(l)) break; out.push(l); }
  return out;
}
let ok = 0, bad = 0; const fails: string[] = [];
const only = process.argv[2];
for (const f of readdirSync(`${dir}/xml`).sort()) {
  const name = f.replace(/\.xml$/, '');
  if (only && name !== only) continue;
  const expected = section(readFileSync(`${dir}/summary/${name}.summary`, 'utf8').split('\n'));
  let actual: string[] = [];
  try {
    const cib = parseCibXml(readFileSync(`${dir}/xml/${f}`, 'utf8'));
    const now = cib.attrs['execution-date'] ? Number(cib.attrs['execution-date']) : Math.floor(Date.now() / 1000);
    actual = schedule(cib, now).summary;
  } catch (err) { actual = ['ERROR ' + (err as Error).stack]; }
  const a = norm(actual), b = norm(expected);
  if (JSON.stringify(a) === JSON.stringify(b)) ok++; else { bad++; fails.push(name);
    if (only || process.env.V) { const sa = new Set(a), sb = new Set(b); console.log('== ' + name); for (const x of b) if (!sa.has(x)) console.log('  - ' + x); for (const x of a) if (!sb.has(x)) console.log('  + ' + x); } }
}
console.log(`transition-summary: ${ok} passed, ${bad} failed`);
if (process.env.LIST) console.log(fails.join(' '));
