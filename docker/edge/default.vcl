vcl 4.1;
# livelab's edge: Varnish 7.1 (Debian bookworm's package) in front of the packager origin. Why Varnish and what
# each rule is for: docs/scaling.md ("Edge tier"). The origin's Cache-Control is the source of truth
# (libs/media/packaging/src/http/media-files.ts); this file only adds what HTTP cannot say:
#   - one cache key per file: every query parameter is dropped except _HLS_msn, _HLS_part and _HLS_skip (a delta
#     update: a different answer) on playlists;
#   - `no-cache` (revalidate each time; the origin sends no validators) is kept 100 ms, so a burst of viewers asking
#     at once costs one origin fetch, never a copy older than half a part;
#   - errors are kept 1 s at most and never become hit-for-miss (which would let every viewer's next request for
#     that URL through to the origin, uncoalesced);
#   - no grace: a stale playlist is never served while a fresh one is fetched.
# Concurrent misses for one URL wait for a single origin fetch (Varnish's waiting list): a blocking playlist reload
# (_HLS_msn/_HLS_part) or a hinted part is asked of the origin once for all viewers; a segment still being made
# (LL-DASH, chunked) is streamed to every viewer from that one fetch as its chunks arrive (beresp.do_stream).
import std;

# The origin: `backend origin { ... }` (docker/edge/origin.vcl; the image writes it from ORIGIN_HOST/ORIGIN_PORT).
include "origin.vcl";

sub vcl_recv {
    # The edge's own probes: answered here, never by the origin.
    if (req.url ~ "^/healthz(\?|$)") {
        return (synth(200, "ok"));
    }
    if (req.url ~ "^/readyz(\?|$)") {
        if (std.healthy(req.backend_hint)) {
            return (synth(200, "ready"));
        }
        return (synth(503, "origin unreachable"));
    }
    if (req.method == "OPTIONS") {
        return (pass); # CORS preflight: the origin answers it (http/cors.ts)
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (synth(405, "Method Not Allowed"));
    }
    # Nothing the origin serves depends on them; left in, the built-in VCL would pass every such request.
    unset req.http.Cookie;
    unset req.http.Authorization;

    # One key per file: keep _HLS_msn, _HLS_part and _HLS_skip (in that order) on HLS playlists, drop every other
    # parameter.
    if (req.url ~ "^/live/[^?]*\.m3u8\?") {
        set req.http.X-Edge-Query = "";
        if (req.url ~ "[?&]_HLS_msn=") {
            set req.http.X-Edge-Query = "_HLS_msn=" + regsub(req.url, "^.*[?&]_HLS_msn=([^&#]*).*$", "\1");
        }
        if (req.url ~ "[?&]_HLS_part=") {
            set req.http.X-Edge-Query = req.http.X-Edge-Query + "&_HLS_part=" + regsub(req.url, "^.*[?&]_HLS_part=([^&#]*).*$", "\1");
        }
        if (req.url ~ "[?&]_HLS_skip=") {
            set req.http.X-Edge-Query = req.http.X-Edge-Query + "&_HLS_skip=" + regsub(req.url, "^.*[?&]_HLS_skip=([^&#]*).*$", "\1");
        }
        set req.http.X-Edge-Query = regsub(req.http.X-Edge-Query, "^&", "");
        set req.url = regsub(req.url, "\?.*$", "");
        if (req.http.X-Edge-Query != "") {
            set req.url = req.url + "?" + req.http.X-Edge-Query;
        }
        unset req.http.X-Edge-Query;
    } else {
        set req.url = regsub(req.url, "\?.*$", "");
    }

    # The clock (the page's offset, the MPD's UTCTiming) must be the origin's now, and metrics are the origin's.
    if (req.url ~ "^/(time|metrics)$") {
        return (pass);
    }
    return (hash);
}

sub vcl_hash {
    hash_data(req.url);
    # The MPD's UTCTiming URL is built from the Host header (unless the packager has PUBLIC_BASE_URL): one copy per
    # Host. Nothing else the origin writes depends on Host, so other files are shared by every name of the edge.
    if (req.url ~ "\.mpd$") {
        hash_data(req.http.host);
    }
    return (lookup);
}

sub vcl_backend_response {
    set beresp.grace = 0s;
    set beresp.keep = 0s;
    if (bereq.uncacheable) {
        return (deliver); # passed: /time, /metrics, OPTIONS
    }
    if (beresp.status >= 400) {
        # An error (a segment asked too early, a blocking reload that timed out): at most 1 s, shared by everyone.
        if (beresp.ttl > 1s || beresp.ttl <= 0s) {
            set beresp.ttl = 1s;
        }
        return (deliver);
    }
    if (beresp.http.Cache-Control ~ "(?i)(no-store|private)") {
        set beresp.uncacheable = true; # never stored; no hit-for-miss object outlives this response
        set beresp.ttl = 0s;
        return (deliver);
    }
    if (beresp.http.Cache-Control ~ "(?i)no-cache" || beresp.ttl <= 0s) {
        set beresp.ttl = 100ms;
    }
    # Segments and parts are immutable and unique (numbered from the publish time) but useful only while listed
    # (~8 s): two minutes is plenty and keeps a stream's share of the cache bounded.
    if (beresp.ttl > 120s) {
        set beresp.ttl = 120s;
    }
    set beresp.do_stream = true;
    return (deliver);
}

sub vcl_backend_error {
    # The origin could not be reached or timed out: a short shared answer, so retries do not pile up on it.
    set beresp.ttl = 1s;
    set beresp.grace = 0s;
    set beresp.http.Content-Type = "application/json";
    set beresp.http.Cache-Control = "no-store";
    set beresp.http.Retry-After = "1";
    set beresp.body = {"{"error":"edge: origin unavailable" }"};
    return (deliver);
}

sub vcl_synth {
    set resp.http.Cache-Control = "no-store";
    set resp.http.Content-Type = "text/plain; charset=utf-8";
    set resp.body = resp.reason + {"
"};
    return (deliver);
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    unset resp.http.Via;
    unset resp.http.X-Varnish;
}
