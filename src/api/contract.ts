// The API contract: every route of Tandem's HTTP API (prefix /api/v1) with its zod request and
// response schemas. The server (server.ts) validates against these, the OpenAPI document
// (openapi.ts) is generated from them, and the typed client (client.ts) is driven by them. Change a
// route here and all three follow.
//
// Conventions:
// - Every route except `GET /openapi.json` and `POST /auth/tokens` (which takes user + password)
//   needs `Authorization: Bearer <token>`. Role `read-only` may call GET routes only; `admin` all.
// - Errors: HTTP status + `{ code, message }` (ErrorBody). `message` is one sentence naming what is
//   wrong and what would be right. Codes: bad-request (400), unauthorized (401), forbidden (403),
//   not-found (404), conflict (409), unavailable (503), timeout (504), internal (500).
// - Secrets (resource parameters marked secret) are masked as `****` everywhere unless an admin asks
//   for `reveal=1` where a route offers it.
import { z } from 'zod';

export const API_PREFIX = '/api/v1';
export const MASK = '****';

// ------------------------------------------------------------------------------------------------
// Shared schemas

export const ErrorCode = z.enum(['bad-request', 'unauthorized', 'forbidden', 'not-found', 'conflict', 'unavailable', 'timeout', 'internal']);
export type ErrorCode = z.infer<typeof ErrorCode>;

export const ErrorBody = z.object({ code: ErrorCode, message: z.string() }).meta({ id: 'Error' });
export type ErrorBody = z.infer<typeof ErrorBody>;

export const Role = z.enum(['admin', 'read-only']);
export type Role = z.infer<typeof Role>;

const revealQuery = z.object({
  reveal: z.enum(['0', '1', 'true', 'false']).optional().describe('1: show secret parameters in clear (admin only)'),
});

export const NodeStatus = z.object({
  name: z.string(),
  id: z.string().optional(),
  /** online, offline, unclean (lost, not yet known stopped), standby, maintenance are flags. */
  state: z.enum(['online', 'offline', 'unclean', 'pending']),
  online: z.boolean(),
  dc: z.boolean(),
  standby: z.boolean(),
  maintenance: z.boolean(),
  /** Membership state as the serving node sees it (up, suspect, lost, left), when known. */
  membership: z.string().optional(),
  resources: z.number().int().describe('number of resource instances active on it'),
});
export type NodeStatus = z.infer<typeof NodeStatus>;

export const ResourceStatus = z.object({
  id: z.string(),
  /** class:provider:type */
  agent: z.string(),
  /** Current role: Started, Stopped, Promoted, Unpromoted, ... */
  role: z.string(),
  nodes: z.array(z.string()),
  managed: z.boolean(),
  failed: z.boolean(),
  /** Enclosing group/clone id, if any. */
  parent: z.string().optional(),
  targetRole: z.string().optional(),
});
export type ResourceStatus = z.infer<typeof ResourceStatus>;

export const FailedAction = z.object({
  node: z.string(),
  resource: z.string(),
  operation: z.string(),
  intervalMs: z.number(),
  rc: z.number(),
  /** Pacemaker's execution status text: complete, Timed Out, Error, Not installed, ... */
  status: z.string(),
  exitReason: z.string().optional(),
  /** ISO time of the failure, when known. */
  time: z.string().optional(),
});
export type FailedAction = z.infer<typeof FailedAction>;

export const FailCount = z.object({ node: z.string(), resource: z.string(), operation: z.string(), intervalMs: z.number(), count: z.string() });

export const FencingEntry = z.object({
  id: z.string(),
  target: z.string(),
  action: z.string(),
  result: z.string(),
  executioner: z.string().optional(),
  origin: z.string().optional(),
  device: z.string().optional(),
  completedAt: z.string().describe('ISO time'),
  reason: z.string().optional(),
});
export type FencingEntry = z.infer<typeof FencingEntry>;

