#!/usr/bin/env bats
# ms-scan-clamav: the libclamav stage.  Signatures are a set this file
# builds from the md5 and size of every file in /usr/share/clamav-testfiles
# (Debian clamav-testfiles) and EICAR; messages are made by
# t/data/scan/mkmsg, inspected with t/data/scan/msgtool.  The scanner
# refuses root, so every run is as nobody (setpriv).

bats_require_minimum_version 1.5.0
load helper

TESTFILES=/usr/share/clamav-testfiles

setup_file() {
	local f
	DB=$BATS_FILE_TMPDIR/db
	SAMPLES=$BATS_FILE_TMPDIR/samples
	mkdir -p "$DB" "$SAMPLES"
	# every test file by md5:size:name (sigtool --md5 prints the same)
	for f in "$TESTFILES"/*; do
		printf '%s:%s:Test-%s\n' "$(md5sum <"$f" | cut -d' ' -f1)" \
		    "$(stat -c %s "$f")" "${f##*/}"
	done >"$DB/testfiles.hdb"
	printf '%s' "$EICAR" >"$SAMPLES/eicar.com"
	printf '%s:68:Eicar-Test-Signature\n' "$(md5sum <"$SAMPLES/eicar.com" | cut -d' ' -f1)" \
	    >>"$DB/testfiles.hdb"
	cp "$TESTFILES"/* "$SAMPLES/"
	chmod -R a+rX "$BATS_FILE_TMPDIR"
	open_tmp "$BATS_FILE_TMPDIR"
	export DB SAMPLES
}

setup() {
	open_tmp "$BATS_TEST_TMPDIR"
	export MS_CLAMAV_DB=$DB
	unset MS_ACTION MS_UNSCANNABLE MS_SKIP MS_CLAMAV_RAW MS_ETC \
	    MS_CLAMAV_MAXSCANSIZE MS_CLAMAV_MAXFILESIZE MS_CLAMAV_MAXRECURSION \
	    MS_CLAMAV_MAXFILES MS_CLAMAV_MAXSCANTIME \
	    MS_MIME_DEPTH MS_MIME_PARTS MS_MIME_FACTOR MS_MIME_DECODED MS_LEVELS \
	    MS_ACTION_TRUSTED MS_ACTION_NEUTRAL MS_ACTION_SUSPECT MS_ACTION_HOSTILE
	CLAMAV=$(command -v ms-scan-clamav)
	YARA=$(command -v ms-scan-yara)
	T=$BATS_TEST_TMPDIR
}

teardown() {
	stop_servers
}

# scan IN OUT: ms-scan-clamav in filter mode, stdout to OUT, stderr to
# OUT.err; returns its exit code.
scan() {
	asnobody "$CLAMAV" <"$1" >"$2" 2>"$2.err"
}

# every_sample FORM: each sample (the test files and EICAR) sent in FORM
# must give exit 1 (the default action, quarantine), an "infected"
# verdict naming one of our signatures and the part PART ("" for any),
# and the message untouched.  Failures are collected and shown together.
every_sample() {
	local form=$1 part=$2 f n rc v same bad="" count=0
	mkmsg "$form" "$T/$form" "$SAMPLES"/*
	for f in "$T/$form"/*.eml; do
		n=${f##*/}
		n=${n%.eml}
		rc=0
		scan "$f" "$f.out" || rc=$?
		{ read -r v; read -r same; } < <(msgtool check "$f" "$f.out")
		count=$((count + 1))
		if [ "$rc" -ne 1 ]; then
			bad+="$n: exit $rc ($(tail -n 1 "$f.out.err"))"$'\n'
		elif ! [[ $v =~ ^clamav/[0-9.]+(/[0-9]+)?\ infected\ (Test-[^ ]+|Eicar-Test-Signature)\.UNOFFICIAL\ \((part\ [0-9]+|message) ]]; then
			bad+="$n: verdict $v"$'\n'
		elif [ -n "$part" ] && [[ $v != *"($part"* ]]; then
			bad+="$n: not found in $part: $v"$'\n'
		elif [ "$same" != same ]; then
			bad+="$n: message changed"$'\n'
		fi
	done
	assert_equal "$count" "$(( $(ls "$TESTFILES" | wc -l) + 1 ))"
	assert_equal "$bad" ""
}

@test "refuses to run as root: 111, nothing on stdout" {
	msg "$T/m.eml"
	run -111 --separate-stderr "$CLAMAV" <"$T/m.eml"
	assert_equal "$output" ""
	[[ $stderr == *"refusing to run as root"* ]]
}

