//! Rendering errors for the terminal: miette, with or without colour, fixed width.

use miette::{GraphicalReportHandler, GraphicalTheme};
use onboard_engine::diag::{Diag, Diags, Rendered};
use std::io::IsTerminal;

use crate::args::ColorChoice;

/// Whether stderr gets colour: `--color`, and for `auto` a terminal without `NO_COLOR`.
pub fn colour(color: ColorChoice) -> bool {
    match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// Renders diagnostics to text.
pub struct Errors {
    handler: GraphicalReportHandler,
}

impl Errors {
    pub fn new(color: ColorChoice) -> Self {
        let theme = if colour(color) {
            GraphicalTheme::unicode()
        } else {
            GraphicalTheme::unicode_nocolor()
        };
        Self {
            handler: GraphicalReportHandler::new_themed(theme)
                .with_width(100)
                .with_links(false),
        }
    }

    pub fn render(&self, diag: &Diag) -> String {
        let mut out = String::new();
        let rendered = Rendered::new(diag);
        if self.handler.render_report(&mut out, &rendered).is_err() {
            out = format!("error: {diag}\n");
        }
        out
    }

    pub fn render_all(&self, diags: &Diags) -> String {
        let mut out = String::new();
        for d in diags.iter() {
            out.push_str(&self.render(d));
            out.push('\n');
        }
        let n = diags.len();
        out.push_str(&format!("{n} error{}\n", if n == 1 { "" } else { "s" }));
        out
    }
}

/// Text on stdout, flushed. A closed pipe (`| head`) is not an error worth a panic.
pub fn print(text: &str) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// A line on stderr.
pub fn note(line: &str) {
    eprintln!("{line}");
}
