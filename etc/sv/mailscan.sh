# Sourced by every run script of a mailscan service directory (installed as
# SVDIR/.mailscan.sh; supervisors ignore names that start with a dot).
# It works the same under daemontools, runit and s6: no supervisor-specific
# tool is used.
#
#   SVDIR/.env/VAR     settings shared by every service (envdir rules: the
#   SERVICE/env/VAR    first line is the value, an empty file unsets VAR);
#                      a service's own env/ wins
#   SVDIR/.user        the uid the services run under (default mailscan);
#   SERVICE/user       a service's own uid wins

loadenv() {
	for f in "$1"/*; do
		[ -f "$f" ] || continue
		n=${f##*/}
		if [ -s "$f" ]; then
			v=$(head -n 1 "$f")
			export "$n=$v"
		else
			unset "$n"
		fi
	done
}
[ -d ../.env ] && loadenv ../.env
[ -d ./env ] && loadenv ./env

svuser=$(cat ./user 2>/dev/null || cat ../.user 2>/dev/null || echo mailscan)

# asuser PROG ARGS...: exec PROG under the service's uid (only root can
# switch; anyone else runs it as themselves).
asuser() {
	if [ "$(id -u)" = 0 ]; then
		exec setpriv --reuid="$svuser" --regid="$(id -g "$svuser")" --init-groups "$@"
	fi
	exec "$@"
}
