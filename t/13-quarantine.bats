#!/usr/bin/env bats
# ms-quarantine: list, show, release, delete and expire over a quarantine
# maildir.  Messages get there the real way: ms-scan-clamav (as nobody,
# with the project's signatures) quarantines them, ms-notify moves them
# from the held spool into the quarantine.  ms-quarantine runs as root
# over a quarantine owned by nobody, so it becomes nobody, as it would
# become the service uid, and its release chain (ms-scan-clamav,
# ms-scan-yara, ms-stamp -s released) runs as nobody too.

bats_require_minimum_version 1.5.0

load helper

T0=1717408800	# 2024-06-03T10:00:00Z

setup() {
	unset MS_QUARANTINE MS_RELEASE_CLEAN MS_RELEASE_STAMP MS_RELEASE_SPOOL \
	    MS_QUARANTINE_NOTIFY MS_ACTION MS_UNSCANNABLE MS_ADMIN MS_NOTIFY_SPOOL \
	    MS_NOTIFY_SENDER MS_NOTIFY_RECIPIENTS MS_SUBSCRIBERS SUDO_USER \
	    MS_TRUSTED_KEYS MS_SCANNERS
	scan_site
	export MS_YARA_RULES=$MS_TOP/etc/mailscan/yara
	mkdir -p "$MS_ETC/trusted-keys"
	ms-stamp -g "$MS_ETC" >/dev/null 2>&1
	chown nobody "$MS_ETC/stamp.key"
	export MS_STAMPKEY=$MS_ETC/stamp.key
	Q=$MS_SPOOL/quarantine
	OUT=$MS_SPOOL/out
	mkdir -p "$Q"/{tmp,new,cur} "$OUT"/{tmp,new,cur} "$MS_SPOOL/held"/{tmp,new,cur}
	chown -R nobody:nogroup "$MS_SPOOL"
	export MBLAZE=$D/mblaze
	mkdir -p "$MBLAZE"
}

teardown() {
	stop_servers
}

