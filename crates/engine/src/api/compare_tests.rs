//! One test per normalisation [`super::matches`] knows, each citing the NetBird behaviour it
//! absorbs (api-notes.md; NetBird's handlers at the spec's commit).

use super::*;
use serde_json::json;

#[test]
fn group_objects_compare_as_ids_and_lists_as_sets() {
    // api-notes §2.7: policy rules answer `sources`/`destinations` as GroupMinimum objects.
    let desired = json!({"name": "p", "rules": [{"sources": ["a", "b"], "ports": ["22"]}]});
    let live = json!({"id": "x", "name": "p", "rules": [{"id": "r", "sources": [{"id": "b", "name": "B"}, {"id": "a", "name": "A"}], "ports": ["22"]}]});
    assert!(matches(&desired, &live));
    let changed = json!({"name": "p", "rules": [{"sources": ["a", "b"], "ports": ["2222"]}]});
    assert!(!matches(&changed, &live));
    assert_eq!(
        diff(&json!({"name": "q"}), &live),
        vec![("name".into(), json!("p"), json!("q"))]
    );
}

#[test]
fn fields_the_api_does_not_echo_are_ignored() {
    // Setup keys take `expires_in` and answer `expires`.
    assert!(matches(
        &json!({"name": "k", "expires_in": 86400}),
        &json!({"name": "k", "expires": "2026-12-01"})
    ));
    assert!(matches(&json!({"n": 1}), &json!({"n": 1.0})));
}

#[test]
fn a_bare_host_equals_its_full_length_prefix() {
    // api-notes §7: a network resource created as `10.10.0.6` reads back as `10.10.0.6/32`
    // (`/128` for IPv6).
    let live = json!({"address": "10.10.0.6/32", "name": "db"});
    assert!(matches(&json!({"address": "10.10.0.6"}), &live));
    assert!(matches(
        &json!({"address": "fd00::6"}),
        &json!({"address": "fd00::6/128"})
    ));
    assert!(!matches(&json!({"address": "10.10.0.7"}), &live));
    assert!(!matches(&json!({"address": "10.10.0.6/31"}), &live));
    assert_eq!(diff(&json!({"address": "10.10.0.6"}), &live), vec![]);
}

#[test]
fn ipv6_compares_in_any_spelling_and_prefixes_by_their_network() {
    // NetBird parses addresses with Go's netip and answers `Prefix.String()`: the canonical
    // IPv6 form, whatever the request spelled.
    assert!(matches(
        &json!({"network": "FD00:0:0::/64"}),
        &json!({"network": "fd00::/64"})
    ));
    assert!(matches(
        &json!({"network": "10.0.0.1/24"}),
        &json!({"network": "10.0.0.0/24"})
    ));
    assert!(!matches(
        &json!({"network": "10.0.0.0/24"}),
        &json!({"network": "10.0.0.0/16"})
    ));
    let ranges = json!({"ranges": ["192.168.0.0/16", "10.0.0.0/8"]});
    let live = json!({"ranges": ["10.0.0.0/8", "192.168.0.0/16"]});
    assert!(matches(&ranges, &live), "posture check ranges are a set");
}

#[test]
fn domains_ignore_case_and_a_trailing_dot() {
    // DNS names are case-insensitive and `example.com.` is the fully qualified spelling of
    // `example.com`; NetBird's domain type converts names to their lower-case ASCII form.
    assert!(matches(
        &json!({"domains": ["Corp.Example.COM.", "b.example.com"]}),
        &json!({"domains": ["b.example.com", "corp.example.com"]})
    ));
    assert!(matches(
        &json!({"address": "*.Example.com"}),
        &json!({"address": "*.example.com"})
    ));
    assert!(!matches(
        &json!({"domains": ["corp.example.com"]}),
        &json!({"domains": ["corp.example.org"]})
    ));
    // Names are not domains: their case is kept.
    assert!(!matches(&json!({"name": "Web"}), &json!({"name": "web"})));
}

