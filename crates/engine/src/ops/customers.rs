//! The customers of a run: the playbook (the PLAYBOOK argument, or the inventory's
//! `playbook:`), its values (files, `KEY=VALUE`s) and, with an inventory, one customer per
//! entry; or the customers of a saved plan.

use serde_json::Value as Json;
use std::path::{Path, PathBuf};

use crate::diag::source::SourceFile;
use crate::diag::{Diag, Diags};
use crate::plan::saved::{SavedPlan, SavedPlanError};
use crate::playbook::inputs::{self, Source};
use crate::playbook::inventory::{self, Entry, Inventory};
use crate::playbook::version::TemplateVersion;
use crate::run::session::{Customer, SessionError};

/// The playbook and its input values, as given.
#[derive(Debug, Clone, Default)]
pub struct Input {
    /// The PLAYBOOK argument, if given.
    pub playbook_arg: Option<PathBuf>,
    /// The playbook to use: [`playbook`] finds it.
    pub playbook: PathBuf,
    /// Values files, later ones win.
    pub values: Vec<PathBuf>,
    /// `KEY=VALUE`s, winning over values files.
    pub set: Vec<String>,
    pub inventory: Option<PathBuf>,
    /// With an inventory: only these customer keys.
    pub only: Vec<String>,
}

/// Which playbook a command runs: the PLAYBOOK argument, or, with an inventory, the
/// inventory's `playbook:` (relative to the inventory's folder). Both given and different is
/// an error, never a silent choice of one.
pub fn playbook(arg: Option<&Path>, inventory_path: Option<&Path>) -> Result<PathBuf, Diags> {
    let Some(inv_path) = inventory_path else {
        return arg.map(Path::to_path_buf).ok_or_else(|| {
            Diag::plain("no playbook: give the PLAYBOOK file")
                .help("or `--inventory FILE` whose `playbook:` names it")
                .into()
        });
    };
    let inv = Inventory::parse(&inventory::read(inv_path)?)?;
    match (arg, &inv.playbook) {
        (Some(arg), Some(named)) if !same_file(arg, named) => Err(differs(&inv, arg, named).into()),
        (Some(arg), _) => Ok(arg.to_path_buf()),
        (None, Some(named)) => Ok(named.clone()),
        (None, None) => Err(Diag::plain(format!(
            "no playbook: give the PLAYBOOK file, or name it in {} (`playbook: FILE`)",
            inv_path.display()
        ))
        .into()),
    }
}

fn differs(inv: &Inventory, arg: &Path, named: &Path) -> Diag {
    let text = format!(
        "the PLAYBOOK argument ({}) is not the playbook the inventory names ({})",
        arg.display(),
        named.display()
    );
    let help = "leave out the PLAYBOOK argument to use the inventory's, or change its `playbook:`";
    match inv.playbook_span {
        Some(span) => Diag::at(&inv.file, span, text, "the inventory's playbook"),
        None => Diag::plain(text),
    }
    .help(help)
}

/// The same file (or, when either cannot be resolved, the same path).
fn same_file(a: &Path, b: &Path) -> bool {
    let canonical = |p: &Path| std::fs::canonicalize(p).ok();
    match (canonical(a), canonical(b)) {
        (Some(x), Some(y)) => x == y,
        _ => normalise(a) == normalise(b),
    }
}

fn normalise(p: &Path) -> PathBuf {
    p.components().collect()
}

/// Load the playbook and resolve inputs for every run; every error of every run at once.
pub fn prepare(input: &Input) -> Result<Vec<Customer>, Diags> {
    prepare_file(input, inventory::read(&input.playbook)?)
}

/// [`prepare`] for a command that needs only each run's key (`destroy`): a value is required
/// only for the inputs the run key is made of (none with an inventory, whose key is the run
/// key; else those the tenant's `domain` names); every other input without one is unknown.
pub fn prepare_run_keys(input: &Input) -> Result<Vec<Customer>, Diags> {
    prepare_with(input, inventory::read(&input.playbook)?, Needed::RunKeys)
}

/// [`prepare`] for `validate` and `plan --offline`, which never need a credential: a
/// sensitive input without a value is unknown, and what depends on it is checked once one is
/// given.
pub fn prepare_without_credentials(input: &Input) -> Result<Vec<Customer>, Diags> {
    prepare_with(
        input,
        inventory::read(&input.playbook)?,
        Needed::NoCredentials,
    )
}

/// [`prepare`] with the playbook already read (`apply` reads it once to tell a saved plan).
pub fn prepare_file(input: &Input, file: SourceFile) -> Result<Vec<Customer>, Diags> {
    prepare_with(input, file, Needed::All)
}

/// Which required inputs must have a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Needed {
    All,
    /// Only those the run key is made of.
    RunKeys,
    /// All but the sensitive ones.
    NoCredentials,
}

