#!/usr/bin/env bash
# Makes a PostgreSQL server answer on 127.0.0.1:$PG_PORT (default 5433) and
# prints the export line the PostgreSQL tests need, so that a caller can run:
#
#   eval "$(bash .ci/postgres.sh)"
#   TUSK_TEST_REQUIRE=postgres go test ./internal/meta/...
#
# Only export lines go to stdout (with TUSK_STOP_POSTGRES, the command
# that stops a server this script started); everything else goes to stderr.
# The server runs as the postgres user from a fresh data directory with
# trust authentication and durability turned off, which suits tests only.
# If a server already accepts the postgres user on the port it is reused, so
# running the script twice is harmless. Needs root (it installs PostgreSQL
# with apt-get when missing and switches to the postgres user with runuser).
set -euo pipefail

PORT="${PG_PORT:-5433}"
URL="postgres://postgres@127.0.0.1:${PORT}/postgres?sslmode=disable"

log() { echo "postgres.sh: $*" >&2; }

print_exports() {
	echo "export TUSK_TEST_POSTGRES='${URL}'"
}

# pg_bin prints the bin directory of the highest installed PostgreSQL.
pg_bin() {
	local dirs=(/usr/lib/postgresql/*/bin)
	[[ -d "${dirs[0]}" ]] || return 0
	printf '%s\n' "${dirs[@]}" | sort -V | tail -n 1
}

# answers reports whether a server accepts connections on the port and lets
# the postgres user in without a password.
answers() {
	"$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2 || return 1
	"$PGBIN/psql" -X -q -w -At -c 'SELECT 1' "$URL" >/dev/null 2>&1
}

if [[ -z "$(pg_bin)" || ! -x "$(pg_bin)/pg_ctl" ]]; then
	log "installing PostgreSQL with apt-get (about a minute)"
	apt-get update -qq >&2
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
PGBIN="$(pg_bin)"
if [[ ! -x "$PGBIN/pg_ctl" ]]; then
	log "no pg_ctl under /usr/lib/postgresql/*/bin after installing PostgreSQL"
	exit 1
fi

if answers; then
	log "reusing the PostgreSQL server already on 127.0.0.1:${PORT}"
	print_exports
	exit 0
fi
if "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PORT" -t 2; then
	log "a server answers on 127.0.0.1:${PORT} but does not let user postgres in without a password; set PG_PORT to a free port"
	exit 1
fi

DIR="$(mktemp -d "${TMPDIR:-/tmp}/tusk-pg.XXXXXX")"
chmod 755 "$DIR"
chown postgres:postgres "$DIR"
cd "$DIR"

log "initializing a cluster in ${DIR}/data with ${PGBIN}"
runuser -u postgres -- "$PGBIN/initdb" -D "$DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >&2

log "starting PostgreSQL on 127.0.0.1:${PORT}, log in ${DIR}/pg.log"
if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" \
	-o "-c listen_addresses=127.0.0.1 -p ${PORT} -k ${DIR} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
	-w -t 60 start >&2; then
	log "pg_ctl could not start the server:"
	cat "$DIR/pg.log" >&2 || true
	exit 1
fi

if ! "$PGBIN/pg_isready" -h 127.0.0.1 -p "$PORT" -t 30 >&2; then
	log "the server does not answer on 127.0.0.1:${PORT}:"
	cat "$DIR/pg.log" >&2 || true
	exit 1
fi
log "PostgreSQL is up; stop it with: runuser -u postgres -- ${PGBIN}/pg_ctl -D ${DIR}/data stop"
print_exports
# How to stop what this script started (scripts/test.sh does at its end).
echo "export TUSK_STOP_POSTGRES='runuser -u postgres -- ${PGBIN}/pg_ctl -D ${DIR}/data -m fast stop && rm -rf ${DIR}'"
