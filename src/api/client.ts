// Typed client of Tandem's HTTP API: one method per route of contract.ts. Uses node:http(s) so that
// a private CA (self-signed cluster certificate) can be trusted with `ca`.
//
//   const api = new ApiClient({ url: 'https://n1:7480', token, ca: readFileSync('ca.pem') });
//   const { xml, revision } = await api.getConfig();
//   await api.putConfig({ xml: edited, expectedRevision: revision });   // ApiError 409 if it changed
//
// Every failure is an ApiError { status, code, message } (status 0 when the server could not be
// reached; code 'unavailable').
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { z } from 'zod';
import {
  routePath,
  routes,
  type ActionResponse,
  type ChangeResponse,
  type ClusterEvent,
  type ConfigResponse,
  type CreateTokenResponse,
  type ErrorCode,
  type ResourceAction,
  type NodeAction,
  type RouteName,
  type SimulateRequest,
  type SimulateResponse,
  type StatusResponse,
  type TokenInfo,
  type WhoAmIResponse,
  type AuditEntry,
  type FencingEntry,
  type Role,
} from './contract.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: ErrorCode | string,
    message: string,
  ) {
    super(message);
  }
}

export interface ApiClientOptions {
  /** Base URL of a node's API, e.g. https://10.0.0.1:7480 (the /api/v1 prefix is added). */
  url: string;
  /** Bearer token (not needed for createToken and openapi). */
  token?: string;
  /** PEM CA certificate(s) to trust for https. */
  ca?: string | Buffer;
  /** Per-request timeout in ms (default 30000; not applied to the event stream). */
  timeoutMs?: number;
}

interface RawResponse {
  status: number;
  type: string;
  body: string;
}

export interface EventStream {
  /** Stop listening. */
  close(): void;
  /** Resolves when the stream is open (the server accepted the request). */
  readonly ready: Promise<void>;
}

type Out<T extends z.ZodType> = z.infer<T>;

export class ApiClient {
  readonly url: string;
  private readonly token: string | undefined;
  private readonly ca: string | Buffer | undefined;
  private readonly timeoutMs: number;

