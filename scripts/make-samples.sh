#!/usr/bin/env bash
# Regenerates the sample HLS media under samples/ (maintainer script; needs ffmpeg + ffprobe).
#
#   samples/demo/       MPEG-TS, two renditions (180p clear, 360p AES-128), master.m3u8
#   samples/demo-fmp4/  fMP4/CMAF, one rendition (360p) with an EXT-X-MAP init segment, master.m3u8
#
# Idempotent: samples/demo and samples/demo-fmp4 are deleted and rebuilt from scratch. The demo
# AES key (samples/demo/keys/360p.key) is kept across runs so re-running does not churn the committed
# files; pass --new-key to generate a fresh one. With the same ffmpeg build the output is byte-identical.
#
# Usage: scripts/make-samples.sh [--new-key]
set -euo pipefail
cd "$(dirname "$0")/.."

FFMPEG=${FFMPEG:-ffmpeg}
FFPROBE=${FFPROBE:-ffprobe}
OUT=samples
DEMO=$OUT/demo
FMP4=$OUT/demo-fmp4

FPS=15          # frames per second
SEG=3           # target segment length (s); every segment starts with a keyframe
DUR=12          # total length (s); a multiple of SEG so every segment is exactly SEG long
GOP=$((FPS * SEG))
MAX_BYTES=$((3 * 1000 * 1000))   # size budget for all of samples/
# Fixed, public IV for the AES-128 rendition (an IV need not be secret; fixed keeps the output reproducible).
IV_HEX=000102030405060708090a0b0c0d0e0f

NEW_KEY=0
for arg in "$@"; do
  case "$arg" in
    --new-key) NEW_KEY=1 ;;
    -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

