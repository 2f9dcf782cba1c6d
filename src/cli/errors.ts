// Errors the CLI reports as one plain line on stderr (exit 1), never as a stack trace.
import { CibError } from '../cib/xml.ts';

/** A usage or input problem a command detected itself. */
export class CliError extends Error {
  constructor(message: string, readonly exitCode = 1) {
    super(message);
    this.name = 'CliError';
  }
}

/** Errors whose message is already the whole story for the user. */
export function isUserError(err: unknown): err is Error {
  return err instanceof CliError || err instanceof CibError;
}

/** One line, whatever the error: the message of known errors, a short "internal error" otherwise. */
export function errorLine(err: unknown): string {
  if (isUserError(err)) return err.message.split('\n')[0]!;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.path === 'string') {
    // fs errors: "cannot read x.xml: no such file or directory"
    const what = e.code === 'ENOENT' ? 'no such file or directory' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'is a directory' : e.code;
    return `cannot read ${e.path}: ${what}`;
  }
  const msg = err instanceof Error ? err.message : String(err);
  return `internal error: ${msg.split('\n')[0]}`;
}
