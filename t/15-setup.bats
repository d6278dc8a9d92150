#!/usr/bin/env bats
# ms-setup: the spool tree, control files, signing key and service
# directories of a host, laid out in a scratch directory as root for the
# uid nobody; and `make install` into a scratch PREFIX, whose ms-setup then
# finds its examples without -s.

bats_require_minimum_version 1.5.0

load helper

# The services ms-setup(8) promises.
SERVICES='active bounce clamav notify qnotify relay smtpd stamp subscriber verify yara'
# The maildirs of the spool tree (mailscan(7)); hold/ holds one per domain.
MAILDIRS='in subs scan1 scan2 active scan3 notify held out bounce quarantine'

setup() {
	unset MS_SHARE MS_HOSTNAME MS_ETC
	D=$BATS_TEST_TMPDIR
	H=$D/host
	PORT=2525
}

# setup_host [DIR]: ms-setup as the demo does, into DIR (default $H).
setup_host() {
	ms-setup -u nobody -p "$PORT" -l 127.0.0.1 -m "${1:-$H}/mail/%d/%u" \
	    -s "$MS_TOP/etc" "${1:-$H}"
}

# traversable DIR: let nobody reach DIR: a+x on it and on every directory
# above it up to bats' private run directory (mode 0700).
traversable() {
	local d=$1
	while :; do
		chmod a+x "$d"
		[ "$d" = "$BATS_RUN_TMPDIR" ] || [ "$d" = / ] && break
		d=$(dirname "$d")
	done
}

# snapshot DIR: every name, type, mode, owner, size, time and content under
# DIR, one line each, for comparing before and after.
snapshot() {
	(
		cd "$1" &&
		find . -printf '%p %y %m %u %g %s %T@\n' | sort &&
		find . -type f -exec md5sum {} + | sort
	)
}

@test "the spool tree: every maildir with tmp, new and cur, and hold/, all owned by nobody" {
	run -0 setup_host
	assert_line --partial "ms-setup: info: set up $H:"
	for m in $MAILDIRS; do
		for s in tmp new cur; do
			[ -d "$H/spool/$m/$s" ] || fail "no maildir $H/spool/$m ($s missing)"
		done
	done
	[ -d "$H/spool/hold" ]
	run -0 find "$H/spool" ! -user nobody
	assert_output ''
	run -0 find "$H/spool" ! -group "$(id -gn nobody)"
	assert_output ''
	# the maildirs are empty
	run -0 find "$H/spool" -type f
	assert_output ''
	# the maildir the -m template names, up to its first %, belongs to nobody too
	run -0 stat -c %U "$H/mail"
	assert_output nobody
}

@test "the signing key: stamp.key 0600 owned by nobody, its public half the one line in trusted-keys" {
	run -0 setup_host
	E=$H/etc/mailscan
	run -0 stat -c '%a %U' "$E/stamp.key"
	assert_output '600 nobody'
	# one key file besides the README, holding `ed25519 BASE64 host`
	run -0 find "$E/trusted-keys" -type f ! -name README
	assert_equal "${#lines[@]}" 1
	K=${lines[0]}
	run -0 grep -v '^#' "$K"
	assert_equal "${#lines[@]}" 1
	read -r alg pub host <"$K"
	assert_equal "$alg" ed25519
	assert_equal "$host" "$(hostname)"
	# the public half of the secret key, computed apart from mailscan
	run -0 sh -c "openssl pkey -in '$E/stamp.key' -pubout -outform DER | tail -c 32 | base64"
	assert_output "$pub"
	run -0 cmp "$E/stamp.pub" "$K"
	# and it works: a message stamped with this key verifies with these keys
	printf '%s\n' 'Return-Path: <a@example.net>' 'X-Mailscan-Rcpt: <b@example.org>' \
	    'X-Mailscan-Verdict: clamav/1 clean' 'From: a@example.net' 'Subject: hi' '' 'body' \
	    >"$D/in.eml"
	MS_ETC=$E ms-stamp <"$D/in.eml" >"$D/stamped.eml" 2>"$D/stamp.err" ||
		fail "ms-stamp: $(cat "$D/stamp.err")"
	run -0 grep -c '^X-Mailscan-Status: clean; ' "$D/stamped.eml"
	run -0 env MS_ETC="$E" ms-verify <"$D/stamped.eml"
	# another host's key does not verify it
	mkdir "$D/other"
	MS_HOSTNAME=other.example ms-stamp -g "$D/other" >"$D/other/key" 2>/dev/null
	mkdir "$D/keys" && cp "$D/other/key" "$D/keys/other"
	run -1 env MS_ETC="$E" MS_TRUSTED_KEYS="$D/keys" ms-verify <"$D/stamped.eml"
}

