#!/bin/sh
# The README demo: the bundled fake-provider examples synced once.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
OUT=$T/out
umask 000

xs --manifests "$top_srcdir/examples/fake" --output-dir "$OUT" \
    --provider-dir "$P" --status-file "$T/status.json" --once
is "$rc" 0 "--once exits 0 when every ExternalSecret synced"
is "$(cat "$OUT/default/db-credentials/username")" app \
    "property username extracted from the JSON value"
is "$(cat "$OUT/default/db-credentials/password")" s3cr3t-demo \
    "property password extracted"
is "$(cat "$OUT/default/api-token/token")" demo-token-v2 \
    "remoteRef.version selects the version"
is "$(head -c 27 "$OUT/default/api-token/ca.crt")" \
    "-----BEGIN CERTIFICATE-----" "decodingStrategy Base64 decodes"
is "$(cat "$OUT/payments/stripe/stripe-secret")" sk_demo_456 \
    "dataFrom.extract through a ClusterSecretStore, with rewrite"
is "$(mode "$OUT/default/db-credentials")" 700 \
    "target directory is 0700 under umask 000"
is "$(mode "$OUT/default/db-credentials/..data/password")" 600 \
    "target file is 0600 under umask 000"
is "$(readlink "$OUT/default/db-credentials/password")" ..data/password \
    "keys are links through ..data"
like "$T/stdout" '^NAMESPACE +NAME +STORE +READY +REASON +MESSAGE' \
    "the table has its header"
like "$T/stdout" '^payments +stripe +shared +True +SecretSynced' \
    "the table lists each ExternalSecret"
like "$T/status.json" '"SecretSynced"' "the status file has the reasons"
is "$(mode "$T/status.json")" 600 "the status file is 0600"
unlike "$T/stdout" 's3cr3t-demo|sk_demo_456' "no secret in the table"
unlike "$T/stderr" 's3cr3t-demo|sk_demo_456' "no secret in the log"
unlike "$T/status.json" 's3cr3t-demo|sk_demo_456' "no secret in the status"

# A second run changes nothing on disk: the data directory stays.
before=$(readlink "$OUT/default/db-credentials/..data")
xs --manifests "$top_srcdir/examples/fake" --output-dir "$OUT" \
    --provider-dir "$P" --once
is "$(readlink "$OUT/default/db-credentials/..data")" "$before" \
    "an unchanged target is not rewritten"

xs --manifests "$top_srcdir/examples/fake" --provider-dir "$P" --check
is "$rc" 0 "--check accepts the examples"

done_testing
