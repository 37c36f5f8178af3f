//! Differential test: what `validate` accepts, the sandbox (the test oracle, whose validation
//! shares no code with the engine) accepts too.
//!
//! For every resource type a valid body is mutated field by field, nested fields included:
//! removed, given the wrong JSON type, given values NetBird refuses (empty, out of range,
//! malformed IPs, CIDRs, domains, versions, country codes, ports), an unknown field added, and
//! the cross-field conflicts (`peer` with `peer_groups`, `network` with `domains`, ports with
//! protocol `all`, two rules, ...). Each body is judged by the engine's check
//! ([`onboard_engine::playbook::rules::check_body`], the same catalogue check `validate` runs) and sent to
//! a fresh sandbox. Ids in the bodies are real (a group, a network, a service user are created
//! first), and mutations never replace an id by another string, so a 404 for an unknown id
//! cannot happen: what the sandbox refuses, it refuses for the body's shape.
//!
//! The test fails on any body the engine accepts and the sandbox refuses (a 4xx that
//! `validate` would have let through to `apply`). Bodies the engine refuses and the sandbox
//! takes are counted and printed: they are rules NetBird enforces that the sandbox does not, or
//! fields the spec requires that the server fills in (docs/playbook-reference.md lists them).

mod bodies;

use crate::support;
use bodies::{Ids, Mutation, TYPES, apply_mutation, base, conflicts, mutations};
use onboard_engine::playbook::resource::StepType;
use onboard_engine::playbook::rules::check_body;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Where a body of `ty` is POSTed, with its parent id taken out of the body.
fn target(ty: StepType, body: &mut Value) -> String {
    let spec = ty.spec().api().expect("an API type");
    let mut path = spec.collection.to_owned();
    if let Some(parent) = spec.parent {
        let id = body
            .as_object_mut()
            .and_then(|o| o.remove(parent))
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        path = path.replace(&format!("{{{parent}}}"), &id);
    }
    path
}

struct Oracle {
    client: reqwest::Client,
    url: String,
}

impl Oracle {
    async fn post(&self, path: &str, body: &Value) -> (u16, String) {
        let resp = self
            .client
            .post(format!("{}{path}", self.url))
            .header("Authorization", format!("Token {}", support::PAT))
            .json(body)
            .send()
            .await
            .expect("the sandbox answers");
        let status = resp.status().as_u16();
        (status, resp.text().await.unwrap_or_default())
    }

    async fn create(&self, path: &str, body: Value) -> String {
        let (status, text) = self.post(path, &body).await;
        assert!(status < 300, "setup {path}: {status} {text}");
        let v: Value = serde_json::from_str(&text).expect("json");
        v["id"].as_str().expect("an id").to_owned()
    }
}

#[derive(Default)]
struct Tally {
    total: usize,
    both_accept: usize,
    both_refuse: usize,
    /// Engine refuses, sandbox accepts: per type, examples of the engine's reason.
    stricter: BTreeMap<String, Vec<String>>,
    /// Engine accepts, sandbox refuses: the test fails on any.
    missed: Vec<String>,
}

#[test]
fn what_validate_accepts_the_sandbox_accepts() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = support::sandbox(&rt);
    let oracle = Oracle {
        client: reqwest::Client::new(),
        url: sb.url(),
    };
    let tally = rt.block_on(async {
        let ids = Ids {
            group: oracle.create("/api/groups", json!({"name": "diff-group"})).await,
            network: oracle.create("/api/networks", json!({"name": "diff-net"})).await,
            service_user: oracle
                .create("/api/users", json!({"name": "bot", "role": "user", "auto_groups": [], "is_service_user": true}))
                .await,
        };
        run_all(&oracle, &ids).await
    });
    rt.block_on(sb.shutdown());
    let stricter: usize = tally.stricter.values().map(Vec::len).sum();
    println!(
        "{} bodies: {} accepted by both, {} refused by both, {} refused only by validate, {} refused only by the sandbox",
        tally.total,
        tally.both_accept,
        tally.both_refuse,
        stricter,
        tally.missed.len()
    );
    for (ty, reasons) in &tally.stricter {
        println!(
            "validate is stricter for {ty} ({}): {}",
            reasons.len(),
            reasons.join(" | ")
        );
    }
    assert!(tally.total > 500, "too few bodies: {}", tally.total);
    assert!(tally.both_accept > 20 && tally.both_refuse > 300);
    assert!(
        tally.missed.is_empty(),
        "validate accepted bodies the sandbox refused:\n{}",
        tally.missed.join("\n")
    );
}

async fn run_all(oracle: &Oracle, ids: &Ids) -> Tally {
    let mut tally = Tally::default();
    let mut n = 0;
    for ty in TYPES {
        let mut edits: Vec<Vec<Mutation>> = vec![Vec::new()];
        let mut single = Vec::new();
        mutations(&base(ty, 0, ids), &mut Vec::new(), &mut single);
        edits.extend(single.into_iter().map(|m| vec![m]));
        edits.extend(conflicts(ty, ids));
        for edit in edits {
            n += 1;
            let mut body = base(ty, n, ids);
            edit.iter().for_each(|m| apply_mutation(&mut body, m));
            judge(oracle, ty, body, &edit, &mut tally).await;
        }
    }
    tally
}

async fn judge(oracle: &Oracle, ty: StepType, body: Value, edit: &[Mutation], tally: &mut Tally) {
    let engine = check_body(ty, &body);
    let mut sent = body.clone();
    let path = target(ty, &mut sent);
    let (status, text) = oracle.post(&path, &sent).await;
    assert!(
        status < 500,
        "{} {body}: the sandbox answered {status} {text}",
        ty.name()
    );
    tally.total += 1;
    match (engine, status < 300) {
        (Ok(()), true) => tally.both_accept += 1,
        (Err(_), false) => tally.both_refuse += 1,
        (Err(reason), true) => tally
            .stricter
            .entry(ty.name().to_owned())
            .or_default()
            .push(
                reason
                    .to_string()
                    .split(": ")
                    .skip(1)
                    .collect::<Vec<_>>()
                    .join(": "),
            ),
        (Ok(()), false) => tally
            .missed
            .push(format!("{} {edit:?}: {body} -> {status} {text}", ty.name())),
    }
}
