//! `--state-url`: state in PostgreSQL, shared by working folders that share nothing else;
//! the schema onboard creates; no secret in the database; `onboard state migrate`.

use crate::support::pg as support_pg;

use crate::support::{self, PAT, exactly_once, names, sandbox, stderr, stdout};
use onboard_sandbox::SandboxHandle;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const ACME: [&str; 6] = [
    "--set",
    "customer=Acme",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[ops@acme.example]",
];

/// `onboard ARGS --state-dir DIR --state-url URL` against the sandbox.
fn onboard(sb: &SandboxHandle, dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = support::onboard(sb, dir, args);
    cmd.arg("--state-url").arg(url);
    cmd
}

fn ok(mut cmd: Command) -> Output {
    let out = cmd.output().expect("onboard runs");
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

fn state_show(sb: &SandboxHandle, dir: &Path, url: &str, key: &str) -> Value {
    let out = ok(onboard(sb, dir, url, &["state", "show", key]));
    serde_json::from_slice(&out.stdout).expect("state show prints JSON")
}

#[test]
fn two_folders_sharing_only_the_url_plan_and_prune_what_the_other_created() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let url = support_pg::database();
    let (a, b) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let mut first = onboard(&sb, a.path(), &url, &["apply", "playbooks/quickstart.yaml"]);
    ok({
        first.args(["--yes", "--discard-secrets"]);
        first
    });
    assert!(
        !a.path().join("state").exists() && !a.path().join("locks").exists(),
        "with --state-url nothing is written to the folder"
    );

    // The other folder sees everything as done.
    let plan = onboard(
        &sb,
        b.path(),
        &url,
        &["plan", "playbooks/quickstart.yaml", "--detailed-exitcode"],
    )
    .output()
    .unwrap();
    assert_eq!(plan.status.code(), Some(0), "{}", stdout(&plan));

    // ... and prunes a step the first one created.
    let full = std::fs::read_to_string("playbooks/quickstart.yaml").unwrap();
    let policy = full.find("  # One policy, one rule").unwrap();
    let outputs = full.find("outputs:").unwrap();
    let smaller = b.path().join("smaller.yaml");
    std::fs::write(&smaller, format!("{}{}", &full[..policy], &full[outputs..])).unwrap();
    let out = ok({
        let mut c = onboard(
            &sb,
            b.path(),
            &url,
            &["apply", smaller.to_str().unwrap(), "--prune"],
        );
        c.arg("--yes");
        c
    });
    assert!(
        stdout(&out).contains("admin_ssh: deleted"),
        "{}",
        stdout(&out)
    );
    let acct = sb.world()["accounts"][sb.msp_account_id()].clone();
    assert!(!names(&acct, "policies").contains(&"admins-to-servers".to_owned()));
    exactly_once(&acct, &[("groups", "Admins"), ("groups", "Servers")]);
    let state = state_show(&sb, a.path(), &url, "own-account");
    let steps: Vec<&String> = state["steps"].as_object().unwrap().keys().collect();
    assert_eq!(steps, ["admins", "servers", "servers_key"]);
    assert!(!b.path().join("state").exists());

    // The first folder destroys what the second one left.
    let out = ok({
        let mut c = onboard(
            &sb,
            a.path(),
            &url,
            &["destroy", "playbooks/quickstart.yaml"],
        );
        c.arg("--yes");
        c
    });
    assert!(
        stdout(&out).contains("servers_key: deleted"),
        "{}",
        stdout(&out)
    );
    let acct = sb.world()["accounts"][sb.msp_account_id()].clone();
    for gone in ["Admins", "Servers"] {
        assert!(!names(&acct, "groups").contains(&gone.to_owned()), "{gone}");
    }
    let state = state_show(&sb, b.path(), &url, "own-account");
    assert_eq!(state["steps"], serde_json::json!({}));
    rt.block_on(sb.shutdown());
}

#[test]
fn the_database_holds_no_secret() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let url = support_pg::database();
    let dir = tempfile::tempdir().unwrap();
    let outputs = dir.path().join("outputs.json");
    let mut args = vec!["apply", "playbooks/msp-customer.yaml", "--yes", "--outputs"];
    args.push(outputs.to_str().unwrap());
    args.extend(ACME);
    ok(onboard(&sb, dir.path(), &url, &args));
    let written: Value = serde_json::from_slice(&std::fs::read(&outputs).unwrap()).unwrap();
    let key = written["setup_key"].as_str().expect("the setup key output");
    assert!(key.len() >= 16, "a real setup key: {key}");

    let dump = support_pg::dump(&url);
    assert!(dump.contains("acme.example"), "the dump holds the state");
    assert!(dump.contains("step_finished"), "the dump holds the journal");
    assert!(!dump.contains(PAT), "the PAT is in the database");
    assert!(!dump.contains(key), "the setup key is in the database");
    rt.block_on(sb.shutdown());
}

