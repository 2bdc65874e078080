//! `roomscribe bench MANIFEST.toml`: runs a benchmark (see
//! `crate::eval::bench`) and writes `eval/results/<name>.md` and `.json`.

use super::{print_json, Ctx, Outcome};
use crate::eval::bench::{builtin_stage, run_benchmark, Manifest, Stage};
use std::path::{Path, PathBuf};

/// Run a benchmark manifest.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// eval/benchmarks/NAME.toml
    pub manifest: PathBuf,
    /// Folder for NAME.md and NAME.json (default: the `results` folder beside
    /// the manifest's `benchmarks` folder, else eval/results).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also print the JSON report on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Where results go by default: `eval/benchmarks/x.toml` → `eval/results`.
fn default_out(manifest: &Path) -> PathBuf {
    match manifest.parent() {
        Some(dir) if dir.file_name().is_some_and(|n| n == "benchmarks") => {
            dir.parent().map_or_else(|| PathBuf::from("results"), |p| p.join("results"))
        }
        _ => PathBuf::from("eval/results"),
    }
}

/// The stage a manifest names: the built-in ones, the reconstruction front
/// end (`recon`, with the `video` feature), or an error listing them.
fn stage_for(m: &Manifest) -> anyhow::Result<Box<dyn Stage>> {
    #[cfg(feature = "video")]
    if m.stage == "recon" {
        return Ok(Box::new(recon_stage::Recon::from_manifest(m).map_err(|e| anyhow::anyhow!("{}: {e}", m.name))?));
    }
    builtin_stage(m).map_err(|e| anyhow::anyhow!("{}: {e}", m.name))?.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: stage {:?} is not available in roomscribe {} (available: \"none\" — score predictions on disk, \"oracle\" — harness self-check, \"perturb\" — ground truth plus noise, \"perturb_solve\" — the same, then the solver{})",
            m.name,
            m.stage,
            crate::VERSION,
            if cfg!(feature = "video") { ", \"recon\" — the reconstruction front end on each case's input" } else { "; \"recon\" needs the `video` feature" }
        )
    })
}

/// `stage = "recon"`: runs `recon::reconstruct` on each case's input (a
/// video, image folder or capture folder named like the case under the
/// manifest's `inputs`) and hands its trajectory and cloud to the scorer.
/// `[stage_options]`: `ignore_capture_poses` (bool), `max_width` (pixels),
/// `fov_deg`, `max_frames`. Per-step times of the front end's report are
/// recorded as sub-stage timings; frames read / tracked, keyframes and maps
/// as counts.
#[cfg(feature = "video")]
mod recon_stage {
    use crate::eval::bench::{Case, Manifest, Prediction, Stage, Truth};
    use crate::recon::{reconstruct, ReconConfig};

    pub struct Recon {
        pub config: ReconConfig,
    }

    impl Recon {
        pub fn from_manifest(m: &Manifest) -> Result<Recon, String> {
            if m.inputs.is_none() {
                return Err("stage \"recon\" needs an `inputs` folder (one capture per case)".into());
            }
            let mut config = ReconConfig::default();
            for o in crate::eval::bench::stage_options(m.stage_options.as_ref()) {
                match o.key {
                    "ignore_capture_poses" => config.ignore_capture_poses = o.flag()?,
                    "max_width" => config.max_width = o.count()?,
                    "max_frames" => config.max_frames = o.count()?,
                    "fov_deg" => {
                        let f = o.number()?;
                        if !(f > 1.0 && f < 179.0) {
                            return Err(format!("stage_options.fov_deg must be between 1 and 179 degrees, got {f}"));
                        }
                        config.fov_deg = Some(f)
                    }
                    other => {
                        return Err(format!(
                            "unknown stage_options key {other:?} for stage \"recon\" (ignore_capture_poses, max_width, max_frames, fov_deg)"
                        ))
                    }
                }
            }
            Ok(Recon { config })
        }
    }

    impl Stage for Recon {
        fn name(&self) -> String {
            "recon".into()
        }

        fn predict(&mut self, case: &Case, _truth: &Truth) -> Result<Prediction, String> {
            let input = case.input.as_ref().ok_or_else(|| format!("no input for {} in the inputs folder", case.name))?;
            let r = reconstruct(input, &self.config, &mut |_| {}).map_err(|e| e.to_string())?;
            let mut p = Prediction { trajectory: Some(r.trajectory), cloud: Some(r.cloud), ..Prediction::default() };
            let report = serde_json::to_value(&r.report).unwrap_or_default();
            if let Some(t) = report.get("timings").and_then(|t| t.as_object()) {
                for (k, v) in t {
                    if let Some(s) = v.as_f64() {
                        p.timings.push((k.trim_end_matches("_s").to_string(), s));
                    }
                }
            }
            for key in ["frames_read", "frames_used", "trajectory_poses", "keyframes", "maps", "points"] {
                if let Some(n) = report.get(key).and_then(|v| v.as_f64()) {
                    p.counts.push((key.to_string(), n));
                }
            }
            Ok(p)
        }
    }
}

/// The commit of the checkout the manifest lives in, when git can tell.
fn git_commit(dir: &Path) -> Option<String> {
    let out = std::process::Command::new("git").arg("-C").arg(dir).args(["rev-parse", "--short=12", "HEAD"]).output().ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    let manifest = Manifest::read(&a.manifest)?;
    let mut stage = stage_for(&manifest)?;
    let bar = ctx.progress(0, &manifest.name);
    // Ground truth of [synthetic] cases: the procedural generator's layout.
    let synth = |seed: u64| -> Result<crate::layout::Layout, String> {
        crate::synth::generate(seed, &crate::synth::SceneConfig::default()).map(|s| s.layout).map_err(|e| e.to_string())
    };
    let mut report = run_benchmark(&manifest, stage.as_mut(), Some(&synth), |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    if let Some(c) = git_commit(a.manifest.parent().unwrap_or(Path::new("."))) {
        report.versions.insert("git_commit".into(), c);
    }
    let out = a.out.unwrap_or_else(|| default_out(&a.manifest));
    let [md, js] = report.write(&out)?;
    ctx.note(report.to_markdown());
    ctx.note(format!("wrote {} and {}", md.display(), js.display()));
    if a.json {
        print_json(&report.to_json())?;
    }
    Ok(Outcome::Success)
}
