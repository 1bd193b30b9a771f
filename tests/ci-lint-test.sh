#!/bin/bash
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Checks the CI examples in data/ci without a CI system or Docker: each
# YAML file passes yamllint --strict and has the keys its CI system needs.
# Every nbci command line in them and in the Dockerfiles uses a command
# and long options that the built nbci has. Every -D option of the
# Dockerfile exists in meson_options.txt, and every Debian package it
# installs exists in the apt lists. Prints TAP.
#
# Usage: ci-lint-test.sh FILE...; NBCI_PROGRAM names the built nbci and
# G_TEST_SRCDIR the tests folder.
set -u

program=${NBCI_PROGRAM:?NBCI_PROGRAM must name the built nbci}
srcdir=${G_TEST_SRCDIR:?G_TEST_SRCDIR must name the tests folder}
python=/usr/bin/python3

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

# Prints the nbci command lines of FILE outside comments, one per line:
# from "nbci" up to the end of the line or a shell separator.
nbci_command_lines()
{
	grep -v '^[[:space:]]*#' "$1" |
		grep -oE '(^|[^[:alnum:]_./-])nbci [a-z]+[^;&|#]*' |
		sed -E 's/^[^n]*nbci /nbci /; s/[[:space:]\\]+$//'
}

# Checks that every nbci command line of FILE names a command of the built
# nbci and only long options that its --help lists.
check_nbci_commands()
{
	local file=$1 name help
	local line command option found=0 problems=()
	name=$(basename "$file")

	while IFS= read -r line; do
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
	done < <(nbci_command_lines "$file")

	if ((found == 0)); then
		fail "$name runs nbci" "no nbci command line found"
	elif ((${#problems[@]} > 0)); then
		fail "$name uses existing nbci options" "${problems[@]}"
	else
		pass "$name uses existing nbci options ($found command lines)"
	fi
}

# Checks the keys each CI system needs, with PyYAML (a dependency of
# yamllint).
check_structure()
{
	local file=$1 name output lines
	name=$(basename "$file")

	if output=$("$python" - "$file" 2>&1 <<'PYTHON'
import sys
import yaml

path = sys.argv[1]
with open(path, encoding="utf-8") as stream:
    doc = yaml.safe_load(stream)


def need(condition, message):
    if not condition:
        sys.exit(message)


if path.endswith("semaphore.yml"):
    need(doc.get("version") == "v1.0", "version must be v1.0")
    containers = doc["agent"]["containers"]
    need(containers[0].get("name") and containers[0].get("image"),
         "the first container needs a name and an image")
    for block in doc["blocks"]:
        for job in block["task"]["jobs"]:
            need(job.get("name") and job.get("commands"), "every job needs a name and commands")
        need(block["task"]["epilogue"]["always"]["commands"], "the epilogue pushes the report")
    after = doc["after_pipeline"]["task"]
    need(after["jobs"][0]["commands"], "after_pipeline needs a job")
    need(after["secrets"][0]["name"] == "nbci-notifiers", "after_pipeline gets the secret")
elif path.endswith("github-actions.yml"):
    # YAML 1.1, which PyYAML reads, makes the key "on" the boolean true.
    need("on" in doc or True in doc, "a workflow needs on:")
    for name, job in doc["jobs"].items():
        need(job.get("runs-on") and job.get("steps"), f"job {name} needs runs-on and steps")
    need(doc["jobs"]["notify"]["if"] == "always()", "notify must run after a failed run")
elif path.endswith("gitlab-ci.yml"):
    stages = doc["stages"]
    for name, job in doc.items():
        if name == "stages":
            continue
        need(job.get("script"), f"job {name} needs a script")
        need(job.get("stage") in stages, f"job {name} has an unknown stage")
    need(doc["notify"]["when"] == "always", "notify must run after a failed run")
    need(doc["notebooks"]["artifacts"]["when"] == "always", "the report must be kept on failure")
else:
    sys.exit(f"no structure check for {path}")
PYTHON
	); then
		pass "$name has the keys its CI system needs"
	else
		mapfile -t lines <<<"$output"
		fail "$name has the keys its CI system needs" "${lines[@]}"
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
	local file=$1 name package problems=()
	name=$(basename "$file")

	if ! command -v apt-cache >/dev/null || ! apt-cache show --no-all-versions bash >/dev/null 2>&1; then
		skip "$name installs existing Debian packages" "no apt lists on this machine"
		return
	fi
	for package in $(sed -n '/apt-get install/,/rm -rf/p' "$file" |
		grep -oE '^ +[a-z0-9][a-z0-9.+-]+ *\\?$' | tr -d ' \\'); do
		apt-cache show --no-all-versions "$package" >/dev/null 2>&1 ||
			problems+=("no Debian package $package")
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
		else
			skip "$name passes yamllint" "yamllint is not installed (Debian: yamllint)"
			skip "$name has the keys its CI system needs" "PyYAML comes with yamllint"
		fi
		check_nbci_commands "$file"
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
