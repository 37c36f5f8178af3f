//! Cross-checks the static catalogue against `shared/netbird/openapi.yml`:
//! request fields, required lists, types and enums, response field names, and
//! that every collection path exists. Skips (and says so) when the spec file is
//! absent; set ONBOARD_OPENAPI to point at another copy.

#![allow(clippy::unwrap_used)] // test helpers outside #[test] fns

use std::collections::BTreeSet;
use std::path::PathBuf;

use onboard_netbird::{FieldType, ObjectSpec, ResourceKind, UpdateBody};
use serde_json::{Map, Value};

fn load_spec() -> Option<Value> {
    let path = std::env::var_os("ONBOARD_OPENAPI").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/netbird/openapi.yml"),
        PathBuf::from,
    );
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: no OpenAPI spec at {}", path.display());
        return None;
    };
    Some(serde_saphyr::from_str(&text).expect("openapi.yml parses"))
}

struct Schemas<'a>(&'a Map<String, Value>);

impl<'a> Schemas<'a> {
    fn named(&self, name: &str) -> &'a Value {
        self.0
            .get(name)
            .unwrap_or_else(|| panic!("no schema {name}"))
    }

    fn deref(&self, v: &'a Value) -> &'a Value {
        match v.get("$ref").and_then(Value::as_str) {
            Some(r) => self.deref(self.named(ref_name(r))),
            None => v,
        }
    }

    /// Properties and required fields, through `$ref` and `allOf`.
    fn object(&self, v: &'a Value, props: &mut Map<String, Value>, req: &mut BTreeSet<String>) {
        let v = self.deref(v);
        for part in v
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            self.object(part, props, req);
        }
        if let Some(p) = v.get("properties").and_then(Value::as_object) {
            props.extend(p.clone());
        }
        for r in v
            .get("required")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            req.insert(r.as_str().unwrap().to_owned());
        }
    }

    /// The `type` and enum values of a property, through `$ref` and `allOf`.
    fn scalar(&self, v: &'a Value) -> (Option<String>, BTreeSet<String>) {
        let v = self.deref(v);
        let mut ty = v.get("type").and_then(Value::as_str).map(str::to_owned);
        let mut values: BTreeSet<String> = v
            .get("enum")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|e| e.as_str().unwrap().to_owned())
            .collect();
        for part in v
            .get("allOf")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (t, e) = self.scalar(part);
            ty = ty.or(t);
            values.extend(e);
        }
        (ty, values)
    }

    /// True when `v` is, or refers (through `$ref`s) to, schema `name`.
    fn refers_to(&self, v: &Value, name: &str) -> bool {
        match v.get("$ref").and_then(Value::as_str).map(ref_name) {
            Some(r) if r == name => true,
            Some(r) => self.refers_to(self.named(r), name),
            None => false,
        }
    }
}

fn ref_name(r: &str) -> &str {
    r.rsplit('/').next().unwrap()
}

fn check_object(s: &Schemas, spec: &ObjectSpec, at: &str, errors: &mut Vec<String>) {
    let (mut props, mut req) = (Map::new(), BTreeSet::new());
    // `A|B`: the spec's `oneOf` of A and B as one object: every property of either, required
    // what both require.
    let mut alternatives = spec.schema.split('|');
    if let Some(first) = alternatives.next() {
        s.object(s.named(first), &mut props, &mut req);
    }
    for other in alternatives {
        let mut theirs = BTreeSet::new();
        s.object(s.named(other), &mut props, &mut theirs);
        req.retain(|r| theirs.contains(r));
    }
    // RouteRequest lists `id` as required without declaring it: ignore such names.
    req.retain(|r| props.contains_key(r));
    let ours: BTreeSet<String> = spec.required.iter().map(|r| r.to_string()).collect();
    if ours != req {
        errors.push(format!(
            "{at} ({}): required {ours:?} != spec {req:?}",
            spec.schema
        ));
    }
    let names: BTreeSet<&str> = spec.fields.iter().map(|f| f.name).collect();
    let theirs: BTreeSet<&str> = props.keys().map(String::as_str).collect();
    if names != theirs {
        errors.push(format!(
            "{at} ({}): fields {names:?} != spec {theirs:?}",
            spec.schema
        ));
    }
    for field in spec.fields {
        let Some(prop) = props.get(field.name) else {
            continue;
        };
        let here = format!("{at}.{}", field.name);
        check_field(s, &field.ty, field.enum_values, prop, &here, errors);
    }
}

