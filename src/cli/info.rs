use crate::pipeline::input::{detect, InputKind};
use super::{print_json, Ctx, Outcome};
use crate::layout::Layout;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Describe an input: points and bounds of a cloud, frames of a video or
/// capture folder, entity counts of a layout.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A .ply cloud, a video, a capture folder or a layout (.json/.txt).
    pub input: PathBuf,
    /// Print the description as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    let kind = detect(&a.input)?;
    let info = describe(&a.input, kind, ctx)?;
    if a.json {
        print_json(&info)?;
    } else {
        eprintln!("{}: {}", a.input.display(), kind.name());
        if let Value::Object(map) = &info {
            for (k, v) in map {
                eprintln!("  {k}: {v}");
            }
        }
    }
    Ok(Outcome::Success)
}

fn describe(path: &Path, kind: InputKind, ctx: Ctx) -> anyhow::Result<Value> {
    match kind {
        InputKind::Layout => {
            let (layout, warnings) = Layout::read(path)?;
            for w in &warnings {
                ctx.note(format!("warning: {}: {w}", path.display()));
            }
            let c = layout.counts();
            Ok(json!({
                "kind": "layout",
                "walls": c.walls,
                "doors": c.doors,
                "windows": c.windows,
                "objects": c.objects,
                "warnings": warnings.len(),
                "valid": layout.validate().is_empty(),
            }))
        }
        InputKind::Ply => ply_info(path),
        InputKind::Video => video_info(path),
        InputKind::TumRgbd => {
            let frames = count_listed(&path.join("rgb.txt"))?;
            let depth = count_listed(&path.join("depth.txt"))?;
            Ok(json!({"kind": "tum_rgbd", "frames": frames, "depth_frames": depth}))
        }
        InputKind::ImageFolder | InputKind::ArKit => {
            let frames = std::fs::read_dir(path)?
                .flatten()
                .filter(|e| {
                    matches!(
                        e.path().extension().and_then(|x| x.to_str()).map(|x| x.to_ascii_lowercase()).as_deref(),
                        Some("png" | "jpg" | "jpeg")
                    )
                })
                .count();
            Ok(json!({"kind": if kind == InputKind::ArKit {"arkit"} else {"images"}, "frames": frames}))
        }
        InputKind::StrayScanner | InputKind::Record3d => {
            let depth_dir = if kind == InputKind::StrayScanner { path.join("depth") } else { path.join("rgbd") };
            let frames = std::fs::read_dir(&depth_dir).map(|d| d.flatten().count()).unwrap_or(0);
            Ok(json!({"kind": if kind == InputKind::StrayScanner {"stray_scanner"} else {"record3d"}, "depth_files": frames}))
        }
    }
}

/// Counts the non-comment, non-empty lines of a TUM list file.
fn count_listed(path: &Path) -> anyhow::Result<usize> {
    let text = std::fs::read_to_string(path).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    Ok(text.lines().filter(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#')).count())
}

fn ply_info(path: &Path) -> anyhow::Result<Value> {
    let read = crate::cloud::read_ply(path)?;
    let cloud = &read.cloud;
    let bounds = match cloud.bounds() {
        Some((min, max)) => json!({"min": min.map(shortest_f64), "max": max.map(shortest_f64)}),
        None => Value::Null,
    };
    Ok(json!({
        "kind": "point_cloud",
        "points": cloud.len(),
        "bounds": bounds,
        "has_color": cloud.colors.is_some(),
        "has_normals": cloud.normals.is_some(),
        "dropped_nonfinite": read.dropped_nonfinite,
        "skipped_faces": read.skipped_faces,
    }))
}

/// The f64 with the shortest decimal form that reads back as `v` (so JSON
/// shows `0.1`, not `0.10000000149011612`).
fn shortest_f64(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(f64::from(v))
}

#[cfg(feature = "video")]
fn video_info(path: &Path) -> anyhow::Result<Value> {
    use opencv::prelude::*;
    use opencv::videoio;
    let p = path.to_str().ok_or_else(|| anyhow::anyhow!("{}: path is not valid UTF-8", path.display()))?;
    let cap = videoio::VideoCapture::from_file(p, videoio::CAP_ANY)
        .map_err(|e| anyhow::anyhow!("{}: cannot open video: {e}", path.display()))?;
    if !cap.is_opened().unwrap_or(false) {
        anyhow::bail!("{}: cannot open video (unreadable file or unsupported codec)", path.display());
    }
    let get = |prop| cap.get(prop).unwrap_or(0.0);
    let frames = get(videoio::CAP_PROP_FRAME_COUNT).max(0.0) as u64;
    let fps = get(videoio::CAP_PROP_FPS);
    let width = get(videoio::CAP_PROP_FRAME_WIDTH) as u32;
    let height = get(videoio::CAP_PROP_FRAME_HEIGHT) as u32;
    if width == 0 || height == 0 {
        anyhow::bail!("{}: video has no readable frames", path.display());
    }
    Ok(json!({
        "kind": "video",
        "frames": frames,
        "fps": fps,
        "width": width,
        "height": height,
        "duration_s": if fps > 0.0 { frames as f64 / fps } else { 0.0 },
    }))
}

#[cfg(not(feature = "video"))]
fn video_info(path: &Path) -> anyhow::Result<Value> {
    anyhow::bail!("{}: this roomscribe was built without video support (cargo feature `video`)", path.display())
}