# quarantine NAME [SENDER [RCPT...]]: an EICAR message quarantined by
# ms-scan-clamav straight into $Q/new/NAME, owned by nobody; the scanner's
# output is also kept in $D/NAME.
quarantine() {
	local name=$1 sender=${2-sender@example.org}
	shift $(( $# > 1 ? 2 : 1 ))
	[ $# -gt 0 ] || set -- alice@example.org bob@example.net
	mkmail "$D/$name.in" eicar "$sender" "$@"
	chmod a+r "$D/$name.in"
	local rc=0
	asnobody ms-scan-clamav <"$D/$name.in" >"$D/$name" 2>/dev/null || rc=$?
	[ "$rc" -eq 1 ] || { echo "scanner exit $rc, not 1" >&2; return 1; }
	cp "$D/$name" "$Q/tmp/$name"
	chown nobody:nogroup "$Q/tmp/$name"
	mv "$Q/tmp/$name" "$Q/new/$name"
}

# proper FILE: FILE after its envelope block and after an X-Mailscan-Status
# field (with its continuation lines) that follows it.
proper() {
	python3 - "$1" <<'EOF'
import re, sys
d = open(sys.argv[1], "rb").read()
i = 0
while True:
    m = re.match(rb"(Return-Path|X-Mailscan-(?!Status:)[A-Za-z-]+):[^\n]*\n", d[i:])
    if not m:
        break
    i += m.end()
m = re.match(rb"X-Mailscan-Status:[^\n]*\n([ \t][^\n]*\n)*", d[i:])
if m:
    i += m.end()
sys.stdout.buffer.write(d[i:])
EOF
}

# no_window STRING K FILE...: no K bytes in a row of STRING occur in any FILE.
no_window() {
	python3 - "$@" <<'EOF'
import sys
s, k, files = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3:]
bad = 0
for f in files:
    d = open(f, "rb").read()
    flat = d.replace(b"\n", b"")
    for i in range(len(s) - k + 1):
        if s[i:i + k] in d or s[i:i + k] in flat:
            print("%s: holds %r" % (f, s[i:i + k]))
            bad = 1
            break
sys.exit(bad)
EOF
}

# only_in_out: exactly one message in $OUT/new (its path in $F), nothing in tmp/.
only_in_out() {
	[ "$(count_files "$OUT/new")" -eq 1 ] || fail "$(count_files "$OUT/new") messages in out"
	[ "$(count_files "$OUT/tmp")" -eq 0 ] || fail "left in out/tmp"
	F=$(find "$OUT/new" -type f)
}

# quarantine_empty: nothing left in new/ or cur/.
quarantine_empty() {
	[ "$(count_files "$Q/new")" -eq 0 ] && [ "$(count_files "$Q/cur")" -eq 0 ]
}

# ---- quarantine, list, show -------------------------------------------------

@test "quarantined by the scanner through ms-notify; list shows id, date, size, sender, recipients and verdict; show gives the message; mblaze reads it" {
	local id=$T0.M1P1.scan
	mkmail "$D/in" eicar sender@example.org alice@example.org bob@example.net
	chmod a+r "$D/in"
	local rc=0
	asnobody ms-scan-clamav <"$D/in" >"$MS_SPOOL/held/tmp/m" 2>/dev/null || rc=$?
	assert_equal "$rc" 1
	mv "$MS_SPOOL/held/tmp/m" "$MS_SPOOL/held/new/$id"
	cp "$MS_SPOOL/held/new/$id" "$D/held"
	# setpriv itself, not the asnobody function, so that stop_bg signals
	# ms-notify and not a subshell
	MS_RESCAN=1 start_bg setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    ms-notify -q "$MS_SPOOL/held" -o "$Q"
	wait_for has_files "$Q/new" 1
	stop_bg "$BGPID"
	# the recipients' notices, in out, name the id
	[ "$(grep -lx "Quarantine id: $id" "$OUT"/new/* | wc -l)" -eq 2 ]

	run -0 --separate-stderr ms-quarantine list
	assert_equal "${#lines[@]}" 1
	assert_output --regexp "^$id 2024-06-03T10:00:00Z $(stat -c %s "$D/held") <sender@example.org> alice@example.org,bob@example.net clamav/[0-9.]+ infected Eicar-Test-Signature[-A-Za-z]*\\.UNOFFICIAL \\(part 2 report\\.com\\); action=quarantine\$"
	assert_equal "$stderr" ''

	# show, by the whole id and by a prefix: the message as it is held
	ms-quarantine show "$id" | cmp - "$D/held"
	ms-quarantine show "${id:0:12}" | cmp - "$D/held"

	# the quarantine is a maildir mblaze reads: the verdict, the parts, the
	# dangerous one still whole
	run -0 mhdr -h x-mailscan-verdict "$Q/new/$id"
	assert_output --regexp '^clamav/[0-9.]+ infected Eicar'
	run -0 mshow -t "$Q/new/$id"
	assert_line --regexp '^    3: application/octet-stream size=68 name="report.com"$'
	run -0 mshow -O "$Q/new/$id" 3
	assert_output "$EICAR"
	run -0 mlist "$Q"
	assert_output "$Q/new/$id"
}

@test "list: one line per message, sorted by id; a message being released or deleted (in cur/) is marked" {
	quarantine "$T0.M2P1.scan" '' carol@example.org
	quarantine "$T0.M1P1.scan"
	quarantine "$((T0 + 60)).M1P1.scan" other@example.com dave@example.org
	mv "$Q/new/$((T0 + 60)).M1P1.scan" "$Q/cur/"
	run -0 ms-quarantine list
	assert_equal "${#lines[@]}" 3
	assert_line --index 0 --regexp "^$T0\\.M1P1\\.scan 2024-06-03T10:00:00Z [0-9]+ <sender@example.org> alice@example.org,bob@example.net clamav"
	assert_line --index 1 --regexp "^$T0\\.M2P1\\.scan 2024-06-03T10:00:00Z [0-9]+ <> carol@example.org clamav"
	assert_line --index 2 --regexp "^$((T0 + 60))\\.M1P1\\.scan 2024-06-03T10:01:00Z [0-9]+ <other@example.com> dave@example.org clamav.* \\(being released or deleted: in cur/\\)\$"
	# easy to grep
	[ "$(ms-quarantine list | grep -c Eicar)" -eq 3 ]
	# an empty quarantine lists nothing
	rm -f "$Q"/new/* "$Q"/cur/*
	run -0 ms-quarantine list
	assert_output ''
}

# ---- release ----------------------------------------------------------------

@test "release: the cleaned form, stamped released, queued once, gone from the quarantine, not quarantined again" {
	local id=$T0.M1P1.scan
	quarantine "$id"
	run -0 --separate-stderr ms-quarantine release "$id"
	assert_equal "${stderr_lines[-1]}" \
	    "ms-quarantine: info: $id: released (cleaned) by root (uid 0): queued as $OUT/new/$(ls "$OUT/new")"
	only_in_out
	quarantine_empty
	# it was written as the quarantine's owner, not as root
	assert_equal "$(stat -c %U "$F")" nobody
	# the infected part replaced, nothing of it left; the rest kept
	run -0 no_window "$EICAR" 12 "$F"
	run -0 no_window "$(printf '%s' "$EICAR" | base64 -w0)" 16 "$F"
	grep -q '^The attachment "report.com" (application/octet-stream) was removed' "$F"
	grep -qx 'The report is attached.' "$F"
	grep -qx 'Subject: quarterly report' "$F"
	grep -Eq '^X-Mailscan-Verdict: clamav/[0-9.]+ cleaned Eicar.*; action=clean$' "$F"
	grep -q '^X-Mailscan-Status: released; by=scan.test.example; ' "$F"
	# the envelope is the original one
	run -0 sed -n '/^X-Mailscan-Rcpt: /p; /^Return-Path: /p' "$F"
	assert_output 'Return-Path: <sender@example.org>
X-Mailscan-Rcpt: <alice@example.org>
X-Mailscan-Rcpt: <bob@example.net>'

	# a gateway holding the key takes it as scanned; one without does not
	cp "$MS_ETC/stamp.pub" "$MS_ETC/trusted-keys/scan"
	run -0 --separate-stderr ms-verify <"$F"
	[[ $stderr == *"pass: scanned: released by scan.test.example"* ]]
	run -1 env MS_TRUSTED_KEYS="$D/nokeys" ms-verify <"$F"
	# and a scanner finds nothing more in it
	cp "$F" "$D/released"
	chmod a+r "$D/released"
	run -0 asnobody ms-scan-clamav <"$D/released"

	# it is gone: a second release finds nothing and queues nothing
	run -100 --separate-stderr ms-quarantine release "$id"
	assert_equal "${stderr_lines[-1]}" \
	    "ms-quarantine: fatal: no message $id in $Q/new (released or deleted already?)"
	only_in_out
}

@test "release -o: the original message, byte for byte after the envelope and the status field, stamped released" {
	local id=$T0.M1P1.scan
	quarantine "$id"
	run -0 --separate-stderr ms-quarantine release -o "${id:0:14}"
	assert_equal "${stderr_lines[-1]}" \
	    "ms-quarantine: info: $id: released (original) by root (uid 0): queued as $OUT/new/$(ls "$OUT/new")"
	only_in_out
	quarantine_empty
	cmp <(proper "$F") <(proper "$D/$id")
	# the original is the one with the attachment
	cmp <(proper "$F") <(sed '1,/^X-Mailscan-Verdict: /d' "$D/$id")
	grep -Fq "$(printf '%s' "$EICAR" | base64 -w0)" "$F"
	# the envelope block is the quarantined one, the status field follows it
	run -0 sed -n '/^From: /q; p' "$F"
	assert_line --index 0 'Return-Path: <sender@example.org>'
	assert_line --index 3 --regexp '^X-Mailscan-Verdict: clamav/[0-9.]+ infected '
	assert_line --index 4 --regexp '^X-Mailscan-Status: released; by=scan.test.example; engines=clamav/'
	# --original, after the id, is the same
	quarantine "$T0.M2P1.scan"
	run -0 ms-quarantine release "$T0.M2P1.scan" --original
	[ "$(count_files "$OUT/new")" -eq 2 ]
	quarantine_empty
}

@test "release of a message that cannot be cleaned: 100, it stays in the quarantine unchanged; -o releases it" {
	local id=$T0.M1P1.scan
	quarantine "$id"
	cp "$Q/new/$id" "$D/before"
	# a rule of the release chain that holds whatever MS_ACTION says
	mkdir -p "$D/yara"
	cat >"$D/yara/hold.yar" <<'EOF'
rule hold_reports
{
	meta:
		description = "reports are held for review"
		action = "quarantine"
	strings:
		$r = "The report is attached."
	condition:
		$r
}
EOF
	chmod -R a+rX "$D/yara"
	MS_YARA_RULES=$D/yara run -100 --separate-stderr ms-quarantine release "$id"
	[[ ${stderr_lines[-1]} == "ms-quarantine: fatal: $id cannot be cleaned ("*"hold_reports (part 1); action=quarantine): release the original with -o if you are sure" ]]
	[ "$(count_files "$OUT/new")" -eq 0 ]
	[ "$(count_files "$Q/cur")" -eq 0 ]
	cmp "$Q/new/$id" "$D/before"
	MS_YARA_RULES=$D/yara run -0 ms-quarantine release -o "$id"
	only_in_out
	quarantine_empty
}

@test "release without a usable signing key: 111, it stays in the quarantine" {
	local id=$T0.M1P1.scan
	quarantine "$id"
	chown root "$MS_STAMPKEY"
	run -111 --separate-stderr ms-quarantine release "$id"
	[[ ${stderr_lines[-1]} == "ms-quarantine: fatal: unable to stamp $id as released: "* ]]
	[ "$(count_files "$OUT/new")" -eq 0 ]
	[ -f "$Q/new/$id" ]
	[ "$(count_files "$Q/cur")" -eq 0 ]
	# MS_RELEASE_STAMP=none releases it unstamped
	MS_RELEASE_STAMP=none run -0 ms-quarantine release "$id"
	only_in_out
	run -1 grep -c '^X-Mailscan-Status:' "$F"
}

@test "concurrent releases of the same id: exactly one succeeds, the others fail with 100 and say why, the message is in out exactly once" {
	local round id k pids codes
	for round in 1 2 3; do
		id=$T0.M${round}P1.scan
		quarantine "$id"
		pids=()
		# six admins at once: each waits at a gate (a fifo) that opens for
		# all at the same moment
		rm -f "$D/gate"
		mkfifo "$D/gate"
		for k in 1 2 3 4 5 6; do
			( read -r -t 20 _ <>"$D/gate" || :; exec ms-quarantine release "$id" ) \
			    >/dev/null 2>"$D/r$k.$round" &
			pids+=($!)
		done
		sleep 0.2
		printf 'go\n%.0s' 1 2 3 4 5 6 >"$D/gate"
		codes=""
		for k in "${pids[@]}"; do
			wait "$k" && codes+="0 " || codes+="$? "
		done
		assert_equal "$(printf '%s\n' $codes | sort -n | tr '\n' ' ')" '0 100 100 100 100 100 '
		# each loser says why, in one line
		for k in 1 2 3 4 5 6; do
			grep -Eqx "ms-quarantine: (info: $id: released \(cleaned\) by root \(uid 0\): queued as .*|fatal: ($id was taken by someone else just now|no message $id in $Q/new \(released or deleted already\?\)))" \
			    <(tail -n 1 "$D/r$k.$round")
		done
		[ "$(count_files "$OUT/new")" -eq "$round" ]
		quarantine_empty
	done
	[ "$(grep -l '^Message-ID: <report.1@example.org>' "$OUT"/new/* | wc -l)" -eq 3 ]
}

@test "an out spool that cannot be written: 111 and the message stays in the quarantine's new/" {
	local id=$T0.M1P1.scan
	quarantine "$id"
	cp "$Q/new/$id" "$D/before"
	: >"$D/file"
	MS_RELEASE_SPOOL=$D/file/out run -111 --separate-stderr ms-quarantine release "$id"
	assert_equal "${stderr_lines[-1]}" \
	    "ms-quarantine: fatal: unable to queue $id into $D/file/out (it stays in the quarantine): Not a directory"
	cmp "$Q/new/$id" "$D/before"
	[ "$(count_files "$Q/cur")" -eq 0 ]
	# an out spool the quarantine's owner may not write
	chown -R root:root "$OUT"
	run -111 --separate-stderr ms-quarantine release -o "$id"
	assert_equal "${stderr_lines[-1]}" \
	    "ms-quarantine: fatal: unable to queue $id into $OUT (it stays in the quarantine): Permission denied"
	cmp "$Q/new/$id" "$D/before"
	[ "$(count_files "$Q/cur")" -eq 0 ]
	[ "$(count_files "$OUT/new")" -eq 0 ]
	[ "$(count_files "$OUT/tmp")" -eq 0 ]
}

@test "a quarantine owned by root: ms-quarantine stays root, the scanners refuse, the release fails with 111 and loses nothing" {
	local id=$T0.M1P1.scan
	quarantine "$id"
	chown -R root:root "$Q"
	run -111 --separate-stderr ms-quarantine release "$id"
	[[ ${stderr_lines[-1]} == "ms-quarantine: fatal: unable to clean $id: "*"refusing to run as root"* ]]
	[ -f "$Q/new/$id" ]
	[ "$(count_files "$OUT/new")" -eq 0 ]
}

# ---- delete and expire ------------------------------------------------------

@test "delete with MS_QUARANTINE_NOTIFY=\"recipients sender\": gone, and each told in a notice in out; logged with who ran it" {
	local id=$T0.M1P1.scan f
	quarantine "$id"
	MS_QUARANTINE_NOTIFY='recipients sender' SUDO_USER=alice \
	    run -0 --separate-stderr ms-quarantine delete "$id"
	assert_equal "${stderr_lines[-1]}" "ms-quarantine: info: $id: deleted by alice (via sudo as root)"
	quarantine_empty
	[ "$(count_files "$OUT/new")" -eq 3 ]
	for f in "$OUT"/new/*; do
		grep -qx 'Return-Path: <>' "$f"
		grep -qx 'Auto-Submitted: auto-generated' "$f"
		grep -qx 'Content-Type: text/plain; charset=us-ascii' "$f"
		grep -qx "The message described below was held in quarantine (id $id) and has" "$f"
		grep -qx 'now been deleted.  It will not be delivered.' "$f"
		grep -qx '  Subject: quarterly report' "$f"
	done
	run -0 grep -lx 'X-Mailscan-Rcpt: <alice@example.org>' "$OUT"/new/*
	grep -qx 'Subject: \[mailscan\] a message to you was not delivered' "$output"
	run -1 grep -c 'bob@example.net' "$output"
	run -0 grep -lx 'X-Mailscan-Rcpt: <bob@example.net>' "$OUT"/new/*
	run -1 grep -c 'alice@example.org' "$output"
	run -0 grep -lx 'X-Mailscan-Rcpt: <sender@example.org>' "$OUT"/new/*
	grep -qx 'Subject: \[mailscan\] your message was not delivered' "$output"
	grep -qx '  Recipient: <alice@example.org>' "$output"
	run -0 no_window "$EICAR" 12 "$OUT"/new/*
	run -0 no_window "$(printf '%s' "$EICAR" | base64 -w0)" 16 "$OUT"/new/*
}

@test "delete: without MS_QUARANTINE_NOTIFY nobody is told; \"sender\" alone tells only the sender, never the null sender" {
	quarantine "$T0.M1P1.scan"
	run -0 ms-quarantine delete "$T0.M1P1.scan"
	quarantine_empty
	[ "$(count_files "$OUT/new")" -eq 0 ]

	quarantine "$T0.M2P1.scan"
	MS_QUARANTINE_NOTIFY=sender run -0 ms-quarantine delete "$T0.M2P1.scan"
	only_in_out
	grep -qx 'X-Mailscan-Rcpt: <sender@example.org>' "$F"
	rm "$F"

	quarantine "$T0.M3P1.scan" '' alice@example.org
	MS_QUARANTINE_NOTIFY=sender run -0 ms-quarantine delete "$T0.M3P1.scan"
	quarantine_empty
	[ "$(count_files "$OUT/new")" -eq 0 ]
}

@test "expire DAYS: older messages removed (with their notices), newer ones kept" {
	local now old
	now=$(date +%s)
	old=$((now - 40 * 86400))
	quarantine "$old.M1P1.scan"
	quarantine "$((now - 20 * 86400)).M1P1.scan"
	quarantine "$now.M1P1.scan"
	MS_QUARANTINE_NOTIFY=recipients run -0 --separate-stderr ms-quarantine expire 30
	assert_equal "${stderr_lines[-1]}" 'ms-quarantine: info: expire 30: 1 message removed'
	[[ $stderr == *"ms-quarantine: info: $old.M1P1.scan: expired by root (uid 0)"* ]]
	[ ! -e "$Q/new/$old.M1P1.scan" ]
	[ "$(count_files "$Q/new")" -eq 2 ]
	# alice's and bob's notices say why
	[ "$(count_files "$OUT/new")" -eq 2 ]
	[ "$(grep -lx 'now been expired.  It will not be delivered.' "$OUT"/new/* | wc -l)" -eq 2 ]
	run -0 --separate-stderr ms-quarantine expire 10
	assert_equal "${stderr_lines[-1]}" 'ms-quarantine: info: expire 10: 1 message removed'
	[ -f "$Q/new/$now.M1P1.scan" ]
	run -100 --separate-stderr ms-quarantine expire 10d
	assert_equal "${stderr_lines[-1]}" 'ms-quarantine: fatal: expire wants a number of days, not 10d'
	[ -f "$Q/new/$now.M1P1.scan" ]
}

# ---- ids and usage ----------------------------------------------------------

@test "a wrong id, an ambiguous prefix or a path: 100 with a clear message, nothing touched" {
	quarantine "$T0.M1P1.scan"
	quarantine "$T0.M2P1.scan"
	local cmd
	for cmd in show release delete; do
		run -100 --separate-stderr ms-quarantine $cmd 1234.nosuch
		assert_equal "$stderr" "ms-quarantine: fatal: no message 1234.nosuch in $Q/new (released or deleted already?)"
		run -100 --separate-stderr ms-quarantine $cmd "$T0.M"
		assert_equal "$stderr" "ms-quarantine: fatal: $T0.M names 2 messages: give more of the id"
		run -100 --separate-stderr ms-quarantine $cmd "../quarantine/new/$T0.M1P1.scan"
		assert_equal "$stderr" "ms-quarantine: fatal: not a quarantine id: ../quarantine/new/$T0.M1P1.scan"
	done
	[ "$(count_files "$Q/new")" -eq 2 ]
	[ "$(count_files "$Q/cur")" -eq 0 ]
	[ "$(count_files "$OUT/new")" -eq 0 ]
	# a message in cur/ (being released) is not found either
	mv "$Q/new/$T0.M2P1.scan" "$Q/cur/"
	run -100 ms-quarantine delete "$T0.M2P1.scan"
	[ -f "$Q/cur/$T0.M2P1.scan" ]
	# now the prefix is unique
	run -0 ms-quarantine show "$T0.M"
	cmp <(printf '%s\n' "$output") "$Q/new/$T0.M1P1.scan"
}

@test "usage errors and a missing quarantine: 100 and 111" {
	run -100 --separate-stderr ms-quarantine
	[[ $stderr == "usage: ms-quarantine "* ]]
	run -100 ms-quarantine frobnicate
	run -100 ms-quarantine show
	run -100 ms-quarantine release -o
	run -100 ms-quarantine list extra
	MS_QUARANTINE=$D/nowhere run -111 --separate-stderr ms-quarantine list
	assert_equal "$stderr" "ms-quarantine: fatal: unable to open the quarantine $D/nowhere: No such file or directory"
}

@test "the log line names who ran it: root, a sudo user, or the service uid itself" {
	quarantine "$T0.M1P1.scan"
	quarantine "$T0.M2P1.scan"
	quarantine "$T0.M3P1.scan"
	run -0 --separate-stderr ms-quarantine delete "$T0.M1P1.scan"
	assert_equal "$stderr" "ms-quarantine: info: $T0.M1P1.scan: deleted by root (uid 0)"
	SUDO_USER=alice run -0 --separate-stderr ms-quarantine release -o "$T0.M2P1.scan"
	[[ ${stderr_lines[-1]} == "ms-quarantine: info: $T0.M2P1.scan: released (original) by alice (via sudo as root): queued as $OUT/new/"* ]]
	run -0 --separate-stderr asnobody ms-quarantine delete "$T0.M3P1.scan"
	assert_equal "$stderr" "ms-quarantine: info: $T0.M3P1.scan: deleted by nobody (uid $(id -u nobody))"
	quarantine_empty
}
