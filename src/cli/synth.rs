use super::{print_json, Ctx, Outcome};
use anyhow::Context as _;
use crate::synth::camera::{Intrinsics, PathConfig};
use crate::synth::capture::{write_scan_outputs, Capture, SCAN_TRAJECTORY_FPS};
use crate::synth::dataset::{write_dataset, DatasetConfig, SceneParts};
use crate::synth::render::{RenderConfig, Renderer};
use crate::synth::scan::{NoiseProfile, ScanConfig};
use crate::synth::{generate, stats, SceneConfig};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A scene: layout.json + layout.txt.
    Scene(Common),
    /// A scene and a simulated scan: layout.json/.txt, scan.ply, trajectory.txt, intrinsics.yaml.
    Scan(ScanArgs),
    /// A scene, a rendered video (video.mp4 + rgbd/ TUM folder) and the scan seen along it.
    Video(VideoArgs),
    /// Training shards (numpy .npy + JSON) for a seed range, in parallel.
    Dataset(DatasetArgs),
    /// Distribution statistics of the scenes of a seed range (room areas,
    /// rooms per scene, objects per room by class, validity).
    Stats(StatsArgs),
}

#[derive(Debug, clap::Args)]
pub struct StatsArgs {
    /// Seed range A..B (B exclusive).
    #[arg(long, default_value = "0..1000")]
    pub seeds: String,
    /// Print the statistics as JSON on stdout.
    #[arg(long)]
    pub json: bool,
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
pub struct ScanArgs {
    /// Random seed (scene, path and sensor noise).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Sensor noise profile: lidar (clean phone LiDAR) or mvs (noisy, from video).
    #[arg(long, default_value = "lidar")]
    pub profile: NoiseProfile,
    /// Points in the scan.
    #[arg(long, default_value_t = 50_000, value_parser = super::parse::at_least_one)]
    pub points: usize,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct VideoArgs {
    /// Random seed (scene, path, sensor noise).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Video length, seconds (shorter when the walk ends earlier).
    #[arg(long, default_value_t = 10.0)]
    pub seconds: f64,
    /// Frames per second; frame i is at t = i / fps.
    #[arg(long, default_value_t = 30.0)]
    pub fps: f64,
    #[arg(long, default_value_t = 640)]
    pub width: u32,
    #[arg(long, default_value_t = 480)]
    pub height: u32,
    /// Blur each frame along its motion over the shutter time.
    #[arg(long)]
    pub motion_blur: bool,
    /// Scan profile of the scan.ply seen along the video.
    #[arg(long, default_value = "lidar")]
    pub profile: NoiseProfile,
    /// Points in scan.ply.
    #[arg(long, default_value_t = 50_000, value_parser = super::parse::at_least_one)]
    pub points: usize,
    /// Skip the RGB-D folder when writing the mp4 (needs the `video` feature).
    #[arg(long)]
    pub no_rgbd: bool,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

#[derive(Debug, clap::Args)]
pub struct DatasetArgs {
    /// Seed range A..B (B exclusive).
    #[arg(long)]
    pub seeds: String,
    /// Scan profile.
    #[arg(long, default_value = "lidar")]
    pub profile: NoiseProfile,
    /// Points per scene.
    #[arg(long, default_value_t = 50_000, value_parser = super::parse::at_least_one)]
    pub points: usize,
    /// Scenes per shard.
    #[arg(long, default_value_t = 64)]
    pub shard_size: usize,
    /// Allow seeds >= 1,000,000 (reserved for evaluation).
    #[arg(long)]
    pub allow_eval_seeds: bool,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(c: Command, ctx: Ctx) -> anyhow::Result<Outcome> {
    match c {
        Command::Scene(c) => scene(c, ctx),
        Command::Stats(a) => run_stats(a, ctx),
        Command::Scan(a) => scan(a, ctx),
        Command::Video(a) => video(a, ctx),
        Command::Dataset(a) => dataset(a, ctx),
    }
}

/// The scene of a seed as the sensors need it.
fn scene_parts(seed: u64) -> Result<SceneParts, String> {
    let scene = generate(seed, &SceneConfig::default()).map_err(|e| e.to_string())?;
    let rooms = crate::synth::capture::rooms_of(&scene);
    Ok((scene.layout, scene.world, rooms))
}

fn scene(c: Common, ctx: Ctx) -> anyhow::Result<Outcome> {
    super::check_output_dir(&c.output)?;
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
    let seeds = parse_seed_range(&a.seeds)?;
    let t = std::time::Instant::now();
    let s = stats::scene_stats(seeds, &SceneConfig::default());
    let secs = t.elapsed().as_secs_f64();
    if a.json {
        print_json(&s)?;
    } else {
        // The report is the command's result: printed even with --quiet.
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

fn parse_seed_range(s: &str) -> anyhow::Result<std::ops::Range<u64>> {
    let (a, b) = s.split_once("..").with_context(|| format!("--seeds {s:?}: expected A..B, e.g. 0..1000"))?;
    let a: u64 = a.trim().parse().with_context(|| format!("--seeds {s:?}: {a:?} is not a seed"))?;
    let b: u64 = b.trim().parse().with_context(|| format!("--seeds {s:?}: {b:?} is not a seed"))?;
    anyhow::ensure!(a < b, "--seeds {s:?}: the range is empty (B is exclusive)");
    Ok(a..b)
}

fn scan(a: ScanArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    super::check_output_dir(&a.output)?;
    let (layout, world, rooms) = scene_parts(a.seed).map_err(anyhow::Error::msg)?;
    let capture = Capture::new(&world, &layout, rooms, &PathConfig::default(), a.seed)?;
    let traj = capture.path.trajectory(SCAN_TRAJECTORY_FPS);
    let intrinsics = Intrinsics::for_size(640, 480);
    let cfg = ScanConfig { profile: a.profile, target_points: a.points, intrinsics, ..ScanConfig::default() };
    let cloud = capture.scan(&traj, &cfg, a.seed);
    write_scan_outputs(&a.output, &layout, &cloud, &traj, &intrinsics)?;
    ctx.note(format!(
        "seed {}: {} points ({}), {:.1} s walk, {} walls, {} openings, {} objects -> {}",
        a.seed,
        cloud.len(),
        a.profile.name(),
        capture.path.duration(),
        layout.walls.len(),
        layout.openings.len(),
        layout.objects.len(),
        a.output.display()
    ));
    Ok(Outcome::Success)
}

fn video(a: VideoArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    super::check_output_dir(&a.output)?;
    anyhow::ensure!(a.fps.is_finite() && a.fps > 0.0, "--fps must be positive");
    anyhow::ensure!(a.seconds.is_finite() && a.seconds > 0.0, "--seconds must be positive");
    anyhow::ensure!(a.width >= 16 && a.height >= 16 && a.width <= 8192 && a.height <= 8192, "--width/--height must be 16..8192");
    let (layout, world, rooms) = scene_parts(a.seed).map_err(anyhow::Error::msg)?;
    let mut capture = Capture::new(&world, &layout, rooms, &PathConfig::default(), a.seed)?;
    capture.path.truncate(a.seconds);
    if capture.path.duration() + 1e-9 < a.seconds {
        ctx.note(format!("the walk of seed {} lasts {:.1} s; the video is that long", a.seed, capture.path.duration()));
    }
    let intrinsics = Intrinsics::for_size(a.width, a.height);
    let renderer = Renderer {
        geometry: &capture.geometry,
        lighting: &capture.lighting,
        intrinsics,
        config: RenderConfig { motion_blur: a.motion_blur, seed: a.seed as u32, ..RenderConfig::default() },
    };
    std::fs::create_dir_all(&a.output).with_context(|| format!("creating {}", a.output.display()))?;
    let traj = capture.path.trajectory(a.fps);
    let bar = ctx.progress(traj.poses.len() as u64, "rendering");
    let progress = |n: usize| bar.set_position(n as u64);
    let rgbd = a.output.join("rgbd");
    #[cfg(feature = "video")]
    {
        let mut mp4 = crate::synth::video::Mp4Writer::create(&a.output.join("video.mp4"), a.width, a.height, a.fps)?;
        let fourcc = mp4.fourcc;
        crate::synth::video::render_rgbd(&renderer, &capture.path, a.fps, &rgbd, Some(&mut mp4), &progress)?;
        mp4.finish()?;
        if a.no_rgbd {
            std::fs::remove_dir_all(&rgbd).with_context(|| format!("removing {}", rgbd.display()))?;
        }
        bar.finish_and_clear();
        ctx.note(format!("video.mp4 ({fourcc}, {} frames at {} fps)", traj.poses.len(), a.fps));
    }
    #[cfg(not(feature = "video"))]
    {
        anyhow::ensure!(!a.no_rgbd, "--no-rgbd needs the mp4 writer, which needs the `video` feature");
        crate::synth::video::render_rgbd(&renderer, &capture.path, a.fps, &rgbd, None, &progress)?;
        bar.finish_and_clear();
        ctx.note("video.mp4 not written: this build has no `video` feature (OpenCV); the rgbd/ folder holds the frames");
    }
    let cfg = ScanConfig { profile: a.profile, target_points: a.points, intrinsics, ..ScanConfig::default() };
    let cloud = capture.scan(&traj, &cfg, a.seed);
    write_scan_outputs(&a.output, &layout, &cloud, &traj, &intrinsics)?;
    ctx.note(format!(
        "seed {}: {} frames {}x{} ({:.1} s), {} scan points -> {}",
        a.seed,
        traj.poses.len(),
        a.width,
        a.height,
        capture.path.duration(),
        cloud.len(),
        a.output.display()
    ));
    Ok(Outcome::Success)
}

fn dataset(a: DatasetArgs, ctx: Ctx) -> anyhow::Result<Outcome> {
    super::check_output_dir(&a.output)?;
    let seeds = parse_seed_range(&a.seeds)?;
    let n = seeds.end - seeds.start;
    let cfg = DatasetConfig {
        seeds,
        shard_size: a.shard_size,
        scan: ScanConfig { profile: a.profile, target_points: a.points, ..ScanConfig::default() },
        path: PathConfig::default(),
        allow_eval_seeds: a.allow_eval_seeds,
    };
    let bar = ctx.progress(n, "scenes");
    let start = std::time::Instant::now();
    let manifest = write_dataset(&a.output, &cfg, scene_parts, &|k| bar.set_position(k as u64))?;
    bar.finish_and_clear();
    let secs = start.elapsed().as_secs_f64();
    ctx.note(format!(
        "{} scenes, {} points in {} shards, {} skipped, {:.1} s ({:.1} scenes/s) -> {}",
        manifest["scenes"],
        manifest["points"],
        manifest["shards"].as_array().map_or(0, |s| s.len()),
        manifest["skipped"].as_array().map_or(0, |s| s.len()),
        secs,
        manifest["scenes"].as_f64().unwrap_or(0.0) / secs.max(1e-9),
        a.output.display()
    ));
    Ok(Outcome::Success)
}
