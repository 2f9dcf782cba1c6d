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
# NODES (default "controller1 controller2 controller3") are the controllers; VIP the address
# (default 10.77.0.100, inside the lab's range); TANDEM (default: the CLI of this checkout).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
TANDEM=${TANDEM:-"node $here/../bin/tandem.mjs"}
NODES=${NODES:-"controller1 controller2 controller3"}
VIP=${VIP:-10.77.0.100}
# Stand-ins: use the real agents when they are installed on the nodes.
API_AGENT=${API_AGENT:-ocf:heartbeat:Dummy}
DB_AGENT=${DB_AGENT:-ocf:pacemaker:Stateful}

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
t resource create vip ocf:heartbeat:IPaddr2 ip="$VIP" cidr_netmask=24 \
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