@test "the control files: examples copied, routes.cdb and subscribers.cdb compiled" {
	run -0 setup_host
	E=$H/etc/mailscan
	for f in scanners subscribers clamav/mailscan.hdb clamav/mailscan.ndb yara/mailscan.yar; do
		run -0 cmp "$MS_TOP/etc/mailscan/$f" "$E/$f"
	done
	# -m: every recipient goes into a local maildir
	run -0 cdb -q "$E/routes.cdb" '*'
	assert_output "maildir:$H/mail/%d/%u"
	run -0 cdb -d "$E/routes.cdb"
	assert_equal "${#lines[@]}" 1
	# the example subscribers: @example.org, nothing else
	run -0 cdb -q "$E/subscribers.cdb" '@example.org'
	run -100 cdb -q "$E/subscribers.cdb" '@example.net'
	run -0 cdb -d "$E/subscribers.cdb"
	assert_output '+12,0:@example.org->'
}

@test "the service directories: every service with an executable run and log/run, settings in .env" {
	run -0 setup_host
	S=$H/sv
	# what the source tree has, and at least what ms-setup(8) names
	want=$(cd "$MS_TOP/etc/sv" && for d in */; do echo "${d%/}"; done)
	got=$(cd "$S" && for d in */; do echo "${d%/}"; done)
	assert_equal "$got" "$want"
	for s in $SERVICES; do
		[ -x "$S/$s/run" ] || fail "$s/run missing or not executable"
		[ -x "$S/$s/log/run" ] || fail "$s/log/run missing or not executable"
		run -0 cmp "$MS_TOP/etc/sv/$s/run" "$S/$s/run"
	done
	run -0 cmp "$MS_TOP/etc/sv/mailscan.sh" "$S/.mailscan.sh"
	run -0 cat "$S/.user"
	assert_output nobody
	run -0 cat "$S/.env/MS_SPOOL"
	assert_output "$H/spool"
	run -0 cat "$S/.env/MS_ETC"
	assert_output "$H/etc/mailscan"
	# PATH: the directory ms-setup ran from first, then the system's
	run -0 cat "$S/.env/PATH"
	assert_output --regexp "^$(dirname "$(command -v ms-setup)"):.*/usr/bin"
	run -0 cat "$S/smtpd/env/MS_PORT"
	assert_output "$PORT"
	run -0 cat "$S/smtpd/env/MS_LISTEN"
	assert_output 127.0.0.1
	# tcprules compiled: everyone (the empty key) allowed, not denied
	run -0 cat "$S/smtpd/tcp"
	assert_output ':allow'
	run -0 cdb -q "$S/smtpd/tcp.cdb" ''
	refute_output --regexp '^D'
	[ ! -e "$S/smtpd/tcp.tmp" ]
}

@test "a run script takes its settings from .env and its own env/ (the latter wins), under .user" {
	run -0 setup_host
	S=$H/sv
	traversable "$D"
	# a stand-in program on the services' PATH records what the run
	# script gave it
	mkdir -p "$D/fake"
	printf '#!/bin/sh\n{ id -un; echo "MS_SPOOL=$MS_SPOOL MS_ETC=$MS_ETC MS_JOBS=$MS_JOBS"; echo "$*"; } >%s\n' \
	    "$D/ran" >"$D/fake/ms-scan-clamav"
	chmod 755 "$D/fake" "$D/fake/ms-scan-clamav"
	touch "$D/ran" && chown nobody "$D/ran"
	echo "$D/fake:/usr/bin:/bin" >"$S/.env/PATH"
	echo 1 >"$S/.env/MS_JOBS"
	mkdir -p "$S/clamav/env"
	echo 3 >"$S/clamav/env/MS_JOBS"
	run -0 sh -c "cd '$S/clamav' && exec ./run"
	run -0 cat "$D/ran"
	assert_line -n 0 nobody
	assert_line -n 1 "MS_SPOOL=$H/spool MS_ETC=$H/etc/mailscan MS_JOBS=3"
	assert_line -n 2 "-j 3 -q $H/spool/scan1 -o $H/spool/scan2 -a $H/spool/held"
}

@test "a second ms-setup on the same directory refuses with 100 and changes nothing" {
	run -0 setup_host
	snapshot "$H" >"$D/before"
	run -100 ms-setup -u root -p 2626 -s "$MS_TOP/etc" "$H"
	assert_output --partial 'ms-setup: fatal: '
	assert_output --partial 'exists'
	snapshot "$H" >"$D/after"
	run -0 diff "$D/before" "$D/after"
}

