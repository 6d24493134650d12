# The packager origin, for a local run (tests write their own). The edge image writes this file at start from
# ORIGIN_HOST and ORIGIN_PORT (docker/edge/entrypoint.sh). Varnish resolves the host name once, when the VCL loads:
# in Kubernetes it is the packager Service, whose ClusterIP does not change.
backend origin {
    .host = "127.0.0.1";
    .port = "8080";
    .connect_timeout = 1s;
    # A blocking playlist reload waits up to 3 target durations, a hinted part or next segment up to 3 s.
    .first_byte_timeout = 10s;
    # Chunks of a segment in progress arrive every ~200 ms.
    .between_bytes_timeout = 6s;
    # /time: public, tiny, on the origin's main port, and needed through the edge anyway (UTCTiming). Lenient on
    # purpose: one answer in the last five (10 s) keeps the origin healthy, so a busy origin is not cut off by its
    # own edge; /readyz of the edge follows it (not ready until the origin has answered once).
    .probe = {
        .url = "/time";
        .interval = 2s;
        .timeout = 2s;
        .window = 5;
        .threshold = 1;
        .initial = 0;
    }
}
