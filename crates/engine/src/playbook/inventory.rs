//! Inventories: one playbook, many customers.
//!
//! Input: an inventory file (`playbook`, `defaults`, `customers`). Output: an [`Inventory`]
//! whose entries are value sources for [`crate::playbook::inputs::resolve`] (`defaults` under the
//! entry's values), keyed by the customer key that names the run.

use regex::Regex;
use std::path::{Path, PathBuf};

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, Diags};
use crate::playbook::decode::Decoder;
use crate::playbook::inputs::Source;
use crate::playbook::yaml;

pub const INVENTORY_FIELDS: &[&str] = &["playbook", "defaults", "customers"];

/// One customer of an inventory.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key: String,
    pub span: Span,
    /// `defaults` then the entry's own values.
    pub sources: Vec<Source>,
    /// `wave: N`: the entry rolls out in order of this number (`apply --waves`); not an input.
    pub wave: Option<u32>,
}

impl Entry {
    /// Where the entry writes `value` (compared case-insensitively): the first of its own
    /// values equal to it, else the entry's key.
    pub fn value_at(&self, value: &str) -> (SourceFile, Span) {
        let own = self.sources.iter().rev().find_map(|s| match s {
            Source::Map { file, node } => Some((file, node)),
            _ => None,
        });
        if let Some((file, node)) = own {
            let found = node.as_map().and_then(|m| {
                m.iter()
                    .find(|(_, v)| v.as_str().is_some_and(|s| s.eq_ignore_ascii_case(value)))
            });
            if let Some((_, v)) = found {
                return (file.clone(), v.span);
            }
            return (file.clone(), self.span);
        }
        (SourceFile::new("", ""), self.span)
    }
}

/// The key of an inventory entry that is not an input value: the entry's wave number.
pub const WAVE_FIELD: &str = "wave";

/// A parsed inventory.
#[derive(Debug, Clone)]
pub struct Inventory {
    pub file: SourceFile,
    /// The playbook path, relative to the inventory's folder, if given.
    pub playbook: Option<PathBuf>,
    /// Where `playbook:` is written, for errors about it.
    pub playbook_span: Option<Span>,
    pub entries: Vec<Entry>,
}

impl Inventory {
    pub fn parse(file: &SourceFile) -> Result<Inventory, Diags> {
        let root = yaml::parse(file)?;
        let mut dec = Decoder::new(file);
        let mut inv = Inventory {
            file: file.clone(),
            playbook: None,
            playbook_span: None,
            entries: Vec::new(),
        };
        let Some(f) = dec.fields(&root, "the inventory", INVENTORY_FIELDS) else {
            return dec.diags.into_result(inv);
        };
        let dir = Path::new(file.name()).parent().unwrap_or(Path::new(""));
        if let Some((p, span)) = f.string(&mut dec, "playbook") {
            inv.playbook = Some(dir.join(p));
            inv.playbook_span = Some(span);
        }
        let defaults = f.get("defaults").cloned();
        if let Some(d) = &defaults
            && d.as_map().is_none()
        {
            dec.expected(d, "a map of input values", "defaults");
        }
        let key_re = Regex::new("^[a-z0-9][a-z0-9_.-]*$").unwrap_or_else(|_| unreachable!());
        if let Some(customers) = f.require(
            &mut dec,
            "customers",
            "a map of customer keys to input values, e.g. `customers: {acme: {customer: Acme}}`",
        ) {
            match customers.as_map() {
                Some(entries) => {
                    for (key, values) in entries {
                        if !key_re.is_match(&key.name) {
                            dec.push(Diag::at(file, key.span, format!("invalid customer key `{}`", key.name), "not a valid key")
                                .help("keys name state files: use lower-case letters, digits, `.`, `_` and `-`"));
                            continue;
                        }
                        if values.as_map().is_none() && !matches!(values.value, yaml::Value::Null) {
                            dec.expected(values, "a map of input values", &key.name);
                            continue;
                        }
                        let (values, wave) = take_wave(&mut dec, values);
                        let mut sources = Vec::new();
                        if let Some(d) = defaults.clone().filter(|d| d.as_map().is_some()) {
                            sources.push(Source::Map {
                                file: file.clone(),
                                node: d,
                            });
                        }
                        sources.push(Source::Map {
                            file: file.clone(),
                            node: values,
                        });
                        inv.entries.push(Entry {
                            key: key.name.clone(),
                            span: key.span,
                            sources,
                            wave,
                        });
                    }
                }
                None => dec.expected(customers, "a map of customer keys to values", "customers"),
            }
        }
        dec.diags.into_result(inv)
    }

