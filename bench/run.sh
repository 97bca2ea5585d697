#!/bin/bash
# The xsecrets benchmark: xsecretsd with the Alibaba provider against the
# local KMS+STS emulator over HTTPS, on loopback only.  See bench/README.md.
#
# It measures, in one run and side by side:
#   cold     wall time and syncs/s of `xsecretsd --once` over N
#            ExternalSecrets spread over 10 stores, targets on a tmpfs as
#            the kubelet keeps secret volumes (and again on the disk);
#   ceiling  the same number of GetSecretValue requests sent by wrk to the
#            same emulator at the same concurrency;
#   bare     the same requests sent through libcurl by bench/bareclient,
#            which does nothing else, at the same concurrency;
#   local    the same cold sync with the fake provider: no network, so
#            what is left is the daemon's own work (parsing, scheduling,
#            writing targets, status), a bound on the ratio cold/ceiling;
#   cpu      the CPU seconds of each client and of the emulator in the
#            runs above, and from them a bound on the ratio (see README);
#   rss      the peak RSS of that run (/usr/bin/time -v);
#   dedup    provider calls for one round when the N objects reference only
#            100 distinct keys;
#   sts      STS exchanges per credential lifetime with RRSA, from the
#            emulator's times of the exchanges;
#   idle     CPU seconds used by the daemon while idle, every object at
#            refreshInterval 1h (utime + stime from /proc/PID/stat);
#   failing  calls made by 100 objects that fail for good, 1h refresh;
#   rate     a cold start of N objects on one store at the provider's
#            default rate limit: the most requests the emulator answered
#            in any second and any 100 ms.
#
# Output: a table on stdout and JSON in $BENCH_JSON (bench/results.json).
# Every loop is bounded in count and time, and every process it starts is
# stopped on exit.

set -eu

N=${BENCH_N:-10000}
QUICK=${BENCH_QUICK:-0}
CONC=${BENCH_CONCURRENCY:-16}
STORES=10
DISTINCT=100
NFAIL=100
ONLY=${BENCH_ONLY:-cold ceiling bare local disk dedup sts idle failing rate}
# The alibaba module's default rate limit and burst (burst: a tenth of the
# rate), which the rate part checks.
DEFAULT_RATE=100
DEFAULT_BURST=10
# cold, ceiling and bare run REPEAT times, interleaved; each reports its
# best.
REPEAT=${BENCH_REPEAT:-2}

: "${XSECRETSD:?set XSECRETSD to the built daemon}"
: "${PROVIDER_SO:?set PROVIDER_SO to the built alibaba.so}"
: "${FAKE_SO:?set FAKE_SO to the built fake.so}"
: "${EMU:?set EMU to the built alibaba-emu}"
: "${PRESIGN:?set PRESIGN to the built bench/presign}"
: "${BARECLIENT:?set BARECLIENT to the built bench/bareclient}"
: "${MKCERTS:?set MKCERTS to tests/emulators/mkcerts.sh}"
BENCH_JSON=${BENCH_JSON:-results.json}
WRK=${WRK:-wrk}
TIME=${TIME:-/usr/bin/time}

# Time scaling.  The full run keeps the real figures (60 s of idle, a 10
# minute window with 1h refresh); the quick run, for CI, shortens the
# windows and the intervals by the same factor, and says so in the output.
if [ "$QUICK" = 1 ]; then
	REPEAT=${BENCH_REPEAT:-1}
	IDLE_S=${BENCH_IDLE_S:-10}
	FAIL_SCALE=${BENCH_FAIL_SCALE:-20}
	STS_LIFETIME=${BENCH_STS_LIFETIME:-20}
	STS_LIFETIMES=${BENCH_STS_LIFETIMES:-2}
else
	IDLE_S=${BENCH_IDLE_S:-60}
	FAIL_SCALE=${BENCH_FAIL_SCALE:-1}
	STS_LIFETIME=${BENCH_STS_LIFETIME:-60}
	STS_LIFETIMES=${BENCH_STS_LIFETIMES:-3}
fi
STS_WINDOW_S=$((STS_LIFETIME * STS_LIFETIMES))
FAIL_REFRESH_S=$((3600 / FAIL_SCALE))
FAIL_WINDOW_S=$((600 / FAIL_SCALE))

W=$(mktemp -d "${TMPDIR:-/tmp}/xs-bench.XXXXXX")
# Targets go under BENCH_OUTPUT_DIR: by default /dev/shm when it is a
# tmpfs, as the kubelet puts secret volumes on a tmpfs, so that secrets
# never reach a disk.  The "disk" part runs the cold sync again with the
# targets in the work directory, on whatever file system holds it.
OUTBASE=${BENCH_OUTPUT_DIR:-}
if [ -z "$OUTBASE" ] && [ -d /dev/shm ] && [ -w /dev/shm ] &&
    [ "$(stat -f -c %T /dev/shm)" = tmpfs ]; then
	OUTBASE=/dev/shm
fi
if [ -n "$OUTBASE" ]; then
	OUT=$(mktemp -d "$OUTBASE/xs-bench-out.XXXXXX")
else
	OUT=$W/out
fi
OUT_FS=$(stat -f -c %T "$(dirname "$OUT")")
DISK_OUT=$W/out-disk
DISK_FS=$(stat -f -c %T "$W")
emu_pid=
daemon_pid=
wrk_pid=
HZ=$(getconf CLK_TCK)

