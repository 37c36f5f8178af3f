//! The exported text for a fixed snapshot, pinned: everything that is not the round trip of
//! the end-to-end tests (peers behind routers, ids outside the export, revoked keys, built-ins,
//! identity-provider groups, service users, template syntax in names, equal names).

use serde_json::{Value, json};

use onboard_netbird::ResourceKind;

use super::{Snapshot, playbook};

fn snapshot() -> Snapshot {
    Snapshot {
        domain: "acme.example".into(),
        dns: json!({"disabled_management_groups": []}),
        settings: Value::Null,
        ..Snapshot::default()
    }
    .with(ResourceKind::Group, None, vec![
        json!({"id": "g-all", "name": "All", "issued": "api"}),
        json!({"id": "g-ops", "name": "ops", "issued": "jwt"}),
        json!({"id": "g-web", "name": "Web {{ prod }}", "issued": "api", "peers": [{"id": "peer-1"}]}),
        json!({"id": "g-office", "name": "office", "issued": "api"}),
    ])
    .with(ResourceKind::Network, None, vec![json!({"id": "n-1", "name": "office", "description": ""})])
    .with(ResourceKind::NetworkRouter, Some("n-1"), vec![
        json!({"id": "r-1", "peer": "peer-9", "peer_groups": null, "metric": 9999,
               "masquerade": true, "enabled": true}),
    ])
    .with(ResourceKind::SetupKey, None, vec![
        json!({"id": "k-1", "name": "old", "revoked": true, "valid": false, "auto_groups": []}),
        json!({"id": "k-2", "name": "office", "type": "one-off", "revoked": false,
               "valid": true, "auto_groups": ["g-office", "g-gone"], "usage_limit": 1,
               "ephemeral": true, "allow_extra_dns_labels": false, "key": "SECRET-KEY"}),
    ])
    .with(ResourceKind::Policy, None, vec![json!({"id": "p-1", "name": "Default", "enabled": true,
        "source_posture_checks": [],
        "rules": [{"id": "x", "name": "Default", "enabled": true, "action": "accept",
                   "bidirectional": true, "protocol": "all",
                   "sources": [{"id": "g-all", "name": "All"}],
                   "destinations": [{"id": "g-all", "name": "All"}]}]})])
    .with(ResourceKind::User, None, vec![
        json!({"id": "u-1", "email": "boss@acme.example", "role": "owner", "auto_groups": []}),
        json!({"id": "u-2", "email": "", "name": "backup bot", "role": "user",
               "is_service_user": true, "auto_groups": ["g-office"]}),
        json!({"id": "u-3", "email": "b@acme.example", "role": "user", "auto_groups": [],
               "is_blocked": true}),
    ])
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
    let file = crate::diag::source::SourceFile::new("export.yaml", text);
    let loaded = crate::playbook::load(&file);
    assert!(loaded.is_ok(), "{:?}", loaded.err());
}

/// A name is written so that the template engine reads it as text, whatever it holds: the
/// exported value renders to the name itself.
#[test]
fn names_with_template_syntax_render_as_themselves() {
    use crate::diag::source::{SourceFile, Span};
    use crate::playbook::template::Template;
    for name in [
        r#"{% endraw %}{{ inputs.domain ~ "-INJECTED" }}{% raw %}"#,
        "{{ x }}",
        "{# c #}",
        r#"it's {{ "q" }} \ {% if true %}"#,
        "}} {{{ %}\n",
        "a\u{85}b{{\u{2028}\t'\\'",
        "{{ steps.k.key }}",
    ] {
        let Value::String(value) = super::steps::literal(name) else {
            panic!("not a string");
        };
        let yaml = super::emit::scalar(&Value::String(value.clone()));
        assert!(!yaml.contains('\n') && !yaml.contains('\u{85}'), "{yaml}");
        let file = SourceFile::new("t.yaml", format!("v: {yaml}\n"));
        let t = Template::parse(&file, Span::new(3, yaml.len()), &value).expect("parses");
        assert!(t.refs.is_empty(), "{name:?} reads {:?}", t.refs);
        let ctx = minijinja::context! { inputs => minijinja::context! { domain => "rq.example" } };
        assert_eq!(t.render(&ctx).expect("renders"), json!(name), "{value}");
    }
}

#[test]
fn comments_keep_api_text_on_their_line() {
    let mut snap = snapshot();
    snap.domain = "evil.example\nsteps: []".into();
    if let Some(keys) = snap.objects.get_mut(&ResourceKind::SetupKey) {
        keys[0].value["name"] = json!("old\r\n- id: injected");
    }
    let text = playbook(&snap, Some("pinned"));
    assert!(!text.contains("\nsteps: []"), "{text}");
    assert!(!text.contains("\n- id: injected"), "{text}");
}
