// Tandem's HTTP API server (fastify): the routes of contract.ts with bearer-token authentication,
// roles, TLS, the audit log, secret masking, server-sent events, Prometheus metrics and alert
// agents. One entry point: startApiServer(deps). tandemd and `tandem demo` call it.
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';
import { CibConflictError, CibStore } from '../cib/cib-store.ts';
import { decodeRecord, keys, type ConfigurationRecord } from '../cib/store-layout.ts';
import { CibError, firstChild, parseXml, serializeXml, type XmlElement } from '../cib/xml.ts';
import type { MembershipView } from '../membership/types.ts';
import { isStoreError, type Store } from '../store/types.ts';
import { ActionError, Actions } from './actions.ts';
import { AlertRunner, localAlertPolicy, type AlertResult } from './alerts.ts';
import { AuditLog } from './audit.ts';
import { AuthError, AuthStore, type Principal } from './auth.ts';
import { API_PREFIX, routes, type ErrorCode, type RouteDef, type RouteName } from './contract.ts';
import { EventHub } from './events.ts';
import { ApiMetrics } from './metrics.ts';
import { openApiDocument } from './openapi.ts';
import { clusterKey, encryptSecrets, loadKeyFile, maskConfiguration, revealConfiguration, scrubText, secretValues, type SecretOptions } from './secrets.ts';
import { SimulateError, simulate } from './simulate.ts';
import { buildApiStatus, readFencing } from './status.ts';
import { storeView } from './view.ts';

export interface ApiServerDeps {
  store: Store;
  cluster: string;
  /** The node serving (shown in status; alerts for its own events). */
  node: string;
  /** Default: a CibStore over `store`. */
  cib?: CibStore;
  /**
   * The membership view (tandemd: `agent.membership`). Default: read from the store at each request
   * (members with a lease are up; see view.ts).
   */
  view?: MembershipView | (() => MembershipView | Promise<MembershipView>);
  /** Listen address (default 127.0.0.1) and port (default 0: a free port). */
  host?: string;
  port?: number;
  /** Serve HTTPS with this certificate and key (PEM). See tls.ts for a self-signed one. */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /**
   * Bootstrap admin: created (or its password replaced) at start. With `token` (tdm_... form, see
   * makeToken) that token is stored for the user; with only a password a token is minted. Either
   * way `server.adminToken` holds a usable token.
   */
  admin?: { user: string; password?: string; token?: string };
  /** Secret parameters: the key (32 bytes) or a key file; default the cluster key in the store. */
  secrets?: { key?: Buffer; keyFile?: string } & SecretOptions;
  /** Alert agents from the CIB (default on). `runFor` chooses the events this node alerts. */
  alerts?: false | { runFor?: AlertRunnerRunFor; onResult?: (r: AlertResult) => void };
  /** Share an event hub (several API servers of one process); default: its own. */
  hub?: EventHub;
  log?: (line: string) => void;
  /** Register extra routes (e.g. tandemd's unauthenticated /status) before the server listens. */
  extraRoutes?: (app: FastifyInstance) => void;
}

type AlertRunnerRunFor = NonNullable<ConstructorParameters<typeof AlertRunner>[0]['runFor']>;

export interface ApiServer {
  /** Base URL (without /api/v1), e.g. https://127.0.0.1:7480 */
  readonly url: string;
  readonly port: number;
  /** A token of the bootstrap admin, when `admin` was given. */
  readonly adminToken: string | undefined;
  readonly auth: AuthStore;
  readonly audit: AuditLog;
  readonly hub: EventHub;
  readonly metrics: ApiMetrics;
  readonly alerts: AlertRunner | undefined;
  readonly secretKey: Buffer;
  readonly app: FastifyInstance;
  close(): Promise<void>;
}

/** An error with an HTTP status and code, sent as { code, message }. */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

const CODE_OF: Record<number, ErrorCode> = { 400: 'bad-request', 401: 'unauthorized', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 503: 'unavailable', 504: 'timeout' };

function toHttpError(err: unknown): HttpError {
  if (err instanceof HttpError) return err;
  if (err instanceof AuthError || err instanceof ActionError) return new HttpError(err.status, CODE_OF[err.status] ?? 'internal', err.message);
  if (err instanceof CibConflictError) return new HttpError(409, 'conflict', err.message);
  if (err instanceof CibError || err instanceof SimulateError) return new HttpError(400, 'bad-request', err.message);
  if (err instanceof z.ZodError) return new HttpError(400, 'bad-request', zodMessage('request', err));
  if (isStoreError(err, 'unavailable') || isStoreError(err, 'timeout') || isStoreError(err, 'closed')) return new HttpError(503, 'unavailable', `the cluster store is not answering: ${(err as Error).message}`);
  const e = err as { statusCode?: number; message?: string };
  if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return new HttpError(e.statusCode, CODE_OF[e.statusCode] ?? 'bad-request', e.message ?? 'bad request');
  return new HttpError(500, 'internal', (err as Error)?.message ?? String(err));
}

function zodMessage(where: string, err: z.ZodError): string {
  return err.issues.map((i) => `${[where, ...i.path.map(String)].join('.')}: ${i.message}`).join('; ');
}

function parseWith<T>(schema: z.ZodType<T> | undefined, value: unknown, where: string): T {
  if (!schema) return value as T;
  const r = schema.safeParse(value);
  if (!r.success) throw new HttpError(400, 'bad-request', zodMessage(where, r.error));
  return r.data;
}

function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (!h) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  if (!m) throw new AuthError(401, 'the Authorization header must be "Bearer <token>"');
  return m[1];
}

const truthy = (v: string | undefined) => v === '1' || v === 'true';

interface Ctx {
  principal: Principal | undefined;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  req: FastifyRequest;
  reply: FastifyReply;
}

type Handler = (ctx: Ctx) => Promise<unknown>;

