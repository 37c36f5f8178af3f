//! The one test kit of the end-to-end tests (`tests/it/*.rs`): an in-process sandbox, the
//! real binary against it, and questions about the sandbox's world, its request log, the state
//! and the journal (`world.rs`). Helpers panic with a message (`expect`), never `unwrap`.

pub mod generate;
pub mod pg;
mod world;

pub use world::*;

use onboard_sandbox::{LogEntry, Sandbox, SandboxConfig, SandboxHandle};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The MSP owner's PAT in every test sandbox; recognisable, so a leak is easy to find.
pub const PAT: &str = "nbp_RecognisablePatForLeakTests000000000";

/// An MSP sandbox without a rate limit.
pub fn sandbox(rt: &tokio::runtime::Runtime) -> SandboxHandle {
    sandbox_with(
        rt,
        SandboxConfig {
            rate_limit: None,
            ..SandboxConfig::default()
        },
    )
}

/// A sandbox with this configuration and [`PAT`] as the owner's token.
pub fn sandbox_with(rt: &tokio::runtime::Runtime, cfg: SandboxConfig) -> SandboxHandle {
    let cfg = SandboxConfig {
        token: Some(PAT.into()),
        ..cfg
    };
    rt.block_on(Sandbox::start(cfg)).expect("sandbox starts")
}

/// `onboard apply ARGS --yes --discard-secrets --state-dir STATE` against the sandbox, with
/// [`PAT`] (a test that wants the secrets passes `--outputs FILE`).
pub fn command(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Command {
    let mut cmd = onboard(sb, state, &["apply"]);
    cmd.args(args).args(["--yes", "--discard-secrets"]);
    cmd
}

/// The `onboard` binary Cargo built for these tests, as a command with nothing set but one
/// thing: the fixtures' template version is their digest, not the commit this repository is
/// at (which every commit moves), so git does not look above the package's root. The one way
/// the tests find it.
pub fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onboard"));
    cmd.env("GIT_CEILING_DIRECTORIES", env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// `onboard ARGS --state-dir STATE` against the sandbox, with [`PAT`]: any command.
pub fn onboard(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Command {
    let mut cmd = binary();
    cmd.args(args)
        .arg("--state-dir")
        .arg(state)
        .env("NB_MANAGEMENT_URL", sb.url())
        .env("NB_PAT", PAT)
        // Real backoff would only slow the fault tests down; the policy is the same.
        .env("ONBOARD_RETRY_DELAY_MS", "20")
        .env_remove("RUST_LOG")
        .env_remove("ONBOARD_STATE_URL");
    cmd
}

/// Runs apply and returns what it printed, whatever its exit code.
pub fn run(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Output {
    command(sb, state, args).output().expect("onboard runs")
}

/// Runs apply and insists that it succeeded.
pub fn apply(sb: &SandboxHandle, state: &Path, args: &[&str]) -> Output {
    let out = run(sb, state, args);
    assert!(
        out.status.success(),
        "apply {args:?} failed ({:?}):\n{}\n{}",
        out.status.code(),
        stdout(&out),
        stderr(&out)
    );
    out
}

pub fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Everything a command printed: stdout, then stderr.
pub fn printed(out: &Output) -> String {
    format!("{}{}", stdout(out), stderr(out))
}

/// Text with miette's frame (`×`, `│`) and line wrapping undone, for `contains` checks.
pub fn flat(text: &str) -> String {
    text.replace(['│', '×'], " ")
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

// --- the request log -------------------------------------------------------------------

/// Requests that may change something (everything but GET).
pub fn writes(log: &[LogEntry]) -> Vec<&LogEntry> {
    log.iter().filter(|e| e.method != "GET").collect()
}

/// How many requests answered `status`.
pub fn with_status(log: &[LogEntry], status: u16) -> usize {
    log.iter().filter(|e| e.status == status).count()
}

fn is_tenant_endpoint(e: &LogEntry) -> bool {
    e.path.starts_with("/api/integrations/msp/tenants")
}

/// What a tenant-scoped apply must show in the log:
/// - every request that ran in a tenant asked for it with `?account=` (none got there by
///   accident), and every `?account=` was honoured and names one of `tenants`;
/// - a request without `?account=` ran in the MSP account and is a read or a tenant call, so
///   no write reached the MSP account except the tenant itself;
/// - in every tenant, `GET /api/accounts?account=<id>` proved the scoping before the first
///   write was sent there.
pub fn assert_tenant_scoping(log: &[LogEntry], msp: &str, tenants: &[String]) {
    for e in log {
        let what = format!("{} {} (seq {})", e.method, e.path, e.seq);
        match &e.account {
            Some(a) => {
                assert!(tenants.contains(a), "{what}: ?account={a} is not a tenant");
                assert_eq!(e.effective_account.as_ref(), Some(a), "{what}: fell back");
            }
            None => {
                assert_eq!(e.effective_account.as_deref(), Some(msp), "{what}");
                assert!(
                    e.method == "GET" || is_tenant_endpoint(e),
                    "{what}: a write reached the MSP account"
                );
            }
        }
    }
    for t in tenants {
        let proof = log
            .iter()
            .find(|e| {
                e.method == "GET"
                    && e.path == "/api/accounts"
                    && e.account.as_ref() == Some(t)
                    && e.status == 200
            })
            .unwrap_or_else(|| panic!("no GET /api/accounts?account={t}"));
        let first_write = log
            .iter()
            .filter(|e| e.method != "GET" && e.account.as_ref() == Some(t))
            .min_by_key(|e| e.started_ms)
            .unwrap_or_else(|| panic!("nothing was written in tenant {t}"));
        assert!(
            proof.finished_ms <= first_write.started_ms && proof.seq < first_write.seq,
            "tenant {t}: {} {} was sent before the scoping was proven",
            first_write.method,
            first_write.path
        );
    }
}

/// What a standalone apply must show: nothing asked for another account, everything ran in
/// the PAT's own account.
pub fn assert_own_account_only(log: &[LogEntry], own: &str) {
    for e in log {
        assert_eq!(e.account, None, "{} {}", e.method, e.path);
        assert_eq!(
            e.effective_account.as_deref(),
            Some(own),
            "{} {}",
            e.method,
            e.path
        );
    }
}

// --- the world -------------------------------------------------------------------------

/// One account of the world.
pub fn account<'w>(world: &'w Value, id: &str) -> &'w Value {
    let a = &world["accounts"][id];
    assert!(a.is_object(), "no account {id} in the world");
    a
}

/// The id of the one tenant with this domain.
pub fn tenant_id(world: &Value, domain: &str) -> String {
    let found: Vec<&Value> = world["tenants"]
        .as_array()
        .expect("the world lists tenants")
        .iter()
        .filter(|t| t["domain"] == domain)
        .collect();
    assert_eq!(found.len(), 1, "tenants with domain {domain}");
    found[0]["id"].as_str().expect("a tenant id").to_owned()
}

/// The field that names an object of a collection.
fn identity(collection: &str) -> &'static str {
    match collection {
        "users" => "email",
        _ => "name",
    }
}

/// The one object of `collection` named `name` (users: by email); fails unless exactly one.
pub fn one<'w>(acct: &'w Value, collection: &str, name: &str) -> &'w Value {
    let field = identity(collection);
    let found: Vec<&Value> = objects(acct, collection)
        .iter()
        .filter(|o| o[field] == name)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "account {}: {collection} named {name:?} should exist exactly once",
        acct["domain"]
    );
    found[0]
}