    /// The entries named by `--only` (all when `only` is empty); unknown keys are errors.
    pub fn select(&self, only: &[String]) -> Result<Vec<&Entry>, Diag> {
        if only.is_empty() {
            return Ok(self.entries.iter().collect());
        }
        for key in only {
            if !self.entries.iter().any(|e| &e.key == key) {
                let keys: Vec<&str> = self.entries.iter().map(|e| e.key.as_str()).collect();
                let hint = crate::diag::did_you_mean(key, keys.iter().copied()).map_or_else(
                    || format!("the inventory has {}", keys.join(", ")),
                    |s| format!("did you mean `{s}`?"),
                );
                return Err(Diag::plain(format!(
                    "--only: no customer `{key}` in {}",
                    self.file.name()
                ))
                .help(hint));
            }
        }
        Ok(self
            .entries
            .iter()
            .filter(|e| only.contains(&e.key))
            .collect())
    }
}

/// An entry's values without its `wave:`, and the wave number (a whole number from 1).
fn take_wave(dec: &mut Decoder, values: &yaml::Node) -> (yaml::Node, Option<u32>) {
    let yaml::Value::Map(map) = &values.value else {
        return (values.clone(), None);
    };
    let mut wave = None;
    let mut rest = Vec::new();
    for (k, v) in map {
        if k.name != WAVE_FIELD {
            rest.push((k.clone(), v.clone()));
            continue;
        }
        match v.value {
            yaml::Value::Int(n) if (1..=i64::from(u32::MAX)).contains(&n) => {
                wave = u32::try_from(n).ok()
            }
            _ => dec.expected(v, "a wave number (a whole number from 1)", WAVE_FIELD),
        }
    }
    let node = yaml::Node {
        span: values.span,
        value: yaml::Value::Map(rest),
    };
    (node, wave)
}

/// The largest playbook, values file or inventory read (16 MiB): far above any real one, and
/// small enough that `--values /dev/zero` fails at once instead of filling the memory.
pub const MAX_INPUT_BYTES: u64 = 16 << 20;

/// Read a file into a [`SourceFile`], or say which file could not be read. Reads at most
/// [`MAX_INPUT_BYTES`]; a longer input (or an endless one) is an error.
pub fn read(path: &Path) -> Result<SourceFile, Diag> {
    read_capped(path, MAX_INPUT_BYTES)
}

pub(crate) fn read_capped(path: &Path, max: u64) -> Result<SourceFile, Diag> {
    use std::io::Read;
    let name = crate::diag::printable(&path.display().to_string()).into_owned();
    let fail = |e: std::io::Error| {
        Diag::plain(format!(
            "cannot read {name}: {}",
            e.to_string().to_lowercase()
        ))
    };
    let file = std::fs::File::open(path).map_err(fail)?;
    let mut bytes = Vec::new();
    file.take(max.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(fail)?;
    if bytes.len() as u64 > max {
        return Err(Diag::plain(format!(
            "{name} is larger than {} MiB; onboard reads playbooks, values files and inventories of at most that size",
            max >> 20
        )));
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(SourceFile::new(path.display().to_string(), text)),
        Err(e) => Err(not_utf8(path.display().to_string(), e)),
    }
}

/// Invalid UTF-8, located: the file is shown with the bad bytes replaced.
fn not_utf8(name: String, e: std::string::FromUtf8Error) -> Diag {
    let at = e.utf8_error().valid_up_to();
    let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
    // The replacement character starts where the valid prefix ends.
    let len = text[at..].chars().next().map_or(0, char::len_utf8);
    let file = SourceFile::new(name, text);
    Diag::at(
        &file,
        crate::diag::source::Span::new(at, len),
        format!("the file is not valid UTF-8 (byte {at})"),
        "not UTF-8",
    )
    .help("save the file as UTF-8")
}
