//! YAML to a spanned node tree.
//!
//! Input: a [`SourceFile`]. Output: a [`Node`] tree in which every value and every mapping key
//! carries its byte [`Span`], so that every later stage can point at the exact place of a
//! problem. Parsing uses serde-saphyr (with its default resource budget, so aliases cannot
//! explode); a syntax error becomes one [`Diag`] at the place the parser stopped.

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

use crate::diag::Diag;
use crate::diag::source::{SourceFile, Span};
use crate::playbook::token_scan;

/// A YAML value with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    pub span: Span,
    pub value: Value,
}

/// A mapping key with its location.
#[derive(Debug, Clone, PartialEq)]
pub struct Key {
    pub name: String,
    pub span: Span,
}

/// The value of a [`Node`]. Mappings keep their order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

impl Value {
    /// The YAML kind, for "expected a string, found a list" messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a bool",
            Value::Int(_) | Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a map",
        }
    }
}

impl Node {
    pub fn new(span: Span, value: Value) -> Self {
        Self { span, value }
    }

    /// Every string of the node (scalar values and mapping keys) with its place, in document
    /// order: what [`token_scan::check_values`] looks at.
    pub fn strings(&self) -> Vec<(Span, &str)> {
        let mut out = Vec::new();
        self.collect_strings(&mut out);
        out
    }

    fn collect_strings<'a>(&'a self, out: &mut Vec<(Span, &'a str)>) {
        match &self.value {
            Value::Str(s) => out.push((self.span, s)),
            Value::Seq(items) => items.iter().for_each(|n| n.collect_strings(out)),
            Value::Map(entries) => {
                for (key, value) in entries {
                    out.push((key.span, &key.name));
                    value.collect_strings(out);
                }
            }
            _ => {}
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    /// The value of `key` in a mapping.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?
            .iter()
            .find(|(k, _)| k.name == key)
            .map(|(_, v)| v)
    }

    /// Plain JSON, spans dropped.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.name.clone(), v.to_json()))
                    .collect(),
            ),
        }
    }

    /// A node from plain JSON, every span set to `span` (values given on the command line).
    pub fn from_json(json: &serde_json::Value, span: Span) -> Node {
        use serde_json::Value as J;
        let value = match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n
                .as_i64()
                .map(Value::Int)
                .unwrap_or_else(|| Value::Float(n.as_f64().unwrap_or(0.0))),
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Seq(a.iter().map(|v| Node::from_json(v, span)).collect()),
            J::Object(o) => Value::Map(
                o.iter()
                    .map(|(k, v)| {
                        let key = Key {
                            name: k.clone(),
                            span,
                        };
                        (key, Node::from_json(v, span))
                    })
                    .collect(),
            ),
        };
        Node::new(span, value)
    }
}

/// Parse one YAML document. An empty document is a null node. A PAT literal anywhere in the
/// text, or in a value or key as YAML decodes it (escapes, line continuations), is an error
/// ([`token_scan`]).
pub fn parse(file: &SourceFile) -> Result<Node, Diag> {
    token_scan::check(file)?;
    let node = parse_tree(file)?;
    token_scan::check_values(file, node.strings())?;
    Ok(node)
}

/// [`parse`] without the token checks, for a caller that makes its own (`--set`).
pub(crate) fn parse_tree(file: &SourceFile) -> Result<Node, Diag> {
    if file.text().trim().is_empty() {
        return Ok(Node::new(Span::default(), Value::Null));
    }
    let parsed: Result<Spanned<Raw>, _> =
        serde_saphyr::from_str_with_options(file.text(), options(file.text().len()));
    match parsed {
        Ok(root) => Ok(convert(file, root)),
        Err(err) => Err(syntax_error(file, &err)),
    }
}

/// serde-saphyr's default budget stops at 250,000 nodes and 1,000,000 events (a playbook of
/// about 20,000 steps). Every node takes at least a byte of text, so the playbook's size
/// bounds them instead; the alias and anchor limits that stop "billion laughs" stay as they
/// are.
fn options(text_len: usize) -> serde_saphyr::Options {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_nodes = budget.max_nodes.max(text_len);
    budget.max_events = budget.max_events.max(text_len.saturating_mul(4));
    let mut options = serde_saphyr::Options::default();
    options.budget = Some(budget);
    // YAML 1.2: only true/false are booleans; `yes`, `no`, `on`, `off` stay strings.
    options.strict_booleans = true;
    options
}

