#!/usr/bin/env bats
# ms-stamp: the overall status from the X-Mailscan-Verdict lines, written
# as a signed X-Mailscan-Status field; -g makes the key pair.  The field
# and the signature are checked here independently of lib/ (openssl and the
# canonical text of ms-stamp(8)); ms-verify's decisions are t/06-verify.bats.

bats_require_minimum_version 1.5.0
load helper

setup() {
	unset MS_STAMPKEY MS_TRUSTED_KEYS MS_SCANNERS MS_STAMP_MAXAGE \
	    MS_VERIFY_ACCEPT MS_HOSTNAME MS_ETC
	mkspool
	export MS_ETC=$BATS_TEST_TMPDIR/etc
	mkdir -p "$MS_ETC/trusted-keys"
	MS_HOSTNAME=scan1.example.org ms-stamp -g "$MS_ETC" >"$BATS_TEST_TMPDIR/publine" 2>/dev/null
	cp "$MS_ETC/stamp.pub" "$MS_ETC/trusted-keys/scan1"
	export MS_HOSTNAME=scan1.example.org
	M=$BATS_TEST_TMPDIR/m.eml
	S=$BATS_TEST_TMPDIR/s.eml
}

# put FILE NAME: FILE into $MS_SPOOL/in as NAME, through tmp/ as a maildir wants
put() {
	cp "$1" "$MS_SPOOL/in/tmp/$2" && mv "$MS_SPOOL/in/tmp/$2" "$MS_SPOOL/in/new/$2"
}

teardown() {
	stop_servers
}

# withverdicts IN OUT VERDICT...: IN with an envelope block of these
# X-Mailscan-Verdict lines ("ENGINE VERDICT [details]") in front.
withverdicts() {
	local in=$1 out=$2 v
	shift 2
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		for v; do printf 'X-Mailscan-Verdict: %s\n' "$v"; done
		cat "$in"
	} >"$out"
}

# stamp IN OUT: ms-stamp in filter mode, its log line in $BATS_TEST_TMPDIR/log
stamp() {
	ms-stamp <"$1" >"$2" 2>"$BATS_TEST_TMPDIR/log"
}

# The first X-Mailscan-Status field of FILE as ms-stamp writes it (three
# lines), and that field unfolded into one line.
statusfield() { sed -n '/^X-Mailscan-Status:/{N;N;p;q}' "$1"; }
statusline() { statusfield "$1" | tr -d '\r' | sed ':a;N;s/\n[ \t]*/ /;ba'; }
# tagval TAG FILE: the value of by, engines, t, bh or s; "status" gives the word
tagval() {
	if [ "$1" = status ]; then
		statusline "$2" | sed -n 's/^X-Mailscan-Status: \([a-z]*\);.*/\1/p'
	else
		statusline "$2" | tr ';' '\n' | sed -n "s/^ *$1=//p"
	fi
}

# pubpem LINE-FILE PEM: the "ed25519 BASE64 host" line as a PEM public key
# (SubjectPublicKeyInfo: a fixed 12-byte prefix, then the raw 32 bytes)
pubpem() {
	{ printf '\x30\x2a\x30\x05\x06\x03\x2b\x65\x70\x03\x21\x00'
	  awk '{print $2}' "$1" | base64 -d; } |
	    openssl pkey -pubin -inform DER -out "$2"
}

@test "-g DIR: a 0600 private key, stamp.pub, and the public line on stdout" {
	d=$BATS_TEST_TMPDIR/new
	mkdir "$d"
	run -0 --separate-stderr env MS_HOSTNAME=scan9.example.org ms-stamp -g "$d"
	[[ $output =~ ^ed25519\ ([A-Za-z0-9+/]{43}=)\ scan9.example.org$ ]]
	[ "$(printf '%s' "${BASH_REMATCH[1]}" | base64 -d | wc -c)" -eq 32 ]
	[ "$output" = "$(cat "$d/stamp.pub")" ]
	[ "$(stat -c %a "$d/stamp.key")" = 600 ]
	# the line is the public half of the private key
	openssl pkey -in "$d/stamp.key" -pubout -outform DER >"$BATS_TEST_TMPDIR/der"
	[ "$(tail -c 32 "$BATS_TEST_TMPDIR/der" | base64)" = "${BASH_REMATCH[1]}" ]
	openssl pkey -in "$d/stamp.key" -noout -text | grep -q ED25519
	# a second pair is a different key
	[ "$(awk '{print $2}' "$MS_ETC/stamp.pub")" != "${BASH_REMATCH[1]}" ]
}

