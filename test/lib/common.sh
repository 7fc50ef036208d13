# Shared shell functions for the demo, test and benchmark commands.
# Source it from bash; it sets -euo pipefail in the caller's spirit but does not
# change options itself.
#
#   csstats_deps [PKG..]  install missing Debian packages, and PKG.. (skipped with CSSTATS_SKIP_APT=1)
#   csstats_build         make + make install (serialized with flock)
#   csstats_make_install  the same without taking the lock (for a caller holding it)
#   cluster_start         initdb + start a throwaway PostgreSQL 15 as the postgres OS user;
#                         exports PGHOST PGPORT PGUSER PGDATABASE and CSSTATS_RUN (its dir)
#   cluster_stop          stop it and remove its directory (KEEP_CLUSTER=1 keeps it)

CSSTATS_SRC=${CSSTATS_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
export CSSTATS_SRC
export PG_CONFIG=${PG_CONFIG:-/usr/lib/postgresql/15/bin/pg_config}
# The server binaries of that PostgreSQL (a relocated copy works too: its
# pg_config reports its own directories).
PGBIN=$("$PG_CONFIG" --bindir 2>/dev/null || echo /usr/lib/postgresql/15/bin)
export PGBIN
export PY=/usr/bin/python3
export DEBIAN_FRONTEND=noninteractive

# Everything the project needs from Debian: build, server, pg_cron, the
# independent readers the tests use (msoffcrypto-tool, openpyxl, 7z), psycopg2.
CSSTATS_PACKAGES="gcc make pkg-config ca-certificates postgresql-15 postgresql-server-dev-15
    postgresql-15-cron libxlsxwriter-dev libssl-dev zlib1g-dev libzip-dev libcmocka-dev
    python3 python3-openpyxl python3-msoffcrypto-tool python3-psycopg2 python3-psycopg p7zip-full
    util-linux procps tzdata"
# Only the test command needs these: LibreOffice Calc, driven through UNO,
# opens the encrypted exports (test/suites/58_libreoffice.sh) and, with
# poppler-utils (pdftoppm), renders the Summary sheet (57_summary.sh); the Debian
# package is built from a git copy of the tree and installed with apt
# (test/suites/90_package.sh; build-essential is an implicit build dependency);
# PL/Proxy for the scale-out coordinator (router/, test/suites/70_router.sh);
# the JDBC driver, a JDK and pgbouncer for the drivers suite
# (test/suites/65_drivers.sh; it installs Debian's nodejs and npm only where
# there is no node at all).
CSSTATS_TEST_PACKAGES="libreoffice-calc-nogui python3-uno poppler-utils postgresql-15-plproxy
    git build-essential dpkg-dev debhelper postgresql-server-dev-all openssl
    libpostgresql-jdbc-java default-jdk-headless pgbouncer"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

csstats_deps() {
    [ "${CSSTATS_SKIP_APT:-0}" = 1 ] && return 0
    if [ "$(id -u)" != 0 ]; then
        log "not root: skipping package installation"
        return 0
    fi
    local missing=() p
    for p in $CSSTATS_PACKAGES "$@"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "installing Debian packages: ${missing[*]}"
    # Keep Debian from creating and starting its own 15/main cluster on 5432:
    # we never use it, and a fresh install would otherwise start one.
    mkdir -p /etc/postgresql-common
    if ! grep -qs '^create_main_cluster' /etc/postgresql-common/createcluster.conf; then
        echo 'create_main_cluster = false' >> /etc/postgresql-common/createcluster.conf
    fi
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

csstats_build() {
    log "building and installing csstats"
    # One build+install at a time on this machine: the install target is global.
    (
        flock -w 600 9
        csstats_make_install
    ) 9>/tmp/csstats-build.lock
}

# The build+install itself, for a caller that already holds the lock (the
# package suite restores the installation with it).
csstats_make_install() {
    make -C "$CSSTATS_SRC" -s -j2 CSSTATS_ASSERT="${CSSTATS_ASSERT:-0}" PG_CONFIG="$PG_CONFIG"
    make -C "$CSSTATS_SRC" -s install CSSTATS_ASSERT="${CSSTATS_ASSERT:-0}" PG_CONFIG="$PG_CONFIG" >/dev/null
    # the coordinator extension of a scale-out deployment (SQL only)
    make -C "$CSSTATS_SRC/router" -s install PG_CONFIG="$PG_CONFIG" >/dev/null
}

as_pg() { runuser -u postgres -- "$@"; }

cluster_start() {
    local port=${CSSTATS_PORT:-55432}
    CSSTATS_RUN=$(mktemp -d /tmp/csstats-pg.XXXXXX)
    chown postgres:postgres "$CSSTATS_RUN"
    chmod 755 "$CSSTATS_RUN"
    log "starting a throwaway PostgreSQL 15 cluster in $CSSTATS_RUN (port $port)"
    as_pg "$PGBIN/initdb" -N -A trust -U postgres -E UTF8 --locale=C.UTF-8 \
        -D "$CSSTATS_RUN/data" >"$CSSTATS_RUN/initdb.log"
    mkdir -p "$CSSTATS_RUN/export" && chown postgres:postgres "$CSSTATS_RUN/export" && chmod 700 "$CSSTATS_RUN/export"
    cat >>"$CSSTATS_RUN/data/postgresql.conf" <<CONF
port = $port
listen_addresses = ''
unix_socket_directories = '$CSSTATS_RUN'
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
csstats.export_directory = '$CSSTATS_RUN/export'
csstats.password_key_file = '$CSSTATS_RUN/password.key'
max_worker_processes = 16
max_parallel_workers = 8
fsync = off
synchronous_commit = off
full_page_writes = off
shared_buffers = 256MB
work_mem = 16MB
maintenance_work_mem = 256MB
max_wal_size = 4GB
timezone = 'UTC'
log_min_messages = warning
CONF
    as_pg "$PGBIN/pg_ctl" -D "$CSSTATS_RUN/data" -l "$CSSTATS_RUN/server.log" -w -s start
    export CSSTATS_RUN PGHOST="$CSSTATS_RUN" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
}

cluster_stop() {
    [ -n "${CSSTATS_RUN:-}" ] || return 0
    if [ "${KEEP_CLUSTER:-0}" = 1 ]; then
        log "cluster kept running: PGHOST=$CSSTATS_RUN PGPORT=$PGPORT PGUSER=postgres psql"
        log "stop it with: runuser -u postgres -- $PGBIN/pg_ctl -D $CSSTATS_RUN/data stop && rm -rf $CSSTATS_RUN"
        return 0
    fi
    if [ -f "$CSSTATS_RUN/data/postmaster.pid" ]; then
        as_pg "$PGBIN/pg_ctl" -D "$CSSTATS_RUN/data" -m fast -w -s stop || true
    fi
    rm -rf "$CSSTATS_RUN"
    CSSTATS_RUN=
}
