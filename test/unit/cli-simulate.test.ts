// `tandem simulate` as a user runs it: the four crm_simulate sections, --show-scores, --now, errors
// as one line with exit 1, and the batch form where one broken case does not stop the others.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const tandem = new URL('../../bin/tandem.mjs', import.meta.url).pathname;

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, [tandem, ...args], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
}

// Two nodes, rsc1 running on node1 which is put in standby: it must move to node2 (checked with
// crm_simulate 2.1.5: Move, stop/start/monitor=10000, both allocation scores 0).
function smallCib(extra = ''): string {
  return `<cib validate-with="pacemaker-3.7" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1"${extra}>
  <configuration>
    <crm_config><cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set></crm_config>
    <nodes>
      <node id="1" uname="node1"><instance_attributes id="n1"><nvpair id="n1-standby" name="standby" value="on"/></instance_attributes></node>
      <node id="2" uname="node2"/>
    </nodes>
    <resources>
      <primitive id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
        <operations><op id="rsc1-mon" name="monitor" interval="10s"/></operations>
      </primitive>
    </resources>
    <constraints/>
  </configuration>
  <status>
    <node_state id="1" uname="node1" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="1"><lrm_resources>
        <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_start_0" operation="start" call-id="2" rc-code="0" op-status="0" interval="0" transition-key="1:0:0:x" transition-magic="0:0;1:0:0:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
    <node_state id="2" uname="node2" in_ccm="true" crmd="online" join="member" expected="member">
      <lrm id="2"><lrm_resources>
        <lrm_resource id="rsc1" class="ocf" provider="pacemaker" type="Dummy">
          <lrm_rsc_op id="rsc1_last_0" operation_key="rsc1_monitor_0" operation="monitor" call-id="1" rc-code="7" op-status="0" interval="0" transition-key="2:0:7:x" transition-magic="0:7;2:0:7:x"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>`;
}

function section(out: string, header: string): string[] {
  const lines = out.split('\n');
  const i = lines.indexOf(header);
  assert.ok(i >= 0, `no '${header}' in:\n${out}`);
  const body: string[] = [];
  for (const l of lines.slice(i + 1)) {
    if (/^\S/.test(l)) break;
    body.push(l);
  }
  while (body.length && body[body.length - 1] === '') body.pop();
  return body;
}

const dir = mkdtempSync(join(tmpdir(), 'tandem-cli-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'small.xml');
writeFileSync(file, smallCib());

test('simulate prints the four sections, the move executed and applied', () => {
  const r = run('simulate', '--xml', file, '--now', '2024-01-01T00:00:00Z');
  assert.equal(r.status, 0, r.stderr);
  const headers = r.stdout.split('\n').filter((l) => /^\S.*:$/.test(l));
  assert.deepEqual(headers, ['Current cluster status:', 'Transition Summary:', 'Executing Cluster Transition:', 'Revised Cluster Status:']);
  assert.ok(section(r.stdout, 'Current cluster status:').some((l) => /rsc1\s+\(ocf:pacemaker:Dummy\):\s+Started node1/.test(l)));
  assert.deepEqual(section(r.stdout, 'Transition Summary:').map((l) => l.replace(/\s+/g, ' ').trim()), ['* Move rsc1 ( node1 -> node2 )']);
  const exec = section(r.stdout, 'Executing Cluster Transition:');
  const stop = exec.findIndex((l) => /Resource action: rsc1\s+stop on node1/.test(l));
  const start = exec.findIndex((l) => /Resource action: rsc1\s+start on node2/.test(l));
  const mon = exec.findIndex((l) => /Resource action: rsc1\s+monitor=10000 on node2/.test(l));
  assert.ok(stop >= 0 && start > stop && mon > start, exec.join('\n'));
  const revised = section(r.stdout, 'Revised Cluster Status:');
  assert.ok(revised.some((l) => /rsc1\s+\(ocf:pacemaker:Dummy\):\s+Started node2/.test(l)), revised.join('\n'));
  assert.ok(!r.stdout.includes('Using the original execution date'));
});

test('execution-date on the CIB is used and announced; it wins over --now', () => {
  const f = join(dir, 'dated.xml');
  writeFileSync(f, smallCib(' execution-date="1648835858"'));
  const r = run('simulate', '--xml', f, '--now', '0');
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.split('\n')[0], 'Using the original execution date of: 2022-04-01 17:57:38Z');
});

test('--show-scores prints allocation scores in crm_simulate -s format', () => {
  const r = run('simulate', '--xml', file, '--show-scores');
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const from = lines.indexOf('Allocation Scores:');
  assert.ok(from > lines.indexOf('Current cluster status:') && from < lines.indexOf('Transition Summary:'), r.stdout);
  const scores = lines.slice(from + 1, lines.indexOf('', from));
  // What crm_simulate -x small.xml -S -s prints for this CIB.
  assert.deepEqual(scores, ['pcmk__primitive_assign: rsc1 allocation score on node1: 0', 'pcmk__primitive_assign: rsc1 allocation score on node2: 0']);
  assert.ok(r.stdout.includes('Transition Summary:'));
});

test('a missing file, malformed XML or bad --now: one line on stderr, exit 1', () => {
  const bad = join(dir, 'bad.xml');
  writeFileSync(bad, smallCib().slice(0, 400));
  for (const args of [['--xml', join(dir, 'missing.xml')], ['--xml', bad], ['--xml', file, '--now', 'yesterday'], []]) {
    const r = run('simulate', ...args);
    assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.split('\n').filter(Boolean).length, 1, r.stderr);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  }
  assert.match(run('simulate', '--xml', join(dir, 'missing.xml')).stderr, /^tandem: cannot read .*missing\.xml: no such file or directory\n$/);
});

test('batch: every DIR/xml/NAME.xml gives OUTDIR/NAME.summary; a broken case does not stop the others', () => {
  const corpus = join(dir, 'corpus');
  mkdirSync(join(corpus, 'xml'), { recursive: true });
  writeFileSync(join(corpus, 'xml', 'a-good.xml'), smallCib());
  writeFileSync(join(corpus, 'xml', 'b-broken.xml'), '<cib><configuration>');
  writeFileSync(join(corpus, 'xml', 'c-good.xml'), smallCib(' execution-date="1648835858"'));
  const out = join(dir, 'out');
  const r = run('simulate', '--corpus', corpus, '--out', out);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['a-good.summary', 'b-broken.summary', 'c-good.summary']);
  assert.match(readFileSync(join(out, 'b-broken.summary'), 'utf8'), /^Error: b-broken\.xml: malformed XML/);
  for (const good of ['a-good', 'c-good']) {
    const text = readFileSync(join(out, `${good}.summary`), 'utf8');
    assert.deepEqual(section(text, 'Transition Summary:').map((l) => l.replace(/\s+/g, ' ').trim()), ['* Move rsc1 ( node1 -> node2 )']);
  }
  assert.match(r.stdout, /3 cases written .*1 failed \(b-broken\)/);
  assert.match(r.stderr, /3\/3 cases, 1 failed/);
});
