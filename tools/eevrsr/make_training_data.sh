#!/usr/bin/env bash
# Rebuilds the synthetic streak sets the default EEVRSR model (models/eevrsr) was trained and validated on.
#   tools/eevrsr/make_training_data.sh OUT_DIR        (default: data/eevrsr)
# Training: every clean source in ../shared/data/clean except vid4_city (the validation clip) and
# udacity_solidWhiteRight (the ./derain demo clip), at most 60 frames each; the 1280×720 clips are first
# scaled to 640×360 (PNG) so that the loader decodes a quarter of the pixels (the rain renderer scales streaks
# to the frame height, so the rain looks the same). Validation: vid4_city with near-vertical streaks.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
shared="$here/../shared/data/clean"
out="${1:-$here/data/eevrsr}"
src="$out/clean-sources"
"$here/tools/clean-video-sources.sh" "$src"
rain=(--kind streaks --preset heavy --set veil.density=0 streaks.density=130 streaks.opacity=0.22)
[[ -d "$out/train" ]] || { "$here/derain" synth -i "$src" -o "$out/train" "${rain[@]}" wind.range=20 --seed 11 --frames 60; rm -rf "$out/train/mstreak"; }
[[ -d "$out/val" ]] || { "$here/derain" synth -i "$shared/video/vid4_city" -o "$out/val" "${rain[@]}" wind.range=10 --seed 1; rm -rf "$out/val/mstreak"; }
echo "training set: $out/train, validation set: $out/val"
