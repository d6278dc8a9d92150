#!/usr/bin/env bats
# ms-verify: exit 0 when the message needs no more scanning (it comes from
# a scanning host, or carries a valid, trusted, fresh, accepted status
# field), 1 when it does.  Status fields are made by ms-stamp, or crafted
# and signed here with openssl to reach the cases ms-stamp never writes.

bats_require_minimum_version 1.5.0
load helper

setup() {
	unset MS_STAMPKEY MS_TRUSTED_KEYS MS_SCANNERS MS_STAMP_MAXAGE \
	    MS_VERIFY_ACCEPT MS_HOSTNAME MS_ETC
	mkspool
	export MS_ETC=$BATS_TEST_TMPDIR/etc
	mkdir -p "$MS_ETC/trusted-keys"
	MS_HOSTNAME=scan1.example.org ms-stamp -g "$MS_ETC" >/dev/null 2>&1
	cp "$MS_ETC/stamp.pub" "$MS_ETC/trusted-keys/scan1"
	export MS_HOSTNAME=scan1.example.org
	KEY=$MS_ETC/stamp.key
	M=$BATS_TEST_TMPDIR/m.eml
	S=$BATS_TEST_TMPDIR/s.eml
	X=$BATS_TEST_TMPDIR/x.eml
}

# put FILE NAME: FILE into $MS_SPOOL/in as NAME, through tmp/ as a maildir wants
put() {
	cp "$1" "$MS_SPOOL/in/tmp/$2" && mv "$MS_SPOOL/in/tmp/$2" "$MS_SPOOL/in/new/$2"
}

teardown() {
	stop_servers
}

# verify FILE: ms-verify in filter mode on FILE; stdout to $BATS_TEST_TMPDIR/vout,
# so that under run the output is the log line.
verify() {
	ms-verify <"$1" >"$BATS_TEST_TMPDIR/vout"
}

