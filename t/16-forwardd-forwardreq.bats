#!/usr/bin/env bats
# ms-forwardd and ms-forwardreq, end to end over loopback with the real
# programs: a scanning-side spool ($SCAN) whose ms-relay holds mail for
# dyn.example in hold/dyn.example, ms-forwardd (and ms-forwardd -m odmr)
# under tcpserver on it, and a gateway ms-smtpd under tcpserver with a
# spool of its own ($GW).  Requests that ms-forwardreq cannot make (a
# replayed line, a skewed clock, malformed lines, raw ODMR dialogues) are
# made by a small python3 client (fw_py, below) that computes the MAC with
# the same key file.  Everything a server prints, the detached relays
# included, goes to $BATS_TEST_TMPDIR/server.log.

bats_require_minimum_version 1.5.0

load helper

# ---- the python client ------------------------------------------------------
#
# fw_py runs a python script read on stdin after this prelude.
#   req(dom, off, addr, port, nonce, k, t): a request line (no line end)
#       with its MAC under k (default: the key file of dom, or of
#       dyn.example when dom has none), time now + off unless t is given;
#   send(port, line): one connection, line sent as is, the reply printed
#       without its CRLF (the reply must be exactly one CRLF-ended line);
#   Odmr(port): a line-by-line SMTP client, every reply printed;
#       starttls(ca) wraps its socket in TLS, checking the certificate
#       against the CA file ca and the name 127.0.0.1; raw(bytes) sends
#       without waiting for a reply.
FWLIB=$(cat <<'EOF'
import base64, hashlib, hmac, os, socket, ssl, sys, time

def keyof(dom="dyn.example"):
    p = os.path.join(os.environ["MS_ETC"], "forward", dom)
    if not os.path.exists(p):
        p = os.path.join(os.environ["MS_ETC"], "forward", "dyn.example")
    with open(p, "rb") as f:
        return f.readline().rstrip(b"\r\n")

def req(dom="dyn.example", off=0, addr="-", port=25, nonce=None, k=None, t=None):
    if k is None:
        k = keyof(dom)
    if nonce is None:
        nonce = os.urandom(16).hex()
    if t is None:
        t = int(time.time()) + off
    text = "FORWARD %s %s %s %d %s" % (dom, addr, port, t, nonce)
    return text + " " + hmac.new(k, text.encode(), hashlib.sha256).hexdigest()

def send(port, line):
    if isinstance(line, str):
        line = line.encode("latin-1")
    s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
    s.sendall(line)
    s.shutdown(socket.SHUT_WR)
    r = b""
    try:
        while True:
            d = s.recv(4096)
            if not d:
                break
            r += d
    except ConnectionResetError:
        pass
    s.close()
    if not r.endswith(b"\r\n") or r.count(b"\n") != 1:
        sys.exit("not one CRLF-ended reply line: %r" % r)
    print(r[:-2].decode())

class Odmr:
    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", int(port)), timeout=20)
        self.f = self.s.makefile("rb")
    def hear(self):
        while True:
            l = self.f.readline()
            if not l.endswith(b"\r\n"):
                sys.exit("reply line without CRLF: %r" % l)
            print(l[:-2].decode())
            if l[3:4] != b"-":
                return l[:3].decode()
    def say(self, line):
        self.s.sendall(line.encode() + b"\r\n")
        return self.hear()
    def raw(self, b):
        self.s.sendall(b)
    def starttls(self, ca):
        ctx = ssl.create_default_context(cafile=ca)
        self.s = ctx.wrap_socket(self.s, server_hostname="127.0.0.1")
        self.f = self.s.makefile("rb")
        print("TLS", self.s.version())

def plain(user, pw):
    return base64.b64encode(b"\0" + user.encode() + b"\0" + pw).decode()
EOF
)

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3

fw_py() {
	"$PY" -c "$FWLIB"$'\n'"$(cat)"
}

# ---- helpers of this file ---------------------------------------------------

# hold FILE RCPT...: the scanning side's ms-relay holds FILE for RCPT...
# (route hold), as it does for a domain routed "hold"; it must exit 99.
hold() {
	local f=$1 rc=0
	shift
	env MS_SPOOL="$SCAN" MS_ROUTE=hold SENDER=alice@example.org RECIPIENTS="$*" \
	    ms-relay <"$f" 2>>"$T/hold.log" || rc=$?
	[ "$rc" -eq 99 ] || fail "hold: ms-relay exited $rc: $(tail -1 "$T/hold.log")"
}

# forwardd [VAR=value...]: ms-forwardd on the scanning spool; port in FPORT.
forwardd() {
	start_tcpserver env MS_SPOOL="$SCAN" MS_HOSTNAME=scan.test "$@" ms-forwardd
	FPORT=$PORT
}

# odmrd [VAR=value...]: ms-forwardd -m odmr on the scanning spool; OPORT.
odmrd() {
	start_tcpserver env MS_SPOOL="$SCAN" MS_HOSTNAME=scan.test "$@" ms-forwardd -m odmr
	OPORT=$PORT
}

# odmrd_tls NAME [VAR=value...]: odmrd with the certificate NAME.pem.
odmrd_tls() {
	local n=$1
	shift
	odmrd MS_TLSCERT="$C/$n.pem" MS_TLSKEY="$C/$n.key" "$@"
}

# pin NAME: the MS_ODMR_TLS_PIN of the certificate NAME.pem.
pin() {
	echo "SHA256:$(openssl x509 -in "$C/$1.pem" -outform DER | sha256sum | cut -d ' ' -f 1)"
}

# evil MODE: a hostile ODMR server on OPORT, for one connection: it
# offers STARTTLS and AUTH PLAIN and answers STARTTLS with 220, then, by
# MODE, "inject": plaintext replies in the same write; "plain": plaintext
# a moment later instead of the handshake; "silent": nothing.  What the
# client sends goes to $T/evil.in.
evil() {
	rm -f "$T/evil.port"
	BG_STDOUT=$T/evil.port start_bg "$PY" -c '
import socket, sys, time
mode, log = sys.argv[1], open(sys.argv[2], "wb", buffering=0)
l = socket.socket()
l.bind(("127.0.0.1", 0))
l.listen(1)
print(l.getsockname()[1], flush=True)
c, _ = l.accept()
f = c.makefile("rb")
c.sendall(b"220 evil.test ODMR\r\n")
for line in f:
    log.write(line)
    w = line[:8].upper()
    if w.startswith(b"EHLO"):
        c.sendall(b"250-evil.test\r\n250-STARTTLS\r\n250-AUTH PLAIN\r\n250 ATRN\r\n")
    elif w == b"STARTTLS":
        if mode == "inject":
            c.sendall(b"220 go ahead\r\n250-evil.test\r\n250-AUTH PLAIN\r\n250 ATRN\r\n")
        else:
            c.sendall(b"220 go ahead\r\n")
            if mode == "plain":
                time.sleep(0.3)
                c.sendall(b"250-evil.test\r\n250 AUTH PLAIN\r\n")
            else:
                time.sleep(10)
    elif w.startswith(b"AUTH"):
        c.sendall(b"235 thank you\r\n")
    else:
        c.sendall(b"250 ok\r\n")
' "$1" "$T/evil.in"
	wait_for grep -q '^[0-9][0-9]*$' "$T/evil.port"
	OPORT=$(cat "$T/evil.port")
}

