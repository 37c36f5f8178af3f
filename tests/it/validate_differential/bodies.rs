//! Bodies for the differential test: a valid body per resource type, and every mutation of it
//! (removed fields, wrong types, refused values, unknown fields, cross-field conflicts).

use onboard_engine::playbook::resource::StepType;
use serde_json::{Value, json};

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
pub enum Mutation {
    Remove(Vec<Seg>),
    Set(Vec<Seg>, Value),
}

#[derive(Debug, Clone)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// Ids the bodies refer to.
pub struct Ids {
    pub group: String,
    pub network: String,
    pub service_user: String,
}

pub fn base(ty: StepType, n: usize, ids: &Ids) -> Value {
    let g = &ids.group;
    let net = format!("10.{}.{}.0/24", n / 250, n % 250);
    match ty {
        StepType::GROUP => json!({"name": format!("g{n}"), "peers": [], "resources": []}),
        StepType::SETUP_KEY => {
            json!({"name": format!("k{n}"), "type": "reusable", "expires_in": 86400,
            "auto_groups": [g], "usage_limit": 0, "ephemeral": false, "allow_extra_dns_labels": false})
        }
        StepType::POLICY => json!({"name": format!("p{n}"), "description": "", "enabled": true,
            "source_posture_checks": [], "rules": [{"name": "r", "enabled": true, "action": "accept",
            "bidirectional": true, "protocol": "tcp", "ports": ["443"], "sources": [g], "destinations": [g]}]}),
        StepType::POSTURE_CHECK => json!({"name": format!("pc{n}"), "description": "", "checks": {
            "nb_version_check": {"min_version": "0.30.0"},
            "geo_location_check": {"locations": [{"country_code": "DE"}], "action": "allow"},
            "peer_network_range_check": {"ranges": ["192.168.0.0/16"], "action": "deny"}}}),
        StepType::NETWORK => json!({"name": format!("n{n}"), "description": ""}),
        StepType::NETWORK_RESOURCE => json!({"network_id": ids.network, "name": format!("r{n}"),
            "description": "", "address": net, "enabled": true, "groups": [g]}),
        StepType::NETWORK_ROUTER => json!({"network_id": ids.network, "peer_groups": [g],
            "metric": 100, "masquerade": true, "enabled": true}),
        StepType::ROUTE => {
            json!({"description": format!("rt{n}"), "network_id": format!("office{n}"),
            "enabled": true, "peer_groups": [g], "network": net, "metric": 100, "masquerade": true,
            "groups": [g], "keep_route": true})
        }
        StepType::NAMESERVER_GROUP => json!({"name": format!("ns{n}"), "description": "",
            "nameservers": [{"ip": "10.0.0.53", "ns_type": "udp", "port": 53}], "enabled": true,
            "groups": [g], "primary": false, "domains": ["corp.example"], "search_domains_enabled": false}),
        StepType::USER => json!({"email": format!("u{n}@acme.example"), "name": format!("u{n}"),
            "role": "user", "auto_groups": [], "is_service_user": false}),
        StepType::TOKEN => {
            json!({"user_id": ids.service_user, "name": format!("t{n}"), "expires_in": 30})
        }
        _ => Value::Null,
    }
}

pub const TYPES: [StepType; 11] = [
    StepType::GROUP,
    StepType::SETUP_KEY,
    StepType::POLICY,
    StepType::POSTURE_CHECK,
    StepType::NETWORK,
    StepType::NETWORK_RESOURCE,
    StepType::NETWORK_ROUTER,
    StepType::ROUTE,
    StepType::NAMESERVER_GROUP,
    StepType::USER,
    StepType::TOKEN,
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
        "corp.example.",
        "*.example.com",
        "10.0.0.0/+8",
        "+443",
        "fd00::/129",
        "10.0.0.1",
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
pub fn mutations(v: &Value, path: &mut Vec<Seg>, out: &mut Vec<Mutation>) {
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
pub fn conflicts(ty: StepType, ids: &Ids) -> Vec<Vec<Mutation>> {
    let k = |s: &str| Seg::Key(s.into());
    let set = |p: Vec<Seg>, v: Value| Mutation::Set(p, v);
    let rule = |f: &str| vec![k("rules"), Seg::Index(0), k(f)];
    let g = json!([ids.group]);
    match ty {
        StepType::SETUP_KEY => vec![
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
        StepType::POLICY => vec![
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
        StepType::NETWORK_ROUTER => vec![
            vec![set(vec![k("peer")], json!("peer-1"))],
            vec![Mutation::Remove(vec![k("peer_groups")])],
            vec![set(vec![k("peer_groups")], json!([]))],
        ],
        StepType::ROUTE => vec![
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
        StepType::NAMESERVER_GROUP => vec![
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
        StepType::USER => vec![
            vec![Mutation::Remove(vec![k("email")])],
            vec![
                Mutation::Remove(vec![k("email")]),
                set(vec![k("is_service_user")], json!(true)),
            ],
        ],
        StepType::POSTURE_CHECK => vec![
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

pub fn apply_mutation(body: &mut Value, m: &Mutation) {
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