@test "the signature set holds every test file and EICAR, and loads" {
	run -0 wc -l <"$DB/testfiles.hdb"
	assert_equal "$output" "$(( $(ls "$TESTFILES" | wc -l) + 1 ))"
	msg "$T/m.eml"
	run -0 scan "$T/m.eml" "$T/out"
	grep -q "loaded $(( $(ls "$TESTFILES" | wc -l) + 1 )) signatures from $DB" "$T/out.err"
	run -0 verdict "$T/out"
	assert_output --regexp '^clamav/[0-9.]+(/[0-9]+)? clean$'
}

@test "every sample found as a base64 attachment (part 2)" {
	every_sample b64 "part 2 "
}

@test "every sample found as a uuencoded block in a text body (part 2)" {
	every_sample uu "part 2 "
	# the block really is one: begin, data, end
	grep -q '^begin 644 clam.exe$' "$T/uu/clam.exe.eml"
	grep -q '^end$' "$T/uu/clam.exe.eml"
}

@test "every sample found inside a zip attachment (part 2)" {
	every_sample zip "part 2 "
	grep -q 'filename="clam.exe.zip"' "$T/zip/clam.exe.eml"
}

@test "every sample found inside a forwarded message/rfc822 (part 3)" {
	every_sample rfc822 "part 3 "
	grep -q '^Content-Type: message/rfc822$' "$T/rfc822/clam.exe.eml"
}

@test "every sample found raw: the file as the body of a plain message" {
	every_sample raw "part 1"
}

@test "every sample found raw: the file itself as the message" {
	local f rc v same bad=""
	for f in "$SAMPLES"/*; do
		rc=0
		scan "$f" "$T/out" || rc=$?
		{ read -r v; read -r same; } < <(msgtool check "$f" "$T/out")
		[ "$rc" -eq 1 ] && [[ $v == *" infected "*UNOFFICIAL* ]] && [ "$same" = same ] ||
		    bad+="${f##*/}: exit $rc, $v"$'\n'
	done
	assert_equal "$bad" ""
}

@test "MS_CLAMAV_RAW=always: the whole-message pass finds what the leaves skipped" {
	local f n rc v bad=""
	mkmsg b64 "$T/b64" "$SAMPLES"/*
	export MS_SKIP="text/* application/*"
	for f in "$T/b64"/*.eml; do
		n=${f##*/}
		# with the leaves skipped and no whole-message pass: clean
		rc=0
		MS_CLAMAV_RAW=never scan "$f" "$f.never" || rc=$?
		v=$(msgtool check "$f" "$f.never" | head -n 1)
		[ "$rc" -eq 0 ] && [[ $v == *" clean" ]] || bad+="$n never: exit $rc, $v"$'\n'
		rc=0
		MS_CLAMAV_RAW=always scan "$f" "$f.out" || rc=$?
		v=$(msgtool check "$f" "$f.out" | head -n 1)
		[ "$rc" -eq 1 ] && [[ $v == *" infected "*".UNOFFICIAL (message); action=quarantine" ]] ||
		    bad+="$n always: exit $rc, $v"$'\n'
	done
	assert_equal "$bad" ""
}

@test "MS_CLAMAV_RAW=anomaly: an odd structure sends the whole message through libclamav" {
	# The EICAR attachment hides behind a duplicate transfer encoding:
	# the walk takes the first (7bit) and sees base64 text, libclamav's
	# own parser decodes it.  Without the second pass it is missed.
	{
		printf 'From: a@example.org\nSubject: dup\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\n'
		printf 'Content-Type: text/plain\n\nhi\n--b\n'
		printf 'Content-Type: application/octet-stream; name="e.com"\n'
		printf 'Content-Transfer-Encoding: 7bit\nContent-Transfer-Encoding: base64\n\n'
		printf '%s' "$EICAR" | base64
		printf -- '--b--\n'
	} >"$T/dup.eml"
	run -0 env MS_CLAMAV_RAW=never setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$CLAMAV" <"$T/dup.eml"
	run -1 scan "$T/dup.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected Eicar-Test-Signature\.UNOFFICIAL \(message\); action=quarantine$'
}

