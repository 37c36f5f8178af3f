//! The parts of `docs/playbook-reference.md` that the kind declaration can say, rendered from
//! it: the summary table of the step types (path, identity, in-place changes, secrets) and, for
//! every resource type, a line with its path, identity key, secret outputs, write-only fields
//! and what changes in place, then its field table (field, bold when the API requires it;
//! type; default), nested objects one level deep as `↳` rows.
//!
//! Each block sits between a `BEGIN` and an `END` marker in the reference; the prose around
//! it is hand-written, and so is the table's last column (`meaning`), which [`regenerate`]
//! carries over by field. `tests/it/docs_reference.rs` fails when a block differs from what
//! the declaration renders; `UPDATE_DOCS=1` rewrites them.

use std::collections::BTreeMap;

use onboard_netbird::{FieldSpec, FieldType, Format, Identity, KindSpec, Lit};

use crate::playbook::resource::{StepType, Updatable};

/// The text that opens a type's block; the type's name follows.
pub const BEGIN: &str = "<!-- BEGIN GENERATED ";
/// What follows the type's name on the opening line.
const BEGIN_TAIL: &str =
    " (from the catalogue; `UPDATE_DOCS=1 cargo test --test it docs_reference` rewrites it) -->";
/// The text that closes a type's block; the type's name follows.
pub const END: &str = "<!-- END GENERATED ";

/// The field table's header.
const HEADER: &str = "| field | type | default | meaning |\n|---|---|---|---|\n";

/// Every type with a block: the catalogue's kinds (not `request`).
pub fn types() -> impl Iterator<Item = StepType> {
    StepType::ALL
        .into_iter()
        .filter(|t| t.spec().api().is_some())
}

/// The name of the summary table's block.
pub const SUMMARY: &str = "summary";

/// The reference with the summary table and every type's block rendered again, each field's
/// `meaning` kept; or the blocks whose markers are missing or broken.
pub fn regenerate(doc: &str) -> Result<String, Vec<String>> {
    let mut out = doc.to_owned();
    let mut problems = Vec::new();
    let names = std::iter::once(None).chain(types().map(Some));
    for ty in names {
        let name = ty.map_or(SUMMARY, StepType::name);
        let open = format!("{BEGIN}{name} ");
        let close = format!("{END}{name} -->");
        let (Some(start), Some(end)) = (out.find(&open), out.find(&close)) else {
            problems.push(format!("{name}: no `{open}...` / `{close}` block"));
            continue;
        };
        if end < start {
            problems.push(format!("{name}: its END marker comes before its BEGIN"));
            continue;
        }
        let block = match ty {
            Some(ty) => block(ty, &meanings(&out[start..end])),
            None => summary_table(),
        };
        out.replace_range(start..end + close.len(), &block);
    }
    match problems.is_empty() {
        true => Ok(out),
        false => Err(problems),
    }
}

/// A type's whole block, markers included, with these meanings (field path → text).
pub fn block(ty: StepType, meanings: &BTreeMap<String, String>) -> String {
    let name = ty.name();
    let mut out = format!("{BEGIN}{name}{BEGIN_TAIL}\n{}\n\n{HEADER}", summary(ty));
    for row in rows(ty) {
        let meaning = meanings.get(&row.path).map_or("", String::as_str);
        let field = match (row.nested, row.required) {
            (true, true) => format!("↳ **`{}`**", row.name),
            (true, false) => format!("↳ `{}`", row.name),
            (false, true) => format!("**`{}`**", row.name),
            (false, false) => format!("`{}`", row.name),
        };
        let meaning = match meaning {
            "" => String::new(),
            m => format!("{m} "),
        };
        out.push_str(&format!(
            "| {field} | {} | {} | {meaning}|\n",
            row.ty, row.default
        ));
    }
    out.push_str(&format!("{END}{name} -->"));
    out
}

