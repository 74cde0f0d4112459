#!/usr/bin/env bash
# Installs the native packages Derain uses, idempotently and quietly when they are already present.
#   tools/setup-deps.sh            runtime: oneDNN (libdnnl2); its headers (libdnnl-dev) for the interop header test
#   tools/setup-deps.sh --torch    also Debian's PyTorch (golden vectors, side-by-side benchmarks only)
set -euo pipefail

need=()
ldconfig -p 2>/dev/null | grep -q 'libdnnl.so.2 ' || need+=(libdnnl2)
dpkg -s libdnnl-dev >/dev/null 2>&1 || need+=(libdnnl-dev)
if [[ "${1:-}" == "--torch" ]]; then
  /usr/bin/python3 -c 'import torch, torchvision' 2>/dev/null || need+=(python3-torch python3-torchvision python3-numpy)
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