export async function startApiServer(deps: ApiServerDeps): Promise<ApiServer> {
  const { store, cluster } = deps;
  const log = deps.log ?? (() => undefined);
  const cib = deps.cib ?? new CibStore(store, cluster);
  const auth = new AuthStore(store, cluster);
  const audit = new AuditLog(store, cluster);
  const metrics = new ApiMetrics(cluster);
  const secretOpts: SecretOptions = {
    ...(deps.secrets?.secretParams ? { secretParams: deps.secrets.secretParams } : {}),
    ...(deps.secrets?.namePattern !== undefined ? { namePattern: deps.secrets.namePattern } : {}),
  };
  const secretKey = deps.secrets?.key ?? (deps.secrets?.keyFile ? loadKeyFile(deps.secrets.keyFile) : await clusterKey(store, cluster));
  const getView = async (): Promise<MembershipView> => {
    const v = deps.view;
    if (!v) return storeView(store, cluster, deps.node);
    return typeof v === 'function' ? await v() : v;
  };
  const statusCtx = async () => ({ cluster, node: deps.node, cib, view: await getView() });
  const actions = new Actions(cib, cluster, getView);

  // Bootstrap admin.
  let adminToken: string | undefined;
  if (deps.admin) {
    const { user, password, token } = deps.admin;
    const existing = await auth.getUser(user);
    if (password !== undefined) await auth.putUser(user, password, 'admin');
    else if (!existing) await auth.putUser(user, (await import('node:crypto')).randomBytes(24).toString('base64url'), 'admin');
    else if (existing.role !== 'admin') throw new Error(`bootstrap admin ${user} exists with role ${existing.role}`);
    if (token) {
      await auth.importToken(token, user);
      adminToken = token;
    } else {
      adminToken = (await auth.createToken(user, { name: 'bootstrap' })).token;
    }
    await audit.append({ user: 'system', action: 'auth.bootstrap', target: user, result: 'ok', details: `bootstrap admin ${user} set up by ${deps.node}` });
  }

  // Events, alerts, metrics counters.
  const ownHub = !deps.hub;
  const hub = deps.hub ?? new EventHub(store, cluster, (err) => log(`events: ${err.message}`));
  await hub.start();
  const unsubs: Array<() => void> = [hub.subscribe((e) => metrics.observe(e))];
  let alerts: AlertRunner | undefined;
  if (deps.alerts !== false) {
    const viewNow = deps.view && typeof deps.view !== 'function' ? deps.view : undefined;
    const runFor = deps.alerts?.runFor ?? (viewNow ? localAlertPolicy(deps.node, () => viewNow.leader?.name) : undefined);
    alerts = new AlertRunner({ cib, log, ...(runFor ? { runFor } : {}), ...(deps.alerts?.onResult ? { onResult: deps.alerts.onResult } : {}) });
    const a = alerts;
    unsubs.push(hub.subscribe((e) => a.handle(e)));
  }

  const app = Fastify({
    logger: false,
    bodyLimit: 32 * 1024 * 1024,
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  app.addContentTypeParser(['application/xml', 'text/xml'], { parseAs: 'string' }, (_req, body, done) => done(null, { xml: body }));
  app.setErrorHandler((err, req, reply) => {
    const h = toHttpError(err);
    if (h.status >= 500) log(`API ${req.method} ${req.url} failed: ${h.message}`);
    void reply.code(h.status).header('cache-control', 'no-store').send({ code: h.code, message: h.message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.code(404).send({ code: 'not-found', message: `no route ${req.method} ${req.url.split('?')[0]}; the routes are listed at ${API_PREFIX}/openapi.json` });
  });
  app.addHook('onResponse', async (req, reply) => {
    metrics.requests.inc({ method: req.method, route: req.routeOptions.url ?? 'unknown', status: String(reply.statusCode) });
  });

  async function authorize(def: RouteDef, req: FastifyRequest): Promise<Principal | undefined> {
    if (def.access === 'public' || def.access === 'credentials') return undefined;
    const p = await auth.authenticate(bearer(req));
    if (def.access === 'admin' && p.role !== 'admin') {
      throw new AuthError(403, `user ${p.user} has role ${p.role}: ${def.method} ${API_PREFIX}${def.path} changes the cluster and needs role admin`);
    }
    return p;
  }

  function route(name: RouteName, handler: Handler): void {
    const def: RouteDef = routes[name];
    app.route({
      method: def.method,
      url: API_PREFIX + def.path,
      handler: async (req, reply) => {
        const principal = await authorize(def, req);
        const params = parseWith(def.params, req.params ?? {}, 'path') as Record<string, string>;
        const query = parseWith(def.query, req.query ?? {}, 'query') as Record<string, unknown>;
        const rawBody = req.body === undefined || req.body === null || req.body === '' ? undefined : req.body;
        const body = def.body ? parseWith(def.body, rawBody, 'body') : undefined;
        reply.header('cache-control', 'no-store');
        return handler({ principal, params, query, body, req, reply });
      },
    });
  }

  const who = (c: Ctx) => c.principal?.user ?? 'anonymous';
  const requireReveal = (c: Ctx): boolean => {
    const reveal = truthy(c.query.reveal as string | undefined);
    if (reveal && c.principal?.role !== 'admin') throw new HttpError(403, 'forbidden', `user ${who(c)} has role ${c.principal?.role}: revealing secret parameters needs role admin`);
    return reveal;
  };
  const shownXml = (xml: string, reveal: boolean) => (reveal ? revealConfiguration(xml, secretKey) : maskConfiguration(xml, secretOpts));

  /** Secret plaintexts in a request's XML (best effort), to keep them out of audit details. */
  function requestSecrets(xml: string | undefined): string[] {
    if (!xml) return [];
    try {
      const root = parseXml(xml, 'request');
      const cfg = root.name === 'cib' ? firstChild(root, 'configuration') : root;
      return cfg ? secretValues(cfg, secretKey, secretOpts) : [];
    } catch {
      return [];
    }
  }

  /** Run a change and audit it: ok with the revision, or refused/failed with the (scrubbed) reason. */
  async function audited<T extends object>(c: Ctx, action: string, target: string | undefined, fn: () => Promise<T>, details?: (r: T) => string, secrets: string[] = []): Promise<T> {
    try {
      const r = await fn();
      await audit.append({ user: who(c), action, ...(target !== undefined ? { target } : {}), ...(revisionOf(r) ? { revision: revisionOf(r)! } : {}), result: 'ok', ...(details ? { details: scrubText(details(r), secrets) } : {}) });
      return r;
    } catch (err) {
      const h = toHttpError(err);
      await audit
        .append({ user: who(c), action, ...(target !== undefined ? { target } : {}), result: h.status < 500 ? 'refused' : 'failed', details: scrubText(h.message, secrets) })
        .catch(() => undefined);
      throw err;
    }
  }

  // ---- status, config

  route('getStatus', async (c) => {
    const s = await buildApiStatus(await statusCtx());
    if (c.query.format === 'text') {
      void c.reply.type('text/plain; charset=utf-8');
      return s.text;
    }
    return s.json;
  });

  route('getConfig', async (c) => {
    const reveal = requireReveal(c);
    const loaded = await cib.loadConfiguration();
    if (!loaded) throw new HttpError(404, 'not-found', 'the cluster has no configuration yet: PUT /api/v1/config with expectedRevision 0, or POST /api/v1/config/import');
    const r = loaded.record;
    return { xml: shownXml(r.xml, reveal), revision: loaded.revision, epoch: r.epoch, updatedAt: new Date(r.updatedAt).toISOString(), ...(r.updatedBy ? { updatedBy: r.updatedBy } : {}) };
  });

  route('putConfig', async (c) => {
    const body = c.body as { xml: string; expectedRevision: number };
    const secrets = requestSecrets(body.xml);
    return audited(
      c,
      'config.replace',
      'configuration',
      async () => {
        const prev = await cib.loadConfiguration();
        const xml = encryptSecrets(body.xml, secretKey, { ...secretOpts, ...(prev ? { previous: prev.element } : {}) });
        return cib.replaceConfiguration(xml, body.expectedRevision, { by: who(c) });
      },
      (r) => `configuration replaced (expected revision ${body.expectedRevision}, now epoch ${r.epoch})`,
      secrets,
    );
  });

  route('importConfig', async (c) => {
    const body = c.body as { xml: string; expectedRevision?: number };
    const secrets = requestSecrets(body.xml);
    return audited(
      c,
      'config.import',
      'configuration',
      async () => {
        const root = parseXml(body.xml, 'cib.xml');
        if (root.name !== 'cib') throw new CibError(`cib.xml: root element must be <cib>, found <${root.name}>`);
        const prev = await cib.loadConfiguration();
        const xml = encryptSecrets(serializeXml(root), secretKey, { ...secretOpts, ...(prev ? { previous: prev.element } : {}) });
        return cib.importCib(xml, { by: who(c), ...(body.expectedRevision !== undefined ? { expectedRevision: body.expectedRevision } : {}) });
      },
      (r) => `cib.xml imported (epoch ${r.epoch}, ${r.tickets} ticket${r.tickets === 1 ? '' : 's'})`,
      secrets,
    );
  });

  route('exportConfig', async (c) => {
    const reveal = requireReveal(c);
    const kv = (await store.get(keys.config(cluster))).kv;
    if (!kv) throw new HttpError(404, 'not-found', 'the cluster has no configuration yet: nothing to export');
    const rec = decodeRecord<ConfigurationRecord>(kv.key, kv.value);
    const configuration = parseXml(shownXml(rec.xml, reveal), 'stored configuration');
    const root: XmlElement = {
      name: 'cib',
      attrs: { ...rec.cibAttrs, epoch: String(rec.epoch), num_updates: '0', admin_epoch: String(rec.adminEpoch) },
      children: [configuration, { name: 'status', attrs: {}, children: [] }],
    };
    if (reveal) await audit.append({ user: who(c), action: 'config.reveal', target: 'configuration', revision: kv.modRevision, result: 'ok', details: 'exported with secrets revealed' });
    void c.reply.type('application/xml; charset=utf-8');
    return serializeXml(root);
  });

  route('simulate', async (c) => {
    const body = (c.body ?? {}) as z.infer<typeof routes.simulate.body>;
    const view = await getView();
    return simulate(body, () => cib.readCib(view, Date.now()), Date.now());
  });

  // ---- actions

  const nodeAction = (name: 'nodeStandby' | 'nodeUnstandby' | 'nodeMaintenance' | 'nodeUnmaintenance', action: 'standby' | 'unstandby' | 'maintenance' | 'unmaintenance') =>
    route(name, (c) => audited(c, `node.${action}`, c.params.name, () => actions.node(c.params.name!, action, who(c)), (r) => r.message));
  nodeAction('nodeStandby', 'standby');
  nodeAction('nodeUnstandby', 'unstandby');
  nodeAction('nodeMaintenance', 'maintenance');
  nodeAction('nodeUnmaintenance', 'unmaintenance');

  const rscAction = (name: 'resourceCleanup' | 'resourceRestart' | 'resourceEnable' | 'resourceDisable', action: 'cleanup' | 'restart' | 'enable' | 'disable') =>
    route(name, (c) => {
      const body = (c.body ?? {}) as { node?: string; timeoutMs?: number };
      const step = (s: string, revision: number) => audit.append({ user: who(c), action: `resource.${action}.step`, target: c.params.id!, revision, result: 'ok', details: s }).then(() => undefined);
      return audited(c, `resource.${action}`, c.params.id, () => actions.resource(c.params.id!, action, body, who(c), step), (r) => r.message);
    });
  rscAction('resourceCleanup', 'cleanup');
  rscAction('resourceRestart', 'restart');
  rscAction('resourceEnable', 'enable');
  rscAction('resourceDisable', 'disable');

  route('fenceNode', (c) => {
    const body = (c.body ?? {}) as { action?: string; reason?: string };
    return audited(c, 'fence', c.params.name, () => actions.fence(c.params.name!), (r) => `${r.message}${body.reason ? `; reason: ${body.reason}` : ''}${body.action ? `; action ${body.action}` : ''}`);
  });

  route('fencingHistory', async (c) => readFencing({ cib, cluster }, c.query.node as string | undefined));

  // ---- events, metrics, openapi

  route('events', async (c) => {
    const { reply, req } = c;
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    raw.write(`: tandem events of cluster ${cluster} from ${deps.node}\n\n`);
    const unsub = hub.subscribe((e) => {
      raw.write(`id: ${e.revision}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    });
    const ping = setInterval(() => raw.write(': ping\n\n'), 15_000);
    const end = () => {
      clearInterval(ping);
      unsub();
    };
    req.raw.on('close', end);
    raw.on('close', end);
    openStreams.add(raw);
    raw.on('close', () => openStreams.delete(raw));
  });
  const openStreams = new Set<import('node:http').ServerResponse>();

  route('metrics', async (c) => {
    const text = await metrics.render(await statusCtx());
    void c.reply.type(metrics.registry.contentType);
    return text;
  });

  let openapiDoc: Record<string, unknown> | undefined;
  route('openapi', async () => (openapiDoc ??= openApiDocument()));

  // ---- auth

  route('createToken', async (c) => {
    const body = c.body as { user: string; password: string; name?: string; ttlSeconds?: number };
    let user;
    try {
      user = await auth.checkPassword(body.user, body.password);
    } catch (err) {
      await audit.append({ user: body.user, action: 'token.create', result: 'refused', details: 'wrong user name or password' }).catch(() => undefined);
      throw err;
    }
    const t = await auth.createToken(user.user, { ...(body.name ? { name: body.name } : {}), ...(body.ttlSeconds ? { ttlSeconds: body.ttlSeconds } : {}) });
    await audit.append({ user: user.user, action: 'token.create', target: t.record.id, revision: t.revision, result: 'ok', details: `token ${t.record.id}${body.name ? ` (${body.name})` : ''} created for ${user.user}` });
    return { ...tokenInfo(t.record, user.role), token: t.token };
  });

  route('listTokens', async (c) => {
    const users = new Map((await auth.listUsers()).map((u) => [u.user, u.role]));
    const all = await auth.listTokens();
    const mine = c.principal!.role === 'admin' ? all : all.filter((t) => t.user === c.principal!.user);
    return { tokens: mine.map((t) => tokenInfo(t, users.get(t.user) ?? 'read-only')) };
  });

  route('revokeToken', (c) =>
    audited(
      c,
      'token.revoke',
      c.params.id,
      async () => {
        const t = await auth.getToken(c.params.id!);
        if (!t) throw new HttpError(404, 'not-found', `no token ${JSON.stringify(c.params.id)} (already revoked, or never existed)`);
        if (c.principal!.role !== 'admin' && t.user !== c.principal!.user) throw new HttpError(403, 'forbidden', `token ${t.id} belongs to ${t.user}: only an admin may revoke another user's token`);
        const revision = await auth.revokeToken(t.id);
        return { revoked: t.id, revision };
      },
      (r) => `token ${r.revoked} revoked`,
    ).then((r) => ({ revoked: r.revoked })),
  );

  route('whoami', async (c) => ({ user: c.principal!.user, role: c.principal!.role, tokenId: c.principal!.tokenId }));

  route('createUser', (c) => {
    const body = c.body as { user: string; password: string; role: 'admin' | 'read-only' };
    return audited(
      c,
      'user.put',
      body.user,
      async () => {
        const rec = await auth.putUser(body.user, body.password, body.role);
        return { user: rec.user, role: rec.role, createdAt: new Date(rec.createdAt).toISOString() };
      },
      (r) => `user ${r.user} set with role ${r.role}`,
    );
  });

  route('listUsers', async () => ({ users: (await auth.listUsers()).map((u) => ({ user: u.user, role: u.role, createdAt: new Date(u.createdAt).toISOString() })) }));

  route('deleteUser', (c) =>
    audited(
      c,
      'user.delete',
      c.params.name,
      async () => {
        const r = await auth.deleteUser(c.params.name!);
        return { deleted: c.params.name!, tokensRevoked: r.tokensRevoked, revision: r.revision };
      },
      (r) => `user ${r.deleted} deleted, ${r.tokensRevoked} token(s) revoked`,
    ).then(({ deleted, tokensRevoked }) => ({ deleted, tokensRevoked })),
  );

  route('audit', async (c) => ({ entries: await audit.list({ ...(c.query.limit !== undefined ? { limit: c.query.limit as number } : {}), ...(c.query.user !== undefined ? { user: c.query.user as string } : {}) }) }));

  deps.extraRoutes?.(app);

  // ---- listen

  await app.listen({ host: deps.host ?? '127.0.0.1', port: deps.port ?? 0 });
  const addr = app.server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `${deps.tls ? 'https' : 'http'}://${host}:${addr.port}`;
  log(`API serving ${url}${API_PREFIX} (OpenAPI at ${url}${API_PREFIX}/openapi.json)`);

  let closed = false;
  return {
    url,
    port: addr.port,
    adminToken,
    auth,
    audit,
    hub,
    metrics,
    alerts,
    secretKey,
    app,
    async close() {
      if (closed) return;
      closed = true;
      for (const u of unsubs) u();
      if (ownHub) hub.stop();
      for (const s of openStreams) s.end();
      await app.close();
      await alerts?.settled();
    },
  };
}

function revisionOf(r: object): number | undefined {
  const v = (r as { revision?: unknown }).revision;
  return typeof v === 'number' && v > 0 ? v : undefined;
}

function tokenInfo(t: { id: string; user: string; name?: string; createdAt: number; expiresAt?: number }, role: 'admin' | 'read-only') {
  return {
    id: t.id,
    user: t.user,
    role,
    ...(t.name ? { name: t.name } : {}),
    createdAt: new Date(t.createdAt).toISOString(),
    ...(t.expiresAt ? { expiresAt: new Date(t.expiresAt).toISOString() } : {}),
  };
}