#[test]
fn migrate_keeps_every_record_and_both_backends_list_the_same() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let url = support_pg::database();
    let dir = tempfile::tempdir().unwrap();
    let mut args = vec!["playbooks/msp-customer.yaml"];
    args.extend(ACME);
    support::apply(&sb, dir.path(), &args);
    support::apply(&sb, dir.path(), &["playbooks/quickstart.yaml"]);
    let local_state = |pb: &str, key: &str| -> Value {
        let path = dir.path().join(format!("state/{pb}/{key}.json"));
        serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
    };
    let acme = local_state("standard-customer", "acme.example");
    assert_eq!(acme["steps"].as_object().unwrap().len(), 8, "{acme:#}");

    let local = |args: &[&str]| {
        let mut cmd = support::onboard(&sb, dir.path(), args);
        cmd.env_remove("ONBOARD_STATE_URL");
        ok(cmd)
    };
    let out = local(&["state", "migrate", "--to", &url]);
    assert!(
        stdout(&out).contains("migrated 2 state(s)"),
        "{}",
        stdout(&out)
    );
    let other = tempfile::tempdir().unwrap();
    assert_eq!(state_show(&sb, other.path(), &url, "acme.example"), acme);
    assert_eq!(
        state_show(&sb, other.path(), &url, "own-account"),
        local_state("quickstart", "own-account")
    );

    // Both backends list the same rows; a second migrate changes nothing.
    let rows = |out: Output| -> Vec<Value> {
        let mut v: Vec<Value> = serde_json::from_slice(&out.stdout).unwrap();
        v.iter_mut().for_each(|r| {
            r.as_object_mut().unwrap().remove("location");
        });
        v
    };
    let from_folder = rows(local(&["state", "list", "--format", "json"]));
    let from_db = rows(ok(onboard(
        &sb,
        other.path(),
        &url,
        &["state", "list", "--format", "json"],
    )));
    assert_eq!(from_folder.len(), 2);
    assert_eq!(from_folder, from_db);
    local(&["state", "migrate", "--to", &url]);
    let journals = support_pg::psql(
        support_pg::db_name(&url),
        "SELECT count(DISTINCT run_id) FROM onboard_journal",
    );
    assert_eq!(journals, "2", "one journal per apply, imported once");

    // A plan from a fresh folder against the migrated state has nothing to do.
    let mut plan = vec!["plan", "playbooks/msp-customer.yaml", "--detailed-exitcode"];
    plan.extend(ACME);
    let out = onboard(&sb, other.path(), &url, &plan).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    rt.block_on(sb.shutdown());
}

#[test]
fn the_schema_is_versioned_and_a_newer_one_is_refused() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let url = support_pg::database();
    let dir = tempfile::tempdir().unwrap();
    let list = || {
        onboard(&sb, dir.path(), &url, &["state", "list"])
            .output()
            .unwrap()
    };
    for _ in 0..2 {
        let out = list();
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).starts_with("no state recorded in postgres://postgres@127.0.0.1:"));
    }
    let db = support_pg::db_name(&url);
    assert_eq!(
        support_pg::psql(db, "SELECT version FROM onboard_schema ORDER BY 1"),
        "1\n2"
    );
    support_pg::psql(db, "INSERT INTO onboard_schema (version) VALUES (99)");
    let out = list();
    assert!(!out.status.success());
    assert!(
        support::flat(&stderr(&out)).contains("its schema is at version 99, newer than"),
        "{}",
        stderr(&out)
    );
    rt.block_on(sb.shutdown());
}

#[test]
fn a_wrong_url_is_a_clear_error_without_the_password() {
    let dir = tempfile::tempdir().unwrap();
    let port = support_pg::port();
    let url = format!("postgres://postgres:hunter2secret@127.0.0.1:{port}/no_such_db");
    let out = support::binary()
        .args(["state", "list", "--state-dir"])
        .arg(dir.path())
        .env("ONBOARD_STATE_URL", &url)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = support::flat(&stderr(&out));
    assert!(
        err.contains("cannot connect to the state database"),
        "{err}"
    );
    assert!(err.contains("no_such_db"), "{err}");
    assert!(!err.contains("hunter2secret"), "{err}");
}

#[test]
fn state_show_of_an_unknown_key_lists_the_recorded_ones() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    support::apply(&sb, dir.path(), &["playbooks/quickstart.yaml"]);
    for url in [None, Some(support_pg::database())] {
        let mut cmd = support::onboard(&sb, dir.path(), &["state", "show", "nobody"]);
        if let Some(url) = &url {
            let migrated = support::onboard(&sb, dir.path(), &["state", "migrate", "--to", url])
                .output()
                .unwrap();
            assert!(migrated.status.success(), "{}", stderr(&migrated));
            cmd.arg("--state-url").arg(url);
        }
        let out = cmd.output().unwrap();
        assert_eq!(out.status.code(), Some(1));
        let err = support::flat(&stderr(&out));
        assert!(err.contains("no state for run key `nobody`"), "{err}");
        assert!(
            err.contains("run keys recorded there: own-account"),
            "{err}"
        );
    }
    rt.block_on(sb.shutdown());
}

#[test]
fn sslmode_require_against_a_server_without_tls_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}?sslmode=require", support_pg::database());
    let out = support::binary()
        .args(["state", "list", "--state-url", &url, "--state-dir"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = support::flat(&stderr(&out));
    assert!(
        err.contains("cannot connect to the state database"),
        "{err}"
    );
    assert!(err.to_lowercase().contains("tls"), "{err}");
}

/// A row belongs to the playbook and run key it is keyed by: a document that records others
/// (copied by hand, say) is refused naming both, and nothing is planned from it.
#[test]
fn a_row_whose_document_records_another_playbook_is_refused_naming_both() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let url = support_pg::database();
    let dir = tempfile::tempdir().unwrap();
    ok(onboard(
        &sb,
        dir.path(),
        &url,
        &[
            "apply",
            "playbooks/quickstart.yaml",
            "--yes",
            "--discard-secrets",
        ],
    ));
    let db = support_pg::db_name(&url);
    support_pg::psql(
        db,
        "UPDATE onboard_state SET doc = jsonb_set(doc, '{playbook}', '\"other\"')",
    );
    let out = onboard(
        &sb,
        dir.path(),
        &url,
        &["plan", "playbooks/quickstart.yaml"],
    )
    .output()
    .unwrap();
    let text = support::flat(&stderr(&out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("records the state of playbook `other`")
            && text.contains("not of playbook `quickstart`"),
        "{text}"
    );
    rt.block_on(sb.shutdown());
}

/// PostgreSQL: apply records the template version in the row's document; `state mv` moves the
/// row to the new run key (refused when that key has a state), and a plan under the old key's
/// domain from an inventory names the command until it ran.
#[test]
fn the_template_version_and_state_mv_live_in_postgres_too() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let url = support_pg::database();
    let dir = tempfile::tempdir().unwrap();
    let playbook = dir.path().join("customer.yaml");
    std::fs::copy("playbooks/msp-customer.yaml", &playbook).unwrap();
    let pb = playbook.to_str().unwrap();
    let mut first = onboard(&sb, dir.path(), &url, &["apply", pb]);
    first.args(ACME).args(["--yes", "--discard-secrets"]);
    ok(first);
    let state = state_show(&sb, dir.path(), &url, "acme.example");
    assert_eq!(state["template_digest"].as_str().map(str::len), Some(64));
    assert!(
        state.get("template_commit").is_none(),
        "not in a git work tree"
    );

    let inv = dir.path().join("inventory.yaml");
    std::fs::write(
        &inv,
        format!(
            "playbook: {pb}\ncustomers:\n  acme:\n    customer: Acme\n    domain: acme.example\n    admins: [ops@acme.example]\n"
        ),
    )
    .unwrap();
    let inv = inv.to_str().unwrap();
    let out = onboard(&sb, dir.path(), &url, &["plan", "--inventory", inv])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = support::flat(&stderr(&out));
    assert!(
        err.contains("already recorded under run key `acme.example`")
            && err.contains("`onboard state mv acme.example acme --state-url postgres://"),
        "{err}"
    );
    ok(onboard(
        &sb,
        dir.path(),
        &url,
        &["state", "mv", "acme.example", "acme"],
    ));
    let moved = state_show(&sb, dir.path(), &url, "acme");
    assert_eq!(moved["run_key"], "acme");
    assert_eq!(moved["template_digest"], state["template_digest"]);
    let gone = onboard(&sb, dir.path(), &url, &["state", "show", "acme.example"])
        .output()
        .unwrap();
    assert_eq!(gone.status.code(), Some(1));
    let plan = onboard(
        &sb,
        dir.path(),
        &url,
        &["plan", "--inventory", inv, "--detailed-exitcode"],
    )
    .output()
    .unwrap();
    assert_eq!(
        plan.status.code(),
        Some(0),
        "{}{}",
        stdout(&plan),
        stderr(&plan)
    );
    assert!(stdout(&plan).contains("(current)"), "{}", stdout(&plan));
}
