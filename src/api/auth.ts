// Users and API tokens, kept in the store so every node's API accepts the same credentials.
//
//   /tandem/<c>/auth/users/<user>   UserRecord   (password: scrypt hash + salt)
//   /tandem/<c>/auth/tokens/<id>    TokenRecord  (secret: sha256 hash only)
//
// A token is `tdm_<id>_<secret>`: the id finds the record, the secret is compared by hash in
// constant time. The role is read from the user record on every request, so deleting a user or
// changing their role takes effect at once; revoking deletes the token's key.
import { createHash, randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { clusterPrefix, decodeRecord, encodeRecord, seg, unseg } from '../cib/store-layout.ts';
import type { Store } from '../store/types.ts';
import type { Role } from './contract.ts';

function scrypt(password: string, salt: Buffer, keylen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password, salt, keylen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

export const authKeys = {
  usersPrefix: (c: string) => `${clusterPrefix(c)}auth/users/`,
  user: (c: string, user: string) => `${clusterPrefix(c)}auth/users/${seg(user)}`,
  tokensPrefix: (c: string) => `${clusterPrefix(c)}auth/tokens/`,
  token: (c: string, id: string) => `${clusterPrefix(c)}auth/tokens/${seg(id)}`,
};

export interface UserRecord {
  user: string;
  role: Role;
  /** scrypt parameters and output, base64. */
  scrypt: { N: number; r: number; p: number; salt: string; hash: string };
  createdAt: number;
}

export interface TokenRecord {
  id: string;
  user: string;
  name?: string;
  /** sha256 of the secret part, hex. */
  hash: string;
  createdAt: number;
  expiresAt?: number;
}

export interface Principal {
  user: string;
  role: Role;
  tokenId: string;
}

/** Why a credential was refused (the message is safe to send back). */
export class AuthError extends Error {
  override readonly name = 'AuthError';
  constructor(
    readonly status: 401 | 403 | 404 | 400,
    message: string,
  ) {
    super(message);
  }
}

const SCRYPT = { N: 16384, r: 8, p: 1 };
const KEYLEN = 32;
const USER_RE = /^[A-Za-z0-9._@-]{1,64}$/;

function sha256(s: string): string {
  return createHash('sha256').update(s).digest('hex');
}

export async function hashPassword(password: string): Promise<UserRecord['scrypt']> {
  const salt = randomBytes(16);
  const hash = await scrypt(password, salt, KEYLEN, { ...SCRYPT, maxmem: 64 * 1024 * 1024 });
  return { ...SCRYPT, salt: salt.toString('base64'), hash: hash.toString('base64') };
}

export async function verifyPassword(password: string, s: UserRecord['scrypt']): Promise<boolean> {
  const expected = Buffer.from(s.hash, 'base64');
  const got = await scrypt(password, Buffer.from(s.salt, 'base64'), expected.length, { N: s.N, r: s.r, p: s.p, maxmem: 64 * 1024 * 1024 });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Split `tdm_<id>_<secret>`; undefined when it does not look like a Tandem token. */
export function parseToken(token: string): { id: string; secret: string } | undefined {
  const m = /^tdm_([a-f0-9]{16})_([A-Za-z0-9_-]{20,})$/.exec(token);
  return m ? { id: m[1]!, secret: m[2]! } : undefined;
}

export class AuthStore {
  constructor(
    readonly store: Store,
    readonly cluster: string,
  ) {}

  async getUser(user: string): Promise<UserRecord | undefined> {
    if (!USER_RE.test(user)) return undefined;
    const { kv } = await this.store.get(authKeys.user(this.cluster, user));
    return kv ? decodeRecord<UserRecord>(kv.key, kv.value) : undefined;
  }

  async listUsers(): Promise<UserRecord[]> {
    const { kvs } = await this.store.list(authKeys.usersPrefix(this.cluster));
    return kvs.map((kv) => decodeRecord<UserRecord>(kv.key, kv.value));
  }

  /** Create or replace a user. */
  async putUser(user: string, password: string, role: Role): Promise<UserRecord> {
    if (!USER_RE.test(user)) throw new AuthError(400, `bad user name ${JSON.stringify(user)}: use 1-64 letters, digits, '.', '_', '@' or '-'`);
    if (password.length < 8) throw new AuthError(400, `the password of ${user} is too short: use at least 8 characters`);
    if (role !== 'admin' && role !== 'read-only') throw new AuthError(400, `bad role ${JSON.stringify(role)}: use admin or read-only`);
    const rec: UserRecord = { user, role, scrypt: await hashPassword(password), createdAt: Date.now() };
    await this.store.put(authKeys.user(this.cluster, user), encodeRecord(rec));
    return rec;
  }

  /** Delete a user and every token of theirs, in one txn. */
  async deleteUser(user: string): Promise<{ tokensRevoked: number; revision: number }> {
    const existing = await this.getUser(user);
    if (!existing) throw new AuthError(404, `no user ${JSON.stringify(user)}`);
    const tokens = (await this.listTokens()).filter((t) => t.user === user);
    const res = await this.store.txn({
      compares: [],
      success: [{ type: 'delete', key: authKeys.user(this.cluster, user) }, ...tokens.map((t) => ({ type: 'delete' as const, key: authKeys.token(this.cluster, t.id) }))],
    });
    return { tokensRevoked: tokens.length, revision: res.revision };
  }

  /** Check user + password (constant work whether or not the user exists). */
  async checkPassword(user: string, password: string): Promise<UserRecord> {
    const rec = await this.getUser(user);
    const ok = rec ? await verifyPassword(password, rec.scrypt) : (await hashPassword(password), false);
    if (!rec || !ok) throw new AuthError(401, 'wrong user name or password');
    return rec;
  }

  /** Mint a token for `user`; the returned `token` is the only copy of the secret. */
  async createToken(user: string, opts: { name?: string; ttlSeconds?: number } = {}): Promise<{ token: string; record: TokenRecord; revision: number }> {
    const id = randomBytes(8).toString('hex');
    const secret = randomBytes(32).toString('base64url');
    const now = Date.now();
    const record: TokenRecord = {
      id,
      user,
      hash: sha256(secret),
      createdAt: now,
      ...(opts.name ? { name: opts.name } : {}),
      ...(opts.ttlSeconds ? { expiresAt: now + opts.ttlSeconds * 1000 } : {}),
    };
    const revision = await this.store.put(authKeys.token(this.cluster, id), encodeRecord(record));
    return { token: `tdm_${id}_${secret}`, record, revision };
  }

  /**
   * Store a token made elsewhere (bootstrap: the demo prints a token it chose). It must have the
   * `tdm_<16 hex>_<secret>` form.
   */
  async importToken(token: string, user: string, name = 'bootstrap'): Promise<TokenRecord> {
    const p = parseToken(token);
    if (!p) throw new AuthError(400, 'a pre-made token must look like tdm_<16 hex digits>_<at least 20 base64url characters> (see makeToken())');
    const record: TokenRecord = { id: p.id, user, name, hash: sha256(p.secret), createdAt: Date.now() };
    await this.store.put(authKeys.token(this.cluster, p.id), encodeRecord(record));
    return record;
  }

  async listTokens(): Promise<TokenRecord[]> {
    const prefix = authKeys.tokensPrefix(this.cluster);
    const { kvs } = await this.store.list(prefix);
    return kvs.map((kv) => ({ ...decodeRecord<TokenRecord>(kv.key, kv.value), id: unseg(kv.key.slice(prefix.length)) }));
  }

  async getToken(id: string): Promise<TokenRecord | undefined> {
    if (!/^[a-f0-9]{16}$/.test(id)) return undefined;
    const { kv } = await this.store.get(authKeys.token(this.cluster, id));
    return kv ? decodeRecord<TokenRecord>(kv.key, kv.value) : undefined;
  }

  async revokeToken(id: string): Promise<number> {
    const key = authKeys.token(this.cluster, id);
    const res = await this.store.txn({ compares: [{ key, target: 'version', op: '>', value: 0 }], success: [{ type: 'delete', key }] });
    if (!res.succeeded) throw new AuthError(404, `no token ${JSON.stringify(id)} (already revoked, or never existed)`);
    return res.revision;
  }

  /** Who a bearer token belongs to; AuthError 401 with the reason when it is not valid. */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError(401, 'authentication required: send Authorization: Bearer <token> (get one with POST /api/v1/auth/tokens)');
    const p = parseToken(token);
    if (!p) throw new AuthError(401, 'the bearer token is not a Tandem API token');
    const rec = await this.getToken(p.id);
    const hash = Buffer.from(sha256(p.secret), 'hex');
    const ok = rec !== undefined && timingSafeEqual(hash, Buffer.from(rec.hash, 'hex'));
    if (!rec || !ok) throw new AuthError(401, 'the bearer token is not valid (revoked, or never issued here)');
    if (rec.expiresAt !== undefined && Date.now() >= rec.expiresAt) throw new AuthError(401, `the bearer token expired at ${new Date(rec.expiresAt).toISOString()}`);
    const user = await this.getUser(rec.user);
    if (!user) throw new AuthError(401, `the bearer token belongs to user ${rec.user}, who no longer exists`);
    return { user: user.user, role: user.role, tokenId: rec.id };
  }
}

/** A fresh token string in Tandem's format, e.g. for `startApiServer({ admin: { token } })`. */
export function makeToken(): string {
  return `tdm_${randomBytes(8).toString('hex')}_${randomBytes(32).toString('base64url')}`;
}
