//! `--state-url`: one lock per run key, held by a PostgreSQL session for the whole run.
//! Two folders applying one customer at once make no duplicate and the second names the
//! first; a SIGKILLed holder leaves no lock; a lost connection stops the run with the state
//! consistent, and the next apply repeats no write.

use crate::support::pg as support_pg;

use crate::support::{self, exactly_once, flat, stderr, stdout};
use onboard_sandbox::{SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::io::{BufRead, BufReader, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

const ACME: [&str; 6] = [
    "--set",
    "customer=Acme",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[ops@acme.example]",
];

/// `onboard apply msp-customer.yaml (Acme) --yes --state-url URL ARGS`.
fn apply(sb: &SandboxHandle, dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut all = vec!["playbooks/msp-customer.yaml"];
    all.extend(ACME);
    all.extend(args);
    let mut cmd = support::command(sb, dir, &all);
    cmd.arg("--state-url").arg(url);
    cmd
}

fn spawn(mut cmd: Command) -> Child {
    cmd.stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts")
}

/// The tenant holds every object of the playbook exactly once.
fn assert_no_duplicate(sb: &SandboxHandle) {
    let world = sb.world();
    let tenant = support::tenant_id(&world, "acme.example");
    exactly_once(
        support::account(&world, &tenant),
        &[
            ("groups", "Servers"),
            ("groups", "Admins"),
            ("setup_keys", "bootstrap"),
            ("networks", "office"),
            ("policies", "admins-to-servers"),
            ("users", "ops@acme.example"),
        ],
    );
}

fn slow_sandbox(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    support::sandbox_with(
        rt,
        SandboxConfig {
            rate_limit: None,
            latency_ms: 300,
            ..SandboxConfig::default()
        },
    )
}

/// Create the schema (any command that opens the store does).
fn migrate(sb: &SandboxHandle, url: &str) {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = support::onboard(sb, dir.path(), &["state", "list"])
        .arg("--state-url")
        .arg(url)
        .output()
        .expect("onboard runs");
    assert!(out.status.success(), "{}", stderr(&out));
}

/// A psql session holding `LOCK TABLE onboard_state IN EXCLUSIVE MODE`: reads go on, every
/// state save waits. Returns once the lock is granted; `COMMIT` on stdin releases it.
fn block_state_writes(url: &str) -> Child {
    let db = support_pg::db_name(url);
    let mut psql = Command::new(support_pg::bin("psql"))
        .args(["-h", "127.0.0.1", "-U", "postgres", "-X", "-q", "-d", db])
        .args(["-p", &support_pg::port().to_string()])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("psql starts");
    let stdin = psql.stdin.as_mut().expect("psql stdin");
    writeln!(stdin, "BEGIN; LOCK TABLE onboard_state IN EXCLUSIVE MODE;").expect("to psql");
    stdin.flush().expect("to psql");
    let granted = "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation \
                   WHERE c.relname = 'onboard_state' AND l.mode = 'ExclusiveLock' AND l.granted";
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while support_pg::psql(db, granted) != "1" {
        assert!(std::time::Instant::now() < deadline, "the table lock");
        std::thread::sleep(Duration::from_millis(20));
    }
    psql
}

fn release(mut psql: Child) {
    let mut stdin = psql.stdin.take().expect("psql stdin");
    writeln!(stdin, "COMMIT;").expect("to psql");
    drop(stdin);
    assert!(psql.wait().expect("psql ends").success());
}

/// Lines of a child's stderr as they come, and all of it at the end.
fn stderr_lines(child: &mut Child) -> (mpsc::Receiver<String>, std::thread::JoinHandle<String>) {
    let err = child.stderr.take().expect("piped stderr");
    let (tx, rx) = mpsc::channel();
    let all = std::thread::spawn(move || {
        let mut text = String::new();
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            text.push_str(&line);
            text.push('\n');
            let _ = tx.send(line);
        }
        text
    });
    (rx, all)
}

#[test]
fn one_customer_from_two_folders_at_once_makes_no_duplicate_and_names_the_holder() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox(&rt);
    let url = support_pg::database();
    migrate(&sb, &url);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());

    // The first apply takes the lock and then waits in its first save.
    let writes = block_state_writes(&url);
    let mut first = spawn(apply(&sb, a.path(), &url, &[]));
    support_pg::wait_for_holder(&url, &mut first);

    // From the other folder: fail at once, naming the holder ...
    let busy = apply(&sb, b.path(), &url, &["--lock-timeout", "0"])
        .output()
        .unwrap();
    assert!(!busy.status.success());
    let msg = flat(&stderr(&busy));
    assert!(
        msg.contains("another run holds the lock of run key `acme.example`"),
        "{msg}"
    );
    assert!(
        msg.contains(&format!("(pid {}) since 20", first.id())),
        "{msg}"
    );
    assert!(msg.contains('@'), "the holder's user@host: {msg}");

    // ... or wait, saying for whom, and give up when the time is up ...
    let late = apply(&sb, b.path(), &url, &["--lock-timeout", "1"])
        .output()
        .unwrap();
    assert!(!late.status.success());
    let msg = flat(&stderr(&late));
    assert!(msg.contains("waiting up to 1s"), "{msg}");
    assert!(
        msg.contains("another run holds the lock of run key"),
        "{msg}"
    );

    // ... or get it once the holder is done.
    let mut second = spawn(apply(&sb, b.path(), &url, &["--lock-timeout", "300"]));
    let (lines, rest) = stderr_lines(&mut second);
    let waiting = lines
        .iter()
        .find(|l| l.contains("waiting up to 300s"))
        .expect("the second apply says it waits");
    assert!(
        waiting.contains(&format!("(pid {})", first.id())),
        "{waiting}"
    );

    release(writes);
    let first = first.wait_with_output().unwrap();
    assert!(first.status.success(), "{}", stderr(&first));
    let second_status = second.wait().unwrap();
    let second_err = rest.join().unwrap();
    assert!(second_status.success(), "{second_err}");
    assert_no_duplicate(&sb);
    rt.block_on(sb.shutdown());
}

