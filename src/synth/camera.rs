//! The simulated phone: pinhole intrinsics (written as OpenCV FileStorage
//! YAML) and a plausible handheld camera path through the rooms of a scene.
//!
//! The path walks from room to room through interior doors on a free-space
//! grid (inside the room polygons, away from walls and furniture), stops at
//! a few waypoints per room to look around, pitches now and then toward the
//! floor or the ceiling, and carries handheld jitter and walking bob. Views
//! are chosen by casting rays in the world so the camera rarely stares at a
//! wall from up close. Everything is a smooth function of time (cubic
//! interpolation of keys), seeded and deterministic.
//!
//! Time convention: frame i of a capture at `fps` is at t = i / fps seconds;
//! [`CameraPath::trajectory`] samples exactly those instants.
//!
//! Knows the layout (doors) and the world (blockers, view rays), not files.

// Index loops over x/y/z and grid cells read better than iterator chains here.
#![allow(clippy::needless_range_loop)]

use super::bvh::Bvh;
use super::bvh::Geometry;
use super::world::{SurfaceLabel, Texture, World};
use crate::layout::{Layout, OpeningKind};
use crate::trajectory::{StampedPose, Trajectory};
use nalgebra::{Isometry3, Matrix3, Rotation3, Translation3, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::fmt::Write as _;

/// Phone main cameras have a horizontal field of view of about 65-70°:
/// focal length = this factor times the image width (about 65.5°).
pub const FOCAL_PER_WIDTH: f64 = 0.78;

/// Pinhole camera intrinsics (no distortion: the renderer is ideal).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Intrinsics {
    pub width: u32,
    pub height: u32,
    /// Focal lengths, pixels.
    pub fx: f64,
    pub fy: f64,
    /// Principal point, pixels (OpenCV convention: pixel centres at integers).
    pub cx: f64,
    pub cy: f64,
}

impl Intrinsics {
    /// Phone-like intrinsics for an image size: square pixels,
    /// `fx = FOCAL_PER_WIDTH * width`, principal point at the image centre.
    pub fn for_size(width: u32, height: u32) -> Intrinsics {
        let f = FOCAL_PER_WIDTH * width as f64;
        Intrinsics { width, height, fx: f, fy: f, cx: (width as f64 - 1.0) / 2.0, cy: (height as f64 - 1.0) / 2.0 }
    }

    /// OpenCV FileStorage YAML (`camera_matrix`, `distortion_coefficients`
    /// with five zero coefficients, `image_width`, `image_height`), readable
    /// by `cv::FileStorage` and by `roomscribe`'s calibration reader.
    pub fn to_opencv_yaml(&self) -> String {
        let mut s = String::from("%YAML:1.0\n---\n");
        let _ = writeln!(s, "image_width: {}", self.width);
        let _ = writeln!(s, "image_height: {}", self.height);
        let k = [self.fx, 0.0, self.cx, 0.0, self.fy, self.cy, 0.0, 0.0, 1.0];
        let fmt = |v: &[f64]| v.iter().map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(s, "camera_matrix: !!opencv-matrix\n   rows: 3\n   cols: 3\n   dt: d\n   data: [ {} ]", fmt(&k));
        let _ = writeln!(
            s,
            "distortion_coefficients: !!opencv-matrix\n   rows: 1\n   cols: 5\n   dt: d\n   data: [ {} ]",
            fmt(&[0.0; 5])
        );
        s
    }

    /// Unit-less ray direction (z = 1) through pixel (`u`, `v`), camera frame.
    pub fn ray(&self, u: f64, v: f64) -> [f64; 3] {
        [(u - self.cx) / self.fx, (v - self.cy) / self.fy, 1.0]
    }
}

/// The walkable outline of one room.
#[derive(Debug, Clone, PartialEq)]
pub struct RoomOutline {
    /// Counter-clockwise floor polygon, metres.
    pub polygon: Vec<[f64; 2]>,
    /// Ceiling height, metres.
    pub height: f64,
}

/// How the camera moves. `Default` gives a person walking slowly with a
/// phone held at chest to eye height.
#[derive(Debug, Clone, PartialEq)]
pub struct PathConfig {
    /// Camera height range, metres (one base height per path, plus bob).
    pub height_range: (f64, f64),
    /// Peak walking speed, m/s.
    pub walk_speed: f64,
    /// Walking acceleration, m/s².
    pub acceleration: f64,
    /// Keep the camera this far from walls, metres.
    pub wall_clearance: f64,
    /// Keep the camera this far from furniture footprints, metres.
    pub furniture_clearance: f64,
    /// Free-space grid cell, metres.
    pub grid_cell: f64,
    /// Waypoints visited per room (inclusive range).
    pub waypoints_per_room: (usize, usize),
    /// Time spent looking around at each waypoint, seconds.
    pub dwell_seconds: (f64, f64),
    /// Interval between view-direction keys, seconds.
    pub look_interval: f64,
    /// Handheld jitter amplitude scale (0 = a tripod dolly).
    pub jitter: f64,
    /// Probability per look key of a glance at the floor / the ceiling.
    pub floor_glance: f64,
    pub ceiling_glance: f64,
}

impl Default for PathConfig {
    fn default() -> Self {
        PathConfig {
            height_range: (1.25, 1.62),
            walk_speed: 0.5,
            acceleration: 0.5,
            wall_clearance: 0.45,
            furniture_clearance: 0.3,
            grid_cell: 0.1,
            waypoints_per_room: (2, 3),
            dwell_seconds: (2.0, 4.0),
            look_interval: 1.0,
            jitter: 1.0,
            floor_glance: 0.08,
            ceiling_glance: 0.03,
        }
    }
}

/// Errors planning a camera path.
#[derive(Debug, thiserror::Error)]
pub enum PathError {
    #[error("camera path: the scene has no rooms")]
    NoRooms,
    #[error("camera path: no walkable floor (every grid cell is within {clearance} m of a wall or furniture)")]
    NoWalkableSpace { clearance: f64 },
    #[error("camera path: the scene spans {width:.1} x {depth:.1} m, larger than the planner's {max} m limit")]
    SceneTooLarge { width: f64, depth: f64, max: f64 },
}

