#!/usr/bin/env bats
# ms-relay against real peers on loopback: Postfix's smtp-sink (an accepting
# server that dumps what it received, and that can refuse, stall or drop
# chosen commands), a second ms-smtpd under tcpserver whose MS_QUEUE chain
# fails in chosen ways, dnsmasq as the DNS server for MX routes, and mblaze
# to read back what landed in maildirs.  Every test has its own spool, route
# table and servers under $BATS_TEST_TMPDIR; teardown stops the servers.

bats_require_minimum_version 1.5.0

load helper

DATA=$MS_TOP/t/data/relay

# ---- helpers of this file ---------------------------------------------------

# free_port [udp]: a loopback port nobody listens on right now.
free_port() {
	/usr/bin/python3 - "${1-tcp}" <<'EOF'
import socket, sys
t = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, t)
s.bind(("127.0.0.1", 0))
p = s.getsockname()[1]
if t == socket.SOCK_DGRAM:          # dnsmasq wants the TCP port too
    u = socket.socket(); u.bind(("127.0.0.1", p)); u.close()
print(p)
EOF
}

# listening PROTO ADDR PORT: is a socket bound there?
listening() {
	ss -Hln"${1:0:1}" "( sport = :$3 )" | grep -qF "$2:$3"
}

# sink [-a ADDR] [-p PORT] [smtp-sink options...]: Postfix's smtp-sink on
# ADDR:PORT (default 127.0.0.1 and a free port), dumping each transaction
# into its own file under $D/sink (or $SINKDIR).  Sets SINK (addr:port).
# As root it needs -u; root keeps the dump directory private.
sink() {
	local addr=127.0.0.1 port=
	while :; do
		case ${1-} in
		-a) addr=$2; shift 2 ;;
		-p) port=$2; shift 2 ;;
		*) break ;;
		esac
	done
	[ -n "$port" ] || port=$(free_port)
	local dir=${SINKDIR:-$D/sink}
	mkdir -p "$dir"
	start_bg /usr/sbin/smtp-sink -u root -h sink.test.example -t 20 \
	    -d "$dir/%M." "$@" "$addr:$port" 64
	wait_for listening tcp "$addr" "$port"
	SINK=$addr:$port
}

# sink_one [DIR]: exactly one transaction dumped in DIR (default $D/sink);
# its path in $F.
sink_one() {
	local dir=${1:-$D/sink}
	wait_for has_files "$dir" 1
	F=$(find "$dir" -type f)
}

# sink_body FILE: the message as smtp-sink received it, without the fields
# smtp-sink puts in front (X-Client-Addr ... its 3-line Received) and the
# empty line it adds at the end.  smtp-sink writes lines with LF.
sink_body() {
	sed -n '/^Received: /,$p' "$1" | tail -n +4 | head -n -1
}

# peer [VAR=value...]: a second ms-smtpd under tcpserver, spooling into
# $D/peer/in (or handing the message to MS_QUEUE).  Sets PEER (addr:port).
peer() {
	mkdir -p "$D/peer"
	start_tcpserver env MS_SPOOL="$D/peer" MS_HOSTNAME=peer.test.example \
	    MS_MAXERRORS=100 "$@" ms-smtpd
	PEER=127.0.0.1:$PORT
}

# peer_body FILE: what the peer ms-smtpd spooled, minus its envelope block
# and its Received: field (which ends with the date line).
peer_body() {
	LC_ALL=C sed '1,/^\t[A-Z][a-z][a-z], [0-9]* [A-Z][a-z][a-z] [0-9][0-9][0-9][0-9] /d' "$1"
}

# stage NAME <<'EOF' ... EOF: an executable shell script $D/stages/NAME for
# the peer's MS_QUEUE.
stage() {
	mkdir -p "$D/stages"
	{ echo '#!/bin/sh'; cat; } >"$D/stages/$1"
	chmod 755 "$D/stages/$1"
}

# routes LINE...: the route table $MS_ETC/routes, compiled.
routes() {
	printf '%s\n' "$@" >"$MS_ETC/routes"
	ms-mkcdb "$MS_ETC/routes" 2>/dev/null
}

# envmsg OUT EML SENDER RCPT...: OUT = an envelope block, then EML.
envmsg() {
	local out=$1 eml=$2 sender=$3 r
	shift 3
	{
		printf 'Return-Path: <%s>\n' "$sender"
		for r; do printf 'X-Mailscan-Rcpt: <%s>\n' "$r"; done
		printf 'X-Mailscan-Client: 192.0.2.7 client.example\n'
		printf 'X-Mailscan-Trust: normal\n'
		printf 'X-Mailscan-Verdict: clamav clean\n'
		cat "$eml"
	} >"$out"
}

# put_out FILE [TIME]: FILE into the out spool under a maildir name whose
# time prefix is TIME (default now); the name in $NAME.  The names of one
# test differ by a counter (a random part alone made two of twenty queued
# in the same second collide now and then, and one message was lost).
put_out() {
	PUT_SEQ=$(( ${PUT_SEQ:-0} + 1 ))
	NAME=${2:-$(date +%s)}.M${PUT_SEQ}P$$Q1.test.example
	cp "$1" "$MS_SPOOL/out/new/$NAME"
}

