#!/bin/sh
# Installs the Debian packages xsecrets needs to build and test, when some
# are missing.  Runs apt-get as root, or through sudo.
set -e
pkgs="gcc make autoconf automake libtool pkg-config libltdl-dev
libcurl4-openssl-dev libssl-dev libyaml-dev libcjson-dev libmicrohttpd-dev
openssl wrk time procps curl"
missing=
for p in $pkgs; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
	    grep -q 'install ok installed' || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "installing:$missing"
sudo=
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