/// Largest scene side the planner accepts, metres.
const MAX_SCENE_SIDE: f64 = 200.0;
/// Position samples of the path, seconds apart.
const POSITION_DT: f64 = 0.1;
/// Objects and clutter whose vertical extent overlaps this band block
/// walking (carpets lie below it, chandeliers hang above it), metres.
const BLOCKING_BAND: (f32, f32) = (0.08, 1.9);
/// Rays for scoring a view direction: pitch below horizontal, radians.
const VIEW_RAY_PITCH: f64 = -0.15;
/// Distance a view is considered "open" at, metres (scores saturate).
const VIEW_OPEN_DISTANCE: f32 = 4.0;
/// A view ray that hits nothing within this distance looks outside, metres.
const VIEW_ESCAPE_DISTANCE: f32 = 15.0;
/// Steps a person makes per second while walking.
const STEP_FREQUENCY: f64 = 1.8;
/// Clearance kept from open door leaves, metres.
const DOOR_LEAF_CLEARANCE: f64 = 0.12;

/// A smooth, timed camera path.
#[derive(Debug, Clone)]
pub struct CameraPath {
    /// Floor positions every [`POSITION_DT`] seconds.
    positions: Vec<[f64; 2]>,
    /// Walking speed at each position sample, m/s.
    speeds: Vec<[f64; 1]>,
    /// (yaw, pitch, roll) keys every `look_interval` seconds (yaw unwrapped).
    looks: Vec<[f64; 3]>,
    look_interval: f64,
    base_height: f64,
    /// Jitter sinusoids: (amplitude, frequency Hz, phase) per channel
    /// (yaw, pitch, roll, x, y, z).
    jitter: Vec<[(f64, f64, f64); 3]>,
    duration: f64,
}

impl CameraPath {
    /// Length of the path, seconds.
    pub fn duration(&self) -> f64 {
        self.duration
    }

    /// Cuts the path at `seconds` (no-op when it is shorter).
    pub fn truncate(&mut self, seconds: f64) {
        if seconds.is_finite() && seconds >= 0.0 && seconds < self.duration {
            self.duration = seconds;
        }
    }

    /// Camera pose at time `t` (clamped to the path): `world_from_camera`,
    /// camera frame OpenCV (x right, y down, z forward).
    pub fn pose_at(&self, t: f64) -> Isometry3<f64> {
        let t = t.clamp(0.0, self.duration);
        let xy = sample_uniform(&self.positions, POSITION_DT, t);
        let speed = sample_uniform(&self.speeds, POSITION_DT, t)[0];
        let look = sample_uniform(&self.looks, self.look_interval, t);
        let j = |c: usize| self.jitter[c].iter().map(|(a, f, p)| a * (std::f64::consts::TAU * f * t + p).sin()).sum::<f64>();
        let walk = (speed / 0.5).clamp(0.0, 1.2);
        let bob = 0.012 * walk * (std::f64::consts::TAU * STEP_FREQUENCY * t).sin();
        let sway = 0.008 * walk * (std::f64::consts::PI * STEP_FREQUENCY * t).sin();
        let yaw = look[0] + j(0);
        let pitch = look[1] + j(1);
        let roll = look[2] + j(2);
        let (sy, cy) = yaw.sin_cos();
        let x = xy[0] + j(3) + sway * sy;
        let y = xy[1] + j(4) - sway * cy;
        let z = self.base_height + bob + j(5) + 0.03 * (0.21 * t).sin();
        world_from_camera([x, y, z], yaw, pitch, roll)
    }

    /// Samples the path at t = i / fps for i = 0, 1, ... while t <= duration.
    pub fn trajectory(&self, fps: f64) -> Trajectory {
        let mut poses = Vec::new();
        if fps.is_nan() || fps <= 0.0 {
            return Trajectory { poses };
        }
        let n = (self.duration * fps + 1e-9).floor() as usize + 1;
        for i in 0..n {
            let t = i as f64 / fps;
            poses.push(StampedPose { t, world_from_camera: self.pose_at(t) });
        }
        Trajectory { poses }
    }
}

/// The camera pose looking along `yaw` (about +z, from +x), tilted up by
/// `pitch` and rolled by `roll` about the viewing direction.
pub fn world_from_camera(position: [f64; 3], yaw: f64, pitch: f64, roll: f64) -> Isometry3<f64> {
    let (sy, cy) = yaw.sin_cos();
    let (sp, cp) = pitch.sin_cos();
    let forward = Vector3::new(cp * cy, cp * sy, sp);
    let right0 = Vector3::new(sy, -cy, 0.0);
    let down0 = forward.cross(&right0);
    let (sr, cr) = roll.sin_cos();
    let right = right0 * cr + down0 * sr;
    let down = forward.cross(&right);
    let m = Matrix3::from_columns(&[right, down, forward]);
    let rot = UnitQuaternion::from_rotation_matrix(&Rotation3::from_matrix_unchecked(m));
    Isometry3::from_parts(Translation3::new(position[0], position[1], position[2]), rot)
}

/// Catmull-Rom interpolation of uniformly spaced samples (C1, passes
/// through the samples), clamped at the ends.
fn sample_uniform<const N: usize>(s: &[[f64; N]], dt: f64, t: f64) -> [f64; N] {
    if s.is_empty() {
        return [0.0; N];
    }
    let x = (t / dt).max(0.0);
    let i = (x.floor() as usize).min(s.len() - 1);
    let f = (x - i as f64).clamp(0.0, 1.0);
    let g = |k: isize| s[(i as isize + k).clamp(0, s.len() as isize - 1) as usize];
    let (p0, p1, p2, p3) = (g(-1), g(0), g(1), g(2));
    let mut out = [0.0; N];
    for c in 0..N {
        let m1 = 0.5 * (p2[c] - p0[c]);
        let m2 = 0.5 * (p3[c] - p1[c]);
        let f2 = f * f;
        let f3 = f2 * f;
        out[c] = (2.0 * f3 - 3.0 * f2 + 1.0) * p1[c]
            + (f3 - 2.0 * f2 + f) * m1
            + (-2.0 * f3 + 3.0 * f2) * p2[c]
            + (f3 - f2) * m2;
    }
    out
}

