// Which agents are installed: the listing `tandem resource agents` and the API show.

import { readdir } from 'node:fs/promises';
import { isExecutable } from './ocf-runner.ts';
import type { ResourceStandard } from './types.ts';

export interface AgentRef {
  standard: ResourceStandard;
  provider?: string;
  type: string;
}

export interface CatalogPaths {
  ocfRoot: string;
  initDir: string;
}

async function executablesIn(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const found: string[] = [];
  for (const name of names.sort()) {
    // Hidden files are libraries (heartbeat/.ocf-shellfuncs), not agents.
    if (!name.startsWith('.') && (await isExecutable(`${dir}/${name}`))) found.push(name);
  }
  return found;
}

export async function listOcfProviders(ocfRoot: string): Promise<string[]> {
  try {
    const entries = await readdir(`${ocfRoot}/resource.d`, { withFileTypes: true });
    return entries.filter((e) => e.isDirectory() || e.isSymbolicLink()).map((e) => e.name).sort();
  } catch {
    return [];
  }
}

export async function listAgents(paths: CatalogPaths, standard: ResourceStandard, provider?: string): Promise<AgentRef[]> {
  switch (standard) {
    case 'ocf': {
      const providers = provider ? [provider] : await listOcfProviders(paths.ocfRoot);
      const out: AgentRef[] = [];
      for (const p of providers) {
        for (const type of await executablesIn(`${paths.ocfRoot}/resource.d/${p}`)) out.push({ standard: 'ocf', provider: p, type });
      }
      return out;
    }
    case 'lsb':
    case 'service':
      return (await executablesIn(paths.initDir)).map((type) => ({ standard, type }));
    case 'process':
      return [{ standard: 'process', type: 'process' }];
    case 'systemd':
      return []; // not supported: see SystemdUnavailable in executor.ts
  }
}
