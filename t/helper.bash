# helper.bash: shared helpers for the bats tests (load helper).
#
# The built programs are found by PATH (make test puts $(O)/bin and $(O)/t
# on it); MS_TOP is the top of the source tree.  Every test works in its
# own $BATS_TEST_TMPDIR; a background process a test starts is recorded in
# $BATS_TEST_TMPDIR/pids and killed by stop_servers (call it in teardown).

load '/usr/lib/bats/bats-support/load'
load '/usr/lib/bats/bats-assert/load'

# The envelope and the limits come from the environment: keep the
# caller's out, so that every test starts from the built-in defaults.
unset SENDER RECIPIENTS TCPREMOTEIP MS_TRUST MS_SPOOL MS_MAXSIZE MS_MAXRCPT \
    MS_DEADLINE MS_RESCAN MS_RETRY_MIN MS_RETRY_MAX TESTSTAGE_LOG

# mkspool: a fresh spool tree in $MS_SPOOL, with an empty in/ maildir.
mkspool() {
	export MS_SPOOL="$BATS_TEST_TMPDIR/spool"
	mkdir -p "$MS_SPOOL/in/tmp" "$MS_SPOOL/in/new" "$MS_SPOOL/in/cur"
}

# start_bg CMD...: run CMD in the background with the caller's stdin,
# stderr appended to $BATS_TEST_TMPDIR/server.log, stdout to
# $BATS_TEST_TMPDIR/bg.out unless BG_STDOUT names another file.  Sets BGPID
# and records it for stop_servers.  Call it directly, not through run:
# run's subshell would lose the PID.
start_bg() {
	"$@" <&0 >"${BG_STDOUT:-$BATS_TEST_TMPDIR/bg.out}" \
	    2>>"$BATS_TEST_TMPDIR/server.log" 3>&- &
	BGPID=$!
	echo "$BGPID" >>"$BATS_TEST_TMPDIR/pids"
}

# alive PID: is PID running (not gone, not a zombie waiting to be reaped)?
alive() {
	local s
	s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	s=${s##*) }
	[ "${s%% *}" != Z ]
}

# stop_bg PID [SIGNAL]: send SIGNAL (default TERM) to a process start_bg
# started, wait for it and set BGSTATUS to its exit status; it is then
# forgotten, so that stop_servers never signals a reused PID.  A process
# still running after 20 s is killed and the test fails.
stop_bg() {
	local pid=$1 i
	kill -"${2:-TERM}" "$pid" 2>/dev/null || true	# it may be gone already
	for (( i = 0; i < 200; i++ )); do
		alive "$pid" || break
		sleep 0.1
	done
	BGSTATUS=0
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		fail "stop_bg: $pid still running 20 s after SIG${2:-TERM}"
		return 1
	fi
	wait "$pid" || BGSTATUS=$?
	sed -i "/^$pid\$/d" "$BATS_TEST_TMPDIR/pids"
}

# start_tcpserver CMD...: CMD under tcpserver on a loopback port the kernel
# picks; exports PORT once the server listens.
start_tcpserver() {
	local portfile="$BATS_TEST_TMPDIR/port.$$.$RANDOM"
	BG_STDOUT=$portfile start_bg \
	    /usr/bin/tcpserver -1 -q -R -H -l localhost 127.0.0.1 0 "$@"
	wait_for grep -q '^[0-9][0-9]*$' "$portfile"
	PORT=$(cat "$portfile")
	export PORT
}

# stop_servers: SIGTERM every process start_bg started and still running,
# SIGKILL after 5 s, and reap them.
stop_servers() {
	local pid i
	[ -f "$BATS_TEST_TMPDIR/pids" ] || return 0
	while read -r pid; do
		kill -TERM "$pid" 2>/dev/null || continue
		for (( i = 0; i < 50; i++ )); do
			alive "$pid" || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done <"$BATS_TEST_TMPDIR/pids"
	rm -f "$BATS_TEST_TMPDIR/pids"
}

# msg FILE [HEADER...]: a small RFC 5322 message with LF line ends; each
# HEADER ("Name: value") is added after the standard fields.
msg() {
	local f=$1 h
	shift
	{
		printf 'From: Alice <alice@example.org>\n'
		printf 'To: Bob <bob@example.net>\n'
		printf 'Subject: test message %s\n' "${f##*/}"
		printf 'Date: Mon, 3 Jun 2024 10:00:00 +0000\n'
		printf 'Message-ID: <%s@test.example.org>\n' "${f##*/}"
		for h; do printf '%s\n' "$h"; done
		printf '\nHello Bob,\n\nthis is a test.\n-- \nAlice\n'
	} >"$f"
}

# wait_for CMD...: retry CMD every 0.1 s until it succeeds; fail the test
# when it has not after WAIT_TIMEOUT seconds (default 10).
wait_for() {
	local end=$(( SECONDS + ${WAIT_TIMEOUT:-10} ))
	until "$@"; do
		if (( SECONDS >= end )); then
			fail "wait_for: still false after ${WAIT_TIMEOUT:-10} s: $*"
			return 1
		fi
		sleep 0.1
	done
}

# count_files DIR: the number of regular files in DIR (which must exist).
count_files() {
	[ -d "$1" ] || { echo "count_files: no directory $1" >&2; return 1; }
	find "$1" -mindepth 1 -maxdepth 1 -type f -printf . | wc -c
}

# has_files DIR N: does DIR hold exactly N regular files?  (for wait_for)
has_files() {
	[ "$(count_files "$1")" -eq "$2" ]
}