/// The free-space grid the walk is planned on.
struct Grid {
    origin: [f64; 2],
    cell: f64,
    nx: usize,
    ny: usize,
    /// Room index per cell (`u16::MAX`: none, `u16::MAX - 1`: a door passage).
    room: Vec<u16>,
    free: Vec<bool>,
    /// Distance to the nearest non-free cell, cells (Chebyshev BFS).
    openness: Vec<u16>,
}

const NO_ROOM: u16 = u16::MAX;
const PASSAGE: u16 = u16::MAX - 1;

impl Grid {
    fn center(&self, i: usize) -> [f64; 2] {
        let (x, y) = (i % self.nx, i / self.nx);
        [self.origin[0] + (x as f64 + 0.5) * self.cell, self.origin[1] + (y as f64 + 0.5) * self.cell]
    }
    fn index(&self, p: [f64; 2]) -> Option<usize> {
        let x = ((p[0] - self.origin[0]) / self.cell).floor();
        let y = ((p[1] - self.origin[1]) / self.cell).floor();
        (x >= 0.0 && y >= 0.0 && (x as usize) < self.nx && (y as usize) < self.ny).then(|| y as usize * self.nx + x as usize)
    }
    fn is_free(&self, p: [f64; 2]) -> bool {
        self.index(p).is_some_and(|i| self.free[i])
    }
    /// True when the straight segment a-b stays on free cells.
    fn line_free(&self, a: [f64; 2], b: [f64; 2]) -> bool {
        let d = ((b[0] - a[0]).powi(2) + (b[1] - a[1]).powi(2)).sqrt();
        let n = (d / (self.cell * 0.4)).ceil().max(1.0) as usize;
        (0..=n).all(|k| {
            let f = k as f64 / n as f64;
            self.is_free([a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f])
        })
    }
}

fn point_in_polygon(p: [f64; 2], poly: &[[f64; 2]]) -> bool {
    let mut inside = false;
    let n = poly.len();
    for i in 0..n {
        let a = poly[i];
        let b = poly[(i + 1) % n];
        if (a[1] > p[1]) != (b[1] > p[1]) {
            let x = a[0] + (p[1] - a[1]) / (b[1] - a[1]) * (b[0] - a[0]);
            if p[0] < x {
                inside = !inside;
            }
        }
    }
    inside
}

fn distance_to_polygon_boundary(p: [f64; 2], poly: &[[f64; 2]]) -> f64 {
    let n = poly.len();
    let mut best = f64::INFINITY;
    for i in 0..n {
        let a = poly[i];
        let b = poly[(i + 1) % n];
        let ab = [b[0] - a[0], b[1] - a[1]];
        let l2 = ab[0] * ab[0] + ab[1] * ab[1];
        let t = if l2 > 0.0 { (((p[0] - a[0]) * ab[0] + (p[1] - a[1]) * ab[1]) / l2).clamp(0.0, 1.0) } else { 0.0 };
        let q = [a[0] + ab[0] * t, a[1] + ab[1] * t];
        best = best.min(((p[0] - q[0]).powi(2) + (p[1] - q[1]).powi(2)).sqrt());
    }
    best
}

fn room_at(p: [f64; 2], rooms: &[RoomOutline]) -> Option<usize> {
    rooms.iter().position(|r| r.polygon.len() >= 3 && point_in_polygon(p, &r.polygon))
}

/// Builds the free-space grid and the room adjacency (pairs of rooms joined
/// by an interior door).
fn build_grid(
    geometry: &Geometry,
    layout: &Layout,
    rooms: &[RoomOutline],
    cfg: &PathConfig,
) -> Result<(Grid, Vec<(usize, usize)>), PathError> {
    let mut lo = [f64::INFINITY; 2];
    let mut hi = [f64::NEG_INFINITY; 2];
    for r in rooms {
        for p in &r.polygon {
            for k in 0..2 {
                lo[k] = lo[k].min(p[k]);
                hi[k] = hi[k].max(p[k]);
            }
        }
    }
    if !(lo[0].is_finite() && lo[1].is_finite() && hi[0].is_finite() && hi[1].is_finite()) {
        return Err(PathError::NoRooms);
    }
    let (w, d) = (hi[0] - lo[0], hi[1] - lo[1]);
    if w > MAX_SCENE_SIDE || d > MAX_SCENE_SIDE {
        return Err(PathError::SceneTooLarge { width: w, depth: d, max: MAX_SCENE_SIDE });
    }
    let cell = cfg.grid_cell.clamp(0.02, 1.0);
    let margin = 2.0 * cell;
    let origin = [lo[0] - margin, lo[1] - margin];
    let nx = ((w + 2.0 * margin) / cell).ceil() as usize + 1;
    let ny = ((d + 2.0 * margin) / cell).ceil() as usize + 1;
    let mut grid = Grid { origin, cell, nx, ny, room: vec![NO_ROOM; nx * ny], free: vec![false; nx * ny], openness: vec![0; nx * ny] };
    for i in 0..nx * ny {
        let c = grid.center(i);
        if let Some(r) = room_at(c, rooms) {
            grid.room[i] = r as u16;
            grid.free[i] = distance_to_polygon_boundary(c, &rooms[r].polygon) >= cfg.wall_clearance;
        }
    }
    // Furniture and clutter footprints (axis-aligned bounds per mesh).
    let bounds = mesh_bounds(geometry);
    for (mi, label) in geometry.labels.iter().enumerate() {
        if !matches!(label, SurfaceLabel::Object(_) | SurfaceLabel::Clutter) {
            continue;
        }
        let (bl, bh) = bounds[mi];
        if !(bl[2] < BLOCKING_BAND.1 && bh[2] > BLOCKING_BAND.0) {
            continue;
        }
        let c = cfg.furniture_clearance;
        mark_rect(&mut grid, [bl[0] as f64 - c, bl[1] as f64 - c], [bh[0] as f64 + c, bh[1] as f64 + c], |g, i| g.free[i] = false);
    }
    // Interior doors: a free passage through the wall, joining two rooms.
    let mut adjacency = Vec::new();
    for door in layout.openings.iter().filter(|o| o.kind == OpeningKind::Door) {
        let Some(wall) = layout.wall(door.wall) else { continue };
        let Some(dir) = wall.direction_xy() else { continue };
        let n = [-dir[1], dir[0]];
        let reach = wall.thickness.max(0.0) / 2.0 + 0.25;
        let c = [door.center[0], door.center[1]];
        let a = room_at([c[0] + n[0] * reach, c[1] + n[1] * reach], rooms);
        let b = room_at([c[0] - n[0] * reach, c[1] - n[1] * reach], rooms);
        let (Some(a), Some(b)) = (a, b) else { continue };
        if a == b {
            continue;
        }
        adjacency.push((a.min(b), a.max(b)));
        let half_w = (door.width / 2.0 - 0.1).max(cell);
        let half_d = wall.thickness.max(0.0) / 2.0 + cfg.wall_clearance + cell;
        // Mark cells of the rotated rectangle.
        let ext = half_w.abs() + half_d.abs();
        let (lo, hi) = ([c[0] - ext, c[1] - ext], [c[0] + ext, c[1] + ext]);
        mark_rect(&mut grid, lo, hi, |g, i| {
            let p = g.center(i);
            let (dx, dy) = (p[0] - c[0], p[1] - c[1]);
            let along = dx * dir[0] + dy * dir[1];
            let across = dx * n[0] + dy * n[1];
            if along.abs() <= half_w && across.abs() <= half_d {
                g.free[i] = true;
                if g.room[i] == NO_ROOM || across.abs() < wall.thickness / 2.0 + cell {
                    g.room[i] = PASSAGE;
                }
            }
        });
    }
    // Open door leaves block walking (a small clearance; they swing next
    // to the passage and may narrow it).
    for (mi, label) in geometry.labels.iter().enumerate() {
        if !matches!(label, SurfaceLabel::Door(_)) {
            continue;
        }
        let (bl, bh) = bounds[mi];
        let c = DOOR_LEAF_CLEARANCE;
        mark_rect(&mut grid, [bl[0] as f64 - c, bl[1] as f64 - c], [bh[0] as f64 + c, bh[1] as f64 + c], |g, i| g.free[i] = false);
    }
    adjacency.sort_unstable();
    adjacency.dedup();
    if !grid.free.iter().any(|&f| f) {
        return Err(PathError::NoWalkableSpace { clearance: cfg.wall_clearance });
    }
    // Openness: multi-source BFS from blocked cells (8-neighbour).
    let mut queue = std::collections::VecDeque::new();
    for i in 0..nx * ny {
        if grid.free[i] {
            grid.openness[i] = u16::MAX;
        } else {
            queue.push_back(i);
        }
    }
    while let Some(i) = queue.pop_front() {
        let o = grid.openness[i];
        let next: Vec<usize> = neighbours(&grid, i).collect();
        for j in next {
            if grid.openness[j] > o + 1 {
                grid.openness[j] = o + 1;
                queue.push_back(j);
            }
        }
    }
    Ok((grid, adjacency))
}

