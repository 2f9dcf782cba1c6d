#!/usr/bin/env node
// Entry point of `tandemd`, the per-node daemon: runs the TypeScript sources through tsx.
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/daemon/main.ts');
await main(process.argv);
