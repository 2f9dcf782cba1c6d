#!/usr/bin/env node
// A tiny TCP responder for the lab: every connection gets one line "HOST PID\n" and is closed.
// Tandem manages it as a `process`-class clone (port 7000); the lab can also start it by itself.
//
//   node responder.mjs [--port 7000] [--bind 0.0.0.0] [--name HOST]

import { createServer } from 'node:net';
import { hostname } from 'node:os';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : dflt;
};
const port = Number(opt('port', '7000'));
const bind = opt('bind', '0.0.0.0');
const name = opt('name', hostname());
const line = `${name} ${process.pid}\n`;

const server = createServer((sock) => {
  sock.on('error', () => {});
  sock.end(line);
});
server.on('error', (e) => {
  console.error(`responder: ${e.message}`);
  process.exit(1);
});
server.listen({ port, host: bind, reuseAddress: true }, () => {
  console.error(`responder ${name} pid ${process.pid} listening on ${bind}:${port}`);
});
for (const sig of ['SIGTERM', 'SIGINT']) process.on(sig, () => server.close(() => process.exit(0)));
