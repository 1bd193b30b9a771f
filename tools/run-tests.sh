#!/bin/sh
# Sets up a Debian machine, builds nbci and runs its test suite, which
# executes notebooks on Debian's real ipykernel. Extra arguments go to
# `meson setup`, for example -Db_sanitize=address,undefined.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=${NBCI_BUILD_DIR:-$top/build}
"$top/tools/install-deps.sh"

if [ ! -d "$build" ]; then
	meson setup "$build" "$top" "$@"
fi
meson compile -C "$build"

status=0
meson test -C "$build" --print-errorlogs || status=$?

# One plain closing line with the counts of the test programs.
log="$build/meson-logs/testlog.json"
if [ -f "$log" ]; then
	/usr/bin/python3 - "$log" <<'PYTHON'
import json, sys
results = [json.loads(line)["result"] for line in open(sys.argv[1]) if line.strip()]
passed = sum(r == "OK" for r in results)
skipped = sum(r == "SKIP" for r in results)
failed = len(results) - passed - skipped
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PYTHON
fi
exit $status
