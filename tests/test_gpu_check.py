"""The prepared GPU check, in its CPU dry mode: the same script a CUDA machine runs, known to work."""

import os
import subprocess
import sys
from pathlib import Path

from project import ROOT


def test_gpu_check_dry_run_reports_nbval_and_benchmark_rows(tmp_path):
    report = tmp_path / "gpu-report.md"
    env = dict(os.environ, PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", TMPDIR=str(tmp_path))
    done = subprocess.run(["bash", "gpu/check.sh", "--dry-run", "--report", str(report)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    text = report.read_text()
    assert "CPU dry run" in text and "| solutions/01-tensors/tensors.ipynb |" in text, text
    passed = int(text.split("| solutions/01-tensors/tensors.ipynb | ")[1].split(" |")[0])
    assert passed > 10, text
    assert "MNIST MLP on CPU: seconds per epoch" in text, text
