// The Store contract against the embedded store, plus what only the embedded store has: an
// injectable clock, sessions sharing one backend, automatic compaction.

import { storeContract } from './store-contract.ts';
import { openEmbeddedStore, type EmbeddedStore } from '../../src/store/embedded.ts';

const backend: EmbeddedStore = openEmbeddedStore();

storeContract('embedded', () => ({
  open: async () => backend.session(),
  // Fractional TTLs are fine in one process, and keep the lease tests fast.
  leaseTtl: 0.3,
  expiryGraceMs: 50,
}));
