#!/usr/bin/env bats
# ms-notify: the notices about what the scanners found.  The verdicts are
# real: every message is scanned by ms-scan-clamav (as nobody, with the
# project's signatures in etc/mailscan/clamav) before ms-notify sees it.
# The notices are read back from the notice spool.

bats_require_minimum_version 1.5.0

load helper

setup() {
	unset MS_ADMIN MS_NOTIFY_SPOOL MS_NOTIFY_RECIPIENTS MS_NOTIFY_SENDER \
	    MS_SUBSCRIBERS MS_HOSTNAME MS_ACTION MS_UNSCANNABLE MS_MIME_PARTS \
	    MS_CLAMAV_RAW MS_ETC
	scan_site
	# the served domain: its senders are "local"
	printf '@example.org\n' >"$MS_ETC/subscribers"
	ms-mkcdb "$MS_ETC/subscribers" 2>/dev/null
	NS=$D/notices
	export MS_NOTIFY_SPOOL=$NS
}

teardown() {
	stop_servers
}

# scanned IN OUT [VAR=value...]: IN through ms-scan-clamav as nobody, with
# these settings; its exit code.
scanned() {
	local in=$1 out=$2
	shift 2
	chmod a+r "$in"
	asnobody env "$@" ms-scan-clamav <"$in" >"$out" 2>"$out.err"
}

# notify IN: ms-notify in filter mode on IN; stdout to $D/passed, stderr
# to $D/notify.err; its exit code.
notify() {
	ms-notify <"$1" >"$D/passed" 2>"$D/notify.err"
}

# nfiles: the notices written, one path a line.
nfiles() {
	[ -d "$NS/new" ] || return 0
	find "$NS/new" -type f | sort
}

# notice_for ADDR: the one notice addressed to ADDR (its path), else fail.
notice_for() {
	local f hits=()
	while read -r f; do
		if [ "$(rcpts_of "$f")" = "$1" ]; then hits+=("$f"); fi
	done < <(nfiles)
	[ "${#hits[@]}" -eq 1 ] || { echo "notice_for $1: ${#hits[@]} notices" >&2; return 1; }
	echo "${hits[0]}"
}

# rcpts_of FILE: the envelope recipients of FILE, one a line.
rcpts_of() {
	awk '!/^(Return-Path|X-Mailscan-[A-Za-z]+):/ { exit }
	    /^X-Mailscan-Rcpt: </ { sub(/^X-Mailscan-Rcpt: </, ""); sub(/>$/, ""); print }' "$1"
}

# who_notified: the recipients of all the notices, sorted, one a line.
who_notified() {
	local f
	nfiles | while read -r f; do rcpts_of "$f"; done | sort
}

# no_window STRING K FILE...: no K bytes in a row of STRING occur in any
# FILE (a line break inside the run does not hide it either).
no_window() {
	python3 - "$@" <<'EOF'
import sys
s, k, files = sys.argv[1].encode(), int(sys.argv[2]), sys.argv[3:]
bad = 0
for f in files:
    d = open(f, "rb").read()
    flat = d.replace(b"\n", b"").replace(b"\r", b"")
    for i in range(len(s) - k + 1):
        if s[i:i + k] in d or s[i:i + k] in flat:
            print("%s: holds %r" % (f, s[i:i + k]))
            bad = 1
            break
sys.exit(bad)
EOF
}

# ---- who hears ------------------------------------------------------------

@test "a quarantined message: one notice each to the admin, every recipient and the local sender; the message passes unchanged" {
	mkmail "$D/m" eicar sender@example.org alice@example.org bob@example.net carol@example.org
	run -1 scanned "$D/m" "$D/infected"
	export MS_ADMIN=postmaster@example.org MS_SUBSCRIBERS=$MS_ETC/subscribers.cdb
	run -0 notify "$D/infected"
	cmp "$D/passed" "$D/infected"
	assert_equal "$(tail -n 1 "$D/notify.err")" \
	    'ms-notify: info: -: pass: 5 notices: the message was quarantined'
	run -0 who_notified
	assert_output 'alice@example.org
bob@example.net
carol@example.org
postmaster@example.org
sender@example.org'
	# each notice is to its one addressee, from the null sender
	for f in $(nfiles); do
		[ "$(grep -c '^X-Mailscan-Rcpt: ' "$f")" -eq 1 ]
		grep -qx 'Return-Path: <>' "$f"
		grep -qx "To: <$(rcpts_of "$f")>" "$f"
		grep -qx 'From: Mail Scanner <MAILER-DAEMON@scan.test.example>' "$f"
		grep -qx 'Subject: \[mailscan\] a message was quarantined' "$f"
		# it names the virus, the engine and the action
		grep -Eqx '  clamav/[0-9.]+ infected Eicar-Test-Signature[-A-Za-z]*\.UNOFFICIAL \(part 2 report\.com\); action=quarantine' "$f"
		grep -qx '  Subject: quarterly report' "$f"
		grep -qx '  Message-ID: <report.1@example.org>' "$f"
		grep -qx '  Sender: <sender@example.org>' "$f"
	done
}

