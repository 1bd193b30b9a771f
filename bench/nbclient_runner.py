#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Run notebooks with nbclient, the way `jupyter nbconvert --execute` does.

Each notebook runs on a fresh kernel of its own kernelspec, in the notebook's
folder, and stops at the first failing cell. A failing notebook does not stop
the others. With --jobs 1 the notebooks run one after another in this
process; with --jobs N they run in a pool of N worker processes. Executed
notebooks are written below --output-dir with the paths given on the command
line (relative paths keep their folders). The last line on stdout is a JSON
summary with the pass and fail counts.
"""
import argparse
import concurrent.futures
import json
import os
import sys

import nbformat
from nbclient import NotebookClient


def run_notebook(path, output_dir, timeout):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(
        nb,
        timeout=timeout,
        resources={"metadata": {"path": os.path.dirname(os.path.abspath(path))}},
        record_timing=True,
    )
    outcome = "pass"
    error = None
    try:
        client.execute()
    except Exception as e:  # CellExecutionError, DeadKernelError, NoSuchKernel, timeouts
        outcome = "fail"
        error = type(e).__name__
    if output_dir:
        target = os.path.join(output_dir, os.path.relpath(path) if not os.path.isabs(path) else path.lstrip("/"))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        nbformat.write(nb, target)
    return {"notebook": path, "outcome": outcome, "error": error}


def run_notebook_args(args):
    return run_notebook(*args)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="+")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1, no pool)")
    parser.add_argument("--output-dir", help="folder for the executed notebooks")
    parser.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds (default: 600)")
    args = parser.parse_args()

    work = [(path, args.output_dir, args.timeout) for path in args.notebooks]
    if args.jobs <= 1:
        results = [run_notebook_args(item) for item in work]
    else:
        with concurrent.futures.ProcessPoolExecutor(max_workers=args.jobs) as pool:
            results = list(pool.map(run_notebook_args, work))
    for result in results:
        if result["outcome"] != "pass":
            print(f"failed: {result['notebook']}: {result['error']}", file=sys.stderr)
    passed = sum(result["outcome"] == "pass" for result in results)
    print(json.dumps({"notebooks": len(results), "passed": passed, "failed": len(results) - passed}))


if __name__ == "__main__":
    main()