command -v "$FFMPEG" >/dev/null || { echo "ffmpeg not found" >&2; exit 1; }
command -v "$FFPROBE" >/dev/null || { echo "ffprobe not found" >&2; exit 1; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

# Keep the committed demo key unless asked for a new one.
if [ "$NEW_KEY" = 0 ] && [ -f "$DEMO/keys/360p.key" ] && [ "$(wc -c <"$DEMO/keys/360p.key")" -eq 16 ]; then
  cp "$DEMO/keys/360p.key" "$TMP/360p.key"
else
  head -c 16 /dev/urandom >"$TMP/360p.key"
fi

rm -rf "$DEMO" "$FMP4"
mkdir -p "$DEMO/180p" "$DEMO/360p" "$DEMO/keys" "$FMP4/v0"
cp "$TMP/360p.key" "$DEMO/keys/360p.key"

# Test pattern: testsrc2 (moving pattern + frame counter), plus a drawtext clock when a font is available.
FONT=""
for f in /usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf /usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf; do
  [ -f "$f" ] && { FONT=$f; break; }
done
if [ -z "$FONT" ] && command -v fc-match >/dev/null; then
  FONT=$(fc-match -f '%{file}' monospace 2>/dev/null || true)
  [ -f "$FONT" ] || FONT=""
fi
FILTERS=$("$FFMPEG" -hide_banner -filters 2>/dev/null || true)
if [ -z "$FONT" ] || ! grep -qw drawtext <<<"$FILTERS"; then
  FONT=""
  echo "note: no font or no drawtext filter; using testsrc2 without a clock overlay"
fi

# video_filter LABEL HEIGHT -> -vf argument
video_filter() {
  local label=$1 h=$2
  if [ -n "$FONT" ]; then
    local fs=$((h / 12))
    printf "drawtext=fontfile=%s:fontsize=%d:fontcolor=white:box=1:boxcolor=black@0.6:boxborderw=4:x=(w-text_w)/2:y=h-text_h-%d:text='hlsgate %s  %%{pts\\:hms}'" \
      "$FONT" "$fs" "$((h / 20))" "$label"
  else
    printf "null"
  fi
}

# Shared inputs and encoder settings. Audio: 440 Hz sine, beeping (880 Hz) once per second.
INPUTS=(-f lavfi -i "testsrc2=size=640x360:rate=${FPS}" -f lavfi -i "sine=frequency=440:beep_factor=2:sample_rate=48000")
COMMON=(-hide_banner -loglevel error -y -fflags +bitexact)
VCOMMON=(-map 0:v:0 -c:v libx264 -pix_fmt yuv420p -r "$FPS" -g "$GOP" -keyint_min "$GOP" -sc_threshold 0
  -preset medium -threads:v 1 -flags:v +bitexact)  # one thread: x264 VBV + frame threads is not reproducible
ACOMMON=(-map 1:a:0 -c:a aac -ac 1 -ar 48000 -b:a 32k -flags:a +bitexact)
HLSCOMMON=(-t "$DUR" -f hls -hls_time "$SEG" -hls_playlist_type vod -hls_list_size 0 -hls_flags independent_segments)

echo "encoding demo/180p (H.264 baseline, MPEG-TS)"
"$FFMPEG" "${COMMON[@]}" "${INPUTS[@]}" \
  "${VCOMMON[@]}" -vf "scale=320:180,$(video_filter 180p 180)" -profile:v baseline -level:v 3.0 \
  -b:v 120k -maxrate 150k -bufsize 300k \
  "${ACOMMON[@]}" "${HLSCOMMON[@]}" -hls_segment_type mpegts \
  -hls_segment_filename "$DEMO/180p/seg_%03d.ts" "$DEMO/180p/index.m3u8"

echo "encoding demo/360p (H.264 main, MPEG-TS, AES-128)"
# key info file: line 1 = URI written into the playlist (relative), line 2 = key file path, line 3 = IV
printf '%s\n%s\n%s\n' "../keys/360p.key" "$DEMO/keys/360p.key" "$IV_HEX" >"$TMP/360p.keyinfo"
"$FFMPEG" "${COMMON[@]}" "${INPUTS[@]}" \
  "${VCOMMON[@]}" -vf "$(video_filter 360p 360)" -profile:v main -level:v 3.0 \
  -b:v 220k -maxrate 280k -bufsize 560k \
  "${ACOMMON[@]}" "${HLSCOMMON[@]}" -hls_segment_type mpegts -hls_key_info_file "$TMP/360p.keyinfo" \
  -hls_segment_filename "$DEMO/360p/seg_%03d.ts" "$DEMO/360p/index.m3u8"

echo "encoding demo-fmp4/v0 (H.264 main, fMP4/CMAF)"
(
  # hlsenc writes the init segment next to the playlist, so run from the rendition directory.
  cd "$FMP4/v0"
  "$FFMPEG" "${COMMON[@]}" "${INPUTS[@]}" \
    "${VCOMMON[@]}" -vf "$(video_filter fmp4 360)" -profile:v main -level:v 3.0 \
    -b:v 220k -maxrate 280k -bufsize 560k \
    "${ACOMMON[@]}" "${HLSCOMMON[@]}" -hls_segment_type fmp4 -hls_fmp4_init_filename init.mp4 \
    -hls_segment_filename "seg_%03d.m4s" index.m3u8
)

# --- master playlists ------------------------------------------------------------------------------

# avc1 codec string (avc1.PPCCLL) from the first SPS of a rendition's video stream.
avc_codec() {
  local hex
  "$FFMPEG" -v error -y -allowed_extensions ALL -i "$1" -map 0:v:0 -c copy -bsf:v h264_mp4toannexb \
    -frames:v 1 -f h264 "$TMP/first.h264"
  hex=$(od -An -v -tx1 -N 4096 "$TMP/first.h264" | tr -s ' \n' '  ')
  # Find the first NAL with type 7 (SPS) after a 00 00 01 start code; the next 3 bytes are
  # profile_idc, constraint flags, level_idc.
  awk 'function hex(h) { return (index("0123456789abcdef", substr(h, 1, 1)) - 1) * 16 + index("0123456789abcdef", substr(h, 2, 1)) - 1 }
  {
    for (i = 3; i <= NF - 4; i++)
      if ($(i-2) == "00" && $(i-1) == "00" && $i == "01" && hex($(i+1)) % 32 == 7) {
        printf "avc1.%s%s%s", $(i+2), $(i+3), $(i+4); exit
      }
  }' <<<"$hex"
}

# Peak and average bitrate (bit/s) from a media playlist's EXTINF durations and segment sizes.
# Peak = largest single segment (+ the init segment for fMP4), per the HLS spec's BANDWIDTH definition.
bitrates() {
  local pl=$1 dir
  dir=$(dirname "$pl")
  awk -v dir="$dir" '
    function fsize(f,   cmd, s) { cmd = "wc -c < \"" dir "/" f "\""; cmd | getline s; close(cmd); return s + 0 }
    /^#EXT-X-MAP:/ { match($0, /URI="[^"]+"/); init = fsize(substr($0, RSTART + 5, RLENGTH - 6)) }
    /^#EXTINF:/ { sub(/^#EXTINF:/, ""); d = $0 + 0; next_is_seg = 1; next }
    next_is_seg && !/^#/ {
      s = fsize($0); tot_b += s; tot_d += d; r = (s + init) * 8 / d; if (r > peak) peak = r; next_is_seg = 0
    }
    END { printf "%d %d\n", peak + 0.5, (tot_b + init) * 8 / tot_d + 0.5 }
  ' "$pl"
}

