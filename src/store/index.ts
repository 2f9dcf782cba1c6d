// The store's public face: the factory and everything callers need.

import { openEmbeddedStore, type EmbeddedOptions } from './embedded.ts';
import { EtcdStore, type EtcdStoreOptions } from './etcd.ts';
import type { Store } from './types.ts';

export type StoreConfig = ({ kind: 'embedded' } & EmbeddedOptions) | ({ kind: 'etcd' } & EtcdStoreOptions);

/**
 * Open the store described by `config`. The embedded store is a fresh, empty, in-process store (not
 * distributed: for the demo, simulation and tests); etcd connects lazily, so this does not fail when
 * members are down — calls do, after their budget.
 */
export function openStore(config: StoreConfig): Store {
  switch (config.kind) {
    case 'embedded': {
      const { kind: _kind, ...options } = config;
      return openEmbeddedStore(options);
    }
    case 'etcd': {
      const { kind: _kind, ...options } = config;
      return new EtcdStore(options);
    }
  }
}

export * from './types.ts';
export { ManualClock, systemClock, type Clock, type Timer } from './clock.ts';
export { EmbeddedStore, openEmbeddedStore, type EmbeddedOptions } from './embedded.ts';
export { EtcdStore, type EtcdStoreOptions } from './etcd.ts';
export { applyEvents, watchWithRelist, type RelistHandlers, type RelistOptions, type RelistWatch } from './relist.ts';
export {
  Election,
  fencedTxn,
  leaderOf,
  type ElectionOptions,
  type Fence,
  type LeaderInfo,
  type Leadership,
  type LeadershipEnd,
  type LeadershipEndReason,
} from './election.ts';
