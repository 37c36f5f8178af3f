//! No input makes the engine panic, and every error points inside its file.
//!
//! Property tests over the whole offline pipeline — `load` → `inputs::resolve` →
//! `plan::offline` → `report::plan` (text, JSON, Markdown), plus `dot`/`mermaid` and
//! inventories — fed with:
//!
//! * the example playbooks, mutated line-wise (delete, duplicate, swap, re-indent, truncate)
//!   and token-wise (`{{`, `}}`, `:`, `-`, `[`, `steps.`, quotes, anchors, ...), with random
//!   values files and `--set` arguments;
//! * the example inventory, mutated the same way, driving the msp-customer playbook;
//! * the example built from modules, with the playbook or one of its modules mutated;
//! * YAML-ish random text and plain random bytes.
//!
//! Errors are fine; what must hold is that nothing panics, that every [`Diag`] with a file has
//! labels inside that file's text and on character boundaries, and that miette can render it.
//! The case counts are bounded so the suite stays at a few seconds in a debug build; set
//! `FUZZ_CASES` for a longer run.

use miette::{GraphicalReportHandler, GraphicalTheme};
use onboard_engine::diag::source::SourceFile;
use onboard_engine::diag::{Diag, Diags, Rendered};
use onboard_engine::plan::{self, dot, report};
use onboard_engine::playbook::inputs::{self, Source};
use onboard_engine::playbook::inventory::Inventory;
use proptest::prelude::*;

const EXAMPLES: [(&str, &str); 3] = [
    (
        "playbooks/quickstart.yaml",
        include_str!("../../../playbooks/quickstart.yaml"),
    ),
    (
        "playbooks/msp-customer.yaml",
        include_str!("../../../playbooks/msp-customer.yaml"),
    ),
    (
        "playbooks/zero-trust-office.yaml",
        include_str!("../../../playbooks/zero-trust-office.yaml"),
    ),
];

const INVENTORY: &str = include_str!("../../../playbooks/customers.yaml");

/// The example built from modules: the playbook first, then the modules it imports.
const MODULAR: [(&str, &str); 4] = [
    (
        "tiered-customer.yaml",
        include_str!("../../../playbooks/tiered-customer.yaml"),
    ),
    (
        "modules/baseline.yaml",
        include_str!("../../../playbooks/modules/baseline.yaml"),
    ),
    (
        "modules/office.yaml",
        include_str!("../../../playbooks/modules/office.yaml"),
    ),
    (
        "modules/soc.yaml",
        include_str!("../../../playbooks/modules/soc.yaml"),
    ),
];

/// The modular example written to a folder, file `which` mutated; the playbook's path.
fn modular(dir: &std::path::Path, which: usize, mutations: &[Mutation]) -> String {
    for (i, (path, text)) in MODULAR.iter().enumerate() {
        let text = if i == which {
            mutated(text, mutations)
        } else {
            (*text).to_owned()
        };
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("a folder")).expect("mkdir");
        std::fs::write(&p, text).expect("write");
    }
    dir.join(MODULAR[0].0).display().to_string()
}

/// Keys for `--only`: the inventory's and one it does not have.
const CUSTOMER_KEYS: &[&str] = &["acme", "globex", "initech", "nope"];

/// Fragments that tend to break YAML or templates in interesting ways.
#[rustfmt::skip]
const TOKENS: &[&str] = &[
    "{{", "}}", "{%", "%}", "{#", ":", ": ", "-", "- ", "[", "]", "{", "}", ",", "\"", "'",
    "#", "|", ">", "? ", "&a ", "*a", "!!str ", "~", "---\n", "\n", "\t", "  ", "\\", "é",
    "💥", "\u{feff}", "steps.", "inputs.", "tenant.", "item", "key", "env.X",
    "steps.servers.id", "steps.admins", "[\"k\"]", "{{ steps.admins.id }}",
    "{{ inputs.customer }}", "{{ item }}", "{{ tenant.id }}", "{{ steps.bootstrap.key }}",
    "{% for x in [1] %}", "{% endfor %}", "| upper", "existing: true",
    "depends_on: [servers]", "for_each: \"{{ inputs.admins }}\"", "for_each: {a: 1}",
    "when: false", "scope: msp", "scope: tenant", "type: request", "version: 2", "0", "-1",
    "1e999", "99999999999999999999", "null", "true", "[]", "{}",
];

