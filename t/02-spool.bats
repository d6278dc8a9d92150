#!/usr/bin/env bats
# The spool driver (lib/spool.c), through t/teststage: it returns the exit
# code in X-Test-Exit, sleeps X-Test-Sleep seconds, rewrites the message on
# X-Test-Change: yes, and logs "NAME PID" to $TESTSTAGE_LOG for every
# message it processes.

bats_require_minimum_version 1.5.0
load helper

setup() {
	mkspool
	IN=$MS_SPOOL/in
	OUT=$MS_SPOOL/out
	ALT=$MS_SPOOL/alt
	BOUNCE=$MS_SPOOL/bounce
	LOG=$BATS_TEST_TMPDIR/server.log
	export TESTSTAGE_LOG=$BATS_TEST_TMPDIR/stage.log
	: >"$TESTSTAGE_LOG"
}

teardown() {
	stop_servers
}

# queue [HEADER...]: a test message with these headers into $IN; prints
# its spool name.  What was queued is kept as $BATS_TEST_TMPDIR/q/NAME
# (a running driver may move the spool file at once).
queue() {
	local m=$BATS_TEST_TMPDIR/m.$$.$RANDOM name
	msg "$m" "$@"
	name=$(SENDER=alice@example.org RECIPIENTS=bob@example.net ms-queue "$IN" <"$m" 2>&1 |
	    sed -n 's/^ms-queue: info: \([^ ]*\): queued .*/\1/p')
	[ -n "$name" ] || { echo "queue: ms-queue failed" >&2; return 1; }
	mkdir -p "$BATS_TEST_TMPDIR/q"
	{ printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
	  cat "$m"; } >"$BATS_TEST_TMPDIR/q/$name"
	echo "$name"
}

# start_stage [OPTION...]: teststage in spool mode over the test's spools;
# its PID in STAGE.  Waits until it has started.
start_stage() {
	local before
	before=$(grep -c 'teststage: info: spool mode' "$LOG" 2>/dev/null || true)
	start_bg teststage -q "$IN" -o "$OUT" -a "$ALT" -b "$BOUNCE" "$@"
	STAGE=$BGPID
	wait_for started_more "${before:-0}"
}
started_more() {
	[ "$(grep -c 'teststage: info: spool mode' "$LOG")" -gt "$1" ]
}

# ntimes NAME: how often teststage processed NAME
ntimes() {
	grep -c "^$1 " "$TESTSTAGE_LOG" || true
}

# the deferred file in $IN/new for BASE (BASE:1,ATTEMPTS,NEXTTRY)
deferred() {
	local f
	for f in "$IN/new/$1":1,*; do [ -e "$f" ] && echo "${f##*/}"; done
}
is_deferred() {
	[ -n "$(deferred "$1")" ]
}

