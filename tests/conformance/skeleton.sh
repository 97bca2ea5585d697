#!/bin/sh
# The skeleton provider builds out of tree as a provider author builds it:
# with its own plain Makefile, the public header and xsecrets-provider.pc
# only, from a temporary prefix that holds nothing else.  The result must
# export only its entry point, pass xsecrets-conformance at the strict
# level, and serve a secret to the daemon.  (plugins/skeleton/ci-check.sh
# does the same from a real "make install" prefix, for CI.)
set -u
: "${top_builddir:?run me through make check}"
: "${top_srcdir:?run me through make check}"

umask 022
T=$(mktemp -d "${TMPDIR:-/tmp}/xs-skel.XXXXXX")
trap 'rm -rf "$T"' EXIT
chmod 700 "$T"
n=0
failed=0

check() {
	n=$((n + 1))
	desc=$1
	shift
	if "$@" >"$T/log" 2>&1; then
		echo "ok $n - $desc"
	else
		failed=$((failed + 1))
		echo "not ok $n - $desc"
		sed 's/^/#   /' "$T/log" | head -20
	fi
}

# A prefix with the installed SDK and nothing else.
mkdir -p "$T/prefix/include/xsecrets" "$T/prefix/lib/pkgconfig" "$T/src"
cp "$top_srcdir/include/xsecrets/provider.h" "$T/prefix/include/xsecrets/"
sed "s#^prefix=.*#prefix=$T/prefix#" "$top_builddir/xsecrets-provider.pc" \
    >"$T/prefix/lib/pkgconfig/xsecrets-provider.pc"
cp "$top_srcdir/plugins/skeleton/skeleton.c" \
    "$top_srcdir/plugins/skeleton/Makefile" \
    "$top_srcdir/plugins/skeleton/skeleton.fixtures" "$T/src/"

check "xsecrets-provider.pc gives the prefix's include directory" \
    sh -c "pc_out=\$(PKG_CONFIG_PATH='$T/prefix/lib/pkgconfig' \
    pkg-config --cflags xsecrets-provider) &&
    echo \"\$pc_out\" | grep -q -- '-I$T/prefix/include' &&
    echo \"\$pc_out\" | grep -q -- '-fvisibility=hidden'"

# The plain Makefile, run on its own: not part of this build.
check "the skeleton builds with its plain Makefile" \
    env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS \
    PKG_CONFIG_PATH="$T/prefix/lib/pkgconfig" \
    make -C "$T/src" CFLAGS="-O2 -Wall -Wextra -Werror"

check "the skeleton passes xsecrets-conformance at the strict level" \
    "$top_builddir/xsecrets-conformance" --level strict \
    --fixtures "$T/src/skeleton.fixtures" "$T/src/skeleton.so"

# The daemon loads it from a provider directory and syncs through it.
mkdir -p "$T/providers" "$T/manifests" "$T/out"
cp "$T/src/skeleton.so" "$T/providers/"
chmod 644 "$T/providers/skeleton.so"
cat >"$T/manifests/demo.yaml" <<'YAML'
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
      values: {db: '{"password":"from-skeleton"}'}
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
  - secretKey: password
    remoteRef: {key: db, property: password}
YAML
check "xsecretsd loads the skeleton and syncs a property through it" \
    "$top_builddir/xsecretsd" --once --provider-dir "$T/providers" \
    --manifests "$T/manifests" --output-dir "$T/out"
check "the synced file holds the property's value" \
    test "$(cat "$T/out/default/demo/password" 2>/dev/null)" = from-skeleton

echo "1..$n"
[ "$failed" = 0 ]
