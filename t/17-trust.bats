#!/usr/bin/env bats
# ms-trust in front of ms-smtpd under a real tcpserver on 127.0.0.1, driven
# by swaks and, to hold a connection open or to read the greeting alone,
# by a small python3 client (cli, below).  tcpserver listens on 127.0.0.1
# and sees a client from any 127.x.y.z address the client binds (swaks
# --local-interface, the python client's first argument), so one server
# and one trust table give several levels.  The recipient statistics live
# in the test's own spool ($MS_SPOOL/trust/stats); scanners run as nobody.

bats_require_minimum_version 1.5.0

load helper

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

setup_file() {
	# cli.py SRC MODE: connect from SRC to 127.0.0.1:$PORT, print the
	# greeting (each line checked to end in CRLF, printed without it).
	#   greet  after a 220 say QUIT and print the reply; then read to the
	#          end and print "closed" (a refusal must close at once)
	#   hold   say nothing and keep the connection until the server closes
	#          it ("closed") or the client is killed
	cat >"$BATS_FILE_TMPDIR/cli.py" <<'EOF'
import os, socket, sys
src, mode = sys.argv[1], sys.argv[2]
s = socket.socket()
s.settimeout(20)
s.bind((src, 0))
s.connect(("127.0.0.1", int(os.environ["PORT"])))
f = s.makefile("rb")
def line():
    l = f.readline()
    if not l.endswith(b"\r\n"):
        sys.exit("cli: not a CRLF-ended line: %r" % l)
    return l[:-2].decode()
g = line()
print(g, flush=True)
if mode == "greet" and g.startswith("220 "):
    s.sendall(b"QUIT\r\n")
    print(line(), flush=True)
elif mode == "hold":
    s.settimeout(None)
try:
    rest = f.read()
except OSError as e:
    sys.exit("cli: the server did not close the connection: %s" % e)
print("closed" + (" after %r" % rest if rest else ""), flush=True)
EOF
	export CLI="$BATS_FILE_TMPDIR/cli.py"
}

setup() {
	local v
	# every setting from the built-in default unless the test says
	for v in $(compgen -e); do
		case $v in
		MS_TOP) ;;
		MS_*) unset "$v" ;;
		esac
	done
	export D=$BATS_TEST_TMPDIR
	mkspool
	export MS_HOSTNAME=mx.test.example
	export MS_TRUST_TABLE=$D/trust
	: >"$MS_TRUST_TABLE"
	# served here: alice and bob at example.org, anyone at example.net
	mkdir -p "$D/etc"
	printf '%s\n' alice@example.org bob@example.org @example.net >"$D/etc/subscribers"
	ms-mkcdb "$D/etc/subscribers" 2>/dev/null
	export SUBS=$D/etc/subscribers.cdb
}

teardown() {
	stop_servers
}

# ---- helpers of this file ---------------------------------------------------

# trusted_smtpd [VAR=value...]: ms-trust ms-smtpd under tcpserver with these
# settings; TCPPID is tcpserver's PID.
trusted_smtpd() {
	start_tcpserver env "$@" ms-trust ms-smtpd
	TCPPID=$BGPID
}

# cli SRC MODE: the python client (see setup_file).
cli() {
	"$PY" "$CLI" "$@"
}

# hold SRC NAME: a connection from SRC held open in the background, its
# output in $D/NAME.out; returns once the greeting is there.  HOLDPID is
# the client's PID.
hold() {
	BG_STDOUT=$D/$2.out start_bg "$PY" "$CLI" "$1" hold </dev/null
	HOLDPID=$BGPID
	wait_for grep -q . "$D/$2.out"
}

# send SRC [RCPT,...]: one message from SRC (default to alice@example.org),
# with PIPELINING; swaks' exit code and transcript.
send() {
	swaks --local-interface "$1" --server "127.0.0.1:$PORT" --ehlo client.example \
	    --from sender@outside.example --to "${2:-alice@example.org}" \
	    --header "Subject: from $1" --pipeline
}

