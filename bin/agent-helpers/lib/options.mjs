// Command-line parsing the way GLib (and so Pacemaker's tools) does it: -xVALUE, -x VALUE,
// --long=VALUE, --long VALUE, bundled flags (-qG), and optional arguments (-p [RSC]) that take the
// next word only when it does not start with '-'.

/**
 * @typedef {{ short?: string, long: string[], key: string, arg: 'none'|'required'|'optional', repeat?: boolean }} OptionSpec
 * @param {string[]} argv
 * @param {OptionSpec[]} specs
 * @returns {{ values: Record<string, string|true|string[]>, order: string[], rest: string[] }}
 */
export function parseOptions(argv, specs) {
  const byShort = new Map();
  const byLong = new Map();
  for (const s of specs) {
    if (s.short) byShort.set(s.short, s);
    for (const l of s.long) byLong.set(l, s);
  }
  const values = {};
  const order = [];
  const rest = [];
  const set = (spec, value) => {
    if (spec.repeat) (values[spec.key] ??= []).push(value);
    else values[spec.key] = value;
    order.push(spec.key);
  };
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      rest.push(...argv.slice(i + 1));
      break;
    }
    if (word.startsWith('--')) {
      const eq = word.indexOf('=');
      const name = eq >= 0 ? word.slice(2, eq) : word.slice(2);
      const spec = byLong.get(name);
      if (!spec) throw new UsageError(`Unknown option --${name}`);
      if (spec.arg === 'none') {
        if (eq >= 0) throw new UsageError(`Option --${name} does not take a value`);
        set(spec, true);
      } else if (eq >= 0) set(spec, word.slice(eq + 1));
      else if (spec.arg === 'optional') set(spec, takeOptional(argv, i) ? argv[++i] : true);
      else {
        if (i + 1 >= argv.length) throw new UsageError(`Missing argument for --${name}`);
        set(spec, argv[++i]);
      }
      continue;
    }
    if (word.startsWith('-') && word.length > 1) {
      for (let j = 1; j < word.length; j++) {
        const spec = byShort.get(word[j]);
        if (!spec) throw new UsageError(`Unknown option -${word[j]}`);
        if (spec.arg === 'none') {
          set(spec, true);
          continue;
        }
        const attached = word.slice(j + 1);
        if (attached) set(spec, attached);
        else if (spec.arg === 'optional') set(spec, takeOptional(argv, i) ? argv[++i] : true);
        else {
          if (i + 1 >= argv.length) throw new UsageError(`Missing argument for -${word[j]}`);
          set(spec, argv[++i]);
        }
        break;
      }
      continue;
    }
    rest.push(word);
  }
  return { values, order, rest };
}

function takeOptional(argv, i) {
  return i + 1 < argv.length && !argv[i + 1].startsWith('-');
}

export class UsageError extends Error {}

/** Pacemaker's exit codes (crm_exit_t) that the helpers use. */
export const Exit = {
  OK: 0,
  ERROR: 1,
  USAGE: 64,
  DATAERR: 65,
  PROTOCOL: 76,
  DISCONNECT: 102,
  NOSUCH: 105,
};

/**
 * Runs a helper's main function: usage errors print like GLib's and exit 64; everything else
 * the function returns as an exit code.
 * @param {string} tool
 * @param {(argv: string[]) => Promise<number>} main
 */
export async function runTool(tool, main) {
  let code;
  try {
    code = await main(process.argv.slice(2));
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`${tool}: ${err.message}\n`);
      code = Exit.USAGE;
    } else if (err && err.exitCode !== undefined) {
      process.stderr.write(`${tool}: ${err.message}\n`);
      code = err.exitCode;
    } else {
      process.stderr.write(`${tool}: ${err && err.stack ? err.stack : err}\n`);
      code = Exit.ERROR;
    }
  }
  process.exitCode = code;
}
