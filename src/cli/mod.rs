//! The command-line interface: argument parsing (clap) and thin handlers
//! that call the library. Each subcommand lives in its own file. Errors are
//! returned, never printed twice: `main` prints the whole chain once.
//!
//! Exit codes: 0 success, 1 invalid input or failed check, 2 usage error.

use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod bench;
mod calibrate;
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
    /// Camera calibration: a checkerboard video to OpenCV YAML intrinsics for `recon --calib`.
    Calibrate(calibrate::Args),
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
    // Before any thread starts and before OpenCV's first EXR access.
    #[cfg(feature = "video")]
    crate::recon::source::enable_openexr();
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

/// Refuses an output folder that cannot be made, before any work is done:
/// something other than a folder at `path`, or a file among its ancestors.
/// Creates nothing; missing ancestors are fine (they get created).
pub fn check_output_dir(path: &std::path::Path) -> anyhow::Result<()> {
    if let Ok(m) = std::fs::metadata(path) {
        anyhow::ensure!(m.is_dir(), "{}: the output folder exists and is not a folder", path.display());
        return Ok(());
    }
    for ancestor in path.ancestors().skip(1) {
        if ancestor.as_os_str().is_empty() {
            break;
        }
        if let Ok(m) = std::fs::metadata(ancestor) {
            anyhow::ensure!(
                m.is_dir(),
                "{}: cannot create the output folder: {} is a file, not a folder",
                path.display(),
                ancestor.display()
            );
            break;
        }
    }
    Ok(())
}

/// Refuses an output file path that cannot be written, before any work is
/// done (so a later output never fails after an earlier one was written):
/// a folder at `path`, or a parent folder that is missing or is a file.
pub fn check_output_file(path: &std::path::Path) -> anyhow::Result<()> {
    anyhow::ensure!(!path.is_dir(), "{}: is a folder, expected a file path", path.display());
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => return Ok(()),
    };
    if !parent.is_dir() {
        check_output_dir(parent).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        anyhow::bail!("{}: the folder {} does not exist", path.display(), parent.display());
    }
    Ok(())
}

/// clap value parsers that refuse nonsense numbers at parse time (exit 2,
/// with clap naming the flag and the value).
pub mod parse {
    /// A finite number > 0.
    pub fn positive(s: &str) -> Result<f64, String> {
        let v: f64 = s.trim().parse().map_err(|_| format!("{s:?} is not a number"))?;
        if v.is_finite() && v > 0.0 {
            Ok(v)
        } else {
            Err(format!("expected a finite number > 0, got {s}"))
        }
    }

    /// A horizontal field of view in degrees, in (0, 180).
    pub fn fov_deg(s: &str) -> Result<f64, String> {
        let v = positive(s)?;
        if v < 180.0 {
            Ok(v)
        } else {
            Err(format!("expected degrees between 0 and 180 (exclusive), got {s}"))
        }
    }

    /// A count of at least one.
    pub fn at_least_one(s: &str) -> Result<usize, String> {
        match s.trim().parse::<usize>() {
            Ok(0) => Err("must be at least 1".into()),
            Ok(n) => Ok(n),
            Err(_) => Err(format!("{s:?} is not a whole number >= 1")),
        }
    }
}

fn dispatch(command: Command, ctx: Ctx) -> anyhow::Result<Outcome> {
    match command {
        Command::Run(a) => run::run(a, ctx),
        Command::Recon(a) => recon::run(a, ctx),
        Command::Calibrate(a) => calibrate::run(a, ctx),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn error_chain_is_printed_once() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(crate::layout::LayoutError::Io { path: "a.json".into(), source: io })
            .context("writing a.json");
        assert_eq!(error_chain(&e), "writing a.json: a.json: no such file");
        let e = anyhow::anyhow!("inner").context("outer");
        assert_eq!(error_chain(&e), "outer: inner");
    }

    #[test]
    fn output_folders_under_files_are_refused() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("afile");
        std::fs::write(&file, b"x").unwrap();
        assert!(check_output_dir(&d.path().join("new/deeper")).is_ok());
        assert!(check_output_dir(d.path()).is_ok());
        let e = check_output_dir(&file).unwrap_err().to_string();
        assert!(e.contains("afile") && e.contains("not a folder"), "{e}");
        let e = check_output_dir(&file.join("a/b")).unwrap_err().to_string();
        assert!(e.contains("afile is a file"), "{e}");
        assert!(!d.path().join("new").exists());
    }

    #[test]
    fn output_files_need_an_existing_folder() {
        let d = tempfile::tempdir().unwrap();
        let file = d.path().join("afile");
        std::fs::write(&file, b"x").unwrap();
        assert!(check_output_file(&d.path().join("out.json")).is_ok());
        let e = check_output_file(&d.path().join("nodir/out.json")).unwrap_err().to_string();
        assert!(e.contains("nodir") && e.contains("does not exist"), "{e}");
        let e = check_output_file(&file.join("out.json")).unwrap_err().to_string();
        assert!(e.contains("afile") && e.contains("not a folder"), "{e}");
        let e = check_output_file(d.path()).unwrap_err().to_string();
        assert!(e.contains("is a folder"), "{e}");
    }

    #[test]
    fn numeric_flags_refuse_nonsense() {
        for bad in ["0", "-1", "nan", "inf", "x", ""] {
            assert!(parse::positive(bad).is_err(), "{bad}");
        }
        assert_eq!(parse::positive("2.5"), Ok(2.5));
        assert!(parse::fov_deg("180").is_err());
        assert_eq!(parse::fov_deg("60"), Ok(60.0));
        assert!(parse::at_least_one("0").is_err());
        assert!(parse::at_least_one("-3").is_err());
        assert_eq!(parse::at_least_one("7"), Ok(7));
    }
}
