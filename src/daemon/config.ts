// tandemd's configuration: defaults < JSON file (--config / TANDEM_CONFIG) < TANDEM_* environment <
// command-line flags. Everything is validated when it is loaded; an error names the setting, where
// it came from and what is wrong, and nothing starts with a bad configuration.
import { readFileSync } from 'node:fs';
import { loadKeyFile } from '../api/secrets.ts';
import { parseToken } from '../api/auth.ts';
import { tmpdir } from 'node:os';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { isLogLevel, type LogLevel } from '../controller/log.ts';

export interface TandemdConfig {
  cluster: string;
  node: string;
  nodeId: number;
  /** Address other nodes reach this one at (heartbeats, API). */
  address: string;
  store: 'embedded' | 'etcd';
  etcdEndpoints: string[];
  /** A Pacemaker cib.xml loaded into the store when the cluster has no configuration yet. */
  cib?: string;
  /** Port of the status API; 0 picks a free one. */
  apiPort: number;
  /** Address the API listens on. Default: `address`. */
  apiHost?: string;
  /** Per-node state (OCF agents' state files, sockets). */
  stateDir: string;
  logLevel: LogLevel;
  /** Log format on stderr: JSON lines or text. */
  logFormat: 'json' | 'text';
  /** Timing budget overrides (ms), checked by membership's validation. */
  timing: Record<string, number>;
  /** Serve the API over HTTPS with this PEM certificate and key (both or neither). */
  tlsCert?: string;
  tlsKey?: string;
  /**
   * Bootstrap admin (created, or its password replaced, at start): user name (default "admin"),
   * password from --admin-password-file / TANDEM_ADMIN_PASSWORD, token (tdm_...) from
   * --admin-token-file / TANDEM_ADMIN_TOKEN. Set when any of them is given.
   */
  adminUser?: string;
  adminPasswordFile?: string;
  adminTokenFile?: string;
  /** Resolved at load time from the files or the environment (never from a flag: no secrets in ps). */
  admin?: { user: string; password?: string; token?: string };
  /** Key of secret resource parameters (32 bytes raw, hex or base64); default: the cluster key in the store. */
  secretsKeyFile?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    /** The setting at fault, as the flag names it ("api-port"). */
    readonly setting: string,
    message: string,
  ) {
    super(`invalid setting ${setting}: ${message}`);
  }
}

type Source = 'default' | 'file' | 'env' | 'flag';
type Raw = Partial<Record<keyof TandemdConfig, unknown>>;

/** Settings: flag name ↔ config key ↔ TANDEM_* variable. */
const SETTINGS: Array<{ key: keyof TandemdConfig; flag: string; env: string }> = [
  { key: 'cluster', flag: 'cluster', env: 'TANDEM_CLUSTER' },
  { key: 'node', flag: 'node', env: 'TANDEM_NODE' },
  { key: 'nodeId', flag: 'node-id', env: 'TANDEM_NODE_ID' },
  { key: 'address', flag: 'address', env: 'TANDEM_ADDRESS' },
  { key: 'store', flag: 'store', env: 'TANDEM_STORE' },
  { key: 'etcdEndpoints', flag: 'etcd-endpoints', env: 'TANDEM_ETCD_ENDPOINTS' },
  { key: 'cib', flag: 'cib', env: 'TANDEM_CIB' },
  { key: 'apiPort', flag: 'api-port', env: 'TANDEM_API_PORT' },
  { key: 'apiHost', flag: 'api-host', env: 'TANDEM_API_HOST' },
  { key: 'stateDir', flag: 'state-dir', env: 'TANDEM_STATE_DIR' },
  { key: 'logLevel', flag: 'log-level', env: 'TANDEM_LOG_LEVEL' },
  { key: 'logFormat', flag: 'log-format', env: 'TANDEM_LOG_FORMAT' },
  { key: 'tlsCert', flag: 'tls-cert', env: 'TANDEM_TLS_CERT' },
  { key: 'tlsKey', flag: 'tls-key', env: 'TANDEM_TLS_KEY' },
  { key: 'adminUser', flag: 'admin-user', env: 'TANDEM_ADMIN_USER' },
  { key: 'adminPasswordFile', flag: 'admin-password-file', env: 'TANDEM_ADMIN_PASSWORD_FILE' },
  { key: 'adminTokenFile', flag: 'admin-token-file', env: 'TANDEM_ADMIN_TOKEN_FILE' },
  { key: 'secretsKeyFile', flag: 'secrets-key-file', env: 'TANDEM_SECRETS_KEY_FILE' },
];

