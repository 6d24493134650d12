#!/usr/bin/env node
// `npm test`: every check and every test, in the order that fails fastest.
//   1. lint + typecheck (all projects, 2 in parallel)
//   2. jest in every project: unit, integration (real ffmpeg + node-media-server), browser (chromium)
//      — one project at a time, because integration and browser suites use real encoders and need the CPU.
//   0. nx sync:check first: tsconfig project references must match the imports (CI fails here; fix with `npx nx sync`)
// Ends with one line "tests: N passed, N failed, N skipped" summed over all jest projects.
// Pass extra nx flags after `--`, e.g. `npm test -- --projects=packager`.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const extra = process.argv.slice(2);
const summaryDir = mkdtempSync(join(tmpdir(), 'livelab-tests-'));
const env = { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false', LIVELAB_TEST_SUMMARY_DIR: summaryDir };

/** @param {string[]} args @returns {number} */
function nx(args) {
  console.log(`\n$ nx ${args.join(' ')}`);
  const r = spawnSync('npx', ['nx', ...args], { stdio: 'inherit', env });
  return r.status ?? 1;
}

const started = Date.now();
// tsconfig project references must be in step with the imports (nx only syncs by itself interactively):
// fail here, before lint, and say how to fix it.
let status = nx(['sync:check']);
if (status !== 0) console.error('nx sync:check failed: run `npx nx sync` and commit the tsconfig changes');
if (status === 0) status = nx(['run-many', '-t', 'lint', 'typecheck', '--parallel=2', '--outputStyle=static', ...extra]);
if (status === 0) status = nx(['run-many', '-t', 'test', '--parallel=1', '--skip-nx-cache', '--outputStyle=static', ...extra]);

let passed = 0, failed = 0, skipped = 0;
for (const f of readdirSync(summaryDir)) {
  const r = JSON.parse(readFileSync(join(summaryDir, f), 'utf8'));
  passed += r.passed;
  failed += r.failed;
  skipped += r.skipped;
}
rmSync(summaryDir, { recursive: true, force: true });
if (status !== 0 && failed === 0) failed = 1; // lint/typecheck failure or a crashed runner
console.log(`\n(${Math.round((Date.now() - started) / 1000)} s)`);
console.log(`tests: ${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(status);
