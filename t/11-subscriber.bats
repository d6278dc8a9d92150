#!/usr/bin/env bats
# ms-subscriber and the subscriber check of ms-smtpd: who is served here.
# The table is compiled by ms-mkcdb from the lines below; ms-smtpd runs
# under a real tcpserver and is driven by swaks; the stage runs in filter
# mode and in spool mode on throwaway maildirs.

bats_require_minimum_version 1.5.0

load helper

setup() {
	unset MS_SUBSCRIBERS MS_ETC MS_HOSTNAME MS_QUEUE MS_QUEUE_ALT
	export D=$BATS_TEST_TMPDIR
	mkspool
	export MS_ETC=$D/etc
	mkdir -p "$MS_ETC"
	# an address, a domain, and a domain written in mixed case
	printf '%s\n' '# who is served' 'alice@example.org' '@Example.NET' \
	    '' 'Postmaster@Mixed.Example' >"$MS_ETC/subscribers"
	ms-mkcdb "$MS_ETC/subscribers" 2>/dev/null
}

teardown() {
	stop_servers
}

# smtpd [VAR=value...]: ms-smtpd under tcpserver with these settings.
smtpd() {
	start_tcpserver env MS_HOSTNAME=mx.test.example "$@" ms-smtpd
}

# rcpts FILE: the addresses of FILE's envelope block, one a line.
rcpts() {
	awk '!/^(Return-Path|X-Mailscan-[A-Za-z]+):/ { exit }
	    /^X-Mailscan-Rcpt: </ { sub(/^X-Mailscan-Rcpt: </, ""); sub(/>$/, ""); print }' "$1"
}

# rcpt_replies: from swaks' transcript in $output, the replies to RCPT
# (250 2.1.5, or any 4xx or 5xx), in order.
rcpt_replies() {
	printf '%s\n' "$output" |
	    sed -n 's/^<[-*]*  *\(250 2\.1\.5 .*\|[45][0-9][0-9] .*\)$/\1/p'
}

# envmsg FILE RCPT...: a message with a full envelope block (fields in the
# order ms-subscriber writes them) and a body with 8-bit bytes, a CRLF
# line, a NUL byte and a line that looks like an envelope field.
envmsg() {
	local f=$1 r
	shift
	{
		printf 'Return-Path: <sender@example.com>\n'
		for r; do printf 'X-Mailscan-Rcpt: <%s>\n' "$r"; done
		printf 'X-Mailscan-Client: 192.0.2.7 client.example\n'
		printf 'X-Mailscan-Trust: normal\n'
		printf 'X-Mailscan-Verdict: clamav/1 clean\n'
		printf 'From: Sender <sender@example.com>\n'
		printf 'To: undisclosed-recipients:;\n'
		printf 'Subject: caf\xc3\xa9 \xff\n'
		printf 'Message-ID: <m1@example.com>\n'
		printf '\nline one\r\nX-Mailscan-Rcpt: <not@header.example>\n'
		printf 'nul here:\0: and 8-bit \xe9\xe8\n.\n'
	} >"$f"
}

# ---- ms-smtpd with MS_SUBSCRIBERS ---------------------------------------------

@test "ms-smtpd: address, @domain and mixed-case entries accepted at RCPT, the others refused with 550 5.1.1 in the same session; the spool holds only the accepted" {
	smtpd MS_SUBSCRIBERS="$MS_ETC/subscribers.cdb"
	msg "$D/m.eml"
	run -0 swaks --server "127.0.0.1:$PORT" --from someone@outside.example \
	    --to alice@example.org,bob@example.org,Carol@EXAMPLE.net,dave@sub.example.net,postmaster@mixed.example,ALICE@Example.Org,alice@example.org.evil \
	    --data "@$D/m.eml"
	assert_line ' -> RCPT TO:<alice@example.org>'
	# the replies, in the order of the RCPT commands
	run -0 rcpt_replies
	assert_output '250 2.1.5 recipient ok
550 5.1.1 recipient not served here
250 2.1.5 recipient ok
550 5.1.1 recipient not served here
250 2.1.5 recipient ok
250 2.1.5 recipient ok
550 5.1.1 recipient not served here'
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 1 ]
	run -0 rcpts "$MS_SPOOL/in/new/"*
	assert_output 'alice@example.org
Carol@EXAMPLE.net
postmaster@mixed.example
ALICE@Example.Org'
	# each refusal is logged with the client and the address
	grep -Fqx 'ms-smtpd: info: 127.0.0.1: refused <bob@example.org>: not a subscriber' \
	    "$D/server.log"
	grep -Fqx 'ms-smtpd: info: 127.0.0.1: refused <dave@sub.example.net>: not a subscriber' \
	    "$D/server.log"
	grep -Fqx 'ms-smtpd: info: 127.0.0.1: refused <alice@example.org.evil>: not a subscriber' \
	    "$D/server.log"
}

