#!/bin/sh
# Sets up a Debian machine, builds nbci and runs it on the example
# notebooks in data/examples; one of them fails on purpose, so the run
# ends with status 1 and a report with one entry.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
"$top/tools/install-deps.sh"

if [ ! -d "$top/build" ]; then
	meson setup "$top/build" "$top"
fi
meson compile -C "$top/build"

cd "$top/data/examples"
status=0
meson devenv -C "$top/build" -w "$top/data/examples" nbci run || status=$?
echo "nbci exited with status $status; the report is $top/data/examples/nbci-report.json"
exit $status