# stream_inf PLAYLIST RESOLUTION -> EXT-X-STREAM-INF line
stream_inf() {
  local pl=$1 res=$2 codec peak avg
  codec=$(avc_codec "$pl")
  [ -n "$codec" ] || { echo "could not read the SPS of $pl" >&2; exit 1; }
  read -r peak avg < <(bitrates "$pl")
  printf '#EXT-X-STREAM-INF:BANDWIDTH=%d,AVERAGE-BANDWIDTH=%d,RESOLUTION=%s,FRAME-RATE=%.3f,CODECS="%s,mp4a.40.2"\n' \
    "$peak" "$avg" "$res" "$FPS" "$codec"
}

# The multivariant playlist declares the highest EXT-X-VERSION of the media playlists it lists.
max_version() { sed -n 's/^#EXT-X-VERSION://p' "$@" | sort -n | tail -n 1; }

{
  echo "#EXTM3U"
  echo "#EXT-X-VERSION:$(max_version "$DEMO/180p/index.m3u8" "$DEMO/360p/index.m3u8")"
  echo "#EXT-X-INDEPENDENT-SEGMENTS"
  stream_inf "$DEMO/180p/index.m3u8" 320x180
  echo "180p/index.m3u8"
  stream_inf "$DEMO/360p/index.m3u8" 640x360
  echo "360p/index.m3u8"
} >"$DEMO/master.m3u8"

{
  echo "#EXTM3U"
  echo "#EXT-X-VERSION:$(max_version "$FMP4/v0/index.m3u8")"
  echo "#EXT-X-INDEPENDENT-SEGMENTS"
  stream_inf "$FMP4/v0/index.m3u8" 640x360
  echo "v0/index.m3u8"
} >"$FMP4/master.m3u8"

# --- verification ----------------------------------------------------------------------------------

fail=0
check_playlist() {
  local pl=$1 dur
  dur=$("$FFPROBE" -v error -allowed_extensions ALL -show_entries format=duration -of csv=p=0 "$pl")
  # Decode every stream, so a bad key or a broken segment shows up as an error.
  if ! "$FFMPEG" -v error -allowed_extensions ALL -i "$pl" -map 0 -f null - 2>"$TMP/decode.err" || [ -s "$TMP/decode.err" ]; then
    echo "FAIL $pl: decode errors:"; sed 's/^/  /' "$TMP/decode.err"; fail=1
  fi
  if awk -v d="$dur" 'BEGIN { exit !(d + 0 >= 12) }'; then
    printf 'ok   %-32s ffprobe duration %ss\n' "$pl" "$dur"
  else
    printf 'FAIL %-32s ffprobe duration %ss (< 12 s)\n' "$pl" "$dur"; fail=1
  fi
}
check_segments() {
  local pl=$1
  awk -v pl="$pl" '
    /^#EXTINF:/ { sub(/^#EXTINF:/, ""); d = $0 + 0; n++; tot += d; if (d < 2 || d > 4) bad++ }
    END {
      printf "     %-32s %d segments, EXTINF total %.3fs\n", pl, n, tot
      if (bad || tot < 12 || n == 0) { printf "FAIL %s: segment durations must be 2-4 s and total >= 12 s\n", pl; exit 1 }
    }' "$pl" || fail=1
  grep -q '^#EXT-X-ENDLIST' "$pl" || { echo "FAIL $pl: no EXT-X-ENDLIST"; fail=1; }
  if grep -Eq 'URI="(/|[a-z]+://)' "$pl"; then echo "FAIL $pl: absolute URI"; fail=1; fi
}

echo
echo "verifying"
for pl in "$DEMO/master.m3u8" "$FMP4/master.m3u8" "$DEMO/180p/index.m3u8" "$DEMO/360p/index.m3u8" \
  "$FMP4/v0/index.m3u8"; do
  check_playlist "$pl"
done
for pl in "$DEMO/180p/index.m3u8" "$DEMO/360p/index.m3u8" "$FMP4/v0/index.m3u8"; do check_segments "$pl"; done
grep -q '^#EXT-X-KEY:METHOD=AES-128,URI="../keys/360p.key",IV=0x' "$DEMO/360p/index.m3u8" \
  || { echo "FAIL 360p playlist lacks the expected EXT-X-KEY"; fail=1; }
grep -q '^#EXT-X-MAP:URI="init.mp4"' "$FMP4/v0/index.m3u8" || { echo "FAIL fmp4 playlist lacks EXT-X-MAP"; fail=1; }
[ -f "$FMP4/v0/init.mp4" ] || { echo "FAIL $FMP4/v0/init.mp4 missing"; fail=1; }

total=$(du -sb "$OUT" | cut -f1)
if [ "$total" -lt "$MAX_BYTES" ]; then
  echo "ok   $OUT/ is $total bytes (budget < $MAX_BYTES)"
else
  echo "FAIL $OUT/ is $total bytes (budget < $MAX_BYTES)"; fail=1
fi
du -b "$DEMO" "$FMP4" | sort -k2

[ "$fail" = 0 ] && echo "all checks passed" || { echo "some checks FAILED" >&2; exit 1; }
