//! `--state-url`: a setup key is never lost silently with the state database. A key created
//! just before the database connection is lost is kept in the outputs file and named, and the
//! next runner (from any folder) adopts it without repeating the create; a key whose run was
//! killed right after its create is named by the next runner, with the command that rotates it.

use crate::support::pg as support_pg;

use crate::support::{self, flat, sandbox, stderr, stdout};
use onboard_sandbox::SandboxHandle;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

const ACME: [&str; 6] = [
    "--set",
    "customer=Acme",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[ops@acme.example]",
];

/// `onboard apply msp-customer.yaml (Acme) --yes --outputs FILE --state-url URL` in `dir`.
fn apply(sb: &SandboxHandle, dir: &Path, url: &str, outputs: &Path) -> Command {
    let mut cmd = support::onboard(sb, dir, &["apply", "playbooks/msp-customer.yaml"]);
    cmd.args(ACME)
        .arg("--yes")
        .arg("--outputs")
        .arg(outputs)
        .arg("--state-url")
        .arg(url);
    cmd
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

fn setup_key(outputs: &Path) -> String {
    let text = std::fs::read_to_string(outputs).expect("the outputs file");
    let doc: Value = serde_json::from_str(&text).expect("JSON outputs");
    let key = doc["setup_key"]
        .as_str()
        .unwrap_or_else(|| panic!("no setup key in {doc}"))
        .to_owned();
    assert!(
        key.len() >= 16 && !key.contains('*'),
        "not plaintext: {key}"
    );
    key
}

/// The id of the tenant's one `bootstrap` setup key.
fn bootstrap_id(sb: &SandboxHandle) -> String {
    let world = sb.world();
    let tenant = support::tenant_id(&world, "acme.example");
    support::id(support::account(&world, &tenant), "setup_keys", "bootstrap")
}

/// Holds onboard's setup-key create, runs `meanwhile` once it is held, then lets it go.
fn while_the_key_is_created(
    rt: &tokio::runtime::Runtime,
    sb: &SandboxHandle,
    cmd: &mut Command,
    meanwhile: impl FnOnce(&mut std::process::Child),
) -> std::process::Output {
    let mut hold = sb.hold_when(|e| e.method == "POST" && e.path == "/api/setup-keys");
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("onboard starts");
    rt.block_on(async { tokio::time::timeout(Duration::from_secs(60), hold.reached()).await })
        .expect("the key's create is held in time")
        .expect("held");
    meanwhile(&mut child);
    hold.release();
    child.wait_with_output().expect("onboard ends")
}

#[test]
fn a_key_created_just_before_the_database_is_lost_is_kept_and_named() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let url = support_pg::database();
    migrate(&sb, &url);
    let db = support_pg::db_name(&url).to_owned();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let outputs = a.path().join("keys.json");

    let out = while_the_key_is_created(&rt, &sb, &mut apply(&sb, a.path(), &url, &outputs), |_| {
        let killed = support_pg::psql(
            &db,
            "SELECT pg_terminate_backend(backend_pid) FROM onboard_lock",
        );
        assert_eq!(killed, "t");
    });
    assert!(!out.status.success(), "{}", stdout(&out));
    let key = setup_key(&outputs);
    let id = bootstrap_id(&sb);
    let report = flat(&stdout(&out));
    assert!(
        report.contains(&format!("`bootstrap` (setup_key {id})"))
            && report.contains(&outputs.display().to_string()),
        "the report names the key and where it is: {report}\n{}",
        stderr(&out)
    );

    // The next runner, from another folder, adopts the key, keeps it in the file, loses nothing.
    let next = apply(&sb, b.path(), &url, &outputs).output().unwrap();
    assert!(
        next.status.success(),
        "{}\n{}",
        stdout(&next),
        stderr(&next)
    );
    assert_eq!(setup_key(&outputs), key);
    assert_eq!(bootstrap_id(&sb), id, "one key, created once");
    assert!(!stdout(&next).contains("lost"), "{}", stdout(&next));
    rt.block_on(sb.shutdown());
}

#[test]
fn a_key_whose_run_was_killed_is_named_by_the_next_runner_with_the_rotate_command() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let url = support_pg::database();
    migrate(&sb, &url);
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let outputs = a.path().join("keys.json");

    let out = while_the_key_is_created(&rt, &sb, &mut apply(&sb, a.path(), &url, &outputs), |c| {
        c.kill().expect("SIGKILL");
        c.wait().expect("reaped");
    });
    assert!(!out.status.success());

    let mut next = apply(&sb, b.path(), &url, &outputs);
    let next = next.args(["--format", "json"]).output().unwrap();
    assert_eq!(next.status.code(), Some(1), "{}", stderr(&next));
    let report: Value = serde_json::from_slice(&next.stdout).expect("a JSON report");
    let lost = report["runs"][0]["lost_secrets"]
        .as_array()
        .expect("lost_secrets")
        .clone();
    assert_eq!(lost.len(), 1, "{report}");
    assert_eq!(lost[0]["address"], "bootstrap");
    assert_eq!(lost[0]["type"], "setup_key");
    assert_eq!(lost[0]["id"], bootstrap_id(&sb));
    let rotate = lost[0]["rotate"].as_str().expect("the rotate command");
    let outputs_arg = format!("--outputs {}", outputs.display());
    assert!(
        rotate.starts_with("onboard apply playbooks/msp-customer.yaml ")
            && rotate.contains(&format!("--state-url {url}"))
            && !rotate.contains("--state-dir")
            && rotate.contains("--rotate-setup-keys")
            && rotate.ends_with(&outputs_arg),
        "{rotate}"
    );
    rt.block_on(sb.shutdown());
}
