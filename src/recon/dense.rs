//! Dense geometry for monocular maps: for each keyframe, a neighbour with a
//! sideways baseline is chosen, the pair is rectified (OpenCV
//! stereoRectify), semi-global matching (StereoSGBM, with its left-right
//! and uniqueness checks) gives disparities, and valid pixels become
//! coloured 3D points in the map frame. Geometric consistency across views
//! is enforced later by the fusion's view count.

use super::geometry::Pinhole;
use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix3, Point3, Vector3};
use opencv::core::{Mat, Size, Vec3b, CV_32F};
use opencv::prelude::*;
use opencv::{calib3d, imgproc};

/// Dense stereo settings.
#[derive(Debug, Clone)]
pub struct DenseConfig {
    /// Skip dense stereo entirely (sparse map points only).
    pub disabled: bool,
    /// Images are downscaled to this width for matching (pixels).
    pub width: i32,
    /// Acceptable baseline / median scene depth.
    pub min_baseline_ratio: f64,
    pub max_baseline_ratio: f64,
    /// Maximum angle between the two optical axes (degrees).
    pub max_view_angle_deg: f64,
    /// Largest SGBM disparity range (pixels, multiple of 16) and block size.
    pub max_disparities: i32,
    pub block_size: i32,
    /// Use every `stride`-th valid pixel.
    pub stride: i32,
    /// Stereo pairs that must agree on a fused voxel (geometric consistency).
    pub min_views: u16,
}

impl Default for DenseConfig {
    fn default() -> Self {
        DenseConfig { disabled: false, width: 480, min_baseline_ratio: 0.04, max_baseline_ratio: 0.35, max_view_angle_deg: 25.0, max_disparities: 160, block_size: 5, stride: 2, min_views: 3 }
    }
}

/// The baseline must be at least this sideways (|x| / length in the first
/// camera) so that the epipoles stay outside the images.
const MIN_SIDEWAYS: f64 = 0.6;

/// Smallest disparity trusted (pixels).
const MIN_VALID_DISPARITY: f32 = 2.0;
/// Depth range searched, as multiples of the typical scene depth.
const DEPTH_RANGE: (f64, f64) = (0.33, 4.0);

/// A coloured point in the map frame.
pub type ColoredPoint = (Point3<f64>, [u8; 3]);

/// A view: `camera_from_world`, colour image, optional depth.
pub type View = (Isometry3<f64>, Mat, Option<Mat>);

fn mat3(m: &Matrix3<f64>) -> Result<Mat, ReconError> {
    Mat::from_slice_2d(&[[m[(0, 0)], m[(0, 1)], m[(0, 2)]], [m[(1, 0)], m[(1, 1)], m[(1, 2)]], [m[(2, 0)], m[(2, 1)], m[(2, 2)]]]).map_err(cv("matrix"))
}

/// Picks the partner of view `i`: a sideways baseline in the wanted range
/// relative to `typical_depth`, similar viewing direction. Returns the index.
fn pick_partner(views: &[View], i: usize, typical_depth: f64, cfg: &DenseConfig) -> Option<usize> {
    let pi = &views[i].0;
    let ci = pi.inverse().translation.vector;
    let zi = pi.inverse().rotation * Vector3::z();
    let mut best: Option<(f64, usize)> = None;
    let lo = i.saturating_sub(8);
    let hi = (i + 9).min(views.len());
    for (j, view) in views.iter().enumerate().take(hi).skip(lo) {
        if j == i {
            continue;
        }
        let pj = &view.0;
        let cj = pj.inverse().translation.vector;
        let zj = pj.inverse().rotation * Vector3::z();
        let b = (cj - ci).norm();
        let ratio = b / typical_depth;
        if ratio < cfg.min_baseline_ratio || ratio > cfg.max_baseline_ratio {
            continue;
        }
        if zi.angle(&zj).to_degrees() > cfg.max_view_angle_deg {
            continue;
        }
        // Baseline direction in camera i: mostly along x.
        let t_in_i = pi.rotation * (cj - ci);
        if t_in_i.x.abs() < MIN_SIDEWAYS * t_in_i.norm() {
            continue;
        }
        let target = 0.12;
        let score = (ratio - target).abs();
        if best.map(|(s, _)| score < s).unwrap_or(true) {
            best = Some((score, j));
        }
    }
    best.map(|b| b.1)
}

