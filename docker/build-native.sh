#!/bin/sh
# Build stage: compile the packages in native-modules.txt for this image's Node, from their sources, with the
# headers that come with that Node (nodedir = the prefix of the node binary: /usr/local in the official images and
# in ours) — no download of headers or prebuilt binaries. Then keep only the addons in build/Release (not the
# object files, nor better-sqlite3's test_extension, a SQLite extension for its own tests).
set -eu
cd /app
[ -s native-modules.txt ] || { echo "build-native: no native modules"; exit 0; }
prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
[ -f "$prefix/include/node/node.h" ] || { echo "build-native: no Node headers in $prefix/include/node" >&2; exit 1; }
echo "build-native: node $(node --version) (ABI $(node -p process.versions.modules)), headers $prefix/include/node"
npm_config_nodedir="$prefix" npm rebuild --build-from-source --foreground-scripts $(cat native-modules.txt)
for m in $(cat native-modules.txt); do
  rm -rf "node_modules/$m/deps" "node_modules/$m/src"
  rm -rf "node_modules/$m/build/Release/obj.target" "node_modules/$m/build/Release/.deps" "node_modules/$m/build/Release/test_extension.node"
  find "node_modules/$m/build" -type f ! -name '*.node' -delete
  find "node_modules/$m/build" -type d -empty -delete
  echo "build-native: $m → $(find "node_modules/$m/build" -name '*.node' | tr '\n' ' ')"
done
