//! Dense geometry for views that have poses but no depth (monocular maps,
//! external poses): multi-view plane-sweep stereo with a geometric
//! consistency check between the resulting depth maps.
//!
//! 1. **References**: views spaced by motion (rotation or translation since
//!    the last reference), at most [`DenseConfig::max_references`].
//! 2. **Sources** per reference, from *all* views: baseline within a range
//!    relative to the typical scene depth, similar viewing direction, most
//!    of the reference's field of view visible. Any baseline direction
//!    works (forward walking included): no rectification is needed.
//! 3. **Plane sweep**: fronto-parallel planes uniform in inverse depth; each
//!    source is warped onto the reference by the plane's homography (OpenCV
//!    `warpPerspective`) and compared by zero-mean normalised
//!    cross-correlation (ZNCC) over a window; the best half of the sources
//!    are averaged (occlusion-robust); winner-take-all with a parabolic
//!    sub-plane fit; untextured pixels, weak or boundary matches are dropped.
//! 4. **Consistency**: a depth is kept when at least
//!    [`DenseConfig::min_consistent`] other references' depth maps agree
//!    (forward-backward reprojection within a pixel and relative depth
//!    within a tolerance); the agreeing points are averaged.
//!
//! Works in map units (scale-free): all thresholds are relative to the
//! typical depth or in pixels. Knows cameras, images and poses, not maps,
//! tracking or files.

use crate::geom::stats::median;
use super::geometry::{camera_centre, Pinhole};
use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix3, Point3, Vector3};
use opencv::core::{Mat, Size, Vec3b, BORDER_CONSTANT, CV_32F};
use opencv::imgproc;
use opencv::prelude::*;
use rayon::prelude::*;

/// Dense stereo settings. `Default` suits a phone walk through a room.
#[derive(Debug, Clone)]
pub struct DenseConfig {
    /// Skip dense stereo entirely (sparse map points only).
    pub disabled: bool,
    /// Images are downscaled to this width for matching (pixels).
    pub width: i32,
    /// Acceptable source baseline / typical scene depth.
    pub min_baseline_ratio: f64,
    pub max_baseline_ratio: f64,
    /// Preferred baseline / typical depth (sources near it score best).
    pub target_baseline_ratio: f64,
    /// Maximum angle between the reference's and a source's optical axes (degrees).
    pub max_view_angle_deg: f64,
    /// Source views per reference.
    pub sources: usize,
    /// Depth planes at most (fewer when the baselines are small).
    pub max_planes: usize,
    /// ZNCC window edge (pixels, odd).
    pub window: i32,
    /// Smallest aggregated ZNCC accepted.
    pub min_ncc: f32,
    /// Smallest grey-level standard deviation in the window (0-255 scale):
    /// untextured pixels give no depth.
    pub min_texture: f32,
    /// A new reference after this rotation (degrees) or this translation
    /// (fraction of the typical depth) since the last one.
    pub reference_angle_deg: f64,
    pub reference_move_ratio: f64,
    /// References at most (evenly thinned when more qualify).
    pub max_references: usize,
    /// Other references' depth maps that must agree with a depth.
    pub min_consistent: usize,
    /// Agreement: forward-backward reprojection error (working pixels) and
    /// relative depth difference.
    pub consistency_px: f64,
    pub consistency_rel: f64,
    /// Use every `stride`-th pixel of each consistent depth map.
    pub stride: i32,
    /// Stereo references that must see a fused voxel (the fusion's view
    /// count; consistency is already checked per pixel).
    pub min_views: u16,
}

impl Default for DenseConfig {
    fn default() -> Self {
        DenseConfig {
            disabled: false,
            width: 256,
            min_baseline_ratio: 0.03,
            max_baseline_ratio: 0.5,
            target_baseline_ratio: 0.15,
            max_view_angle_deg: 35.0,
            sources: 3,
            max_planes: 64,
            window: 7,
            min_ncc: 0.6,
            min_texture: 2.0,
            reference_angle_deg: 6.0,
            reference_move_ratio: 0.05,
            max_references: 60,
            min_consistent: 2,
            consistency_px: 1.0,
            consistency_rel: 0.02,
            stride: 1,
            min_views: 1,
        }
    }
}

