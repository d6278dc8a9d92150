#!/usr/bin/env bats
# ms-scan-active: active content taken out of mail.  The HTML corpus is
# t/data/active/html (each file active as it stands, each with its own
# "keep NNN" line); what comes out is judged by t/data/active/htmlcheck, an
# html5lib parse independent of lib/html.c.  Messages are made and taken
# apart by t/data/active/htmlmsg, documents by mkooxml, mkole, mkrtfpdf.
# The scanner refuses root, so every run is as nobody (setpriv).

bats_require_minimum_version 1.5.0
load helper

NOTE='[active content was removed here by mailscan]'

setup() {
	open_tmp "$BATS_TEST_TMPDIR"
	unset MS_ACTION MS_MACROS MS_ACTIVE_FORMS MS_ACTIVE_NOTE MS_QUARANTINE \
	    MS_UNSCANNABLE MS_SKIP MS_LEVELS MS_MIME_DEPTH MS_MIME_PARTS \
	    MS_MIME_FACTOR MS_MIME_DECODED MS_HOSTNAME MS_DOC_ENTRIES MS_DOC_PARTMAX \
	    MS_DOC_TOTALMAX MS_DOC_RATIO MS_DOC_DEPTH \
	    MS_ACTION_TRUSTED MS_ACTION_NEUTRAL MS_ACTION_SUSPECT MS_ACTION_HOSTILE
	ACTIVE=$(command -v ms-scan-active)
	T=$BATS_TEST_TMPDIR
	D=$MS_TOP/t/data/active
	HTML=$D/html
	# the quarantine: its parent is root's, so nobody gets it made
	mkdir -p "$T/q"
	chown nobody:nogroup "$T/q"
	export MS_QUARANTINE=$T/q
}

teardown() {
	stop_servers
}

htmlcheck() { "$PY" "$D/htmlcheck" "$@"; }

# scan IN OUT: ms-scan-active in filter mode, stdout to OUT, stderr to
# OUT.err; returns its exit code.
scan() {
	asnobody "$ACTIVE" <"$1" >"$2" 2>"$2.err"
}

# kept VERDICT: the quarantine ids named in a verdict, one a line
kept() {
	grep -o 'kept=[^ )]*' <<<"$1" | cut -d= -f2
}

# sniffed FILE: would the documented sniffing rule take FILE's bytes for
# HTML in a text/plain or application/octet-stream part ("<", then a
# letter, "!" or "?")?  Every corpus file starts with its markup.
sniffed() {
	[[ $(head -c 2 "$1") =~ ^\<[A-Za-z!?]$ ]]
}

