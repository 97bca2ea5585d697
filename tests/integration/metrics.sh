#!/bin/sh
# Metrics and health from the running daemon: ESO's metric names and
# labels, our own, /healthz and /readyz, and loopback by default.
. "$top_srcdir/tests/integration/lib.sh"

P=$(provider_dir fake) || skip_all "fake provider not built"
command -v curl >/dev/null || skip_all "curl is not installed"
M=$T/m
mkdir -p "$M"
cat >"$M/m.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: SecretStore
metadata: {name: fake, namespace: default}
spec:
  provider:
    fake:
      data: [{key: k, value: "metric-canary-value"}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: good, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: k, remoteRef: {key: k}}]
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: bad, namespace: default}
spec:
  secretStoreRef: {name: fake}
  data: [{secretKey: k, remoteRef: {key: missing}}]
YAML

# A bare port means the loopback; 0 lets the kernel pick one.
start_daemon --manifests "$M" --output-dir "$T/out" --provider-dir "$P" \
    --metrics-addr 0
port=$(daemon_metrics_port) || port=0
url=http://127.0.0.1:$port
ok "/healthz answers" wait_for 10 curl -sf "$url/healthz"
ok "/readyz turns ready after the first round" \
    wait_for 20 curl -sf "$url/readyz"
curl -sf "$url/metrics" >"$T/metrics"
like "$T/metrics" '^externalsecret_sync_calls_total\{name="good",namespace="default"\} [1-9]' \
    "externalsecret_sync_calls_total"
like "$T/metrics" '^externalsecret_sync_calls_error\{name="bad",namespace="default"\} [1-9]' \
    "externalsecret_sync_calls_error"
like "$T/metrics" '^externalsecret_status_condition\{name="good",namespace="default",condition="Ready",status="True"\} 1' \
    "externalsecret_status_condition"
like "$T/metrics" '^externalsecret_provider_api_calls_count\{call="GetSecret",provider="fake",status="success"\} [1-9]' \
    "externalsecret_provider_api_calls_count"
like "$T/metrics" '^secretstore_status_condition\{condition="Ready",name="fake",namespace="default",status="True"\} 1' \
    "secretstore_status_condition"
like "$T/metrics" '^externalsecret_reconcile_duration' \
    "externalsecret_reconcile_duration"
for m in xsecrets_queue_depth xsecrets_dedup_fetches_total \
    xsecrets_credential_refreshes_total xsecrets_ratelimit_waits_total \
    xsecrets_next_due_seconds xsecrets_write_queue_depth; do
	like "$T/metrics" "^$m" "$m"
done
like "$T/metrics" '^xsecrets_target_writes_total [1-9]' \
    "xsecrets_target_writes_total"
like "$T/metrics" '^xsecrets_target_write_batches_total [1-9]' \
    "xsecrets_target_write_batches_total"
unlike "$T/metrics" 'metric-canary-value' "no secret in the metrics"
nok "not reachable on another address" \
    curl -sf --max-time 2 "http://127.0.0.2:$port/healthz"
stop_daemon TERM

done_testing
