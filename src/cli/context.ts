// How a `tandem` command reaches the cluster: the API of any node (--url / TANDEM_URL / the
// "url" of ~/.config/tandem/cli.json, default http://127.0.0.1:7480; --token / TANDEM_TOKEN /
// "token"), or a CIB file (-f FILE / TANDEM_CIB_FILE, as `pcs -f`), which lets a whole
// configuration be built offline and imported later.
//
// Every configuration change is ONE version-checked write: read the configuration with its
// revision, apply a pure edit, write it back expecting that revision. A concurrent change is
// refused (409) and reported, never merged.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { ApiClient, ApiError } from '../api/client.ts';
import { CibError, firstChild, parseXml, serializeXml, type XmlElement } from '../cib/xml.ts';
import { CliError } from './errors.ts';
import { emptyConfiguration, type EditResult } from './edit/tree.ts';

export const DEFAULT_URL = 'http://127.0.0.1:7480';

export interface GlobalOptions {
  url?: string;
  token?: string;
  file?: string;
  json?: boolean;
  ca?: string;
}

/** Adds the options every command that talks to the cluster takes. */
export function withTarget(cmd: Command, opts: { json?: boolean } = { json: true }): Command {
  cmd
    .option('--url <url>', `API of any node (env TANDEM_URL; default ${DEFAULT_URL})`)
    .option('--token <token>', 'API token (env TANDEM_TOKEN)')
    .option('--ca <file>', 'CA certificate to trust for https (env TANDEM_CA)')
    .option('-f, --file <cib.xml>', 'work on this CIB file instead of the live cluster, as pcs -f (env TANDEM_CIB_FILE)');
  if (opts.json !== false) cmd.option('--json', 'print JSON instead of text');
  return cmd;
}

interface CliFileConfig {
  url?: string;
  token?: string;
  ca?: string;
}

function fileConfig(env: NodeJS.ProcessEnv): CliFileConfig {
  const path = env.TANDEM_CLI_CONFIG ?? join(env.HOME ?? homedir(), '.config', 'tandem', 'cli.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return {};
  }
  try {
    return JSON.parse(text) as CliFileConfig;
  } catch {
    throw new CliError(`${path} is not valid JSON; expected e.g. {"url": "https://node1:7480", "token": "..."}`);
  }
}

/** Where configuration reads and writes go. */
export interface Target {
  /** "http://... " or "file cib.xml", for messages. */
  readonly where: string;
  readonly api?: ApiClient;
  readonly file?: string;
  readConfig(): Promise<{ conf: XmlElement; revision: number }>;
  writeConfig(conf: XmlElement, expectedRevision: number): Promise<{ revision: number }>;
  /** A whole <cib> (with status when the source has one), for status and why. */
  readCib(): Promise<string>;
}

export function resolveTarget(o: GlobalOptions, env: NodeJS.ProcessEnv = process.env): Target {
  const file = o.file ?? env.TANDEM_CIB_FILE;
  if (file) return fileTarget(file);
  const cfg = fileConfig(env);
  const url = o.url ?? env.TANDEM_URL ?? cfg.url ?? DEFAULT_URL;
  const token = o.token ?? env.TANDEM_TOKEN ?? cfg.token;
  const caPath = o.ca ?? env.TANDEM_CA ?? cfg.ca;
  let ca: string | undefined;
  if (caPath) {
    try {
      ca = readFileSync(caPath, 'utf8');
    } catch {
      throw new CliError(`cannot read the CA certificate ${caPath}`);
    }
  }
  let api: ApiClient;
  try {
    api = new ApiClient({ url, ...(token ? { token } : {}), ...(ca ? { ca } : {}) });
  } catch (err) {
    throw apiError(err, url);
  }
  return apiTarget(api);
}