@test "ms-smtpd: when every recipient is refused there is no DATA and nothing is spooled" {
	smtpd MS_SUBSCRIBERS="$MS_ETC/subscribers.cdb"
	run -24 swaks --server "127.0.0.1:$PORT" --from someone@outside.example \
	    --to x@example.com,y@example.com
	assert_line '<** 550 5.1.1 recipient not served here'
	refute_line --partial ' -> DATA'
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 0 ]
}

@test "ms-smtpd: a subscribers table that cannot be read: 451 4.3.0 at RCPT, nothing accepted" {
	smtpd MS_SUBSCRIBERS="$MS_ETC/missing.cdb"
	run -24 swaks --server "127.0.0.1:$PORT" --from someone@outside.example \
	    --to alice@example.org
	assert_line '<** 451 4.3.0 unable to check the recipient, try again later'
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 0 ]
	grep -q "^ms-smtpd: warn: unable to look up $MS_ETC/missing.cdb: No such file or directory\$" \
	    "$D/server.log"
}

@test "ms-smtpd: without MS_SUBSCRIBERS every recipient is accepted (the table is not consulted)" {
	smtpd
	run -0 swaks --server "127.0.0.1:$PORT" --from someone@outside.example \
	    --to alice@example.org,bob@elsewhere.example
	refute_line --partial '550 5.1.1'
	run -0 rcpts "$MS_SPOOL/in/new/"*
	assert_output 'alice@example.org
bob@elsewhere.example'
}

# ---- the stage, filter mode -------------------------------------------------

@test "stage: mixed recipients: the dropped ones leave the block, everything else is byte-identical" {
	envmsg "$D/in" alice@example.org bob@example.org Carol@EXAMPLE.net zed@nowhere.example
	envmsg "$D/want" alice@example.org Carol@EXAMPLE.net
	run -0 --separate-stderr ms-subscriber <"$D/in"
	ms-subscriber <"$D/in" >"$D/out" 2>/dev/null
	cmp "$D/out" "$D/want"
	assert_equal "$stderr" \
	    'ms-subscriber: info: -: pass: kept 2 recipients, dropped <bob@example.org>, <zed@nowhere.example>'
}

@test "stage: every recipient served: the message passes byte for byte" {
	envmsg "$D/in" alice@example.org carol@example.net postmaster@MIXED.example
	run -0 --separate-stderr ms-subscriber <"$D/in"
	assert_equal "$stderr" 'ms-subscriber: info: -: pass: all 3 recipients served'
	ms-subscriber <"$D/in" 2>/dev/null | cmp - "$D/in"
}

@test "stage: no recipient served: exit 100, nothing on stdout, the reason lists every one" {
	envmsg "$D/in" bob@example.org dave@sub.example.net
	run -100 --separate-stderr ms-subscriber <"$D/in"
	assert_equal "$output" ''
	assert_equal "${stderr_lines[-1]}" \
	    'ms-subscriber: fatal: 5.1.1 no recipient is served here: <bob@example.org>, <dave@sub.example.net>'
}

@test "stage by hand: RECIPIENTS on a plain .eml; the kept ones become the block" {
	msg "$D/m.eml"
	RECIPIENTS='nobody@nowhere.example alice@example.org' SENDER=x@y.example \
	    ms-subscriber <"$D/m.eml" >"$D/out" 2>"$D/err"
	{ printf 'Return-Path: <x@y.example>\nX-Mailscan-Rcpt: <alice@example.org>\n'; cat "$D/m.eml"; } |
	    cmp - "$D/out"
	grep -Fqx 'ms-subscriber: info: -: pass: kept 1 recipient, dropped <nobody@nowhere.example>' "$D/err"
	run -100 env RECIPIENTS='nobody@nowhere.example' ms-subscriber <"$D/m.eml"
}

@test "stage: a missing table is a temporary failure (111), named in the reason" {
	envmsg "$D/in" alice@example.org
	run -111 --separate-stderr env MS_SUBSCRIBERS="$D/none.cdb" ms-subscriber <"$D/in"
	assert_equal "$output" ''
	assert_equal "${stderr_lines[-1]}" \
	    "ms-subscriber: fatal: unable to open $D/none.cdb (make it with ms-mkcdb): No such file or directory"
	# and the default is $MS_ETC/subscribers.cdb
	rm "$MS_ETC/subscribers.cdb"
	run -111 --separate-stderr ms-subscriber <"$D/in"
	[[ ${stderr_lines[-1]} == *"unable to open $MS_ETC/subscribers.cdb"* ]]
}

