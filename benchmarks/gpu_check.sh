#!/bin/bash
# Every GPU check in one go, from the repository root, on a machine with an NVIDIA GPU whose
# python3 has a CUDA build of torch: the unit and integration tests (tests/integration/test_cuda.py
# runs there instead of skipping), then benchmarks/cuda.py, throughput.py --device cuda and
# memory.py --device cuda. The figures in RESULTS.md "On a GPU" came from this sequence.
#
# Needs GDAL's Python bindings (osgeo). Where the machine has no GDAL package, a GDAL wheel from
# PyPI works: `pip install --target DIR gdal-wheel` (it bundles libgdal; 3.13.3 was used), then
# PYTHON_PATH_EXTRA=DIR. Real data: ../shared/data as in development (tests skip without it).
#
# Usage: bash benchmarks/gpu_check.sh [OUT_DIR]      (logs go to OUT_DIR, default /tmp/sarc-gpu)
set -u
out=${1:-/tmp/sarc-gpu}
mkdir -p "$out"
export PYTHONUNBUFFERED=1
# the checkout imported as the package sar_colorizer, whatever its folder is called
pkgs=$(mktemp -d)
ln -sfn "$PWD" "$pkgs/sar_colorizer"
export PYTHONPATH="$pkgs${PYTHON_PATH_EXTRA:+:$PYTHON_PATH_EXTRA}${PYTHONPATH:+:$PYTHONPATH}"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
python3 -c "from osgeo import gdal; import numpy, torch; print('gdal', gdal.__version__, 'numpy', numpy.__version__, \
'torch', torch.__version__, 'cuda', torch.cuda.is_available())" || exit 1

echo "== tests (unit + integration) =="
timeout 300 python3 -m pytest -v -rs tests/unit tests/integration 2>&1 | tee "$out/pytest.log" \
    | awk '/test_cuda.py/ || (/FAILED|ERROR|SKIPPED/ && !/ PASSED /) || /[0-9]+ (passed|failed)/' | tail -30
cd benchmarks || exit 1
echo "== cuda.py =="
timeout 200 python3 cuda.py 2>&1 | tee "$out/cuda.log" | tail -22
echo "== throughput.py --device cuda =="
timeout 300 python3 throughput.py --device cuda --repeats 5 2>&1 | tee "$out/throughput.log" | tail -30
echo "== memory.py --device cuda =="
timeout 400 python3 memory.py --device cuda --backend torch --sizes 4000,16000 2>&1 | tee "$out/memory.log" | tail -12