# retries BASE N: watch $IN/new until BASE has been deferred N times; the
# NEXTTRY of each attempt is then in NEXT[attempt].
retries() {
	local f i
	declare -gA NEXT=()
	for (( i = 0; i < 300 && ${#NEXT[@]} < $2; i++ )); do
		for f in "$IN"/new/*; do
			[[ ${f##*/} =~ ^"$1":1,([0-9]+),([0-9]+)$ ]] &&
			    NEXT[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
		done
		sleep 0.1
	done
	[ "${#NEXT[@]}" -ge "$2" ] || fail "retries: saw ${!NEXT[*]} of $2 attempts"
}

# nkids PID N: does PID have N children?
nkids() {
	[ "$(pgrep -c -P "$1")" -eq "$2" ]
}

@test "exit codes route: 0 out, 1 alt, 99 gone, 100 bounce with the reason, 111 stays with retry state" {
	for c in 0 1 99 100 111; do
		n[c]=$(queue "X-Test-Exit: $c")
	done
	t0=$(date +%s)
	start_stage
	routed() {
		has_files "$OUT/new" 1 && has_files "$ALT/new" 1 && has_files "$BOUNCE/new" 1 &&
		    has_files "$IN/new" 1 && [ -n "$(deferred "${n[111]}")" ]
	}
	wait_for routed
	stop_bg "$STAGE" TERM
	[ "$BGSTATUS" -eq 0 ]
	q=$BATS_TEST_TMPDIR/q
	cmp "$q/${n[0]}" "$OUT/new/${n[0]}"
	cmp "$q/${n[1]}" "$ALT/new/${n[1]}"
	[ "$(find "$MS_SPOOL" -name "${n[99]}*" | wc -l)" -eq 0 ]
	{ printf 'X-Mailscan-Error: teststage teststage exit 100\n'; cat "$q/${n[100]}"; } |
	    cmp - "$BOUNCE/new/${n[100]}"
	d=$(deferred "${n[111]}")
	[[ $d =~ ^"${n[111]}":1,1,([0-9]+)$ ]]
	next=${BASH_REMATCH[1]}
	[ "$next" -ge $((t0 + 60)) ]
	[ "$next" -le $(($(date +%s) + 60)) ]
	cmp "$q/${n[111]}" "$IN/new/$d"
	for c in 0 1 99 100 111; do [ "$(ntimes "${n[c]}")" -eq 1 ]; done
	for d in "$OUT" "$ALT" "$BOUNCE" "$IN"; do [ "$(count_files "$d/tmp")" -eq 0 ]; done
	grep -qx "teststage: info: ${n[0]}: pass: teststage exit 0" "$LOG"
	grep -qx "teststage: info: ${n[1]}: alt: teststage exit 1" "$LOG"
	grep -qx "teststage: info: ${n[99]}: done: teststage exit 99" "$LOG"
	grep -qx "teststage: info: ${n[100]}: bounce: teststage exit 100" "$LOG"
	grep -qx "teststage: warn: ${n[111]}: defer: attempt 1: teststage exit 111" "$LOG"
	grep -qx 'teststage: info: stopping' "$LOG"
}

@test "an unchanged message moves by rename, a changed one is rewritten with its new envelope line" {
	a=$(queue "X-Test-Exit: 0")
	b=$(queue "X-Test-Exit: 1" "X-Test-Change: yes")
	ino_a=$(stat -c %i "$IN/new/$a")
	ino_b=$(stat -c %i "$IN/new/$b")
	start_stage
	wait_for has_files "$IN/new" 0
	wait_for has_files "$ALT/new" 1
	stop_bg "$STAGE" TERM
	[ "$(stat -c %i "$OUT/new/$a")" -eq "$ino_a" ]
	cmp "$BATS_TEST_TMPDIR/q/$a" "$OUT/new/$a"
	[ "$(stat -c %i "$ALT/new/$b")" -ne "$ino_b" ]
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		printf 'X-Mailscan-Verdict: teststage changed\n'
		sed 1,2d "$BATS_TEST_TMPDIR/q/$b"
	} | cmp - "$ALT/new/$b"
	[ "$(count_files "$ALT/tmp")" -eq 0 ]
}

@test "a deferred message is retried with exponential backoff: NEXTTRY 1, 2, 4 s apart" {
	export MS_RETRY_MIN=1 MS_RETRY_MAX=3600
	n=$(queue "X-Test-Exit: 111")
	t0=$(date +%s)
	start_stage
	retries "$n" 4
	[ "$(ntimes "$n")" -eq 4 ]
	stop_bg "$STAGE" TERM
	[ "${#NEXT[@]}" -eq 4 ]
	[ -n "${NEXT[1]}" ]
	[ -n "${NEXT[4]}" ]
	[ $((NEXT[1] - t0)) -ge 1 ]
	[ $((NEXT[2] - NEXT[1])) -ge 2 ]
	[ $((NEXT[3] - NEXT[2])) -ge 4 ]
	[ $((NEXT[4] - NEXT[3])) -ge 8 ]
	for a in 1 2 3 4; do
		grep -qx "teststage: warn: $n: defer: attempt $a: teststage exit 111" "$LOG"
	done
	cmp "$BATS_TEST_TMPDIR/q/$n" "$IN/new/$(deferred "$n")"
}

@test "a deferred message the stage changed is kept in its new form" {
	export MS_RETRY_MIN=60
	n=$(queue "X-Test-Exit: 111" "X-Test-Change: yes")
	ino=$(stat -c %i "$IN/new/$n")
	start_stage
	wait_for is_deferred "$n"
	stop_bg "$STAGE" TERM
	d=$(deferred "$n")
	[ "$(count_files "$IN/new")" -eq 1 ]
	[ "$(count_files "$IN/tmp")" -eq 0 ]
	[ "$(stat -c %i "$IN/new/$d")" -ne "$ino" ]
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		printf 'X-Mailscan-Verdict: teststage changed\n'
		sed 1,2d "$BATS_TEST_TMPDIR/q/$n"
	} | cmp - "$IN/new/$d"
}

