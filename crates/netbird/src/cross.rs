//! Cross-field rules of the API, one function per kind, that a field table cannot say:
//! `peer` xor `peer_groups`, `network` xor `domains`, ports only with TCP or UDP, one rule per
//! policy, nameserver `primary` against match domains, the `All` group outside setup keys,
//! ... Taken from `shared/netbird/api-notes.md` (sections 2 and 7) and the spec.
//!
//! A rule only fires on values it can judge: an `opaque` string (a value not known yet) never
//! triggers one, so the engine can check a plan before ids exist and again before sending.

use serde_json::{Map, Value};

use crate::check::{FieldIssue, Problem, issue, join};
use crate::kind::ResourceKind;

type Obj = Map<String, Value>;

/// Reads fields of one object, treating opaque strings as "given, value unknown".
struct View<'a> {
    obj: &'a Obj,
    opaque: &'a dyn Fn(&str) -> bool,
}

impl<'a> View<'a> {
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn is_opaque(&self, key: &str) -> bool {
        self.get(key)
            .and_then(Value::as_str)
            .is_some_and(|s| (self.opaque)(s))
    }

    /// Present and not an empty list (an opaque value counts as given).
    fn given(&self, key: &str) -> bool {
        match self.get(key) {
            None => false,
            Some(Value::Array(a)) => !a.is_empty(),
            Some(_) => true,
        }
    }

    /// A list that is certainly empty or absent (not opaque).
    fn surely_empty(&self, key: &str) -> bool {
        match self.get(key) {
            None => true,
            Some(Value::Array(a)) => a.is_empty(),
            Some(_) => false,
        }
    }

    fn bool(&self, key: &str) -> Option<bool> {
        self.get(key).and_then(Value::as_bool)
    }

    fn str(&self, key: &str) -> Option<&'a str> {
        self.get(key)
            .and_then(Value::as_str)
            .filter(|s| !(self.opaque)(s))
    }

    fn int(&self, key: &str) -> Option<i64> {
        self.get(key).and_then(Value::as_i64)
    }
}

fn rule(issues: &mut Vec<FieldIssue>, path: String, message: impl Into<String>) {
    let message = message.into();
    issues.push(issue(path, Problem::Rule { message }));
}

/// Apply the rules of `kind` to a body.
pub(crate) fn check(
    kind: ResourceKind,
    body: &Obj,
    opaque: &dyn Fn(&str) -> bool,
    issues: &mut Vec<FieldIssue>,
) {
    let v = View { obj: body, opaque };
    match kind {
        ResourceKind::SetupKey => setup_key(&v, issues),
        ResourceKind::Policy => policy(&v, issues),
        ResourceKind::PostureCheck => posture_check(&v, issues),
        ResourceKind::NetworkRouter => peer_xor_groups(&v, issues),
        ResourceKind::Route => route(&v, issues),
        ResourceKind::NameserverGroup => nameserver_group(&v, issues),
        ResourceKind::User => user(&v, issues),
        ResourceKind::AccountSettings => account_settings(&v, issues),
        ResourceKind::EventStreaming => event_streaming(&v, issues),
        _ => {}
    }
}

fn setup_key(v: &View, issues: &mut Vec<FieldIssue>) {
    if v.str("type") == Some("one-off") && v.int("usage_limit").is_some_and(|n| n > 1) {
        rule(
            issues,
            "usage_limit".into(),
            "a one-off key can be used only once: set `usage_limit` to 0 or 1, or use `type: reusable`",
        );
    }
    if let Some(Value::Array(groups)) = v.get("auto_groups") {
        for (i, g) in groups.iter().enumerate() {
            if g.as_str() == Some("All") {
                rule(
                    issues,
                    format!("auto_groups[{i}]"),
                    "the `All` group cannot be in a setup key's `auto_groups` (NetBird refuses it; the field takes group ids, and every peer joins `All` anyway)",
                );
            }
        }
    }
}