@test "a clean corpus passes untouched: exit 0, the message byte for byte" {
	local f rc v same raw bad="" count=0 data=/usr/lib/python3.11/test/test_email/data
	mkmsg clean "$T/clean"
	# CPython's email test messages (Debian libpython3.11-testsuite) and
	# its sample images and sounds, each as an attachment
	[ -d "$data" ]
	cp "$data"/msg_*.txt "$T/clean/"
	mkmsg b64 "$T/clean" "$data"/python.* "$data"/sndhdr.*
	for f in "$T/clean"/*; do
		for raw in anomaly always; do
			rc=0
			MS_CLAMAV_RAW=$raw scan "$f" "$T/out" || rc=$?
			{ read -r v; read -r same; } < <(msgtool check "$f" "$T/out")
			count=$((count + 1))
			if [ "$rc" -ne 0 ] || [[ $v != clamav/*" clean" ]]; then
				bad+="${f##*/} ($raw): exit $rc, $v $(tail -n 1 "$T/out.err")"$'\n'
			elif [ "$same" != same ]; then
				bad+="${f##*/} ($raw): changed"$'\n'
			fi
		done
	done
	assert_equal "$bad" ""
	[ "$count" -ge 140 ]
}

@test "the verdict line is appended to the envelope block, which is kept" {
	mkmsg clean "$T/c"
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		printf 'X-Mailscan-Verdict: other/1 clean\n'
		cat "$T/c/all.eml"
	} >"$T/in.eml"
	run -0 scan "$T/in.eml" "$T/out"
	run -0 sed -n '1,4p' "$T/out"
	assert_line -n 0 'Return-Path: <alice@example.org>'
	assert_line -n 1 'X-Mailscan-Rcpt: <bob@example.net>'
	assert_line -n 2 'X-Mailscan-Verdict: other/1 clean'
	assert_line -n 3 --regexp '^X-Mailscan-Verdict: clamav/[0-9.]+(/[0-9]+)? clean$'
	same_proper "$T/in.eml" "$T/out"
	run -0 cat "$T/out.err"
	assert_line --regexp '^ms-scan-clamav: info: -: pass: clamav/[0-9.]+(/[0-9]+)? clean$'
}

# an envelope block and the all-in-one message with FILE attached as part 4
infected() {
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		mkmsg infected-all - "$1"
	} >"$2"
}