@test "-g refuses to overwrite an existing key: exit 100, key and stamp.pub unchanged" {
	cp -p "$MS_ETC/stamp.key" "$BATS_TEST_TMPDIR/key.before"
	cp -p "$MS_ETC/stamp.pub" "$BATS_TEST_TMPDIR/pub.before"
	run -100 --separate-stderr ms-stamp -g "$MS_ETC"
	[ -z "$output" ]
	[[ $stderr == *"ms-stamp: fatal: $MS_ETC/stamp.key or $MS_ETC/stamp.pub exists already"* ]]
	cmp "$BATS_TEST_TMPDIR/key.before" "$MS_ETC/stamp.key"
	cmp "$BATS_TEST_TMPDIR/pub.before" "$MS_ETC/stamp.pub"
	# a stamp.pub alone is enough to refuse: never half a key pair
	mkdir "$BATS_TEST_TMPDIR/half" && : >"$BATS_TEST_TMPDIR/half/stamp.pub"
	run -100 ms-stamp -g "$BATS_TEST_TMPDIR/half"
	[ ! -e "$BATS_TEST_TMPDIR/half/stamp.key" ]
	run -111 ms-stamp -g "$BATS_TEST_TMPDIR/no/such/dir"
	[ ! -e "$BATS_TEST_TMPDIR/no" ]
}

@test "the field goes right after the envelope block; earlier status fields go; all else byte for byte" {
	{
		printf 'Received: from a by b; Mon, 3 Jun 2024 10:00:00 +0000\n'
		printf 'X-Mailscan-Status: clean; by=old.example.org; engines=x; t=1;\n\tbh=AAAA; s=BBBB\n'
		printf 'From: Alice <alice@example.org>\nSubject: restamp\n'
		printf 'x-mailscan-status: infected; by=forged\n'
		printf 'To: bob@example.net\n\nbody\nX-Mailscan-Status: in the body stays\n'
	} >"$M"
	withverdicts "$M" "$BATS_TEST_TMPDIR/in" "clamav clean sigs=27000" "yara clean"
	run -0 stamp "$BATS_TEST_TMPDIR/in" "$S"
	run -0 cat "$BATS_TEST_TMPDIR/log"
	assert_output "ms-stamp: info: -: pass: stamped clean (clamav,yara)"
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		printf 'X-Mailscan-Verdict: clamav clean sigs=27000\nX-Mailscan-Verdict: yara clean\n'
		statusfield "$S"
		printf 'Received: from a by b; Mon, 3 Jun 2024 10:00:00 +0000\n'
		printf 'From: Alice <alice@example.org>\nSubject: restamp\n'
		printf 'To: bob@example.net\n\nbody\nX-Mailscan-Status: in the body stays\n'
	} >"$BATS_TEST_TMPDIR/expect"
	cmp "$BATS_TEST_TMPDIR/expect" "$S"
	[ "$(grep -ci '^X-Mailscan-Status:' "$S")" -eq 2 ]	# ours and the body line
	[ "$(sed -n 5p "$S" | cut -d: -f1)" = X-Mailscan-Status ]
}

@test "the field: exact syntax, folded over three lines, t is the current time" {
	msg "$M"
	withverdicts "$M" "$BATS_TEST_TMPDIR/in" "clamav clean"
	before=$(date +%s)
	run -0 stamp "$BATS_TEST_TMPDIR/in" "$S"
	after=$(date +%s)
	run -0 statusfield "$S"
	[ "${#lines[@]}" -eq 3 ]
	[[ ${lines[0]} =~ ^X-Mailscan-Status:\ clean\;\ by=scan1\.example\.org\;\ engines=clamav\;\ t=([0-9]+)\;$ ]]
	t=${BASH_REMATCH[1]}
	[ "$t" -ge "$before" ] && [ "$t" -le "$after" ]
	[[ ${lines[1]} =~ ^$'\t'bh=[A-Za-z0-9+/]{43}=\;$ ]]
	[[ ${lines[2]} =~ ^$'\t's=[A-Za-z0-9+/]{86}==$ ]]
	# LF line ends in the field, even in a CRLF message
	sed 's/$/\r/' "$M" >"$BATS_TEST_TMPDIR/crlf"
	run -0 stamp "$BATS_TEST_TMPDIR/crlf" "$S"
	[ "$(statusfield "$S" | grep -c $'\r')" -eq 0 ]
	[ "$(head -3 "$S" | grep -c $'\r')" -eq 0 ]
	cmp <(tail -n +4 "$S") "$BATS_TEST_TMPDIR/crlf"
}

