// The `tandem` command line. Each command lives in src/cli/commands/<name>.ts and exports a
// `register<Name>(program)` function that adds its subcommand to the commander program; adding a
// command is one line in `commands` below, e.g.
//
//   demo: async () => (await import('./commands/demo.ts')).registerDemo,
//
// Modules are loaded lazily: `tandem simulate ...` loads only the simulate command (a command that
// pulls in etcd or HTTP clients costs every other command a second of start-up otherwise); help and
// unknown commands load them all.
//
// Commands report bad input by throwing CliError (or CibError from the CIB parser): main prints
// its message as one line on stderr and exits 1. Anything else is an internal error: one line too,
// with the stack only when TANDEM_DEBUG is set.
import { Command, CommanderError } from 'commander';
import { errorLine } from './errors.ts';

type Register = (program: Command) => void;

/** Every command: its name and how to load its registration function. One line per command. */
const commands: Record<string, () => Promise<Register>> = {
  simulate: async () => (await import('./commands/simulate.ts')).registerSimulate,
  demo: async () => (await import('./commands/demo.ts')).registerDemo,
  status: async () => (await import('./commands/status.ts')).registerStatus,
  cluster: async () => (await import('./commands/cluster.ts')).registerClusterGroup,
  node: async () => (await import('./commands/cluster.ts')).registerNodeGroup,
  resource: async () => (await import('./commands/resource.ts')).registerResource,
  constraint: async () => (await import('./commands/constraint.ts')).registerConstraint,
  property: async () => (await import('./commands/cluster.ts')).registerPropertyGroup,
  stonith: async () => (await import('./commands/cluster.ts')).registerStonithGroup,
  config: async () => (await import('./commands/cluster.ts')).registerConfigGroup,
  why: async () => (await import('./commands/why.ts')).registerWhy,
};

/** The program with the named command registered (all commands when `only` is not one of them). */
export async function buildProgram(only?: string): Promise<Command> {
  const program = new Command();
  program
    .name('tandem')
    .description('Tandem: high-availability cluster stack (Pacemaker-compatible scheduling)')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(str.split('\n').filter(Boolean)[0] + '\n') });
  const names = only !== undefined && Object.hasOwn(commands, only) ? [only] : Object.keys(commands);
  for (const name of names) (await commands[name]!())(program);
  return program;
}

/** Runs the CLI; sets process.exitCode instead of exiting so that pending output is flushed. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  try {
    const program = await buildProgram(argv[2]);
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message (or the help/version text).
      code = err.exitCode;
    } else {
      process.stderr.write(`tandem: ${errorLine(err)}\n`);
      if (process.env.TANDEM_DEBUG && err instanceof Error) process.stderr.write(`${err.stack}\n`);
      code = 1;
    }
  }
  if (code !== 0) process.exitCode = code;
  return code;
}