# corpus FORM: every corpus file sent in the form FORM (see htmlmsg) is
# cleaned: exit 0, an "active cleaned" verdict naming what was kept (and
# it is in the quarantine), the HTML that comes out has nothing active
# for htmlcheck, still shows its "keep NNN", shows the note where more
# than markup was edited, and is the original with bytes removed and
# notes added, nothing else.  In the forms that only the bytes make
# HTML, a file the sniffing rule does not take for HTML passes unchanged.
corpus() {
	local form=$1 d=$T/$1 f n num rc v id bad="" names=() noted=()
	mkdir -p "$d/in" "$d/out" "$d/html"
	htmlmsg makeall "$form" "$d/in" "$HTML"/[0-9]*.html
	for f in "$d/in"/*.eml; do
		n=${f##*/}
		n=${n%.eml}
		rc=0
		scan "$f" "$d/out/$n.out" || rc=$?
		v=$(verdict "$d/out/$n.out")
		if [[ $form == @(plain|octet) ]] && ! sniffed "$HTML/$n.html"; then
			if [ "$rc" -ne 0 ] || [ "$v" != "active clean" ]; then
				bad+="$n: not sniffed, but exit $rc, $v"$'\n'
			elif ! same_proper "$f" "$d/out/$n.out" >/dev/null; then
				bad+="$n: not sniffed, but changed"$'\n'
			fi
			continue
		fi
		if [ "$rc" -ne 0 ]; then
			bad+="$n: exit $rc: $(tail -n 1 "$d/out/$n.out.err")"$'\n'
			continue
		fi
		if ! [[ $v =~ ^active\ cleaned\ html-[a-z+-]+\ \(part\ [0-9]+(\ report\.dat)?\ kept=[^\ \)]+\)\;\ action=clean$ ]]; then
			bad+="$n: verdict $v"$'\n'
			continue
		fi
		id=$(kept "$v")
		[ -f "$T/q/new/$id" ] || bad+="$n: kept $id is not in the quarantine"$'\n'
		# the note is there unless only markup (no note, by design) went
		[[ ${v%% (*} == "active cleaned html-markup" ]] || noted+=("$n")
		names+=("$d/out/$n.out")
	done
	assert_equal "$bad" ""
	[ "${#names[@]}" -gt 0 ]
	# the HTML part is still there in every one, and nothing is active
	run -0 htmlmsg getall "$d/html" "${names[@]}"
	run -0 htmlcheck "$d/html"/*.html
	for n in "${noted[@]}"; do
		grep -qF "$NOTE" "$d/html/$n.html" || bad+="$n: no note"$'\n'
	done
	# each keeps its own visible text
	htmlcheck -t "$d/html"/*.html >"$d/text"
	for f in "$d/html"/*.html; do
		n=${f##*/}
		num=${n%%-*}
		grep -F "$f: " "$d/text" | grep -qF "keep $num" ||
		    bad+="${n}: keep $num is gone"$'\n'
	done
	assert_equal "$bad" ""
	# only removals and notes
	run -0 htmlmsg subseq "$NOTE" "$HTML" "$d/html"/*.html
}

@test "refuses to run as root: 111, nothing on stdout" {
	msg "$T/m.eml"
	run -111 --separate-stderr "$ACTIVE" <"$T/m.eml"
	assert_equal "$output" ""
	[[ $stderr == *"refusing to run as root"* ]]
}

@test "the corpus is what it claims: htmlcheck flags every file, the clean ones not" {
	local f bad=""
	[ "$(ls "$HTML"/[0-9]*.html | wc -l)" -ge 70 ]
	for f in "$HTML"/[0-9]*.html; do
		htmlcheck "$f" >/dev/null && bad+="${f##*/} is not active"$'\n'
	done
	assert_equal "$bad" ""
	run -0 htmlcheck -f "$HTML"/clean-*.html
	assert_output ""
}

@test "corpus as text/html, sent as it is" {
	corpus 7bit
}

@test "corpus as text/html, quoted-printable broken inside tags; the result's lines are short" {
	local f bad=""
	corpus qp
	for f in "$T/qp/out"/*.out; do
		msgtool proper "$f" | awk 'length($0) > 76 { bad = 1 } END { exit bad }' ||
		    bad+="${f##*/}: a line over 76"$'\n'
	done
	assert_equal "$bad" ""
}

@test "corpus as text/html, base64" {
	corpus b64
}

@test "corpus declared text/plain: HTML by its bytes" {
	corpus plain
}

@test "corpus as an application/octet-stream attachment" {
	corpus octet
}

@test "corpus in multipart/alternative" {
	corpus alt
}

@test "corpus inside a forwarded message/rfc822" {
	corpus rfc822
}

@test "corpus inside a forwarded message/rfc822 sent base64" {
	corpus rfc822b64
}

