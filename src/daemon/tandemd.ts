// tandemd's composition root: one node of a cluster — store, node agent (membership, executor,
// history), the DC controller (active while this node is DC), the fencer and the API (src/api:
// authenticated, TLS when configured, audit, events, metrics, alerts, OpenAPI).
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CibStore } from '../cib/cib-store.ts';
import { Controller } from '../controller/controller.ts';
import { createLogger, jsonSink, textSink, type Logger } from '../controller/log.ts';
import type { ControllerTiming, Fencer } from '../controller/types.ts';
import { Fencer as DeviceFencer } from '../fencer/fencer.ts';
import { resolveTimingBudget } from '../membership/timing.ts';
import type { MembershipView, TimingBudget } from '../membership/types.ts';
import { NodeAgent } from '../node/node-agent.ts';
import { openStore, type Store } from '../store/index.ts';
import type { TandemdConfig } from './config.ts';
import { startApiServer, type ApiServer } from '../api/server.ts';
import type { EventHub } from '../api/events.ts';
import { API_PREFIX } from '../api/contract.ts';

export interface TandemdDeps {
  /** Share a store (several nodes in one process on the embedded store). Not closed by stop(). */
  store?: Store;
  logger?: Logger;
  fencer?: Fencer;
  /** DC loop tunables (tests). */
  controllerTiming?: Partial<ControllerTiming>;
  /** Voters of the membership (default: the configured nodes). */
  voters?: string[];
  /** Serve the API (default true). */
  http?: boolean;
  /** Bootstrap admin (default: the configuration's `admin`). */
  admin?: { user: string; password?: string; token?: string };
  /** Share one event hub among the API servers of one process (the demo). */
  hub?: EventHub;
  /** Run alert agents from this node's API (default true). */
  alerts?: boolean;
  /**
   * Give agents a per-node HA_VARRUN under stateDir (default: theirs, /var/run). For nodes sharing
   * one host (the demo): Stateful keeps an anonymous clone's role in HA_VARRUN/Stateful-<id>.state.
   */
  privateVarRun?: boolean;
}

export interface Tandemd {
  readonly config: TandemdConfig;
  readonly store: Store;
  readonly agent: NodeAgent;
  readonly controller: Controller;
  readonly cib: CibStore;
  /** The API server (when serving). */
  readonly api: ApiServer | undefined;
  readonly logger: Logger;
  /** Base URL of the API (when serving), e.g. http://127.0.0.1:7480; the routes are under /api/v1. */
  readonly url: string | undefined;
  /** Clean stop: stops this node's resources, leaves the cluster, closes the API. */
  stop(): Promise<void>;
  /** Crash: silence at once (no clean leave), as if the process died; resolves once the API port is free. */
  kill(): Promise<void>;
}

/** Timing names as given in any case (TANDEM_TIMING_HEARTBEATMS) mapped to the budget's. */
export function normalizeTiming(t: Record<string, number>): Partial<TimingBudget> {
  const names: (keyof TimingBudget)[] = ['heartbeatMs', 'suspectMs', 'selfFenceMs', 'marginMs', 'storeCallDeadlineMs', 'leaseTtlMs', 'storeGraceMs'];
  const out: Partial<TimingBudget> = {};
  const unknown: Record<string, number> = {};
  for (const [k, v] of Object.entries(t)) {
    const n = names.find((x) => x.toLowerCase() === k.toLowerCase().replace(/_/g, ''));
    if (n) out[n] = v;
    else unknown[k] = v;
  }
  // Unknown names are left in so that validation names them.
  return { ...out, ...(unknown as Partial<TimingBudget>) };
}

/** Checks the timing budget (config loading calls this; errors name the broken rule's setting). */
export function validateTiming(t: Record<string, number>): void {
  resolveTimingBudget(normalizeTiming(t));
}

export function loggerFor(config: Pick<TandemdConfig, 'logLevel' | 'logFormat' | 'node'>): Logger {
  const sink = config.logFormat === 'text' ? textSink(process.stderr) : jsonSink(process.stderr);
  return createLogger({ level: config.logLevel, sinks: [sink] }).child({ node: config.node });
}

/**
 * The device fencer, fed the current CIB at each call (fence devices and topology come from the
 * configuration); nodes without a device come back as `method: 'none'`.
 */
export function storeBackedFencer(cib: CibStore, view: () => MembershipView, node: string, log: Logger): Fencer {
  let fencer: DeviceFencer | undefined;
  return {
    async fence(target, action, reason) {
      try {
        const current = await cib.readCib(view(), Date.now());
        if (!fencer) fencer = new DeviceFencer({ localNode: node, cib: current, log: (m) => log.info(m, { component: 'fencer' }) });
        else fencer.updateCib(current);
        return await fencer.fence(target, action, reason);
      } catch (err) {
        return { ok: false, method: 'none', error: `fencer: ${(err as Error).message}` };
      }
    },
  };
}

