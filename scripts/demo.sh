#!/bin/sh
# The demo: builds xsecrets, then syncs the bundled examples once:
# examples/fake with the fake provider, and examples/alibaba (AccessKey and
# RRSA) with the Alibaba provider against the local KMS+STS emulator.  It
# shows the files written and the status tables.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
build=$top/_build/demo

scripts/deps.sh
./bootstrap >/dev/null 2>&1
mkdir -p "$build"
cd "$build"
[ -f Makefile ] || "$top/configure" -q 2>configure.err
make -j2 >make.log 2>&1 || { tail -30 make.log; exit 1; }

out=$(mktemp -d /tmp/xsecrets-demo.XXXXXX)
chmod 0755 "$out"
mkdir -m 0755 "$out/providers"
install -m 0644 providers/*/.libs/*.so "$out/providers/"

show() {
	echo
	echo "== files written under $1"
	(cd "$1" && find . -mindepth 3 -maxdepth 3 ! -name '..*' | sort |
	    while read -r f; do
		printf '  %-36s %s\n' "$f" "$(head -c 40 "$f" | tr '\n' ' ')"
	    done)
	echo
}

status=0
echo "== xsecretsd --once on examples/fake"
./xsecretsd --manifests "$top/examples/fake" --output-dir "$out/fake" \
    --provider-dir "$out/providers" --status-file "$out/fake-status.json" \
    --once || status=$?
show "$out/fake"

# The emulator stands in for Alibaba Cloud on loopback.  The manifests are
# the documented ones with the endpoint and token file filled in.
mkdir -p "$out/alibaba"
printf 'eyJhbGciOiJSUzI1NiJ9.demo-oidc-token.sig' >"$out/token"
for f in "$top"/examples/alibaba/*; do
	sed -e "s#TOKEN_FILE#$out/token#" "$f" >"$out/alibaba/${f##*/}"
done
tests/emulators/alibaba-emu --config "$out/alibaba/emulator.json" \
    --port-file "$out/emu.port" >/dev/null 2>&1 &
emu=$!
trap 'kill $emu 2>/dev/null' EXIT
i=0
while [ ! -s "$out/emu.port" ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
url=http://127.0.0.1:$(sed -n 's/^port=//p' "$out/emu.port")
rm "$out/alibaba/emulator.json"
sed -i "s#EMULATOR_URL#$url#" "$out"/alibaba/*.yaml

echo "== xsecretsd --once on examples/alibaba, against the emulator at $url"
ALIBABA_CLOUD_STS_ENDPOINT=$url ./xsecretsd \
    --manifests "$out/alibaba" --output-dir "$out/alibaba-targets" \
    --provider-dir "$out/providers" --allow-endpoint "http://127.0.0.1:*" \
    --status-file "$out/alibaba-status.json" --once || status=$?
show "$out/alibaba-targets"
echo "status files: $out/fake-status.json $out/alibaba-status.json"
exit $status