# level_of SRC: connect from SRC, send a message to postmaster (always
# accepted, never counted in the statistics) and print the trust level its
# spool file says; the in spool is emptied before and after.
level_of() {
	local f
	rm -f "$MS_SPOOL/in/new/"*
	swaks --local-interface "$1" --server "127.0.0.1:$PORT" --ehlo probe.example \
	    --from probe@outside.example --to postmaster --header "Subject: probe" \
	    >"$D/probe.log" 2>&1 || { cat "$D/probe.log"; return 1; }
	f=$(find "$MS_SPOOL/in/new" -type f)
	if [ -z "$f" ] || [ "$(printf '%s\n' "$f" | wc -l)" -ne 1 ]; then
		echo "level_of: expected one spool file, found: $f"
		return 1
	fi
	grep -q "^X-Mailscan-Client: $1 probe.example\$" "$f" || {
		echo "level_of: not the client $1 in $f"
		return 1
	}
	sed -n 's/^X-Mailscan-Trust: //p' "$f"
	rm -f "$f"
}

# unknown N: a comma list of N addresses nobody serves here
unknown() {
	local i out=
	for (( i = 1; i <= $1; i++ )); do out+="${out:+,}nobody$i@example.com"; done
	printf '%s\n' "$out"
}

# record IP: the fields of IP's statistics file, which must be one record of
# 64 bytes ("start cur_known cur_unknown prev_known prev_unknown", blanks,
# a newline)
record() {
	local f=$MS_SPOOL/trust/stats/$1 r
	[ "$(stat -c %s "$f")" -eq 64 ] || { echo "record: $f is not 64 bytes"; return 1; }
	[ "$(tail -c 1 "$f" | od -An -c | tr -d ' ')" = '\n' ] || { echo "record: no newline"; return 1; }
	read -r -a r <"$f"
	printf '%s\n' "${r[*]}"
}

# set_start IP START: rewrite IP's record as if its current bucket began at
# START, the counts unchanged: what the clock moving on would look like.
set_start() {
	local f=$MS_SPOOL/trust/stats/$1 r
	read -r -a r <"$f"
	printf '%-63s\n' "$2 ${r[1]} ${r[2]} ${r[3]} ${r[4]}" >"$f.new"
	mv "$f.new" "$f"
}

# ---- levels from the table ---------------------------------------------------

@test "levels from the table: exact address, prefix, longest prefix wins in any order, IPv4-mapped entry, level case; X-Mailscan-Trust in the spool file; the default when nothing matches" {
	cat >"$MS_TRUST_TABLE" <<-'EOF'
	# a comment, then a blank line

	127.0.0.1        trusted
	127.0.0.0/24     neutral
	127.0.0.0/8      suspect
	127.0.0.16/28    hostile
	127.0.0.17/32    suspect
	::ffff:127.0.0.5 Trusted
	EOF
	trusted_smtpd MS_SLOTS_HOSTILE=2
	run -0 level_of 127.0.0.1
	assert_output trusted		# exact, over /24 and /8
	run -0 level_of 127.1.2.3
	assert_output suspect		# only the /8
	run -0 level_of 127.0.0.9
	assert_output neutral		# /24 beats the /8 written after it
	run -0 level_of 127.0.0.20
	assert_output hostile		# /28 (given slots, so it gets in)
	run -0 level_of 127.0.0.17
	assert_output suspect		# /32 beats the /28 written before it
	run -0 level_of 127.0.0.5
	assert_output trusted		# the mapped form matches the IPv4 client
	# the client's own X-Mailscan-Trust field never reaches the spool
	rm -f "$MS_SPOOL/in/new/"*
	run -0 swaks --local-interface 127.1.2.3 --server "127.0.0.1:$PORT" \
	    --from a@outside.example --to postmaster --add-header 'X-Mailscan-Trust: trusted'
	run -0 grep -c '^X-Mailscan-Trust:' "$MS_SPOOL/in/new/"*
	assert_output 1
	run -0 grep '^X-Mailscan-Trust:' "$MS_SPOOL/in/new/"*
	assert_output 'X-Mailscan-Trust: suspect'
	stop_servers

	# nothing matches: MS_TRUST_DEFAULT, neutral unless set
	printf '10.0.0.0/8 trusted\n2001:db8::/32 hostile\n' >"$MS_TRUST_TABLE"
	trusted_smtpd
	run -0 level_of 127.0.0.1
	assert_output neutral
	stop_servers
	trusted_smtpd MS_TRUST_DEFAULT=suspect
	run -0 level_of 127.0.0.1
	assert_output suspect
}

