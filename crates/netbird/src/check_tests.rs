//! Unit tests for request validation.

use serde_json::json;

use super::*;

fn paths(r: Result<(), Vec<FieldIssue>>) -> Vec<String> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|i| i.to_string())
        .collect()
}

#[test]
fn a_valid_group_passes() {
    let body =
        json!({"name": "Servers", "peers": [], "resources": [{"id": "r1", "type": "subnet"}]});
    assert_eq!(check_request(ResourceKind::Group, &body), Ok(()));
}

#[test]
fn reports_every_problem_at_once() {
    let body = json!({
        "type": "forever",
        "expires_in": "7d",
        "auto_groups": ["g1", 2],
        "usage_limit": 0,
        "colour": "blue",
    });
    let issues = paths(check_request(ResourceKind::SetupKey, &body));
    assert_eq!(
        issues,
        [
            "name: required field is missing",
            "type: must be one of one-off, reusable",
            "expires_in: expected an integer, found a string",
            "auto_groups[1]: expected a string, found an integer",
            "colour: unknown field (known: name, type, expires_in, auto_groups, usage_limit, ephemeral, allow_extra_dns_labels)",
        ]
    );
}

#[test]
fn nested_rules_are_checked() {
    let body = json!({
        "name": "p", "enabled": true,
        "rules": [{
            "name": "ssh", "enabled": true, "bidirectional": false, "action": "accept",
            "protocol": "ssh", "ports": ["22"],
            "port_ranges": [{"start": 0, "end": 10}],
            "sourceResource": {"id": "x"},
            "authorized_groups": {"g1": ["root"]},
        }],
    });
    let issues = paths(check_request(ResourceKind::Policy, &body));
    assert_eq!(
        issues,
        [
            "rules[0].protocol: must be one of all, tcp, udp, icmp, netbird-ssh",
            "rules[0].port_ranges[0].start: must be in 1..=65535",
            "rules[0].sourceResource.type: required field is missing",
            "rules[0]: a rule needs `destinations` or `destinationResource`",
            "rules[0].port_ranges: give either `ports` or `port_ranges`, not both",
        ]
    );
}

#[test]
fn null_is_absent_and_parent_is_accepted() {
    let body = json!({
        "network_id": "n1", "name": "lan", "address": "10.0.0.0/24",
        "enabled": true, "groups": ["g"], "description": null,
    });
    assert_eq!(check_request(ResourceKind::NetworkResource, &body), Ok(()));
    let body = json!({"name": null});
    assert_eq!(
        paths(check_request(ResourceKind::Network, &body)),
        ["name: required field is missing"]
    );
    assert_eq!(
        paths(check_request(ResourceKind::Network, &json!([]))),
        ["body: expected an object, found a list"]
    );
}

#[test]
fn update_bodies_differ_where_the_api_does() {
    let put = json!({"revoked": true, "auto_groups": []});
    assert_eq!(check_update(ResourceKind::SetupKey, &put), Ok(()));
    assert!(check_request(ResourceKind::SetupKey, &put).is_err());
    let user = json!({"role": "admin", "auto_groups": [], "is_blocked": false});
    assert_eq!(check_update(ResourceKind::User, &user), Ok(()));
    assert_eq!(
        paths(check_update(ResourceKind::Token, &json!({}))),
        ["body: cannot be updated in place"]
    );
}

#[test]
fn posture_checks_and_nameservers() {
    let pc = json!({
        "name": "min-version", "description": "",
        "checks": {
            "nb_version_check": {"min_version": "0.30"},
            "os_version_check": {"linux": {"min_kernel_version": "5.0"}, "ios": {}},
            "geo_location_check": {"locations": [{"country_code": "DE"}], "action": "block"},
        },
    });
    assert_eq!(
        paths(check_request(ResourceKind::PostureCheck, &pc)),
        [
            "checks.os_version_check.ios.min_version: required field is missing",
            "checks.geo_location_check.action: must be one of allow, deny",
        ]
    );
    let ns = json!({
        "name": "corp", "description": "", "enabled": true, "groups": [], "primary": true,
        "domains": [], "search_domains_enabled": false,
        "nameservers": [{"ip": "1.1.1.1", "ns_type": "tcp", "port": 53}],
    });
    assert_eq!(
        paths(check_request(ResourceKind::NameserverGroup, &ns)),
        [
            "groups: needs at least 1 item(s)",
            "nameservers[0].ns_type: must be one of udp"
        ]
    );
}

fn setup_key(extra: serde_json::Value) -> serde_json::Value {
    let mut body = json!({
        "name": "k", "type": "reusable", "expires_in": 86400, "auto_groups": [], "usage_limit": 0,
    });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    body
}

#[test]
fn issue_mistakes_are_refused() {
    let cases = [
        (
            json!({"expires_in": "30d"}),
            "expires_in: expected an integer, found a string",
        ),
        (
            json!({"expires_in": 3600}),
            "expires_in: must be 0 or in 86400..=31536000",
        ),
        (
            json!({"usage_limit": "25"}),
            "usage_limit: expected an integer, found a string",
        ),
        (
            json!({"auto_groups": ["All"]}),
            "auto_groups[0]: the `All` group cannot be in a setup key's `auto_groups` (NetBird refuses it; the field takes group ids, and every peer joins `All` anyway)",
        ),
        (
            json!({"descripton": "x"}),
            "descripton: unknown field (known: name, type, expires_in, auto_groups, usage_limit, ephemeral, allow_extra_dns_labels)",
        ),
        (
            json!({"usage_limt": 3}),
            "usage_limt: unknown field (did you mean `usage_limit`?)",
        ),
    ];
    for (extra, want) in cases {
        let body = setup_key(extra);
        assert_eq!(
            paths(check_request(ResourceKind::SetupKey, &body)),
            [want],
            "{body}"
        );
    }
    assert_eq!(
        check_request(ResourceKind::SetupKey, &setup_key(json!({"expires_in": 0}))),
        Ok(())
    );
}

#[test]
fn cross_field_rules_fire_and_opaque_values_are_skipped() {
    let router = json!({"network_id": "n1", "peer": "p1", "peer_groups": ["g1"], "metric": 100000, "masquerade": true, "enabled": true});
    assert_eq!(
        paths(check_request(ResourceKind::NetworkRouter, &router)),
        [
            "metric: must be in 1..=9999",
            "peer_groups: give either `peer` or `peer_groups`, not both",
        ]
    );
    let ns = json!({
        "name": "corp", "description": "", "enabled": true, "groups": ["g"], "primary": true,
        "domains": ["clinic"], "search_domains_enabled": false,
        "nameservers": [{"ip": "dns.google", "ns_type": "udp", "port": 53}],
    });
    assert_eq!(
        paths(check_request(ResourceKind::NameserverGroup, &ns)),
        [
            "domains[0]: must be a domain with at least two labels, such as corp.example",
            "nameservers[0].ip: must be an IP address",
            "primary: a primary nameserver group resolves every domain: drop `primary: true` or the `domains`",
        ]
    );
    let opaque = |s: &str| s == "?";
    let later =
        json!({"network_id": "?", "peer": "?", "metric": 10, "masquerade": "?", "enabled": true});
    assert_eq!(
        check_request_with(ResourceKind::NetworkRouter, &later, &opaque),
        Ok(())
    );
    assert!(check_request(ResourceKind::NetworkRouter, &later).is_err());
}