@test "clean HTML in every form and a plain-text message: byte-identical, verdict clean, nothing kept" {
	local f form n
	for f in "$HTML"/clean-*.html; do
		n=${f##*/}
		for form in 7bit qp b64 plain alt rfc822 rfc822b64; do
			htmlmsg make "$form" "$f" "$T/$n.$form.eml"
			run -0 scan "$T/$n.$form.eml" "$T/out"
			run -0 verdict "$T/out"
			assert_output "active clean"
			same_proper "$T/$n.$form.eml" "$T/out"
		done
	done
	msg "$T/plain.eml"
	run -0 scan "$T/plain.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output "active clean"
	same_proper "$T/plain.eml" "$T/out"
	# the whole message: only the verdict line is added, after the others
	grep -v '^X-Mailscan-Verdict: active clean$' "$T/out" | cmp - "$T/plain.eml"
	assert_equal "$(grep -c '^X-Mailscan-Verdict:' "$T/out")" 1
	assert_equal "$(count_files "$T/q/new" 2>/dev/null || echo 0)" 0
}

@test "MS_ACTION: quarantine 1, reject 100, tag 0, each with the message unchanged and nothing kept" {
	htmlmsg make qp "$HTML/001-script-plain.html" "$T/m.eml"
	MS_ACTION=quarantine run -1 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output "active infected html-script (part 1); action=quarantine"
	same_proper "$T/m.eml" "$T/out"
	MS_ACTION=reject run -100 scan "$T/m.eml" "$T/out"
	[ ! -s "$T/out" ]
	run -0 tail -n 1 "$T/out.err"
	assert_output "ms-scan-active: fatal: 5.7.1 active content html-script found by active"
	MS_ACTION=tag run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output "active infected html-script (part 1); action=tag"
	same_proper "$T/m.eml" "$T/out"
	[ ! -d "$T/q/new" ] || assert_equal "$(count_files "$T/q/new")" 0
	# the default cleans, and keeps the original HTML part
	run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^active cleaned html-script \(part 1 kept=[^ )]+\); action=clean$'
	assert_equal "$(count_files "$T/q/new")" 1
	# the trust level's own action wins
	{ printf 'X-Mailscan-Trust: hostile\n'; cat "$T/m.eml"; } >"$T/h.eml"
	MS_ACTION=tag MS_ACTION_HOSTILE=reject run -100 scan "$T/h.eml" "$T/out"
	MS_ACTION=tag MS_ACTION_TRUSTED=reject run -0 scan "$T/h.eml" "$T/out"
	# a bad value: 111 before anything is read
	MS_ACTION=bogus run -111 scan "$T/m.eml" "$T/out"
	[ ! -s "$T/out" ]
}

@test "the kept message: in ms-quarantine list, with the original HTML attached" {
	local id
	htmlmsg make b64 "$HTML/037-onerror-img.html" "$T/m.eml"
	run -0 scan "$T/m.eml" "$T/out"
	id=$(kept "$(verdict "$T/out")")
	[ -n "$id" ]
	run -0 ms-quarantine list
	assert_line --regexp "^$id .*active kept html-handler from part 1"
	run -0 ms-quarantine show "$id"
	assert_output --partial 'Auto-Submitted: auto-generated'
	assert_output --partial 'part1.html'
	# the original bytes are in it, base64 (lines of 76)
	ms-quarantine show "$id" >"$T/k.eml"
	"$PY" - "$T/k.eml" "$HTML/037-onerror-img.html" <<-'EOF'
	import email, sys
	m = email.message_from_bytes(open(sys.argv[1], "rb").read())
	want = open(sys.argv[2], "rb").read()
	assert any(p.get_filename() == "part1.html" and p.get_payload(decode=True) == want
	           for p in m.walk()), "original HTML not attached"
	EOF
}

@test "MS_ACTIVE_FORMS: forms stay by default, strip takes the form tags out" {
	printf '<form action="https://shop.example/buy" method="post">\n<input name="q"><button>Buy</button>\n</form>\n<p>keep form</p>\n' >"$T/form.html"
	htmlmsg make 7bit "$T/form.html" "$T/m.eml"
	run -1 htmlcheck -f "$T/form.html"
	run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output "active clean"
	same_proper "$T/m.eml" "$T/out"
	MS_ACTIVE_FORMS=strip run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^active cleaned html-form \(part 1 kept=[^ )]+\); action=clean$'
	htmlmsg get "$T/out" "$T/out.html"
	run -0 htmlcheck -f "$T/out.html"
	run -0 htmlcheck -t "$T/out.html"
	assert_line "keep form"
	assert_output --partial "$NOTE"
	# the fields stay
	grep -q '<input name="q">' "$T/out.html"
	# and the corpus's form cases are clean with -f too
	htmlmsg make 7bit "$HTML/063-action-form.html" "$T/f.eml"
	MS_ACTIVE_FORMS=strip run -0 scan "$T/f.eml" "$T/out"
	htmlmsg get "$T/out" "$T/f.html"
	run -0 htmlcheck -f "$T/f.html"
	MS_ACTIVE_FORMS=sometimes run -111 scan "$T/m.eml" "$T/out"
}

