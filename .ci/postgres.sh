# Sourced by .ci/run: start a private PostgreSQL for the state-store tests, export its URL as
# ONBOARD_TEST_PG_URL (and PG_BIN), and stop it on exit. The server refuses to run as root, so
# as root it runs as the `postgres` user. Debian's server binaries are installed when missing.

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

PG_BIN_DIR=$(pg_bin)
if [ -z "$PG_BIN_DIR" ] && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing the PostgreSQL server (Debian package postgresql)" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
    PG_BIN_DIR=$(pg_bin)
fi
if [ -z "$PG_BIN_DIR" ]; then
    echo "PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin" >&2
    exit 1
fi

PG_AS=()
PG_DIR=$(mktemp -d /tmp/onboard-ci-pg.XXXXXX)
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$PG_DIR"
    PG_AS=(runuser -u postgres --)
fi

stop_postgres() {
    "${PG_AS[@]}" "$PG_BIN_DIR/pg_ctl" -D "$PG_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
    rm -rf "$PG_DIR"
}
trap stop_postgres EXIT

"${PG_AS[@]}" "$PG_BIN_DIR/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 \
    --no-sync >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; exit 1; }

PG_PORT=
for _ in 1 2 3 4 5 6 7 8; do
    port=$((20000 + RANDOM % 30000))
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then continue; fi
    if "${PG_AS[@]}" "$PG_BIN_DIR/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w -t 60 \
        -o "-p $port -k $PG_DIR -h 127.0.0.1 -c fsync=off -c max_connections=200" \
        start >/dev/null; then
        PG_PORT=$port
        break
    fi
done
if [ -z "$PG_PORT" ]; then
    echo "PostgreSQL did not start:" >&2
    cat "$PG_DIR/log" >&2 || true
    exit 1
fi
export PG_BIN="$PG_BIN_DIR"
export ONBOARD_TEST_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL for the tests: $ONBOARD_TEST_PG_URL" >&2
