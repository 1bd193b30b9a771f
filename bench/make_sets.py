#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the synthetic notebook sets of the benchmark.

The output is deterministic: the same arguments give the same bytes. Every
notebook is nbformat 4.5 (cell ids included) on the python3 kernelspec:

  OUTDIR/tiny/tiny_000.ipynb ...  N notebooks of three trivial code cells
  OUTDIR/cells_<N>.ipynb          one notebook of N code cells, one line each
  OUTDIR/output_<N>mib.ipynb      one notebook whose first cell writes N MiB
                                  to stdout in 100-byte lines
"""
import argparse
import json
import os

# Bytes per line of the large-output notebook, newline included.
LINE_BYTES = 100


def code_cell(cell_id, source):
    return {
        "cell_type": "code",
        "execution_count": None,
        "id": cell_id,
        "metadata": {},
        "outputs": [],
        "source": source,
    }


def markdown_cell(cell_id, source):
    return {"cell_type": "markdown", "id": cell_id, "metadata": {}, "source": source}


def notebook(cells):
    return {
        "cells": cells,
        "metadata": {
            "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
            "language_info": {"name": "python"},
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def write_notebook(path, nb):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        json.dump(nb, f, indent=1, sort_keys=True, ensure_ascii=False)
        f.write("\n")


def tiny_notebook(index):
    return notebook([
        code_cell("a", f"x = {index}"),
        code_cell("b", "y = x * 2 + 1"),
        code_cell("c", "print(x, y)"),
    ])


def cells_notebook(count):
    cells = [markdown_cell("title", f"# {count} code cells")]
    for i in range(count):
        cells.append(code_cell(f"c{i:05d}", f"v = {i}\nprint('cell', v)"))
    return notebook(cells)


def output_notebook(mib):
    lines = int(mib * 1024 * 1024) // LINE_BYTES
    source = (
        "import sys\n"
        f"line = 'x' * {LINE_BYTES - 1} + '\\n'\n"
        f"for _ in range({lines}):\n"
        "    sys.stdout.write(line)\n"
    )
    return notebook([code_cell("big", source), code_cell("done", "print('done')")])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("outdir")
    parser.add_argument("--tiny", type=int, default=200, help="number of tiny notebooks (default: 200)")
    parser.add_argument("--cells", type=int, nargs="+", default=[2000],
                        help="code cell counts, one notebook each (default: 2000)")
    parser.add_argument("--output-mib", type=float, nargs="+", default=[50],
                        help="MiB of stdout, one notebook each (default: 50)")
    args = parser.parse_args()

    for index in range(args.tiny):
        write_notebook(os.path.join(args.outdir, "tiny", f"tiny_{index:03d}.ipynb"), tiny_notebook(index))
    for count in args.cells:
        write_notebook(os.path.join(args.outdir, f"cells_{count}.ipynb"), cells_notebook(count))
    for mib in args.output_mib:
        write_notebook(os.path.join(args.outdir, f"output_{mib:g}mib.ipynb"), output_notebook(mib))


if __name__ == "__main__":
    main()
