//! Decoding helpers: a YAML mapping read field by field, every problem recorded.
//!
//! [`Decoder`] carries the file and the list of errors; [`Fields`] is one mapping whose keys
//! are checked against the known field names up front (unknown keys get a "did you mean").
//! Getters return `None` after recording an error, so decoding goes on and every error of the
//! file is reported at once.

use crate::diag::source::{SourceFile, Span};
use crate::diag::{Diag, Diags, did_you_mean};
use crate::playbook::template::Template;
use crate::playbook::yaml::{Key, Node, Value};

/// The file being decoded and the errors found so far.
pub struct Decoder {
    pub file: SourceFile,
    pub diags: Diags,
}

impl Decoder {
    pub fn new(file: &SourceFile) -> Self {
        Self {
            file: file.clone(),
            diags: Diags::new(),
        }
    }

    pub fn error(&mut self, span: Span, message: impl Into<String>, label: impl Into<String>) {
        self.diags.push(Diag::at(&self.file, span, message, label));
    }

    pub fn push(&mut self, diag: Diag) {
        self.diags.push(diag);
    }

    /// A type mismatch at `node`.
    pub fn expected(&mut self, node: &Node, what: &str, field: &str) {
        self.error(
            node.span,
            format!("`{field}` must be {what}, found {}", node.value.kind()),
            format!("expected {what}"),
        );
    }

    /// Open a mapping, checking its keys against `known`.
    pub fn fields<'n>(
        &mut self,
        node: &'n Node,
        what: &str,
        known: &'static [&'static str],
    ) -> Option<Fields<'n>> {
        let Value::Map(entries) = &node.value else {
            self.expected(node, "a map", what);
            return None;
        };
        let mut seen: Vec<&str> = Vec::new();
        for (key, _) in entries {
            if seen.contains(&key.name.as_str()) {
                self.error(
                    key.span,
                    format!("`{}` is given twice in {what}", key.name),
                    "again here",
                );
            }
            seen.push(&key.name);
            if !known.contains(&key.name.as_str()) {
                self.unknown_field(key, what, known);
            }
        }
        Some(Fields {
            node,
            entries,
            what: what.to_owned(),
        })
    }

    fn unknown_field(&mut self, key: &Key, what: &str, known: &[&str]) {
        let hint = match did_you_mean(&key.name, known.iter().copied()) {
            Some(s) => format!("did you mean `{s}`?"),
            None => format!("{what} takes {}", known.join(", ")),
        };
        self.push(
            Diag::at(
                &self.file,
                key.span,
                format!("unknown field `{}` in {what}", key.name),
                "unknown field",
            )
            .help(hint),
        );
    }

    /// Parse every string inside `node` as a template.
    pub fn templates(&mut self, node: &Node) -> Vec<Template> {
        let mut out = Vec::new();
        self.collect_templates(node, &mut out);
        out
    }

    fn collect_templates(&mut self, node: &Node, out: &mut Vec<Template>) {
        match &node.value {
            Value::Str(s) => match Template::parse(&self.file, node.span, s) {
                Ok(t) if t.form != crate::playbook::template::Form::Literal => out.push(t),
                Ok(_) => {}
                Err(d) => self.push(d),
            },
            Value::Seq(items) => items.iter().for_each(|i| self.collect_templates(i, out)),
            Value::Map(entries) => {
                for (_, v) in entries {
                    self.collect_templates(v, out);
                }
            }
            _ => {}
        }
    }

    /// One string template (or a literal), for fields like `tenant.name`.
    pub fn template(&mut self, node: &Node, field: &str) -> Option<Template> {
        match &node.value {
            Value::Str(s) => match Template::parse(&self.file, node.span, s) {
                Ok(t) => Some(t),
                Err(d) => {
                    self.push(d);
                    None
                }
            },
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let text = node.to_json().to_string();
                Template::parse(&self.file, node.span, &text).ok()
            }
            _ => {
                self.expected(node, "a string", field);
                None
            }
        }
    }
}

/// Words YAML 1.1 read as booleans and YAML 1.2 reads as strings.
pub const YAML11_BOOLS: [&str; 6] = ["yes", "no", "on", "off", "y", "n"];

/// The hint for a YAML 1.1 boolean word where a boolean belongs.
pub const YAML12_HINT: &str =
    "YAML 1.2 has only `true` and `false` as booleans: write `true` or `false`";

/// One mapping being decoded.
pub struct Fields<'n> {
    pub node: &'n Node,
    entries: &'n [(Key, Node)],
    what: String,
}

impl<'n> Fields<'n> {
    pub fn get(&self, name: &str) -> Option<&'n Node> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, v)| v)
    }

    /// A required field; records "missing" when absent.
    pub fn require(&self, dec: &mut Decoder, name: &str, hint: &str) -> Option<&'n Node> {
        let found = self.get(name);
        if found.is_none() {
            let span = Span::new(self.node.span.offset, 0);
            dec.push(
                Diag::at(
                    &dec.file,
                    span,
                    format!("{} is missing required field `{name}`", self.what),
                    format!("`{name}` is required here"),
                )
                .help(hint.to_owned()),
            );
        }
        found
    }

    pub fn string(&self, dec: &mut Decoder, name: &str) -> Option<(String, Span)> {
        let node = self.get(name)?;
        match &node.value {
            Value::Str(s) => Some((s.clone(), node.span)),
            _ => {
                dec.expected(node, "a string", name);
                None
            }
        }
    }

    pub fn bool(&self, dec: &mut Decoder, name: &str) -> Option<bool> {
        let node = self.get(name)?;
        match node.value {
            Value::Bool(b) => Some(b),
            Value::Str(ref s)
                if !dec.file.is_quoted(node.span)
                    && YAML11_BOOLS.iter().any(|w| w.eq_ignore_ascii_case(s)) =>
            {
                let d = Diag::at(
                    &dec.file,
                    node.span,
                    format!("`{name}` must be true or false, found the string `{s}`"),
                    "a string in YAML 1.2",
                )
                .help(YAML12_HINT);
                dec.push(d);
                None
            }
            _ => {
                dec.expected(node, "true or false", name);
                None
            }
        }
    }

    pub fn key_span(&self, name: &str) -> Option<Span> {
        self.entries
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(k, _)| k.span)
    }
}
