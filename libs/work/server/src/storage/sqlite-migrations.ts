/**
 * Versioned schema migrations: migration i brings the schema from version i to i+1 (PRAGMA user_version).
 * Append new migrations; never edit a shipped one.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  CREATE TABLE host (
    id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, name TEXT NOT NULL, cores INTEGER NOT NULL,
    memory_mb INTEGER NOT NULL, numbers_per_second REAL NOT NULL DEFAULT 0, total_credit REAL NOT NULL DEFAULT 0,
    created_ms INTEGER NOT NULL, last_rpc_ms INTEGER
  );
  CREATE TABLE workunit (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, lo INTEGER NOT NULL, hi INTEGER NOT NULL,
    min_quorum INTEGER NOT NULL, target_nresults INTEGER NOT NULL, max_error_results INTEGER NOT NULL,
    max_total_results INTEGER NOT NULL, delay_bound_s INTEGER NOT NULL,
    canonical_result_id INTEGER, error_mask TEXT, need_transition INTEGER NOT NULL DEFAULT 1,
    assimilated INTEGER NOT NULL DEFAULT 0, created_ms INTEGER NOT NULL
  );
  CREATE TABLE result (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, workunit_id INTEGER NOT NULL REFERENCES workunit(id),
    server_state TEXT NOT NULL CHECK (server_state IN ('unsent','in_progress','over')),
    outcome TEXT CHECK (outcome IN ('success','client_error','no_reply','didnt_need')),
    validate_state TEXT NOT NULL DEFAULT 'init' CHECK (validate_state IN ('init','valid','invalid')),
    host_id INTEGER REFERENCES host(id), sent_ms INTEGER, deadline_ms INTEGER, received_ms INTEGER,
    output TEXT, elapsed_s REAL, error TEXT, granted_credit REAL NOT NULL DEFAULT 0
  );
  CREATE INDEX result_unsent ON result(server_state, id);
  CREATE INDEX result_wu ON result(workunit_id);
  CREATE INDEX result_host ON result(host_id, server_state);
  CREATE INDEX result_deadline ON result(server_state, deadline_ms);
  CREATE INDEX wu_transition ON workunit(need_transition);
  CREATE TABLE canonical (
    workunit_id INTEGER PRIMARY KEY REFERENCES workunit(id), lo INTEGER NOT NULL, hi INTEGER NOT NULL,
    count INTEGER NOT NULL, sum TEXT NOT NULL, sha256 TEXT NOT NULL, result_id INTEGER NOT NULL,
    assimilated_ms INTEGER NOT NULL
  );
  CREATE INDEX canonical_lo ON canonical(lo);
  `,
  // 2: accounts (keys stored as sha256 only), host authenticators, the account each instance was sent to.
  // Hosts attached before this have no authenticator: they cannot be claimed, their clients attach again.
  `
  CREATE TABLE account (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, account_key_hash TEXT NOT NULL UNIQUE,
    weak_key_hash TEXT NOT NULL UNIQUE, created_ms INTEGER NOT NULL, disabled_ms INTEGER
  );
  ALTER TABLE host ADD COLUMN authenticator_hash TEXT;
  ALTER TABLE result ADD COLUMN user_id INTEGER;
  UPDATE result SET user_id = (SELECT h.user_id FROM host h WHERE h.id = result.host_id) WHERE host_id IS NOT NULL;
  CREATE INDEX result_wu_user ON result(workunit_id, user_id);
  CREATE INDEX host_user ON host(user_id);
  `,
  // 3: the daemon lease (one replica runs the periodic daemons; with SQLite that is always the one process)
  `
  CREATE TABLE lease (
    name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_ms INTEGER NOT NULL, epoch INTEGER NOT NULL,
    acquired_ms INTEGER NOT NULL
  );
  `,
];