/// The table of every step type, markers included: its API path, identity key, what changes
/// in place, its secrets.
pub fn summary_table() -> String {
    let mut out = format!(
        "{BEGIN}{SUMMARY}{BEGIN_TAIL}\n| type | API path | identity key | in place | secrets |\n\
         |---|---|---|---|---|\n"
    );
    for ty in types() {
        let Some(api) = ty.spec().api() else { continue };
        let mut secrets: Vec<String> = api
            .secret_fields
            .iter()
            .map(|f| format!("`{f}` (answered once)"))
            .collect();
        let write_only = api.write_only_paths();
        secrets.extend(write_only.iter().map(|f| format!("*write-only* `{f}`")));
        let path = match api.msp_action {
            true => format!("`POST {}` (MSP account)", api.collection),
            false => format!("`{}`", api.collection),
        };
        let name = ty.name();
        let cells = [
            format!("[`{name}`](#{name})"),
            path,
            identity(api),
            in_place(ty, api),
            secrets.join(", "),
        ];
        out.push_str(&format!("| {} |\n", cells.join(" | ")).replace("  |", " |"));
    }
    out.push_str(
        "| [`request`](#request) | `method` + `path` | none: runs once | nothing: its answer is \
         recorded | the catalogue's for its path, else fields named like secrets; \
         `secret_fields`, `not_secret_fields` |\n",
    );
    out.push_str(&format!("{END}{SUMMARY} -->"));
    out
}

/// One row of a field table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `name`, or `parent.name` for a nested object's field.
    pub path: String,
    pub name: String,
    /// A field of a nested object (`↳`).
    pub nested: bool,
    /// The API requires it (bold); the parent id a path needs too.
    pub required: bool,
    pub ty: String,
    pub default: String,
}

/// A type's rows: the parent id a path needs, the create body's fields (each object's fields
/// after it, one level deep), then the fields only an update takes.
pub fn rows(ty: StepType) -> Vec<Row> {
    let Some(api) = ty.spec().api() else {
        return Vec::new();
    };
    let merged = api.singleton && !api.may_be_absent;
    let derived = ty.spec().body.derived;
    let mut rows = Vec::new();
    if let Some(parent) = api.parent {
        let ty = match api.msp_action {
            true => "string: the MSP tenant's id, in the URL path".to_owned(),
            false => {
                let of = api.parent_kind().map_or("the parent", |k| k.name());
                format!("string: the id of a `{of}`, in the URL path")
            }
        };
        let default = match api.msp_action {
            true => "the tenant block's tenant".to_owned(),
            false => "—".to_owned(),
        };
        rows.push(Row {
            path: parent.to_owned(),
            name: parent.to_owned(),
            nested: false,
            required: true,
            ty,
            default,
        });
    }
    for f in api.fields {
        let required = !merged && api.required.contains(&f.name);
        let default = match (f.default, derived.contains(&f.name)) {
            (_, true) => "derived".to_owned(),
            (Some(lit), false) => literal(lit),
            (None, false) => "—".to_owned(),
        };
        rows.push(Row {
            path: f.name.to_owned(),
            name: f.name.to_owned(),
            nested: false,
            required,
            ty: type_of(f),
            default,
        });
        if let FieldType::Object(o) | FieldType::ObjectList(o) = f.ty {
            let inner = ty
                .spec()
                .body
                .nested
                .iter()
                .find(|(n, _)| *n == f.name)
                .map_or(&[][..], |(_, s)| s.derived);
            for g in o.fields {
                let default = match (g.default, inner.contains(&g.name)) {
                    (_, true) => "derived".to_owned(),
                    (Some(lit), false) => literal(lit),
                    (None, false) => "—".to_owned(),
                };
                rows.push(Row {
                    path: format!("{}.{}", f.name, g.name),
                    name: g.name.to_owned(),
                    nested: true,
                    required: !merged && o.required.contains(&g.name),
                    ty: type_of(g),
                    default,
                });
            }
        }
    }
    // Fields only an update body has (a key's `revoked`, a sync's `enabled`) are not the
    // playbook's: `with` is the create body, and validation refuses anything else.
    rows
}

/// The line above the table: path, identity, secrets, write-only fields, in-place changes.
pub fn summary(ty: StepType) -> String {
    let Some(api) = ty.spec().api() else {
        return String::new();
    };
    let mut parts = vec![format!("Path `{}`", api.collection)];
    parts.push(format!("identity: {}", identity(api)));
    if !api.secret_fields.is_empty() {
        parts.push(format!(
            "secret outputs (answered once): {}",
            code_list(api.secret_fields.iter().copied())
        ));
    }
    let write_only = api.write_only_paths();
    if !write_only.is_empty() {
        parts.push(format!(
            "*write-only* (sent, never answered): {}",
            code_list(write_only.iter().map(String::as_str))
        ));
    }
    parts.push(format!("in place: {}", in_place(ty, api)));
    if !api.exported {
        parts.push("not exported".to_owned());
    }
    format!("{}.", parts.join("; "))
}

