#!/usr/bin/env bats
# ms-mkcdb: control-file tables compiled to cdb.  What went into the cdb is
# read back with tinycdb's own tool (cdb -d, cdb -q), and the route lookups
# that use it are observed through ms-relay with maildir routes.

bats_require_minimum_version 1.5.0

load helper

setup() {
	unset MS_ROUTE MS_ROUTES MS_RESOLVER MS_QUEUE_LIFETIME
	export D=$BATS_TEST_TMPDIR
	mkspool
	export MS_ETC=$D/etc MS_HOSTNAME=relay.test.example MS_RESCAN=1
	mkdir -p "$MS_ETC"
	T=$MS_ETC/routes
}

teardown() {
	stop_servers
}

# no_tmp: nothing but FILE and FILE.cdb next to the table.
no_tmp() {
	run -0 find "$MS_ETC" -name '*.tmp'
	assert_output ''
}

# relay_to RCPT...: ms-relay in filter mode, one message to RCPT...
relay_to() {
	local r
	{
		printf 'Return-Path: <alice@example.org>\n'
		for r; do printf 'X-Mailscan-Rcpt: <%s>\n' "$r"; done
		msg "$D/m.eml"
		cat "$D/m.eml"
	} >"$D/in"
	ms-relay <"$D/in"
}

@test "a table compiled: comments, blank lines and white space skipped, keys lower-cased, the value the rest of the line" {
	printf '%s\n' '# routes for the test' '' '   ' \
	    '  Example.ORG   smtp:Mail.Example.ORG:2525  ' \
	    $'\tkeyonly' \
	    'two   words and  more # not a comment' \
	    $'tab\tsmtp:[2001:db8::1]:25+tls' \
	    $'crlf smtp:crlf.example\r' >"$T"
	run -0 ms-mkcdb "$T"
	assert_output "ms-mkcdb: info: $T.cdb: 5 keys"
	no_tmp
	run -0 cdb -d "$T.cdb"
	assert_output '+11,26:example.org->smtp:Mail.Example.ORG:2525
+7,0:keyonly->
+3,31:two->words and  more # not a comment
+3,25:tab->smtp:[2001:db8::1]:25+tls
+4,17:crlf->smtp:crlf.example'
	run -0 cdb -q "$T.cdb" example.org
	assert_output 'smtp:Mail.Example.ORG:2525'
	run -100 cdb -q "$T.cdb" Example.ORG
}

@test "the first line for a key wins, whatever its case" {
	printf '%s\n' 'example.net maildir:/first/%u' 'EXAMPLE.NET maildir:/second/%u' \
	    'example.net maildir:/third/%u' >"$T"
	run -0 ms-mkcdb "$T"
	assert_output "ms-mkcdb: info: $T.cdb: 1 key"
	run -0 cdb -q "$T.cdb" example.net
	assert_output 'maildir:/first/%u'
	run -100 cdb -q -n 2 "$T.cdb" example.net
}

@test "route lookups: the domain, then .parent suffixes (nearest first), then *, case-insensitively" {
	printf '%s\n' "example.org maildir:$D/exact/%d/%u" \
	    ".example.org maildir:$D/parent/%d/%u" \
	    ".sub.example.org maildir:$D/sub/%d/%u" \
	    "* maildir:$D/star/%d/%u" >"$T"
	ms-mkcdb "$T"
	run -99 relay_to a@example.org b@Example.ORG c@x.example.org d@y.sub.example.org \
	    e@sub.example.org f@example.net g@notexample.org
	[ -f "$D/exact/example.org/a/new/"* ]
	[ -f "$D/exact/example.org/b/new/"* ]
	[ -f "$D/parent/x.example.org/c/new/"* ]
	[ -f "$D/sub/y.sub.example.org/d/new/"* ]
	# ".sub.example.org" does not cover sub.example.org itself
	[ -f "$D/parent/sub.example.org/e/new/"* ]
	[ -f "$D/star/example.net/f/new/"* ]
	[ -f "$D/star/notexample.org/g/new/"* ]
	[ "$(find "$D/exact" "$D/parent" "$D/sub" "$D/star" -type f | wc -l)" -eq 7 ]
}