@test "MS_RETRY_MAX caps the backoff" {
	export MS_RETRY_MIN=3 MS_RETRY_MAX=4
	n=$(queue "X-Test-Exit: 111")
	start_stage
	retries "$n" 2
	stop_bg "$STAGE" TERM
	[ -n "${NEXT[1]}" ]
	[ -n "${NEXT[2]}" ]
	# the second delay is 4 (twice 3, cut to 4), not 6
	[ $((NEXT[2] - NEXT[1])) -ge 4 ]
	[ $((NEXT[2] - NEXT[1])) -lt 6 ]
	[ "$(ntimes "$n")" -eq 2 ]
}

@test "a deferred message that passes later moves on without its retry suffix" {
	export MS_RETRY_MIN=1
	n=$(queue "X-Test-Exit: 111")
	start_stage
	wait_for is_deferred "$n"
	stop_bg "$STAGE" TERM
	d=$(deferred "$n")
	[[ $d == "$n":1,1,* ]]
	sed -i 's/^X-Test-Exit: 111$/X-Test-Exit: 0/' "$IN/new/$d"
	start_stage
	wait_for test -f "$OUT/new/$n"
	stop_bg "$STAGE" TERM
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$OUT/new")" -eq 1 ]
	sed 's/^X-Test-Exit: 111$/X-Test-Exit: 0/' "$BATS_TEST_TMPDIR/q/$n" | cmp - "$OUT/new/$n"
	[ "$(ntimes "$n")" -eq 2 ]
}

@test "exit 0 without an -o spool is a temporary failure, never a loss" {
	n=$(queue "X-Test-Exit: 0")
	start_bg teststage -q "$IN" -b "$BOUNCE"
	STAGE=$BGPID
	wait_for is_deferred "$n"
	stop_bg "$STAGE" TERM
	grep -qx "teststage: warn: $n: defer: attempt 1: no -o spool configured for exit 0" "$LOG"
	cmp "$BATS_TEST_TMPDIR/q/$n" "$IN/new/$(deferred "$n")"
}

@test "a message larger than the stage's MS_MAXSIZE is bounced with its reason, not dropped" {
	n=$(queue "X-Test-Exit: 0" "X-Pad: $(head -c 3000 /dev/zero | tr '\0' p)")
	MS_MAXSIZE=2k start_stage
	wait_for test -f "$BOUNCE/new/$n"
	stop_bg "$STAGE" TERM
	{ printf 'X-Mailscan-Error: teststage 5.3.4 message is larger than MS_MAXSIZE (2048 bytes)\n'
	  cat "$BATS_TEST_TMPDIR/q/$n"; } | cmp - "$BOUNCE/new/$n"
	grep -q "teststage: info: $n: bounce: 5\.3\.4 message is larger than MS_MAXSIZE" "$LOG"
	[ "$(ntimes "$n")" -eq 0 ]
	[ "$(count_files "$IN/new")" -eq 0 ]
}

@test "filter mode: stdin to stdout, exit code and reason" {
	f=$BATS_TEST_TMPDIR/f
	o=$BATS_TEST_TMPDIR/o
	for c in 0 1; do
		{ printf 'Return-Path: <a@example.org>\nX-Mailscan-Rcpt: <b@example.net>\n'
		  msg "$f.m" "X-Test-Exit: $c"; cat "$f.m"; } >"$f"
		run -"$c" bash -c 'teststage <"$1" >"$2"' _ "$f" "$o"
		cmp "$f" "$o"
		assert_output "teststage: info: -: $( [ "$c" -eq 0 ] && echo pass || echo alt ): teststage exit $c"
	done
	# changed: the new envelope line, read from a pipe
	{ printf 'Return-Path: <a@example.org>\nX-Mailscan-Rcpt: <b@example.net>\n'
	  msg "$f.m" "X-Test-Change: yes"; cat "$f.m"; } >"$f"
	run -0 bash -c 'cat "$1" | teststage >"$2"' _ "$f" "$o"
	{ printf 'Return-Path: <a@example.org>\nX-Mailscan-Rcpt: <b@example.net>\n'
	  printf 'X-Mailscan-Verdict: teststage changed\n'; cat "$f.m"; } | cmp - "$o"
	for c in 99 100 111; do
		msg "$f" "X-Test-Exit: $c"
		run -"$c" bash -c 'teststage <"$1" >"$2"' _ "$f" "$o"
		[ ! -s "$o" ]
	done
	assert_line --index -1 'teststage: fatal: teststage exit 111'
	run -100 bash -c 'MS_MAXSIZE=10 teststage <"$1" >"$2"' _ "$f" "$o"
	assert_line --index -1 --regexp '^teststage: fatal: 5\.3\.4 '
	[ ! -s "$o" ]
	# a setting that does not parse is the configuration's fault, not the
	# message's: 111, in filter mode and in spool mode alike
	run -111 bash -c 'MS_MAXSIZE=10q teststage <"$1" >"$2"' _ "$f" "$o"
	assert_line --index -1 'teststage: fatal: unable to parse MS_MAXSIZE'
	[ ! -s "$o" ]
	run -111 env MS_RETRY_MIN=0 teststage -q "$IN"
	assert_line --index -1 --partial 'teststage: fatal: unable to parse MS_RESCAN, MS_RETRY_MIN or MS_RETRY_MAX'
}