@test "bh is the base64 SHA-256 of the canonical text in ms-stamp(8)" {
	# Content-Type folded with a tab and two spaces, CRLF and LF lines,
	# trailing empty lines, 8-bit bytes, a line of white space
	{
		printf 'From: a@example.org\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed;\n\t  boundary="XyZ"\n'
		printf 'Content-transfer-encoding:   8bit  \n\n'
		printf -- '--XyZ\r\n\r\nl\xe4ne 1\n \n--XyZ--\r\n\n\r\n\n'
	} >"$M"
	run -0 stamp "$M" "$S"
	printf 'Content-Type:multipart/mixed; boundary="XyZ"\nContent-Transfer-Encoding:8bit\n\n--XyZ\n\nl\xe4ne 1\n \n--XyZ--\n' |
	    openssl dgst -sha256 -binary | base64 >"$BATS_TEST_TMPDIR/want"
	[ "$(tagval bh "$S")" = "$(cat "$BATS_TEST_TMPDIR/want")" ]

	# no MIME fields, no final newline
	printf 'From: a@example.org\nSubject: plain\n\nhello\n\nworld' >"$M"
	run -0 stamp "$M" "$S"
	[ "$(tagval bh "$S")" = "$(printf 'Content-Type:\nContent-Transfer-Encoding:\n\nhello\n\nworld\n' |
	    openssl dgst -sha256 -binary | base64)" ]

	# header only: the body is empty
	printf 'From: a@example.org\nSubject: nothing\n' >"$M"
	run -0 stamp "$M" "$S"
	[ "$(tagval bh "$S")" = "$(printf 'Content-Type:\nContent-Transfer-Encoding:\n\n' |
	    openssl dgst -sha256 -binary | base64)" ]
}

@test "s is an Ed25519 signature, checked by openssl with the public line, over the canonical text" {
	msg "$M" 'Content-Type: text/plain; charset=utf-8'
	withverdicts "$M" "$BATS_TEST_TMPDIR/in" "clamav cleaned Eicar-Test-Signature removed" "yara clean"
	run -0 stamp "$BATS_TEST_TMPDIR/in" "$S"
	pubpem "$BATS_TEST_TMPDIR/publine" "$BATS_TEST_TMPDIR/pub.pem"
	c=$BATS_TEST_TMPDIR/canon
	printf 'mailscan-status-1\n%s; by=%s; engines=%s; t=%s; bh=%s' "$(tagval status "$S")" \
	    "$(tagval by "$S")" "$(tagval engines "$S")" "$(tagval t "$S")" "$(tagval bh "$S")" >"$c"
	grep -q '^cleaned; by=scan1.example.org; engines=clamav,yara; t=[0-9]*; bh=' "$c"
	tagval s "$S" | base64 -d >"$BATS_TEST_TMPDIR/sig"
	[ "$(wc -c <"$BATS_TEST_TMPDIR/sig")" -eq 64 ]
	openssl pkeyutl -verify -rawin -pubin -inkey "$BATS_TEST_TMPDIR/pub.pem" \
	    -sigfile "$BATS_TEST_TMPDIR/sig" -in "$c"
	# and the same text with another status does not verify
	sed -i 's/^cleaned;/clean;/' "$c"
	run -1 openssl pkeyutl -verify -rawin -pubin -inkey "$BATS_TEST_TMPDIR/pub.pem" \
	    -sigfile "$BATS_TEST_TMPDIR/sig" -in "$c"
}