@test "an IPv4-mapped client address matches IPv4 entries; MS_TRUST is exported to the program ms-trust runs" {
	printf '127.0.0.0/8 suspect\n192.0.2.1 trusted\n' >"$MS_TRUST_TABLE"
	# ucspi-tcp's tcpserver speaks IPv4 only: the mapped client by hand
	run -0 env TCPREMOTEIP=::ffff:127.9.9.9 ms-trust printenv MS_TRUST
	assert_output suspect
	run -0 env TCPREMOTEIP=::FFFF:192.0.2.1 ms-trust printenv MS_TRUST
	assert_output trusted
	# an IPv6 client is not in an IPv4 prefix
	run -0 env TCPREMOTEIP=2001:db8::1 ms-trust printenv MS_TRUST
	assert_output neutral
}

@test "a bad table line: the whole table is ignored with a warning naming the line, the default level applies" {
	printf '127.0.0.1 trusted\n127.0.0.2 superb\n' >"$MS_TRUST_TABLE"
	trusted_smtpd
	run -0 level_of 127.0.0.1
	assert_output neutral
	grep -Fqx "ms-trust: warn: $MS_TRUST_TABLE: line 2 is not \"address-or-prefix level\": ignored the table" \
	    "$D/server.log"
}

# ---- the share of unknown recipients -------------------------------------------

@test "a source naming unknown recipients drops one level only once MS_TRUST_MIN (20) recipients are counted; ms-trust -l shows the counts" {
	printf '127.0.0.1 trusted\n127.0.0.2 trusted\n' >"$MS_TRUST_TABLE"
	trusted_smtpd MS_SUBSCRIBERS="$SUBS"
	# 1 known + 18 unknown: 94% unknown, but 19 recipients
	run -0 send 127.0.0.1 "alice@example.org,$(unknown 18)"
	[ "$(grep -c '^<\*\* 550 5.1.1 recipient not served here' <<<"$output")" -eq 18 ]
	run -0 ms-trust -l
	assert_output '127.0.0.1 1 18 94%'
	run -0 level_of 127.0.0.1
	assert_output trusted
	# with MS_TRUST_MIN=19 these would be enough
	run -0 --separate-stderr env TCPREMOTEIP=127.0.0.1 MS_TRUST_MIN=19 ms-trust printenv MS_TRUST
	assert_output neutral
	# one more unknown: 20 recipients, 19 unknown
	run -24 send 127.0.0.1 "$(unknown 1)"
	run -0 level_of 127.0.0.1
	assert_output neutral
	grep -Fqx 'ms-trust: info: 127.0.0.1: 19 of 20 recipients unknown: trusted -> neutral' \
	    "$D/server.log"
	# the probes to postmaster were not counted; the other source is untouched
	run -0 ms-trust -l
	assert_output '127.0.0.1 1 19 95%'
	run -0 level_of 127.0.0.2
	assert_output trusted
	# with MS_TRUST_MIN=21 not yet
	run -0 env TCPREMOTEIP=127.0.0.1 MS_TRUST_MIN=21 ms-trust printenv MS_TRUST
	assert_output trusted
}

