//! A state belongs to the API it was made against: its URL and the PAT's own account. A plan,
//! apply or destroy against another one is refused before anything is written, naming both, unless
//! `--rebind-state` moves the state to it; a state without the record (an older onboard's)
//! adopts the API it first meets; `--sandbox` is bound to its world file, not to its port.

use crate::support::pg as support_pg;
use crate::support::{self, binary, flat, sandbox, state_file, state_path, stderr, stdout};
use onboard_sandbox::SandboxHandle;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output};

const ACME: [&str; 7] = [
    "playbooks/msp-customer.yaml",
    "--set",
    "customer=Acme",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[ops@acme.example]",
];

/// `onboard COMMAND ACME ARGS` against `sb`, with `--state-url` when given.
fn onboard(sb: &SandboxHandle, dir: &Path, pg: Option<&str>, args: &[&str]) -> Command {
    let mut cmd = support::onboard(sb, dir, &args[..1]);
    cmd.args(ACME).args(&args[1..]);
    if let Some(url) = pg {
        cmd.arg("--state-url").arg(url);
    }
    match args[0] {
        "apply" => cmd.args(["--yes", "--discard-secrets"]),
        "destroy" => cmd.arg("--yes"),
        _ => &mut cmd,
    };
    cmd
}

fn run(cmd: &mut Command) -> Output {
    cmd.output().expect("onboard runs")
}

fn ok(mut cmd: Command) -> Output {
    let out = run(&mut cmd);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

/// A refusal naming both APIs (URL and account) and the flag that moves the state.
fn assert_refused(out: &Output, recorded: &SandboxHandle, here: &SandboxHandle) {
    let text = flat(&stderr(out));
    assert_eq!(out.status.code(), Some(1), "{text}");
    for part in [
        format!(
            "was made against {} (account {}), not {} (account {})",
            recorded.url(),
            recorded.msp_account_id(),
            here.url(),
            here.msp_account_id()
        ),
        "--rebind-state".to_owned(),
    ] {
        assert!(text.contains(&part), "`{part}` not in: {text}");
    }
}

fn writes(sb: &SandboxHandle) -> usize {
    support::writes(&sb.log()).len()
}

/// The state's recorded API, local file or database row.
fn recorded(sb: &SandboxHandle, dir: &Path, pg: Option<&str>) -> Value {
    let state = match pg {
        None => state_file(dir),
        Some(url) => {
            let mut cmd = support::onboard(sb, dir, &["state", "show", "acme.example"]);
            cmd.arg("--state-url").arg(url);
            let out = ok(cmd);
            serde_json::from_slice(&out.stdout).expect("state show prints JSON")
        }
    };
    state["api"].clone()
}

fn another_api_is_refused_and_rebind_moves_the_state(pg: Option<&str>) {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (a, b) = (sandbox(&rt), sandbox(&rt));
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    ok(onboard(&a, dir, pg, &["apply"]));
    assert_eq!(
        recorded(&a, dir, pg),
        serde_json::json!({"url": a.url(), "account": a.msp_account_id()})
    );

    // plan and apply against another API: refused before any write, naming both.
    assert_refused(&run(&mut onboard(&b, dir, pg, &["plan"])), &a, &b);
    assert_refused(&run(&mut onboard(&b, dir, pg, &["apply"])), &a, &b);
    assert_refused(&run(&mut onboard(&b, dir, pg, &["destroy"])), &a, &b);
    assert_eq!(writes(&b), 0, "a refused apply or destroy wrote");

    // --rebind-state: the plan uses the state here; the apply records this API.
    ok(onboard(&b, dir, pg, &["plan", "--rebind-state"]));
    ok(onboard(&b, dir, pg, &["apply", "--rebind-state"]));
    assert_eq!(
        recorded(&b, dir, pg),
        serde_json::json!({"url": b.url(), "account": b.msp_account_id()})
    );
    ok(onboard(&b, dir, pg, &["plan"]));
    assert_refused(&run(&mut onboard(&a, dir, pg, &["plan"])), &b, &a);

    // drift reads nothing with another API's ids: the customer is unknown, with the reason.
    let before = a.log().len();
    let out = run(&mut onboard(&a, dir, pg, &["drift", "--format", "json"]));
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let report: Value = serde_json::from_slice(&out.stdout).expect("drift prints JSON");
    let customer = &report["customers"][0];
    assert_eq!(customer["status"], "unknown", "{report}");
    let error = customer["error"].as_str().unwrap_or_default();
    assert!(
        error.contains(&format!("was made against {}", b.url())),
        "{error}"
    );
    let audit = a.log().into_iter().skip(before);
    assert!(
        !audit.into_iter().any(|e| e.path.starts_with("/api/events")),
        "drift read the audit log of another API"
    );
}

#[test]
fn a_state_made_against_one_api_is_refused_by_another_until_rebound() {
    another_api_is_refused_and_rebind_moves_the_state(None);
}

#[test]
fn a_state_in_postgres_made_against_one_api_is_refused_by_another_until_rebound() {
    let url = support_pg::database();
    another_api_is_refused_and_rebind_moves_the_state(Some(&url));
}

/// An older onboard's state (no `api`) is used as it is, and the first apply records the API
/// it meets; from then on another API is refused.
#[test]
fn an_older_state_adopts_the_first_api_it_meets() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (a, b) = (sandbox(&rt), sandbox(&rt));
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    ok(onboard(&a, dir, None, &["apply"]));
    let path = state_path(dir);
    let mut state: Value =
        serde_json::from_str(&std::fs::read_to_string(&path).expect("state")).expect("JSON");
    state.as_object_mut().expect("an object").remove("api");
    std::fs::write(&path, state.to_string()).expect("write the older state");

    ok(onboard(&a, dir, None, &["plan"]));
    assert_eq!(
        recorded(&a, dir, None),
        Value::Null,
        "a plan wrote the state"
    );
    ok(onboard(&a, dir, None, &["apply"]));
    assert_eq!(recorded(&a, dir, None)["url"], Value::from(a.url()));
    assert_refused(&run(&mut onboard(&b, dir, None, &["plan"])), &a, &b);
}