@test "MS_ACTION=clean: the part is replaced, every other byte is the same" {
	local f n i pieces
	for f in "$SAMPLES/eicar.com" "$SAMPLES/clam.exe" "$SAMPLES/clam.zip"; do
		n=${f##*/}
		infected "$f" "$T/$n.eml"
		MS_ACTION=clean run -0 scan "$T/$n.eml" "$T/$n.out"
		run -0 verdict "$T/$n.out"
		assert_output --regexp "^clamav/[0-9.]+(/[0-9]+)? cleaned [^ ]+\.UNOFFICIAL \(part 4 $n\); action=clean\$"
		head -n 2 "$T/$n.out" | cmp - <(head -n 2 "$T/$n.eml")
		msgtool proper "$T/$n.eml" >"$T/$n.in.p"
		msgtool proper "$T/$n.out" >"$T/$n.out.p"
		run -0 msgtool split "$T/$n.in.p" =_all_ "$T/$n.a"
		pieces=$output
		assert_equal "$pieces" 9	# preamble, 7 parts, epilogue
		run -0 msgtool split "$T/$n.out.p" =_all_ "$T/$n.b"
		assert_equal "$output" "$pieces"
		for ((i = 0; i < pieces; i++)); do
			[ "$i" -eq 4 ] && continue
			cmp "$T/$n.a.$i" "$T/$n.b.$i"
		done
		# the replacement: a text part naming the file, the virus, the engine
		run -1 cmp -s "$T/$n.a.4" "$T/$n.b.4"
		run -0 msgtool qp "$T/$n.b.4"
		assert_line -n 0 'Content-Type: text/plain; charset=utf-8'
		assert_output --regexp "The attachment \"$n\" \(application/octet-stream\) was removed: .*contained [^ ]+\.UNOFFICIAL, found by clamav"
		refute_output --partial 'EICAR-STANDARD'
		refute_output --partial "$(base64 -w 76 "$f" | head -n 1)"
		# cleaned really is clean: a second pass finds nothing
		run -0 scan "$T/$n.out" "$T/$n.again"
	done
}

@test "MS_ACTION=clean keeps CRLF line ends and replaces a uu block by one line" {
	local pre post
	mkmsg clean "$T/c"
	mkmsg infected-all - "$SAMPLES/eicar.com" | sed 's/$/\r/' >"$T/crlf.eml"
	MS_ACTION=clean scan "$T/crlf.eml" "$T/crlf.out"
	msgtool proper "$T/crlf.out" >"$T/crlf.p"
	run -0 msgtool split "$T/crlf.p" =_all_ "$T/b"
	assert_equal "$output" 9
	# every line of the replacement ends in CRLF
	run -1 grep -c -v $'\r$' "$T/b.4"
	run -0 msgtool qp "$T/b.4"
	assert_output --partial 'found by clamav'

	mkmsg uu "$T/uu" "$SAMPLES/clam.exe"
	MS_ACTION=clean run -0 scan "$T/uu/clam.exe.eml" "$T/uu.out"
	msgtool proper "$T/uu.out" >"$T/uu.p"
	# the text before "begin" and after "end" unchanged, the block one line
	sed -n '1,/^begin 644 /p' "$T/uu/clam.exe.eml" | sed '$d' >"$T/pre"
	sed -n '/^end$/,$p' "$T/uu/clam.exe.eml" | sed '1d' >"$T/post"
	pre=$(stat -c %s "$T/pre")
	post=$(stat -c %s "$T/post")
	[ "$pre" -gt 50 ] && [ "$post" -gt 5 ]
	head -c "$pre" "$T/uu.p" | cmp - "$T/pre"
	tail -c "$post" "$T/uu.p" | cmp - "$T/post"
	tail -c +$((pre + 1)) "$T/uu.p" | head -c $(( $(stat -c %s "$T/uu.p") - pre - post )) >"$T/mid"
	assert_equal "$(wc -l <"$T/mid")" 1
	run -0 cat "$T/mid"
	assert_output --regexp '^\[The uuencoded file "clam\.exe" was removed: .*Test-clam\.exe\.UNOFFICIAL, found by clamav\]$'
	run -0 verdict "$T/uu.out"
	assert_output --regexp ' cleaned Test-clam\.exe\.UNOFFICIAL \(part 2 clam\.exe\); action=clean$'
}

@test "MS_ACTION=clean: several parts, one inside a forwarded message, a uu block in base64 text" {
	local i
	mkmsg multi "$T/multi.eml" "$SAMPLES/eicar.com" "$SAMPLES/clam.exe"
	MS_ACTION=clean run -0 scan "$T/multi.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^clamav/[^ ]+ cleaned Eicar-Test-Signature\.UNOFFICIAL \(part 2 eicar\.com\), Test-clam\.exe\.UNOFFICIAL \(part 4 clam\.exe\), Test-clam\.exe\.UNOFFICIAL \(part 6 clam\.exe\); action=clean$'
	msgtool proper "$T/out" >"$T/out.p"
	run -0 msgtool split "$T/multi.eml" =_multi_ "$T/a"
	assert_equal "$output" 7
	run -0 msgtool split "$T/out.p" =_multi_ "$T/b"
	assert_equal "$output" 7
	for i in 0 1 5 6; do cmp "$T/a.$i" "$T/b.$i"; done
	run -0 msgtool qp "$T/b.2"
	assert_output --partial 'The attachment "eicar.com" (application/octet-stream) was removed'
	run -0 msgtool qp "$T/b.4"
	assert_output --partial 'The text part that held the uuencoded file "clam.exe" was removed'
	# inside the forwarded message only its attachment changed
	run -0 msgtool split "$T/a.3" =_fwd_ "$T/fa"
	assert_equal "$output" 4
	run -0 msgtool split "$T/b.3" =_fwd_ "$T/fb"
	assert_equal "$output" 4
	for i in 0 1 3; do cmp "$T/fa.$i" "$T/fb.$i"; done
	run -0 msgtool qp "$T/fb.2"
	assert_output --partial 'The attachment "clam.exe" (application/octet-stream) was removed'
	run -0 scan "$T/out" "$T/again"
}

@test "MS_ACTION=clean cannot clean a whole-message finding: it quarantines" {
	mkmsg b64 "$T/b" "$SAMPLES/clam.exe"
	MS_ACTION=clean MS_SKIP="application/*" MS_CLAMAV_RAW=always run -1 scan "$T/b/clam.exe.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected Test-clam\.exe\.UNOFFICIAL \(message\); action=quarantine$'
	same_proper "$T/b/clam.exe.eml" "$T/out"
}

@test "MS_ACTION quarantine (default) 1, reject 100 with 5.7.1, tag 0; bad value 111" {
	infected "$SAMPLES/eicar.com" "$T/in.eml"
	run -1 scan "$T/in.eml" "$T/q"
	run -0 verdict "$T/q"
	assert_output --regexp ' infected Eicar-Test-Signature\.UNOFFICIAL \(part 4 eicar\.com\); action=quarantine$'
	same_proper "$T/in.eml" "$T/q"
	MS_ACTION=quarantine run -1 scan "$T/in.eml" "$T/q2"
	cmp "$T/q" "$T/q2"

	MS_ACTION=reject run -100 scan "$T/in.eml" "$T/r"
	[ ! -s "$T/r" ]
	run -0 tail -n 1 "$T/r.err"
	assert_output --regexp '^ms-scan-clamav: fatal: 5\.7\.1 virus Eicar-Test-Signature\.UNOFFICIAL found'

	MS_ACTION=tag run -0 scan "$T/in.eml" "$T/t"
	run -0 verdict "$T/t"
	assert_output --regexp ' infected Eicar-Test-Signature\.UNOFFICIAL \(part 4 eicar\.com\); action=tag$'
	same_proper "$T/in.eml" "$T/t"

	MS_ACTION=delete run -111 scan "$T/in.eml" "$T/x"
	[ ! -s "$T/x" ]
	grep -q MS_ACTION "$T/x.err"
	MS_CLAMAV_RAW=sometimes run -111 scan "$T/in.eml" "$T/x"
	[ ! -s "$T/x" ]
}

@test "MS_SKIP: parts skipped by extension or type are not scanned" {
	mkmsg b64 "$T/b" "$SAMPLES/clam.exe"
	export MS_CLAMAV_RAW=never
	for skip in .exe .EXE application/octet-stream "image/* application/*" ".txt,.exe"; do
		MS_SKIP=$skip run -0 scan "$T/b/clam.exe.eml" "$T/out"
		run -0 verdict "$T/out"
		assert_output --regexp ' clean$'
	done
	for skip in .com .ex image/gif "image/*" "application/zip"; do
		MS_SKIP=$skip run -1 scan "$T/b/clam.exe.eml" "$T/out"
	done
	# a skipped text part still has its uuencoded blocks scanned
	mkmsg uu "$T/u" "$SAMPLES/clam.exe"
	MS_SKIP="text/plain" run -1 scan "$T/u/clam.exe.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --partial ' infected Test-clam.exe.UNOFFICIAL (part 2 clam.exe)'
}

@test "trust levels: MS_LEVELS chooses what is scanned, MS_ACTION_<LEVEL> the action" {
	infected "$SAMPLES/eicar.com" "$T/in.eml"
	{ printf 'X-Mailscan-Trust: hostile\n'; cat "$T/in.eml"; } >"$T/hostile.eml"
	# not a level this stage scans: passed untouched, no verdict
	MS_LEVELS="suspect hostile" MS_TRUST=trusted run -0 scan "$T/in.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output ""
	same_proper "$T/in.eml" "$T/out"
	MS_LEVELS="suspect,hostile" run -1 scan "$T/hostile.eml" "$T/out"
	# no trust level known: scanned
	MS_LEVELS=hostile run -1 scan "$T/in.eml" "$T/out"
	# the level's action over MS_ACTION
	MS_ACTION=tag MS_ACTION_HOSTILE=reject run -100 scan "$T/hostile.eml" "$T/out"
	MS_ACTION=tag MS_ACTION_HOSTILE=reject MS_TRUST=neutral run -0 scan "$T/hostile.eml" "$T/out"
	MS_ACTION_HOSTILE=bogus run -111 scan "$T/hostile.eml" "$T/out"
}

@test "nested archives past MS_CLAMAV_MAXRECURSION: unscanned, never clean, MS_UNSCANNABLE's action" {
	printf 'nothing to see\n' >"$T/harmless.txt"
	mkmsg nestzip 2 "$T/inf2.eml" "$SAMPLES/clam.exe"
	mkmsg nestzip 8 "$T/inf8.eml" "$SAMPLES/clam.exe"
	mkmsg nestzip 2 "$T/clean2.eml" "$T/harmless.txt"
	mkmsg nestzip 8 "$T/clean8.eml" "$T/harmless.txt"
	export MS_CLAMAV_MAXRECURSION=4
	# within the limit: found, or clean
	run -1 scan "$T/inf2.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --partial ' infected Test-clam.exe.UNOFFICIAL (part 2 level1.zip)'
	run -0 scan "$T/clean2.eml" "$T/out"
	# past it: unscanned, whatever is inside
	for m in inf8 clean8; do
		run -1 scan "$T/$m.eml" "$T/out"
		run -0 verdict "$T/out"
		assert_output --regexp ' unscanned limit exceeded in part 2; action=quarantine$'
		same_proper "$T/$m.eml" "$T/out"
		MS_UNSCANNABLE=pass run -0 scan "$T/$m.eml" "$T/out"
		run -0 verdict "$T/out"
		assert_output --regexp ' unscanned limit exceeded in part 2; action=pass$'
		MS_UNSCANNABLE=reject run -100 scan "$T/$m.eml" "$T/out"
		run -0 tail -n 1 "$T/out.err"
		assert_output --partial '5.7.1 message cannot be scanned: limit exceeded'
	done
	# the default limit (17) is deep enough for 8
	MS_CLAMAV_MAXRECURSION= run -1 scan "$T/inf8.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --partial ' infected Test-clam.exe.UNOFFICIAL'
}

@test "a compression bomb over the size limits: unscanned" {
	# 20 MiB of zeros, gzipped: over MS_CLAMAV_MAXFILESIZE
	mkmsg bomb 20 "$T"
	MS_CLAMAV_MAXFILESIZE=5M run -1 scan "$T/bomb-gz.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned limit exceeded in part 2; action=quarantine$'
	# zipped: over MS_CLAMAV_MAXSCANSIZE
	MS_CLAMAV_MAXSCANSIZE=5M run -1 scan "$T/bomb-zip.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned limit exceeded in part 2; action=quarantine$'
	MS_CLAMAV_MAXSCANSIZE=5M MS_UNSCANNABLE=reject run -100 scan "$T/bomb-zip.eml" "$T/out"
	# zipped, a member over MS_CLAMAV_MAXFILESIZE (libclamav itself says
	# clean: the archive callback sees the member's real size)
	MS_CLAMAV_MAXFILESIZE=5M run -1 scan "$T/bomb-zip.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned limit exceeded in part 2; action=quarantine$'
	# a part over MS_CLAMAV_MAXFILESIZE itself (libclamav answers "virus"
	# without a name): unscanned, not a crash
	"$PY" -c 'import base64;print("From: a@example.org\nMIME-Version: 1.0\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: base64\n\n"+base64.encodebytes(bytes(8<<20)).decode())' >"$T/big.eml"
	MS_CLAMAV_MAXFILESIZE=5M run -1 scan "$T/big.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned limit exceeded in part 1; action=quarantine$'
	# under the limits: clean
	run -0 scan "$T/bomb-gz.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' clean$'
}

@test "MS_CLAMAV_MAXSCANTIME: a part that takes too long is unscanned" {
	mkmsg bomb 20 "$T"
	# (within 1 ms even the text part may not be done: part 1 or 2)
	MS_CLAMAV_MAXSCANTIME=1 run -1 scan "$T/bomb-zip.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned limit exceeded in part [12]; action=quarantine$'
}

@test "too many files in an archive, an encrypted archive: unscanned" {
	mkmsg encrypted "$T"
	MS_CLAMAV_MAXFILES=5 run -1 scan "$T/many.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned limit exceeded in part 2; action=quarantine$'
	run -0 scan "$T/many.eml" "$T/out"
	run -1 scan "$T/encrypted.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned encrypted in part 2; action=quarantine$'
	MS_UNSCANNABLE=pass run -0 scan "$T/encrypted.eml" "$T/out"
	same_proper "$T/encrypted.eml" "$T/out"
}

@test "a MIME depth, part or size limit hit: unscanned, never clean" {
	mkmsg deep 30 "$T"
	run -1 scan "$T/deep.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned MIME limit: depth; action=quarantine$'
	MS_MIME_DEPTH=40 run -0 scan "$T/deep.eml" "$T/out"
	run -0 scan "$T/wide.eml" "$T/out"
	MS_MIME_PARTS=10 run -1 scan "$T/wide.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned MIME limit: parts; action=quarantine$'
	MS_MIME_PARTS=10 MS_UNSCANNABLE=reject run -100 scan "$T/wide.eml" "$T/out"
	mkmsg b64 "$T/b" "$SAMPLES/clam.exe"
	MS_CLAMAV_RAW=never MS_MIME_DECODED=100 run -1 scan "$T/b/clam.exe.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' unscanned MIME limit: decoded; action=quarantine$'
	# a limit hit sends the whole message through libclamav (RAW=anomaly)
	MS_MIME_DECODED=100 run -1 scan "$T/b/clam.exe.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected Test-clam\.exe\.UNOFFICIAL \(message\); unscanned: MIME limit: decoded; action=quarantine$'
}

@test "the hostile corpus: exit 0, 1 or 100 only, no crash, no hang" {
	local f rc bad=""
	"$MS_TOP/t/mkhostile" "$T/h"
	chmod -R a+rX "$T/h"
	for f in "$T/h"/*; do
		for raw in anomaly always; do
			rc=0
			MS_CLAMAV_RAW=$raw timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
			    "$CLAMAV" <"$f" >"$T/out" 2>"$T/err" || rc=$?
			case $rc in
			0|1|100) ;;
			*) bad+="${f##*/} ($raw): exit $rc: $(tail -n 1 "$T/err")"$'\n' ;;
			esac
		done
	done
	assert_equal "$bad" ""
}

