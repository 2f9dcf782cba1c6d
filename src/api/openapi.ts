// The OpenAPI 3.1 document, generated from contract.ts's zod schemas with zod's own JSON-schema
// export (no hand-written schema anywhere).
import { z } from 'zod';
import { API_PREFIX, ErrorBody, routes, type RouteDef } from './contract.ts';

type Json = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): Json {
  const out = z.toJSONSchema(s, { target: 'draft-2020-12', unrepresentable: 'any', io, reused: 'inline', cycles: 'ref' }) as Json;
  delete out.$schema;
  return out;
}

const CONTENT: Record<RouteDef['produces'], string> = {
  json: 'application/json',
  text: 'text/plain',
  xml: 'application/xml',
  'event-stream': 'text/event-stream',
  prometheus: 'text/plain; version=0.0.4',
};

const ERROR_TEXT: Record<number, string> = {
  400: 'bad request',
  401: 'no valid bearer token',
  403: 'not allowed for this role',
  404: 'not found',
  409: 'conflict',
  503: 'store unavailable',
  504: 'timed out',
};

export function openApiDocument(opts: { title?: string; version?: string; serverUrl?: string } = {}): Json {
  const paths: Record<string, Json> = {};
  const errorSchema = schemaOf(ErrorBody, 'output');
  for (const [name, raw] of Object.entries(routes)) {
    const def = raw as RouteDef;
    const path = API_PREFIX + def.path.replace(/:([A-Za-z]+)/g, '{$1}');
    const parameters: Json[] = [];
    if (def.params) {
      for (const [p, s] of Object.entries(def.params.shape)) parameters.push({ name: p, in: 'path', required: true, schema: schemaOf(s as z.ZodType, 'input') });
    }
    if (def.query) {
      for (const [p, s] of Object.entries(def.query.shape)) {
        const zs = s as z.ZodType;
        parameters.push({ name: p, in: 'query', required: !zs.safeParse(undefined).success, schema: schemaOf(zs, 'input'), ...(zs.description ? { description: zs.description } : {}) });
      }
    }
    const responses: Json = {
      200: {
        description: 'OK',
        content: { [CONTENT[def.produces]]: def.response ? { schema: schemaOf(def.response, 'output') } : { schema: { type: 'string' } } },
      },
    };
    const codes = new Set<number>([400, ...(def.access === 'public' ? [] : [401]), ...(def.access === 'admin' || def.access === 'read' ? [403] : []), 503]);
    for (const k of Object.keys(def.errors ?? {})) codes.add(Number(k));
    for (const code of [...codes].sort()) {
      const why = (def.errors as Record<number, string> | undefined)?.[code] ?? ERROR_TEXT[code] ?? 'error';
      responses[code] = { description: why, content: { 'application/json': { schema: errorSchema } } };
    }
    const op: Json = {
      operationId: name,
      summary: def.summary,
      tags: [def.path.split('/')[1] ?? 'api'],
      ...(parameters.length ? { parameters } : {}),
      ...(def.body ? { requestBody: { required: !def.body.safeParse(undefined).success, content: { 'application/json': { schema: schemaOf(def.body, 'input') } } } } : {}),
      responses,
      security: def.access === 'public' || def.access === 'credentials' ? [] : [{ bearer: [] }],
      'x-tandem-access': def.access,
    };
    paths[path] = { ...(paths[path] ?? {}), [def.method.toLowerCase()]: op };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: opts.title ?? 'Tandem cluster API',
      version: opts.version ?? '1',
      description:
        'Every route except /openapi.json and POST /auth/tokens needs Authorization: Bearer <token>. Role read-only may use GET routes; admin every route. Errors are {code, message}.',
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'an API token from POST /api/v1/auth/tokens' } } },
    paths,
  };
}
