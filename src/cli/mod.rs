//! The command-line interface: argument parsing (clap) and thin handlers
//! that call the library. Each subcommand lives in its own file. Errors are
//! returned, never printed twice: `main` prints the whole chain once.
//!
//! Exit codes: 0 success, 1 invalid input or failed check, 2 usage error.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod bench;
mod convert;
mod doctor;
mod eval;
mod info;
mod infer;
mod recon;
mod run;
mod solve;
mod synth;
mod validate;



/// roomscribe: room video / RGB-D / point cloud in, structured 3D layout out.
#[derive(Debug, Parser)]
#[command(name = "roomscribe", version, about, long_about = None)]
pub struct Cli {
    /// No progress bars or human-readable notes on stderr.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// The whole pipeline: INPUT (video, image or RGB-D folder, .ply) to a layout in DIR.
    Run(run::Args),
    /// Reconstruction front end only: INPUT to DIR/scan.ply, trajectory.txt, report.json.
    Recon(recon::Args),
    /// Model only (no solver): CLOUD.ply to a raw layout.
    Infer(infer::Args),
    /// Constraint solver: snap a layout into a physically valid plan.
    Solve(solve::Args),
    /// Check a layout: exit 0 when physically valid, 1 with the violations listed.
    Validate(validate::Args),
    /// Convert a layout between native JSON and SpatialLM text (by extension).
    Convert(convert::Args),
    /// Describe an input: a cloud, a video, a capture folder or a layout.
    Info(info::Args),
    /// Synthetic ground truth: scenes, scans, videos, training datasets.
    #[command(subcommand)]
    Synth(synth::Command),
    /// Evaluate layouts, trajectories or clouds against ground truth.
    #[command(subcommand)]
    Eval(eval::Command),
    /// Run a benchmark manifest and write eval/results tables.
    Bench(bench::Args),
    /// Check the installation (ONNX Runtime, GPU provider, video support).
    Doctor(doctor::Args),
}

/// What a handler tells `main` about the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: the check ran and failed (e.g. `validate` found violations).
    CheckFailed,
}

/// Options every handler sees.
#[derive(Debug, Clone, Copy)]
pub struct Ctx {
    pub quiet: bool,
}

impl Ctx {
    /// Prints a human note on stderr unless `--quiet`.
    pub fn note(&self, msg: impl std::fmt::Display) {
        if !self.quiet {
            eprintln!("{msg}");
        }
    }

    /// A progress bar on stderr (hidden with `--quiet`).
    pub fn progress(&self, len: u64, what: &str) -> indicatif::ProgressBar {
        if self.quiet {
            return indicatif::ProgressBar::hidden();
        }
        let bar = indicatif::ProgressBar::new(len);
        let style = indicatif::ProgressStyle::with_template("{msg:>12} [{bar:30}] {pos}/{len} ({eta})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> ");
        bar.set_style(style);
        bar.set_message(what.to_string());
        bar
    }
}

/// Error for a pipeline stage that this build does not contain yet.
pub fn not_built(stage: &str) -> anyhow::Error {
    anyhow::anyhow!("the {stage} stage is not built yet in roomscribe {}", crate::VERSION)
}

/// Prints a value as pretty JSON on stdout.
pub fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

/// Parses arguments, runs the command, maps the result to an exit code.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            // --help and --version are successes; anything else is a usage error (2).
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let ctx = Ctx { quiet: cli.quiet };
    match dispatch(cli.command, ctx) {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::CheckFailed) => ExitCode::from(1),
        Err(e) => {
            eprintln!("error: {}", error_chain(&e));
            ExitCode::from(1)
        }
    }
}

/// The whole chain of an error on one line, `outer: inner: ...`, leaving
/// out a cause whose text the message already holds (many error variants
/// print their source themselves).
pub fn error_chain(e: &anyhow::Error) -> String {
    let mut msg = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if msg.contains(&text) {
            continue;
        }
        if !msg.is_empty() {
            msg.push_str(": ");
        }
        msg.push_str(&text);
    }
    msg
}

fn dispatch(command: Command, ctx: Ctx) -> anyhow::Result<Outcome> {
    match command {
        Command::Run(a) => run::run(a, ctx),
        Command::Recon(a) => recon::run(a, ctx),
        Command::Infer(a) => infer::run(a, ctx),
        Command::Solve(a) => solve::run(a, ctx),
        Command::Validate(a) => validate::run(a, ctx),
        Command::Convert(a) => convert::run(a, ctx),
        Command::Info(a) => info::run(a, ctx),
        Command::Synth(c) => synth::run(c, ctx),
        Command::Eval(c) => eval::run(c, ctx),
        Command::Bench(a) => bench::run(a, ctx),
        Command::Doctor(a) => doctor::run(a, ctx),
    }
}
