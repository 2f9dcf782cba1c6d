// A MembershipView read from the store, for an API server that does not run inside a node agent
// (tests, tools): members with a lease are up, the DC is the oldest election candidate, and a node
// with a record but no lease is lost and NOT known stopped (the conservative reading). tandemd
// passes its node agent's live view instead.
import { DEFAULT_TIMING, type LeaderRef, type MembershipView, type PeerView } from '../membership/types.ts';
import { decodeRecord, keys, type MemberRecord, type NodeRecord } from '../cib/store-layout.ts';
import { leaderOf } from '../store/election.ts';
import type { Store } from '../store/types.ts';

export async function storeView(store: Store, cluster: string, self: string): Promise<MembershipView> {
  const res = await store.txn({
    compares: [],
    success: [
      { type: 'get', key: keys.membersPrefix(cluster), prefix: true },
      { type: 'get', key: keys.nodesPrefix(cluster), prefix: true },
      { type: 'get', key: keys.electionCandidatesPrefix(cluster), prefix: true },
    ],
  });
  const at = (i: number) => {
    const r = res.results[i];
    return r?.type === 'get' ? r.kvs : [];
  };
  const members = new Map<string, MemberRecord>();
  for (const kv of at(0)) {
    const m = decodeRecord<MemberRecord>(kv.key, kv.value);
    members.set(m.name, m);
  }
  const peers = new Map<string, PeerView>();
  for (const m of members.values()) {
    if (m.name === self) continue;
    peers.set(m.name, { name: m.name, id: m.id, state: 'up', lastHeardMs: Date.now(), voter: true, hasLease: true, address: { host: m.host, port: m.port } });
  }
  for (const kv of at(1)) {
    const n = decodeRecord<NodeRecord>(kv.key, kv.value);
    if (n.name === self || peers.has(n.name)) continue;
    peers.set(n.name, { name: n.name, id: n.id, state: n.expected === 'down' ? 'left' : 'lost', lastHeardMs: 0, voter: true, hasLease: false });
  }
  const info = leaderOf(at(2), keys.electionCandidatesPrefix(cluster), res.revision);
  const leader: LeaderRef | null = info.nodeId !== null && info.token !== null ? { name: info.value ?? info.nodeId, token: info.token } : null;
  const quorate = members.size > 0;
  return {
    self: { name: self, id: members.get(self)?.id ?? self },
    timing: DEFAULT_TIMING,
    peers: () => [...peers.values()],
    peer: (name) => peers.get(name),
    quorate,
    leader,
    leadership: undefined,
    knownStopped: (name) => peers.get(name)?.state === 'left',
    on: () => () => undefined,
  };
}
