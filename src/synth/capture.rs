//! A simulated capture of one scene: the sensor's view of the world
//! (closed interior doors opened), the ray-casting index, room lighting,
//! the handheld camera path, and the files a capture leaves behind
//! (`layout.json`, `layout.txt`, `scan.ply`, `trajectory.txt`,
//! `intrinsics.yaml`).
//!
//! Ties the sensor parts together; knows the layout only as ground truth
//! to write and as the source of doors.

use super::bvh::{Bvh, Geometry};
use super::camera::{closed_interior_door_leaves, plan_path, CameraPath, Intrinsics, PathConfig, PathError, RoomOutline};
use super::scan::{simulate_scan, ScanConfig};
use super::texture::Lighting;
use super::world::World;
use crate::cloud::{write_ply, PlyEncoding, PlyError, PointCloud};
use crate::layout::{Layout, LayoutError};
use crate::trajectory::Trajectory;
use std::path::Path;

/// Trajectory sample rate of a scan capture (`trajectory.txt` of
/// `synth scan`), Hz. Videos use their own frame rate.
pub const SCAN_TRAJECTORY_FPS: f64 = 10.0;

/// The walkable outlines of a generated scene's rooms (the interior
/// polygons at the wall faces; the centre-line polygon when a room has none).
pub fn rooms_of(scene: &super::Scene) -> Vec<RoomOutline> {
    scene
        .rooms
        .iter()
        .map(|r| RoomOutline { polygon: if r.interior.len() >= 3 { r.interior.clone() } else { r.polygon.clone() }, height: r.height })
        .collect()
}

/// Errors simulating or writing a capture.
#[derive(Debug, thiserror::Error)]
pub enum CaptureError {
    #[error(transparent)]
    Path(#[from] PathError),
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Layout(#[from] LayoutError),
    #[error(transparent)]
    Ply(#[from] PlyError),
    #[error(transparent)]
    Video(#[from] super::video::VideoError),
}

/// Everything needed to sense one scene.
pub struct Capture {
    pub geometry: Geometry,
    pub bvh: Bvh,
    pub lighting: Lighting,
    pub path: CameraPath,
    pub rooms: Vec<RoomOutline>,
}

impl Capture {
    /// Prepares the sensors for `world` (the ground truth `layout` gives the
    /// doors) and plans the camera path.
    pub fn new(world: &World, layout: &Layout, rooms: Vec<RoomOutline>, cfg: &PathConfig, seed: u64) -> Result<Capture, CaptureError> {
        let hidden = closed_interior_door_leaves(world, layout, &rooms);
        let geometry = if hidden.is_empty() {
            Geometry::from_world(world)
        } else {
            let mut w = world.clone();
            for (k, mi) in hidden.into_iter().enumerate() {
                w.meshes.remove(mi - k);
            }
            Geometry::from_world(&w)
        };
        let bvh = Bvh::build(&geometry);
        let lighting = Lighting::from_rooms(&rooms);
        let path = plan_path(&geometry, &bvh, layout, &rooms, cfg, seed)?;
        Ok(Capture { geometry, bvh, lighting, path, rooms })
    }

    /// Simulates the scan seen from `trajectory`.
    pub fn scan(&self, trajectory: &Trajectory, cfg: &ScanConfig, seed: u64) -> PointCloud {
        simulate_scan(&self.geometry, &self.bvh, &self.lighting, trajectory, cfg, seed)
    }
}

/// Writes the files of a scan capture into `dir` (created if missing):
/// `layout.json`, `layout.txt` (SpatialLM), `scan.ply` (binary), 
/// `trajectory.txt` (TUM, `world_from_camera`), `intrinsics.yaml`.
pub fn write_scan_outputs(
    dir: &Path,
    layout: &Layout,
    cloud: &PointCloud,
    trajectory: &Trajectory,
    intrinsics: &Intrinsics,
) -> Result<(), CaptureError> {
    std::fs::create_dir_all(dir).map_err(|source| CaptureError::Io { path: dir.display().to_string(), source })?;
    layout.write(&dir.join("layout.json"))?;
    layout.write(&dir.join("layout.txt"))?;
    write_ply(&dir.join("scan.ply"), cloud, PlyEncoding::BinaryLittleEndian)?;
    let tpath = dir.join("trajectory.txt");
    trajectory.write_tum(&tpath).map_err(|source| CaptureError::Io { path: tpath.display().to_string(), source })?;
    let ipath = dir.join("intrinsics.yaml");
    crate::io::write_atomic(&ipath, intrinsics.to_opencv_yaml().as_bytes())
        .map_err(|source| CaptureError::Io { path: ipath.display().to_string(), source })?;
    Ok(())
}