/// Every `(collection, name)` exists exactly once in the account.
pub fn exactly_once(acct: &Value, objects: &[(&str, &str)]) {
    for (collection, name) in objects {
        one(acct, collection, name);
    }
}

/// The names in a collection, sorted: for "this and nothing else".
pub fn names(acct: &Value, collection: &str) -> Vec<String> {
    let field = identity(collection);
    let mut out: Vec<String> = objects(acct, collection)
        .iter()
        .map(|o| o[field].as_str().unwrap_or_default().to_owned())
        .collect();
    out.sort();
    out
}

/// The id of the one object of `collection` named `name`.
pub fn id(acct: &Value, collection: &str, name: &str) -> String {
    one(acct, collection, name)["id"]
        .as_str()
        .expect("an object id")
        .to_owned()
}

/// The ids in a list of ids or of objects with an `id` (policy rule sources, resource groups).
pub fn ids(list: &Value) -> Vec<String> {
    list.as_array()
        .unwrap_or_else(|| panic!("not a list: {list}"))
        .iter()
        .map(|v| v.get("id").unwrap_or(v).as_str().expect("an id").to_owned())
        .collect()
}

/// `account` without the fields every authenticated request touches (token `last_used`,
/// user `last_login`), so before/after comparisons see only real changes.
pub fn without_usage_stamps(acct: &Value) -> Value {
    let mut a = acct.clone();
    for (collection, field) in [("tokens", "last_used"), ("users", "last_login")] {
        for o in a[collection].as_array_mut().into_iter().flatten() {
            if let Some(o) = o.as_object_mut() {
                o.remove(field);
            }
        }
    }
    a
}

// --- files -----------------------------------------------------------------------------

/// Every file under `dir`, recursively (none when it does not exist).
pub fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

/// The file's permission bits are 0600.
#[cfg(unix)]
pub fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600, "{} has mode {mode:o}", path.display());
}

#[cfg(not(unix))]
pub fn assert_private(_path: &Path) {}
