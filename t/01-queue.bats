#!/usr/bin/env bats
# ms-queue: one message from stdin durably into a spool maildir.

bats_require_minimum_version 1.5.0
load helper

setup() {
	mkspool
	IN=$MS_SPOOL/in
	M=$BATS_TEST_TMPDIR/m.eml
}

teardown() {
	stop_servers
	if [ -f "$BATS_TEST_TMPDIR/shm" ]; then rm -rf "$(cat "$BATS_TEST_TMPDIR/shm")"; fi
}

# block SENDER RCPT...: the envelope block ms-queue writes for them.
block() {
	printf 'Return-Path: <%s>\n' "$1"
	shift
	if [ $# -gt 0 ]; then printf 'X-Mailscan-Rcpt: <%s>\n' "$@"; fi
}

# the only file in DIR/new (fails unless there is exactly one)
only_new() {
	local f
	f=$(find "$1/new" -mindepth 1 -maxdepth 1 -type f)
	[ -n "$f" ] && [ "$(count_files "$1/new")" -eq 1 ] || {
		echo "expected exactly one file in $1/new, found: $f" >&2
		return 1
	}
	echo "$f"
}

@test "queue with SENDER, RECIPIENTS, TCPREMOTEIP, MS_TRUST: block written, message intact" {
	msg "$M"
	run -0 env SENDER=alice@example.org RECIPIENTS="bob@example.net carol@example.net" \
	    TCPREMOTEIP=192.0.2.7 MS_TRUST=3 ms-queue <"$M"
	assert_output --regexp '^ms-queue: info: [^ ]+: queued from <alice@example.org> for 2 recipients, [0-9]+ bytes$'
	{
		block alice@example.org bob@example.net carol@example.net
		printf 'X-Mailscan-Client: 192.0.2.7\nX-Mailscan-Trust: 3\n'
		cat "$M"
	} >"$BATS_TEST_TMPDIR/expect"
	f=$(only_new "$IN")
	cmp "$BATS_TEST_TMPDIR/expect" "$f"
	# the file name is the one logged, in maildir form
	[[ $output == *" ${f##*/}: queued"* ]]
	[[ ${f##*/} =~ ^[0-9]+\.M[0-9]+P[0-9]+Q1\. ]]
	[ "$(count_files "$IN/tmp")" -eq 0 ]
}

@test "the spool directory is the argument, created with tmp, new and cur when missing" {
	msg "$M"
	d=$BATS_TEST_TMPDIR/other/deeper/in
	run -0 env SENDER=a@example.org RECIPIENTS=b@example.net ms-queue "$d" <"$M"
	[ -d "$d/tmp" ]
	[ -d "$d/cur" ]
	f=$(only_new "$d")
	{ block a@example.org b@example.net; cat "$M"; } | cmp - "$f"
	[ "$(count_files "$IN/new")" -eq 0 ]
}

@test "a message that has its block is stored byte-identical when no variable is set" {
	{
		printf 'Return-Path:<alice@example.org>\n'
		printf 'X-Mailscan-Rcpt:   <bob@example.net>  \n'
		printf 'X-Mailscan-Rcpt: <carol@example.net>\r\n'
		printf 'X-Mailscan-Client: 192.0.2.7\n  mx.example.org\n'
		printf 'X-Mailscan-Verdict: clamav clean\n'
		printf 'X-Mailscan-Status: clean; by=h; t=1\n'
		msg "$BATS_TEST_TMPDIR/body"; cat "$BATS_TEST_TMPDIR/body"
	} >"$M"
	run -0 ms-queue <"$M"
	assert_output --partial 'queued from <alice@example.org> for 2 recipients'
	cmp "$M" "$(only_new "$IN")"
}

@test "the block read from a pipe is stored byte-identical too" {
	{ block a@example.org b@example.net; printf 'Subject: x\n\nbody\n'; } >"$M"
	run -0 bash -c 'cat "$1" | ms-queue' _ "$M"
	cmp "$M" "$(only_new "$IN")"
}

@test "the environment overrides the block; other block fields are kept" {
	{
		block old@example.org old1@example.net old2@example.net
		printf 'X-Mailscan-Client: 198.51.100.1 helo.example.org\n'
		printf 'X-Mailscan-Verdict: clamav clean\n'
		printf 'Subject: s\n\nbody\n'
	} >"$M"
	run -0 env SENDER='<>' RECIPIENTS=new@example.net TCPREMOTEIP=192.0.2.9 ms-queue <"$M"
	{
		block "" new@example.net
		printf 'X-Mailscan-Client: 192.0.2.9 helo.example.org\n'
		printf 'X-Mailscan-Verdict: clamav clean\n'
		printf 'Subject: s\n\nbody\n'
	} | cmp - "$(only_new "$IN")"
}

@test "an empty variable counts as unset: the block is kept byte for byte" {
	msg "$BATS_TEST_TMPDIR/body"
	{ printf 'Return-Path:<a@example.org>\nX-Mailscan-Rcpt:  <b@example.net>\n'
	  cat "$BATS_TEST_TMPDIR/body"; } >"$M"
	run -0 env SENDER= RECIPIENTS= TCPREMOTEIP= MS_TRUST= ms-queue <"$M"
	assert_output --partial 'queued from <a@example.org> for 1 recipient,'
	cmp "$M" "$(only_new "$IN")"
}

@test "no recipients: exit 100, reason last, nothing in new/" {
	msg "$M"
	run -100 env SENDER=alice@example.org ms-queue <"$M"
	assert_line --index -1 --regexp '^ms-queue: fatal: 5\.5\.1 no recipients'
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$IN/tmp")" -eq 0 ]
	# an empty RECIPIENTS is no recipient either
	run -100 env SENDER=alice@example.org RECIPIENTS=' ' ms-queue <"$M"
	assert_line --index -1 --partial 'no recipients'
	[ "$(count_files "$IN/new")" -eq 0 ]
}

@test "no sender: exit 100, reason last, nothing in new/" {
	msg "$M"
	run -100 env RECIPIENTS=bob@example.net ms-queue <"$M"
	assert_line --index -1 --regexp '^ms-queue: fatal: 5\.5\.1 no envelope sender'
	[ "$(count_files "$IN/new")" -eq 0 ]
	# the null sender is a sender
	run -0 env SENDER='<>' RECIPIENTS=bob@example.net ms-queue <"$M"
	{ block "" bob@example.net; cat "$M"; } | cmp - "$(only_new "$IN")"
}

@test "MS_MAXSIZE: exactly the limit is accepted, one byte more is refused with 5.3.4" {
	head -c 2048 /dev/zero | tr '\0' 'x' >"$BATS_TEST_TMPDIR/body"
	{ block a@example.org b@example.net; printf 'Subject: big\n\n'; cat "$BATS_TEST_TMPDIR/body"; } \
	    | head -c 2048 >"$M"
	[ "$(stat -c %s "$M")" -eq 2048 ]
	# a regular file on stdin (mapped) and a pipe (read) both
	run -100 env MS_MAXSIZE=2047 ms-queue <"$M"
	assert_line --index -1 --regexp '^ms-queue: fatal: 5\.3\.4 .*MS_MAXSIZE'
	run -100 bash -c 'cat "$1" | MS_MAXSIZE=2047 ms-queue' _ "$M"
	assert_line --index -1 --regexp '^ms-queue: fatal: 5\.3\.4 '
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$IN/tmp")" -eq 0 ]
	run -0 env MS_MAXSIZE=2k ms-queue <"$M"
	run -0 bash -c 'cat "$1" | MS_MAXSIZE=2048 ms-queue' _ "$M"
	[ "$(count_files "$IN/new")" -eq 2 ]
	for f in "$IN"/new/*; do cmp "$M" "$f"; done
}

@test "a limit that does not parse is a temporary error: fix the setting, nothing bounces" {
	msg "$M"
	run -111 env MS_MAXSIZE=12q SENDER=a@example.org RECIPIENTS=b@example.net ms-queue <"$M"
	assert_line --index -1 'ms-queue: fatal: unable to parse MS_MAXSIZE'
	run -111 env MS_MAXRCPT=-1 SENDER=a@example.org RECIPIENTS=b@example.net ms-queue <"$M"
	assert_line --index -1 'ms-queue: fatal: unable to parse MS_MAXRCPT'
	[ "$(count_files "$IN/new")" -eq 0 ]
}

@test "MS_MAXRCPT: one recipient too many is refused" {
	msg "$M"
	run -100 env MS_MAXRCPT=2 SENDER=a@example.org RECIPIENTS="b@x c@x d@x" ms-queue <"$M"
	assert_line --index -1 --partial 'malformed envelope block'
	{ block a@example.org b@x c@x d@x; cat "$M"; } >"$BATS_TEST_TMPDIR/blk"
	run -100 env MS_MAXRCPT=2 ms-queue <"$BATS_TEST_TMPDIR/blk"
	[ "$(count_files "$IN/new")" -eq 0 ]
	run -0 env MS_MAXRCPT=3 ms-queue <"$BATS_TEST_TMPDIR/blk"
	[ "$(count_files "$IN/new")" -eq 1 ]
}

@test "malformed block (a control character in an address) is refused with 100" {
	{
		printf 'Return-Path: <alice@example.org>\n'
		printf 'X-Mailscan-Rcpt: <bob\001@example.net>\n'
		printf 'Subject: s\n\nbody\n'
	} >"$M"
	run -100 ms-queue <"$M"
	assert_line --index -1 'ms-queue: fatal: 5.6.0 malformed envelope block'
	# the same from the environment
	msg "$M"
	run -100 env SENDER=$'ali\x7fce@example.org' RECIPIENTS=bob@example.net ms-queue <"$M"
	assert_line --index -1 --partial 'malformed envelope block'
	run -100 env SENDER=a@example.org RECIPIENTS=b@example.net TCPREMOTEIP=$'1.2.3.4\r' ms-queue <"$M"
	assert_line --index -1 --partial 'malformed envelope block'
	[ "$(count_files "$IN/new")" -eq 0 ]
}

@test "usage errors exit 100" {
	run -100 ms-queue -x </dev/null
	assert_output --partial 'usage: ms-queue'
	run -100 ms-queue a b </dev/null
	assert_output --partial 'usage: ms-queue'
}

@test "a spool that cannot be created: 111, nothing queued" {
	msg "$M"
	: >"$BATS_TEST_TMPDIR/plainfile"
	run -111 env SENDER=a@example.org RECIPIENTS=b@example.net \
	    ms-queue "$BATS_TEST_TMPDIR/plainfile/in" <"$M"
	assert_line --index -1 --regexp '^ms-queue: fatal: unable to open spool .*/plainfile/in: Not a directory$'
	[ -f "$BATS_TEST_TMPDIR/plainfile" ]
	[ ! -s "$BATS_TEST_TMPDIR/plainfile" ]
}

@test "a spool whose tmp/ the user cannot write: 111, nothing in new/ or tmp/" {
	msg "$M"
	# nobody must reach the spool: open up bats' private run directory
	chmod o+x "$BATS_RUN_TMPDIR"
	chmod 755 "$MS_SPOOL" "$IN" "$IN/tmp" "$IN/new" "$IN/cur"
	run -111 env SENDER=a@example.org RECIPIENTS=b@example.net \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups ms-queue <"$M"
	assert_line --index -1 --regexp '^ms-queue: fatal: unable to write message to .*: Permission denied$'
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$IN/tmp")" -eq 0 ]
	# the same user may queue once tmp/ and new/ are its own
	chown nobody "$IN/tmp" "$IN/new"
	run -0 env SENDER=a@example.org RECIPIENTS=b@example.net \
	    setpriv --reuid=nobody --regid=nogroup --clear-groups ms-queue <"$M"
	[ "$(count_files "$IN/new")" -eq 1 ]
}

@test "rename into new/ fails (new/ on another file system): 111, tmp file removed" {
	[ "$(stat -f -c %i /dev/shm)" != "$(stat -f -c %i "$BATS_TEST_TMPDIR")" ]
	shm=$(mktemp -d /dev/shm/ms-queue-test.XXXXXX)
	echo "$shm" >"$BATS_TEST_TMPDIR/shm"
	rmdir "$IN/new"
	ln -s "$shm" "$IN/new"
	msg "$M"
	run -111 env SENDER=a@example.org RECIPIENTS=b@example.net ms-queue <"$M"
	rm -rf "$shm"
	assert_line --index -1 --regexp '^ms-queue: fatal: unable to write message to .*: Invalid cross-device link$'
	[ "$(count_files "$IN/tmp")" -eq 0 ]
}

@test "NUL bytes, 8-bit bytes, bare CR and a missing final newline survive byte for byte" {
	printf 'Subject: caf\351 \377\376\200\nX-Nul: a\000b\000\nX-CR: x\ry\r\n\nbody\000\000 \344\366\374\r\rend \r\nno final newline' >"$M"
	[ "$(tr -d -c '\000' <"$M" | wc -c)" -eq 4 ]
	run -0 env SENDER=a@example.org RECIPIENTS=b@example.net ms-queue <"$M"
	{ block a@example.org b@example.net; cat "$M"; } | cmp - "$(only_new "$IN")"
	# and with its own block, from a pipe
	{ block a@example.org b@example.net; cat "$M"; } >"$BATS_TEST_TMPDIR/withblock"
	run -0 ms-queue "$MS_SPOOL/in2" < <(cat "$BATS_TEST_TMPDIR/withblock")
	cmp "$BATS_TEST_TMPDIR/withblock" "$(only_new "$MS_SPOOL/in2")"
}

@test "an empty message with a block from the environment is just the block" {
	run -0 env SENDER=a@example.org RECIPIENTS=b@example.net ms-queue </dev/null
	block a@example.org b@example.net | cmp - "$(only_new "$IN")"
}

@test "killed with SIGKILL while reading: nothing in new/ or tmp/" {
	fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	exec 4<>"$fifo"		# the writer: ms-queue reads until it is closed
	SENDER=a@example.org RECIPIENTS=b@example.net start_bg ms-queue <"$fifo" 4>&-
	pid=$BGPID
	printf 'Subject: half\n\nfirst part of the body\n' >&4
	wait_for grep -qx ms-queue "/proc/$pid/comm"
	sleep 0.2
	stop_bg "$pid" KILL
	exec 4>&-
	[ "$BGSTATUS" -eq 137 ]
	[ "$(count_files "$IN/new")" -eq 0 ]
	[ "$(count_files "$IN/tmp")" -eq 0 ]

	# the control: the same, ended by EOF instead, is queued
	exec 4<>"$fifo"
	SENDER=a@example.org RECIPIENTS=b@example.net start_bg ms-queue <"$fifo" 4>&-
	pid=$BGPID
	printf 'Subject: whole\n\nbody\n' >&4
	exec 4>&-
	wait_for has_files "$IN/new" 1
	stop_bg "$pid" TERM
	{ block a@example.org b@example.net; printf 'Subject: whole\n\nbody\n'; } \
	    | cmp - "$(only_new "$IN")"
}

@test "killed with SIGKILL at random points while writing: new/ holds the whole message or nothing" {
	{ block a@example.org b@example.net; printf 'Subject: big\n\n'; head -c 8M /dev/urandom; } >"$M"
	killed=0
	for i in $(seq 12); do
		start_bg ms-queue <"$M"
		sleep "0.0$(( RANDOM % 6 ))"
		stop_bg "$BGPID" KILL
		[ "$BGSTATUS" -eq 0 ] || [ "$BGSTATUS" -eq 137 ]
		[ "$BGSTATUS" -eq 0 ] || killed=$((killed + 1))
	done
	[ "$killed" -gt 0 ]
	# every run that said 0 is there; one killed between its rename and
	# its exit may be there too (at least once, never half)
	[ "$(count_files "$IN/new")" -ge $(( 12 - killed )) ]
	for f in "$IN"/new/*; do
		[ -e "$f" ] || continue
		cmp "$M" "$f"
	done
}

@test "a stalled sender runs into MS_DEADLINE: 111, nothing queued" {
	fifo=$BATS_TEST_TMPDIR/fifo
	mkfifo "$fifo"
	exec 4<>"$fifo"		# a writer that never closes
	printf 'Subject: stalled\n\n' >&4
	SECONDS=0
	run -111 env MS_DEADLINE=1 SENDER=a@example.org RECIPIENTS=b@example.net ms-queue <"$fifo"
	exec 4>&-
	assert_line --index -1 'ms-queue: fatal: timed out after 1 seconds: queueing a message'
	[ "$SECONDS" -lt 5 ]
	[ "$(count_files "$IN/new")" -eq 0 ]
}

@test "10,000 recipients from RECIPIENTS all land in the block, in order" {
	msg "$M"
	rcpts=$(seq -f 'u%g@e.x' 10000 | tr '\n' ' ')
	run -0 env SENDER=a@example.org RECIPIENTS="$rcpts" ms-queue <"$M"
	assert_output --partial 'for 10000 recipients'
	# shellcheck disable=SC2086
	{ block a@example.org $rcpts; cat "$M"; } >"$BATS_TEST_TMPDIR/expect"
	f=$(only_new "$IN")
	[ "$(grep -c '^X-Mailscan-Rcpt: <u[0-9]*@e\.x>$' "$f")" -eq 10000 ]
	cmp "$BATS_TEST_TMPDIR/expect" "$f"
}

@test "hostile corpus: every file is queued (0) or refused (100), accepted ones byte-identical" {
	h=$BATS_TEST_TMPDIR/hostile
	"$MS_TOP/t/mkhostile" "$h"
	[ "$(find "$h" -type f | wc -l)" -ge 15 ]
	n=0
	for f in "$h"/*; do
		name=${f##*/}
		d=$BATS_TEST_TMPDIR/q/$name
		if [[ $name == block-* ]]; then
			# its own envelope block: stored as it is
			cp "$f" "$BATS_TEST_TMPDIR/expect"
			run ms-queue "$d" <"$f"
		else
			{ block s@example.org r@example.net; cat "$f"; } >"$BATS_TEST_TMPDIR/expect"
			run env SENDER=s@example.org RECIPIENTS=r@example.net ms-queue "$d" <"$f"
		fi
		case $status in
		0)	cmp "$BATS_TEST_TMPDIR/expect" "$(only_new "$d")"
			n=$((n + 1)) ;;
		100)	assert_line --index -1 --regexp '^ms-queue: fatal: 5\.'
			[ ! -d "$d/new" ] || [ "$(count_files "$d/new")" -eq 0 ] ;;
		*)	fail "$name: exit $status: $output" ;;
		esac
	done
	# the refusals are the two malformed blocks, nothing else
	[ ! -d "$BATS_TEST_TMPDIR/q/block-control-char.eml/new" ]
	[ ! -d "$BATS_TEST_TMPDIR/q/block-nul-in-address.eml/new" ]
	[ "$n" -eq $(( $(find "$h" -type f | wc -l) - 2 )) ]
}
