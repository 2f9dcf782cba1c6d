// Secret resource parameters (cibsecret's job, done inside the CIB): a parameter marked secret is
// stored encrypted (AES-256-GCM, `enc:v1:<base64 iv|tag|ciphertext>`) and shown as `****` in
// status, exports, the audit log and logs unless an admin asks to reveal it.
//
// A parameter is secret when
//   - the operator lists it in the resource's meta attribute `secret-params` (names separated by
//     spaces or commas), as `cibsecret set` marks parameters one by one; or
//   - the agent's meta-data marks it (the `secretParams` hook, fed from the executor's meta-data
//     cache; agents whose meta-data is unknown are skipped); or
//   - its name looks like a password (`passwd`, `password`, `*_password`, `secret`, `token`,
//     `api_key`, ... — the executor's rule for meta-data, applied by default); or
//   - its value is already encrypted.
//
// The key: 32 bytes from a key file (`loadKeyFile`), or the cluster key kept in the store at
// `/tandem/<c>/secrets/key` (created on first use). A key in the store protects exports, status,
// logs and API answers; a key file kept off the store also protects a copy of the store.
//
// The executor decrypts right before running an agent: `decryptForAgent(params, key)`. The
// operation digest must be computed from the parameters AS STORED (encrypted), never from the
// decrypted ones, so that the scheduler's digest of the configuration keeps matching (a ciphertext
// is kept unchanged as long as the plaintext does not change, see encryptSecrets).
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { clusterPrefix } from '../cib/store-layout.ts';
import { CibError, parseXml, serializeXml, firstChild, type XmlElement } from '../cib/xml.ts';
import type { Store } from '../store/types.ts';
import { MASK } from './contract.ts';

export { MASK };
export const ENC_PREFIX = 'enc:v1:';
export const SECRET_META = 'secret-params';
/** Names that hold credentials (same rule as the executor's agent meta-data). */
export const SECRET_NAME = /(^|_)(pass(word|wd)?|secret|token|credentials?|api_?key)($|_)/i;

export const secretKeyKey = (c: string) => `${clusterPrefix(c)}secrets/key`;

export interface AgentName {
  class: string;
  provider?: string;
  type: string;
}

export interface SecretOptions {
  /** Secret parameter names from the agent's meta-data; undefined when the meta-data is unknown. */
  secretParams?: (agent: AgentName) => ReadonlySet<string> | undefined;
  /** Names treated as secret whatever the agent (default SECRET_NAME; null: none). */
  namePattern?: RegExp | null;
}

// ------------------------------------------------------------------------------------------------
// Keys and values

export function isEncrypted(value: string | undefined): boolean {
  return value !== undefined && value.startsWith(ENC_PREFIX);
}

function checkKey(key: Buffer): void {
  if (key.length !== 32) throw new Error(`the secrets key must be 32 bytes (AES-256), got ${key.length}`);
}

export function encryptValue(plain: string, key: Buffer): string {
  checkKey(key);
  const iv = randomBytes(12);
  const c = createCipheriv('aes-256-gcm', key, iv);
  const ct = Buffer.concat([c.update(plain, 'utf8'), c.final()]);
  return ENC_PREFIX + Buffer.concat([iv, c.getAuthTag(), ct]).toString('base64');
}

export function decryptValue(value: string, key: Buffer): string {
  if (!isEncrypted(value)) return value;
  checkKey(key);
  const raw = Buffer.from(value.slice(ENC_PREFIX.length), 'base64');
  if (raw.length < 28) throw new Error('an encrypted parameter is truncated');
  const d = createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
  d.setAuthTag(raw.subarray(12, 28));
  try {
    return Buffer.concat([d.update(raw.subarray(28)), d.final()]).toString('utf8');
  } catch {
    throw new Error('an encrypted parameter cannot be decrypted with this key (wrong cluster key, or the value was altered)');
  }
}

/** A key file: 32 raw bytes, or 64 hex digits, or base64 of 32 bytes (whitespace ignored). */
export function loadKeyFile(path: string): Buffer {
  const raw = readFileSync(path);
  if (raw.length === 32) return raw;
  const text = raw.toString('utf8').trim();
  const key = /^[0-9a-fA-F]{64}$/.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64');
  if (key.length !== 32) throw new Error(`secrets key file ${path}: expected 32 bytes (raw, 64 hex digits or base64), got ${key.length} bytes`);
  return key;
}