@test "a recipient's notice does not name the other recipients; the admin's and the sender's list them all" {
	mkmail "$D/m" eicar sender@example.org alice@example.org bob@example.net
	run -1 scanned "$D/m" "$D/infected"
	export MS_ADMIN=postmaster@example.org MS_SUBSCRIBERS=$MS_ETC/subscribers.cdb
	run -0 notify "$D/infected"
	run -0 notice_for alice@example.org
	run -1 grep -c 'bob@example.net' "$output"
	run -0 notice_for bob@example.net
	run -1 grep -c 'alice@example.org' "$output"
	for a in postmaster@example.org sender@example.org; do
		f=$(notice_for "$a")
		grep -qx '  Recipient: <alice@example.org>' "$f"
		grep -qx '  Recipient: <bob@example.net>' "$f"
	done
}

@test "a sender outside the served domains is not told by default; MS_NOTIFY_SENDER=all tells it, =no not even a local one" {
	mkmail "$D/m" eicar forged@outside.example alice@example.org
	run -1 scanned "$D/m" "$D/outside"
	mkmail "$D/m" eicar sender@example.org alice@example.org
	run -1 scanned "$D/m" "$D/local"
	export MS_SUBSCRIBERS=$MS_ETC/subscribers.cdb

	run -0 notify "$D/outside"
	run -0 who_notified
	assert_output 'alice@example.org'

	rm -rf "$NS"
	MS_NOTIFY_SENDER=all run -0 notify "$D/outside"
	run -0 who_notified
	assert_output 'alice@example.org
forged@outside.example'

	rm -rf "$NS"
	MS_NOTIFY_SENDER=no run -0 notify "$D/local"
	run -0 who_notified
	assert_output 'alice@example.org'

	# local: only with a subscribers table that names the sender
	rm -rf "$NS"
	MS_SUBSCRIBERS=$D/none.cdb run -0 notify "$D/local"
	run -0 who_notified
	assert_output 'alice@example.org'
}

@test "MS_NOTIFY_RECIPIENTS=no: the recipients are not told, the admin is" {
	mkmail "$D/m" eicar someone@outside.example alice@example.org bob@example.net
	run -1 scanned "$D/m" "$D/infected"
	MS_ADMIN=postmaster@example.org MS_NOTIFY_RECIPIENTS=no run -0 notify "$D/infected"
	run -0 who_notified
	assert_output 'postmaster@example.org'
}

@test "spool mode on the quarantine path: the notices name the quarantine id, the message moves unchanged into the quarantine" {
	local held=$MS_SPOOL/held q=$MS_SPOOL/quarantine ino id=1717400000.M12345P678Q1.scan
	mkdir -p "$held"/{tmp,new,cur} "$q"/{tmp,new,cur}
	mkmail "$D/m" eicar sender@example.org alice@example.org
	run -1 scanned "$D/m" "$held/tmp/x"
	cp "$held/tmp/x" "$D/infected"
	mv "$held/tmp/x" "$held/new/$id"
	ino=$(stat -c %i "$held/new/$id")
	MS_ADMIN=postmaster@example.org MS_RESCAN=1 start_bg ms-notify -q "$held" -o "$q"
	wait_for has_files "$q/new" 1
	stop_bg "$BGPID"
	assert_equal "$(stat -c %i "$q/new/$id")" "$ino"
	cmp "$q/new/$id" "$D/infected"
	# the sender is local by the default table, $MS_ETC/subscribers.cdb
	run -0 who_notified
	assert_output 'alice@example.org
postmaster@example.org
sender@example.org'
	for f in $(nfiles); do
		grep -qx "Quarantine id: $id" "$f"
	done
	grep -Fqx "ms-notify: info: $id: pass: 3 notices: the message was quarantined" "$D/server.log"
}

@test "clean mail: no notice at all, the message passes unchanged" {
	mkmail "$D/m" clean sender@example.org alice@example.org
	run -0 scanned "$D/m" "$D/clean"
	grep -Eq '^X-Mailscan-Verdict: clamav/[0-9.]+ clean$' "$D/clean"
	export MS_ADMIN=postmaster@example.org MS_NOTIFY_SENDER=all
	run -0 notify "$D/clean"
	cmp "$D/passed" "$D/clean"
	assert_equal "$(tail -n 1 "$D/notify.err")" 'ms-notify: info: -: pass: nothing to report'
	[ "$(nfiles | wc -l)" -eq 0 ]
	# nor for mail no scanner has seen
	run -0 notify "$D/m"
	[ "$(nfiles | wc -l)" -eq 0 ]
}

