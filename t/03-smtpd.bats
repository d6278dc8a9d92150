#!/usr/bin/env bats
# ms-smtpd under a real tcpserver on a loopback port, driven by swaks and,
# where swaks cannot say it (raw bytes, bare LF, a disconnect mid-DATA, a
# pipelined burst after STARTTLS, exact line lengths), by a small python3
# socket client (smtp_py, below).  Every test has its own spool under
# $BATS_TEST_TMPDIR and its own server; teardown stops it.

bats_require_minimum_version 1.5.0

load helper

# ---- the python client ------------------------------------------------------
#
# smtp_py reads a python script on stdin and runs it after this prelude.
# Replies are printed with CRLF turned into LF (each reply line is first
# checked to end in CRLF), so that bats' $output/$lines compare cleanly.
PYLIB=$(cat <<'EOF'
import os, socket, ssl, sys, time
PORT = int(os.environ["PORT"])
D = os.environ["D"]
OUT = sys.stdout.buffer

def show(r):
    for l in r.split(b"\n")[:-1]:
        if not l.endswith(b"\r"):
            sys.exit("reply line without CRLF: %r" % l)
    OUT.write(r.replace(b"\r\n", b"\n"))
    OUT.flush()

def wire(msg):
    """LF-ended message -> CRLF, dot-stuffed, with the final CRLF.CRLF"""
    lines = msg.split(b"\n")
    if lines[-1] == b"":
        lines.pop()
    return b"".join((b"." + l if l.startswith(b".") else l) + b"\r\n"
                    for l in lines) + b".\r\n"

class Client:
    def __init__(self, timeout=20):
        self.s = socket.create_connection(("127.0.0.1", PORT), timeout=timeout)
        self.buf = b""
    def send(self, b):
        if isinstance(b, str):
            b = b.encode()
        self.s.sendall(b)
    def fill(self):
        d = self.s.recv(65536)
        if not d:
            raise EOFError("server closed the connection")
        self.buf += d
    def reply(self):
        r = b""
        while True:
            while b"\n" not in self.buf:
                self.fill()
            l, self.buf = self.buf.split(b"\n", 1)
            r += l + b"\n"
            if l[3:4] != b"-":
                return r
    def hear(self, n=1):
        for _ in range(n):
            show(self.reply())
    def say(self, b, n=1):
        self.send(b)
        self.hear(n)
    def quiet(self, b=None, n=1):
        """like say, but print nothing; any 4xx or 5xx reply is fatal"""
        if b is not None:
            self.send(b)
        for _ in range(n):
            r = self.reply()
            if r[:1] not in (b"2", b"3"):
                sys.exit("unexpected reply: %r" % r)
    def eof(self):
        try:
            while True:
                self.fill()
        except (EOFError, OSError):     # OSError: reset, TLS without close_notify
            pass
        show(self.buf)
        self.buf = b""
        OUT.write(b"<EOF>\n")
    def starttls(self):
        assert self.buf == b"", "server said more than 220 to STARTTLS: %r" % self.buf
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        self.s = ctx.wrap_socket(self.s)
    def close(self):
        self.s.close()

def txn(helo="client.example"):
    """a client that said EHLO, MAIL, RCPT and DATA and got 354"""
    c = Client()
    c.quiet()
    c.quiet("EHLO %s\r\n" % helo)
    c.quiet("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
    return c
EOF
)

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

smtp_py() {
	"$PY" -c "$PYLIB"$'\n'"$(cat)"
}

# ---- helpers of this file ---------------------------------------------------

# smtpd [VAR=value...]: ms-smtpd under tcpserver with these settings.
smtpd() {
	start_tcpserver env MS_HOSTNAME=mx.test.example "$@" ms-smtpd
}

# spool_one [MAILDIR]: exactly one message in MAILDIR/new (default the in
# spool) and nothing in its tmp/; the message's path in $F.
spool_one() {
	local dir=${1:-$MS_SPOOL/in} n
	n=$(count_files "$dir/new")
	[ "$n" -eq 1 ] || fail "expected 1 message in $dir/new, found $n"
	n=$(count_files "$dir/tmp")
	[ "$n" -eq 0 ] || fail "expected nothing in $dir/tmp, found $n"
	F=$(find "$dir/new" -type f)
}

# spool_none [MAILDIR]: nothing in MAILDIR/new or MAILDIR/tmp.
spool_none() {
	local dir=${1:-$MS_SPOOL/in}
	[ ! -d "$dir" ] || [ "$(find "$dir" -type f | wc -l)" -eq 0 ] ||
	    fail "expected an empty spool $dir, found: $(find "$dir" -type f)"
}

# split_spool FILE: the spool file's envelope block into $D/block, its
# Received: field into $D/received, the message after it into $D/message.
split_spool() {
	"$PY" - "$1" "$D" <<'EOF'
import sys
d = open(sys.argv[1], "rb").read()
i = d.index(b"\nReceived: ") + 1
j = d.index(b";\n\t", i)
k = d.index(b"\n", j + 3) + 1
for name, part in (("block", d[:i]), ("received", d[i:k]), ("message", d[k:])):
    open(sys.argv[2] + "/" + name, "wb").write(part)
EOF
}

# check_received HELO WITH [RCPT]: $D/received is ms-smtpd's field for a
# client at 127.0.0.1 that said HELO, received WITH (SMTP, ESMTP, ESMTPS),
# naming RCPT when there was exactly one recipient.
check_received() {
	{
		printf 'Received: from %s (unknown [127.0.0.1])\n' "$1"
		printf '\tby mx.test.example (mailscan) with %s' "$2"
		if [ -n "${3-}" ]; then printf '\n\tfor <%s>;\n' "$3"; else printf ';\n'; fi
	} >"$D/want.received"
	head -n -1 "$D/received" | cmp - "$D/want.received"
	tail -n 1 "$D/received" | grep -Eq $'^\t[A-Z][a-z]{2}, [0-9]{2} [A-Z][a-z]{2} [0-9]{4} [0-9]{2}:[0-9]{2}:[0-9]{2} [+-][0-9]{4}$' ||
	    fail "bad date line in Received: $(tail -n 1 "$D/received")"
}

# stage NAME <<'EOF' ... EOF: an executable shell script $D/stages/NAME.
stage() {
	mkdir -p "$D/stages"
	{ echo '#!/bin/sh'; cat; } >"$D/stages/$1"
	chmod 755 "$D/stages/$1"
}

setup_file() {
	# One throwaway certificate for the STARTTLS tests.
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
	    -keyout "$BATS_FILE_TMPDIR/key.pem" -out "$BATS_FILE_TMPDIR/cert.pem" \
	    -days 2 -subj /CN=mx.test.example 2>/dev/null
}

setup() {
	unset MS_QUEUE MS_QUEUE_ALT MS_QUEUE_TIMEOUT MS_MAXSIZE MS_MAXRCPT \
	    MS_MAXHOPS MS_MAXERRORS MS_TIMEOUT MS_SESSION_TIMEOUT MS_TLSCERT \
	    MS_TLSKEY MS_HOSTNAME MS_SUBSCRIBERS
	export D=$BATS_TEST_TMPDIR
	mkspool
	CERT=$BATS_FILE_TMPDIR/cert.pem
	KEY=$BATS_FILE_TMPDIR/key.pem
}

teardown() {
	stop_servers
}

# ---- envelope, Received, message bytes --------------------------------------

@test "one recipient: exact envelope block, Received names the HELO and 127.0.0.1, message intact" {
	smtpd
	msg "$D/m.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --ehlo client.example \
	    --from alice@example.org --to bob@example.net --data "@$D/m.eml"
	assert_line '<-  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <alice@example.org>' \
	    'X-Mailscan-Rcpt: <bob@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 client.example' >"$D/want"
	cmp "$D/block" "$D/want"
	check_received client.example ESMTP bob@example.net
	# swaks ends the data with CRLF . CRLF after the file's own last line.
	{ cat "$D/m.eml"; echo; } >"$D/want"
	cmp "$D/message" "$D/want"
	grep -q '^ms-smtpd: info: 127.0.0.1: accepted from <alice@example.org> for 1 recipient, ' "$D/server.log"
}

@test "many recipients (swaks --pipeline): one Rcpt line each, in order, duplicates kept, and the trust level" {
	smtpd MS_TRUST=trusted
	msg "$D/m.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --pipeline --ehlo many.example \
	    --from list@example.org \
	    --to a@example.net,b@example.net,c@example.com,a@example.net \
	    --data "@$D/m.eml"
	assert_line ' -> RCPT TO:<c@example.com>'
	assert_line '<-  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <list@example.org>' \
	    'X-Mailscan-Rcpt: <a@example.net>' 'X-Mailscan-Rcpt: <b@example.net>' \
	    'X-Mailscan-Rcpt: <c@example.com>' 'X-Mailscan-Rcpt: <a@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 many.example' \
	    'X-Mailscan-Trust: trusted' >"$D/want"
	cmp "$D/block" "$D/want"
	check_received many.example ESMTP	# no "for" with several recipients
	{ cat "$D/m.eml"; echo; } >"$D/want"
	cmp "$D/message" "$D/want"
}

@test "HELO and the null sender <>: Return-Path: <>, Received says SMTP" {
	smtpd
	run -0 smtp_py <<'EOF'
c = Client()
c.hear()
c.say("HELO plain.example\r\n")
c.say("MAIL FROM:<>\r\n")
c.say("RCPT TO:<bob@example.net>\r\n")
c.say("DATA\r\n")
c.say(wire(b"Subject: bounce\n\nundeliverable\n"))
c.say("QUIT\r\n")
c.eof()
EOF
	assert_output - <<'EOF'
220 mx.test.example ESMTP mailscan
250 mx.test.example
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
221 2.0.0 bye
<EOF>
EOF
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <>' 'X-Mailscan-Rcpt: <bob@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 plain.example' >"$D/want"
	cmp "$D/block" "$D/want"
	check_received plain.example SMTP bob@example.net
	printf 'Subject: bounce\n\nundeliverable\n' | cmp - "$D/message"
}

@test "PIPELINING: commands in one packet, every reply right, two transactions in one session" {
	smtpd
	run -0 smtp_py <<'EOF'
c = Client()
c.hear()
c.say("EHLO pipe.example\r\n")
c.say("MAIL FROM:<p@example.org>\r\nRCPT TO:<one@example.net>\r\n"
      "RCPT TO:<bad address@example.net>\r\nRCPT TO:<two@example.net>\r\nDATA\r\n", 5)
c.say(wire(b"Subject: first\n\nbody 1\n") +
      b"MAIL FROM:<q@example.org>\r\nRSET\r\nRCPT TO:<x@example.net>\r\n"
      b"MAIL FROM:<q@example.org>\r\nRCPT TO:<three@example.net>\r\nDATA\r\n", 7)
c.say(wire(b"Subject: second\n\nbody 2\n") + b"NOOP\r\nQUIT\r\n", 3)
c.eof()
EOF
	assert_output - <<'EOF'
220 mx.test.example ESMTP mailscan
250-mx.test.example
250-PIPELINING
250-SIZE 52428800
250-8BITMIME
250 ENHANCEDSTATUSCODES
250 2.1.0 sender ok
250 2.1.5 recipient ok
553 5.1.3 bad recipient address
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
250 2.1.0 sender ok
250 2.0.0 ok
503 5.5.1 MAIL first
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
250 2.0.0 ok
221 2.0.0 bye
<EOF>
EOF
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 2 ]
	F=$(grep -l '^Subject: first$' "$MS_SPOOL"/in/new/*)
	split_spool "$F"
	printf '%s\n' 'Return-Path: <p@example.org>' 'X-Mailscan-Rcpt: <one@example.net>' \
	    'X-Mailscan-Rcpt: <two@example.net>' 'X-Mailscan-Client: 127.0.0.1 pipe.example' >"$D/want"
	cmp "$D/block" "$D/want"
	printf 'Subject: first\n\nbody 1\n' | cmp - "$D/message"
	F=$(grep -l '^Subject: second$' "$MS_SPOOL"/in/new/*)
	split_spool "$F"
	printf '%s\n' 'Return-Path: <q@example.org>' 'X-Mailscan-Rcpt: <three@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 pipe.example' >"$D/want"
	cmp "$D/block" "$D/want"
	printf 'Subject: second\n\nbody 2\n' | cmp - "$D/message"
}

@test "8-bit body and NUL bytes survive byte for byte (CRLF -> LF, dot-unstuffed)" {
	smtpd
	run -0 smtp_py <<'EOF'
allbytes = bytes(b for b in range(256) if b not in (10, 13))
lines = [b"Subject: caf\xc3\xa9 \xff", b"Content-Transfer-Encoding: 8bit", b"",
         allbytes, b"\0", b"\0\0\0 NUL line \0", b"a\rb: a bare CR inside a line",
         b".\0 a dot then NUL", b"..", b"\xff\xfe\xfd\x80", b"", b"last\0"]
expect = b"".join(l + b"\n" for l in lines)
open(D + "/want", "wb").write(expect)
c = Client()
c.quiet()
c.quiet("EHLO eight.example\r\n")
c.say("MAIL FROM:<alice@example.org> BODY=8BITMIME\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.say(wire(expect))
EOF
	assert_output - <<'EOF'
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
EOF
	spool_one
	split_spool "$F"
	cmp "$D/message" "$D/want"
}

@test "dot lines in the message, dot-stuffed by swaks, come back as the same lines" {
	smtpd
	# Not "." as the last line: swaks takes a trailing LF "." LF as the end
	# of data itself, and sends it unstuffed.
	printf 'Subject: dots\n\n.\nbefore\n.\n..\n...\n.hidden\n.\nend.\n' >"$D/dots.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --from a@example.org --to b@example.net \
	    --data "@$D/dots.eml"
	assert_line $' -> ..hidden\r'	# swaks did stuff the dots (and shows the CR)
	assert_line '<-  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	{ cat "$D/dots.eml"; echo; } | cmp - "$D/message"
}

@test "bare LF ends a line but LF.LF and LF.CRLF do not end the data; CRLF.CRLF does" {
	smtpd
	# The lines after LF "." LF would be a smuggled second transaction if
	# that ended the data.
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.quiet("EHLO lf.example\r\n")
c.say("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.send(b"Subject: bare lf\nX-Test: one\r\n\r\nline one\nline two\r\n.\n"
       b"RSET\r\nMAIL FROM:<smuggled@example.org>\r\nRCPT TO:<victim@example.net>\r\n"
       b"DATA\r\n\n.\r\nnot the end either\r\n.\r\n")
c.hear()
c.say("QUIT\r\n")
c.eof()
EOF
	assert_output - <<'EOF'
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
221 2.0.0 bye
<EOF>
EOF
	spool_one
	split_spool "$F"
	grep -q '^X-Mailscan-Rcpt: <bob@example.net>$' "$D/block"
	[ "$(grep -c '^X-Mailscan-Rcpt' "$D/block")" -eq 1 ]
	# Each "." line is dot-unstuffed like any other (an empty line), as
	# Postfix does.
	printf '%s\n' 'Subject: bare lf' 'X-Test: one' '' 'line one' 'line two' '' \
	    'RSET' 'MAIL FROM:<smuggled@example.org>' 'RCPT TO:<victim@example.net>' \
	    'DATA' '' '' 'not the end either' | cmp - "$D/message"
}

@test "a 1 MB line in the message is accepted intact" {
	smtpd
	run -0 smtp_py <<'EOF'
body = b"Subject: long line\n\n" + bytes(b"0123456789abcdef"[i % 16] for i in range(1 << 20)) + b"\nend\n"
open(D + "/want", "wb").write(body)
c = txn()
c.say(wire(body))
EOF
	assert_output '250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	cmp "$D/message" "$D/want"
}

# ---- size limits ------------------------------------------------------------

@test "SIZE: EHLO announces MS_MAXSIZE, MAIL with a larger SIZE gets 552, a bad one 501" {
	smtpd MS_MAXSIZE=10k
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.say("EHLO size.example\r\n")
c.say("MAIL FROM:<a@example.org> SIZE=10241\r\n")
c.say("MAIL FROM:<a@example.org> SIZE=12x\r\n")
c.say("MAIL FROM:<a@example.org> SIZE=\r\n")
c.say("RCPT TO:<b@example.net>\r\n")
c.say("MAIL FROM:<a@example.org> SIZE=10240\r\n")
c.say("QUIT\r\n")
EOF
	assert_output - <<'EOF'
250-mx.test.example
250-PIPELINING
250-SIZE 10240
250-8BITMIME
250 ENHANCEDSTATUSCODES
552 5.3.4 message too big
501 5.5.4 bad SIZE parameter
501 5.5.4 bad SIZE parameter
503 5.5.1 MAIL first
250 2.1.0 sender ok
221 2.0.0 bye
EOF
}

@test "SIZE: a message larger than MS_MAXSIZE gets 552 at the end of DATA and nothing is queued" {
	smtpd MS_MAXSIZE=10k
	run -0 smtp_py <<'EOF'
c = txn()
big = b"Subject: big\n\n" + b"".join(b"%05d %s\n" % (i, b"x" * 64) for i in range(300))
c.say(wire(big))
c.say("RCPT TO:<bob@example.net>\r\n")      # the transaction is over
c.say("NOOP\r\n")
# data within MS_MAXSIZE, but the spool file (block + Received + data) not
c.quiet("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.say(wire(b"Subject: almost\n\n" + b"y" * 10150 + b"\n"))
c.quiet("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.say(wire(b"Subject: small\n\n" + b"z" * 9000 + b"\n"))
EOF
	assert_output - <<'EOF'
552 5.3.4 message too big
503 5.5.1 MAIL first
250 2.0.0 ok
552 5.3.4 message too big
250 2.0.0 ok: queued
EOF
	spool_one
	grep -q '^Subject: small$' "$F"
	[ "$(stat -c %s "$F")" -le 10240 ]
	[ "$(grep -c 'larger than MS_MAXSIZE' "$D/server.log")" -eq 2 ]
}

@test "an oversized message also ends only at CRLF.CRLF: nothing is smuggled after the 552" {
	smtpd MS_MAXSIZE=1k
	run -0 smtp_py <<'EOF'
smuggled = (b"MAIL FROM:<ceo@bank.example>\r\nRCPT TO:<victim@example.net>\r\nDATA\r\n"
            b"Subject: smuggled\r\n\r\nwire the money\r\n")
c = txn()
c.send(b"Subject: padding\r\n\r\n" + b"x" * 2000 + b"\r\nxxxx\n.\r\n" + smuggled +
       b"yyyy\n.\n" + smuggled + b".\r\n")
c.hear()
c.say("QUIT\r\n")
c.eof()
EOF
	assert_output - <<'EOF'
552 5.3.4 message too big
221 2.0.0 bye
<EOF>
EOF
	spool_none
}

# ---- STARTTLS ---------------------------------------------------------------

@test "STARTTLS with swaks: message queued, Received says ESMTPS" {
	smtpd MS_TLSCERT="$CERT" MS_TLSKEY="$KEY"
	msg "$D/m.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --tls --ehlo tls.example \
	    --from alice@example.org --to bob@example.net --data "@$D/m.eml"
	assert_line '<-  250-STARTTLS'
	assert_line '<-  220 2.0.0 ready to start TLS'
	assert_line '<~  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	check_received tls.example ESMTPS bob@example.net
	{ cat "$D/m.eml"; echo; } | cmp - "$D/message"
}

@test "STARTTLS: the EHLO before TLS is forgotten; a pipelined burst under TLS; MAIL without a new EHLO" {
	smtpd MS_TLSCERT="$CERT" MS_TLSKEY="$KEY"
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.quiet("EHLO before.example\r\n")
c.say("STARTTLS\r\n")
c.starttls()
c.say("EHLO after.example\r\n")
c.say("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.say(wire(b"Subject: after\n\nunder TLS\n") + b"STARTTLS\r\nQUIT\r\n", 3)
c.eof()
# Second session: a transaction begun before STARTTLS is forgotten too;
# MAIL straight after the handshake, with no new EHLO, is taken.
c = Client()
c.quiet()
c.quiet("EHLO before.example\r\n")
c.quiet("MAIL FROM:<early@example.org>\r\n")
c.quiet("STARTTLS\r\n")
c.starttls()
c.say("RCPT TO:<carol@example.net>\r\n")
c.say("MAIL FROM:<alice@example.org>\r\nRCPT TO:<carol@example.net>\r\nDATA\r\n", 3)
c.say(wire(b"Subject: no ehlo\n\nunder TLS\n") + b"QUIT\r\n", 2)
EOF
	assert_output - <<'EOF'
220 2.0.0 ready to start TLS
250-mx.test.example
250-PIPELINING
250-SIZE 52428800
250-8BITMIME
250 ENHANCEDSTATUSCODES
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
502 5.5.1 STARTTLS not available
221 2.0.0 bye
<EOF>
503 5.5.1 MAIL first
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
221 2.0.0 bye
EOF
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 2 ]
	split_spool "$(grep -l '^Subject: after$' "$MS_SPOOL"/in/new/*)"
	grep -qx 'X-Mailscan-Client: 127.0.0.1 after.example' "$D/block"
	check_received after.example ESMTPS bob@example.net
	split_spool "$(grep -l '^Subject: no ehlo$' "$MS_SPOOL"/in/new/*)"
	grep -qx 'X-Mailscan-Client: 127.0.0.1 unknown' "$D/block"
	check_received unknown ESMTPS carol@example.net
}

@test "STARTTLS: a 3 MB pipelined burst under TLS (1200 RCPTs, then the message and QUIT in one write)" {
	smtpd MS_TLSCERT="$CERT" MS_TLSKEY="$KEY"
	run -0 smtp_py <<'EOF'
rcpts = ["r%04d@example.net" % i for i in range(1200)]
c = Client()
c.quiet()
c.quiet("EHLO burst.example\r\n")
c.quiet("STARTTLS\r\n")
c.starttls()
c.quiet("EHLO burst.example\r\n")
c.send("MAIL FROM:<alice@example.org>\r\n" +
       "".join("RCPT TO:<%s>\r\n" % r for r in rcpts) + "DATA\r\n")
got = [c.reply() for _ in range(1202)]
assert got[:1001] == [b"250 2.1.0 sender ok\r\n"] + [b"250 2.1.5 recipient ok\r\n"] * 1000
assert got[1001:1201] == [b"452 4.5.3 too many recipients\r\n"] * 200
show(got[1201])
body = b"Subject: burst\n\n" + (b"y" * 998 + b"\n") * 3000
open(D + "/want", "wb").write(body)
c.say(wire(body) + b"QUIT\r\n", 2)
c.eof()
EOF
	assert_output - <<'EOF'
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
221 2.0.0 bye
<EOF>
EOF
	spool_one
	split_spool "$F"
	[ "$(grep -c '^X-Mailscan-Rcpt: ' "$D/block")" -eq 1000 ]
	check_received burst.example ESMTPS
	cmp "$D/message" "$D/want"
}

@test "STARTTLS: commands pipelined in plaintext after STARTTLS are discarded" {
	smtpd MS_TLSCERT="$CERT" MS_TLSKEY="$KEY"
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.quiet("EHLO inject.example\r\n")
c.send("STARTTLS\r\nRSET\r\nMAIL FROM:<evil@example.org>\r\n")
c.hear()
c.starttls()        # fails if RSET or MAIL was answered in plaintext
c.say("HELP\r\n")   # the first reply under TLS is HELP's, not RSET's
c.say("EHLO inject.example\r\n")
c.say("RCPT TO:<bob@example.net>\r\n")  # no MAIL was taken
c.say("QUIT\r\n")
c.eof()
EOF
	assert_output - <<'EOF'
220 2.0.0 ready to start TLS
214 2.0.0 see RFC 5321; commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP
250-mx.test.example
250-PIPELINING
250-SIZE 52428800
250-8BITMIME
250 ENHANCEDSTATUSCODES
503 5.5.1 MAIL first
221 2.0.0 bye
<EOF>
EOF
	spool_none
}

@test "STARTTLS: not offered when the certificate cannot be read, 454 when it cannot be loaded" {
	smtpd MS_TLSCERT="$D/missing.pem"
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.say("EHLO notls.example\r\n")
c.say("STARTTLS\r\n")
c.say("NOOP\r\n")
EOF
	assert_output - <<'EOF'
250-mx.test.example
250-PIPELINING
250-SIZE 52428800
250-8BITMIME
250 ENHANCEDSTATUSCODES
502 5.5.1 STARTTLS not available
250 2.0.0 ok
EOF
	grep -q 'unable to read MS_TLSCERT or MS_TLSKEY' "$D/server.log"
	stop_servers
	# Readable but not a certificate: offered, then 454, and the session
	# goes on in the clear.
	echo 'not a certificate' >"$D/junk.pem"
	smtpd MS_TLSCERT="$D/junk.pem"
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.say("EHLO notls.example\r\n")
c.say("STARTTLS\r\n")
c.say("NOOP\r\n")
EOF
	assert_output - <<'EOF'
250-mx.test.example
250-PIPELINING
250-SIZE 52428800
250-8BITMIME
250-STARTTLS
250 ENHANCEDSTATUSCODES
454 4.7.0 TLS not available
250 2.0.0 ok
EOF
}

# ---- line lengths and recipient counts --------------------------------------

@test "a command line over 1000 bytes gets 500 5.5.2 and the session goes on" {
	smtpd
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.quiet("EHLO long.example\r\n")
c.say("NOOP " + "x" * 993 + "\r\n")     # 1000 bytes with CRLF
c.say("NOOP " + "x" * 994 + "\r\n")     # 1001 bytes
c.say("MAIL FROM:<" + "a" * 100000 + "@example.org>\r\n")
c.say("RCPT TO:<bob@example.net>\r\n")  # that MAIL did not count
c.say("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.say(wire(b"Subject: after a long line\n\nok\n"))
EOF
	assert_output - <<'EOF'
250 2.0.0 ok
500 5.5.2 line too long
500 5.5.2 line too long
503 5.5.1 MAIL first
250 2.1.0 sender ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
EOF
	spool_one
	grep -qx 'Return-Path: <alice@example.org>' "$F"
}

@test "1000 recipients accepted, the 1001st refused with 452 4.5.3, the message queued for 1000" {
	smtpd
	run -0 smtp_py <<'EOF'
rcpts = ["r%04d@example.net" % i for i in range(1001)]
c = Client()
c.quiet()
c.quiet("EHLO many.example\r\n")
c.send("MAIL FROM:<alice@example.org>\r\n" +
       "".join("RCPT TO:<%s>\r\n" % r for r in rcpts) + "DATA\r\n")
got = [c.reply() for _ in range(1003)]
assert got[0] == b"250 2.1.0 sender ok\r\n", got[0]
assert got[1:1001] == [b"250 2.1.5 recipient ok\r\n"] * 1000
show(got[1001])
show(got[1002])
c.say(wire(b"Subject: many\n\nhello all\n"))
open(D + "/want", "wb").write(
    ("Return-Path: <alice@example.org>\n" +
     "".join("X-Mailscan-Rcpt: <%s>\n" % r for r in rcpts[:1000]) +
     "X-Mailscan-Client: 127.0.0.1 many.example\n").encode())
EOF
	assert_output - <<'EOF'
452 4.5.3 too many recipients
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
EOF
	spool_one
	split_spool "$F"
	cmp "$D/block" "$D/want"
	grep -q 'for 1000 recipients' "$D/server.log"
}

# ---- lost connections and timeouts ------------------------------------------

@test "a client that disconnects mid-DATA leaves nothing in in/new or in/tmp" {
	smtpd
	run -0 smtp_py <<'EOF'
c = txn()
c.send(b"Subject: cut\r\n\r\nhalf a line without its end")
c.close()
c = txn()
c.send(b"Subject: cut too\r\n\r\n" + b"x" * 70 + b"\r\n" * 3000)
c.close()
EOF
	two_cut() { [ "$(grep -c 'disconnected during data, nothing queued' "$D/server.log")" -eq 2 ]; }
	wait_for two_cut
	spool_none
}

@test "MS_TIMEOUT: an idle client gets 421 4.4.2, during commands and during DATA" {
	smtpd MS_TIMEOUT=1
	run -0 smtp_py <<'EOF'
c = Client()
c.hear()
c.eof()
c = txn()
c.send("Subject: slow\r\n\r\nand then nothing")
c.eof()
EOF
	assert_output - <<'EOF'
220 mx.test.example ESMTP mailscan
421 4.4.2 timeout, closing connection
<EOF>
421 4.4.2 timeout reading data, closing connection
<EOF>
EOF
	spool_none
}

@test "MS_SESSION_TIMEOUT ends a session that keeps talking, with 421 4.4.2" {
	smtpd MS_SESSION_TIMEOUT=2
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
t = time.time()
try:
    while time.time() - t < 15:
        c.send("NOOP\r\n")
        r = c.reply()
        if not r.startswith(b"250 "):
            show(r)
            break
        time.sleep(0.2)
    c.eof()
except (EOFError, OSError):
    print("closed without a reply")
EOF
	assert_output - <<'EOF'
421 4.4.2 session time limit reached, closing connection
<EOF>
EOF
	grep -q 'timed out after 2 seconds: SMTP session' "$D/server.log"
}

@test "MS_SESSION_TIMEOUT under STARTTLS: the session ends, no plain text inside the TLS stream" {
	smtpd MS_SESSION_TIMEOUT=2 MS_TLSCERT="$CERT" MS_TLSKEY="$KEY"
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.quiet("EHLO tls.example\r\n")
c.quiet("STARTTLS\r\n")
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
c.s = ctx.wrap_socket(c.s)
t = time.time()
try:
    while time.time() - t < 15:
        c.quiet("NOOP\r\n")
        time.sleep(0.2)
except (EOFError, OSError) as e:
    print("closed", "ssl" if isinstance(e, ssl.SSLError) and "WRONG_VERSION" in str(e) else "")
EOF
	assert_output 'closed '
	grep -q 'timed out after 2 seconds: SMTP session' "$D/server.log"
}

# ---- the MS_QUEUE chain -----------------------------------------------------

@test "MS_QUEUE: a stage exiting 100 gives 554 with its reason, nothing queued" {
	stage scan <<'EOF'
cat >/dev/null
echo "scan: info: looking at it" >&2
echo "scan: fatal: 5.7.1 virus found" >&2
exit 100
EOF
	stage plain <<'EOF'
cat >/dev/null
echo "plain: fatal: refused for no reason" >&2
exit 100
EOF
	smtpd MS_QUEUE="$D/stages/scan"
	run -0 smtp_py <<'EOF'
c = txn()
c.say(wire(b"Subject: infected\n\nX5O!P%@AP\n"))
c.say("NOOP\r\n")
EOF
	assert_output - <<'EOF'
554 5.7.1 virus found
250 2.0.0 ok
EOF
	spool_none
	grep -q '^scan: info: looking at it$' "$D/server.log"	# stderr passed on
	stop_servers
	smtpd MS_QUEUE="$D/stages/plain"
	run -0 smtp_py <<<'c = txn(); c.say(wire(b"Subject: x\n\nx\n"))'
	assert_output '554 5.6.0 refused for no reason'
	spool_none
}

@test "MS_QUEUE: exit 111, other codes, a crash, a missing program and MS_QUEUE_TIMEOUT give 451; exit 99 gives 250" {
	stage temp <<'EOF'
cat >/dev/null
echo "temp: fatal: 4.4.1 clamd not reachable" >&2
exit 111
EOF
	stage temp2 <<'EOF'
echo "temp2: fatal: unable to write: disk full" >&2
exit 111
EOF
	stage odd <<'EOF'
cat >/dev/null
echo "odd: fatal: 5.7.1 a permanent-looking reason" >&2
exit 3
EOF
	stage crash <<'EOF'
cat >/dev/null
kill -9 $$
EOF
	stage slow <<'EOF'
exec sleep 30
EOF
	# Nothing to read from it: only the process itself tells it is done.
	stage mute <<'EOF'
exec <&- >&- 2>&-
exec sleep 30
EOF
	stage drop <<'EOF'
cat >/dev/null
echo "drop: info: held for later" >&2
exit 99
EOF
	for s in temp temp2 odd crash missing slow mute drop; do
		t=60
		case $s in slow|mute) t=1 ;; esac
		smtpd MS_QUEUE="$D/stages/$s" MS_QUEUE_TIMEOUT=$t
		run -0 smtp_py <<<'c = txn(); c.say(wire(b"Subject: x\n\nx\n"))'
		echo "$s: $output" >>"$D/replies"
		stop_servers
	done
	# A stage's own 4.x.x reason reaches the client; any other reason
	# (paths, system errors) is only logged.
	run -0 cat "$D/replies"
	assert_output - <<EOF
temp: 451 4.4.1 clamd not reachable
temp2: 451 4.3.0 temporary failure, try again later
odd: 451 4.3.0 temporary failure, try again later
crash: 451 4.3.0 temporary failure, try again later
missing: 451 4.3.0 temporary failure, try again later
slow: 451 4.3.0 temporary failure, try again later
mute: 451 4.3.0 temporary failure, try again later
drop: 250 2.0.0 ok: queued
EOF
	grep -q "deferred by the chain: $D/stages/crash crashed (signal 9)" "$D/server.log"
	grep -q "deferred by the chain: $D/stages/slow timed out after 1 seconds" "$D/server.log"
	grep -q "deferred by the chain: unable to write: disk full" "$D/server.log"
	spool_none
	# 99: the log names what the stage said it did
	grep -q '^ms-smtpd: info: 127.0.0.1: accepted from <alice@example.org> for 1 recipient, .*held for later$' "$D/server.log"
}

@test "MS_QUEUE: exit 1 gives 554 without MS_QUEUE_ALT, runs MS_QUEUE_ALT when set (451 if that exits 1)" {
	stage infected <<'EOF'
cat
echo "infected: fatal: 5.7.1 Eicar-Test-Signature" >&2
exit 1
EOF
	smtpd MS_QUEUE="$D/stages/infected"
	run -0 smtp_py <<<'c = txn(); c.say(wire(b"Subject: x\n\nx\n"))'
	assert_output '554 5.7.1 message refused'
	grep -q "^ms-smtpd: info: $D/stages/infected: 5.7.1 Eicar-Test-Signature\$" "$D/server.log"
	spool_none
	stop_servers
	# MS_QUEUE_ALT exiting 1 in turn: 451
	smtpd MS_QUEUE="$D/stages/infected" MS_QUEUE_ALT="$D/stages/infected"
	run -0 smtp_py <<<'c = txn(); c.say(wire(b"Subject: x\n\nx\n"))'
	assert_output --regexp '^451 '
	spool_none
	stop_servers
	smtpd MS_QUEUE="$D/stages/infected" MS_QUEUE_ALT="ms-queue $MS_SPOOL/alt"
	run -0 smtp_py <<<'c = txn(); c.say(wire(b"Subject: to alt\n\nx\n"))'
	assert_output '250 2.0.0 ok: queued'
	spool_none
	spool_one "$MS_SPOOL/alt"
	grep -qx 'Subject: to alt' "$F"
	grep -qx 'X-Mailscan-Rcpt: <bob@example.net>' "$F"
}

@test "MS_QUEUE=ms-queue end to end; a two-stage chain whose first stage adds a header" {
	smtpd MS_QUEUE=ms-queue
	msg "$D/m.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --ehlo client.example \
	    --from alice@example.org --to bob@example.net --data "@$D/m.eml"
	assert_line '<-  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <alice@example.org>' 'X-Mailscan-Rcpt: <bob@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 client.example' >"$D/want"
	cmp "$D/block" "$D/want"
	check_received client.example ESMTP bob@example.net
	{ cat "$D/m.eml"; echo; } | cmp - "$D/message"
	grep -q '^ms-queue: info: .*queued from <alice@example.org> for 1 recipient' "$D/server.log"
	rm "$F"
	stop_servers

	# The first stage puts its header line in front of Received:, after
	# the envelope block; its arguments come from MS_QUEUE, split on blanks.
	# It also leaves a child behind that holds its stdout and stderr: the
	# stage is done when it exits, whatever its children do.
	stage addhdr <<'EOF'
sleep 3 &
awk -v h="$*" '!done && /^Received:/ { print h; done = 1 } { print }'
EOF
	smtpd MS_QUEUE="$D/stages/addhdr X-Stage: seen  by   stage1 | ms-queue" MS_QUEUE_TIMEOUT=2
	run -0 swaks --server "127.0.0.1:$PORT" --ehlo client.example \
	    --from alice@example.org --to bob@example.net --data "@$D/m.eml"
	assert_line '<-  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <alice@example.org>' 'X-Mailscan-Rcpt: <bob@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 client.example' 'X-Stage: seen by stage1' >"$D/want"
	cmp "$D/block" "$D/want"
	{ cat "$D/m.eml"; echo; } | cmp - "$D/message"
}

@test "SSL_PROTOCOL from a TLS proxy: no STARTTLS offered, Received says ESMTPS" {
	smtpd MS_TLSCERT="$CERT" MS_TLSKEY="$KEY" SSL_PROTOCOL=TLSv1.3
	msg "$D/m.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --ehlo proxied.example \
	    --from alice@example.org --to bob@example.net --data "@$D/m.eml"
	refute_line '<-  250-STARTTLS'
	assert_line '<-  250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	check_received proxied.example ESMTPS bob@example.net
}

@test "a setting that cannot be used (a number, MS_QUEUE, MS_QUEUE_ALT): 421 4.3.5 as the greeting, no mail taken" {
	for v in MS_MAXSIZE=lots MS_TIMEOUT=-1 MS_MAXRCPT=9x MS_TRUST_WINDOW=day \
	    'MS_QUEUE=ms-queue || ms-queue' 'MS_QUEUE=ms-queue |' 'MS_QUEUE_ALT= | ms-queue'; do
		smtpd MS_QUEUE=ms-queue "$v"
		run -0 smtp_py <<<'c = Client(); c.eof()'
		assert_output - <<'EOF'
421 4.3.5 mail system configuration error, try again later
<EOF>
EOF
		stop_servers
	done
	[ "$(grep -c 'fatal: unable to parse' "$D/server.log")" -eq 4 ]
	[ "$(grep -c 'is malformed' "$D/server.log")" -eq 3 ]
	spool_none
}

@test "an unwritable spool gives 451 (the client keeps the message), in-process and with ms-queue" {
	: >"$D/file"
	smtpd MS_SPOOL="$D/file/spool"
	msg "$D/m.eml"
	run -26 swaks --server "127.0.0.1:$PORT" --from alice@example.org \
	    --to bob@example.net --data "@$D/m.eml"
	assert_line '<** 451 4.3.0 unable to queue the message'	# the cause is not told
	grep -q 'unable to open spool .*: Not a directory' "$D/server.log"
	grep -q 'deferred from <alice@example.org>' "$D/server.log"
	stop_servers
	smtpd MS_SPOOL="$D/file/spool" MS_QUEUE=ms-queue
	run -0 smtp_py <<<'c = txn(); c.say(wire(b"Subject: x\n\nx\n")); c.say("RSET\r\n")'
	assert_line --index 0 --regexp '^451 4\.3\.0 '
	assert_line --index 1 '250 2.0.0 ok'
	[ -f "$D/file" ]
	[ ! -s "$D/file" ]
	spool_none
}

# ---- what must not come from outside ----------------------------------------

@test "forged X-Mailscan-* fields (plain, folded, any case) and Return-Path are removed; X-Mailscan-Status stays" {
	smtpd
	run -0 smtp_py <<'EOF'
msg = (b"Return-Path: <forged@example.com>\n"
       b"From: Mallory <m@example.com>\n"
       b"X-Mailscan-Verdict: clamav clean\n"
       b"X-Mailscan-Rcpt: <extra@example.com>\n"
       b"Subject: forged\n"
       b"X-Mailscan-Trust: high\n\tfolded onto a second line\n  and a third\n"
       b"x-mailscan-client: 10.0.0.1 trusted.example\n"
       b"X-Mailscan-Verdict : yara clean\n"
       b"X-Mailscan-Status: clean; by=scan.example; s=abc\n"
       b"X-Mailscan-Error: none\n"
       b"To: bob@example.net\n"
       b"\n"
       b"X-Mailscan-Verdict: in the body, which is the body's business\n"
       b"Return-Path: <body@example.com>\n")
c = txn()
c.say(wire(msg))
EOF
	assert_output '250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <alice@example.org>' 'X-Mailscan-Rcpt: <bob@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 client.example' >"$D/want"
	cmp "$D/block" "$D/want"
	printf '%s\n' 'From: Mallory <m@example.com>' 'Subject: forged' \
	    'X-Mailscan-Status: clean; by=scan.example; s=abc' 'To: bob@example.net' '' \
	    "X-Mailscan-Verdict: in the body, which is the body's business" \
	    'Return-Path: <body@example.com>' | cmp - "$D/message"
}

@test "data that starts with white space cannot fold into Received:; what follows stays body" {
	smtpd
	run -0 smtp_py <<'EOF'
data = (b" X-Mailscan-Rcpt: <extra@example.com>\n"
        b"X-Mailscan-Verdict: clamav clean\n"
        b"Return-Path: <forged@example.com>\n"
        b"Received: from a.example\nReceived: from b.example\n"
        b"\nbody\n")
open(D + "/want", "wb").write(b"\n" + data)
c = txn()
c.say(wire(data))
EOF
	assert_output '250 2.0.0 ok: queued'
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <alice@example.org>' 'X-Mailscan-Rcpt: <bob@example.net>' \
	    'X-Mailscan-Client: 127.0.0.1 client.example' >"$D/want.block"
	cmp "$D/block" "$D/want.block"
	check_received client.example ESMTP bob@example.net
	# An empty line ends the header right after Received:.
	cmp "$D/message" "$D/want"
}

@test "MS_MAXHOPS=3: four Received fields get 554 5.4.6, three are accepted" {
	smtpd MS_MAXHOPS=3
	run -0 smtp_py <<'EOF'
hop = b"Received: from a.example by b.example;\n\tMon, 3 Jun 2024 10:00:00 +0000\n"
c = txn()
c.say(wire(hop * 4 + b"Subject: loop\n\nround and round\n"))
c.quiet("MAIL FROM:<alice@example.org>\r\nRCPT TO:<bob@example.net>\r\nDATA\r\n", 3)
c.say(wire(hop * 3 + b"Subject: three hops\n\nfine\n"))
EOF
	assert_output - <<'EOF'
554 5.4.6 too many hops, this message is looping
250 2.0.0 ok: queued
EOF
	spool_one
	grep -qx 'Subject: three hops' "$F"
	[ "$(grep -c '^Received:' "$F")" -eq 4 ]	# three and ours
}

# ---- commands, errors, sequencing -------------------------------------------

@test "VRFY 252, NOOP, RSET, HELP; an unknown command gets 500 without echoing its bytes" {
	smtpd
	run -0 smtp_py <<'EOF'
c = Client()
c.hear()
c.quiet("EHLO cmd.example\r\n")
c.say("VRFY bob\r\n")
c.say("NOOP\r\n")
c.say("MAIL FROM:<alice@example.org>\r\n")
c.say("RSET\r\n")
c.say("RCPT TO:<bob@example.net>\r\n")
c.say("HELP\r\n")
c.say("\x1b[31mEVIL\x1b[0m <b>\xff\r\n".encode("latin-1"))
c.say("EXPN staff\r\n")
c.say("noop\r\n")
c.say("QUIT\r\n")
c.eof()
EOF
	assert_output - <<'EOF'
220 mx.test.example ESMTP mailscan
252 2.0.0 cannot VRFY, but will take a message for this address
250 2.0.0 ok
250 2.1.0 sender ok
250 2.0.0 ok
503 5.5.1 MAIL first
214 2.0.0 see RFC 5321; commands: HELO EHLO MAIL RCPT DATA RSET NOOP QUIT VRFY HELP
500 5.5.1 command unrecognized
502 5.5.1 command not implemented
250 2.0.0 ok
221 2.0.0 bye
<EOF>
EOF
	[[ $output != *$'\e'* ]]
	[[ $output != *EVIL* ]]
}

@test "MS_MAXERRORS=3: the third error gets its reply, then 421 and the connection closes" {
	smtpd MS_MAXERRORS=3
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.say("FOO\r\n")
c.say("MAIL FROM:alice@example.org\r\n")
c.send("EXPN staff\r\n")
c.eof()
EOF
	assert_output - <<'EOF'
500 5.5.1 command unrecognized
501 5.5.4 syntax error in parameters or arguments
502 5.5.1 command not implemented
421 4.7.0 too many errors, closing connection
<EOF>
EOF
	grep -q 'too many errors, disconnected' "$D/server.log"
}

@test "MAIL, RCPT and DATA out of order or with bad addresses or parameters" {
	smtpd
	run -0 smtp_py <<'EOF'
c = Client()
c.quiet()
c.quiet("EHLO order.example\r\n")
c.say("RCPT TO:<bob@example.net>\r\n")
c.say("DATA\r\n")
c.say("MAIL FROM:<al\x01ice@example.org>\r\n")
c.say("MAIL FROM:alice@example.org\r\n")
c.say("MAIL FROM:<alice@example.org\r\n")
c.say("MAIL FROM:<al ice@example.org>\r\n")
c.say("MAIL FROM:<alice@example.org> FOO=bar\r\n")
c.say("MAIL FROM:<alice@example.org> BODY=BINARYMIME\r\n")
c.say("MAIL FROM:<alice@example.org> BODY=8BITMIME\r\n")
c.say("MAIL FROM:<carol@example.org>\r\n")
c.say("DATA\r\n")
c.say("RCPT TO:<>\r\n")
c.say("RCPT TO:<bob\x7f@example.net>\r\n")
c.say("RCPT TO:bob@example.net\r\n")
c.say("RCPT TO:<bob@example.net> NOTIFY=NEVER\r\n")
c.say("RCPT TO:<postmaster>\r\n")
c.say("RCPT TO:<@relay.example,@b.example:bob@example.net>\r\n")
c.say("DATA\r\n")
c.say(wire(b"Subject: in order at last\n\nok\n"))
EOF
	assert_output - <<'EOF'
503 5.5.1 MAIL first
503 5.5.1 MAIL first
553 5.1.7 bad sender address
501 5.5.4 syntax error in parameters or arguments
501 5.5.4 syntax error in parameters or arguments
553 5.1.7 bad sender address
555 5.5.4 unsupported MAIL parameter
501 5.5.4 BODY must be 7BIT or 8BITMIME
250 2.1.0 sender ok
503 5.5.1 nested MAIL command
554 5.5.1 no valid recipients
553 5.1.3 empty recipient address
553 5.1.3 bad recipient address
501 5.5.4 syntax error in parameters or arguments
555 5.5.4 unsupported RCPT parameter
250 2.1.5 recipient ok
250 2.1.5 recipient ok
354 go ahead, end with <CRLF>.<CRLF>
250 2.0.0 ok: queued
EOF
	spool_one
	split_spool "$F"
	printf '%s\n' 'Return-Path: <alice@example.org>' 'X-Mailscan-Rcpt: <postmaster>' \
	    'X-Mailscan-Rcpt: <bob@example.net>' 'X-Mailscan-Client: 127.0.0.1 order.example' >"$D/want"
	cmp "$D/block" "$D/want"
}
