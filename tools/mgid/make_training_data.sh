#!/usr/bin/env bash
# Renders the time-lapse sets configs/mgid.yaml trains and validates MGID on.
#   tools/mgid/make_training_data.sh OUT_DIR        (default: data/mgid)
# Sources: the clean photos of ../shared/data/clean/photo. Validation: the 9 scikit-image photos (skimage/), held
# out; training: every other photo. Each photo is first scaled (area filter) to fit within 512×512, keeping its
# aspect — Train.py resizes every frame to 256×256 anyway (configs/mgid.yaml: datasets.train.resize), and small
# frames make rendering and decoding fast. Then `derain synth --kind timelapse` renders 14 rainy frames per photo
# (MGID's time-lapse sets hold 14 per scene), each with its own rain (heavy preset) over the same clean view: no
# camera jitter and no lighting drift. Both were tried (jitter 1 px, lighting 0.05) and defeat the self-supervised
# loss: the two clean views of a pair then differ by more than the rain does (25 dB PSNR between them against
# 28.4 dB rainy-vs-clean), so "predict the other frame" teaches blur and an average tone (models/mgid/README.md).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
shared="$here/../shared/data/clean/photo"
out="${1:-$here/data/mgid}"
for split in train val; do mkdir -p "$out/photos-$split"; done
for f in "$shared"/*/*.jpg "$shared"/*/*.png; do
  [[ -f "$f" ]] || continue
  group="$(basename "$(dirname "$f")")"
  split=train
  [[ "$group" == skimage ]] && split=val
  name="${group}_$(basename "${f%.*}").png"
  target="$out/photos-$split/$name"
  [[ -f "$target" ]] || ffmpeg -v error -y -i "$f" -vf "scale='min(512,iw)':'min(512,ih)':force_original_aspect_ratio=decrease:flags=area" -frames:v 1 "$target"
done
rain=(--kind timelapse --preset heavy --frames 14)
[[ -d "$out/train" ]] || "$here/derain" synth -i "$out/photos-train" -o "$out/train" "${rain[@]}" --seed 21
[[ -d "$out/val" ]] || "$here/derain" synth -i "$out/photos-val" -o "$out/val" "${rain[@]}" --seed 22
echo "training set: $out/train, validation set: $out/val"
