#!/bin/sh
# Installs, from Debian's packages, what nbci needs to build and what its
# tests run on: Debian's Jupyter stack for /usr/bin/python3 and the Python
# packages that the bundled notebooks import.
set -eu

packages="
gcc
meson
ninja-build
pkg-config
gettext
libglib2.0-dev
libjson-glib-dev
libyaml-dev
libzmq3-dev
libsoup-3.0-dev
libarchive-dev
libgnutls28-dev
libcurl4-openssl-dev
glib-networking
openssl
python3-aiosmtpd
python3-ipykernel
python3-jupyter-client
python3-nbformat
python3-numpy
python3-pandas
python3-matplotlib
python3-scipy
python3-sympy
valgrind
man-db
groff-base
yamllint
libxml2-utils
bsdutils
"

missing=""
for package in $packages; do
	if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
		missing="$missing $package"
	fi
done

if [ -z "$missing" ]; then
	exit 0
fi

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
