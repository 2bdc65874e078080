//! Focal length from vanishing points, for captures whose intrinsics are
//! unknown (no `--calib`, no `--fov`, none in the capture). Rooms are
//! Manhattan worlds: most straight edges run along three orthogonal
//! directions, and the images of two orthogonal directions, the vanishing
//! points v1 and v2 (pixels relative to the principal point), satisfy
//! `v1 · v2 + f² = 0`.
//!
//! Per frame: line segments (OpenCV LSD) → RANSAC over samples of two line
//! pairs (each pair meets at a vanishing point; the two points give f) scored
//! by the length of segments consistent with the Manhattan frame that f and
//! the two points imply → refinement of f by the orthogonality of the three
//! vanishing directions fitted to their segments → a reliability test (a
//! ±10 % change of f must bend the fitted directions measurably away from
//! 90°; it cannot when a vanishing point is at infinity). Frames are then
//! combined by the median, and the estimate is used only when enough frames
//! agree. Assumes square pixels and the principal point at the image centre.
//!
//! Knows nothing of tracking or the pipeline: grey images in, a
//! [`FocalEstimate`] out.

use super::source;
use super::{cv, ReconError};
use crate::geom::stats::median_mean;
use nalgebra::{Matrix3, Vector3};
use opencv::core::{Mat, Vec4f, Vector};
use opencv::imgproc;
use opencv::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Focal-estimation settings.
#[derive(Debug, Clone)]
pub struct FocalConfig {
    /// Segments shorter than this fraction of the image diagonal are ignored.
    pub min_segment: f64,
    /// At most this many (longest) segments per frame.
    pub max_segments: usize,
    /// RANSAC samples per frame.
    pub iterations: usize,
    /// A segment belongs to a vanishing direction within this angle
    /// (degrees, between its interpretation plane and the direction).
    pub inlier_deg: f64,
    /// Horizontal fields of view searched (degrees).
    pub min_hfov_deg: f64,
    pub max_hfov_deg: f64,
    /// A frame counts when ±10 % of f moves the fitted directions at least
    /// this far from orthogonal (degrees).
    pub min_sensitivity_deg: f64,
    /// ... and its directions are orthogonal within this (degrees) at its f.
    pub max_residual_deg: f64,
    /// Frames with an estimate needed for a usable result.
    pub min_frames: usize,
    /// Relative spread (1.4826 MAD / median) above which the result is unreliable.
    pub max_spread: f64,
    pub seed: u64,
    /// [`estimate_from_capture`]: frames read from the start of the capture,
    /// and every how many one is examined.
    pub scan_frames: usize,
    pub scan_stride: usize,
    /// Frames are examined downscaled to at most this width (pixels).
    pub work_width: i32,
}

impl Default for FocalConfig {
    fn default() -> Self {
        FocalConfig {
            min_segment: 0.04,
            max_segments: 300,
            iterations: 1500,
            inlier_deg: 1.0,
            min_hfov_deg: 30.0,
            max_hfov_deg: 110.0,
            min_sensitivity_deg: 1.5,
            max_residual_deg: 1.0,
            min_frames: 3,
            max_spread: 0.06,
            seed: 0,
            scan_frames: 240,
            scan_stride: 12,
            work_width: 640,
        }
    }
}

/// One frame's estimate.
#[derive(Debug, Clone, Serialize)]
pub struct FrameFocal {
    /// Focal length, pixels (of the image given).
    pub f: f64,
    /// Segments explained by the Manhattan frame.
    pub inliers: usize,
    /// Largest deviation from 90° between fitted directions at `f` (degrees).
    pub residual_deg: f64,
    /// Smallest deviation from 90° at 0.9 f or 1.1 f (degrees).
    pub sensitivity_deg: f64,
}

