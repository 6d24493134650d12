// node-media-server, pinned and trimmed before anything loads it. Import this before 'node-media-server'.
//
// PINNED: node-media-server 4.4.3 exactly — the RTMP guard (rtmp-guard.ts) and RtmpIngest reach into its
// internals (see rtmp-ingest.ts); a new version must be re-read before this pin moves (apps/packager/README.md).
//
// PATCHED (in memory, no file changes): every Rtmp parser object builds `new Flv()` in its constructor and never
// uses it, and Flv's constructor allocates a 1 MiB buffer — 1 MiB per RTMP connection, before it sent anything
// useful, and freeing those raised glibc's mmap threshold so later ones became resident. The Flv class node-media-
// server's modules see is wrapped so that `new Flv()` gives an empty object; its static helpers (parserTag,
// createMessage, createHeader), which are what rtmp.js and broadcast_server.js use, are the originals.
export const NMS_PINNED_VERSION = '4.4.3';
export const NMS_VERSION = (require('node-media-server/package.json') as { version: string }).version;

const flvPath = require.resolve('node-media-server/src/protocol/flv.js');
const Flv = require(flvPath) as new () => object;
const cached = require.cache[flvPath];
if (cached && !(Flv as { __livelabUnused?: boolean }).__livelabUnused) {
  cached.exports = new Proxy(Flv, {
    construct: () => ({}),
    get: (target, key) => (key === '__livelabUnused' ? true : Reflect.get(target, key)),
  });
}
