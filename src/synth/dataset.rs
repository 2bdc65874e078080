//! Training datasets: many scanned scenes written as shards that numpy
//! alone can read, plus a manifest.
//!
//! Layout of a dataset folder (format [`DATASET_FORMAT`]):
//!
//! ```text
//! DIR/manifest.json                 format, generator, seed range, counts, shards
//! DIR/shard_00000/points.npy        float32 [N, 3]  xyz, metres, world frame (z up)
//! DIR/shard_00000/colors.npy        uint8   [N, 3]  rgb
//! DIR/shard_00000/offsets.npy       int64   [S + 1] scene i = rows offsets[i]..offsets[i+1]
//! DIR/shard_00000/seeds.npy         uint64  [S]
//! DIR/shard_00000/layouts.json      [{seed, points, layout (native JSON), spatiallm (text)}]
//! ```
//!
//! Seeds at or above [`EVAL_SEED_START`] are reserved for evaluation and
//! refused unless explicitly allowed. Scenes are generated and scanned in
//! parallel (rayon); the output is identical for any thread count.

use super::camera::PathConfig;
use super::capture::{Capture, SCAN_TRAJECTORY_FPS};
use super::camera::RoomOutline;
use super::scan::ScanConfig;
use super::world::World;
use crate::cloud::PointCloud;
use crate::layout::Layout;
use rayon::prelude::*;
use serde_json::json;
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Seeds from here on are the evaluation split: never train on them.
pub const EVAL_SEED_START: u64 = 1_000_000;
/// Format tag in `manifest.json`.
pub const DATASET_FORMAT: &str = "roomscribe.synth.dataset/1";

