#!/bin/sh
# ffmpeg stage: copy ffmpeg and ffprobe from BIN, tini, the DejaVu fonts and exactly the shared libraries they link
# (ldd: the whole DT_NEEDED closure) into OUT, laid out for /.   Usage: collect-ffmpeg.sh BIN OUT
# The binaries get an RPATH (DT_RPATH, which also applies to the libraries' own dependencies unless those have a
# RUNPATH of their own) to /usr/local/lib/ffmpeg, so nothing else in the image — node — ever loads these copies.
# glibc itself stays the base image's (same Debian release or newer).
set -eu
bindir=$1
out=$2
lib=/usr/local/lib/ffmpeg
mkdir -p "$out/usr/local/bin" "$out$lib" "$out/usr/share/fonts/truetype" "$out/etc"
for bin in ffmpeg ffprobe; do
  cp "$bindir/$bin" "$out/usr/local/bin/$bin"
  patchelf --force-rpath --set-rpath "$lib" "$out/usr/local/bin/$bin"
done
cp /usr/bin/tini "$out/usr/local/bin/tini"
ldd "$bindir/ffmpeg" "$bindir/ffprobe" | awk '$2 == "=>" && $3 ~ /^\// { print $3 }' | sort -u |
  grep -Ev '/(libc|libm|libdl|libpthread|librt|libresolv|libutil|ld-linux-x86-64)\.so' |
  while read -r so; do cp -L "$so" "$out$lib/"; done
# A library with its own RUNPATH ignores the executable's RPATH: point it here too.
for so in "$out$lib"/*; do
  if [ -n "$(patchelf --print-rpath "$so")" ]; then patchelf --set-rpath "$lib" "$so"; fi
done
cp -a /usr/share/fonts/truetype/dejavu "$out/usr/share/fonts/truetype/"
cp -a /etc/fonts "$out/etc/"
echo "collect-ffmpeg: $(ls "$out$lib" | wc -l) libraries, $(du -sh "$out" | cut -f1) in all"