/// The combined estimate (reported in `report.json`).
#[derive(Debug, Clone, Serialize)]
pub struct FocalEstimate {
    /// "vanishing_points".
    pub method: String,
    /// Frames examined.
    pub frames: usize,
    /// Frames that gave a reliable estimate.
    pub frames_with_estimate: usize,
    /// Median focal length over those frames, pixels of the image size given
    /// (0 when none).
    pub f: f64,
    /// The same as a horizontal field of view (degrees).
    pub hfov_deg: f64,
    /// Robust relative spread of the frame estimates (1.4826 MAD / median).
    pub spread: f64,
    /// True when enough frames agree for the estimate to be used.
    pub reliable: bool,
    /// Why it is not reliable (empty when it is).
    pub reason: String,
    /// Per-frame focal lengths (pixels).
    pub per_frame: Vec<f64>,
}

/// A segment in centred pixel coordinates (principal point at the origin).
#[derive(Debug, Clone, Copy)]
struct Seg {
    /// Homogeneous line through the end points (normalised so a² + b² = 1).
    line: Vector3<f64>,
    len: f64,
}

/// Line segments of a grey image (LSD), centred on the image centre.
fn segments(gray: &Mat, cfg: &FocalConfig) -> Result<Vec<Seg>, ReconError> {
    let s = gray.size().map_err(cv("size"))?;
    let (cx, cy) = ((s.width as f64 - 1.0) / 2.0, (s.height as f64 - 1.0) / 2.0);
    let diag = (s.width as f64).hypot(s.height as f64);
    let mut lsd = imgproc::create_line_segment_detector_def().map_err(cv("LSD"))?;
    let mut lines: Vector<Vec4f> = Vector::new();
    lsd.detect_def(gray, &mut lines).map_err(cv("LSD detect"))?;
    let mut segs: Vec<Seg> = lines
        .iter()
        .filter_map(|l| {
            let (x1, y1, x2, y2) = (l[0] as f64 - cx, l[1] as f64 - cy, l[2] as f64 - cx, l[3] as f64 - cy);
            let len = (x2 - x1).hypot(y2 - y1);
            if len < cfg.min_segment * diag {
                return None;
            }
            let line = Vector3::new(x1, y1, 1.0).cross(&Vector3::new(x2, y2, 1.0));
            let n = line.x.hypot(line.y);
            (n > 1e-12).then(|| Seg { line: line / n, len })
        })
        .collect();
    segs.sort_by(|a, b| b.len.total_cmp(&a.len));
    segs.truncate(cfg.max_segments);
    Ok(segs)
}

/// The unit normal of a segment's interpretation plane for focal length f
/// (the plane through the camera centre and the segment).
#[inline]
fn plane_normal(s: &Seg, f: f64) -> Vector3<f64> {
    Vector3::new(f * s.line.x, f * s.line.y, s.line.z).normalize()
}

/// A vanishing point (centred pixels) as a unit direction for focal f.
#[inline]
fn direction(p: (f64, f64), f: f64) -> Vector3<f64> {
    Vector3::new(p.0, p.1, f).normalize()
}

/// Which of the three axes of `r` a segment's plane contains (within
/// `sin_tol`), if any.
fn axis_of(n: &Vector3<f64>, r: &Matrix3<f64>, sin_tol: f64) -> Option<usize> {
    (0..3).map(|k| (k, n.dot(&r.column(k)).abs())).filter(|(_, d)| *d < sin_tol).min_by(|a, b| a.1.total_cmp(&b.1)).map(|(k, _)| k)
}

/// Directions fitted to each axis' segments for focal f: the direction
/// most orthogonal to their plane normals (smallest eigenvector of the
/// length-weighted scatter). `None` for axes with fewer than `min` segments.
fn fit_directions(segs: &[Seg], assign: &[Option<usize>], f: f64, min: usize) -> [Option<Vector3<f64>>; 3] {
    let mut out = [None, None, None];
    for (k, slot) in out.iter_mut().enumerate() {
        let mut m = Matrix3::zeros();
        let mut count = 0;
        for (s, a) in segs.iter().zip(assign) {
            if *a == Some(k) {
                let n = plane_normal(s, f);
                m += s.len * n * n.transpose();
                count += 1;
            }
        }
        if count < min {
            continue;
        }
        let eig = m.symmetric_eigen();
        let i = (0..3).min_by(|&a, &b| eig.eigenvalues[a].total_cmp(&eig.eigenvalues[b])).unwrap_or(0);
        *slot = Some(eig.eigenvectors.column(i).into_owned());
    }
    out
}