export const FencingRequestEntry = z.object({
  node: z.string(),
  requestedAt: z.string().optional(),
  by: z.string().optional(),
});

export const StatusResponse = z
  .object({
    cluster: z.string(),
    /** The node that answered. */
    node: z.string(),
    store: z.string(),
    time: z.string(),
    dc: z.object({ name: z.string(), token: z.number() }).nullable(),
    quorate: z.boolean(),
    configuration: z.object({ revision: z.number(), epoch: z.number() }).nullable(),
    nodes: z.array(NodeStatus),
    resources: z.array(ResourceStatus),
    failedActions: z.array(FailedAction),
    failCounts: z.array(FailCount),
    fencing: z.object({
      total: z.number(),
      failed: z.number(),
      pendingRequests: z.array(FencingRequestEntry),
      recent: z.array(FencingEntry),
    }),
    /** What the scheduler would do now (Transition Summary lines). */
    pending: z.array(z.string()),
  })
  .meta({ id: 'Status' });
export type StatusResponse = z.infer<typeof StatusResponse>;

export const ConfigResponse = z
  .object({ xml: z.string(), revision: z.number(), epoch: z.number(), updatedAt: z.string().optional(), updatedBy: z.string().optional() })
  .meta({ id: 'Configuration' });
export type ConfigResponse = z.infer<typeof ConfigResponse>;

export const PutConfigRequest = z.object({
  xml: z.string().min(1).describe('a <configuration> element or a whole <cib>'),
  expectedRevision: z.number().int().min(0).describe('revision from GET /config (0: no configuration yet)'),
});
export const ChangeResponse = z.object({ revision: z.number(), epoch: z.number() });
export type ChangeResponse = z.infer<typeof ChangeResponse>;

export const ImportRequest = z.object({
  xml: z.string().min(1).describe('a whole Pacemaker cib.xml'),
  expectedRevision: z.number().int().min(0).optional().describe('refuse if the configuration is no longer at this revision'),
});
export const ImportResponse = z.object({ revision: z.number(), epoch: z.number(), tickets: z.number() });

export const SimulateRequest = z.object({
  xml: z.string().min(1).optional().describe('a whole <cib> (with its status) to simulate instead of the live cluster'),
  changes: z
    .object({
      nodeDown: z.array(z.string()).optional(),
      nodeUp: z.array(z.string()).optional(),
      fail: z
        .array(
          z.object({
            rsc: z.string(),
            node: z.string(),
            op: z.string().describe('start, stop, monitor, promote, ...'),
            intervalMs: z.number().int().min(0).optional().describe('for monitor: the interval (default: the first configured)'),
            rc: z.number().int().optional().describe('exit code to inject (default 1)'),
          }),
        )
        .optional(),
    })
    .optional(),
  showScores: z.boolean().optional(),
});
export type SimulateRequest = z.infer<typeof SimulateRequest>;

export const SimulateResponse = z.object({
  currentStatus: z.array(z.string()),
  scores: z.array(z.string()).optional(),
  transitionSummary: z.array(z.string()),
  executing: z.array(z.string()),
  revisedStatus: z.array(z.string()),
  /** The four sections as crm_simulate -S prints them. */
  text: z.string(),
});
export type SimulateResponse = z.infer<typeof SimulateResponse>;

export const NodeAction = z.enum(['standby', 'unstandby', 'maintenance', 'unmaintenance']);
export type NodeAction = z.infer<typeof NodeAction>;
export const ResourceAction = z.enum(['cleanup', 'restart', 'enable', 'disable']);
export type ResourceAction = z.infer<typeof ResourceAction>;

export const ActionResponse = z.object({
  target: z.string(),
  action: z.string(),
  /** Store revision of the change (0 when nothing had to change). */
  revision: z.number(),
  /** One sentence: what was done. */
  message: z.string(),
});
export type ActionResponse = z.infer<typeof ActionResponse>;

