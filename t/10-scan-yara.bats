#!/usr/bin/env bats
# ms-scan-yara: YARA rules as a stage.  The example rules are the
# project's own (etc/mailscan/yara/mailscan.yar); messages are made by
# t/data/scan/mkmsg and inspected with t/data/scan/msgtool.  The scanner
# refuses root, so every run is as nobody (setpriv).

bats_require_minimum_version 1.5.0
load helper

setup() {
	open_tmp "$BATS_TEST_TMPDIR"
	unset MS_ACTION MS_UNSCANNABLE MS_SKIP MS_YARA_RULES MS_YARA_TIMEOUT \
	    MS_MIME_DEPTH MS_MIME_PARTS MS_MIME_FACTOR MS_MIME_DECODED MS_LEVELS \
	    MS_ACTION_TRUSTED MS_ACTION_NEUTRAL MS_ACTION_SUSPECT MS_ACTION_HOSTILE
	export MS_ETC=$MS_TOP/etc/mailscan
	YARA=$(command -v ms-scan-yara)
	T=$BATS_TEST_TMPDIR
	printf '%s' "$EICAR" >"$T/eicar.com"
}

teardown() {
	stop_servers
}

# scan IN OUT: ms-scan-yara in filter mode, stdout to OUT, stderr to
# OUT.err; returns its exit code.
scan() {
	asnobody "$YARA" <"$1" >"$2" 2>"$2.err"
}

# marked FILE WORD...: a text file holding the given markers
# ("alpha" gives mailscan-marker-alpha), one per line, among other text
marked() {
	local f=$1 w
	shift
	{
		printf 'Report for the quarter.\n'
		for w; do printf 'ref mailscan-marker-%s here\n' "$w"; done
		printf 'End of report.\n'
	} >"$f"
}

@test "refuses to run as root: 111, nothing on stdout" {
	msg "$T/m.eml"
	run -111 --separate-stderr "$YARA" <"$T/m.eml"
	assert_equal "$output" ""
	[[ $stderr == *"refusing to run as root"* ]]
}

@test "a plain message is clean: exit 0, verdict added, the message the same" {
	msg "$T/m.eml"
	run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^yara/[0-9.]+ clean$'
	same_proper "$T/m.eml" "$T/out"
	grep -q "ms-scan-yara: info: compiled 1 rule file from $MS_ETC/yara" "$T/out.err"
}

