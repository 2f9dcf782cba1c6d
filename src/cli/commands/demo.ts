// `tandem demo`: three nodes in one process managing real local processes; a process and a node
// are killed and recovered while every decision is printed. See src/demo/demo.ts.
import type { Command } from 'commander';
import { runDemo } from '../../demo/demo.ts';
import { CliError } from '../errors.ts';

function port(name: string) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CliError(`${name}: '${v}' is not a port number (0-65535)`);
    return n;
  };
}

export function registerDemo(program: Command): void {
  program
    .command('demo')
    .description('run a 3-node cluster in this process, kill a managed process and a node, and show the recovery')
    .option('--once', 'exit after the scenario instead of leaving the status API running')
    .option('--port <port>', 'TCP port of the managed responder', port('--port'), 7400)
    .option('--api-port <port>', 'first status API port (the nodes use it, +1 and +2; 0 picks free ports)', port('--api-port'), 7480)
    .option('--no-crash', 'only bring the cluster up: no process kill, no node crash')
    .option('-v, --verbose', 'also print the nodes\' own log lines')
    .action(async (o: { once?: boolean; port: number; apiPort: number; crash: boolean; verbose?: boolean }) => {
      const report = await runDemo({ once: !!o.once, port: o.port, apiPort: o.apiPort, crash: o.crash, verbose: !!o.verbose });
      if (o.once) {
        await report.stop();
        return;
      }
      process.stdout.write('\nThe cluster keeps running; press Ctrl-C to stop it.\n');
      await new Promise<void>((resolve) => {
        const stop = () => void report.stop().then(resolve);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