export const ResourceActionRequest = z
  .object({
    node: z.string().optional().describe('cleanup: only this node'),
    timeoutMs: z.number().int().min(1).max(600_000).optional().describe('restart: how long to wait for the stop (default 60000)'),
  })
  .optional();

export const FenceRequest = z
  .object({
    action: z.enum(['reboot', 'off']).optional(),
    reason: z.string().optional(),
  })
  .optional();

export const FencingHistoryResponse = z.object({ history: z.array(FencingEntry), pendingRequests: z.array(FencingRequestEntry) });

export const ClusterEvent = z
  .object({
    /** transition, operation, failure, fencing, node, config, attribute */
    type: z.enum(['transition', 'operation', 'failure', 'fencing', 'node', 'config', 'attribute']),
    revision: z.number(),
    time: z.string(),
    node: z.string().optional(),
    resource: z.string().optional(),
    /** One sentence. */
    message: z.string(),
    data: z.record(z.string(), z.unknown()).optional(),
  })
  .meta({ id: 'ClusterEvent' });
export type ClusterEvent = z.infer<typeof ClusterEvent>;

export const CreateTokenRequest = z.object({
  user: z.string().min(1),
  password: z.string().min(1),
  name: z.string().optional().describe('a label for the token'),
  ttlSeconds: z.number().int().min(1).optional().describe('expire after this long (default: never)'),
});
export const TokenInfo = z.object({
  id: z.string(),
  user: z.string(),
  role: Role,
  name: z.string().optional(),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
});
export type TokenInfo = z.infer<typeof TokenInfo>;
export const CreateTokenResponse = TokenInfo.extend({ token: z.string().describe('the secret: shown once') });
export type CreateTokenResponse = z.infer<typeof CreateTokenResponse>;

export const WhoAmIResponse = z.object({ user: z.string(), role: Role, tokenId: z.string() });
export type WhoAmIResponse = z.infer<typeof WhoAmIResponse>;

export const CreateUserRequest = z.object({
  user: z.string().regex(/^[A-Za-z0-9._@-]{1,64}$/, 'user names are 1-64 letters, digits, . _ @ -'),
  password: z.string().min(8, 'passwords need at least 8 characters'),
  role: Role,
});
export const UserInfo = z.object({ user: z.string(), role: Role, createdAt: z.string() });

export const AuditEntry = z
  .object({
    id: z.string(),
    time: z.string(),
    user: z.string(),
    /** e.g. config.replace, node.standby, resource.cleanup, fence, token.create */
    action: z.string(),
    target: z.string().optional(),
    /** Store revision of the change, when it made one. */
    revision: z.number().optional(),
    /** One sentence; never contains a secret. */
    details: z.string().optional(),
    result: z.enum(['ok', 'refused', 'failed']),
  })
  .meta({ id: 'AuditEntry' });
export type AuditEntry = z.infer<typeof AuditEntry>;

export const AuditQuery = z.object({
  limit: z.coerce.number().int().min(1).max(10_000).optional().describe('newest N (default 100)'),
  user: z.string().optional(),
});
export const AuditResponse = z.object({ entries: z.array(AuditEntry) });

export const StatusQuery = z.object({ format: z.enum(['json', 'text']).optional() });
export const ConfigQuery = revealQuery;

// ------------------------------------------------------------------------------------------------
// Routes

export type Access = 'public' | 'credentials' | 'read' | 'admin';
export type Produces = 'json' | 'text' | 'xml' | 'event-stream' | 'prometheus';

export interface RouteDef {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Path below API_PREFIX, fastify style (`/nodes/:name/standby`). */
  path: string;
  summary: string;
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** JSON response schema (for json routes). */
  response?: z.ZodType;
  produces: Produces;
  /** Status codes besides 200 the route may answer with, and why. */
  errors?: Partial<Record<400 | 401 | 403 | 404 | 409 | 503 | 504, string>>;
}

const nameParam = z.object({ name: z.string().min(1) });
const idParam = z.object({ id: z.string().min(1) });