function apiTarget(api: ApiClient): Target {
  return {
    where: api.url,
    api,
    async readConfig() {
      try {
        const res = await api.getConfig();
        return { conf: configurationOf(parseXml(res.xml, 'configuration from the API')), revision: res.revision };
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) return { conf: emptyConfiguration(), revision: 0 };
        throw apiError(err, api.url);
      }
    },
    async writeConfig(conf, expectedRevision) {
      try {
        const res = await api.putConfig({ xml: serializeXml(conf), expectedRevision });
        return { revision: res.revision };
      } catch (err) {
        throw apiError(err, api.url);
      }
    },
    async readCib() {
      try {
        return await api.exportConfig();
      } catch (err) {
        throw apiError(err, api.url);
      }
    },
  };
}

function configurationOf(root: XmlElement): XmlElement {
  if (root.name === 'configuration') return root;
  if (root.name === 'cib') {
    const c = firstChild(root, 'configuration');
    if (c) return c;
  }
  throw new CliError(`expected a <cib> or <configuration>, found <${root.name}>`);
}

/** A CIB file (pcs -f): a missing file starts empty; writes replace it atomically. */
export function fileTarget(path: string): Target {
  const load = (): XmlElement | undefined => {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new CliError(`cannot read ${path}: ${(err as Error).message}`);
    }
    if (text.trim() === '') return undefined;
    return parseXml(text, path);
  };
  return {
    where: `file ${path}`,
    file: path,
    async readConfig() {
      const root = load();
      return { conf: root ? configurationOf(root) : emptyConfiguration(), revision: Number(root?.attrs.epoch ?? 0) };
    },
    async writeConfig(conf, expectedRevision) {
      const root = load();
      const epoch = Number(root?.attrs.epoch ?? 0);
      if (epoch !== expectedRevision) throw new CliError(`${path} changed while this command ran (epoch ${expectedRevision} -> ${epoch}); run it again`);
      const cib: XmlElement = root?.name === 'cib' ? root : { name: 'cib', attrs: { 'validate-with': 'pacemaker-3.9', admin_epoch: '0', num_updates: '0' }, children: [] };
      cib.attrs.epoch = String(epoch + 1);
      const i = cib.children.findIndex((c) => c.name === 'configuration');
      if (i >= 0) cib.children[i] = conf;
      else cib.children.unshift(conf);
      if (!cib.children.some((c) => c.name === 'status')) cib.children.push({ name: 'status', attrs: {}, children: [] });
      const tmp = `${path}.tmp-${process.pid}`;
      writeFileSync(tmp, `<?xml version="1.0"?>\n${serializeXml(cib)}`);
      renameSync(tmp, path);
      return { revision: epoch + 1 };
    },
    async readCib() {
      const root = load();
      if (!root) throw new CliError(`${path} does not exist yet; create something first (e.g. tandem cluster setup NAME NODE... -f ${path})`);
      return serializeXml(root.name === 'cib' ? root : { name: 'cib', attrs: {}, children: [root, { name: 'status', attrs: {}, children: [] }] });
    },
  };
}

/** API failures as one line that says what to do. */
export function apiError(err: unknown, url: string): Error {
  if (err instanceof CliError || err instanceof CibError) return err;
  if (!(err instanceof ApiError)) return err as Error;
  switch (err.status) {
    case 0:
      return new CliError(`${err.message}; is tandemd running there? set --url or TANDEM_URL (now ${url})`);
    case 401:
      return new CliError(`not authenticated at ${url}: ${err.message}; pass --token or set TANDEM_TOKEN (create one with POST /api/v1/auth/tokens)`);
    case 403:
      return new CliError(`no permission: ${err.message}; this needs an admin token`);
    case 409:
      return new CliError(`the configuration changed while this command ran (${err.message}); nothing was applied: run the command again`);
    default:
      return new CliError(err.message.split('\n')[0]!);
  }
}

/**
 * Read, edit (pure), write once with the revision read. Nothing is half-applied: the edit either
 * lands whole or, on any error or a concurrent change, not at all.
 */
export async function applyEdit(target: Target, edit: (conf: XmlElement) => EditResult): Promise<EditResult & { revision: number }> {
  const { conf, revision } = await target.readConfig();
  const result = edit(conf);
  const written = await target.writeConfig(result.config, revision);
  return { ...result, revision: written.revision };
}
