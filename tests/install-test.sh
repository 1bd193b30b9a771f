#!/bin/bash
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Installs nbci as a distribution or a user would, then uses only the
# installed copy. It configures a fresh build of SOURCE_DIR with a
# temporary --prefix, installs it there and into a DESTDIR, and checks both
# file lists. It runs the installed program with an empty environment
# outside any build tree. It builds the example webhook notifier against
# the installed nbci-1.pc and checks that `nbci run` loads it and delivers
# the report to a loopback server. OTHER_VERSION_MODULE is a module built
# for another plugin API version, which the installed program must reject.
#
# Usage: install-test.sh SOURCE_DIR OTHER_VERSION_MODULE
# Output: TAP.

set -u

# The fresh build below must use its own libraries, not those of the build
# that runs this test (meson points LD_LIBRARY_PATH there, and in a
# sanitizer build they need the sanitizer runtime loaded first).
unset LD_LIBRARY_PATH

if [ $# -ne 2 ]; then
	echo "usage: $0 SOURCE_DIR OTHER_VERSION_MODULE" >&2
	exit 2
fi
source_dir=$(cd "$1" && pwd)
other_version_module=$(cd "$(dirname "$2")" && pwd)/$(basename "$2")

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbci-install-test-XXXXXX")
server_pid=
cleanup() {
	if [ -n "$server_pid" ]; then
		kill "$server_pid" 2>/dev/null
		wait "$server_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT

prefix=$tmp/prefix
destdir=$tmp/destdir
n_tests=0
n_failed=0

pass() {
	n_tests=$((n_tests + 1))
	echo "ok $n_tests - $1"
}

fail() {
	n_tests=$((n_tests + 1))
	n_failed=$((n_failed + 1))
	echo "not ok $n_tests - $1"
}

# Runs a step whose failure makes every later check meaningless. Its
# output is shown only when it fails.
run_step() {
	local description=$1
	shift
	if "$@" >"$tmp/step.log" 2>&1; then
		pass "$description"
	else
		fail "$description"
		sed 's/^/# /' "$tmp/step.log"
		echo "1..$n_tests"
		exit 1
	fi
}

check() {
	local description=$1
	shift
	if "$@"; then
		pass "$description"
	else
		fail "$description"
	fi
}

# Runs the installed program with nothing of the caller's environment:
# no NBCI_PLUGIN_PATH, no LD_LIBRARY_PATH, no PATH into a build tree.
run_installed() {
	env -i HOME="$tmp/home" PATH=/usr/bin:/bin LANG=C.UTF-8 "$@"
}

mkdir -p "$tmp/home" "$tmp/work"

# Build and install

run_step "configure a build with --prefix=$prefix" \
	meson setup --prefix="$prefix" -Dtests=false --wrap-mode=nofallback \
	"$tmp/build" "$source_dir"
run_step "compile it" meson compile -C "$tmp/build"
run_step "install it into the prefix" meson install -C "$tmp/build" --no-rebuild
run_step "install it into a DESTDIR" \
	meson install -C "$tmp/build" --no-rebuild --destdir "$destdir"

libdir_name=$(meson introspect --buildoptions "$tmp/build" |
	/usr/bin/python3 -c 'import json, sys
print(next(o["value"] for o in json.load(sys.stdin) if o["name"] == "libdir"))')
libdir=$prefix/$libdir_name
plugindir=$libdir/nbci-1/plugins

# File lists

expected=(
	"bin/nbci"
	"$libdir_name/libnbci.so"
	"$libdir_name/libnbci.so.1"
	"$libdir_name/libnbci.so.1.0.0"
	"$libdir_name/pkgconfig/nbci-1.pc"
	"$libdir_name/nbci-1/plugins/nbci-kernel.so"
	"$libdir_name/nbci-1/plugins/nbci-fork-server.py"
	"$libdir_name/nbci-1/plugins/nbci-slack.so"
	"$libdir_name/nbci-1/plugins/nbci-smtp.so"
	"$libdir_name/nbci-1/plugins/nbci-drive.so"
	"share/doc/nbci/configuration.yml"
)
for header in "$source_dir"/core/nbci*.h; do
	case $header in
	*-private.h) ;;
	*) expected+=("include/nbci-1/$(basename "$header")") ;;
	esac
done
if [ -d "$source_dir/data/man" ]; then
	expected+=("share/man/man1/nbci.1")
fi
# The build installs the Spanish catalog only when msgfmt is found.
if command -v msgfmt >/dev/null; then
	expected+=("share/locale/es/LC_MESSAGES/nbci.mo")
fi
if [ -d "$source_dir/data/completion" ]; then
	expected+=("share/bash-completion/completions/nbci")
fi

for root in "$prefix" "$destdir$prefix"; do
	missing=()
	for file in "${expected[@]}"; do
		[ -e "$root/$file" ] || missing+=("$file")
	done
	if [ ${#missing[@]} -eq 0 ]; then
		pass "every expected file is installed under $root"
	else
		fail "every expected file is installed under $root"
		printf '# missing: %s\n' "${missing[@]}"
	fi
	unexpected=$(cd "$root" && find . \( -name '*-private.h' -o -name '*-test' \
		-o -path './include/*' ! -path './include/nbci-1*' \) -print)
	check "no private header, test or stray header under $root" test -z "$unexpected"
done
outside=$(find "$destdir" \( -type f -o -type l \) ! -path "$destdir$prefix/*")
check "nothing is installed outside the prefix in the DESTDIR" test -z "$outside"
soname=$(readelf -d "$libdir/libnbci.so.1.0.0" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')
check "libnbci's soname is libnbci.so.1 (got $soname)" test "$soname" = libnbci.so.1
pc_plugindir=$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --variable=plugindir nbci-1)
check "nbci-1.pc's plugindir is the installed plugin folder ($pc_plugindir)" \
	test "$pc_plugindir" = "$plugindir"
pc_destdir_plugindir=$(PKG_CONFIG_PATH=$destdir$libdir/pkgconfig \
	pkg-config --define-variable=prefix="$destdir$prefix" --variable=plugindir nbci-1)
check "the DESTDIR copy's plugindir moves with its prefix" \
	test "$pc_destdir_plugindir" = "$destdir$plugindir"

# The installed program, with an empty environment

cd "$tmp/work" || exit 1
version=$(run_installed "$prefix/bin/nbci" --version 2>&1)
check "nbci --version runs ($version)" \
	test "$version" = "nbci $(meson introspect --projectinfo "$tmp/build" |
		/usr/bin/python3 -c 'import json, sys; print(json.load(sys.stdin)["version"])')"

run_installed "$prefix/bin/nbci" plugins >"$tmp/plugins.out" 2>&1
plugins_status=$?
check "nbci plugins exits 0" test $plugins_status -eq 0
for module in nbci-kernel nbci-slack nbci-smtp nbci-drive; do
	check "nbci plugins lists the installed $module.so" \
		grep -qx "$plugindir/$module.so" "$tmp/plugins.out"
done
for implementation in cell-executor:kernel notifier:slack notifier:smtp notifier:drive; do
	check "nbci plugins shows $implementation" grep -qx "  $implementation" "$tmp/plugins.out"
done
check "nbci plugins names no build tree" \
	sh -c "! grep -q -e '$source_dir' -e 'not loaded' '$tmp/plugins.out'"

# A small run: one notebook passes, one fails.
mkdir -p notebooks
for name in pass fail; do
	if [ $name = pass ]; then code='print(6 * 7)'; else code='1 / 0'; fi
	cat >"notebooks/$name.ipynb" <<EOF
{
 "cells": [{"cell_type": "code", "execution_count": null, "id": "c1",
            "metadata": {}, "outputs": [], "source": ["$code"]}],
 "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python",
                             "name": "python3"}},
 "nbformat": 4, "nbformat_minor": 5
}
EOF
done
printf 'trace: 0\n' >configuration.yml
run_installed "$prefix/bin/nbci" run >"$tmp/run.out" 2>&1
run_status=$?
check "nbci run exits 1 for the failing cell (got $run_status)" test $run_status -eq 1
check "nbci run reports the ZeroDivisionError of notebooks/fail.ipynb" \
	/usr/bin/python3 -c 'import json, sys
