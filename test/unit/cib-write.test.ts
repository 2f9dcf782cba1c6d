// The CIB writer: current syntax out of legacy input, references and templates kept, round-trip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCibXml } from '../../src/cib/parse.ts';
import { writeCibXml } from '../../src/cib/write.ts';

const legacy = `<cib validate-with="pacemaker-2.10" epoch="3" num_updates="1" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="opts"><nvpair id="opts-stonith" name="stonith-enabled" value="false"/></cluster_property_set>
    </crm_config>
    <nodes>
      <node id="1" uname="n1" type="normal"><instance_attributes id="n1-attrs"><nvpair id="n1-site" name="site" value="a"/></instance_attributes></node>
      <node id="2" uname="n2"/>
    </nodes>
    <resources>
      <template id="web-tpl" class="ocf" provider="heartbeat" type="apache">
        <operations id="web-ops"><op id="web-tpl-mon" name="monitor" interval="10s"/></operations>
      </template>
      <primitive id="web" template="web-tpl">
        <meta_attributes id="web-meta"><nvpair id="web-stick" name="resource-stickiness" value="5"/></meta_attributes>
      </primitive>
      <primitive id="db" class="ocf" provider="pacemaker" type="Dummy">
        <operations id-ref="web-ops"/>
        <instance_attributes id="db-params"><nvpair id-ref="n1-site"/></instance_attributes>
      </primitive>
      <master id="ms">
        <meta_attributes id="ms-meta"><nvpair id="ms-max" name="master-max" value="1"/></meta_attributes>
        <primitive id="stateful" class="ocf" provider="pacemaker" type="Stateful">
          <operations><op id="st-mon-m" name="monitor" interval="5s" role="Master"/><op id="st-mon-s" name="monitor" interval="6s" role="Slave"/></operations>
        </primitive>
      </master>
    </resources>
    <constraints>
      <rsc_location id="loc" rsc="web">
        <rule id="loc-rule" score="100" boolean-op="and"><expression id="loc-e" attribute="site" operation="eq" value="a"/></rule>
      </rsc_location>
      <rsc_colocation id="col" rsc="web" with-rsc="ms" with-rsc-role="Master" score="INFINITY"/>
      <rsc_order id="ord" kind="Mandatory">
        <resource_set id="ord-1" sequential="false"><resource_ref id="db"/><resource_ref id="web"/></resource_set>
        <resource_set id="ord-2" action="promote"><resource_ref id="ms"/></resource_set>
      </rsc_order>
    </constraints>
    <op_defaults><meta_attributes id="opd"><nvpair id="opd-timeout" name="timeout" value="30s"/></meta_attributes></op_defaults>
    <rsc_defaults><meta_attributes id="rscd"><nvpair id="rscd-stick" name="resource-stickiness" value="1"/></meta_attributes></rsc_defaults>
    <tags><tag id="frontend"><obj_ref id="web"/></tag></tags>
  </configuration>
  <status>
    <node_state id="1" uname="n1" in_ccm="true" crmd="online" join="member" expected="member">
      <transient_attributes id="1"><instance_attributes id="status-1"><nvpair id="status-1-m" name="master-stateful" value="10"/></instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>
        <lrm_resource id="stateful" class="ocf" provider="pacemaker" type="Stateful">
          <lrm_rsc_op id="stateful_last_0" operation_key="stateful_promote_0" operation="promote" call-id="4" rc-code="0" op-status="0" interval="0" transition-key="1:1:0:abc" transition-magic="0:0;1:1:0:abc" last-rc-change="1000"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>
</cib>`;

test('legacy syntax is written in current syntax', () => {
  const cib = parseCibXml(legacy, 'legacy');
  const xml = writeCibXml(cib);
  assert.match(xml, /validate-with="pacemaker-3\.9"/);
  assert.doesNotMatch(xml, /<master/);
  assert.match(xml, /<clone id="ms">/);
  assert.match(xml, /name="promotable" value="true"/);
  assert.doesNotMatch(xml, /"Master"|"Slave"/);
  assert.match(xml, /with-rsc-role="Promoted"/);
  assert.match(xml, /role="Unpromoted"/);
  assert.match(xml, /type="member"/);
});

test('references, templates, tags, sets, rules, defaults and status are kept', () => {
  const xml = writeCibXml(parseCibXml(legacy, 'legacy'));
  assert.match(xml, /<primitive id="web" template="web-tpl">/);
  assert.match(xml, /<template id="web-tpl" class="ocf" provider="heartbeat" type="apache">/);
  assert.match(xml, /<operations id-ref="web-ops"\/>/);
  assert.match(xml, /<nvpair id-ref="n1-site"\/>/);
  assert.match(xml, /<resource_set id="ord-1" sequential="false">/);
  assert.match(xml, /<rule id="loc-rule" score="100" boolean-op="and">/);
  assert.match(xml, /<op_defaults>\s*<meta_attributes id="opd">/);
  assert.match(xml, /<tag id="frontend">\s*<obj_ref id="web"\/>/);
  assert.match(xml, /<lrm_rsc_op id="stateful_last_0" operation_key="stateful_promote_0" operation="promote"/);
  assert.match(xml, /<transient_attributes id="1">/);
});

test('parse -> write -> parse gives the same model, and writing is stable', () => {
  const a = parseCibXml(legacy, 'legacy');
  const once = writeCibXml(a);
  const b = parseCibXml(once, 'written');
  assert.equal(b.attrs['validate-with'], 'pacemaker-3.9');
  b.attrs['validate-with'] = a.attrs['validate-with']!;
  assert.deepEqual(b, a);
  // The templated primitive keeps its merged view after the round trip, and nothing is doubled.
  const web = b.configuration.resources.find((r) => r.id === 'web');
  assert.ok(web && web.kind === 'primitive');
  assert.equal(web.type, 'apache');
  assert.equal(web.ops.length, 1);
  assert.equal(writeCibXml(parseCibXml(once, 'again')), once);
});