@test "no usable signatures: a clear 111, nothing passes" {
	mkmsg clean "$T/c"
	mkdir -p "$T/empty" "$T/garbage"
	printf 'this is not a signature\n\x01\x02\x03 at all\n' >"$T/garbage/bad.hdb"
	cp "$T/garbage/bad.hdb" "$T/garbage.hdb"
	printf 'X:Y:Z:W\n' >"$T/garbage.ndb"
	head -c 4096 /dev/urandom >"$T/garbage.cvd"
	chmod -R a+rX "$T"
	local db
	for db in "$T/nonexistent" "$T/empty" "$T/garbage" "$T/garbage.hdb" \
	    "$T/garbage.ndb" "$T/garbage.cvd" "$DB:$T/nonexistent"; do
		MS_CLAMAV_DB=$db run -111 scan "$T/c/text.eml" "$T/out"
		[ ! -s "$T/out" ] || fail "$db: a message came out"
		run -0 cat "$T/out.err"
		assert_line --regexp '^ms-scan-clamav: warn: (unable to load signatures from|no signatures in) '
		assert_line 'ms-scan-clamav: fatal: no engine: nothing scanned'
	done
	# the control directory: MS_ETC=$MS_TOP/etc/mailscan uses etc/mailscan/clamav
	mkdir -p "$T/etc"
	MS_CLAMAV_DB= MS_ETC=$T/etc run -111 scan "$T/c/text.eml" "$T/out"
	infected "$SAMPLES/eicar.com" "$T/in.eml"
	MS_CLAMAV_DB= MS_ETC=$MS_TOP/etc/mailscan run -1 scan "$T/in.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected Eicar-Test-Signature[^ ]* \(part 4 eicar\.com\); action=quarantine$'
}

