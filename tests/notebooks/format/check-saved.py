# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Compares notebooks nbci saved with what nbformat makes of the originals.

Usage: check-saved.py ORIGINAL SAVED [ORIGINAL SAVED ...]

Each SAVED file must validate against the nbformat schema of its own
version, without the repairs nbformat.validate() makes by default. When
ORIGINAL is nbformat 4, SAVED must be byte for byte what nbformat.write()
writes for it. When ORIGINAL is nbformat 3 or 2, SAVED must have the cells
nbformat's upgrade to version 4 gives: same count, types, sources and
outputs. Prints one line per failure and exits with status 1 if any.
"""

import json
import sys
import warnings

import nbformat
from nbformat.validator import get_validator


def check_pair(original, saved):
    with open(saved, encoding="utf-8") as f:
        text = f.read()
    raw = json.loads(text)

    validator = get_validator(raw["nbformat"], raw["nbformat_minor"])
    errors = sorted(validator.iter_errors(raw), key=str)
    if errors:
        return "does not validate: %s" % str(errors[0]).splitlines()[0]
    nbformat.validate(nbformat.reads(text, as_version=nbformat.NO_CONVERT))
    ids = [cell["id"] for cell in raw["cells"] if "id" in cell]
    if len(ids) != len(set(ids)):
        return "has duplicate cell ids"

    with open(original, encoding="utf-8") as f:
        original_major = json.load(f).get("nbformat")
    if original_major == 4:
        expected = nbformat.writes(nbformat.read(original, as_version=nbformat.NO_CONVERT))
        if not expected.endswith("\n"):
            expected += "\n"
        if text != expected:
            for number, (want, got) in enumerate(
                zip(expected.splitlines(), text.splitlines()), start=1
            ):
                if want != got:
                    return "differs from nbformat at line %d: %r != %r" % (number, got, want)
            return "differs from nbformat in length"
        return None

    upgraded = nbformat.read(original, as_version=4)
    mine = nbformat.reads(text, as_version=4)
    if len(upgraded.cells) != len(mine.cells):
        return "has %d cells, nbformat upgrades to %d" % (len(mine.cells), len(upgraded.cells))
    for index, (want, got) in enumerate(zip(upgraded.cells, mine.cells)):
        for key in ("cell_type", "source", "outputs", "execution_count", "metadata"):
            if want.get(key) != got.get(key):
                return "cell %d has a %s unlike nbformat's upgrade" % (index, key)
    return None


def main():
    warnings.simplefilter("ignore")
    failed = False
    args = sys.argv[1:]
    for original, saved in zip(args[0::2], args[1::2]):
        try:
            problem = check_pair(original, saved)
        except Exception as e:  # a broken file is a failure to report, not a crash
            problem = "%s: %s" % (type(e).__name__, e)
        if problem is not None:
            print("%s: %s" % (original, problem))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
