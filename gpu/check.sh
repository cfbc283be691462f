#!/usr/bin/env bash
# The course's GPU check on a CUDA machine: nbval over every solution on the GPU (same sanitizers as the
# suite), then the GPU benchmark rows; a short report on stdout and in $OUT/gpu-report.md when OUT is set.
#   bash gpu/check.sh            on the GPU machine (with .whl/ and .deb/ from gpu/bundle.sh carried there)
#   bash gpu/check.sh --dry-run  on a CPU (what the test suite runs: one solution, short benchmark)
set -euo pipefail
cd "$(dirname "$0")/.."
python=${PYTHON:-python3}
if [ -d .whl ] && ! "$python" -c "import nbval, ipykernel, torchviz" 2>/dev/null; then  # a bare machine: its own torch, our wheels
  "$python" -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
if [ -d .deb ] && ! command -v dot >/dev/null; then  # Graphviz unpacked aside, never into /
  rm -rf /tmp/gv && for f in .deb/*.deb; do dpkg -x "$f" /tmp/gv; done
  lib=/tmp/gv/usr/lib/x86_64-linux-gnu
  mkdir -p /tmp/gv/bin
  printf '#!/bin/sh\nLD_LIBRARY_PATH=%s GVBINDIR=%s/graphviz exec %s "$@"\n' "$lib" "$lib" /tmp/gv/usr/bin/dot > /tmp/gv/bin/dot
  chmod +x /tmp/gv/bin/dot && /tmp/gv/bin/dot -c
  export PATH=/tmp/gv/bin:$PATH
fi
export PYTHONPATH=$PWD${PYTHONPATH:+:$PYTHONPATH}  # the notebooks import corso.data (not installed there)
exec "$python" gpu/check.py "$@"
