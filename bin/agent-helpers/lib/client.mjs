// The helpers' end of the executor's attribute socket (src/executor/attribute-server.ts):
// one JSON request line out, one JSON reply line back.

import { createConnection } from 'node:net';
import { Exit } from './options.mjs';

export class ToolError extends Error {
  /** @param {string} message @param {number} exitCode */
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}

const REPLY_TIMEOUT_MS = 30_000;

/**
 * Sends one request; resolves with the reply's fields, or throws a ToolError whose exit code is
 * what Pacemaker's tools return for the same trouble.
 * @param {Record<string, unknown>} request
 */
export function request(request) {
  const path = process.env.TANDEM_ATTRD_SOCKET;
  if (!path) {
    return Promise.reject(new ToolError('Could not connect to the cluster: Transport endpoint is not connected (TANDEM_ATTRD_SOCKET is not set)', Exit.DISCONNECT));
  }
  return new Promise((resolve, reject) => {
    const socket = createConnection(path);
    let buffered = '';
    let done = false;
    const fail = (err) => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(err);
    };
    socket.setTimeout(REPLY_TIMEOUT_MS, () => fail(new ToolError('Timed out waiting for the cluster', Exit.DISCONNECT)));
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(JSON.stringify(request) + '\n'));
    socket.on('error', (err) => fail(new ToolError(`Could not connect to the cluster: Transport endpoint is not connected (${err.code ?? err.message})`, Exit.DISCONNECT)));
    socket.on('data', (chunk) => {
      buffered += chunk;
      const nl = buffered.indexOf('\n');
      if (nl < 0) return;
      done = true;
      socket.destroy();
      let reply;
      try {
        reply = JSON.parse(buffered.slice(0, nl));
      } catch {
        return reject(new ToolError('Garbled reply from the cluster', Exit.PROTOCOL));
      }
      if (reply.ok) return resolve(reply);
      if (reply.code === 'no-such-node') return reject(new ToolError(reply.message, Exit.NOSUCH));
      if (reply.code === 'bad-request') return reject(new ToolError(reply.message, Exit.USAGE));
      reject(new ToolError(reply.message, Exit.ERROR));
    });
    socket.on('end', () => fail(new ToolError('Connection closed by the cluster without a reply', Exit.DISCONNECT)));
  });
}
