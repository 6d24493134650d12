#!/bin/sh
# Entry point of every livelab image, with the official nginx image's /docker-entrypoint.d semantics:
# - Starting the service (no arguments, or only options such as `--port 8080`): every file in
#   /docker-entrypoint.d/ is considered in version order — `*.envsh` executable files are sourced (they may export
#   environment for the service), `*.sh` executable files are run, anything else (or a hook without the execute bit,
#   e.g. a ConfigMap mounted with mode 0644) is skipped. Each file run or skipped gets a line on stderr.
# - `docker run IMAGE sh` (any command found on PATH) runs that command: no hooks.
# - `docker run IMAGE weak-key` (any other word: a subcommand of the service's CLI) runs it without hooks, so its
#   stdout is only the command's own output (`$(docker run … weak-key)` captures the key, nothing else).
# Then `exec` replaces this shell, so SIGTERM reaches the process, which drains.
set -eu
main="/app/dist/apps/${LIVELAB_APP}/main.js"
log() { echo "docker-entrypoint: $*" >&2; }

run_hooks() {
  dir=/docker-entrypoint.d
  files=$(find "$dir/" -follow -mindepth 1 -maxdepth 1 -type f -print 2>/dev/null | sort -V)
  if [ -z "$files" ]; then
    log "no files in $dir/, skipping configuration"
    return 0
  fi
  # One file name per line; hooks are mounted files, so names without newlines are assumed.
  old_ifs=$IFS
  IFS='
'
  for f in $files; do
    IFS=$old_ifs
    case "$f" in
      *.envsh)
        if [ -x "$f" ]; then log "sourcing $f"; . "$f"; else log "ignoring $f: not executable"; fi ;;
      *.sh)
        if [ -x "$f" ]; then log "running $f"; "$f"; else log "ignoring $f: not executable"; fi ;;
      *) log "ignoring $f: neither *.sh nor *.envsh" ;;
    esac
  done
  IFS=$old_ifs
  log "configuration complete; starting ${LIVELAB_APP}"
}

if [ "$#" -eq 0 ] || [ "${1#-}" != "$1" ]; then
  run_hooks
  exec node "$main" "$@"
fi
if command -v -- "$1" >/dev/null 2>&1; then
  exec "$@"
fi
exec node "$main" "$@"