  constructor(opts: ApiClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch {
      throw new ApiError(0, 'bad-request', `bad API URL ${JSON.stringify(opts.url)}: expected e.g. https://host:7480`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new ApiError(0, 'bad-request', `bad API URL ${opts.url}: use http:// or https://`);
    this.url = opts.url.replace(/\/+$/, '');
    this.token = opts.token;
    this.ca = opts.ca;
    this.timeoutMs = opts.timeoutMs ?? 30_000;
  }

  /** A client for the same server with another token. */
  withToken(token: string): ApiClient {
    return new ApiClient({ url: this.url, token, ...(this.ca ? { ca: this.ca } : {}), timeoutMs: this.timeoutMs });
  }

  // --------------------------------------------------------------------------------------------
  // Routes

  getStatus(): Promise<StatusResponse> {
    return this.json('getStatus');
  }
  /** crm_mon-like text. */
  getStatusText(): Promise<string> {
    return this.text('getStatus', { query: { format: 'text' } });
  }
  getConfig(opts: { reveal?: boolean } = {}): Promise<ConfigResponse> {
    return this.json('getConfig', { query: revealQ(opts.reveal) });
  }
  putConfig(body: { xml: string; expectedRevision: number }): Promise<ChangeResponse> {
    return this.json('putConfig', { body });
  }
  importConfig(body: { xml: string; expectedRevision?: number }): Promise<{ revision: number; epoch: number; tickets: number }> {
    return this.json('importConfig', { body });
  }
  /** cib.xml text. */
  exportConfig(opts: { reveal?: boolean } = {}): Promise<string> {
    return this.text('exportConfig', { query: revealQ(opts.reveal) });
  }
  simulate(body: SimulateRequest = {}): Promise<SimulateResponse> {
    return this.json('simulate', { body });
  }
  nodeAction(name: string, action: NodeAction): Promise<ActionResponse> {
    const route = ({ standby: 'nodeStandby', unstandby: 'nodeUnstandby', maintenance: 'nodeMaintenance', unmaintenance: 'nodeUnmaintenance' } as const)[action];
    return this.json(route, { params: { name } });
  }
  standby(name: string): Promise<ActionResponse> {
    return this.nodeAction(name, 'standby');
  }
  unstandby(name: string): Promise<ActionResponse> {
    return this.nodeAction(name, 'unstandby');
  }
  maintenance(name: string): Promise<ActionResponse> {
    return this.nodeAction(name, 'maintenance');
  }
  unmaintenance(name: string): Promise<ActionResponse> {
    return this.nodeAction(name, 'unmaintenance');
  }
  resourceAction(id: string, action: ResourceAction, body: { node?: string; timeoutMs?: number } = {}): Promise<ActionResponse> {
    const route = ({ cleanup: 'resourceCleanup', restart: 'resourceRestart', enable: 'resourceEnable', disable: 'resourceDisable' } as const)[action];
    return this.json(route, { params: { id }, body, ...(action === 'restart' ? { timeoutMs: (body.timeoutMs ?? 60_000) + this.timeoutMs } : {}) });
  }
  cleanup(id: string, opts: { node?: string } = {}): Promise<ActionResponse> {
    return this.resourceAction(id, 'cleanup', opts);
  }
  restart(id: string, opts: { timeoutMs?: number } = {}): Promise<ActionResponse> {
    return this.resourceAction(id, 'restart', opts);
  }
  enable(id: string): Promise<ActionResponse> {
    return this.resourceAction(id, 'enable');
  }
  disable(id: string): Promise<ActionResponse> {
    return this.resourceAction(id, 'disable');
  }
  fence(node: string, opts: { action?: 'reboot' | 'off'; reason?: string } = {}): Promise<ActionResponse> {
    return this.json('fenceNode', { params: { name: node }, body: opts });
  }
  fencingHistory(opts: { node?: string } = {}): Promise<{ history: FencingEntry[]; pendingRequests: Array<{ node: string; requestedAt?: string; by?: string }> }> {
    return this.json('fencingHistory', { query: opts.node ? { node: opts.node } : {} });
  }
  /** Prometheus text. */
  metrics(): Promise<string> {
    return this.text('metrics');
  }
  openapi(): Promise<Record<string, unknown>> {
    return this.json('openapi');
  }
  createToken(body: { user: string; password: string; name?: string; ttlSeconds?: number }): Promise<CreateTokenResponse> {
    return this.json('createToken', { body, anonymous: true });
  }
  listTokens(): Promise<{ tokens: TokenInfo[] }> {
    return this.json('listTokens');
  }
  revokeToken(id: string): Promise<{ revoked: string }> {
    return this.json('revokeToken', { params: { id } });
  }
  whoami(): Promise<WhoAmIResponse> {
    return this.json('whoami');
  }
  createUser(body: { user: string; password: string; role: Role }): Promise<{ user: string; role: Role; createdAt: string }> {
    return this.json('createUser', { body });
  }
  listUsers(): Promise<{ users: Array<{ user: string; role: Role; createdAt: string }> }> {
    return this.json('listUsers');
  }
  deleteUser(name: string): Promise<{ deleted: string; tokensRevoked: number }> {
    return this.json('deleteUser', { params: { name } });
  }
  audit(opts: { limit?: number; user?: string } = {}): Promise<{ entries: AuditEntry[] }> {
    const query: Record<string, string> = {};
    if (opts.limit !== undefined) query.limit = String(opts.limit);
    if (opts.user !== undefined) query.user = opts.user;
    return this.json('audit', { query });
  }

  /**
   * Subscribe to the event stream. `onEvent` gets each ClusterEvent; `onError` the end of the
   * stream (an ApiError, or status 0 when the connection dropped). No automatic reconnect.
   */
  events(onEvent: (e: ClusterEvent) => void, onError?: (err: ApiError) => void): EventStream {
    const url = new URL(this.url + routePath('events'));
    let closed = false;
    let resolveReady!: () => void;
    let rejectReady!: (e: ApiError) => void;
    const ready = new Promise<void>((res, rej) => ((resolveReady = res), (rejectReady = rej)));
    ready.catch(() => undefined);
    const fail = (err: ApiError) => {
      if (closed) return;
      closed = true;
      rejectReady(err);
      onError?.(err);
    };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, {
      method: 'GET',
      headers: { accept: 'text/event-stream', ...this.authHeader() },
      ...(this.ca ? { ca: this.ca } : {}),
    });
    req.on('response', (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => fail(errorFrom({ status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body })));
        return;
      }
      resolveReady();
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let idx: number;
        while ((idx = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, idx);
          buf = buf.slice(idx + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (!data || closed) continue;
          try {
            onEvent(JSON.parse(data) as ClusterEvent);
          } catch {
            /* a malformed event is skipped */
          }
        }
      });
      res.on('end', () => fail(new ApiError(0, 'unavailable', 'the event stream ended')));
      res.on('error', (e) => fail(new ApiError(0, 'unavailable', `the event stream broke: ${e.message}`)));
    });
    req.on('error', (e) => fail(new ApiError(0, 'unavailable', `cannot reach ${this.url}: ${e.message}`)));
    req.end();
    return {
      ready,
      close: () => {
        closed = true;
        req.destroy();
      },
    };
  }

  // --------------------------------------------------------------------------------------------
  // Plumbing

  private authHeader(): Record<string, string> {
    return this.token ? { authorization: `Bearer ${this.token}` } : {};
  }

  private async json<T>(name: RouteName, opts: CallOptions = {}): Promise<T> {
    const res = await this.call(name, opts);
    try {
      return JSON.parse(res.body) as T;
    } catch {
      throw new ApiError(res.status, 'internal', `${name}: the server answered with something that is not JSON`);
    }
  }

  private async text(name: RouteName, opts: CallOptions = {}): Promise<string> {
    return (await this.call(name, opts)).body;
  }

  /** One request; a non-2xx answer becomes an ApiError. */
  call(name: RouteName, opts: CallOptions = {}): Promise<RawResponse> {
    const def = routes[name];
    const url = new URL(this.url + routePath(name, opts.params));
    for (const [k, v] of Object.entries(opts.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const body = opts.body === undefined || def.method === 'GET' ? undefined : JSON.stringify(opts.body);
    const headers: Record<string, string> = { accept: 'application/json, text/plain, */*', ...(opts.anonymous ? {} : this.authHeader()) };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const timeoutMs = opts.timeoutMs ?? this.timeoutMs;
    return new Promise<RawResponse>((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: def.method, headers, ...(this.ca ? { ca: this.ca } : {}) });
      const timer = setTimeout(() => {
        req.destroy();
        reject(new ApiError(0, 'timeout', `${def.method} ${url.pathname}: no answer from ${this.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      req.on('response', (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (data += d));
        res.on('end', () => {
          clearTimeout(timer);
          const out = { status: res.statusCode ?? 0, type: String(res.headers['content-type'] ?? ''), body: data };
          if (out.status >= 200 && out.status < 300) resolve(out);
          else reject(errorFrom(out));
        });
        res.on('error', (e) => {
          clearTimeout(timer);
          reject(new ApiError(0, 'unavailable', `${def.method} ${url.pathname}: ${e.message}`));
        });
      });
      req.on('error', (e) => {
        clearTimeout(timer);
        reject(new ApiError(0, 'unavailable', `cannot reach ${this.url}: ${e.message}`));
      });
      req.end(body);
    });
  }
}

export interface CallOptions {
  params?: Record<string, string>;
  query?: Record<string, string | undefined>;
  body?: unknown;
  /** Send no Authorization header. */
  anonymous?: boolean;
  timeoutMs?: number;
}

function revealQ(reveal: boolean | undefined): Record<string, string> {
  return reveal ? { reveal: '1' } : {};
}

function errorFrom(res: RawResponse): ApiError {
  try {
    const j = JSON.parse(res.body) as { code?: string; message?: string };
    if (typeof j.message === 'string') return new ApiError(res.status, j.code ?? 'internal', j.message);
  } catch {
    /* not JSON */
  }
  const fallback = res.status === 401 ? 'unauthorized' : res.status === 403 ? 'forbidden' : res.status === 404 ? 'not-found' : 'internal';
  return new ApiError(res.status, fallback, `HTTP ${res.status}: ${res.body.trim().slice(0, 200) || 'no message'}`);
}
