//! Helpers for the `resume_*` end-to-end tests: a sandbox with a known PAT, the real binary
//! against it, plain HTTP calls behind the engine's back, and readers for the world, the
//! request log, the state file and the run journal.

#![allow(dead_code)] // each test binary uses a different subset

use onboard_sandbox::{Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub const PAT: &str = "nbp_ResumeTestsPat0000000000000000000000";

/// A sandbox without rate limit, with the faults of `cfg` (its token is replaced).
pub fn sandbox(rt: &tokio::runtime::Runtime, cfg: SandboxConfig) -> SandboxHandle {
    let cfg = SandboxConfig {
        token: Some(PAT.into()),
        rate_limit: None,
        ..cfg
    };
    rt.block_on(Sandbox::start(cfg)).expect("sandbox starts")
}

/// `onboard apply ARGS --yes --state-dir STATE` against the sandbox, not yet started.
pub fn apply_cmd(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onboard"));
    cmd.arg("apply")
        .args(args)
        .args(["--yes", "--state-dir"])
        .arg(state)
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        .env_remove("RUST_LOG")
        .env_remove("ONBOARD_STATE_URL");
    cmd
}

/// Runs apply to the end and insists that it succeeded.
pub fn apply_ok(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Output {
    let out = apply_cmd(sb, state, args).output().expect("onboard runs");
    assert!(
        out.status.success(),
        "apply failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// The id of the tenant with `domain`; there must be exactly one.
pub fn tenant_id(world: &Value, domain: &str) -> String {
    let found: Vec<&Value> = world["tenants"]
        .as_array()
        .expect("tenants in the world")
        .iter()
        .filter(|t| t["domain"] == domain)
        .collect();
    assert_eq!(found.len(), 1, "tenants with domain {domain}: {found:?}");
    found[0]["id"].as_str().expect("tenant id").to_owned()
}

/// The objects of `collection` in an account of the world.
pub fn objects<'a>(account: &'a Value, collection: &str) -> &'a [Value] {
    account[collection]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_else(|| panic!("no collection {collection} in the account"))
}

/// The objects of `collection` whose `name` is `name`.
pub fn named<'a>(account: &'a Value, collection: &str, name: &str) -> Vec<&'a Value> {
    objects(account, collection)
        .iter()
        .filter(|o| o["name"] == name)
        .collect()
}

/// The one object of `collection` named `name`.
pub fn one<'a>(account: &'a Value, collection: &str, name: &str) -> &'a Value {
    let found = named(account, collection, name);
    assert_eq!(found.len(), 1, "{collection} named {name:?}: {found:#?}");
    found[0]
}

/// The id of the one object of `collection` named `name`.
pub fn id_of(account: &Value, collection: &str, name: &str) -> String {
    one(account, collection, name)["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

/// Ids in a list of ids or of `{id, ...}` objects, sorted.
pub fn ids(list: &Value) -> Vec<String> {
    let mut out: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .map(|v| {
            v.as_str()
                .or_else(|| v["id"].as_str())
                .expect("an id or an object with an id")
                .to_owned()
        })
        .collect();
    out.sort();
    out
}

/// Requests other than GET with `seq > after`, as `METHOD path`.
pub fn writes_after(sb: &SandboxHandle, after: u64) -> Vec<String> {
    sb.log()
        .iter()
        .filter(|e| e.seq > after && e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

/// The highest request sequence number so far (0 before any request).
pub fn last_seq(sb: &SandboxHandle) -> u64 {
    sb.log().iter().map(|e| e.seq).max().unwrap_or(0)
}

/// A call to the sandbox's API with the PAT, as a user would make it by hand; `account`
/// becomes `?account=`. Panics unless the answer is a success.
pub fn call(
    rt: &tokio::runtime::Runtime,
    sb: &SandboxHandle,
    method: &str,
    path: &str,
    account: Option<&str>,
    body: Option<&Value>,
) -> Value {
    let url = match account {
        Some(a) => format!("{}{path}?account={a}", sb.url()),
        None => format!("{}{path}", sb.url()),
    };
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("an HTTP method");
    rt.block_on(async {
        let mut req = reqwest::Client::new()
            .request(method.clone(), &url)
            .header("Authorization", format!("Token {PAT}"));
        if let Some(body) = body {
            req = req.json(body);
        }
        let resp = req.send().await.expect("the sandbox answers");
        let status = resp.status();
        let text = resp.text().await.expect("a body");
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        serde_json::from_str(&text).expect("a JSON answer")
    })
}

/// The one state file under `<state>/state/`.
pub fn state_file(state: &Path) -> Value {
    let files = files_under(&state.join("state"), "json");
    assert_eq!(files.len(), 1, "state files: {files:?}");
    let text = std::fs::read_to_string(&files[0]).expect("state file readable");
    serde_json::from_str(&text).expect("state file is JSON")
}

/// Every journal event of every run so far, run by run (file names sort by time).
pub fn journal(state: &Path) -> Vec<Vec<Value>> {
    let mut files = files_under(&state.join("runs"), "jsonl");
    files.sort();
    files
        .iter()
        .map(|f| {
            std::fs::read_to_string(f)
                .expect("journal readable")
                .lines()
                // A run killed mid-write may leave a torn last line; everything else parses.
                .filter_map(|l| serde_json::from_str(l).ok())
                .collect()
        })
        .collect()
}

fn files_under(dir: &Path, ext: &str) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(files_under(&p, ext));
        } else if p.extension().is_some_and(|e| e == ext)
            && !p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with('.'))
        {
            out.push(p);
        }
    }
    out
}

/// Every object in any account of the world, by id: `(account id, collection, object)`.
pub fn find_by_id<'a>(world: &'a Value, id: &str) -> Vec<(String, String, &'a Value)> {
    let mut out = Vec::new();
    for (acct_id, acct) in world["accounts"].as_object().expect("accounts") {
        for (coll, items) in acct.as_object().expect("an account") {
            for o in items.as_array().into_iter().flatten() {
                if o["id"] == id {
                    out.push((acct_id.clone(), coll.clone(), o));
                }
            }
        }
    }
    out
}

/// The world's collection for a state record's `type`.
pub fn collection_of(ty: &str) -> &'static str {
    match ty {
        "group" => "groups",
        "setup_key" => "setup_keys",
        "policy" => "policies",
        "posture_check" => "posture_checks",
        "network" => "networks",
        "network_resource" => "network_resources",
        "network_router" => "network_routers",
        "route" => "routes",
        "nameserver_group" => "nameserver_groups",
        "user" => "users",
        "token" => "tokens",
        other => panic!("no collection for state type {other}"),
    }
}