cleanup() {
	for p in $wrk_pid $daemon_pid $emu_pid; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	[ "$OUT" = "$W/out" ] || rm -rf "$OUT"
	[ "${BENCH_KEEP:-0}" = 1 ] && say "kept $W" || rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say() {
	printf 'bench: %s\n' "$*" >&2
}

die() {
	say "$*"
	exit 1
}

for tool in "$XSECRETSD" "$PROVIDER_SO" "$FAKE_SO" "$EMU" "$PRESIGN" \
    "$BARECLIENT" "$MKCERTS"; do
	[ -e "$tool" ] || die "missing $tool (build it first: make)"
done
command -v "$WRK" >/dev/null || die "wrk not found (apt-get install wrk)"
[ -x "$TIME" ] || die "$TIME not found (apt-get install time)"

# A provider directory the loader accepts: owned by us, not group- or
# world-writable.
mkdir -p "$W/providers"
chmod 0755 "$W/providers"
cp "$PROVIDER_SO" "$W/providers/alibaba.so"
cp "$FAKE_SO" "$W/providers/fake.so"
chmod 0644 "$W/providers/alibaba.so" "$W/providers/fake.so"

# ---------------------------------------------------------------------
# The emulator.  Everything that depends on its command line is here.

AK_ID=BENCHACCESSKEYID
AK_SECRET=bench-access-key-secret
OIDC_PROVIDER=acs:ram::1234567890123456:oidc-provider/bench
OIDC_ROLE=acs:ram::1234567890123456:role/bench

# emu_config: the emulator's configuration: the bench key pair, the
# secrets bench-0 .. bench-(N-1), and the RRSA role and token file.
emu_config() {
	awk -v n="$N" -v id="$AK_ID" -v secret="$AK_SECRET" \
	    -v prov="$OIDC_PROVIDER" -v role="$OIDC_ROLE" \
	    -v token="$W/oidc-token" -v life="$STS_LIFETIME" 'BEGIN {
		printf "{ \"access_keys\": [ { \"id\": \"%s\", " \
		    "\"secret\": \"%s\" } ],\n  \"secrets\": {\n", id, secret
		for (i = 0; i < n; i++)
			printf "    \"bench-%d\": { \"versions\": [ { " \
			    "\"id\": \"v1\", \"stages\": [ \"ACSCurrent\" ], " \
			    "\"type\": \"text\", \"data\": " \
			    "\"bench-value-%d\" } ] }%s\n", i, i,
			    i + 1 < n ? "," : ""
		printf "  },\n  \"oidc\": { \"provider_arn\": \"%s\", " \
		    "\"role_arn\": \"%s\", \"token_file\": \"%s\", " \
		    "\"lifetime_seconds\": %d } }\n", prov, role, token, life
	}' >"$W/emu.json"
}

# emu_start: starts the emulator over HTTPS; sets EMU_PORT and EMU_URL.
emu_start() {
	rm -f "$W/emu.port"
	"$EMU" --config "$W/emu.json" --port 0 --port-file "$W/emu.port" \
	    --tls-cert "$W/certs/server.pem" --tls-key "$W/certs/server.key" \
	    --sts-lifetime "$STS_LIFETIME" >"$W/emu.log" 2>&1 &
	emu_pid=$!
	wait_until 30 test -s "$W/emu.port" ||
	    die "the emulator did not start: $(tail -5 "$W/emu.log")"
	EMU_PORT=$(sed -n 's/^port=\([0-9]*\)$/\1/p' "$W/emu.port")
	[ -n "$EMU_PORT" ] || die "no port in $W/emu.port"
	EMU_URL=https://127.0.0.1:$EMU_PORT
	# RRSA's STS exchanges go to the emulator too; a namespaced store
	# takes its token file from the environment, as on ACK.
	export ALIBABA_CLOUD_STS_ENDPOINT=$EMU_URL
	export ALIBABA_CLOUD_OIDC_TOKEN_FILE=$W/oidc-token
}

emu_stop() {
	[ -n "$emu_pid" ] || return 0
	kill -TERM "$emu_pid" 2>/dev/null || true
	wait "$emu_pid" 2>/dev/null || true
	emu_pid=
}

# emu_calls ACTION: the emulator's count of calls to ACTION so far, from
# {"actions": {"ACTION": {"codes": {...}, "total": N}, ...}, ...}.
emu_calls() {
	https_get "$EMU_PORT" /_emu/stats | tr -d ' \n\t\r' |
	    sed -n "s/.*\"$1\":{\"codes\":{[^}]*},\"total\":\([0-9]*\).*/\1/p" |
	    grep . || echo 0
}

# emu_code CODE: the emulator's count of answers with the error CODE so
# far, from the "codes" object that ends /_emu/stats.
emu_code() {
	https_get "$EMU_PORT" /_emu/stats | tr -d ' \n\t\r' |
	    sed -n "s/.*\"$1\":\([0-9]*\).*/\1/p" | grep . || echo 0
}

# emu_sts_times: "ISSUED T1 T2 ..." from {"issued": N, "times_ms": [...]}:
# how many credentials the emulator's STS issued, and when (monotonic ms,
# the last 1024, oldest first).
emu_sts_times() {
	https_get "$EMU_PORT" /_emu/sts-times | tr -d ' \n\t\r' | sed -n \
	    's/.*"issued":\([0-9]*\),"times_ms":\[\([0-9.,]*\)\].*/\1 \2/p' |
	    tr ',' ' ' | grep . || echo 0
}

# ---------------------------------------------------------------------
# Helpers.

# wait_until SECONDS COMMAND...: polls every 0.1 s, bounded.
wait_until() {
	local limit=$(($1 * 10)) i=0

	shift
	while [ "$i" -lt "$limit" ]; do
		"$@" >/dev/null 2>&1 && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# http_ok PORT PATH: whether http://127.0.0.1:PORT/PATH answers 200.  Bash's
# /dev/tcp, so that no curl binary is needed.
http_ok() {
	local line

	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3
	read -r -t 5 line <&3 || line=
	exec 3<&-
	case $line in
	"HTTP/1."?" 200 "*)	return 0 ;;
	*)			return 1 ;;
	esac
}

# https_get PORT PATH [METHOD]: the body of https://127.0.0.1:PORT/PATH
# (GET, or METHOD with an empty body), through openssl s_client and the
# bench CA.
https_get() {
	printf '%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n' \
	    "${3:-GET}" "$2" |
	    timeout 10 openssl s_client -quiet -verify_return_error \
	    -CAfile "$W/certs/ca.pem" -connect "127.0.0.1:$1" 2>/dev/null |
	    sed '1,/^\r*$/d'
}

now_ns() {
	date +%s%N
}

# secs_between NS0 NS1: seconds with millisecond precision.
secs_between() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) / 1e9 }'
}

# field NAME FILE: the value of NAME=VALUE in FILE's first such field.
field() {
	sed -n "s/.*[ ]$1=\([0-9.]*\).*/\1/p" "$2" | head -1
}

# cpu_ticks PID: utime + stime in clock ticks.
cpu_ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}

# ticks_s TICKS: clock ticks as seconds.
ticks_s() {
	awk -v t="$1" -v hz="$HZ" 'BEGIN { printf "%.2f", t / hz }'
}

