#!/usr/bin/python3
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Write the nbci(1) manual page from the built program's own --help.

The commands, their usage lines, descriptions and options come from
running `nbci --help` and `nbci COMMAND --help`, so the page always
matches the program it is built with. The sections that no help output
contains (configuration, environment, files, exit status, examples) come
from the template, a roff file with @NAME@ placeholders.
"""

import argparse
import os
import re
import subprocess
import sys
import time

# The commands of the page, in the order of `nbci --help`. A command that
# the program lists but this list lacks is an error, so none is left out.
COMMANDS = ["run", "list", "merge", "notify", "kernels", "plugins"]

OPTION_LINE = re.compile(
    r"^\s+(?:(?P<short>-[A-Za-z0-9]), )?(?P<long>--[A-Za-z0-9][A-Za-z0-9-]*)"
    r"(?:=(?P<arg>\S+))?\s{2,}(?P<text>\S.*)$"
)
COMMAND_LINE = re.compile(r"^\s+(?P<name>[a-z][a-z0-9-]*)\s{2,}(?P<text>\S.*)$")


def run_help(program, args):
    """Return the English help text that `program args --help` prints."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LC_") and key not in ("LANG", "LANGUAGE")
    }
    # Without LANGUAGE and with LC_ALL=C.UTF-8 the text stays English
    # whatever the build machine's locale, and the ellipsis stays UTF-8.
    env["LC_ALL"] = "C.UTF-8"
    env.pop("NO_COLOR", None)
    result = subprocess.run(
        [program, *args, "--help"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        check=False,
    )
    if result.returncode != 0:
        sys.exit(
            f"error: `{program} {' '.join(args)} --help` exited with status "
            f"{result.returncode}: {result.stderr.strip()}"
        )
    return result.stdout


def parse_help(text):
    """Split help output into its usage line, paragraphs and listed items.

    Returns a dict with "usage" (the line under "Usage:"), "paragraphs"
    (free text before the lists), "items" (each list's entries, as regex
    matches, keyed by the list's heading) and "trailer" (free text after
    the lists).
    """
    blocks = [block.split("\n") for block in text.strip("\n").split("\n\n")]
    parsed = {"usage": None, "paragraphs": [], "items": {}, "trailer": []}
    for lines in blocks:
        heading = lines[0]
        if heading == "Usage:":
            parsed["usage"] = lines[1].strip()
        elif heading.endswith(":") and len(lines) > 1 and lines[1].startswith("  "):
            entries = []
            for line in lines[1:]:
                match = OPTION_LINE.match(line) or COMMAND_LINE.match(line)
                if match is None:
                    sys.exit(f'error: cannot parse the help line "{line}"')
                entries.append(match)
            parsed["items"][heading[:-1]] = entries
        elif parsed["items"]:
            parsed["trailer"].append(" ".join(line.strip() for line in lines))
        else:
            parsed["paragraphs"].append(" ".join(line.strip() for line in lines))
    if parsed["usage"] is None:
        sys.exit('error: the help output has no "Usage:" line')
    return parsed


def escape_word(word):
    """Escape one word of help text for roff.

    Every hyphen becomes the roff minus sign, which Debian's groff prints
    as an ASCII hyphen-minus, so that options can be copied from the page
    and a line is never broken inside one. Text between backticks becomes
    bold, as commands and options are in manual pages.
    """
    word = word.replace("\\", "\\e").replace("-", "\\-")
    return re.sub(r"`([^`]*)`", r"\\fB\1\\fR", word)


def escape_text(text):
    """Escape a paragraph of help text for roff."""
    out = []
    for char in escape_word(text):
        # Keep the page ASCII: groff reads its input as Latin-1 otherwise.
        out.append(char if ord(char) < 128 else f"\\[u{ord(char):04X}]")
    line = "".join(out)
    # A line starting with a dot or an apostrophe would be a request.
    if line.startswith((".", "'")):
        line = "\\&" + line
    return line


def roff_usage(usage):
    """Format a usage line such as `nbci run [OPTION…] [PATH…]`.

    The command words are bold and the placeholders (OPTION, PATH,
    REPORT.json) italic, as in other manual pages.
    """
    words = usage.split()
    command = []
    while words and re.fullmatch(r"[a-z][a-z0-9-]*", words[0]):
        command.append(words.pop(0))
    out = []
    for word in words:
        parts = re.split(r"([A-Z][A-Z0-9_]*(?:\.[a-z]+)?)", word)
        out.append(
            "".join(
                f"\\fI{escape_text(part)}\\fR" if index % 2 else escape_text(part)
                for index, part in enumerate(parts)
            )
        )
    return "\\fB" + " ".join(command) + "\\fR " + " ".join(out)


def roff_option(match):
    """Return the .TP lines of one option."""
    tag = "\\fB" + escape_word(match["long"]) + "\\fR"
    if match["short"]:
        tag = "\\fB" + escape_word(match["short"]) + "\\fR, " + tag
    if match["arg"]:
        tag += "=\\fI" + escape_word(match["arg"]) + "\\fR"
    return [".TP", tag, escape_text(match["text"])]


def roff_command(name, parsed):
    """Return the lines of one command's subsection."""
    usage, _, summary = parsed["usage"].partition(" - ")
    lines = [f'.SS "nbci {name}"', roff_usage(usage), ".PP"]
    if summary:
        lines += [escape_text(summary[0].upper() + summary[1:] + "."), ".PP"]
    for paragraph in parsed["paragraphs"]:
        lines += [escape_text(paragraph), ".PP"]
    options = [o for heading, entries in parsed["items"].items() for o in entries]
    if options:
        lines.append("Options:")
        lines.append(".RS")
        for option in options:
            if option.re is not OPTION_LINE:
                sys.exit(f'error: "nbci {name} --help" lists "{option[0]}" among its options')
            lines += roff_option(option)
        lines.append(".RE")
    for paragraph in parsed["trailer"]:
        lines += [".PP", escape_text(paragraph)]
    return lines


def build_sections(program):
    """Return the generated parts of the page, keyed by placeholder name."""
    main = parse_help(run_help(program, []))
    listed = [m["name"] for m in main["items"].get("Commands", [])]
    if listed != COMMANDS:
        sys.exit(
            f"error: `nbci --help` lists the commands {listed}, the manual page "
            f"covers {COMMANDS}; update COMMANDS in {__file__} and the template"
        )

    commands = []
    for name in COMMANDS:
        commands += roff_command(name, parse_help(run_help(program, [name])))

    synopsis = [roff_usage(main["usage"])]
    for name in COMMANDS:
        usage = parse_help(run_help(program, [name]))["usage"].partition(" - ")[0]
        synopsis += [".br", roff_usage(usage)]

    options = []
    for option in main["items"].get("Options", []):
        options += roff_option(option)

    return {
        "SYNOPSIS": "\n".join(synopsis),
        "DESCRIPTION": "\n.PP\n".join(escape_text(p) for p in main["paragraphs"]),
        "COMMANDS": "\n".join(commands),
        "OPTIONS": "\n".join(options),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--program", required=True, help="the built nbci program")
    parser.add_argument("--template", required=True, help="the roff template")
    parser.add_argument("--version", required=True, help="the version for the page footer")
    parser.add_argument("--plugin-dir", required=True, help="the installed plugin folder")
    parser.add_argument("--output", required=True, help="the page to write")
    args = parser.parse_args()

    values = build_sections(args.program)
    values["VERSION"] = args.version
    values["PLUGIN_DIR"] = escape_text(args.plugin_dir)
    # The date of a reproducible build, or none: man prints the footer
    # without one.
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        values["DATE"] = time.strftime("%Y-%m-%d", time.gmtime(int(epoch)))
    else:
        values["DATE"] = ""

    with open(args.template, encoding="utf-8") as stream:
        page = stream.read()

    def substitute(match):
        if match[1] not in values:
            sys.exit(f"error: {args.template} has the unknown placeholder @{match[1]}@")
        return values[match[1]]

    page = re.sub(r"@([A-Z_]+)@", substitute, page)
    with open(args.output, "w", encoding="ascii") as stream:
        stream.write(page)


if __name__ == "__main__":
    main()
