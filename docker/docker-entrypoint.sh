#!/bin/sh
# Run every executable script in /docker-entrypoint.d/ in name order (custom start-up steps, e.g. mounted from a
# ConfigMap), then replace this shell with node so SIGTERM reaches the service and it drains.
set -eu
if [ -d /docker-entrypoint.d ]; then
  for script in /docker-entrypoint.d/*; do
    [ -f "$script" ] && [ -x "$script" ] || continue
    echo "docker-entrypoint: running $script" >&2
    "$script"
  done
fi
exec node "/app/dist/apps/${LIVELAB_APP}/main.js" "$@"
