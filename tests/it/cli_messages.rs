//! The failures a new user meets before anything is planned, and the escaping of Markdown and
//! Mermaid output, snapshotted: each message says what failed, why and what to do.
//!
//! Every case runs the real binary from the workspace root without colour and snapshots
//! stderr (or stdout for the escaping cases) as `tests/it/snapshots/it__cli_messages__<case>.snap`.
//! Addresses of local listeners change from run to run and are replaced by `127.0.0.1:PORT`.
//! The duplicate-key case lives with the other invalid playbooks
//! (`tests/inputs/invalid/47-duplicate-key.yaml`, run by `cli_validate`).

use crate::support;

use std::net::TcpListener;
use std::process::Output;

const QUICKSTART: &str = "playbooks/quickstart.yaml";

/// `onboard ARGS` from the workspace root, without colour, NB_PAT, NB_MANAGEMENT_URL or
/// RUST_LOG unless `env` sets them.
fn onboard(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = support::binary();
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("NO_COLOR", "1")
        .env_remove("RUST_LOG")
        .env_remove("NB_PAT")
        .env_remove("NB_MANAGEMENT_URL")
        .args(args)
        .args(["--color", "never"]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output()
        .unwrap_or_else(|e| panic!("cannot run onboard: {e}"))
}

/// stderr of a run that must fail with exit code 1, with `port` written as `PORT`.
fn failure(out: &Output, port: Option<u16>) -> String {
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert_eq!(out.status.code(), Some(1), "stderr:\n{stderr}");
    match port {
        Some(p) => stderr.replace(&format!("127.0.0.1:{p}"), "127.0.0.1:PORT"),
        None => stderr,
    }
}

/// A local port with nothing listening on it.
fn closed_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").expect("a free port");
    l.local_addr().expect("an address").port()
}

#[test]
fn no_token() {
    let out = onboard(&["plan", QUICKSTART], &[]);
    insta::assert_snapshot!("no_token", failure(&out, None));
}

#[test]
fn wrong_token_is_one_message_naming_the_api() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox(&rt);
    let url = sb.url();
    let out = onboard(
        &["plan", QUICKSTART],
        &[
            ("NB_MANAGEMENT_URL", &url),
            ("NB_PAT", "nbp_notTheRightToken"),
        ],
    );
    let text = failure(&out, Some(sb.addr().port()));
    assert!(
        !text.contains("nbp_notTheRightToken"),
        "the token was printed"
    );
    insta::assert_snapshot!("wrong_token", text);
}

#[test]
fn api_down_names_the_host_and_shows_the_retry() {
    let port = closed_port();
    let url = format!("http://127.0.0.1:{port}");
    let out = onboard(
        &["plan", QUICKSTART],
        &[("NB_MANAGEMENT_URL", &url), ("NB_PAT", support::PAT)],
    );
    insta::assert_snapshot!("api_down", failure(&out, Some(port)));
}

/// A server that accepts every connection and resets it (the request unread): the command
/// stops at the connection check, naming the URL, what was tried and what to check, after
/// exactly the attempts the check allows, not the check's and then the plan's own retries.
#[test]
fn a_server_that_resets_every_connection_costs_the_checks_attempts_only() {
    use std::io::Read;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = listener.local_addr().expect("an address").port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            count.fetch_add(1, Ordering::SeqCst);
            // Read a byte of the request and close with the rest unread: the kernel resets.
            let _ = stream.read(&mut [0u8; 1]);
            drop(stream);
        }
    });
    let url = format!("http://127.0.0.1:{port}");
    let out = onboard(
        &["plan", QUICKSTART],
        &[("NB_MANAGEMENT_URL", &url), ("NB_PAT", support::PAT)],
    );
    let text = support::flat(&failure(&out, None));
    let allowed = onboard_engine::ops::connect::CHECK_RETRY.max_retries as usize + 1;
    assert_eq!(accepted.load(Ordering::SeqCst), allowed, "{text}");
    for part in [
        format!("cannot reach the NetBird API at {url}"),
        "GET /api/accounts had its connection closed or reset before an answer".to_owned(),
        format!("({allowed} attempt(s), the check allows {allowed})"),
        "check that NB_MANAGEMENT_URL is the management server's address".to_owned(),
    ] {
        assert!(text.contains(&part), "`{part}` not in: {text}");
    }
}

