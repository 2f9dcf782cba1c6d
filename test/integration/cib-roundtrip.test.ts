// Every corpus CIB: parse -> write -> parse gives an equal model (validate-with aside: the writer
// declares the schema it writes), and crm_verify accepts the written XML wherever it accepts the
// original (crm_verify is a test oracle only).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseCibXml } from '../../src/cib/parse.ts';
import { WRITTEN_SCHEMA, writeCibXml } from '../../src/cib/write.ts';

const corpus = new URL('../../../shared/scheduler-corpus/xml/', import.meta.url).pathname;
const names = readdirSync(corpus).filter((f) => f.endsWith('.xml')).sort();

function verify(file: string): number {
  const res = spawnSync('crm_verify', ['--xml-file', file], { env: { ...process.env, LC_ALL: 'C' }, encoding: 'utf8' });
  if (res.error) throw new Error(`crm_verify could not run (apt-get install pacemaker-cli-utils): ${res.error.message}`);
  return res.status ?? -1;
}

test('every corpus CIB round-trips through the writer to an equal model', () => {
  assert.equal(names.length, 635);
  const unequal: string[] = [];
  for (const f of names) {
    const a = parseCibXml(readFileSync(join(corpus, f), 'utf8'), f);
    const written = writeCibXml(a);
    const b = parseCibXml(written, `written ${f}`);
    assert.equal(b.attrs['validate-with'], a.attrs['validate-with'] === 'none' ? 'none' : WRITTEN_SCHEMA);
    b.attrs['validate-with'] = a.attrs['validate-with']!;
    if (!isDeepStrictEqual(a, b)) unequal.push(f);
    // Current syntax only: no <master>, no legacy role names.
    assert.doesNotMatch(written, /<master[ >]|"(Master|Slave)"/, f);
  }
  assert.deepEqual(unequal, []);
});

test('crm_verify accepts the written CIB wherever it accepts the original', { timeout: 900_000 }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-roundtrip-'));
  try {
    const regressions: string[] = [];
    let accepted = 0;
    for (const f of names) {
      const original = join(corpus, f);
      if (verify(original) !== 0) continue;
      accepted += 1;
      const out = join(dir, f);
      writeFileSync(out, writeCibXml(parseCibXml(readFileSync(original, 'utf8'), f)));
      if (verify(out) !== 0) regressions.push(f);
    }
    assert.ok(accepted > 400, `crm_verify accepted only ${accepted} originals`);
    assert.deepEqual(regressions, []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
