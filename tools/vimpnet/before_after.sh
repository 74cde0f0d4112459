#!/usr/bin/env bash
# Renders docs/images/vimpnet-before-after.jpg: frames 110–125 (0-based) of the bundled demo clip, which no ViMP-Net
# training set contains, with `derain synth --kind vrds --preset mixed` rain (raindrops + streaks, seed 5), derained by
# ViMP-Net; frame 117 as rainy | derained | clean, each 480×270. Prints PSNR/SSIM (RGB) of the rainy and the derained
# frames against the clean ones.
#   tools/vimpnet/before_after.sh [WEIGHTS]            (default: Derain's default model, models/vimpnet)
#   REAL=DIR tools/vimpnet/before_after.sh [WEIGHTS]   also writes rainy | derained (frame 4 of the first 10) of every real clip in
#       ../shared/data/real_rain/video to DIR (those clips may not ship, so nothing of them goes into docs/)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
weights=()
[[ $# -ge 1 ]] && weights=(--weights "$1")
mkdir -p "$work/clip/demo"
ffmpeg -v error -i "$here/assets/demo/udacity_solidWhiteRight.mp4" -vf 'select=between(n\,110\,125)' -vsync 0 \
  -start_number 0 "$work/clip/demo/%08d.png"
"$here/derain" synth -i "$work/clip" -o "$work/set" --kind vrds --preset mixed --seed 5 > /dev/null
"$here/derain" run --model vimpnet "${weights[@]}" --input "$work/set/lq/demo" --output "$work/out/demo" > /dev/null
echo "rainy:";    "$here/derain" eval --pred "$work/set/lq" --gt "$work/set/gt" | grep "mean of [0-9]"
echo "derained:"; "$here/derain" eval --pred "$work/out" --gt "$work/set/gt" | grep "mean of [0-9]"
frame=00000007.png
out="$here/docs/images/vimpnet-before-after.jpg"
ffmpeg -v error -y -i "$work/set/lq/demo/$frame" -i "$work/out/demo/$frame" -i "$work/set/gt/demo/$frame" \
  -filter_complex '[0]scale=480:270:flags=area[a];[1]scale=480:270:flags=area[b];[2]scale=480:270:flags=area[c];[a][b][c]hstack=3' \
  -q:v 3 "$work/picture.jpg"
mv "$work/picture.jpg" "$out"
echo "wrote $out"
if [[ -n "${REAL:-}" ]]; then
  mkdir -p "$REAL"
  for clip in "$here"/../shared/data/real_rain/video/*/; do
    name="$(basename "$clip")"
    mkdir -p "$work/realin/$name"
    ls "$clip" | sort | head -10 | while read -r f; do cp "$clip/$f" "$work/realin/$name/"; done   # at most 10 frames each
    "$here/derain" run --model vimpnet "${weights[@]}" --input "$work/realin/$name" --output "$work/real/$name" > /dev/null
    first="$(ls "$work/realin/$name" | sed -n 4p)"
    ffmpeg -v error -y -i "$clip/$first" -i "$work/real/$name/${first%.*}.png" -filter_complex '[0][1]hstack=2' "$REAL/$name.png"
    echo "wrote $REAL/$name.png (frame $first: rainy | derained)"
  done
fi