@test "the share must be above MS_TRUST_THRESHOLD (50%): exactly half keeps the level, one more unknown drops it; hostile cannot drop further" {
	printf '127.0.0.3 hostile\n' >"$MS_TRUST_TABLE"
	trusted_smtpd MS_SUBSCRIBERS="$SUBS" MS_SLOTS_HOSTILE=1
	# 10 known (anyone@example.net) + 10 unknown = 20, 50%
	run -0 send 127.0.0.1 "$(printf 'k%d@example.net,' 1 2 3 4 5 6 7 8 9 10)$(unknown 10)"
	run -0 ms-trust -l
	assert_output '127.0.0.1 10 10 50%'
	run -0 level_of 127.0.0.1
	assert_output neutral
	run -24 send 127.0.0.1 "$(unknown 1)"
	run -0 ms-trust -l
	assert_output '127.0.0.1 10 11 52%'
	run -0 level_of 127.0.0.1
	assert_output suspect
	# MS_TRUST_THRESHOLD=60: 52% is not above it
	run -0 env TCPREMOTEIP=127.0.0.1 MS_TRUST_THRESHOLD=60 ms-trust printenv MS_TRUST
	assert_output neutral
	# hostile stays hostile (and is let in here only because it has a slot)
	run -0 send 127.0.0.3 "$(unknown 19),bob@example.org"
	run -0 level_of 127.0.0.3
	assert_output hostile
}

@test "the window: counts older than one window still count (previous bucket), older than two are forgotten; the 64-byte record" {
	trusted_smtpd MS_SUBSCRIBERS="$SUBS" MS_MAXERRORS=100
	run -24 send 127.0.0.1 "$(unknown 20)"
	run -0 record 127.0.0.1
	now=$(date +%s)
	read -r -a R <<<"$output"
	[ "${R[0]}" -ge $(( now - 60 )) ]
	[ "${R[0]}" -le "$now" ]
	[ "${R[*]:1}" = "0 20 0 0" ]
	run -0 level_of 127.0.0.1
	assert_output suspect
	# a day and a bit later (MS_TRUST_WINDOW 86400): the 20 are the
	# previous bucket, still counted; a new known recipient starts a new
	# current bucket one window after the old one
	start=$(( now - 86400 - 5 ))
	set_start 127.0.0.1 "$start"
	run -0 ms-trust -l
	assert_output '127.0.0.1 0 20 100%'
	run -0 level_of 127.0.0.1
	assert_output suspect
	run -0 send 127.0.0.1 bob@example.org
	run -0 record 127.0.0.1
	assert_output "$(( start + 86400 )) 1 0 0 20"
	run -0 ms-trust -l
	assert_output '127.0.0.1 1 20 95%'
	# two windows later: nothing left
	set_start 127.0.0.1 $(( now - 2 * 86400 ))
	run -0 ms-trust -l
	assert_output ''
	run -0 level_of 127.0.0.1
	assert_output neutral
	# a shorter MS_TRUST_WINDOW forgets sooner
	set_start 127.0.0.1 $(( now - 100 ))
	run -0 --separate-stderr env TCPREMOTEIP=127.0.0.1 ms-trust printenv MS_TRUST
	assert_output suspect
	run -0 --separate-stderr env TCPREMOTEIP=127.0.0.1 MS_TRUST_WINDOW=50 ms-trust printenv MS_TRUST
	assert_output neutral
}

@test "ms-subscriber records the unknown recipients it drops (client from the envelope block): 80 runs in parallel lose none, and they move the level" {
	export MS_SUBSCRIBERS=$SUBS
	{
		printf 'Return-Path: <s@outside.example>\n'
		printf 'X-Mailscan-Rcpt: <%s>\n' alice@example.org x@example.com y@example.com
		printf 'X-Mailscan-Client: 127.0.0.7 client.example\n'
		printf 'From: s@outside.example\nSubject: hi\n\nhello\n'
	} >"$D/m"
	for j in 1 2 3 4 5 6 7 8; do
		(
			for i in 1 2 3 4 5 6 7 8 9 10; do
				ms-subscriber <"$D/m" >/dev/null 2>>"$D/sub.$j.err" ||
				    echo "run $i: exit $?" >>"$D/sub.$j.err"
			done
		) &
		pids+=("$!")
	done
	wait "${pids[@]}"
	run -0 cat "$D"/sub.*.err
	refute_output --partial 'exit'
	# the known ones were counted at RCPT by ms-smtpd for SMTP mail; the
	# stage counts only what it drops, so nothing is counted twice
	run -0 ms-trust -l
	assert_output '127.0.0.7 0 160 100%'
	unset MS_SUBSCRIBERS
	trusted_smtpd
	run -0 level_of 127.0.0.7
	assert_output suspect
	run -0 level_of 127.0.0.8
	assert_output neutral
}

