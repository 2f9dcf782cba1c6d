// The Controller follows this node's leadership: while the node is DC it runs one DcTerm per
// leadership (a new term for every new token), and stops it the moment the leadership ends.
import type { Leadership, MembershipView } from '../membership/types.ts';
import type { Store } from '../store/index.ts';
import { DcTerm, type ControllerCib, type DcStatus } from './dc-term.ts';
import type { Logger } from './log.ts';
import type { ControllerTiming, Fencer } from './types.ts';

export interface ControllerDeps {
  cluster: string;
  node: string;
  store: Store;
  view: MembershipView;
  cib: ControllerCib;
  fencer: Fencer;
  logger: Logger;
  timing?: Partial<ControllerTiming>;
  now?: () => number;
}

export interface ControllerStatus {
  /** Whether this node is DC now. */
  dc: boolean;
  leader: { name: string; token: number } | null;
  term?: DcStatus;
}

export class Controller {
  private term: DcTerm | undefined;
  private readonly unsubscribe: Array<() => void> = [];
  private stopped = false;
  private readonly log: Logger;

  constructor(private readonly deps: ControllerDeps) {
    this.log = deps.logger.child({ component: 'controller' });
  }

  start(): void {
    const { view } = this.deps;
    this.unsubscribe.push(
      view.on('leader', (l) => void this.follow(l)),
      view.on('lost-leadership', (info) => {
        if (this.term && this.term.token === info.token) this.term.stop(`lost leadership: ${info.reason} (${info.detail})`);
      }),
    );
    if (view.leadership?.active) void this.follow(view.leadership);
  }

  private async follow(l: Leadership): Promise<void> {
    if (this.stopped || !l.active) return;
    if (this.term?.active && this.term.token === l.token) return;
    this.term?.stop(`a newer leadership (token ${l.token}) began`);
    const term = new DcTerm({ ...this.deps, leadership: l, logger: this.log });
    this.term = term;
    try {
      await term.start();
    } catch (err) {
      term.stop(`could not start: ${(err as Error).message}`);
    }
  }

  /** The running DC term, if this node is DC. */
  get currentTerm(): DcTerm | undefined {
    return this.term?.active ? this.term : undefined;
  }

  /** Asks the DC (if this node is it) to plan again now. */
  poke(reason: string): void {
    this.currentTerm?.trigger(reason);
  }

  status(): ControllerStatus {
    const t = this.currentTerm;
    return { dc: !!t, leader: this.deps.view.leader, ...(t ? { term: t.status() } : {}) };
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    for (const u of this.unsubscribe) u();
    this.term?.stop('tandemd is stopping');
    this.term = undefined;
  }
}