fn policy(v: &View, issues: &mut Vec<FieldIssue>) {
    let Some(Value::Array(rules)) = v.get("rules") else {
        return;
    };
    match rules.len() {
        0 => rule(issues, "rules".into(), "a policy needs exactly one rule"),
        1 => {}
        _ => rule(
            issues,
            "rules[1]".into(),
            "NetBird keeps only the first rule of a policy (netbird#3583), so every later plan would show a change: write one policy per rule",
        ),
    }
    for (i, r) in rules.iter().enumerate() {
        if let Some(obj) = r.as_object() {
            let r = View {
                obj,
                opaque: v.opaque,
            };
            policy_rule(&r, &format!("rules[{i}]"), issues);
        }
    }
}

fn policy_rule(r: &View, at: &str, issues: &mut Vec<FieldIssue>) {
    for (list, resource) in [
        ("sources", "sourceResource"),
        ("destinations", "destinationResource"),
    ] {
        match (r.given(list), r.given(resource)) {
            (true, true) => rule(
                issues,
                join(at, resource),
                format!("give either `{list}` or `{resource}`, not both"),
            ),
            (false, false) => rule(
                issues,
                at.to_owned(),
                format!("a rule needs `{list}` or `{resource}`"),
            ),
            _ => {}
        }
    }
    let protocol = r.str("protocol");
    let ports = r.given("ports");
    let ranges = r.given("port_ranges");
    if matches!(protocol, Some("all" | "icmp" | "netbird-ssh")) && (ports || ranges) {
        let field = if ports { "ports" } else { "port_ranges" };
        rule(
            issues,
            join(at, field),
            format!(
                "ports are allowed only with protocol tcp or udp, not `{}`",
                protocol.unwrap_or_default()
            ),
        );
    } else if ports && ranges {
        rule(
            issues,
            join(at, "port_ranges"),
            "give either `ports` or `port_ranges`, not both",
        );
    }
    port_ranges(r, at, issues);
    if protocol == Some("netbird-ssh") {
        ssh_users(r, at, issues);
    }
}

fn port_ranges(r: &View, at: &str, issues: &mut Vec<FieldIssue>) {
    let Some(Value::Array(items)) = r.get("port_ranges") else {
        return;
    };
    for (j, item) in items.iter().enumerate() {
        let (Some(start), Some(end)) = (
            item.get("start").and_then(Value::as_i64),
            item.get("end").and_then(Value::as_i64),
        ) else {
            continue;
        };
        if start > end {
            rule(
                issues,
                format!("{at}.port_ranges[{j}]"),
                format!("the range starts after it ends ({start} > {end})"),
            );
        }
    }
}

/// `netbird-ssh` needs local users for every source group.
fn ssh_users(r: &View, at: &str, issues: &mut Vec<FieldIssue>) {
    let Some(Value::Array(sources)) = r.get("sources") else {
        return;
    };
    let authorized = r.get("authorized_groups").and_then(Value::as_object);
    for g in sources.iter().filter_map(Value::as_str) {
        if (r.opaque)(g) || authorized.is_some_and(|m| m.contains_key(g)) {
            continue;
        }
        rule(
            issues,
            join(at, "authorized_groups"),
            format!(
                "protocol netbird-ssh needs local users in `authorized_groups` for source group `{g}`"
            ),
        );
    }
}

fn posture_check(v: &View, issues: &mut Vec<FieldIssue>) {
    let checks = v.get("checks");
    if checks.is_some_and(|c| v.is_opaque("checks") || !c.is_object()) {
        return;
    }
    if checks
        .and_then(Value::as_object)
        .is_none_or(|c| c.values().all(Value::is_null))
    {
        let at = if checks.is_some() { "checks" } else { "" };
        rule(
            issues,
            at.into(),
            "a posture check needs at least one check (nb_version_check, os_version_check, geo_location_check, peer_network_range_check or process_check)",
        );
    }
    let processes = checks
        .and_then(|c| c.pointer("/process_check/processes"))
        .and_then(Value::as_array);
    for (i, p) in processes.into_iter().flatten().enumerate() {
        let paths = ["linux_path", "mac_path", "windows_path"];
        if p.is_object() && paths.iter().all(|k| p.get(k).is_none_or(Value::is_null)) {
            rule(
                issues,
                format!("checks.process_check.processes[{i}]"),
                "a process needs at least one of linux_path, mac_path, windows_path",
            );
        }
    }
}