/// One edit of a text, positions taken modulo its size when applied.
#[derive(Debug, Clone)]
enum Mutation {
    DeleteLine(usize),
    DuplicateLine(usize),
    SwapLines(usize, usize),
    Indent(usize, bool),
    Insert(usize, &'static str),
    DeleteBytes(usize, usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::DeleteLine),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        (any::<usize>(), any::<usize>()).prop_map(|(a, b)| Mutation::SwapLines(a, b)),
        (any::<usize>(), any::<bool>()).prop_map(|(l, more)| Mutation::Indent(l, more)),
        (any::<usize>(), prop::sample::select(TOKENS)).prop_map(|(at, t)| Mutation::Insert(at, t)),
        (any::<usize>(), 1usize..8).prop_map(|(at, n)| Mutation::DeleteBytes(at, n)),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// The largest char boundary at or below `i`.
fn floor(text: &str, i: usize) -> usize {
    let mut i = i.min(text.len());
    while !text.is_char_boundary(i) {
        i -= 1;
    }
    i
}

fn apply(text: &str, m: &Mutation) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let n = lines.len().max(1);
    match *m {
        Mutation::DeleteLine(l) if !lines.is_empty() => {
            lines.remove(l % n);
        }
        Mutation::DuplicateLine(l) if !lines.is_empty() => {
            let line = lines[l % n].clone();
            lines.insert(l % n, line);
        }
        Mutation::SwapLines(a, b) if !lines.is_empty() => lines.swap(a % n, b % n),
        Mutation::Indent(l, more) if !lines.is_empty() => {
            let line = &mut lines[l % n];
            if more {
                line.insert_str(0, "  ");
            } else if let Some(rest) = line.strip_prefix("  ") {
                *line = rest.to_owned();
            } else {
                *line = line.trim_start().to_owned();
            }
        }
        Mutation::Insert(at, token) => {
            let at = floor(text, at % (text.len() + 1));
            return format!("{}{token}{}", &text[..at], &text[at..]);
        }
        Mutation::DeleteBytes(at, len) => {
            let start = floor(text, at % (text.len() + 1));
            let end = floor(text, start + len);
            return format!("{}{}", &text[..start], &text[end..]);
        }
        Mutation::Truncate(at) => {
            return text[..floor(text, at % (text.len() + 1))].to_owned();
        }
        _ => {}
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Input names worth giving values to: the examples' and some that do not exist.
#[rustfmt::skip]
const INPUT_NAMES: &[&str] = &[
    "customer", "domain", "admins", "lan", "ssh_port", "key_expires_in", "office_cidr",
    "country", "dns_servers", "custmer", "", "a.b",
];

/// Values in YAML, as they could appear in a values file or after `--set k=`.
#[rustfmt::skip]
const VALUES: &[&str] = &[
    "Acme Corp", "acme.example", "Acme Example!", "10.10.0.0/24", "22", "\"22\"",
    "2222222222222222222222", "-5", "1.5", "true", "~", "", "[]",
    "[ops@acme.example, it@acme.example]", "[ops@acme.example, ops@acme.example]",
    "[1, [2], {a: b}]", "{a: 1}", "{ip: 1.1.1.1}",
    "[{ip: 1.1.1.1, ns_type: udp, port: 53}]", "'{{ steps.servers.id }}'",
    "\"{{ inputs.customer }}\"", "[", "{", "a: b: c", "é💥", "DE",
];

/// Well-typed values for each example (by index in [`EXAMPLES`]), so that many mutated
/// playbooks get as far as the planner.
const GOOD: [&[(&str, &str)]; 3] = [
    &[("ssh_port", "2222"), ("key_expires_in", "86400")],
    &[
        ("customer", "Acme Corp"),
        ("domain", "acme.example"),
        ("admins", "[ops@acme.example, it@acme.example]"),
        ("lan", "10.20.0.0/24"),
    ],
    &[
        ("customer", "Acme Corp"),
        ("domain", "acme.example"),
        ("country", "FR"),
        ("dns_servers", "[{ip: 9.9.9.9, ns_type: udp, port: 53}]"),
    ],
];

/// One input value: mostly a well-typed one of the example, else anything.
#[derive(Debug, Clone)]
enum Given {
    Good(usize),
    Any(&'static str, &'static str),
    Raw(String),
}

impl Given {
    fn pair(&self, example: usize) -> (String, String) {
        match self {
            Given::Good(i) => {
                let good = GOOD[example % GOOD.len()];
                let (k, v) = good[i % good.len()];
                (k.to_owned(), v.to_owned())
            }
            Given::Any(k, v) => ((*k).to_owned(), (*v).to_owned()),
            Given::Raw(r) => (r.clone(), String::new()),
        }
    }

    /// As a `--set` argument.
    fn set(&self, example: usize) -> String {
        match self {
            Given::Raw(r) => r.clone(),
            _ => {
                let (k, v) = self.pair(example);
                format!("{k}={v}")
            }
        }
    }
}

fn given() -> impl Strategy<Value = Given> {
    prop_oneof![
        6 => any::<usize>().prop_map(Given::Good),
        2 => (prop::sample::select(INPUT_NAMES), prop::sample::select(VALUES))
            .prop_map(|(k, v)| Given::Any(k, v)),
        1 => "[ -~]{0,20}".prop_map(Given::Raw),
    ]
}

/// A values file: mostly `name: value` lines, sometimes junk.
#[derive(Debug, Clone)]
enum ValuesFile {
    Entries(Vec<Given>),
    Raw(String),
}

impl ValuesFile {
    fn text(&self, example: usize) -> String {
        match self {
            ValuesFile::Entries(entries) => entries
                .iter()
                .map(|g| match g {
                    Given::Raw(r) => format!("{r}\n"),
                    _ => {
                        let (k, v) = g.pair(example);
                        format!("{k}: {v}\n")
                    }
                })
                .collect(),
            ValuesFile::Raw(r) => r.clone(),
        }
    }
}

fn values_file() -> impl Strategy<Value = ValuesFile> {
    prop_oneof![
        6 => prop::collection::vec(given(), 0..5).prop_map(ValuesFile::Entries),
        1 => "[ -~\n]{0,60}".prop_map(ValuesFile::Raw),
    ]
}

fn handler() -> GraphicalReportHandler {
    GraphicalReportHandler::new_themed(GraphicalTheme::unicode_nocolor())
        .with_width(100)
        .with_links(false)
}

/// Labels inside their file, on char boundaries; related diagnostics too; renderable.
fn check_diag(diag: &Diag) {
    if let Some(file) = &diag.file {
        let text = file.text();
        for label in &diag.labels {
            let end = label.span.offset.checked_add(label.span.len);
            assert!(
                end.is_some_and(|end| end <= text.len()),
                "label {:?} `{}` outside {} ({} bytes): {diag}",
                label.span,
                label.text,
                file.name(),
                text.len()
            );
            assert!(
                text.is_char_boundary(label.span.offset)
                    && text.is_char_boundary(label.span.offset + label.span.len),
                "label {:?} `{}` splits a character in {}: {diag}",
                label.span,
                label.text,
                file.name()
            );
        }
        let _ = diag.location();
    }
    let mut out = String::new();
    handler()
        .render_report(&mut out, &Rendered::new(diag))
        .unwrap_or_else(|e| panic!("miette cannot render {diag}: {e}"));
    for related in &diag.related {
        check_diag(related);
    }
}

fn check(diags: &Diags) {
    assert!(!diags.is_empty(), "an Err with no errors");
    for d in diags.iter() {
        check_diag(d);
    }
}

/// Everything after `load` for one run's value sources.
fn plan_and_report(
    loaded: &onboard_engine::playbook::Loaded,
    sources: &[Source],
    key: Option<&str>,
) {
    let inputs = match inputs::resolve(&loaded.playbook, sources) {
        Ok(i) => i,
        Err(d) => return check(&d),
    };
    match plan::offline(&loaded.playbook, &loaded.dag, &inputs, key) {
        Ok(plan) => {
            for format in [
                report::Format::Text,
                report::Format::Json,
                report::Format::Markdown,
            ] {
                let out = report::plan(&plan, format);
                assert!(!out.is_empty());
                assert!(
                    !out.chars().any(onboard_netbird::is_unsafe_char),
                    "a control character reached the {format:?} plan raw"
                );
            }
            let _ = plan.has_changes();
        }
        Err(d) => check(&d),
    }
}

/// The whole offline pipeline on one playbook text with values files and `--set` arguments.
fn pipeline(name: &str, text: &str, values: &[String], sets: &[String]) {
    let file = SourceFile::new(name, text);
    let loaded = match onboard_engine::playbook::load(&file) {
        Ok(l) => l,
        Err(d) => return check(&d),
    };
    let _ = dot::dot(&loaded.playbook, &loaded.dag);
    let _ = dot::mermaid(&loaded.playbook, &loaded.dag);
    let mut sources = Vec::new();
    for (i, v) in values.iter().enumerate() {
        match Source::values_file(SourceFile::new(format!("values-{i}.yaml"), v.as_str())) {
            Ok(s) => sources.push(s),
            Err(d) => check_diag(&d),
        }
    }
    sources.extend(sets.iter().map(|s| Source::set(s)));
    plan_and_report(&loaded, &sources, None);
}

/// An inventory driving the msp-customer example, with `--only` and `--set` arguments.
fn inventory_pipeline(text: &str, only: &[String], sets: &[String]) {
    let inventory = match Inventory::parse(&SourceFile::new("playbooks/customers.yaml", text)) {
        Ok(inv) => inv,
        Err(d) => return check(&d),
    };
    let (name, playbook) = EXAMPLES[1];
    let loaded = onboard_engine::playbook::load(&SourceFile::new(name, playbook))
        .unwrap_or_else(|d| panic!("the msp-customer example does not load: {d}"));
    let entries = match inventory.select(only) {
        Ok(e) => e,
        Err(d) => return check_diag(&d),
    };
    for entry in entries {
        let mut sources = entry.sources.clone();
        sources.extend(sets.iter().map(|s| Source::set(s)));
        plan_and_report(&loaded, &sources, Some(&entry.key));
    }
}

/// 256 cases per property; `FUZZ_CASES=100000` for a longer hunt.
fn cases() -> u32 {
    std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn mutated(text: &str, mutations: &[Mutation]) -> String {
    mutations.iter().fold(text.to_owned(), |t, m| apply(&t, m))
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn mutated_examples_never_panic(
        example in 0..EXAMPLES.len(),
        mutations in prop::collection::vec(mutation(), 0..4),
        values in prop::collection::vec(values_file(), 0..3),
        sets in prop::collection::vec(given(), 0..4),
    ) {
        let (name, text) = EXAMPLES[example];
        // The required inputs first, so that most runs get past input resolution.
        let mut all_sets: Vec<String> =
            GOOD[example].iter().take(2).map(|(k, v)| format!("{k}={v}")).collect();
        all_sets.extend(sets.iter().map(|g| g.set(example)));
        let values: Vec<String> = values.iter().map(|v| v.text(example)).collect();
        pipeline(name, &mutated(text, &mutations), &values, &all_sets);
    }

    #[test]
    fn mutated_inventories_never_panic(
        mutations in prop::collection::vec(mutation(), 0..6),
        only in prop::collection::vec(prop::sample::select(CUSTOMER_KEYS), 0..3),
        sets in prop::collection::vec(given(), 0..2),
    ) {
        let only: Vec<String> = only.iter().map(|s| (*s).to_owned()).collect();
        let sets: Vec<String> = sets.iter().map(|g| g.set(1)).collect();
        inventory_pipeline(&mutated(INVENTORY, &mutations), &only, &sets);
    }

    #[test]
    fn mutated_modules_never_panic(
        which in 0..MODULAR.len(),
        mutations in prop::collection::vec(mutation(), 0..4),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = modular(dir.path(), which, &mutations);
        let text = std::fs::read_to_string(&path).expect("read");
        let sets = ["customer=Acme", "domain=acme.example", "addons=[office, soc]"].map(String::from);
        pipeline(&path, &text, &[], &sets);
    }

    #[test]
    fn yamlish_text_never_panics(text in "[a-z_:{}\\[\\]\\- \n\"'#|>&*!%.,0-9]{0,300}") {
        pipeline("yamlish.yaml", &text, &[], &[]);
        let framed = format!("version: 1\nname: x\nsteps:\n{text}");
        pipeline("yamlish.yaml", &framed, std::slice::from_ref(&text), &[]);
    }

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let text = String::from_utf8_lossy(&bytes);
        pipeline("random.yaml", &text, &[text.to_string()], &[text.to_string()]);
    }
}

/// The unmutated examples go through the whole pipeline without errors.
#[test]
fn examples_plan_cleanly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = modular(dir.path(), usize::MAX, &[]);
    let text = std::fs::read_to_string(&path).expect("read");
    let loaded = onboard_engine::playbook::load(&SourceFile::new(path.clone(), text))
        .unwrap_or_else(|d| panic!("{path}: {d}"));
    let sets = [
        "customer=Acme",
        "domain=acme.example",
        "addons=[office, soc]",
    ];
    let sources: Vec<Source> = sets.iter().map(|s| Source::set(s)).collect();
    let inputs = inputs::resolve(&loaded.playbook, &sources).unwrap_or_else(|d| panic!("{d}"));
    let plan = plan::offline(&loaded.playbook, &loaded.dag, &inputs, None)
        .unwrap_or_else(|d| panic!("{path}: {d}"));
    assert_eq!(
        plan.summary.create, 7,
        "the modular example, every add-on, no admins"
    );
    let sets = ["customer=Acme".to_owned(), "domain=acme.example".to_owned()];
    for (name, text) in EXAMPLES {
        let loaded = onboard_engine::playbook::load(&SourceFile::new(name, text))
            .unwrap_or_else(|d| panic!("{name}: {d}"));
        let sources: Vec<Source> = if name.contains("quickstart") {
            Vec::new()
        } else {
            sets.iter().map(|s| Source::set(s)).collect()
        };
        let inputs =
            inputs::resolve(&loaded.playbook, &sources).unwrap_or_else(|d| panic!("{name}: {d}"));
        plan::offline(&loaded.playbook, &loaded.dag, &inputs, None)
            .unwrap_or_else(|d| panic!("{name}: {d}"));
    }
}