# gateway: the gateway's ms-smtpd on its own spool; port in GPORT.
gateway() {
	start_tcpserver env MS_SPOOL="$GW" MS_HOSTNAME=gw.test ms-smtpd
	GPORT=$PORT
}

# fwreq [VAR=value...]: ms-forwardreq for dyn.example to ms-forwardd,
# announcing 127.0.0.1 and the gateway's port; the settings given win.
fwreq() {
	env MS_SPOOL="$GW" MS_FORWARD_ADDR=127.0.0.1 MS_FORWARD_PORT="${GPORT:-25}" "$@" \
	    ms-forwardreq dyn.example "127.0.0.1:$FPORT"
}

# odmrreq [VAR=value...]: ms-forwardreq -m odmr for dyn.example; the
# ms-smtpd it runs after ATRN queues into $GW.
odmrreq() {
	env MS_SPOOL="$GW" MS_HOSTNAME=gw.test "$@" \
	    ms-forwardreq -m odmr dyn.example "127.0.0.1:$OPORT"
}

# relays N: wait until N detached ms-relay runs have finished their pass.
relays() {
	wait_for eval '[ "$(grep -c "^ms-relay: info: stopping" "$T/server.log")" -ge '"$1"' ]'
}

# logged TEXT: server.log has a line with TEXT (fixed string).
logged() {
	grep -qF -- "$1" "$T/server.log" || fail "not in the log: $1"$'\n'"$(cat "$T/server.log")"
}