/// The inputs the run key of a customer (with or without an inventory key) is made of.
fn run_key_inputs(
    playbook: &crate::playbook::model::Playbook,
    keyed: bool,
) -> std::collections::BTreeSet<String> {
    use crate::playbook::template::Target;
    let Some(tenant) = playbook.tenant.as_ref().filter(|_| !keyed) else {
        return Default::default();
    };
    tenant
        .domain
        .refs
        .iter()
        .filter_map(|r| match &r.target {
            Target::Input(name) => Some(name.clone()),
            _ => None,
        })
        .collect()
}

fn prepare_with(input: &Input, file: SourceFile, needed: Needed) -> Result<Vec<Customer>, Diags> {
    let loaded = crate::playbook::load(&file)?;
    let template = TemplateVersion::of_sources(&input.playbook, &loaded.playbook.sources);
    let mut diags = Diags::new();
    let mut runs = Vec::new();
    for (entry, sources) in entries(input, &loaded.playbook, &mut diags)? {
        let pb = &loaded.playbook;
        let resolved = match needed {
            Needed::All => inputs::resolve(pb, &sources),
            Needed::RunKeys => {
                let keys = run_key_inputs(pb, entry.is_some());
                inputs::resolve_only(pb, &sources, &|name| keys.contains(name))
            }
            Needed::NoCredentials => inputs::resolve_only(pb, &sources, &|name| {
                !pb.inputs.get(name).is_some_and(|d| d.sensitive)
            }),
        };
        match resolved {
            Ok(inputs) => runs.push(Customer {
                key: entry.as_ref().map(|e| e.key.clone()),
                loaded: loaded.clone(),
                inputs,
                entry,
                template: Some(template.clone()),
            }),
            Err(d) => diags.extend(d),
        }
    }
    if diags.is_empty() {
        Ok(runs)
    } else {
        Err(diags.sorted())
    }
}

/// A customer's inventory entry (none without an inventory) and its value sources.
pub(crate) type Sourced = (Option<Entry>, Vec<Source>);

/// Each customer (its inventory entry, or none) and where its values come from, lowest
/// precedence first: `ONBOARD_VAR_<name>`, the inventory's `defaults` and entry, values
/// files, `--set`.
pub(crate) fn entries(
    input: &Input,
    playbook: &crate::playbook::model::Playbook,
    diags: &mut Diags,
) -> Result<Vec<Sourced>, Diags> {
    let cli_sources = sources(input, diags);
    // `ONBOARD_VAR_<name>` first: every other source overrides it.
    let env = Source::environment(playbook, std::env::vars());
    Ok(match &input.inventory {
        Some(path) => {
            let inv = Inventory::parse(&inventory::read(path)?)?;
            inv.select(&input.only)?
                .into_iter()
                .map(|e| {
                    (
                        Some(e.clone()),
                        env.iter()
                            .chain(&e.sources)
                            .chain(&cli_sources)
                            .cloned()
                            .collect(),
                    )
                })
                .collect()
        }
        None => vec![(None, env.into_iter().chain(cli_sources).collect())],
    })
}

fn sources(input: &Input, diags: &mut Diags) -> Vec<Source> {
    let mut sources = Vec::new();
    for path in &input.values {
        match inventory::read(path).and_then(Source::values_file) {
            Ok(s) => sources.push(s),
            Err(d) => diags.push(d),
        }
    }
    sources.extend(input.set.iter().map(|s| Source::set(s)));
    sources
}

/// The customers of a saved plan and the plans saved for them, refused when the playbook or a
/// values file changed since.
pub fn saved(saved: SavedPlan) -> Result<(Vec<Customer>, Vec<Json>), Diags> {
    let stale = |why: SavedPlanError| {
        Diags::from(Diag::from(SessionError::Stale {
            why: why.to_string(),
        }))
    };
    let mut runs = Vec::new();
    let mut expected = Vec::new();
    let env: std::collections::BTreeMap<String, String> = std::env::vars().collect();
    // One playbook for every run: git is asked once.
    let mut versions = std::collections::BTreeMap::new();
    for r in saved.runs {
        r.playbook.check().map_err(stale)?;
        for s in &r.sources {
            s.check().map_err(stale)?;
        }
        let path = Path::new(&r.playbook.path);
        let file = inventory::read(path)?;
        let loaded = crate::playbook::load(&file)?;
        let mut inputs = r.inputs;
        if let Err(missing) = inputs.unmask(&loaded.playbook, &env) {
            let names: Vec<String> = missing
                .iter()
                .map(|n| format!("{}{n}", crate::playbook::inputs::ENV_PREFIX))
                .collect();
            return Err(Diag::plain(format!(
                "the saved plan needs the sensitive input{} {}, which plans never keep",
                if missing.len() == 1 { "" } else { "s" },
                missing
                    .iter()
                    .map(|n| format!("`{n}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ))
            .help(format!(
                "set {} in the environment of `onboard apply PLAN.json`",
                names.join(", ")
            ))
            .into());
        }
        let template = versions
            .entry(r.playbook.path.clone())
            .or_insert_with(|| TemplateVersion::of_sources(path, &loaded.playbook.sources))
            .clone();
        runs.push(Customer {
            key: r.inventory_key,
            loaded,
            inputs,
            entry: None,
            template: Some(template),
        });
        expected.push(r.plan);
    }
    Ok((runs, expected))
}
