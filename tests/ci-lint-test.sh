#!/bin/bash
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks the CI examples in data/ci without a CI system or Docker: each
# YAML file passes yamllint --strict and has the keys its CI system needs
# (shard jobs, JUnit published the CI's way, a final job that alone gets
# the secrets and runs nbci merge before nbci notify). Every nbci command
# line in them and in the Dockerfiles uses a command and options that the
# built nbci has, and --shard values that it accepts. Each pipeline is
# then played here by ci-lint-pipelines.py: shards on real notebooks,
# merge, and a notification to a webhook on 127.0.0.1. Every -D option of
# the Dockerfile exists in meson_options.txt, and every Debian package it
# installs exists in the apt lists. Prints TAP.
#
# Usage: ci-lint-test.sh FILE...; NBCI_PROGRAM names the built nbci,
# NBCI_PLUGIN_PATH its kernel and slack plugins, and G_TEST_SRCDIR the
# tests folder.
set -u

program=${NBCI_PROGRAM:?NBCI_PROGRAM must name the built nbci}
srcdir=${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests folder}
python=/usr/bin/python3
helper=$srcdir/ci-lint-pipelines.py

tests=0
failures=0

pass()
{
	tests=$((tests + 1))
	echo "ok $tests - $1"
}

fail()
{
	tests=$((tests + 1))
	failures=$((failures + 1))
	echo "not ok $tests - $1"
	shift
	local line
	for line in "$@"; do
		echo "# $line"
	done
}

skip()
{
	tests=$((tests + 1))
	echo "ok $tests - $1 # SKIP $2"
}

