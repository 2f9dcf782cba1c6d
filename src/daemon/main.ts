// `tandemd` command line: load and validate the configuration, start the node, stop cleanly on
// SIGTERM/SIGINT.
import { ConfigError, loadConfig, parseFlags, USAGE } from './config.ts';
import { loggerFor, startTandemd, validateTiming } from './tandemd.ts';

export async function main(argv: string[]): Promise<void> {
  const args = argv.slice(2);
  let help = false;
  try {
    help = parseFlags(args).help;
  } catch {
    /* reported by loadConfig below */
  }
  if (help) {
    process.stdout.write(USAGE + '\n');
    return;
  }
  let config;
  try {
    config = loadConfig({ argv: args, validateTiming });
  } catch (err) {
    process.stderr.write(`tandemd: ${(err as Error).message}\n${err instanceof ConfigError ? 'run tandemd --help for the settings\n' : ''}`);
    process.exitCode = 2;
    return;
  }
  const logger = loggerFor(config);
  let d;
  try {
    d = await startTandemd(config, { logger });
  } catch (err) {
    logger.error(`could not start: ${(err as Error).message}`);
    process.stderr.write(`tandemd: could not start: ${(err as Error).message}\n`);
    process.exit(1);
  }
  logger.info(`tandemd ${config.node} (id ${config.nodeId}) of cluster ${config.cluster} is up on ${d.store.description}`);
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${sig}: stopping (resources are stopped, then the node leaves the cluster)`);
    const force = setTimeout(() => process.exit(1), 60_000);
    force.unref();
    void d.stop().then(() => process.exit(0));
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
