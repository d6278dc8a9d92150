#!/usr/bin/env bats
# make demo, end to end: etc/demo.sh sets up the single-host pipeline in a
# scratch directory, runs it under a supervisor, sends its eight messages
# with swaks and prints a table.  The demo runs once (setup_file); each test
# checks one of its promises, in its table and in the scratch directory it
# leaves behind.  Its timing is not asserted.

bats_require_minimum_version 1.5.0

load helper

# traversable DIR: a+x on DIR and every directory above it up to bats'
# private run directory (mode 0700), so that the services (uid nobody)
# reach what lies below.
traversable() {
	local d=$1
	while :; do
		chmod a+x "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] || [ "$d" = / ] && break
		d=$(dirname "$d")
	done
}

# procs_under DIR: "PID CMDLINE" of every process whose command line names
# DIR or whose working directory lies below it (a supervisor's children run
# in their service directories with relative arguments: s6-supervise smtpd,
# s6-log t ./main, tcpserver ... ms-smtpd).
procs_under() {
	local p pid cwd args
	for p in /proc/[0-9]*; do
		pid=${p#/proc/}
		[ "$pid" = "$$" ] && continue
		cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
		args=$(tr '\0' ' ' <"$p/cmdline" 2>/dev/null) || continue
		[ -n "$args" ] || continue	# a zombie or a kernel thread
		case "$cwd/ $args" in
		"$1"/*|*" $1/"*|*"=$1/"*) echo "$pid $args" ;;
		esac
	done
	return 0
}

setup_file() {
	export F=$BATS_FILE_TMPDIR
	# the demo's mktemp -d lands here; the scanners (nobody) make their
	# temporary files under TMPDIR too, so it is open like /tmp
	mkdir -p "$F/tmp"
	chmod 1777 "$F/tmp"
	traversable "$F"
	rc=0
	(cd "$F" && TMPDIR=$F/tmp timeout 120 sh "$MS_TOP/etc/demo.sh") >"$F/demo.out" 2>"$F/demo.err" || rc=$?
	echo "$rc" >"$F/demo.rc"
	# what is still running the moment the demo has returned
	S=$(sed -n '1s/^demo: scratch directory //p' "$F/demo.out")
	echo "$S" >"$F/scratch"
	if [ -n "$S" ]; then procs_under "$S" >"$F/left"; else : >"$F/left"; fi
}

teardown_file() {
	local S pid
	S=$(cat "$BATS_FILE_TMPDIR/scratch" 2>/dev/null) || return 0
	[ -n "$S" ] || return 0
	# whatever of the demo outlived it: by the scratch path, never by name
	for pid in $(procs_under "$S" | cut -d' ' -f1); do
		kill -KILL "$pid" 2>/dev/null || true
	done
}

setup() {
	F=$BATS_FILE_TMPDIR
	S=$(cat "$F/scratch")
	[ -n "$S" ] || fail "the demo printed no scratch directory: $(cat "$F/demo.out" "$F/demo.err")"
	A=$S/mail/example.org/alice/new
}

# row N: the demo's result table row for message N.
row() {
	sed -n '/^message  *outcome  *why$/,/^$/p' "$F/demo.out" | grep "^demo $1: "
}

# delivered N: the files in alice's maildir holding demo message N.
delivered() {
	grep -l "^Subject: demo $1:" "$A"/* 2>/dev/null || true
}

@test "the demo exits 0, prints its scratch directory and leaves it in place" {
	run -0 cat "$F/demo.rc"
	run -0 grep -c '^demo: scratch directory /' "$F/demo.out"
	[ -d "$S" ]
	case $S in "$F/tmp/mailscan-demo."*) ;; *) fail "scratch $S not under TMPDIR $F/tmp" ;; esac
	for d in spool sv etc/mailscan mail messages; do
		[ -d "$S/$d" ] || fail "$S/$d is gone"
	done
	# the services' logs stay for exploring
	run -0 grep -c 'ms-smtpd: info: .*accepted' "$S/sv/smtpd/log/main/current"
	assert_output 7
	run -0 tail -1 "$F/demo.out"
	assert_output "demo: stopping the services; the spools, mail and logs stay in $S"
}

@test "demo 1, a clean message: delivered with status clean" {
	run -0 row 1
	assert_output --regexp '^demo 1: a clean message +delivered +status clean, signed by this host$'
	run -0 delivered 1
	assert_equal "${#lines[@]}" 1
	run -0 grep -c '^X-Mailscan-Status: clean; by=' "${lines[0]}"
	assert_output 1
}

@test "demo 2, 3, 4 (EICAR attached, a test file in a zip, a uuencoded executable): cleaned" {
	for n in 2 3 4; do
		run -0 row "$n"
		# the why is what the scanner said, from the admin's notice
		assert_output --regexp "^demo $n: .* +cleaned +clamav/[^ ]+ cleaned [^ ]+ \(part 2 [^)]+\); action=clean; status cleaned, signed\$"
		run -0 delivered "$n"
		assert_equal "${#lines[@]}" 1
		m=${lines[0]}
		run -0 grep -c '^X-Mailscan-Status: cleaned; by=' "$m"
		# the infected content itself is gone: none of the original's
		# base64 or uuencoded lines is in what was delivered
		grep -E '^([A-Za-z0-9+/]{60,}={0,2}|M.{60})$' "$S/messages/$n.eml" >"$BATS_TEST_TMPDIR/enc"
		[ -s "$BATS_TEST_TMPDIR/enc" ] || fail "no encoded lines in demo $n"
		run -1 grep -Fxf "$BATS_TEST_TMPDIR/enc" "$m"
		run -0 grep -ci 'was removed' "$m"
	done
	run -1 grep -l '^begin 644 tool.exe' "$A"/*
}

@test "demo 5, a forged status header: not trusted, scanned, rejected by the YARA marker rule and bounced" {
	run -0 row 5
	assert_output --regexp '^demo 5: a forged status header +rejected +bounced to the sender: .*mailscan_all_markers'
	run -0 delivered 5
	assert_output ''
	# the spool name YARA bounced, followed back to ms-verify: the forged
	# field did not let the message skip the scanners
	run -0 sed -n 's/^[^ ]* ms-scan-yara: info: \([^:]*\): bounce: .*mailscan_all_markers.*/\1/p' \
	    "$S/sv/yara/log/main/current"
	assert_equal "${#lines[@]}" 1
	q=${lines[0]}
	run -0 grep -F "ms-verify: info: $q: " "$S/sv/verify/log/main/current"
	assert_output --partial "$q: alt: needs scanning: "
	refute_output --partial 'pass'
	# the DSN to the sender names the rule
	run -0 grep -l '^Subject: demo 5:' "$S"/mail/example.org/demo/new/*
	run -0 grep -c '^Diagnostic-Code: .*mailscan_all_markers' "${lines[0]}"
}

@test "demo 6, MIME nested 30 deep: quarantined as unscanned (MIME limit)" {
	run -0 row 6
	assert_output --regexp '^demo 6: .* +quarantined +clamav/[^ ]+ unscanned MIME limit'
	run -0 delivered 6
	assert_output ''
	run -0 grep -l '^Subject: demo 6:' "$S"/spool/quarantine/new/*
	assert_equal "${#lines[@]}" 1
}

@test "demo 7, a non-subscriber: rejected at SMTP with 550 5.1.1" {
	run -0 row 7
	assert_output --regexp '^demo 7: to a non-subscriber +rejected +at SMTP: 550 5\.1\.1 '
	# refused at RCPT: nothing of it was ever queued
	run -1 grep -rl '^Subject: demo 7:' "$S/spool" "$S/mail"
	run -0 cat "$S/messages/7.reply"
	assert_output --regexp '^550 5\.1\.1 '
}

@test "demo 8, HTML with a script and a handler: delivered cleaned by ms-scan-active, the text kept, the original in the quarantine" {
	run -0 row 8
	assert_output --regexp '^demo 8: .* +cleaned +active cleaned html-script\+handler \(part 1 kept=[^ )]+\); action=clean; status cleaned, signed$'
	run -0 delivered 8
	assert_equal "${#lines[@]}" 1
	m=${lines[0]}
	run -0 grep -c '^X-Mailscan-Status: cleaned; by=.*engines=clamav/[^,]*,yara/[^,]*,active;' "$m"
	# no script, no handler; the text, the link and the markup around them stay
	run -1 grep -Ei '<script|onclick|document\.cookie' "$m"
	run -0 grep -Fc '<p>Your <b>invoice</b> is ready.</p>' "$m"
	run -0 grep -Fc '<a href="https://example.org/invoice" >open it</a>' "$m"
	run -0 grep -c 'removed here by mailscan' "$m"
	assert_output 2
	# the demo shows it
	run -0 sed -n '/^the HTML of message 8 as delivered/,/^$/p' "$F/demo.out"
	assert_output --partial 'removed here by mailscan'
	refute_output --partial '<script'
	# what was taken out is kept under the id the verdict names, with the original page
	id=$(row 8 | sed -n 's/.*kept=\([^ )]*\).*/\1/p')
	[ -n "$id" ]
	[ -f "$S/spool/quarantine/new/$id" ] || fail "kept=$id is not in the quarantine"
	run -0 grep -c '^  Subject: demo 8:' "$S/spool/quarantine/new/$id"
	# its attachment is the page as it was sent, script and all
	run -0 sed -n '/^Content-Transfer-Encoding: base64$/,/^--/{/^[A-Za-z0-9+\/=]*$/p}' \
	    "$S/spool/quarantine/new/$id"
	printf '%s\n' "${lines[@]}" | base64 -d >"$BATS_TEST_TMPDIR/kept.html"
	run -0 grep -c '<script>document.location' "$BATS_TEST_TMPDIR/kept.html"
}

@test "the delivered message's status header verifies with this host's trusted key, and only with it" {
	run -0 delivered 1
	m=${lines[0]}
	run -0 env MS_ETC="$S/etc/mailscan" MS_TRUSTED_KEYS="$S/etc/mailscan/trusted-keys" ms-verify <"$m"
	assert_output --partial 'pass: scanned: clean by '
	# no trusted key: needs scanning
	mkdir "$BATS_TEST_TMPDIR/nokeys"
	run -1 env MS_ETC="$S/etc/mailscan" MS_TRUSTED_KEYS="$BATS_TEST_TMPDIR/nokeys" ms-verify <"$m"
	# the body changed: the signature no longer holds
	sed 's/nothing to see here/something to see here/' "$m" >"$BATS_TEST_TMPDIR/changed"
	run -1 cmp -s "$m" "$BATS_TEST_TMPDIR/changed"
	run -1 env MS_ETC="$S/etc/mailscan" MS_TRUSTED_KEYS="$S/etc/mailscan/trusted-keys" \
	    ms-verify <"$BATS_TEST_TMPDIR/changed"
	# the demo printed it
	run -0 grep -c '^  X-Mailscan-Status: clean; ' "$F/demo.out"
}

@test "ms-quarantine list shows demo 6 and the piece taken out of demo 8, in the demo's output and in the scratch spool" {
	run -0 sed -n '/^ms-quarantine list:$/,/^$/p' "$F/demo.out"
	assert_equal "${#lines[@]}" 3
	run -0 env MS_SPOOL="$S/spool" ms-quarantine list
	assert_equal "${#lines[@]}" 2
	run -0 grep 'MIME limit' <<<"$output"
	assert_equal "${#lines[@]}" 1
	id=${output%% *}
	[ -f "$S/spool/quarantine/new/$id" ] || [ -f "$S/spool/quarantine/cur/$id" ] ||
		fail "quarantine id $id is not a file of the quarantine spool"
	run -0 grep -c '^Subject: demo 6:' "$S/spool/quarantine/new/$id"
}

@test "the postmaster got a notice for each finding that was delivered cleaned or quarantined" {
	P=$S/mail/example.org/postmaster/new
	for n in 2 3 4 8; do
		run -0 grep -l "^  Message-ID: <demo$n@example.org>" "$P"/*
		assert_equal "${#lines[@]}" 1
		run -0 grep -c '^Subject: \[mailscan\] .*removed' "${lines[0]}"
	done
	run -0 grep -l '^  Message-ID: <demo6@example.org>' "$P"/*
	assert_equal "${#lines[@]}" 1
	n6=${lines[0]}
	run -0 grep -c '^Subject: \[mailscan\] a message was quarantined' "$n6"
	# it names the quarantine id ms-quarantine lists
	run -0 env MS_SPOOL="$S/spool" ms-quarantine list
	run -0 grep 'MIME limit' <<<"$output"
	run -0 grep -c "^Quarantine id: ${output%% *}\$" "$n6"
	# nothing about the clean message
	run -1 grep -l '^  Message-ID: <demo1@example.org>' "$P"/*
	run -0 grep -E '^notices to postmaster@example.org: [1-9]' "$F/demo.out"
}

@test "after the demo returns none of its processes is left running" {
	run -0 cat "$F/left"
	assert_output ''
}