@test "overall status: infected > unscanned > cleaned > clean; no verdicts or unknown words are unscanned" {
	msg "$M"
	check() {	# check WANT ENGINES VERDICT...
		local want=$1 eng=$2
		shift 2
		withverdicts "$M" "$BATS_TEST_TMPDIR/in" "$@"
		stamp "$BATS_TEST_TMPDIR/in" "$S" || return 1
		[ "$(tagval status "$S")" = "$want" ] &&
		    [ "$(tagval engines "$S")" = "$eng" ] || {
			echo "verdicts [$*]: got $(statusline "$S"), want $want engines=$eng" >&2
			return 1
		}
	}
	check unscanned none
	check clean clamav "clamav clean"
	check clean clamav,yara,clamd "clamav clean" "yara clean" "clamd clean daily.cvd 27000"
	check cleaned clamav,disarm "clamav clean" "disarm cleaned macro removed"
	check unscanned clamav,yara "clamav cleaned x" "yara unscanned too large"
	check infected yara,clamav,icap "yara unscanned" "clamav infected Eicar-Test-Signature" "icap clean"
	check infected a,b "a infected" "b cleaned"
	check unscanned clamav "clamav error timeout"
	check unscanned clamav "clamav CLEAN"
	check unscanned clamav "clamav"
	check unscanned clamav,yara "clamav clean" "yara cleanish"
	# engine names are the first word; unsafe characters become _
	check clean 'cl_am_av,y_ra' "cl;am,av clean" $'y\xe4ra clean'
}

@test "-s released (or any status word) forces the status; a bad word is a usage error" {
	msg "$M"
	withverdicts "$M" "$BATS_TEST_TMPDIR/in" "clamav infected Eicar-Test-Signature"
	ms-stamp -s released <"$BATS_TEST_TMPDIR/in" >"$S" 2>/dev/null
	[ "$(tagval status "$S")" = released ]
	[ "$(tagval engines "$S")" = clamav ]
	run -0 ms-verify <"$S"
	for w in clean cleaned infected unscanned; do
		ms-stamp -s "$w" <"$M" >"$S" 2>/dev/null
		[ "$(tagval status "$S")" = "$w" ]
	done
	run -100 ms-stamp -s bogus <"$M"
	assert_output --partial "ms-stamp: fatal: -s wants clean, cleaned, infected, unscanned or released, not bogus"
	run -100 ms-stamp -s Released <"$M"
	run -100 ms-stamp extra-argument <"$M"
	assert_output --partial "usage: ms-stamp"
}

@test "restamping: the message keeps one status field, the newest" {
	msg "$M"
	withverdicts "$M" "$BATS_TEST_TMPDIR/in" "clamav infected Eicar-Test-Signature"
	run -0 stamp "$BATS_TEST_TMPDIR/in" "$S"
	run -1 ms-verify <"$S"
	ms-stamp -s released <"$S" >"$BATS_TEST_TMPDIR/s2" 2>/dev/null
	[ "$(grep -c '^X-Mailscan-Status:' "$BATS_TEST_TMPDIR/s2")" -eq 1 ]
	[ "$(tagval status "$BATS_TEST_TMPDIR/s2")" = released ]
	run -0 ms-verify <"$BATS_TEST_TMPDIR/s2"
	# the message proper is unchanged by the second stamp
	cmp <(tail -n +7 "$S") <(tail -n +7 "$BATS_TEST_TMPDIR/s2")
	cmp <(tail -n +7 "$S") "$M"
}

@test "MS_HOSTNAME sets by=; white space, ';' and 8-bit become _" {
	msg "$M"
	MS_HOSTNAME=gw.example.net stamp "$M" "$S"
	[ "$(tagval by "$S")" = gw.example.net ]
	MS_HOSTNAME=$'bad host;by=x\xff' stamp "$M" "$S"
	[ "$(tagval by "$S")" = 'bad_host_by=x_' ]
	MS_VERIFY_ACCEPT=unscanned run -0 ms-verify <"$S"
	# unset: the host name
	unset MS_HOSTNAME
	stamp "$M" "$S"
	[ "$(tagval by "$S")" = "$(hostname | tr -c '!-:<-~\n' _)" ]
}