#[test]
fn a_sigkilled_holder_leaves_no_lock() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = slow_sandbox(&rt);
    let url = support_pg::database();
    migrate(&sb, &url);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut holder = spawn(apply(&sb, a.path(), &url, &[]));
    support_pg::wait_for_holder(&url, &mut holder);
    holder.kill().unwrap(); // SIGKILL
    holder.wait().unwrap();

    let next = apply(&sb, b.path(), &url, &["--lock-timeout", "0"])
        .output()
        .unwrap();
    assert!(
        next.status.success(),
        "{}\n{}",
        stdout(&next),
        stderr(&next)
    );
    assert_no_duplicate(&sb);
    rt.block_on(sb.shutdown());
}

#[test]
fn a_lost_connection_stops_the_run_and_the_next_apply_repeats_no_write() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = slow_sandbox(&rt);
    let url = support_pg::database();
    migrate(&sb, &url);
    let db = support_pg::db_name(&url);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut run = spawn(apply(&sb, a.path(), &url, &[]));
    support_pg::wait_for_holder(&url, &mut run);
    // Cut the session once a few steps are saved (the tenant and at least three steps).
    let saved = "SELECT count(*) FROM onboard_state, jsonb_object_keys(doc->'steps')";
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while support_pg::psql(db, saved).parse::<u32>().unwrap() < 3 {
        assert!(run.try_wait().unwrap().is_none(), "the run ended too early");
        assert!(std::time::Instant::now() < deadline, "no step was saved");
        std::thread::sleep(Duration::from_millis(10));
    }
    let killed = support_pg::psql(
        db,
        "SELECT pg_terminate_backend(backend_pid) FROM onboard_lock",
    );
    assert_eq!(killed, "t");
    let out = run.wait_with_output().unwrap();
    assert!(!out.status.success(), "{}", stdout(&out));
    let err = flat(&stderr(&out));
    assert!(
        err.contains("lost the connection to the state database"),
        "{err}"
    );

    // What was saved is a whole state whose every object exists, and the run stopped short.
    let show = support::onboard(&sb, b.path(), &["state", "show", "acme.example"])
        .arg("--state-url")
        .arg(&url)
        .output()
        .unwrap();
    assert!(show.status.success(), "{}", stderr(&show));
    let state: Value = serde_json::from_slice(&show.stdout).unwrap();
    let steps = state["steps"].as_object().unwrap();
    assert!(steps.len() >= 3 && steps.len() < 8, "{state:#}");
    let everything = sb.world().to_string();
    for (address, record) in steps {
        let id = record["id"].as_str().unwrap();
        assert!(
            everything.contains(id),
            "{address}: {id} is not in the sandbox"
        );
    }

    // The next apply finishes the job; every object exists once.
    let again = apply(&sb, b.path(), &url, &[]).output().unwrap();
    assert!(again.status.success(), "{}", stderr(&again));
    assert_no_duplicate(&sb);
    rt.block_on(sb.shutdown());
}