@test "no * and no match: the route is mx; no table at all: every route is mx" {
	printf '%s\n' "example.org maildir:$D/exact/%d/%u" >"$T"
	ms-mkcdb "$T"
	# a resolver on a port where nobody answers: the MX lookup fails
	local port
	port=$(/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	export MS_RESOLVER=127.0.0.1:$port
	run -111 relay_to a@example.org f@example.net
	assert_line 'ms-relay: info: -: <f@example.net> deferred: 4.4.3 MX lookup failed, will retry'
	[ -f "$D/exact/example.org/a/new/"* ]
	rm "$T.cdb"
	run -111 relay_to a@example.org
	assert_line 'ms-relay: info: -: <a@example.org> deferred: 4.4.3 MX lookup failed, will retry'
	# MS_ROUTES names the table instead of $MS_ETC/routes.cdb
	printf '%s\n' "* maildir:$D/other/%d/%u" >"$D/elsewhere"
	ms-mkcdb "$D/elsewhere"
	MS_ROUTES=$D/elsewhere.cdb run -99 relay_to a@example.org
	[ -f "$D/other/example.org/a/new/"* ]
}

@test "atomic replacement: the old cdb stays whole under its old inode; a running relay picks up the new one" {
	printf '%s\n' "example.net maildir:$D/old/%u" >"$T"
	ms-mkcdb "$T"
	ln "$T.cdb" "$D/held.cdb"
	mkdir -p "$MS_SPOOL/out"
	start_bg ms-relay -q "$MS_SPOOL/out"
	{ printf 'Return-Path: <alice@example.org>\nX-Mailscan-Rcpt: <bob@example.net>\n'; msg "$D/m.eml"; cat "$D/m.eml"; } >"$D/in"
	ms-queue "$MS_SPOOL/out" <"$D/in"
	wait_for test -d "$D/old/bob/new"
	wait_for has_files "$D/old/bob/new" 1

	printf '%s\n' "example.net maildir:$D/new/%u" >"$T"
	run -0 ms-mkcdb "$T"
	no_tmp
	# a new file, not the old one rewritten
	[ "$(stat -c %i "$T.cdb")" != "$(stat -c %i "$D/held.cdb")" ]
	run -0 cdb -q "$D/held.cdb" example.net
	assert_output "maildir:$D/old/%u"
	run -0 cdb -q "$T.cdb" example.net
	assert_output "maildir:$D/new/%u"

	ms-queue "$MS_SPOOL/out" <"$D/in"
	wait_for test -d "$D/new/bob/new"
	wait_for has_files "$D/new/bob/new" 1
	[ "$(count_files "$D/old/bob/new")" -eq 1 ]
}

@test "a key over 1024 bytes: exit 100 naming the line; the old cdb is untouched, no .tmp left" {
	local k1024 k1025
	k1024=$(printf 'k%.0s' $(seq 1024))
	k1025=${k1024}k
	printf '%s\n' '# a long key' "$k1024 fits" >"$T"
	run -0 ms-mkcdb "$T"
	run -0 cdb -q "$T.cdb" "$k1024"
	assert_output 'fits'
	cp "$T.cdb" "$D/before.cdb"

	printf '%s\n' 'a b' '# a comment' "$k1025 too-long" >"$T"
	run -100 ms-mkcdb "$T"
	assert_output "ms-mkcdb: fatal: unable to compile $T: line 3: key longer than 1024 bytes"
	cmp "$D/before.cdb" "$T.cdb"
	no_tmp
}

@test "a missing source: exit 111, no cdb and no .tmp made; files before it are compiled, after it not" {
	printf 'a b\n' >"$MS_ETC/first"
	printf 'c d\n' >"$MS_ETC/third"
	run -111 ms-mkcdb "$MS_ETC/first" "$MS_ETC/missing" "$MS_ETC/third"
	assert_line -n -1 "ms-mkcdb: fatal: unable to compile $MS_ETC/missing into $MS_ETC/missing.cdb: No such file or directory"
	[ -f "$MS_ETC/first.cdb" ]
	[ ! -e "$MS_ETC/missing.cdb" ]
	[ ! -e "$MS_ETC/third.cdb" ]
	no_tmp
}

@test "a source over 4 MB is refused with 100; an empty one makes an empty table" {
	head -c $((4 * 1024 * 1024 + 1)) /dev/zero | tr '\0' '\n' >"$T"
	run -100 ms-mkcdb "$T"
	assert_output "ms-mkcdb: fatal: unable to compile $T: larger than 4194304 bytes"
	[ ! -e "$T.cdb" ]
	no_tmp
	: >"$T"
	run -0 ms-mkcdb "$T"
	assert_output "ms-mkcdb: info: $T.cdb: 0 keys"
	run -0 cdb -d "$T.cdb"
	assert_output ''
}

@test "usage errors: no argument, an option: 100" {
	run -100 ms-mkcdb
	assert_output 'usage: ms-mkcdb [-p] file ...'
	run -100 ms-mkcdb -v "$T"
	assert_output 'usage: ms-mkcdb [-p] file ...'
}

@test "-p: keys are addresses and prefixes, stored canonical (host bits cleared, mapped IPv4 as IPv4); a bad one names its line" {
	T=$BATS_TEST_TMPDIR/trust
	printf '10.1.2.3/16 trusted\n::ffff:10.0.0.0/104 hostile\n2001:DB8::1/32 suspect\n192.0.2.7 neutral\n' >"$T"
	run -0 ms-mkcdb -p "$T"
	run -0 cdb -q "$T.cdb" 10.1.0.0/16
	assert_output trusted
	run -0 cdb -q "$T.cdb" 10.0.0.0/8
	assert_output hostile
	run -0 cdb -q "$T.cdb" 2001:db8::/32
	assert_output suspect
	run -0 cdb -q "$T.cdb" 192.0.2.7/32
	assert_output neutral
	printf '10.0.0.0/8 a\nnot-an-address b\n' >"$T"
	run -100 ms-mkcdb -p "$T"
	assert_output --partial "line 2: not an address or prefix"
}
