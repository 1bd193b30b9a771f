#!/bin/bash
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Runs the built nbci in Spanish and in English on the same failing
# notebooks and checks that the console output, the help and the
# configuration errors are translated while the JSON report is not.
#
# The language is chosen as a user would: LANGUAGE=es with LANG=C.UTF-8,
# the one locale every glibc system has. glibc's gettext honours LANGUAGE
# in C.UTF-8 (it ignores it only in the plain C locale), so no Spanish
# locale needs to be generated. NBCI_LOCALEDIR points nbci at the catalogs
# of the build tree, LOCALEDIR/es/LC_MESSAGES/nbci.mo.
#
# Usage: i18n-test.sh LOCALEDIR FAULTS_DIR; NBCI_PROGRAM names the built
# nbci and NBCI_PLUGIN_PATH its plugins. Output: TAP.
set -u

if [ $# -ne 2 ]; then
	echo "usage: $0 LOCALEDIR FAULTS_DIR" >&2
	exit 2
fi
localedir=$(cd "$1" && pwd)
faults_dir=$(cd "$2" && pwd)
program=${NBCI_PROGRAM:?NBCI_PROGRAM must name the built nbci}
python=/usr/bin/python3

tmp=$(mktemp -d "${TMPDIR:-/tmp}/nbci-i18n-test-XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# The kernels' own files stay in the temporary folder.
export HOME=$tmp/home
mkdir -p "$HOME"

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

# Checks that FILE contains the line LINE, and shows FILE when it does not.
check_line() {
	local description=$1 file=$2 line=$3
	if grep -q -x -F -e "$line" "$file"; then
		pass "$description"
	else
		fail "$description"
		echo "# expected the line: $line"
		sed 's/^/# /' "$file"
	fi
}

# Checks that FILE contains TEXT somewhere.
check_text() {
	local description=$1 file=$2 text=$3
	if grep -q -F -e "$text" "$file"; then
		pass "$description"
	else
		fail "$description"
		echo "# expected the text: $text"
		sed 's/^/# /' "$file"
	fi
}

check_status() {
	local description=$1 expected=$2 got=$3
	if [ "$got" -eq "$expected" ]; then
		pass "$description"
	else
		fail "$description (exit status $got, expected $expected)"
	fi
}

# Runs nbci in Spanish. LC_ALL and LC_MESSAGES would override LANG, so
# they are removed.
nbci_es() {
	env -u LC_ALL -u LC_MESSAGES LANG=C.UTF-8 LANGUAGE=es NBCI_LOCALEDIR="$localedir" \
		"$program" "$@"
}

# Runs nbci with the same catalogs at hand but no LANGUAGE: English.
nbci_en() {
	env -u LC_ALL -u LC_MESSAGES -u LANGUAGE LANG=C.UTF-8 NBCI_LOCALEDIR="$localedir" \
		"$program" "$@"
}

if [ ! -f "$localedir/es/LC_MESSAGES/nbci.mo" ]; then
	echo "Bail out! $localedir/es/LC_MESSAGES/nbci.mo is missing"
	exit 1
fi

# One notebook of each kind: a cell error from the kernel, a pass, an
# error nbci itself reports (no such kernel) and an invalid file whose
# message comes from json-glib, which has a Spanish catalog of its own.
work=$tmp/work
mkdir -p "$work/notebooks"
for notebook in raises passes no-such-kernel not-json; do
	cp "$faults_dir/$notebook.ipynb" "$work/notebooks/"
done
cd "$work" || exit 1

# A failing run

nbci_es run --report es.json notebooks >es.out 2>es.err
check_status "the Spanish run exits with 1 for a failing cell" 1 $?
nbci_en run --report en.json notebooks >en.out 2>en.err
check_status "the English run exits with 1 for a failing cell" 1 $?

check_line "the Spanish summary line agrees in number" es.out \
	"4 cuadernos, 1 correcto, 1 fallido, 1 no válido, 1 sin kernel; 3 errores en es.json"
check_line "the Spanish failure line names the cell" es.out \
	"FALLO notebooks/raises.ipynb celda 2: ZeroDivisionError: division by zero"
check_text "the Spanish configuration dump is translated" es.err "configuración efectiva:"
check_line "the English summary line is unchanged" en.out \
	"4 notebooks, 1 passed, 1 failed, 1 invalid, 1 without a kernel; 3 errors in en.json"
check_line "the English failure line is unchanged" en.out \
	"FAIL notebooks/raises.ipynb cell 2: ZeroDivisionError: division by zero"

# The reports, compared as parsed JSON. Entries hold no timing today; the
# keys listed here would be the ones allowed to differ.
compare_reports='
import json, sys

TIMING_KEYS = {"duration", "elapsed", "seconds", "started", "finished", "timestamp"}

def strip(node):
    if isinstance(node, dict):
        return {k: strip(v) for k, v in node.items() if k not in TIMING_KEYS}
    if isinstance(node, list):
        return [strip(v) for v in node]
    return node

with open(sys.argv[1]) as f:
    spanish = strip(json.load(f))
with open(sys.argv[2]) as f:
    english = strip(json.load(f))
if len(english) != 3:
    sys.exit(f"expected 3 entries in the English report, got {len(english)}")
if spanish != english:
    for a, b in zip(spanish, english):
        if a != b:
            print("# es:", json.dumps(a)[:400])
            print("# en:", json.dumps(b)[:400])
    sys.exit("the reports differ")
'
if "$python" -c "$compare_reports" es.json en.json >compare.out 2>&1; then
	pass "the Spanish run writes the same report as the English run"
else
	fail "the Spanish run writes the same report as the English run"
	sed 's/^/# /' compare.out
fi

# Help

nbci_es run --help >help-es.out 2>&1
check_status "nbci run --help exits with 0 in Spanish" 0 $?
check_text "nbci run --help shows the Spanish summary" help-es.out \
	"- ejecuta cuadernos e informa de cada celda que falla"
check_text "nbci run --help shows the Spanish option descriptions" help-es.out \
	"--config=ARCHIVO"
check_text "nbci run --help shows the Spanish exit statuses" help-es.out \
	"Estado de salida: 0 todo correcto"
nbci_en run --help >help-en.out 2>&1
check_text "nbci run --help stays English without LANGUAGE" help-en.out \
	"Read the configuration from FILE"
nbci_es --help >usage-es.out 2>&1
check_line "nbci --help lists the commands in Spanish" usage-es.out \
	"  run        Ejecuta cuadernos y escribe el informe de errores"

# Configuration and usage errors

printf 'timeout: -5\n' >negative.yml
nbci_es run --config negative.yml notebooks >negative.out 2>negative.err
check_status "a negative timeout is a configuration error" 2 $?
check_line "the error for a negative timeout is Spanish" negative.err \
	"error: negative.yml:1:10: «timeout» no puede ser negativo, pero vale -5; use 0 para no poner límite"

printf 'timout: 5\n' >typo.yml
nbci_es run --config typo.yml notebooks >typo.out 2>typo.err
check_status "an unknown key is a configuration error" 2 $?
check_text "the error for an unknown key is Spanish" typo.err \
	"error: typo.yml:1:1: clave desconocida «timout» (¿quería decir «timeout»?)"

nbci_es run --timeout=-1 notebooks >option.out 2>option.err
check_status "a negative --timeout is a usage error" 2 $?
check_line "the error for a negative --timeout is Spanish" option.err \
	"error: --timeout debe ser 0 (sin límite) o un número positivo de segundos, pero vale -1"

nbci_es frobnicate >unknown.out 2>unknown.err
check_status "an unknown command is a usage error" 2 $?
check_line "the error for an unknown command is Spanish" unknown.err \
	"error: orden desconocida «frobnicate»; ejecute \`nbci --help\` para ver las órdenes"

echo "1..$n_tests"
[ "$n_failed" -eq 0 ]
