#!/bin/sh
# Every ffmpeg feature livelab uses must be in the image: the generator encodes (lavfi sources, drawtext with
# freetype, libx264, AAC, flv over rtmp) and the packager's remux writes CMAF (dash + mp4 muxers, http PUT).
set -eu
fail=0
need() { # need <listing flag> <name> <what>
  if ffmpeg -hide_banner "$1" 2>/dev/null | awk '{print $2}' | grep -qx "$2"; then :; else echo "check-ffmpeg: missing $3 ($1 $2)" >&2; fail=1; fi
}
need -encoders libx264 'H.264 encoder'
need -encoders aac 'AAC encoder'
need -filters drawtext 'drawtext filter'
need -filters drawbox 'drawbox filter'
need -filters setpts 'setpts filter'
need -filters settb 'settb filter'
need -filters smptehdbars 'lavfi test source'
need -filters testsrc2 'lavfi test source'
need -filters aevalsrc 'lavfi audio source'
need -muxers flv 'flv muxer'
need -muxers dash 'dash muxer'
need -muxers mp4 'mp4 muxer'
ffmpeg -hide_banner -protocols 2>/dev/null | grep -qx '  rtmp' || { echo 'check-ffmpeg: missing rtmp protocol' >&2; fail=1; }
ffmpeg -hide_banner -protocols 2>/dev/null | grep -qx '  http' || { echo 'check-ffmpeg: missing http protocol' >&2; fail=1; }
# A real encode as the generator makes it (lavfi bars + aevalsrc beep, drawtext + freetype, libx264, aac) into an
# mp4, to prove the libraries load and the decoders of lavfi's raw frames are there.
ffmpeg -hide_banner -loglevel error -f lavfi -i smptehdbars=size=320x180:rate=10 \
  -f lavfi -i "aevalsrc=exprs='0.5*sin(2*PI*1000*t)*lt(mod(t,1),0.1)':s=48000:c=stereo" \
  -t 1 -vf "drawtext=fontfile=/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf:text='check'" \
  -c:v libx264 -preset ultrafast -c:a aac -f mp4 -y /tmp/check-ffmpeg.mp4 || fail=1
[ -s /tmp/check-ffmpeg.mp4 ] || fail=1
rm -f /tmp/check-ffmpeg.mp4
[ "$fail" = 0 ] && echo "check-ffmpeg: $(ffmpeg -version | head -1): every feature present"
exit "$fail"
