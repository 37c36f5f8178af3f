//! Modules: a playbook built from a baseline module and add-ons.
//!
//! - The composed example (`tiered-customer.yaml` with the office add-on) builds exactly what
//!   the same playbook written out by hand (`msp-customer.yaml`) builds: the two tenants, each
//!   in its own sandbox, export to the same playbook.
//! - Errors: one inside a module is located in the module's file and names the import that
//!   brought it in; an unmet version requirement is located at the `version:` line; a cycle
//!   of imports is located at the `source:` that closes it; a `with` key the module does not
//!   declare, and a required input no `with` gives, are located at the import.
//! - `moved:` carries a step into a module without a delete and a create.
//! - `when` on an import leaves the add-on out; `explain` names the file and line of a value.

use crate::support::{self, apply, onboard, printed, sandbox, stderr, stdout, writes};
use onboard_sandbox::SandboxHandle;
use std::path::Path;

const VALUES: &[&str] = &[
    "--set",
    "customer=Acme Corp",
    "--set",
    "domain=acme.example",
    "--set",
    "admins=[ops@acme.example]",
];

/// `onboard ARGS` (no sandbox needed: validate, plan --offline, explain); its output and exit code.
fn offline(args: &[&str]) -> (String, Option<i32>) {
    let out = support::binary()
        .args(args)
        .env_remove("ONBOARD_STATE_URL")
        .output()
        .expect("onboard runs");
    (support::flat(&printed(&out)), out.status.code())
}

fn export(sb: &SandboxHandle, state: &Path) -> String {
    let world = sb.world();
    let tenant = support::tenant_id(&world, "acme.example");
    let out = onboard(
        sb,
        state,
        &["export", "--name", "acme", "--account", &tenant],
    )
    .output()
    .expect("onboard runs");
    assert!(out.status.success(), "export failed: {}", stderr(&out));
    stdout(&out)
}

#[test]
fn the_composed_playbook_builds_what_the_hand_written_one_builds() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let (by_hand, composed) = (sandbox(&rt), sandbox(&rt));
    let (a, b) = (
        tempfile::tempdir().expect("works"),
        tempfile::tempdir().expect("works"),
    );
    let mut args = vec!["playbooks/msp-customer.yaml"];
    args.extend(VALUES);
    apply(&by_hand, a.path(), &args);
    let mut args = vec!["playbooks/tiered-customer.yaml", "--set", "addons=[office]"];
    args.extend(VALUES);
    apply(&composed, b.path(), &args);
    let (one, other) = (export(&by_hand, a.path()), export(&composed, b.path()));
    assert!(
        one.contains("office-lan"),
        "the office add-on is in the export:\n{one}"
    );
    assert_eq!(one, other, "the two tenants export differently");
    // The composed playbook's writes are the hand-written one's, call for call.
    let calls = |sb: &SandboxHandle| -> Vec<String> {
        let log = sb.log();
        let mut w: Vec<String> = writes(&log)
            .iter()
            .map(|e| {
                format!(
                    "{} {}",
                    e.method,
                    e.path.split('/').take(3).collect::<Vec<_>>().join("/")
                )
            })
            .collect();
        w.sort();
        w
    };
    assert_eq!(calls(&by_hand), calls(&composed));
    // And a second apply of the composed playbook writes nothing.
    let before = writes(&composed.log()).len();
    apply(&composed, b.path(), &args);
    assert_eq!(writes(&composed.log()).len(), before, "the re-apply wrote");
}

#[test]
fn an_import_when_leaves_the_add_on_out() {
    let (text, code) = offline(&[
        "plan",
        "--offline",
        "--inventory",
        "playbooks/tiers.yaml",
        "--only",
        "initech",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("+ base.servers (group)"), "{text}");
    for addon in ["office.office", "office.office_lan", "soc.alerts"] {
        assert!(
            !text.contains(&format!("+ {addon} ")),
            "initech has no add-ons, yet {addon} is created:\n{text}"
        );
    }
    let (text, _) = offline(&[
        "plan",
        "--offline",
        "--inventory",
        "playbooks/tiers.yaml",
        "--only",
        "acme",
    ]);
    for addon in ["office.office", "office.office_lan", "soc.alerts"] {
        assert!(text.contains(&format!("+ {addon} ")), "{addon}:\n{text}");
    }
}

/// Writes `files` (path, text) into a new folder; returns it.
fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("works");
    for (path, text) in files {
        let p = dir.path().join(path);
        std::fs::create_dir_all(p.parent().expect("a folder")).expect("works");
        std::fs::write(p, text).expect("works");
    }
    dir
}

