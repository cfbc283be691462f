"""The course's GPU check: every solution re-executed by nbval on CUDA, then the GPU benchmark rows.

    python gpu/check.py [--dry-run] [--report FILE]

Run through ``gpu/check.sh``, which first installs what a bare CUDA machine lacks (see ``gpu/bundle.sh``).
The notebooks are compared with their stored CPU outputs under the suite's rules
(``tests/nbval_sanitize.cfg``). ``--dry-run`` runs the same steps on the CPU, on one solution and a short
benchmark, so that the test suite knows the check works before a GPU machine is at hand. The report goes
to stdout and, as markdown, to ``--report`` (default ``$OUT/gpu-report.md`` when OUT is set). Exit status:
0 when every notebook cell passed, 1 otherwise, 2 when no GPU is visible (without ``--dry-run``).
"""

import argparse
import os
import platform
import subprocess
import sys
import time
import xml.etree.ElementTree as ElementTree
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402
from mnist import mnist_rows  # noqa: E402


def nbval(notebooks, junit, cuda):
    """Run nbval over ``notebooks``; return {notebook: Counter of outcomes}, the failures, and the seconds."""
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    if not cuda:
        env["CUDA_VISIBLE_DEVICES"] = ""
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-p", "no:xdist", "-o", "addopts=",
               "--nbval", "--nbval-current-env", f"--nbval-sanitize-with={ROOT / 'tests' / 'nbval_sanitize.cfg'}",
               "--nbval-cell-timeout=300", f"--junitxml={junit}", "-q", *map(str, notebooks)]
    start = time.perf_counter()
    subprocess.run(command, cwd=ROOT, env=env, check=False)
    seconds = time.perf_counter() - start
    outcomes, failures = {}, []
    for case in ElementTree.parse(junit).iter("testcase"):
        notebook = case.get("classname", "?").removesuffix(".ipynb").replace(".", "/") + ".ipynb"
        problem = next((child for child in case if child.tag in ("failure", "error", "skipped")), None)
        outcome = "passed" if problem is None else problem.tag
        outcomes.setdefault(notebook, Counter())[outcome] += 1
        if outcome in ("failure", "error"):
            failures.append((notebook, case.get("name"), (problem.get("message") or problem.text or "")[:300]))
    return outcomes, failures, seconds


def report(environment, outcomes, failures, seconds, rows):
    lines = [f"# GPU check ({environment})", "",
             f"nbval on CUDA, stored CPU outputs, the suite's sanitizers: {seconds:.0f} s in all", "",
             "| notebook | cells passed | failed | errors |", "|---|---|---|---|"]
    lines += [f"| {notebook} | {counts['passed']} | {counts['failure']} | {counts['error']} |"
              for notebook, counts in sorted(outcomes.items())]
    for notebook, cell, message in failures:
        lines += ["", f"- **{notebook} {cell}**: {' '.join(message.split())}"]
    lines += ["", "| row | measured | baseline | baseline measured |", "|---|---|---|---|"]
    lines += [f"| {r['row']} | {r['value']} | {r['baseline']} | {r['baseline_value']} |" for r in rows]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--dry-run", action="store_true", help="on the CPU: one solution, a short benchmark")
    out = os.environ.get("OUT")
    parser.add_argument("--report", type=Path, default=Path(out, "gpu-report.md") if out else None)
    args = parser.parse_args()
    cuda = torch.cuda.is_available() and not args.dry_run
    if not cuda and not args.dry_run:
        print("gpu check: no CUDA device is visible to torch (use --dry-run on a CPU)", file=sys.stderr)
        return 2
    device = torch.device("cuda" if cuda else "cpu")
    environment = (f"{platform.node()}: {torch.cuda.get_device_name() if cuda else 'CPU dry run'}, "
                   f"torch {torch.__version__}, Python {platform.python_version()}")
    notebooks = sorted(ROOT.glob("solutions/*/*.ipynb"))[:None if cuda else 1]
    junit = Path(os.environ.get("TMPDIR", "/tmp"), f"gpu-check-{os.getpid()}.xml")
    outcomes, failures, seconds = nbval(notebooks, junit, cuda)
    rows = mnist_rows(device, reps=3, epochs=3) if cuda else mnist_rows(device, reps=1, epochs=1, baseline=False)
    text = report(environment, outcomes, failures, seconds, rows)
    print(text)
    if args.report:
        args.report.write_text(text)
    return 1 if failures or not outcomes else 0


if __name__ == "__main__":
    sys.exit(main())
