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

done_testing