/// Axis-aligned bounds of every mesh of the geometry (one pass).
fn mesh_bounds(geometry: &Geometry) -> Vec<([f32; 3], [f32; 3])> {
    let mut b = vec![([f32::INFINITY; 3], [f32::NEG_INFINITY; 3]); geometry.labels.len()];
    for t in &geometry.triangles {
        let Some((bl, bh)) = b.get_mut(t.mesh as usize) else { continue };
        for p in t.p {
            for k in 0..3 {
                bl[k] = bl[k].min(p[k]);
                bh[k] = bh[k].max(p[k]);
            }
        }
    }
    b
}

/// Indices of the meshes that are closed leaves of interior doors (a door
/// leaf lying in its wall's plane, on a door joining two rooms). The walk
/// passes through every interior door, so the sensors leave these out: the
/// person opened the door.
pub fn closed_interior_door_leaves(world: &World, layout: &Layout, rooms: &[RoomOutline]) -> Vec<usize> {
    let mut out = Vec::new();
    for (mi, mesh) in world.meshes.iter().enumerate() {
        let SurfaceLabel::Door(id) = mesh.label else { continue };
        let Some(door) = layout.doors().find(|o| o.id == id) else { continue };
        let Some(wall) = layout.wall(door.wall) else { continue };
        let Some(dir) = wall.direction_xy() else { continue };
        let n = [-dir[1], dir[0]];
        let reach = wall.thickness.max(0.0) / 2.0 + 0.25;
        let c = [door.center[0], door.center[1]];
        let a = room_at([c[0] + n[0] * reach, c[1] + n[1] * reach], rooms);
        let b = room_at([c[0] - n[0] * reach, c[1] - n[1] * reach], rooms);
        if a.is_none() || b.is_none() || a == b || mesh.vertices.is_empty() {
            continue;
        }
        let k = mesh.vertices.len() as f64;
        let mx = mesh.vertices.iter().map(|v| v[0] as f64).sum::<f64>() / k;
        let my = mesh.vertices.iter().map(|v| v[1] as f64).sum::<f64>() / k;
        let across = (mx - wall.a[0]) * n[0] + (my - wall.a[1]) * n[1];
        if across.abs() < wall.thickness.max(0.0) / 2.0 + 0.05 {
            out.push(mi);
        }
    }
    out
}

fn mark_rect(grid: &mut Grid, lo: [f64; 2], hi: [f64; 2], mut f: impl FnMut(&mut Grid, usize)) {
    let x0 = (((lo[0] - grid.origin[0]) / grid.cell).floor().max(0.0) as usize).min(grid.nx);
    let y0 = (((lo[1] - grid.origin[1]) / grid.cell).floor().max(0.0) as usize).min(grid.ny);
    let x1 = (((hi[0] - grid.origin[0]) / grid.cell).ceil().max(0.0) as usize).min(grid.nx);
    let y1 = (((hi[1] - grid.origin[1]) / grid.cell).ceil().max(0.0) as usize).min(grid.ny);
    for y in y0..y1 {
        for x in x0..x1 {
            f(grid, y * grid.nx + x);
        }
    }
}

fn neighbours(grid: &Grid, i: usize) -> impl Iterator<Item = usize> + '_ {
    let (x, y) = ((i % grid.nx) as isize, (i / grid.nx) as isize);
    [(-1, -1), (0, -1), (1, -1), (-1, 0), (1, 0), (-1, 1), (0, 1), (1, 1)].into_iter().filter_map(move |(dx, dy)| {
        let (a, b) = (x + dx, y + dy);
        (a >= 0 && b >= 0 && (a as usize) < grid.nx && (b as usize) < grid.ny).then(|| b as usize * grid.nx + a as usize)
    })
}

