//! A tiny ray-cast renderer for tests and benchmarks: a box-shaped room
//! (floor at z = 0) with a few boxes inside, every face covered by a
//! deterministic multi-scale block texture (rich in corners, so ORB finds
//! features), rendered with exact depth from any `world_from_camera`. The
//! `synth` module renders the real synthetic videos; this one needs no
//! other module and is fast enough for unit tests.

use super::calib::Intrinsics;
use super::{cv, ReconError};
use nalgebra::{Isometry3, Point3, Vector3};
use opencv::core::{Mat, Scalar, Vec3b, CV_32F, CV_8UC3};
use opencv::prelude::*;

/// An axis-aligned room with boxes.
#[derive(Debug, Clone)]
pub struct Scene {
    /// Room extents (x, y, z) in metres; the room spans `[0, size]`.
    pub size: Vector3<f64>,
    /// Boxes as (min, max) corners.
    pub boxes: Vec<(Vector3<f64>, Vector3<f64>)>,
    /// Texture seed.
    pub seed: u64,
    /// Make the walls plain (texture only on floor and boxes).
    pub plain_walls: bool,
}

impl Scene {
    /// A 5 x 4 x 2.6 m room with a table-sized box and a cabinet.
    pub fn standard(seed: u64) -> Scene {
        Scene {
            size: Vector3::new(5.0, 4.0, 2.6),
            boxes: vec![(Vector3::new(2.0, 1.5, 0.0), Vector3::new(3.2, 2.3, 0.75)), (Vector3::new(0.0, 3.4, 0.0), Vector3::new(1.2, 4.0, 1.9))],
            seed,
            plain_walls: false,
        }
    }

    /// Distance (m) from `p` to the nearest surface: a face of the room box
    /// (for points inside it) or of a box inside (0 within a box).
    pub fn surface_distance(&self, p: &Point3<f64>) -> f64 {
        let mut d = f64::MAX;
        for ax in 0..3 {
            d = d.min(p[ax].abs()).min((self.size[ax] - p[ax]).abs());
        }
        for (lo, hi) in &self.boxes {
            let q = Vector3::new((lo.x - p.x).max(p.x - hi.x).max(0.0), (lo.y - p.y).max(p.y - hi.y).max(0.0), (lo.z - p.z).max(p.z - hi.z).max(0.0));
            d = d.min(q.norm());
        }
        d
    }
}

fn hash(mut x: u64) -> u64 {
    x ^= x >> 33;
    x = x.wrapping_mul(0xff51afd7ed558ccd);
    x ^= x >> 33;
    x = x.wrapping_mul(0xc4ceb9fe1a85ec53);
    x ^ (x >> 33)
}

/// Texture colour of face `face` at surface coordinates `(u, v)` metres.
fn texture(seed: u64, face: u64, u: f64, v: f64, plain: bool) -> [f64; 3] {
    let base = hash(seed ^ face.wrapping_mul(0x9E3779B97F4A7C15));
    let tint = [(base & 0xff) as f64 / 255.0, ((base >> 8) & 0xff) as f64 / 255.0, ((base >> 16) & 0xff) as f64 / 255.0];
    if plain {
        return [150.0 + 60.0 * tint[0], 150.0 + 60.0 * tint[1], 150.0 + 60.0 * tint[2]];
    }
    let mut g = 0.0;
    for (level, cell) in [0.37, 0.13, 0.047].iter().enumerate() {
        let (iu, iv) = ((u / cell).floor() as i64, (v / cell).floor() as i64);
        let h = hash(base ^ (level as u64) << 60 ^ (iu as u64).wrapping_mul(0x100000001b3) ^ (iv as u64).wrapping_mul(0xcbf29ce484222325));
        g += ((h & 0xffff) as f64 / 65535.0 - 0.5) * [110.0, 70.0, 45.0][level];
    }
    [(128.0 + g) * (0.7 + 0.3 * tint[0]), (128.0 + g) * (0.7 + 0.3 * tint[1]), (128.0 + g) * (0.7 + 0.3 * tint[2])]
}