@test "concurrent sessions: 20 parallel swaks sessions x 5 recipients against one address lose no count (exactly 100)" {
	printf '127.0.0.1 trusted\n' >"$MS_TRUST_TABLE"
	trusted_smtpd MS_SUBSCRIBERS="$SUBS"
	for i in $(seq 20); do
		(
			swaks --server "127.0.0.1:$PORT" --from "s$i@outside.example" \
			    --to "alice@example.org,u$i-1@example.com,k$i@example.net,u$i-2@example.com,u$i-3@example.com" \
			    --pipeline >"$D/swaks.$i.log" 2>&1
			echo $? >"$D/swaks.$i.rc"
		) &
		pids+=("$!")
	done
	# not a bare wait: tcpserver is a child of this shell too
	wait "${pids[@]}"
	run -0 sort -u "$D"/swaks.*.rc
	assert_output 0
	[ "$(cat "$D"/swaks.*.rc | wc -l)" -eq 20 ]
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 20 ]
	run -0 record 127.0.0.1
	assert_output --regexp '^[0-9]+ 40 60 0 0$'
	run -0 ms-trust -l
	assert_output '127.0.0.1 40 60 60%'
}

@test "concurrent sessions, worst case: 20 connections opened first, then 100 pipelined RCPTs each sent at once: 2000 counted, none lost" {
	trusted_smtpd MS_SUBSCRIBERS="$SUBS" MS_MAXERRORS=1000 MS_SLOTS_NEUTRAL=20
	# swaks sessions start one perl each and hardly overlap; this client
	# greets all 20 sessions before any of them names a recipient
	run -0 "$PY" - 20 100 <<-'EOF'
	import os, socket, sys
	conns, n = int(sys.argv[1]), int(sys.argv[2])
	ss = []
	for i in range(conns):
	    s = socket.create_connection(("127.0.0.1", int(os.environ["PORT"])), timeout=30)
	    f = s.makefile("rb")
	    g = f.readline()
	    if not g.startswith(b"220 "):
	        sys.exit("session %d: %r" % (i, g))
	    ss.append((s, f))
	def rcpt(i, j):
	    return (b"k%d.%d@example.net" if j % 2 else b"u%d.%d@example.com") % (i, j)
	for i, (s, f) in enumerate(ss):
	    s.sendall(b"EHLO burst.example\r\nMAIL FROM:<s@outside.example>\r\n" +
	              b"".join(b"RCPT TO:<%s>\r\n" % rcpt(i, j) for j in range(n)) + b"QUIT\r\n")
	codes = {}
	for s, f in ss:
	    for l in iter(f.readline, b""):
	        if l[3:4] == b" ":
	            codes[l[:3]] = codes.get(l[:3], 0) + 1
	print(" ".join("%s:%d" % (k.decode(), v) for k, v in sorted(codes.items())))
	EOF
	# per session: EHLO, MAIL, 50 RCPT 250, 50 RCPT 550, QUIT
	assert_output '221:20 250:1040 550:1000'
	run -0 record 127.0.0.1
	assert_output --regexp '^[0-9]+ 1000 1000 0 0$'
	run -0 ms-trust -l
	assert_output '127.0.0.1 1000 1000 50%'
}

# ---- connection slots -----------------------------------------------------------