# ---- the stage, spool mode --------------------------------------------------

@test "spool mode: unchanged message moved by rename (same inode), changed one rewritten, none left to the bounce spool with its reason" {
	local in=$MS_SPOOL/subs out=$MS_SPOOL/scan1 ino
	mkdir -p "$in"/{tmp,new,cur} "$out"/{tmp,new,cur}
	envmsg "$in/new/100.M1P1.test" alice@example.org Carol@example.net
	envmsg "$in/new/100.M2P1.test" alice@example.org bob@example.org
	envmsg "$in/new/100.M3P1.test" bob@example.org
	ino=$(stat -c %i "$in/new/100.M1P1.test")
	cp "$in/new/100.M1P1.test" "$D/same"
	envmsg "$D/want2" alice@example.org
	cp "$in/new/100.M3P1.test" "$D/bounced"
	MS_RESCAN=1 start_bg ms-subscriber -q "$in" -o "$out"
	wait_for has_files "$out/new" 2
	wait_for has_files "$MS_SPOOL/bounce/new" 1
	stop_bg "$BGPID"
	[ "$(count_files "$in/new")" -eq 0 ]
	assert_equal "$(stat -c %i "$out/new/100.M1P1.test")" "$ino"
	cmp "$out/new/100.M1P1.test" "$D/same"
	cmp "$out/new/100.M2P1.test" "$D/want2"
	{ printf 'X-Mailscan-Error: ms-subscriber 5.1.1 no recipient is served here: <bob@example.org>\n'
	  cat "$D/bounced"; } | cmp - "$MS_SPOOL/bounce/new/100.M3P1.test"
	grep -Fqx 'ms-subscriber: info: 100.M1P1.test: pass: all 2 recipients served' "$D/server.log"
	grep -Fqx 'ms-subscriber: info: 100.M2P1.test: pass: kept 1 recipient, dropped <bob@example.org>' \
	    "$D/server.log"
	grep -Fqx 'ms-subscriber: info: 100.M3P1.test: bounce: 5.1.1 no recipient is served here: <bob@example.org>' \
	    "$D/server.log"
}

@test "spool mode: a missing table is 111 at start, before any message is touched" {
	local in=$MS_SPOOL/subs out=$MS_SPOOL/scan1
	mkdir -p "$in"/{tmp,new,cur} "$out"/{tmp,new,cur}
	envmsg "$in/new/100.M1P1.test" alice@example.org
	run -111 --separate-stderr env MS_SUBSCRIBERS="$D/none.cdb" ms-subscriber -q "$in" -o "$out"
	assert_equal "${stderr_lines[-1]}" \
	    "ms-subscriber: fatal: unable to open $D/none.cdb (make it with ms-mkcdb): No such file or directory"
	[ -f "$in/new/100.M1P1.test" ]
	[ "$(count_files "$out/new")" -eq 0 ]
}

@test "spool mode: a table recompiled while it runs is used for the next message" {
	local in=$MS_SPOOL/subs out=$MS_SPOOL/scan1
	mkdir -p "$in"/{tmp,new,cur} "$out"/{tmp,new,cur}
	MS_RESCAN=1 start_bg ms-subscriber -q "$in" -o "$out"
	envmsg "$in/tmp/m" new@later.example
	mv "$in/tmp/m" "$in/new/100.M1P1.test"
	wait_for has_files "$MS_SPOOL/bounce/new" 1
	echo '@later.example' >>"$MS_ETC/subscribers"
	ms-mkcdb "$MS_ETC/subscribers" 2>/dev/null
	envmsg "$in/tmp/m" new@later.example
	mv "$in/tmp/m" "$in/new/100.M2P1.test"
	wait_for has_files "$out/new" 1
	stop_bg "$BGPID"
	[ -f "$out/new/100.M2P1.test" ]
	[ -f "$MS_SPOOL/bounce/new/100.M1P1.test" ]
	# the old entries still hold
	grep -Fqx 'ms-subscriber: info: 100.M2P1.test: pass: all 1 recipient served' "$D/server.log"
	envmsg "$in/tmp/m" alice@example.org new@later.example nobody@later.example.com
	mv "$in/tmp/m" "$in/new/100.M3P1.test"
	MS_RESCAN=1 start_bg ms-subscriber -q "$in" -o "$out"
	wait_for has_files "$out/new" 2
	stop_bg "$BGPID"
	run -0 rcpts "$out/new/100.M3P1.test"
	assert_output 'alice@example.org
new@later.example'
}
