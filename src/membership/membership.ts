// Membership of one node: its lease and member key in the store, UDP heartbeats with echoes to every
// peer, quorum, peer suspicion/loss, the self-fencing deadline, and DC election with fast takeover.
//
// SAFETY ARGUMENT (what lets a survivor recover a lost node's resources without fencing it)
// -----------------------------------------------------------------------------------------
// Clocks: every timestamp a node compares is its own (monotonic, epoch-based). Heartbeats carry the
// sender's send time; a peer echoes it back unchanged; reports of "when did you last hear X" travel
// as ages, never as foreign timestamps. Transit delay only makes an observer's estimate EARLIER.
//
// 1. A node N is quorate only while (a) it holds its lease (the store's lease-loss is local and
//    early), (b) a store probe it SENT less than storeGraceMs ago succeeded, and (c) a majority of the
//    voters (counting itself) echoed a heartbeat N sent less than suspectMs ago. Its heartbeats carry
//    `q` = whether it was quorate when it sent them.
// 2. Let s* be the send time of N's latest quorate heartbeat echoed by a majority. N's self-fencing
//    deadline is D_N = s* + selfFenceMs. N notices it is no longer quorate at the latest at
//    s* + suspectMs + one tick (heartbeatMs), and then stops its resources (node agent: demote, then
//    parallel stops) — timing rule 3 leaves selfFenceMs - suspectMs - heartbeatMs for that. A node
//    that cannot finish in time (or a frozen process) is the watchdog's job (SelfFenceHook).
// 3. An observer O only declares N lost when O itself has not heard a quorate heartbeat of N for
//    suspectMs AND a majority of voters (O's own view plus fresh reports) say the same. It then treats
//    N as stopped at B = L + selfFenceMs + marginMs, where L is the latest time any report or direct
//    reception tells O that a quorate heartbeat of N was heard.
// 4. B >= D_N: every heartbeat echoed by a majority was received by some voter V. If O learns of V's
//    reception (V's next report, at most heartbeatMs + transit later), L >= receive time >= s*, so
//    B >= s* + selfFenceMs + marginMs > D_N. If O has not learned of it by B, that echoing happened
//    in the last heartbeatMs + transit before B, i.e. after L + selfFenceMs + marginMs - heartbeatMs
//    - transit >= L + suspectMs + heartbeatMs (rules 3, 4, transit <= marginMs): for the whole
//    interval (L, L + suspectMs + heartbeatMs] no quorate heartbeat of N was echoed, so N lost
//    quorum by then and was stopped by its deadline (<= L + selfFenceMs) before B. A node that
//    regains quorum later does not restart anything by itself: only the DC starts resources.
// 5. A vanished member key (lease expired in the store) alone proves N stopped: the store expires a
//    lease no earlier than 2/3 ttl after N's last good probe (keep-alives every ttl/3), and N was
//    stopped by last good probe + storeGraceMs + heartbeatMs + selfFenceMs (timing rule 6). A probe
//    counts from its SEND time, so a late answer is as good as a prompt one (it proves the store
//    answered something sent then); storeGraceMs (> suspectMs) lets a node ride out an etcd leader
//    election without losing quorum, while peer loss is still decided by heartbeats after suspectMs.
// 6. Fast DC takeover: a quorate candidate whose every predecessor in the election queue is lost
//    AND known stopped (3 or 5) deletes their keys in one txn, each compared on its createRevision
//    (so a key re-created meanwhile is untouched) and wins at once. Deleting the key fences the old
//    DC: its fenced txns compare that createRevision and fail. Tokens still only grow (election.ts).
// 7. A DC that loses quorum resigns (best effort); if it cannot reach the store to do so, 3/5/6
//    apply to it like to any node.

import dgram from 'node:dgram';
import { EventEmitter } from 'node:events';
import { Election, type Leadership as StoreLeadership } from '../store/election.ts';
import { watchWithRelist, type RelistWatch } from '../store/relist.ts';
import { StoreError, type KeyValue, type Lease, type Store, type TxnRequest } from '../store/types.ts';
import { CibStore } from '../cib/cib-store.ts';
import { decodeRecord, encodeRecord, keys, parseKey, type MemberRecord } from '../cib/store-layout.ts';
import { firstChild } from '../cib/xml.ts';
import { probeIntervalOf, resolveTimingBudget, storeGraceOf } from './timing.ts';
import type {
  LeaderRef,
  Leadership,
  MembershipEvents,
  MembershipView,
  PeerState,
  PeerView,
  QuorumChange,
  SelfFenceHook,
  TimingBudget,
} from './types.ts';

