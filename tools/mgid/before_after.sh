#!/usr/bin/env bash
# Renders docs/images/mgid-before-after.jpg: frame 120 (0-based) of the bundled demo clip, which no MGID training set
# contains, with `derain synth` time-lapse rain (heavy preset, seed 5), derained by MGID; rainy | derained | clean,
# each 480×270. Prints PSNR/SSIM (Y) of the rainy and the derained frame against the clean one.
#   tools/mgid/before_after.sh [WEIGHTS]     (default: Derain's default model, models/mgid)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
weights=()
[[ $# -ge 1 ]] && weights=(--weights "$1")
mkdir -p "$work/photo"
ffmpeg -v error -i "$here/assets/demo/udacity_solidWhiteRight.mp4" -vf 'select=eq(n\,120)' -frames:v 1 "$work/photo/frame120.png"
"$here/derain" synth -i "$work/photo" -o "$work/set" --kind timelapse --preset heavy --frames 1 --seed 5 > /dev/null
scene="$(ls "$work/set/lq")"
"$here/derain" run --model mgid "${weights[@]}" --input "$work/set/lq/$scene" --output "$work/out/$scene" > /dev/null
echo "rainy:";    "$here/derain" eval --pred "$work/set/lq" --gt "$work/set/gt" --convention y | grep "mean of [0-9]"
echo "derained:"; "$here/derain" eval --pred "$work/out" --gt "$work/set/gt" --convention y | grep "mean of [0-9]"
frame="$(ls "$work/set/lq/$scene" | head -1)"
out="$here/docs/images/mgid-before-after.jpg"
ffmpeg -v error -y -i "$work/set/lq/$scene/$frame" -i "$work/out/$scene/$frame" -i "$work/set/gt/$scene/$frame" \
  -filter_complex '[0]scale=480:270:flags=area[a];[1]scale=480:270:flags=area[b];[2]scale=480:270:flags=area[c];[a][b][c]hstack=3' \
  -q:v 3 "$work/picture.jpg"
mv "$work/picture.jpg" "$out"
echo "wrote $out"