fn check_field(
    s: &Schemas,
    ty: &FieldType,
    enum_values: &[&str],
    prop: &Value,
    at: &str,
    errors: &mut Vec<String>,
) {
    let (mut spec_ty, spec_enum) = s.scalar(prop);
    // A `oneOf` of objects is an object.
    let one_of = s.deref(prop).get("oneOf").and_then(Value::as_array);
    if spec_ty.is_none()
        && one_of.is_some_and(|alts| {
            alts.iter()
                .all(|a| s.scalar(a).0.as_deref() == Some("object"))
        })
    {
        spec_ty = Some("object".into());
    }
    let want = match ty {
        FieldType::String => "string",
        FieldType::Integer => "integer",
        FieldType::Boolean => "boolean",
        FieldType::StringList | FieldType::IntegerList | FieldType::ObjectList(_) => "array",
        FieldType::Object(_) | FieldType::Map => "object",
    };
    if spec_ty.as_deref() != Some(want) {
        errors.push(format!("{at}: type {want} != spec {spec_ty:?}"));
    }
    let mut ours: BTreeSet<String> = enum_values.iter().map(|e| e.to_string()).collect();
    // Values the server takes beyond the spec's enum (read from its code).
    if let Some((_, extra)) = SERVER_TAKES_MORE.iter().find(|(f, _)| *f == at) {
        ours.retain(|v| !extra.contains(&v.as_str()));
    }
    if !spec_enum.is_empty() && ours != spec_enum {
        errors.push(format!("{at}: enum {ours:?} != spec {spec_enum:?}"));
    }
    let items = s.deref(prop).get("items");
    match ty {
        FieldType::StringList => {
            let item_ty = items.map(|i| s.scalar(i).0);
            if item_ty != Some(Some("string".into())) {
                errors.push(format!("{at}: items {item_ty:?}, want strings"));
            }
        }
        FieldType::IntegerList => {
            let item_ty = items.map(|i| s.scalar(i).0);
            if item_ty != Some(Some("integer".into())) {
                errors.push(format!("{at}: items {item_ty:?}, want integers"));
            }
        }
        FieldType::Object(o) if o.schema.contains('|') => {
            let refs: BTreeSet<&str> = one_of
                .into_iter()
                .flatten()
                .filter_map(|a| a.get("$ref").and_then(Value::as_str).map(ref_name))
                .collect();
            let want: BTreeSet<&str> = o.schema.split('|').collect();
            if refs != want {
                errors.push(format!("{at}: oneOf {refs:?} != {want:?}"));
            }
            check_object(s, o, at, errors);
        }
        FieldType::Object(o) => {
            if !s.refers_to(prop, o.schema) {
                errors.push(format!("{at}: does not refer to {}", o.schema));
            }
            check_object(s, o, at, errors);
        }
        FieldType::ObjectList(o) => {
            if !items.is_some_and(|i| s.refers_to(i, o.schema)) {
                errors.push(format!("{at}: items do not refer to {}", o.schema));
            }
            check_object(s, o, &format!("{at}[]"), errors);
        }
        _ => {}
    }
}

/// Enums where NetBird's server takes more than its spec lists: the catalogue follows the
/// server (`IdentityProviderType.IsValid` also takes `authentik` and `keycloak`).
const SERVER_TAKES_MORE: &[(&str, &[&str])] =
    &[("identity_provider.type", &["authentik", "keycloak"])];

fn template(path: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in path.chars() {
        match c {
            '{' => {
                inside = true;
                out.push_str("{}");
            }
            '}' => inside = false,
            _ if !inside => out.push(c),
            _ => {}
        }
    }
    out
}

