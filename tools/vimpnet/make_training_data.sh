#!/usr/bin/env bash
# Renders the VRDS-layout sets configs/vimpnet.yaml trains and validates on (gt, lq, drop, 01drop, mstreak).
#   tools/vimpnet/make_training_data.sh OUT_DIR        (default: data/vimpnet)
# Training: every clean source in ../shared/data/clean except vid4_city (the validation clip) and
# udacity_solidWhiteRight (the ./derain demo clip), at most 60 frames each; the 1280×720 clips are first scaled to
# 640×360 (PNG) so the loader decodes a quarter of the pixels (the renderer scales rain to the frame height).
# Rain: the mixed preset (persistent raindrops + fresh streaks every frame), what ViMP-Net separates.
# Validation: vid4_city (704×576) with another seed. Every clip is at least 256 pixels each way (the 256² crops).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
shared="$here/../shared/data/clean"
out="${1:-$here/data/vimpnet}"
src="$out/clean-sources"
"$here/tools/clean-video-sources.sh" "$src"
[[ -d "$out/train" ]] || "$here/derain" synth -i "$src" -o "$out/train" --kind vrds --preset mixed --seed 21 --frames 60
[[ -d "$out/val" ]] || "$here/derain" synth -i "$shared/video/vid4_city" -o "$out/val" --kind vrds --preset mixed --seed 22 --frames 30
echo "training set: $out/train, validation set: $out/val"
