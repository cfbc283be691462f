"""corso: the course's workflow, one verb a step (run from the course's root folder).

    corso data                 unpack and verify the vendored MNIST under data/
    corso build                build release/, solutions/ and notebooks/ from source/
    corso build --check        exit 1, naming each stale generated file, if the build would change anything
"""

import argparse
import os
import sys
from pathlib import Path

from corso import build as building
from corso import data
from corso.lessons import SourceError


def main(argv=None):
    parser = argparse.ArgumentParser(prog="corso", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--root", type=Path, default=Path.cwd(), help="the course folder (default: here)")
    verbs = parser.add_subparsers(dest="verb", required=True)
    verbs.add_parser("data", help="unpack and verify the vendored MNIST")
    build_parser = verbs.add_parser("build", help="build the course from source/")
    build_parser.add_argument("--check", action="store_true", help="only report stale generated files")
    args = parser.parse_args(argv)
    # nbgrader runs helper programs (alembic) by name: find them beside this Python, venv activated or not.
    os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    try:
        return VERBS[args.verb](args)
    except (SourceError, building.BuildError, data.DataError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def run_data(args):
    written = data.prepare_mnist()
    for path in written:
        print(f"unpacked {path}")
    print(f"MNIST ready in {data.DATA_DIR} (checksums verified)")
    return 0


def run_build(args):
    stale = building.build(args.root, check=args.check)
    if args.check:
        print(f"{len(stale)} stale generated files" if stale else "generated files are up to date")
        return 1 if stale else 0
    return 0


VERBS = {"data": run_data, "build": run_build}

if __name__ == "__main__":
    sys.exit(main())