#[test]
fn base_url_ending_in_api() {
    let out = onboard(
        &["plan", QUICKSTART],
        &[
            ("NB_MANAGEMENT_URL", "https://netbird.example.com/api/"),
            ("NB_PAT", support::PAT),
        ],
    );
    insta::assert_snapshot!("base_url_api", failure(&out, None));
}

#[test]
fn base_url_that_is_not_netbird() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox(&rt);
    let url = format!("{}/netbird", sb.url());
    let out = onboard(
        &["plan", QUICKSTART],
        &[("NB_MANAGEMENT_URL", &url), ("NB_PAT", support::PAT)],
    );
    insta::assert_snapshot!("not_netbird", failure(&out, Some(sb.addr().port())));
}

#[test]
fn cannot_listen_says_why() {
    let taken = TcpListener::bind("127.0.0.1:0").expect("a free port");
    let port = taken.local_addr().expect("an address").port();
    let addr = format!("127.0.0.1:{port}");
    let out = onboard(&["sandbox", "--listen", &addr], &[]);
    insta::assert_snapshot!("cannot_listen", failure(&out, Some(port)));
}

/// stdout of a successful run.
fn stdout_of(args: &[&str]) -> String {
    let out = onboard(args, &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn markdown_escapes_pipes_and_backticks() {
    let text = stdout_of(&[
        "plan",
        "--offline",
        "tests/inputs/messages/escaping.yaml",
        "--format",
        "markdown",
    ]);
    // Every row of a table has as many cells as its header (unescaped pipes).
    let cells = |row: &str| row.replace("\\|", "").matches('|').count();
    let mut header = None;
    for line in text.lines() {
        if !line.starts_with('|') {
            header = None;
            continue;
        }
        let want = *header.get_or_insert(cells(line));
        assert_eq!(cells(line), want, "a value broke the table: {line}");
    }
    insta::assert_snapshot!("escaping_markdown", text);
}

#[test]
fn mermaid_renames_keyword_ids() {
    let text = stdout_of(&[
        "graph",
        "tests/inputs/messages/escaping.yaml",
        "--format",
        "mermaid",
    ]);
    for line in text.lines().skip(1) {
        let first = line.split_whitespace().next().unwrap_or_default();
        let id = first.split('[').next().unwrap_or_default();
        assert!(
            !["end", "graph"].contains(&id),
            "a keyword as a node id: {line}"
        );
    }
    insta::assert_snapshot!("escaping_mermaid", text);
}

#[test]
fn the_inventory_names_the_playbook() {
    let out = onboard(
        &["validate", "--inventory", "playbooks/customers.yaml"],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    for key in ["acme", "globex", "initech"] {
        assert!(
            stderr.contains(&format!(
                "playbooks/msp-customer.yaml: valid (run key `{key}`"
            )),
            "{stderr}"
        );
    }
    // The same file, spelled differently, is the same playbook.
    let out = onboard(
        &[
            "validate",
            "./playbooks/../playbooks/msp-customer.yaml",
            "--inventory",
            "playbooks/customers.yaml",
        ],
        &[],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn another_playbook_than_the_inventorys_is_an_error() {
    let out = onboard(
        &[
            "plan",
            "--offline",
            QUICKSTART,
            "--inventory",
            "playbooks/customers.yaml",
        ],
        &[],
    );
    assert!(out.stdout.is_empty(), "a plan was printed");
    insta::assert_snapshot!("inventory_other_playbook", failure(&out, None));
}

#[test]
fn a_service_user_pat_is_refused_for_a_tenant_naming_the_user() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let customer = [
        "playbooks/msp-customer.yaml",
        "--set",
        "customer=Acme",
        "--set",
        "domain=acme.example",
    ];
    support::apply(&sb, dir.path(), &customer);
    let http = reqwest::Client::new();
    let post = |path: String, body: serde_json::Value| {
        let req = http
            .post(format!("{}{path}", sb.url()))
            .header("Authorization", format!("Token {}", support::PAT))
            .json(&body);
        rt.block_on(async {
            req.send()
                .await
                .expect("answer")
                .json::<serde_json::Value>()
                .await
        })
        .expect("json")
    };
    let user = post(
        "/api/users".into(),
        serde_json::json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true}),
    );
    let id = user["id"].as_str().expect("a user id");
    let token = post(
        format!("/api/users/{id}/tokens"),
        serde_json::json!({"name": "ci", "expires_in": 30}),
    );
    let pat = token["plain_token"].as_str().expect("a token");
    let url = sb.url();
    let state = dir.path().to_str().unwrap();
    let mut args = vec!["plan"];
    args.extend(customer);
    args.extend(["--state-dir", state]);
    let out = onboard(&args, &[("NB_MANAGEMENT_URL", &url), ("NB_PAT", pat)]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(!stderr.contains(pat), "the token was printed");
    let tenant = support::tenant_id(&sb.world(), "acme.example");
    let text = stderr
        .replace(&tenant, "TENANT")
        .replace(&sb.msp_account_id(), "MSP");
    insta::assert_snapshot!("service_user_pat", text);
}

#[test]
fn destroy_with_nothing_to_delete_asks_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    // No --yes, no terminal: a question would be refused; there must be none.
    let out = onboard(&["destroy", QUICKSTART, "--state-dir", state], &[]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout).replace(state, "STATE");
    insta::assert_snapshot!("destroy_nothing", format!("{stdout}---\n{stderr}"));
}

#[test]
fn without_a_terminal_progress_lines_name_their_customer() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().to_str().unwrap();
    let out = onboard(
        &[
            "apply",
            "--inventory",
            "playbooks/customers.yaml",
            "--sandbox",
            "--yes",
            "--state-dir",
            state,
        ],
        &[],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let progress: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains(" (created)"))
        .collect();
    assert!(progress.len() >= 20, "{stderr}");
    for line in progress {
        assert!(
            ["acme: ", "globex: ", "initech: "]
                .iter()
                .any(|k| line.starts_with(k)),
            "a progress line without its customer: {line}"
        );
    }
}

/// The report of an apply against `sb` that must fail, with ids and the port made stable.
fn failed_apply(
    sb: &onboard_sandbox::SandboxHandle,
    args: &[&str],
    env: &[(&str, &str)],
) -> String {
    let dir = tempfile::tempdir().expect("a temp dir");
    let url = sb.url();
    let mut all = vec!["apply"];
    all.extend(args);
    all.extend(["--yes", "--discard-secrets", "--state-dir"]);
    let state = dir.path().to_str().expect("a UTF-8 path").to_owned();
    all.push(&state);
    let mut vars = vec![
        ("NB_MANAGEMENT_URL", url.as_str()),
        ("NB_PAT", support::PAT),
    ];
    vars.extend(env);
    let out = onboard(&all, &vars);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = format!(
        "{}---\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let ids = regex_lite_ids(&text);
    ids.into_iter()
        .fold(text, |t, id| t.replace(&id, "ID"))
        .replace(&state, "STATE")
        .replace(&sb.addr().port().to_string(), "PORT")
}

/// Every sandbox id (20 lowercase letters and digits) in `text`.
fn regex_lite_ids(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| {
            w.len() == 20
                && w.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        .map(str::to_owned)
        .collect()
}

#[test]
fn rate_limited_says_what_to_do() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox_with(
        &rt,
        onboard_sandbox::SandboxConfig {
            rate_limit: Some(onboard_sandbox::RateLimit {
                per_minute: 1,
                burst: 1,
            }),
            ..onboard_sandbox::SandboxConfig::default()
        },
    );
    // The client believes in a budget the server does not give, so every call meets a 429.
    let text = failed_apply(
        &sb,
        &[QUICKSTART, "--rate-limit", "6000", "--burst", "600"],
        &[("ONBOARD_RETRY_DELAY_MS", "1")],
    );
    insta::assert_snapshot!("rate_limited", text);
}

#[test]
fn a_referenced_group_missing_names_it() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    let playbook = dir.path().join("missing.yaml");
    std::fs::write(
        &playbook,
        "version: 1\nname: missing\nsteps:\n  - id: ops\n    type: group\n    existing: true\n    with: { name: Operations }\n",
    )
    .unwrap();
    let text = failed_apply(&sb, &[playbook.to_str().unwrap()], &[]);
    insta::assert_snapshot!("referenced_group_missing", text);
}

#[test]
fn a_tenant_domain_taken_says_so() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = support::sandbox(&rt);
    // msp.example.com is the MSP account's own domain: no tenant can have it.
    let text = failed_apply(
        &sb,
        &[
            "playbooks/msp-customer.yaml",
            "--set",
            "customer=Taken",
            "--set",
            "domain=msp.example.com",
        ],
        &[],
    );
    insta::assert_snapshot!("tenant_domain_taken", text);
}