fn identity(api: &KindSpec) -> String {
    // A write-only value inside an identity field identifies nothing: it is left out.
    let write_only = api.write_only_paths();
    let field = |f: &str| {
        let hidden: Vec<String> = write_only
            .iter()
            .filter_map(|p| p.strip_prefix(&format!("{f}.")).map(|n| format!("`{n}`")))
            .collect();
        match hidden.is_empty() {
            true => format!("`{f}`"),
            false => format!("`{f}` (without {})", hidden.join(", ")),
        }
    };
    let set = |fields: &[&str]| {
        fields
            .iter()
            .map(|f| field(f))
            .collect::<Vec<_>>()
            .join(" + ")
    };
    match api.identity {
        // A kind whose name NetBird never answers (Okta SCIM): the account's one is adopted.
        Identity::Fields([]) => "none: the account's one".into(),
        Identity::Fields(f) => set(f),
        Identity::AnyOf(sets) => sets.iter().map(|s| set(s)).collect::<Vec<_>>().join(" or "),
        Identity::Singleton if api.may_be_absent => "one per account, which may have none".into(),
        Identity::Singleton => "one per account".into(),
        Identity::None if api.msp_action => "none: runs once per tenant".into(),
        Identity::None => "none: runs once".into(),
    }
}

/// What an update changes, and which fields a change of replaces the object.
fn in_place(ty: StepType, api: &KindSpec) -> String {
    if api.msp_action {
        return "nothing: not an object".into();
    }
    if api.singleton && !api.may_be_absent {
        return "the fields given, merged onto the live object".into();
    }
    let fields = || api.fields.iter().map(|f| f.name);
    match &ty.spec().updatable {
        Updatable::Nothing => "nothing: any change replaces it".into(),
        Updatable::All if api.may_be_absent => "every field (the body is sent whole)".into(),
        Updatable::All => "every field".into(),
        Updatable::Only(only) => {
            // Of the fields a playbook writes (an update-only field is not one).
            let only: Vec<&str> = only
                .iter()
                .copied()
                .filter(|f| fields().any(|g| g == *f))
                .collect();
            let fixed: Vec<&str> = fields().filter(|f| !only.contains(f)).collect();
            match (only.is_empty(), fixed.is_empty()) {
                (true, _) => "nothing: any change replaces it".into(),
                (false, true) => "every field".into(),
                (false, false) => format!(
                    "{}; a change of {} replaces it",
                    code_list(only.into_iter()),
                    code_list(fixed.into_iter())
                ),
            }
        }
    }
}

fn code_list<'a>(items: impl Iterator<Item = &'a str>) -> String {
    items
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A field's type as the reference writes it.
fn type_of(f: &FieldSpec) -> String {
    let mut t = match f.ty {
        FieldType::String if !f.enum_values.is_empty() => f
            .enum_values
            .iter()
            .map(|v| format!("`{v}`"))
            .collect::<Vec<_>>()
            .join(" \\| "),
        FieldType::String => match (f.refers, f.format) {
            (Some(k), _) => format!("string: a `{k}` id"),
            (None, Some(fmt)) => format!("string: {}", format_name(fmt)),
            (None, None) => "string".into(),
        },
        FieldType::StringList => match (f.refers, f.format) {
            (Some(k), _) => format!("string[]: `{k}` ids"),
            (None, Some(fmt)) => format!("string[]: each {}", format_name(fmt)),
            (None, None) => "string[]".into(),
        },
        FieldType::Integer => match f.range {
            Some((min, i64::MAX)) => format!("integer ≥ {min}"),
            Some((min, max)) => format!("integer {min}..{max}"),
            None => "integer".into(),
        },
        FieldType::IntegerList => "integer[]".into(),
        FieldType::Boolean => "bool".into(),
        FieldType::Object(o) => format!("object ({})", schema(o.schema)),
        FieldType::ObjectList(o) => format!("list of objects ({})", schema(o.schema)),
        FieldType::Map => "map".into(),
    };
    if f.zero_ok {
        t.push_str(", or `0`");
    }
    if let Some((min, max)) = f.length {
        let unit = match f.ty {
            FieldType::String => "characters",
            _ => "items",
        };
        t.push_str(&match (min, max) {
            (0, max) => format!(", at most {max} {unit}"),
            (1, usize::MAX) if f.ty == FieldType::String => ", not empty".into(),
            (1, usize::MAX) => ", at least one".into(),
            (min, usize::MAX) => format!(", at least {min} {unit}"),
            (min, max) => format!(", {min}..{max} {unit}"),
        });
    }
    if f.write_only {
        t = format!("*write-only* {t}");
    }
    t
}

/// An OpenAPI schema name in code; `A|B` (a `oneOf` read as one object) as "`A` or `B`".
fn schema(name: &str) -> String {
    name.split('|')
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(" or ")
}

fn format_name(f: Format) -> &'static str {
    match f {
        Format::Ip => "an IP address",
        Format::Cidr => "a CIDR prefix",
        Format::Domain => "a domain",
        Format::Address => "an IP address, a CIDR prefix or a domain",
        Format::Email => "an email address",
        Format::Country => "an ISO 3166-1 alpha-2 code",
        Format::Version => "a version",
        Format::Port => "a port (a string)",
    }
}

