//! End-to-end safety of the connection to the API: proxy variables never see a loopback
//! request (the token would travel in clear to the proxy), `-v` logs honour `--color never`,
//! and a service user's PAT is recognised (`Client::is_service_user`).

use std::io::ErrorKind;
use std::net::TcpListener;

use crate::support::{PAT, onboard, sandbox, stderr, stdout};
use onboard_netbird::{Client, ClientConfig, Scope, Token};
use serde_json::{Value, json};

const PLAN: &[&str] = &[
    "plan",
    "playbooks/msp-customer.yaml",
    "--set",
    "customer=Acme Corp",
    "--set",
    "domain=acme.example",
];

#[test]
fn proxy_variables_are_not_used_for_a_loopback_api() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    // The stand-in proxy: it must receive nothing, not even a connection.
    let proxy = TcpListener::bind("127.0.0.1:0").expect("a listener");
    proxy.set_nonblocking(true).expect("non-blocking");
    let proxy_url = format!("http://{}", proxy.local_addr().expect("an address"));
    let mut cmd = onboard(&sb, state.path(), PLAN);
    for var in [
        "HTTP_PROXY",
        "http_proxy",
        "HTTPS_PROXY",
        "https_proxy",
        "ALL_PROXY",
        "all_proxy",
    ] {
        cmd.env(var, &proxy_url);
    }
    cmd.env_remove("NO_PROXY").env_remove("no_proxy");
    let out = cmd.output().expect("onboard runs");
    assert!(out.status.success(), "plan failed:\n{}", stderr(&out));
    match proxy.accept() {
        Err(e) if e.kind() == ErrorKind::WouldBlock => {}
        Ok((_, from)) => panic!("the proxy received a connection from {from}"),
        Err(e) => panic!("accept failed: {e}"),
    }
    rt.block_on(sb.shutdown());
}

#[test]
fn verbose_logs_honour_color_never() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let run = |color: &str| {
        let mut args = vec!["-vv", "--color", color];
        args.extend_from_slice(PLAN);
        let out = onboard(&sb, state.path(), &args)
            .output()
            .expect("onboard runs");
        assert!(out.status.success(), "plan failed:\n{}", stderr(&out));
        stderr(&out)
    };
    let never = run("never");
    assert!(never.contains("DEBUG"), "-vv logs: {never}");
    assert!(
        !never.contains('\u{1b}'),
        "escape sequences with --color never:\n{never:?}"
    );
    let always = run("always");
    assert!(always.contains('\u{1b}'), "--color always colours the logs");
    rt.block_on(sb.shutdown());
}

#[test]
fn a_service_users_pat_is_recognised() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let http = reqwest::Client::new();
    let post = |path: String, body: Value| {
        let req = http
            .post(format!("{}{path}", sb.url()))
            .header("Authorization", format!("Token {PAT}"))
            .json(&body);
        async move {
            let resp = req.send().await.expect("the sandbox answers");
            assert!(resp.status().is_success(), "POST {path}: {}", resp.status());
            resp.json::<Value>().await.expect("json")
        }
    };
    let client = |token: &str| {
        Client::new(ClientConfig::new(sb.url(), Token::new(token))).expect("a client")
    };
    rt.block_on(async {
        let user = post(
            "/api/users".into(),
            json!({"name": "automation", "role": "admin", "is_service_user": true, "auto_groups": []}),
        )
        .await;
        let id = user["id"].as_str().expect("a user id");
        let token = post(
            format!("/api/users/{id}/tokens"),
            json!({"name": "onboard", "expires_in": 30}),
        )
        .await;
        let service_pat = token["plain_token"].as_str().expect("a plain token");
        let is_service_user = |pat| async move {
            let user = client(pat).current_user(&Scope::Own).await;
            user.expect("answers").is_service_user
        };
        assert!(is_service_user(service_pat).await);
        assert!(!is_service_user(PAT).await);
    });
    rt.block_on(sb.shutdown());
}

#[test]
fn a_token_file_is_read_and_an_oversized_one_is_refused() {
    let rt = tokio::runtime::Runtime::new().expect("a runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("a state dir");
    let file = state.path().join("token");
    std::fs::write(&file, format!("{PAT}\n")).expect("write the token file");
    let file_arg = file.to_str().expect("a UTF-8 path");
    let mut args = PLAN.to_vec();
    args.extend(["--token-file", file_arg]);
    let out = onboard(&sb, state.path(), &args)
        .env_remove("NB_PAT")
        .output()
        .expect("runs");
    assert!(
        out.status.success(),
        "plan with --token-file failed:\n{}",
        stderr(&out)
    );
    std::fs::write(&file, vec![b'a'; 10_000]).expect("write a big file");
    let out = onboard(&sb, state.path(), &args)
        .env_remove("NB_PAT")
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("larger than 4096 bytes"),
        "{}",
        stderr(&out)
    );
    assert!(!stdout(&out).contains("aaaa") && !stderr(&out).contains("aaaa"));
    rt.block_on(sb.shutdown());
}
