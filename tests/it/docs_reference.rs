//! `docs/playbook-reference.md` against the API client's catalogue: each resource type's field
//! table lists exactly the catalogue's request fields (plus the parent id a playbook writes in
//! `with`), and marks in bold exactly the fields the API requires.

use onboard_engine::playbook::resource::StepType;
use std::collections::BTreeSet;

/// The rows of the first table under `### <name>`: (field, bold).
fn table(doc: &str, name: &str) -> Vec<(String, bool)> {
    let start = doc
        .find(&format!("\n### {name}\n"))
        .unwrap_or_else(|| panic!("no section for {name}"));
    let rest = &doc[start + name.len() + 6..];
    let rest = &rest[..rest.find("\n### ").unwrap_or(rest.len())];
    rest.lines()
        .skip_while(|l| !l.starts_with("| field"))
        .skip(2)
        .take_while(|l| l.starts_with('|'))
        .filter(|l| !l.starts_with("| ↳"))
        .flat_map(|l| {
            let cell = l.split('|').nth(1).unwrap_or("").trim().to_owned();
            let bold = cell.starts_with("**");
            cell.split([',', '/'])
                .map(|f| {
                    (
                        f.trim_matches(|c| c == '*' || c == '`' || c == ' ')
                            .to_owned(),
                        bold,
                    )
                })
                .collect::<Vec<_>>()
        })
        .collect()
}

#[test]
fn field_tables_match_the_catalogue() {
    let doc = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/playbook-reference.md"
    ))
    .expect("the reference");
    let mut problems = Vec::new();
    for ty in StepType::ALL {
        let Some(api) = ty.spec().api() else { continue };
        let rows = table(&doc, ty.name());
        // Fields that only an update takes (`revoked`) are documented with the type too.
        let update_only: BTreeSet<&str> = api
            .update_body()
            .map(|u| u.fields.iter().map(|f| f.name).collect())
            .unwrap_or_default();
        let documented: BTreeSet<&str> = rows.iter().map(|(f, _)| f.as_str()).collect();
        let mut want: BTreeSet<&str> = api.fields.iter().map(|f| f.name).collect();
        want.extend(api.parent);
        let extra: Vec<_> = documented
            .difference(&want)
            .filter(|f| !update_only.contains(*f))
            .collect();
        let missing: Vec<_> = want.difference(&documented).collect();
        if !extra.is_empty() || !missing.is_empty() {
            problems.push(format!(
                "{}: not in the catalogue {extra:?}, undocumented {missing:?}",
                ty.name()
            ));
        }
        // A singleton's `with` is merged onto the live object: nothing is required (but one
        // that may be absent is created from its body).
        let singleton = ty.spec().identity
            == onboard_engine::playbook::resource::Identity::Singleton
            && !api.may_be_absent;
        for (field, bold) in rows.iter().filter(|_| !singleton) {
            let required =
                api.required.contains(&field.as_str()) || api.parent == Some(field.as_str());
            if *bold != required && !field.contains(' ') {
                problems.push(format!(
                    "{}: `{field}` bold {bold}, API requires it: {required}",
                    ty.name()
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}
