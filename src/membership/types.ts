// Membership contract: the timing budget every timeout derives from, and the view of the cluster
// each node keeps (peers, quorum, DC). Shared by the node agent and the DC controller: change it only
// by adding optional members. Validation rules of the budget: see timing.ts and README.md.

import type { TxnRequest, TxnResult } from '../store/types.ts';
import type { Fence } from '../store/election.ts';

/** One timing budget; all membership timeouts derive from it. Milliseconds unless named otherwise. */
export interface TimingBudget {
  /** Interval between UDP heartbeats to every peer. Default 50. */
  heartbeatMs: number;
  /** A peer silent this long is suspect. Default 300. */
  suspectMs: number;
  /**
   * A node that loses quorum must have stopped its resources within this long after the send time
   * of its latest heartbeat that a majority echoed (its self-fencing deadline). Default 400.
   */
  selfFenceMs: number;
  /** Added by the others on top of last-heard + selfFenceMs before treating a node as stopped. Default 100. */
  marginMs: number;
  /** Deadline of one store probe/call made for quorum decisions. Default 100. */
  storeCallDeadlineMs: number;
  /** TTL of the membership lease (the DC's election key is bound to it). Default 3000. */
  leaseTtlMs: number;
  /**
   * A node is quorate only while a store probe it sent less than this long ago succeeded. Longer
   * than suspectMs so that an etcd leader election (a few hundred ms) does not cost every node its
   * quorum. Default: the most rule 6 allows for the lease TTL, at most 1000 (1000 with the default
   * TTL); a budget given without it gets that derived value. Probes go out every storeGraceMs / 4.
   * Optional in this type only so that budgets written before it existed still type-check.
   */
  storeGraceMs?: number;
}

export const DEFAULT_TIMING: Readonly<TimingBudget> = Object.freeze({
  heartbeatMs: 50,
  suspectMs: 300,
  selfFenceMs: 400,
  marginMs: 100,
  storeCallDeadlineMs: 100,
  leaseTtlMs: 3000,
  storeGraceMs: 1000,
});

/** What happens to a node's resources when it loses quorum (Pacemaker's no-quorum-policy). */
export type NoQuorumPolicy = 'stop' | 'freeze' | 'ignore' | 'suicide' | 'demote';

export type PeerState =
  /** Heard within suspectMs. */
  | 'up'
  /** Silent for suspectMs or longer to this node, not (yet) confirmed lost. */
  | 'suspect'
  /** A majority of voters reports it silent (or its member key vanished): it is out of the cluster. */
  | 'lost'
  /** It left cleanly (stop(): member key deleted after its resources stopped). */
  | 'left';

export interface PeerView {
  name: string;
  id: string;
  state: PeerState;
  /** Epoch ms (this node's clock) when a heartbeat of it last arrived; 0 if never. */
  lastHeardMs: number;
  /**
   * For a lost peer: epoch ms after which it is known stopped (lastHeard + selfFenceMs + marginMs,
   * never earlier than the deadline the peer computes for itself). Absent while it is up/suspect,
   * and for a peer that left cleanly (it is stopped already).
   */
  selfFencedBy?: number;
  /** Whether it counts for quorum (configured member node). */
  voter: boolean;
  /** Whether its member key (its lease) exists in the store. */
  hasLease: boolean;
  /** Heartbeat address from its member key. */
  address?: { host: string; port: number };
}

/** This node's leadership as DC. */
export interface Leadership {
  /** Fencing token: the creation revision of this node's election key; larger than any earlier DC's. */
  readonly token: number;
  readonly fence: Fence;
  /** True until the leadership ends. */
  readonly active: boolean;
  /** A txn applied only while this leadership lasts (throws StoreError 'fenced' once it is over). */
  fencedTxn(request: TxnRequest): Promise<TxnResult>;
  /** Resolves when the leadership ends, with why. */
  readonly ended: Promise<{ reason: string; detail: string }>;
}

export interface LeaderRef {
  name: string;
  token: number;
}

export interface QuorumChange {
  quorate: boolean;
  /** One sentence: "lost quorum: store unreachable for 120 ms (last probe at ...)" */
  reason: string;
  /** When losing quorum: epoch ms by which this node must have stopped its resources. */
  deadline?: number;
}

export interface MembershipEvents {
  /** A peer's state changed (also when a lost peer's selfFencedBy passes: it is now known stopped). */
  peer: (peer: PeerView) => void;
  quorum: (change: QuorumChange) => void;
  /** Cluster-wide DC changed (any node's view); null when nobody leads. */
  dc: (leader: LeaderRef | null) => void;
  /** This node became DC. */
  leader: (leadership: Leadership) => void;
  /** This node is no longer DC. */
  'lost-leadership': (info: { token: number; reason: string; detail: string }) => void;
}

export interface MembershipView {
  readonly self: { name: string; id: string };
  readonly timing: Readonly<TimingBudget>;
  /** Every known node except self (configured voters and nodes with member keys). */
  peers(): PeerView[];
  peer(name: string): PeerView | undefined;
  /** Holds its lease, probed the store successfully within storeGraceMs, and hears a majority of voters. */
  readonly quorate: boolean;
  /** Current DC as this node sees it. */
  readonly leader: LeaderRef | null;
  /** This node's leadership, while it is DC. */
  readonly leadership: Leadership | undefined;
  /**
   * Whether `name` is known stopped at `nowMs` (epoch ms): it left cleanly, or it is lost and
   * `nowMs >= selfFencedBy`. Self is never known stopped.
   */
  knownStopped(name: string, nowMs: number): boolean;
  on<E extends keyof MembershipEvents>(event: E, listener: MembershipEvents[E]): () => void;
}

/**
 * Hook for hard self-fencing (watchdog). The fencer implements it; the default only logs.
 * - arm(deadlineMs): this node is quorate; if it stops being able to disarm/re-arm, reset at the deadline.
 * - disarm(): clean stop.
 * - expire(reason): the node lost quorum with policy 'suicide' (or failed to stop in time): reset now.
 */
export interface SelfFenceHook {
  arm(deadlineMs: number): void;
  disarm(): void;
  expire(reason: string): void;
}