@test "MS_ACTIVE_NOTE: the text put in, escaped; control characters or over 255 bytes: 111" {
	htmlmsg make 7bit "$HTML/001-script-plain.html" "$T/m.eml"
	MS_ACTIVE_NOTE='<removed & gone>' run -0 scan "$T/m.eml" "$T/out"
	htmlmsg get "$T/out" "$T/out.html"
	grep -qF '&lt;removed &amp; gone&gt;' "$T/out.html"
	run -0 htmlcheck -t "$T/out.html"
	assert_line '<removed & gone>'
	MS_ACTIVE_NOTE=$'bad\x01note' run -111 scan "$T/m.eml" "$T/out"
	MS_ACTIVE_NOTE=$(printf 'x%.0s' {1..256}) run -111 scan "$T/m.eml" "$T/out"
	[ ! -s "$T/out" ]
}

# doc KIND FILE: make the document KIND with its generator into FILE
doc() {
	case $1 in
	xls-*|doc-*) "$PY" "$D/mkole" "$1" "$2" ;;
	rtf-*|pdf-*) "$PY" "$D/mkrtfpdf" "$1" "$2" ;;
	*) "$PY" "$D/mkooxml" "$1" "$2" ;;
	esac
}

@test "a docm: stripped of its vbaProject.bin, kept, listed; MS_MACROS quarantine 1, reject 100, remove, tag" {
	local id v
	doc docm "$T/r.docm"
	htmlmsg attach application/vnd.ms-word.document.macroEnabled.12 report.docm "$T/r.docm" "$T/m.eml"
	run -0 scan "$T/m.eml" "$T/out"
	v=$(verdict "$T/out")
	[[ $v =~ ^active\ cleaned\ vba-macro\ \(part\ 2\ report\.docm\ kept=[^\ \)]+\)\;\ action=clean$ ]]
	htmlmsg get "$T/out" "$T/s.docm"
	run -0 "$PY" "$D/mkooxml" check "$T/r.docm" "$T/s.docm"
	run -0 "$PY" -c 'import sys, zipfile; n = zipfile.ZipFile(sys.argv[1]).namelist(); print(n); assert not any("vbaproject" in x.lower() for x in n)' "$T/s.docm"
	id=$(kept "$v")
	run -0 ms-quarantine list
	assert_line --regexp "^$id .*active kept vba-macro from part 2"
	ms-quarantine show "$id" | grep -q 'vbaProject.bin'

	MS_MACROS=quarantine run -1 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output "active infected vba-macro (part 2 report.docm); action=quarantine"
	same_proper "$T/m.eml" "$T/out"
	MS_MACROS=reject run -100 scan "$T/m.eml" "$T/out"
	[ ! -s "$T/out" ]
	run -0 tail -n 1 "$T/out.err"
	assert_output --regexp '5\.7\.1 .*vba-macro found by active$'
	MS_MACROS=tag run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output "active infected vba-macro (part 2 report.docm); action=tag"
	same_proper "$T/m.eml" "$T/out"
	MS_MACROS=remove run -0 scan "$T/m.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^active cleaned vba-macro \(part 2 report\.docm kept=[^ )]+\); action=clean$'
	# the part is replaced by text: no zip left in the message
	run -1 htmlmsg get "$T/out" "$T/gone"
	run -1 grep -a 'UEsDB' "$T/out"
	# the HTML action and the macro action apart: tag the script, strip the macro
	"$PY" - "$T/both.eml" "$T/r.docm" "$HTML/001-script-plain.html" <<-'EOF'
	import base64, sys
	docm = base64.encodebytes(open(sys.argv[2], "rb").read())
	html = open(sys.argv[3], "rb").read()
	open(sys.argv[1], "wb").write(
	    b"From: a@example.org\nSubject: both\nMIME-Version: 1.0\n"
	    b"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	    b"Content-Type: text/html\n\n" + html + b"\n--b\n"
	    b"Content-Type: application/octet-stream; name=r.docm\n"
	    b"Content-Transfer-Encoding: base64\n\n" + docm + b"\n--b--\n")
	EOF
	MS_ACTION=tag run -0 scan "$T/both.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^active cleaned html-script \(part 1\), vba-macro \(part 2 r\.docm kept=[^ )]+\); action=clean$'
	grep -q '<script>alert' "$T/out"
	MS_ACTION=reject run -100 scan "$T/both.eml" "$T/out"
}