/// Errors writing a dataset.
#[derive(Debug, thiserror::Error)]
pub enum DatasetError {
    #[error("seeds {start}..{end} reach into the evaluation range (seeds >= {EVAL_SEED_START}); pass --allow-eval-seeds to generate them anyway")]
    EvalSeeds { start: u64, end: u64 },
    #[error("seed range {start}..{end} is empty")]
    EmptyRange { start: u64, end: u64 },
    #[error("shard size must be at least 1")]
    BadShardSize,
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// Dataset options. `Default`: 64 scenes per shard, lidar scans of 50k
/// points, the default camera path.
#[derive(Debug, Clone, PartialEq)]
pub struct DatasetConfig {
    pub seeds: Range<u64>,
    pub shard_size: usize,
    pub scan: ScanConfig,
    pub path: PathConfig,
    pub allow_eval_seeds: bool,
}

impl Default for DatasetConfig {
    fn default() -> Self {
        DatasetConfig { seeds: 0..100, shard_size: 64, scan: ScanConfig::default(), path: PathConfig::default(), allow_eval_seeds: false }
    }
}

/// One scanned scene.
#[derive(Debug, Clone)]
pub struct Sample {
    pub seed: u64,
    pub layout: Layout,
    pub cloud: PointCloud,
}

/// What a scene source returns for a seed: ground truth, world, rooms.
pub type SceneParts = (Layout, World, Vec<RoomOutline>);

/// Generates and scans one scene.
pub fn sample<F>(seed: u64, cfg: &DatasetConfig, make_scene: &F) -> Result<Sample, String>
where
    F: Fn(u64) -> Result<SceneParts, String>,
{
    let (layout, world, rooms) = make_scene(seed)?;
    let capture = Capture::new(&world, &layout, rooms, &cfg.path, seed).map_err(|e| e.to_string())?;
    let traj = capture.path.trajectory(SCAN_TRAJECTORY_FPS);
    let cloud = capture.scan(&traj, &cfg.scan, seed);
    Ok(Sample { seed, layout, cloud })
}

/// Writes the dataset into `dir`; `progress` gets the number of scenes
/// done. Seeds whose scene cannot be built are skipped and listed in the
/// manifest. Returns the manifest.
pub fn write_dataset<F>(
    dir: &Path,
    cfg: &DatasetConfig,
    make_scene: F,
    progress: &(dyn Fn(usize) + Sync),
) -> Result<serde_json::Value, DatasetError>
where
    F: Fn(u64) -> Result<SceneParts, String> + Sync,
{
    let (start, end) = (cfg.seeds.start, cfg.seeds.end);
    if start >= end {
        return Err(DatasetError::EmptyRange { start, end });
    }
    if end > EVAL_SEED_START && !cfg.allow_eval_seeds {
        return Err(DatasetError::EvalSeeds { start, end });
    }
    if cfg.shard_size == 0 {
        return Err(DatasetError::BadShardSize);
    }
    let io = |p: &Path| {
        let path = p.display().to_string();
        move |source| DatasetError::Io { path, source }
    };
    std::fs::create_dir_all(dir).map_err(io(dir))?;
    let done = AtomicUsize::new(0);
    let mut shards = Vec::new();
    let mut skipped = Vec::new();
    let (mut total_scenes, mut total_points) = (0usize, 0usize);
    let seeds: Vec<u64> = cfg.seeds.clone().collect();
    for (si, chunk) in seeds.chunks(cfg.shard_size).enumerate() {
        let results: Vec<Result<Sample, (u64, String)>> = chunk
            .par_iter()
            .map(|&seed| {
                let r = sample(seed, cfg, &make_scene).map_err(|e| (seed, e));
                progress(done.fetch_add(1, Ordering::Relaxed) + 1);
                r
            })
            .collect();
        let mut samples = Vec::with_capacity(results.len());
        for r in results {
            match r {
                Ok(s) => samples.push(s),
                Err((seed, error)) => skipped.push(json!({ "seed": seed, "error": error })),
            }
        }
        let name = format!("shard_{si:05}");
        let sdir = dir.join(&name);
        std::fs::create_dir_all(&sdir).map_err(io(&sdir))?;
        let n: usize = samples.iter().map(|s| s.cloud.len()).sum();
        let mut xyz = Vec::with_capacity(n * 12);
        let mut rgb = Vec::with_capacity(n * 3);
        let mut offsets = vec![0i64];
        for s in &samples {
            for p in &s.cloud.points {
                for v in p {
                    xyz.extend_from_slice(&v.to_le_bytes());
                }
            }
            match &s.cloud.colors {
                Some(c) => c.iter().for_each(|c| rgb.extend_from_slice(c)),
                None => rgb.resize(rgb.len() + 3 * s.cloud.len(), 0),
            }
            offsets.push(offsets.last().copied().unwrap_or(0) + s.cloud.len() as i64);
        }
        let offsets_b: Vec<u8> = offsets.iter().flat_map(|o| o.to_le_bytes()).collect();
        let seeds_b: Vec<u8> = samples.iter().flat_map(|s| s.seed.to_le_bytes()).collect();
        let write = |file: &str, bytes: &[u8]| {
            let p = sdir.join(file);
            crate::io::write_atomic(&p, bytes).map_err(io(&p))
        };
        write("points.npy", &npy("<f4", &[n, 3], &xyz))?;
        write("colors.npy", &npy("|u1", &[n, 3], &rgb))?;
        write("offsets.npy", &npy("<i8", &[samples.len() + 1], &offsets_b))?;
        write("seeds.npy", &npy("<u8", &[samples.len()], &seeds_b))?;
        let layouts: Vec<serde_json::Value> = samples
            .iter()
            .map(|s| {
                json!({
                    "seed": s.seed,
                    "points": s.cloud.len(),
                    "layout": serde_json::to_value(&s.layout).unwrap_or(serde_json::Value::Null),
                    "spatiallm": crate::layout::to_spatiallm(&s.layout),
                })
            })
            .collect();
        let text = serde_json::to_string(&layouts).unwrap_or_else(|_| "[]".into());
        write("layouts.json", text.as_bytes())?;
        shards.push(json!({
            "name": name,
            "seeds": [chunk.first().copied().unwrap_or(0), chunk.last().map_or(0, |s| s + 1)],
            "scenes": samples.len(),
            "points": n,
        }));
        total_scenes += samples.len();
        total_points += n;
    }
    let manifest = json!({
        "format": DATASET_FORMAT,
        "generator": format!("roomscribe {}", crate::VERSION),
        "seeds": { "start": start, "end": end },
        "eval_seed_start": EVAL_SEED_START,
        "profile": cfg.scan.profile.name(),
        "target_points": cfg.scan.target_points,
        "scenes": total_scenes,
        "points": total_points,
        "shard_size": cfg.shard_size,
        "shards": shards,
        "skipped": skipped,
    });
    let mp = dir.join("manifest.json");
    let text = serde_json::to_string_pretty(&manifest).unwrap_or_default();
    crate::io::write_atomic(&mp, text.as_bytes()).map_err(io(&mp))?;
    Ok(manifest)
}

/// Serialises a C-order array as `.npy` (format version 1.0): magic, header
/// dict padded so the data starts at a multiple of 64 bytes, raw data.
pub fn npy(descr: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
    let shape_s = match shape {
        [n] => format!("({n},)"),
        _ => format!("({})", shape.iter().map(|d| d.to_string()).collect::<Vec<_>>().join(", ")),
    };
    let mut header = format!("{{'descr': '{descr}', 'fortran_order': False, 'shape': {shape_s}, }}");
    let unpadded = 10 + header.len() + 1;
    header.push_str(&" ".repeat((64 - unpadded % 64) % 64));
    header.push('\n');
    let mut out = Vec::with_capacity(10 + header.len() + data.len());
    out.extend_from_slice(b"\x93NUMPY\x01\x00");
    out.extend_from_slice(&(header.len() as u16).to_le_bytes());
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::camera::tests::two_room_world;

    fn source(seed: u64) -> Result<SceneParts, String> {
        if seed == 3 {
            return Err("no scene for seed 3".into());
        }
        let (w, l, r) = two_room_world();
        Ok((l, w, r))
    }

    #[test]
    fn npy_header_is_aligned() {
        let b = npy("<f4", &[2, 3], &[0u8; 24]);
        assert_eq!(&b[..6], b"\x93NUMPY");
        let hl = u16::from_le_bytes([b[8], b[9]]) as usize;
        assert_eq!((10 + hl) % 64, 0);
        assert_eq!(b.len(), 10 + hl + 24);
        assert!(std::str::from_utf8(&b[10..10 + hl]).unwrap().contains("'shape': (2, 3)"));
    }

    #[test]
    fn dataset_shards_and_manifest() {
        let tmp = tempfile::tempdir().unwrap();
        let mut cfg = DatasetConfig { seeds: 0..5, shard_size: 3, ..DatasetConfig::default() };
        cfg.scan.target_points = 500;
        let m = write_dataset(tmp.path(), &cfg, source, &|_| {}).unwrap();
        assert_eq!(m["scenes"], 4);
        assert_eq!(m["skipped"][0]["seed"], 3);
        assert_eq!(m["shards"].as_array().unwrap().len(), 2);
        let off = std::fs::read(tmp.path().join("shard_00000/offsets.npy")).unwrap();
        let hl = u16::from_le_bytes([off[8], off[9]]) as usize;
        let vals: Vec<i64> = off[10 + hl..].chunks(8).map(|c| i64::from_le_bytes(c.try_into().unwrap())).collect();
        assert_eq!(vals, vec![0, 500, 1000, 1500]);
        let pts = std::fs::read(tmp.path().join("shard_00000/points.npy")).unwrap();
        assert_eq!(pts.len() - (10 + u16::from_le_bytes([pts[8], pts[9]]) as usize), 1500 * 12);
        // Deterministic.
        let tmp2 = tempfile::tempdir().unwrap();
        write_dataset(tmp2.path(), &cfg, source, &|_| {}).unwrap();
        assert_eq!(pts, std::fs::read(tmp2.path().join("shard_00000/points.npy")).unwrap());
        // Evaluation seeds are refused.
        let eval = DatasetConfig { seeds: EVAL_SEED_START - 1..EVAL_SEED_START + 1, ..cfg.clone() };
        assert!(matches!(write_dataset(tmp.path(), &eval, source, &|_| {}), Err(DatasetError::EvalSeeds { .. })));
    }
}
