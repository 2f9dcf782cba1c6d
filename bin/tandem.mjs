#!/usr/bin/env node
// Entry point of the `tandem` command: runs the TypeScript sources through tsx, so what runs is
// always what is in src/ (no stale build output).
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../src/cli/main.ts');
await main(process.argv);
