#!/bin/sh
# Crash safety of the target writer: target_crash rewrites one target in a
# loop, alternating two versions, and is killed with SIGKILL at a random
# instant, again and again.  After each kill the target must be exactly one
# of the two versions, and target_cleanup must leave no temporary behind
# (target_crash check asserts both).  Prints TAP.

bin=${top_builddir:-.}/tests/unit/target_crash
rounds=${XS_KILL_ROUNDS:-30}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/target_kill.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM

# A random delay of 0 to 399 milliseconds, for sleep(1).
delay() {
	r=$(od -An -N2 -tu2 /dev/urandom | tr -d ' ')
	printf '0.%03d' $((r % 400))
}

echo "1..$((rounds + 1))"
if "$bin" write "$tmp/out" 1 >/dev/null; then
	echo "ok 1 - first version written"
else
	echo "not ok 1 - first version written"
	exit 1
fi

i=1
while [ "$i" -le "$rounds" ]; do
	"$bin" write "$tmp/out" >"$tmp/log" 2>&1 &
	pid=$!
	sleep "$(delay)"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	n=$(wc -l <"$tmp/log" | tr -d ' ')
	if v=$("$bin" check "$tmp/out" 2>"$tmp/err"); then
		echo "ok $((i + 1)) - kill $i after $n writes: version $v," \
		    "no temporaries after cleanup"
	else
		echo "not ok $((i + 1)) - kill $i after $n writes:" \
		    "$(tr '\n' ' ' <"$tmp/err")"
	fi
	i=$((i + 1))
done