/// `--sandbox` listens on a new port every run: its state is bound to its world file, so a
/// second run against the same world uses the first one's state.
#[test]
fn the_embedded_sandbox_is_bound_to_its_world_file_not_its_port() {
    let dir = tempfile::tempdir().expect("tempdir");
    let apply = || {
        let mut cmd = binary();
        cmd.args(["apply", "playbooks/quickstart.yaml", "--sandbox", "--yes"])
            .args(["--discard-secrets", "--state-dir"])
            .arg(dir.path())
            .env_remove("NB_MANAGEMENT_URL")
            .env_remove("NB_PAT")
            .env_remove("ONBOARD_STATE_URL");
        ok(cmd)
    };
    apply();
    let api = state_file(dir.path())["api"].clone();
    let world = std::fs::canonicalize(dir.path())
        .expect("state dir")
        .join("sandbox.json");
    assert_eq!(
        api["url"],
        Value::from(format!("sandbox:{}", world.display()))
    );
    let ids = |state: &Value| -> Vec<Value> {
        let steps = state["steps"].as_object().expect("steps recorded");
        steps.values().map(|r| r["id"].clone()).collect()
    };
    let before = ids(&state_file(dir.path()));
    apply();
    let after = state_file(dir.path());
    assert_eq!(after["api"], api);
    assert_eq!(ids(&after), before, "the second run made its objects again");
}

/// The same server written another way (a trailing `/`, upper case) is the same API.
#[test]
fn the_same_server_spelt_another_way_is_not_refused() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let mut apply = onboard(&sb, dir, None, &["apply"]);
    apply.env("NB_MANAGEMENT_URL", format!("{}/", sb.url()));
    ok(apply);
    let shouted = sb.url().to_uppercase();
    let mut plan = onboard(&sb, dir, None, &["plan"]);
    plan.env("NB_MANAGEMENT_URL", format!("{shouted}//"));
    ok(plan);
    assert_eq!(recorded(&sb, dir, None)["url"], Value::from(sb.url()));
}
