#!/bin/bash
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sources the bash completion for nbci, completes command lines with the
# built program first on PATH and the kernelspecs of tests/jupyter, and
# checks COMPREPLY. Prints TAP.
#
# Usage: completion-test.sh COMPLETION_FILE; NBCI_PROGRAM names the built
# nbci and G_TEST_SRCDIR the tests folder.
set -u

completion=$1
program=${NBCI_PROGRAM:?NBCI_PROGRAM must name the built nbci}
srcdir=${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests folder}

workdir=$(mktemp -d)
trap 'rm -rf "$workdir"' EXIT

# Kernelspecs come from tests/jupyter and the system folders only.
export HOME=$workdir/home
export JUPYTER_PATH=$srcdir/jupyter
unset JUPYTER_DATA_DIR XDG_DATA_HOME PYTHONUSERBASE VIRTUAL_ENV CONDA_PREFIX IPYTHONDIR
PATH=$(dirname "$program"):$PATH
export PATH
mkdir -p "$HOME"

# shellcheck source=../data/completion/nbci
source "$completion"

tests=0
failures=0

# Completes the command line made of the arguments, the last one being the
# word under the cursor, as bash does: COMP_WORDS, COMP_CWORD, then the
# function with the command, the current and the previous word.
complete_words()
{
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMP_LINE="$*"
	COMP_POINT=${#COMP_LINE}
	COMPREPLY=()
	_nbci nbci "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
}

# Checks that COMPREPLY holds exactly the expected words, in any order.
expect()
{
	local name=$1
	local got expected
	shift

	tests=$((tests + 1))
	got=$(printf '%s\n' "${COMPREPLY[@]}" | LC_ALL=C sort)
	expected=$(printf '%s\n' "$@" | LC_ALL=C sort)
	if [[ $got == "$expected" ]]; then
		echo "ok $tests - $name"
	else
		echo "not ok $tests - $name"
		echo "# expected: ${expected//$'\n'/ }"
		echo "# got:      ${got//$'\n'/ }"
		failures=$((failures + 1))
	fi
}

# Lists the option names of `nbci [COMMAND] --help`, parsed here with sed
# rather than with the completion's own parser.
help_options()
{
	"$program" "$@" --help |
		sed -nE 's/^ +(-[[:alnum:]]), (--[[:alnum:]-]+).*/\1\n\2/p; s/^ +(--[[:alnum:]-]+)[= ].*/\1/p'
}

kernels=$("$program" kernels | awk '{ print $1 }')
read -r -d '' -a kernel_names <<<"$kernels"
run_options=$(help_options run)
read -r -d '' -a run_option_names <<<"$run_options"

cd "$workdir" || exit 1
mkdir notebooks out conf.d reports
touch nb.ipynb notes.txt out.txt conf.yml report.json readme.txt

tests=$((tests + 1))
if complete -p nbci | grep -q -- '-F _nbci nbci$'; then
	echo "ok $tests - the completion is registered for nbci"
else
	echo "not ok $tests - the completion is registered for nbci"
	failures=$((failures + 1))
fi

complete_words nbci ""
expect "commands" run list merge notify kernels plugins help

complete_words nbci -
expect "program options" -h --help --version

complete_words nbci run --ti
expect "run option prefix" --timeout

complete_words nbci run -
expect "every run option" "${run_option_names[@]}"
if [[ ! " ${run_option_names[*]} " =~ " --kernel " ]]; then
	tests=$((tests + 1))
	echo "not ok $tests - nbci run --help lists --kernel"
	failures=$((failures + 1))
fi

complete_words nbci run notebooks --no-n
expect "run option after a path" --no-notify

complete_words nbci kernels -
expect "kernels options" -h --help -v --verbose -q --quiet

complete_words nbci run --kernel ""
expect "kernel names" "${kernel_names[@]}"
if [[ ! " ${kernel_names[*]} " =~ " silent " ]]; then
	tests=$((tests + 1))
	echo "not ok $tests - nbci kernels lists the silent kernel of tests/jupyter"
	failures=$((failures + 1))
fi

complete_words nbci run --kernel sil
expect "kernel name prefix" silent

complete_words nbci run --kernel = sil
expect "kernel name after =" silent

complete_words nbci run --kernel =
expect "kernel names after =" "${kernel_names[@]}"

# --changed-since offers the branches and tags of the working directory's
# repository, here a new one outside the user's git configuration.
repo=$(mktemp -d)
GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$repo" init -q -b main
GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 git -C "$repo" -c user.name=test \
	-c user.email=test@localhost commit -q --allow-empty -m first
git -C "$repo" branch feature
git -C "$repo" tag v1
pushd "$repo" >/dev/null
complete_words nbci list --changed-since ""
expect "changed-since revisions" HEAD main feature v1
complete_words nbci run --changed-since fe
expect "changed-since prefix" feature
popd >/dev/null
rm -rf "$repo"

# Without "=" in COMP_WORDBREAKS, bash keeps the option and value as one
# word.
complete_words nbci run --kernel=sil
expect "kernel name in one word" --kernel=silent

complete_words nbci run --timeout ""
expect "no values for --timeout"

complete_words nbci run --config conf
expect "files for --config" conf.d conf.yml

complete_words nbci notify -c conf
expect "files for notify -c" conf.d conf.yml

complete_words nbci run --output-dir ou
expect "folders for --output-dir" out

complete_words nbci run n
expect "notebooks and folders for run" notebooks nb.ipynb

complete_words nbci notify re
expect "reports and folders for notify" report.json reports

complete_words nbci plugins ""
expect "no arguments for plugins"

complete_words nbci help ""
expect "commands after help" run list merge notify kernels plugins

complete_words nbci help run ""
expect "nothing after help COMMAND"

complete_words /nonexistent/nbci run -
expect "no options from a missing program"

echo "1..$tests"
exit $((failures > 0))