const MODULE: &str = "version: 1
module: { name: base, version: 1.4.0 }
inputs:
  group_name: { type: string, default: Servers }
steps:
  - id: servers
    type: group
    with: { name: \"{{ inputs.group_name }}\" }
  - id: key
    type: setup_key
    with: { name: k, type: reusable, expires_in: 86400, auto_groups: [\"{{ steps.servers.id }}\"] }
outputs:
  servers_id: \"{{ steps.servers.id }}\"
";

fn playbook(import: &str) -> String {
    format!(
        "version: 1
name: app
imports:
{import}
steps:
  - id: admins
    type: group
    with: {{ name: Admins }}
"
    )
}

#[test]
fn an_error_in_a_module_is_located_there_with_the_import_that_brought_it_in() {
    let broken = MODULE.replace(
        "auto_groups: [\"{{ steps.servers.id }}\"]",
        "auto_groups: [\"{{ steps.server.id }}\"]",
    );
    let dir = project(&[
        ("modules/base.yaml", &broken),
        (
            "app.yaml",
            &playbook("  - id: base\n    source: modules/base.yaml\n"),
        ),
    ]);
    let app = dir.path().join("app.yaml");
    let (text, code) = offline(&["validate", app.to_str().expect("works")]);
    assert_eq!(code, Some(1), "{text}");
    let module = dir.path().join("modules/base.yaml");
    assert!(
        text.contains(&format!("{}:11:", module.display()))
            && text.contains("unknown step `server`"),
        "not located in the module:\n{text}"
    );
    assert!(text.contains("did you mean `servers`?"), "{text}");
    assert!(
        text.contains(&format!("{}:5:13", app.display()))
            && text.contains("in import `base` (modules/base.yaml), imported here"),
        "the import chain is not named:\n{text}"
    );
}

#[test]
fn an_unmet_version_requirement_is_located_at_its_line() {
    let dir = project(&[
        ("modules/base.yaml", MODULE),
        (
            "app.yaml",
            &playbook("  - id: base\n    source: modules/base.yaml\n    version: \"^2.0\"\n"),
        ),
    ]);
    let app = dir.path().join("app.yaml");
    let (text, code) = offline(&["validate", app.to_str().expect("works")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("{}:6:14", app.display()))
            && text.contains("module `base` is version 1.4.0, which does not meet `^2.0`"),
        "{text}"
    );
    // A requirement it meets is fine.
    std::fs::write(
        &app,
        playbook("  - id: base\n    source: modules/base.yaml\n    version: \"~1.4\"\n"),
    )
    .expect("works");
    let (text, code) = offline(&["validate", app.to_str().expect("works")]);
    assert_eq!(code, Some(0), "{text}");
}

#[test]
fn a_cycle_of_imports_is_located_at_the_source_that_closes_it() {
    let dir = project(&[
        (
            "modules/a.yaml",
            "version: 1\nmodule: { name: a, version: 1.0.0 }\nimports:\n  - id: b\n    source: b.yaml\nsteps: []\n",
        ),
        (
            "modules/b.yaml",
            "version: 1\nmodule: { name: b, version: 1.0.0 }\nimports:\n  - id: a\n    source: a.yaml\nsteps: []\n",
        ),
        (
            "app.yaml",
            &playbook("  - id: a\n    source: modules/a.yaml\n"),
        ),
    ]);
    let app = dir.path().join("app.yaml");
    let (text, code) = offline(&["validate", app.to_str().expect("works")]);
    assert_eq!(code, Some(1), "{text}");
    let b = dir.path().join("modules/b.yaml");
    assert!(
        text.contains(&format!("{}:5:13", b.display()))
            && text.contains("import cycle: a.yaml → b.yaml → a.yaml"),
        "{text}"
    );
}

#[test]
fn with_takes_the_module_inputs_and_every_required_one() {
    let module = MODULE.replace(
        "group_name: { type: string, default: Servers }",
        "group_name: { type: string }\n  port: { type: number, default: 22 }",
    );
    let dir = project(&[
        ("modules/base.yaml", &module),
        (
            "app.yaml",
            &playbook(
                "  - id: base\n    source: modules/base.yaml\n    with: { group_nam: x, port: \"22\" }\n",
            ),
        ),
    ]);
    let app = dir.path().join("app.yaml");
    let (text, code) = offline(&["validate", app.to_str().expect("works")]);
    assert_eq!(code, Some(1), "{text}");
    let at = |l: usize, c: usize| format!("{}:{l}:{c}", app.display());
    assert!(
        text.contains(&at(6, 13))
            && text.contains("module `base` has no input `group_nam`")
            && text.contains("did you mean `group_name`?"),
        "{text}"
    );
    assert!(
        text.contains(&at(6, 33))
            && text.contains("input `port` of module `base` must be a number"),
        "{text}"
    );
    assert!(
        text.contains(&at(4, 9))
            && text.contains(
                "import `base` does not give module `base` its required input `group_name`"
            ),
        "{text}"
    );
}

const FLAT: &str = "version: 1
name: app
steps:
  - id: servers
    type: group
    with: { name: Servers }
  - id: key
    type: setup_key
    with: { name: k, type: reusable, expires_in: 86400, auto_groups: [\"{{ steps.servers.id }}\"] }
  - id: admins
    type: group
    with: { name: Admins }
";

#[test]
fn moved_carries_steps_into_a_module_without_a_delete_or_a_create() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("works");
    let dir = project(&[("modules/base.yaml", MODULE), ("app.yaml", FLAT)]);
    let app = dir.path().join("app.yaml");
    let app = app.to_str().expect("works");
    apply(&sb, state.path(), &[app]);
    let before = writes(&sb.log()).len();

    let composed = playbook("  - id: base\n    source: modules/base.yaml\n")
        + "moved:\n  - { from: servers, to: base.servers }\n  - { from: key, to: base.key }\n";
    std::fs::write(dir.path().join("app.yaml"), composed).expect("works");
    let out = onboard(&sb, state.path(), &["plan", app])
        .output()
        .expect("runs");
    let text = printed(&out);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("Plan: 0 to create,") && text.contains("2 moved"),
        "{text}"
    );
    assert!(
        !text.contains("to delete") && !text.contains("kept (no longer"),
        "{text}"
    );
    assert!(
        text.contains("base.servers (group")
            && text.contains("# moved from `servers`: the object is kept"),
        "{text}"
    );

    apply(&sb, state.path(), &[app, "--prune"]);
    assert_eq!(
        writes(&sb.log()).len(),
        before,
        "the moves wrote to NetBird"
    );
    let recorded =
        std::fs::read_to_string(state.path().join("state/app/own-account.json")).expect("works");
    let recorded: serde_json::Value = serde_json::from_str(&recorded).expect("works");
    let mut addresses: Vec<&str> = recorded["steps"]
        .as_object()
        .expect("works")
        .keys()
        .map(String::as_str)
        .collect();
    addresses.sort_unstable();
    assert_eq!(addresses, ["admins", "base.key", "base.servers"]);
    // The moves are done: a plan without them has nothing to do either.
    let out = onboard(&sb, state.path(), &["plan", app, "--detailed-exitcode"])
        .output()
        .expect("runs");
    assert_eq!(out.status.code(), Some(0), "{}", printed(&out));
}

#[test]
fn explain_names_the_file_and_line_of_each_link() {
    let (text, code) = offline(&[
        "explain",
        "playbooks/tiered-customer.yaml",
        "office.office_lan.address",
        "--inventory",
        "playbooks/tiers.yaml",
        "--only",
        "globex",
    ]);
    assert_eq!(code, Some(0), "{text}");
    assert!(
        text.contains("globex: office.office_lan = \"10.20.0.0/24\""),
        "{text}"
    );
    assert!(
        text.contains(
            "playbooks/modules/office.yaml:20:16 written in module `office` 1.0.0, import `office`"
        ),
        "{text}"
    );
    assert!(
        text.contains("playbooks/tiered-customer.yaml:41:12 inputs.lan: given by import `office`"),
        "{text}"
    );
    assert!(
        text.contains("playbooks/tiers.yaml:15:5 inputs.lan (globex): given here"),
        "{text}"
    );
}

#[test]
fn graph_draws_each_module_instance_as_a_cluster() {
    let (dot, code) = offline(&["graph", "playbooks/tiered-customer.yaml"]);
    assert_eq!(code, Some(0), "{dot}");
    for cluster in [
        "subgraph \"cluster_base\" { label=\"base: baseline 1.0.0\";",
        "subgraph \"cluster_office\" { label=\"office: office 1.0.0\";",
        "\"office.office_lan\" -> \"base.servers\";",
    ] {
        assert!(dot.contains(cluster), "{cluster}:\n{dot}");
    }
    let (mermaid, _) = offline(&[
        "graph",
        "playbooks/tiered-customer.yaml",
        "--format",
        "mermaid",
    ]);
    assert!(
        mermaid.contains("subgraph m_base[\"base: baseline 1.0.0\"]")
            && mermaid.contains("office__office_lan --> base__servers"),
        "{mermaid}"
    );
}

#[test]
fn a_changed_module_is_a_new_template_and_makes_a_saved_plan_stale() {
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let sb = sandbox(&rt);
    let state = tempfile::tempdir().expect("works");
    let dir = project(&[
        ("modules/base.yaml", MODULE),
        (
            "app.yaml",
            &playbook("  - id: base\n    source: modules/base.yaml\n"),
        ),
    ]);
    let app = dir.path().join("app.yaml");
    let app = app.to_str().expect("works");
    apply(&sb, state.path(), &[app]);
    let plan = state.path().join("plan.json");
    let plan = plan.to_str().expect("works");
    let out = onboard(&sb, state.path(), &["plan", app, "--out", plan])
        .output()
        .expect("runs");
    assert!(printed(&out).contains("(current)"), "{}", printed(&out));

    // Only the module changes: the template is new, and the saved plan is stale.
    let changed = format!("# the baseline, now with a comment\n{MODULE}");
    std::fs::write(dir.path().join("modules/base.yaml"), changed).expect("works");
    let out = onboard(&sb, state.path(), &["plan", app])
        .output()
        .expect("runs");
    let text = printed(&out);
    assert!(
        text.contains("template: sha256:") && !text.contains("(current)"),
        "{text}"
    );
    let before = writes(&sb.log()).len();
    let out = onboard(&sb, state.path(), &["apply", plan, "--discard-secrets"])
        .output()
        .expect("runs");
    let text = printed(&out);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("modules/base.yaml changed since the plan was made"),
        "{text}"
    );
    assert_eq!(writes(&sb.log()).len(), before, "a stale plan wrote");
}

#[test]
fn a_module_imports_a_module_with_its_own_names() {
    let inner = "version: 1
module: { name: inner, version: 0.2.0 }
inputs:
  label: { type: string }
steps:
  - id: group
    type: group
    with: { name: \"{{ inputs.label }}\" }
outputs:
  id: \"{{ steps.group.id }}\"
";
    let outer = "version: 1
module: { name: outer, version: 1.0.0 }
inputs:
  prefix: { type: string, default: Ops }
imports:
  - id: net
    source: inner.yaml
    version: \"~0.2\"
    with: { label: \"{{ inputs.prefix }}-{{ steps.anchor.id }}\" }
steps:
  - id: anchor
    type: group
    with: { name: Anchor }
  - id: key
    type: setup_key
    with: { name: k, type: reusable, expires_in: 86400, auto_groups: [\"{{ imports.net.id }}\"] }
outputs:
  group_id: \"{{ imports.net.id }}\"
";
    let dir = project(&[
        ("modules/inner.yaml", inner),
        ("modules/outer.yaml", outer),
        (
            "app.yaml",
            &playbook("  - id: base\n    source: modules/outer.yaml\n    with: { prefix: Team }\n"),
        ),
    ]);
    let app = dir.path().join("app.yaml");
    let (text, code) = offline(&["plan", "--offline", app.to_str().expect("utf-8")]);
    assert_eq!(code, Some(0), "{text}");
    // The inner module's step is `base.net.group`; its name reads the outer module's input
    // (given by the playbook) and the outer module's step, which it therefore runs after.
    assert!(
        text.contains("+ base.net.group (group, scope account) name: (known after apply)"),
        "{text}"
    );
    let order: Vec<usize> = ["+ base.anchor ", "+ base.net.group ", "+ base.key "]
        .iter()
        .map(|s| text.find(s).unwrap_or_else(|| panic!("{s}: {text}")))
        .collect();
    assert!(order[0] < order[1] && order[1] < order[2], "{text}");
    let (text, _) = offline(&["graph", app.to_str().expect("utf-8")]);
    assert!(
        text.contains("subgraph \"cluster_base.net\" { label=\"base.net: inner 0.2.0\";")
            && text.contains("\"base.net.group\" -> \"base.anchor\";"),
        "{text}"
    );
    let (text, _) = offline(&[
        "explain",
        app.to_str().expect("utf-8"),
        "base.net.group.name",
    ]);
    assert!(
        text.contains("inputs.label: given by import `net`")
            && text.contains("inputs.prefix: given by import `base`")
            && text.contains("steps.anchor: read from step `base.anchor`"),
        "{text}"
    );
}

/// A module whose input `tok` is sensitive and `tier` takes gold or silver.
const TYPED: &str = "version: 1
module: { name: typed, version: 1.0.0 }
inputs:
  tok: { type: string, sensitive: true, default: \"\" }
  tier: { type: string, enum: [gold, silver], default: gold }
steps:
  - id: g
    type: group
    with: { name: \"tier-{{ inputs.tier }}\" }
outputs:
  gid: \"{{ steps.g.id }}\"
";

/// `validate` (or `plan --offline` with `args`) of `app` next to the typed module.
fn typed(app: &str, args: &[&str]) -> (String, std::path::PathBuf, tempfile::TempDir) {
    let dir = project(&[("typed.yaml", TYPED), ("app.yaml", app)]);
    let path = dir.path().join("app.yaml");
    let mut all = vec!["plan", "--offline", path.to_str().expect("utf-8")];
    all.extend(args);
    let (text, _) = offline(&all);
    (text, path, dir)
}

#[test]
fn values_passed_to_a_module_are_checked_in_the_importing_file() {
    let head = "version: 1\nname: app\ninputs:\n  plain: { type: string, default: x }\n  t: { type: string, default: gold }\nimports:\n";
    // A sensitive module input given a value that is not a secret.
    let (text, app, _d) = typed(
        &format!(
            "{head}  - id: a\n    source: typed.yaml\n    with: {{ tok: \"{{{{ inputs.plain }}}}\" }}\nsteps: []\n"
        ),
        &[],
    );
    assert!(
        text.contains(&format!("{}:9:18", app.display()))
            && text.contains("input `tok` of module `typed` (import `a`) is sensitive, but this value is not a secret: `inputs.plain` is not sensitive"),
        "{text}"
    );
    // A templated value, checked against the module's `enum` once rendered.
    let (text, app, _d) = typed(
        &format!(
            "{head}  - id: a\n    source: typed.yaml\n    with: {{ tier: \"{{{{ inputs.t }}}}\" }}\nsteps: []\n"
        ),
        &["--set", "t=bronze"],
    );
    assert!(
        text.contains(&format!("{}:9:19", app.display()))
            && text.contains("input `tier` of module `typed` (import `a`) must be one of \"gold\", \"silver\", found \"bronze\""),
        "{text}"
    );
    // `item` outside a step, and a name of the playbook's that does not exist: at the value.
    let (text, app, _d) = typed(
        &format!(
            "{head}  - id: a\n    source: typed.yaml\n    with: {{ tier: \"{{{{ item }}}}-{{{{ inputs.nope }}}}\" }}\nsteps: []\n"
        ),
        &[],
    );
    assert!(
        text.contains(&format!("{}:9:23", app.display()))
            && text.contains("`item` and `key` exist only inside a step with `for_each`")
            && text.contains(&format!("{}:9:34", app.display()))
            && text.contains("unknown input `nope`"),
        "{text}"
    );
    // A module's steps are its own: the playbook reads its outputs.
    let (text, app, _d) = typed(
        &format!(
            "{head}  - id: a\n    source: typed.yaml\nsteps:\n  - id: k\n    type: setup_key\n    with: {{ name: k, type: reusable, expires_in: 86400, auto_groups: [\"{{{{ steps['a.g'].id }}}}\"] }}\n"
        ),
        &[],
    );
    assert!(
        text.contains(&format!("{}:12:75", app.display()))
            && text.contains("unknown step `a.g`")
            && text.contains("imports.a.<output>"),
        "{text}"
    );
}

#[test]
fn imports_may_read_each_others_outputs_in_any_order() {
    let app = "version: 1\nname: app\nimports:\n  - id: second\n    source: typed.yaml\n    with: { tier: \"{{ 'gold' if imports.first.gid else 'silver' }}\" }\n  - id: first\n    source: typed.yaml\n    with: { tier: silver }\nsteps: []\n";
    let (text, _, _d) = typed(app, &[]);
    let (first, second) = (
        text.find("+ first.g ").unwrap_or_else(|| panic!("{text}")),
        text.find("+ second.g ").unwrap_or_else(|| panic!("{text}")),
    );
    assert!(first < second, "the import read is composed first:\n{text}");
    // Two imports that read each other's outputs: an error at each.
    let cyclic = app.replace(
        "with: { tier: silver }",
        "with: { tier: \"{{ imports.second.gid }}\" }",
    );
    let (text, app, _d) = typed(&cyclic, &[]);
    assert!(
        text.contains(&format!("{}:4:9", app.display()))
            && text.contains("import `second` reads the outputs of `first`, which read its own"),
        "{text}"
    );
}

#[test]
fn two_steps_moved_to_one_is_an_error() {
    let app = playbook("  - id: base\n    source: modules/base.yaml\n")
        + "moved:\n  - { from: a, to: base.servers }\n  - { from: b, to: base.servers }\n";
    let dir = project(&[("modules/base.yaml", MODULE), ("app.yaml", &app)]);
    let path = dir.path().join("app.yaml");
    let (text, code) = offline(&["validate", path.to_str().expect("utf-8")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(
        text.contains(&format!("{}:13:20", path.display()))
            && text.contains("two steps are moved to `base.servers`"),
        "{text}"
    );
}

#[test]
fn explain_never_prints_a_sensitive_value() {
    for (how, secret) in [("--set", "SetSecret-4711"), ("env", "EnvSecret-4712")] {
        let mut cmd = support::binary();
        cmd.args([
            "explain",
            "playbooks/security-baseline.yaml",
            "falcon.secret",
            "--set",
            "customer=Acme",
            "--set",
            "domain=acme.example",
        ]);
        match how {
            "--set" => cmd.args(["--set", &format!("falcon_secret={secret}")]),
            _ => cmd.env("ONBOARD_VAR_falcon_secret", secret),
        };
        let out = cmd.output().expect("onboard runs");
        let text = printed(&out);
        assert!(out.status.success(), "{text}");
        assert!(
            !text.contains(secret),
            "{how}: the secret was printed:\n{text}"
        );
        assert!(text.contains("falcon = (sensitive)"), "{text}");
        let source = match how {
            "--set" => "inputs.falcon_secret: given by `--set falcon_secret=…`",
            _ => {
                "inputs.falcon_secret: given by the environment variable ONBOARD_VAR_falcon_secret"
            }
        };
        assert!(text.contains(source), "{text}");
    }
}