/// Ray hit: distance along the ray, face id and surface coordinates.
fn cast(scene: &Scene, o: &Point3<f64>, d: &Vector3<f64>) -> Option<(f64, u64, f64, f64)> {
    // Room interior: exit face.
    let mut best: Option<(f64, u64, usize)> = None;
    for a in 0..3 {
        if d[a].abs() < 1e-12 {
            continue;
        }
        let (bound, side) = if d[a] > 0.0 { (scene.size[a], 1) } else { (0.0, 0) };
        let t = (bound - o[a]) / d[a];
        if t > 0.0 && best.map(|b| t < b.0).unwrap_or(true) {
            best = Some((t, (a * 2 + side) as u64, a));
        }
    }
    // Boxes: entry face.
    for (bi, (lo, hi)) in scene.boxes.iter().enumerate() {
        let (mut t0, mut t1, mut axis) = (f64::MIN, f64::MAX, 0usize);
        let mut side = 0;
        let mut miss = false;
        for a in 0..3 {
            if d[a].abs() < 1e-12 {
                if o[a] < lo[a] || o[a] > hi[a] {
                    miss = true;
                }
                continue;
            }
            let (ta, tb) = ((lo[a] - o[a]) / d[a], (hi[a] - o[a]) / d[a]);
            let (near, far, s) = if ta < tb { (ta, tb, 0) } else { (tb, ta, 1) };
            if near > t0 {
                t0 = near;
                axis = a;
                side = s;
            }
            t1 = t1.min(far);
        }
        if !miss && t0 <= t1 && t0 > 0.0 && best.map(|b| t0 < b.0).unwrap_or(true) {
            best = Some((t0, (10 + bi * 6 + axis * 2 + side) as u64, axis));
        }
    }
    let (t, face, axis) = best?;
    let p = o + d * t;
    let (u, v) = match axis {
        0 => (p.y, p.z),
        1 => (p.x, p.z),
        _ => (p.x, p.y),
    };
    Some((t, face, u, v))
}

/// Renders colour (BGR) and depth (metres, CV_32F) with 2x2 supersampling
/// for colour.
pub fn render(scene: &Scene, k: &Intrinsics, world_from_camera: &Isometry3<f64>) -> Result<(Mat, Mat), ReconError> {
    let (w, h) = (k.width as i32, k.height as i32);
    let mut img = Mat::new_rows_cols_with_default(h, w, CV_8UC3, Scalar::all(0.0)).map_err(cv("render alloc"))?;
    let mut depth = Mat::new_rows_cols_with_default(h, w, CV_32F, Scalar::all(0.0)).map_err(cv("render alloc"))?;
    let o = Point3::from(world_from_camera.translation.vector);
    let r = world_from_camera.rotation;
    let wall_face = |f: u64| f < 4;
    for y in 0..h {
        for x in 0..w {
            let mut acc = [0.0; 3];
            for (sx, sy) in [(-0.25, -0.25), (0.25, -0.25), (-0.25, 0.25), (0.25, 0.25)] {
                let dc = Vector3::new((x as f64 + sx - k.cx) / k.fx, (y as f64 + sy - k.cy) / k.fy, 1.0);
                let d = r * dc;
                if let Some((_, face, u, v)) = cast(scene, &o, &d) {
                    let c = texture(scene.seed, face, u, v, scene.plain_walls && wall_face(face));
                    for i in 0..3 {
                        acc[i] += c[i] / 4.0;
                    }
                }
            }
            let dc = Vector3::new((x as f64 - k.cx) / k.fx, (y as f64 - k.cy) / k.fy, 1.0);
            if let Some((t, ..)) = cast(scene, &o, &(r * dc)) {
                *depth.at_2d_mut::<f32>(y, x).map_err(cv("depth"))? = t as f32; // dc.z = 1: t is the camera depth
            }
            let px = img.at_2d_mut::<Vec3b>(y, x).map_err(cv("image"))?;
            *px = Vec3b::from([acc[2].clamp(0.0, 255.0) as u8, acc[1].clamp(0.0, 255.0) as u8, acc[0].clamp(0.0, 255.0) as u8]);
        }
    }
    Ok((img, depth))
}

/// A handheld-like path: the camera at about `height` m walks an ellipse
/// inside the room looking outwards-and-sideways, with gentle bobbing.
/// Returns `world_from_camera` poses.
pub fn walk_trajectory(scene: &Scene, n: usize, height: f64, sweep_rad: f64) -> Vec<Isometry3<f64>> {
    let c = Vector3::new(scene.size.x * 0.5, scene.size.y * 0.45, height);
    (0..n)
        .map(|i| {
            let s = i as f64 / n.max(2) as f64;
            let a = sweep_rad * s;
            let pos = c + Vector3::new(0.8 * a.cos(), 0.6 * a.sin(), 0.05 * (7.0 * s).sin());
            // Look direction: outward from the centre, turned 40° and pitched down 15°.
            let yaw = a + 0.7;
            let fwd = Vector3::new(yaw.cos(), yaw.sin(), -0.27).normalize();
            let right = fwd.cross(&Vector3::z()).normalize();
            let down = fwd.cross(&right);
            let rot = nalgebra::Rotation3::from_basis_unchecked(&[right, down, fwd]);
            Isometry3::from_parts(nalgebra::Translation3::from(pos), nalgebra::UnitQuaternion::from_rotation_matrix(&rot))
        })
        .collect()
}

/// Pixels per board square in the drawn checkerboard the views are warped from.
const BOARD_SQUARE_PX: i32 = 40;

