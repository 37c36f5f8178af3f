//! The testing features: rate limit, injected faults, persistence, the request log.
#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

mod common;

use std::time::{Duration, Instant};

use common::{Api, config};
use onboard_sandbox::{Fault, RateLimit, SandboxConfig};
use reqwest::Method;
use serde_json::json;

#[tokio::test]
async fn rate_limit_429_after_the_burst_shared_across_tenants() {
    let cfg = SandboxConfig {
        rate_limit: Some(RateLimit {
            per_minute: 60,
            burst: 6,
        }),
        ..config()
    };
    let api = Api::with(cfg).await;
    let t = api.tenant("acme.com").await;
    for path in ["/api/groups".to_owned(), "/api/groups".to_owned()]
        .into_iter()
        .chain((0..3).map(|_| format!("/api/groups?account={t}")))
    {
        assert_eq!(api.get(&path).await.code(), 200, "{path}");
    }
    for path in ["/api/groups".to_owned(), format!("/api/groups?account={t}")] {
        let resp = api
            .http
            .get(format!("{}{path}", api.base))
            .header("Authorization", format!("Token {}", api.token))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 429);
        assert!(resp.headers().get("retry-after").is_none());
        assert_eq!(
            resp.text().await.unwrap(),
            r#"{"message":"too many requests","code":429}"#
        );
    }
    let introspection = api
        .http
        .get(format!("{}/__sandbox/log", api.base))
        .send()
        .await
        .unwrap();
    assert_eq!(introspection.status(), 200, "introspection is not limited");
}

#[tokio::test]
async fn rate_limit_refills_at_the_configured_rate() {
    // 6000 per minute = 100 per second: ten more requests need at least ~0.09 s.
    let cfg = SandboxConfig {
        rate_limit: Some(RateLimit {
            per_minute: 6000,
            burst: 3,
        }),
        ..config()
    };
    let api = Api::with(cfg).await;
    let mut admitted = 0;
    while api.get("/api/accounts").await.code() == 200 {
        admitted += 1;
        assert!(
            admitted <= 100,
            "the bucket (burst 3) empties: {admitted} admitted"
        );
    }
    let start = Instant::now();
    let mut refilled = 0;
    let mut refused = 0;
    while refilled < 10 {
        match api.get("/api/accounts").await.code() {
            200 => refilled += 1,
            429 => refused += 1,
            other => panic!("unexpected {other}"),
        }
        assert!(start.elapsed() < Duration::from_secs(5), "refill too slow");
    }
    let elapsed = start.elapsed();
    assert!(
        elapsed >= Duration::from_millis(85),
        "refilled too fast: {elapsed:?}"
    );
    assert!(
        elapsed < Duration::from_secs(2),
        "refilled too slowly: {elapsed:?}"
    );
    assert!(refused > 0, "the bucket was empty in between");
}

#[tokio::test]
async fn a_dropped_response_still_lands_the_write() {
    let api = Api::with(SandboxConfig {
        drop_rate: 1.0,
        ..config()
    })
    .await;
    let sent = api
        .http
        .post(format!("{}/api/groups", api.base))
        .header("Authorization", format!("Token {}", api.token))
        .json(&json!({"name": "landed"}))
        .send()
        .await;
    let err = sent.expect_err("no response arrives");
    assert!(err.status().is_none(), "the client sees no status: {err}");
    assert!(
        format!("{err:?}").contains("IncompleteMessage"),
        "a connection closed mid-exchange: {err:?}"
    );
    let world = api.world();
    let groups = world["accounts"][api.msp()]["groups"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        groups.iter().any(|g| g["name"] == "landed"),
        "the write landed"
    );
    let log = api.sandbox.log();
    assert_eq!(log.len(), 1);
    assert!(log[0].dropped);
    assert_eq!(log[0].status, 200);
}

#[tokio::test]
async fn injected_failures_do_nothing_and_are_reproducible() {
    let api = Api::with(SandboxConfig {
        fail_rate: 1.0,
        ..config()
    })
    .await;
    let failed = api.post("/api/groups", json!({"name": "never"})).await;
    common::assert_error(&failed, 500, "internal server error");
    let world = api.world();
    assert!(!world.to_string().contains("never"));
    assert_eq!(api.sandbox.log()[0].effective_account, None);

    let run = |seed| async move {
        let api = Api::with(SandboxConfig {
            fail_rate: 0.5,
            seed: Some(seed),
            ..config()
        })
        .await;
        let mut codes = Vec::new();
        for _ in 0..24 {
            codes.push(api.get("/api/groups").await.code());
        }
        codes
    };
    let a = run(11).await;
    assert_eq!(a, run(11).await, "same seed, same faults");
    assert!(a.contains(&500) && a.contains(&200), "{a:?}");
}