#[test]
fn ports_compare_as_numbers() {
    // The API takes ports as strings (`PolicyRuleUpdate.ports: string[]`); a playbook may
    // write them as numbers.
    assert!(matches(
        &json!({"ports": [443, 22]}),
        &json!({"ports": ["22", "443"]})
    ));
    assert!(!matches(
        &json!({"ports": [22]}),
        &json!({"ports": ["2222"]})
    ));
}

#[test]
fn zero_values_equal_absent_or_null_ones() {
    // api-notes §7: NetBird's decoder leaves absent fields at Go's zero values and the
    // answers omit or null them (`description`, `peer_groups`, `ports`).
    let live = json!({"description": null, "peer_groups": null, "ports": null, "enabled": false});
    let desired = json!({"description": "", "peer_groups": [], "ports": [], "enabled": false});
    assert!(matches(&desired, &live));
    assert!(matches(
        &json!({"enabled": null}),
        &json!({"enabled": false})
    ));
    assert!(!matches(&json!({"peer_groups": ["g"]}), &live));
    assert!(!matches(&json!({"enabled": true}), &live));
}

#[test]
fn lists_of_objects_are_sets_except_ordered_ones() {
    // Group resources and port ranges come back in NetBird's order; nameservers are asked
    // in the order given, so their order is a change.
    let desired = json!({"port_ranges": [{"start": 1, "end": 2}, {"start": 8000, "end": 8080}]});
    let live = json!({"port_ranges": [{"start": 8000, "end": 8080}, {"start": 1, "end": 2}]});
    assert!(matches(&desired, &live));
    let twice = json!({"port_ranges": [{"start": 1, "end": 2}, {"start": 1, "end": 2}]});
    assert!(
        !matches(&twice, &live),
        "each desired element needs its own match"
    );
    let ns =
        |a: &str, b: &str| json!({"nameservers": [{"ip": a, "port": 53}, {"ip": b, "port": 53}]});
    assert!(matches(
        &ns("1.1.1.1", "8.8.8.8"),
        &ns("1.1.1.1", "8.8.8.8")
    ));
    assert!(!matches(
        &ns("1.1.1.1", "8.8.8.8"),
        &ns("8.8.8.8", "1.1.1.1")
    ));
}

#[test]
fn repeated_ids_are_one_member() {
    // Group membership is a set in NetBird's store: a repeated id is one member.
    assert!(matches(
        &json!({"auto_groups": ["a", "a", "b"]}),
        &json!({"auto_groups": ["b", "a"]})
    ));
}

#[test]
fn emails_ignore_case_and_match_field_is_the_same_compare() {
    // NetBird looks users up by email case-insensitively.
    assert!(matches_field(
        "email",
        &json!("Ann@Example.com"),
        &json!("ann@example.com")
    ));
    assert!(matches_field(
        "address",
        &json!("10.0.0.1"),
        &json!("10.0.0.1/32")
    ));
    assert!(!matches_field("name", &json!("Ann"), &json!("ann")));
}

#[test]
fn a_changed_rule_shows_its_changed_fields_not_ids_against_objects() {
    let desired = json!({"name": "p", "rules": [
        {"name": "ssh", "sources": ["a"], "ports": ["2222"], "protocol": "tcp"}]});
    let live = json!({"id": "x", "name": "p", "rules": [
        {"id": "r", "name": "ssh", "sources": [{"id": "a", "name": "A"}], "ports": ["22"],
         "protocol": "tcp"}]});
    assert_eq!(
        diff(&desired, &live),
        vec![("rules[0].ports".to_owned(), json!(["22"]), json!(["2222"]))]
    );
    assert_eq!(top_field("rules[0].ports"), "rules");
    // A rule added or removed: the list as a whole.
    let two = json!({"rules": [{"name": "a"}, {"name": "b"}]});
    let one = json!({"rules": [{"id": "r", "name": "a"}]});
    assert_eq!(diff(&two, &one)[0].0, "rules");
}