fn peer_xor_groups(v: &View, issues: &mut Vec<FieldIssue>) {
    match (v.given("peer"), v.given("peer_groups")) {
        (true, true) => rule(
            issues,
            "peer_groups".into(),
            "give either `peer` or `peer_groups`, not both",
        ),
        (false, false) => rule(
            issues,
            String::new(),
            "needs `peer` (a peer id) or `peer_groups` (group ids)",
        ),
        _ => {}
    }
}

fn route(v: &View, issues: &mut Vec<FieldIssue>) {
    peer_xor_groups(v, issues);
    match (v.given("network"), v.given("domains")) {
        (true, true) => rule(
            issues,
            "domains".into(),
            "give either `network` or `domains`, not both",
        ),
        (false, false) => rule(
            issues,
            String::new(),
            "a route needs `network` (a CIDR) or `domains`",
        ),
        _ => {}
    }
}

fn nameserver_group(v: &View, issues: &mut Vec<FieldIssue>) {
    let primary = v.bool("primary");
    let no_domains = v.surely_empty("domains");
    // Certainly some domains: an opaque value may turn out empty.
    let has_domains = matches!(v.get("domains"), Some(Value::Array(a)) if !a.is_empty());
    if primary == Some(true) && has_domains {
        rule(
            issues,
            "primary".into(),
            "a primary nameserver group resolves every domain: drop `primary: true` or the `domains`",
        );
    }
    if primary == Some(false) && no_domains {
        rule(
            issues,
            "primary".into(),
            "a nameserver group that is not primary needs match `domains`",
        );
    }
    if v.bool("search_domains_enabled") == Some(true) && no_domains {
        rule(
            issues,
            "search_domains_enabled".into(),
            "search domains need match `domains` (a primary group has none)",
        );
    }
}

fn user(v: &View, issues: &mut Vec<FieldIssue>) {
    if v.bool("is_service_user") != Some(true) && v.get("email").is_none() {
        rule(
            issues,
            String::new(),
            "a regular user is invited by `email`: give one, or set `is_service_user: true`",
        );
    }
}

fn account_settings(v: &View, issues: &mut Vec<FieldIssue>) {
    if v.bool("peer_login_expiration_enabled") == Some(true)
        && v.int("peer_login_expiration").is_some_and(|n| n < 3600)
    {
        rule(
            issues,
            "peer_login_expiration".into(),
            "must be at least 3600 seconds (one hour) while login expiration is enabled",
        );
    }
    if v.int("peer_inactivity_expiration").is_some_and(|n| n < 0) {
        rule(
            issues,
            "peer_inactivity_expiration".into(),
            "must not be negative",
        );
    }
    if let Some(d) = v.str("dns_domain")
        && !d.is_empty()
        && !crate::formats::matches(crate::spec::Format::Domain, d)
    {
        rule(
            issues,
            "dns_domain".into(),
            "must be a domain with at least two labels, or empty",
        );
    }
}

/// An event-streaming integration's `config` has the keys its platform needs, each a string
/// (`config.api_key`: missing).
fn event_streaming(v: &View, issues: &mut Vec<FieldIssue>) {
    let (Some(platform), Some(Value::Object(config))) = (v.str("platform"), v.get("config")) else {
        return;
    };
    let needed = crate::catalog::EVENT_STREAMING_CONFIG_KEYS
        .iter()
        .find(|(p, _)| *p == platform)
        .map_or(&[][..], |(_, keys)| *keys);
    for key in needed {
        if config.get(*key).is_none_or(Value::is_null) {
            issues.push(issue(format!("config.{key}"), Problem::Missing));
        }
    }
    for (key, value) in config {
        if !value.is_string() && !value.is_null() {
            rule(
                issues,
                format!("config.{key}"),
                "every `config` value is a string (NetBird's config is a map of strings)",
            );
        }
    }
}