@test "messages that arrive while it runs are picked up through inotify (MS_RESCAN=3600)" {
	MS_RESCAN=3600 start_stage
	sleep 0.5		# it has done its first pass and waits
	for i in 1 2 3; do
		n=$(queue "X-Test-Exit: 0")
		SECONDS=0
		WAIT_TIMEOUT=5 wait_for test -f "$OUT/new/$n"
		[ "$SECONDS" -le 2 ]
		sleep 0.3
	done
	stop_bg "$STAGE" TERM
	[ "$(count_files "$OUT/new")" -eq 3 ]
}

@test "two drivers with -j 2 each on one spool never process a message twice" {
	export SENDER=alice@example.org RECIPIENTS=bob@example.net
	for i in $(seq 300); do
		if ((i % 2)); then h="X-Test-Exit: 0"; else h="X-Test-Change: yes"; fi
		printf 'Subject: %s\n%s\n\nbody %s\n' "$i" "$h" "$i" | ms-queue "$IN"
	done 2>"$BATS_TEST_TMPDIR/queued"
	unset SENDER RECIPIENTS
	sed -n 's/^ms-queue: info: \([^ ]*\): queued .*/\1/p' "$BATS_TEST_TMPDIR/queued" \
	    >"$BATS_TEST_TMPDIR/names"
	[ "$(count_files "$IN/new")" -eq 300 ]
	[ "$(sort -u "$BATS_TEST_TMPDIR/names" | wc -l)" -eq 300 ]
	start_stage -j 2
	s1=$STAGE
	start_stage -j 2
	s2=$STAGE
	WAIT_TIMEOUT=60 wait_for has_files "$IN/new" 0
	stop_bg "$s1" TERM
	[ "$BGSTATUS" -eq 0 ]
	stop_bg "$s2" TERM
	[ "$BGSTATUS" -eq 0 ]
	[ "$(wc -l <"$TESTSTAGE_LOG")" -eq 300 ]
	cut -d' ' -f1 "$TESTSTAGE_LOG" | sort >"$BATS_TEST_TMPDIR/done"
	sort "$BATS_TEST_TMPDIR/names" | cmp - "$BATS_TEST_TMPDIR/done"
	ls "$OUT/new" | sort | cmp - "$BATS_TEST_TMPDIR/done"
	# the work was shared
	[ "$(cut -d' ' -f2 "$TESTSTAGE_LOG" | sort -u | wc -l)" -ge 2 ]
	[ "$(count_files "$OUT/tmp")" -eq 0 ]
}

@test "-j: a worker killed by a signal is replaced; SIGTERM stops them all" {
	start_stage -j 2
	wait_for nkids "$STAGE" 2
	victim=$(pgrep -P "$STAGE" | head -1)
	kill -KILL "$victim"
	wait_for grep -q "teststage: warn: worker $victim killed by signal 9" "$LOG"
	wait_for nkids "$STAGE" 2
	kids=$(pgrep -P "$STAGE")
	run -1 grep -qx "$victim" <<<"$kids"
	n=$(queue "X-Test-Exit: 0")
	wait_for test -f "$OUT/new/$n"
	stop_bg "$STAGE" TERM
	[ "$BGSTATUS" -eq 0 ]
	# the parent waited for its workers
	for k in $kids; do run -1 kill -0 "$k"; done
}

