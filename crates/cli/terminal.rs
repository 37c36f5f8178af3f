//! The terminal as the ops' frontend: lines on stderr, text on stdout, questions on stdin,
//! Ctrl-C, and one progress bar per run (indicatif) on a terminal, plain lines otherwise. The
//! lines themselves are the engine's (`ops::render`).

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use onboard_engine::diag::printable;
use onboard_engine::ops::render::{self, Eta, Shown};
use onboard_engine::ops::{Event, Frontend, Plan, Progress, Sink};
use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::output;

#[derive(Default)]
pub struct Terminal {
    /// `-q`: no notes.
    pub quiet: bool,
    /// No progress lines (`-q`, or a JSON report).
    pub quiet_progress: bool,
}

impl Frontend for Terminal {
    fn notice(&self, line: &str) {
        if !self.quiet {
            output::note(line);
        }
    }

    fn notices(&self) -> Arc<dyn Fn(&str) + Send + Sync> {
        Arc::new(output::note)
    }

    fn show(&self, text: &str) {
        output::print(text);
    }

    fn interactive(&self) -> bool {
        std::io::stdin().is_terminal()
    }

    /// Only `yes` goes on.
    fn ask(&self, question: &str) -> bool {
        eprint!("\n{} only `yes` is accepted: ", printable(question));
        let _ = std::io::stderr().flush();
        let mut answer = String::new();
        let _ = std::io::stdin().read_line(&mut answer);
        answer.trim() == "yes"
    }

    fn interrupt(&self) -> Arc<AtomicBool> {
        let interrupted = Arc::new(AtomicBool::new(false));
        let flag = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\ninterrupted: letting calls in flight finish, then saving state");
                flag.store(true, Ordering::SeqCst);
            }
        });
        interrupted
    }

    fn progress(&self, plans: &[Plan]) -> Box<dyn Progress> {
        Box::new(Bars::new(self.quiet_progress, plans))
    }
}

/// Progress for all runs of one apply.
struct Bars {
    multi: Option<MultiProgress>,
    quiet: bool,
    eta: Arc<Eta>,
}

impl Bars {
    fn new(quiet: bool, plans: &[Plan]) -> Self {
        let multi = (!quiet && std::io::stderr().is_terminal())
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stderr()));
        Self {
            multi,
            quiet,
            eta: Arc::new(Eta::new(plans)),
        }
    }
}

impl Progress for Bars {
    fn run(&self, plan: &Plan) -> Sink {
        let steps = plan.steps.len() + usize::from(plan.tenant.is_some());
        let bar = self.multi.as_ref().map(|m| {
            let bar = m.add(ProgressBar::new(steps as u64));
            let style = ProgressStyle::with_template("{prefix:>16} [{bar:30}] {pos}/{len} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> ");
            bar.set_style(style);
            bar.set_prefix(printable(&plan.run_key).into_owned());
            bar
        });
        let (key, quiet, eta) = (plan.run_key.clone(), self.quiet, self.eta.clone());
        Arc::new(move |e: &Event| {
            let line = match render::progress(&key, e, &eta) {
                Shown::Nothing => return,
                Shown::Line(line) => line,
                Shown::Step { address, line } => match &bar {
                    Some(bar) => {
                        bar.inc(1);
                        bar.set_message(format!("{address} ({})", eta.text()));
                        return;
                    }
                    None => line,
                },
            };
            match &bar {
                Some(bar) => bar.println(line),
                // Without a terminal, runs interleave: every line names its run (customer).
                None if !quiet => eprintln!("{line}"),
                None => {}
            }
        })
    }

    fn finish(&self) {
        if let Some(m) = &self.multi {
            let _ = m.clear();
        }
    }
}
