#!/usr/bin/env node
// Build context for one app's image: its esbuild bundle, the production npm packages that bundle requires (and
// their dependencies, nothing else: no dev deps, no build tools), and the player page for the packager.
// Native packages (a binding.gyp) come with their sources and without their build/: the image compiles them for its
// own Node (docker/build-native.sh), listed in native-modules.txt.
// Usage: node tools/docker/prepare-context.mjs <app>  →  dist/docker/<app>/{dist/apps/<app>, node_modules, …}
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '../..');
const app = process.argv[2];
if (!app) {
  console.error('usage: prepare-context.mjs <app>');
  process.exit(2);
}
const bundle = join(root, 'dist/apps', app, 'main.js');
if (!existsSync(bundle)) {
  console.error(`${bundle} is missing: run npx nx build ${app} first`);
  process.exit(2);
}
const out = join(root, 'dist/docker', app);
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const builtins = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);
const required = new Set();
for (const m of readFileSync(bundle, 'utf8').matchAll(/require\("([^"]+)"\)/g)) {
  const spec = m[1];
  if (builtins.has(spec) || spec.startsWith('.') || spec.startsWith('/')) continue;
  required.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]);
}

// Transitive production dependencies, resolved from the workspace's hoisted node_modules.
const closure = new Set();
const visit = (/** @type {string} */ name) => {
  if (closure.has(name)) return;
  const pkgJson = join(root, 'node_modules', name, 'package.json');
  if (!existsSync(pkgJson)) return; // nested in its parent's node_modules: copied with the parent
  closure.add(name);
  const pkg = JSON.parse(readFileSync(pkgJson, 'utf8'));
  for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
};
for (const r of required) visit(r);

const native = [...closure].filter((name) => existsSync(join(root, 'node_modules', name, 'binding.gyp'))).sort();
for (const name of closure) {
  const pkgDir = join(root, 'node_modules', name);
  const isNative = native.includes(name);
  cpSync(pkgDir, join(out, 'node_modules', name), {
    recursive: true,
    dereference: true,
    // Leave out what only a developer needs, and a native package's binary built for the workspace's Node.
    filter: (src) =>
      !/[\\/](test|tests|docs|example|examples|\.github)$/.test(src) &&
      !/\.(md|map)$/i.test(src) &&
      !(isNative && src === join(pkgDir, 'build')),
  });
}
writeFileSync(join(out, 'native-modules.txt'), native.map((n) => `${n}\n`).join(''));
cpSync(join(root, 'dist/apps', app), join(out, 'dist/apps', app), { recursive: true });
if (app === 'packager') cpSync(join(root, 'dist/libs/media/player'), join(out, 'dist/libs/media/player'), { recursive: true });
for (const f of ['docker-entrypoint.sh', 'build-native.sh', 'check-native.cjs', 'wait-for-tcp.mjs', 'collect-ffmpeg.sh', 'check-ffmpeg.sh', 'build-ffmpeg.sh'])
  cpSync(join(root, 'docker', f), join(out, f));
const version = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version;
writeFileSync(join(out, 'package.json'), JSON.stringify({ name: app, version, private: true, main: `dist/apps/${app}/main.js` }, null, 2));
console.log(`${app}: ${closure.size} npm packages (${[...required].sort().join(', ')}), native: ${native.join(', ') || 'none'} → ${out}`);