@test "documents of every kind stripped and checked by their generators; clean twins byte-identical" {
	local k name hit bad="" v
	for k in docm:vba-macro xlsm:vba-macro pptm:vba-macro docx-vba:vba-macro \
	    xls-vba:ole-macro doc-vba:ole-macro rtf-object:rtf-object \
	    pdf-openaction:pdf-action pdf-launch:pdf-action; do
		hit=${k#*:}
		k=${k%%:*}
		name=$k.bin
		doc "$k" "$T/$name"
		htmlmsg attach application/octet-stream "$name" "$T/$name" "$T/$k.eml"
		scan "$T/$k.eml" "$T/$k.out" || { bad+="$k: exit $?"$'\n'; continue; }
		v=$(verdict "$T/$k.out")
		[[ $v =~ ^active\ cleaned\ $hit\ \(part\ 2\ $name\ kept=[^\ \)]+\)\;\ action=clean$ ]] ||
		    { bad+="$k: $v"$'\n'; continue; }
		htmlmsg get "$T/$k.out" "$T/$k.stripped"
		case $k in
		xls-*|doc-*) "$PY" "$D/mkole" check "$T/$name" "$T/$k.stripped" >/dev/null ;;
		rtf-*) cmp "$T/$k.stripped" "$T/$name.expect" ;;
		pdf-*) [ -z "$("$PY" "$D/mkrtfpdf" names "$T/$k.stripped")" ] ;;
		*) "$PY" "$D/mkooxml" check "$T/$name" "$T/$k.stripped" >/dev/null ;;
		esac || bad+="$k: not stripped right"$'\n'
	done
	for k in docm-clean xlsm-clean docx-vba-clean xls-clean doc-clean rtf-clean pdf-clean; do
		doc "$k" "$T/$k.bin"
		htmlmsg attach application/octet-stream "$k.bin" "$T/$k.bin" "$T/$k.eml"
		scan "$T/$k.eml" "$T/$k.out" || bad+="$k: exit $?"$'\n'
		[ "$(verdict "$T/$k.out")" = "active clean" ] || bad+="$k: $(verdict "$T/$k.out")"$'\n'
		same_proper "$T/$k.eml" "$T/$k.out" >/dev/null || bad+="$k: changed"$'\n'
	done
	assert_equal "$bad" ""
}