# relay_bg [ARGS...]: ms-relay in spool mode over the out spool (or ARGS).
relay_bg() {
	if [ $# -eq 0 ]; then set -- -q "$MS_SPOOL/out"; fi
	start_bg ms-relay "$@"
	RELAY=$BGPID
}

# retried: the one file in out/new carries a retry suffix ":1,N,T";
# $F is its path, $N its attempts.
retried() {
	local f
	f=$(find "$MS_SPOOL/out/new" -type f -name '*:1,*')
	[ -n "$f" ] && [ "$(count_files "$MS_SPOOL/out/new")" -eq 1 ] || return 1
	F=$f
	N=${f##*:1,}
	N=${N%%,*}
}

# rcpts FILE: the X-Mailscan-Rcpt values of a spool file, one a line.
rcpts() {
	sed -n '/^X-Mailscan-Rcpt: /s///p' "$1"
}

# arrived DIR N: DIR exists and holds exactly N files (for wait_for: a
# maildir the relay has yet to create is not an error).
arrived() {
	[ -d "$1" ] && has_files "$1" "$2"
}

# dsn_in DIR: exactly one message in DIR/new; its path in $DSN.
dsn_in() {
	wait_for arrived "$1/new" 1
	DSN=$(find "$1/new" -type f)
}

# check_dsn FILE SENDER ORIG [BODY-REGEXP]: FILE is an RFC 3464 report to
# SENDER about ORIG (an .eml) that carries ORIG's header, never its body
# (no line matches BODY-REGEXP, by default the lines of msg's body): From/To/
# Subject, multipart/report with report-type=delivery-status, the three
# parts in order, the delivery-status part's per-message field, and
# text/rfc822-headers equal to ORIG's header block.  The per-recipient
# fields are left to the caller: $D/ds holds the delivery-status part.
check_dsn() {
	local f=$1 sender=$2 orig=$3
	run -0 mhdr -h to "$f"
	assert_output "<$sender>"
	run -0 mhdr -h from "$f"
	assert_output 'Mail Delivery System <MAILER-DAEMON@relay.test.example>'
	run -0 mhdr -h subject "$f"
	assert_output 'Undelivered Mail Returned to Sender'
	run -0 mhdr -h auto-submitted "$f"
	assert_output 'auto-replied'
	run -0 mhdr -h content-type "$f"
	assert_output --regexp '^multipart/report; report-type=delivery-status; '
	run -0 mshow -t "$f"
	assert_equal "${#lines[@]}" 5
	assert_line -n 1 --regexp '^  1: multipart/report size=[0-9]+$'
	assert_line -n 2 --regexp '^    2: text/plain size=[0-9]+$'
	assert_line -n 3 --regexp '^    3: message/delivery-status size=[0-9]+$'
	assert_line -n 4 --regexp '^    4: text/rfc822-headers size=[0-9]+$'
	mshow -O "$f" 3 >"$D/ds"
	[ "$(sed -n 1p "$D/ds")" = 'Reporting-MTA: dns; relay.test.example' ]
	[ -z "$(sed -n 2p "$D/ds")" ]
	# the original's header block, exactly, and nothing of its body
	mshow -O "$f" 4 | sed '/^$/,$d' >"$D/hdrs"
	sed '/^$/q' "$orig" | sed '$d' | cmp - "$D/hdrs"
	run -1 grep -E "${4:-^Hello Bob,\$|^this is a test\.\$}" "$f"
}

# ds_rcpt ADDR STATUS [DIAG-REGEXP]: the delivery-status part ($D/ds) has
# this recipient block.
ds_rcpt() {
	run -0 grep -A 3 -x "Final-Recipient: rfc822; $1" "$D/ds"
	assert_line -n 1 'Action: failed'
	assert_line -n 2 "Status: $2"
	assert_line -n 3 --regexp "^Diagnostic-Code: smtp; ${3-.*}"
}

setup_file() {
	# A CA of the test's own, certificates it signed for 127.0.0.1 and for
	# another name, and one self-signed for 127.0.0.1.
	local d=$BATS_FILE_TMPDIR n
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$d/ca.key" -out "$d/ca.pem" -days 2 -subj /CN=mailscan-test-CA 2>/dev/null
	for n in good:IP:127.0.0.1 wrong:DNS:mx.other.example; do
		openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
		    -keyout "$d/${n%%:*}.key" -out "$d/${n%%:*}.csr" -subj "/CN=${n%%:*}" 2>/dev/null
		openssl x509 -req -in "$d/${n%%:*}.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		    -CAcreateserial -days 2 -out "$d/${n%%:*}.pem" \
		    -extfile <(printf 'subjectAltName=%s\n' "${n#*:}") 2>/dev/null
	done
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$d/self.key" -out "$d/self.pem" -days 2 -subj /CN=127.0.0.1 \
	    -addext subjectAltName=IP:127.0.0.1 2>/dev/null
}

setup() {
	unset MS_ROUTE MS_ROUTES MS_RESOLVER MS_TLS_CAFILE MS_QUEUE_LIFETIME MS_CONNECT_TIMEOUT \
	    MS_RELAY_TIMEOUT_DIVISOR MS_QUEUE MS_QUEUE_ALT MS_TLSCERT MS_TLSKEY \
	    MS_TIMEOUT SINKDIR
	export D=$BATS_TEST_TMPDIR
	mkspool
	export MS_ETC=$D/etc MS_HOSTNAME=relay.test.example MS_RESCAN=1
	mkdir -p "$MS_ETC" "$MS_SPOOL/out/tmp" "$MS_SPOOL/out/new" "$MS_SPOOL/out/cur"
	C=$BATS_FILE_TMPDIR
	msg "$D/m.eml"
}

teardown() {
	stop_servers
}

# ---- what goes over the wire ------------------------------------------------

@test "filter mode, smtp route: smtp-sink gets the message without its envelope, dots and 8-bit intact, BODY=8BITMIME" {
	sink
	routes "example.net smtp:$SINK"
	envmsg "$D/in" "$DATA/tricky.eml" alice@example.org bob@example.net carol@example.net
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> delivered: 127.0.0.1: 250 2.0.0 Ok"
	assert_line "ms-relay: info: -: <carol@example.net> delivered: 127.0.0.1: 250 2.0.0 Ok"
	assert_line "ms-relay: info: -: done: delivered 2, bounced 0"
	sink_one
	# one transaction for both recipients, in order, EHLO with MS_HOSTNAME
	run -0 sed -n '1,/^Received/p' "$F"
	assert_output "X-Client-Addr: 127.0.0.1
X-Client-Proto: ESMTP
X-Helo-Args: relay.test.example
X-Mail-Args: <alice@example.org> BODY=8BITMIME
X-Rcpt-Args: <bob@example.net>
X-Rcpt-Args: <carol@example.net>
Received: from relay.test.example ([127.0.0.1])"
	# smtp-sink drops a bare CR (ms-smtpd keeps it: see the CRLF test)
	sink_body "$F" | cmp - <(tr -d '\r' <"$DATA/tricky.eml")
}

@test "8-bit to a server without 8BITMIME: no BODY parameter; 7-bit mail never gets one" {
	sink -8
	routes "* smtp:$SINK"
	envmsg "$D/in" "$DATA/tricky.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	sink_one
	run -0 grep '^X-Mail-Args: ' "$F"
	assert_output 'X-Mail-Args: <alice@example.org>'
	sink_body "$F" | cmp - <(tr -d '\r' <"$DATA/tricky.eml")

	stop_servers
	rm -r "$D/sink"
	sink
	routes "* smtp:$SINK"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	sink_one
	run -0 grep '^X-Mail-Args: ' "$F"
	assert_output 'X-Mail-Args: <alice@example.org>'
}

@test "EHLO refused and no PIPELINING: HELO, then MAIL, each RCPT and DATA in lock-step" {
	sink -f EHLO
	routes "* smtp:$SINK"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net carol@example.net
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: done: delivered 2, bounced 0"
	sink_one
	run -0 grep -E '^X-(Client-Proto|Helo-Args|Rcpt-Args): ' "$F"
	assert_output 'X-Client-Proto: SMTP
X-Helo-Args: relay.test.example
X-Rcpt-Args: <bob@example.net>
X-Rcpt-Args: <carol@example.net>'
	sink_body "$F" | cmp - "$D/m.eml"
}

@test "CRLF on the wire: ms-smtpd (which ends DATA only at CRLF.CRLF) stores the message byte for byte" {
	peer
	routes "* smtp:$PEER"
	envmsg "$D/in" "$DATA/tricky.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	wait_for arrived "$D/peer/in/new" 1
	F=$(find "$D/peer/in/new" -type f)
	peer_body "$F" | cmp - "$DATA/tricky.eml"
	# the envelope went as MAIL/RCPT, not as header fields
	run -0 grep -c '^X-Mailscan-Rcpt: <bob@example.net>$' "$F"

	# no final newline: one is added, and the data still ends
	rm "$F"
	head -c -1 "$D/m.eml" >"$D/nonl.eml"
	envmsg "$D/in" "$D/nonl.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	wait_for arrived "$D/peer/in/new" 1
	peer_body "$(find "$D/peer/in/new" -type f)" | cmp - "$D/m.eml"
}

@test "smtp:[::1]:PORT: an IPv6 next hop" {
	local port
	port=$(free_port)
	mkdir -p "$D/sink"
	start_bg /usr/sbin/smtp-sink -u root -t 20 -d "$D/sink/%M." "[::1]:$port" 64
	wait_for listening tcp '[::1]' "$port"
	routes "* smtp:[::1]:$port"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <bob@example.net> delivered: ::1: 250 2.0.0 Ok'
	sink_one
	run -0 grep '^X-Client-Addr: ' "$F"
	assert_output 'X-Client-Addr: ipv6:::1'
	sink_body "$F" | cmp - "$D/m.eml"
}

@test "SENDER and RECIPIENTS replace the envelope by hand; SENDER='<>' is sent as MAIL FROM:<>" {
	sink
	routes "* smtp:$SINK"
	SENDER='<>' RECIPIENTS='dave@example.com erin@example.com' run -99 ms-relay <"$D/m.eml"
	sink_one
	run -0 grep -E '^X-(Mail|Rcpt)-Args: ' "$F"
	assert_output 'X-Mail-Args: <>
X-Rcpt-Args: <dave@example.com>
X-Rcpt-Args: <erin@example.com>'
	sink_body "$F" | cmp - "$D/m.eml"
}

@test "malformed envelope, no recipients, a bad route: 100, 100, 111" {
	routes "* smtp:127.0.0.1:notaport"
	printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob\001@example.net>\n' >"$D/bad"
	cat "$D/m.eml" >>"$D/bad"
	run -100 ms-relay <"$D/bad"
	assert_line -n -1 'ms-relay: fatal: 5.6.0 malformed envelope block'
	envmsg "$D/in" "$D/m.eml" alice@example.org
	run -100 ms-relay <"$D/in"
	assert_line -n -1 'ms-relay: fatal: 5.5.1 no sender or no recipients in the envelope'
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -111 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <bob@example.net> deferred: 4.3.5 malformed route in the routes table'
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
}

@test "SIZE: a message larger than the server's SIZE is bounced without being sent" {
	peer MS_MAXSIZE=2000
	routes "* smtp:$PEER"
	{ cat "$D/m.eml"; for i in $(seq 60); do echo "line $i of a long body, long enough to pass 2000 bytes"; done; } >"$D/big.eml"
	envmsg "$D/in" "$D/big.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> failed: 127.0.0.1: 5.3.4 message too big for the server (2000)"
	[ ! -d "$D/peer/in/new" ] || [ "$(count_files "$D/peer/in/new")" -eq 0 ]
	dsn_in "$MS_SPOOL/out"
	check_dsn "$DSN" alice@example.org "$D/big.eml"
	ds_rcpt bob@example.net 5.3.4
}

# ---- per-recipient outcomes ---------------------------------------------------

@test "250 for one recipient, 553 for another: only the refused one is bounced" {
	peer
	local long
	long=$(printf 'x%.0s' $(seq 300))@example.net
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net "$long"
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> delivered: 127.0.0.1: 250 2.0.0 ok: queued"
	assert_line "ms-relay: info: -: <$long> failed: 127.0.0.1: 553 5.1.3 bad recipient address"
	wait_for arrived "$D/peer/in/new" 1
	run -0 rcpts "$(find "$D/peer/in/new" -type f)"
	assert_output '<bob@example.net>'
	dsn_in "$MS_SPOOL/out"
	run -0 rcpts "$DSN"
	assert_output '<alice@example.org>'
	check_dsn "$DSN" alice@example.org "$D/m.eml"
	ds_rcpt "$long" 5.1.3 '127\.0\.0\.1: 553 5\.1\.3 bad recipient address$'
	run -1 grep -F 'bob@example.net' "$D/ds"
}

@test "MAIL refused in a pipelined transaction: every recipient fails with the reply to MAIL" {
	peer
	local long
	long=$(printf 's%.0s' $(seq 300))@example.org
	routes "example.net smtp:$PEER" "example.org maildir:$D/mail/%d/%u"
	envmsg "$D/in" "$D/m.eml" "$long" bob@example.net carol@example.net
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> failed: 127.0.0.1: 553 5.1.7 bad sender address"
	assert_line "ms-relay: info: -: <carol@example.net> failed: 127.0.0.1: 553 5.1.7 bad sender address"
	[ ! -d "$D/peer/in/new" ] || [ "$(count_files "$D/peer/in/new")" -eq 0 ]
	dsn_in "$MS_SPOOL/out"
	check_dsn "$DSN" "$long" "$D/m.eml"
	ds_rcpt bob@example.net 5.1.7 '127\.0\.0\.1: 553 5\.1\.7 bad sender address$'
}

@test "every RCPT refused: 5xx bounces all, 4xx defers all, no DATA either way" {
	sink -f RCPT
	routes "* smtp:$SINK"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net carol@example.net
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: done: delivered 0, bounced 2, notice $(ls "$MS_SPOOL/out/new")"
	dsn_in "$MS_SPOOL/out"
	check_dsn "$DSN" alice@example.org "$D/m.eml"
	ds_rcpt bob@example.net 5.3.0 '127\.0\.0\.1: 500 5\.3\.0 Error: command failed$'
	ds_rcpt carol@example.net 5.3.0
	stop_servers
	[ "$(count_files "$D/sink")" -eq 0 ]

	rm "$DSN"
	sink -r RCPT
	routes "* smtp:$SINK"
	run -111 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> deferred: 127.0.0.1: 450 4.3.0 Error: command failed"
	assert_line -n -1 "ms-relay: fatal: delivered 0, bounced 0, deferred 2"
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
	[ "$(count_files "$D/sink")" -eq 0 ]
}

@test "peer MS_MAXRCPT=1: 452 for the second, which alone is kept and goes in a later transaction" {
	peer MS_MAXRCPT=1
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net carol@example.net
	put_out "$D/in"
	MS_RETRY_MIN=1 relay_bg
	wait_for arrived "$D/peer/in/new" 2
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	run -0 grep -h '^X-Mailscan-Rcpt: ' "$D/peer/in/new"/*
	assert_equal "$(printf '%s\n' "${lines[@]}" | sort)" 'X-Mailscan-Rcpt: <bob@example.net>
X-Mailscan-Rcpt: <carol@example.net>'
	run -0 cat "$D/server.log"
	assert_line --partial "<carol@example.net> deferred: 127.0.0.1: 452 4.5.3 too many recipients"
	assert_line --partial "defer: attempt 1: delivered 1, bounced 0, deferred 1"
	for f in "$D/peer/in/new"/*; do peer_body "$f" | cmp - "$D/m.eml"; done
}

# ---- failures at the far end: ms-smtpd with a failing MS_QUEUE ----------------

@test "4xx after DATA: deferred with the retry suffix, retried with backoff, delivered once the peer accepts" {
	stage gate <<EOF
if [ -e "$D/closed" ]; then echo 'gate: fatal: 4.3.2 come back later' >&2; exit 111; fi
exec cat
EOF
	touch "$D/closed"
	peer MS_QUEUE="$D/stages/gate | ms-queue"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	put_out "$D/in"
	local base=$NAME
	MS_RETRY_MIN=1 MS_RETRY_MAX=2 relay_bg
	wait_for retried
	# the message itself is not rewritten, only renamed
	cmp "$F" "$D/in"
	[[ ${F##*/} == "$base:1,"* ]]
	wait_for eval 'retried && [ "$N" -ge 2 ]'
	rm "$D/closed"
	wait_for arrived "$D/peer/in/new" 1
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	run -0 cat "$D/server.log"
	assert_line --partial "<bob@example.net> deferred: 127.0.0.1: 451 4.3.2 come back later"
	assert_line --partial "$base: defer: attempt 2: delivered 0, bounced 0, deferred 1"
	assert_line --partial "$base: done: delivered 1, bounced 0"
	peer_body "$(find "$D/peer/in/new" -type f)" | cmp - "$D/m.eml"
}