# gen_manifests DIR NOBJ KEYS REFRESH AUTH: NOBJ ExternalSecrets spread over
# STORES namespaces, one SecretStore each; object i reads key
# bench-(i % KEYS).  With KEYS < NOBJ, key k is only used by store k % STORES,
# so that identical fetches meet in one store.  AUTH is accesskey or rrsa.
# The stores' rate limit is RATE_LIMIT (100000 unless set; empty: the
# provider's default).
gen_manifests() {
	mkdir -p "$1"
	awk -v dir="$1" -v n="$2" -v keys="$3" -v refresh="$4" \
	    -v auth="$5" -v stores="$STORES" -v url="$EMU_URL" \
	    -v rate="${RATE_LIMIT-100000}" \
	    -v akid="$AK_ID" -v aksecret="$AK_SECRET" '
	function b64(s,    cmd, out) {
		cmd = "printf %s \"" s "\" | base64 -w0"
		cmd | getline out
		close(cmd)
		return out
	}
	BEGIN {
		id64 = b64(akid)
		secret64 = b64(aksecret)
		for (s = 0; s < stores; s++) {
			f = sprintf("%s/store-%d.yaml", dir, s)
			ns = "bench-" s
			printf "apiVersion: v1\nkind: Namespace\n" \
			    "metadata:\n  name: %s\n---\n", ns > f
			printf "apiVersion: external-secrets.io/v1\n" \
			    "kind: SecretStore\nmetadata:\n  name: kms\n" \
			    "  namespace: %s\n", ns > f
			if (rate != "")
				printf "  annotations:\n" \
				    "    xsecrets.io/rate-limit: \"%s\"\n",
				    rate > f
			printf "spec:\n  provider:\n" > f
			if (auth == "fake") {
				# The keys of this store, as the loop below
				# assigns them.
				printf "    fake:\n      data:\n" > f
				for (k = 0; k < keys; k++)
					if (k % stores == s)
						printf "        - key: bench-%d\n" \
						    "          value: bench-value-%d\n",
						    k, k > f
				continue
			}
			printf "    alibaba:\n      regionID: cn-hangzhou\n" \
			    "      endpoint: %s\n      auth:\n", url > f
			if (auth == "rrsa") {
				printf "        rrsa:\n" \
				    "          oidcProviderArn: acs:ram::" \
				    "1234567890123456:oidc-provider/bench\n" \
				    "          roleArn: acs:ram::" \
				    "1234567890123456:role/bench\n" \
				    "          sessionName: xsecrets-bench\n" > f
			} else {
				printf "        secretRef:\n" \
				    "          accessKeyIDSecretRef:\n" \
				    "            name: kms-creds\n" \
				    "            key: id\n" \
				    "          accessKeySecretSecretRef:\n" \
				    "            name: kms-creds\n" \
				    "            key: secret\n---\n" \
				    "apiVersion: v1\nkind: Secret\n" \
				    "metadata:\n  name: kms-creds\n" \
				    "  namespace: %s\ndata:\n" \
				    "  id: %s\n  secret: %s\n", ns, id64,
				    secret64 > f
			}
		}
		for (i = 0; i < n; i++) {
			k = i % keys
			s = keys < n ? k % stores : i % stores
			# At most 5,000 objects a file: the daemon reads
			# 10,000 documents of one file at most.
			part = int(count[s] / 5000)
			count[s]++
			f = sprintf("%s/store-%d%s.yaml", dir, s,
			    part > 0 ? "-" part : "")
			printf "---\napiVersion: external-secrets.io/v1\n" \
			    "kind: ExternalSecret\nmetadata:\n" \
			    "  name: es-%d\n  namespace: bench-%d\n" \
			    "spec:\n  refreshInterval: %s\n" \
			    "  secretStoreRef:\n    name: kms\n" \
			    "    kind: SecretStore\n  target:\n" \
			    "    name: es-%d\n  data:\n" \
			    "    - secretKey: value\n      remoteRef:\n" \
			    "        key: bench-%d\n", i, s, refresh, i, k > f
		}
	}'
}

# xs_args MANIFESTS: the options every run shares.
xs_args() {
	printf '%s\n' --manifests "$1" --output-dir "$OUT" \
	    --provider-dir "$W/providers" --ca-file "$W/certs/ca.pem" \
	    --concurrency "$CONC" --allow-endpoint "https://127.0.0.1:*" \
	    --log-level warn
}