#[test]
fn catalogue_matches_openapi() {
    let Some(doc) = load_spec() else { return };
    let schemas = Schemas(doc["components"]["schemas"].as_object().unwrap());
    let paths: BTreeSet<String> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(|p| template(p))
        .collect();
    let mut errors = Vec::new();
    for kind in ResourceKind::ALL {
        let spec = kind.spec();
        if spec.msp_action {
            check_action(&doc, spec, &mut errors);
            continue;
        }
        check_object(&schemas, &spec.body(), spec.name, &mut errors);
        if let UpdateBody::Other(o) = spec.update {
            check_object(&schemas, o, &format!("{} (update)", spec.name), &mut errors);
        }
        let (mut props, mut req) = (Map::new(), BTreeSet::new());
        for name in spec.response_schemas {
            schemas.object(schemas.named(name), &mut props, &mut req);
        }
        let mut want: BTreeSet<&str> = props.keys().map(String::as_str).collect();
        want.extend(spec.secret_fields);
        let ours: BTreeSet<&str> = spec.response_fields.iter().copied().collect();
        if ours != want {
            errors.push(format!("{kind}: response fields {ours:?} != spec {want:?}"));
        }
        if let Some((field, _)) = spec.unique_name
            && spec.field(field).is_none()
        {
            errors.push(format!(
                "{kind}: unique field {field} is not a request field"
            ));
        }
        let collection = template(spec.collection);
        if !paths.contains(&collection) {
            errors.push(format!("{kind}: no path {collection}"));
        }
        let item = format!("{collection}/{{}}");
        if !spec.singleton && !paths.contains(&item) {
            errors.push(format!("{kind}: no path {item}"));
        }
        // A singleton that may be absent is created, read, replaced and deleted on its path.
        if spec.may_be_absent {
            let methods = doc["paths"][spec.collection].as_object();
            let methods: BTreeSet<&str> = methods
                .into_iter()
                .flatten()
                .map(|(m, _)| m.as_str())
                .collect();
            if methods != BTreeSet::from(["get", "post", "put", "delete"]) {
                errors.push(format!("{kind}: {} answers {methods:?}", spec.collection));
            }
        }
    }
    assert!(
        errors.is_empty(),
        "catalogue drifted from openapi.yml:\n{}",
        errors.join("\n")
    );
}

/// An action on a tenant ([`onboard_netbird::KindSpec::msp_action`]): its path is a `POST`
/// of the MSP tag with no request body, whose 200 has no content (what onboard records of it
/// is its own: the tenant it ran on), and its kind declares no request field.
fn check_action(doc: &Value, spec: &onboard_netbird::KindSpec, errors: &mut Vec<String>) {
    let kind = spec.name;
    let path = spec
        .collection
        .replace(&format!("{{{}}}", spec.parent.unwrap_or("")), "{id}");
    let Some(post) = doc["paths"].get(&path).and_then(|p| p.get("post")) else {
        errors.push(format!("{kind}: no POST {path}"));
        return;
    };
    if post["tags"] != serde_json::json!(["MSP"]) {
        errors.push(format!("{kind}: POST {path} is not an MSP call"));
    }
    if post.get("requestBody").is_some() || !spec.fields.is_empty() || !spec.required.is_empty() {
        errors.push(format!(
            "{kind}: POST {path} takes no body, so the kind has no field"
        ));
    }
    if post["responses"]["200"].get("content").is_some() {
        errors.push(format!("{kind}: POST {path} answers 200 with a body"));
    }
    if spec.parent != Some("tenant_id") || !spec.response_fields.contains(&"tenant_id") {
        errors.push(format!(
            "{kind}: the tenant's id is its parent and its output"
        ));
    }
}