@test "findings named for what was found: xlm-macro, activex, remote-template, both VBA and a template, ole-macro+xlm-macro" {
	local k hit bad="" v
	for k in xlsm-xlm:xlm-macro docx-activex:activex docx-template-https:remote-template \
	    docx-oleobject-unc:remote-object docm-template-https:vba-macro+remote-template \
	    xls-xlm-hidden:xlm-macro xls-xlm-vba:ole-macro+xlm-macro xls-xlm-module5:ole-macro; do
		hit=${k#*:}
		hit=${hit//+/[+]}
		k=${k%%:*}
		doc "$k" "$T/$k.bin"
		htmlmsg attach application/octet-stream "$k.bin" "$T/$k.bin" "$T/$k.eml"
		scan "$T/$k.eml" "$T/$k.out" || { bad+="$k: exit $?"$'\n'; continue; }
		v=$(verdict "$T/$k.out")
		[[ $v =~ ^active\ cleaned\ $hit\ \(part\ 2\ $k\.bin\ kept=[^\ \)]+\)\;\ action=clean$ ]] ||
		    bad+="$k: $v"$'\n'
	done
	assert_equal "$bad" ""
	# the name is what a rejection and the quarantine say too
	MS_MACROS=reject run -100 scan "$T/xlsm-xlm.eml" "$T/out"
	run -0 tail -n 1 "$T/out.err"
	assert_output "ms-scan-active: fatal: 5.7.1 active content xlm-macro found by active"
	run -0 ms-quarantine list
	assert_line --partial "active kept remote-template from part 2 docx-template-https.bin"
	assert_line --partial "active kept vba-macro+remote-template from part 2 docm-template-https.bin"
}

# limited VAR=VALUE FILE WHY: with VAR=VALUE, FILE's message is unscanned
# (quarantined, 1) for the reason WHY, its part as it came; without, it
# is cleaned
limited() {
	local v rc=0
	env "$1" setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$ACTIVE" <"$2" >"$T/lim.out" 2>"$T/lim.err" || rc=$?
	[ "$rc" -eq 1 ] || { echo "$1: exit $rc"; return 1; }
	v=$(verdict "$T/lim.out")
	[ "$v" = "active unscanned part 2: $3; action=quarantine" ] || { echo "$1: $v"; return 1; }
	same_proper "$2" "$T/lim.out"
	scan "$2" "$T/lim.out" || { echo "$1 unset: exit $?"; return 1; }
	[[ $(verdict "$T/lim.out") == "active cleaned "* ]]
}

@test "MS_DOC_*: each limit lowered below a document makes the message unscanned, the part as it came; the default cleans it" {
	local k
	for k in docm docm-bigvba rtf-object xls-vba; do
		doc "$k" "$T/$k.bin"
		htmlmsg attach application/octet-stream "$k.bin" "$T/$k.bin" "$T/$k.eml"
	done
	limited MS_DOC_ENTRIES=8 "$T/docm.eml" "vba-macro malformed: zip: more entries than the entries limit"
	limited MS_DOC_ENTRIES=3 "$T/xls-vba.eml" \
	    "ole-macro in a form not read: compound file: more than 3 directory entries"
	limited MS_DOC_PARTMAX=1k "$T/docm.eml" "vba-macro malformed: zip: a part that inflates past the part limit"
	limited MS_DOC_TOTALMAX=4k "$T/docm.eml" "vba-macro malformed: zip: parts that inflate past the total limit"
	limited MS_DOC_TOTALMAX=8k "$T/xls-vba.eml" \
	    "ole-macro in a form not read: compound file: Workbook: more than 8192 bytes read from the streams"
	limited MS_DOC_RATIO=1 "$T/docm-bigvba.eml" "vba-macro malformed: zip: a part that inflates past the ratio limit"
	limited MS_DOC_DEPTH=3 "$T/rtf-object.eml" "rtf-object malformed: RTF: groups nested deeper than the depth limit"
	# limits that the documents stay under change nothing
	MS_DOC_ENTRIES=9 MS_DOC_PARTMAX=256k MS_DOC_TOTALMAX=512k MS_DOC_RATIO=2 MS_DOC_DEPTH=4 \
	    run -0 scan "$T/docm-bigvba.eml" "$T/out"
	[[ $(verdict "$T/out") == "active cleaned vba-macro "* ]]
	MS_MACROS=tag MS_DOC_DEPTH=4 run -0 scan "$T/rtf-object.eml" "$T/out"
	assert_equal "$(verdict "$T/out")" "active infected rtf-object (part 2 rtf-object.bin); action=tag"
	MS_DOC_DEPTH=10000 run -0 scan "$T/docm.eml" "$T/out"
}

@test "MS_DOC_PARTMAX, MS_DOC_TOTALMAX: a PDF object stream cut short is removed whole as pdf-action; the default reads it, clean" {
	doc pdf-objstm-clean "$T/p.pdf"
	htmlmsg attach application/pdf report.pdf "$T/p.pdf" "$T/p.eml"
	run -0 scan "$T/p.eml" "$T/out"
	assert_equal "$(verdict "$T/out")" "active clean"
	same_proper "$T/p.eml" "$T/out"
	MS_DOC_PARTMAX=16 run -0 scan "$T/p.eml" "$T/out"
	[[ $(verdict "$T/out") =~ ^active\ cleaned\ pdf-action\ \(part\ 2\ report\.pdf\ kept=[^\ \)]+\)\;\ action=clean$ ]]
	run -1 htmlmsg get "$T/out" "$T/gone"
	MS_DOC_TOTALMAX=16 MS_MACROS=quarantine run -1 scan "$T/p.eml" "$T/out"
	assert_equal "$(verdict "$T/out")" "active infected pdf-action (part 2 report.pdf); action=quarantine"
}

