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

# ---- the scanning stages (t/09, t/10, t/12, t/13, t/22 …) -------------------

# The EICAR test string: a file of exactly these 68 bytes is what every
# scanner must find.
EICAR='X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'

# Debian's python3 (a python3 found first on PATH may be a slow wrapper)
PY=/usr/bin/python3

# mkmsg, msgtool: the message maker and inspector of t/data/scan.
mkmsg() { "$PY" "$MS_TOP/t/data/scan/mkmsg" "$@"; }
msgtool() { "$PY" "$MS_TOP/t/data/scan/msgtool" "$@"; }

# asnobody CMD...: CMD as nobody (the scanners refuse root).
asnobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }

# htmlmsg, unqp: t/data/active's message maker and extractor; FILE's
# bytes with quoted-printable undone.
htmlmsg() { "$PY" "$MS_TOP/t/data/active/htmlmsg" "$@"; }
unqp() {
	"$PY" -c 'import quopri, sys; sys.stdout.buffer.write(quopri.decodestring(open(sys.argv[1], "rb").read()))' "$1"
}

# open_tmp DIR: make DIR and its parents up to the run's temporary
# directory traversable, so that nobody reaches what the test made.
open_tmp() {
	local d=$1
	while [ -n "$d" ] && [ "$d" != / ]; do
		chmod a+x "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] && break
		d=${d%/*}
	done
}

# scan_site: the test's own directory as D, reachable by nobody, with a
# spool (mkspool), MS_ETC=$D/etc made empty, MS_HOSTNAME scan.test.example
# and the project's ClamAV signatures in MS_CLAMAV_DB.
scan_site() {
	export D=$BATS_TEST_TMPDIR
	open_tmp "$D"
	mkspool
	export MS_ETC=$D/etc MS_HOSTNAME=scan.test.example
	export MS_CLAMAV_DB=$MS_TOP/etc/mailscan/clamav
	mkdir -p "$MS_ETC"
}

# active_site: for ms-scan-active run on its own in a test: the test's
# directory reachable by nobody, a quarantine $BATS_TEST_TMPDIR/q that
# nobody can write, in MS_QUARANTINE, and the actions and document limits
# unset.
active_site() {
	mkdir -p "$BATS_TEST_TMPDIR/q"
	chown nobody:nogroup "$BATS_TEST_TMPDIR/q"
	open_tmp "$BATS_TEST_TMPDIR"
	export MS_QUARANTINE=$BATS_TEST_TMPDIR/q
	unset MS_ACTION MS_MACROS MS_UNSCANNABLE MS_SKIP MS_DOC_ENTRIES MS_DOC_PARTMAX \
	    MS_DOC_TOTALMAX MS_DOC_RATIO MS_DOC_DEPTH
}

# verdict FILE: the last X-Mailscan-Verdict of FILE's envelope block
verdict() {
	msgtool verdicts "$1" | tail -n 1
}

# same_proper A B: the message proper of A and B (after the envelope
# block) are the same bytes
same_proper() {
	msgtool proper "$1" >"$1.proper"
	msgtool proper "$2" >"$2.proper"
	cmp "$1.proper" "$2.proper"
}

# mkmail FILE KIND SENDER RCPT... [-- HEADER...]: a message with an envelope
# block; KIND eicar: a text part and EICAR as a base64 attachment; clean:
# the same with a harmless attachment.  Each HEADER ("Name: value") is
# added after the standard fields.
mkmail() {
	"$PY" - "$@" <<'EOF'
import base64, sys
a = sys.argv[1:]
f, kind, sender = a[0], a[1], a[2]
rest = a[3:]
hdrs = []
if "--" in rest:
    i = rest.index("--")
    rest, hdrs = rest[:i], rest[i + 1:]
eicar = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
data = eicar if kind == "eicar" else b"harmless attachment\n"
env = "Return-Path: <%s>\n" % sender + "".join("X-Mailscan-Rcpt: <%s>\n" % r for r in rest)
msg = ("From: Sender <%s>\nTo: undisclosed-recipients:;\nSubject: quarterly report\n"
       "Date: Mon, 3 Jun 2024 10:00:00 +0000\nMessage-ID: <report.1@example.org>\n"
       % (sender or "mailer-daemon@example.com"))
msg += "".join(h + "\n" for h in hdrs)
msg += ('MIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n'
        "--b\nContent-Type: text/plain\n\nThe report is attached.\n"
        '--b\nContent-Type: application/octet-stream; name="report.com"\n'
        'Content-Disposition: attachment; filename="report.com"\n'
        "Content-Transfer-Encoding: base64\n\n%s\n--b--\n" % base64.b64encode(data).decode())
open(f, "w", newline="\n").write(env + msg)
EOF
}