/// A* over free cells (octile steps, a penalty near obstacles keeps the
/// walk centred). Returns cell indices from `a` to `b`.
fn astar(grid: &Grid, a: usize, b: usize) -> Option<Vec<usize>> {
    let n = grid.nx * grid.ny;
    let mut cost = vec![u32::MAX; n];
    let mut parent = vec![u32::MAX; n];
    let (bx, by) = ((b % grid.nx) as i64, (b / grid.nx) as i64);
    let h = |i: usize| {
        let dx = ((i % grid.nx) as i64 - bx).unsigned_abs();
        let dy = ((i / grid.nx) as i64 - by).unsigned_abs();
        (100 * dx.max(dy) + 41 * dx.min(dy)) as u32
    };
    let mut heap = BinaryHeap::new();
    cost[a] = 0;
    heap.push(Reverse((h(a), a)));
    while let Some(Reverse((_, i))) = heap.pop() {
        if i == b {
            let mut path = vec![b];
            let mut k = b;
            while k != a {
                k = parent[k] as usize;
                path.push(k);
            }
            path.reverse();
            return Some(path);
        }
        let ci = cost[i];
        for j in neighbours(grid, i) {
            if !grid.free[j] {
                continue;
            }
            let diag = (j % grid.nx != i % grid.nx) && (j / grid.nx != i / grid.nx);
            let step = if diag { 141 } else { 100 };
            let penalty = 60u32.saturating_sub(12 * grid.openness[j].min(5) as u32);
            let c = ci + step + penalty;
            if c < cost[j] {
                cost[j] = c;
                parent[j] = i as u32;
                heap.push(Reverse((c + h(j), j)));
            }
        }
    }
    None
}