@test "ms-setup refuses with 100 and creates nothing: unknown user, no examples, usage" {
	run -100 ms-setup -u no-such-user-here -s "$MS_TOP/etc" "$H"
	assert_output --partial 'no such user'
	[ ! -e "$H" ]
	run -100 ms-setup -u nobody -s "$D/nowhere" "$H"
	[ ! -e "$H" ]
	run -100 ms-setup -u nobody
	assert_output --partial 'usage:'
	run -100 ms-setup -x "$H"
	[ ! -e "$H" ]
}

# make_install: `make install` from the source tree with the O whose bin/
# this test run uses (make test puts it on PATH), so that nothing is built
# twice; into a scratch PREFIX and SYSCONFDIR.
make_install() {
	local o
	o=$(dirname "$(dirname "$(command -v ms-smtpd)")")
	make -s -C "$MS_TOP" O="$o" install PREFIX="$D/usr" SYSCONFDIR="$D/etc" DESTDIR= \
	    >"$D/install.out" 2>&1
}

@test "make install: binaries, man pages, share/mailscan/{mailscan,sv}, example /etc; an edited /etc file is kept" {
	make_install || fail "make install: $(tail -20 "$D/install.out")"
	O=$(dirname "$(dirname "$(command -v ms-smtpd)")")
	# every program that was built, byte for byte, executable
	n=0
	for b in "$O"/bin/ms-*; do
		i=$D/usr/bin/${b##*/}
		[ -x "$i" ] || fail "${b##*/} not installed"
		cmp "$b" "$i" || fail "${b##*/} differs"
		n=$((n + 1))
	done
	(( n >= 10 ))
	[ -x "$D/usr/bin/ms-setup" ]
	# man pages by section: the overview in man7, the programs in man8
	run -0 cmp "$MS_TOP/man/mailscan.7" "$D/usr/share/man/man7/mailscan.7"
	n=0
	for m in "$MS_TOP"/man/*.8; do
		run -0 cmp "$m" "$D/usr/share/man/man8/${m##*/}"
		n=$((n + 1))
	done
	(( n >= 5 ))
	[ -e "$D/usr/share/man/man8/ms-setup.8" ]
	# the examples ms-setup copies
	run -0 diff -r "$MS_TOP/etc/mailscan" "$D/usr/share/mailscan/mailscan"
	run -0 diff -r "$MS_TOP/etc/sv" "$D/usr/share/mailscan/sv"
	for s in $SERVICES; do
		[ -x "$D/usr/share/mailscan/sv/$s/run" ] || fail "share/mailscan/sv/$s/run not executable"
		[ -x "$D/usr/share/mailscan/sv/$s/log/run" ] || fail "share/mailscan/sv/$s/log/run not executable"
	done
	# the live configuration: the examples, as nothing was there
	run -0 diff -r "$MS_TOP/etc/mailscan" "$D/etc/mailscan"

	# the admin edits a control file; a second install keeps it, says so,
	# and still refreshes the examples in share/
	printf 'example.org\tsmtp:mail.example.org:25\n' >>"$D/etc/mailscan/routes"
	cp "$D/etc/mailscan/routes" "$D/routes.edited"
	echo 'stale' >"$D/usr/share/mailscan/mailscan/routes"
	make_install || fail "second make install: $(tail -20 "$D/install.out")"
	run -0 cmp "$D/routes.edited" "$D/etc/mailscan/routes"
	run -0 grep -c "keeping existing .*routes" "$D/install.out"
	run -0 cmp "$MS_TOP/etc/mailscan/routes" "$D/usr/share/mailscan/mailscan/routes"
}

@test "an installed ms-setup finds its examples under PREFIX/share/mailscan without -s" {
	make_install || fail "make install: $(tail -20 "$D/install.out")"
	# mark the installed examples, to tell them from the source tree's
	echo '# installed copy' >>"$D/usr/share/mailscan/mailscan/scanners"
	echo '# installed copy' >>"$D/usr/share/mailscan/sv/clamav/run"
	run -0 env -u MS_SHARE PATH=/usr/bin:/bin "$D/usr/bin/ms-setup" -u nobody "$D/inst"
	run -0 tail -1 "$D/inst/etc/mailscan/scanners"
	assert_output '# installed copy'
	run -0 tail -1 "$D/inst/sv/clamav/run"
	assert_output '# installed copy'
	# the services find the installed programs first
	run -0 cat "$D/inst/sv/.env/PATH"
	assert_output --regexp "^$D/usr/bin:"
	# without -m the example routes are kept: everything by MX
	run -0 cdb -q "$D/inst/etc/mailscan/routes.cdb" '*'
	assert_output mx
	run -0 cat "$D/inst/sv/smtpd/env/MS_PORT"
	assert_output 25
	run -0 stat -c '%a %U' "$D/inst/etc/mailscan/stamp.key"
	assert_output '600 nobody'
}