@test "EICAR in every form: mailscan_eicar, quarantined by default" {
	local form part
	for form in b64:2 uu:2 rfc822:3 raw:1; do
		part=${form#*:}
		form=${form%:*}
		mkmsg "$form" "$T/$form" "$T/eicar.com"
		run -1 scan "$T/$form/eicar.com.eml" "$T/$form.out"
		run -0 verdict "$T/$form.out"
		assert_output --regexp "^yara/[0-9.]+ infected mailscan_eicar \\(part $part( eicar\\.com)?\\); action=quarantine\$"
		same_proper "$T/$form/eicar.com.eml" "$T/$form.out"
	done
}

@test "all of them: the three markers together reject (rule action), any two do not match" {
	local a b
	marked "$T/all.txt" alpha bravo charlie
	mkmsg b64 "$T/m" "$T/all.txt"
	run -100 scan "$T/m/all.txt.eml" "$T/out"
	[ ! -s "$T/out" ]
	run -0 tail -n 1 "$T/out.err"
	assert_output --regexp '^ms-scan-yara: fatal: 5\.7\.1 virus mailscan_all_markers found by yara/[0-9.]+$'
	# the rule's action wins over MS_ACTION, whatever it says
	for act in tag clean quarantine; do
		MS_ACTION=$act run -100 scan "$T/m/all.txt.eml" "$T/out"
	done
	for pair in "alpha bravo" "alpha charlie" "bravo charlie" "alpha alpha alpha"; do
		marked "$T/two.txt" $pair
		mkmsg b64 "$T/p" "$T/two.txt"
		run -0 scan "$T/p/two.txt.eml" "$T/out"
		run -0 verdict "$T/out"
		assert_output --regexp '^yara/[0-9.]+ clean$'
		same_proper "$T/p/two.txt.eml" "$T/out"
	done
	# three markers spread over three parts: no part holds all of them
	marked "$T/a.txt" alpha
	marked "$T/b.txt" bravo
	marked "$T/c.txt" charlie
	{
		printf 'From: a@example.org\nSubject: spread\nMIME-Version: 1.0\n'
		printf 'Content-Type: multipart/mixed; boundary="s"\n\n'
		for f in a b c; do
			printf -- '--s\nContent-Type: text/plain\n\n'
			cat "$T/$f.txt"
		done
		printf -- '--s--\n'
	} >"$T/spread.eml"
	run -0 scan "$T/spread.eml" "$T/out"
	# and in one text part (no attachment) they do
	{ printf 'From: a@example.org\nSubject: body\n\n'; cat "$T/all.txt"; } >"$T/body.eml"
	run -100 scan "$T/body.eml" "$T/out"
}

@test "MS_ACTION=clean: the notice gives the rule's description, the other parts stay" {
	local i
	{
		printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'
		mkmsg infected-all - "$T/eicar.com"
	} >"$T/in.eml"
	MS_ACTION=clean run -0 scan "$T/in.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^yara/[0-9.]+ cleaned mailscan_eicar \(part 4 eicar\.com\); action=clean$'
	msgtool proper "$T/in.eml" >"$T/in.p"
	msgtool proper "$T/out" >"$T/out.p"
	run -0 msgtool split "$T/in.p" =_all_ "$T/a"
	assert_equal "$output" 9
	run -0 msgtool split "$T/out.p" =_all_ "$T/b"
	assert_equal "$output" 9
	for ((i = 0; i < 9; i++)); do
		[ "$i" -eq 4 ] || cmp "$T/a.$i" "$T/b.$i"
	done
	run -0 msgtool qp "$T/b.4"
	assert_line -n 0 'Content-Type: text/plain; charset=utf-8'
	assert_output --partial 'The attachment "eicar.com" (application/octet-stream) was removed: the file "eicar.com" contained mailscan_eicar (the EICAR anti-virus test file), found by yara'
	refute_output --partial 'EICAR-STANDARD'
	run -0 scan "$T/out" "$T/again"
}

@test "MS_ACTION reject 100, tag 0; a rule's action: the most severe of the matching rules" {
	local r=$T/rules
	mkmsg b64 "$T/m" "$T/eicar.com"
	MS_ACTION=reject run -100 scan "$T/m/eicar.com.eml" "$T/out"
	run -0 tail -n 1 "$T/out.err"
	assert_output --regexp '^ms-scan-yara: fatal: 5\.7\.1 virus mailscan_eicar found by yara/'
	MS_ACTION=tag run -0 scan "$T/m/eicar.com.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected mailscan_eicar \(part 2 eicar\.com\); action=tag$'
	same_proper "$T/m/eicar.com.eml" "$T/out"

	mkdir -p "$r"
	cat >"$r/local.yara" <<-'EOF'
	rule tagme { meta: action = "tag" strings: $a = "EICAR-STANDARD" condition: $a }
	rule quarantineme { meta: action = "quarantine" description = "held" strings: $a = "ANTIVIRUS-TEST" condition: $a }
	rule plain { strings: $a = "TEST-FILE" condition: $a }
	EOF
	printf 'rule never { condition: false }\n' >"$r/ignored.txt"
	chmod -R a+rX "$r"
	export MS_YARA_RULES=$r
	# tag and quarantine match: quarantine, over MS_ACTION=reject
	MS_ACTION=reject run -1 scan "$T/m/eicar.com.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected (tagme|quarantineme|plain) \(part 2 eicar\.com\), (tagme|quarantineme|plain) \(part 2 eicar\.com\), (tagme|quarantineme|plain) \(part 2 eicar\.com\); action=quarantine$'
	grep -q "compiled 1 rule file from $r" "$T/out.err"
	# only the tag rule: its action replaces MS_ACTION
	printf '%s' 'EICAR-STANDARD' >"$T/part.txt"
	mkmsg b64 "$T/p" "$T/part.txt"
	MS_ACTION=reject run -0 scan "$T/p/part.txt.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp ' infected tagme \(part 2 part\.txt\); action=tag$'
}

@test "a rule file with a syntax error: 111, the file and the line in the log" {
	local r=$T/rules
	mkdir -p "$r"
	cp "$MS_ETC/yara/mailscan.yar" "$r/"
	printf 'rule broken\n{\n\tstrings:\n\t\t$a = "x"\n\tcondition\n\t\t$a\n}\n' >"$r/broken.yar"
	chmod -R a+rX "$r"
	msg "$T/m.eml"
	MS_YARA_RULES=$r run -111 scan "$T/m.eml" "$T/out"
	[ ! -s "$T/out" ]
	run -0 cat "$T/out.err"
	assert_line "ms-scan-yara: warn: $r/broken.yar:6: syntax error"
	assert_line -n -1 'ms-scan-yara: fatal: no rules: nothing scanned'
	# an undefined string is caught as well
	printf 'rule undef { strings: $a = "x" condition: $a and $b }\n' >"$r/broken.yar"
	MS_YARA_RULES=$r run -111 scan "$T/m.eml" "$T/out"
	grep -q "^ms-scan-yara: warn: $r/broken.yar:1: undefined string \"\$b\"" "$T/out.err"
}

@test "an empty, missing or unreadable rules directory: 111" {
	msg "$T/m.eml"
	mkdir -p "$T/empty" "$T/other" "$T/closed"
	printf 'rule x { condition: true }\n' >"$T/other/rules.txt"
	cp "$MS_ETC/yara/mailscan.yar" "$T/closed/"
	chmod -R a+rX "$T/empty" "$T/other"
	chmod 700 "$T/closed"
	for d in "$T/empty" "$T/other" "$T/missing" "$T/closed"; do
		MS_YARA_RULES=$d run -111 scan "$T/m.eml" "$T/out"
		[ ! -s "$T/out" ]
		run -0 tail -n 2 "$T/out.err"
		assert_line -n 0 --regexp "^ms-scan-yara: warn: (no rule files \\(\\*\\.yar, \\*\\.yara\\) in|unable to read the rules directory) $d"
		assert_line -n 1 'ms-scan-yara: fatal: no rules: nothing scanned'
	done
	# the default is $MS_ETC/yara
	MS_ETC=$T/empty run -111 scan "$T/m.eml" "$T/out"
	grep -q "unable to read the rules directory $T/empty/yara" "$T/out.err"
}

@test "a clean corpus passes untouched, and the limits give unscanned" {
	local f rc v same bad="" data=/usr/lib/python3.11/test/test_email/data
	mkmsg clean "$T/clean"
	[ -d "$data" ]
	cp "$data"/msg_*.txt "$T/clean/"
	mkmsg b64 "$T/clean" "$data"/python.*
	for f in "$T/clean"/*; do
		rc=0
		scan "$f" "$T/out" || rc=$?
		{ read -r v; read -r same; } < <(msgtool check "$f" "$T/out")
		if [ "$rc" -ne 0 ] || [[ $v != yara/*" clean" ]]; then
			bad+="${f##*/}: exit $rc, $v"$'\n'
		elif [ "$same" != same ]; then
			bad+="${f##*/}: changed"$'\n'
		fi
	done
	assert_equal "$bad" ""
	mkmsg deep 30 "$T"
	run -1 scan "$T/deep.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^yara/[0-9.]+ unscanned MIME limit: depth; action=quarantine$'
	MS_MIME_PARTS=10 MS_UNSCANNABLE=pass run -0 scan "$T/wide.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^yara/[0-9.]+ unscanned MIME limit: parts; action=pass$'
}