@test "5xx after DATA: a DSN to the sender, the message leaves the spool" {
	stage refuse <<'EOF'
cat >/dev/null
echo 'refuse: fatal: 5.7.1 not wanted here' >&2
exit 100
EOF
	peer MS_QUEUE="$D/stages/refuse"
	routes "* smtp:$PEER" "example.org maildir:$D/mail/%d/%u"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	put_out "$D/in"
	relay_bg
	# the DSN is queued into the relay's own spool and delivered from there
	wait_for arrived "$D/mail/example.org/alice/new" 1
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	DSN=$(find "$D/mail/example.org/alice/new" -type f)
	run -0 mhdr -h return-path "$DSN"
	assert_output '<>'
	check_dsn "$DSN" alice@example.org "$D/m.eml"
	ds_rcpt bob@example.net 5.7.1 '127\.0\.0\.1: 554 5\.7\.1 not wanted here$'
}

@test "connection lost: in the middle of DATA (smtp-sink -A) and after the dot (the peer killed): deferred" {
	sink -A 0
	routes "* smtp:$SINK"
	{ cat "$D/m.eml"; head -c 30000000 /dev/zero | tr '\0' a | fold -w 100; } >"$D/huge.eml"
	envmsg "$D/in" "$D/huge.eml" alice@example.org bob@example.net
	run -111 ms-relay <"$D/in"
	assert_line --regexp '^ms-relay: info: -: <bob@example.net> deferred: 127\.0\.0\.1: connection lost during data: (Broken pipe|Connection reset by peer)$'
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]

	stage die <<'EOF'
