#!/bin/sh
# ffmpeg stage: a minimal ffmpeg 5.1 from Debian bookworm's own source package (the same release, patches aside,
# as Debian's binary), with exactly what livelab uses and nothing else — Debian's build links ~208 libraries
# (236 MB: codecs, X, SDL, …), this one links libx264, freetype (+ png, brotli) and zlib (~4 MB binary).
#   generator: lavfi sources (smptehdbars, testsrc2, aevalsrc — their frames reach ffmpeg as rawvideo and
#              pcm_f64le, so those decoders), drawbox/drawtext/settb/setpts/format, libx264 + aac, flv → rtmp.
#   packager:  rtmp + flv demuxer in, h264/aac parsers and decoders (stream probing), -c copy, dash muxer (+ mp4,
#              its HLS playlists) over http PUT to the loopback upload server.
#   tests/tools: file/pipe, mp4/matroska/mpegts out, mov/mpegts/h264/aac in, null muxer, sine/anullsrc/color.
# Add a component here if the apps start using a new one; check-ffmpeg.sh lists what must be present.
set -eu
cd /src/ffmpeg-*
./configure --prefix=/opt/ffmpeg --disable-debug --disable-doc --disable-ffplay --disable-autodetect \
  --enable-gpl --enable-libx264 --enable-libfreetype --enable-zlib --disable-everything \
  --enable-protocol=file,pipe,tcp,http,httpproxy,rtmp \
  --enable-demuxer=flv,live_flv,mov,mpegts,h264,aac,lavfi \
  --enable-muxer=flv,dash,mp4,hls,mpegts,null,matroska \
  --enable-decoder=h264,aac,rawvideo,pcm_s16le,pcm_s32le,pcm_f32le,pcm_f64le \
  --enable-encoder=libx264,aac,rawvideo,pcm_s16le \
  --enable-parser=h264,aac \
  --enable-bsf=aac_adtstoasc,h264_mp4toannexb,extract_extradata,null \
  --enable-indev=lavfi \
  --enable-filter=aevalsrc,sine,anullsrc,smptebars,smptehdbars,testsrc,testsrc2,color,drawbox,drawtext,settb,asettb,setpts,asetpts,format,aformat,scale,aresample,null,anull,trim,atrim,fps,split,asplit,copy,acopy,pad
make -j"$(nproc)"
make install
/opt/ffmpeg/bin/ffmpeg -hide_banner -version | head -1