# stampit IN OUT [VERDICT...]: IN with these X-Mailscan-Verdict lines
# (default "clamav clean") stamped into OUT.
stampit() {
	local in=$1 out=$2 v
	shift 2
	[ $# -gt 0 ] || set -- "clamav clean"
	{ for v; do printf 'X-Mailscan-Verdict: %s\n' "$v"; done; cat "$in"; } |
	    ms-stamp >"$out" 2>/dev/null
}

# The first status field as ms-stamp writes it (three lines), unfolded,
# and the value of one of its tags (status for the word).
statusfield() { sed -n '/^X-Mailscan-Status:/{N;N;p;q}' "$1"; }
statusline() { statusfield "$1" | tr -d '\r' | sed ':a;N;s/\n[ \t]*/ /;ba'; }
tagval() {
	if [ "$1" = status ]; then
		statusline "$2" | sed -n 's/^X-Mailscan-Status: \([a-z]*\);.*/\1/p'
	else
		statusline "$2" | tr ';' '\n' | sed -n "s/^ *$1=//p"
	fi
}

# craft KEY STATUS BY ENGINES T BH: a status field signed by openssl over
# the canonical text of ms-stamp(8), not by ms-stamp.
craft() {
	local c=$BATS_TEST_TMPDIR/canon s
	printf 'mailscan-status-1\n%s; by=%s; engines=%s; t=%s; bh=%s' "$2" "$3" "$4" "$5" "$6" >"$c"
	s=$(openssl pkeyutl -sign -rawin -inkey "$1" -in "$c" | base64 -w0) || return 1
	printf 'X-Mailscan-Status: %s; by=%s; engines=%s; t=%s;\n\tbh=%s;\n\ts=%s\n' \
	    "$2" "$3" "$4" "$5" "$6" "$s"
}

# bodyhash FILE: the bh ms-stamp computes for FILE
bodyhash() {
	ms-stamp <"$1" 2>/dev/null | tagval bh /dev/stdin
}

# newkey DIR HOST: another key pair in DIR
newkey() {
	mkdir -p "$1"
	MS_HOSTNAME=$2 ms-stamp -g "$1" >/dev/null 2>&1
}

# notrailing: stdin without its trailing empty lines
notrailing() {
	sed -e :a -e '/^\n*$/{$d;N;ba' -e '}'
}

# mime FILE BOUNDARY: a multipart message with an 8-bit text part
mime() {
	{
		printf 'From: Alice <alice@example.org>\nTo: bob@example.net\n'
		printf 'Subject: report\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="%s"\n' "$2"
		printf 'Content-Transfer-Encoding: 8bit\n\n'
		printf -- '--%s\nContent-Type: text/plain; charset=iso-8859-1\n\n' "$2"
		printf 'Gr\xfc\xdfe aus K\xf6ln\n.a line with a leading dot\n\n'
		printf -- '--%s\nContent-Type: application/octet-stream\n' "$2"
		printf 'Content-Transfer-Encoding: base64\n\nAAECAwQFBgcICQ==\n--%s--\n' "$2"
	} >"$1"
}

@test "round trip: a stamped message passes (exit 0), unchanged, with the reason" {
	msg "$M"
	stampit "$M" "$S" "clamav clean" "yara clean"
	run -0 verify "$S"
	assert_output --regexp '^ms-verify: info: -: pass: scanned: clean by scan1\.example\.org \(clamav,yara\), [01] s ago, key scan1\.example\.org$'
	cmp "$S" "$BATS_TEST_TMPDIR/vout"
	# the message as such needs scanning, and is passed on unchanged
	run -1 verify "$M"
	assert_output "ms-verify: info: -: alt: needs scanning: no status field"
	cmp "$M" "$BATS_TEST_TMPDIR/vout"
}

@test "a forged field with a random signature needs scanning" {
	msg "$M"
	bh=$(bodyhash "$M")
	sig=$(openssl rand 64 | base64 -w0)
	{ printf 'X-Mailscan-Status: clean; by=scan1.example.org; engines=clamav; t=%s;\n\tbh=%s;\n\ts=%s\n' \
	    "$(date +%s)" "$bh" "$sig"; cat "$M"; } >"$X"
	run -1 verify "$X"
	assert_output "ms-verify: info: -: alt: needs scanning: status from scan1.example.org not signed by a trusted key"
	cmp "$X" "$BATS_TEST_TMPDIR/vout"
	# the same field signed with the key is good: only the signature was wrong
	{ craft "$KEY" clean scan1.example.org clamav "$(date +%s)" "$bh"; cat "$M"; } >"$X"
	run -0 verify "$X"
}

@test "a valid field copied onto another message needs scanning; onto the same body it passes" {
	msg "$M"
	stampit "$M" "$S"
	printf 'From: mallory@example.org\nSubject: hi\n\nX5O!P%%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*\n' >"$BATS_TEST_TMPDIR/evil"
	{ statusfield "$S"; cat "$BATS_TEST_TMPDIR/evil"; } >"$X"
	run -1 verify "$X"
	assert_output "ms-verify: info: -: alt: needs scanning: body does not match the status from scan1.example.org"
	# other header fields, same body: the body is what was scanned
	{ statusfield "$S"; printf 'From: x@example.com\nSubject: other\n\n'; sed '1,/^$/d' "$M"; } >"$X"
	run -0 verify "$X"
}

@test "one byte of the body changed, or a list footer added, needs scanning" {
	mime "$M" b1
	stampit "$M" "$S"
	run -0 verify "$S"
	sed 's/aus K/aus k/' "$S" >"$X"
	run -1 cmp -s "$S" "$X"
	run -1 verify "$X"
	assert_output --partial "needs scanning: body does not match"
	sed 's/AAECAwQFBgcICQ==/AAECAwQFBgcICg==/' "$S" >"$X"
	run -1 verify "$X"
	{ cat "$S"; printf -- '--\nlist-footer mailing list\nhttps://lists.example.org/\n'; } >"$X"
	run -1 verify "$X"
	# a leading dot removed (a broken dot-unstuffing) is a change too
	sed 's/^\.a line/a line/' "$S" >"$X"
	run -1 verify "$X"
	# 8BITMIME -> 7bit downgrade: the part re-encoded quoted-printable
	sed -e 's/^Content-Transfer-Encoding: 8bit$/Content-Transfer-Encoding: 7bit/' \
	    -e 's/Gr\xfc\xdfe aus K\xf6ln/Gr=FC=DFe aus K=F6ln/' "$S" >"$X"
	run -1 verify "$X"
}

@test "any field value changed (status, by, engines, t, bh, s) needs scanning" {
	msg "$M"
	stampit "$M" "$S" "clamav cleaned removed"
	run -0 verify "$S"
	t=$(tagval t "$S")
	bad() {		# bad SED-EXPRESSION
		sed "$1" "$S" >"$X"
		! cmp -s "$S" "$X" || { echo "sed $1 changed nothing" >&2; return 1; }
		verify "$X"
	}
	run -1 bad 's/^X-Mailscan-Status: cleaned;/X-Mailscan-Status: clean;/'
	assert_output --partial "not signed by a trusted key"
	run -1 bad 's/^X-Mailscan-Status: cleaned;/X-Mailscan-Status: released;/'
	run -1 bad 's/by=scan1\.example\.org;/by=scan2.example.org;/'
	assert_output --partial "status from scan2.example.org not signed by a trusted key"
	run -1 bad 's/engines=clamav;/engines=clamav,yara;/'
	run -1 bad 's/engines=clamav;/engines=clamaw;/'
	run -1 bad "s/t=$t;/t=$((t - 1));/"
	run -1 bad "s/t=$t;/t=$((t + 1));/"
	run -1 bad 's|bh=[^;]*;|bh=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=;|'
	assert_output --partial "body does not match the status from scan1.example.org"
	run -1 bad "s|^\ts=.*|\ts=$(openssl rand 64 | base64 -w0)|"
	assert_output --partial "not signed by a trusted key"
	run -1 bad 's/^\ts=.*/\ts=AAAA/'
	assert_output --partial "needs scanning: malformed signature"
	# control: those values, signed by the key, pass
	{ craft "$KEY" released scan2.example.org clamav,yara "$((t - 1))" "$(tagval bh "$S")"; cat "$M"; } >"$X"
	run -0 verify "$X"
	assert_output --partial "scanned: released by scan2.example.org (clamav,yara)"
}

@test "Content-Type or Content-Transfer-Encoding changed needs scanning; re-spaced or refolded they pass" {
	mime "$M" b1
	stampit "$M" "$S"
	run -0 verify "$S"
	sed 's/boundary="b1"/boundary="b2"/' "$S" >"$X"
	run -1 verify "$X"
	assert_output --partial "body does not match"
	sed 's/^Content-Type: multipart\/mixed;/Content-Type: multipart\/alternative;/' "$S" >"$X"
	run -1 verify "$X"
	sed 's/^Content-Transfer-Encoding: 8bit$/Content-Transfer-Encoding: binary/' "$S" >"$X"
	run -1 verify "$X"
	sed '/^Content-Transfer-Encoding: 8bit$/d' "$S" >"$X"
	run -1 verify "$X"
	# a Content-Type added to a message that had none
	msg "$BATS_TEST_TMPDIR/plain"
	stampit "$BATS_TEST_TMPDIR/plain" "$BATS_TEST_TMPDIR/ps"
	sed 's/^Subject: /Content-Type: text\/html\nSubject: /' "$BATS_TEST_TMPDIR/ps" >"$X"
	run -1 verify "$X"
	# refolded, with more white space, name in another case: same value
	sed 's/^Content-Type: multipart\/mixed; boundary="b1"$/content-type:  multipart\/mixed;\n\t  boundary="b1"  /' "$S" >"$X"
	run -1 cmp -s "$S" "$X"
	run -0 verify "$X"
	sed 's/^Content-Transfer-Encoding: 8bit$/Content-Transfer-Encoding:\t8bit/' "$S" >"$X"
	run -0 verify "$X"
}

@test "header fields added above, between or below, or changed, keep it valid" {
	msg "$M" 'Content-Type: text/plain; charset=us-ascii'
	stampit "$M" "$S"
	{
		printf 'Received: from mx.example.net by gw.example.net; Mon, 3 Jun 2024 10:01:00 +0000\n'
		printf 'DKIM-Signature: v=1; a=rsa-sha256;\n\tb=xyz\n'
		sed -e '/^Subject:/i\
X-Spam-Score: 0.1' -e 's/^Subject: .*/Subject: [list] changed/' "$S" |
		    sed '/^Message-ID:/a\
Authentication-Results: gw.example.net; dkim=pass'
	} >"$X"
	run -0 verify "$X"
	[ "$(grep -c '^X-Spam-Score' "$X")" -eq 1 ]
	[ "$(grep -c '^Authentication-Results' "$X")" -eq 1 ]
}

@test "malformed status fields need scanning" {
	msg "$M"
	t=$(date +%s)
	bh=$(bodyhash "$M")
	s=$(openssl rand 64 | base64 -w0)
	for v in \
	    "clean; by=a; engines=x; t=$t; bh=$bh" \
	    "clean; by=a; engines=x; t=$t; bh=$bh; s=$s; s=$s" \
	    "clean; by=a; engines=x; t=$t; bh=$bh; s=$s; x=1" \
	    "Clean; by=a; engines=x; t=$t; bh=$bh; s=$s" \
	    "ok; by=a; engines=x; t=$t; bh=$bh; s=$s" \
	    "clean; by=; engines=x; t=$t; bh=$bh; s=$s" \
	    "clean; by=a b; engines=x; t=$t; bh=$bh; s=$s" \
	    "clean; by=a; engines=x; t=-$t; bh=$bh; s=$s" \
	    "clean; by=a; engines=x; t=${t}x; bh=$bh; s=$s" \
	    "clean; by=a; engines=x; t=99999999999999999999999; bh=$bh; s=$s" \
	    "clean; BY=a; engines=x; t=$t; bh=$bh; s=$s" \
	    "by=a; engines=x; t=$t; bh=$bh; s=$s" \
	    "clean by=a; engines=x; t=$t; bh=$bh; s=$s" \
	    "" \
	    ";;;;" ; do
		{ printf 'X-Mailscan-Status: %s\n' "$v"; cat "$M"; } >"$X"
		run -1 verify "$X"
		[ "$output" = "ms-verify: info: -: alt: needs scanning: malformed status field" ] ||
		    fail "[$v]: $output"
	done
	for sv in "${s:0:86}" "${s}AAAA" "${s:0:85}!==" "$(openssl rand 63 | base64 -w0)"; do
		{ printf 'X-Mailscan-Status: clean; by=a; engines=x; t=%s; bh=%s; s=%s\n' "$t" "$bh" "$sv"; cat "$M"; } >"$X"
		run -1 verify "$X"
		[ "$output" = "ms-verify: info: -: alt: needs scanning: malformed signature" ] ||
		    fail "[s=$sv]: $output"
	done
}

@test "expired (MS_STAMP_MAXAGE, default 7 days) or dated more than an hour ahead needs scanning" {
	msg "$M"
	stampit "$M" "$S"
	sleep 1.1
	MS_STAMP_MAXAGE=0 run -1 verify "$S"
	assert_output --regexp 'needs scanning: status from scan1\.example\.org expired \([12] s old, MS_STAMP_MAXAGE 0\)$'
	MS_STAMP_MAXAGE=60 run -0 verify "$S"
	now=$(date +%s)
	bh=$(bodyhash "$M")
	old() { { craft "$KEY" clean scan1.example.org clamav "$1" "$bh"; cat "$M"; } >"$X"; verify "$X"; }
	run -1 old $((now - 604800 - 60))
	assert_output --partial "expired"
	run -0 old $((now - 604800 + 60))
	MS_STAMP_MAXAGE=700000 run -0 old $((now - 604800 - 60))
	run -1 old 0
	run -1 old $((now + 3600 + 60))
	assert_output --regexp 'needs scanning: status from scan1\.example\.org is dated 36[0-9][0-9] s ahead$'
	run -0 old $((now + 3600 - 60))
	run -111 env MS_STAMP_MAXAGE=7d ms-verify <"$S"
	assert_output "ms-verify: fatal: unable to parse MS_STAMP_MAXAGE"
}

@test "a key that is not trusted, or no trusted keys at all: needs scanning" {
	msg "$M"
	newkey "$BATS_TEST_TMPDIR/k2" scan2.example.org
	MS_STAMPKEY=$BATS_TEST_TMPDIR/k2/stamp.key stampit "$M" "$S"
	run -1 verify "$S"
	assert_output "ms-verify: info: -: alt: needs scanning: status from scan1.example.org not signed by a trusted key"
	MS_TRUSTED_KEYS=$BATS_TEST_TMPDIR/k2 run -111 verify "$S"	# stamp.key is no key line
	assert_output --partial "unable to load trusted keys from $BATS_TEST_TMPDIR/k2, bad line in stamp.key"
	mkdir "$BATS_TEST_TMPDIR/t2"
	cp "$BATS_TEST_TMPDIR/k2/stamp.pub" "$BATS_TEST_TMPDIR/t2/"
	MS_TRUSTED_KEYS=$BATS_TEST_TMPDIR/t2 run -0 verify "$S"
	assert_output --partial ", key scan2.example.org"
	stampit "$M" "$S"
	rm -r "$MS_ETC/trusted-keys"
	run -1 verify "$S"
	assert_output --partial "not signed by a trusted key"
	mkdir "$MS_ETC/trusted-keys"
	run -1 verify "$S"
}

@test "key rotation: old and new key both trusted, then the removed one is not" {
	msg "$M"
	newkey "$BATS_TEST_TMPDIR/new" scan1-2025.example.org
	stampit "$M" "$BATS_TEST_TMPDIR/old.eml"
	MS_STAMPKEY=$BATS_TEST_TMPDIR/new/stamp.key stampit "$M" "$BATS_TEST_TMPDIR/new.eml"
	# step 1: the new public key goes to the gateways next to the old one
	cp "$BATS_TEST_TMPDIR/new/stamp.pub" "$MS_ETC/trusted-keys/scan1-2025"
	run -0 verify "$BATS_TEST_TMPDIR/old.eml"
	assert_output --partial ", key scan1.example.org"
	run -0 verify "$BATS_TEST_TMPDIR/new.eml"
	assert_output --partial ", key scan1-2025.example.org"
	# two lines in one file work as well; a line without comment is named by its file
	{ cat "$MS_ETC/trusted-keys/scan1"; awk '{print $1, $2}' "$BATS_TEST_TMPDIR/new/stamp.pub"; } >"$BATS_TEST_TMPDIR/both"
	rm "$MS_ETC/trusted-keys/"*
	cp "$BATS_TEST_TMPDIR/both" "$MS_ETC/trusted-keys/group"
	run -0 verify "$BATS_TEST_TMPDIR/old.eml"
	run -0 verify "$BATS_TEST_TMPDIR/new.eml"
	assert_output --partial ", key group"
	# step 3: the old key withdrawn; a dot file is not read
	awk '{print $1, $2}' "$BATS_TEST_TMPDIR/new/stamp.pub" >"$MS_ETC/trusted-keys/group"
	cp "$MS_ETC/stamp.pub" "$MS_ETC/trusted-keys/.scan1.retired"
	run -1 verify "$BATS_TEST_TMPDIR/old.eml"
	assert_output --partial "not signed by a trusted key"
	run -0 verify "$BATS_TEST_TMPDIR/new.eml"
}

@test "a bad trusted-keys or scanners line: exit 111 before reading the message" {
	msg "$M"
	stampit "$M" "$S"
	printf '# keys\n\ned25519 notbase64 host\n' >"$MS_ETC/trusted-keys/broken"
	run -111 --separate-stderr ms-verify <"$S"
	[ -z "$output" ]
	[[ $stderr == *"unable to load trusted keys from $MS_ETC/trusted-keys, bad line in broken"* ]]
	[[ ${stderr##*$'\n'} == "ms-verify: fatal: unable to load the scanners list or the trusted keys" ]]
	printf 'ed25519 %s\n' "$(openssl rand 31 | base64)" >"$MS_ETC/trusted-keys/broken"
	run -111 ms-verify <"$S"
	printf 'rsa %s\n' "$(openssl rand 32 | base64)" >"$MS_ETC/trusted-keys/broken"
	run -111 ms-verify <"$S"
	rm "$MS_ETC/trusted-keys/broken"
	run -0 verify "$S"
	printf '# group\n192.0.2.1\n192.0.2.0/33\n' >"$MS_ETC/scanners"
	run -111 ms-verify <"$S"
	assert_output --partial "unable to load $MS_ETC/scanners: line 3 is not an address or prefix"
	printf 'scan1.example.org\n' >"$BATS_TEST_TMPDIR/sc"
	MS_SCANNERS=$BATS_TEST_TMPDIR/sc run -111 ms-verify <"$S"
	assert_output --partial "line 1 is not an address or prefix"
	printf '192.0.2.1 # gateway\n' >"$BATS_TEST_TMPDIR/sc"	# comments are whole lines
	MS_SCANNERS=$BATS_TEST_TMPDIR/sc run -111 ms-verify <"$S"
}

@test "source address: IPv4, IPv6 and CIDR from TCPREMOTEIP, IPv4-mapped IPv6 as IPv4" {
	msg "$M"
	printf '%s\n' '# the scanning group' '' '192.0.2.7' '  198.51.100.0/24  ' \
	    '2001:db8:1::/48' '2001:db8::25' '10.0.0.0/8' '::ffff:203.0.113.9' >"$MS_ETC/scanners"
	pass() { TCPREMOTEIP=$1 verify "$M"; }
	for ip in 192.0.2.7 198.51.100.0 198.51.100.200 198.51.100.255 2001:db8:1::1 \
	    2001:db8:1:ffff:ffff:ffff:ffff:ffff 2001:0db8:0000::0025 10.255.255.255 \
	    ::ffff:192.0.2.7 ::ffff:198.51.100.9 ::FFFF:10.1.2.3 203.0.113.9 ::ffff:203.0.113.9; do
		run -0 pass "$ip"
		[ "$output" = "ms-verify: info: -: pass: scanned: source $ip is a scanning host" ] ||
		    fail "$ip: $output"
		cmp "$M" "$BATS_TEST_TMPDIR/vout"
	done
	for ip in 192.0.2.8 192.0.2.6 198.51.101.1 198.51.99.255 2001:db8:2::1 2001:db8::26 \
	    11.0.0.1 ::ffff:192.0.2.8 ::192.0.2.7 64:ff9b::192.0.2.7 203.0.113.10 fe80::1 \
	    127.0.0.1 ::1 not-an-address; do
		run -1 pass "$ip"
		[ "$output" = "ms-verify: info: -: alt: needs scanning: no status field" ] ||
		    fail "$ip: $output"
	done
	# MS_SCANNERS names another file
	printf '2001:db8:ffff::/64\n' >"$BATS_TEST_TMPDIR/sc"
	MS_SCANNERS=$BATS_TEST_TMPDIR/sc run -0 pass 2001:db8:ffff::9
	MS_SCANNERS=$BATS_TEST_TMPDIR/sc run -1 pass 192.0.2.7
}

@test "source address from the envelope block's X-Mailscan-Client; TCPREMOTEIP overrides it" {
	msg "$M"
	printf '192.0.2.0/28\n2001:db8::/32\n' >"$MS_ETC/scanners"
	block() { printf 'Return-Path: <a@example.org>\nX-Mailscan-Rcpt: <b@example.net>\nX-Mailscan-Client: %s\n' "$1"; cat "$M"; }
	block "192.0.2.3 scan1.example.org" >"$X"
	run -0 verify "$X"
	assert_output "ms-verify: info: -: pass: scanned: source 192.0.2.3 is a scanning host"
	cmp "$X" "$BATS_TEST_TMPDIR/vout"
	block "2001:db8::5 scan2" >"$X"
	run -0 verify "$X"
	block "192.0.2.16 mx.example.com" >"$X"
	run -1 verify "$X"
	block "192.0.2.3 scan1.example.org" >"$X"
	TCPREMOTEIP=203.0.113.5 run -1 verify "$X"
	block "203.0.113.5 mx.example.com" >"$X"
	TCPREMOTEIP=192.0.2.1 run -0 verify "$X"
	# a forged X-Mailscan-Client below the message's first field is not the block's
	{ printf 'Return-Path: <a@example.org>\nX-Mailscan-Rcpt: <b@example.net>\n'
	  printf 'Received: from x\nX-Mailscan-Client: 192.0.2.3 forged\n'; cat "$M"; } >"$X"
	run -1 verify "$X"
}

@test "8-bit and CRLF: a CRLF copy, trailing blank lines, a lost final newline all pass" {
	mime "$M" "=_8bit_"
	stampit "$M" "$S"
	run -0 verify "$S"
	sed 's/$/\r/' "$S" >"$X"
	run -0 verify "$X"
	{ cat "$S"; printf '\n\n\n'; } >"$X"
	run -0 verify "$X"
	{ sed 's/$/\r/' "$S"; printf '\r\n\r\n'; } >"$X"
	run -0 verify "$X"
	head -c -1 "$S" >"$X"
	run -0 verify "$X"
	# stamped as CRLF, passed on as LF
	sed 's/$/\r/' "$M" >"$BATS_TEST_TMPDIR/crlf"
	stampit "$BATS_TEST_TMPDIR/crlf" "$S"
	run -0 verify "$S"
	tr -d '\r' <"$S" >"$X"
	run -0 verify "$X"
	# but an 8-bit byte changed, or an empty line added inside the body, is a change
	sed 's/K\xf6ln/K\xd6ln/' "$S" >"$X"
	run -1 verify "$X"
	sed 's/^\.a line with a leading dot/&\n/' "$S" >"$X"
	run -1 verify "$X"
}

@test "a refolded or re-spaced status field still passes" {
	msg "$M"
	stampit "$M" "$S"
	line=$(statusline "$S")
	body() { sed 1,4d "$S"; }	# after the verdict line and the field
	[ "$(sed -n 1p "$S")" = "X-Mailscan-Verdict: clamav clean" ]
	{ sed -n 1p "$S"; printf '%s\n' "$line"; body; } >"$X"
	run -0 verify "$X"
	{ sed -n 1p "$S"; printf '%s\n' "$line" | sed 's/; /;\r\n    /g'; body; } >"$X"
	[ "$(grep -c '^    ' "$X")" -eq 5 ]
	run -0 verify "$X"
	{ sed -n 1p "$S"; printf '%s\n' "$line" | sed -e 's/; */ ;\t/g' -e 's/: /:/' -e 's/$/;  /'; body; } >"$X"
	run -0 verify "$X"
	{ sed -n 1p "$S"; printf '%s\n' "$line" | sed 's/^X-Mailscan-Status:/x-mailscan-status:/'; body; } >"$X"
	run -0 verify "$X"
	# the tags in another order: the signed text is rebuilt in its fixed order
	{ sed -n 1p "$S"; printf 'X-Mailscan-Status: %s; s=%s; bh=%s; t=%s; engines=%s; by=%s\n' \
	    "$(tagval status "$S")" "$(tagval s "$S")" "$(tagval bh "$S")" "$(tagval t "$S")" \
	    "$(tagval engines "$S")" "$(tagval by "$S")"; body; } >"$X"
	run -0 verify "$X"
}

@test "a second, forged status field: below the real one it is ignored, above it wins" {
	msg "$M"
	stampit "$M" "$S"
	forged="X-Mailscan-Status: clean; by=evil.example; engines=none; t=$(date +%s); bh=$(tagval bh "$S"); s=$(openssl rand 64 | base64 -w0)"
	{ sed -n 1,4p "$S"; printf '%s\n' "$forged"; sed 1,4d "$S"; } >"$X"
	run -0 verify "$X"
	assert_output --partial "scanned: clean by scan1.example.org"
	{ sed -n 1p "$S"; printf '%s\n' "$forged"; sed 1d "$S"; } >"$X"
	run -1 verify "$X"
	assert_output --partial "status from evil.example not signed by a trusted key"
	# an infected stamp on top of a clean one: the top one counts
	stampit "$M" "$BATS_TEST_TMPDIR/inf" "clamav infected Eicar-Test-Signature"
	{ statusfield "$BATS_TEST_TMPDIR/inf"; sed 1d "$S"; } >"$X"
	run -1 verify "$X"
	assert_output --partial "status infected from scan1.example.org is not accepted"
	# garbage on top hides a good field as well
	{ printf 'X-Mailscan-Status: nonsense\n'; sed 1d "$S"; } >"$X"
	run -1 verify "$X"
	assert_output --partial "malformed status field"
}

@test "statuses: infected and unscanned need scanning unless MS_VERIFY_ACCEPT lists them" {
	msg "$M"
	stampit "$M" "$BATS_TEST_TMPDIR/clean" "clamav clean"
	stampit "$M" "$BATS_TEST_TMPDIR/cleaned" "clamav cleaned macro removed"
	stampit "$M" "$BATS_TEST_TMPDIR/infected" "clamav infected Eicar-Test-Signature"
	stampit "$M" "$BATS_TEST_TMPDIR/unscanned" "clamav unscanned too large"
	ms-stamp -s released <"$BATS_TEST_TMPDIR/infected" >"$BATS_TEST_TMPDIR/released" 2>/dev/null
	for s in clean cleaned released; do
		run -0 verify "$BATS_TEST_TMPDIR/$s"
		assert_output --partial "scanned: $s by scan1.example.org"
	done
	for s in infected unscanned; do
		run -1 verify "$BATS_TEST_TMPDIR/$s"
		assert_output --partial "needs scanning: status $s from scan1.example.org is not accepted (MS_VERIFY_ACCEPT)"
	done
	export MS_VERIFY_ACCEPT="clean infected"
	run -0 verify "$BATS_TEST_TMPDIR/infected"
	run -1 verify "$BATS_TEST_TMPDIR/cleaned"
	run -1 verify "$BATS_TEST_TMPDIR/released"
	MS_VERIFY_ACCEPT="clean,unscanned" run -0 verify "$BATS_TEST_TMPDIR/unscanned"
	MS_VERIFY_ACCEPT="clea" run -1 verify "$BATS_TEST_TMPDIR/clean"
	MS_VERIFY_ACCEPT="cleaned" run -1 verify "$BATS_TEST_TMPDIR/clean"
	# empty is the default
	MS_VERIFY_ACCEPT="" run -0 verify "$BATS_TEST_TMPDIR/released"
}

@test "through ms-smtpd and ms-queue: the stamped message is still valid in the spool" {
	mime "$M" "==mixed=="
	stampit "$M" "$S"
	run -0 verify "$S"
	# what a scanning host sends back: the message proper, field on top
	sed 1d "$S" >"$X"
	MS_QUEUE=ms-queue MS_HOSTNAME=gw.example.net start_tcpserver ms-smtpd
	run -0 swaks --server "127.0.0.1:$PORT" --from alice@example.org --to bob@example.net \
	    --helo scan1.example.org --data "$X"
	assert_output --partial "250 2.0.0 ok: queued"
	wait_for has_files "$MS_SPOOL/in/new" 1
	f=$(find "$MS_SPOOL/in/new" -type f)
	# ms-smtpd's block and Received field, then the message with the field
	[ "$(sed -n 1p "$f")" = "Return-Path: <alice@example.org>" ]
	[ "$(sed -n 2p "$f")" = "X-Mailscan-Rcpt: <bob@example.net>" ]
	[ "$(sed -n 3p "$f")" = "X-Mailscan-Client: 127.0.0.1 scan1.example.org" ]
	sed -n 4p "$f" | grep -q '^Received: from scan1.example.org '
	grep -n '^X-Mailscan-Status: clean; by=scan1.example.org; engines=clamav;' "$f" | grep -q '^8:'
	grep -q '^\.a line with a leading dot$' "$f"	# dot-stuffing undone
	run -0 verify "$f"
	assert_output --partial "scanned: clean by scan1.example.org (clamav)"
	# the spool file is a copy of what was sent, after the block and Received
	# (swaks adds an empty line before the final dot)
	cmp <(sed 1,7d "$f" | notrailing) <(notrailing <"$X")
	# one body byte changed on the way is caught in the spool
	sed 's/^\.a line/.A line/' "$X" >"$BATS_TEST_TMPDIR/y"
	run -0 swaks --server "127.0.0.1:$PORT" --from alice@example.org --to bob@example.net \
	    --data "$BATS_TEST_TMPDIR/y"
	wait_for has_files "$MS_SPOOL/in/new" 2
	g=$(find "$MS_SPOOL/in/new" -type f ! -name "${f##*/}")
	run -1 verify "$g"
	assert_output --partial "body does not match"
}

@test "ms-verify as an MS_QUEUE stage: stamped mail accepted, unstamped refused" {
	msg "$M"
	stampit "$M" "$S"
	sed 1d "$S" >"$X"
	MS_QUEUE="ms-verify | ms-queue" start_tcpserver ms-smtpd
	run -0 swaks --server "127.0.0.1:$PORT" --from a@example.org --to b@example.net --data "$X"
	assert_output --partial "250 2.0.0 ok: queued"
	wait_for has_files "$MS_SPOOL/in/new" 1
	run swaks --server "127.0.0.1:$PORT" --from a@example.org --to b@example.net --data "$M"
	assert_output --regexp '<\*\* +5[0-9][0-9] '
	[ "$(count_files "$MS_SPOOL/in/new")" -eq 1 ]
	grep -q 'ms-verify: info: -: alt: needs scanning: no status field' "$BATS_TEST_TMPDIR/server.log"
}

@test "spool mode: stamped mail to -o, the rest to -a, moved by rename; a bad block to -b" {
	IN=$MS_SPOOL/in
	msg "$M"
	stampit "$M" "$S"
	cp "$S" "$IN/new/1.M1P1Q1.stamped"
	cp "$M" "$IN/new/2.M1P1Q2.plain"
	stampit "$M" "$IN/new/3.M1P1Q3.infected" "clamav infected Eicar-Test-Signature"
	{ printf 'Return-Path: <a@example.org>\nX-Mailscan-Client: 192.0.2.9 scan9\n'; cat "$M"; } >"$IN/new/4.M1P1Q4.fromscanner"
	{ printf 'Return-Path: <a\001@example.org>\n'; cat "$S"; } >"$IN/new/5.M1P1Q5.badblock"
	printf '192.0.2.9\n' >"$MS_ETC/scanners"
	declare -A ino
	for f in "$IN"/new/*; do
		ino[${f##*/}]=$(stat -c %i "$f")
		cp "$f" "$BATS_TEST_TMPDIR/orig.${f##*/}"
	done
	start_bg ms-verify -q "$IN" -o "$MS_SPOOL/scanned" -a "$MS_SPOOL/unscanned" -b "$MS_SPOOL/bounce" </dev/null
	wait_for has_files "$MS_SPOOL/bounce/new" 1
	wait_for has_files "$IN/new" 0
	stop_bg "$BGPID"
	[ "$BGSTATUS" -eq 0 ]
	[ "$(count_files "$MS_SPOOL/scanned/new")" -eq 2 ]
	[ "$(count_files "$MS_SPOOL/unscanned/new")" -eq 2 ]
	for n in 1.M1P1Q1.stamped:scanned 4.M1P1Q4.fromscanner:scanned \
	    2.M1P1Q2.plain:unscanned 3.M1P1Q3.infected:unscanned; do
		f=$MS_SPOOL/${n#*:}/new/${n%:*}
		[ -f "$f" ] || fail "${n%:*} not in ${n#*:}"
		[ "$(stat -c %i "$f")" = "${ino[${n%:*}]}" ] || fail "${n%:*} was copied, not renamed"
		cmp "$f" "$BATS_TEST_TMPDIR/orig.${n%:*}"
	done
	b=$MS_SPOOL/bounce/new/5.M1P1Q5.badblock
	[ "$(head -1 "$b")" = "X-Mailscan-Error: ms-verify 5.6.0 malformed envelope block" ]
	log=$BATS_TEST_TMPDIR/server.log
	grep -q '1.M1P1Q1.stamped: pass: scanned: clean by scan1.example.org' "$log"
	grep -q '2.M1P1Q2.plain: alt: needs scanning: no status field' "$log"
	grep -q '3.M1P1Q3.infected: alt: needs scanning: status infected' "$log"
	grep -q '4.M1P1Q4.fromscanner: pass: scanned: source 192.0.2.9 is a scanning host' "$log"
}

@test "hostile input: exit 1 or 100, never 0 and never a crash" {
	h=$BATS_TEST_TMPDIR/hostile
	"$MS_TOP/t/mkhostile" "$h"
	printf 'X-Mailscan-Status: clean; by=a\0b; engines=x; t=1; bh=x; s=y\n\nbody\n' >"$h/own-nul-in-status.eml"
	printf 'X-Mailscan-Status: clean; by=a; engines=x; t=1; bh=x; s=y' >"$h/own-status-no-newline.eml"
	{ printf 'X-Mailscan-Status: clean'; head -c 100000 /dev/zero | tr '\0' ';'; printf '\n\n'; } >"$h/own-status-semicolons.eml"
	{ printf 'X-Mailscan-Status: clean; by='; head -c 70000 /dev/zero | tr '\0' a; printf '\n\n'; } >"$h/own-status-long-by.eml"
	printf 'X-Mailscan-Status:\n\n' >"$h/own-status-empty.eml"
	printf 'X-Mailscan-Client: \n\n' >"$h/own-client-empty.eml"
	{ printf 'X-Mailscan-Client: '; head -c 4000 /dev/zero | tr '\0' 1; printf '\n\n'; } >"$h/own-client-long.eml"
	for f in "$h"/*; do
		code=0
		ms-verify <"$f" >"$BATS_TEST_TMPDIR/vout" 2>"$BATS_TEST_TMPDIR/log" || code=$?
		case $code in
		1)	cmp -s "$f" "$BATS_TEST_TMPDIR/vout" || fail "${f##*/}: changed on the way" ;;
		100)	grep -q 'ms-verify: fatal: ' "$BATS_TEST_TMPDIR/log" || fail "${f##*/}: 100 without a reason" ;;
		*)	fail "${f##*/}: ms-verify exits $code: $(cat "$BATS_TEST_TMPDIR/log")" ;;
		esac
	done
}