@test "-j: the workers end with their parent, even when it is killed (a supervisor signals only the parent)" {
	start_stage -j 2
	wait_for nkids "$STAGE" 2
	kids=$(pgrep -P "$STAGE")
	kill -KILL "$STAGE"
	for k in $kids; do wait_for sh -c "! kill -0 $k 2>/dev/null"; done
}

@test "SIGTERM while a message is being processed: it is finished, then the driver exits; nothing lost" {
	# long enough that a loaded machine (or ASan) still signals it mid-way
	s=$(queue "X-Test-Sleep: 4")
	o1=$(queue "X-Test-Sleep: 4")
	o2=$(queue "X-Test-Sleep: 4")
	start_stage
	wait_for grep -q "^$s " "$TESTSTAGE_LOG"
	SECONDS=0
	stop_bg "$STAGE" TERM
	[ "$BGSTATUS" -eq 0 ]
	# the one it was working on is done, not abandoned half-way ...
	cmp "$BATS_TEST_TMPDIR/q/$s" "$OUT/new/$s"
	[ "$(ntimes "$s")" -eq 1 ]
	# ... and the others were not started: they wait in IN, untouched
	[ "$SECONDS" -lt 8 ]
	for n in "$o1" "$o2"; do
		cmp "$BATS_TEST_TMPDIR/q/$n" "$IN/new/$n"
		[ "$(ntimes "$n")" -eq 0 ]
	done
	[ "$(count_files "$OUT/new")" -eq 1 ]
	[ "$(count_files "$OUT/tmp")" -eq 0 ]
	grep -qx 'teststage: info: stopping' "$LOG"
}

@test "oldest name first: the time in a maildir name is compared as numbers, padded or not; new names are zero-padded" {
	n=$(queue)
	[[ $n =~ ^[0-9]+\.M[0-9]{6}P ]]
	rm -f "$IN/new/$n"
	# 0.95 s, 0.9 s and 0.000005 s past the same second, and an older second;
	# as plain strings they would sort the other way round
	for m in 1700000000.M95000P1Q1.x 1700000000.M900000P1Q1.x 1700000000.M5P1Q1.x 999999999.M1P1Q1.x; do
		cp "$BATS_TEST_TMPDIR/q/$n" "$IN/new/$m"
	done
	start_stage
	wait_for has_files "$OUT/new" 4
	stop_bg "$STAGE" TERM
	run -0 cut -d' ' -f1 "$TESTSTAGE_LOG"
	assert_output '999999999.M1P1Q1.x
1700000000.M5P1Q1.x
1700000000.M95000P1Q1.x
1700000000.M900000P1Q1.x'
}

@test "SIGKILL in the middle of a message: it stays in IN and is processed on the next start" {
	s=$(queue "X-Test-Sleep: 2" "X-Test-Change: yes")
	start_stage
	wait_for grep -q "^$s " "$TESTSTAGE_LOG"
	stop_bg "$STAGE" KILL
	[ "$BGSTATUS" -eq 137 ]
	cmp "$BATS_TEST_TMPDIR/q/$s" "$IN/new/$s"
	[ "$(count_files "$OUT/new")" -eq 0 ]
	start_stage
	wait_for test -f "$OUT/new/$s"
	stop_bg "$STAGE" TERM
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(ntimes "$s")" -eq 2 ]
	grep -q '^X-Mailscan-Verdict: teststage changed$' "$OUT/new/$s"
}

@test "stale tmp/ files older than 36 hours are removed at start, younger ones kept" {
	mkdir -p "$IN/tmp"
	echo old >"$IN/tmp/old"
	echo young >"$IN/tmp/young"
	echo fresh >"$IN/tmp/fresh"
	touch -d '2 days ago' "$IN/tmp/old"
	touch -d '35 hours ago' "$IN/tmp/young"
	mkdir "$IN/tmp/olddir"
	touch -d '2 days ago' "$IN/tmp/olddir"
	start_stage
	wait_for test ! -e "$IN/tmp/old"
	stop_bg "$STAGE" TERM
	[ -f "$IN/tmp/young" ]
	[ -f "$IN/tmp/fresh" ]
	[ -d "$IN/tmp/olddir" ]
}