#[test]
fn the_dns_verification_is_the_specs_tenant_dns_call_and_its_501_the_challenge() {
    let Some(doc) = load_spec() else { return };
    let spec = ResourceKind::TenantDnsVerification.spec();
    let mut errors = Vec::new();
    check_action(&doc, spec, &mut errors);
    assert!(errors.is_empty(), "{errors:?}");
    let post = &doc["paths"]["/api/integrations/msp/tenants/{id}/dns"]["post"];
    assert_eq!(
        post["responses"]["501"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/DNSChallengeResponse"
    );
    let challenge = &doc["components"]["schemas"]["DNSChallengeResponse"];
    assert_eq!(challenge["required"], serde_json::json!(["dns_challenge"]));
}

#[test]
fn secrets_and_unique_names_are_as_documented() {
    use ResourceKind::*;
    let secrets: Vec<(ResourceKind, &[&str])> = ResourceKind::ALL
        .into_iter()
        .map(|k| (k, k.spec().secret_fields))
        .filter(|(_, s)| !s.is_empty())
        .collect();
    assert_eq!(
        secrets,
        [
            (SetupKey, &["key"][..]),
            (User, &["password"][..]),
            (Token, &["plain_token"][..]),
            (UserInvite, &["invite_token"][..]),
            // Answered in full by the create only; masked afterwards.
            (OktaScimIdp, &["auth_token"][..]),
            (ScimIdp, &["auth_token"][..]),
        ]
    );
    let unique: Vec<_> = ResourceKind::ALL
        .into_iter()
        .filter_map(|k| k.spec().unique_name.map(|u| (k, u)))
        .collect();
    assert_eq!(
        unique,
        [
            (Group, ("name", 409)),
            (PostureCheck, ("name", 422)),
            (NetworkResource, ("name", 422)),
            (NameserverGroup, ("name", 422)),
            (User, ("email", 409)),
            // NetBird's zones manager: `zone with domain <d> already exists`.
            (DnsZone, ("domain", 409)),
            // `user with this email already exists`, `invite already exists for this email`.
            (UserInvite, ("email", 409)),
        ]
    );
    for k in ResourceKind::ALL {
        let s = k.spec();
        for secret in s.secret_fields {
            assert!(s.has_response_field(secret) && s.is_secret(secret));
        }
    }
}

/// Names that read like secrets but are not: the JSON keys an agent-network provider uses
/// for the caller's identity (`user_key: "x-user"`).
const NOT_SECRETS: &[&str] = &["user_key", "groups_key"];

/// String fields of a response schema, as dotted paths (lists looked through).
fn string_fields(s: &Schemas, v: &Value, at: &str, depth: usize, out: &mut Vec<String>) {
    if depth > 8 {
        return;
    }
    let v = s.deref(v);
    if let Some(items) = v.get("items") {
        string_fields(s, items, at, depth + 1, out);
    }
    for key in ["allOf", "oneOf", "anyOf"] {
        for part in v.get(key).and_then(Value::as_array).into_iter().flatten() {
            string_fields(s, part, at, depth + 1, out);
        }
    }
    for (name, p) in v
        .get("properties")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        let path = if at.is_empty() {
            name.clone()
        } else {
            format!("{at}.{name}")
        };
        let (ty, _) = s.scalar(p);
        if ty.as_deref() == Some("string") {
            out.push(path.clone());
        }
        string_fields(s, p, &path, depth + 1, out);
    }
}

/// Every answer of openapi.yml with a string field named like a secret has that field among
/// the catalogue's secrets of its path (a resource kind's, or `RAW_RESPONSE_SECRETS`), and
/// every secret the catalogue lists for a raw path is a field of an answer there.
#[test]
fn every_secret_an_answer_holds_is_known_to_the_catalogue() {
    use onboard_netbird::{RAW_RESPONSE_SECRETS, ResponseSecrets, looks_secret, response_secrets};
    let Some(doc) = load_spec() else { return };
    let schemas = Schemas(doc["components"]["schemas"].as_object().unwrap());
    let mut errors = Vec::new();
    let mut fields_at: Vec<(String, Vec<String>)> = Vec::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        let concrete = template(path).replace("{}", "x1");
        let mut fields = Vec::new();
        for op in ops.as_object().unwrap().values() {
            for (code, r) in op
                .get("responses")
                .and_then(Value::as_object)
                .into_iter()
                .flatten()
            {
                if !code.starts_with('2') {
                    continue;
                }
                if let Some(schema) = r.pointer("/content/application~1json/schema") {
                    string_fields(&schemas, schema, "", 0, &mut fields);
                }
            }
        }
        for f in &fields {
            let last = f.rsplit('.').next().unwrap();
            if !looks_secret(last) || NOT_SECRETS.contains(&last) {
                continue;
            }
            match response_secrets(&concrete) {
                ResponseSecrets::Known(known) if known.contains(&f.as_str()) => {}
                other => errors.push(format!("{path}: `{f}` is not a known secret ({other:?})")),
            }
        }
        fields_at.push((template(path), fields));
    }
    for (raw, secrets) in RAW_RESPONSE_SECRETS {
        for secret in *secrets {
            let found = fields_at
                .iter()
                .any(|(p, fields)| p == raw && fields.iter().any(|f| f == secret));
            if !found {
                errors.push(format!("{raw}: no answer has a field `{secret}`"));
            }
        }
    }
    assert!(errors.is_empty(), "{}", errors.join("\n"));
}
