#!/usr/bin/env bats
# lib/mime (with lib/qp, lib/uu, lib/rfc2047), through t/mimewalk: one line
# per leaf, "INDEX DEPTH TYPE CHARSET ENCODING KIND OFF LEN SIZE SHA256 FLAGS
# [NAME]", then "result parts=N leaves=N depth=N decoded=N limit=L
# anomalies=A".

bats_require_minimum_version 1.5.0
load helper

CLAM=/usr/share/clamav-testfiles/clam.exe
PYDATA=/usr/lib/python3.11/test/test_email/data

setup() {
	T=$BATS_TEST_TMPDIR
	[ -f "$CLAM" ] || skip "clamav-testfiles is not installed"
	CLAMSHA=$(sha "$CLAM")
}

sha() { sha256sum "$1" | cut -d' ' -f1; }

# field N of the line of leaf INDEX in $output (fields from 1; 12 is the
# name, which may hold blanks)
field() {
	local l
	l=$(grep -m1 "^$1 " <<<"$output") || return 1
	if [ "$2" -lt 12 ]; then cut -d' ' -f"$2" <<<"$l"; else cut -d' ' -f12- <<<"$l"; fi
}

result() { grep '^result ' <<<"$output"; }

hdr() {
	printf 'From: Alice <alice@example.org>\nTo: bob@example.net\n'
	printf 'Subject: %s\nDate: Mon, 3 Jun 2024 10:00:00 +0000\n' "$1"
	printf 'Message-ID: <%s@example.org>\nMIME-Version: 1.0\n' "${1// /-}"
}

# uu FILE NAME: FILE uuencoded, with uuencode(1) when it is there.
uu() {
	if command -v uuencode >/dev/null; then
		uuencode "$1" "$2"
	else
		pyuu "$1" "$2"
	fi
}

# pyuu FILE NAME: the same with python3's binascii.
pyuu() {
	python3 -c 'import sys, binascii
d = open(sys.argv[1], "rb").read()
sys.stdout.write("begin 644 %s\n" % sys.argv[2])
for i in range(0, len(d), 45):
    sys.stdout.write(binascii.b2a_uu(d[i:i + 45], backtick=True).decode())
sys.stdout.write("`\nend\n")' "$1" "$2"
}

# b64part FILE NAME [TYPE]: a base64 body part (no delimiter)
b64part() {
	printf 'Content-Type: %s; name="%s"\n' "${3:-application/octet-stream}" "$2"
	printf 'Content-Transfer-Encoding: base64\n'
	printf 'Content-Disposition: attachment; filename="%s"\n\n' "$2"
	base64 "$1"
}

# mixed SUBJECT: a multipart/mixed message with a text part and clam.exe
mixed() {
	hdr "$1"
	printf 'Content-Type: multipart/mixed; boundary="=-b1"\n\n'
	printf 'This is a multi-part message in MIME format.\n\n--=-b1\n'
	printf 'Content-Type: text/plain; charset=us-ascii\n\nSee attachment.\n\n'
	printf -- '--=-b1\n'
	b64part "$CLAM" clam.exe
	printf -- '--=-b1--\n\nepilogue\n'
}

# nested: a message with a forwarded message/rfc822 that holds clam.exe as
# a base64 attachment, a uuencoded copy in its text, and a QP text part
nested() {
	hdr "nested"
	printf 'Content-Type: multipart/mixed; boundary="outer"\n\n--outer\n'
	printf 'Content-Type: text/plain; charset=iso-8859-1\n'
	printf 'Content-Transfer-Encoding: quoted-printable\n\n'
	printf 'Caf=E9: a forwarded message with a very long line that must be wrapp=\ned here.\n'
	printf -- '--outer\nContent-Type: message/rfc822\n\n'
	printf 'From: carol@example.com\nSubject: inner\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="inner"\n\n--inner\n'
	printf 'Content-Type: text/plain\n\nThe file, uuencoded:\n\n'
	uu "$CLAM" clam.exe
	printf '\nregards\n--inner\n'
	b64part "$CLAM" clam.exe
	printf -- '--inner--\n\n--outer--\n'
}

