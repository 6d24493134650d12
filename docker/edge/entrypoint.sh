#!/bin/sh
# Start varnishd in the foreground (PID 1's child is the cache process; SIGTERM stops both) with livelab's VCL and
# the origin from the environment:
#   ORIGIN_HOST (default packager), ORIGIN_PORT (8080)  the packager origin
#   EDGE_PORT (8080)                                     where viewers connect
#   EDGE_CACHE_SIZE (256m)                               malloc storage; segments of one 2.5 Mbit/s stream: ~40 MB
#   EDGE_THREADS_MIN (200), EDGE_THREADS_MAX (2000)      per thread pool (2 pools); one thread per response being sent
# Extra arguments are passed to varnishd (e.g. -p name=value).
set -eu
work=/var/lib/varnish/edge
vcl=/var/lib/varnish/vcl
mkdir -p "$vcl"
sed -e "s/\.host = \"[^\"]*\";/.host = \"${ORIGIN_HOST:-packager}\";/" \
    -e "s/\.port = \"[^\"]*\";/.port = \"${ORIGIN_PORT:-8080}\";/" /etc/varnish/livelab/origin.vcl > "$vcl/origin.vcl"
exec varnishd -F -j none -n "$work" -a ":${EDGE_PORT:-8080}" -T none \
  -f /etc/varnish/livelab/default.vcl -p "vcl_path=$vcl:/etc/varnish/livelab" \
  -s "malloc,${EDGE_CACHE_SIZE:-256m}" \
  -p "thread_pool_min=${EDGE_THREADS_MIN:-200}" -p "thread_pool_max=${EDGE_THREADS_MAX:-2000}" "$@"