@test "the key: \$MS_ETC/stamp.key, or MS_STAMPKEY; missing or not Ed25519 -> exit 111, nothing written" {
	msg "$M"
	other=$BATS_TEST_TMPDIR/other
	mkdir "$other"
	MS_HOSTNAME=other ms-stamp -g "$other" >"$BATS_TEST_TMPDIR/otherline" 2>/dev/null
	MS_STAMPKEY=$other/stamp.key stamp "$M" "$S"
	pubpem "$BATS_TEST_TMPDIR/otherline" "$BATS_TEST_TMPDIR/other.pem"
	printf 'mailscan-status-1\nunscanned; by=scan1.example.org; engines=none; t=%s; bh=%s' \
	    "$(tagval t "$S")" "$(tagval bh "$S")" >"$BATS_TEST_TMPDIR/canon"
	tagval s "$S" | base64 -d >"$BATS_TEST_TMPDIR/sig"
	openssl pkeyutl -verify -rawin -pubin -inkey "$BATS_TEST_TMPDIR/other.pem" \
	    -sigfile "$BATS_TEST_TMPDIR/sig" -in "$BATS_TEST_TMPDIR/canon"

	run -111 --separate-stderr env MS_STAMPKEY=$BATS_TEST_TMPDIR/nokey ms-stamp <"$M"
	[ -z "$output" ]
	[[ $stderr == *"unable to load signing key $BATS_TEST_TMPDIR/nokey: No such file or directory"* ]]
	[[ ${stderr##*$'\n'} == "ms-stamp: fatal: no signing key: nothing stamped" ]]
	rm "$MS_ETC/stamp.key"
	run -111 --separate-stderr ms-stamp <"$M"
	[ -z "$output" ]
	[[ $stderr == *"$MS_ETC/stamp.key"* ]]
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$BATS_TEST_TMPDIR/rsa.pem" 2>/dev/null
	run -111 --separate-stderr env MS_STAMPKEY=$BATS_TEST_TMPDIR/rsa.pem ms-stamp <"$M"
	[ -z "$output" ]
	printf 'ed25519 %s\n' "$(awk '{print $2}' "$BATS_TEST_TMPDIR/publine")" >"$BATS_TEST_TMPDIR/pubonly"
	run -111 env MS_STAMPKEY=$BATS_TEST_TMPDIR/pubonly ms-stamp <"$M"
}

@test "spool mode: messages from -q IN are stamped into -o OUT" {
	IN=$MS_SPOOL/in
	OUT=$MS_SPOOL/out
	msg "$M"
	withverdicts "$M" "$IN/tmp/1.M1P1Q1.test" "clamav clean"
	withverdicts "$M" "$IN/tmp/2.M1P1Q2.test" "clamav infected Eicar-Test-Signature"
	cp "$IN/tmp/1.M1P1Q1.test" "$IN/tmp/2.M1P1Q2.test" "$BATS_TEST_TMPDIR/"
	mv "$IN/tmp/1.M1P1Q1.test" "$IN/tmp/2.M1P1Q2.test" "$IN/new/"
	start_bg ms-stamp -q "$IN" -o "$OUT" </dev/null
	wait_for has_files "$OUT/new" 2
	stop_bg "$BGPID"
	[ "$BGSTATUS" -eq 0 ]
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$OUT/tmp")" -eq 0 ]
	[ "$(tagval status "$OUT/new/1.M1P1Q1.test")" = clean ]
	[ "$(tagval status "$OUT/new/2.M1P1Q2.test")" = infected ]
	for n in 1.M1P1Q1.test 2.M1P1Q2.test; do
		# block, then the field, then the message proper unchanged
		cmp <(head -3 "$OUT/new/$n") <(head -3 "$BATS_TEST_TMPDIR/$n")
		sed -n 4p "$OUT/new/$n" | grep -q '^X-Mailscan-Status: '
		cmp <(tail -n +7 "$OUT/new/$n") "$M"
	done
	run -0 ms-verify <"$OUT/new/1.M1P1Q1.test"
	run -1 ms-verify <"$OUT/new/2.M1P1Q2.test"
	grep -q '1.M1P1Q1.test: pass: stamped clean (clamav)' "$BATS_TEST_TMPDIR/server.log"
}

@test "spool mode: a malformed envelope block goes to the bounce spool with its reason" {
	IN=$MS_SPOOL/in
	msg "$M"
	{ printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bo\001b@example.net>\n'; cat "$M"; } >"$IN/tmp/1.M1P1Q1.bad"
	cp "$IN/tmp/1.M1P1Q1.bad" "$BATS_TEST_TMPDIR/orig"
	mv "$IN/tmp/1.M1P1Q1.bad" "$IN/new/"
	run -100 ms-stamp <"$BATS_TEST_TMPDIR/orig"
	assert_output "ms-stamp: fatal: 5.6.0 malformed envelope block"
	start_bg ms-stamp -q "$IN" -o "$MS_SPOOL/out" -b "$MS_SPOOL/bounce" </dev/null
	wait_for has_files "$MS_SPOOL/bounce/new" 1
	stop_bg "$BGPID"
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$MS_SPOOL/out/new")" -eq 0 ]
	b=$MS_SPOOL/bounce/new/1.M1P1Q1.bad
	[ "$(head -1 "$b")" = "X-Mailscan-Error: ms-stamp 5.6.0 malformed envelope block" ]
	cmp <(tail -n +2 "$b") "$BATS_TEST_TMPDIR/orig"
}

@test "hostile input: exit 0 or 100, never a crash; what is stamped verifies" {
	h=$BATS_TEST_TMPDIR/hostile
	"$MS_TOP/t/mkhostile" "$h"
	printf 'From: a@example.org\n\nnul \0 and no final newline' >"$h/own-nul-no-newline.eml"
	printf '\n\n\n' >"$h/own-only-empty-lines.eml"
	n=0
	for f in "$h"/*; do
		code=0
		ms-stamp <"$f" >"$S" 2>"$BATS_TEST_TMPDIR/log" || code=$?
		case $code in
		0)	[ "$(grep -c '^X-Mailscan-Status: unscanned; by=scan1.example.org; engines=none; t=' "$S")" -eq 1 ] ||
			    fail "${f##*/}: no single status field"
			code=0
			MS_VERIFY_ACCEPT=unscanned ms-verify <"$S" >/dev/null 2>&1 || code=$?
			# a bare CR in the header is never trusted: scanned again
			if LC_ALL=C sed -n '/^$/q;p' "$S" | LC_ALL=C grep -q $'\r.'; then
				[ "$code" -eq 1 ] || fail "${f##*/}: bare CR in the header, but ms-verify exits $code"
			else
				[ "$code" -eq 0 ] || fail "${f##*/}: stamped, but ms-verify exits $code"
			fi
			n=$((n + 1)) ;;
		100)	grep -q 'ms-stamp: fatal: ' "$BATS_TEST_TMPDIR/log" || fail "${f##*/}: 100 without a reason" ;;
		*)	fail "${f##*/}: ms-stamp exits $code: $(cat "$BATS_TEST_TMPDIR/log")" ;;
		esac
	done
	[ "$n" -ge 15 ]
}