cat >/dev/null
kill -9 $PPID
EOF
	peer MS_QUEUE="$D/stages/die"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	put_out "$D/in"
	relay_bg
	wait_for retried
	stop_bg "$RELAY"
	cmp "$F" "$D/in"
	run -0 cat "$D/server.log"
	assert_line --partial "<bob@example.net> deferred: 127.0.0.1: connection closed"
}

@test "a peer that stalls after the data longer than the timeout (MS_RELAY_TIMEOUT_DIVISOR): deferred" {
	stage stall <<EOF
cat >/dev/null
while [ -e "$D/stall" ]; do sleep 0.1; done
exit 111
EOF
	touch "$D/stall"
	peer MS_QUEUE="$D/stages/stall"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	# 600 s for the reply to the final dot / 300: 2 s (undivided, the
	# outer timeout would end it with 124)
	MS_RELAY_TIMEOUT_DIVISOR=300 run -111 timeout 60 ms-relay <"$D/in"
	rm "$D/stall"
	assert_line 'ms-relay: info: -: <bob@example.net> deferred: 127.0.0.1: timeout'
	assert_line -n -1 'ms-relay: fatal: delivered 0, bounced 0, deferred 1'
}

@test "connection refused: 111, the message stays in the spool under BASE:1,1,NEXTTRY" {
	local port
	port=$(free_port)
	routes "* smtp:127.0.0.1:$port"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -111 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> deferred: 127.0.0.1: Connection refused"

	put_out "$D/in"
	local base=$NAME t0
	t0=$(date +%s)
	relay_bg
	wait_for retried
	stop_bg "$RELAY"
	[ "$N" -eq 1 ]
	local next=${F##*,}
	# MS_RETRY_MIN defaults to 60 s
	[ "$next" -ge $((t0 + 60)) ] && [ "$next" -le $(( $(date +%s) + 60 )) ]
	[ "${F##*/}" = "$base:1,1,$next" ]
	cmp "$F" "$D/in"
	[ "$(count_files "$MS_SPOOL/bounce/new")" -eq 0 ]
}

@test "null sender: a permanent failure bounces nothing" {
	sink -f RCPT
	routes "* smtp:$SINK"
	envmsg "$D/in" "$D/m.eml" "" bob@example.net
	run -99 ms-relay <"$D/in"
	assert_line -n -1 'ms-relay: info: -: done: delivered 0, bounced 1'
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
}

# ---- TLS ----------------------------------------------------------------------

@test "+tls: STARTTLS not offered defers and sends nothing" {
	peer
	routes "* smtp:$PEER+tls"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -111 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <bob@example.net> deferred: 127.0.0.1: TLS required by the route but not offered'
	[ ! -d "$D/peer/in/new" ] || [ "$(count_files "$D/peer/in/new")" -eq 0 ]
}

@test "opportunistic STARTTLS with a self-signed certificate: the peer records ESMTPS" {
	peer MS_TLSCERT="$C/self.pem" MS_TLSKEY="$C/self.key"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	wait_for arrived "$D/peer/in/new" 1
	F=$(find "$D/peer/in/new" -type f)
	run -0 grep -c $'^\tby peer.test.example (mailscan) with ESMTPS$' "$F"
	peer_body "$F" | cmp - "$D/m.eml"
}

@test "opportunistic STARTTLS refused (454): the same address once more in the clear, delivered once" {
	# a certificate with another certificate's key: ms-smtpd offers
	# STARTTLS, then cannot set TLS up and answers 454
	peer MS_TLSCERT="$C/good.pem" MS_TLSKEY="$C/wrong.key"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <bob@example.net> delivered: 127.0.0.1: 250 2.0.0 ok: queued'
	wait_for arrived "$D/peer/in/new" 1
	F=$(find "$D/peer/in/new" -type f)
	run -0 grep -c $'^\tby peer.test.example (mailscan) with ESMTP$' "$F"
	peer_body "$F" | cmp - "$D/m.eml"
	# required TLS is not given up
	routes "* smtp:$PEER+tls-noverify"
	run -111 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <bob@example.net> deferred: 127.0.0.1: STARTTLS refused: 454 4.7.0 TLS not available'
	[ "$(count_files "$D/peer/in/new")" -eq 1 ]
}

@test "+tls with MS_TLS_CAFILE: the right certificate is verified; a wrong name or an unknown CA defers" {
	export MS_TLS_CAFILE=$C/ca.pem
	peer MS_TLSCERT="$C/good.pem" MS_TLSKEY="$C/good.key"
	routes "* smtp:$PEER+tls"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	run -99 ms-relay <"$D/in"
	wait_for arrived "$D/peer/in/new" 1
	run -0 grep -c $'^\tby peer.test.example (mailscan) with ESMTPS$' "$D/peer/in/new"/*

	stop_servers
	peer MS_TLSCERT="$C/wrong.pem" MS_TLSKEY="$C/wrong.key"
	routes "* smtp:$PEER+tls"
	run -111 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@example.net> deferred: 127.0.0.1: TLS handshake failed: name \`127.0.0.1' not present in server certificate"

	stop_servers
	peer MS_TLSCERT="$C/self.pem" MS_TLSKEY="$C/self.key"
	routes "* smtp:$PEER+tls"
	run -111 ms-relay <"$D/in"
	assert_line --regexp '^ms-relay: info: -: <bob@example.net> deferred: 127\.0\.0\.1: TLS handshake failed: certificate verification failed: '
	# +tls-noverify: required, not verified
	routes "* smtp:$PEER+tls-noverify"
	run -99 ms-relay <"$D/in"
	[ "$(count_files "$D/peer/in/new")" -eq 2 ]
}

# ---- MX routes through dnsmasq ------------------------------------------------

# dns ARGS...: dnsmasq answering only from its command line on a free
# loopback port; MS_RESOLVER points there.  An mx route always connects to
# port 25, so the mail exchangers of these tests are smtp-sinks on port 25
# of random addresses in 127/8 (all loopback), one address per host.
dns() {
	local port
	port=$(free_port udp)
	start_bg /usr/sbin/dnsmasq --no-daemon --conf-file=/dev/null --no-resolv \
	    --no-hosts --port="$port" --listen-address=127.0.0.1 --bind-interfaces \
	    --local=/test/ "$@"
	wait_for listening udp 127.0.0.1 "$port"
	export MS_RESOLVER=127.0.0.1:$port
}

@test "mx: the lower preference wins; no MX: the A record; null MX and NXDOMAIN bounce" {
	local net=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))
	dns --mx-host=mx.test,mx1.mx.test,10 --mx-host=mx.test,mx2.mx.test,20 \
	    --host-record=mx1.mx.test,$net.1 --host-record=mx2.mx.test,$net.2 \
	    --host-record=amx.test,$net.2 --mx-host=null.test,.,0
	SINKDIR=$D/mx1 sink -a "$net.1" -p 25
	SINKDIR=$D/mx2 sink -a "$net.2" -p 25
	# no route table: every domain goes by MX
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@mx.test
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@mx.test> delivered: $net.1: 250 2.0.0 Ok"
	sink_one "$D/mx1"
	[ "$(count_files "$D/mx2")" -eq 0 ]

	envmsg "$D/in" "$D/m.eml" alice@example.org carol@amx.test
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <carol@amx.test> delivered: $net.2: 250 2.0.0 Ok"
	sink_one "$D/mx2"

	envmsg "$D/in" "$D/m.eml" alice@example.org dave@null.test erin@nx.test
	run -99 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <dave@null.test> failed: 5.1.10 domain accepts no mail (null MX)'
	assert_line 'ms-relay: info: -: <erin@nx.test> failed: 5.1.2 domain does not exist'
	dsn_in "$MS_SPOOL/out"
	check_dsn "$DSN" alice@example.org "$D/m.eml"
	ds_rcpt dave@null.test 5.1.10
	ds_rcpt erin@nx.test 5.1.2
}

@test "mx fail-over: the first MX down or deferring DATA, the second gets the message once; all down defers" {
	local net=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))
	# $net.1 has no server; $net.2 accepts; $net.3 answers DATA with 450
	dns --mx-host=down.test,mx1.down.test,10 --mx-host=down.test,mx2.down.test,20 \
	    --host-record=mx1.down.test,$net.1 --host-record=mx2.down.test,$net.2 \
	    --mx-host=busy.test,mx1.busy.test,10 --mx-host=busy.test,mx2.busy.test,20 \
	    --host-record=mx1.busy.test,$net.3 --host-record=mx2.busy.test,$net.2 \
	    --mx-host=dead.test,mx1.dead.test,10 --mx-host=dead.test,mx2.dead.test,20 \
	    --host-record=mx1.dead.test,$net.1 --host-record=mx2.dead.test,$net.4
	SINKDIR=$D/mx2 sink -a "$net.2" -p 25
	SINKDIR=$D/busy sink -a "$net.3" -p 25 -r DATA
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@down.test
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@down.test> delivered: $net.2: 250 2.0.0 Ok"
	sink_one "$D/mx2"
	run -0 grep '^X-Rcpt-Args: ' "$F"
	assert_output 'X-Rcpt-Args: <bob@down.test>'

	envmsg "$D/in" "$D/m.eml" alice@example.org carol@busy.test
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <carol@busy.test> delivered: $net.2: 250 2.0.0 Ok"
	wait_for has_files "$D/mx2" 2
	[ "$(count_files "$D/busy")" -eq 0 ]

	envmsg "$D/in" "$D/m.eml" alice@example.org dave@dead.test
	run -111 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <dave@dead.test> deferred: $net.4: Connection refused"
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
}

@test "mx: a 554 greeting skips to the next exchanger; every exchanger refusing defers, never bounces" {
	local net=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1))
	# $net.1 greets with 554; $net.2 accepts
	dns --mx-host=shut.test,mx1.shut.test,10 --mx-host=shut.test,mx2.shut.test,20 \
	    --host-record=mx1.shut.test,$net.1 --host-record=mx2.shut.test,$net.2 \
	    --mx-host=none.test,mx1.none.test,10 --host-record=mx1.none.test,$net.1
	SINKDIR=$D/shut sink -a "$net.1" -p 25 -f CONNECT
	SINKDIR=$D/mx2 sink -a "$net.2" -p 25
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@shut.test
	run -99 ms-relay <"$D/in"
	assert_line "ms-relay: info: -: <bob@shut.test> delivered: $net.2: 250 2.0.0 Ok"
	sink_one "$D/mx2"
	[ "$(count_files "$D/shut")" -eq 0 ]

	envmsg "$D/in" "$D/m.eml" alice@example.org carol@none.test
	run -111 ms-relay <"$D/in"
	assert_line --regexp "^ms-relay: info: -: <carol@none.test> deferred: $net.1: greeting: 5[0-9][0-9] "
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
}

@test "mx: a resolver that does not answer defers (4.4.3)" {
	local port
	port=$(free_port udp)
	export MS_RESOLVER=127.0.0.1:$port
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@mx.test
	run -111 ms-relay <"$D/in"
	assert_line 'ms-relay: info: -: <bob@mx.test> deferred: 4.4.3 MX lookup failed, will retry'
}

# ---- local routes ---------------------------------------------------------------

@test "maildir route: Return-Path and Delivered-To prepended, read back with mblaze; %d and %u made safe" {
	routes "example.net maildir:$D/mail/%d/%u"
	envmsg "$D/in" "$DATA/tricky.eml" alice@example.org Bob.Smith@example.net '../../etc/x@example.net'
	run -99 ms-relay <"$D/in"
	wait_for arrived "$D/mail/example.net/bob.smith/new" 1
	F=$(find "$D/mail/example.net/bob.smith/new" -type f)
	run -0 mhdr -d -h return-path:delivered-to:subject "$F"
	assert_output '<alice@example.org>
Bob.Smith@example.net
Grüße and dots'
	tail -n +3 "$F" | cmp - "$DATA/tricky.eml"
	run -0 mlist "$D/mail/example.net/bob.smith"
	assert_output "$F"
	# "../../etc/x" stays one path component inside the maildir tree
	wait_for arrived "$D/mail/example.net/_._.._etc_x/new" 1
	run -0 ls "$D/mail" "$D/mail/example.net"
	assert_output "$D/mail:
example.net

$D/mail/example.net:
_._.._etc_x
bob.smith"
	[ ! -e "$D/etc/x" ]
}

@test "hold route: the message waits in \$MS_SPOOL/hold/DOMAIN with its envelope block" {
	routes "example.com hold"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.com carol@example.com
	run -99 ms-relay <"$D/in"
	wait_for arrived "$MS_SPOOL/hold/example.com/new" 1
	F=$(find "$MS_SPOOL/hold/example.com/new" -type f)
	{
		printf '%s\n' 'Return-Path: <alice@example.org>' 'X-Mailscan-Rcpt: <bob@example.com>' \
		    'X-Mailscan-Rcpt: <carol@example.com>' 'X-Mailscan-Client: 192.0.2.7 client.example'
		cat "$D/m.eml"
	} | cmp - "$F"
	run -0 mlist "$MS_SPOOL/hold/example.com"
	assert_output "$F"
}

# ---- the queue ------------------------------------------------------------------

@test "partial progress: two routes, one deferred: the spool keeps only it, and the other is not sent twice" {
	local port
	port=$(free_port)
	sink
	routes "example.net smtp:$SINK" "example.com smtp:127.0.0.1:$port"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net carol@example.com
	put_out "$D/in"
	MS_RETRY_MIN=1 relay_bg
	wait_for retried
	stop_bg "$RELAY"
	# only carol is left, everything else of the block and the message as they were
	sed '/^X-Mailscan-Rcpt: <bob@example.net>$/d' "$D/in" | cmp - "$F"
	sink_one
	run -0 grep '^X-Rcpt-Args: ' "$F"
	assert_output 'X-Rcpt-Args: <bob@example.net>'

	SINKDIR=$D/sink2 sink -p "$port"
	relay_bg
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	sink_one "$D/sink2"
	run -0 grep '^X-Rcpt-Args: ' "$F"
	assert_output 'X-Rcpt-Args: <carol@example.com>'
	sink_body "$F" | cmp - "$D/m.eml"
	[ "$(count_files "$D/sink")" -eq 1 ]
}

@test "queue lifetime: a deferral past MS_QUEUE_LIFETIME becomes a well-formed DSN (4.4.7), the body stays out" {
	local port
	port=$(free_port)
	routes "example.net smtp:127.0.0.1:$port" "example.org maildir:$D/mail/%d/%u"
	printf '\nSECRET-BODY-MARKER: the body must not come back\n' >>"$D/m.eml"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net carol@example.net
	# born six days ago: past the default lifetime of five days
	put_out "$D/in" $(( $(date +%s) - 6 * 86400 ))
	relay_bg
	wait_for arrived "$D/mail/example.org/alice/new" 1
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	DSN=$(find "$D/mail/example.org/alice/new" -type f)
	run -0 mhdr -h return-path:delivered-to "$DSN"
	assert_output '<>
alice@example.org'
	run -1 grep -F SECRET-BODY-MARKER "$DSN"
	check_dsn "$DSN" alice@example.org "$D/m.eml"
	ds_rcpt bob@example.net 5.4.7 "4\.4\.7 delivery time expired; last error: 127\.0\.0\.1: Connection refused\$"
	ds_rcpt carol@example.net 5.4.7
	run -0 grep -c '^Final-Recipient: ' "$D/ds"
	assert_output 2

	# MS_QUEUE_LIFETIME=1 and a name two seconds old: the same
	rm "$DSN"
	put_out "$D/in" $(( $(date +%s) - 2 ))
	MS_QUEUE_LIFETIME=1 relay_bg
	wait_for arrived "$D/mail/example.org/alice/new" 1
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	# and a fresh message under the default lifetime is only deferred
	put_out "$D/in"
	relay_bg
	wait_for retried
	stop_bg "$RELAY"
	[ "$(count_files "$D/mail/example.org/alice/new")" -eq 1 ]
}

@test "bounce spool: -q bounce -o out turns X-Mailscan-Error into a DSN to the sender; none for <>" {
	mkdir -p "$MS_SPOOL/bounce/new" "$MS_SPOOL/bounce/tmp" "$MS_SPOOL/bounce/cur"
	cp "$DATA/bounced.msg" "$MS_SPOOL/bounce/new/1700000000.M1P1Q1.test"
	sed 's/^Return-Path: .*/Return-Path: <>/' "$DATA/bounced.msg" >"$MS_SPOOL/bounce/new/1700000000.M1P1Q2.test"
	relay_bg -q "$MS_SPOOL/bounce" -o "$MS_SPOOL/out"
	wait_for has_files "$MS_SPOOL/bounce/new" 0
	stop_bg "$RELAY"
	dsn_in "$MS_SPOOL/out"
	run -0 mhdr -h return-path:x-mailscan-rcpt "$DSN"
	assert_output '<>
<alice@example.org>'
	sed '1,/^X-Mailscan-Verdict: /d' "$DATA/bounced.msg" >"$D/orig.eml"
	check_dsn "$DSN" alice@example.org "$D/orig.eml" 'BODY-MARKER|^Qk9EWS1'
	run -1 grep -F 'report.com' "$DSN"
	ds_rcpt bob@example.net 5.7.1 'ms-scan-clamav 5\.7\.1 infected: Eicar-Test-Signature$'
	ds_rcpt carol@example.net 5.7.1
	run -0 cat "$D/server.log"
	assert_line 'ms-relay: info: 1700000000.M1P1Q2.test: done: dropped: a bounce for a message from <>: ms-scan-clamav 5.7.1 infected: Eicar-Test-Signature'
	[ "$(find "$MS_SPOOL" -type f | wc -l)" -eq 1 ]

	# filter mode: the DSN on stdout, exit 0
	run -0 --separate-stderr ms-relay <"$DATA/bounced.msg"
	printf '%s\n' "$output" >"$D/dsn.out"
	check_dsn "$D/dsn.out" alice@example.org "$D/orig.eml" 'BODY-MARKER|^Qk9EWS1'
	ds_rcpt bob@example.net 5.7.1
}

@test "bounce spool relay with a -b of its own: a message it cannot parse moves there, with both reasons" {
	mkdir -p "$MS_SPOOL/bounce/new" "$MS_SPOOL/bounce/tmp" "$MS_SPOOL/bounce/cur"
	printf 'X-Mailscan-Error: ms-queue 5.6.0 malformed envelope block\nReturn-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob\001@example.net>\n' >"$D/bad"
	cat "$D/m.eml" >>"$D/bad"
	cp "$D/bad" "$MS_SPOOL/bounce/new/1700000000.M1P1Q1.test"
	run -0 ms-relay -1 -q "$MS_SPOOL/bounce" -o "$MS_SPOOL/out" -b "$MS_SPOOL/failed"
	[ "$(count_files "$MS_SPOOL/bounce/new")" -eq 0 ]
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
	{ printf 'X-Mailscan-Error: ms-relay 5.6.0 malformed envelope block\n'; cat "$D/bad"; } |
	    cmp - "$MS_SPOOL/failed/new/1700000000.M1P1Q1.test"
}

@test "MS_ROUTE: one route for every recipient, the table not consulted" {
	sink
	routes "example.net maildir:$D/mail/%d/%u"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net carol@example.com
	MS_ROUTE="smtp:$SINK" run -99 ms-relay <"$D/in"
	sink_one
	run -0 grep '^X-Rcpt-Args: ' "$F"
	assert_output 'X-Rcpt-Args: <bob@example.net>
X-Rcpt-Args: <carol@example.com>'
	[ ! -e "$D/mail" ]
}

@test "-1: one pass over every message, due or not, then exit 0" {
	local port
	port=$(free_port)
	routes "* smtp:127.0.0.1:$port"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	put_out "$D/in"
	run -0 ms-relay -1 -q "$MS_SPOOL/out"
	retried
	[ "$N" -eq 1 ]
	# not due for another minute, tried all the same
	run -0 ms-relay -1 -q "$MS_SPOOL/out"
	retried
	[ "$N" -eq 2 ]
	cmp "$F" "$D/in"
	sink -p "$port"
	run -0 ms-relay -1 -q "$MS_SPOOL/out"
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
	sink_one
}

@test "spool mode with -o: the notifications go to the -o spool" {
	sink -f RCPT
	routes "* smtp:$SINK"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	put_out "$D/in"
	run -0 ms-relay -1 -q "$MS_SPOOL/out" -o "$D/notices"
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
	dsn_in "$D/notices"
	check_dsn "$DSN" alice@example.org "$D/m.eml"
	ds_rcpt bob@example.net 5.3.0
}

@test "SIGKILL during a delivery: the message stays in the spool and goes out on the next start" {
	stage slow <<EOF
if [ -e "$D/slow" ]; then
	touch "$D/started"
	while [ -e "$D/slow" ]; do sleep 0.1; done
	exit 111
fi
exec cat
EOF
	touch "$D/slow"
	peer MS_QUEUE="$D/stages/slow | ms-queue"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	put_out "$D/in"
	relay_bg
	wait_for test -e "$D/started"
	stop_bg "$RELAY" KILL
	[ "$BGSTATUS" -eq 137 ]
	cmp "$MS_SPOOL/out/new/$NAME" "$D/in"
	[ "$(count_files "$MS_SPOOL/out/tmp")" -eq 0 ]
	rm "$D/slow"
	relay_bg
	wait_for arrived "$D/peer/in/new" 1
	wait_for has_files "$MS_SPOOL/out/new" 0
	stop_bg "$RELAY"
	peer_body "$(find "$D/peer/in/new" -type f)" | cmp - "$D/m.eml"
}

@test "-j 4 drains a spool: each message delivered once" {
	sink
	routes "* smtp:$SINK"
	local i
	for i in $(seq 20); do
		envmsg "$D/in" "$D/m.eml" alice@example.org "r$i@example.net"
		put_out "$D/in"
	done
	relay_bg -q "$MS_SPOOL/out" -j 4
	wait_for has_files "$MS_SPOOL/out/new" 0
	wait_for has_files "$D/sink" 20
	stop_bg "$RELAY"
	run -0 sh -c "grep -h '^X-Rcpt-Args: ' '$D/sink'/* | sort -u | wc -l"
	assert_output 20
}

@test "MS_RELAY_PERDEST: a second connection to a busy destination waits (4.4.5), the first one is unhindered" {
	stage slow <<EOF2
while [ -e "$D/slow1" ]; do sleep 0.1; done
exec ms-queue
EOF2
	touch "$D/slow1"
	peer MS_QUEUE="$D/stages/slow"
	routes "* smtp:$PEER"
	envmsg "$D/in" "$D/m.eml" alice@example.org bob@example.net
	# the first delivery holds the only slot while its peer stalls
	MS_RELAY_PERDEST=1 start_bg ms-relay <"$D/in"
	first=$BGPID
	wait_for sh -c "ls '$MS_SPOOL'/relay-slots/127.0.0.1.0"
	sleep 0.5
	MS_RELAY_PERDEST=1 run -111 ms-relay <"$D/in"
	assert_line --partial '<bob@example.net> deferred: 4.4.5 too many connections to this destination already (MS_RELAY_PERDEST)'
	rm "$D/slow1"
	wait_for arrived "$D/peer/in/new" 1
	wait_for sh -c "! kill -0 $first 2>/dev/null"
	# with the slot free again, it goes through
	MS_RELAY_PERDEST=1 run -99 ms-relay <"$D/in"
	# and 0 turns the limit off
	MS_RELAY_PERDEST=0 run -99 ms-relay <"$D/in"
}