#[tokio::test]
async fn scripted_faults_hit_exactly_the_requests_they_name() {
    let api = Api::start().await;
    api.sandbox
        .fault_next("POST", "/api/groups", Fault::Reject(429), 1);
    api.sandbox
        .fault_next("POST", "/api/groups", Fault::FailAfter(500), 1);
    assert_eq!(api.get("/api/groups").await.code(), 200, "GET not scripted");
    let rejected = api.post("/api/groups", json!({"name": "a"})).await;
    common::assert_error(&rejected, 429, "too many requests");
    let failed = api.post("/api/groups", json!({"name": "b"})).await;
    common::assert_error(&failed, 500, "internal server error");
    assert_eq!(
        api.post("/api/groups", json!({"name": "c"})).await.code(),
        200
    );
    let world = api.world().to_string();
    assert!(!world.contains("\"a\""), "a rejection does nothing");
    assert!(world.contains("\"b\"") && world.contains("\"c\""));

    api.sandbox
        .fault_next("DELETE", "/api/groups/", Fault::Drop, 1);
    let id = api.group("", "d").await;
    let path = format!("{}/api/groups/{id}", api.base);
    let sent = api
        .http
        .delete(path)
        .header("Authorization", format!("Token {}", api.token))
        .send()
        .await;
    assert!(sent.is_err(), "dropped");
    assert_eq!(api.delete(&format!("/api/groups/{id}")).await.code(), 404);

    api.sandbox.fault_next(
        "GET",
        "/api/groups",
        Fault::Delay(Duration::from_millis(60)),
        1,
    );
    let start = Instant::now();
    assert_eq!(api.get("/api/groups").await.code(), 200);
    assert!(start.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn latency_delays_responses() {
    let api = Api::with(SandboxConfig {
        latency_ms: 60,
        jitter_ms: 10,
        ..config()
    })
    .await;
    let start = Instant::now();
    assert_eq!(api.get("/api/groups").await.code(), 200);
    assert!(start.elapsed() >= Duration::from_millis(60));
}

#[tokio::test]
async fn the_request_id_is_the_log_seq_and_accept_is_logged() {
    let api = Api::start().await;
    let resp = api
        .http
        .get(format!("{}/api/groups", api.base))
        .header("Authorization", format!("Token {}", api.token))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    let id = resp.headers()["x-request-id"].to_str().unwrap().to_owned();
    let entry = api.sandbox.log().pop().unwrap();
    assert_eq!(id, entry.seq.to_string());
    assert_eq!(entry.accept.as_deref(), Some("application/json"));
    assert!(entry.user_id.is_some());
}

#[tokio::test]
async fn the_request_log_records_every_api_request_without_tokens() {
    let api = Api::start().await;
    let t = api.tenant("acme.com").await;
    api.group(&format!("?account={t}"), "g").await;
    api.call_as("nbp_bad", Method::GET, "/api/groups", None)
        .await;
    let resp = api
        .http
        .get(format!("{}/__sandbox/log", api.base))
        .send()
        .await
        .unwrap();
    let text = resp.text().await.unwrap();
    assert!(!text.contains(&api.token), "the log never holds a token");
    let log: Vec<serde_json::Value> = serde_json::from_str(&text).unwrap();
    assert_eq!(
        log.len(),
        3,
        "introspection requests are not logged: {text}"
    );
    assert_eq!(log[0]["seq"], 1);
    assert_eq!(log[0]["method"], "POST");
    assert_eq!(log[0]["path"], "/api/integrations/msp/tenants");
    assert_eq!(log[1]["account"], json!(t));
    assert_eq!(log[1]["effective_account"], json!(t));
    assert_eq!(log[1]["status"], 200);
    assert_eq!(log[2]["status"], 401);
    assert_eq!(log[2]["user_id"], json!(null));
    assert!(log[0]["user_agent"].is_null() || log[0]["user_agent"].is_string());
    assert!(log[1]["finished_ms"].as_u64() >= log[1]["started_ms"].as_u64());
    // The query, the JSON body, the scheme of `Authorization` (not the credential).
    assert_eq!(log[1]["query"], json!(format!("account={t}")));
    assert_eq!(log[1]["body"], json!({"name": "g"}));
    assert_eq!(log[1]["auth_scheme"], "Token");
    assert_eq!(log[2]["query"], json!(null));
    assert_eq!(log[2]["body"], json!(null));
    let world = api
        .http
        .get(format!("{}/__sandbox/world", api.base))
        .send()
        .await
        .unwrap();
    let world: serde_json::Value = world.json().await.unwrap();
    assert_eq!(world, api.world());
}

#[tokio::test]
async fn the_data_file_round_trips_without_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox.json");
    let fixed = "nbp_fixedfixedfixedfixedfixedfixedfixed".to_owned();
    let cfg = SandboxConfig {
        data: Some(data.clone()),
        token: Some(fixed.clone()),
        ..config()
    };
    let api = Api::with(cfg.clone()).await;
    assert!(!api.sandbox.token_was_generated());
    let g = api.group("", "kept").await;
    let key = api
        .post("/api/setup-keys", json!({"name": "k", "type": "reusable"}))
        .await
        .body["key"]
        .clone();
    let svc = api
        .post(
            "/api/users",
            json!({"name": "ci", "role": "admin", "auto_groups": [], "is_service_user": true}),
        )
        .await
        .id();
    let minted = api
        .post(
            &format!("/api/users/{svc}/tokens"),
            json!({"name": "t", "expires_in": 1}),
        )
        .await;
    let pat = minted.body["plain_token"].as_str().unwrap().to_owned();
    let msp = api.msp();
    api.sandbox.shutdown().await;

    let text = std::fs::read_to_string(&data).unwrap();
    for secret in [fixed.as_str(), pat.as_str(), key.as_str().unwrap()] {
        assert!(
            !text.contains(secret),
            "the data file holds no plain secret"
        );
    }
    let again = Api::with(cfg.clone()).await;
    assert_eq!(again.msp(), msp);
    assert_eq!(again.get(&format!("/api/groups/{g}")).await.code(), 200);
    assert_eq!(
        again
            .call_as(&pat, Method::GET, "/api/users/current", None)
            .await
            .body["id"],
        json!(svc)
    );
    let tokens = again.world()["accounts"][&msp]["tokens"]
        .as_array()
        .unwrap()
        .len();
    again.sandbox.shutdown().await;

    let generated = Api::with(SandboxConfig {
        token: None,
        ..cfg.clone()
    })
    .await;
    assert!(generated.sandbox.token_was_generated());
    assert_eq!(
        generated.get("/api/groups").await.code(),
        200,
        "a fresh generated token works"
    );
    let fresh = generated.world()["accounts"][&msp]["tokens"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(fresh, tokens, "restarts do not pile up tokens");
    generated.sandbox.shutdown().await;
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, "{").unwrap();
    let err = onboard_sandbox::Sandbox::start(SandboxConfig {
        data: Some(broken),
        ..config()
    })
    .await;
    assert!(err.is_err());
}

/// The data file is the sandbox's world (its PAT hashes, its members): it is written readable
/// by the owner only, and never through a link. A symlink planted at the old predictable temp
/// name (`.sandbox.json.<pid>.tmp`) or at the data file while the sandbox runs leaves the
/// link's target as it was; a symlink given as the data file is refused at start.
#[cfg(unix)]
#[tokio::test]
async fn the_data_file_is_private_and_never_written_through_a_link() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("sandbox.json");
    let victim = dir.path().join("victim.txt");
    std::fs::write(&victim, "untouched").unwrap();
    std::os::unix::fs::symlink(
        &victim,
        dir.path()
            .join(format!(".sandbox.json.{}.tmp", std::process::id())),
    )
    .unwrap();
    let cfg = SandboxConfig {
        data: Some(data.clone()),
        ..config()
    };
    let api = Api::with(cfg.clone()).await;
    api.group("", "kept").await;
    api.sandbox.shutdown().await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let meta = std::fs::symlink_metadata(&data).unwrap();
    assert!(meta.file_type().is_file(), "the data file is a plain file");
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert!(std::fs::read_to_string(&data).unwrap().contains("\"kept\""));

    // A symlink put where the data file was, while the sandbox runs: replaced, not followed.
    let api = Api::with(cfg).await;
    std::fs::remove_file(&data).unwrap();
    std::os::unix::fs::symlink(&victim, &data).unwrap();
    api.group("", "later").await;
    api.sandbox.shutdown().await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "untouched");
    let meta = std::fs::symlink_metadata(&data).unwrap();
    assert!(
        meta.file_type().is_file(),
        "the link was replaced, not followed"
    );
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tmp") && !n.contains(&std::process::id().to_string()))
        .collect();
    assert!(left.is_empty(), "no temp file is left: {left:?}");

    // A symlink given as the data file is refused at start: saves would replace it.
    let link = dir.path().join("link.json");
    std::os::unix::fs::symlink(&data, &link).unwrap();
    let err = onboard_sandbox::Sandbox::start(SandboxConfig {
        data: Some(link),
        ..config()
    })
    .await
    .expect_err("a symlinked data file is refused");
    let why = std::error::Error::source(&err).map(ToString::to_string);
    assert_eq!(
        why.as_deref(),
        Some("it is a symbolic link; give the real path")
    );
}