/// Largest deviation from 90° (degrees) between the fitted directions.
fn orthogonality_residual(dirs: &[Option<Vector3<f64>>; 3]) -> Option<f64> {
    let mut worst: Option<f64> = None;
    for i in 0..3 {
        for j in i + 1..3 {
            if let (Some(a), Some(b)) = (dirs[i], dirs[j]) {
                let dev = a.dot(&b).abs().clamp(0.0, 1.0).asin().to_degrees();
                worst = Some(worst.map_or(dev, |w: f64| w.max(dev)));
            }
        }
    }
    worst
}

/// An orthonormal frame from two or three fitted directions (the best
/// fitted first; the missing one by the cross product).
fn frame_from(dirs: &[Option<Vector3<f64>>; 3]) -> Option<Matrix3<f64>> {
    let have: Vec<Vector3<f64>> = dirs.iter().flatten().copied().collect();
    let (a, b) = (*have.first()?, *have.get(1)?);
    let b = (b - a * a.dot(&b)).try_normalize(1e-9)?;
    Some(Matrix3::from_columns(&[a, b, a.cross(&b)]))
}

/// Segments per vanishing direction needed to fit it.
const MIN_SEGMENTS_PER_AXIS: usize = 6;

/// Estimates the focal length (pixels) from one grey image, `None` when
/// the image does not determine it.
pub fn estimate_frame(gray: &Mat, cfg: &FocalConfig, rng: &mut ChaCha8Rng) -> Result<Option<FrameFocal>, ReconError> {
    let s = gray.size().map_err(cv("size"))?;
    let w = s.width as f64;
    let segs = segments(gray, cfg)?;
    if segs.len() < 2 * MIN_SEGMENTS_PER_AXIS {
        return Ok(None);
    }
    let f_of = |hfov: f64| 0.5 * w / (0.5 * hfov.to_radians()).tan();
    let (f_min, f_max) = (f_of(cfg.max_hfov_deg), f_of(cfg.min_hfov_deg));
    let sin_tol = cfg.inlier_deg.to_radians().sin();
    let n = segs.len();
    let total_len: f64 = segs.iter().map(|s| s.len).sum();
    let mut best: Option<(f64, f64, Matrix3<f64>)> = None;
    for _ in 0..cfg.iterations {
        let idx: [usize; 4] = std::array::from_fn(|_| rng.random_range(0..n));
        if idx[0] == idx[1] || idx[2] == idx[3] || idx[0] == idx[2] || idx[0] == idx[3] || idx[1] == idx[2] || idx[1] == idx[3] {
            continue;
        }
        let v1 = segs[idx[0]].line.cross(&segs[idx[1]].line);
        let v2 = segs[idx[2]].line.cross(&segs[idx[3]].line);
        if v1.z.abs() < 1e-12 || v2.z.abs() < 1e-12 {
            continue;
        }
        let (p1, p2) = ((v1.x / v1.z, v1.y / v1.z), (v2.x / v2.z, v2.y / v2.z));
        let f2 = -(p1.0 * p2.0 + p1.1 * p2.1);
        if !(f2 > f_min * f_min && f2 < f_max * f_max) {
            continue;
        }
        let f = f2.sqrt();
        let d1 = direction(p1, f);
        let d2 = direction(p2, f);
        let d2 = (d2 - d1 * d1.dot(&d2)).normalize();
        let r = Matrix3::from_columns(&[d1, d2, d1.cross(&d2)]);
        let score: f64 = segs.iter().filter(|sg| axis_of(&plane_normal(sg, f), &r, sin_tol).is_some()).map(|sg| sg.len).sum();
        if best.as_ref().map(|b| score > b.0).unwrap_or(true) {
            best = Some((score, f, r));
        }
    }
    let Some((score, f0, r0)) = best else { return Ok(None) };
    if score < 0.3 * total_len {
        return Ok(None);
    }
    // Refine: with the segments assigned to axes, f by the orthogonality
    // of the fitted directions (±25 % in 0.25 % steps); then reassign with
    // the frame the fitted directions give and refine once more, finer.
    let mut assign: Vec<Option<usize>> = segs.iter().map(|sg| axis_of(&plane_normal(sg, f0), &r0, 2.0 * sin_tol)).collect();
    let scan = |assign: &[Option<usize>], centre: f64, step: f64, steps: i32| -> (f64, f64) {
        let mut best = (centre, f64::MAX);
        for i in -steps..=steps {
            let f = centre * (1.0 + step * i as f64);
            if !(f_min..=f_max).contains(&f) {
                continue;
            }
            if let Some(res) = orthogonality_residual(&fit_directions(&segs, assign, f, MIN_SEGMENTS_PER_AXIS)) {
                if res < best.1 {
                    best = (f, res);
                }
            }
        }
        best
    };
    let (mut f, mut residual) = scan(&assign, f0, 0.0025, 100);
    if residual == f64::MAX {
        return Ok(None);
    }
    if let Some(r) = frame_from(&fit_directions(&segs, &assign, f, MIN_SEGMENTS_PER_AXIS)) {
        let again: Vec<Option<usize>> = segs.iter().map(|sg| axis_of(&plane_normal(sg, f), &r, 1.5 * sin_tol)).collect();
        let (f2, res2) = scan(&again, f, 0.001, 50);
        if res2 < f64::MAX {
            (f, residual, assign) = (f2, res2, again);
        }
    }
    let inliers = assign.iter().filter(|a| a.is_some()).count();
    let at = |scale: f64| orthogonality_residual(&fit_directions(&segs, &assign, f * scale, MIN_SEGMENTS_PER_AXIS)).unwrap_or(0.0);
    let sensitivity = at(0.9).min(at(1.1));
    if residual > cfg.max_residual_deg || sensitivity < cfg.min_sensitivity_deg {
        return Ok(None);
    }
    Ok(Some(FrameFocal { f, inliers, residual_deg: residual, sensitivity_deg: sensitivity }))
}

