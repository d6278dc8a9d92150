#!/usr/bin/env bats
# The service directories of ms-setup under each supervisor the project
# supports (s6, runit, daemontools; all three are dependencies, so a missing
# one fails its test): 200 messages go in over SMTP while the clamav
# scanner is killed (SIGKILL through the supervisor's own tool) again and
# again; it comes back each time, and every message is delivered once or,
# at worst, twice, never not at all.  Then the supervisor is stopped the
# way its documentation says, and nothing of the setup may keep running.
#
# The clamav service runs with MS_JOBS=1 here (sv/clamav/env, as an admin
# would set it): one process, so that the kill hits the process that holds
# a message.  With the default -j 2 the supervisor's kill reaches only the
# parent, which holds no message; its workers then get SIGTERM (they die
# with their parent) and finish what they hold: no crash to recover from.

bats_require_minimum_version 1.5.0

load helper

BATCHES=10		# smtp-source runs, one after another
PER_BATCH=20		# messages in each, over 4 parallel sessions
ROUNDS=3		# kill, kill again a second later; ROUNDS times

# traversable DIR: a+x on DIR and every directory above it up to bats'
# private run directory (mode 0700), so that the services (uid nobody)
# reach what lies below.
traversable() {
	local d=$1
	while :; do
		chmod a+x "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] || [ "$d" = / ] && break
		d=$(dirname "$d")
	done
}

# procs_under DIR: "PID CMDLINE" of every process whose command line names
# DIR or whose working directory lies below it (supervisors run their
# children in the service directories with relative arguments).
procs_under() {
	local p pid cwd args
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = "$$" ] && continue
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[ -n "$args" ] || continue	# a zombie or a kernel thread
		case "$cwd/ $args" in
		"$1"/*|*" $1/"*|*"=$1/"*) echo "$pid $args" ;;
		esac
	done
	return 0
}

none_under() { [ -z "$(procs_under "$1")" ]; }

swaks_ehlo() { swaks --server "127.0.0.1:$PORT" --quit-after EHLO >/dev/null 2>&1; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

setup() {
	D=$BATS_TEST_TMPDIR
	traversable "$D"
	H=$D/host
	SV=$H/sv
	M=$H/mail/example.org
	PORT=$(free_port)
	SUPER= SUPER_PID= SEND_PID=
}

teardown() {
	local pid
	if [ -n "$SEND_PID" ] && alive "$SEND_PID"; then
		kill "$SEND_PID" 2>/dev/null || true
	fi
	if [ -n "$SUPER_PID" ] && alive "$SUPER_PID"; then
		super_stop >/dev/null 2>&1 || true
	fi
	# anything of this setup still running, by its path, never by name
	for pid in $(procs_under "$D" | cut -d' ' -f1); do
		kill -KILL "$pid" 2>/dev/null || true
	done
	stop_servers
}

# need PROG...: each must be installed; a missing supervisor fails its test.
need() {
	local p
	for p; do
		command -v "$p" >/dev/null || fail "$p is not installed (package $SUPER)"
	done
}

host_setup() {
	ms-setup -u nobody -p "$PORT" -l 127.0.0.1 -m "$H/mail/%d/%u" -s "$MS_TOP/etc" "$H" \
	    2>"$D/setup.log" || fail "ms-setup: $(cat "$D/setup.log")"
	mkdir -p "$SV/clamav/env"
	echo 1 >"$SV/clamav/env/MS_JOBS"
}

super_start() {
	case $SUPER in
	s6) s6-svscan "$SV" >"$D/super.log" 2>&1 & ;;
	runit) runsvdir "$SV" >"$D/super.log" 2>&1 & ;;
	daemontools) svscan "$SV" >"$D/super.log" 2>&1 & ;;
	esac
	SUPER_PID=$!
}

# super_stop: the supervisor's own clean shutdown; wait until it and every
# service and logger are gone.
super_stop() {
	local d
	case $SUPER in
	s6) s6-svscanctl -t "$SV" ;;
	runit) kill -HUP "$SUPER_PID" ;;
	daemontools)
		kill -TERM "$SUPER_PID"
		WAIT_TIMEOUT=10 wait_for eval '! alive "$SUPER_PID"' || return 1
		for d in "$SV"/*/; do
			svc -dx "${d%/}" "${d%/}/log"
		done
		;;
	esac
	WAIT_TIMEOUT=20 wait_for eval '! alive "$SUPER_PID"' || return 1
	wait "$SUPER_PID" 2>/dev/null || true
	SUPER_PID=
	WAIT_TIMEOUT=20 wait_for none_under "$H"
}

# kill_clamav: SIGKILL the clamav service through the supervisor.
kill_clamav() {
	case $SUPER in
	s6) s6-svc -k "$SV/clamav" ;;
	runit) sv kill "$SV/clamav" ;;
	daemontools) svc -k "$SV/clamav" ;;
	esac
}

