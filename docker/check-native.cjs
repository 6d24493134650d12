// Image self-check (run at build time by the Dockerfiles, and by the smoke test): every native addon under
// /app/node_modules loads in this image's Node, and better-sqlite3 opens a real database and writes to it —
// `require('better-sqlite3')` alone loads no addon, only `new Database()` does.
const { readdirSync, statSync } = require('node:fs');
const { join } = require('node:path');

const addons = [];
const walk = (dir) => {
  let names;
  try {
    names = readdirSync(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (st?.isDirectory()) walk(p);
    else if (name.endsWith('.node')) addons.push(p);
  }
};
walk('/app/node_modules');
for (const a of addons) require(a);
let sqlite = '';
try {
  require.resolve('/app/node_modules/better-sqlite3');
  sqlite = 'present';
} catch {
  /* not in this image */
}
if (sqlite) {
  const Database = require('/app/node_modules/better-sqlite3');
  const db = new Database(':memory:');
  db.exec('create table t (v integer)');
  db.prepare('insert into t values (?)').run(42);
  const row = db.prepare('select v, sqlite_version() as version from t').get();
  if (row.v !== 42) throw new Error('better-sqlite3 read back the wrong value');
  sqlite = `SQLite ${row.version}`;
  db.close();
}
console.log(`check-native: node ${process.version} (ABI ${process.versions.modules}), ${addons.length} addon(s) loaded${sqlite ? `, better-sqlite3 opened a database (${sqlite})` : ''}`);
