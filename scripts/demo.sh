#!/bin/sh
# The demo: builds xsecrets and syncs the bundled examples once with the
# fake provider, then shows the files written and the status table.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
build=$top/_build/demo

scripts/deps.sh
./bootstrap >/dev/null 2>&1
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q
make -j2 >make.log 2>&1 || { tail -30 make.log; exit 1; }

out=$(mktemp -d /tmp/xsecrets-demo.XXXXXX)
providers=$out/providers
mkdir -p "$providers"
chmod 0755 "$out" "$providers"
install -m 0644 providers/*/.libs/*.so "$providers/"

echo "== xsecretsd --once on examples/fake"
status=0
./xsecretsd --manifests "$top/examples/fake" --output-dir "$out/targets" \
    --provider-dir "$providers" --status-file "$out/status.json" \
    --once || status=$?
echo
echo "== files written under $out/targets"
(cd "$out/targets" && find . -mindepth 3 -maxdepth 3 ! -name '..*' | sort |
    while read -r f; do
	printf '%-40s %s\n' "$f" "$(head -c 40 "$f" | tr '\n' ' ')"
    done)
echo
echo "status file: $out/status.json"
exit $status
