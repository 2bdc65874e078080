//! `roomscribe eval layout|traj|cloud`: thin wrappers over `crate::eval`.
//! `--json` prints the machine-readable report on stdout; the human table
//! goes to stderr.

use super::{print_json, Ctx, Outcome};
use crate::eval::{self, Alignment, LayoutMetricConfig, TrajConfig};
use anyhow::Context;
use std::path::{Path, PathBuf};

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Layout and object F1 at IoU 0.25 / 0.5 (files or folders of matching names).
    Layout(LayoutArgs),
    /// Trajectory ATE / RPE (TUM files, or folders of matching names).
    Traj(TrajArgs),
    /// Cloud accuracy / completeness / Chamfer / F-score (PLY files or folders).
    Cloud(CloudArgs),
}

#[derive(Debug, clap::Args)]
pub struct LayoutArgs {
    /// Predicted layout (.json / .txt) or a folder of them.
    #[arg(long)]
    pub pred: PathBuf,
    /// Ground truth: layout (.json / .txt), ScanNet-style box list (.json), or a folder.
    #[arg(long)]
    pub gt: PathBuf,
    /// Print the JSON report on stdout.
    #[arg(long)]
    pub json: bool,
    /// Reproduce SpatialLM's published script exactly (signed plane offset,
    /// box z-extent [cz-h, cz], IoU rounded to 5 decimals).
    #[arg(long)]
    pub spatiallm_compat: bool,
}

#[derive(Debug, clap::Args)]
pub struct TrajArgs {
    /// Estimated trajectory (TUM) or a folder of them.
    #[arg(long)]
    pub est: PathBuf,
    /// Ground-truth trajectory (TUM) or a folder of them.
    #[arg(long)]
    pub gt: PathBuf,
    /// Alignment before scoring.
    #[arg(long, value_enum, default_value = "se3")]
    pub align: AlignArg,
    /// Largest timestamp difference for association, seconds.
    #[arg(long, default_value_t = 0.02)]
    pub max_dt: f64,
    /// RPE step in matched frames.
    #[arg(long, default_value_t = 1, value_parser = super::parse::at_least_one)]
    pub rpe_delta: usize,
    /// RPE step in metres of ground-truth path (instead of frames).
    #[arg(long, conflicts_with = "rpe_delta")]
    pub rpe_delta_m: Option<f64>,
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
pub enum AlignArg {
    Se3,
    Sim3,
}

impl From<AlignArg> for Alignment {
    fn from(a: AlignArg) -> Alignment {
        match a {
            AlignArg::Se3 => Alignment::Se3,
            AlignArg::Sim3 => Alignment::Sim3,
        }
    }
}

#[derive(Debug, clap::Args)]
pub struct CloudArgs {
    /// Predicted cloud (.ply) or a folder of them.
    #[arg(long)]
    pub pred: PathBuf,
    /// Reference cloud (.ply) or a folder of them.
    #[arg(long)]
    pub gt: PathBuf,
    /// F-score distance, metres.
    #[arg(long, default_value_t = eval::cloud::DEFAULT_TAU)]
    pub tau: f64,
    /// The predicted cloud's camera trajectory (TUM): with --gt-traj, the
    /// cloud is moved by the trajectory alignment before scoring (for a
    /// reconstruction in its own frame and scale). Files only.
    #[arg(long, requires = "gt_traj")]
    pub pred_traj: Option<PathBuf>,
    /// The ground-truth trajectory (TUM) for --pred-traj.
    #[arg(long, requires = "pred_traj")]
    pub gt_traj: Option<PathBuf>,
    /// Alignment used with --pred-traj: sim3 (with scale, for monocular
    /// input) or se3.
    #[arg(long, value_enum, default_value = "sim3")]
    pub align: AlignArg,
    /// Timestamp association tolerance for --pred-traj, seconds.
    #[arg(long, default_value_t = 0.02)]
    pub max_dt: f64,
    #[arg(long)]
    pub json: bool,
}

pub fn run(c: Command, ctx: Ctx) -> anyhow::Result<Outcome> {
    match c {
        Command::Layout(a) => layout(a, ctx),
        Command::Traj(a) => traj(a, ctx),
        Command::Cloud(a) => cloud(a, ctx),
    }
}

fn layout(a: LayoutArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    let cfg = LayoutMetricConfig { spatiallm_compat: a.spatiallm_compat, ..Default::default() };
    let report = eval::layout_report::evaluate_layout_paths(&a.pred, &a.gt, &cfg)?;
    ctx.note(format!(
        "{} scene(s){}\n{}",
        report.scenes.len(),
        if a.spatiallm_compat { ", SpatialLM-compatible mode" } else { "" },
        report.to_markdown()
    ));
    if a.json {
        print_json(&report.to_json())?;
    }
    Ok(Outcome::Success)
}

fn traj(a: TrajArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    let align = Alignment::from(a.align);
    let cfg = TrajConfig { align, max_dt: a.max_dt, rpe_delta: a.rpe_delta, rpe_delta_m: a.rpe_delta_m };
    let out = eval::traj::evaluate_trajectory_paths(&a.est, &a.gt, &cfg)?;
    ctx.note(out.to_markdown());
    if a.json {
        print_json(&out.to_json())?;
    }
    Ok(Outcome::Success)
}

/// `eval cloud --pred-traj --gt-traj`: one cloud, moved by the alignment of
/// its trajectory onto the ground truth's, then scored.
fn cloud_aligned(a: &CloudArgs, pred_traj: &Path, gt_traj: &Path, ctx: Ctx) -> anyhow::Result<Outcome> {
    for p in [&a.pred, &a.gt] {
        anyhow::ensure!(p.is_file(), "{}: with --pred-traj, --pred and --gt must be PLY files", p.display());
    }
    let align = Alignment::from(a.align);
    let cfg = TrajConfig { align, max_dt: a.max_dt, ..TrajConfig::default() };
    let est = crate::trajectory::Trajectory::read_tum(pred_traj)?;
    let gt = crate::trajectory::Trajectory::read_tum(gt_traj)?;
    let t = eval::traj::evaluate_trajectory(&est, &gt, &cfg)
        .with_context(|| format!("{} vs {}: cannot align the trajectories", pred_traj.display(), gt_traj.display()))?;
    let pred = eval::cloud::read_scored_cloud(&a.pred)?;
    let gt_cloud = eval::cloud::read_scored_cloud(&a.gt)?;
    let moved = eval::cloud::transform_cloud(&pred, &t.est_to_gt);
    let r = eval::cloud::evaluate_cloud(&moved, &gt_cloud, a.tau)?;
    let name = a.gt.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
    let out = eval::files::Batch { items: vec![(name, r)] };
    ctx.note(format!(
        "aligned by the trajectory ({:?}, scale {:.4}, ATE RMSE {:.4} m over {} poses)\n{}",
        t.align,
        t.scale,
        t.ate_rmse,
        t.matched,
        out.to_markdown()
    ));
    if a.json {
        print_json(&out.to_json())?;
    }
    Ok(Outcome::Success)
}

fn cloud(a: CloudArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    if let (Some(pt), Some(gt_traj)) = (&a.pred_traj, &a.gt_traj) {
        return cloud_aligned(&a, pt, gt_traj, ctx);
    }
    let out = eval::cloud::evaluate_cloud_paths(&a.pred, &a.gt, a.tau)?;
    ctx.note(out.to_markdown());
    if a.json {
        print_json(&out.to_json())?;
    }
    Ok(Outcome::Success)
}