@test "slots: with the level's slots busy the next connection of that level gets 421 and is closed, another level still gets in; a finished session frees its slot" {
	printf '127.0.0.1 neutral\n127.0.0.2 trusted\n' >"$MS_TRUST_TABLE"
	trusted_smtpd MS_SLOTS_NEUTRAL=2 MS_SLOTS_TRUSTED=1
	hold 127.0.0.1 a
	A=$HOLDPID
	hold 127.0.0.1 b
	run -0 cat "$D/a.out" "$D/b.out"
	assert_output '220 mx.test.example ESMTP mailscan
220 mx.test.example ESMTP mailscan'
	run -0 cli 127.0.0.1 greet
	assert_output '421 4.7.0 too many connections, try again later
closed'
	grep -Fqx 'ms-trust: info: 127.0.0.1: neutral: all 2 slots busy' "$D/server.log"
	# the trusted level has its own pool
	run -0 cli 127.0.0.2 greet
	assert_output '220 mx.test.example ESMTP mailscan
221 2.0.0 bye
closed'
	run -0 send 127.0.0.2
	# one slot file per slot taken, named by level
	run -0 ls "$MS_SPOOL/trust/slots"
	assert_output 'neutral.0
neutral.1
trusted.0'
	# the first client goes away: its slot is free again
	stop_bg "$A"
	wait_for sh -c '[ "$(pgrep -c -P '"$TCPPID"')" -eq 1 ]'
	run -0 cli 127.0.0.1 greet
	assert_line -n 0 '220 mx.test.example ESMTP mailscan'
	run -0 send 127.0.0.1
	# and still only two at once
	hold 127.0.0.1 c
	run -0 cli 127.0.0.1 greet
	assert_line -n 0 '421 4.7.0 too many connections, try again later'
}

@test "killed sessions free their slots: kill -9 of the ms-smtpd holding the only slot lets the next connection in" {
	trusted_smtpd MS_SLOTS_NEUTRAL=1
	hold 127.0.0.1 a
	assert_equal "$(cat "$D/a.out")" '220 mx.test.example ESMTP mailscan'
	run -0 cli 127.0.0.1 greet
	assert_line -n 0 '421 4.7.0 too many connections, try again later'
	# the session's process: tcpserver's one child, ms-trust exec'd into ms-smtpd
	run -0 pgrep -P "$TCPPID"
	[ "${#lines[@]}" -eq 1 ]
	pid=$output
	assert_equal "$(cat "/proc/$pid/comm")" ms-smtpd
	kill -KILL "$pid"
	wait_for grep -qx closed "$D/a.out"
	run -0 cli 127.0.0.1 greet
	assert_line -n 0 '220 mx.test.example ESMTP mailscan'
	run -0 send 127.0.0.1
	# the dead session's slot file is the one reused: still one slot
	run -0 ls "$MS_SPOOL/trust/slots"
	assert_output 'neutral.0'
}

@test "hostile with 0 slots (the default): 554 instead of a greeting and the connection closed; MS_SLOTS_<LEVEL>=0 refuses any level, slots let hostile in" {
	printf '127.0.0.1 hostile\n127.0.0.2 suspect\n' >"$MS_TRUST_TABLE"
	trusted_smtpd
	run -0 cli 127.0.0.1 greet
	assert_output '554 5.7.1 connections from your address are not accepted
closed'
	grep -Fqx 'ms-trust: info: 127.0.0.1: hostile: refused' "$D/server.log"
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 0 ]
	# the suspect source next to it gets in
	run -0 level_of 127.0.0.2
	assert_output suspect
	stop_servers
	trusted_smtpd MS_SLOTS_SUSPECT=0 MS_SLOTS_HOSTILE=1
	run -0 cli 127.0.0.2 greet
	assert_line -n 0 '554 5.7.1 connections from your address are not accepted'
	run -0 level_of 127.0.0.1
	assert_output hostile
}

# ---- a program per level ---------------------------------------------------------

