#!/usr/bin/env bash
# Prepare, on this machine, what the GPU check needs on a bare CUDA machine that has Python 3.12, torch and
# torchvision but no registry: the notebook-testing wheels (versions from the course's lock) in .whl/ and
# Debian's Graphviz with its libraries in .deb/ (lesson 02 draws its graph with `dot`). Both folders are
# git-ignored; the device tool carries them (`carry: [".whl", ".deb"]`). Run from the course root.
set -euo pipefail
cd "$(dirname "$0")/.."
# Packages the GPU machine's image lacks (its list: the device tool's KINDS.md), with what they need.
packages="nbval nbclient nbformat jupyter_client jupyter_core ipykernel ipython traitlets pyzmq tornado comm
  debugpy matplotlib-inline prompt_toolkit wcwidth jedi parso pexpect ptyprocess
  stack-data asttokens executing pure-eval ipython-pygments-lexers fastjsonschema jsonschema
  jsonschema-specifications referencing rpds-py platformdirs torchviz graphviz"
pins=()
for name in $packages; do
  pin=$(grep -i -E "^${name//[-_]/[-_]}==" requirements/dev.txt | cut -d' ' -f1) || { echo "$name is not in requirements/dev.txt" >&2; exit 1; }
  pins+=("$pin")
done
rm -rf .whl && mkdir .whl
python3 -m pip download --quiet --no-deps --only-binary=:all: --python-version 3.12 --implementation cp \
  --platform manylinux_2_28_x86_64 --platform manylinux_2_27_x86_64 --platform manylinux_2_17_x86_64 \
  --platform manylinux2014_x86_64 --platform manylinux1_x86_64 -d .whl "${pins[@]}" 2>&1 | grep -v 'is ignored' || true
[ "$(ls .whl | wc -l)" -eq "${#pins[@]}" ] || { echo "expected ${#pins[@]} wheels in .whl, found $(ls .whl | wc -l)" >&2; exit 1; }
rm -rf .deb && mkdir .deb
# Graphviz and the libraries it links that a CUDA image (Ubuntu) need not have; glibc and libstdc++ stay the host's.
# Graphviz, its core and dot-layout plugins (SVG output) and the libraries they link that a CUDA image need not
# have; glibc stays the host's. The cairo/pango/gd plugins are left out: SVG geometry is sanitized anyway.
(cd .deb && apt-get download -q graphviz libgvc6 libcgraph6 libcdt5 libpathplan4 libxdot4 libgvpr2 liblab-gamut1 \
  libltdl7 libgts-0.7-5 libexpat1 libglib2.0-0 libpcre2-8-0 libffi8 >/dev/null)
du -sh .whl .deb