fn literal(lit: Lit) -> String {
    match lit {
        Lit::Bool(b) => format!("`{b}`"),
        Lit::Int(i) => format!("`{i}`"),
        Lit::Str(s) => format!("`\"{s}\"`"),
        Lit::EmptyList => "`[]`".into(),
    }
}

/// The `meaning` cells of a block (its last column), by field path: `↳` rows under the row
/// of the object they belong to.
fn meanings(block: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut object = String::new();
    for line in block.lines().filter(|l| l.starts_with('|')).skip(2) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let (Some(first), Some(last)) = (cells.first(), cells.last()) else {
            continue;
        };
        if cells.len() < 4 {
            continue;
        }
        let meaning = last.trim_end_matches('|').trim();
        let field = first.trim_start_matches('|').trim();
        let nested = field.starts_with('↳');
        let name: String = field
            .trim_start_matches('↳')
            .trim_matches(|c| c == '*' || c == '`' || c == ' ')
            .to_owned();
        let path = match nested {
            true => format!("{object}.{name}"),
            false => {
                object.clone_from(&name);
                name
            }
        };
        if !meaning.is_empty() {
            out.insert(path, meaning.to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_block_keeps_its_meanings_and_renders_the_declaration() {
        let ty = StepType::SETUP_KEY;
        let mut meanings = BTreeMap::new();
        meanings.insert("expires_in".to_owned(), "seconds; `0`: never".to_owned());
        let first = block(ty, &meanings);
        assert!(first.contains(
            "| **`expires_in`** | integer 86400..31536000, or `0` | `2592000` | seconds; `0`: never |"
        ));
        // `revoked` is only in the update body: not a field of the playbook's `with`.
        assert!(!first.contains("`revoked`"));
        assert!(first.contains("secret outputs (answered once): `key`"));
        assert!(first.contains("a change of `name`, `type`,"));
        // Rendering what was rendered keeps it as it is.
        let doc = format!("intro\n{first}\noutro\n");
        assert_eq!(regenerate_one(&doc, ty), doc);
    }

    #[test]
    fn nested_fields_are_rows_under_their_object() {
        let rows = rows(StepType::NAMESERVER_GROUP);
        let ip = rows
            .iter()
            .find(|r| r.path == "nameservers.ip")
            .expect("ip");
        assert!(ip.nested && ip.required, "{ip:?}");
        assert_eq!(ip.ty, "string: an IP address");
        let primary = rows.iter().find(|r| r.path == "primary").expect("primary");
        assert_eq!(primary.default, "derived");
    }

    #[test]
    fn the_summary_has_a_row_per_type_with_its_secrets() {
        let table = summary_table();
        let rows = table.lines().filter(|l| l.starts_with("| [`")).count();
        assert_eq!(rows, StepType::ALL.len());
        assert!(table.contains(
            "| [`token`](#token) | `/api/users/{user_id}/tokens` | `user_id` + `name` | nothing: \
             any change replaces it | `plain_token` (answered once) |"
        ));
        assert!(table.contains("| `type` + `target` (without `headers`) |"));
        assert!(table.contains("`POST /api/integrations/msp/tenants/{tenant_id}/dns`"));
    }

    #[test]
    fn a_missing_block_is_named() {
        let problems = regenerate("no blocks here").unwrap_err();
        assert!(problems.iter().any(|p| p.starts_with("summary: no")));
        assert!(
            problems.iter().any(|p| p.starts_with("group: no")),
            "{problems:?}"
        );
    }

    fn regenerate_one(doc: &str, ty: StepType) -> String {
        let name = ty.name();
        let start = doc.find(&format!("{BEGIN}{name} ")).expect("begin");
        let close = format!("{END}{name} -->");
        let end = doc.find(&close).expect("end");
        let mut out = doc.to_owned();
        let block = block(ty, &meanings(&doc[start..end]));
        out.replace_range(start..end + close.len(), &block);
        out
    }
}