@test "cleaned and unscanned mail on the main path: each party told what happened, no quarantine id" {
	mkmail "$D/m" eicar someone@outside.example alice@example.org
	run -0 scanned "$D/m" "$D/cleaned" MS_ACTION=clean
	mkmail "$D/m" clean someone@outside.example alice@example.org
	run -0 scanned "$D/m" "$D/unscanned" MS_MIME_PARTS=1 MS_UNSCANNABLE=pass
	grep -q '^X-Mailscan-Verdict: clamav/[0-9.]* unscanned ' "$D/unscanned"
	export MS_ADMIN=postmaster@example.org

	run -0 notify "$D/cleaned"
	cmp "$D/passed" "$D/cleaned"
	[ "$(nfiles | wc -l)" -eq 2 ]
	for f in $(nfiles); do
		grep -qx 'Subject: \[mailscan\] a message was delivered with its dangerous parts removed' "$f"
		grep -Eq '^  clamav/[0-9.]+ cleaned Eicar.*; action=clean$' "$f"
		run -1 grep -c 'Quarantine id' "$f"
	done

	rm -rf "$NS"
	run -0 notify "$D/unscanned"
	cmp "$D/passed" "$D/unscanned"
	[ "$(nfiles | wc -l)" -eq 2 ]
	for f in $(nfiles); do
		grep -qx 'Subject: \[mailscan\] a message could not be scanned completely and was delivered' "$f"
		grep -Eq '^  clamav/[0-9.]+ unscanned MIME limit: parts; action=pass$' "$f"
	done
}

# ---- never to the null sender, no loops -------------------------------------

@test "the null sender is never told, even with MS_NOTIFY_SENDER=all; the recipients still are" {
	mkmail "$D/m" eicar '' alice@example.org
	grep -qx 'Return-Path: <>' "$D/m"
	run -1 scanned "$D/m" "$D/infected"
	MS_NOTIFY_SENDER=all run -0 notify "$D/infected"
	run -0 who_notified
	assert_output 'alice@example.org'
	# by hand, SENDER='<>' is the null sender too
	mkmail "$D/m" eicar sender@example.org alice@example.org
	run -1 scanned "$D/m" "$D/infected2"
	rm -rf "$NS"
	SENDER='<>' MS_NOTIFY_SENDER=all run -0 notify "$D/infected2"
	run -0 who_notified
	assert_output 'alice@example.org'
}

@test "an Auto-Submitted message (the loop case): only the admin hears; Auto-Submitted: no counts as a person's mail" {
	export MS_ADMIN=postmaster@example.org MS_NOTIFY_SENDER=all
	mkmail "$D/m" eicar sender@example.org alice@example.org -- 'Auto-Submitted: auto-replied'
	run -1 scanned "$D/m" "$D/auto"
	run -0 notify "$D/auto"
	cmp "$D/passed" "$D/auto"
	run -0 who_notified
	assert_output 'postmaster@example.org'

	# a notice of ours, infected: answered to the admin only
	rm -rf "$NS"
	mkmail "$D/m" eicar '' sender@example.org -- 'Auto-Submitted: auto-generated'
	run -1 scanned "$D/m" "$D/loop"
	run -0 notify "$D/loop"
	run -0 who_notified
	assert_output 'postmaster@example.org'

	rm -rf "$NS"
	mkmail "$D/m" eicar sender@example.org alice@example.org -- 'Auto-Submitted: no'
	run -1 scanned "$D/m" "$D/human"
	run -0 notify "$D/human"
	run -0 who_notified
	assert_output 'alice@example.org
postmaster@example.org
sender@example.org'
}

# ---- what a notice is -------------------------------------------------------

@test "no notice carries a byte of the dangerous part, raw or encoded" {
	local b64
	mkmail "$D/m" eicar sender@example.org alice@example.org bob@example.net
	b64=$(printf '%s' "$EICAR" | base64 -w0)
	# the message does carry it, base64-encoded
	grep -Fq "$b64" "$D/m"
	run -1 scanned "$D/m" "$D/infected"
	MS_ADMIN=postmaster@example.org MS_NOTIFY_SENDER=all run -0 notify "$D/infected"
	[ "$(nfiles | wc -l)" -eq 4 ]
	run -0 no_window "$EICAR" 12 $(nfiles)
	run -0 no_window "$b64" 16 $(nfiles)
	# and the scanner finds nothing in them
	chmod -R a+rX "$NS"
	for f in $(nfiles); do
		run -0 scanned "$f" "$D/rescan"
		grep -Eq '^X-Mailscan-Verdict: clamav/[0-9.]+ clean$' "$D/rescan"
	done
}

