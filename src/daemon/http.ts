// tandemd's HTTP server. For now: GET /status (JSON) and GET /status.txt (crm_mon-like text).
// Routes live in one table here so the real API (another issue) can grow in this one place.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../controller/log.ts';

export type RouteHandler = (req: IncomingMessage, url: URL) => Promise<{ status?: number; type?: string; body: string | object }>;

export interface HttpServer {
  readonly server: Server;
  /** Base URL once listening, e.g. http://127.0.0.1:7480 */
  readonly url: string;
  readonly port: number;
  route(method: string, path: string, handler: RouteHandler): void;
  close(): Promise<void>;
}

export async function startHttpServer(opts: { host: string; port: number; logger: Logger }): Promise<HttpServer> {
  const routes = new Map<string, RouteHandler>();
  const server = createServer((req, res) => void handle(req, res));
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const handler = routes.get(`${req.method ?? 'GET'} ${url.pathname}`);
    try {
      if (!handler) {
        const known = [...routes.keys()].join(', ');
        return send(res, 404, 'application/json', { error: `no route ${req.method} ${url.pathname} (known: ${known})` });
      }
      const out = await handler(req, url);
      const body = out.body;
      send(res, out.status ?? 200, out.type ?? (typeof body === 'string' ? 'text/plain; charset=utf-8' : 'application/json'), body);
    } catch (err) {
      opts.logger.warn(`HTTP ${req.method} ${url.pathname} failed: ${(err as Error).message}`);
      send(res, 500, 'application/json', { error: (err as Error).message });
    }
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => (server.off('error', reject), resolve()));
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  return {
    server,
    url: `http://${host}:${addr.port}`,
    port: addr.port,
    route: (method, path, handler) => void routes.set(`${method} ${path}`, handler),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections?.();
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | object): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body, null, 2) + '\n';
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(text);
}