/// Coloured points (map frame) from stereo between view `i` and its best
/// partner; empty when no partner qualifies.
pub fn stereo_points(views: &[View], i: usize, k: &Pinhole, typical_depth: f64, cfg: &DenseConfig) -> Result<Vec<ColoredPoint>, ReconError> {
    if cfg.disabled || i >= views.len() {
        return Ok(vec![]);
    }
    let Some(j) = pick_partner(views, i, typical_depth, cfg) else { return Ok(vec![]) };
    // Left camera: the one whose partner lies to its right (+x of camera i).
    let t_in_i = views[i].0.rotation * (views[j].0.inverse().translation.vector - views[i].0.inverse().translation.vector);
    let (l, r) = if t_in_i.x > 0.0 { (i, j) } else { (j, i) };
    let Some(rect) = rectify(views, (l, r), k, cfg) else { return Ok(vec![]) };
    match_pair(views, (l, r), &rect, typical_depth, cfg)
}

/// A rectified pair (our own, Fusiello-style): both cameras rotated to a
/// common frame whose x axis is the baseline, same intrinsics.
struct Rectification {
    /// Rectified frame → world rotation and the left camera centre.
    world_from_rect: Matrix3<f64>,
    centre_l: Vector3<f64>,
    baseline: f64,
    /// Rectified intrinsics and image size.
    f: f64,
    cx: f64,
    cy: f64,
    size: Size,
    /// The downscaled source camera matrix.
    k_src: Matrix3<f64>,
    /// Rotations original camera → rectified frame, per side.
    rect_from_l: Matrix3<f64>,
    rect_from_r: Matrix3<f64>,
    /// Source image downscale factor.
    scale: f64,
}

/// Rectified images may grow to this multiple of the source size at most.
const MAX_RECT_GROWTH: f64 = 1.6;

fn rectify(views: &[View], (l, r): (usize, usize), k: &Pinhole, cfg: &DenseConfig) -> Option<Rectification> {
    let wl = views[l].0.inverse();
    let wr = views[r].0.inverse();
    let (cl, cr) = (wl.translation.vector, wr.translation.vector);
    let b = cr - cl;
    let baseline = b.norm();
    if baseline < 1e-12 {
        return None;
    }
    let e1 = b / baseline;
    let z_mean = (wl.rotation * Vector3::z() + wr.rotation * Vector3::z()).normalize();
    let e2 = z_mean.cross(&e1).try_normalize(1e-9)?;
    let e3 = e1.cross(&e2);
    let world_from_rect = Matrix3::from_columns(&[e1, e2, e3]);
    let rect_from_world = world_from_rect.transpose();
    let rect_from_l = rect_from_world * wl.rotation.to_rotation_matrix().matrix();
    let rect_from_r = rect_from_world * wr.rotation.to_rotation_matrix().matrix();
    let s = views[l].1.size().ok()?;
    let scale = (cfg.width as f64 / s.width as f64).min(1.0);
    let (w, h) = (s.width as f64 * scale, s.height as f64 * scale);
    let k_src = Matrix3::new(k.fx * scale, 0.0, (k.cx + 0.5) * scale - 0.5, 0.0, k.fy * scale, (k.cy + 0.5) * scale - 0.5, 0.0, 0.0, 1.0);
    let k_inv = k_src.try_inverse()?;
    let mut f = k.fx * scale;
    // Bounding box of both images' corners in the rectified view (unit focal).
    let (mut lo, mut hi) = (nalgebra::Vector2::repeat(f64::MAX), nalgebra::Vector2::repeat(f64::MIN));
    for rot in [&rect_from_l, &rect_from_r] {
        for (x, y) in [(0.0, 0.0), (w, 0.0), (0.0, h), (w, h)] {
            let ray = rot * (k_inv * Vector3::new(x, y, 1.0));
            if ray.z < 0.2 {
                return None; // the rectified view turns too far away
            }
            let q = nalgebra::Vector2::new(ray.x / ray.z, ray.y / ray.z);
            lo = lo.inf(&q);
            hi = hi.sup(&q);
        }
    }
    let ext = hi - lo;
    let growth = (f * ext.x / w).max(f * ext.y / h);
    if growth > MAX_RECT_GROWTH {
        f *= MAX_RECT_GROWTH / growth;
    }
    let size = Size::new((f * ext.x).ceil() as i32 + 1, (f * ext.y).ceil() as i32 + 1);
    Some(Rectification { world_from_rect, centre_l: cl, baseline, f, cx: -lo.x * f, cy: -lo.y * f, size, k_src, rect_from_l, rect_from_r, scale })
}

