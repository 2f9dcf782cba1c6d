// Bad CIB input: one clear error naming the element and what is wrong, from the parser (CibError)
// and from the CLI (one line on stderr, exit 1, no stack trace).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseCibXml } from '../../src/cib/parse.ts';
import { CibError } from '../../src/cib/xml.ts';

const tandem = new URL('../../bin/tandem.mjs', import.meta.url).pathname;

function cib(resources: string, constraints = '', extraConfig = ''): string {
  return `<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes><node id="1" uname="node1"/><node id="2" uname="node2"/></nodes>
    <resources>${resources}</resources>
    <constraints>${constraints}</constraints>${extraConfig}
  </configuration>
  <status/>
</cib>`;
}

const dummy = (id: string): string => `<primitive id="${id}" class="ocf" provider="pacemaker" type="Dummy"/>`;
const good = cib(dummy('rsc1') + dummy('rsc2'), '<rsc_colocation id="col1" rsc="rsc1" with-rsc="rsc2" score="INFINITY"/>');

/** [case, XML, what the message must say] */
const cases: [string, string, RegExp][] = [
  ['truncated file', good.slice(0, Math.floor(good.length * 0.6)), /malformed XML: .*unclosed tag.*inside <\w+/],
  ['malformed XML', good.replace('</nodes>', '</node>'), /malformed XML/],
  ['empty file', '', /malformed XML: .*root element/],
  ['constraint naming a missing resource', cib(dummy('rsc1'), '<rsc_colocation id="col1" rsc="rsc1" with-rsc="ghost" score="INFINITY"/>'), /<rsc_colocation id=col1> \(line \d+\): with-rsc 'ghost' names no resource/],
  ['resource set naming a missing resource', cib(dummy('rsc1'), '<rsc_order id="ord1"><resource_set id="s1"><resource_ref id="rsc1"/><resource_ref id="nope"/></resource_set></rsc_order>'), /<resource_ref id=nope>.*resource_ref 'nope' names no resource/],
  ['score that is not a score', cib(dummy('rsc1'), '<rsc_location id="loc1" rsc="rsc1" node="node1" score="lots"/>'), /<rsc_location id=loc1>.*score 'lots' is not a score/],
  ['rule score that is not a score', cib(dummy('rsc1'), '<rsc_location id="loc1" rsc="rsc1"><rule id="r1" score="1.5x"><expression id="e1" attribute="#uname" operation="eq" value="node1"/></rule></rsc_location>'), /<rule id=r1>.*score '1\.5x' is not a score/],
  ['primitive without type', cib('<primitive id="web" class="ocf" provider="heartbeat"/>'), /<primitive id=web>.*missing required attribute 'type'/],
  ['unknown resource class', cib('<primitive id="web" class="bogus" type="x"/>'), /<primitive id=web>.*unknown resource class 'bogus'/],
  ['duplicate id', cib(dummy('rsc1') + dummy('rsc1')), /duplicate id 'rsc1'/],
  ['unknown role', cib(dummy('rsc1') + dummy('rsc2'), '<rsc_colocation id="col1" rsc="rsc1" with-rsc="rsc2" with-rsc-role="Boss" score="10"/>'), /<rsc_colocation id=col1>.*unknown role 'Boss'/],
  ['unknown element in resources', cib('<primitve id="oops" class="ocf" provider="pacemaker" type="Dummy"/>'), /<primitve id=oops>.*unknown element in <resources>/],
  ['unknown loss-policy', cib(dummy('rsc1'), '<rsc_ticket id="t1" ticket="tk" rsc="rsc1" loss-policy="explode"/>'), /<rsc_ticket id=t1>.*loss-policy must be/],
  ['wrong root element', '<config/>', /root element must be <cib>/],
];

test('the valid base CIB parses', () => {
  assert.equal(parseCibXml(good, 'good').configuration.constraints.length, 1);
});

for (const [name, xml, expected] of cases) {
  test(`parser: ${name}`, () => {
    assert.throws(
      () => parseCibXml(xml, 'bad.xml'),
      (err: unknown) => {
        assert.ok(err instanceof CibError, `a CibError, not ${String(err)}`);
        assert.match(err.message, expected);
        assert.ok(err.message.startsWith('bad.xml: '), err.message);
        assert.equal(err.message.split('\n').length, 1);
        return true;
      },
    );
  });
}

test('CLI: every bad CIB gives one error line naming the problem, exit 1, no stack trace', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tandem-cib-errors-'));
  try {
    for (const [name, xml, expected] of cases) {
      const file = join(dir, 'bad.xml');
      writeFileSync(file, xml);
      const res = spawnSync(process.execPath, [tandem, 'simulate', '--xml', file], { encoding: 'utf8' });
      assert.equal(res.status, 1, `${name}: exit status`);
      assert.equal(res.stdout, '', `${name}: nothing on stdout`);
      const lines = res.stderr.split('\n').filter(Boolean);
      assert.equal(lines.length, 1, `${name}: one line, got ${JSON.stringify(res.stderr)}`);
      assert.match(lines[0]!, /^tandem: /);
      assert.match(lines[0]!, expected, name);
      assert.doesNotMatch(res.stderr, /\n\s+at /, `${name}: no stack trace`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