/// Fails naming the first character of `text` that would reach a terminal raw.
fn assert_printable(what: &str, text: &str) {
    if let Some((i, c)) = text
        .char_indices()
        .find(|(_, c)| onboard_netbird::is_unsafe_char(*c))
    {
        let start = text[..i].char_indices().rev().nth(40).map_or(0, |(j, _)| j);
        panic!(
            "{what}: a raw {:?} reaches the terminal after {:?}",
            c,
            &text[start..i]
        );
    }
}

/// Control characters in a playbook's name, in an input and in what the API answers (the
/// group's name, read back as an output) are escaped in everything onboard prints: the plan,
/// the apply report with its outputs, `state list` and `state show`, in text and JSON. The
/// JSON keeps the values (a parser reads the same strings), only spelled with `\u` escapes.
#[test]
fn control_characters_from_inputs_the_api_and_names_are_escaped_wherever_printed() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = support::sandbox(&rt);
    let dir = tempfile::tempdir().expect("a temp dir");
    let playbook = dir.path().join("escapes.yaml");
    std::fs::write(
        &playbook,
        "version: 1\n\
         name: \"pb\\e]0;owned\\a\\u009b2J\\u202e\"\n\
         inputs:\n  customer: { type: string }\n\
         steps:\n  - id: servers\n    type: group\n    with: { name: \"{{ inputs.customer }}\" }\n\
         outputs:\n  group_name: \"{{ steps.servers.name }}\"\n  customer: \"{{ inputs.customer }}\"\n",
    )
    .expect("write the playbook");
    let customer = "Acme\u{1b}[2J\u{7}\u{9b}31m\u{202e}\r";
    let set = format!("customer={customer}");
    let pb = playbook.to_str().expect("a UTF-8 path");
    let state = dir.path().join("state");
    let run = |args: &[&str]| {
        let out = support::onboard(&sb, &state, args)
            .output()
            .expect("onboard runs");
        let (stdout, stderr) = (support::stdout(&out), support::stderr(&out));
        assert!(out.status.success(), "{args:?}:\n{stdout}\n{stderr}");
        assert_printable(&format!("{args:?} stdout"), &stdout);
        assert_printable(&format!("{args:?} stderr"), &stderr);
        stdout
    };
    let plan = run(&["plan", pb, "--set", &set]);
    assert!(plan.contains("pb\\u{1b}]0;owned"), "{plan}");
    let report = run(&["apply", pb, "--set", &set, "--yes"]);
    assert!(report.contains("customer = Acme\\u{1b}[2J"), "{report}");
    assert!(report.contains("group_name = Acme\\u{1b}[2J"), "{report}");
    let json = run(&["apply", pb, "--set", &set, "--yes", "--format", "json"]);
    let doc: serde_json::Value = serde_json::from_str(&json).expect("a JSON report");
    let outputs = &doc["runs"][0]["outputs"];
    assert_eq!(outputs["group_name"]["value"], customer, "{json}");
    assert_eq!(
        doc["runs"][0]["plan"]["playbook"],
        "pb\u{1b}]0;owned\u{7}\u{9b}2J\u{202e}"
    );
    let list = run(&["state", "list"]);
    assert!(list.contains("pb\\u{1b}]0;owned"), "{list}");
    let listed: serde_json::Value =
        serde_json::from_str(&run(&["state", "list", "--format", "json"])).expect("JSON");
    assert_eq!(listed[0]["playbook"], doc["runs"][0]["plan"]["playbook"]);
    let shown: serde_json::Value =
        serde_json::from_str(&run(&["state", "show", "own-account"])).expect("JSON");
    assert_eq!(shown["steps"]["servers"]["outputs"]["name"], customer);
    rt.block_on(sb.shutdown());
}
