#!/usr/bin/env node
// Entry point of `tandemd`, the per-node daemon. What runs is always what is in src/: at start the
// TypeScript sources are bundled with esbuild (tsx's own dependency) into one ESM file under
// node_modules/.cache/tandemd/ and imported natively. A long-running daemon then carries no
// loader thread and no per-module transpiling (about 25 MB less RSS than `tsx` hooks). Each
// module's `import.meta.url` is kept pointing at its source file, so paths computed from it (agent
// helpers, the watchdog supervisor) stay right. Set TANDEMD_NO_BUNDLE=1 to run through tsx instead;
// if bundling fails, tsx is used too.
import { mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const entry = join(root, 'src/daemon/main.ts');

async function bundle() {
  const esbuild = await import('esbuild');
  const outDir = join(root, 'node_modules/.cache/tandemd');
  mkdirSync(outDir, { recursive: true });
  const outfile = join(outDir, `tandemd-${process.pid}.mjs`);
  const keepMetaUrl = {
    name: 'keep-import-meta-url',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const src = readFileSync(args.path, 'utf8');
        const contents = src.includes('import.meta.url') ? src.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)) : src;
        return { contents, loader: 'ts' };
      });
    },
  };
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile: `${outfile}.tmp`,
    sourcemap: 'inline',
    logLevel: 'silent',
    plugins: [keepMetaUrl],
  });
  renameSync(`${outfile}.tmp`, outfile);
  // esbuild's service process would otherwise live (and ping this process) as long as tandemd.
  await esbuild.stop?.();
  return outfile;
}

let mod;
if (!process.env.TANDEMD_NO_BUNDLE) {
  try {
    const file = await bundle();
    mod = await import(pathToFileURL(file).href);
    // The bundle is loaded; the file is no longer needed.
    (await import('node:fs')).rmSync(file, { force: true });
  } catch (err) {
    process.stderr.write(`tandemd: bundling the sources failed (${err.message.split('\n')[0]}); running them through tsx\n`);
  }
}
if (!mod) {
  const { register } = await import('tsx/esm/api');
  register();
  mod = await import('../src/daemon/main.ts');
}
await mod.main(process.argv);