export interface MembershipOptions {
  store: Store;
  cluster: string;
  node: string;
  nodeId?: string;
  /** UDP heartbeat address. Default 127.0.0.1, port 0 (any free port). */
  host?: string;
  port?: number;
  timing?: Partial<TimingBudget>;
  /** Voters (configured member nodes). Default: the configuration's <nodes>, or the members seen. */
  voters?: string[];
  /** Stand for DC. Default true. */
  candidate?: boolean;
  selfFence?: SelfFenceHook;
  /** Node's API address, published in its member key. */
  api?: string;
  log?: (line: string) => void;
}

/** Epoch milliseconds from a monotonic source. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

export const loggingSelfFenceHook = (log: (l: string) => void): SelfFenceHook => ({
  arm: () => {},
  disarm: () => log('self-fence hook disarmed'),
  expire: (reason) => log(`self-fence hook EXPIRED: ${reason} (no watchdog configured: nothing reset)`),
});

interface HeartbeatMessage {
  v: 1;
  c: string;
  from: string;
  id: string;
  inc: number;
  sent: number;
  q: boolean;
  leaving?: boolean;
  /** Latest send time of each peer's heartbeat this node received (the peer's clock). */
  echo: Record<string, number>;
  /** Age (ms) of the latest quorate heartbeat of each node this sender heard; -1 never. */
  heard: Record<string, number>;
}

interface Peer {
  name: string;
  id: string;
  address?: { host: string; port: number };
  hasLease: boolean;
  everSeenKey: boolean;
  keyVanishedAt?: number;
  incarnation?: number;
  /** Any heartbeat received (epoch ms, our clock). */
  lastDirect: number;
  /** Quorate heartbeat received directly. */
  lastQuorateDirect: number;
  /** Latest moment any voter (us included) is known to have heard a quorate heartbeat of it. */
  lastKnown: number;
  /** Latest send time of its heartbeat (its clock): what we echo. */
  theirLatestSent?: number;
  /** Latest of OUR send times it echoed. */
  echoOfMine?: number;
  report?: { at: number; heard: Record<string, number> };
  leaving: boolean;
  state: PeerState;
  selfFencedBy?: number;
  /** state was reported as known-stopped already (for the one-shot event). */
  stoppedReported: boolean;
}

export class Membership implements MembershipView {
  readonly self: { name: string; id: string };
  readonly timing: Readonly<TimingBudget>;
  private readonly events = new EventEmitter();
  private readonly peersMap = new Map<string, Peer>();
  private readonly cibStore: CibStore;
  private socket: dgram.Socket | undefined;
  private lease: Lease | undefined;
  private incarnation = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  /** Re-evaluates right when the next lost peer becomes known stopped (not at the next tick). */
  private stoppedTimer: NodeJS.Timeout | undefined;
  private stoppedTimerAt = Infinity;
  private running = false;
  private dead = false;
  private linkDown = false;
  /** Public quorum: internal quorum AND a majority echoed a heartbeat sent since it was gained. */
  private isQuorate = false;
  /** Raw quorum (what heartbeats carry as `q`). */
  private internalQuorate = false;
  private quorumGainedAt = 0;
  private lastGoodProbeSent = 0;
  private lastQuorateSent = 0;
  /** Our recent heartbeats, oldest first: send times and whether each was sent while quorate. */
  private sentTimes: number[] = [];
  private sentQuorate: boolean[] = [];
  /** Store probes sent and not answered yet. */
  private probesInFlight = 0;
  private lastProbeSentAt = 0;
  private voterSet: Set<string> | undefined;
  private configVoters: Set<string> | undefined;
  private membersWatch: RelistWatch | undefined;
  private candidatesWatch: RelistWatch | undefined;
  private configWatch: RelistWatch | undefined;
  private membersLoaded = false;
  private readonly candidates = new Map<string, KeyValue>();
  private election: Election | undefined;
  private campaigning = false;
  private myLeadership: (Leadership & { inner: StoreLeadership }) | undefined;
  private leaderRef: LeaderRef | null = null;
  private unobserve: (() => void) | undefined;
  private takeoverInFlight = false;
  private rejoining = false;
  private lossDeadline: number | undefined;
  private readonly hook: SelfFenceHook;
  private readonly log: (line: string) => void;
  private boundPort = 0;
  private readonly storeGraceMs: number;
  private readonly probeIntervalMs: number;
  private readonly memberKey: string;

