//! Differential test: what `validate` accepts, the sandbox (the test oracle, whose validation
//! shares no code with the engine) accepts too.
//!
//! For every resource type a valid body is mutated field by field, nested fields included:
//! removed, given the wrong JSON type, given values NetBird refuses (empty, out of range,
//! malformed IPs, CIDRs, domains, versions, country codes, ports), an unknown field added, and
//! the cross-field conflicts (`peer` with `peer_groups`, `network` with `domains`, ports with
//! protocol `all`, two rules, ...). Each body is judged by the engine's check
//! ([`onboard_engine::rules::check_body`], the same catalogue check `validate` runs) and sent to
//! a fresh sandbox. Ids in the bodies are real (a group, a network, a service user are created
//! first), and mutations never replace an id by another string, so a 404 for an unknown id
//! cannot happen: what the sandbox refuses, it refuses for the body's shape.
//!
//! The test fails on any body the engine accepts and the sandbox refuses (a 4xx that
//! `validate` would have let through to `apply`). Bodies the engine refuses and the sandbox
//! takes are counted and printed: they are rules NetBird enforces that the sandbox does not, or
//! fields the spec requires that the server fills in (docs/playbook-reference.md lists them).

mod support;

use onboard_engine::resource::StepType;
use onboard_engine::rules::check_body;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Fields holding ids: never replaced by another string (that would be a 404, not a shape error).
const ID_FIELDS: &[&str] = &[
    "auto_groups",
    "groups",
    "peer_groups",
    "peers",
    "sources",
    "destinations",
    "source_posture_checks",
    "disabled_management_groups",
    "network_id",
    "user_id",
    "peer",
    "id",
];