/// Plans a handheld walk through `rooms`. `geometry`/`bvh` are the world
/// (furniture footprints, view rays); `layout` supplies the doors.
pub fn plan_path(
    geometry: &Geometry,
    bvh: &Bvh,
    layout: &Layout,
    rooms: &[RoomOutline],
    cfg: &PathConfig,
    seed: u64,
) -> Result<CameraPath, PathError> {
    if rooms.iter().all(|r| r.polygon.len() < 3) {
        return Err(PathError::NoRooms);
    }
    let mut rng = ChaCha8Rng::seed_from_u64(seed ^ 0x00ca_3e7a_0000_0001);
    let (grid, adjacency) = build_grid(geometry, layout, rooms, cfg)?;

    // The connected free region holding the most room cells.
    let n = grid.nx * grid.ny;
    let mut comp = vec![u32::MAX; n];
    let mut best = (0usize, u32::MAX);
    let mut ncomp = 0u32;
    for s in 0..n {
        if !grid.free[s] || comp[s] != u32::MAX {
            continue;
        }
        let mut stack = vec![s];
        comp[s] = ncomp;
        let mut size = 0;
        while let Some(i) = stack.pop() {
            size += 1;
            for j in neighbours(&grid, i) {
                if grid.free[j] && comp[j] == u32::MAX {
                    comp[j] = ncomp;
                    stack.push(j);
                }
            }
        }
        if size > best.0 {
            best = (size, ncomp);
        }
        ncomp += 1;
    }
    let main = best.1;

    // Waypoints per room: open cells, spread apart.
    let mut room_cells: Vec<Vec<usize>> = vec![Vec::new(); rooms.len()];
    for i in 0..n {
        let r = grid.room[i] as usize;
        if comp[i] == main && r < rooms.len() {
            room_cells[r].push(i);
        }
    }
    let mut waypoints: Vec<Vec<usize>> = vec![Vec::new(); rooms.len()];
    for (r, cells) in room_cells.iter().enumerate() {
        if cells.is_empty() {
            continue;
        }
        let max_open = cells.iter().map(|&i| grid.openness[i]).max().unwrap_or(0);
        let good: Vec<usize> = cells.iter().copied().filter(|&i| grid.openness[i] as f64 >= 0.6 * max_open as f64).collect();
        let (kmin, kmax) = cfg.waypoints_per_room;
        let k = rng.random_range(kmin.max(1)..=kmax.max(kmin.max(1)));
        let mut chosen = vec![good[rng.random_range(0..good.len())]];
        while chosen.len() < k.min(good.len()) {
            // Farthest of a few random candidates from those chosen.
            let mut pick = None;
            let mut pick_d = -1.0;
            for _ in 0..12 {
                let c = good[rng.random_range(0..good.len())];
                let pc = grid.center(c);
                let d = chosen
                    .iter()
                    .map(|&q| {
                        let pq = grid.center(q);
                        (pc[0] - pq[0]).hypot(pc[1] - pq[1])
                    })
                    .fold(f64::INFINITY, f64::min);
                if d > pick_d {
                    pick_d = d;
                    pick = Some(c);
                }
            }
            match pick {
                Some(c) if pick_d > 0.8 => chosen.push(c),
                _ => break,
            }
        }
        waypoints[r] = chosen;
    }

    // Room order: depth-first over door adjacency from a random start.
    let reachable: Vec<usize> = (0..rooms.len()).filter(|&r| !waypoints[r].is_empty()).collect();
    let Some(&start) = reachable.get(rng.random_range(0..reachable.len().max(1))) else {
        return Err(PathError::NoWalkableSpace { clearance: cfg.wall_clearance });
    };
    let mut order = Vec::new();
    let mut seen = vec![false; rooms.len()];
    let mut stack = vec![start];
    while let Some(r) = stack.pop() {
        if seen[r] {
            continue;
        }
        seen[r] = true;
        order.push(r);
        let mut next: Vec<usize> =
            adjacency.iter().filter_map(|&(a, b)| if a == r { Some(b) } else if b == r { Some(a) } else { None }).collect();
        // Shuffle deterministically.
        for i in (1..next.len()).rev() {
            next.swap(i, rng.random_range(0..=i));
        }
        stack.extend(next.into_iter().filter(|&x| !seen[x] && !waypoints[x].is_empty()));
    }
    // Rooms reachable on the grid but not via a recorded door still get visited.
    for &r in &reachable {
        if !seen[r] {
            order.push(r);
        }
    }
    let stops: Vec<usize> = order.iter().flat_map(|&r| waypoints[r].iter().copied()).collect();

    // Legs between stops: A*, then line-of-sight shortcuts, rounded corners.
    let mut legs: Vec<Vec<[f64; 2]>> = Vec::new();
    for w in stops.windows(2) {
        let Some(cells) = astar(&grid, w[0], w[1]) else { continue };
        let pts: Vec<[f64; 2]> = cells.iter().map(|&i| grid.center(i)).collect();
        let mut simple = vec![pts[0]];
        let mut i = 0;
        while i + 1 < pts.len() {
            let mut j = pts.len() - 1;
            while j > i + 1 && !grid.line_free(pts[i], pts[j]) {
                j -= 1;
            }
            simple.push(pts[j]);
            i = j;
        }
        legs.push(round_corners(&simple, 0.5));
    }

    // Timeline: dwell at each stop, walk each leg with a trapezoid speed profile.
    let mut positions: Vec<[f64; 2]> = Vec::new();
    let mut speeds: Vec<[f64; 1]> = Vec::new();
    let mut dwell_flags: Vec<bool> = Vec::new();
    let mut t_acc = 0.0; // time not yet emitted within the current segment
    let first = grid.center(stops[0]);
    let push_dwell = |p: [f64; 2], secs: f64, pos: &mut Vec<[f64; 2]>, sp: &mut Vec<[f64; 1]>, fl: &mut Vec<bool>, t0: &mut f64| {
        let mut t = *t0;
        while t < secs {
            pos.push(p);
            sp.push([0.0]);
            fl.push(true);
            t += POSITION_DT;
        }
        *t0 = t - secs;
    };
    let dwell = |rng: &mut ChaCha8Rng| rng.random_range(cfg.dwell_seconds.0..=cfg.dwell_seconds.1.max(cfg.dwell_seconds.0));
    let d0 = dwell(&mut rng);
    push_dwell(first, d0, &mut positions, &mut speeds, &mut dwell_flags, &mut t_acc);
    for leg in &legs {
        let (cum, total) = cumulative(leg);
        let v = cfg.walk_speed.max(0.05);
        let a = cfg.acceleration.max(0.05);
        let (t_ramp, v_peak) = if total < v * v / a { ((total / a).sqrt(), (total * a).sqrt()) } else { (v / a, v) };
        let t_cruise = if total < v * v / a { 0.0 } else { (total - v * v / a) / v };
        let t_leg = 2.0 * t_ramp + t_cruise;
        let mut t = t_acc;
        while t < t_leg {
            let (s, sp) = if t < t_ramp {
                (0.5 * a * t * t, a * t)
            } else if t < t_ramp + t_cruise {
                (0.5 * a * t_ramp * t_ramp + v_peak * (t - t_ramp), v_peak)
            } else {
                let r = (t_leg - t).max(0.0);
                (total - 0.5 * a * r * r, a * r)
            };
            positions.push(point_at(leg, &cum, s));
            speeds.push([sp]);
            dwell_flags.push(false);
            t += POSITION_DT;
        }
        t_acc = t - t_leg;
        let end = *leg.last().unwrap_or(&first);
        let d = dwell(&mut rng);
        push_dwell(end, d, &mut positions, &mut speeds, &mut dwell_flags, &mut t_acc);
    }
    let duration = (positions.len().saturating_sub(1)) as f64 * POSITION_DT;

    // Look keys.
    let interval = cfg.look_interval.max(0.2);
    let nkeys = (duration / interval).ceil() as usize + 2;
    let base_height = rng.random_range(cfg.height_range.0..=cfg.height_range.1.max(cfg.height_range.0));
    let mut looks: Vec<[f64; 3]> = Vec::with_capacity(nkeys);
    let mut yaw_prev: Option<f64> = None;
    let mut sweep = if rng.random_bool(0.5) { 1.0 } else { -1.0 };
    let mut pitch_prev: f64 = -0.2;
    for k in 0..nkeys {
        let t = (k as f64 * interval).min(duration);
        let idx = ((t / POSITION_DT).round() as usize).min(positions.len().saturating_sub(1));
        let p = positions[idx];
        let ahead = positions[(idx + 5).min(positions.len() - 1)];
        let moving = !dwell_flags[idx];
        let heading = if (ahead[0] - p[0]).hypot(ahead[1] - p[1]) > 0.05 { Some((ahead[1] - p[1]).atan2(ahead[0] - p[0])) } else { None };
        if moving && rng.random_bool(0.1) {
            sweep = -sweep;
        }
        let eye = [p[0] as f32, p[1] as f32, base_height as f32];
        let phase = rng.random_range(0.0..std::f64::consts::TAU);
        let mut best_yaw = yaw_prev.unwrap_or(0.0);
        let mut best_score = f64::NEG_INFINITY;
        for c in 0..16 {
            let cand = phase + c as f64 * std::f64::consts::TAU / 16.0;
            // Unwrap the candidate next to the previous yaw.
            let yaw = match yaw_prev {
                Some(prev) => prev + wrap_angle(cand - prev),
                None => cand,
            };
            let delta = yaw_prev.map_or(0.0, |prev| yaw - prev);
            if delta.abs() > 1.0 {
                continue;
            }
            // Standing still: keep panning the same way (looking around).
            let standing = !moving || heading.is_none();
            if standing && yaw_prev.is_some() && !(0.25..=0.95).contains(&(delta * sweep)) {
                continue;
            }
            let mut score = view_score(geometry, bvh, eye, yaw) + rng.random_range(0.0..0.6);
            if let Some(h) = heading.filter(|_| moving) {
                score += 1.2 * wrap_angle(yaw - h).cos();
            }
            score -= 0.4 * delta.abs();
            if score > best_score {
                best_score = score;
                best_yaw = yaw;
            }
        }
        yaw_prev = Some(best_yaw);
        let mut pitch: f64 = -0.36 + rng.random_range(-0.16..0.14);
        let g: f64 = rng.random_range(0.0..1.0);
        if g < cfg.floor_glance {
            pitch = -0.85;
        } else if g < cfg.floor_glance + cfg.ceiling_glance {
            pitch = 0.35;
        }
        pitch = pitch.clamp(pitch_prev - 0.65, pitch_prev + 0.65);
        pitch_prev = pitch;
        let roll = rng.random_range(-0.03..0.03);
        looks.push([best_yaw, pitch, roll]);
    }

    // Handheld jitter: a few sinusoids per channel.
    let amps = [0.006, 0.006, 0.004, 0.003, 0.003, 0.003];
    let jitter = amps
        .iter()
        .map(|&a| {
            let mut c = [(0.0, 0.0, 0.0); 3];
            for s in c.iter_mut() {
                *s = (a * cfg.jitter * rng.random_range(0.5..1.0), rng.random_range(0.4..2.5), rng.random_range(0.0..std::f64::consts::TAU));
            }
            c
        })
        .collect();
    Ok(CameraPath { positions, speeds, looks, look_interval: interval, base_height, jitter, duration })
}

