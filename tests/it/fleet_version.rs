//! Template versions per customer (issue 17, item 1) and one tenant, one owner (item 6): what
//! apply records in the state, what `state list` and `plan` show of it, the inventory's
//! duplicate domains, a tenant recorded under another run key, and `state mv`.

use crate::support::*;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// `git ARGS` in `dir`, with an identity and no user or system configuration.
fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["-c", "user.name=T", "-c", "user.email=t@example.com"])
        .args(["-c", "commit.gpgsign=false"])
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("HOME", dir)
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

fn head(dir: &Path) -> String {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["rev-parse", "HEAD"])
        .output()
        .expect("git runs");
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// The example playbook, copied to `dir`.
fn playbook_in(dir: &Path) -> PathBuf {
    let path = dir.join("customer.yaml");
    std::fs::copy("playbooks/msp-customer.yaml", &path).expect("copy the playbook");
    path
}

/// An inventory of `customers` (`(key, domain)`) for `playbook`, in `dir`.
fn inventory(dir: &Path, playbook: &Path, customers: &[(&str, &str)]) -> PathBuf {
    let mut text = format!("playbook: {}\ncustomers:\n", playbook.display());
    for (key, domain) in customers {
        text.push_str(&format!(
            "  {key}:\n    customer: Customer {key}\n    domain: {domain}\n"
        ));
    }
    let path = dir.join("inventory.yaml");
    std::fs::write(&path, text).expect("inventory");
    path
}

fn single(playbook: &Path, lan: &str) -> Vec<String> {
    vec![
        playbook.display().to_string(),
        "--set".into(),
        "customer=Customer acme".into(),
        "--set".into(),
        "domain=acme.example".into(),
        "--set".into(),
        format!("lan={lan}"),
    ]
}

fn refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn state_list(sb: &onboard_sandbox::SandboxHandle, state: &Path) -> Vec<Value> {
    let out = onboard(sb, state, &["state", "list", "--format", "json"])
        .output()
        .expect("state list runs");
    assert!(out.status.success(), "{}", stderr(&out));
    let rows: Value = serde_json::from_slice(&out.stdout).expect("JSON");
    rows.as_array().expect("a list").clone()
}

fn plan_text(sb: &onboard_sandbox::SandboxHandle, state: &Path, args: &[&str]) -> String {
    let out = onboard(sb, state, &["plan"])
        .args(args)
        .output()
        .expect("plan runs");
    assert!(out.status.success(), "plan {args:?}: {}", stderr(&out));
    stdout(&out)
}

fn plan_json(sb: &onboard_sandbox::SandboxHandle, state: &Path, args: &[&str]) -> Value {
    let out = onboard(sb, state, &["plan", "--format", "json"])
        .args(args)
        .output()
        .expect("plan runs");
    assert!(out.status.success(), "plan {args:?}: {}", stderr(&out));
    serde_json::from_slice(&out.stdout).expect("JSON plans")
}

/// In a git work tree: apply records the digest, the HEAD commit and a clean tree; the
/// digest is the template's (the values do not move it; an edit does) and an uncommitted
/// edit is recorded as dirty. `plan` shows current → new. Recording it costs no API call.
#[test]
fn apply_records_the_template_version_from_git_and_plan_shows_current_to_new() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let repo = tempfile::tempdir().expect("repo");
    let state = tempfile::tempdir().expect("state");
    let playbook = playbook_in(repo.path());
    git(repo.path(), &["init", "-q"]);
    git(repo.path(), &["add", "customer.yaml"]);
    git(repo.path(), &["commit", "-q", "-m", "template v1"]);
    let commit = head(repo.path());
    let args = single(&playbook, "10.10.0.0/24");

    let before = plan_text(&sb, state.path(), &refs(&args));
    let short = &commit[..7];
    assert!(
        before.contains(&format!("template: not recorded → {short}\n")),
        "{before}"
    );
    let calls_before_apply = sb.log().len();
    apply(&sb, state.path(), &refs(&args));
    let apply_calls = sb.log().len() - calls_before_apply;
    let rows = state_list(&sb, state.path());
    assert_eq!(rows.len(), 1, "{rows:?}");
    let row = &rows[0];
    assert_eq!(row["template_commit"], commit.as_str(), "{row}");
    assert_eq!(row["template_dirty"], false, "{row}");
    let digest = row["template_digest"]
        .as_str()
        .expect("a digest")
        .to_owned();
    assert_eq!(digest.len(), 64, "full in JSON: {digest}");
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()));

    // Text: the commit and the digest's first 12 hex digits.
    let out = onboard(&sb, state.path(), &["state", "list"])
        .output()
        .expect("state list runs");
    let text = stdout(&out);
    assert!(text.contains("TEMPLATE"), "{text}");
    assert!(
        text.contains(&format!("{short} sha256:{}", &digest[..12])),
        "{text}"
    );
    assert!(!text.contains(&digest), "short in text: {text}");

    // Other values, same template: the plan says the customer is current.
    let other = single(&playbook, "10.99.0.0/24");
    let plans = plan_json(&sb, state.path(), &refs(&other));
    let t = &plans[0]["template"];
    assert_eq!(t["new"]["template_digest"], digest.as_str(), "{t}");
    assert_eq!(t["behind"], false, "{t}");
    let same = plan_text(&sb, state.path(), &refs(&args));
    assert!(
        same.contains(&format!("template: {short} → {short} (current)\n")),
        "{same}"
    );

    // An uncommitted edit of the template: a new digest, the tree is dirty.
    let mut text = std::fs::read_to_string(&playbook).expect("read");
    text.push_str("# a comment is a change of the template\n");
    std::fs::write(&playbook, text).expect("edit");
    let edited = plan_text(&sb, state.path(), &refs(&args));
    assert!(
        edited.contains(&format!("template: {short} → {short} (dirty)\n")),
        "{edited}"
    );
    // Recording the version costs no call: a re-apply that changes nothing reads what a
    // re-apply reads and writes nothing.
    let from = sb.log().len();
    apply(&sb, state.path(), &refs(&args));
    let reapply = sb.log()[from..].to_vec();
    assert_eq!(
        writes(&reapply).len(),
        0,
        "an unchanged customer got writes"
    );
    assert!(reapply.len() < apply_calls, "{} calls", reapply.len());
    let row = &state_list(&sb, state.path())[0];
    assert_eq!(row["template_commit"], commit.as_str(), "{row}");
    assert_eq!(row["template_dirty"], true, "{row}");
    assert_ne!(
        row["template_digest"],
        digest.as_str(),
        "the edit moved the digest"
    );
}

/// Outside a git work tree: the digest only, never an error.
#[test]
fn without_git_only_the_digest_is_recorded() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("dir");
    let state = tempfile::tempdir().expect("state");
    let playbook = playbook_in(dir.path());
    apply(&sb, state.path(), &refs(&single(&playbook, "10.10.0.0/24")));
    let row = &state_list(&sb, state.path())[0];
    let fields: Vec<&String> = row.as_object().expect("a row").keys().collect();
    assert!(row["template_digest"].is_string(), "{row}");
    assert!(row.get("template_commit").is_none(), "{fields:?}");
    assert!(row.get("template_dirty").is_none(), "{fields:?}");
}

/// `plan --inventory` names the customers behind the template on disk: never applied, or
/// applied with another template.
#[test]
fn plan_with_an_inventory_names_the_customers_behind_the_template() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("dir");
    let state = tempfile::tempdir().expect("state");
    let playbook = playbook_in(dir.path());
    let inv = inventory(
        dir.path(),
        &playbook,
        &[("a", "a.example"), ("b", "b.example"), ("c", "c.example")],
    );
    let inv = inv.to_str().expect("utf-8");
    apply(&sb, state.path(), &["--inventory", inv, "--only", "a"]);
    apply(&sb, state.path(), &["--inventory", inv, "--only", "b"]);
    let text = plan_text(&sb, state.path(), &["--inventory", inv]);
    assert!(
        text.contains("behind the template on disk (sha256:")
            && text.contains("1 of 3 customers: c\n"),
        "{text}"
    );
    let mut edited = std::fs::read_to_string(&playbook).expect("read");
    edited.push_str("# v2\n");
    std::fs::write(&playbook, edited).expect("edit");
    apply(&sb, state.path(), &["--inventory", inv, "--only", "b"]);
    let text = plan_text(&sb, state.path(), &["--inventory", inv]);
    assert!(text.contains("2 of 3 customers: a, c\n"), "{text}");
    let plans = plan_json(&sb, state.path(), &["--inventory", inv]);
    // An inventory's JSON plan is `{plans, groups}` (the fleet's change sets).
    let behind: Vec<(&str, bool)> = plans["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .map(|p| {
            (
                p["run_key"].as_str().unwrap_or_default(),
                p["template"]["behind"].as_bool().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(behind, vec![("a", true), ("b", false), ("c", true)]);
}

/// Two customers of one inventory with one domain: a validation error at each entry's
/// domain, before anything is read.
#[test]
fn two_customers_with_one_domain_are_a_validation_error_at_both() {
    let dir = tempfile::tempdir().expect("dir");
    let playbook = std::fs::canonicalize("playbooks/msp-customer.yaml").expect("playbook");
    let inv = inventory(
        dir.path(),
        &playbook,
        &[
            ("a", "acme.example"),
            ("b", "other.example"),
            ("c", "acme.example"),
        ],
    );
    let out = binary()
        .args(["validate", "--inventory"])
        .arg(&inv)
        .env("NO_COLOR", "1")
        .output()
        .expect("validate runs");
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let name = inv.display().to_string();
    // Entry a's domain is on line 5, entry c's on line 11 (column 13: after `domain: `).
    assert!(err.contains(&format!("{name}:5:13")), "{err}");
    assert!(err.contains(&format!("{name}:11:13")), "{err}");
    assert!(
        flat(&err).contains("customers `a` and `c` have the same tenant domain `acme.example`"),
        "{err}"
    );
    assert!(!err.contains("taken by another"), "{err}");
}

/// A customer first run from the playbook (run key: its domain), then from an inventory: the
/// inventory's run refuses to adopt the tenant, naming the other run key and `state mv`,
/// before anything is written; after `state mv` it runs as the inventory's customer.
#[test]
fn a_tenant_recorded_under_another_run_key_is_refused_until_state_mv() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("dir");
    let state = tempfile::tempdir().expect("state");
    let playbook = playbook_in(dir.path());
    apply(&sb, state.path(), &refs(&single(&playbook, "10.10.0.0/24")));
    let inv = inventory(dir.path(), &playbook, &[("acme", "acme.example")]);
    let inv = inv.to_str().expect("utf-8");
    let from = sb.log().len();
    for cmd in [&["plan"][..], &["apply", "--yes", "--discard-secrets"]] {
        let out = onboard(&sb, state.path(), cmd)
            .args(["--inventory", inv])
            .output()
            .expect("runs");
        assert_eq!(out.status.code(), Some(1), "{cmd:?}: {}", stdout(&out));
        let err = flat(&stderr(&out));
        assert!(
            err.contains("already recorded under run key `acme.example`")
                && err.contains("under run key `acme`"),
            "{cmd:?}: {err}"
        );
        assert!(
            err.contains("`onboard state mv acme.example acme`"),
            "{err}"
        );
    }
    assert_eq!(writes(&sb.log()[from..]).len(), 0, "nothing written");

    // TO already recorded: refused, nothing moved.
    apply(
        &sb,
        state.path(),
        &[
            "--inventory",
            inv,
            "--only",
            "acme",
            "--set",
            "domain=b.example",
        ],
    );
    let out = onboard(&sb, state.path(), &["state", "mv", "acme.example", "acme"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        flat(&stderr(&out)).contains("run key `acme` already has a state"),
        "{}",
        stderr(&out)
    );
    let keys = |rows: Vec<Value>| -> Vec<String> {
        let mut keys: Vec<String> = rows
            .iter()
            .map(|r| r["run_key"].as_str().unwrap_or_default().to_owned())
            .collect();
        keys.sort();
        keys
    };
    assert_eq!(
        keys(state_list(&sb, state.path())),
        ["acme", "acme.example"]
    );
    // Make room: the b.example customer moves away, then acme.example becomes acme.
    for (a, b) in [("acme", "bee"), ("acme.example", "acme")] {
        let out = onboard(&sb, state.path(), &["state", "mv", a, b])
            .output()
            .expect("runs");
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains(&format!("from run key `{a}` to `{b}`")));
    }
    assert_eq!(keys(state_list(&sb, state.path())), ["acme", "bee"]);
    let from = sb.log().len();
    apply(&sb, state.path(), &["--inventory", inv]);
    assert_eq!(
        writes(&sb.log()[from..]).len(),
        0,
        "the moved customer is as applied"
    );
    let row = state_list(&sb, state.path())
        .into_iter()
        .find(|r| r["run_key"] == "acme")
        .expect("acme");
    assert_eq!(row["tenant"], "acme.example");
}