fn syntax_error(file: &SourceFile, err: &serde_saphyr::Error) -> Diag {
    let message = err.without_snippet().to_string();
    let message = first_line(&message);
    if let Some(diag) = duplicate_key(file, err, &message) {
        return diag;
    }
    match err.location() {
        Some(loc) => {
            let span = span_of(file, &loc);
            Diag::at(file, span, format!("invalid YAML: {message}"), "here")
        }
        None => Diag::plain(format!("{}: invalid YAML: {message}", file.name())),
    }
}

/// serde-saphyr's duplicate key error, said for a playbook author (its own text ends with
/// advice for the parser's API).
fn duplicate_key(file: &SourceFile, err: &serde_saphyr::Error, message: &str) -> Option<Diag> {
    let rest = message.strip_prefix("duplicate mapping key: ")?;
    let key = rest
        .split(", set DuplicateKeyPolicy")
        .next()
        .unwrap_or(rest)
        .trim();
    let text = format!("duplicate key `{key}`: a YAML map names each key once");
    let help = format!("keep one `{key}` (merge their values if both matter)");
    Some(
        match err.location() {
            Some(loc) => Diag::at(file, span_of(file, &loc), text, format!("`{key}` again")),
            None => Diag::plain(format!("{}: {text}", file.name())),
        }
        .help(help),
    )
}

fn first_line(message: &str) -> String {
    let line = message.lines().next().unwrap_or("").trim();
    // serde-saphyr prefixes a location, and the scanner appends one; we show our own.
    let line = match line.rfind(" at line ") {
        Some(i)
            if line[i + 9..]
                .split(", column ")
                .all(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())) =>
        {
            &line[..i]
        }
        _ => line,
    };
    match line.find(": ") {
        Some(i) if line[..i].contains("line ") => line[i + 2..].to_owned(),
        _ => line.to_owned(),
    }
}

/// The byte span of a saphyr location; falls back to line and column when the parser gave
/// no byte offset.
fn span_of(file: &SourceFile, loc: &serde_saphyr::Location) -> Span {
    let s = loc.span();
    if let (Some(off), Some(len)) = (s.byte_offset(), s.byte_len()) {
        let off = usize::try_from(off)
            .unwrap_or(usize::MAX)
            .min(file.text().len());
        let len = usize::try_from(len)
            .unwrap_or(0)
            .min(file.text().len() - off);
        return Span::new(off, len);
    }
    let line = usize::try_from(loc.line()).unwrap_or(1).max(1);
    let col = usize::try_from(loc.column()).unwrap_or(1).max(1);
    let start: usize = file
        .text()
        .split_inclusive('\n')
        .take(line - 1)
        .map(str::len)
        .sum();
    let rest = file.text().get(start..).unwrap_or("");
    let in_line: usize = rest.chars().take(col - 1).map(char::len_utf8).sum();
    Span::new((start + in_line).min(file.text().len()), 0)
}

fn convert(file: &SourceFile, raw: Spanned<Raw>) -> Node {
    let span = span_of(file, &raw.referenced);
    let value = match raw.value {
        Raw::Null => Value::Null,
        Raw::Bool(b) => Value::Bool(b),
        Raw::Int(i) => Value::Int(i),
        Raw::Float(f) => Value::Float(f),
        Raw::Str(s) => Value::Str(s),
        Raw::Seq(items) => Value::Seq(items.into_iter().map(|i| convert(file, i)).collect()),
        Raw::Map(entries) => Value::Map(
            entries
                .into_iter()
                .map(|(k, v)| {
                    let key = Key {
                        span: span_of(file, &k.referenced),
                        name: k.value.into_string(),
                    };
                    (key, convert(file, v))
                })
                .collect(),
        ),
    };
    // A block mapping or sequence's span is its first token; widen it to cover its content.
    let span = match &value {
        Value::Map(entries) => widen(span, entries.iter().map(|(k, v)| (k.span, v.span))),
        Value::Seq(items) => widen(span, items.iter().map(|n| (n.span, n.span))),
        _ => span,
    };
    Node::new(span, value)
}

fn widen(span: Span, parts: impl Iterator<Item = (Span, Span)>) -> Span {
    let mut start = span.offset;
    let mut end = span.offset + span.len;
    for (a, b) in parts {
        start = start.min(a.offset);
        end = end.max(b.offset + b.len).max(a.offset + a.len);
    }
    Span::new(start, end - start)
}