/** The cluster key from the store, created (once, race-free) when missing. */
export async function clusterKey(store: Store, cluster: string): Promise<Buffer> {
  const k = secretKeyKey(cluster);
  const fresh = randomBytes(32).toString('base64');
  const res = await store.txn({
    compares: [{ key: k, target: 'createRevision', op: '==', value: 0 }],
    success: [{ type: 'put', key: k, value: JSON.stringify({ key: fresh, createdAt: Date.now() }) }],
    failure: [{ type: 'get', key: k }],
  });
  if (res.succeeded) return Buffer.from(fresh, 'base64');
  const got = res.results[0];
  const kv = got?.type === 'get' ? got.kvs[0] : undefined;
  if (!kv) throw new Error(`the cluster secrets key ${k} vanished while being read`);
  const key = Buffer.from((JSON.parse(kv.value) as { key: string }).key, 'base64');
  checkKey(key);
  return key;
}

/** Decrypt the parameters an agent is about to run with (values not encrypted pass through). */
export function decryptForAgent(params: Record<string, string>, key: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    try {
      out[k] = decryptValue(v, key);
    } catch (err) {
      throw new Error(`parameter ${k}: ${(err as Error).message}`);
    }
  }
  return out;
}

/** Mask the encrypted values of a parameter map (for logs). */
export function maskParams(params: Record<string, string>, secretNames: Iterable<string> = []): Record<string, string> {
  const names = new Set(secretNames);
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) out[k] = isEncrypted(v) || names.has(k) ? MASK : v;
  return out;
}

// ------------------------------------------------------------------------------------------------
// Walking a configuration

interface SecretSlot {
  /** Owning primitive/template id. */
  rsc: string;
  nvpair: XmlElement;
}

function* walk(el: XmlElement): Iterable<XmlElement> {
  yield el;
  for (const c of el.children) yield* walk(c);
}

function metaSecretNames(prim: XmlElement): Set<string> {
  const out = new Set<string>();
  for (const ma of prim.children.filter((c) => c.name === 'meta_attributes')) {
    for (const nv of walk(ma)) if (nv.name === 'nvpair' && nv.attrs.name === SECRET_META) for (const n of (nv.attrs.value ?? '').split(/[\s,]+/)) if (n) out.add(n);
  }
  return out;
}

/** The secret parameter names of one primitive (see the rules at the top). */
export function secretParamNames(prim: XmlElement, opts: SecretOptions = {}): Set<string> {
  const names = metaSecretNames(prim);
  if (opts.secretParams && prim.attrs.type) {
    const agent: AgentName = { class: prim.attrs.class ?? 'ocf', type: prim.attrs.type, ...(prim.attrs.provider ? { provider: prim.attrs.provider } : {}) };
    for (const n of opts.secretParams(agent) ?? []) names.add(n);
  }
  return names;
}

function isSecret(name: string, value: string | undefined, marked: Set<string>, opts: SecretOptions): boolean {
  if (marked.has(name) || isEncrypted(value)) return true;
  const pattern = opts.namePattern === undefined ? SECRET_NAME : opts.namePattern;
  return pattern !== null && pattern.test(name);
}

/** Every secret nvpair of a `<configuration>` (primitives, templates, their operations). */
export function secretSlots(configuration: XmlElement, opts: SecretOptions = {}): SecretSlot[] {
  const out: SecretSlot[] = [];
  for (const prim of walk(configuration)) {
    if (prim.name !== 'primitive' && prim.name !== 'template') continue;
    const marked = secretParamNames(prim, opts);
    const sets = [...prim.children.filter((c) => c.name === 'instance_attributes')];
    for (const ops of prim.children.filter((c) => c.name === 'operations')) for (const op of ops.children) sets.push(...op.children.filter((c) => c.name === 'instance_attributes'));
    for (const set of sets) {
      for (const nv of walk(set)) {
        if (nv.name !== 'nvpair' || nv.attrs.name === undefined) continue;
        if (isSecret(nv.attrs.name, nv.attrs.value, marked, opts)) out.push({ rsc: prim.attrs.id ?? '?', nvpair: nv });
      }
    }
  }
  return out;
}

function configurationOf(root: XmlElement): XmlElement {
  if (root.name === 'configuration') return root;
  if (root.name === 'cib') {
    const c = firstChild(root, 'configuration');
    if (c) return c;
  }
  throw new CibError(`root element must be <configuration> or <cib>, found <${root.name}>`);
}

function clone(el: XmlElement): XmlElement {
  return { name: el.name, attrs: { ...el.attrs }, children: el.children.map(clone), ...(el.line !== undefined ? { line: el.line } : {}) };
}