report = json.load(open("nbci-report.json"))
sys.exit(not (len(report) == 1 and report[0]["notebook"] == "notebooks/fail.ipynb"
              and report[0]["cell"] == 0
              and report[0]["trace"]["ename"] == "ZeroDivisionError"))'
if [ $run_status -ne 1 ]; then
	sed 's/^/# /' "$tmp/run.out"
fi

# The example configuration sets every key to its default. Both runs are
# in a folder with no configuration.yml.
mkdir -p "$tmp/defaults/empty"
cd "$tmp/defaults" || exit 1
run_installed "$prefix/bin/nbci" run --no-notify empty >/dev/null 2>"$tmp/defaults.err"
run_installed "$prefix/bin/nbci" run --no-notify -c "$prefix/share/doc/nbci/configuration.yml" \
	empty >/dev/null 2>"$tmp/example.err"
example_status=$?
check "the example configuration is valid (status $example_status)" test $example_status -eq 3
check "the example configuration gives every key its default" \
	cmp -s "$tmp/defaults.err" "$tmp/example.err"
check "the example configuration names every key" \
	/usr/bin/python3 -c 'import re, sys
# The file nests one level, by two spaces; a key without a value on its
# own line starts a section only when the next key is indented.
entries = []
for line in open(sys.argv[1]):
    match = re.match(r"( *)([a-z_]+):", line)
    if match:
        entries.append((len(match.group(1)), match.group(2)))
