#!/bin/sh
# ci-check.sh PREFIX: the provider author's path, from an installed xsecrets.
# Run after "make install prefix=PREFIX".  Builds the skeleton from a copy
# of this directory with its plain Makefile and only what PREFIX holds,
# installs it into PREFIX's provider directory, runs the installed
# xsecrets-conformance on it at the strict level, then lets the installed
# daemon load it and sync one ExternalSecret from it (xsecretsd --once).
# Exits 0 when all of that worked.
set -eu
[ $# -eq 1 ] || { echo "usage: $0 PREFIX" >&2; exit 2; }
prefix=$(cd "$1" && pwd)
here=$(cd "$(dirname "$0")" && pwd)
umask 022
work=$(mktemp -d "${TMPDIR:-/tmp}/xs-skel-ci.XXXXXX")
trap 'rm -rf "$work"' EXIT

for d in "$prefix"/lib*/pkgconfig "$prefix"/share/pkgconfig; do
	[ -f "$d/xsecrets-provider.pc" ] && pcdir=$d
done
: "${pcdir:?no xsecrets-provider.pc under $prefix}"
export PKG_CONFIG_PATH="$pcdir"
providerdir=$(pkg-config --variable=providerdir xsecrets-provider)

mkdir "$work/src" "$work/manifests" "$work/out"
cp "$here/skeleton.c" "$here/Makefile" "$here/skeleton.fixtures" \
    "$work/src/"
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$work/src" \
    CFLAGS="-O2 -Wall -Wextra -Werror"
env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS make -C "$work/src" install
"$prefix/bin/xsecrets-conformance" --level strict \
    --fixtures "$work/src/skeleton.fixtures" "$providerdir/skeleton.so"

cat >"$work/manifests/demo.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata: {name: skeleton-creds, namespace: default}
stringData: {token: credential-bytes}
---
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: demo, namespace: default}
spec:
  provider:
    skeleton:
      values: {token: abc123-token}
      auth:
        secretRef: {name: skeleton-creds, key: token}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: demo, namespace: default}
spec:
  secretStoreRef: {name: demo, kind: SecretStore}
  target: {name: demo}
  data:
  - secretKey: token
    remoteRef: {key: token}
YAML
"$prefix/sbin/xsecretsd" --once --provider-dir "$providerdir" \
    --manifests "$work/manifests" --output-dir "$work/out"
[ "$(cat "$work/out/default/demo/token")" = abc123-token ]
echo "ci-check: the skeleton builds, passes the harness and syncs"
