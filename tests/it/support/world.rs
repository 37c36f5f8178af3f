//! Reading what happened behind the engine's back and on disk: the world's objects by id, the
//! request log's writes, plain API calls as an admin would make them by hand, the state file
//! and the run journal.

use onboard_sandbox::SandboxHandle;
use serde_json::Value;
use std::path::{Path, PathBuf};

use super::PAT;

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

/// Requests other than GET with `seq > after`, as `METHOD path`.
pub fn writes_after(sb: &SandboxHandle, after: u64) -> Vec<String> {
    sb.log()
        .iter()
        .filter(|e| e.seq > after && e.method != "GET")
        .map(|e| format!("{} {}", e.method, e.path))
        .collect()
}

/// Requests other than GET with `seq > after` whose path contains `part`, as `METHOD path`,
/// sorted: the writes of steps on one level run concurrently, their order is the scheduler's.
pub fn writes_to(sb: &SandboxHandle, after: u64, part: &str) -> Vec<String> {
    let mut w = writes_after(sb, after);
    w.retain(|r| r.contains(part));
    w.sort();
    w
}

/// The JSON body of the last request other than GET whose path starts with `prefix`.
pub fn last_body(sb: &SandboxHandle, prefix: &str) -> Value {
    let log = sb.log();
    let write = log
        .iter()
        .rev()
        .find(|e| e.method != "GET" && e.path.starts_with(prefix));
    let write = write.unwrap_or_else(|| panic!("no write to {prefix}"));
    write.body.clone().expect("a JSON body")
}

/// The objects of one table of the tenant with `domain`, as the sandbox keeps them.
pub fn tenant_table(sb: &SandboxHandle, domain: &str, table: &str) -> Vec<Value> {
    let world = sb.world();
    let tid = super::tenant_id(&world, domain);
    super::account(&world, &tid)[table]
        .as_array()
        .cloned()
        .unwrap_or_default()
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
    let text = std::fs::read_to_string(state_path(state)).expect("state file readable");
    serde_json::from_str(&text).expect("state file is JSON")
}

/// The path of the one state file under `<state>/state/`.
pub fn state_path(state: &Path) -> PathBuf {
    let files = files_under(&state.join("state"), "json");
    assert_eq!(files.len(), 1, "state files: {files:?}");
    files[0].clone()
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