# Checks that every nbci command line of FILE names a command of the built
# nbci and only options that its --help lists, long and short, and that
# every --shard value is one that nbci accepts.
check_nbci_commands()
{
	local file=$1 name help lines
	local line command option found=0 problems=() rejected=()
	name=$(basename "$file")

	if ! lines=$("$python" "$helper" commands "$file" 2>&1); then
		fail "$name uses existing nbci options" "$lines"
		return
	fi
	while IFS= read -r line; do
		[ -n "$line" ] || continue
		found=$((found + 1))
		command=$(awk '{ print $2 }' <<<"$line")
		if ! help=$(LC_ALL=C "$program" "$command" --help 2>/dev/null); then
			problems+=("unknown command in: $line")
			continue
		fi
		for option in $(grep -oE '(^| )--[a-z][a-z-]*' <<<"$line"); do
			if ! grep -qE "^ +(-[[:alnum:]], )?$option(=| |$)" <<<"$help"; then
				problems+=("nbci $command has no option $option: $line")
			fi
		done
		for option in $(grep -oE '(^| )-[[:alpha:]]( |$)' <<<"$line"); do
			if ! grep -qE "^ +$option, --" <<<"$help"; then
				problems+=("nbci $command has no option $option: $line")
			fi
		done
		mapfile -t rejected < <(check_shard_values "$line")
		problems+=("${rejected[@]}")
	done <<<"$lines"

	if ((found == 0)); then
		fail "$name runs nbci" "no nbci command line found"
	elif ((${#problems[@]} > 0)); then
		fail "$name uses existing nbci options" "${problems[@]}"
	else
		pass "$name uses existing nbci options ($found command lines)"
	fi
}

# Prints a line for each --shard value of LINE that `nbci list` rejects
# with status 2. GitHub's ${{ matrix.shard }} stands for each K from 1 to N.
check_shard_values()
{
	local line=${1//'${{ matrix.shard }}'/MATRIX_SHARD} index total k status empty
	local pattern='--shard[ =]"?([^ "/]+)/([^ "]+)'

	[[ $line =~ $pattern ]] || return 0
	index=${BASH_REMATCH[1]}
	total=${BASH_REMATCH[2]}
	if [[ $index == MATRIX_SHARD && $total =~ ^[0-9]+$ ]] && ((total > 0)); then
		index=$(seq 1 "$total")
	fi
	empty=$(mktemp -d)
	for k in $index; do
		"$program" list --shard "$k/$total" "$empty" >/dev/null 2>&1
		status=$?
		if ((status == 2)); then
			echo "nbci list rejects --shard $k/$total: $1"
		fi
	done
	rmdir "$empty"
}

# Checks the keys and jobs each CI system needs: shard jobs with the CI's
# parallelism, JUnit published its way, and a final job that alone gets
# the secrets and merges before it notifies.
check_structure()
{
	local file=$1 name output lines
	name=$(basename "$file")

	if output=$("$python" "$helper" structure "$file" 2>&1); then
		pass "$name has the keys its CI system needs"
	else
		mapfile -t lines <<<"$output"
		fail "$name has the keys its CI system needs" "${lines[@]}"
	fi
}

# Plays the pipeline on this machine: its shard jobs run real notebooks on
# ipykernel with the CI's shard variables, and its final job merges and
# notifies a webhook on 127.0.0.1.
check_pipeline_run()
{
	local file=$1 name output lines
	name=$(basename "$file")

	if output=$("$python" "$helper" run "$file" 2>&1); then
		pass "$name runs every notebook once and notifies"
	else
		mapfile -t lines <<<"$output"
		fail "$name runs every notebook once and notifies" "${lines[@]}"
	fi
}

# Checks that every -D option of the Dockerfile exists in meson_options.txt.
check_meson_options()
{
	local file=$1 name option problems=()
	name=$(basename "$file")

	for option in $(grep -oE -- '-D[a-z_]+=' "$file" | sed -E 's/^-D//; s/=$//'); do
		grep -q "^option('$option'" "$srcdir/../meson_options.txt" ||
			problems+=("meson_options.txt has no option $option")
	done
	if ((${#problems[@]} > 0)); then
		fail "$name uses existing meson options" "${problems[@]}"
	else
		pass "$name uses existing meson options"
	fi
}

# Checks that the Debian packages of each `apt-get install` in the
# Dockerfile exist, when this machine has apt lists to look them up in.
check_packages()
{
	local file=$1 name package packages found problems=()
	name=$(basename "$file")

	if ! command -v apt-cache >/dev/null || ! apt-cache show --no-all-versions bash >/dev/null 2>&1; then
		skip "$name installs existing Debian packages" "no apt lists on this machine"
		return
	fi
	packages=$(sed -n '/apt-get install/,/rm -rf/p' "$file" |
		grep -oE '^ +[a-z0-9][a-z0-9.+-]+ *\\?$' | tr -d ' \\')
	# One apt-cache call, which takes a second or more: it prints the
	# packages that exist and fails on the others.
	found=$(apt-cache show --no-all-versions $packages 2>/dev/null | sed -n 's/^Package: //p')
	for package in $packages; do
		grep -qxF "$package" <<<"$found" || problems+=("no Debian package $package")
	done
	if ((${#problems[@]} > 0)); then
		fail "$name installs existing Debian packages" "${problems[@]}"
	else
		pass "$name installs existing Debian packages"
	fi
}

have_yamllint=1
if ! command -v yamllint >/dev/null; then
	have_yamllint=0
fi

for file in "$@"; do
	name=$(basename "$file")
	case $name in
	*.yml)
		if ((have_yamllint)); then
			# GitHub's "on:" is a key, not a boolean, and 100 columns
			# is the project's width.
			if output=$(yamllint --strict --format parsable \
				-d '{extends: default, rules: {line-length: {max: 100}, truthy: {check-keys: false}, document-start: disable}}' \
				"$file" 2>&1); then
				pass "$name passes yamllint"
			else
				mapfile -t lines <<<"$output"
				fail "$name passes yamllint" "${lines[@]}"
			fi
			check_structure "$file"
			check_nbci_commands "$file"
			check_pipeline_run "$file"
		else
			skip "$name passes yamllint" "yamllint is not installed (Debian: yamllint)"
			skip "$name has the keys its CI system needs" "PyYAML comes with yamllint"
			skip "$name uses existing nbci options" "PyYAML comes with yamllint"
			skip "$name runs every notebook once and notifies" "PyYAML comes with yamllint"
		fi
		;;
	Dockerfile)
		check_nbci_commands "$file"
		check_meson_options "$file"
		check_packages "$file"
		;;
	Dockerfile.*)
		check_nbci_commands "$file"
		;;
	*)
		fail "$name is a known CI file" "no check for $file"
		;;
	esac
done

echo "1..$tests"
exit $((failures > 0))
