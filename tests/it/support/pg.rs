//! A private PostgreSQL for the state-store tests, and questions to ask it.
//!
//! `.ci/run` starts one cluster and exports `ONBOARD_TEST_PG_URL`
//! (`postgres://postgres@127.0.0.1:PORT/postgres`); without it, the first test of this binary
//! starts its own the same way (initdb into a temporary folder, as the `postgres` user when
//! running as root, on a free loopback port, trust auth), stopped and removed when the test
//! binary exits. Never skipped: no server binaries is a failure. Every test gets a database of
//! its own ([`database`]).

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

struct Cluster {
    port: u16,
    /// The watchdog shell: it stops the server when our end of its stdin closes (at exit).
    _watchdog: Option<Mutex<Child>>,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static NEXT: AtomicUsize = AtomicUsize::new(0);

/// The PostgreSQL server binaries: `PG_BIN`, else the newest `/usr/lib/postgresql/*/bin`.
pub fn bin(tool: &str) -> PathBuf {
    if let Ok(dir) = std::env::var("PG_BIN") {
        return PathBuf::from(dir).join(tool);
    }
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|r| {
            r.filter_map(|e| e.ok())
                .map(|e| e.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    dirs.retain(|d| d.join("postgres").exists());
    dirs.sort_by_key(|d| {
        d.parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.parse::<u32>().ok())
    });
    let dir = dirs.pop().expect(
        "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin: install `postgresql` \
         or set PG_BIN or ONBOARD_TEST_PG_URL",
    );
    dir.join(tool)
}

fn is_root() -> bool {
    let out = Command::new("id").arg("-u").output().expect("id runs");
    String::from_utf8_lossy(&out.stdout).trim() == "0"
}

/// `cmd` as the `postgres` user when we are root (the server refuses to run as root).
fn as_server_user(program: PathBuf) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(|| match std::env::var("ONBOARD_TEST_PG_URL") {
        Ok(url) => {
            let port = url
                .rsplit_once(':')
                .and_then(|(_, rest)| rest.split('/').next())
                .and_then(|p| p.parse().ok())
                .expect("ONBOARD_TEST_PG_URL is postgres://postgres@127.0.0.1:PORT/postgres");
            Cluster {
                port,
                _watchdog: None,
            }
        }
        Err(_) => start(),
    })
}

fn start() -> Cluster {
    let dir = tempfile::Builder::new()
        .prefix("onboard-pg-")
        .tempdir()
        .expect("a temporary folder")
        .keep();
    if is_root() {
        let chown = Command::new("chown")
            .arg("postgres:")
            .arg(&dir)
            .status()
            .expect("chown runs");
        assert!(chown.success(), "chown postgres {}", dir.display());
    }
    let data = dir.join("data");
    let init = as_server_user(bin("initdb"))
        .arg("-D")
        .arg(&data)
        .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
        .output()
        .expect("initdb runs");
    assert!(
        init.status.success(),
        "initdb failed: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let port = free_port();
    let script = r#"bin="$1"; dir="$2"; port="$3"
"$bin/postgres" -D "$dir/data" -p "$port" -k "$dir" -h 127.0.0.1 -c fsync=off >"$dir/log" 2>&1 &
pg=$!
read _ || true
kill -INT "$pg"; wait "$pg"; rm -rf "$dir""#;
    let bindir = bin("postgres").parent().expect("bin dir").to_owned();
    let mut sh = as_server_user(PathBuf::from("sh"));
    sh.arg("-c")
        .arg(script)
        .arg("sh")
        .arg(&bindir)
        .arg(&dir)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::null());
    let child = sh.spawn().expect("the server starts");
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let ready = Command::new(bin("pg_isready"))
            .args(["-h", "127.0.0.1", "-p", &port.to_string(), "-U", "postgres"])
            .output()
            .expect("pg_isready runs");
        if ready.status.success() {
            break;
        }
        let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
        assert!(
            Instant::now() < deadline,
            "PostgreSQL did not start:\n{log}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    Cluster {
        port,
        _watchdog: Some(Mutex::new(child)),
    }
}

/// The server's port.
pub fn port() -> u16 {
    cluster().port
}

/// `psql -Atc SQL` on `db`; panics with psql's error when it fails.
pub fn psql(db: &str, sql: &str) -> String {
    let out = Command::new(bin("psql"))
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-X",
            "-At",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-p", &port().to_string(), "-d", db, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// A new, empty database; returns its URL.
pub fn database() -> String {
    let name = format!(
        "onboard_test_{}_{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    );
    psql("postgres", &format!("CREATE DATABASE {name}"));
    format!("postgres://postgres@127.0.0.1:{}/{name}", port())
}

/// The database name of a URL from [`database`].
pub fn db_name(url: &str) -> &str {
    url.rsplit('/').next().expect("a database name")
}

/// `pg_dump` of the whole database, as SQL text.
pub fn dump(url: &str) -> String {
    let out = Command::new(bin("pg_dump"))
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "-p",
            &port().to_string(),
        ])
        .arg(db_name(url))
        .output()
        .expect("pg_dump runs");
    assert!(
        out.status.success(),
        "pg_dump: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Backend pids of run-key locks held right now (holder rows whose session holds the lock).
pub fn live_holders(url: &str) -> Vec<String> {
    let rows = psql(
        db_name(url),
        "SELECT h.pid FROM onboard_lock h WHERE EXISTS (SELECT 1 FROM pg_locks l \
         WHERE l.pid = h.backend_pid AND l.locktype = 'advisory' AND l.granted) ORDER BY 1",
    );
    rows.lines().map(str::to_owned).collect()
}

/// Wait (up to a minute) until the process `pid` holds a run-key lock in `url`; fails if
/// `child` exits first.
pub fn wait_for_holder(url: &str, child: &mut Child) {
    let pid = child.id().to_string();
    let deadline = Instant::now() + Duration::from_secs(60);
    while !live_holders(url).contains(&pid) {
        if let Ok(Some(status)) = child.try_wait() {
            let mut err = String::new();
            if let Some(e) = child.stderr.as_mut() {
                let _ = std::io::Read::read_to_string(e, &mut err);
            }
            panic!("onboard exited ({status}) before holding the lock:\n{err}");
        }
        assert!(Instant::now() < deadline, "pid {pid} never held the lock");
        std::thread::sleep(Duration::from_millis(20));
    }
}
