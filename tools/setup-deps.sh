#!/usr/bin/env bash
# Installs the native packages Derain uses, idempotently and quietly when they are already present.
#   tools/setup-deps.sh            runtime: oneDNN (libdnnl2); footage I/O: ffmpeg, libpng16-16, libturbojpeg0
#   tools/setup-deps.sh --test     also the C headers and gcc the interop layout tests compile against
#                                  (libdnnl-dev, libpng-dev, libturbojpeg0-dev)
#   tools/setup-deps.sh --torch    also Debian's PyTorch (golden vectors, side-by-side benchmarks only)
set -euo pipefail

need=()
dpkg -s libdnnl2 >/dev/null 2>&1 || need+=(libdnnl2)
# The library list is read once: under pipefail, 'ldconfig -p | grep -q' can fail when grep exits early.
libs="$(ldconfig -p 2>/dev/null || true)"
grep -q 'libpng16.so.16 ' <<<"$libs" || need+=(libpng16-16)
grep -q 'libturbojpeg.so.0 ' <<<"$libs" || need+=(libturbojpeg0)
{ command -v ffmpeg && command -v ffprobe; } >/dev/null 2>&1 || need+=(ffmpeg)
if [[ "${1:-}" == "--test" ]]; then
  dpkg -s libdnnl-dev >/dev/null 2>&1 || need+=(libdnnl-dev)
  [[ -f /usr/include/png.h ]] || need+=(libpng-dev)
  [[ -f /usr/include/turbojpeg.h ]] || need+=(libturbojpeg0-dev)
  command -v gcc >/dev/null 2>&1 || need+=(gcc)
fi
if [[ "${1:-}" == "--torch" ]]; then
  /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || need+=(python3-torch python3-torchvision python3-numpy)
  # The allocator the PyTorch side of ./bench runs with (benchmarks/Derain.Bench/SideBySide.cs says why).
  [[ -f /usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4 ]] || need+=(libtcmalloc-minimal4)
fi
[[ ${#need[@]} -eq 0 ]] && exit 0

SUDO=""
[[ $(id -u) -ne 0 ]] && SUDO="sudo"
echo "Installing ${need[*]} (apt)…" >&2
if [[ ! -d /var/lib/apt/lists/partial ]] || [[ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e partial -e lock)" ]]; then
  $SUDO apt-get update -qq >/dev/null
fi
if ! DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null 2>&1; then
  $SUDO apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi
