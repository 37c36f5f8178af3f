//! The exported text for a fixed snapshot, pinned: everything that is not the round trip of
//! the end-to-end tests (peers behind routers, ids outside the export, revoked keys, built-ins,
//! identity-provider groups, service users, template syntax in names, equal names).

use serde_json::{Value, json};

use super::{Snapshot, playbook};

fn snapshot() -> Snapshot {
    Snapshot {
        domain: "acme.example".into(),
        groups: vec![
            json!({"id": "g-all", "name": "All", "issued": "api"}),
            json!({"id": "g-ops", "name": "ops", "issued": "jwt"}),
            json!({"id": "g-web", "name": "Web {{ prod }}", "issued": "api", "peers": [{"id": "peer-1"}]}),
            json!({"id": "g-office", "name": "office", "issued": "api"}),
        ],
        networks: vec![json!({"id": "n-1", "name": "office", "description": ""})],
        routers: vec![(
            "n-1".into(),
            json!({"id": "r-1", "peer": "peer-9", "peer_groups": null, "metric": 9999,
                   "masquerade": true, "enabled": true}),
        )],
        setup_keys: vec![
            json!({"id": "k-1", "name": "old", "revoked": true, "valid": false, "auto_groups": []}),
            json!({"id": "k-2", "name": "office", "type": "one-off", "revoked": false,
                   "valid": true, "auto_groups": ["g-office", "g-gone"], "usage_limit": 1,
                   "ephemeral": true, "allow_extra_dns_labels": false, "key": "SECRET-KEY"}),
        ],
        policies: vec![json!({"id": "p-1", "name": "Default", "enabled": true,
            "source_posture_checks": [],
            "rules": [{"id": "x", "name": "Default", "enabled": true, "action": "accept",
                       "bidirectional": true, "protocol": "all",
                       "sources": [{"id": "g-all", "name": "All"}],
                       "destinations": [{"id": "g-all", "name": "All"}]}]})],
        users: vec![
            json!({"id": "u-1", "email": "boss@acme.example", "role": "owner", "auto_groups": []}),
            json!({"id": "u-2", "email": "", "name": "backup bot", "role": "user",
                   "is_service_user": true, "auto_groups": ["g-office"]}),
            json!({"id": "u-3", "email": "b@acme.example", "role": "user", "auto_groups": [],
                   "is_blocked": true}),
        ],
        dns: json!({"disabled_management_groups": []}),
        settings: Value::Null,
        ..Snapshot::default()
    }
}

#[test]
fn an_account_exports_as_pinned() {
    let text = playbook(&snapshot(), None);
    assert!(!text.contains("SECRET-KEY"));
    insta::assert_snapshot!(text);
}

#[test]
fn the_export_parses_and_checks() {
    let text = playbook(&snapshot(), Some("pinned"));
    let file = crate::source::SourceFile::new("export.yaml", text);
    let loaded = crate::load(&file);
    assert!(loaded.is_ok(), "{:?}", loaded.err());
}
