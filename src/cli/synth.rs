use super::{not_built, print_json, Ctx, Outcome};
use crate::synth::{generate, stats, SceneConfig};
use anyhow::Context;
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A scene: layout.json + layout.txt.
    Scene(Common),
    /// A scene and a simulated scan.
    Scan(Common),
    /// A scene, a scan and a rendered video.
    Video(Common),
    /// Distribution statistics of the scenes of a seed range.
    Stats(StatsArgs),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Seed range `A..B` (B excluded).
    #[arg(long, value_parser = parse_seeds, default_value = "0..1000")]
    pub seeds: std::ops::Range<u64>,
    /// Print the statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Parses `A..B` (B excluded, B > A).
pub fn parse_seeds(s: &str) -> Result<std::ops::Range<u64>, String> {
    let (a, b) = s.split_once("..").ok_or_else(|| format!("seed range {s:?}: expected A..B, e.g. 0..1000"))?;
    let a: u64 = a.trim().parse().map_err(|_| format!("seed range {s:?}: {a:?} is not a number"))?;
    let b: u64 = b.trim().parse().map_err(|_| format!("seed range {s:?}: {b:?} is not a number"))?;
    if b <= a {
        return Err(format!("seed range {s:?}: the end must be greater than the start"));
    }
    Ok(a..b)
}

fn scene(c: Common, ctx: Ctx) -> anyhow::Result<Outcome> {
    let scene = generate(c.seed, &SceneConfig::default())?;
    std::fs::create_dir_all(&c.output).with_context(|| format!("creating {}", c.output.display()))?;
    scene.layout.write(&c.output.join("layout.json"))?;
    scene.layout.write(&c.output.join("layout.txt"))?;
    let n = scene.layout.counts();
    ctx.note(format!(
        "seed {}: {} with {} room(s), {} walls, {} doors, {} windows, {} objects -> {}",
        c.seed,
        scene.kind.name(),
        scene.rooms.len(),
        n.walls,
        n.doors,
        n.windows,
        n.objects,
        c.output.display()
    ));
    Ok(Outcome::Success)
}

fn run_stats(a: StatsArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    let t = std::time::Instant::now();
    let s = stats::scene_stats(a.seeds.clone(), &SceneConfig::default());
    let secs = t.elapsed().as_secs_f64();
    if a.json {
        print_json(&s)?;
    } else {
        eprint!("{}", s.to_text());
    }
    ctx.note(format!(
        "generated {} scenes in {secs:.2} s ({:.2} ms per scene on {} threads)",
        s.scenes,
        1e3 * secs / s.scenes.max(1) as f64,
        rayon::current_num_threads()
    ));
    Ok(if s.violations == 0 && s.failed.is_empty() { Outcome::Success } else { Outcome::CheckFailed })
}

pub fn run(c: Command, ctx: Ctx) -> anyhow::Result<Outcome> {
    match c {
        Command::Scene(c) => scene(c, ctx),
        Command::Stats(a) => run_stats(a, ctx),
        Command::Scan(_) | Command::Video(_) => Err(not_built("synthetic scan / video")),
    }
}

#[cfg(test)]
mod tests {
    use super::parse_seeds;

    #[test]
    fn seed_ranges() {
        assert_eq!(parse_seeds("3..10"), Ok(3..10));
        assert!(parse_seeds("10..3").is_err());
        assert!(parse_seeds("x..3").is_err());
        assert!(parse_seeds("7").is_err());
    }
}