/// Estimates the focal length from several grey frames of one camera (all
/// the same size) and says whether the estimate can be trusted.
pub fn estimate(frames: &[Mat], cfg: &FocalConfig) -> Result<FocalEstimate, ReconError> {
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut per: Vec<f64> = vec![];
    let mut width = 0.0;
    for g in frames {
        width = g.size().map_err(cv("size"))?.width as f64;
        if let Some(e) = estimate_frame(g, cfg, &mut rng)? {
            per.push(e.f);
        }
    }
    let median = |v: &[f64]| median_mean(v).unwrap_or(0.0);
    let f = median(&per);
    let dev: Vec<f64> = per.iter().map(|x| (x - f).abs()).collect();
    let spread = if f > 0.0 { 1.4826 * median(&dev) / f } else { 0.0 };
    let hfov_deg = if f > 0.0 { 2.0 * (0.5 * width / f).atan().to_degrees() } else { 0.0 };
    let reason = if per.len() < cfg.min_frames {
        format!("only {} of {} frames showed orthogonal vanishing points (need {})", per.len(), frames.len(), cfg.min_frames)
    } else if spread > cfg.max_spread {
        format!("frame estimates disagree (spread {:.1} % > {:.1} %)", 100.0 * spread, 100.0 * cfg.max_spread)
    } else {
        String::new()
    };
    Ok(FocalEstimate {
        method: "vanishing_points".into(),
        frames: frames.len(),
        frames_with_estimate: per.len(),
        f,
        hfov_deg,
        spread,
        reliable: reason.is_empty(),
        reason,
        per_frame: per,
    })
}