@test "MS_TRUST_EXEC_SUSPECT runs another program for suspect sources (ms-smtpd with MS_MAXRCPT=1); the others get the given one; it holds the slot too" {
	printf '127.0.0.1 neutral\n127.0.0.2 suspect\n' >"$MS_TRUST_TABLE"
	trusted_smtpd MS_TRUST_EXEC_SUSPECT="env MS_MAXRCPT=1 MS_HOSTNAME=strict.test.example ms-smtpd" \
	    MS_SLOTS_SUSPECT=1
	run -0 send 127.0.0.2 alice@example.org,bob@example.org
	assert_line '<-  220 strict.test.example ESMTP mailscan'
	assert_line '<** 452 4.5.3 too many recipients'
	run -0 grep -h -e '^X-Mailscan-Rcpt:' -e '^X-Mailscan-Trust:' "$MS_SPOOL/in/new/"*
	assert_output 'X-Mailscan-Rcpt: <alice@example.org>
X-Mailscan-Trust: suspect'
	rm -f "$MS_SPOOL/in/new/"*
	run -0 send 127.0.0.1 alice@example.org,bob@example.org
	assert_line '<-  220 mx.test.example ESMTP mailscan'
	# not just '452': the port swaks prints may contain it
	refute_line --partial '452 4.5.3'
	run -0 grep -c '^X-Mailscan-Rcpt:' "$MS_SPOOL/in/new/"*
	assert_output 2
	# the exec'd program holds the suspect slot
	hold 127.0.0.2 a
	assert_equal "$(cat "$D/a.out")" '220 strict.test.example ESMTP mailscan'
	run -0 cli 127.0.0.2 greet
	assert_line -n 0 '421 4.7.0 too many connections, try again later'
	# a chain is not a program
	run -111 env TCPREMOTEIP=127.0.0.2 MS_SPOOL="$D/spool2" \
	    MS_TRUST_EXEC_SUSPECT='ms-smtpd | ms-queue' ms-trust ms-smtpd
	# the client hears 421, the log says why
	assert_line -n 0 'ms-trust: warn: MS_TRUST_EXEC_SUSPECT must be one program with its arguments'
	assert_line -n 1 --partial '421 4.3.5 mail system configuration error, try again later'
}

# ---- scan depth by level ----------------------------------------------------------

