use super::{Ctx, Outcome};
use crate::pipeline::{run as run_pipeline, Progress, RunConfig};
use std::path::PathBuf;

/// The whole pipeline: INPUT to DIR/layout.json, layout.txt, scan.ply,
/// trajectory.txt (when recon ran), plan.svg, report.json.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A video, an image or RGB-D folder, or a .ply cloud.
    pub input: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Layout model (.onnx) to use instead of the shipped one.
    #[arg(long)]
    pub model: Option<PathBuf>,
    /// Camera intrinsics (OpenCV FileStorage YAML) for video and image input.
    #[arg(long)]
    pub calib: Option<PathBuf>,
    /// Horizontal field of view in degrees, when no calibration is known.
    #[arg(long, value_parser = super::parse::fov_deg)]
    pub fov: Option<f64>,
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    for (flag, file) in [("--calib", &a.calib), ("--model", &a.model)] {
        if let Some(f) = file {
            anyhow::ensure!(f.is_file(), "{flag} {}: no such file", f.display());
        }
    }
    #[cfg(not(feature = "video"))]
    let _ = (&a.calib, &a.fov);
    let cfg = RunConfig {
        #[cfg(feature = "video")]
        recon: crate::recon::ReconConfig { calib: a.calib, fov_deg: a.fov, ..Default::default() },
        model: a.model,
    };
    super::check_output_dir(&a.output)?;
    // The pipeline makes the output folder before it reads the input; a run
    // that fails on bad input must not leave that (empty) folder behind.
    let output_existed = a.output.exists();
    let bar = ctx.progress(0, "starting");
    let mut last = "";
    let result = run_pipeline(&a.input, &a.output, &cfg, &mut |p: Progress| {
        if p.stage != last {
            last = p.stage;
            bar.set_message(p.stage.to_string());
            bar.set_position(0);
        }
        bar.set_length(p.total.unwrap_or(0) as u64);
        bar.set_position(p.done as u64);
    });
    bar.finish_and_clear();
    let report = match result {
        Ok(r) => r,
        Err(e) => {
            if !output_existed {
                // Only an empty folder goes: remove_dir refuses anything else.
                let _ = std::fs::remove_dir(&a.output);
            }
            return Err(e.into());
        }
    };
    for s in &report.stages {
        ctx.note(format!("{:>10}: {} in {:.2} s: {}", s.stage, s.status, s.seconds, s.detail));
    }
    ctx.note(format!("wrote {} into {}", report.outputs.join(", "), a.output.display()));
    match &report.stopped {
        None => Ok(Outcome::Success),
        Some(why) => {
            eprintln!("error: the run stopped early: {why}");
            Ok(Outcome::CheckFailed)
        }
    }
}