export async function startTandemd(config: TandemdConfig, deps: TandemdDeps = {}): Promise<Tandemd> {
  const logger = deps.logger ?? loggerFor(config);
  const ownStore = !deps.store;
  const store =
    deps.store ?? (config.store === 'etcd' ? openStore({ kind: 'etcd', endpoints: config.etcdEndpoints }) : openStore({ kind: 'embedded' }));
  const rscTmp = join(config.stateDir, 'rsctmp');
  mkdirSync(rscTmp, { recursive: true });
  const varRun = join(config.stateDir, 'run');
  if (deps.privateVarRun) mkdirSync(varRun, { recursive: true });
  const cib = new CibStore(store, config.cluster);
  if (config.cib) {
    const existing = await cib.loadConfiguration();
    if (!existing) {
      const xml = readFileSync(config.cib, 'utf8');
      try {
        const r = await cib.importCib(xml, { expectedRevision: 0, by: `tandemd ${config.node}` });
        logger.info(`loaded ${config.cib} into the store as configuration epoch ${r.epoch}`);
      } catch (err) {
        // Another node loaded it first (version-checked): keep theirs.
        if (!(await cib.loadConfiguration())) throw err;
      }
    } else {
      logger.info(`the store already holds configuration epoch ${existing.record.epoch}; ${config.cib} was not loaded`);
    }
  }
  const timing = normalizeTiming(config.timing);
  resolveTimingBudget(timing);
  let api: ApiServer | undefined;
  const agentLog = logger.child({ component: 'node' });
  const agent = await NodeAgent.start({
    store,
    cluster: config.cluster,
    node: config.node,
    nodeId: String(config.nodeId),
    address: { host: config.address },
    timing,
    ...(deps.voters ? { voters: deps.voters } : {}),
    executor: { rscTmpDir: rscTmp, ...(deps.privateVarRun ? { varRunDir: varRun } : {}) },
    ...(config.secretsKeyFile ? { secrets: { keyFile: config.secretsKeyFile } } : {}),
    api: `${config.tlsCert ? 'https' : 'http'}://${config.apiHost ?? config.address}:${config.apiPort}`,
    log: (line) => agentLog.info(line),
  });
  const fencer = deps.fencer ?? storeBackedFencer(agent.cib, () => agent.membership, config.node, logger);
  const controller = new Controller({
    cluster: config.cluster,
    node: config.node,
    store,
    view: agent.membership,
    cib: agent.cib,
    fencer,
    logger: logger.child({ component: 'dc' }),
    ...(deps.controllerTiming ? { timing: deps.controllerTiming } : {}),
  });
  controller.start();
  if (deps.http !== false) {
    const host = config.apiHost ?? config.address;
    const admin = deps.admin ?? config.admin;
    try {
      api = await startApiServer({
        store,
        cluster: config.cluster,
        node: config.node,
        cib: agent.cib,
        view: agent.membership,
        host,
        port: config.apiPort,
        ...(config.tlsCert && config.tlsKey ? { tls: { cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) } } : {}),
        ...(admin ? { admin } : {}),
        ...(config.secretsKeyFile ? { secrets: { keyFile: config.secretsKeyFile } } : {}),
        ...(deps.hub ? { hub: deps.hub } : {}),
        ...(deps.alerts === false ? { alerts: false as const } : {}),
        log: (line) => logger.info(line, { component: 'api' }),
        extraRoutes: (app) => {
          // An unauthenticated pointer (no cluster data): where the API and its description are.
          app.get('/', async () => ({ tandemd: config.node, cluster: config.cluster, api: API_PREFIX, openapi: `${API_PREFIX}/openapi.json`, auth: 'Authorization: Bearer <token>' }));
        },
      });
    } catch (err) {
      controller.stop();
      agent.kill();
      if (ownStore) await store.close().catch(() => {});
      throw new Error(`cannot serve the API on ${host}:${config.apiPort}: ${(err as Error).message}`);
    }
    if (admin) logger.info(`bootstrap admin ${admin.user} set up (${admin.token ? 'with the configured token' : 'password only: create a token with POST /api/v1/auth/tokens'})`);
  }
  let stopped = false;
  return {
    config,
    store,
    agent,
    controller,
    cib: agent.cib,
    api,
    logger,
    url: api?.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      controller.stop();
      await agent.stop();
      await api?.close().catch(() => {});
      if (ownStore) await store.close();
    },
    kill() {
      if (stopped) return Promise.resolve();
      stopped = true;
      controller.stop();
      agent.kill();
      return api ? api.close().catch(() => {}) : Promise.resolve();
    },
  };
}