@test "spool mode: SIGHUP reloads the trusted keys and the scanners list" {
	IN=$MS_SPOOL/in
	msg "$M"
	newkey "$BATS_TEST_TMPDIR/new" scan1-2025.example.org
	MS_STAMPKEY=$BATS_TEST_TMPDIR/new/stamp.key stampit "$M" "$S"
	start_bg ms-verify -q "$IN" -o "$MS_SPOOL/scanned" -a "$MS_SPOOL/unscanned" </dev/null
	put "$S" 1.M1P1Q1.newkey
	wait_for has_files "$MS_SPOOL/unscanned/new" 1
	cp "$BATS_TEST_TMPDIR/new/stamp.pub" "$MS_ETC/trusted-keys/scan1-2025"
	printf '192.0.2.9\n' >"$MS_ETC/scanners"
	kill -HUP "$BGPID"
	wait_for grep -q 'ms-verify: info: reloaded' "$BATS_TEST_TMPDIR/server.log"
	put "$S" 2.M1P1Q2.newkey
	{ printf 'Return-Path: <a@example.org>\nX-Mailscan-Client: 192.0.2.9 scan9\n'; cat "$M"; } >"$BATS_TEST_TMPDIR/fs"
	put "$BATS_TEST_TMPDIR/fs" 3.M1P1Q3.fromscanner
	wait_for has_files "$MS_SPOOL/scanned/new" 2
	# a broken key file on the next SIGHUP: the keys loaded stay in use
	printf 'ed25519 broken\n' >"$MS_ETC/trusted-keys/zz-broken"
	kill -HUP "$BGPID"
	wait_for grep -q 'ms-verify: warn: reload failed: keeping what was loaded' "$BATS_TEST_TMPDIR/server.log"
	put "$S" 4.M1P1Q4.newkey
	wait_for has_files "$MS_SPOOL/scanned/new" 3
	stop_bg "$BGPID"
	[ -f "$MS_SPOOL/unscanned/new/1.M1P1Q1.newkey" ]
	[ -f "$MS_SPOOL/scanned/new/2.M1P1Q2.newkey" ]
	[ -f "$MS_SPOOL/scanned/new/3.M1P1Q3.fromscanner" ]
	[ -f "$MS_SPOOL/scanned/new/4.M1P1Q4.newkey" ]
}