/// Draws a checkerboard of `(cols + 1) x (rows + 1)` squares (`cols x rows`
/// inner corners) of `sq` pixels with a white margin of one square.
fn board_image(cols: u32, rows: u32, sq: i32) -> Result<Mat, ReconError> {
    let (w, h) = ((cols as i32 + 3) * sq, (rows as i32 + 3) * sq);
    let mut m = Mat::new_rows_cols_with_default(h, w, opencv::core::CV_8UC1, Scalar::all(255.0)).map_err(cv("board alloc"))?;
    for r in 0..=rows as i32 {
        for c in 0..=cols as i32 {
            if (r + c) % 2 == 0 {
                let rect = opencv::core::Rect::new((c + 1) * sq, (r + 1) * sq, sq, sq);
                opencv::imgproc::rectangle(&mut m, rect, Scalar::all(0.0), -1, opencv::imgproc::LINE_8, 0).map_err(cv("board draw"))?;
            }
        }
    }
    Ok(m)
}

/// Renders views (BGR) of a flat checkerboard with `cols x rows` inner
/// corners seen by the distortion-free camera `k` from `board_from_camera`
/// poses. Board frame: inner corner (c, r) at (c, r, 0) (units: squares).
/// Each view is warped at twice the resolution and averaged down
/// (antialiasing), the background is grey.
pub fn render_board_views(k: &Intrinsics, cols: u32, rows: u32, poses: &[Isometry3<f64>]) -> Result<Vec<Mat>, ReconError> {
    use opencv::core::{Size, CV_64F};
    use opencv::imgproc;
    let sq = BOARD_SQUARE_PX as f64;
    let board = board_image(cols, rows, BOARD_SQUARE_PX)?;
    let k2 = k.scaled_to(2 * k.width, 2 * k.height);
    // Board-image pixel -> board plane: inner corner (0, 0) lies on the
    // pixel edge at 2 squares, i.e. at pixel coordinate 2 sq - 0.5.
    let o = (2.0 * sq - 0.5) / sq;
    let board_from_pixel = nalgebra::Matrix3::new(1.0 / sq, 0.0, -o, 0.0, 1.0 / sq, -o, 0.0, 0.0, 1.0);
    let mut out = Vec::with_capacity(poses.len());
    for board_from_cam in poses {
        let cam_from_board = board_from_cam.inverse();
        let r = cam_from_board.rotation.to_rotation_matrix();
        let rt = nalgebra::Matrix3::from_columns(&[r.matrix().column(0).into_owned(), r.matrix().column(1).into_owned(), cam_from_board.translation.vector]);
        let hm = k2.k() * rt * board_from_pixel;
        let mut hmat = Mat::new_rows_cols_with_default(3, 3, CV_64F, Scalar::all(0.0)).map_err(cv("homography"))?;
        for i in 0..3 {
            for j in 0..3 {
                *hmat.at_2d_mut::<f64>(i as i32, j as i32).map_err(cv("homography"))? = hm[(i, j)];
            }
        }
        let mut big = Mat::default();
        let big_size = Size::new(2 * k.width as i32, 2 * k.height as i32);
        imgproc::warp_perspective(&board, &mut big, &hmat, big_size, imgproc::INTER_LINEAR, opencv::core::BORDER_CONSTANT, Scalar::all(140.0)).map_err(cv("warp"))?;
        let mut small = Mat::default();
        imgproc::resize(&big, &mut small, Size::new(k.width as i32, k.height as i32), 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
        let mut bgr = Mat::default();
        imgproc::cvt_color_def(&small, &mut bgr, imgproc::COLOR_GRAY2BGR).map_err(cv("colour"))?;
        out.push(bgr);
    }
    Ok(out)
}

/// `n` camera poses (`board_from_camera`) around a `cols x rows` board at
/// 10-18 squares, tilted up to about 31° about two axes, aimed at points
/// spread over the board: what a person filming a board does.
pub fn board_poses(n: usize, cols: u32, rows: u32) -> Vec<Isometry3<f64>> {
    let centre = Vector3::new(cols.saturating_sub(1) as f64 / 2.0, rows.saturating_sub(1) as f64 / 2.0, 0.0);
    (0..n)
        .map(|i| {
            let a = i as f64 / n.max(1) as f64 * std::f64::consts::TAU;
            let rot = nalgebra::Rotation3::from_euler_angles(0.55 * (2.0 * a).sin(), 0.55 * a.cos(), 0.1 * (5.0 * a).sin());
            let dist = 14.0 + 4.0 * (3.0 * a).sin();
            let look_at = centre + Vector3::new(2.0 * (1.7 * a).sin(), 1.5 * (2.3 * a).cos(), 0.0);
            let pos = look_at - rot * Vector3::new(0.0, 0.0, dist);
            Isometry3::from_parts(nalgebra::Translation3::from(pos), nalgebra::UnitQuaternion::from_rotation_matrix(&rot))
        })
        .collect()
}
