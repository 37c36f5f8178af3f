//! `docs/playbook-reference.md` against the kind declaration: the summary table of the types
//! and every resource type's block
//! (between its `BEGIN GENERATED` and `END GENERATED` markers: the path, identity key, secret
//! outputs, write-only fields, what changes in place, and the field table's field, type and
//! default columns) is what `onboard_engine::schema::reference` renders from the API client's
//! catalogue. The prose around the blocks, and each field's `meaning`, are hand-written and
//! kept. `UPDATE_DOCS=1 cargo test --test it docs_reference` rewrites the blocks.

use onboard_engine::schema::reference;

const DOC: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/playbook-reference.md");

#[test]
fn every_type_section_is_what_the_catalogue_declares() {
    let doc = std::fs::read_to_string(DOC).expect("the reference");
    let generated = reference::regenerate(&doc)
        .unwrap_or_else(|missing| panic!("the reference lacks blocks:\n{}", missing.join("\n")));
    if generated == doc {
        return;
    }
    if std::env::var_os("UPDATE_DOCS").is_some() {
        std::fs::write(DOC, &generated).expect("the reference is writable");
        return;
    }
    let first = doc
        .lines()
        .zip(generated.lines())
        .enumerate()
        .find(|(_, (a, b))| a != b)
        .map_or_else(
            || "the files differ in length".to_owned(),
            |(i, (a, b))| format!("line {}:\n  docs:      {a}\n  generated: {b}", i + 1),
        );
    panic!(
        "docs/playbook-reference.md differs from the catalogue; run \
         `UPDATE_DOCS=1 cargo test --test it docs_reference` and review the diff\n{first}"
    );
}

#[test]
fn a_meaning_written_in_a_generated_row_survives_a_rewrite() {
    let doc = std::fs::read_to_string(DOC).expect("the reference");
    // A meaning written into a generated row is kept by the rewrite, as is the prose around.
    let marked = doc.replacen(
        "| **`expires_in`** |",
        "| **`expires_in`** | (stale type) | (stale default) | MARKED MEANING |\n| x |",
        1,
    );
    let again = reference::regenerate(&marked).expect("blocks");
    assert!(again.contains("MARKED MEANING"), "the meaning is kept");
    assert!(
        !again.contains("(stale type)"),
        "the type is rendered again"
    );
}

#[test]
fn no_generated_block_is_left_for_a_type_that_is_gone() {
    let doc = std::fs::read_to_string(DOC).expect("the reference");
    let names: Vec<&str> = reference::types().map(|t| t.name()).collect();
    let marked: Vec<&str> = doc
        .lines()
        .filter_map(|l| l.strip_prefix("<!-- BEGIN GENERATED "))
        .filter_map(|l| l.split_whitespace().next())
        .collect();
    for m in &marked {
        assert!(
            *m == "summary" || names.contains(m),
            "a generated block for `{m}`, which is no step type"
        );
    }
    // And every type has its block (besides the summary table).
    assert_eq!(
        marked.iter().filter(|m| **m != "summary").count(),
        names.len()
    );
}
