#!/bin/bash
# Copyright 2026 The nbci authors
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Builds nbci (release build in build-bench/, installed into
# build-bench/prefix), writes the notebook sets into a temporary folder and
# runs them with nbci, `jupyter nbconvert --execute` and nbclient, printing
# wall time, CPU time and peak memory with the ratios to nbci.
#
# Usage: bench/run.sh [--quick] [--runs N] [--rev REV] [--keep] [--sets LIST] [--tools LIST]
#   --quick       20 tiny notebooks, 200 cells, 5 MiB of output, a fifth of
#                 the corpus, 1 repetition: a smoke run of a few minutes
#   --runs N      repetitions of every measurement (default: 1)
#   --rev REV     build the committed revision REV (exported with git
#                 archive into build-bench/) instead of the work tree
#   --keep        keep the temporary folder with the logs
#   --sets LIST   comma-separated subset of corpus,tiny,cells,output,
#                 cells-half,output-half,cells-quarter,output-quarter (the
#                 half and quarter sizes run nbci only, to check linear time)
#   --tools LIST  comma-separated subset of nbci,nbci-no-fork,nbconvert-each,
#                 nbconvert-all,nbclient-seq,nbclient-2
#
# The tables go to stdout and to build-bench/bench-<UTC time>.md, every
# measurement to build-bench/bench-<UTC time>.json. docs/benchmarks.md explains
# the columns and records a run.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build-bench"
quick=""
runs=1
keep=""
rev=""
extra=()

while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick="--quick" ;;
	--runs)
		runs="${2:?--runs needs a number}"
		shift
		;;
	--keep) keep=1 ;;
	--rev)
		rev="${2:?--rev needs a git revision}"
		shift
		;;
	--sets | --tools)
		extra+=("$1" "${2:?$1 needs a comma-separated list}")
		shift
		;;
	-h | --help)
		sed -n '5,/^set -eu/p' "$0" | sed -e '/^set -eu/d' -e 's/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "error: unknown option $1; bench/run.sh --help lists the options" >&2
		exit 2
		;;
	esac
	shift
done
case "$runs" in
'' | *[!0-9]* | 0)
	echo "error: --runs $runs is not a positive whole number" >&2
	exit 2
	;;
esac

# The peers and the kernels run on Debian's Python and Jupyter stack.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
export LC_ALL=C.UTF-8
python=/usr/bin/python3

"$root/tools/install-deps.sh"

# Same pattern as tools/install-deps.sh, for what only the benchmark needs.
packages="hyperfine jupyter-nbconvert python3-nbconvert python3-nbclient"
missing=""
for package in $packages; do
	if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $package"
	fi
done
if [ -n "$missing" ]; then
	if [ "$(id -u)" -eq 0 ]; then
		sudo=""
	elif command -v sudo >/dev/null 2>&1; then
		sudo="sudo"
	else
		echo "error: these packages are missing and installing them needs root:$missing" >&2
		exit 1
	fi
	echo "installing:$missing"
	$sudo apt-get update -q
	# shellcheck disable=SC2086
	DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends $missing
fi

workdir=$(mktemp -d "${TMPDIR:-/tmp}/nbci-bench.XXXXXX")
cleanup() {
	if [ -n "$keep" ]; then
		echo "kept $workdir" >&2
	else
		rm -rf "$workdir"
	fi
}
trap cleanup EXIT

source="$root"
nbci_build="$build"
mkdir -p "$build"
if [ -n "$rev" ]; then
	# One source export and build per commit, kept for the next run.
	commit=$(git -C "$root" rev-parse --verify "$rev^{commit}")
	source="$build/source-$commit"
	nbci_build="$build/build-$commit"
	if [ ! -d "$source" ]; then
		rm -rf "$source.partial"
		mkdir "$source.partial"
		git -C "$root" archive "$commit" | tar -x -C "$source.partial"
		mv "$source.partial" "$source"
	fi
fi
build_nbci() {
	if [ -f "$nbci_build/build.ninja" ]; then
		meson setup --reconfigure "$nbci_build" "$source" -Dbuildtype=release -Dtests=false \
			--prefix="$nbci_build/prefix"
	else
		meson setup "$nbci_build" "$source" -Dbuildtype=release -Dtests=false \
			--prefix="$nbci_build/prefix"
	fi
	meson compile -C "$nbci_build"
	meson install -C "$nbci_build" --quiet
}
if ! build_nbci >"$workdir/build.log" 2>&1; then
	tail -n 30 "$workdir/build.log" >&2
	echo "error: building nbci in $nbci_build failed; the lines above are the end of its log" >&2
	exit 1
fi
nbci="$nbci_build/prefix/bin/nbci"

# Some corpus notebooks write files next to themselves, so they run on a copy.
cp -r "$source/tests/corpus" "$workdir/corpus"
if [ -n "$quick" ]; then
	"$python" "$root/bench/make_sets.py" "$workdir/sets" --tiny 20 --cells 50 100 200 --output-mib 1.25 2.5 5
else
	"$python" "$root/bench/make_sets.py" "$workdir/sets" --tiny 200 --cells 500 1000 2000 --output-mib 12.5 25 50
fi

{
	echo "machine: $(nproc) CPUs, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'),"
	echo "  $(awk '/MemTotal/ { printf "%.1f GiB RAM", $2 / 1048576 }' /proc/meminfo), Linux $(uname -r), Debian $(cat /etc/debian_version)"
	if [ -n "$rev" ]; then
		echo "nbci: $("$nbci" --version), built from commit $(git -C "$root" rev-parse --short "$commit")"
	else
		echo "nbci: $("$nbci" --version), built from the work tree at $(git -C "$root" rev-parse --short HEAD)"
	fi
	echo "peers: $("$python" -c 'import ipykernel, jupyter_client, nbclient, nbconvert; print(f"ipykernel {ipykernel.__version__}, jupyter_client {jupyter_client.__version__}, nbclient {nbclient.__version__}, nbconvert {nbconvert.__version__}")')"
	echo "uptime at start: $(uptime)"
} >&2

status=0
results="$build/bench-$(date -u +%Y%m%dT%H%M%SZ)"
"$python" "$root/bench/bench.py" --nbci "$nbci" --workdir "$workdir" --runs "$runs" $quick \
	--results "$results.json" "${extra[@]}" | tee "$results.md" || status=$?
echo "uptime at end: $(uptime)" >&2
exit "$status"
