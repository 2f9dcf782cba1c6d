// The CIB the failover bench (and lab users) load into tandemd: a VIP (ocf:heartbeat:IPaddr2,
// 1 s monitor) that goes where a responder runs, and the responder as a clone of a `process`
// resource on port 7000 (responder.pl by default, responder.mjs with responder: 'node').

import { responderArgv, type ResponderKind } from './lab.ts';
import type { LabState } from './state.ts';

export interface LabCibOptions {
  /** Monitor interval of the VIP, e.g. "1s". */
  vipMonitor?: string;
  responderMonitor?: string;
  /** Add a fence_tandem_lab stonith device and enable fencing. */
  fencing?: boolean;
  noQuorumPolicy?: 'stop' | 'freeze' | 'ignore' | 'suicide';
  /** The responder program: 'perl' (default; starts in milliseconds) or 'node' (responder.mjs). */
  responder?: ResponderKind;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function labCib(state: LabState, opts: LabCibOptions = {}): string {
  const vip = state.vips[0]!;
  const nodes = state.hosts.map((h) => `      <node id="${h.index}" uname="${h.name}"/>`).join('\n');
  const responder = `exec ${responderArgv(opts.responder ?? 'perl').join(' ')}`;
  const fencing = opts.fencing
    ? `
      <primitive id="lab-fence" class="stonith" type="fence_tandem_lab">
        <instance_attributes id="lab-fence-ia">
          <nvpair id="lab-fence-run" name="run" value="${state.run}"/>
          <nvpair id="lab-fence-hosts" name="pcmk_host_list" value="${state.hosts.map((h) => h.name).join(' ')}"/>
        </instance_attributes>
        <operations><op id="lab-fence-monitor" name="monitor" interval="60s"/></operations>
      </primitive>`
    : '';
  return `<cib crm_feature_set="3.16.2" validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
        <nvpair id="opt-stonith-enabled" name="stonith-enabled" value="${opts.fencing ? 'true' : 'false'}"/>
        <nvpair id="opt-no-quorum-policy" name="no-quorum-policy" value="${opts.noQuorumPolicy ?? 'stop'}"/>
        <nvpair id="opt-cluster-name" name="cluster-name" value="lab${state.run}"/>
      </cluster_property_set>
    </crm_config>
    <nodes>
${nodes}
    </nodes>
    <resources>
      <primitive id="vip" class="ocf" provider="heartbeat" type="IPaddr2">
        <instance_attributes id="vip-ia">
          <nvpair id="vip-ip" name="ip" value="${vip}"/>
          <nvpair id="vip-cidr" name="cidr_netmask" value="24"/>
          <nvpair id="vip-nic" name="nic" value="eth0"/>
        </instance_attributes>
        <operations>
          <op id="vip-monitor" name="monitor" interval="${opts.vipMonitor ?? '1s'}" timeout="20s"/>
        </operations>
      </primitive>
      <clone id="responder-clone">
        <primitive id="responder" class="process" type="responder">
          <instance_attributes id="responder-ia">
            <nvpair id="responder-command" name="command" value="${esc(responder)}"/>
          </instance_attributes>
          <operations>
            <op id="responder-monitor" name="monitor" interval="${opts.responderMonitor ?? '1s'}" timeout="20s"/>
          </operations>
        </primitive>
      </clone>${fencing}
    </resources>
    <constraints>
      <rsc_colocation id="vip-with-responder" rsc="vip" with-rsc="responder-clone" score="INFINITY"/>
      <rsc_order id="responder-then-vip" first="responder-clone" then="vip" kind="Optional"/>
    </constraints>
  </configuration>
  <status/>
</cib>
`;
}
