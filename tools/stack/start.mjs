#!/usr/bin/env node
// `npm start`: build and run the local live-streams stack — the packager first, the generator once the
// packager's RTMP port listens — and print the page URL. Ctrl-C stops both (SIGTERM, then they drain).
//
// Environment (all optional): HTTP_PORT (8080), RTMP_PORT (1935), PUBLISH_KEY (generated when unset),
// STREAMS (comma list of catalogue names, default the generator's: bars-720p30,low-360p30,ladder-720p30),
// LOG_FORMAT=json (raw JSON logs), FAULTS_ENABLED (default true here: the local lab serves /faults/<rules>/live/… for
// player testing, docs/faults.md; false turns it off).
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const httpPort = Number(process.env.HTTP_PORT || 8080);
const rtmpPort = Number(process.env.RTMP_PORT || 1935);
const generatorPort = Number(process.env.GENERATOR_HTTP_PORT || 8081);
const publishKey = process.env.PUBLISH_KEY || randomBytes(16).toString('hex');
const rawLogs = process.env.LOG_FORMAT === 'json';

/** @param {string} line @returns {never} */
function fail(line) {
  process.stderr.write(`livelab: ${line}\n`);
  process.exit(1);
}

// 1. Prerequisites, each with one plain line on failure.
const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) fail(`Node ${process.versions.node} is too old: install Node 20.19 or newer.`);
if (spawnSync('ffmpeg', ['-hide_banner', '-version'], { stdio: 'ignore' }).error)
  fail('ffmpeg is not installed — install it first: sudo apt-get install ffmpeg fonts-dejavu-core');
if (!existsSync('/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf'))
  fail('the DejaVu fonts are missing — install them first: sudo apt-get install fonts-dejavu-core');
for (const [name, port] of /** @type {Array<[string, number]>} */ ([['HTTP_PORT', httpPort], ['RTMP_PORT', rtmpPort]]))
  if (!Number.isInteger(port) || port < 1 || port > 65535) fail(`invalid ${name}="${port}": expected a port number 1-65535`);

/** @param {number} port @returns {Promise<boolean>} */
async function portOpen(port) {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}
for (const [name, port] of /** @type {Array<[string, number]>} */ ([['HTTP_PORT', httpPort], ['RTMP_PORT', rtmpPort], ['GENERATOR_HTTP_PORT', generatorPort]]))
  if (await portOpen(port)) fail(`port ${port} is already in use — stop what uses it or set ${name}=<free port>.`);

// 2. Build the two apps (cached by nx when nothing changed).
console.log('livelab: building packager and generator…');
const build = spawnSync('npx', ['nx', 'run-many', '-t', 'build', '-p', 'packager', 'generator', '--outputStyle=static'], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  env: { ...process.env, NX_DAEMON: 'false', NX_TUI: 'false' },
  encoding: 'utf8',
});
if (build.status !== 0) {
  process.stderr.write(build.stdout + build.stderr);
  fail('the build failed (output above).');
}

// 3. Run: packager, then generator when RTMP listens.
const children = new Map();
let stopping = false;

/** @param {string} name @param {string} line */
function pretty(name, line) {
  if (rawLogs) return `${line}`;
  try {
    const j = JSON.parse(line);
    const { level, time, msg, service: _s, pid: _p, name: _n, hostname: _h, ...rest } = j;
    const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
    return `${String(time ?? '').slice(11, 23)} ${name.padEnd(9)} ${String(level).padEnd(5)} ${msg ?? ''}${extra}`;
  } catch {
    return `${name.padEnd(9)} ${line}`;
  }
}

/** @param {string} name @param {Record<string, string>} env */
function run(name, env) {
  const child = spawn(process.execPath, [join(root, 'dist', 'apps', name, 'main.js')], {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: Ctrl-C in a terminal signals the whole foreground group, so without this both apps got
    // SIGINT from the terminal and then our SIGTERM as a second signal ("second signal, exiting now": no drain).
    // This script alone gets it and stops them in order, each draining; SIGHUP and our own exit stop them too.
    detached: true,
  });
  for (const stream of [child.stdout, child.stderr]) {
    let buf = '';
    stream.setEncoding('utf8');
    stream.on('data', (d) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (line.trim()) console.log(pretty(name, line));
      }
    });
  }
  child.on('exit', (code, signal) => {
    children.delete(name);
    if (!stopping) {
      console.error(`livelab: ${name} exited (${signal ?? code}); stopping the stack.`);
      void stop(1);
    } else if (children.size === 0) process.exit(process.exitCode ?? 0);
  });
  children.set(name, child);
  return child;
}

async function stop(code = 0) {
  if (stopping) return;
  stopping = true;
  process.exitCode = code;
  // Generator first so the packager sees the publishers leave, then the packager.
  for (const name of ['generator', 'packager']) {
    const c = children.get(name);
    if (!c) continue;
    c.kill('SIGTERM');
    await new Promise(/** @param {(v?: unknown) => void} r */ (r) => {
      const t = setTimeout(() => (c.kill('SIGKILL'), r()), 10_000);
      c.once('exit', () => (clearTimeout(t), r()));
    });
  }
  process.exit(code);
}
process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));
process.on('SIGHUP', () => void stop(0));
// However this script ends (an exception, process.exit), no app outlives it.
process.on('exit', () => {
  for (const c of children.values()) c.kill('SIGKILL');
});

const baseEnv = { PUBLISH_KEY: publishKey, LOG_LEVEL: process.env.LOG_LEVEL || 'info' };
run('packager', { ...baseEnv, HTTP_PORT: String(httpPort), RTMP_PORT: String(rtmpPort), FAULTS_ENABLED: process.env.FAULTS_ENABLED || 'true' });

const deadline = Date.now() + 30_000;
while (!(await portOpen(rtmpPort)) || !(await portOpen(httpPort))) {
  if (stopping) await new Promise(() => { /* never resolves: stop() is under way and exits the process */ });
  if (Date.now() > deadline) {
    console.error('livelab: the packager did not open its ports within 30 s; stopping.');
    await stop(1);
  }
  await new Promise((r) => setTimeout(r, 200));
}
run('generator', {
  ...baseEnv,
  HTTP_PORT: String(generatorPort),
  PACKAGER_RTMP_URL: `rtmp://127.0.0.1:${rtmpPort}/live`,
  ...(process.env.STREAMS ? { STREAMS: process.env.STREAMS } : {}),
});
console.log(`\nlivelab is running — open http://localhost:${httpPort}   (Ctrl-C to stop)\n`);
