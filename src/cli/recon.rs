use super::{Ctx, Outcome};
use std::path::PathBuf;

/// Reconstruction front end only.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A video, an image folder or an RGB-D capture folder.
    pub input: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Camera intrinsics (OpenCV FileStorage YAML, e.g. from `roomscribe calibrate` or calib/).
    #[arg(long)]
    pub calib: Option<PathBuf>,
    /// Horizontal field of view in degrees, when no calibration is known.
    #[arg(long, value_parser = super::parse::fov_deg)]
    pub fov: Option<f64>,
    /// Map units to metres for monocular input (overrides the priors).
    #[arg(long, value_parser = super::parse::positive)]
    pub scale: Option<f64>,
    /// Camera height above the floor in metres (replaces the 1.45 m prior).
    #[arg(long, value_parser = camera_height)]
    pub camera_height: Option<f64>,
    /// Frame rate for image folders without timestamps.
    #[arg(long, default_value_t = 30.0, value_parser = super::parse::positive)]
    pub fps: f64,
    /// Downscale frames wider than this for tracking (pixels).
    #[arg(long, default_value_t = 640, value_parser = clap::value_parser!(u32).range(MIN_TRACKING_WIDTH..))]
    pub max_width: u32,
    /// Estimate poses even when the capture provides them.
    #[arg(long)]
    pub ignore_capture_poses: bool,
    /// Camera poses to use instead of tracking (TUM `world_from_camera`,
    /// matched to frames by timestamp; scale and gravity still come from the
    /// priors unless --scale is given), e.g. ground truth or another SLAM system's.
    #[arg(long)]
    pub poses: Option<PathBuf>,
    /// Skip dense stereo for monocular input (sparse map points only).
    #[arg(long)]
    pub no_dense: bool,
    /// Read at most this many frames (0 = all).
    #[arg(long, default_value_t = 0)]
    pub max_frames: usize,
    /// Monocular maps: the camera height above the floor each keyframe sees
    /// (report.json `scale_drift`), used for the `scale` prior (default);
    /// `correct` also rescales the map per keyframe by it (scale drift;
    /// experimental), `measure` only reports it, `off` skips it.
    #[arg(long, value_enum, default_value_t = DriftMode::Scale)]
    pub drift: DriftMode,
}

/// `--drift`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DriftMode {
    Correct,
    Scale,
    Measure,
    Off,
}

/// Narrowest frame the tracker is given (pixels); below this there is
/// nothing left to detect features in (and OpenCV's resize asserts at 0).
const MIN_TRACKING_WIDTH: i64 = 16;

/// `--camera-height`: metres above the floor, within a person's reach.
fn camera_height(s: &str) -> Result<f64, String> {
    let h = super::parse::positive(s)?;
    if (0.1..5.0).contains(&h) {
        Ok(h)
    } else {
        Err(format!("expected metres between 0.1 and 5, got {s}"))
    }
}

#[cfg(feature = "video")]
pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    use anyhow::Context;
    use crate::recon::*;
    let mut cfg = ReconConfig { calib: a.calib, fov_deg: a.fov, scale: a.scale, camera_height: a.camera_height, fps: a.fps, max_width: a.max_width, ignore_capture_poses: a.ignore_capture_poses, poses: a.poses, max_frames: a.max_frames, ..Default::default() };
    cfg.dense.disabled = a.no_dense;
    cfg.drift.enabled = a.drift != DriftMode::Off;
    cfg.drift.apply = a.drift == DriftMode::Correct;
    cfg.drift.use_for_scale = matches!(a.drift, DriftMode::Correct | DriftMode::Scale);
    // Refuse what cannot work before the (long) reconstruction; the output
    // folder itself is only made once there is something to put in it.
    if let Some(c) = &cfg.calib {
        anyhow::ensure!(c.is_file(), "--calib {}: no such file", c.display());
    }
    if let Some(p) = &cfg.poses {
        anyhow::ensure!(p.is_file(), "--poses {}: no such file", p.display());
    }
    super::check_output_dir(&a.output)?;
    let bar = ctx.progress(0, "reading");
    let mut last_stage = "";
    let r = reconstruct(&a.input, &cfg, &mut |p: Progress| {
        if p.stage != last_stage {
            last_stage = p.stage;
            bar.set_message(p.stage.to_string());
            bar.set_position(0);
        }
        if let Some(t) = p.total {
            bar.set_length(t as u64);
        }
        bar.set_position(p.done as u64);
    })?;
    bar.finish_and_clear();
    std::fs::create_dir_all(&a.output).with_context(|| format!("{}: cannot create output folder", a.output.display()))?;
    let ply = a.output.join("scan.ply");
    crate::cloud::write_ply(&ply, &r.cloud, crate::cloud::PlyEncoding::BinaryLittleEndian)?;
    let traj = a.output.join("trajectory.txt");
    r.trajectory.write_tum(&traj).with_context(|| format!("{}: cannot write", traj.display()))?;
    let rep = a.output.join("report.json");
    crate::io::write_atomic(&rep, serde_json::to_string_pretty(&r.report)?.as_bytes()).with_context(|| format!("{}: cannot write", rep.display()))?;
    let rp = &r.report;
    ctx.note(format!(
        "{}: {} frames read, {} used, {} keyframes, {} poses, {} tracking losses; {} points; scale {:.3} ({}); {:.1} s",
        rp.mode, rp.frames_read, rp.frames_used, rp.keyframes, rp.trajectory_poses, rp.tracking.tracking_losses, rp.points, rp.alignment.scale, rp.alignment.scale_source, rp.timings.total_s
    ));
    for w in &rp.warnings {
        ctx.note(format!("warning: {w}"));
    }
    ctx.note(format!("wrote {}, {}, {}", ply.display(), traj.display(), rep.display()));
    Ok(Outcome::Success)
}

#[cfg(not(feature = "video"))]
pub fn run(_a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    anyhow::bail!("roomscribe was built without the `video` feature (OpenCV); rebuild with --features video to reconstruct captures")
}