/// One change to a valid body.
#[derive(Debug, Clone)]
enum Mutation {
    Remove(Vec<Seg>),
    Set(Vec<Seg>, Value),
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// Ids the bodies refer to.
struct Ids {
    group: String,
    network: String,
    service_user: String,
}

fn base(ty: StepType, n: usize, ids: &Ids) -> Value {
    let g = &ids.group;
    let net = format!("10.{}.{}.0/24", n / 250, n % 250);
    match ty {
        StepType::Group => json!({"name": format!("g{n}"), "peers": [], "resources": []}),
        StepType::SetupKey => {
            json!({"name": format!("k{n}"), "type": "reusable", "expires_in": 86400,
            "auto_groups": [g], "usage_limit": 0, "ephemeral": false, "allow_extra_dns_labels": false})
        }
        StepType::Policy => json!({"name": format!("p{n}"), "description": "", "enabled": true,
            "source_posture_checks": [], "rules": [{"name": "r", "enabled": true, "action": "accept",
            "bidirectional": true, "protocol": "tcp", "ports": ["443"], "sources": [g], "destinations": [g]}]}),
        StepType::PostureCheck => json!({"name": format!("pc{n}"), "description": "", "checks": {
            "nb_version_check": {"min_version": "0.30.0"},
            "geo_location_check": {"locations": [{"country_code": "DE"}], "action": "allow"},
            "peer_network_range_check": {"ranges": ["192.168.0.0/16"], "action": "deny"}}}),
        StepType::Network => json!({"name": format!("n{n}"), "description": ""}),
        StepType::NetworkResource => json!({"network_id": ids.network, "name": format!("r{n}"),
            "description": "", "address": net, "enabled": true, "groups": [g]}),
        StepType::NetworkRouter => json!({"network_id": ids.network, "peer_groups": [g],
            "metric": 100, "masquerade": true, "enabled": true}),
        StepType::Route => {
            json!({"description": format!("rt{n}"), "network_id": format!("office{n}"),
            "enabled": true, "peer_groups": [g], "network": net, "metric": 100, "masquerade": true,
            "groups": [g], "keep_route": true})
        }
        StepType::NameserverGroup => json!({"name": format!("ns{n}"), "description": "",
            "nameservers": [{"ip": "10.0.0.53", "ns_type": "udp", "port": 53}], "enabled": true,
            "groups": [g], "primary": false, "domains": ["corp.example"], "search_domains_enabled": false}),
        StepType::User => json!({"email": format!("u{n}@acme.example"), "name": format!("u{n}"),
            "role": "user", "auto_groups": [], "is_service_user": false}),
        StepType::Token => {
            json!({"user_id": ids.service_user, "name": format!("t{n}"), "expires_in": 30})
        }
        _ => Value::Null,
    }
}

const TYPES: [StepType; 11] = [
    StepType::Group,
    StepType::SetupKey,
    StepType::Policy,
    StepType::PostureCheck,
    StepType::Network,
    StepType::NetworkResource,
    StepType::NetworkRouter,
    StepType::Route,
    StepType::NameserverGroup,
    StepType::User,
    StepType::Token,
];

/// Values NetBird refuses somewhere, tried on every string or integer field.
fn bad_strings() -> Vec<Value> {
    [
        "",
        "tcpp",
        "clinic",
        "10.0.0.0/33",
        "dns.google",
        "Germany",
        "latest",
        "70000",
        "0",
        "administrator",
        "this-name-is-far-too-long-for-a-forty-character-field",
        "ops@acme",
    ]
    .into_iter()
    .map(Value::from)
    .collect()
}

fn bad_ints() -> Vec<Value> {
    [0i64, -1, 3600, 86399, 400, 100_000, 31_536_001]
        .into_iter()
        .map(Value::from)
        .collect()
}

/// Every mutation of `v` at `path` and below.
fn mutations(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Mutation>) {
    let id_field = matches!(path.last(), Some(Seg::Key(k)) if ID_FIELDS.contains(&k.as_str()))
        || matches!(path.iter().rev().nth(1), Some(Seg::Key(k)) if ID_FIELDS.contains(&k.as_str()));
    if !path.is_empty() {
        out.push(Mutation::Remove(path.clone()));
        for wrong in wrong_types(v) {
            out.push(Mutation::Set(path.clone(), wrong));
        }
        let bad = match v {
            Value::String(_) if !id_field => bad_strings(),
            Value::Number(_) => bad_ints(),
            _ => Vec::new(),
        };
        out.extend(bad.into_iter().map(|b| Mutation::Set(path.clone(), b)));
    }
    match v {
        Value::Object(map) => {
            let mut extra = path.clone();
            extra.push(Seg::Key("descripton".into()));
            out.push(Mutation::Set(extra, json!("typo")));
            for (k, child) in map {
                path.push(Seg::Key(k.clone()));
                mutations(child, path, out);
                path.pop();
            }
        }
        Value::Array(items) => {
            out.push(Mutation::Set(path.clone(), json!([])));
            for (i, child) in items.iter().enumerate() {
                path.push(Seg::Index(i));
                mutations(child, path, out);
                path.pop();
            }
        }
        _ => {}
    }
}

fn wrong_types(v: &Value) -> Vec<Value> {
    match v {
        Value::String(_) => vec![json!(7), json!(true), json!(["x"])],
        Value::Number(_) => vec![json!("5"), json!(1.5), json!(true)],
        Value::Bool(_) => vec![json!("yes"), json!(1)],
        Value::Array(_) => vec![json!("x"), json!([1])],
        Value::Object(_) => vec![json!("x"), json!([])],
        Value::Null => vec![],
    }
}

/// The cross-field conflicts of a type, as edits on its base body.
fn conflicts(ty: StepType, ids: &Ids) -> Vec<Vec<Mutation>> {
    let k = |s: &str| Seg::Key(s.into());
    let set = |p: Vec<Seg>, v: Value| Mutation::Set(p, v);
    let rule = |f: &str| vec![k("rules"), Seg::Index(0), k(f)];
    let g = json!([ids.group]);
    match ty {
        StepType::SetupKey => vec![
            vec![
                set(vec![k("type")], json!("one-off")),
                set(vec![k("usage_limit")], json!(2)),
            ],
            vec![
                set(vec![k("type")], json!("one-off")),
                set(vec![k("usage_limit")], json!(1)),
            ],
            vec![set(vec![k("expires_in")], json!(0))],
        ],
        StepType::Policy => vec![
            vec![set(rule("protocol"), json!("all"))],
            vec![set(rule("protocol"), json!("icmp"))],
            vec![
                set(rule("protocol"), json!("udp")),
                set(rule("ports"), json!(["53", "70000"])),
            ],
            vec![set(
                rule("port_ranges"),
                json!([{"start": 8000, "end": 9000}]),
            )],
            vec![
                Mutation::Remove(rule("ports")),
                set(rule("port_ranges"), json!([{"start": 9000, "end": 8000}])),
            ],
            vec![set(
                rule("sourceResource"),
                json!({"id": "x", "type": "host"}),
            )],
            vec![set(
                rule("destinationResource"),
                json!({"id": "x", "type": "host"}),
            )],
            vec![set(vec![k("rules")], json!([]))],
        ],
        StepType::NetworkRouter => vec![
            vec![set(vec![k("peer")], json!("peer-1"))],
            vec![Mutation::Remove(vec![k("peer_groups")])],
            vec![set(vec![k("peer_groups")], json!([]))],
        ],
        StepType::Route => vec![
            vec![set(vec![k("peer")], json!("peer-1"))],
            vec![Mutation::Remove(vec![k("peer_groups")])],
            vec![set(vec![k("domains")], json!(["corp.example"]))],
            vec![Mutation::Remove(vec![k("network")])],
            vec![
                Mutation::Remove(vec![k("network")]),
                set(vec![k("domains")], json!(["clinic"])),
            ],
            vec![
                Mutation::Remove(vec![k("network")]),
                set(vec![k("domains")], Value::from(vec!["a.example"; 33])),
            ],
            vec![set(vec![k("network_id")], json!("x".repeat(41)))],
        ],
        StepType::NameserverGroup => vec![
            vec![set(vec![k("primary")], json!(true))],
            vec![
                set(vec![k("primary")], json!(true)),
                set(vec![k("domains")], json!([])),
            ],
            vec![set(vec![k("domains")], json!([]))],
            vec![set(vec![k("search_domains_enabled")], json!(true))],
            vec![set(
                vec![k("nameservers")],
                Value::from(vec![
                    json!({"ip": "10.0.0.1", "ns_type": "udp", "port": 53});
                    4
                ]),
            )],
            vec![set(vec![k("groups")], g)],
        ],
        StepType::User => vec![
            vec![Mutation::Remove(vec![k("email")])],
            vec![
                Mutation::Remove(vec![k("email")]),
                set(vec![k("is_service_user")], json!(true)),
            ],
        ],
        StepType::PostureCheck => vec![
            vec![set(vec![k("checks")], json!({}))],
            vec![set(
                vec![k("checks"), k("process_check")],
                json!({"processes": [{}]}),
            )],
            vec![set(
                vec![k("checks"), k("process_check")],
                json!({"processes": [{"linux_path": "/usr/bin/x"}]}),
            )],
        ],
        _ => Vec::new(),
    }
}

fn apply_mutation(body: &mut Value, m: &Mutation) {
    let (path, value) = match m {
        Mutation::Remove(p) => (p, None),
        Mutation::Set(p, v) => (p, Some(v.clone())),
    };
    let Some((last, parent_path)) = path.split_last() else {
        return;
    };
    let mut parent = &mut *body;
    for seg in parent_path {
        let next = match seg {
            Seg::Key(k) => parent.get_mut(k.as_str()),
            Seg::Index(i) => parent.get_mut(*i),
        };
        match next {
            Some(n) => parent = n,
            None => return,
        }
    }
    match (last, value, parent) {
        (Seg::Key(k), None, Value::Object(o)) => {
            o.remove(k);
        }
        (Seg::Key(k), Some(v), Value::Object(o)) => {
            o.insert(k.clone(), v);
        }
        (Seg::Index(i), None, Value::Array(a)) if *i < a.len() => {
            a.remove(*i);
        }
        (Seg::Index(i), Some(v), Value::Array(a)) if *i < a.len() => a[*i] = v,
        _ => {}
    }
}

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
            .push(reason.split(": ").skip(1).collect::<Vec<_>>().join(": ")),
        (Ok(()), false) => tally
            .missed
            .push(format!("{} {edit:?}: {body} -> {status} {text}", ty.name())),
    }
}
