#!/bin/sh
# make demo: a scratch pipeline on loopback ports, mail sent through it,
# results shown.  Stages that do not exist yet are reported as "not yet".
set -eu
top=${MS_TOP:-$(pwd)}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mailscan-demo.XXXXXX")
chmod 755 "$scratch"
export MS_SPOOL="$scratch/spool"
mkdir -p "$MS_SPOOL"
pids=""
cleanup() { for p in $pids; do kill "$p" 2>/dev/null || :; wait "$p" 2>/dev/null || :; done; }
trap cleanup EXIT INT TERM

echo "demo: scratch directory $scratch"
tcpserver -1 -q -R -H -l localhost 127.0.0.1 0 ms-smtpd \
	>"$scratch/port" 2>"$scratch/ms-smtpd.log" &
pids="$pids $!"
i=0
while [ ! -s "$scratch/port" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i+1)); done
port=$(cat "$scratch/port")
echo "demo: ms-smtpd listening on 127.0.0.1:$port"

send() {
	label=$1; shift
	out=$(swaks --server "127.0.0.1:$port" --from sender@example.org "$@" 2>&1) || :
	# the reply to the end of DATA: the last one before QUIT's 221
	printf '%-28s %s\n' "$label" "$(printf '%s\n' "$out" |
		sed -n 's/^<[-*][-*]* *\([0-9][0-9][0-9] .*\)/\1/p' | grep -v '^221 ' | tail -1)"
}
echo
printf '%-28s %s\n' "message" "SMTP result"
send "clean text" --to alice@example.org --body "Hello Alice."
send "EICAR in the body" --to alice@example.org \
	--body 'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
send "forged X-Mailscan headers" --to bob@example.org \
	--header 'X-Mailscan-Verdict: clamav clean' --body "Trust me."
echo
echo "in the spool ($MS_SPOOL/in/new):"
for f in "$MS_SPOOL"/in/new/*; do
	[ -e "$f" ] || continue
	printf '  %s  rcpt=%s\n' "${f##*/}" "$(sed -n 's/^X-Mailscan-Rcpt: //p' "$f" | tr '\n' ' ')"
done
echo
for stage in ms-verify ms-subscriber ms-scan-clamav ms-scan-yara ms-stamp ms-notify ms-relay; do
	command -v "$stage" >/dev/null 2>&1 || echo "demo: $stage: not yet"
done
echo
echo "demo: the spool and logs stay in $scratch"
