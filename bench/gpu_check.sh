#!/usr/bin/env bash
# The GPU machine's check, from the repository root: glassnet's device tests (their cuda cases run
# where CuPy finds a GPU), then bench/gpu.py's measurement (results in bench/GPU.json, GPU.md).
#
#   bench/gpu_check.sh stage   # on a machine with the dev packages: copy the pure-Python ones the
#                              # GPU machine may lack into build/gpu-site/ (git-ignored; carry it)
#   bench/gpu_check.sh         # on the GPU machine
set -euo pipefail
PYTHON=${PYTHON:-python}
if [ "${1:-}" = stage ]; then
  site=$("$PYTHON" -c 'import os, pytest; print(os.path.dirname(os.path.dirname(pytest.__file__)))')
  mkdir -p build/gpu-site
  for name in array_api_compat array_api_strict pytest _pytest pluggy iniconfig packaging py.py; do
    if [ -e "$site/$name" ]; then cp -r "$site/$name" build/gpu-site/; fi
  done
  du -sh build/gpu-site
  exit 0
fi
export PYTHONPATH="src:build/gpu-site${PYTHONPATH:+:$PYTHONPATH}"
"$PYTHON" -c 'import glassnet as gn; print("CUDA devices:", gn.cuda.device_count())'
"$PYTHON" -m pytest -q -p no:cacheprovider -rs tests/backends
"$PYTHON" bench/gpu.py