export const USAGE = `usage: tandemd --cluster NAME --node NAME --node-id N --address IP
               [--store embedded|etcd] [--etcd-endpoints URL,URL] [--cib FILE]
               [--api-port P] [--api-host IP] [--state-dir DIR] [--config FILE]
               [--log-level debug|info|warn|error] [--log-format json|text]
               [--timing NAME=MS ...]
               [--tls-cert FILE --tls-key FILE] [--secrets-key-file FILE]
               [--admin-user NAME] [--admin-password-file FILE] [--admin-token-file FILE]
The API (/api/v1, OpenAPI at /api/v1/openapi.json) is served on --api-port, over HTTPS with
--tls-cert/--tls-key. The bootstrap admin gets its password from --admin-password-file or
TANDEM_ADMIN_PASSWORD and a token (tdm_..., see 'tandem demo') from --admin-token-file or
TANDEM_ADMIN_TOKEN; without a token one can be created with POST /api/v1/auth/tokens.
Every flag can also come from TANDEM_<FLAG> (e.g. TANDEM_NODE_ID) or a JSON file (--config,
TANDEM_CONFIG) with camelCase keys; flags win over the environment, which wins over the file.`;

export const DEFAULT_API_PORT = 7480;

/** Parses argv (without node and script) into raw flag values. */
export function parseFlags(argv: string[]): { raw: Raw; config?: string; timing: Record<string, string>; help: boolean } {
  const raw: Raw = {};
  const timing: Record<string, string> = {};
  let config: string | undefined;
  let help = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      help = true;
      continue;
    }
    if (!arg.startsWith('--')) throw new ConfigError(arg, 'unexpected argument (settings are given as --name value)');
    const eq = arg.indexOf('=');
    const name = eq > 0 ? arg.slice(2, eq) : arg.slice(2);
    const value = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (value === undefined) throw new ConfigError(name, 'needs a value');
    if (name === 'config') {
      config = value;
      continue;
    }
    if (name === 'timing') {
      const m = /^([A-Za-z]+)=(.*)$/.exec(value);
      if (!m) throw new ConfigError('timing', `expected NAME=MS, got '${value}'`);
      timing[m[1]!] = m[2]!;
      continue;
    }
    const s = SETTINGS.find((x) => x.flag === name);
    if (!s) throw new ConfigError(name, `unknown setting (see --help)`);
    raw[s.key] = value;
  }
  return { raw, ...(config !== undefined ? { config } : {}), timing, help };
}

function fromEnv(env: NodeJS.ProcessEnv): Raw {
  const raw: Raw = {};
  for (const s of SETTINGS) if (env[s.env] !== undefined && env[s.env] !== '') raw[s.key] = env[s.env];
  return raw;
}

function fromFile(path: string): { raw: Raw; timing: Record<string, unknown> } {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError('config', `cannot read ${path}: ${(err as Error).message}`);
  }
  let obj: unknown;
  try {
    obj = JSON.parse(text);
  } catch (err) {
    throw new ConfigError('config', `${path} is not valid JSON: ${(err as Error).message}`);
  }
  if (!obj || typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError('config', `${path} must hold a JSON object`);
  const raw: Raw = {};
  let timing: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj as Record<string, unknown>)) {
    if (k === 'timing') {
      if (!v || typeof v !== 'object') throw new ConfigError('timing', `in ${path} must be an object of NAME: MS`);
      timing = v as Record<string, unknown>;
      continue;
    }
    const s = SETTINGS.find((x) => x.key === k || x.flag === k);
    if (!s) throw new ConfigError(k, `unknown setting in ${path}`);
    raw[s.key] = v;
  }
  return { raw, timing };
}

function flagOf(key: keyof TandemdConfig): string {
  return SETTINGS.find((s) => s.key === key)?.flag ?? key;
}

