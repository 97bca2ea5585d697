#!/bin/sh
# The command line: --version, --help, usage errors, --check, JSON logs.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
M=$T/m
mkdir -p "$M"

xs --version
is "$rc" 0 "--version exits 0"
like "$T/stdout" '^xsecretsd [0-9]+\.[0-9]+\.[0-9]+ \(provider ABI 1\.[0-9]+\)$' \
    "--version names the ABI"
xs --help
like "$T/stdout" '--manifests PATH' "--help lists the options"
xs --once --output-dir "$T/out"
is "$rc" 2 "a missing --manifests is a usage error"
like "$T/stderr" 'manifests is required' "and says so"
xs --manifests "$M" --output-dir "$T/out" --concurrency 0
is "$rc" 2 "--concurrency 0 is refused"
xs --manifests "$M" --output-dir "$T/out" --provider-dir relative/dir
is "$rc" 2 "a relative provider directory is refused"

# A host whose manifests are not written yet.
xs --manifests "$M" --provider-dir "$P" --check
is "$rc" 0 "--check passes an empty manifest directory"
like "$T/stdout" '0 stores, 0 externalsecrets, 0 problems' "and says so"
xs --manifests "$M" --output-dir "$T/out0" --provider-dir "$P" --once
is "$rc" 0 "--once on an empty manifest directory exits 0"
unlike "$T/stderr" 'runtime error' "with no undefined behaviour"

cat >"$M/store.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: default}
spec:
  provider:
    fake:
      data: [{key: k}]
YAML
xs --manifests "$M" --provider-dir "$P" --check
is "$rc" 1 "--check fails on a store its provider rejects"
like "$T/stderr" 'store\.yaml:[0-9]+: store default/fake: ' \
    "the error names the file, line and store"
like "$T/stdout" '1 problem' "and counts the problems"
nok "--check writes no target" test -e "$T/out"

xs --manifests "$M" --output-dir "$T/out" --provider-dir "$P" --once \
    --log-format json
ok "JSON log lines parse as objects" sh -c "grep -v '^{\"time\":\"[^\"]*\",\"level\":\"[a-z]*\",\"msg\":\".*\"}\$' '$T/stderr' | grep -q . && exit 1 || exit 0"
like "$T/stderr" '"level":"info"' "JSON lines carry the level"

# --once shows its progress (done/total, failures, rate) on stderr when
# stderr is a terminal, and nothing of it otherwise.
M=$T/mp
mkdir -p "$M"
cat >"$M/store.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: default}
spec:
  provider:
    fake:
      data: [{key: k, value: v}]
YAML
for n in a b c missing; do
	key=k
	[ $n = missing ] && key=nope
	cat <<YAML
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: $n, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: value, remoteRef: {key: $key}}]
---
YAML
done >"$M/es.yaml"
xs --manifests "$M" --output-dir "$T/outp" --provider-dir "$P" --once
is "$rc" 1 "--once exits 1 with an object not Ready"
unlike "$T/stderr" 'synced [0-9]+/[0-9]+' \
    "--once shows no progress when stderr is not a terminal"
if command -v script >/dev/null 2>&1; then
	cat >"$T/tty.sh" <<SH
#!/bin/sh
exec "$XSECRETSD" --manifests "$M" --output-dir "$T/outt" \\
    --provider-dir "$P" --once 2>&1 >/dev/null
SH
	chmod +x "$T/tty.sh"
	script -qec "$T/tty.sh" /dev/null </dev/null >"$T/tty.out" 2>&1
	like "$T/tty.out" 'synced 4/4, 1 failed, [0-9]+/s' \
	    "--once on a terminal shows done/total, failures and the rate"
else
	skip "script(1) is not installed: no terminal for the progress test"
fi

done_testing
