// Tandem's HTTP API: startApiServer (server.ts), the contract (routes + zod schemas), the typed
// client, and the pieces the daemon/executor wire in (secrets, alerts, TLS helper).
export { startApiServer, HttpError, type ApiServer, type ApiServerDeps } from './server.ts';
export { ApiClient, ApiError, type ApiClientOptions, type EventStream } from './client.ts';
export * from './contract.ts';
export { makeToken, AuthStore, type Principal } from './auth.ts';
export { AuditLog } from './audit.ts';
export { EventHub, toClusterEvent } from './events.ts';
export { AlertRunner, localAlertPolicy, parseAlerts, type AlertResult } from './alerts.ts';
export { generateSelfSignedCert, type TlsMaterial } from './tls.ts';
export { clusterKey, decryptForAgent, encryptSecrets, loadKeyFile, maskConfiguration, maskParams, revealConfiguration, scrubText } from './secrets.ts';
export { openApiDocument } from './openapi.ts';