# spool tree for nobody: in mid out alt bounce
spools() {
	local s
	for s in in mid out alt bounce; do
		mkdir -p "$T/sp/$s/tmp" "$T/sp/$s/new" "$T/sp/$s/cur"
	done
	chown -R nobody:nogroup "$T/sp"
}

@test "spool mode: reject goes to the bounce spool with its reason, MS_ACTION=clean rewrites" {
	local s
	spools
	infected "$SAMPLES/eicar.com" "$T/in.eml"
	cp "$T/in.eml" "$T/sp/in/new/1.reject"
	msg "$T/clean.eml"
	cp "$T/clean.eml" "$T/sp/in/new/2.clean"
	chown nobody:nogroup "$T/sp/in/new"/*
	MS_ACTION=reject run -0 setpriv --reuid=nobody --regid=nogroup --clear-groups "$CLAMAV" -1 \
	    -q "$T/sp/in" -o "$T/sp/out" -a "$T/sp/alt" -b "$T/sp/bounce"
	[ -f "$T/sp/bounce/new/1.reject" ]
	[ -f "$T/sp/out/new/2.clean" ]
	run -0 head -n 1 "$T/sp/bounce/new/1.reject"
	assert_output --regexp '^X-Mailscan-Error: ms-scan-clamav 5\.7\.1 virus Eicar-Test-Signature\.UNOFFICIAL found by clamav/'
	tail -n +2 "$T/sp/bounce/new/1.reject" | cmp - "$T/in.eml"
	cp "$T/in.eml" "$T/sp/in/new/3.clean"
	chown nobody:nogroup "$T/sp/in/new"/*
	MS_ACTION=clean run -0 setpriv --reuid=nobody --regid=nogroup --clear-groups "$CLAMAV" -1 \
	    -q "$T/sp/in" -o "$T/sp/out" -a "$T/sp/alt" -b "$T/sp/bounce"
	run -0 verdict "$T/sp/out/new/3.clean"
	assert_output --regexp ' cleaned Eicar-Test-Signature\.UNOFFICIAL \(part 4 eicar\.com\); action=clean$'
	for s in in alt; do assert_equal "$(count_files "$T/sp/$s/new")" 0; done
}

@test "spool mode: 500 messages through ms-scan-clamav -j 2 and ms-scan-yara, SIGHUP midway" {
	local f n done_at_hup names
	"$PY" "${PEERS_DIR:-$MS_TOP/../shared/peers}/corpus.py" 500 "$T/corpus" --seed 9 --infected-pct 10 >/dev/null
	spools
	# queue them as the spool would: tmp/, then rename into new/
	for f in "$T/corpus"/*.eml; do
		n=${f##*/}
		cp "$f" "$T/sp/in/tmp/1717408800.M${n%.eml}P1Q1.test"
	done
	chown nobody:nogroup "$T/sp/in/tmp"/*
	mv "$T/sp/in/tmp"/* "$T/sp/in/new/"
	assert_equal "$(count_files "$T/sp/in/new")" 500
	export MS_ETC=$MS_TOP/etc/mailscan MS_RESCAN=2
	start_bg setpriv --reuid=nobody --regid=nogroup --clear-groups "$CLAMAV" -j 2 \
	    -q "$T/sp/in" -o "$T/sp/mid" -a "$T/sp/alt" -b "$T/sp/bounce"
	CLAMPID=$BGPID
	start_bg setpriv --reuid=nobody --regid=nogroup --clear-groups "$YARA" \
	    -q "$T/sp/mid" -o "$T/sp/out" -a "$T/sp/alt" -b "$T/sp/bounce"
	YARAPID=$BGPID
	WAIT_TIMEOUT=60 wait_for done_more 100
	kill -HUP "$CLAMPID"
	done_at_hup=$(done_count)
	WAIT_TIMEOUT=240 wait_for done_more 499
	stop_bg "$CLAMPID"
	stop_bg "$YARAPID"
	# nothing lost, nothing twice, nothing left behind
	assert_equal "$(done_count)" 500
	[ "$done_at_hup" -lt 500 ] || fail "SIGHUP came after the last message"
	for s in in mid bounce; do
		assert_equal "$(count_files "$T/sp/$s/new")" 0
	done
	for s in in mid out alt bounce; do
		assert_equal "$(count_files "$T/sp/$s/tmp")" 0
	done
	names=$(find "$T/sp/out/new" "$T/sp/alt/new" -type f -printf '%f\n' | sort)
	assert_equal "$(printf '%s\n' "$names" | wc -l)" 500
	assert_equal "$(printf '%s\n' "$names" | uniq -d)" ""
	# every infected message is in alt, every other one in out
	while IFS=$'\t' read -r f kind _; do
		[ "$kind" = kind ] && continue
		n=1717408800.M${f%.eml}P1Q1.test
		if [ "$kind" = infected ]; then
			[ -f "$T/sp/alt/new/$n" ] || fail "$f ($kind) not in alt"
			grep -q '^X-Mailscan-Verdict: clamav/[^ ]* infected ' "$T/sp/alt/new/$n"
		else
			[ -f "$T/sp/out/new/$n" ] || fail "$f ($kind) not in out"
		fi
	done <"$T/corpus/corpus.tsv"
	# both engines stamped every message that went all the way
	assert_equal "$(grep -rL '^X-Mailscan-Verdict: clamav/[^ ]* clean$' "$T/sp/out/new")" ""
	assert_equal "$(grep -rL '^X-Mailscan-Verdict: yara/[^ ]* clean$' "$T/sp/out/new")" ""
	# the HUP was taken: the parent reloaded and the workers went on
	grep -q 'ms-scan-clamav: info: reloaded' "$BATS_TEST_TMPDIR/server.log"
	run -1 grep -e 'killed by signal' -e 'defer' "$BATS_TEST_TMPDIR/server.log"
}

done_count() {
	echo $(( $(count_files "$T/sp/out/new") + $(count_files "$T/sp/alt/new") ))
}
done_more() {
	[ "$(done_count)" -gt "$1" ]
}