@test "MS_DOC_*: a value that does not parse, 0, or a depth over 10000: 111 before anything is read" {
	local kv rc
	htmlmsg make 7bit "$HTML/001-script-plain.html" "$T/m.eml"
	for kv in MS_DOC_RATIO=abc MS_DOC_RATIO=0 MS_DOC_ENTRIES=-1 MS_DOC_ENTRIES=0 MS_DOC_ENTRIES=4294967296 \
	    MS_DOC_PARTMAX=1x MS_DOC_PARTMAX=0 MS_DOC_TOTALMAX=16t MS_DOC_TOTALMAX=0k \
	    MS_DOC_DEPTH=0 MS_DOC_DEPTH=10001 MS_DOC_DEPTH=' 4'; do
		rc=0
		env "$kv" setpriv --reuid=nobody --regid=nogroup --clear-groups \
		    "$ACTIVE" <"$T/m.eml" >"$T/out" 2>"$T/out.err" || rc=$?
		[ "$rc" -eq 111 ] || fail "$kv: exit $rc"
		[ ! -s "$T/out" ] || fail "$kv: wrote a message"
		run -0 tail -n 1 "$T/out.err"
		assert_output "ms-scan-active: fatal: unable to parse ${kv%%=*}"
	done
	# empty is unset
	MS_DOC_RATIO= run -0 scan "$T/m.eml" "$T/out"
}

@test "hostile HTML: 10 MB of <, 100000 nested tags, NUL-filled parts; answered in seconds, exit 0" {
	local h form v rc
	"$PY" - "$T" <<-'EOF'
	import sys
	d = sys.argv[1]
	open(d + "/lt.html", "wb").write(b"<" * (10 << 20))
	open(d + "/nest.html", "wb").write(b"<div>" * 100000 + b"<script>alert(1)</script><p>keep nest</p>")
	open(d + "/nulscript.html", "wb").write(b"<p>keep nul</p><script>" + b"\0" * (1 << 20) + b"</script>")
	open(d + "/nul.html", "wb").write(b"\0" * (1 << 20))
	open(d + "/ltscript.html", "wb").write(b"<p>x" + b"<" * (5 << 20) + b"<script>alert(1)</script>")
	open(d + "/opens.html", "wb").write(b"<p>x" + b"<a " * 1000000 + b"onclick=alert(1)>")
	EOF
	for h in lt nest nulscript nul ltscript opens; do
		for form in 7bit b64 qp; do
			htmlmsg make "$form" "$T/$h.html" "$T/$h.$form.eml"
			rc=0
			timeout 20 setpriv --reuid=nobody --regid=nogroup --clear-groups \
			    "$ACTIVE" <"$T/$h.$form.eml" >"$T/out" 2>"$T/err" || rc=$?
			assert_equal "$h $form: $rc" "$h $form: 0"
			v=$(verdict "$T/out")
			case $h in
			lt|nul) assert_equal "$v" "active clean"
				same_proper "$T/$h.$form.eml" "$T/out" ;;
			*) [[ $v == "active cleaned html-"* ]] || fail "$h $form: $v"
				htmlmsg get "$T/out" "$T/out.html"
				run -1 grep -a -c -e '<script' -e 'onclick' "$T/out.html" ;;
			esac
		done
	done
}

# spool DIR: an in, out, alt and bounce maildir under DIR, nobody's
spool() {
	local s
	for s in in out alt bounce; do
		mkdir -p "$1/$s/tmp" "$1/$s/new" "$1/$s/cur"
	done
	chown -R nobody:nogroup "$1"
}

# queue NAME FILE: FILE into the in spool as NAME (tmp/, then new/)
queue() {
	cp "$2" "$T/sp/in/tmp/$1"
	chown nobody:nogroup "$T/sp/in/tmp/$1"
	mv "$T/sp/in/tmp/$1" "$T/sp/in/new/$1"
}