  private constructor(private readonly opts: MembershipOptions) {
    this.timing = Object.freeze(resolveTimingBudget(opts.timing));
    this.storeGraceMs = storeGraceOf(this.timing);
    this.probeIntervalMs = probeIntervalOf(this.timing);
    this.memberKey = keys.member(opts.cluster, opts.node);
    this.self = { name: opts.node, id: opts.nodeId ?? opts.node };
    this.cibStore = new CibStore(opts.store, opts.cluster);
    this.log = opts.log ?? (() => {});
    this.hook = opts.selfFence ?? loggingSelfFenceHook(this.log);
    if (opts.voters) this.voterSet = new Set(opts.voters);
  }

  /** Join: bind the heartbeat socket, take a lease, write the member key, start heartbeats, campaign. */
  static async start(opts: MembershipOptions): Promise<Membership> {
    const m = new Membership(opts);
    await m.begin();
    return m;
  }

  get port(): number {
    return this.boundPort;
  }

  get selfFence(): SelfFenceHook {
    return this.hook;
  }

  private async begin(): Promise<void> {
    this.running = true;
    const socket = dgram.createSocket('udp4');
    this.socket = socket;
    socket.on('message', (buf) => this.onMessage(buf));
    socket.on('error', (err) => this.log(`heartbeat socket error: ${err.message}`));
    await new Promise<void>((res, rej) => {
      socket.once('error', rej);
      socket.bind(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        socket.off('error', rej);
        res();
      });
    });
    this.boundPort = socket.address().port;
    socket.unref();
    const c = this.opts.cluster;
    this.membersWatch = watchWithRelist(this.opts.store, keys.membersPrefix(c), {
      onSnapshot: (kvs) => {
        const seen = new Set<string>();
        for (const kv of kvs) seen.add(this.onMemberKey(kv));
        for (const p of this.peersMap.values()) if (!seen.has(p.name)) this.onMemberGone(p.name);
        this.membersLoaded = true;
        this.evaluate();
      },
      onEvents: (events) => {
        for (const e of events) {
          if (e.type === 'put') this.onMemberKey(e.kv);
          else this.onMemberGone(parseKey(keys.membersPrefix(c), e.key)[0]!);
        }
        this.evaluate();
      },
      onError: (err) => this.log(`member watch ended: ${err.message}`),
    });
    this.candidatesWatch = watchWithRelist(this.opts.store, keys.electionCandidatesPrefix(c), {
      onSnapshot: (kvs) => {
        this.candidates.clear();
        for (const kv of kvs) this.candidates.set(kv.key, kv);
      },
      onEvents: (events) => {
        for (const e of events) {
          if (e.type === 'put') this.candidates.set(e.key, e.kv);
          else this.candidates.delete(e.key);
        }
      },
      onError: (err) => this.log(`election watch ended: ${err.message}`),
    });
    if (!this.voterSet) {
      this.configWatch = this.cibStore.watchConfiguration(
        (config) => {
          const nodes = config ? firstChild(config.element, 'nodes') : undefined;
          const names = (nodes?.children ?? [])
            .filter((n) => n.name === 'node' && (n.attrs.type ?? 'member') === 'member')
            .map((n) => n.attrs.uname ?? n.attrs.id ?? '')
            .filter(Boolean);
          this.configVoters = names.length ? new Set(names) : undefined;
          for (const n of names) this.peerOf(n);
        },
        (err) => this.log(`configuration watch: ${err.message}`),
      );
    } else {
      for (const v of this.voterSet) this.peerOf(v);
    }
    await this.joinStore();
    await Promise.all([this.membersWatch.ready, this.candidatesWatch.ready]);
    this.election = new Election(this.opts.store, { prefix: keys.election(c), nodeId: this.self.name, lease: this.lease! });
    this.unobserve = this.election.observe((info) => {
      if (this.dead) return;
      const next = info.nodeId && info.token !== null ? { name: info.nodeId, token: info.token } : null;
      if (next?.name !== this.leaderRef?.name || next?.token !== this.leaderRef?.token) {
        this.leaderRef = next;
        this.emit('dc', next);
      }
    });
    this.tick();
  }

  /** Take a lease and write our member key. */
  private async joinStore(): Promise<void> {
    const lease = await this.opts.store.grantLease(this.timing.leaseTtlMs / 1000);
    this.lease = lease;
    this.incarnation = Math.floor(nowMs());
    const putSent = nowMs();
    const rec: MemberRecord = {
      name: this.self.name,
      id: this.self.id,
      host: this.opts.host ?? '127.0.0.1',
      port: this.boundPort,
      leaseId: lease.id,
      incarnation: this.incarnation,
      heartbeatMs: this.timing.heartbeatMs,
      ...(this.opts.api ? { api: this.opts.api } : {}),
    };
    await this.opts.store.put(keys.member(this.opts.cluster, this.self.name), encodeRecord(rec), { lease: lease.id });
    this.lastGoodProbeSent = Math.max(this.lastGoodProbeSent, putSent);
    lease.onLost((reason, detail) => {
      if (this.dead || !this.running) return;
      this.log(`${this.self.name} lost its membership lease (${reason}): ${detail}`);
      this.evaluate();
      void this.rejoin();
    });
  }

  /** After lease loss: a new lease, member key and election entry, retried while running. */
  private async rejoin(): Promise<void> {
    if (this.rejoining) return;
    this.rejoining = true;
    try {
      while (this.running && !this.dead && (!this.lease || this.lease.lost)) {
        try {
          await this.joinStore();
          this.election = new Election(this.opts.store, { prefix: keys.election(this.opts.cluster), nodeId: this.self.name, lease: this.lease! });
          this.campaigning = false;
        } catch (err) {
          this.log(`${this.self.name}: rejoin failed: ${(err as Error).message}`);
          await sleep(200);
        }
      }
    } finally {
      this.rejoining = false;
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Public view

  get quorate(): boolean {
    return this.isQuorate;
  }

  get leader(): LeaderRef | null {
    return this.leaderRef;
  }

  get leadership(): Leadership | undefined {
    return this.myLeadership?.active ? this.myLeadership : undefined;
  }

  /** While not quorate: epoch ms by which this node must have stopped its resources. */
  selfDeadline(): number | undefined {
    return this.isQuorate ? undefined : this.lossDeadline;
  }

  /** Current deadline if quorum were lost now (s* + selfFenceMs). */
  currentDeadline(): number | undefined {
    const s = this.majorityEchoedSend();
    return s === undefined ? undefined : s + this.timing.selfFenceMs;
  }

  voters(): string[] {
    return [...this.currentVoters()].sort();
  }

  peers(): PeerView[] {
    return [...this.peersMap.values()].filter((p) => p.name !== this.self.name).map((p) => this.viewOf(p));
  }

  peer(name: string): PeerView | undefined {
    const p = this.peersMap.get(name);
    return p && name !== this.self.name ? this.viewOf(p) : undefined;
  }

  knownStopped(name: string, now: number): boolean {
    if (name === this.self.name) return false;
    const p = this.peersMap.get(name);
    if (!p) return false;
    if (p.state === 'left') return true;
    return p.state === 'lost' && p.selfFencedBy !== undefined && now >= p.selfFencedBy;
  }

  on<E extends keyof MembershipEvents>(event: E, listener: MembershipEvents[E]): () => void {
    this.events.on(event, listener as (...a: unknown[]) => void);
    return () => void this.events.off(event, listener as (...a: unknown[]) => void);
  }

  private emit<E extends keyof MembershipEvents>(event: E, ...args: Parameters<MembershipEvents[E]>): void {
    if (this.dead) return;
    for (const l of this.events.listeners(event)) {
      try {
        (l as (...a: unknown[]) => void)(...args);
      } catch (err) {
        this.log(`membership ${event} listener threw: ${(err as Error).message}`);
      }
    }
  }

  private viewOf(p: Peer): PeerView {
    const v: PeerView = { name: p.name, id: p.id, state: p.state, lastHeardMs: p.lastQuorateDirect, voter: this.currentVoters().has(p.name), hasLease: p.hasLease };
    if (p.selfFencedBy !== undefined && p.state === 'lost') v.selfFencedBy = p.selfFencedBy;
    if (p.address) v.address = { ...p.address };
    return v;
  }

  // ---------------------------------------------------------------------------------------------
  // Test and shutdown controls

  /** Drop every heartbeat in and out (a cut network link). */
  setLinkDown(down: boolean): void {
    this.linkDown = down;
  }

  /**
   * Leave cleanly: resign as DC, announce leaving, delete the member key and revoke the lease.
   * Call after this node's resources are stopped (the node agent does).
   */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.hook.disarm();
    this.sendHeartbeats(true);
    this.running = false;
    this.clearTimers();
    try {
      await this.election?.close();
    } catch {
      /* best effort */
    }
    this.sendHeartbeats(true, true);
    try {
      await this.opts.store.delete(keys.member(this.opts.cluster, this.self.name));
      await this.lease?.revoke();
    } catch (err) {
      this.log(`${this.self.name}: leaving: ${(err as Error).message}`);
    }
    this.closeWatches();
    this.socket?.close();
    this.socket = undefined;
  }

  /** Crash: go silent at once; no store writes, no events, lease left to expire. */
  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.running = false;
    this.clearTimers();
    this.lease?.stopKeepAlive();
    this.closeWatches();
    try {
      this.socket?.close();
    } catch {
      /* already closed */
    }
    this.socket = undefined;
    this.events.removeAllListeners();
  }

  private clearTimers(): void {
    if (this.tickTimer) clearTimeout(this.tickTimer);
    if (this.stoppedTimer) clearTimeout(this.stoppedTimer);
    this.tickTimer = this.stoppedTimer = undefined;
    this.stoppedTimerAt = Infinity;
  }

  private closeWatches(): void {
    this.membersWatch?.cancel();
    this.candidatesWatch?.cancel();
    this.configWatch?.cancel();
    this.unobserve?.();
  }

  // ---------------------------------------------------------------------------------------------
  // Heartbeats

  private peerOf(name: string): Peer {
    let p = this.peersMap.get(name);
    if (!p) {
      p = { name, id: name, hasLease: false, everSeenKey: false, lastDirect: 0, lastQuorateDirect: 0, lastKnown: 0, leaving: false, state: 'suspect', stoppedReported: false };
      if (this.membersLoaded) p.keyVanishedAt = nowMs();
      this.peersMap.set(name, p);
    }
    return p;
  }

  private onMemberKey(kv: KeyValue): string {
    const rec = decodeRecord<MemberRecord>(kv.key, kv.value);
    if (rec.name === this.self.name) return rec.name;
    const p = this.peerOf(rec.name);
    p.id = rec.id;
    p.address = { host: rec.host, port: rec.port };
    p.hasLease = true;
    p.everSeenKey = true;
    delete p.keyVanishedAt;
    if (p.incarnation !== rec.incarnation) {
      p.incarnation = rec.incarnation;
      p.leaving = false;
      delete p.echoOfMine;
      delete p.theirLatestSent;
    }
    return rec.name;
  }

  private onMemberGone(name: string): void {
    if (name === this.self.name) return;
    const p = this.peerOf(name);
    if (!p.hasLease && p.keyVanishedAt !== undefined) return;
    p.hasLease = false;
    p.keyVanishedAt = nowMs();
  }

  private onMessage(buf: Buffer): void {
    if (this.linkDown || this.dead) return;
    let msg: HeartbeatMessage;
    try {
      msg = JSON.parse(buf.toString('utf8')) as HeartbeatMessage;
    } catch {
      return;
    }
    if (msg.v !== 1 || msg.c !== this.opts.cluster || msg.from === this.self.name) return;
    const now = nowMs();
    const p = this.peerOf(msg.from);
    if (p.incarnation !== undefined && msg.inc !== p.incarnation && msg.inc < p.incarnation) return; // stale incarnation
    p.lastDirect = now;
    p.theirLatestSent = msg.sent;
    if (msg.leaving) p.leaving = true;
    const echoed = msg.echo[this.self.name];
    if (echoed !== undefined && (p.echoOfMine === undefined || echoed > p.echoOfMine)) p.echoOfMine = echoed;
    p.report = { at: now, heard: msg.heard };
    for (const [name, age] of Object.entries(msg.heard)) {
      if (age < 0 || name === this.self.name) continue;
      const q = this.peerOf(name);
      q.lastKnown = Math.max(q.lastKnown, now - age);
    }
    if (msg.q) {
      p.lastQuorateDirect = now;
      p.lastKnown = Math.max(p.lastKnown, now);
      if (p.state !== 'up' && !msg.leaving) this.setState(p, 'up', 'quorate heartbeat received');
    }
  }

  private sendHeartbeats(leaving = false, force = false): void {
    if ((!this.running && !force) || !this.socket || this.dead) return;
    const now = nowMs();
    const echo: Record<string, number> = {};
    const heard: Record<string, number> = {};
    for (const p of this.peersMap.values()) {
      if (p.theirLatestSent !== undefined) echo[p.name] = p.theirLatestSent;
      heard[p.name] = p.lastQuorateDirect ? Math.round(now - p.lastQuorateDirect) : -1;
    }
    const q = this.internalQuorate && !leaving;
    const msg: HeartbeatMessage = { v: 1, c: this.opts.cluster, from: this.self.name, id: this.self.id, inc: this.incarnation, sent: now, q, echo, heard, ...(leaving ? { leaving } : {}) };
    this.sentTimes.push(now);
    this.sentQuorate.push(q);
    if (q) this.lastQuorateSent = now;
    if (this.sentTimes.length > 400) {
      this.sentTimes = this.sentTimes.slice(200);
      this.sentQuorate = this.sentQuorate.slice(200);
    }
    if (this.linkDown) return;
    const buf = Buffer.from(JSON.stringify(msg));
    for (const p of this.peersMap.values()) {
      if (!p.address || !p.hasLease) continue;
      this.socket.send(buf, p.address.port, p.address.host, () => {});
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Quorum, peer states, deadlines

  private currentVoters(): Set<string> {
    if (this.voterSet) return this.voterSet;
    if (this.configVoters) return this.configVoters;
    const s = new Set<string>([this.self.name]);
    for (const p of this.peersMap.values()) if (p.hasLease) s.add(p.name);
    return s;
  }

  /** s*: send time of our latest quorate heartbeat echoed by a majority of voters (self included). */
  private majorityEchoedSend(): number | undefined {
    const voters = this.currentVoters();
    const need = Math.floor(voters.size / 2) + 1;
    const times: number[] = [];
    if (voters.has(this.self.name) && this.lastQuorateSent) times.push(this.lastQuorateSent);
    for (const v of voters) {
      if (v === this.self.name) continue;
      const e = this.peersMap.get(v)?.echoOfMine;
      if (e === undefined) continue;
      // Only echoes of heartbeats sent while quorate count for the deadline.
      const best = this.latestQuorateSentAtOrBefore(e);
      if (best !== undefined) times.push(best);
    }
    if (times.length < need) return undefined;
    times.sort((a, b) => b - a);
    return times[need - 1];
  }

  /** Send time of our latest heartbeat sent while quorate, at or before `t` (binary search). */
  private latestQuorateSentAtOrBefore(t: number): number | undefined {
    const times = this.sentTimes;
    let lo = 0;
    let hi = times.length; // first index with time > t
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (times[mid]! <= t) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0; i--) if (this.sentQuorate[i]) return times[i];
    return undefined;
  }

  private quorumCheck(now: number): { ok: boolean; reason: string } {
    if (!this.lease || this.lease.lost) return { ok: false, reason: 'it holds no membership lease' };
    const probeAge = now - this.lastGoodProbeSent;
    if (probeAge >= this.storeGraceMs) return { ok: false, reason: `no store probe sent in the last ${this.storeGraceMs} ms succeeded (last good one sent ${Math.round(probeAge)} ms ago)` };
    const voters = this.currentVoters();
    let fresh = voters.has(this.self.name) ? 1 : 0;
    for (const v of voters) {
      if (v === this.self.name) continue;
      const e = this.peersMap.get(v)?.echoOfMine;
      if (e !== undefined && now - e < this.timing.suspectMs) fresh++;
    }
    if (fresh * 2 <= voters.size) return { ok: false, reason: `only ${fresh} of ${voters.size} voters echoed its heartbeats within ${this.timing.suspectMs} ms` };
    return { ok: true, reason: `${fresh} of ${voters.size} voters echo its heartbeats and the store answers` };
  }

  private setState(p: Peer, state: PeerState, why: string): void {
    if (p.state === state) return;
    const from = p.state;
    p.state = state;
    p.stoppedReported = false;
    if (state !== 'lost') delete p.selfFencedBy;
    this.log(`${this.self.name}: peer ${p.name} ${from} -> ${state}: ${why}`);
    this.emit('peer', this.viewOf(p));
  }

  private evaluate(): void {
    if (!this.running || this.dead) return;
    const now = nowMs();
    const t = this.timing;
    const voters = this.currentVoters();
    if (this.membersLoaded) {
      for (const p of this.peersMap.values()) {
        if (p.name === this.self.name) continue;
        if (p.state === 'left' || (p.leaving && !p.hasLease)) {
          this.setState(p, 'left', 'it left the cluster cleanly');
          continue;
        }
        if (p.state === 'lost') {
          if (p.selfFencedBy !== undefined && now >= p.selfFencedBy && !p.stoppedReported) {
            p.stoppedReported = true;
            this.log(`${this.self.name}: ${p.name} is known stopped (self-fencing bound passed)`);
            this.emit('peer', this.viewOf(p));
          }
          continue;
        }
        if (!p.hasLease && p.keyVanishedAt !== undefined) {
          // Rule 5: a vanished lease proves it stopped; the heartbeat bound may be earlier still.
          const hb = p.lastKnown ? p.lastKnown + t.selfFenceMs + t.marginMs : 0;
          p.selfFencedBy = Math.min(p.keyVanishedAt, Math.max(hb, 0) || p.keyVanishedAt);
          p.state = 'suspect';
          this.setState(p, 'lost', p.everSeenKey ? 'its membership lease is gone from the store' : 'it holds no membership lease');
          continue;
        }
        const silent = p.lastQuorateDirect ? now - p.lastQuorateDirect : Infinity;
        if (silent < t.suspectMs) {
          if (p.state !== 'up' && p.lastQuorateDirect) this.setState(p, 'up', 'heard');
          continue;
        }
        if (p.state !== 'suspect') this.setState(p, 'suspect', `no quorate heartbeat for ${Math.round(Math.min(silent, 1e9))} ms`);
        // Lost once a majority of voters says it is silent (our own view included).
        let silentVotes = voters.has(this.self.name) ? 1 : 0;
        for (const v of voters) {
          if (v === this.self.name || v === p.name) continue;
          const r = this.peersMap.get(v)?.report;
          if (!r || now - r.at >= t.suspectMs) continue;
          const age = r.heard[p.name];
          if (age === undefined || age < 0 || age + (now - r.at) >= t.suspectMs) silentVotes++;
        }
        if (silentVotes * 2 > voters.size && this.isQuorate) {
          p.selfFencedBy = p.lastKnown + t.selfFenceMs + t.marginMs;
          this.setState(p, 'lost', `${silentVotes} of ${voters.size} voters have not heard it for ${t.suspectMs} ms; known stopped at +${Math.round(p.selfFencedBy - now)} ms`);
        }
      }
    }
    this.armStoppedTimer(now);
    const q = this.quorumCheck(now);
    if (q.ok && !this.internalQuorate) this.quorumGainedAt = now;
    this.internalQuorate = q.ok;
    let publicOk = q.ok;
    if (q.ok && !this.isQuorate) {
      // Act only once a majority echoed a quorate heartbeat: they then count this node as up
      // (safety argument, point 1).
      const s = this.majorityEchoedSend();
      publicOk = s !== undefined && s >= this.quorumGainedAt;
    }
    if (publicOk !== this.isQuorate) {
      if (publicOk) {
        this.isQuorate = true;
        this.lossDeadline = undefined;
        this.log(`${this.self.name} is quorate: ${q.reason}`);
        this.emit('quorum', { quorate: true, reason: `gained quorum: ${q.reason}` });
      } else {
        const s = this.majorityEchoedSend();
        this.lossDeadline = s !== undefined ? s + t.selfFenceMs : now;
        this.isQuorate = false;
        const change: QuorumChange = { quorate: false, reason: `lost quorum: ${q.reason}`, deadline: this.lossDeadline };
        this.log(`${this.self.name} ${change.reason}; must be stopped by +${Math.round(this.lossDeadline - now)} ms`);
        this.emit('quorum', change);
        void this.leaveElection();
      }
    }
    if (this.isQuorate) {
      const d = this.currentDeadline();
      if (d !== undefined) this.hook.arm(d);
      this.maybeCampaign();
      this.maybeTakeOver(now);
    }
  }

  /**
   * A lost peer becomes known stopped at its selfFencedBy: evaluate right then, so the 'peer' event
   * (the DC re-plans) and a fast DC takeover happen at the bound, not up to one tick later.
   */
  private armStoppedTimer(now: number): void {
    let next = Infinity;
    for (const p of this.peersMap.values()) {
      if (p.state === 'lost' && !p.stoppedReported && p.selfFencedBy !== undefined && p.selfFencedBy > now) next = Math.min(next, p.selfFencedBy);
    }
    if (next === this.stoppedTimerAt) return;
    if (this.stoppedTimer) clearTimeout(this.stoppedTimer);
    this.stoppedTimer = undefined;
    this.stoppedTimerAt = next;
    if (next === Infinity) return;
    this.stoppedTimer = setTimeout(() => {
      this.stoppedTimer = undefined;
      this.stoppedTimerAt = Infinity;
      this.evaluate();
    }, Math.ceil(next - now) + 1);
    this.stoppedTimer.unref?.();
  }

  private tick(): void {
    if (!this.running || this.dead) return;
    this.sendHeartbeats();
    // The store probe rides on the heartbeat tick (one timer, not two).
    if (nowMs() - this.lastProbeSentAt >= this.probeIntervalMs - this.timing.heartbeatMs / 2) this.probe();
    this.evaluate();
    this.tickTimer = setTimeout(() => this.tick(), this.timing.heartbeatMs);
    this.tickTimer.unref?.();
  }

  /**
   * Store probe: a linearizable read of our member key, every storeGraceMs / 4 (on the heartbeat
   * tick, so with heartbeatMs 50: every 250 ms give or take 25). It counts from its
   * send time, so an answer that comes late (the etcd client retries on other members while etcd
   * elects a leader) still proves what it proves. A few may be in flight at once, so one hanging
   * call does not stop the next from getting through.
   */
  private probe(): void {
    if (!this.running || this.dead) return;
    this.lastProbeSentAt = nowMs();
    if (this.probesInFlight < 3) {
      this.probesInFlight++;
      const sent = this.lastProbeSentAt;
      const leaseId = this.lease?.id;
      this.opts.store.get(this.memberKey).then(
        (r) => {
          this.probesInFlight--;
          if (r.kv && r.kv.lease === leaseId && sent > this.lastGoodProbeSent) this.lastGoodProbeSent = sent;
        },
        () => this.probesInFlight--,
      );
    }
  }

  // ---------------------------------------------------------------------------------------------
  // DC election

  private maybeCampaign(): void {
    if (this.opts.candidate === false || this.campaigning || !this.election || !this.lease || this.lease.lost) return;
    this.campaigning = true;
    const election = this.election;
    // A key left from before a quorum loss (resign failed) must not make us DC again with its old
    // token: remove it (only that incarnation) and enter the queue afresh.
    const stale = this.candidates.get(keys.electionCandidatesPrefix(this.opts.cluster) + this.self.name);
    const clear = stale
      ? this.opts.store.txn({ compares: [{ key: stale.key, target: 'createRevision', op: '==', value: stale.createRevision }], success: [{ type: 'delete', key: stale.key }] }).then(() => undefined)
      : Promise.resolve();
    clear.then(() => election.campaign()).then(
      (inner) => {
        if (this.dead) return;
        const token = inner.token;
        const l = {
          inner,
          token,
          fence: inner.fence,
          get active() {
            return inner.active;
          },
          fencedTxn: (req: TxnRequest) => election.fencedTxn(token, req),
          ended: inner.ended,
        };
        this.myLeadership = l;
        this.log(`${this.self.name} is DC with token ${token}`);
        this.emit('leader', l);
        void inner.ended.then((end) => {
          if (this.myLeadership === l) this.myLeadership = undefined;
          this.campaigning = false;
          this.log(`${this.self.name} is no longer DC (token ${token}): ${end.detail}`);
          this.emit('lost-leadership', { token, reason: end.reason, detail: end.detail });
        });
      },
      (err: unknown) => {
        this.campaigning = false;
        if (!(err instanceof StoreError && err.code === 'not-leader')) this.log(`${this.self.name}: campaign failed: ${(err as Error).message}`);
      },
    );
  }

  private async leaveElection(): Promise<void> {
    if (!this.campaigning || !this.election) return;
    try {
      await this.election.resign();
    } catch (err) {
      this.log(`${this.self.name}: could not resign after losing quorum: ${(err as Error).message}`);
    }
  }

  /** Safety argument, point 6. */
  private maybeTakeOver(now: number): void {
    if (this.takeoverInFlight || this.myLeadership?.active) return;
    const prefix = keys.electionCandidatesPrefix(this.opts.cluster);
    const mine = this.candidates.get(prefix + this.self.name);
    if (!mine || (this.lease && mine.lease !== this.lease.id)) return;
    const ahead = [...this.candidates.values()].filter((kv) => kv.createRevision < mine.createRevision);
    if (ahead.length === 0) return;
    for (const kv of ahead) {
      const name = kv.key.slice(prefix.length);
      if (!this.knownStopped(name, now)) return;
    }
    this.takeoverInFlight = true;
    const names = ahead.map((kv) => kv.key.slice(prefix.length));
    this.opts.store
      .txn({
        compares: ahead.map((kv) => ({ key: kv.key, target: 'createRevision' as const, op: '==' as const, value: kv.createRevision })),
        success: ahead.map((kv) => ({ type: 'delete' as const, key: kv.key })),
      })
      .then(
        (res) => {
          if (res.succeeded) this.log(`${this.self.name} takes over as DC: ${names.join(', ')} ${names.length === 1 ? 'is' : 'are'} lost and known stopped (removed their election keys at revision ${res.revision})`);
        },
        (err: unknown) => this.log(`${this.self.name}: fast takeover failed: ${(err as Error).message}`),
      )
      .finally(() => (this.takeoverInFlight = false));
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