function str(raw: Raw, key: keyof TandemdConfig, from: Source): string | undefined {
  const v = raw[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' && typeof v !== 'number') throw new ConfigError(flagOf(key), `expected text (${from}), got ${JSON.stringify(v)}`);
  return String(v).trim();
}

const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface LoadOptions {
  argv?: string[];
  env?: NodeJS.ProcessEnv;
  /** Config object merged above the defaults (tests, the demo). */
  overrides?: Partial<TandemdConfig>;
  /** Checks the timing budget; throws an Error naming the timing setting when it does not hold. */
  validateTiming?: (timing: Record<string, number>) => void;
}

/** Loads and validates the configuration. Throws ConfigError naming the setting at fault. */
export function loadConfig(opts: LoadOptions = {}): TandemdConfig {
  const env = opts.env ?? process.env;
  const flags = parseFlags(opts.argv ?? []);
  const configPath = flags.config ?? env.TANDEM_CONFIG;
  const file = configPath ? fromFile(configPath) : { raw: {}, timing: {} };
  const layers: Array<[Source, Raw]> = [
    ['file', { ...file.raw, ...(opts.overrides as Raw | undefined) }],
    ['env', fromEnv(env)],
    ['flag', flags.raw],
  ];
  const merged: Raw = {};
  const sourceOf = new Map<keyof TandemdConfig, Source>();
  for (const [src, raw] of layers) {
    for (const [k, v] of Object.entries(raw)) {
      if (v === undefined) continue;
      merged[k as keyof TandemdConfig] = v;
      sourceOf.set(k as keyof TandemdConfig, src);
    }
  }
  const src = (k: keyof TandemdConfig): Source => sourceOf.get(k) ?? 'default';

  const cluster = str(merged, 'cluster', src('cluster'));
  if (!cluster) throw new ConfigError('cluster', 'is required (the cluster name)');
  if (!NAME_RE.test(cluster)) throw new ConfigError('cluster', `'${cluster}' must be 1-63 letters, digits, '.', '_' or '-'`);
  const node = str(merged, 'node', src('node'));
  if (!node) throw new ConfigError('node', 'is required (this node\'s name)');
  if (!NAME_RE.test(node)) throw new ConfigError('node', `'${node}' must be 1-63 letters, digits, '.', '_' or '-'`);

  const nodeIdText = str(merged, 'nodeId', src('nodeId')) ?? '';
  if (nodeIdText === '') throw new ConfigError('node-id', 'is required (a positive integer unique in the cluster)');
  const nodeId = Number(nodeIdText);
  if (!Number.isInteger(nodeId) || nodeId < 1 || nodeId > 2 ** 31 - 1) throw new ConfigError('node-id', `must be a positive integer, got '${nodeIdText}'`);

  const address = str(merged, 'address', src('address')) ?? '127.0.0.1';
  if (isIP(address) === 0) throw new ConfigError('address', `'${address}' is not an IP address`);

  const store = str(merged, 'store', src('store')) ?? 'embedded';
  if (store !== 'embedded' && store !== 'etcd') throw new ConfigError('store', `must be 'embedded' or 'etcd', got '${store}'`);

  const epRaw = merged.etcdEndpoints;
  const etcdEndpoints = (Array.isArray(epRaw) ? epRaw.map(String) : typeof epRaw === 'string' ? epRaw.split(',') : [])
    .map((s) => s.trim())
    .filter(Boolean);
  for (const ep of etcdEndpoints) {
    let u: URL;
    try {
      u = new URL(ep);
    } catch {
      throw new ConfigError('etcd-endpoints', `'${ep}' is not a URL (expected http://HOST:PORT)`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ConfigError('etcd-endpoints', `'${ep}' must be http:// or https://`);
  }
  if (store === 'etcd' && etcdEndpoints.length === 0) throw new ConfigError('etcd-endpoints', 'is required with --store etcd');

  const cib = str(merged, 'cib', src('cib'));

  const portText = str(merged, 'apiPort', src('apiPort')) ?? String(DEFAULT_API_PORT);
  const apiPort = Number(portText);
  if (!Number.isInteger(apiPort) || apiPort < 0 || apiPort > 65535) throw new ConfigError('api-port', `must be an integer 0-65535, got '${portText}'`);
  const apiHost = str(merged, 'apiHost', src('apiHost'));
  if (apiHost !== undefined && isIP(apiHost) === 0) throw new ConfigError('api-host', `'${apiHost}' is not an IP address`);

  const stateDir = str(merged, 'stateDir', src('stateDir')) ?? join(tmpdir(), `tandem-${cluster}-${node}`);
  const logLevel = str(merged, 'logLevel', src('logLevel')) ?? 'info';
  if (!isLogLevel(logLevel)) throw new ConfigError('log-level', `must be debug, info, warn or error, got '${logLevel}'`);
  const logFormat = str(merged, 'logFormat', src('logFormat')) ?? 'json';
  if (logFormat !== 'json' && logFormat !== 'text') throw new ConfigError('log-format', `must be json or text, got '${logFormat}'`);

  const timing: Record<string, number> = {};
  const timingLayers: Array<Record<string, unknown>> = [file.timing, (opts.overrides?.timing ?? {}) as Record<string, unknown>, timingFromEnv(env), flags.timing];
  for (const layer of timingLayers) {
    for (const [k, v] of Object.entries(layer)) {
      const n = Number(v);
      if (!Number.isFinite(n) || n <= 0) throw new ConfigError(`timing.${k}`, `must be a positive number of milliseconds, got '${String(v)}'`);
      timing[k] = n;
    }
  }
  if (opts.validateTiming) {
    try {
      opts.validateTiming(timing);
    } catch (err) {
      const msg = (err as Error).message;
      const m = /unknown timing setting '([^']+)'/.exec(msg) ?? /\b([a-z][A-Za-z]+Ms)\b/.exec(msg);
      throw new ConfigError(m ? `timing.${m[1]}` : 'timing', msg);
    }
  }

  const tlsCert = str(merged, 'tlsCert', src('tlsCert'));
  const tlsKey = str(merged, 'tlsKey', src('tlsKey'));
  if (tlsCert && !tlsKey) throw new ConfigError('tls-key', 'is required with --tls-cert (the PEM private key of the certificate)');
  if (tlsKey && !tlsCert) throw new ConfigError('tls-cert', 'is required with --tls-key (the PEM certificate)');
  if (tlsCert) pemFile('tls-cert', tlsCert, /-----BEGIN CERTIFICATE-----/, 'a PEM certificate');
  if (tlsKey) pemFile('tls-key', tlsKey, /-----BEGIN [A-Z ]*PRIVATE KEY-----/, 'a PEM private key');

  const adminUser = str(merged, 'adminUser', src('adminUser'));
  if (adminUser !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(adminUser)) throw new ConfigError('admin-user', `'${adminUser}' must be 1-64 letters, digits, '.', '_', '@' or '-'`);
  const adminPasswordFile = str(merged, 'adminPasswordFile', src('adminPasswordFile'));
  const adminTokenFile = str(merged, 'adminTokenFile', src('adminTokenFile'));
  let adminPassword: string | undefined;
  if (adminPasswordFile) adminPassword = secretFile('admin-password-file', adminPasswordFile);
  else if (env.TANDEM_ADMIN_PASSWORD) adminPassword = env.TANDEM_ADMIN_PASSWORD;
  if (adminPassword !== undefined && adminPassword.length < 8) throw new ConfigError(adminPasswordFile ? 'admin-password-file' : 'TANDEM_ADMIN_PASSWORD', 'the admin password must have at least 8 characters');
  let adminToken: string | undefined;
  const tokenSetting = adminTokenFile ? 'admin-token-file' : 'TANDEM_ADMIN_TOKEN';
  if (adminTokenFile) adminToken = secretFile('admin-token-file', adminTokenFile);
  else if (env.TANDEM_ADMIN_TOKEN) adminToken = env.TANDEM_ADMIN_TOKEN.trim();
  if (adminToken !== undefined && !parseToken(adminToken)) throw new ConfigError(tokenSetting, 'the admin token must look like tdm_<16 hex digits>_<at least 20 base64url characters>, e.g. tdm_$(openssl rand -hex 8)_$(openssl rand -hex 24)');
  const admin =
    adminUser !== undefined || adminPassword !== undefined || adminToken !== undefined
      ? { user: adminUser ?? 'admin', ...(adminPassword !== undefined ? { password: adminPassword } : {}), ...(adminToken !== undefined ? { token: adminToken } : {}) }
      : undefined;

  const secretsKeyFile = str(merged, 'secretsKeyFile', src('secretsKeyFile'));
  if (secretsKeyFile) {
    try {
      loadKeyFile(secretsKeyFile);
    } catch (err) {
      throw new ConfigError('secrets-key-file', (err as Error).message.replace(/^secrets key file /, ''));
    }
  }

  return {
    cluster,
    node,
    nodeId,
    address,
    store,
    etcdEndpoints,
    ...(cib !== undefined ? { cib } : {}),
    apiPort,
    ...(apiHost !== undefined ? { apiHost } : {}),
    stateDir,
    logLevel,
    logFormat,
    timing,
    ...(tlsCert ? { tlsCert } : {}),
    ...(tlsKey ? { tlsKey } : {}),
    ...(adminUser !== undefined ? { adminUser } : {}),
    ...(adminPasswordFile ? { adminPasswordFile } : {}),
    ...(adminTokenFile ? { adminTokenFile } : {}),
    ...(admin ? { admin } : {}),
    ...(secretsKeyFile ? { secretsKeyFile } : {}),
  };
}

/** Reads a file holding one secret (trailing newline dropped); errors name the setting. */
function secretFile(setting: string, path: string): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(setting, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  const v = text.replace(/\r?\n$/, '');
  if (!v) throw new ConfigError(setting, `${path} is empty`);
  return v;
}

function pemFile(setting: string, path: string, re: RegExp, what: string): void {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(setting, `cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  if (!re.test(text)) throw new ConfigError(setting, `${path} does not hold ${what}`);
}

/** TANDEM_TIMING_<NAME>=MS, e.g. TANDEM_TIMING_LEASETTLMS=2000 (name matched case-insensitively later). */
function timingFromEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (k.startsWith('TANDEM_TIMING_') && v) out[k.slice('TANDEM_TIMING_'.length)] = v;
  }
  return out;
}