/// How good a view along `yaw` is: how far six rays around it reach
/// (saturating at [`VIEW_OPEN_DISTANCE`]; escaping rays, which look out of
/// the apartment, count as nothing) plus a bonus for textured surfaces and
/// furniture, which is what a person scanning a room looks at.
fn view_score(geometry: &Geometry, bvh: &Bvh, eye: [f32; 3], yaw: f64) -> f64 {
    let mut dist = 0.0f32;
    let mut interest = 0.0f32;
    let mut n = 0.0f32;
    for off in [-0.45f64, -0.15, 0.15, 0.45] {
        for pitch in [VIEW_RAY_PITCH, VIEW_RAY_PITCH - 0.3] {
            let (s, c) = (yaw + off).sin_cos();
            let (sp, cp) = pitch.sin_cos();
            let dir = [(cp * c) as f32, (cp * s) as f32, sp as f32];
            n += 1.0;
            let Some(hit) = bvh.intersect(eye, dir, 0.0, VIEW_ESCAPE_DISTANCE) else { continue };
            dist += hit.t.min(VIEW_OPEN_DISTANCE);
            if geometry.material(hit.triangle).texture != Texture::Plain {
                interest += 1.0;
            }
            if matches!(geometry.label(hit.triangle), SurfaceLabel::Object(_) | SurfaceLabel::Clutter) {
                interest += 0.5;
            }
        }
    }
    (dist / n + 3.5 * interest / n) as f64
}

fn wrap_angle(a: f64) -> f64 {
    let t = std::f64::consts::TAU;
    let r = a.rem_euclid(t);
    if r > std::f64::consts::PI {
        r - t
    } else {
        r
    }
}

/// Replaces each interior corner of a polyline by a quadratic Bézier that
/// starts and ends up to `radius` from the corner (stays inside the corner).
fn round_corners(p: &[[f64; 2]], radius: f64) -> Vec<[f64; 2]> {
    if p.len() < 3 {
        return p.to_vec();
    }
    let mut out = vec![p[0]];
    for i in 1..p.len() - 1 {
        let (a, b, c) = (p[i - 1], p[i], p[i + 1]);
        let l1 = (b[0] - a[0]).hypot(b[1] - a[1]);
        let l2 = (c[0] - b[0]).hypot(c[1] - b[1]);
        let r = radius.min(0.45 * l1).min(0.45 * l2);
        if r <= 1e-6 {
            out.push(b);
            continue;
        }
        let s = [b[0] + (a[0] - b[0]) * r / l1, b[1] + (a[1] - b[1]) * r / l1];
        let e = [b[0] + (c[0] - b[0]) * r / l2, b[1] + (c[1] - b[1]) * r / l2];
        for k in 0..=8 {
            let t = k as f64 / 8.0;
            let w0 = (1.0 - t) * (1.0 - t);
            let w1 = 2.0 * t * (1.0 - t);
            let w2 = t * t;
            out.push([w0 * s[0] + w1 * b[0] + w2 * e[0], w0 * s[1] + w1 * b[1] + w2 * e[1]]);
        }
    }
    out.push(p[p.len() - 1]);
    out
}

fn cumulative(p: &[[f64; 2]]) -> (Vec<f64>, f64) {
    let mut cum = Vec::with_capacity(p.len());
    let mut acc = 0.0;
    for i in 0..p.len() {
        if i > 0 {
            acc += (p[i][0] - p[i - 1][0]).hypot(p[i][1] - p[i - 1][1]);
        }
        cum.push(acc);
    }
    (cum, acc)
}