function nodeActionRoute(action: NodeAction, summary: string): RouteDef {
  return { method: 'POST', path: `/nodes/:name/${action}`, summary, access: 'admin', params: nameParam, response: ActionResponse, produces: 'json', errors: { 404: 'unknown node' } };
}
function resourceActionRoute(action: ResourceAction, summary: string): RouteDef {
  return {
    method: 'POST',
    path: `/resources/:id/${action}`,
    summary,
    access: 'admin',
    params: idParam,
    body: ResourceActionRequest,
    response: ActionResponse,
    produces: 'json',
    errors: { 404: 'unknown resource', ...(action === 'restart' ? { 504: 'the resource did not stop in time (its target-role was restored)' } : {}) },
  };
}

export const routes = {
  getStatus: {
    method: 'GET',
    path: '/status',
    summary: 'Cluster status: name, DC, quorum, nodes, resources, failed actions, fencing (format=text: crm_mon-like text)',
    access: 'read',
    query: StatusQuery,
    response: StatusResponse,
    produces: 'json',
  },
  getConfig: {
    method: 'GET',
    path: '/config',
    summary: 'The <configuration> XML with its revision (pass it to PUT /config) and epoch',
    access: 'read',
    query: ConfigQuery,
    response: ConfigResponse,
    produces: 'json',
    errors: { 403: 'reveal asked by a non-admin', 404: 'no configuration stored yet' },
  },
  putConfig: {
    method: 'PUT',
    path: '/config',
    summary: 'Replace the configuration if it is still at expectedRevision (a concurrent change is refused, never merged)',
    access: 'admin',
    body: PutConfigRequest,
    response: ChangeResponse,
    produces: 'json',
    errors: { 400: 'invalid XML or configuration (names the element)', 409: 'the configuration changed since expectedRevision' },
  },
  importConfig: {
    method: 'POST',
    path: '/config/import',
    summary: "Load a whole Pacemaker cib.xml (configuration and tickets; the file's node history is not imported)",
    access: 'admin',
    body: ImportRequest,
    response: ImportResponse,
    produces: 'json',
    errors: { 400: 'invalid cib.xml (names the element)', 409: 'the configuration changed since expectedRevision' },
  },
  exportConfig: {
    method: 'GET',
    path: '/config/export',
    summary: 'The configuration as a Pacemaker cib.xml (secrets masked unless reveal=1 by an admin)',
    access: 'read',
    query: ConfigQuery,
    produces: 'xml',
    errors: { 403: 'reveal asked by a non-admin', 404: 'no configuration stored yet' },
  },
  simulate: {
    method: 'POST',
    path: '/simulate',
    summary: 'What the scheduler would do for the current (or a given) CIB, optionally with nodes down or operations failed; changes nothing',
    access: 'read',
    body: SimulateRequest,
    response: SimulateResponse,
    produces: 'json',
    errors: { 400: 'invalid CIB or change (names it)' },
  },
  nodeStandby: nodeActionRoute('standby', 'Put a node in standby (permanent node attribute standby=on)'),
  nodeUnstandby: nodeActionRoute('unstandby', 'Take a node out of standby'),
  nodeMaintenance: nodeActionRoute('maintenance', 'Put a node in maintenance mode (its resources are left alone)'),
  nodeUnmaintenance: nodeActionRoute('unmaintenance', 'Take a node out of maintenance mode'),
  resourceCleanup: resourceActionRoute('cleanup', "Forget a resource's failures (fail counts and failed operations) so the DC re-evaluates it"),
  resourceRestart: resourceActionRoute('restart', 'Stop a resource (target-role=Stopped), wait until it is stopped, then restore its target-role'),
  resourceEnable: resourceActionRoute('enable', 'Allow a resource to run (removes target-role=Stopped)'),
  resourceDisable: resourceActionRoute('disable', 'Stop a resource and keep it stopped (target-role=Stopped)'),
  fenceNode: {
    method: 'POST',
    path: '/fence/:name',
    summary: 'Ask the DC to fence a node (records the request; the DC carries it out and records the result in the fencing history)',
    access: 'admin',
    params: nameParam,
    body: FenceRequest,
    response: ActionResponse,
    produces: 'json',
    errors: { 404: 'unknown node' },
  },
  fencingHistory: {
    method: 'GET',
    path: '/fencing/history',
    summary: 'Fencing operations (newest first) and fencing requests not yet carried out',
    access: 'read',
    query: z.object({ node: z.string().optional() }),
    response: FencingHistoryResponse,
    produces: 'json',
  },
  events: {
    method: 'GET',
    path: '/events',
    summary: 'Server-sent events (each `data:` is a ClusterEvent JSON): transitions, operation results, failures, fencing, node, config and attribute changes',
    access: 'read',
    produces: 'event-stream',
  },
  metrics: {
    method: 'GET',
    path: '/metrics',
    summary: 'Prometheus metrics: node and resource states, transitions, operation latencies, fail counts, fencing',
    access: 'read',
    produces: 'prometheus',
  },
  openapi: {
    method: 'GET',
    path: '/openapi.json',
    summary: 'This API as an OpenAPI 3.1 document, generated from its schemas',
    access: 'public',
    produces: 'json',
  },
  createToken: {
    method: 'POST',
    path: '/auth/tokens',
    summary: 'Create an API token from a user name and password (no bearer token needed); the token is shown once',
    access: 'credentials',
    body: CreateTokenRequest,
    response: CreateTokenResponse,
    produces: 'json',
    errors: { 401: 'wrong user or password' },
  },
  listTokens: {
    method: 'GET',
    path: '/auth/tokens',
    summary: 'Tokens (an admin sees all, others their own); never the secrets',
    access: 'read',
    response: z.object({ tokens: z.array(TokenInfo) }),
    produces: 'json',
  },
  revokeToken: {
    method: 'DELETE',
    path: '/auth/tokens/:id',
    summary: 'Revoke a token (an admin any token, others their own)',
    access: 'read',
    params: idParam,
    response: z.object({ revoked: z.string() }),
    produces: 'json',
    errors: { 404: 'no such token' },
  },
  whoami: {
    method: 'GET',
    path: '/auth/whoami',
    summary: 'Who the bearer token belongs to, and its role',
    access: 'read',
    response: WhoAmIResponse,
    produces: 'json',
  },
  createUser: {
    method: 'POST',
    path: '/auth/users',
    summary: 'Create or replace a user (password stored as a scrypt hash)',
    access: 'admin',
    body: CreateUserRequest,
    response: UserInfo,
    produces: 'json',
  },
  listUsers: {
    method: 'GET',
    path: '/auth/users',
    summary: 'Users and their roles',
    access: 'admin',
    response: z.object({ users: z.array(UserInfo) }),
    produces: 'json',
  },
  deleteUser: {
    method: 'DELETE',
    path: '/auth/users/:name',
    summary: 'Delete a user and revoke their tokens',
    access: 'admin',
    params: nameParam,
    response: z.object({ deleted: z.string(), tokensRevoked: z.number() }),
    produces: 'json',
    errors: { 404: 'no such user' },
  },
  audit: {
    method: 'GET',
    path: '/audit',
    summary: 'The audit log: every change, who made it, when, and the store revision (newest last)',
    access: 'read',
    query: AuditQuery,
    response: AuditResponse,
    produces: 'json',
  },
} as const satisfies Record<string, RouteDef>;

export type RouteName = keyof typeof routes;

/** Full path of a route with its `:params` filled in (values URL-encoded). */
export function routePath(name: RouteName, params: Record<string, string> = {}): string {
  const def: RouteDef = routes[name];
  return (
    API_PREFIX +
    def.path.replace(/:([A-Za-z]+)/g, (_m, p: string) => {
      const v = params[p];
      if (v === undefined || v === '') throw new Error(`route ${name} needs the path parameter '${p}'`);
      return encodeURIComponent(v);
    })
  );
}