fn match_pair(views: &[View], (l, r): (usize, usize), rc: &Rectification, typical_depth: f64, cfg: &DenseConfig) -> Result<Vec<ColoredPoint>, ReconError> {
    let src_size = views[l].1.size().map_err(cv("size"))?;
    let small = Size::new((src_size.width as f64 * rc.scale).round() as i32, (src_size.height as f64 * rc.scale).round() as i32);
    let k_src = mat3(&rc.k_src)?;
    let k_new = mat3(&Matrix3::new(rc.f, 0.0, rc.cx, 0.0, rc.f, rc.cy, 0.0, 0.0, 1.0))?;
    let no_dist = Mat::default();
    let warp = |img: &Mat, rot: &Matrix3<f64>| -> Result<Mat, ReconError> {
        let mut sm = Mat::default();
        imgproc::resize(img, &mut sm, small, 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
        let (mut m1, mut m2) = (Mat::default(), Mat::default());
        calib3d::init_undistort_rectify_map(&k_src, &no_dist, &mat3(rot)?, &k_new, rc.size, CV_32F, &mut m1, &mut m2).map_err(cv("initUndistortRectifyMap"))?;
        let mut o = Mat::default();
        imgproc::remap(&sm, &mut o, &m1, &m2, imgproc::INTER_LINEAR, opencv::core::BORDER_CONSTANT, opencv::core::Scalar::default()).map_err(cv("remap"))?;
        Ok(o)
    };
    let rl = warp(&views[l].1, &rc.rect_from_l)?;
    let rr = warp(&views[r].1, &rc.rect_from_r)?;
    let mut gl = Mat::default();
    let mut gr = Mat::default();
    imgproc::cvt_color_def(&rl, &mut gl, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
    imgproc::cvt_color_def(&rr, &mut gr, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
    // Disparity range from the depth range: d = f B / Z.
    let fb = rc.f * rc.baseline;
    let zmin = DEPTH_RANGE.0 * typical_depth;
    let zmax = DEPTH_RANGE.1 * typical_depth;
    let min_disp = (fb / zmax).floor().max(0.0) as i32;
    let num = ((((fb / zmin).ceil() as i32 - min_disp).max(16) + 15) / 16 * 16).min(cfg.max_disparities);
    let bs = cfg.block_size;
    let mut sgbm = calib3d::StereoSGBM::create(min_disp, num, bs, 8 * bs * bs, 32 * bs * bs, 1, 31, 10, 100, 2, calib3d::StereoSGBM_MODE_SGBM).map_err(cv("StereoSGBM"))?;
    let mut disp = Mat::default();
    sgbm.compute(&gl, &gr, &mut disp).map_err(cv("SGBM compute"))?;
    let valid_disp = (min_disp as f32).max(MIN_VALID_DISPARITY);
    let mut out = vec![];
    let mut y = bs;
    while y < rc.size.height - bs {
        let drow = disp.at_row::<i16>(y).map_err(cv("disparity row"))?;
        let crow = rl.at_row::<Vec3b>(y).map_err(cv("colour row"))?;
        let mut x = min_disp + num;
        while x < rc.size.width - bs {
            let d = drow[x as usize] as f32 / 16.0;
            if d >= valid_disp {
                let z = fb / d as f64;
                if z > zmin && z < zmax {
                    let pr = Vector3::new((x as f64 - rc.cx) * z / rc.f, (y as f64 - rc.cy) * z / rc.f, z);
                    let c = crow[x as usize];
                    if c[0] as u16 + c[1] as u16 + c[2] as u16 > 0 {
                        out.push((Point3::from(rc.centre_l + rc.world_from_rect * pr), [c[2], c[1], c[0]]));
                    }
                }
            }
            x += cfg.stride;
        }
        y += cfg.stride;
    }
    Ok(out)
}
