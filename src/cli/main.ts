// The `tandem` command line. Each command lives in src/cli/commands/<name>.ts and exports a
// `register<Name>(program)` function that adds its subcommand to the commander program; adding a
// command is one import and one line in `commands` below, e.g.
//
//   import { registerDemo } from './commands/demo.ts';
//   const commands = [registerSimulate, registerDemo];
//
// Commands report bad input by throwing CliError (or CibError from the CIB parser): main prints
// its message as one line on stderr and exits 1. Anything else is an internal error: one line too,
// with the stack only when TANDEM_DEBUG is set.
import { Command, CommanderError } from 'commander';
import { errorLine } from './errors.ts';
import { registerSimulate } from './commands/simulate.ts';
import { registerDemo } from './commands/demo.ts';

/** Every command's registration function: one line per command. */
const commands: ((program: Command) => void)[] = [registerSimulate, registerDemo];

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('tandem')
    .description('Tandem: high-availability cluster stack (Pacemaker-compatible scheduling)')
    .exitOverride()
    .showHelpAfterError(false)
    .configureOutput({ outputError: (str, write) => write(str.split('\n').filter(Boolean)[0] + '\n') });
  for (const register of commands) register(program);
  return program;
}

/** Runs the CLI; sets process.exitCode instead of exiting so that pending output is flushed. */
export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  let code = 0;
  try {
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
