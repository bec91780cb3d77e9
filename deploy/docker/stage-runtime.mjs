#!/usr/bin/env node
// Copies what one service needs at run time into a directory laid out like
// the repository: services/<name>/ and, for each @storeloop/* library its
// compiled code requires (transitively), libs/<lib>/ — each with its
// package.json and the paths its "files" field lists (as npm would pack it:
// dist, plus e.g. the inference dashboard's static assets). The images copy
// that directory to /app, next to a production node_modules whose workspace
// links point at these paths.
//
//   node deploy/docker/stage-runtime.mjs <service> <out-dir>
//
// Following the compiled requires, rather than the Nx graph, leaves out
// libraries only tests use (libs/testing), and fails the image build when a
// library a service needs was not built.
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const WORKSPACE_REQUIRE = /require\("@storeloop\/([a-z0-9-]+)(?:\/[^"]*)?"\)/g;

function jsFiles(dir) {
  return readdirSync(dir, { recursive: true })
    .map((name) => join(dir, String(name)))
    .filter((file) => file.endsWith('.js') && statSync(file).isFile());
}

/** Workspace packages (`@storeloop/<lib>`) required by the compiled code under `dist`. */
function requiredLibs(dist) {
  const libs = new Set();
  for (const file of jsFiles(dist)) {
    for (const match of readFileSync(file, 'utf8').matchAll(WORKSPACE_REQUIRE)) libs.add(match[1]);
  }
  return libs;
}

/** Copies package.json and the paths its "files" field lists (default dist), without type declarations or build info. */
function stagePackage(root, packageDir, out) {
  const manifest = JSON.parse(readFileSync(join(root, packageDir, 'package.json'), 'utf8'));
  mkdirSync(join(out, packageDir), { recursive: true });
  cpSync(join(root, packageDir, 'package.json'), join(out, packageDir, 'package.json'));
  for (const entry of manifest.files ?? ['dist']) {
    const source = join(root, packageDir, entry);
    if (!existsSync(source)) throw new Error(`${packageDir}/${entry} is missing: build it first (npx nx run <project>:build)`);
    cpSync(source, join(out, packageDir, entry), {
      recursive: true,
      filter: (path) => !/\.d\.ts(\.map)?$|\.tsbuildinfo$/.test(path),
    });
  }
}

/** Stages `service` and the libraries it needs from the repository at `root` into `out`; returns the staged paths. */
export function stageRuntime(root, service, out) {
  const staged = [`services/${service}`];
  stagePackage(root, `services/${service}`, out);
  const pending = [...requiredLibs(join(root, 'services', service, 'dist'))];
  const seen = new Set(pending);
  while (pending.length > 0) {
    const lib = pending.shift();
    const packageDir = `libs/${lib}`;
    stagePackage(root, packageDir, out);
    staged.push(packageDir);
    for (const next of requiredLibs(join(root, packageDir, 'dist'))) {
      if (!seen.has(next)) {
        seen.add(next);
        pending.push(next);
      }
    }
  }
  return staged;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [service, outDir] = process.argv.slice(2);
  if (!service || !outDir) {
    process.stderr.write('usage: node deploy/docker/stage-runtime.mjs <service> <out-dir>\n');
    process.exit(2);
  }
  const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
  try {
    const staged = stageRuntime(root, service, resolve(outDir));
    process.stdout.write(`staged ${staged.join(', ')} into ${relative(process.cwd(), resolve(outDir)) || '.'}\n`);
  } catch (error) {
    process.stderr.write(`stage-runtime: ${error.message}\n`);
    process.exit(1);
  }
}