@test "spool mode: clean and cleaned to out, quarantine to alt, reject to bounce; SIGTERM stops it" {
	local sp=$T/sp
	spool "$sp"
	msg "$T/plain.eml"
	htmlmsg make b64 "$HTML/050-href-javascript.html" "$T/js.eml"
	queue plain.t "$T/plain.eml"
	queue js.t "$T/js.eml"
	asnobody "$ACTIVE" -1 -q "$sp/in" -o "$sp/out" -a "$sp/alt" -b "$sp/bounce" 2>"$T/log"
	assert_equal "$(count_files "$sp/in/new")" 0
	assert_equal "$(count_files "$sp/out/new")" 2
	same_proper "$T/plain.eml" "$sp/out/new/plain.t"
	run -0 verdict "$sp/out/new/js.t"
	assert_output --regexp '^active cleaned html-url \(part 1 kept=[^ )]+\); action=clean$'
	htmlmsg get "$sp/out/new/js.t" "$T/js.html"
	run -0 htmlcheck "$T/js.html"

	queue q.t "$T/js.eml"
	MS_ACTION=quarantine asnobody "$ACTIVE" -1 -q "$sp/in" -o "$sp/out" -a "$sp/alt" -b "$sp/bounce"
	assert_equal "$(count_files "$sp/alt/new")" 1
	grep -q '^X-Mailscan-Verdict: active infected html-url (part 1); action=quarantine$' "$sp/alt/new/q.t"
	same_proper "$T/js.eml" "$sp/alt/new/q.t"

	queue r.t "$T/js.eml"
	MS_ACTION=reject asnobody "$ACTIVE" -1 -q "$sp/in" -o "$sp/out" -a "$sp/alt" -b "$sp/bounce"
	assert_equal "$(count_files "$sp/bounce/new")" 1
	assert_equal "$(count_files "$sp/in/new")" 0

	# running: a message queued while it waits is cleaned; TERM ends it with 0
	: >"$T/server.log"
	start_bg setpriv --reuid=nobody --regid=nogroup --clear-groups \
	    "$ACTIVE" -j 2 -q "$sp/in" -o "$sp/out" -a "$sp/alt" -b "$sp/bounce"
	PID=$BGPID
	wait_for grep -q 'spool mode' "$T/server.log"
	queue late.t "$T/js.eml"
	wait_for test -f "$sp/out/new/late.t"
	grep -q '^X-Mailscan-Verdict: active cleaned html-url' "$sp/out/new/late.t"
	stop_bg "$PID"
	assert_equal "$BGSTATUS" 0
}

@test "a quarantine that cannot be written: 111, nothing written" {
	htmlmsg make 7bit "$HTML/001-script-plain.html" "$T/m.eml"
	mkdir -p "$T/closed"
	chmod 700 "$T/closed"
	MS_QUARANTINE=$T/closed/q run -111 scan "$T/m.eml" "$T/out"
	[ ! -s "$T/out" ]
	# a clean message needs no quarantine
	msg "$T/plain.eml"
	MS_QUARANTINE=$T/closed/q run -0 scan "$T/plain.eml" "$T/out"
}

@test "HTML that cannot be edited in place: a charset where < is not 3C replaced whole; a uuencoded page replaced by a line" {
	local cs
	for cs in utf-16 UTF-7 ISO-2022-JP unicode-1-1-utf-7; do
		printf 'From: a@example.org\nSubject: cs\nMIME-Version: 1.0\nContent-Type: text/html; charset="%s"\n\n+ADw-script+AD4-alert(1)+ADw-/script+AD4-<p>x</p>\n' "$cs" >"$T/cs.eml"
		run -0 scan "$T/cs.eml" "$T/out"
		run -0 verdict "$T/out"
		assert_output --regexp '^active cleaned html-charset \(part 1 kept=[^ )]+\); action=clean$'
		run -1 grep -a 'ADw-script' "$T/out"
	done
	# a meta charset says it too
	printf 'From: a@example.org\nSubject: meta\nMIME-Version: 1.0\nContent-Type: text/html\n\n<meta charset="utf-7">+ADw-script+AD4-alert(1)+ADw-/script+AD4-\n' >"$T/meta.eml"
	run -0 scan "$T/meta.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^active cleaned html-charset '
	"$PY" - "$T/uu.eml" <<-'EOF'
	import binascii, sys
	h = b"<html><body><script>alert(1)</script><p>keep</p></body></html>\n"
	uu = b"".join(binascii.b2a_uu(h[i:i + 45]) for i in range(0, len(h), 45))
	open(sys.argv[1], "wb").write(b"From: a@example.org\nSubject: uu\n\nSee attached.\n\n"
	    b"begin 644 page.html\n" + uu + b"`\nend\n\nBye.\n")
	EOF
	run -0 scan "$T/uu.eml" "$T/out"
	run -0 verdict "$T/out"
	assert_output --regexp '^active cleaned html-script \(part 2 page\.html kept=[^ )]+\); action=clean$'
	run -0 msgtool proper "$T/out"
	assert_line 'See attached.'
	assert_line 'Bye.'
	refute_output --partial 'begin 644'
}