# daemon_start MANIFESTS [WAIT]: the daemon in the background (its log in
# $W/daemon-NAME.log, NAME the manifests' directory), metrics on a
# loopback port; waits until /readyz says the first round is done (WAIT
# "ready", the default) or until the server answers /healthz ("health").
daemon_start() {
	local port try=0 wait=${2:-ready} log=$W/daemon-${1##*/}.log

	rm -rf "$OUT"
	mapfile -t args < <(xs_args "$1")
	while :; do
		port=$((20000 + RANDOM % 40000))
		"$XSECRETSD" "${args[@]}" --status-file "$W/status.json" \
		    --metrics-addr "127.0.0.1:$port" >"$log" 2>&1 &
		daemon_pid=$!
		wait_until 10 http_ok "$port" /healthz && break
		daemon_stop
		try=$((try + 1))
		[ "$try" -lt 5 ] ||
		    die "the daemon did not start: $(tail -5 "$log")"
	done
	[ "$wait" = ready ] || return 0
	wait_until 600 http_ok "$port" /readyz ||
	    die "the daemon never became ready: $(tail -5 "$log")"
}

daemon_stop() {
	[ -n "$daemon_pid" ] || return 0
	kill -TERM "$daemon_pid" 2>/dev/null || true
	wait "$daemon_pid" 2>/dev/null || true
	daemon_pid=
}

# better SECONDS BEST: whether SECONDS beats BEST ("-": nothing yet).
better() {
	[ "$2" = - ] || awk -v a="$1" -v b="$2" 'BEGIN { exit !(a < b) }'
}

# per_s COUNT SECONDS: COUNT / SECONDS, rounded.
per_s() {
	awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'
}

# ---------------------------------------------------------------------
# The measurements.  Each sets R_* variables for the report.

# cold_once DIR [AUTH]: one cold sync of the N objects into DIR (emptied
# first), through the alibaba provider (AUTH accesskey, the default) or
# the fake one (AUTH fake); sets C_S (wall seconds), C_SYNCED, C_CALLS,
# C_RSS_KB, C_CPU (the daemon's user and system seconds) and C_EMU_CPU (the
# emulator's).
cold_once() {
	local t0 t1 e0 e1 before auth=${2:-accesskey} m=$W/cold-${2:-accesskey}

	[ -d "$m" ] || gen_manifests "$m" "$N" "$N" 1h "$auth"
	rm -rf "$1"
	mapfile -t args < <(OUT=$1 xs_args "$m")
	before=$(emu_calls GetSecretValue)
	e0=$(cpu_ticks "$emu_pid")
	t0=$(now_ns)
	"$TIME" -v -o "$W/time.txt" "$XSECRETSD" "${args[@]}" --once \
	    --status-file "$W/status.json" >"$W/once.out" 2>"$W/once.err" ||
	    say "xsecretsd --once exited non-zero: $(tail -3 "$W/once.err")"
	t1=$(now_ns)
	e1=$(cpu_ticks "$emu_pid")
	C_S=$(secs_between "$t0" "$t1")
	C_EMU_CPU=$(ticks_s $((e1 - e0)))
	C_CPU=$(awk -F': ' '/User time|System time/ { s += $2 }
	    END { printf "%.2f", s }' "$W/time.txt")
	C_SYNCED=$(grep -c 'SecretSynced' "$W/once.out" || true)
	C_CALLS=$(($(emu_calls GetSecretValue) - before))
	C_RSS_KB=$(awk -F': ' '/Maximum resident set size/ { print $2 }' \
	    "$W/time.txt")
}

# The cold sync on the tmpfs; the best wall time of the repeats, and the
# largest peak RSS.
measure_cold() {
	local kb=0

	say "cold sync of $N ExternalSecrets, concurrency $CONC," \
	    "targets on $OUT_FS"
	cold_once "$OUT"
	if better "$C_S" "$R_COLD_S"; then
		R_COLD_S=$C_S
		R_COLD_SYNCED=$C_SYNCED
		R_COLD_CALLS=$C_CALLS
		R_COLD_CPU=$C_CPU
		R_COLD_EMU_CPU=$C_EMU_CPU
	fi
	[ "$R_RSS_MIB" = - ] || kb=$(awk -v m="$R_RSS_MIB" \
	    'BEGIN { printf "%d", m * 1024 }')
	[ "$C_RSS_KB" -gt "$kb" ] && kb=$C_RSS_KB
	R_COLD_RATE=$(per_s "$N" "$R_COLD_S")
	R_RSS_MIB=$(awk -v k="$kb" 'BEGIN { printf "%.1f", k / 1024 }')
	R_RSS_PER_1K=$(awk -v k="$kb" -v n="$N" \
	    'BEGIN { printf "%.2f", k / 1024 / n * 1000 }')
}

# The same cold sync with the fake provider, targets on the tmpfs: no
# network and no emulator, only the daemon's own work; the best of REPEAT.
measure_local() {
	local i=0

	say "cold sync of $N ExternalSecrets with the fake provider"
	while [ "$i" -lt "$REPEAT" ]; do
		cold_once "$OUT" fake
		if better "$C_S" "$R_LOCAL_S"; then
			R_LOCAL_S=$C_S
			R_LOCAL_SYNCED=$C_SYNCED
			R_LOCAL_CPU=$C_CPU
		fi
		i=$((i + 1))
	done
	R_LOCAL_RATE=$(per_s "$N" "$R_LOCAL_S")
	rm -rf "$OUT"
}

# The same cold sync with the targets on the work directory's disk.  On a
# disk it pays for inodes and for the two syncfs calls per batch.
measure_disk() {
	say "cold sync of $N ExternalSecrets, targets on $DISK_FS"
	cold_once "$DISK_OUT"
	R_DISK_S=$C_S
	R_DISK_SYNCED=$C_SYNCED
	R_DISK_RATE=$(per_s "$N" "$C_S")
	rm -rf "$DISK_OUT"
}

# The ceiling: N GetSecretValue requests by wrk at the same concurrency,
# each signed beforehand with its own nonce (bench/presign), so that the
# emulator checks them exactly as it checks the daemon's.
measure_ceiling() {
	local s bad

	cat >"$W/ceiling.lua" <<'EOF'
-- One wrk thread sends the presigned requests (one a line, CRLF written as
-- tabs), each once, times them with the monotonic clock, and writes the
-- result to the file args[2] at the last answer; run.sh then stops wrk.
-- Over the same span it counts the CPU time (clock ticks) of wrk and of
-- the emulator (pid args[3]), so that wrk's idle polling after the end
-- does not count.
local ffi = require("ffi")
ffi.cdef[[
typedef struct { long sec; long nsec; } bench_ts;
int clock_gettime(int clock, bench_ts *ts);
]]
local function now()
	local ts = ffi.new("bench_ts")
	ffi.C.clock_gettime(1, ts)
	return tonumber(ts.sec) + tonumber(ts.nsec) / 1e9
end
local function ticks(pid)
	local f = io.open("/proc/" .. pid .. "/stat")
	local st = f:read("*a")
	f:close()
	local i, n = 0, 0
	for v in st:gsub(".*%) ", ""):gmatch("%S+") do
		i = i + 1
		if i == 12 or i == 13 then n = n + tonumber(v) end
	end
	return n
end
function init(args)
	reqs, out, sent, got, bad = {}, args[2], 0, 0, 0
	emu = args[3]
	for line in io.lines(args[1]) do
		reqs[#reqs + 1] = (line:gsub("\t", "\r\n"))
	end
end
-- wrk calls request() once before the run to check the script, and never
-- sends that one: it gets a stats request.  So do connections that are
-- idle while the last answers are in flight.  Stats answers are told apart
-- by their body.
function request()
	local r = sent > 0 and reqs[sent]
	if sent == 1 then
		t0, emu0, self0 = now(), ticks(emu), ticks("self")
	end
	sent = sent + 1
	return r or wrk.format("GET", "/_emu/stats")
end
function response(status, headers, body)
	if body:find('"actions"', 1, true) then return end
	got = got + 1
	if status ~= 200 then bad = bad + 1 end
	if got == #reqs then
		local t = now() - t0
		local f = io.open(out .. ".tmp", "w")
		f:write(string.format("CEILING requests=%d seconds=%.6f " ..
		    "bad=%d wrk_ticks=%d emu_ticks=%d\n", #reqs, t, bad,
		    ticks("self") - self0, ticks(emu) - emu0))
		f:close()
		os.rename(out .. ".tmp", out)
	end
end
EOF
	printf '%s:%s\n' "$AK_ID" "$AK_SECRET" >"$W/cred"
	"$PRESIGN" "127.0.0.1:$EMU_PORT" "$W/cred" "$N" "$N" >"$W/presigned" ||
	    die "presign failed"
	say "ceiling: $N signed requests by wrk, $CONC connections"
	rm -f "$W/ceiling.out"
	"$WRK" -t 1 -c "$CONC" -d 600s -s "$W/ceiling.lua" \
	    "$EMU_URL/" -- "$W/presigned" "$W/ceiling.out" "$emu_pid" \
	    >"$W/wrk.out" 2>&1 &
	wrk_pid=$!
	wait_until 600 test -s "$W/ceiling.out" ||
	    say "wrk did not finish: $(tail -3 "$W/wrk.out")"
	kill -TERM "$wrk_pid" 2>/dev/null || true
	wait "$wrk_pid" 2>/dev/null || true
	wrk_pid=
	R_CEIL_REQS=$(sed -n 's/^CEILING requests=\([0-9]*\).*/\1/p' \
	    "$W/ceiling.out")
	[ -n "$R_CEIL_REQS" ] || die "no result from wrk"
	s=$(sed -n 's/.*seconds=\([0-9.]*\).*/\1/p' "$W/ceiling.out" |
	    awk '{ printf "%.3f", $1 }')
	bad=$(sed -n 's/.*bad=\([0-9]*\).*/\1/p' "$W/ceiling.out")
	if better "$s" "$R_CEIL_S"; then
		R_CEIL_S=$s
		R_CEIL_BAD=$bad
		R_CEIL_CPU=$(ticks_s "$(field wrk_ticks "$W/ceiling.out")")
		R_CEIL_EMU_CPU=$(ticks_s "$(field emu_ticks "$W/ceiling.out")")
	fi
	R_CEIL_RATE=$(per_s "$R_CEIL_REQS" "$R_CEIL_S")
}

# The same requests through libcurl by bench/bareclient, which does nothing
# else: one thread and one kept connection for each of the CONC.  Its rate
# and CPU are those of the daemon's kind of HTTP client alone.
measure_bare() {
	local s e0 e1

	"$PRESIGN" "127.0.0.1:$EMU_PORT" "$W/cred" "$N" "$N" >"$W/presigned" ||
	    die "presign failed"
	say "bare libcurl client: $N signed requests, $CONC threads"
	e0=$(cpu_ticks "$emu_pid")
	"$BARECLIENT" "$EMU_URL" "$W/certs/ca.pem" "$W/presigned" "$CONC" \
	    >"$W/bare.out" 2>"$W/bare.err" ||
	    die "bareclient failed: $(tail -3 "$W/bare.err")"
	e1=$(cpu_ticks "$emu_pid")
	s=$(field seconds "$W/bare.out" | awk '{ printf "%.3f", $1 }')
	[ -n "$s" ] || die "no result from bareclient"
	if better "$s" "$R_BARE_S"; then
		R_BARE_S=$s
		R_BARE_OK=$(field ok "$W/bare.out")
		R_BARE_CPU=$(field cpu "$W/bare.out" |
		    awk '{ printf "%.2f", $1 }')
		R_BARE_EMU_CPU=$(ticks_s $((e1 - e0)))
	fi
	R_BARE_RATE=$(per_s "$N" "$R_BARE_S")
}

measure_dedup() {
	local before after m=$W/dedup

	gen_manifests "$m" "$N" "$DISTINCT" 1h accesskey
	rm -rf "$OUT"
	mapfile -t args < <(xs_args "$m")
	say "one round of $N ExternalSecrets over $DISTINCT keys"
	before=$(emu_calls GetSecretValue)
	"$XSECRETSD" "${args[@]}" --once >"$W/dedup.out" 2>"$W/dedup.err" ||
	    say "dedup run exited non-zero: $(tail -3 "$W/dedup.err")"
	after=$(emu_calls GetSecretValue)
	R_DEDUP_CALLS=$((after - before))
}

# A cold start of N objects on one store at the provider's default rate
# limit: the busiest second and 100 ms as the emulator counted the KMS
# requests (/_emu/busiest, reset first), and the mean rate.
measure_rate() {
	local t0 t1 busy m=$W/rate

	[ -d "$m" ] || STORES=1 RATE_LIMIT= \
	    gen_manifests "$m" "$N" "$N" 1h accesskey
	rm -rf "$OUT"
	mapfile -t args < <(xs_args "$m")
	say "rate: cold start of $N ExternalSecrets on one store at the" \
	    "default limit ($DEFAULT_RATE/s, burst $DEFAULT_BURST)"
	https_get "$EMU_PORT" /_emu/reset-stats POST >/dev/null
	t0=$(now_ns)
	"$XSECRETSD" "${args[@]}" --once >"$W/rate.out" 2>"$W/rate.err" ||
	    say "rate run exited non-zero: $(tail -3 "$W/rate.err")"
	t1=$(now_ns)
	R_RATE_SYNCED=$(grep -c 'SecretSynced' "$W/rate.out" || true)
	R_RATE_S=$(secs_between "$t0" "$t1")
	R_RATE_MEAN=$(awk -v n="$R_RATE_SYNCED" -v s="$R_RATE_S" \
	    'BEGIN { printf "%.1f", n / s }')
	busy=$(https_get "$EMU_PORT" /_emu/busiest | tr -d ' \n\t\r' |
	    sed -n 's/.*"busiest":\[\([0-9]*\),\([0-9]*\)\].*/\1 \2/p')
	R_RATE_BUSY_100MS=${busy% *}
	R_RATE_BUSY_1S=${busy#* }
}

# RRSA: every store shares one role, so one exchange serves all of them;
# the emulator issues credentials that live STS_LIFETIME seconds, and the
# daemon runs for STS_LIFETIMES of them with a short refresh.  The figure
# is the lifetime over the mean interval between consecutive exchanges, as
# the emulator timed them: the first exchange (at start-up) is no renewal,
# and where the window ends does not matter.  R_STS_EXCHANGES is the raw
# count of AssumeRoleWithOIDC calls in the window, the first included;
# R_STS_EXPIRED counts the requests KMS refused for expired credentials,
# which the refresh policy must keep at 0.
measure_sts() {
	local before after m=$W/sts issued0 times expired0

	gen_manifests "$m" "$DISTINCT" "$DISTINCT" 5s rrsa
	say "RRSA: ${STS_WINDOW_S}s of refreshes, credentials live" \
	    "${STS_LIFETIME}s"
	before=$(emu_calls AssumeRoleWithOIDC)
	issued0=$(emu_sts_times | awk '{ print $1 }')
	expired0=$(emu_code InvalidSecurityToken.Expired)
	daemon_start "$m"
	sleep "$STS_WINDOW_S"
	after=$(emu_calls AssumeRoleWithOIDC)
	times=$(emu_sts_times)
	daemon_stop
	R_STS_EXCHANGES=$((after - before))
	R_STS_EXPIRED=$(($(emu_code InvalidSecurityToken.Expired) - expired0))
	read -r R_STS_TIMED R_STS_INTERVAL_S R_STS_PER_LIFETIME < <(awk \
	    -v t="$times" -v from="$issued0" -v life="$STS_LIFETIME" 'BEGIN {
		n = split(t, a, " ")
		new = a[1] - from
		if (new > n - 1)
			new = n - 1
		if (new < 2) {
			printf "%d - -\n", new
			exit
		}
		mean = (a[n] - a[n - new + 1]) / (new - 1) / 1000
		printf "%d %.1f %.2f\n", new, mean, life / mean
	}')
	[ "$R_STS_TIMED" -ge 2 ] ||
	    say "RRSA: fewer than 2 exchanges timed, no interval"
}

measure_idle() {
	local c0 c1 m=$W/idle

	gen_manifests "$m" "$N" "$N" 1h accesskey
	say "idle: $N ExternalSecrets at 1h, ${IDLE_S}s"
	daemon_start "$m"
	c0=$(cpu_ticks "$daemon_pid")
	sleep "$IDLE_S"
	c1=$(cpu_ticks "$daemon_pid")
	daemon_stop
	R_IDLE_CPU_S=$(ticks_s $((c1 - c0)))
	R_IDLE_CPU_PER_MIN=$(awk -v c="$R_IDLE_CPU_S" -v s="$IDLE_S" \
	    'BEGIN { printf "%.3f", c * 60 / s }')
}

# 100 objects whose keys do not exist (not found: an error, retried with
# backoff), refresh FAIL_REFRESH_S, watched for FAIL_WINDOW_S.  The second
# half of the window shows the steady cost once the first retries are
# spent.
measure_failing() {
	local c0 c1 c2 half m=$W/failing

	gen_manifests "$m" "$NFAIL" "$NFAIL" "${FAIL_REFRESH_S}s" accesskey
	sed -i 's/key: bench-/key: missing-/' "$m"/*.yaml
	half=$((FAIL_WINDOW_S / 2))
	say "failing: $NFAIL objects, refresh ${FAIL_REFRESH_S}s," \
	    "${FAIL_WINDOW_S}s window"
	c0=$(emu_calls GetSecretValue)
	daemon_start "$m" health
	sleep "$half"
	c1=$(emu_calls GetSecretValue)
	sleep "$((FAIL_WINDOW_S - half))"
	c2=$(emu_calls GetSecretValue)
	daemon_stop
	R_FAIL_CALLS=$((c2 - c0))
	R_FAIL_LATE=$((c2 - c1))
	R_FAIL_PER_OBJ=$(awk -v c="$R_FAIL_CALLS" -v n="$NFAIL" \
	    'BEGIN { printf "%.2f", c / n }')
}

# ---------------------------------------------------------------------

"$MKCERTS" "$W/certs" >/dev/null 2>&1 || die "mkcerts failed"
printf 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJiZW5jaCJ9.YmVuY2g' >"$W/oidc-token"
emu_config
emu_start

R_COLD_S=- R_COLD_RATE=- R_COLD_SYNCED=- R_COLD_CALLS=-
R_DISK_S=- R_DISK_RATE=- R_DISK_SYNCED=- R_DISK_RATIO=-
R_RSS_MIB=- R_RSS_PER_1K=- R_CEIL_S=- R_CEIL_RATE=- R_CEIL_REQS=-
R_CEIL_BAD=- R_RATIO=- R_DEDUP_CALLS=- R_STS_EXCHANGES=-
R_STS_TIMED=- R_STS_INTERVAL_S=- R_STS_PER_LIFETIME=- R_STS_EXPIRED=-
R_IDLE_CPU_S=- R_IDLE_CPU_PER_MIN=- R_FAIL_CALLS=- R_FAIL_LATE=-
R_FAIL_PER_OBJ=- R_LOCAL_S=- R_LOCAL_RATE=- R_LOCAL_SYNCED=-
R_LOCAL_BOUND=- R_RATE_SYNCED=- R_RATE_S=- R_RATE_MEAN=-
R_RATE_BUSY_100MS=- R_RATE_BUSY_1S=-
R_BARE_S=- R_BARE_RATE=- R_BARE_OK=- R_BARE_RATIO=- R_BARE_CPU=-
R_BARE_EMU_CPU=- R_COLD_CPU=- R_COLD_EMU_CPU=- R_CEIL_CPU=-
R_CEIL_EMU_CPU=- R_LOCAL_CPU=- R_CPU_MIN_S=- R_CPU_BOUND=- R_EXTRA_CPU=-
R_WRK_MIN_S=- R_WRK_BOUND=-

# cold, ceiling and bare take turns, REPEAT times each.
parts=
for part in $ONLY; do
	case $part in
	cold|ceiling|bare)
		case " $parts " in
		*" cold/ceiling "*)	;;
		*)	parts="$parts cold/ceiling" ;;
		esac ;;
	*)	parts="$parts $part" ;;
	esac
done
for part in $parts; do
	case $part in
	cold/ceiling)
		# The emulator's first pass over N requests is slower than
		# the next ones (its tables and heap grow): one unmeasured
		# pass of wrk first, so that the daemon and wrk both meet a
		# warm emulator.
		say "warm-up: one unmeasured pass of wrk"
		measure_ceiling
		R_CEIL_S=- R_CEIL_RATE=- R_CEIL_BAD=-
		i=0
		while [ "$i" -lt "$REPEAT" ]; do
			case " $ONLY " in *" cold "*) measure_cold ;; esac
			case " $ONLY " in *" ceiling "*) measure_ceiling ;; esac
			case " $ONLY " in *" bare "*) measure_bare ;; esac
			i=$((i + 1))
		done ;;
	local)		measure_local ;;
	disk)		measure_disk ;;
	dedup)		measure_dedup ;;
	sts)		measure_sts ;;
	idle)		measure_idle ;;
	failing)	measure_failing ;;
	rate)		measure_rate ;;
	*)		die "unknown part $part" ;;
	esac
done

if [ "$R_COLD_RATE" != - ] && [ "$R_CEIL_RATE" != - ]; then
	R_RATIO=$(awk -v a="$R_COLD_RATE" -v b="$R_CEIL_RATE" \
	    'BEGIN { printf "%.2f", a / b }')
fi
if [ "$R_DISK_RATE" != - ] && [ "$R_CEIL_RATE" != - ]; then
	R_DISK_RATIO=$(awk -v a="$R_DISK_RATE" -v b="$R_CEIL_RATE" \
	    'BEGIN { printf "%.2f", a / b }')
fi
if [ "$R_LOCAL_RATE" != - ] && [ "$R_CEIL_RATE" != - ]; then
	R_LOCAL_BOUND=$(awk -v a="$R_LOCAL_RATE" -v b="$R_CEIL_RATE" \
	    'BEGIN { printf "%.2f", a / b }')
fi
if [ "$R_BARE_RATE" != - ] && [ "$R_CEIL_RATE" != - ]; then
	R_BARE_RATIO=$(awk -v a="$R_BARE_RATE" -v b="$R_CEIL_RATE" \
	    'BEGIN { printf "%.2f", a / b }')
fi
# cpu_bound A B C: the shortest wall time work of A + B + C CPU seconds
# can take on every CPU, and the ratio to the ceiling that allows: "S R".
cpu_bound() {
	awk -v a="$1" -v b="$2" -v c="$3" -v n="$(nproc)" -v t="$R_CEIL_S" \
	    'BEGIN { s = (a + b + c) / n
		if (s > 0) printf "%.3f %.2f\n", s, t / s; else print "- -" }'
}

# The least CPU a cold sync needs: the daemon's own work (the fake
# provider's cold sync), the requests (through the bare libcurl client, or
# as cheaply as wrk sends them), and the emulator's answers as it answered
# wrk's.  Spread over every CPU, the shortest wall time the cold sync can
# take, and so a bound on the ratio.
if [ "$R_LOCAL_CPU" != - ] && [ "$R_CEIL_EMU_CPU" != - ]; then
	if [ "$R_BARE_CPU" != - ]; then
		read -r R_CPU_MIN_S R_CPU_BOUND < <(cpu_bound "$R_LOCAL_CPU" \
		    "$R_BARE_CPU" "$R_CEIL_EMU_CPU")
	fi
	read -r R_WRK_MIN_S R_WRK_BOUND < <(cpu_bound "$R_LOCAL_CPU" \
	    "$R_CEIL_CPU" "$R_CEIL_EMU_CPU")
fi
if [ "$R_COLD_CPU" != - ] && [ "$R_LOCAL_CPU" != - ] &&
    [ "$R_BARE_CPU" != - ]; then
	R_EXTRA_CPU=$(awk -v a="$R_COLD_CPU" -v b="$R_LOCAL_CPU" \
	    -v c="$R_BARE_CPU" 'BEGIN { printf "%.2f", a - b - c }')
fi
scaled=
[ "$FAIL_SCALE" != 1 ] && scaled=" (time / $FAIL_SCALE)"

cat <<EOF

xsecrets benchmark: N=$N over $STORES stores, concurrency $CONC, $(nproc) CPUs,
targets on $OUT_FS (disk part: $DISK_FS), best of $REPEAT for cold and ceiling
$(printf '%-44s %s\n' \
    "cold sync wall time (s)" "$R_COLD_S" \
    "cold sync syncs/s ($R_COLD_SYNCED synced)" "$R_COLD_RATE" \
    "ceiling: wrk GetSecretValue/s ($R_CEIL_REQS)" "$R_CEIL_RATE" \
    "ratio daemon / ceiling (target >= 0.5)" "$R_RATIO" \
    "fake provider, no network: s, syncs/s" "$R_LOCAL_S, $R_LOCAL_RATE" \
    "bound on the ratio: fake syncs/s / ceiling" "$R_LOCAL_BOUND" \
    "bare libcurl client: requests/s (/ ceiling)" \
    "$R_BARE_RATE ($R_BARE_RATIO)" \
    "CPU-s: daemon, emulator in the cold sync" \
    "$R_COLD_CPU, $R_COLD_EMU_CPU" \
    "CPU-s: wrk, emulator in the ceiling" "$R_CEIL_CPU, $R_CEIL_EMU_CPU" \
    "CPU-s: bare client, emulator" "$R_BARE_CPU, $R_BARE_EMU_CPU" \
    "CPU-s: daemon with the fake provider" "$R_LOCAL_CPU" \
    "CPU-s: daemon beyond fake + bare client" "$R_EXTRA_CPU" \
    "fake + bare + emulator over CPUs: s (bound)" \
    "$R_CPU_MIN_S ($R_CPU_BOUND)" \
    "fake + wrk + emulator over CPUs: s (bound)" \
    "$R_WRK_MIN_S ($R_WRK_BOUND)" \
    "cold sync on $DISK_FS: s, syncs/s" "$R_DISK_S, $R_DISK_RATE" \
    "ratio on $DISK_FS / ceiling" "$R_DISK_RATIO" \
    "peak RSS MiB (target <= 32 at 10k)" "$R_RSS_MIB" \
    "RSS MiB per 1,000 ExternalSecrets" "$R_RSS_PER_1K" \
    "calls per round, $DISTINCT distinct keys" "$R_DEDUP_CALLS" \
    "STS exchanges per credential lifetime" "$R_STS_PER_LIFETIME" \
    "STS exchanges in ${STS_WINDOW_S}s (mean interval s)" \
    "$R_STS_EXCHANGES ($R_STS_INTERVAL_S)" \
    "STS: requests refused as expired (target 0)" "$R_STS_EXPIRED" \
    "idle CPU s over ${IDLE_S}s (per minute)" \
    "$R_IDLE_CPU_S ($R_IDLE_CPU_PER_MIN)" \
    "failing: calls in ${FAIL_WINDOW_S}s by $NFAIL$scaled" "$R_FAIL_CALLS" \
    "failing: calls per object" "$R_FAIL_PER_OBJ" \
    "failing: calls in the second half" "$R_FAIL_LATE" \
    "rate: $R_RATE_SYNCED synced on one store, s" "$R_RATE_S" \
    "rate: mean requests/s (limit $DEFAULT_RATE)" "$R_RATE_MEAN" \
    "rate: busiest second (limit + burst $((DEFAULT_RATE + DEFAULT_BURST)))" \
    "$R_RATE_BUSY_1S" \
    "rate: busiest 100 ms ($((DEFAULT_RATE / 10 + DEFAULT_BURST)))" \
    "$R_RATE_BUSY_100MS")
EOF

# JSON: numbers stay numbers, "-" (not measured) becomes null.
j() {
	case $1 in
	-|'')	printf 'null' ;;
	*)	printf '%s' "$1" ;;
	esac
}

cat >"$BENCH_JSON" <<EOF
{
  "n": $N,
  "stores": $STORES,
  "concurrency": $CONC,
  "quick": $([ "$QUICK" = 1 ] && echo true || echo false),
  "cpus": $(nproc),
  "target_fs": "$OUT_FS",
  "repeat": $REPEAT,
  "cold_sync_s": $(j "$R_COLD_S"),
  "cold_syncs_per_s": $(j "$R_COLD_RATE"),
  "cold_synced": $(j "$R_COLD_SYNCED"),
  "cold_provider_calls": $(j "$R_COLD_CALLS"),
  "ceiling_requests": $(j "$R_CEIL_REQS"),
  "ceiling_s": $(j "$R_CEIL_S"),
  "ceiling_per_s": $(j "$R_CEIL_RATE"),
  "ceiling_non_200": $(j "$R_CEIL_BAD"),
  "ratio_daemon_ceiling": $(j "$R_RATIO"),
  "local_cold_sync_s": $(j "$R_LOCAL_S"),
  "local_cold_syncs_per_s": $(j "$R_LOCAL_RATE"),
  "local_cold_synced": $(j "$R_LOCAL_SYNCED"),
  "ratio_bound_local_ceiling": $(j "$R_LOCAL_BOUND"),
  "bare_s": $(j "$R_BARE_S"),
  "bare_per_s": $(j "$R_BARE_RATE"),
  "bare_ok": $(j "$R_BARE_OK"),
  "ratio_bare_ceiling": $(j "$R_BARE_RATIO"),
  "cpu_cold_daemon_s": $(j "$R_COLD_CPU"),
  "cpu_cold_emulator_s": $(j "$R_COLD_EMU_CPU"),
  "cpu_ceiling_wrk_s": $(j "$R_CEIL_CPU"),
  "cpu_ceiling_emulator_s": $(j "$R_CEIL_EMU_CPU"),
  "cpu_bare_client_s": $(j "$R_BARE_CPU"),
  "cpu_bare_emulator_s": $(j "$R_BARE_EMU_CPU"),
  "cpu_local_daemon_s": $(j "$R_LOCAL_CPU"),
  "cpu_daemon_beyond_local_bare_s": $(j "$R_EXTRA_CPU"),
  "cpu_min_wall_s": $(j "$R_CPU_MIN_S"),
  "ratio_bound_cpu": $(j "$R_CPU_BOUND"),
  "cpu_min_wall_wrk_client_s": $(j "$R_WRK_MIN_S"),
  "ratio_bound_cpu_wrk_client": $(j "$R_WRK_BOUND"),
  "disk_fs": "$DISK_FS",
  "disk_cold_sync_s": $(j "$R_DISK_S"),
  "disk_cold_syncs_per_s": $(j "$R_DISK_RATE"),
  "disk_cold_synced": $(j "$R_DISK_SYNCED"),
  "disk_ratio_daemon_ceiling": $(j "$R_DISK_RATIO"),
  "peak_rss_mib": $(j "$R_RSS_MIB"),
  "rss_mib_per_1000": $(j "$R_RSS_PER_1K"),
  "distinct_keys": $DISTINCT,
  "calls_per_round_distinct": $(j "$R_DEDUP_CALLS"),
  "sts_lifetime_s": $STS_LIFETIME,
  "sts_lifetimes": $STS_LIFETIMES,
  "sts_window_s": $STS_WINDOW_S,
  "sts_exchanges": $(j "$R_STS_EXCHANGES"),
  "sts_exchanges_timed": $(j "$R_STS_TIMED"),
  "sts_mean_interval_s": $(j "$R_STS_INTERVAL_S"),
  "sts_exchanges_per_lifetime": $(j "$R_STS_PER_LIFETIME"),
  "sts_expired_refusals": $(j "$R_STS_EXPIRED"),
  "idle_s": $IDLE_S,
  "idle_cpu_s": $(j "$R_IDLE_CPU_S"),
  "idle_cpu_s_per_min": $(j "$R_IDLE_CPU_PER_MIN"),
  "failing_objects": $NFAIL,
  "failing_refresh_s": $FAIL_REFRESH_S,
  "failing_window_s": $FAIL_WINDOW_S,
  "failing_time_scale": $FAIL_SCALE,
  "failing_calls": $(j "$R_FAIL_CALLS"),
  "failing_calls_per_object": $(j "$R_FAIL_PER_OBJ"),
  "failing_calls_second_half": $(j "$R_FAIL_LATE"),
  "rate_limit": $DEFAULT_RATE,
  "rate_burst": $DEFAULT_BURST,
  "rate_synced": $(j "$R_RATE_SYNCED"),
  "rate_s": $(j "$R_RATE_S"),
  "rate_mean_per_s": $(j "$R_RATE_MEAN"),
  "rate_busiest_1s": $(j "$R_RATE_BUSY_1S"),
  "rate_busiest_100ms": $(j "$R_RATE_BUSY_100MS")
}
EOF
say "results in $BENCH_JSON"
