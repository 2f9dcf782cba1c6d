// tandemd's composition root: one node of a cluster — store, node agent (membership, executor,
// history), the DC controller (active while this node is DC), the fencer and the status API.
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
import { startHttpServer, type HttpServer } from './http.ts';
import { buildStatus } from './status.ts';

export interface TandemdDeps {
  /** Share a store (several nodes in one process on the embedded store). Not closed by stop(). */
  store?: Store;
  logger?: Logger;
  fencer?: Fencer;
  /** DC loop tunables (tests). */
  controllerTiming?: Partial<ControllerTiming>;
  /** Voters of the membership (default: the configured nodes). */
  voters?: string[];
  /** Start the HTTP server (default true). */
  http?: boolean;
}

export interface Tandemd {
  readonly config: TandemdConfig;
  readonly store: Store;
  readonly agent: NodeAgent;
  readonly controller: Controller;
  readonly cib: CibStore;
  readonly server: HttpServer | undefined;
  readonly logger: Logger;
  /** Base URL of the status API (when serving). */
  readonly url: string | undefined;
  /** Clean stop: stops this node's resources, leaves the cluster, closes the API. */
  stop(): Promise<void>;
  /** Crash: silence at once (no clean leave), as if the process died. */
  kill(): void;
}

/** Timing names as given in any case (TANDEM_TIMING_HEARTBEATMS) mapped to the budget's. */
export function normalizeTiming(t: Record<string, number>): Partial<TimingBudget> {
  const names: (keyof TimingBudget)[] = ['heartbeatMs', 'suspectMs', 'selfFenceMs', 'marginMs', 'storeCallDeadlineMs', 'leaseTtlMs'];
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
  let server: HttpServer | undefined;
  const agentLog = logger.child({ component: 'node' });
  const agent = await NodeAgent.start({
    store,
    cluster: config.cluster,
    node: config.node,
    nodeId: String(config.nodeId),
    address: { host: config.address },
    timing,
    ...(deps.voters ? { voters: deps.voters } : {}),
    executor: { rscTmpDir: rscTmp },
    api: `http://${config.apiHost ?? config.address}:${config.apiPort}`,
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
  const startedAt = Date.now();
  if (deps.http !== false) {
    try {
      server = await startHttpServer({ host: config.apiHost ?? config.address, port: config.apiPort, logger });
    } catch (err) {
      controller.stop();
      agent.kill();
      throw new Error(`cannot serve the API on ${config.apiHost ?? config.address}:${config.apiPort}: ${(err as Error).message}`);
    }
    const sources = {
      cluster: config.cluster,
      node: config.node,
      storeDescription: store.description,
      cib: agent.cib,
      view: agent.membership,
      controller: () => controller.status(),
      startedAt,
    };
    server.route('GET', '/status', async () => ({ body: (await buildStatus(sources)).json }));
    server.route('GET', '/status.txt', async () => ({ body: (await buildStatus(sources)).text }));
    server.route('GET', '/', async () => ({ body: { tandemd: config.node, cluster: config.cluster, routes: ['/status', '/status.txt'] } }));
    logger.info(`serving the status API at ${server.url}/status`);
  }
  let stopped = false;
  return {
    config,
    store,
    agent,
    controller,
    cib: agent.cib,
    server,
    logger,
    url: server?.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      controller.stop();
      await agent.stop();
      await server?.close();
      if (ownStore) await store.close();
    },
    kill() {
      if (stopped) return;
      stopped = true;
      controller.stop();
      agent.kill();
      void server?.close();
    },
  };
}