@test "the CPython email test corpus walks: every message, a result line, no crash" {
	[ -d "$PYDATA" ] || skip "libpython3.11-testsuite is not installed"
	for f in "$PYDATA"/msg_*.txt; do
		run mimewalk <"$f"
		[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || fail "$f: exit $status"
		[[ ${lines[-1]} == "result parts="* ]] || fail "$f: no result line"
	done
}

@test "CPython corpus: a digest, an attachment, same-boundary nesting, boundaries inside text" {
	[ -d "$PYDATA" ] || skip "libpython3.11-testsuite is not installed"
	# msg_02: mixed with a digest of five messages in it
	run -0 mimewalk <"$PYDATA/msg_02.txt"
	assert_line --regexp '^result parts=15 leaves=8 depth=3 .* anomalies=-$'
	[ "$(field 3 3)" = text/plain ] && [ "$(field 3 2)" = 3 ]
	[[ $(field 3 11) == message ]]
	# msg_07: the GIF decodes to the bytes Python decodes
	run -0 mimewalk <"$PYDATA/msg_07.txt"
	[ "$(field 2 3)" = image/gif ] && [ "$(field 2 12)" = dingusfish.gif ]
	want=$(python3 -c 'import email, hashlib, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
print(hashlib.sha256(m.get_payload(1).get_payload(decode=True)).hexdigest())' "$PYDATA/msg_07.txt")
	[ "$(field 2 10)" = "$want" ]
	# msg_15: the inner multipart reuses the outer boundary; the part after
	# the early close delimiter is still walked, and the walk says so
	run -0 mimewalk <"$PYDATA/msg_15.txt"
	[ "$(field 4 3)" = image/gif ] && [ "$(field 4 12)" = xx.gif ]
	assert_line --regexp '^result .*leaves=4 .*anomalies=boundary,nested'
	# msg_38: outer boundaries inside an inner text part end the inner
	# multiparts unclosed (as Python reads it)
	run -0 mimewalk <"$PYDATA/msg_38.txt"
	assert_line --regexp '^result parts=7 leaves=4 depth=3 .*anomalies=noclose'
	[ "$(field 1 2)" = 3 ] && [ "$(field 2 2)" = 2 ] && [ "$(field 3 2)" = 1 ]
	# msg_25: an mbox From line and a cut-off boundary parameter: one leaf
	run -0 mimewalk <"$PYDATA/msg_25.txt"
	[ "$(field 1 3)" = multipart/report ]
	[[ $(field 1 11) == *noboundary* ]]
	assert_line --regexp '^result parts=1 leaves=1 .*anomalies=boundary,header,param$'
}

@test "clamav-testfiles: every file walks without a crash" {
	for f in /usr/share/clamav-testfiles/*; do
		run mimewalk <"$f"
		[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || fail "$f: exit $status"
		[[ ${lines[-1]} == "result parts="* ]] || fail "$f: no result line"
	done
}

@test "clamav-testfiles: clam.mail, clam.exe.mbox.base64 and .uu give clam.exe's bytes" {
	d=/usr/share/clamav-testfiles
	run -0 mimewalk <"$d/clam.mail"
	[ "$(field 2 10)" = "$CLAMSHA" ] && [ "$(field 2 12)" = clam.exe ]
	run -0 mimewalk <"$d/clam.exe.mbox.base64"
	[ "$(field 1 10)" = "$CLAMSHA" ]
	# x-uuencode: the block is delivered as a uu leaf; its "end" is cut off
	run -0 mimewalk <"$d/clam.exe.mbox.uu"
	[ "$(field 2 6)" = uu ] && [ "$(field 2 10)" = "$CLAMSHA" ]
	[[ $(field 2 11) == truncated ]]
}

@test "a base64 attachment decodes to the exact bytes of the file" {
	mixed b64 >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	assert_line --regexp '^1 1 text/plain us-ascii - part '
	[ "$(field 2 3)" = application/octet-stream ] && [ "$(field 2 5)" = base64 ]
	[ "$(field 2 9)" = "$(stat -c %s "$CLAM")" ]
	[ "$(field 2 10)" = "$CLAMSHA" ] && [ "$(field 2 12)" = clam.exe ]
	assert_line --regexp '^result parts=3 leaves=2 depth=1 .* limit=none anomalies=-$'
	# and a larger binary, byte for byte
	head -c 300000 /dev/urandom >"$T/rand.bin"
	{ hdr big; printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n'
	  b64part "$T/rand.bin" rand.bin; printf -- '--b--\n'; } >"$T/big.eml"
	run -0 mimewalk <"$T/big.eml"
	[ "$(field 1 10)" = "$(sha "$T/rand.bin")" ]
	mimewalk -d 1 <"$T/big.eml" | cmp - "$T/rand.bin"
}

@test "a uuencoded block in a text body is a leaf of its own, with its range in the message" {
	{ hdr uu; printf 'Content-Type: text/plain\n\nHello,\n\nthe file:\n\n'
	  uu "$CLAM" clam.exe; printf '\nbye\n'; } >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 3)" = text/plain ] && [ "$(field 1 6)" = part ]
	[ "$(field 2 6)" = uu ] && [ "$(field 2 12)" = clam.exe ]
	[ "$(field 2 10)" = "$CLAMSHA" ] && [ "$(field 2 11)" = - ]
	# the range is the block, begin line through end line
	off=$(field 2 7) len=$(field 2 8)
	tail -c +$((off + 1)) "$T/m.eml" | head -c "$len" >"$T/block"
	uu "$CLAM" clam.exe | cmp - "$T/block"
	# removing it leaves the rest of the text as it was
	run -0 mimewalk -r 2 -R "virus found" <"$T/m.eml"
	{ head -c "$off" "$T/m.eml"
	  printf '[The uuencoded file "clam.exe" was removed: virus found]\n'
	  tail -c +$((off + len + 1)) "$T/m.eml"; } >"$T/want"
	cmp "$T/want" - <<<"$output"
}

@test "uu blocks: several per body, begin-base64, missing end, bad line lengths, python-made" {
	printf 'small file\n' >"$T/small"
	{ hdr uu2; printf 'Content-Type: text/plain\n\none:\n'
	  pyuu "$CLAM" clam.exe
	  printf 'two:\nbegin-base64 600 small.txt\n%s\n====\n' "$(base64 "$T/small")"
	  # a line whose length character promises more than it holds
	  printf 'three:\nbegin 644 short.bin\nM86)C\n`\nend\n'
	  printf 'four, cut off:\n'; pyuu "$CLAM" cut.exe >"$T/cut.uu"; head -5 "$T/cut.uu"
	  printf 'and text goes on here.\n'; } >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 2 10)" = "$CLAMSHA" ] && [ "$(field 2 12)" = clam.exe ]
	[ "$(field 3 10)" = "$(sha "$T/small")" ] && [ "$(field 3 12)" = small.txt ]
	[ "$(field 3 5)" = base64 ] && [ "$(field 3 11)" = base64 ]
	[ "$(field 4 9)" = 3 ] && [ "$(field 4 11)" = baddata ]
	[ "$(field 5 12)" = cut.exe ] && [ "$(field 5 11)" = truncated ]
	sed -n 2,5p "$T/cut.uu" | python3 -c 'import sys, binascii
sys.stdout.buffer.write(b"".join(binascii.a2b_uu(l) for l in sys.stdin.buffer))' >"$T/cut"
	[ "$(field 5 10)" = "$(sha "$T/cut")" ]
	assert_line --regexp '^result parts=5 leaves=5 .*anomalies=truncated$'
}

@test "a uu block in a base64 text part: found in the decoded text, range of its carrier" {
	{ printf 'Hello\n\n'; uu "$CLAM" clam.exe; printf 'bye\n'; } >"$T/text"
	{ hdr b64uu; printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n'
	  printf 'Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n'
	  base64 "$T/text"; printf -- '--b--\n'; } >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 10)" = "$(sha "$T/text")" ]
	[ "$(field 2 6)" = uu ] && [ "$(field 2 10)" = "$CLAMSHA" ]
	[ "$(field 2 11)" = indirect ]
	[ "$(field 2 7)" = "$(field 1 7)" ] && [ "$(field 2 8)" = "$(field 1 8)" ]
	# removing it removes its carrier, as a text part
	run -0 mimewalk -r 2 <"$T/m.eml"
	assert_output --partial 'The text part that held the uuencoded file "clam.exe" was removed'
}

@test "a nested message/rfc822: its leaves at depth 3, same bytes as the file" {
	nested >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 3)" = text/plain ] && [ "$(field 1 2)" = 1 ]
	[ "$(field 2 2)" = 3 ] && [ "$(field 3 6)" = uu ] && [ "$(field 3 10)" = "$CLAMSHA" ]
	[ "$(field 4 2)" = 3 ] && [ "$(field 4 10)" = "$CLAMSHA" ] && [ "$(field 4 12)" = clam.exe ]
	assert_line --regexp '^result parts=7 leaves=4 depth=3 .*anomalies=-$'
}

@test "quoted-printable text decodes to the original text" {
	python3 -c 'import sys
s = "Caf\u00e9 cr\u00e8me = br\u00fbl\u00e9e, " * 12 + "\nTab\tand trailing blank \nlast line =\n"
sys.stdout.buffer.write(s.encode("utf-8"))' >"$T/text"
	python3 -c 'import quopri, sys; sys.stdout.buffer.write(quopri.encodestring(open(sys.argv[1], "rb").read()))' "$T/text" >"$T/qp"
	{ hdr qp; printf 'Content-Type: text/plain; charset="UTF-8"\n'
	  printf 'Content-Transfer-Encoding: Quoted-Printable\n\n'; cat "$T/qp"; } >"$T/m.eml"
	grep -q '=$' "$T/qp"	# soft line breaks were used
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 4)" = utf-8 ] && [ "$(field 1 5)" = quoted-printable ]
	[ "$(field 1 10)" = "$(sha "$T/text")" ] && [ "$(field 1 11)" = message ]
	mimewalk -d 1 <"$T/m.eml" | cmp - "$T/text"
	# CRLF soft breaks, an invalid "=ZZ" kept as it is, flagged
	{ hdr qp2; printf 'Content-Transfer-Encoding: quoted-printable\r\n\r\n'
	  printf 'soft=\r\nbreak, =ZZ stays, =3D is "=", end=\r\n'; } >"$T/m2.eml"
	run -0 mimewalk -d 1 <"$T/m2.eml"
	assert_output 'softbreak, =ZZ stays, = is "=", end'
	run -0 mimewalk <"$T/m2.eml"
	[ "$(field 1 11)" = message,baddata ]
}

@test "RFC 2231 file names: charset, continuations, quoted sections, before the plain name" {
	{ hdr 2231; printf 'Content-Type: multipart/mixed; boundary=b\n\n'
	  printf -- '--b\nContent-Type: application/pdf\n'
	  printf "Content-Disposition: attachment;\n filename*0*=utf-8''%%E2%%82%%AC%%20rates;\n filename*1*=%%20for%%202024;\n filename*2=\".pdf\"\n\nx\n"
	  printf -- "--b\nContent-Type: text/plain; name*=iso-8859-1'fr'caf%%E9.txt\n\nx\n"
	  printf -- "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"plain.txt\";\n filename*=UTF-8''%%C3%%BCber.txt\n\nx\n"
	  printf -- "--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename*=koi8-r''%%F0%%D2.txt\n\nx\n"
	  printf -- '--b--\n'; } >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 12)" = '\xe2\x82\xac rates for 2024.pdf' ]
	[ "$(field 2 12)" = 'caf\xc3\xa9.txt' ]
	[ "$(field 3 12)" = '\xc3\xbcber.txt' ]
	[ "$(field 4 12)" = '\xf0\xd2.txt' ]	# another charset: raw bytes
	assert_line --regexp '^result .*anomalies=-$'
}

@test "RFC 2047 file names: B and Q words, adjacent words joined, name= when no filename=" {
	{ hdr 2047; printf 'Content-Type: multipart/mixed; boundary=b\n\n'
	  printf -- '--b\nContent-Type: application/octet-stream; name="=?utf-8?B?w7xiZXI=?= =?utf-8?Q?_r=C3=A9sum=C3=A9.doc?="\n\nx\n'
	  printf -- '--b\nContent-Type: application/octet-stream; name="ignored"\n'
	  printf 'Content-Disposition: attachment; filename="=?ISO-8859-1?Q?na=EFve?=.txt"\n\nx\n'
	  printf -- '--b\nContent-Type: application/octet-stream; name="=?utf-8?X?bad?= =?utf-8?B?bad"\n\nx\n'
	  printf -- '--b--\n'; } >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 12)" = '\xc3\xbcber r\xc3\xa9sum\xc3\xa9.doc' ]
	[ "$(field 2 12)" = 'na\xc3\xafve.txt' ]
	[ "$(field 3 12)" = '=?utf-8?X?bad?= =?utf-8?B?bad' ]
}

@test "depth limit: a 1000-deep and a 10000-deep nested multipart stop at the limit, fast" {
	for depth in 1000 10000; do
		python3 -c 'import sys
d = int(sys.argv[1])
m = ["From: a@example.org\nSubject: deep\nMIME-Version: 1.0\n"]
for i in range(d):
    m.append("Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n" % (i, i))
m.append("Content-Type: text/plain\n\ninnermost\n")
for i in reversed(range(d)):
    m.append("--b%d--\n" % i)
sys.stdout.write("".join(m))' $depth >"$T/deep.eml"
		run -1 timeout 20 mimewalk <"$T/deep.eml"
		assert_line --regexp '^result parts=22 leaves=0 depth=20 .* limit=depth '
	done
	# a higher limit walks the 1000 levels down to the text
	python3 -c 'import sys
m = ["Subject: deep\n"]
for i in range(1000):
    m.append("Content-Type: multipart/mixed; boundary=\"=%d=\"\n\n--=%d=\n" % (i, i))
m.append("Content-Type: text/plain\n\ninnermost\n")
for i in reversed(range(1000)):
    m.append("--=%d=--\n" % i)
sys.stdout.write("".join(m))' >"$T/deep.eml"
	run -0 timeout 20 mimewalk -D 1000 -P 2000 <"$T/deep.eml"
	assert_line --regexp '^1 1000 text/plain - - part [0-9]+ 35 9 '
	assert_line --regexp '^result parts=1001 leaves=1 depth=1000 .* limit=none anomalies=-$'
}

@test "part-count limit: reported, the walk stops there" {
	{ hdr many; printf 'Content-Type: multipart/mixed; boundary=b\n\n'
	  for i in $(seq 1200); do printf -- '--b\n\npart %d\n' "$i"; done
	  printf -- '--b--\n'; } >"$T/m.eml"
	run -1 mimewalk <"$T/m.eml"
	assert_line --regexp '^result parts=1000 leaves=999 .* limit=parts '
	refute_line --regexp '^1000 '
	run -1 mimewalk -P 5 <"$T/m.eml"
	assert_line --regexp '^result parts=5 leaves=4 .* limit=parts '
	# uu blocks count as parts too
	{ hdr uus; printf 'Content-Type: text/plain\n\n'
	  for i in 1 2 3; do printf 'begin 644 f%d\n#86)C\n`\nend\n' "$i"; done; } >"$T/uu.eml"
	run -1 mimewalk -P 3 <"$T/uu.eml"
	assert_line --regexp '^result parts=3 leaves=3 .* limit=parts '
}

@test "decoded-bytes and header limits are reported" {
	mixed limits >"$T/m.eml"
	run -1 mimewalk -X 100 <"$T/m.eml"
	assert_line --regexp '^result parts=3 leaves=1 .* limit=decoded '
	run -1 mimewalk -F 0 <"$T/m.eml"
	assert_line --regexp '^result parts=2 leaves=0 .* limit=decoded '
	run -1 mimewalk -H 100 <"$T/m.eml"
	assert_line --regexp '^result parts=1 leaves=0 .* limit=header '
	run -0 mimewalk -H 300 <"$T/m.eml"
}

@test "truncated base64 is flagged in the leaf and the result" {
	{ hdr trunc; printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n'
	  printf 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n'
	  base64 "$CLAM" | head -c 500; printf '\n--b--\n'; } >"$T/m.eml"
	run -0 mimewalk <"$T/m.eml"
	[ "$(field 1 11)" = truncated ]
	assert_line --regexp '^result .*anomalies=truncated$'
	# the part in full is not
	mixed whole >"$T/m2.eml"
	run -0 mimewalk <"$T/m2.eml"
	[ "$(field 2 11)" = - ]
}

@test "replacing a leaf keeps every other byte and the message walks to as many leaves" {
	nested >"$T/m.eml"
	n=$(stat -c %s "$T/m.eml")
	run -0 mimewalk <"$T/m.eml"
	leaves=$(result | sed 's/.* leaves=\([0-9]*\) .*/\1/')
	off=$(field 4 7) len=$(field 4 8)
	mimewalk -r 4 -R "Eicar-Test-Signature FOUND" <"$T/m.eml" >"$T/r.eml"
	m=$(stat -c %s "$T/r.eml")
	cmp <(head -c "$off" "$T/m.eml") <(head -c "$off" "$T/r.eml")
	suffix=$((n - off - len))
	cmp <(tail -c "$suffix" "$T/m.eml") <(tail -c "$suffix" "$T/r.eml")
	[ "$m" -gt $((off + suffix)) ]
	tail -c +$((off + 1)) "$T/r.eml" | head -c $((m - off - suffix)) >"$T/notice"
	grep -q '^Content-Type: text/plain; charset=utf-8$' "$T/notice"
	[ "$(mimewalk -d 4 <"$T/r.eml")" = 'The attachment "clam.exe" (application/octet-stream) was removed: Eicar-Test-Signature FOUND' ]
	run -0 mimewalk <"$T/r.eml"
	assert_line --regexp "^result .*leaves=$leaves .*anomalies=-\$"
	assert_line --regexp '^4 3 text/plain utf-8 quoted-printable part '
	[ "$(field 3 10)" = "$CLAMSHA" ]	# the other copy is still there
	# the whole message as the leaf: its header fields stay, Content-* go
	hdr single >"$T/s.eml"
	printf 'Content-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n' >>"$T/s.eml"
	base64 "$CLAM" >>"$T/s.eml"
	run -0 mimewalk -r 1 -R gone <"$T/s.eml"
	assert_line 'Subject: single'
	assert_line 'MIME-Version: 1.0'
	refute_line 'Content-Type: application/octet-stream'
	assert_line 'Part 1 (application/octet-stream) was removed: gone'
	mimewalk -r 1 <"$T/s.eml" | mimewalk | grep -q '^result parts=1 leaves=1 '
}

@test "CRLF and LF versions of the same message give the same decoded bytes" {
	nested >"$T/lf.eml"
	sed 's/$/\r/' "$T/lf.eml" >"$T/crlf.eml"
	! cmp -s "$T/lf.eml" "$T/crlf.eml"
	run -0 mimewalk <"$T/lf.eml"
	lf=$output
	run -0 mimewalk <"$T/crlf.eml"
	crlf=$output
	# same tree, types and names; binary leaves byte for byte
	diff <(cut -d' ' -f1-6,12- <<<"$lf" | grep -v '^result') \
	    <(cut -d' ' -f1-6,12- <<<"$crlf" | grep -v '^result')
	output=$lf; a=$(field 3 10); b=$(field 4 10)
	output=$crlf
	[ "$(field 3 10)" = "$a" ] && [ "$(field 4 10)" = "$b" ] && [ "$a" = "$CLAMSHA" ]
	# text leaves differ only in their line ends
	for i in 1 2; do
		cmp <(mimewalk -d $i <"$T/lf.eml") <(mimewalk -d $i <"$T/crlf.eml" | tr -d '\r')
	done
	# a notice in a CRLF message uses CRLF
	mimewalk -r 4 <"$T/crlf.eml" >"$T/r.eml"
	! grep -q $'[^\r]$' <(head -n -1 "$T/r.eml")
}

@test "multipart oddities: no close, no boundary, empty boundary, prefix boundaries, digest, duplicates" {
	# no close delimiter: the last part runs to the end
	printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\n\none\n--b\n\ntwo\n' >"$T/1.eml"
	run -0 mimewalk <"$T/1.eml"
	assert_line --regexp '^result parts=3 leaves=2 .*anomalies=noclose$'
	[ "$(field 2 9)" = 4 ]
	# no boundary parameter, an empty one, one never found: a single leaf
	for ct in 'multipart/mixed' 'multipart/mixed; boundary=""' 'multipart/mixed; boundary=zz'; do
		printf 'Content-Type: %s\n\n--b\n\none\n--b--\n' "$ct" >"$T/2.eml"
		run -0 mimewalk <"$T/2.eml"
		[ "$(field 1 3)" = multipart/mixed ] && [[ $(field 1 11) == *noboundary* ]]
		assert_line --regexp '^result parts=1 leaves=1 .*anomalies=boundary'
	done
	# preamble and epilogue are not leaves
	printf 'Content-Type: multipart/mixed; boundary=b\n\npre\n--b\n\none\n--b--\npost\n' >"$T/3.eml"
	run -0 mimewalk <"$T/3.eml"
	assert_line --regexp '^result parts=2 leaves=1 .*anomalies=-$'
	# an inner boundary that starts with the outer one
	printf 'Content-Type: multipart/mixed; boundary=ab\n\n--ab\nContent-Type: multipart/mixed; boundary=abc\n\n--abc\n\nx\n--abc--\n--ab--\n' >"$T/4.eml"
	run -0 mimewalk <"$T/4.eml"
	assert_line --regexp '^result parts=3 leaves=1 depth=2 .*anomalies=nested$'
	# in a digest a part without Content-Type is a message
	printf 'Content-Type: multipart/digest; boundary=d\n\n--d\n\nSubject: one\n\nfirst\n--d--\n' >"$T/5.eml"
	run -0 mimewalk <"$T/5.eml"
	assert_line --regexp '^1 2 text/plain - - part [0-9]+ [0-9]+ 5 .* message$'
	# two Content-Types: the first is used, the walk says so
	printf 'Content-Type: text/plain\nContent-Type: application/x-evil\n\nx\n' >"$T/6.eml"
	run -0 mimewalk <"$T/6.eml"
	[ "$(field 1 3)" = text/plain ]
	assert_line --regexp '^result .*anomalies=duplicate$'
	# an unknown transfer encoding: data as it is, flagged
	printf 'Content-Transfer-Encoding: x-rot13\n\nurYyb\n' >"$T/7.eml"
	run -0 mimewalk <"$T/7.eml"
	[ "$(field 1 11)" = message,unknownenc ] && [ "$(field 1 9)" = 6 ]
	# a part header with no empty line after it
	printf 'Content-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\nTVqQAAMAAAAEAAAA\n--b--\n' >"$T/8.eml"
	run -0 mimewalk <"$T/8.eml"
	[ "$(field 1 9)" = 12 ]
	assert_line --regexp '^result .*anomalies=header$'
}

@test "hostile input: NUL bytes, bare CR, no final newline, a 1 MB line, a big body of dashes" {
	printf 'Content-Type: multipart/mixed; boundary="a\0b"\n\n--a\0b\n\nx\0y\n--a\0b--' >"$T/1.eml"
	run -0 mimewalk <"$T/1.eml"
	assert_line --regexp '^result parts=2 leaves=1 '
	[ "$(field 1 9)" = 3 ]
	printf 'Content-Type: text/plain\r\rbody\r' >"$T/2.eml"
	run -0 mimewalk <"$T/2.eml"
	printf 'Subject: no body' >"$T/3.eml"
	run -0 mimewalk <"$T/3.eml"
	assert_line --regexp '^1 0 text/plain - - part 0 16 0 '
	: >"$T/4.eml"
	run -0 mimewalk <"$T/4.eml"
	assert_line --regexp '^result parts=1 leaves=1 '
	{ printf 'Content-Type: text/plain; name="'; head -c 1048576 /dev/zero | tr '\0' x
	  printf '"\n\n'; head -c 1048576 /dev/zero | tr '\0' y; } >"$T/5.eml"
	run -1 mimewalk <"$T/5.eml"
	assert_line --regexp '^result parts=1 leaves=0 .* limit=header '
	run -0 mimewalk -H 2000000 <"$T/5.eml"
	[ "$(field 1 9)" = 1048576 ] && [ "${#output}" -gt 1048576 ]
	# 20 nested levels over 8 MB of lines that all start with "--"
	python3 -c 'import sys
m = ["Subject: dashes\n"]
for i in range(19):
    m.append("Content-Type: multipart/mixed; boundary=\"b%d\"\n\n--b%d\n" % (i, i))
m.append("Content-Type: text/plain\n\n" + "--b1x\n" * 1400000)
sys.stdout.write("".join(m))' >"$T/6.eml"
	run -0 timeout 60 mimewalk <"$T/6.eml"
	assert_line --regexp '^result parts=20 leaves=1 depth=19 .*anomalies=noclose,nested$'
	if [ -x "$MS_TOP/t/mkhostile" ]; then
		"$MS_TOP/t/mkhostile" "$T/hostile"
		for f in "$T"/hostile/*; do
			run timeout 20 mimewalk <"$f"
			[ "$status" -eq 0 ] || [ "$status" -eq 1 ] || fail "$f: exit $status"
		done
	fi
}
