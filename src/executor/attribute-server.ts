// The local end of the agent helper commands: a UNIX socket speaking one JSON object per line.
// Each helper invocation connects, sends one request, reads one reply and exits.
// bin/agent-helpers/lib/client.mjs is the other end; keep the two in step.

import { chmod, mkdtemp, rm, unlink } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NoSuchNodeError, type AttributeBackend, type NodeAttributeKind, type PropertySection } from './attribute-backend.ts';

export type AttributeRequest =
  | { op: 'node-name' }
  | { op: 'nodes' }
  | { op: 'partition' }
  | { op: 'get'; node?: string; name: string; kind: NodeAttributeKind }
  | { op: 'get-all'; name: string; kind: NodeAttributeKind }
  | { op: 'set'; node?: string; name: string; value: string; kind: NodeAttributeKind; dampenMs?: number; private?: boolean }
  | { op: 'delete'; node?: string; name: string; kind: NodeAttributeKind }
  | { op: 'list'; node?: string; kind: NodeAttributeKind }
  | { op: 'status' }
  | { op: 'get-property'; name: string; section: PropertySection; set?: string }
  | { op: 'set-property'; name: string; value: string; section: PropertySection; set?: string }
  | { op: 'delete-property'; name: string; section: PropertySection; set?: string };

export type AttributeReply =
  | ({ ok: true } & Record<string, unknown>)
  | { ok: false; code: 'no-such-node' | 'bad-request' | 'backend'; message: string };

const KINDS: readonly string[] = ['transient', 'permanent', 'utilization'];
const SECTIONS: readonly string[] = ['crm_config', 'rsc_defaults', 'op_defaults', 'tickets'];
const MAX_REQUEST_BYTES = 64 * 1024;

export async function handleAttributeRequest(backend: AttributeBackend, req: AttributeRequest): Promise<AttributeReply> {
  const node = async (n: string | undefined) => n || (await backend.localNodeName());
  switch (req.op) {
    case 'node-name':
      return { ok: true, value: await backend.localNodeName() };
    case 'nodes':
      return { ok: true, nodes: await backend.listNodes() };
    case 'partition':
      return { ok: true, ...(await backend.partition()) };
    case 'get': {
      const n = await node(req.node);
      return { ok: true, node: n, value: (await backend.getNodeAttribute(n, req.name, req.kind)) ?? null };
    }
    case 'get-all': {
      const values: Array<{ node: string; value: string }> = [];
      for (const n of await backend.listNodes()) {
        const value = await backend.getNodeAttribute(n.name, req.name, req.kind);
        if (value !== undefined) values.push({ node: n.name, value });
      }
      return { ok: true, values };
    }
    case 'set': {
      const n = await node(req.node);
      await backend.setNodeAttribute(n, req.name, req.value, req.kind, {
        ...(req.dampenMs !== undefined ? { dampenMs: req.dampenMs } : {}),
        ...(req.private ? { private: true } : {}),
      });
      return { ok: true, node: n };
    }
    case 'delete': {
      const n = await node(req.node);
      await backend.deleteNodeAttribute(n, req.name, req.kind);
      return { ok: true, node: n };
    }
    case 'list': {
      const n = await node(req.node);
      return { ok: true, node: n, values: await backend.listNodeAttributes(n, req.kind) };
    }
    case 'status':
      return { ok: true, ...(await backend.clusterStatus()) };
    case 'get-property':
      return { ok: true, value: (await backend.getClusterProperty(req.name, req.section, req.set)) ?? null };
    case 'set-property':
      await backend.setClusterProperty(req.name, req.value, req.section, req.set);
      return { ok: true };
    case 'delete-property':
      await backend.deleteClusterProperty(req.name, req.section, req.set);
      return { ok: true };
  }
}

/** Checks a decoded request's shape; returns a message naming the problem, or undefined. */
export function requestProblem(req: unknown): string | undefined {
  if (typeof req !== 'object' || req === null) return 'request is not an object';
  const r = req as Record<string, unknown>;
  const str = (k: string) => typeof r[k] === 'string' && (r[k] as string).length > 0;
  const optStr = (k: string) => r[k] === undefined || typeof r[k] === 'string';
  switch (r.op) {
    case 'node-name':
    case 'nodes':
    case 'partition':
    case 'status':
      return undefined;
    case 'list':
      if (!KINDS.includes(r.kind as string)) return 'list needs kind transient, permanent or utilization';
      return optStr('node') ? undefined : 'node must be a string';
    case 'get':
    case 'get-all':
    case 'set':
    case 'delete':
      if (!str('name')) return `${r.op} needs a name`;
      if (!KINDS.includes(r.kind as string)) return `${r.op} needs kind transient, permanent or utilization`;
      if (!optStr('node')) return 'node must be a string';
      if (r.op === 'set' && typeof r.value !== 'string') return 'set needs a string value';
      if (r.op === 'set' && r.dampenMs !== undefined && typeof r.dampenMs !== 'number') return 'dampenMs must be a number';
      return undefined;
    case 'get-property':
    case 'set-property':
    case 'delete-property':
      if (!str('name')) return `${r.op} needs a name`;
      if (!SECTIONS.includes(r.section as string)) return `${r.op} needs section ${SECTIONS.join(', ')}`;
      if (!optStr('set')) return 'set must be a string';
      if (r.op === 'set-property' && typeof r.value !== 'string') return 'set-property needs a string value';
      return undefined;
    default:
      return `unknown op ${JSON.stringify(r.op)}`;
  }
}

export class AttributeServer {
  private server?: Server;
  private ownedDir?: string;
  readonly sockets = new Set<Socket>();

  constructor(
    private readonly backend: AttributeBackend,
    private socketPath?: string,
  ) {}

  get path(): string {
    if (!this.socketPath) throw new Error('attribute server is not listening');
    return this.socketPath;
  }

  async listen(): Promise<string> {
    if (!this.socketPath) {
      this.ownedDir = await mkdtemp(join(tmpdir(), 'tandem-attrd-'));
      this.socketPath = join(this.ownedDir, 'attrd.sock');
    } else {
      await unlink(this.socketPath).catch(() => {}); // a stale socket from a previous run
    }
    const server = createServer((socket) => this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.socketPath, () => resolve());
    });
    // Agents run as root; other users must not set cluster attributes through us.
    await chmod(this.socketPath, 0o600);
    this.server = server;
    return this.socketPath;
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
    if (this.ownedDir) await rm(this.ownedDir, { recursive: true, force: true });
    else if (this.socketPath) await unlink(this.socketPath).catch(() => {});
  }

  private serve(socket: Socket): void {
    this.sockets.add(socket);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    let buffered = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffered += chunk;
      if (buffered.length > MAX_REQUEST_BYTES) {
        this.reply(socket, { ok: false, code: 'bad-request', message: 'request too large' });
        return;
      }
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        void this.answer(line).then((reply) => this.reply(socket, reply, false));
      }
    });
  }

  private async answer(line: string): Promise<AttributeReply> {
    let req: unknown;
    try {
      req = JSON.parse(line);
    } catch {
      return { ok: false, code: 'bad-request', message: 'request is not JSON' };
    }
    const problem = requestProblem(req);
    if (problem) return { ok: false, code: 'bad-request', message: problem };
    try {
      return await handleAttributeRequest(this.backend, req as AttributeRequest);
    } catch (err) {
      if (err instanceof NoSuchNodeError) return { ok: false, code: 'no-such-node', message: err.message };
      return { ok: false, code: 'backend', message: err instanceof Error ? err.message : String(err) };
    }
  }

  private reply(socket: Socket, reply: AttributeReply, end = true): void {
    if (socket.destroyed) return;
    socket.write(JSON.stringify(reply) + '\n');
    if (end) socket.end();
  }
}
