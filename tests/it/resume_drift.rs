//! Re-applying against live state: objects changed or deleted behind onboard's back are put
//! back exactly, with only the writes they need, and a further apply writes nothing.

use crate::support::*;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

const ARGS: [&str; 5] = [
    "playbooks/zero-trust-office.yaml",
    "--set",
    "customer=Zed",
    "--set",
    "domain=zed.example",
];

/// The account with every id replaced by what it names (`groups:Servers`), ids of unnamed
/// objects and audit events left out, and lists sorted: equal exactly when the account holds
/// the same objects with the same fields and the same references.
fn canonical(account: &Value) -> Value {
    let mut labels = BTreeMap::new();
    for (coll, items) in account.as_object().expect("an account") {
        for o in items.as_array().into_iter().flatten() {
            if let (Some(id), Some(name)) = (o["id"].as_str(), o["name"].as_str()) {
                labels.insert(id.to_owned(), format!("{coll}:{name}"));
            }
        }
    }
    let mut account = account.clone();
    let obj = account.as_object_mut().expect("an account");
    obj.remove("events");
    obj.remove("id");
    relabel(&account, &labels)
}

fn relabel(v: &Value, labels: &BTreeMap<String, String>) -> Value {
    match v {
        Value::String(s) => labels
            .get(s)
            .map_or_else(|| v.clone(), |l| Value::String(l.clone())),
        Value::Array(items) => {
            let mut items: Vec<Value> = items.iter().map(|i| relabel(i, labels)).collect();
            items.sort_by_key(Value::to_string);
            Value::Array(items)
        }
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "id")
                .map(|(k, v)| (k.clone(), relabel(v, labels)))
                .collect::<Map<_, _>>(),
        ),
        other => other.clone(),
    }
}

#[test]
fn drift_is_put_back_with_only_the_writes_it_needs() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sb = sandbox(&rt);
    let dir = tempfile::tempdir().unwrap();
    apply(&sb, dir.path(), &ARGS);

    let world = sb.world();
    let tid = tenant_id(&world, "zed.example");
    let before = world["accounts"][&tid].clone();
    let servers = id(&before, "groups", "Servers");
    let employees = id(&before, "groups", "Employees");
    let policy = one(&before, "policies", "employees-to-office").clone();
    let policy_id = policy["id"].as_str().unwrap().to_owned();
    let lan = one(&before, "network_resources", "office-lan").clone();
    let network = lan["network_id"].as_str().unwrap().to_owned();
    assert!(before["settings"]["regular_users_view_blocked"] == true);

    // Behind onboard's back, as an admin would with the same PAT.
    let t = Some(tid.as_str());
    let mut group = call(&rt, &sb, "GET", &format!("/api/groups/{servers}"), t, None);
    group["name"] = json!("Servers (old)");
    group["peers"] = json!(ids(&group["peers"]));
    call(
        &rt,
        &sb,
        "PUT",
        &format!("/api/groups/{servers}"),
        t,
        Some(&group),
    );
    let rule = &policy["rules"][0];
    let drifted_policy = json!({
        "name": policy["name"],
        "description": policy["description"],
        "enabled": policy["enabled"],
        "source_posture_checks": policy["source_posture_checks"],
        "rules": [{
            "name": rule["name"],
            "enabled": true,
            "action": "accept",
            "bidirectional": false,
            "protocol": "tcp",
            "ports": ["22", "443"],
            "sources": [employees],
            "destinations": [servers],
        }],
    });
    call(
        &rt,
        &sb,
        "PUT",
        &format!("/api/policies/{policy_id}"),
        t,
        Some(&drifted_policy),
    );
    let lan_id = lan["id"].as_str().unwrap();
    let path = format!("/api/networks/{network}/resources/{lan_id}");
    call(&rt, &sb, "DELETE", &path, t, None);
    let account = call(&rt, &sb, "GET", "/api/accounts", t, None);
    let mut settings = account[0]["settings"].clone();
    settings["regular_users_view_blocked"] = json!(false);
    let body = json!({ "settings": settings });
    call(
        &rt,
        &sb,
        "PUT",
        &format!("/api/accounts/{tid}"),
        t,
        Some(&body),
    );

    let drifted = sb.world()["accounts"][&tid].clone();
    assert_ne!(
        canonical(&drifted),
        canonical(&before),
        "the drift happened"
    );
    assert!(named(&drifted, "network_resources", "office-lan").is_empty());

    // Re-apply: everything is back, with one write per drifted object.
    let mark = last_seq(&sb);
    apply(&sb, dir.path(), &ARGS);
    let mut writes = writes_after(&sb, mark);
    writes.sort();
    let mut expected = vec![
        format!("PUT /api/groups/{servers}"),
        format!("PUT /api/policies/{policy_id}"),
        format!("POST /api/networks/{network}/resources"),
        format!("PUT /api/accounts/{tid}"),
    ];
    expected.sort();
    assert_eq!(writes, expected, "the re-apply wrote only what drifted");

    let after = sb.world()["accounts"][&tid].clone();
    assert_eq!(one(&after, "groups", "Servers")["id"], servers.as_str());
    assert!(named(&after, "groups", "Servers (old)").is_empty());
    let restored = one(&after, "policies", "employees-to-office");
    assert_eq!(restored["id"], policy_id.as_str());
    assert_eq!(restored["rules"].as_array().unwrap().len(), 1);
    assert_eq!(restored["rules"][0]["protocol"], "all");
    let ports = &restored["rules"][0]["ports"];
    assert!(
        ports.is_null() || ports.as_array().is_some_and(Vec::is_empty),
        "{ports}"
    );
    assert_eq!(restored["rules"][0]["bidirectional"], false);
    let lan = one(&after, "network_resources", "office-lan");
    assert_eq!(lan["network_id"], network.as_str());
    assert_eq!(lan["address"], "192.168.10.0/24");
    assert_eq!(ids(&lan["groups"]), [servers.as_str()]);
    let in_servers = ids(&one(&after, "groups", "Servers")["resources"]);
    assert!(in_servers.contains(&lan["id"].as_str().unwrap().to_owned()));
    assert_eq!(after["settings"]["regular_users_view_blocked"], true);
    assert_eq!(
        canonical(&after),
        canonical(&before),
        "the tenant is exactly as the first apply left it"
    );

    // The state now points at the new resource.
    let state = state_file(dir.path());
    assert_eq!(state["steps"]["office_lan"]["id"], lan["id"]);

    // A third apply has nothing to do.
    let mark = last_seq(&sb);
    apply(&sb, dir.path(), &ARGS);
    assert_eq!(writes_after(&sb, mark), Vec::<String>::new());
    rt.block_on(sb.shutdown());
}