/// Depth range searched, as multiples of the typical scene depth.
const DEPTH_RANGE: (f64, f64) = (0.2, 6.0);
/// Fewest depth planes.
const MIN_PLANES: usize = 24;
/// Largest image shift between neighbouring planes in the widest-baseline
/// source (pixels): finer sampling costs time, coarser misses the peak.
const PLANE_STEP_PX: f64 = 1.0;
/// Reference pixels sampled (3 x 3 grid at the typical depth) to measure
/// how much of a reference a view sees, and the fraction needed.
const OVERLAP_GRID: usize = 3;
const MIN_OVERLAP: f64 = 0.5;
/// Consistency neighbours per reference at most.
const MAX_NEIGHBOURS: usize = 8;
/// Numerical floor for variances (grey levels squared).
const VAR_EPS: f32 = 1e-3;

/// A coloured point in the map frame.
pub type ColoredPoint = (Point3<f64>, [u8; 3]);

/// A view: `camera_from_world`, colour image, optional depth.
pub type View = (Isometry3<f64>, Mat, Option<Mat>);

/// What the dense step did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DenseStats {
    /// References chosen and those that found sources.
    pub references: usize,
    pub depth_maps: usize,
    /// Pixels with a depth before and after the consistency check.
    pub raw_pixels: usize,
    pub consistent_pixels: usize,
}

/// A depth map at working resolution (0 = no depth) with its reference.
struct DepthMap {
    view: usize,
    z: Vec<f32>,
}

/// Working-resolution camera and image size.
#[derive(Clone, Copy)]
struct Cam {
    k: Pinhole,
    w: i32,
    h: i32,
}

impl Cam {
    fn kmat(&self) -> Matrix3<f64> {
        Matrix3::new(self.k.fx, 0.0, self.k.cx, 0.0, self.k.fy, self.k.cy, 0.0, 0.0, 1.0)
    }

    /// Pixel of a camera-frame point, `None` behind the camera.
    fn project(&self, p: &Point3<f64>) -> Option<(f64, f64)> {
        (p.z > 1e-12).then(|| (self.k.fx * p.x / p.z + self.k.cx, self.k.fy * p.y / p.z + self.k.cy))
    }

    fn inside(&self, u: f64, v: f64, margin: f64) -> bool {
        u >= margin && v >= margin && u <= self.w as f64 - 1.0 - margin && v <= self.h as f64 - 1.0 - margin
    }

    fn unproject(&self, u: f64, v: f64, z: f64) -> Point3<f64> {
        Point3::new((u - self.k.cx) / self.k.fx * z, (v - self.k.cy) / self.k.fy * z, z)
    }
}

fn axis(p: &Isometry3<f64>) -> Vector3<f64> {
    p.inverse().rotation * Vector3::z()
}

/// Fraction of the reference's 3 x 3 pixel grid, placed at depth `typical`,
/// that view `j` sees.
fn overlap(views: &[View], r: usize, j: usize, cam: &Cam, typical: f64) -> f64 {
    let pr_inv = views[r].0.inverse();
    let mut seen = 0;
    for gy in 0..OVERLAP_GRID {
        for gx in 0..OVERLAP_GRID {
            let u = (gx as f64 + 0.5) / OVERLAP_GRID as f64 * cam.w as f64;
            let v = (gy as f64 + 0.5) / OVERLAP_GRID as f64 * cam.h as f64;
            let xw = pr_inv * cam.unproject(u, v, typical);
            if let Some((a, b)) = cam.project(&(views[j].0 * xw)) {
                if cam.inside(a, b, 0.0) {
                    seen += 1;
                }
            }
        }
    }
    seen as f64 / (OVERLAP_GRID * OVERLAP_GRID) as f64
}