/// What serde-saphyr hands us, before spans are converted to ours.
enum Raw {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Raw>>),
    Map(Vec<(Spanned<RawKey>, Spanned<Raw>)>),
}

/// A mapping key: YAML allows any scalar; we keep its text.
struct RawKey(String);

impl RawKey {
    fn into_string(self) -> String {
        self.0
    }
}

impl<'de> Deserialize<'de> for Raw {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(RawVisitor)
    }
}

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Raw::deserialize(d)? {
            Raw::Str(s) => Ok(RawKey(s)),
            Raw::Int(i) => Ok(RawKey(i.to_string())),
            Raw::Float(f) => Ok(RawKey(f.to_string())),
            Raw::Bool(b) => Ok(RawKey(b.to_string())),
            Raw::Null => Ok(RawKey("null".to_owned())),
            Raw::Seq(_) | Raw::Map(_) => Err(de::Error::custom("a mapping key must be a scalar")),
        }
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Raw;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any YAML value")
    }
    fn visit_unit<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_none<E>(self) -> Result<Raw, E> {
        Ok(Raw::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Raw, D::Error> {
        Raw::deserialize(d)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Raw, E> {
        Ok(Raw::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Raw, E> {
        Ok(Raw::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<Raw, E> {
        Ok(i64::try_from(v).map_or(Raw::Float(v as f64), Raw::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Raw, E> {
        Ok(Raw::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Raw, E> {
        Ok(Raw::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Raw, E> {
        Ok(Raw::Str(v))
    }
    fn visit_bytes<E>(self, v: &[u8]) -> Result<Raw, E> {
        Ok(Raw::Str(String::from_utf8_lossy(v).into_owned()))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Raw, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<Raw>>()? {
            items.push(item);
        }
        Ok(Raw::Seq(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Raw, A::Error> {
        let mut entries = Vec::new();
        while let Some(key) = map.next_key::<Spanned<RawKey>>()? {
            let value = map.next_value::<Spanned<Raw>>()?;
            entries.push((key, value));
        }
        Ok(Raw::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(text: &str) -> Node {
        parse(&SourceFile::new("t.yaml", text)).unwrap()
    }

    #[test]
    fn spans_point_at_keys_and_values() {
        let text = "a: 1\nb:\n  c: hello\n  d: [x, 'y']\n";
        let file = SourceFile::new("t.yaml", text);
        let root = parse(&file).unwrap();
        let b = root.get("b").unwrap();
        let c = b.get("c").unwrap();
        assert_eq!(c.as_str(), Some("hello"));
        assert_eq!(&text[c.span.offset..c.span.offset + c.span.len], "hello");
        let (k, _) = &b.as_map().unwrap()[1];
        assert_eq!(file.line_col(k.span.offset), (4, 3));
        assert_eq!(root.get("a").unwrap().value, Value::Int(1));
    }

    #[test]
    fn quoted_numbers_stay_strings() {
        let root = parse_str("p: \"22\"\nq: 22\nr: true\ns: ~\n");
        assert_eq!(root.get("p").unwrap().value, Value::Str("22".into()));
        assert_eq!(root.get("q").unwrap().value, Value::Int(22));
        assert_eq!(root.get("r").unwrap().value, Value::Bool(true));
        assert_eq!(root.get("s").unwrap().value, Value::Null);
    }

    #[test]
    fn only_true_and_false_are_booleans() {
        let root =
            parse_str("a: yes\nb: no\nc: on\nd: off\ne: n\nf: true\ng: False\ncountry: NO\n");
        for k in ["a", "b", "c", "d", "e"] {
            assert!(matches!(root.get(k).unwrap().value, Value::Str(_)), "{k}");
        }
        assert_eq!(root.get("f").unwrap().value, Value::Bool(true));
        assert_eq!(root.get("g").unwrap().value, Value::Bool(false));
        assert_eq!(root.get("country").unwrap().value, Value::Str("NO".into()));
    }

    #[test]
    fn syntax_error_has_location() {
        let file = SourceFile::new("bad.yaml", "a: [1, 2\nb: 3\n");
        let err = parse(&file).unwrap_err();
        assert!(err.location().unwrap().starts_with("bad.yaml:"), "{err}");
        assert!(!err.message.contains("at line"), "{err}");
    }

    #[test]
    fn large_documents_are_not_over_budget() {
        let text: String = (0..260_000).map(|i| format!("- {i}\n")).collect();
        let root = parse_str(&text);
        assert_eq!(root.as_seq().map(<[Node]>::len), Some(260_000));
    }
}
