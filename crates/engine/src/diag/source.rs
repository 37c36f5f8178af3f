//! Source files and byte spans.
//!
//! Every user error points into a [`SourceFile`] (a playbook, a values file, an inventory or a
//! synthetic source such as `--set`) with a [`Span`] of byte offsets. Line and column numbers
//! are computed on demand, so spans stay two integers.

use std::borrow::Cow;
use std::sync::Arc;

/// A named text the user gave us. Cheap to clone.
#[derive(Debug, Clone)]
pub struct SourceFile {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    name: String,
    text: String,
}

impl SourceFile {
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                name: name.into(),
                text: text.into(),
            }),
        }
    }

    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Whether the text at `span` is a quoted scalar (`"yes"`, `'on'`).
    pub fn is_quoted(&self, span: Span) -> bool {
        self.text()
            .get(span.offset..)
            .is_some_and(|t| t.starts_with(['"', '\'']))
    }

    pub fn text(&self) -> &str {
        &self.inner.text
    }

    /// The text at `span`, as written (empty when the span is not in the text).
    pub fn at(&self, span: Span) -> &str {
        self.text()
            .get(span.offset..span.offset + span.len)
            .unwrap_or_default()
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let text = self.text();
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let before = &text[..offset];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        let col = text[line_start..offset].chars().count() + 1;
        (line, col)
    }

    /// `file:line:col` of a span's start.
    pub fn location(&self, span: Span) -> String {
        let (line, col) = self.line_col(span.offset);
        format!("{}:{line}:{col}", self.name())
    }

    /// A miette source for rendering diagnostics; terminal control characters in the name and
    /// the text are made harmless (spans keep pointing at the same bytes).
    pub fn miette_source(&self) -> miette::NamedSource<String> {
        miette::NamedSource::new(
            onboard_netbird::escape_controls(self.name()),
            printable_source(self.text()).into_owned(),
        )
        .with_language("yaml")
    }

    /// Whether two handles refer to the same file.
    pub fn same(&self, other: &SourceFile) -> bool {
        Arc::ptr_eq(&self.inner, &other.inner)
    }
}

/// A source text for a snippet: each unsafe character replaced by as many `?` as it has bytes,
/// so that spans still point at the same places. A `\r` before a `\n` is kept.
fn printable_source(text: &str) -> Cow<'_, str> {
    if !text.chars().any(onboard_netbird::is_unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        let crlf = c == '\r' && chars.peek() == Some(&'\n');
        if onboard_netbird::is_unsafe_char(c) && !crlf {
            out.extend(std::iter::repeat_n('?', c.len_utf8()));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while offset > 0 && !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// A byte range in a [`SourceFile`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct Span {
    pub offset: usize,
    pub len: usize,
}

impl Span {
    pub const fn new(offset: usize, len: usize) -> Self {
        Self { offset, len }
    }

    /// Whether `other` lies inside this span.
    pub fn contains(self, other: Span) -> bool {
        other.offset >= self.offset && other.offset + other.len <= self.offset + self.len
    }

    /// A sub-span starting `start` bytes into this one.
    pub fn sub(self, start: usize, len: usize) -> Self {
        Self::new(self.offset + start, len)
    }
}

impl From<Span> for miette::SourceSpan {
    fn from(span: Span) -> Self {
        (span.offset, span.len).into()
    }
}

/// A value with the place it came from.
#[derive(Debug, Clone)]
pub struct Located<T> {
    pub value: T,
    pub file: SourceFile,
    pub span: Span,
}

impl<T> Located<T> {
    pub fn new(value: T, file: &SourceFile, span: Span) -> Self {
        Self {
            value,
            file: file.clone(),
            span,
        }
    }
}