in_file = set()
section = ""
for i, (indent, name) in enumerate(entries):
    if indent == 0:
        section = ""
        if i + 1 < len(entries) and entries[i + 1][0] > 0:
            section = name + "."
            continue
    in_file.add(section + name)
known = set()
for line in open(sys.argv[2]):
    if line.startswith("secrets:"):
        break
    if ": " in line and not line.startswith(("effective", "error")):
        known.add(line.split(": ", 1)[0])
for key in sorted(known - in_file):
    print("# missing: " + key)
for key in sorted(in_file - known):
    print("# unknown: " + key)
sys.exit(not known or known != in_file)' "$prefix/share/doc/nbci/configuration.yml" "$tmp/defaults.err"
cd "$tmp/work" || exit 1

# The example notifier, built against the installed nbci only

export PKG_CONFIG_PATH=$libdir/pkgconfig
run_step "configure examples/webhook-notifier against the installed nbci-1.pc" \
	meson setup --prefix="$prefix" -Dwerror=true "$tmp/example" \
	"$source_dir/examples/webhook-notifier"
run_step "compile the example without warnings" meson compile -C "$tmp/example"
check "the example's compile commands use the installed headers, not the source tree" \
	sh -c "grep -q -e '-I$prefix/include/nbci-1' '$tmp/example/compile_commands.json' &&
		! grep -q -e '$source_dir/core' '$tmp/example/compile_commands.json'"
run_step "install the example into the plugin folder" meson install -C "$tmp/example" --no-rebuild
unset PKG_CONFIG_PATH
check "the example is installed into nbci-1.pc's plugindir" test -f "$plugindir/nbci-webhook.so"

run_installed "$prefix/bin/nbci" plugins >"$tmp/plugins.out" 2>&1
check "nbci plugins shows notifier:webhook" grep -qx "  notifier:webhook" "$tmp/plugins.out"