/// References: views spaced by rotation or translation, evenly thinned to
/// at most `max_references`.
fn pick_references(views: &[View], typical: f64, cfg: &DenseConfig) -> Vec<usize> {
    let mut refs: Vec<usize> = vec![];
    for (i, v) in views.iter().enumerate() {
        let far = match refs.last() {
            None => true,
            Some(&l) => {
                let p = &views[l].0;
                let angle = (v.0.rotation * p.rotation.inverse()).angle().to_degrees();
                angle > cfg.reference_angle_deg || (camera_centre(&v.0) - camera_centre(p)).norm() > cfg.reference_move_ratio * typical
            }
        };
        if far {
            refs.push(i);
        }
    }
    let m = cfg.max_references.max(1);
    if refs.len() > m {
        refs = (0..m).map(|k| refs[k * refs.len() / m]).collect();
    }
    refs
}

/// Up to `cfg.sources` source views for reference `r`, best first.
fn pick_sources(views: &[View], r: usize, cam: &Cam, typical: f64, cfg: &DenseConfig) -> Vec<usize> {
    let (cr, zr) = (camera_centre(&views[r].0), axis(&views[r].0));
    let mut cand: Vec<(f64, usize, f64)> = vec![];
    for (j, v) in views.iter().enumerate() {
        if j == r {
            continue;
        }
        let b = (camera_centre(&v.0) - cr).norm();
        let ratio = b / typical;
        if ratio < cfg.min_baseline_ratio || ratio > cfg.max_baseline_ratio {
            continue;
        }
        let angle = zr.angle(&axis(&v.0));
        if angle.to_degrees() > cfg.max_view_angle_deg {
            continue;
        }
        let ov = overlap(views, r, j, cam, typical);
        if ov < MIN_OVERLAP {
            continue;
        }
        let score = ov * angle.cos() * (-(ratio / cfg.target_baseline_ratio).ln().powi(2)).exp();
        cand.push((score, j, b));
    }
    cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    let mut chosen: Vec<usize> = vec![];
    for (_, j, b) in cand {
        if chosen.len() >= cfg.sources {
            break;
        }
        // Diversity: sources not bunched together.
        let cj = camera_centre(&views[j].0);
        if chosen.iter().all(|&c| (camera_centre(&views[c].0) - cj).norm() >= 0.3 * b) {
            chosen.push(j);
        }
    }
    chosen
}

/// Other references whose depth maps can confirm reference `r`'s.
fn pick_neighbours(views: &[View], refs: &[usize], r: usize, cam: &Cam, typical: f64, cfg: &DenseConfig) -> Vec<usize> {
    let zr = axis(&views[r].0);
    let mut cand: Vec<(f64, usize)> = refs
        .iter()
        .enumerate()
        .filter(|&(_, &q)| q != refs[r])
        .filter(|&(_, &q)| zr.angle(&axis(&views[q].0)).to_degrees() <= cfg.max_view_angle_deg * 1.5)
        .map(|(qi, &q)| (overlap(views, refs[r], q, cam, typical), qi))
        .filter(|(o, _)| *o >= 1.0 / 3.0)
        .collect();
    cand.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    cand.into_iter().take(MAX_NEIGHBOURS).map(|c| c.1).collect()
}