fn point_at(p: &[[f64; 2]], cum: &[f64], s: f64) -> [f64; 2] {
    if p.is_empty() {
        return [0.0, 0.0];
    }
    let i = cum.partition_point(|&c| c < s);
    if i == 0 {
        return p[0];
    }
    if i >= p.len() {
        return p[p.len() - 1];
    }
    let seg = cum[i] - cum[i - 1];
    let f = if seg > 0.0 { (s - cum[i - 1]) / seg } else { 0.0 };
    [p[i - 1][0] + (p[i][0] - p[i - 1][0]) * f, p[i - 1][1] + (p[i][1] - p[i - 1][1]) * f]
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::layout::{Opening, Wall};
    use crate::synth::world::{Material, Texture};

    /// Two 4 x 3.5 m rooms side by side joined by a door, with furniture:
    /// the hand-made world the sensor tests run on.
    pub(crate) fn two_room_world() -> (World, Layout, Vec<RoomOutline>) {
        let mut w = World::default();
        let mat = |texture, color, seed| Material { texture, color, seed };
        let h = 2.6;
        // Floor, ceiling, walls as thin boxes.
        w.add_box([4.0, 1.75, -0.05], [8.0, 3.5, 0.1], 0.0, mat(Texture::Wood, [150, 110, 70], 1), SurfaceLabel::Floor);
        w.add_box([4.0, 1.75, h + 0.05], [8.0, 3.5, 0.1], 0.0, mat(Texture::Plain, [235, 235, 230], 2), SurfaceLabel::Ceiling);
        let wall = mat(Texture::Plain, [220, 215, 200], 3);
        w.add_box([4.0, -0.05, h / 2.0], [8.2, 0.1, h], 0.0, wall, SurfaceLabel::Wall(0));
        w.add_box([4.0, 3.55, h / 2.0], [8.2, 0.1, h], 0.0, mat(Texture::Wallpaper, [200, 190, 170], 4), SurfaceLabel::Wall(1));
        w.add_box([-0.05, 1.75, h / 2.0], [0.1, 3.5, h], 0.0, wall, SurfaceLabel::Wall(2));
        w.add_box([8.05, 1.75, h / 2.0], [0.1, 3.5, h], 0.0, wall, SurfaceLabel::Wall(3));
        // Middle wall x = 4 with a door gap y in [1.3, 2.2].
        w.add_box([4.0, 0.65, h / 2.0], [0.1, 1.3, h], 0.0, wall, SurfaceLabel::Wall(4));
        w.add_box([4.0, 2.85, h / 2.0], [0.1, 1.3, h], 0.0, wall, SurfaceLabel::Wall(4));
        w.add_box([4.0, 1.75, 2.15], [0.1, 0.9, h - 2.1 + 0.2], 0.0, wall, SurfaceLabel::Wall(4));
        // Furniture.
        w.add_box([1.0, 2.8, 0.25], [1.6, 1.2, 0.5], 0.0, mat(Texture::Fabric, [90, 100, 140], 5), SurfaceLabel::Object(0));
        w.add_box([2.5, 3.3, 1.0], [1.0, 0.35, 2.0], 0.0, mat(Texture::BookSpines, [120, 80, 50], 6), SurfaceLabel::Object(1));
        w.add_box([6.0, 1.0, 0.375], [1.2, 0.8, 0.05], 0.1, mat(Texture::Wood, [120, 80, 50], 7), SurfaceLabel::Object(2));
        w.add_box([7.0, 3.0, 0.3], [0.4, 0.4, 0.6], 0.0, mat(Texture::Metal, [160, 160, 165], 8), SurfaceLabel::Clutter);
        w.add_box([2.0, 3.49, 1.5], [0.8, 0.02, 0.6], 0.0, mat(Texture::Poster, [200, 200, 200], 9), SurfaceLabel::Object(3));
        w.add_box([6.0, 2.0, 0.005], [2.0, 1.4, 0.01], 0.0, mat(Texture::Carpet, [150, 60, 50], 10), SurfaceLabel::Object(4));
        let mut layout = Layout::new();
        let mkwall = |id, a: [f64; 2], b: [f64; 2]| Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: h, thickness: 0.1 };
        layout.walls = vec![
            mkwall(0, [0.0, 0.0], [8.0, 0.0]),
            mkwall(1, [8.0, 3.5], [0.0, 3.5]),
            mkwall(2, [0.0, 3.5], [0.0, 0.0]),
            mkwall(3, [8.0, 0.0], [8.0, 3.5]),
            mkwall(4, [4.0, 0.0], [4.0, 3.5]),
        ];
        layout.openings =
            vec![Opening { id: 0, kind: OpeningKind::Door, wall: 4, center: [4.0, 1.75, 1.05], width: 0.9, height: 2.1 }];
        let rooms = vec![
            RoomOutline { polygon: vec![[0.0, 0.0], [4.0, 0.0], [4.0, 3.5], [0.0, 3.5]], height: h },
            RoomOutline { polygon: vec![[4.0, 0.0], [8.0, 0.0], [8.0, 3.5], [4.0, 3.5]], height: h },
        ];
        (w, layout, rooms)
    }

    #[test]
    fn path_visits_both_rooms_inside_and_smoothly() {
        let (w, layout, rooms) = two_room_world();
        let g = Geometry::from_world(&w);
        let bvh = Bvh::build(&g);
        let path = plan_path(&g, &bvh, &layout, &rooms, &PathConfig::default(), 7).unwrap();
        assert!(path.duration() > 10.0, "{}", path.duration());
        let traj = path.trajectory(30.0);
        assert_eq!(traj.poses.len(), (path.duration() * 30.0 + 1e-9).floor() as usize + 1);
        let mut visited = [false; 2];
        let mut prev: Option<Isometry3<f64>> = None;
        for p in &traj.poses {
            let c = p.world_from_camera.translation.vector;
            assert!(c.z > 1.15 && c.z < 1.75, "height {}", c.z);
            let r = room_at([c.x, c.y], &rooms).expect("camera left the rooms");
            visited[r] = true;
            // Not inside furniture.
            assert!(!(c.x > 0.2 && c.x < 1.8 && c.y > 2.2), "inside the bed at {c:?}");
            if let Some(q) = prev {
                let d = q.inverse() * p.world_from_camera;
                assert!(d.translation.vector.norm() < 0.05, "jump {}", d.translation.vector.norm());
                assert!(d.rotation.angle() < 0.08, "rotation jump {}", d.rotation.angle());
            }
            prev = Some(p.world_from_camera);
        }
        assert!(visited[0] && visited[1]);
        let again = plan_path(&g, &bvh, &layout, &rooms, &PathConfig::default(), 7).unwrap();
        assert_eq!(again.trajectory(30.0).to_tum(), traj.to_tum());
    }

    #[test]
    fn camera_frame_is_opencv() {
        let pose = world_from_camera([0.0, 0.0, 1.5], 0.0, 0.0, 0.0);
        let fwd = pose.rotation * Vector3::z();
        let down = pose.rotation * Vector3::y();
        assert!((fwd - Vector3::x()).norm() < 1e-12);
        assert!((down + Vector3::z()).norm() < 1e-12);
    }

    #[test]
    fn intrinsics_yaml_layout() {
        let y = Intrinsics::for_size(640, 480).to_opencv_yaml();
        assert!(y.starts_with("%YAML:1.0\n---\n"));
        assert!(y.contains("camera_matrix: !!opencv-matrix"));
        assert!(y.contains("data: [ 499.200000, 0.000000, 319.500000,"));
        assert!(y.contains("image_height: 480"));
    }

    #[test]
    fn no_rooms_is_an_error() {
        let g = Geometry::default();
        let bvh = Bvh::build(&g);
        assert!(matches!(plan_path(&g, &bvh, &Layout::new(), &[], &PathConfig::default(), 1), Err(PathError::NoRooms)));
    }
}