@test "the hostile corpus: exit 0, 1 or 100 only, no crash, no hang" {
	local f rc bad=""
	"$MS_TOP/t/mkhostile" "$T/h"
	chmod -R a+rX "$T/h"
	for f in "$T/h"/*; do
		rc=0
		timeout 60 setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$YARA" <"$f" >"$T/out" 2>"$T/err" || rc=$?
		case $rc in
		0|1|100) ;;
		*) bad+="${f##*/}: exit $rc: $(tail -n 1 "$T/err")"$'\n' ;;
		esac
	done
	assert_equal "$bad" ""
}

# queue NAME FILE: FILE into the in spool as NAME (tmp/, then new/)
queue() {
	cp "$2" "$T/sp/in/tmp/$1"
	chown nobody:nogroup "$T/sp/in/tmp/$1"
	mv "$T/sp/in/tmp/$1" "$T/sp/in/new/$1"
}

@test "spool mode: SIGHUP compiles a new rule; a broken one keeps the old rules" {
	local j r=$T/rules s
	printf 'From: a@example.org\nSubject: new\n\nthe mailscan-new-rule-marker is here\n' >"$T/new.eml"
	for j in 1 2; do
		rm -rf "$T/sp" "$r"
		for s in in out alt bounce; do
			mkdir -p "$T/sp/$s/tmp" "$T/sp/$s/new" "$T/sp/$s/cur"
		done
		chown -R nobody:nogroup "$T/sp"
		mkdir -p "$r"
		cp "$MS_ETC/yara/mailscan.yar" "$r/"
		chmod -R a+rX "$r"
		: >"$T/server.log"
		MS_YARA_RULES=$r start_bg setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$YARA" -j "$j" -q "$T/sp/in" -o "$T/sp/out" -a "$T/sp/alt" -b "$T/sp/bounce"
		PID=$BGPID
		wait_for grep -q 'spool mode' "$T/server.log"
		# before: the new marker is not caught
		queue m1.test "$T/new.eml"
		wait_for test -f "$T/sp/out/new/m1.test"
		# a new rule, HUP: caught
		printf 'rule mailscan_new { meta: description = "the new rule" strings: $n = "mailscan-new-rule-marker" condition: $n }\n' \
		    >"$r/new.yar"
		chmod a+r "$r/new.yar"
		kill -HUP "$PID"
		wait_for grep -q 'ms-scan-yara: info: reloaded' "$T/server.log"
		grep -q "compiled 2 rule files from $r" "$T/server.log"
		queue m2.test "$T/new.eml"
		wait_for test -f "$T/sp/alt/new/m2.test"
		grep -q '^X-Mailscan-Verdict: yara/[^ ]* infected mailscan_new (part 1); action=quarantine$' \
		    "$T/sp/alt/new/m2.test"
		# a broken rule, HUP: the reload fails, the rules in use stay
		printf 'rule broken {\n' >"$r/zz-broken.yar"
		chmod a+r "$r/zz-broken.yar"
		kill -HUP "$PID"
		wait_for grep -q 'reload failed: keeping what was loaded' "$T/server.log"
		grep -q "warn: $r/zz-broken.yar:" "$T/server.log"
		queue m3.test "$T/new.eml"
		wait_for test -f "$T/sp/alt/new/m3.test"
		stop_bg "$PID"
		assert_equal "$BGSTATUS" 0
		assert_equal "$(count_files "$T/sp/in/new")" 0
		assert_equal "$(count_files "$T/sp/out/new")" 1
		assert_equal "$(count_files "$T/sp/alt/new")" 2
	done
}
