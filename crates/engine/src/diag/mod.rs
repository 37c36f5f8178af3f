//! User-facing errors that point into the source.
//!
//! A [`Diag`] is one problem: a lower-case message, an optional primary location with a label,
//! optional further labelled spans in the same file (a cycle's edges), an optional hint of what
//! would be right, and related diagnostics in other files (the values file a bad input came
//! from). [`Diags`] collects every problem of a run, so that validation reports them all at once.
//!
//! Messages quote input values, file names and API answers, so everything a diagnostic prints
//! (message, labels, help, file name, source snippet) goes through [`printable`]: a terminal
//! control character is shown as `\u{1b}`, never sent raw to the operator's terminal. The same
//! function guards every other text printed from data (plans, reports, `state list`, progress
//! lines); JSON output goes through [`printable_json`], which escapes the same characters the
//! JSON way.

pub mod source;

use miette::{Diagnostic, LabeledSpan, NamedSource, SourceCode};
use std::borrow::Cow;
use std::fmt;

use source::{SourceFile, Span};

/// One labelled place in a file.
#[derive(Debug, Clone)]
pub struct Label {
    pub span: Span,
    pub text: String,
}

/// One user error.
#[derive(Debug, Clone)]
pub struct Diag {
    pub message: String,
    pub file: Option<SourceFile>,
    pub labels: Vec<Label>,
    pub help: Option<String>,
    pub related: Vec<Diag>,
}

impl Diag {
    /// An error with no location (a missing file, a bad flag).
    pub fn plain(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            file: None,
            labels: Vec::new(),
            help: None,
            related: Vec::new(),
        }
    }

    /// An error at `span` of `file`, labelled with `label`.
    pub fn at(
        file: &SourceFile,
        span: Span,
        message: impl Into<String>,
        label: impl Into<String>,
    ) -> Self {
        Self {
            file: Some(file.clone()),
            labels: vec![Label {
                span,
                text: label.into(),
            }],
            ..Self::plain(message)
        }
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn maybe_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    pub fn label(mut self, span: Span, text: impl Into<String>) -> Self {
        self.labels.push(Label {
            span,
            text: text.into(),
        });
        self
    }

    pub fn related(mut self, other: Diag) -> Self {
        self.related.push(other);
        self
    }

    /// `file:line:col` of the primary label, if any.
    pub fn location(&self) -> Option<String> {
        let file = self.file.as_ref()?;
        let label = self.labels.first()?;
        Some(file.location(label.span))
    }

    fn sort_key(&self) -> (String, usize) {
        match (&self.file, self.labels.first()) {
            (Some(f), Some(l)) => (f.name().to_owned(), l.span.offset),
            (Some(f), None) => (f.name().to_owned(), 0),
            _ => (String::new(), 0),
        }
    }
}

impl fmt::Display for Diag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.location() {
            Some(loc) => write!(f, "{}: {}", printable(&loc), printable(&self.message)),
            None => f.write_str(&printable(&self.message)),
        }
    }
}

/// `s` with terminal control characters escaped (`\u{1b}`); tab and newline are kept.
pub fn printable(s: &str) -> Cow<'_, str> {
    onboard_netbird::escape_controls(s)
}

/// JSON text with terminal control characters written as JSON escapes (`\u001b`): the same
/// document for a parser, nothing raw for a terminal.
pub fn printable_json(json: &str) -> Cow<'_, str> {
    onboard_netbird::escape_controls_json(json)
}

impl std::error::Error for Diag {}

/// The miette view of a [`Diag`]: the message without the location prefix (the snippet shows
/// it), the source, the labels.
pub struct Rendered<'a> {
    diag: &'a Diag,
    source: Option<NamedSource<String>>,
    related: Vec<Rendered<'a>>,
    /// A related place shown for context (rendered as advice, not as another error).
    note: bool,
}

impl<'a> Rendered<'a> {
    pub fn new(diag: &'a Diag) -> Self {
        Self::with_role(diag, false)
    }

    fn with_role(diag: &'a Diag, note: bool) -> Self {
        Self {
            diag,
            source: diag.file.as_ref().map(SourceFile::miette_source),
            related: diag
                .related
                .iter()
                .map(|d| Rendered::with_role(d, true))
                .collect(),
            note,
        }
    }
}

impl fmt::Debug for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.diag, f)
    }
}

impl fmt::Display for Rendered<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let message = printable(&self.diag.message);
        match (&self.diag.file, self.diag.labels.is_empty()) {
            (Some(file), true) => write!(f, "{}: {message}", printable(file.name())),
            _ => f.write_str(&message),
        }
    }
}

impl std::error::Error for Rendered<'_> {}

impl Diagnostic for Rendered<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        self.note.then_some(miette::Severity::Advice)
    }

    fn help<'b>(&'b self) -> Option<Box<dyn fmt::Display + 'b>> {
        self.diag
            .help
            .as_ref()
            .map(|h| Box::new(printable(h)) as Box<dyn fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn SourceCode> {
        if self.diag.labels.is_empty() {
            return None;
        }
        self.source.as_ref().map(|s| s as &dyn SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        if self.diag.labels.is_empty() || self.source.is_none() {
            return None;
        }
        Some(Box::new(self.diag.labels.iter().enumerate().map(
            |(i, l)| {
                let text = Some(printable(&l.text).into_owned()).filter(|t| !t.is_empty());
                if i == 0 {
                    LabeledSpan::new_primary_with_span(text, l.span)
                } else {
                    LabeledSpan::new_with_span(text, l.span)
                }
            },
        )))
    }

    fn related<'b>(&'b self) -> Option<Box<dyn Iterator<Item = &'b dyn Diagnostic> + 'b>> {
        if self.related.is_empty() {
            return None;
        }
        Some(Box::new(self.related.iter().map(|r| r as &dyn Diagnostic)))
    }
}

/// Every error of a run, in source order.
#[derive(Debug, Clone, Default)]
pub struct Diags(Vec<Diag>);

impl Diags {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, diag: Diag) {
        self.0.push(diag);
    }

    pub fn extend(&mut self, other: Diags) {
        self.0.extend(other.0);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diag> {
        self.0.iter()
    }

    /// The errors sorted by file and position.
    pub fn sorted(mut self) -> Diags {
        self.0.sort_by_key(Diag::sort_key);
        self
    }

    /// Ok when no error was recorded, else every error sorted by file and position.
    pub fn into_result<T>(mut self, value: T) -> Result<T, Diags> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            self.0.sort_by_key(Diag::sort_key);
            Err(self)
        }
    }
}

impl From<Diag> for Diags {
    fn from(d: Diag) -> Self {
        Self(vec![d])
    }
}

impl fmt::Display for Diags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Diags {}

/// The closest candidate to `word`, for "did you mean" hints.
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(word, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}
