//! Shared helpers for the phone-capture integration tests (Stray Scanner,
//! Record3D, ARKit-style): a rendered RGB-D walk through the test scene,
//! ground-truth poses written in the ARKit convention from first principles
//! (not with the code under test), and checks of what `reconstruct` makes
//! of them.
#![allow(dead_code)]

use nalgebra::{Isometry3, Matrix3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};
use opencv::core::Mat;
use roomscribe::geom::umeyama::umeyama;
use roomscribe::recon::testscene::{render, walk_trajectory, Scene};
use roomscribe::recon::{Intrinsics, Reconstruction};

/// Scene seed of all capture tests.
pub const SEED: u64 = 11;
/// Camera height of the walk (metres above the floor).
pub const HEIGHT: f64 = 1.45;

/// One rendered frame: colour (BGR), depth (metres, CV_32F), ground truth
/// `world_from_camera` in our convention, and the same pose in the ARKit
/// convention of a session whose world is yawed and shifted.
pub struct GtFrame {
    pub image: Mat,
    pub depth: Mat,
    pub gt: Isometry3<f64>,
    pub arkit: Isometry3<f64>,
}

/// The ARKit session's world: y up, origin at the phone's start (1.45 m up,
/// somewhere in the room), turned 0.4 rad about the vertical. A vector in
/// our z-up world (x, y, z) is (x, z, -y) in a y-up world; then the yaw.
pub fn arkit_world_from_ours() -> Isometry3<f64> {
    let axes = Matrix3::new(1.0, 0.0, 0.0, 0.0, 0.0, 1.0, 0.0, -1.0, 0.0);
    let yaw = Rotation3::from_axis_angle(&Vector3::y_axis(), 0.4);
    let r = yaw * Rotation3::from_matrix_unchecked(axes);
    let origin_ours = Vector3::new(2.2, 1.7, HEIGHT);
    Isometry3::from_parts(Translation3::from(-(r * origin_ours)), UnitQuaternion::from_rotation_matrix(&r))
}

/// ARKit camera axes: x right, y up, z backward (towards the viewer), so
/// an OpenCV camera's y and z are flipped.
pub fn arkit_camera_from_cv() -> Rotation3<f64> {
    Rotation3::from_matrix_unchecked(Matrix3::from_diagonal(&Vector3::new(1.0, -1.0, -1.0)))
}

/// Renders `n` frames of the walk (sweep in radians of the ellipse).
pub fn frames(k: &Intrinsics, n: usize, sweep: f64) -> Vec<GtFrame> {
    let scene = Scene::standard(SEED);
    let w = arkit_world_from_ours();
    walk_trajectory(&scene, n, HEIGHT, sweep)
        .into_iter()
        .map(|gt| {
            let (image, depth) = render(&scene, k, &gt).unwrap();
            let a = w * gt;
            let arkit = Isometry3::from_parts(a.translation, a.rotation * UnitQuaternion::from_rotation_matrix(&arkit_camera_from_cv()));
            GtFrame { image, depth, gt, arkit }
        })
        .collect()
}

/// Unsigned distance from `p` to the nearest surface of the test scene.
pub fn scene_distance(p: &Point3<f64>) -> f64 {
    let s = Scene::standard(SEED);
    let mut d = f64::MAX;
    for a in 0..3 {
        d = d.min(p[a].abs()).min((s.size[a] - p[a]).abs());
    }
    for (lo, hi) in &s.boxes {
        let outside = Vector3::from_fn(|a, _| (lo[a] - p[a]).max(p[a] - hi[a]).max(0.0));
        let inside = (0..3).map(|a| (p[a] - lo[a]).min(hi[a] - p[a])).fold(f64::MAX, f64::min);
        d = d.min(if outside.norm() > 0.0 { outside.norm() } else { inside });
    }
    d
}

/// What a capture reconstruction is checked for.
pub struct Checked {
    pub ate_m: f64,
    pub poses: usize,
    pub max_tilt_error_deg: f64,
    pub cloud_median_m: f64,
    pub cloud_within_5cm: f64,
}

/// Matches the output trajectory to the ground truth by timestamp
/// (`stamps[i]` is frame i's capture time), aligns it rigidly (no scale:
/// capture poses are metric), and measures: ATE, how much each camera's
/// tilt against gravity changed (it must not: the output is z up), and
/// how far the cloud, moved by the same alignment, lies from the scene.
pub fn check(r: &Reconstruction, frames: &[GtFrame], stamps: &[f64]) -> Checked {
    let mut est = vec![];
    let mut gt = vec![];
    let mut tilt_err: f64 = 0.0;
    for p in &r.trajectory.poses {
        let Some(i) = stamps.iter().position(|t| (t - p.t).abs() < 1e-4) else { panic!("output stamp {} is not a capture stamp", p.t) };
        est.push(Point3::from(p.world_from_camera.translation.vector));
        gt.push(Point3::from(frames[i].gt.translation.vector));
        let fwd_e = p.world_from_camera.rotation * Vector3::z();
        let fwd_g = frames[i].gt.rotation * Vector3::z();
        let down_e = p.world_from_camera.rotation * Vector3::y();
        let down_g = frames[i].gt.rotation * Vector3::y();
        tilt_err = tilt_err.max((fwd_e.z.clamp(-1.0, 1.0).asin() - fwd_g.z.clamp(-1.0, 1.0).asin()).abs());
        tilt_err = tilt_err.max((down_e.z.clamp(-1.0, 1.0).asin() - down_g.z.clamp(-1.0, 1.0).asin()).abs());
    }
    let s = umeyama(&est, &gt, false).unwrap();
    let ate = (est.iter().zip(&gt).map(|(a, b)| (s.transform_point(a) - b).norm_squared()).sum::<f64>() / est.len() as f64).sqrt();
    let mut d: Vec<f64> = r.cloud.points.iter().map(|q| scene_distance(&s.transform_point(&Point3::new(q[0] as f64, q[1] as f64, q[2] as f64)))).collect();
    d.sort_by(|a, b| a.total_cmp(b));
    let median = d.get(d.len() / 2).copied().unwrap_or(f64::MAX);
    let within = d.iter().filter(|x| **x < 0.05).count() as f64 / d.len().max(1) as f64;
    Checked { ate_m: ate, poses: est.len(), max_tilt_error_deg: tilt_err.to_degrees(), cloud_median_m: median, cloud_within_5cm: within }
}

/// Column-major 3x3 (Record3D `K`, simd matrices).
pub fn k_column_major(k: &Intrinsics) -> [f64; 9] {
    [k.fx, 0.0, 0.0, 0.0, k.fy, 0.0, k.cx, k.cy, 1.0]
}

/// Quaternion as (x, y, z, w).
pub fn xyzw(q: &UnitQuaternion<f64>) -> [f64; 4] {
    [q.i, q.j, q.k, q.w]
}

/// Depth downsampled by an integer factor (nearest), like the phones'
/// low-resolution LiDAR depth.
pub fn downsample(depth: &Mat, factor: i32) -> Mat {
    let mut out = Mat::default();
    let s = opencv::prelude::MatTraitConst::size(depth).unwrap();
    opencv::imgproc::resize(depth, &mut out, opencv::core::Size::new(s.width / factor, s.height / factor), 0.0, 0.0, opencv::imgproc::INTER_NEAREST).unwrap();
    out
}
