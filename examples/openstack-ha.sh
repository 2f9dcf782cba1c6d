#!/bin/sh
# The Pacemaker configuration of the OpenStack HA guide, rebuilt with the tandem CLI alone.
#
#   TANDEM_URL=http://127.0.0.1:7480 TANDEM_TOKEN=... examples/openstack-ha.sh     # a live cluster
#   TANDEM_CIB_FILE=/tmp/openstack.xml examples/openstack-ha.sh                     # offline, as pcs -f
#
# What it builds (the guide's layout; stand-in agents where the OpenStack ones are not installed):
#   - a virtual IP (ocf:heartbeat:IPaddr2) that every API is reached through, with HAProxy
#     cloned on every controller and the VIP kept where an HAProxy runs;
#   Note: the database is promoted once its agent reports a promotion score (crm_master after its
#   first monitor), so the APIs ordered after the promotion start in the transition after that.
#   - a promotable database (ocf:pacemaker:Stateful stands in for galera) and a cloned message
#     broker and memcached;
#   - keystone, glance, cinder and neutron API services as clones (ocf:heartbeat:Dummy stands in
#     for ocf:openstack:* agents), started after the database and the broker;
#   - an active/passive group (cinder-volume + neutron-l3 stand-ins) that follows the VIP;
#   - order and colocation constraints, and a resource set.
#
# Settings (environment):
#   NODES      the controllers. Default: the nodes of the live cluster (tandem status), else
#              "controller1 controller2 controller3" (offline, or a cluster without nodes yet).
#   VIP        the virtual IP (default 10.77.0.100, inside the lab's range).
#   VIP_AGENT  the VIP's agent. Default ocf:heartbeat:IPaddr2, except on a cluster whose store is
#              embedded (tandem demo: every node on this one machine, maybe not root), where
#              ocf:heartbeat:Dummy stands in. IPaddr2 needs root and an interface on VIP's subnet
#              on every node (the lab has one).
#   API_AGENT  stand-in for the ocf:openstack:* API agents (default ocf:heartbeat:Dummy).
#   DB_AGENT   stand-in for galera (default ocf:pacemaker:Stateful).
#   TANDEM     the CLI (default: the one of this checkout).
# Against tandem demo (it prints the token and writes it to a file):
#   TANDEM_URL=http://127.0.0.1:7480 TANDEM_TOKEN=$(cat /tmp/tandem-demo-7480.token) examples/openstack-ha.sh
set -eu

here=$(cd "$(dirname "$0")" && pwd)
TANDEM=${TANDEM:-"node $here/../bin/tandem.mjs"}

# What the live cluster says about itself (nothing when working on a file or when it is unreachable).
live=""
if [ -z "${TANDEM_CIB_FILE:-}" ]; then
  live=$($TANDEM status --json 2>/dev/null | node -e '
    let t = ""; process.stdin.on("data", (d) => (t += d)).on("end", () => {
      try { const s = JSON.parse(t); console.log(`${s.store ?? ""}|${(s.nodes ?? []).map((n) => n.name).join(" ")}`); } catch {}
    });') || live=""
fi
live_store=${live%%|*}
live_nodes=${live#*|}
NODES=${NODES:-${live_nodes:-"controller1 controller2 controller3"}}
VIP=${VIP:-10.77.0.100}
case "$live_store" in
  embedded*) VIP_AGENT=${VIP_AGENT:-ocf:heartbeat:Dummy} ;;
  *) VIP_AGENT=${VIP_AGENT:-ocf:heartbeat:IPaddr2} ;;
esac
# Stand-ins: use the real agents when they are installed on the nodes.
API_AGENT=${API_AGENT:-ocf:heartbeat:Dummy}
DB_AGENT=${DB_AGENT:-ocf:pacemaker:Stateful}
case "$VIP_AGENT" in
  *:IPaddr2) vip_params="ip=$VIP cidr_netmask=24" ;;
  *) vip_params="" ; echo "# $VIP_AGENT stands in for the virtual IP $VIP (set VIP_AGENT=ocf:heartbeat:IPaddr2 for a real one)" ;;
esac

t() {
  echo "+ tandem $*"
  $TANDEM "$@"
}

# --- the cluster -------------------------------------------------------------------------------
# shellcheck disable=SC2086
t cluster setup openstack $NODES --force
t property set stonith-enabled=false no-quorum-policy=stop
t property set cluster-recheck-interval=5min

# --- the virtual IP and HAProxy in front of every API ------------------------------------------
# shellcheck disable=SC2086
t resource create vip "$VIP_AGENT" $vip_params \
  op monitor interval=30s timeout=20s meta resource-stickiness=100
t resource create haproxy ocf:heartbeat:Dummy op monitor interval=10s clone interleave=true
# HAProxy runs on every controller; the VIP goes where an HAProxy runs.
t constraint order start haproxy-clone then start vip kind=Optional
t constraint colocation add vip with haproxy-clone INFINITY

# --- stateful services: database (promotable), message broker, memcached ------------------------
t resource create galera "$DB_AGENT" \
  op monitor interval=10s role=Promoted monitor interval=11s role=Unpromoted \
  promotable galera-clone promoted-max=1 notify=true
t resource create rabbitmq ocf:heartbeat:Dummy op monitor interval=10s clone interleave=true
t resource create memcached ocf:heartbeat:Dummy op monitor interval=10s clone interleave=true

# --- the API services, active/active as clones ---------------------------------------------------
for svc in keystone glance cinder-api neutron-server; do
  t resource create "$svc" "$API_AGENT" op monitor interval=30s timeout=30s clone interleave=true
done
# Every API starts after the database is promoted and the broker is up; keystone first.
t constraint order promote galera-clone then start keystone-clone
t constraint order start rabbitmq-clone then start keystone-clone
t constraint order start memcached-clone then start keystone-clone
t constraint order set keystone-clone set glance-clone cinder-api-clone neutron-server-clone sequential=false \
  setoptions kind=Mandatory id=order-apis-after-keystone

# --- active/passive services in a group that follows the VIP -----------------------------------
t resource create cinder-volume ocf:heartbeat:Dummy op monitor interval=30s --group openstack-ap
t resource create neutron-l3 ocf:heartbeat:Dummy op monitor interval=30s --group openstack-ap
t constraint colocation add openstack-ap with vip INFINITY
t constraint order start keystone-clone then start openstack-ap
t constraint location vip prefers "$(echo "$NODES" | cut -d' ' -f1)=50"

t constraint list --full
t status
