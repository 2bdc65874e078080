//! Dense geometry for monocular maps: for each keyframe, a neighbour with a
//! sideways baseline is chosen, the pair is rectified (OpenCV
//! stereoRectify), semi-global matching (StereoSGBM, with its left-right
//! and uniqueness checks) gives disparities, and valid pixels become
//! coloured 3D points in the map frame. Geometric consistency across views
//! is enforced later by the fusion's view count.

use super::geometry::Pinhole;
use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix3, Point3, Vector3};
use opencv::core::{Mat, Size, Vec3b, Vec3f, CV_32F};
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
    /// SGBM disparity range (multiple of 16) and block size.
    pub num_disparities: i32,
    pub block_size: i32,
    /// Use every `stride`-th valid pixel.
    pub stride: i32,
}

impl Default for DenseConfig {
    fn default() -> Self {
        DenseConfig { disabled: false, width: 480, min_baseline_ratio: 0.04, max_baseline_ratio: 0.35, max_view_angle_deg: 25.0, num_disparities: 64, block_size: 5, stride: 2 }
    }
}

/// A coloured point in the map frame.
pub type ColoredPoint = (Point3<f64>, [u8; 3]);

/// A view: `camera_from_world`, colour image, optional depth.
pub type View = (Isometry3<f64>, Mat, Option<Mat>);

fn mat3(m: &Matrix3<f64>) -> Result<Mat, ReconError> {
    Mat::from_slice_2d(&[[m[(0, 0)], m[(0, 1)], m[(0, 2)]], [m[(1, 0)], m[(1, 1)], m[(1, 2)]], [m[(2, 0)], m[(2, 1)], m[(2, 2)]]]).map_err(cv("matrix"))
}

fn read3(m: &Mat) -> Result<Matrix3<f64>, ReconError> {
    let mut o = Matrix3::zeros();
    for i in 0..3 {
        for j in 0..3 {
            o[(i, j)] = *m.at_2d::<f64>(i as i32, j as i32).map_err(cv("matrix"))?;
        }
    }
    Ok(o)
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
        if t_in_i.x.abs() < 0.8 * t_in_i.norm() {
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
    // Left camera: the one whose partner lies to its right (+x).
    let rel_ij = views[j].0 * views[i].0.inverse(); // j_from_i
    let (l, r) = if rel_ij.translation.vector.x < 0.0 { (i, j) } else { (j, i) };
    let rel = views[r].0 * views[l].0.inverse(); // right_from_left
    let img_l = &views[l].1;
    let img_r = &views[r].1;
    let s = img_l.size().map_err(cv("size"))?;
    let f = (cfg.width as f64 / s.width as f64).min(1.0);
    let size = Size::new((s.width as f64 * f).round() as i32, (s.height as f64 * f).round() as i32);
    let kk = Matrix3::new(k.fx * f, 0.0, (k.cx + 0.5) * f - 0.5, 0.0, k.fy * f, (k.cy + 0.5) * f - 0.5, 0.0, 0.0, 1.0);
    let km = mat3(&kk)?;
    let no_dist = Mat::default();
    let r_mat = mat3(rel.rotation.to_rotation_matrix().matrix())?;
    let t = rel.translation.vector;
    let t_arr = [t.x, t.y, t.z];
    let t_mat = Mat::from_slice(&t_arr).map_err(cv("T"))?;
    let (mut r1, mut r2, mut p1, mut p2, mut q) = (Mat::default(), Mat::default(), Mat::default(), Mat::default(), Mat::default());
    calib3d::stereo_rectify(&km, &no_dist, &km, &no_dist, size, &r_mat, &t_mat, &mut r1, &mut r2, &mut p1, &mut p2, &mut q, calib3d::CALIB_ZERO_DISPARITY, 0.0, size, None, None)
        .map_err(cv("stereoRectify"))?;
    let small = |m: &Mat| -> Result<Mat, ReconError> {
        let mut o = Mat::default();
        imgproc::resize(m, &mut o, size, 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
        Ok(o)
    };
    let (sl, sr) = (small(img_l)?, small(img_r)?);
    let rect = |img: &Mat, rr: &Mat, pp: &Mat| -> Result<Mat, ReconError> {
        let (mut m1, mut m2) = (Mat::default(), Mat::default());
        calib3d::init_undistort_rectify_map(&km, &no_dist, rr, pp, size, CV_32F, &mut m1, &mut m2).map_err(cv("initUndistortRectifyMap"))?;
        let mut o = Mat::default();
        imgproc::remap(img, &mut o, &m1, &m2, imgproc::INTER_LINEAR, opencv::core::BORDER_CONSTANT, opencv::core::Scalar::default()).map_err(cv("remap"))?;
        Ok(o)
    };
    let (rl, rr) = (rect(&sl, &r1, &p1)?, rect(&sr, &r2, &p2)?);
    let mut gl = Mat::default();
    let mut gr = Mat::default();
    imgproc::cvt_color_def(&rl, &mut gl, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
    imgproc::cvt_color_def(&rr, &mut gr, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
    let bs = cfg.block_size;
    let mut sgbm = calib3d::StereoSGBM::create(0, cfg.num_disparities, bs, 8 * bs * bs, 32 * bs * bs, 1, 31, 10, 100, 2, calib3d::StereoSGBM_MODE_SGBM).map_err(cv("StereoSGBM"))?;
    let mut disp = Mat::default();
    sgbm.compute(&gl, &gr, &mut disp).map_err(cv("SGBM compute"))?;
    let mut dispf = Mat::default();
    disp.convert_to(&mut dispf, CV_32F, 1.0 / 16.0, 0.0).map_err(cv("disparity"))?;
    let mut xyz = Mat::default();
    calib3d::reproject_image_to_3d(&dispf, &mut xyz, &q, true, CV_32F).map_err(cv("reprojectImageTo3D"))?;
    let r1m = read3(&r1)?;
    let world_from_l = views[l].0.inverse();
    let min_disp = 2.0f32;
    let zmin = 0.1 * typical_depth;
    let zmax = 4.0 * typical_depth;
    let mut out = vec![];
    let mut y = cfg.block_size;
    while y < size.height - cfg.block_size {
        let drow = dispf.at_row::<f32>(y).map_err(cv("disparity row"))?;
        let xrow = xyz.at_row::<Vec3f>(y).map_err(cv("xyz row"))?;
        let crow = rl.at_row::<Vec3b>(y).map_err(cv("colour row"))?;
        let mut x = cfg.num_disparities;
        while x < size.width - cfg.block_size {
            let d = drow[x as usize];
            if d >= min_disp {
                let p = xrow[x as usize];
                let pr = Vector3::new(p[0] as f64, p[1] as f64, p[2] as f64);
                if pr.z > zmin && pr.z < zmax {
                    let pc = r1m.transpose() * pr;
                    let c = crow[x as usize];
                    out.push((world_from_l * Point3::from(pc), [c[2], c[1], c[0]]));
                }
            }
            x += cfg.stride;
        }
        y += cfg.stride;
    }
    Ok(out)
}
