"""Does the student edition install on every platform and Python the README promises? pip's own resolver says.

    python tools/check_student_platforms.py        (make platforms; make install-dev runs it at its end)

For each supported (platform, Python) pair, pip resolves the edition's requirements.txt as a student's pip
would, without installing anything: `pip install --dry-run --ignore-installed --report R --target T
--platform P --python-version V --implementation cp --only-binary=:all: --require-hashes`. pip reads each
wheel's metadata from PyPI's separate `.metadata` files (PEP 658), so no wheel is downloaded. One line per pair:
the number of packages and their download size (each wheel's Content-Length). Exit 1 naming the first failing
pair with pip's message. It needs the registry, so it is not part of the (offline) test suite.

pip evaluates environment markers (`; sys_platform == 'win32'`) against the interpreter it runs on, whatever
--platform and --python-version say, so a Linux machine would check Windows with Linux's packages (and fail on
nvidia-* wheels). pip runs here with its marker environment (packaging's `default_environment`, which
`Marker.evaluate` reads) set to the target's; the report's `environment` shows it, and it is checked.

pip's configuration on this machine may add a constraints file, extra (local) indexes and find-links: these
would make the check answer for this machine, not for a student's. pip loads no configuration file when
PIP_CONFIG_FILE is os.devnull (`--isolated` would not do: it skips only the user's file and PIP_* variables,
not /etc's; an empty PIP_CONSTRAINT is ignored as unset); a mirror can still be given as PIP_INDEX_URL. Every
wheel the report points at must come from an https index, or be one of the edition's own (its wheels/ folder).
"""

import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from corso.edition import edition_files  # noqa: E402 (the course's package, from this checkout)

# torch 2.14.1's wheels on PyPI: win_amd64, macosx_14_0_arm64, manylinux_2_28 x86_64/aarch64 (no macOS x86-64),
# cp310-cp314; nbgrader 0.9.6 requires Python >= 3.11, soupsieve 4.1.3 >= 3.11.5.
PLATFORMS = {"Windows x86-64": "win_amd64", "macOS arm64": "macosx_14_0_arm64",
             "Linux x86-64": "manylinux_2_28_x86_64"}
PYTHONS = ["3.11.5", "3.12", "3.13", "3.14"]
PYTHON = {"os_name": "posix", "implementation_name": "cpython", "platform_python_implementation": "CPython",
          "platform_release": "", "platform_version": ""}
MARKERS = {"win_amd64": {**PYTHON, "os_name": "nt", "sys_platform": "win32", "platform_system": "Windows",
                         "platform_machine": "AMD64"},
           "macosx_14_0_arm64": {**PYTHON, "sys_platform": "darwin", "platform_system": "Darwin",
                                 "platform_machine": "arm64"},
           "manylinux_2_28_x86_64": {**PYTHON, "sys_platform": "linux", "platform_system": "Linux",
                                     "platform_machine": "x86_64"}}
# pip, with the marker environment of argv[1] (JSON); the rest of argv is pip's.
PIP = ("import json, runpy, sys; from pip._vendor.packaging import markers; "
       "target = json.loads(sys.argv.pop(1)); markers.default_environment = lambda: dict(target); "
       "sys.argv[0] = 'pip'; runpy.run_module('pip', run_name='__main__', alter_sys=True)")
LOCAL = ("PIP_CONSTRAINT", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS", "PIP_NO_INDEX", "PIP_REQUIRE_VIRTUALENV")


def write_edition(folder):
    """The files pip reads: requirements.txt and the edition's wheels (the Italian edition: the largest)."""
    for name, data in edition_files(ROOT, "it").items():
        if name.startswith(("requirements", "wheels/")):
            (folder / name).parent.mkdir(parents=True, exist_ok=True)
            (folder / name).write_bytes(data)


def platform_tags(platform):
    """pip extends macOS tags to older versions, but manylinux_2_28 not to manylinux_2_17 (manylinux2014): each."""
    if platform.startswith("manylinux_2_"):
        glibc, arch = platform.removeprefix("manylinux_2_").split("_", 1)
        return [f"manylinux_2_{minor}_{arch}" for minor in range(int(glibc), 16, -1)] + [f"manylinux2014_{arch}"]
    return [platform]


def marker_environment(platform, python):
    full = python if python.count(".") == 2 else f"{python}.0"
    return {**MARKERS[platform], "python_version": ".".join(full.split(".")[:2]), "python_full_version": full,
            "implementation_version": full}


def resolve(folder, platform, python, requirements="requirements.txt"):
    """pip's report (a dict) for one pair, or raise RuntimeError with pip's message."""
    report = folder / f"report-{platform}-{python}.json"
    target = marker_environment(platform, python)
    command = [sys.executable, "-c", PIP, json.dumps(target), "install", "--dry-run", "--ignore-installed",
               "--quiet", "--report", str(report), "--target", str(folder / "target"),
               *(f"--platform={tag}" for tag in platform_tags(platform)), "--python-version", python,
               "--implementation", "cp", "--only-binary=:all:", "--require-hashes", "-r", requirements]
    env = {key: value for key, value in os.environ.items() if key not in LOCAL}
    env.update(PIP_CONFIG_FILE=os.devnull, PIP_DISABLE_PIP_VERSION_CHECK="1")
    done = subprocess.run(command, cwd=folder, env=env, capture_output=True, text=True)
    if done.returncode:
        raise RuntimeError((done.stderr or done.stdout).strip())
    result = json.loads(report.read_text())
    if result["environment"] != target:
        raise RuntimeError(f"pip resolved for {result['environment']}, not for {target}")
    return result


def wheel_urls(report, folder):
    """The URL of each wheel pip chose (the edition's own wheels, local files of its wheels/, left out)."""
    urls = [item["download_info"]["url"] for item in report["install"]]
    own = (folder / "wheels").resolve().as_uri() + "/"
    local = [url for url in urls if not url.startswith(("https://", own))]
    if local:
        raise RuntimeError(f"not from an https index (pip's local configuration leaked in?): {local}")
    return [url for url in urls if url.startswith("https://")]


def content_length(url):
    request = urllib.request.Request(url, method="HEAD")
    with urllib.request.urlopen(request, timeout=60) as response:
        return int(response.headers["Content-Length"])


def download_size(urls, sizes):
    """Total bytes of the wheels; ``sizes`` caches each URL's size across pairs."""
    missing = [url for url in urls if url not in sizes]
    with ThreadPoolExecutor(16) as pool:
        sizes.update(zip(missing, pool.map(content_length, missing), strict=True))
    return sum(sizes[url] for url in urls)


def main():
    sizes = {}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_edition(folder)
        for name, platform in PLATFORMS.items():
            for python in PYTHONS:
                start = time.monotonic()
                try:
                    report = resolve(folder, platform, python)
                    urls = wheel_urls(report, folder)
                    size = download_size(urls, sizes)
                except (RuntimeError, OSError) as error:
                    print(f"FAILED {name} ({platform}), Python {python}:\n{error}", file=sys.stderr)
                    return 1
                print(f"ok {name:15} Python {python:6} {len(report['install']):4} packages, "
                      f"{size / 1e9:5.2f} GB to download ({time.monotonic() - start:4.1f} s)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