@test "a header with a bare CR, or two Content-Types, needs scanning: another reader may split it differently" {
	# The stamp of a header-only message, moved onto a message whose lines
	# end in bare CR (one header line to us, a whole message to others).
	printf 'X-Mailscan-Verdict: clamav clean\nFrom: a@example.org\nSubject: header only\n' |
		ms-stamp >"$S" 2>/dev/null
	{ grep -A2 '^X-Mailscan-Status' "$S"
	  printf 'From: a@x\rSubject: evil\rContent-Type: text/plain\r\rX5O!P%%@AP\r'; } >"$X"
	run -1 ms-verify <"$X"
	[[ $output == *"needs scanning: a bare CR in the header"* ]]
	# The body hash takes a bare CR for a line end too.
	printf 'X-Mailscan-Verdict: clamav clean\nSubject: x\n\nline one\rline two\n' | ms-stamp >"$S" 2>/dev/null
	run -0 ms-verify <"$S"
	sed 's/line one\rline two/line one\nline two/' "$S" >"$X"
	run -0 ms-verify <"$X"
	# A second Content-Type below the first.
	printf 'X-Mailscan-Verdict: clamav clean\nContent-Type: text/plain\nSubject: x\n\nbody\n' |
		ms-stamp >"$S" 2>/dev/null
	run -0 ms-verify <"$S"
	sed 's/^Subject: x$/Subject: x\nContent-Type: text\/html/' "$S" >"$X"
	run -1 ms-verify <"$X"
	[[ $output == *"more than one Content-Type"* ]]
}