# The report delivered to a loopback server
/usr/bin/python3 "$source_dir/tests/webhook-server.py" \
	"$tmp/port" "$tmp/body.json" "$tmp/headers.json" 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do
	[ -s "$tmp/port" ] && break
	sleep 0.1
done
port=$(cat "$tmp/port" 2>/dev/null)
run_step "start the loopback webhook server (port ${port:-none})" test -n "$port"
cat >configuration.yml <<EOF
trace: 0
notification:
  webhook: 1
  max_tries: 2
webhook:
  url: http://127.0.0.1:$port/nbci
EOF
rm -f nbci-report.json
run_installed "$prefix/bin/nbci" run --notify-strict >"$tmp/run.out" 2>&1
run_status=$?
check "nbci run --notify-strict exits 1, so the webhook notifier succeeded (got $run_status)" \
	test $run_status -eq 1
if [ $run_status -ne 1 ]; then
	sed 's/^/# /' "$tmp/run.out"
fi
wait "$server_pid"
server_status=$?
server_pid=
check "the loopback server received one POST" test $server_status -eq 0
check "the POST carries the report, title and JSON type" \
	/usr/bin/python3 -c 'import json, sys
body = json.load(open(sys.argv[1]))
request = json.load(open(sys.argv[2]))
headers = {k.lower(): v for k, v in request["headers"].items()}
report = json.load(open("nbci-report.json"))
checks = {
    "path": request["path"] == "/nbci",
    "content type": headers.get("content-type") == "application/json",
    "report": body["report"] == report,
    "title": body["title"].startswith("Testing work at ") and
             body["title"].endswith(" with errors"),
    "has_errors": body["has_errors"] is True,
    "n_notebooks": body["n_notebooks"] == 2,
    "project": body["project"] == "work",
}
for name, ok in checks.items():
    if not ok:
        print("# wrong %s" % name)
sys.exit(not all(checks.values()))' "$tmp/body.json" "$tmp/headers.json"

# An unknown switch still fails with its line and column when the plugin
# that would declare it is missing.
printf 'trace: 0\nnotification:\n  teams: 1\n' >configuration.yml
run_installed "$prefix/bin/nbci" run >"$tmp/run.out" 2>&1
run_status=$?
check "an unknown notification switch is a configuration error (status $run_status)" \
	test $run_status -eq 2
check "the error names the file, line and column" \
	grep -q 'configuration.yml:3:3: unknown key "notification.teams"' "$tmp/run.out"

# A module built for another plugin API version is rejected by name. It is
# built here against the installed headers: the copy in the build tree may
# carry sanitizer instrumentation that the installed program cannot load.
mkdir -p "$tmp/foreign"
cat >"$tmp/foreign/other-version.c" <<'SOURCE'
#include <gmodule.h>
#include <nbci.h>

G_MODULE_EXPORT gboolean nbci_plugin_register_v2(NbciPluginRegistry *registry, GError **error);

G_MODULE_EXPORT gboolean
nbci_plugin_register_v2(NbciPluginRegistry *registry, GError **error)
{
	return TRUE;
}
SOURCE
# shellcheck disable=SC2046
cc -shared -fPIC -o "$tmp/foreign/$(basename "$other_version_module")" \
	"$tmp/foreign/other-version.c" \
	$(PKG_CONFIG_PATH=$libdir/pkgconfig pkg-config --cflags --libs nbci-1 gmodule-2.0)
rm "$tmp/foreign/other-version.c"
run_installed env NBCI_PLUGIN_PATH="$tmp/foreign" "$prefix/bin/nbci" plugins \
	>"$tmp/plugins.out" 2>&1
check "nbci plugins rejects the module built for API version 2" \
	grep -q "not loaded: built for plugin API version 2, but this nbci loads version 1; rebuild the module against the installed nbci-1 headers" \
	"$tmp/plugins.out"
check "the installed plugins still load next to it" \
	grep -qx "  notifier:webhook" "$tmp/plugins.out"

echo "1..$n_tests"
[ $n_failed -eq 0 ]