@test "spool mode: SIGHUP loads a new key; a bad one leaves the old in use" {
	IN=$MS_SPOOL/in
	OUT=$MS_SPOOL/out
	msg "$M"
	mkdir "$BATS_TEST_TMPDIR/new"
	MS_HOSTNAME=new ms-stamp -g "$BATS_TEST_TMPDIR/new" >/dev/null 2>&1
	start_bg ms-stamp -q "$IN" -o "$OUT" </dev/null
	put "$M" 1.M1P1Q1.old
	wait_for has_files "$OUT/new" 1
	mv "$BATS_TEST_TMPDIR/new/stamp.key" "$MS_ETC/stamp.key"
	kill -HUP "$BGPID"
	wait_for grep -q 'ms-stamp: info: reloaded' "$BATS_TEST_TMPDIR/server.log"
	put "$M" 2.M1P1Q2.new
	wait_for has_files "$OUT/new" 2
	printf 'not a key\n' >"$MS_ETC/stamp.key"
	kill -HUP "$BGPID"
	wait_for grep -q 'ms-stamp: warn: reload failed' "$BATS_TEST_TMPDIR/server.log"
	put "$M" 3.M1P1Q3.still
	wait_for has_files "$OUT/new" 3
	stop_bg "$BGPID"
	export MS_VERIFY_ACCEPT=unscanned
	run -0 ms-verify <"$OUT/new/1.M1P1Q1.old"
	run -1 ms-verify <"$OUT/new/2.M1P1Q2.new"
	assert_output --partial "not signed by a trusted key"
	cp "$BATS_TEST_TMPDIR/new/stamp.pub" "$MS_ETC/trusted-keys/new"
	run -0 ms-verify <"$OUT/new/2.M1P1Q2.new"
	assert_output --partial ", key new"
	run -0 ms-verify <"$OUT/new/3.M1P1Q3.still"
	assert_output --partial ", key new"
}