@test "scan depth by level: the same infected message is cleaned from a suspect source and only tagged from a trusted one; MS_LEVELS=suspect,hostile keeps YARA off trusted mail; MS_ACTION_SUSPECT=reject refuses it at DATA" {
	open_tmp "$D"
	chmod -R a+rwX "$MS_SPOOL" "$D/trust"
	printf '127.0.0.1 trusted\n127.0.0.2 suspect\n' >"$MS_TRUST_TABLE"
	b64=$(printf '%s' "$EICAR" | base64 -w0)
	cat >"$D/eicar.eml" <<-EOF
	From: Alice <alice@example.org>
	To: Bob <bob@example.org>
	Subject: the test file
	MIME-Version: 1.0
	Content-Type: multipart/mixed; boundary="b1"

	--b1
	Content-Type: text/plain

	see the attachment
	--b1
	Content-Type: application/octet-stream; name="eicar.com"
	Content-Disposition: attachment; filename="eicar.com"
	Content-Transfer-Encoding: base64

	$b64
	--b1--
	EOF
	chmod a+r "$D/eicar.eml"
	# every session as nobody; the chain scans before the 250
	scan_smtpd() {
		start_tcpserver setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    env MS_ETC="$MS_TOP/etc/mailscan" MS_ACTION_TRUSTED=tag "$@" \
		    "MS_QUEUE=ms-scan-clamav | env MS_LEVELS=suspect,hostile ms-scan-yara | ms-queue" \
		    ms-trust ms-smtpd
	}
	scan_smtpd MS_ACTION_SUSPECT=clean
	for src in 127.0.0.1 127.0.0.2; do
		rm -f "$MS_SPOOL/in/new/"*
		run -0 swaks --local-interface "$src" --server "127.0.0.1:$PORT" \
		    --from alice@example.org --to bob@example.org --data "@$D/eicar.eml"
		assert_line '<-  250 2.0.0 ok: queued'
		[ "$(count_files "$MS_SPOOL/in/new")" -eq 1 ]
		cp "$MS_SPOOL/in/new/"* "$D/from-$src"
	done
	# trusted: tagged, the file still there, no YARA verdict (MS_LEVELS)
	run -0 grep -e '^X-Mailscan-Trust:' -e '^X-Mailscan-Verdict:' "$D/from-127.0.0.1"
	[ "${#lines[@]}" -eq 2 ]
	assert_line -n 0 'X-Mailscan-Trust: trusted'
	assert_line -n 1 --regexp '^X-Mailscan-Verdict: clamav/[0-9.]+ infected Eicar-Test-Signature[^ ]* \(part 2 eicar\.com\); action=tag$'
	grep -Fqx "$b64" "$D/from-127.0.0.1"
	grep -q 'ms-scan-yara: info: -: pass: not scanned here at trust level trusted (MS_LEVELS)' \
	    "$D/server.log"
	# suspect: cleaned, the file replaced by a notice; YARA ran after it
	run -0 grep -e '^X-Mailscan-Trust:' -e '^X-Mailscan-Verdict:' "$D/from-127.0.0.2"
	[ "${#lines[@]}" -eq 3 ]
	assert_line -n 0 'X-Mailscan-Trust: suspect'
	assert_line -n 1 --regexp '^X-Mailscan-Verdict: clamav/[0-9.]+ cleaned Eicar-Test-Signature[^ ]* \(part 2 eicar\.com\); action=clean$'
	assert_line -n 2 --regexp '^X-Mailscan-Verdict: yara/[0-9.]+ clean$'
	run -1 grep -F "$b64" "$D/from-127.0.0.2"
	grep -q '^The attachment "eicar.com" (application/octet-stream) was removed' "$D/from-127.0.0.2"
	grep -qx 'see the attachment' "$D/from-127.0.0.2"
	stop_servers

	# suspect with reject: refused at DATA, nothing queued; trusted still tagged
	scan_smtpd MS_ACTION_SUSPECT=reject
	rm -f "$MS_SPOOL/in/new/"*
	run -26 swaks --local-interface 127.0.0.2 --server "127.0.0.1:$PORT" \
	    --from alice@example.org --to bob@example.org --data "@$D/eicar.eml"
	assert_line --regexp '^<\*\* 554 5\.7\.1 .*Eicar-Test-Signature'
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 0 ]
	run -0 swaks --local-interface 127.0.0.1 --server "127.0.0.1:$PORT" \
	    --from alice@example.org --to bob@example.org --data "@$D/eicar.eml"
	run -0 grep -h '^X-Mailscan-Verdict:' "$MS_SPOOL/in/new/"*
	assert_output --regexp '^X-Mailscan-Verdict: clamav/[0-9.]+ infected .*; action=tag$'
}

@test "the table compiled with ms-mkcdb -p is used when present: longest prefix in constant time" {
	printf '127.0.0.0/8 suspect\n127.0.0.5 trusted\n::ffff:10.0.0.0/104 hostile\n' >"$MS_TRUST_TABLE"
	ms-mkcdb -p "$MS_TRUST_TABLE" 2>/dev/null
	# the text file now says otherwise: the cdb wins
	printf '127.0.0.0/8 hostile\n' >"$MS_TRUST_TABLE"
	run -0 env TCPREMOTEIP=127.0.0.5 ms-trust printenv MS_TRUST
	assert_output trusted
	run -0 env TCPREMOTEIP=127.0.0.9 ms-trust printenv MS_TRUST
	assert_output suspect
	run -0 env TCPREMOTEIP=::ffff:127.0.0.5 ms-trust printenv MS_TRUST
	assert_output trusted
	run -0 env TCPREMOTEIP=192.0.2.1 ms-trust printenv MS_TRUST
	assert_output neutral
}
