// How the lab starts tandemd on a host. The command line lives in this one function so that it is
// easy to follow tandemd's own options as they settle.

import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { HostRecord, LabState } from './state.ts';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const TANDEMD_BIN = join(REPO_ROOT, 'bin', 'tandemd.mjs');
export const TANDEMD_API_PORT = 7440;

export function tandemdAvailable(): boolean {
  return existsSync(TANDEMD_BIN);
}

export function etcdEndpoints(state: LabState, localFirst?: HostRecord): string {
  const hosts = localFirst ? [localFirst, ...state.hosts.filter((h) => h !== localFirst)] : state.hosts;
  return hosts.map((h) => `http://${h.address}:${state.etcd.clientPort}`).join(',');
}

export interface TandemdOptions {
  /** CIB file loaded at start (a path the host can read: the run directory is shared). */
  cibFile?: string;
  apiPort?: number;
  /** Extra arguments appended as they are. */
  extraArgs?: string[];
}

/** argv (absolute node first) that starts tandemd on `host` of the lab `state`. */
export function tandemdCommand(state: LabState, host: HostRecord, opts: TandemdOptions = {}): string[] {
  const argv = [
    process.execPath,
    TANDEMD_BIN,
    '--cluster', `lab${state.run}`,
    '--node', host.name,
    '--node-id', String(host.index),
    '--address', host.address,
    '--store', 'etcd',
    // The host's own etcd member first: the client sends its calls and opens its watch streams
    // there. With the same order everywhere, every node's watches sat on c1's member, and a crash
    // of c1 left every survivor blind until the client's watch check (1 s) moved them.
    '--etcd-endpoints', etcdEndpoints(state, host),
    '--api-port', String(opts.apiPort ?? TANDEMD_API_PORT),
    '--state-dir', '/var/lib/tandem/tandemd',
  ];
  const cib = opts.cibFile ?? state.cibFile;
  if (cib) argv.push('--cib', cib);
  if (opts.extraArgs) argv.push(...opts.extraArgs);
  return argv;
}