/// Grey float image at working resolution.
fn work_gray(image: &Mat, cam: &Cam) -> Result<Mat, ReconError> {
    let mut g = Mat::default();
    if image.channels() == 3 {
        imgproc::cvt_color_def(image, &mut g, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
    } else {
        g = image.try_clone().map_err(cv("copy"))?;
    }
    let mut s = Mat::default();
    imgproc::resize(&g, &mut s, Size::new(cam.w, cam.h), 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
    let mut f = Mat::default();
    s.convert_to(&mut f, CV_32F, 1.0, 0.0).map_err(cv("convert"))?;
    Ok(f)
}

fn boxf(m: &Mat, win: i32) -> Result<Mat, ReconError> {
    let mut o = Mat::default();
    imgproc::box_filter(m, &mut o, -1, Size::new(win, win), opencv::core::Point::new(-1, -1), true, opencv::core::BORDER_REFLECT).map_err(cv("boxFilter"))?;
    Ok(o)
}

fn mul(a: &Mat, b: &Mat) -> Result<Mat, ReconError> {
    let mut o = Mat::default();
    opencv::core::multiply(a, b, &mut o, 1.0, -1).map_err(cv("multiply"))?;
    Ok(o)
}

/// The pixels of a continuous single-channel float image.
fn data(m: &Mat) -> Result<&[f32], ReconError> {
    if !m.is_continuous() {
        return Err(ReconError::OpenCv { step: "plane sweep", message: "non-continuous image".into() });
    }
    m.data_typed::<f32>().map_err(cv("data"))
}

fn to_vec(m: &Mat) -> Result<Vec<f32>, ReconError> {
    let c = if m.is_continuous() { m.try_clone().map_err(cv("copy"))? } else { m.clone() };
    Ok(c.data_typed::<f32>().map_err(cv("data"))?.to_vec())
}

/// Plane-sweep depth map of reference `r` against `sources` (map units; 0 = none).
fn sweep(views: &[View], grays: &[Option<Mat>], r: usize, sources: &[usize], cam: &Cam, typical: f64, cfg: &DenseConfig) -> Result<Vec<f32>, ReconError> {
    let npix = (cam.w * cam.h) as usize;
    let Some(gr) = grays[r].as_ref() else { return Ok(vec![0.0; npix]) };
    let win = cfg.window.max(3) | 1;
    let half = (win / 2) as f64;
    let mu_r = to_vec(&boxf(gr, win)?)?;
    let rr = to_vec(&boxf(&mul(gr, gr)?, win)?)?;
    let var_r: Vec<f32> = mu_r.iter().zip(&rr).map(|(m, q)| (q - m * m).max(0.0)).collect();
    let k = cam.kmat();
    let k_inv = k.try_inverse().unwrap_or_else(Matrix3::identity);
    // Relative poses source_from_reference.
    let rel: Vec<Isometry3<f64>> = sources.iter().map(|&s| views[s].0 * views[r].0.inverse()).collect();
    let bmax = rel.iter().map(|p| p.translation.vector.norm()).fold(0.0, f64::max);
    let (id_lo, id_hi) = (1.0 / (DEPTH_RANGE.1 * typical), 1.0 / (DEPTH_RANGE.0 * typical));
    let planes = ((cam.k.fx * bmax * (id_hi - id_lo) / PLANE_STEP_PX).ceil() as usize).clamp(MIN_PLANES, cfg.max_planes.max(MIN_PLANES));
    let idepth = |kf: f64| id_lo + (id_hi - id_lo) * kf / (planes - 1) as f64;
    let tex = cfg.min_texture * cfg.min_texture;
    let ns = sources.len();
    let keep = ns.div_ceil(2).max(1);
    let mut vol = vec![f32::NEG_INFINITY; planes * npix];
    let mut ncc = vec![f32::NAN; ns * npix];
    for p in 0..planes {
        let id = idepth(p as f64);
        for (si, (&s, rp)) in sources.iter().zip(&rel).enumerate() {
            let Some(gs) = grays[s].as_ref() else { continue };
            let rot = rp.rotation.to_rotation_matrix().into_inner();
            let h = k * (rot + rp.translation.vector * Vector3::new(0.0, 0.0, id).transpose()) * k_inv;
            let hm = Mat::from_slice_2d(&[[h[(0, 0)], h[(0, 1)], h[(0, 2)]], [h[(1, 0)], h[(1, 1)], h[(1, 2)]], [h[(2, 0)], h[(2, 1)], h[(2, 2)]]]).map_err(cv("homography"))?;
            let mut w = Mat::default();
            imgproc::warp_perspective(gs, &mut w, &hm, Size::new(cam.w, cam.h), imgproc::INTER_LINEAR | imgproc::WARP_INVERSE_MAP, BORDER_CONSTANT, opencv::core::Scalar::default())
                .map_err(cv("warpPerspective"))?;
            let (mu_w_m, ww_m, rw_m) = (boxf(&w, win)?, boxf(&mul(&w, &w)?, win)?, boxf(&mul(gr, &w)?, win)?);
            let (mu_w, ww, rw) = (data(&mu_w_m)?, data(&ww_m)?, data(&rw_m)?);
            let out = &mut ncc[si * npix..(si + 1) * npix];
            for y in 0..cam.h {
                let (yf, row) = (y as f64, (y * cam.w) as usize);
                for x in 0..cam.w {
                    let i = row + x as usize;
                    let xf = x as f64;
                    let hz = h[(2, 0)] * xf + h[(2, 1)] * yf + h[(2, 2)];
                    let valid = hz > 1e-12 && cam.inside((h[(0, 0)] * xf + h[(0, 1)] * yf + h[(0, 2)]) / hz, (h[(1, 0)] * xf + h[(1, 1)] * yf + h[(1, 2)]) / hz, half);
                    out[i] = if valid && var_r[i] >= tex {
                        let vw = (ww[i] - mu_w[i] * mu_w[i]).max(VAR_EPS);
                        (rw[i] - mu_r[i] * mu_w[i]) / (var_r[i].max(VAR_EPS) * vw).sqrt()
                    } else {
                        f32::NAN
                    };
                }
            }
        }
        // Aggregate: mean of the best half of the valid sources.
        let slab = &mut vol[p * npix..(p + 1) * npix];
        let mut vals: Vec<f32> = Vec::with_capacity(ns);
        for (i, v) in slab.iter_mut().enumerate() {
            vals.clear();
            vals.extend((0..ns).map(|s| ncc[s * npix + i]).filter(|c| c.is_finite()));
            if vals.is_empty() {
                continue;
            }
            vals.sort_by(|a, b| b.total_cmp(a));
            let m = keep.min(vals.len());
            *v = vals[..m].iter().sum::<f32>() / m as f32;
        }
    }
    // Winner-take-all with a parabolic refinement in inverse depth.
    let mut z = vec![0.0f32; npix];
    for (i, zi) in z.iter_mut().enumerate() {
        let (mut best, mut kb) = (f32::NEG_INFINITY, 0usize);
        for p in 0..planes {
            let c = vol[p * npix + i];
            if c > best {
                best = c;
                kb = p;
            }
        }
        if best < cfg.min_ncc || kb == 0 || kb + 1 >= planes {
            continue;
        }
        let (a, b, c) = (vol[(kb - 1) * npix + i] as f64, best as f64, vol[(kb + 1) * npix + i] as f64);
        if !(a.is_finite() && c.is_finite()) {
            continue;
        }
        let den = a - 2.0 * b + c;
        let off = if den < -1e-9 { (0.5 * (a - c) / den).clamp(-0.5, 0.5) } else { 0.0 };
        let id = idepth(kb as f64 + off);
        if id > 0.0 {
            *zi = (1.0 / id) as f32;
        }
    }
    Ok(z)
}

/// Consistent points of reference `maps[mi]` checked against its
/// neighbours' depth maps; colours from the reference image.
fn consistent_points(views: &[View], maps: &[DepthMap], mi: usize, neighbours: &[usize], colour: &Mat, cam: &Cam, cfg: &DenseConfig) -> Result<Vec<ColoredPoint>, ReconError> {
    let m = &maps[mi];
    let pr = &views[m.view].0;
    let pr_inv = pr.inverse();
    let mut out = vec![];
    let stride = cfg.stride.max(1);
    // With few depth maps, as many agreeing neighbours as there are.
    let need = cfg.min_consistent.min(maps.len().saturating_sub(1)).max(1);
    for y in (0..cam.h).step_by(stride as usize) {
        let crow = colour.at_row::<Vec3b>(y).map_err(cv("colour row"))?;
        for x in (0..cam.w).step_by(stride as usize) {
            let z = m.z[(y * cam.w + x) as usize] as f64;
            if z <= 0.0 {
                continue;
            }
            let xw = pr_inv * cam.unproject(x as f64, y as f64, z);
            let mut sum = xw.coords;
            let mut agree = 0usize;
            for &q in neighbours {
                let mq = &maps[q];
                let pq = &views[mq.view].0;
                let xq = pq * xw;
                let Some((u, v)) = cam.project(&xq) else { continue };
                if !cam.inside(u, v, 0.0) {
                    continue;
                }
                let zq = mq.z[(v.round() as i32 * cam.w + u.round() as i32) as usize] as f64;
                if zq <= 0.0 || ((zq - xq.z) / xq.z).abs() > cfg.consistency_rel {
                    continue;
                }
                let back = pq.inverse() * cam.unproject(u.round(), v.round(), zq);
                let Some((a, b)) = cam.project(&(pr * back)) else { continue };
                if (a - x as f64).hypot(b - y as f64) > cfg.consistency_px {
                    continue;
                }
                agree += 1;
                sum += back.coords;
            }
            if agree >= need {
                let c = crow[x as usize];
                out.push((Point3::from(sum / (agree + 1) as f64), [c[2], c[1], c[0]]));
            }
        }
    }
    Ok(out)
}

/// Dense points from all `views` (poses `camera_from_world` in map units,
/// colour images at the resolution of `k`), one list per reference view
/// that produced consistent depth. `typical_depth` is the typical
/// camera-to-surface distance in map units.
pub fn dense_points(views: &[View], k: &Pinhole, typical_depth: f64, cfg: &DenseConfig) -> Result<(Vec<Vec<ColoredPoint>>, DenseStats), ReconError> {
    let mut stats = DenseStats::default();
    if cfg.disabled || views.len() < 2 || !(typical_depth.is_finite() && typical_depth > 0.0) {
        return Ok((vec![], stats));
    }
    let size = views[0].1.size().map_err(cv("size"))?;
    if size.width < 16 || size.height < 16 {
        return Ok((vec![], stats));
    }
    let s = (cfg.width.max(32) as f64 / size.width as f64).min(1.0);
    let cam = Cam {
        k: Pinhole { fx: k.fx * s, fy: k.fy * s, cx: (k.cx + 0.5) * s - 0.5, cy: (k.cy + 0.5) * s - 0.5 },
        w: (size.width as f64 * s).round() as i32,
        h: (size.height as f64 * s).round() as i32,
    };
    let refs = pick_references(views, typical_depth, cfg);
    stats.references = refs.len();
    let plan: Vec<(usize, Vec<usize>)> = refs.iter().map(|&r| (r, pick_sources(views, r, &cam, typical_depth, cfg))).filter(|(_, s)| !s.is_empty()).collect();
    let mut needed = vec![false; views.len()];
    for (r, s) in &plan {
        needed[*r] = true;
        for &j in s {
            needed[j] = true;
        }
    }
    let grays: Vec<Option<Mat>> = needed
        .par_iter()
        .enumerate()
        .map(|(i, &n)| if n { work_gray(&views[i].1, &cam).map(Some) } else { Ok(None) })
        .collect::<Result<_, _>>()?;
    let maps: Vec<DepthMap> = plan
        .par_iter()
        .map(|(r, s)| sweep(views, &grays, *r, s, &cam, typical_depth, cfg).map(|z| DepthMap { view: *r, z }))
        .collect::<Result<_, _>>()?;
    stats.depth_maps = maps.len();
    stats.raw_pixels = maps.iter().map(|m| m.z.iter().filter(|&&z| z > 0.0).count()).sum();
    let map_views: Vec<usize> = maps.iter().map(|m| m.view).collect();
    let pts: Vec<Vec<ColoredPoint>> = (0..maps.len())
        .into_par_iter()
        .map(|mi| {
            let nb = pick_neighbours(views, &map_views, mi, &cam, typical_depth, cfg);
            let mut colour = Mat::default();
            imgproc::resize(&views[maps[mi].view].1, &mut colour, Size::new(cam.w, cam.h), 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
            consistent_points(views, &maps, mi, &nb, &colour, &cam, cfg)
        })
        .collect::<Result<_, _>>()?;
    stats.consistent_pixels = pts.iter().map(Vec::len).sum();
    Ok((pts.into_iter().filter(|p| !p.is_empty()).collect(), stats))
}

/// Views sampled when measuring the typical depth.
const TYPICAL_SAMPLE_VIEWS: usize = 12;
/// Triangulated matches must see at least this parallax (degrees) and
/// reproject within this many pixels.
const TYPICAL_MIN_PARALLAX_DEG: f64 = 1.0;
const TYPICAL_MAX_REPROJ_PX: f64 = 2.0;

/// The typical camera-to-surface distance in map units: the median depth
/// of `sparse` map points seen in a sample of views, or, without a map
/// (external poses), of ORB matches triangulated between each sampled view
/// and the view farthest from it with a similar viewing direction.
/// `None` when nothing could be measured.
pub fn typical_depth(views: &[View], k: &Pinhole, sparse: &[Point3<f64>]) -> Result<Option<f64>, ReconError> {
    if views.is_empty() {
        return Ok(None);
    }
    let size = views[0].1.size().map_err(cv("size"))?;
    let cam = Cam { k: *k, w: size.width, h: size.height };
    let step = views.len().div_ceil(TYPICAL_SAMPLE_VIEWS).max(1);
    let mut ds: Vec<f64> = vec![];
    if !sparse.is_empty() {
        for v in views.iter().step_by(step) {
            for p in sparse {
                let q = v.0 * p;
                if let Some((a, b)) = cam.project(&q) {
                    if cam.inside(a, b, 0.0) {
                        ds.push(q.z);
                    }
                }
            }
        }
    } else {
        use super::features::{match_brute, Extractor, OrbConfig};
        use super::geometry::{parallax_cos, triangulate};
        let intr = super::calib::Intrinsics { width: size.width as u32, height: size.height as u32, fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy, dist: vec![] };
        let mut ex = Extractor::new(&OrbConfig::default())?;
        let mut feats: std::collections::HashMap<usize, super::features::Features> = std::collections::HashMap::new();
        for i in (0..views.len()).step_by(step) {
            let zi = axis(&views[i].0);
            let ci = camera_centre(&views[i].0);
            let partner = (0..views.len())
                .filter(|&j| j != i && zi.angle(&axis(&views[j].0)).to_degrees() < 30.0)
                .max_by(|&a, &b| (camera_centre(&views[a].0) - ci).norm().total_cmp(&(camera_centre(&views[b].0) - ci).norm()));
            let Some(j) = partner else { continue };
            for v in [i, j] {
                if let std::collections::hash_map::Entry::Vacant(e) = feats.entry(v) {
                    let mut g = Mat::default();
                    imgproc::cvt_color_def(&views[v].1, &mut g, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
                    e.insert(ex.extract(&g, &intr)?);
                }
            }
            let (Some(fa), Some(fb)) = (feats.get(&i), feats.get(&j)) else { continue };
            let (pa, pb) = (&views[i].0, &views[j].0);
            let (ca, cb) = (ci, camera_centre(pb));
            for (a, b) in match_brute(&fa.desc, &fb.desc, 64, 0.8) {
                let (ua, ub) = (&fa.points[a], &fb.points[b]);
                let Some(x) = triangulate(k, pa, ua, pb, ub) else { continue };
                if parallax_cos(&x, &ca, &cb) > TYPICAL_MIN_PARALLAX_DEG.to_radians().cos() {
                    continue;
                }
                let (qa, qb) = (pa * x, pb * x);
                let ok = [(qa, ua), (qb, ub)].iter().all(|(q, u)| cam.project(q).map(|(x, y)| (x - u.x).hypot(y - u.y) < TYPICAL_MAX_REPROJ_PX).unwrap_or(false));
                if ok {
                    ds.push(qa.z);
                }
            }
        }
    }
    Ok(median(&mut ds))
}
