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

/// The stage a manifest names: the built-in ones, or an error listing them.
fn stage_for(m: &Manifest) -> anyhow::Result<Box<dyn Stage>> {
    builtin_stage(m).map_err(|e| anyhow::anyhow!("{}: {e}", m.name))?.ok_or_else(|| {
        anyhow::anyhow!(
            "{}: stage {:?} is not available in roomscribe {} (available: \"none\" — score predictions on disk, \"oracle\" — harness self-check, \"perturb\" — ground truth plus noise, \"perturb_solve\" — the same, then the solver)",
            m.name,
            m.stage,
            crate::VERSION
        )
    })
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