function asElement(xml: string | XmlElement): XmlElement {
  return typeof xml === 'string' ? parseXml(xml, 'configuration') : clone(xml);
}

/** The configuration (or whole cib) with every secret value replaced by `****`. */
export function maskConfiguration(xml: string, opts?: SecretOptions): string;
export function maskConfiguration(xml: XmlElement, opts?: SecretOptions): XmlElement;
export function maskConfiguration(xml: string | XmlElement, opts: SecretOptions = {}): string | XmlElement {
  const root = asElement(xml);
  for (const s of secretSlots(configurationOf(root), opts)) if (s.nvpair.attrs.value !== undefined) s.nvpair.attrs.value = MASK;
  return typeof xml === 'string' ? serializeXml(root) : root;
}

/** The configuration with every encrypted value decrypted (for an admin's reveal). */
export function revealConfiguration(xml: string, key: Buffer): string {
  const root = parseXml(xml, 'configuration');
  for (const el of walk(root)) if (el.name === 'nvpair' && isEncrypted(el.attrs.value)) el.attrs.value = decryptValue(el.attrs.value!, key);
  return serializeXml(root);
}

function slotKey(s: SecretSlot): string {
  return `${s.rsc}\u0000${s.nvpair.attrs.name}`;
}

/**
 * Encrypt the secret values of a new configuration (or whole cib) before it is stored. `previous`
 * is the stored `<configuration>` (encrypted): a value given as `****` keeps the stored one
 * (matched by nvpair id, then by resource and parameter name); a plaintext equal to the stored
 * one keeps the stored ciphertext (so the operation digests do not change). A `****` with no
 * stored value is refused with a CibError naming the parameter. Returns the serialized XML.
 */
export function encryptSecrets(xml: string, key: Buffer, opts: SecretOptions & { previous?: XmlElement } = {}): string {
  const root = parseXml(xml, 'configuration');
  const prevById = new Map<string, string>();
  const prevBySlot = new Map<string, string>();
  if (opts.previous) {
    for (const s of secretSlots(configurationOf(opts.previous), opts)) {
      const v = s.nvpair.attrs.value;
      if (v === undefined) continue;
      if (s.nvpair.attrs.id) prevById.set(s.nvpair.attrs.id, v);
      prevBySlot.set(slotKey(s), v);
    }
  }
  for (const s of secretSlots(configurationOf(root), opts)) {
    const nv = s.nvpair;
    const v = nv.attrs.value;
    if (v === undefined) continue;
    const prev = (nv.attrs.id ? prevById.get(nv.attrs.id) : undefined) ?? prevBySlot.get(slotKey(s));
    if (v === MASK) {
      if (prev === undefined) {
        throw new CibError(
          `<nvpair id=${nv.attrs.id ?? '?'} name=${nv.attrs.name}> of resource ${s.rsc}${nv.line !== undefined ? ` (line ${nv.line})` : ''}: the value is masked (${MASK}) but no stored value exists to keep; give the real value`,
        );
      }
      nv.attrs.value = isEncrypted(prev) ? prev : encryptValue(prev, key);
      continue;
    }
    if (isEncrypted(v)) {
      try {
        decryptValue(v, key);
      } catch (err) {
        throw new CibError(`<nvpair id=${nv.attrs.id ?? '?'} name=${nv.attrs.name}> of resource ${s.rsc}: ${(err as Error).message}`);
      }
      continue;
    }
    if (prev !== undefined && isEncrypted(prev)) {
      let same = false;
      try {
        same = decryptValue(prev, key) === v;
      } catch {
        same = false;
      }
      if (same) {
        nv.attrs.value = prev;
        continue;
      }
    }
    nv.attrs.value = encryptValue(v, key);
  }
  return serializeXml(root);
}

/** The plaintext secret values of a stored configuration (to scrub them from log text). */
export function secretValues(configuration: XmlElement, key: Buffer, opts: SecretOptions = {}): string[] {
  const out = new Set<string>();
  for (const s of secretSlots(configuration, opts)) {
    const v = s.nvpair.attrs.value;
    if (!v || v === MASK) continue;
    try {
      const p = decryptValue(v, key);
      if (p.length >= 3) out.add(p);
    } catch {
      /* undecryptable: nothing to scrub */
    }
  }
  return [...out];
}

/** Replace every occurrence of the given secret values in `text` with `****`. */
export function scrubText(text: string, values: readonly string[]): string {
  let out = text;
  for (const v of values) if (v) out = out.split(v).join(MASK);
  return out;
}