@test "a notice is a well-formed MIME message: text/plain us-ascii 7bit, Auto-Submitted: auto-generated, one of each header" {
	mkmail "$D/m" eicar sender@example.org alice@example.org
	run -1 scanned "$D/m" "$D/infected"
	MS_ADMIN=postmaster@example.org MS_SUBSCRIBERS=$MS_ETC/subscribers.cdb run -0 notify "$D/infected"
	[ "$(nfiles | wc -l)" -eq 3 ]
	run -0 python3 - $(nfiles) <<'EOF'
import email, email.utils, sys
from email import policy
for f in sys.argv[1:]:
    raw = open(f, "rb").read()
    assert all(b < 128 for b in raw), f + ": 8-bit byte"
    assert all(len(l) <= 998 for l in raw.split(b"\n")), f + ": long line"
    m = email.message_from_bytes(raw, policy=policy.default)
    assert not m.defects, (f, m.defects)
    for h in ("From", "To", "Subject", "Date", "Message-ID", "MIME-Version",
              "Content-Type", "Content-Transfer-Encoding", "Auto-Submitted"):
        assert len(m.get_all(h) or []) == 1, (f, h)
        assert not m[h].defects, (f, h, m[h].defects)
    assert m["MIME-Version"] == "1.0"
    assert m["Auto-Submitted"] == "auto-generated"
    assert m["Return-Path"] == "<>"
    assert m.get_content_type() == "text/plain" and not m.is_multipart()
    assert m.get_content_charset() == "us-ascii"
    assert m["Content-Transfer-Encoding"] == "7bit"
    assert email.utils.parsedate_to_datetime(str(m["Date"])) is not None
    assert m["Message-ID"].startswith("<") and m["Message-ID"].endswith("@scan.test.example>")
    assert "The dangerous content is not included in this notice." in m.get_content()
print(len(sys.argv) - 1, "ok")
EOF
	assert_output '3 ok'
	# and mblaze reads it as one text/plain part
	export MBLAZE=$D/mblaze
	mkdir -p "$MBLAZE"
	run -0 mshow -t "$(notice_for alice@example.org)"
	assert_line --regexp '^  1: text/plain size=[0-9]+$'
	# the Message-IDs differ
	[ "$(grep -h '^Message-ID: ' $(nfiles) | sort -u | wc -l)" -eq 3 ]
}

# ---- failures and settings --------------------------------------------------

@test "a notice that cannot be written: 111, the message does not pass; in spool mode it stays where it is" {
	mkmail "$D/m" eicar sender@example.org alice@example.org
	run -1 scanned "$D/m" "$D/infected"
	: >"$D/file"
	MS_NOTIFY_SPOOL=$D/file/notices run -111 notify "$D/infected"
	[ ! -s "$D/passed" ]
	grep -q "^ms-notify: fatal: unable to write a notice into $D/file/notices: Not a directory\$" \
	    "$D/notify.err"

	local held=$MS_SPOOL/held q=$MS_SPOOL/quarantine
	mkdir -p "$held"/{tmp,new,cur} "$q"/{tmp,new,cur}
	cp "$D/infected" "$held/new/1717400000.M1P1.scan"
	MS_NOTIFY_SPOOL=$D/file/notices MS_RESCAN=1 start_bg ms-notify -q "$held" -o "$q"
	wait_for grep -q 'defer' "$D/server.log"
	stop_bg "$BGPID"
	[ "$(count_files "$q/new")" -eq 0 ]
	[ "$(count_files "$held/new")" -eq 1 ]
	cmp "$held/new/"* "$D/infected"
}

@test "settings that make no sense are refused before any message is read (111)" {
	msg "$D/m.eml"
	run -111 --separate-stderr env MS_NOTIFY_SENDER=sometimes ms-notify <"$D/m.eml"
	assert_equal "$stderr" 'ms-notify: fatal: MS_NOTIFY_SENDER must be no, local or all'
	run -111 --separate-stderr env MS_NOTIFY_RECIPIENTS=maybe ms-notify <"$D/m.eml"
	assert_equal "$stderr" 'ms-notify: fatal: MS_NOTIFY_RECIPIENTS must be yes or no'
	run -111 --separate-stderr env MS_ADMIN=$'post\nmaster' ms-notify <"$D/m.eml"
	assert_equal "$stderr" 'ms-notify: fatal: MS_ADMIN is not an address'
	[ "$(nfiles | wc -l)" -eq 0 ]
}
