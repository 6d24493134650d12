#!/bin/sh
# work-postgres entrypoint: the official postgres image's first-start behaviour, for its environment variables.
# An empty PGDATA gets initdb (superuser POSTGRES_USER with the password from POSTGRES_PASSWORD_FILE or
# POSTGRES_PASSWORD), TCP clients need that password (scram-sha-256), and POSTGRES_DB is created; then (and on
# every later start) `postgres` runs in the foreground, listening on all addresses. Other commands run as given.
set -eu
if [ "${1:-postgres}" != postgres ]; then exec "$@"; fi
shift || true
user=${POSTGRES_USER:-postgres}
db=${POSTGRES_DB:-$user}
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  if [ -n "${POSTGRES_PASSWORD_FILE:-}" ]; then password=$(cat "$POSTGRES_PASSWORD_FILE"); else password=${POSTGRES_PASSWORD:-}; fi
  if [ -z "$password" ]; then echo "postgres-entrypoint: POSTGRES_PASSWORD_FILE or POSTGRES_PASSWORD is required" >&2; exit 1; fi
  mkdir -p "$PGDATA" && chmod 700 "$PGDATA"
  pwfile=$(mktemp)
  printf '%s\n' "$password" > "$pwfile"
  initdb -D "$PGDATA" -U "$user" --pwfile="$pwfile" -E UTF8 --auth-local=trust --auth-host=scram-sha-256 >/dev/null
  rm -f "$pwfile"
  echo 'host all all all scram-sha-256' >> "$PGDATA/pg_hba.conf"
  if [ "$db" != postgres ]; then
    # a private start on the Unix socket only, to create the database
    pg_ctl -D "$PGDATA" -w -o "-c listen_addresses='' -k /var/run/postgresql" start >/dev/null
    psql -v ON_ERROR_STOP=1 -h /var/run/postgresql -U "$user" -d postgres -q -c "CREATE DATABASE \"$db\""
    pg_ctl -D "$PGDATA" -w -m fast stop >/dev/null
  fi
  echo "postgres-entrypoint: initialised $PGDATA (user $user, database $db)" >&2
fi
exec postgres -D "$PGDATA" -c listen_addresses='*' -k /var/run/postgresql "$@"