# clamav_pid: the pid the supervisor says the clamav service runs as.
clamav_pid() {
	case $SUPER in
	s6) s6-svstat -o up,pid "$SV/clamav" | sed -n 's/^true \([0-9][0-9]*\)$/\1/p' ;;
	runit) sv status "$SV/clamav" | sed -n 's/^run: [^:]*: (pid \([0-9][0-9]*\)).*/\1/p' ;;
	daemontools) svstat "$SV/clamav" | sed -n 's/^[^:]*: up (pid \([0-9][0-9]*\)).*/\1/p' ;;
	esac
}

# starts: how often ms-scan-clamav has started, from its log.
starts() {
	grep -c 'ms-scan-clamav: info: spool mode: ' "$SV/clamav/log/main/current" 2>/dev/null || echo 0
}
started_at_least() { [ "$(starts)" -ge "$1" ]; }

# send_all: BATCHES runs of smtp-source; recipient N of batch B is
# N<B>rcpt@example.org (-N numbers them), so that each message has a
# maildir of its own to be counted in.
send_all() {
	local b
	for (( b = 1; b <= BATCHES; b++ )); do
		smtp-source -N -m "$PER_BATCH" -s 4 -l 4000 -f sender@example.net \
		    -t "b${b}rcpt@example.org" "127.0.0.1:$PORT" ||
			{ echo "batch $b: smtp-source exited $?"; return 1; }
		sleep 0.6
	done
}

# settled: every message delivered somewhere and nothing left in between.
settled() {
	local s n
	n=$(find "$M" -mindepth 1 -maxdepth 1 -type d -name '*rcpt' 2>/dev/null | wc -l)
	[ "$n" -ge $(( BATCHES * PER_BATCH )) ] || return 1
	for s in in subs scan1 scan2 active scan3 notify held out bounce; do
		[ "$(count_files "$H/spool/$s/new")" -eq 0 ] || return 1
	done
}

# exercise: the whole run under $SUPER.
exercise() {
	local r pid0 pid b n c total dups=0
	host_setup
	super_start
	WAIT_TIMEOUT=15 wait_for swaks_ehlo
	WAIT_TIMEOUT=15 wait_for started_at_least 1
	WAIT_TIMEOUT=15 wait_for eval '[ -n "$(clamav_pid)" ]'
	pid0=$(clamav_pid)

	send_all >"$D/send.out" 2>&1 &
	SEND_PID=$!
	for (( r = 1; r <= ROUNDS; r++ )); do
		# back since the last round (its log says it started again)
		WAIT_TIMEOUT=15 wait_for started_at_least "$r"
		WAIT_TIMEOUT=15 wait_for eval '[ -n "$(clamav_pid)" ]'
		kill_clamav
		sleep 1
		kill_clamav
		sleep 0.5
	done
	wait "$SEND_PID" || fail "sending failed: $(cat "$D/send.out")"
	SEND_PID=

	# it came back after every round, and runs now under a new pid
	WAIT_TIMEOUT=15 wait_for started_at_least $(( ROUNDS + 1 ))
	WAIT_TIMEOUT=15 wait_for eval '[ -n "$(clamav_pid)" ]'
	pid=$(clamav_pid)
	[ "$pid" != "$pid0" ] || fail "clamav still runs as $pid0: the kills did not reach it"
	grep -q 'ms-scan-clamav' "/proc/$pid/cmdline" || fail "pid $pid is not ms-scan-clamav"

	WAIT_TIMEOUT=40 wait_for settled
	# every message accepted, each delivered once or twice
	run -0 grep -c 'ms-smtpd: info: .*accepted' "$SV/smtpd/log/main/current"
	assert_output $(( BATCHES * PER_BATCH ))
	total=0
	for (( b = 1; b <= BATCHES; b++ )); do
		for (( n = 1; n <= PER_BATCH; n++ )); do
			c=0
			[ -d "$M/${n}b${b}rcpt/new" ] && c=$(count_files "$M/${n}b${b}rcpt/new")
			case $c in
			1) ;;
			2) dups=$((dups + 1)) ;;
			*) fail "message $n of batch $b delivered $c times" ;;
			esac
			total=$((total + 1))
		done
	done
	assert_equal "$total" $(( BATCHES * PER_BATCH ))
	# no other recipient got anything; nothing bounced or quarantined
	run -0 sh -c "ls '$M' | wc -l"
	assert_output $(( BATCHES * PER_BATCH ))
	run -0 count_files "$H/spool/quarantine/new"
	assert_output 0
	run -1 grep -h ': bounce: ' "$SV"/*/log/main/current
	echo "# $SUPER: $(starts) starts of clamav, $dups messages delivered twice" >&3

	super_stop || fail "the $SUPER supervisor did not stop: $(procs_under "$H")"
	run -0 procs_under "$D"
	assert_output ''
}

@test "s6: s6-svc -k on the clamav scanner while 200 messages flow; it comes back; none lost" {
	SUPER=s6
	need s6-svscan s6-svscanctl s6-svc s6-svstat
	exercise
}

@test "runit: sv kill on the clamav scanner while 200 messages flow; it comes back; none lost" {
	SUPER=runit
	need runsvdir runsv sv
	exercise
}

@test "daemontools: svc -k on the clamav scanner while 200 messages flow; it comes back; none lost" {
	SUPER=daemontools
	need svscan supervise svc svstat
	exercise
}