# free_port: a loopback port nothing listens on (bound, then let go).
free_port() {
	"$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# delivered FILE RCPT...: $GW/in/new holds exactly one message: the
# gateway's envelope block (Return-Path of the original sender, one
# X-Mailscan-Rcpt per RCPT, X-Mailscan-Client), its Received field for the
# scanning host (scan.test at 127.0.0.1), and FILE's bytes unchanged at
# the end.
delivered() {
	local f=$1 g r
	shift
	[ "$(count_files "$GW/in/new")" -eq 1 ] || fail "not one message in $GW/in/new"
	g=$(find "$GW/in/new" -type f)
	{
		echo 'Return-Path: <alice@example.org>'
		for r; do echo "X-Mailscan-Rcpt: <$r>"; done
	} >"$T/want.block"
	head -n $(( $# + 1 )) "$g" | cmp - "$T/want.block"
	sed -n "$(( $# + 2 ))p" "$g" | grep -q '^X-Mailscan-Client: 127\.0\.0\.1 scan\.test$'
	sed -n "$(( $# + 3 ))p" "$g" | grep -q '^Received: from scan\.test (unknown \[127\.0\.0\.1\])$'
	tail -c "$(wc -c <"$f")" "$g" | cmp - "$f"
}

# A CA and two server certificates it signed, made once for the file with
# openssl (EC P-256 keys: quick): good.pem for the IP address 127.0.0.1
# and scan.test, wrong.pem for wrong.test only.
setup_file() {
	local d=$BATS_FILE_TMPDIR/tls n
	mkdir -p "$d"
	openssl ecparam -name prime256v1 -genkey -noout -out "$d/ca.key"
	openssl req -x509 -new -key "$d/ca.key" -subj /CN=odmr-test-ca -days 2 \
	    -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign \
	    -out "$d/ca.pem" 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:scan.test\n' >"$d/good.ext"
	printf 'subjectAltName=DNS:wrong.test\n' >"$d/wrong.ext"
	for n in good wrong; do
		openssl ecparam -name prime256v1 -genkey -noout -out "$d/$n.key"
		openssl req -new -key "$d/$n.key" -subj "/CN=$n" -out "$d/$n.csr"
		openssl x509 -req -in "$d/$n.csr" -CA "$d/ca.pem" -CAkey "$d/ca.key" \
		    -CAcreateserial -days 2 -extfile "$d/$n.ext" -out "$d/$n.pem" 2>/dev/null
	done
}

setup() {
	unset MS_FORWARD_SKEW MS_FORWARD_KEY MS_FORWARD_ADDR MS_FORWARD_PORT \
	    MS_FORWARD_STATE MS_TIMEOUT MS_QUEUE_LIFETIME MS_HOSTNAME MS_ROUTE MS_ROUTES \
	    MS_QUEUE MS_QUEUE_ALT MS_SUBSCRIBERS MS_TLSCERT MS_TLSKEY \
	    MS_ODMR_TLS MS_ODMR_TLS_PIN MS_TLS_CAFILE
	T=$BATS_TEST_TMPDIR
	C=$BATS_FILE_TMPDIR/tls
	SCAN=$T/scan
	GW=$T/gw
	export MS_ETC=$T/etc
	mkdir -p "$MS_ETC/forward" "$SCAN" "$GW/in/new" "$GW/in/cur" "$GW/in/tmp"
	(umask 077 && openssl rand -hex 32 >"$MS_ETC/forward/dyn.example")
	HOLD=$SCAN/hold/dyn.example/new
	msg "$T/m1.eml"
	msg "$T/m2.eml"
}

teardown() {
	stop_servers
}

# ---- the forward request ----------------------------------------------------

@test "forward: held mail goes to the gateway's ms-smtpd, envelope block intact, gone from hold" {
	hold "$T/m1.eml" u@dyn.example v@dyn.example
	[ "$(count_files "$HOLD")" -eq 1 ]
	gateway
	forwardd
	run -0 fwreq
	assert_output "ms-forwardreq: info: 127.0.0.1: OK 1 held message goes to 127.0.0.1 port $GPORT now"
	relays 1
	wait_for has_files "$GW/in/new" 1
	delivered "$T/m1.eml" u@dyn.example v@dyn.example
	[ "$(count_files "$HOLD")" -eq 0 ]
	logged "ms-forwardd: info: 127.0.0.1: forward request for dyn.example: 1 held message to 127.0.0.1 port $GPORT"
	logged "<u@dyn.example> delivered: 127.0.0.1: 250"
	# where the gateway is now, on both sides
	grep -Eq "^127\.0\.0\.1 $GPORT [0-9]+\$" "$SCAN/forward/dyn.example"
	[ "$(cat "$GW/forward-last-dyn.example")" = 127.0.0.1 ]
	# nothing bounced
	[ ! -d "$SCAN/out/new" ] || [ "$(count_files "$SCAN/out/new")" -eq 0 ]
}

@test "forward: address - is the address the request comes from; two messages, plural reply" {
	hold "$T/m1.eml" u@dyn.example
	hold "$T/m2.eml" v@dyn.example
	gateway
	forwardd
	run -0 fwreq MS_FORWARD_ADDR=-
	assert_output "ms-forwardreq: info: 127.0.0.1: OK 2 held messages go to 127.0.0.1 port $GPORT now"
	relays 1
	wait_for has_files "$GW/in/new" 2
	[ "$(count_files "$HOLD")" -eq 0 ]
	[ "$(cat "$GW/forward-last-dyn.example")" = - ]
	grep -l '^X-Mailscan-Rcpt: <u@dyn.example>$' "$GW"/in/new/* | xargs tail -c "$(wc -c <"$T/m1.eml")" | cmp - "$T/m1.eml"
	grep -l '^X-Mailscan-Rcpt: <v@dyn.example>$' "$GW"/in/new/* | xargs tail -c "$(wc -c <"$T/m2.eml")" | cmp - "$T/m2.eml"
}

@test "forward: MS_FORWARD_ADDR if:lo announces the interface's address, port 25 by default" {
	forwardd
	run -0 env MS_SPOOL="$GW" MS_FORWARD_ADDR=if:lo ms-forwardreq dyn.example "127.0.0.1:$FPORT"
	assert_output "ms-forwardreq: info: 127.0.0.1: OK 0 held messages go to 127.0.0.1 port 25 now"
	logged "forward request for dyn.example: 0 held messages to 127.0.0.1 port 25"
	# nothing held: no relay started
	run -1 grep -q ms-relay "$T/server.log"
}

@test "forward: a bad MS_FORWARD_ADDR or no server is a temporary failure, nothing sent" {
	forwardd
	printf '#!/bin/sh\necho not-an-address\n' >"$T/addr.sh"
	chmod 755 "$T/addr.sh"
	for a in if:nosuch0 gw.example 999.1.1.1 "cmd:$T/addr.sh" cmd:/nonexistent/prog; do
		run -111 fwreq MS_FORWARD_ADDR="$a"
		assert_output --partial "ms-forwardreq: warn: unable to find our address from MS_FORWARD_ADDR=$a"
	done
	# ms-forwardd heard none of them
	run -1 grep -q forwardd "$T/server.log"
	[ ! -e "$GW/forward-last-dyn.example" ]
	# no server at that port
	FPORT=$(free_port)
	run -111 fwreq
	assert_output --partial "127.0.0.1 port $FPORT: Connection refused"
	# a key file that is not there
	run -111 fwreq MS_FORWARD_KEY="$T/nokey"
	assert_output --partial "unable to read the key $T/nokey"
}

@test "forward: usage errors exit 100" {
	run -100 ms-forwardd -m bogus
	run -100 ms-forwardd extra
	run -100 ms-forwardreq dyn.example
	run -100 ms-forwardreq -m bogus dyn.example 127.0.0.1
	run -100 ms-forwardreq -i 0 dyn.example 127.0.0.1
	run -100 ms-forwardreq -i 10s dyn.example 127.0.0.1
	run -100 ms-forwardreq ../etc 127.0.0.1
	run -111 env MS_FORWARD_PORT=65536 ms-forwardreq dyn.example 127.0.0.1
}

# ---- refused requests ---------------------------------------------------------

@test "refused: wrong key and unknown domain get the same reply; the log tells them apart; nothing sent" {
	hold "$T/m1.eml" u@dyn.example
	gateway
	forwardd
	echo 0000000000000000000000000000000000000000000000000000000000000000 >"$T/wrongkey"
	run -111 fwreq MS_FORWARD_KEY="$T/wrongkey"
	assert_output "ms-forwardreq: warn: 127.0.0.1: NO not authenticated"
	badkey=$output
	# the right key, a domain the group does not know
	run -111 env MS_SPOOL="$GW" MS_FORWARD_ADDR=127.0.0.1 MS_FORWARD_PORT="$GPORT" \
	    MS_FORWARD_KEY="$MS_ETC/forward/dyn.example" \
	    ms-forwardreq nosuch.example "127.0.0.1:$FPORT"
	[ "$output" = "$badkey" ]
	logged "ms-forwardd: warn: 127.0.0.1: refused a request for dyn.example: bad MAC"
	logged "ms-forwardd: warn: 127.0.0.1: refused a request for nosuch.example: unknown domain"
	# an unauthenticated client learns nothing else: a skewed clock, a
	# reused nonce, an unknown domain all get the same answer as a bad MAC
	run -0 fw_py <<EOF
k = b"0" * 64
n = "ab" * 16
for line in (req(k=k, off=1000), req(k=k, nonce=n), req(k=k, nonce=n),
             req("nosuch.example", off=-1000), req("nosuch.example", nonce=n),
             req("nosuch.example", nonce=n)):
    send($FPORT, line + "\r\n")
EOF
	[ "${#lines[@]}" -eq 6 ]
	for l in "${lines[@]}"; do [ "$l" = "NO not authenticated" ]; done
	# nothing sent, nothing recorded
	[ "$(count_files "$HOLD")" -eq 1 ]
	[ "$(count_files "$GW/in/new")" -eq 0 ]
	run -1 grep -q ms-relay "$T/server.log"
	[ ! -e "$SCAN/forward/.nonces" ]
	[ ! -e "$SCAN/forward/dyn.example" ]
	[ ! -e "$GW/forward-last-dyn.example" ]
}

@test "refused: a key file that cannot be used answers TEMP and the log says why" {
	: >"$MS_ETC/forward/empty.example"
	mkdir "$MS_ETC/forward/dir.example"
	forwardd
	run -0 fw_py <<EOF
send($FPORT, req("empty.example", k=b"0" * 64) + "\r\n")
send($FPORT, req("dir.example", k=b"0" * 64) + "\r\n")
EOF
	assert_line -n 0 "TEMP try again later"
	assert_line -n 1 "TEMP try again later"
	logged "ms-forwardd: warn: 127.0.0.1: unable to read the key of empty.example: Invalid argument"
	logged "ms-forwardd: warn: 127.0.0.1: unable to read the key of dir.example: Is a directory"
	[ ! -e "$SCAN/forward/.nonces" ]
}

@test "refused: the very same request line sent twice is a replay" {
	hold "$T/m1.eml" u@dyn.example
	gateway
	forwardd
	fw_py >"$T/line" <<EOF
print(req(addr="127.0.0.1", port=$GPORT))
EOF
	run -0 fw_py <<EOF
send($FPORT, open("$T/line").read().rstrip("\n") + "\r\n")
EOF
	assert_output "OK 1 held message goes to 127.0.0.1 port $GPORT now"
	relays 1
	wait_for has_files "$GW/in/new" 1
	wait_for has_files "$HOLD" 0
	# new mail held; the recorded line replayed does not fetch it
	hold "$T/m2.eml" u@dyn.example
	run -0 fw_py <<EOF
send($FPORT, open("$T/line").read().rstrip("\n") + "\r\n")
EOF
	assert_output "NO replayed request"
	logged "ms-forwardd: warn: 127.0.0.1: refused a request for dyn.example: replayed"
	[ "$(grep -c 'forward request for dyn.example' "$T/server.log")" -eq 1 ]
	[ "$(grep -c '^ms-relay: info: spool mode' "$T/server.log")" -eq 1 ]
	[ "$(count_files "$HOLD")" -eq 1 ]
	[ "$(count_files "$GW/in/new")" -eq 1 ]
	# a fresh request fetches it
	run -0 fwreq
	relays 2
	wait_for has_files "$GW/in/new" 2
}

@test "refused: a clock 1000 s off either way; MS_FORWARD_SKEW widens the window" {
	hold "$T/m1.eml" u@dyn.example
	gateway
	forwardd
	run -0 fw_py <<EOF
send($FPORT, req(addr="127.0.0.1", port=$GPORT, off=-1000) + "\r\n")
send($FPORT, req(addr="127.0.0.1", port=$GPORT, off=1000) + "\r\n")
EOF
	[ "${#lines[@]}" -eq 2 ]
	[[ ${lines[0]} =~ ^NO\ clock\ skew\ of\ 100[0-5]\ seconds\ \(MS_FORWARD_SKEW\ 300\)$ ]]
	[[ ${lines[1]} =~ ^NO\ clock\ skew\ of\ -(99[5-9]|1000)\ seconds\ \(MS_FORWARD_SKEW\ 300\)$ ]]
	grep -Eq '^ms-forwardd: warn: 127\.0\.0\.1: refused a request for dyn\.example: clock skew 100[0-5] s$' "$T/server.log"
	grep -Eq '^ms-forwardd: warn: 127\.0\.0\.1: refused a request for dyn\.example: clock skew -(99[5-9]|1000) s$' "$T/server.log"
	run -1 grep -q ms-relay "$T/server.log"
	[ "$(count_files "$HOLD")" -eq 1 ]
	[ "$(count_files "$GW/in/new")" -eq 0 ]
	# 1000 s late is inside a window of 2000
	forwardd MS_FORWARD_SKEW=2000
	run -0 fw_py <<EOF
send($FPORT, req(addr="127.0.0.1", port=$GPORT, off=-1000) + "\r\n")
EOF
	assert_output "OK 1 held message goes to 127.0.0.1 port $GPORT now"
	relays 1
	wait_for has_files "$GW/in/new" 1
	delivered "$T/m1.eml" u@dyn.example
}

@test "refused: malformed request lines, each with one reply and a log line" {
	forwardd
	run -0 fw_py <<EOF
w = req(addr="127.0.0.1", port=2525).split(" ")
def j(*parts): return " ".join(p for part in parts for p in part)
bad = [
    "", "HELLO", "FORWARD",
    j(["forward"], w[1:]),                          # verb in lower case
    j(w[:6]), j(w, ["extra"]),                      # six, eight words
    "\t".join(w),                                   # not blanks
    j(w[:1], ["../etc"], w[2:]), j(w[:1], [".dyn.example"], w[2:]),
    j(w[:1], ["dyn..example"], w[2:]), j(w[:1], ["dyn_example"], w[2:]),
    j(w[:1], ["d" * 256], w[2:]),
    j(w[:2], ["999.1.1.1"], w[3:]), j(w[:2], ["gw.example"], w[3:]),
    j(w[:2], ["127.0.0.1:25"], w[3:]),
    j(w[:3], ["0"], w[4:]), j(w[:3], ["65536"], w[4:]), j(w[:3], ["025"], w[4:]),
    j(w[:3], ["-25"], w[4:]), j(w[:3], ["smtp"], w[4:]),
    j(w[:4], ["-5"], w[5:]), j(w[:4], ["1e9"], w[5:]),
    j(w[:4], ["9" * 20], w[5:]),                    # overflows
    j(w[:5], ["0" * 15], w[6:]), j(w[:5], ["0" * 65], w[6:]),
    j(w[:5], ["0" * 15 + "g"], w[6:]),
    j(w[:6], [w[6][:-1]]), j(w[:6], [w[6] + "0"]), j(w[:6], ["x" * 64]),
    j(w[:6], [w[6][:-1] + "\x00"]),                 # NUL in the MAC
    j(w) + "\x00",
    "F" * 1001,                                     # longer than a line may be
]
for b in bad:
    send($FPORT, b + "\r\n")
print(len(bad))
EOF
	n=${lines[-1]}
	[ "${#lines[@]}" -eq $(( n + 1 )) ]
	for (( i = 0; i < n; i++ )); do
		[ "${lines[i]}" = "NO malformed request" ] || fail "line $i: ${lines[i]}"
	done
	[ "$(grep -c ': malformed request$' "$T/server.log")" -eq $(( n - 1 )) ]
	[ "$(grep -c ': no request line$' "$T/server.log")" -eq 1 ]
	# and a connection closed without a line
	run -0 fw_py <<EOF
send($FPORT, "")
EOF
	assert_output "NO malformed request"
	[ "$(grep -c ': no request line$' "$T/server.log")" -eq 2 ]
	[ ! -e "$SCAN/forward/.nonces" ]
}

@test "forward: the parser takes IPv6, upper-case hex, a 64-digit nonce, LF or CRLF, extra blanks" {
	forwardd
	run -0 fw_py <<EOF
send($FPORT, req(addr="::1", port=2525) + "\r\n")
send($FPORT, req(addr="2001:db8::25") + "\n")
send($FPORT, req(nonce="AB" * 32) + "\r\n")
l = req()
send($FPORT, l[:-64] + l[-64:].upper() + "\r\n")
send($FPORT, "  " + req().replace(" ", "   ") + "  \r\n")
EOF
	assert_line -n 0 "OK 0 held messages go to ::1 port 2525 now"
	assert_line -n 1 "OK 0 held messages go to 2001:db8::25 port 25 now"
	assert_line -n 2 "OK 0 held messages go to 127.0.0.1 port 25 now"
	assert_line -n 3 "OK 0 held messages go to 127.0.0.1 port 25 now"
	assert_line -n 4 "OK 0 held messages go to 127.0.0.1 port 25 now"
	[ "${#lines[@]}" -eq 5 ]
	[ "$(wc -l <"$SCAN/forward/.nonces")" -eq 5 ]
}

@test "forward: the nonce record keeps the last 2 x MS_FORWARD_SKEW seconds and is checked" {
	forwardd
	mkdir -p "$SCAN/forward"
	now=$(date +%s)
	for (( i = 0; i < 500; i++ )); do
		printf '%d %032x\n' $(( now - 700 - i )) "$i"
	done >"$SCAN/forward/.nonces"
	printf '%d %s\n' $(( now - 100 )) cafecafecafecafecafecafecafecafe >>"$SCAN/forward/.nonces"
	run -0 fw_py <<EOF
send($FPORT, req(nonce="f" * 32) + "\r\n")
EOF
	assert_output "OK 0 held messages go to 127.0.0.1 port 25 now"
	# the 500 old ones are gone, the recent one and the new one kept
	[ "$(wc -l <"$SCAN/forward/.nonces")" -eq 2 ]
	grep -qx "$(( now - 100 )) cafecafecafecafecafecafecafecafe" "$SCAN/forward/.nonces"
	grep -Eqx "[0-9]+ f{32}" "$SCAN/forward/.nonces"
	# a kept nonce is a replay; a pruned one is not (its own request is
	# refused by the clock anyway)
	run -0 fw_py <<EOF
send($FPORT, req(nonce="cafe" * 8) + "\r\n")
send($FPORT, req(nonce="%032x" % 7) + "\r\n")
send($FPORT, req(nonce="%032x" % 7, off=-707) + "\r\n")
EOF
	assert_line -n 0 "NO replayed request"
	assert_line -n 1 "OK 0 held messages go to 127.0.0.1 port 25 now"
	assert_line -n 2 --regexp '^NO clock skew of 7(0[7-9]|1[0-2]) seconds \(MS_FORWARD_SKEW 300\)$'
	[ "$(wc -l <"$SCAN/forward/.nonces")" -eq 3 ]
	ls -l "$SCAN/forward/.nonces" | grep -q '^-rw-------'
}

# ---- the gateway down ---------------------------------------------------------

@test "gateway down: the mail stays held with a retry suffix; a later request delivers it" {
	hold "$T/m1.eml" u@dyn.example
	forwardd
	GPORT=$(free_port)
	run -0 fwreq
	assert_output --partial "OK 1 held message goes to 127.0.0.1 port $GPORT now"
	relays 1
	logged "<u@dyn.example> deferred: 127.0.0.1: Connection refused"
	[ "$(count_files "$HOLD")" -eq 1 ]
	ls "$HOLD" | grep -Eq '^[0-9]+\.[^:]+:1,1,[0-9]+$'
	[ ! -d "$SCAN/out/new" ] || [ "$(count_files "$SCAN/out/new")" -eq 0 ]
	# the gateway is back (on another port): one pass, due or not
	gateway
	run -0 fwreq
	assert_output --partial "OK 1 held message goes to 127.0.0.1 port $GPORT now"
	relays 2
	wait_for has_files "$GW/in/new" 1
	wait_for has_files "$HOLD" 0
	delivered "$T/m1.eml" u@dyn.example
}

@test "gateway down past MS_QUEUE_LIFETIME: the held mail is bounced, a DSN in out" {
	hold "$T/m1.eml" u@dyn.example
	forwardd MS_QUEUE_LIFETIME=0
	GPORT=$(free_port)
	sleep 1		# older than the lifetime of 0 s
	run -0 fwreq
	relays 1
	[ "$(count_files "$HOLD")" -eq 0 ]
	[ "$(count_files "$SCAN/out/new")" -eq 1 ]
	d=$(find "$SCAN/out/new" -type f)
	head -2 "$d" | cmp - <(printf 'Return-Path: <>\nX-Mailscan-Rcpt: <alice@example.org>\n')
	grep -q '^<u@dyn.example>: 4.4.7 delivery time expired; last error: 127.0.0.1: Connection refused' "$d"
	grep -q '^Content-Type: message/delivery-status' "$d"
	logged "<u@dyn.example> failed: 4.4.7 delivery time expired"
}

# ---- ms-forwardreq -i ---------------------------------------------------------

@test "forwardreq -i 3600: an address change makes it ask at once" {
	gateway
	forwardd
	printf '#!/bin/sh\nexec cat %s/addr\n' "$T" >"$T/addr.sh"
	chmod 755 "$T/addr.sh"
	echo 127.0.0.3 >"$T/addr"
	start_bg env MS_SPOOL="$GW" MS_FORWARD_ADDR="cmd:$T/addr.sh" MS_FORWARD_PORT="$GPORT" \
	    MS_FORWARD_STATE="$T/state" ms-forwardreq -i 3600 dyn.example "127.0.0.1:$FPORT"
	req=$BGPID
	# the first request at once, nothing held then
	wait_for grep -qF "forward request for dyn.example: 0 held messages to 127.0.0.3 port $GPORT" "$T/server.log"
	wait_for grep -qx 127.0.0.3 "$T/state"
	hold "$T/m1.eml" u@dyn.example
	echo 127.0.0.1 >"$T/addr"
	start=$SECONDS
	WAIT_TIMEOUT=15 wait_for has_files "$GW/in/new" 1
	(( SECONDS - start <= 15 ))
	logged "ms-forwardreq: info: our address changed from 127.0.0.3 to 127.0.0.1: asking at once"
	logged "forward request for dyn.example: 1 held message to 127.0.0.1 port $GPORT"
	[ "$(grep -c 'forward request for dyn.example' "$T/server.log")" -eq 2 ]
	relays 1
	wait_for has_files "$HOLD" 0
	wait_for grep -qx 127.0.0.1 "$T/state"
	delivered "$T/m1.eml" u@dyn.example
	stop_bg "$req"
	[ "$BGSTATUS" -eq 0 ]
}

# ---- ODMR -----------------------------------------------------------------------

@test "ODMR: AUTH, ATRN, the held mail delivered over the same connection into the gateway's spool" {
	hold "$T/m1.eml" u@dyn.example v@dyn.example
	odmrd
	run -0 odmrreq
	assert_output --partial "ms-forwardreq: info: 127.0.0.1: ATRN dyn.example accepted: receiving"
	assert_output --partial "ms-smtpd: info: 127.0.0.1: accepted from <alice@example.org> for 2 recipients"
	# ms-smtpd had queued it before it said 250: all there now
	[ "$(count_files "$HOLD")" -eq 0 ]
	delivered "$T/m1.eml" u@dyn.example v@dyn.example
	logged "ms-forwardd: info: 127.0.0.1: ODMR: authenticated as dyn.example"
	logged "ms-forwardd: info: 127.0.0.1: ODMR: ATRN dyn.example: 1 held message"
	logged "<v@dyn.example> delivered: 127.0.0.1: 250"
}

@test "ODMR: a deferred recipient stays held alone; one refused for good is bounced, a DSN in out" {
	hold "$T/m1.eml" u@dyn.example v@dyn.example
	odmrd
	# the gateway takes one recipient per message
	run -0 odmrreq MS_MAXRCPT=1
	delivered "$T/m1.eml" u@dyn.example
	[ "$(count_files "$HOLD")" -eq 1 ]
	h=$(find "$HOLD" -type f)
	[[ ${h##*/} =~ ^[0-9]+\.[^:]+:1,1,[0-9]+$ ]]
	head -2 "$h" | cmp - <(printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <v@dyn.example>\n')
	# the gateway refuses it for good now: too big
	run -0 odmrreq MS_MAXSIZE=10
	[ "$(count_files "$HOLD")" -eq 0 ]
	[ "$(count_files "$GW/in/new")" -eq 1 ]
	[ "$(count_files "$SCAN/out/new")" -eq 1 ]
	d=$(find "$SCAN/out/new" -type f)
	head -2 "$d" | cmp - <(printf 'Return-Path: <>\nX-Mailscan-Rcpt: <alice@example.org>\n')
	grep -q '^<v@dyn.example>: 127.0.0.1: 5.3.4 message too big' "$d"
	run -1 grep -q '^<u@dyn.example>' "$d"
}

@test "ODMR: past MS_QUEUE_LIFETIME a recipient the gateway defers is bounced, not kept" {
	hold "$T/m1.eml" u@dyn.example v@dyn.example
	odmrd MS_QUEUE_LIFETIME=0
	sleep 1		# older than the lifetime of 0 s
	run -0 odmrreq MS_MAXRCPT=1
	delivered "$T/m1.eml" u@dyn.example
	[ "$(count_files "$HOLD")" -eq 0 ]
	[ "$(count_files "$SCAN/out/new")" -eq 1 ]
	d=$(find "$SCAN/out/new" -type f)
	head -2 "$d" | cmp - <(printf 'Return-Path: <>\nX-Mailscan-Rcpt: <alice@example.org>\n')
	grep -q '^<v@dyn.example>: ' "$d"
	run -1 grep -q '^<u@dyn.example>' "$d"
	logged "<v@dyn.example> failed: "
}

@test "ODMR dialogue: 530 before AUTH, 535 bad password or unknown user, 450 another domain, 453 nothing held" {
	(umask 077 && openssl rand -hex 32 >"$MS_ETC/forward/other.example")
	msg "$T/o.eml"
	hold "$T/o.eml" w@other.example
	odmrd
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
c.say("EHLO gw.example")
c.say("ATRN dyn.example")
c.say("AUTH PLAIN " + plain("dyn.example", b"wrong"))
c.say("AUTH PLAIN " + plain("nosuch.example", keyof()))
c.say("AUTH PLAIN " + plain("other.example", keyof()))
c.say("AUTH PLAIN")
c.say(plain("DYN.Example", keyof()))
c.say("AUTH PLAIN " + plain("dyn.example", keyof()))
c.say("ATRN other.example")
c.say("ATRN dyn.example")
c.say("ATRN")
c.say("NOOP")
c.say("VRFY alice")
c.say("QUIT")
EOF
	printf '%s\n' \
	    '220 scan.test ODMR service ready' \
	    '250-scan.test' '250-AUTH PLAIN' '250-ATRN' '250 ENHANCEDSTATUSCODES' \
	    '530 5.7.0 authentication required' \
	    '535 5.7.8 authentication failed' \
	    '535 5.7.8 authentication failed' \
	    '535 5.7.8 authentication failed' \
	    '334 ' \
	    '235 2.7.0 authenticated' \
	    '503 5.5.1 already authenticated' \
	    '450 4.7.0 not authorized for that domain' \
	    '453 4.4.0 no mail for you' \
	    '453 4.4.0 no mail for you' \
	    '250 2.0.0 ok' \
	    '502 5.5.1 command not implemented' \
	    '221 2.0.0 bye' >"$T/want"
	diff "$T/want" <(printf '%s\n' "$output")
	[ "$(grep -c 'ODMR: authentication failed' "$T/server.log")" -eq 3 ]
	logged "ODMR: authenticated as dyn.example"
	# other.example's mail was not touched
	[ "$(count_files "$SCAN/hold/other.example/new")" -eq 1 ]
	run -1 grep -q 'spool mode' "$T/server.log"
}

@test "forwardreq -m odmr: nothing held exits 0; a wrong key exits 100; no server 111" {
	odmrd
	run -0 odmrreq
	assert_output "ms-forwardreq: info: 127.0.0.1: no mail held for dyn.example"
	echo wrong >"$T/wrongkey"
	run -100 odmrreq MS_FORWARD_KEY="$T/wrongkey"
	assert_output "ms-forwardreq: warn: 127.0.0.1: authentication refused: 535 5.7.8 authentication failed"
	OPORT=$(free_port)
	run -111 odmrreq
	assert_output --partial "Connection refused"
	[ "$(count_files "$GW/in/new")" -eq 0 ]
}

# ---- ODMR over STARTTLS ------------------------------------------------------

@test "ODMR over STARTTLS: certificate checked, AUTH and the delivery inside TLS, into the gateway's spool" {
	hold "$T/m1.eml" u@dyn.example v@dyn.example
	odmrd_tls good
	run -0 odmrreq MS_ODMR_TLS=require MS_TLS_CAFILE="$C/ca.pem"
	assert_output --partial "ms-forwardreq: info: 127.0.0.1: TLS TLSv1."
	assert_output --partial "ms-forwardreq: info: 127.0.0.1: ATRN dyn.example accepted: receiving"
	assert_output --partial "ms-smtpd: info: 127.0.0.1: accepted from <alice@example.org> for 2 recipients"
	[ "$(count_files "$HOLD")" -eq 0 ]
	delivered "$T/m1.eml" u@dyn.example v@dyn.example
	logged "ms-forwardd: info: 127.0.0.1: ODMR: TLS TLSv1."
	logged "ms-forwardd: info: 127.0.0.1: ODMR: authenticated as dyn.example"
	logged "<v@dyn.example> delivered: 127.0.0.1: 250"
	run -1 grep -q 'ODMR without TLS' "$T/server.log"
	# ms-smtpd was told the session is encrypted
	grep -q '^	by .* with ESMTPS;\?$' "$GW"/in/new/*
}

@test "ODMR over STARTTLS: a 1 MB message and a second one cross the carried TLS session intact" {
	"$PY" -c '
import sys
sys.stdout.write("From: a@example.org\nSubject: big\n\n")
for i in range(16000):
    sys.stdout.write("line %06d %s\n" % (i, "x" * 56))
' >"$T/big.eml"
	hold "$T/big.eml" u@dyn.example
	hold "$T/m2.eml" v@dyn.example
	odmrd_tls good
	# unset MS_ODMR_TLS on a loopback address: TLS when offered, verified
	run -0 odmrreq MS_TLS_CAFILE="$C/ca.pem"
	assert_output --partial "ms-forwardreq: info: 127.0.0.1: TLS TLSv1."
	[ "$(count_files "$HOLD")" -eq 0 ]
	[ "$(count_files "$GW/in/new")" -eq 2 ]
	g=$(grep -l '^Subject: big$' "$GW"/in/new/*)
	tail -c "$(wc -c <"$T/big.eml")" "$g" | cmp - "$T/big.eml"
	g=$(grep -L '^Subject: big$' "$GW"/in/new/*)
	tail -c "$(wc -c <"$T/m2.eml")" "$g" | cmp - "$T/m2.eml"
}

@test "ODMR server with TLS: STARTTLS offered, AUTH and ATRN refused with 530 before it, EHLO again after it" {
	hold "$T/m1.eml" u@dyn.example
	odmrd_tls good
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
c.say("EHLO gw.example")
c.say("AUTH PLAIN " + plain("dyn.example", keyof()))
c.say("AUTH PLAIN")
c.say("ATRN dyn.example")
c.say("STARTTLS now")
c.say("STARTTLS")
c.starttls("$C/ca.pem")
c.say("AUTH PLAIN " + plain("dyn.example", keyof()))
c.say("EHLO gw.example")
c.say("STARTTLS")
c.say("AUTH PLAIN " + plain("dyn.example", keyof()))
c.say("ATRN other.example")
c.say("QUIT")
EOF
	printf '%s\n' \
	    '220 scan.test ODMR service ready' \
	    '250-scan.test' '250-STARTTLS' '250-ATRN' '250 ENHANCEDSTATUSCODES' \
	    '530 5.7.0 Must issue a STARTTLS command first' \
	    '530 5.7.0 Must issue a STARTTLS command first' \
	    '530 5.7.0 Must issue a STARTTLS command first' \
	    '501 5.5.4 STARTTLS takes no parameters' \
	    '220 2.0.0 ready to start TLS' \
	    'TLS TLSv1.3' \
	    '503 5.5.1 EHLO first' \
	    '250-scan.test' '250-AUTH PLAIN' '250-ATRN' '250 ENHANCEDSTATUSCODES' \
	    '503 5.5.1 TLS already active' \
	    '235 2.7.0 authenticated' \
	    '450 4.7.0 not authorized for that domain' \
	    '221 2.0.0 bye' >"$T/want"
	diff "$T/want" <(printf '%s\n' "$output")
	run -1 grep -q 'authentication failed' "$T/server.log"
	[ "$(count_files "$HOLD")" -eq 1 ]
}

@test "ODMR server: commands pipelined after STARTTLS in the clear are dropped, not run under TLS (CVE-2011-0411)" {
	hold "$T/m1.eml" u@dyn.example
	odmrd_tls good
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
c.say("EHLO gw.example")
c.raw(b"STARTTLS\r\nEHLO gw.example\r\nAUTH PLAIN " + plain("dyn.example", keyof()).encode() + b"\r\n")
c.hear()
c.starttls("$C/ca.pem")
c.say("EHLO gw.example")
c.say("ATRN dyn.example")
c.say("QUIT")
EOF
	printf '%s\n' \
	    '220 scan.test ODMR service ready' \
	    '250-scan.test' '250-STARTTLS' '250-ATRN' '250 ENHANCEDSTATUSCODES' \
	    '220 2.0.0 ready to start TLS' \
	    'TLS TLSv1.3' \
	    '250-scan.test' '250-AUTH PLAIN' '250-ATRN' '250 ENHANCEDSTATUSCODES' \
	    '530 5.7.0 authentication required' \
	    '221 2.0.0 bye' >"$T/want"
	diff "$T/want" <(printf '%s\n' "$output")
	# EHLO's 17 bytes, AUTH PLAIN's 117
	logged "ms-forwardd: warn: 127.0.0.1: ODMR: 134 bytes sent after STARTTLS, before the handshake, dropped"
	run -1 grep -q 'authenticated as' "$T/server.log"
	[ "$(count_files "$HOLD")" -eq 1 ]
}

@test "ODMR server: a client that keeps talking before ATRN for ten times MS_TIMEOUT gets 421 4.4.2" {
	odmrd MS_TIMEOUT=1
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
t = time.time()
while time.time() - t < 30:
    c.s.sendall(b"NOOP\r\n")
    l = c.f.readline()
    if not l.startswith(b"250 "):
        print(l.decode().rstrip("\r\n"), round(time.time() - t) in range(9, 13))
        break
    time.sleep(0.3)
print(repr(c.f.read()))
EOF
	assert_output - <<'EOF'
220 scan.test ODMR service ready
421 4.4.2 session time limit reached, closing connection True
b''
EOF
	logged "ms-forwardd: fatal: timed out after 10 seconds: ODMR session before ATRN"
}

@test "ODMR server: plaintext after STARTTLS in a later packet fails the handshake; a silent client times out" {
	odmrd_tls good MS_TIMEOUT=1
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
c.say("EHLO gw.example")
c.say("STARTTLS")
time.sleep(0.3)
c.raw(b"AUTH PLAIN " + plain("dyn.example", keyof()).encode() + b"\r\n")
c.s.settimeout(20)
try:
    print(repr(c.s.recv(100)))
except ConnectionResetError:
    print("reset")
EOF
	assert_line --regexp "^(b''|reset)$"
	wait_for grep -q 'ODMR: TLS handshake failed' "$T/server.log"
	run -1 grep -q 'authenticated as' "$T/server.log"
	# each wait of the handshake is bounded by MS_TIMEOUT
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
c.say("STARTTLS")
t = time.time()
c.s.settimeout(20)
print(repr(c.s.recv(100)), time.time() - t < 10)
EOF
	assert_line "b'' True"
	wait_for grep -q 'ODMR: TLS handshake failed: timeout' "$T/server.log"
}

@test "ODMR server without a certificate: AUTH as before, and a warning that the key goes in the clear" {
	odmrd
	run -0 odmrreq
	logged "ms-forwardd: warn: 127.0.0.1: ODMR without TLS (no MS_TLSCERT): AUTH PLAIN takes the key in the clear"
	run -0 fw_py <<EOF
c = Odmr($OPORT)
c.hear()
c.say("STARTTLS")
c.say("QUIT")
EOF
	assert_line '502 5.5.1 STARTTLS not available'
	# a certificate that cannot be loaded: refused at the greeting,
	# never AUTH in the clear
	odmrd MS_TLSCERT="$T/nosuch.pem"
	run -111 odmrreq
	assert_output --partial "421 4.3.0 service not available"
	logged "ms-forwardd: warn: unable to set up TLS with MS_TLSCERT $T/nosuch.pem"
}

@test "forwardreq -m odmr: MS_ODMR_TLS=require refuses a server without STARTTLS; try and no go on, try with a warning" {
	hold "$T/m1.eml" u@dyn.example
	odmrd
	run -111 odmrreq MS_ODMR_TLS=require
	assert_output "ms-forwardreq: warn: 127.0.0.1: the server offers no STARTTLS: the key is not sent in the clear (MS_ODMR_TLS=require)"
	run -1 grep -q 'authenticat' "$T/server.log"
	[ "$(count_files "$HOLD")" -eq 1 ]
	# an SSL_PROTOCOL of its own environment does not reach ms-smtpd
	run -0 odmrreq MS_ODMR_TLS=try SSL_PROTOCOL=TLSv1.3
	assert_output --partial "ms-forwardreq: warn: 127.0.0.1: no STARTTLS: the key goes in the clear (MS_ODMR_TLS=try)"
	assert_output --partial "ATRN dyn.example accepted"
	[ "$(count_files "$HOLD")" -eq 0 ]
	grep -q '^	by .* with ESMTP;\?$' "$GW"/in/new/*
	run -0 odmrreq MS_ODMR_TLS=no
	assert_output "ms-forwardreq: info: 127.0.0.1: no mail held for dyn.example"
	# no: in the clear even when the server offers STARTTLS, which then
	# wants STARTTLS before AUTH
	odmrd_tls good
	run -100 odmrreq MS_ODMR_TLS=no
	assert_output "ms-forwardreq: warn: 127.0.0.1: authentication refused: 530 5.7.0 Must issue a STARTTLS command first"
	run -111 odmrreq MS_ODMR_TLS=maybe
	assert_output "ms-forwardreq: fatal: MS_ODMR_TLS wants require, try, no or insecure-noverify, not maybe"
	run -111 odmrreq MS_ODMR_TLS_PIN=SHA256:abc
	run -111 odmrreq MS_ODMR_TLS=no MS_ODMR_TLS_PIN="$(pin good)"
}

@test "forwardreq -m odmr: MS_ODMR_TLS unset, a server off loopback without STARTTLS is refused; on loopback it is tried" {
	# A network namespace of its own, whose lo also holds 192.0.2.77: an
	# address that is not loopback, on a host that may have none.
	hold "$T/m1.eml" u@dyn.example
	cat >"$T/netns.sh" <<'EOF'
set -u
ip link set lo up && ip addr add 192.0.2.77/32 dev lo || exit 3
env MS_SPOOL="$SCAN" MS_HOSTNAME=scan.test tcpserver -1 -q -R -H -l localhost \
    0.0.0.0 0 ms-forwardd -m odmr >"$T/netns.port" 2>>"$T/server.log" 3>&- &
server=$!
i=0
until grep -q '^[0-9]' "$T/netns.port" 2>/dev/null; do
	i=$((i + 1)); [ "$i" -lt 100 ] || exit 4; sleep 0.1
done
port=$(cat "$T/netns.port")
rc=0
env MS_SPOOL="$GW" MS_HOSTNAME=gw.test ms-forwardreq -m odmr dyn.example "192.0.2.77:$port" || rc=$?
echo "exit $rc"
rc=0
env MS_SPOOL="$GW" MS_HOSTNAME=gw.test ms-forwardreq -m odmr dyn.example "127.0.0.1:$port" || rc=$?
echo "exit $rc"
kill "$server"
EOF
	export T SCAN GW
	run -0 unshare --net sh "$T/netns.sh"
	assert_line --index 0 "ms-forwardreq: warn: 192.0.2.77: the server offers no STARTTLS: the key is not sent in the clear (MS_ODMR_TLS unset: require)"
	assert_line --index 1 "exit 111"
	assert_line --index 2 "ms-forwardreq: info: 127.0.0.1: ATRN dyn.example accepted: receiving"
	assert_line --index 4 "exit 0"
	[ "$(count_files "$HOLD")" -eq 0 ]
	[ "$(grep -c 'ODMR: authenticated as dyn.example' "$T/server.log")" -eq 1 ]
}

@test "forwardreq -m odmr: a certificate for another name or from an unknown CA is refused; a pin or insecure-noverify takes it" {
	odmrd_tls wrong
	run -111 odmrreq MS_TLS_CAFILE="$C/ca.pem"
	assert_output --partial "ms-forwardreq: warn: 127.0.0.1: TLS handshake failed: "
	run -1 grep -q 'authenticat' "$T/server.log"
	# the right name, but a CA the system store does not know
	odmrd_tls good
	run -111 odmrreq
	assert_output --partial "ms-forwardreq: warn: 127.0.0.1: TLS handshake failed: "
	run -1 grep -q 'authenticat' "$T/server.log"
	# pinned: neither chain nor name are checked, the certificate is
	odmrd_tls wrong
	run -0 odmrreq MS_ODMR_TLS_PIN="$(pin wrong)"
	assert_output --partial ", certificate pinned"
	assert_output --partial "no mail held for dyn.example"
	run -111 odmrreq MS_ODMR_TLS_PIN="$(pin good)"
	assert_output --partial "is not the one of MS_ODMR_TLS_PIN"
	[ "$(grep -c 'authenticated as' "$T/server.log")" -eq 1 ]
	run -0 odmrreq MS_ODMR_TLS=insecure-noverify
	assert_output --partial "certificate NOT verified (MS_ODMR_TLS=insecure-noverify)"
}

@test "forwardreq -m odmr: a server that talks plain after its 220 to STARTTLS never gets the key" {
	evil inject
	run -111 odmrreq
	assert_output --partial "bytes after the 220 to STARTTLS, before the handshake: not going on"
	grep -q '^STARTTLS' "$T/evil.in"
	run -1 grep -q '^AUTH' "$T/evil.in"
	stop_servers
	evil plain
	run -111 odmrreq MS_ODMR_TLS=try
	assert_output --partial "ms-forwardreq: warn: 127.0.0.1: TLS handshake failed: "
	run -1 grep -q '^AUTH' "$T/evil.in"
	stop_servers
	evil silent
	SECONDS=0
	run -111 odmrreq MS_TIMEOUT=1
	assert_output --partial "ms-forwardreq: warn: 127.0.0.1: TLS handshake failed: timeout"
	[ "$SECONDS" -lt 8 ]
	run -1 grep -q '^AUTH' "$T/evil.in"
}