/// Reads the first `cfg.scan_frames` frames of the capture at `input`,
/// examines every `cfg.scan_stride`-th (downscaled to `cfg.work_width`)
/// and returns the estimate in pixels of the capture's full resolution.
pub fn estimate_from_capture(input: &std::path::Path, fps: f64, cfg: &FocalConfig) -> Result<FocalEstimate, ReconError> {
    let mut src = source::open(input, fps)?;
    let mut grays = vec![];
    let mut scale = 1.0;
    let mut read = 0usize;
    while read < cfg.scan_frames {
        let Some(frame) = src.next_frame()? else { break };
        read += 1;
        if (read - 1) % cfg.scan_stride.max(1) != 0 {
            continue;
        }
        let s = frame.image.size().map_err(cv("size"))?;
        scale = (cfg.work_width as f64 / s.width.max(1) as f64).min(1.0);
        let mut g = Mat::default();
        imgproc::cvt_color_def(&frame.image, &mut g, imgproc::COLOR_BGR2GRAY).map_err(cv("grey conversion"))?;
        if scale < 1.0 {
            let size = opencv::core::Size::new(((s.width as f64 * scale).round() as i32).max(1), ((s.height as f64 * scale).round() as i32).max(1));
            let mut small = Mat::default();
            imgproc::resize(&g, &mut small, size, 0.0, 0.0, imgproc::INTER_AREA).map_err(cv("resize"))?;
            g = small;
        }
        grays.push(g);
    }
    let mut e = estimate(&grays, cfg)?;
    e.f /= scale;
    e.per_frame.iter_mut().for_each(|f| *f /= scale);
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recon::calib::Intrinsics;
    use crate::recon::testscene::{render, walk_trajectory, Scene};

    fn frames(hfov: f64, n: usize) -> (Intrinsics, Vec<Mat>) {
        let k = Intrinsics::from_hfov(480, 360, hfov);
        let scene = Scene::standard(2);
        let poses = walk_trajectory(&scene, 40, 1.45, 3.0);
        let grays = poses
            .iter()
            .step_by(40 / n)
            .take(n)
            .map(|p| {
                let (img, _) = render(&scene, &k, p).unwrap();
                let mut g = Mat::default();
                imgproc::cvt_color_def(&img, &mut g, imgproc::COLOR_BGR2GRAY).unwrap();
                g
            })
            .collect();
        (k, grays)
    }

    #[test]
    fn recovers_focal_lengths_other_than_the_default() {
        for hfov in [50.0, 80.0] {
            let (k, g) = frames(hfov, 6);
            let e = estimate(&g, &FocalConfig::default()).unwrap();
            eprintln!("hfov {hfov}: true f {:.1}, estimate {e:?}", k.fx);
            assert!(e.reliable, "{e:?}");
            assert!((e.f / k.fx - 1.0).abs() < 0.03, "true {} est {}", k.fx, e.f);
        }
    }

    #[test]
    fn capture_estimate_is_in_full_resolution_pixels() {
        let k = Intrinsics::from_hfov(720, 540, 58.0);
        let scene = Scene::standard(4);
        let dir = tempfile::tempdir().unwrap();
        for (i, p) in walk_trajectory(&scene, 36, 1.45, 2.5).iter().enumerate().step_by(6) {
            let (img, _) = render(&scene, &k, p).unwrap();
            opencv::imgcodecs::imwrite_def(dir.path().join(format!("{i:03}.png")).to_str().unwrap(), &img).unwrap();
        }
        let cfg = FocalConfig { scan_stride: 1, work_width: 360, ..Default::default() };
        let e = estimate_from_capture(dir.path(), 30.0, &cfg).unwrap();
        eprintln!("true f {:.1}, estimate {e:?}", k.fx);
        assert_eq!(e.frames, 6);
        assert!(e.reliable && (e.f / k.fx - 1.0).abs() < 0.03, "true {} {e:?}", k.fx);
        assert!((e.hfov_deg - 58.0).abs() < 1.5, "{e:?}");
    }

    #[test]
    fn featureless_frames_are_unreliable() {
        let g = Mat::new_rows_cols_with_default(240, 320, opencv::core::CV_8UC1, opencv::core::Scalar::all(128.0)).unwrap();
        let e = estimate(&[g.clone(), g.clone(), g], &FocalConfig::default()).unwrap();
        assert!(!e.reliable && e.frames_with_estimate == 0 && e.reason.contains("only 0 of 3"), "{e:?}");
    }
}
