#!/usr/bin/env bash
# Gathers the clean training videos of the video models into one folder of sources for `derain synth`:
#   tools/clean-video-sources.sh DIR
# Every clean source in ../shared/data/clean except vid4_city (the validation clip) and udacity_solidWhiteRight
# (the ./derain demo clip), linked; sam2_01_dog, sam2_05_juggle and udacity_test_video are first scaled from
# 1280×720 to 640×360 (PNG, at most 60 frames) so that the loader decodes a quarter of the pixels (the rain renderer
# scales rain to the frame height, so it looks the same). Used by tools/eevrsr and tools/vimpnet make_training_data.sh.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
shared="$here/../shared/data/clean"
src="$1"
mkdir -p "$src"
for d in "$shared"/video/*; do [[ "$(basename "$d")" == vid4_city ]] || ln -sfn "$d" "$src/"; done
for f in "$shared"/clips/bgs_video02.avi "$shared"/clips/bgs_video03.avi; do ln -sfn "$f" "$src/"; done
for n in sam2_01_dog sam2_05_juggle udacity_test_video; do
  if [[ ! -d "$src/$n" ]]; then
    mkdir -p "$src/$n"
    ffmpeg -v error -y -i "$shared/clips/$n.mp4" -vf scale=640:-2:flags=area -frames:v 60 "$src/$n/%05d.png"
  fi
done
