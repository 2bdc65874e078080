//! Alignment of a reconstruction to our world frame (+z up, floor z = 0,
//! walls along x/y, metres).
//!
//! 1. **Up**, first guess: the vertical vanishing direction
//!    ([`super::vertical`]) when found, else the cameras' level prior
//!    ([`camera_up_prior`]: a handheld camera is held without roll, so up
//!    is perpendicular to every camera's x axis).
//! 2. **Horizontal planes** near that guess (sequential RANSAC on points
//!    whose normals are near-vertical), each with its height, support and
//!    area. The **floor** is the lowest plane clearly below *all* cameras
//!    whose area is a sizeable fraction of the largest such plane (a table
//!    top is smaller and higher); the **ceiling** the highest one clearly
//!    above all cameras.
//! 3. **Gravity**: an anchor (the vanishing direction, else the level
//!    cameras' up, else the floor, the ceiling, the cameras' mean up) and
//!    the other estimates that agree with it are averaged by weight (each
//!    reported with its angle to the result).
//! 4. **Yaw** from the wall normals (Manhattan, `crate::cloud::align`).
//! 5. **Scale** (monocular maps) from priors: camera height above the
//!    floor, ceiling height, each a log-normal estimate with its own
//!    uncertainty; estimates more than [`OUTLIER_SIGMAS`] off the weighted
//!    median are left out, the rest averaged with inverse-variance weights.
//!    `--scale` and `--camera-height` override. Door heights
//!    ([`super::doors`]) are measured and reported ("door_height") but not
//!    used yet ([`USE_DOOR_HEIGHT`]).

use super::doors::DoorConfig;
use super::report::{AlignReport, GravityEstimate, ScaleEstimate};
use super::vertical::Vertical;
use crate::cloud::align::manhattan_yaw;
use crate::cloud::{estimate_normals, voxel_downsample, NormalConfig, NormalOrientation, PointCloud};
use crate::geom::plane::PlaneEstimator;
use crate::geom::ransac::{ransac, RansacConfig};
use crate::geom::stats::median;
pub use crate::geom::umeyama::Sim3;
use nalgebra::{Matrix3, Point3, Rotation3, UnitQuaternion, Vector3};
use std::collections::HashSet;

/// Prior: phone held at chest/eye height while filming a room (metres).
pub const PRIOR_CAMERA_HEIGHT_M: f64 = 1.45;
/// Relative spread of the camera-height prior (1σ; people and grips vary).
pub const PRIOR_CAMERA_HEIGHT_SIGMA: f64 = 0.08;
/// Prior: typical residential ceiling height (metres; 2.4-2.7 m is common).
pub const PRIOR_CEILING_HEIGHT_M: f64 = 2.6;
/// Relative spread of the ceiling prior (1σ).
pub const PRIOR_CEILING_HEIGHT_SIGMA: f64 = 0.1;
/// Prior: interior door height (metres) — the top of the opening above
/// the floor. US residential interior doors are 80 in = 2.032 m (6'8", the
/// standard height in ICC IRC R311.2 and door makers' catalogues); German
/// DIN 18101 openings are 2.01 m nominal (2.005–2.135 m by series), UK
/// doors 1.981 m (6'6"). 2.03 m sits in the middle of that range.
pub const PRIOR_DOOR_HEIGHT_M: f64 = 2.03;
/// Relative spread of one door-height measurement against the prior (1σ,
/// ~4 %: the standards above span 1.98–2.13 m); several doors are combined
/// by their median, with the same σ.
pub const PRIOR_DOOR_HEIGHT_SIGMA: f64 = 0.04;
/// Whether the door-height estimate enters the combined scale. Not yet:
/// on the synthetic dev walks (seeds 1–8 monocular, 9–14 RGB-D) the
/// clouds hardly reach door-top height (the camera looks down; 99 % of the
/// points lie below 0.9–1.6 m monocular, 1.7–2.4 m RGB-D), so no door with
/// a lintel was found to check it against (eval/results/recon.md).
/// Reported in `scale_estimates` with `used: false` and its deviation.
pub const USE_DOOR_HEIGHT: bool = false;
/// Spread of a user-given `--camera-height` (1σ, relative).
const GIVEN_CAMERA_HEIGHT_SIGMA: f64 = 0.02;
/// Estimates further than this many of their σ from the weighted median
/// are outliers.
pub const OUTLIER_SIGMAS: f64 = 2.5;
/// Typical distance from a handheld camera to the surfaces it sees in a
/// room (metres): converts metric thresholds to map units before scale.
const TYPICAL_VIEW_DISTANCE_M: f64 = 2.5;
/// Working voxel and plane inlier distance (metres).
const WORK_VOXEL_M: f64 = 0.04;
const PLANE_THRESHOLD_M: f64 = 0.03;
/// Horizontal-plane search: normals within this angle of the up guess
/// (degrees) when the guess is good (vanishing point, capture) or rough
/// (cameras' mean up).
const PLANE_TOL_GOOD_DEG: f64 = 10.0;
const PLANE_TOL_ROUGH_DEG: f64 = 30.0;
/// Planes extracted at most, and the fewest inliers of one.
const MAX_PLANES: usize = 10;
const MIN_PLANE_POINTS: usize = 30;
/// RANSAC hypotheses per plane.
const PLANE_ITERS: usize = 400;
/// Cell edge for plane areas (metres).
const AREA_CELL_M: f64 = 0.1;
/// Floor: at least this far below the lowest camera; ceiling: this far
/// above the highest (metres).
const FLOOR_BELOW_CAMERAS_M: f64 = 0.4;
const CEILING_ABOVE_CAMERAS_M: f64 = 0.2;
/// A floor / ceiling candidate needs this fraction of the largest
/// candidate's area on its side of the cameras, and this area (m²).
const PLANE_AREA_RATIO: f64 = 0.2;
const MIN_PLANE_AREA_M2: f64 = 0.2;
/// Searches for a lower floor below the chosen one: at most this many
/// steps, starting this many inlier thresholds below it, needing this area
/// (m²) and this fraction of the current floor's area.
const LOWER_FLOOR_SEARCHES: usize = 3;
const LOWER_FLOOR_GAP: f64 = 5.0;
/// A floor candidate this large (m²) is taken as the floor without looking
/// lower (stereo noise can form sparse layers just below a floor).
const SURE_FLOOR_AREA_M2: f64 = 2.0;
const LOWER_FLOOR_MIN_AREA_M2: f64 = 0.1;
const LOWER_FLOOR_AREA_RATIO: f64 = 0.05;
/// Estimates within this angle of the gravity anchor are averaged with it
/// (degrees).
const GRAVITY_AGREE_DEG: f64 = 2.5;
/// Which up estimate anchors gravity, most trusted first.
const GRAVITY_ANCHOR_ORDER: [&str; 6] = ["capture", "vertical_vanishing_point", "camera_level", "floor_plane", "ceiling_plane", "camera_prior"];
/// A vertical vanishing direction further than this from the cameras' up
/// prior ([`camera_up_prior`]) is not trusted as the gravity anchor (degrees): a phone filming
/// a room is held within about this pitch on average, while a wrong vanishing
/// point (a dominant family of slanted lines) can be far off — seen on a
/// synthetic RGB-D walk where the vanishing point was 40° off and the floor
/// search around it then missed the floor.
const VP_PRIOR_GATE_DEG: f64 = 30.0;
/// The same gate when the prior is the level constraint of turning cameras
/// (degrees): that prior is good to 1–2° (camera roll; 0.4–1.8° on the
/// evaluation walks), so a vanishing direction 6° away is a wrong one
/// (eval seed 1000001: 8.8° away, 10° off the truth, while the floor
/// plane agreed with the prior).
const VP_LEVEL_GATE_DEG: f64 = 6.0;
/// Weights of the averaged up estimates: the vanishing direction counts
/// fully from this many supporting segments; a floor from this area (m²)
/// (small floor patches seen at grazing angles tilt by a degree or more);
/// a ceiling half as much as a floor.
const VP_FULL_SEGMENTS: f64 = 100.0;
const PLANE_FULL_AREA_M2: f64 = 4.0;
const CEILING_WEIGHT: f64 = 0.5;
/// Weight of the level cameras' up in the average (a full vanishing
/// direction weighs 1): on the synthetic walks it was as close to the truth
/// as the vanishing direction or the floor (0.5–2.3° against 0.3–4.7°).
const LEVEL_WEIGHT: f64 = 1.0;
/// Level prior: the cameras' x axes must spread at least this much
/// (second-smallest eigenvalue of their mean outer product; 0.02 ≈ ±8° of
/// yaw) to pin up to their common perpendicular.
const LEVEL_MIN_SPREAD: f64 = 0.02;
/// The level prior is not used when it is further than this from the
/// cameras' mean −y (degrees): the frames are rolled (a rotated video).
const LEVEL_MAX_PITCH_DEG: f64 = 60.0;
/// Plausible ceiling height / camera height (2.1-3.5 m over 1.2-1.6 m).
const CEILING_OVER_CAMERA: (f64, f64) = (1.3, 3.0);

/// Alignment settings.
#[derive(Debug, Clone, Default)]
pub struct AlignConfig {
    /// The map is metric already (RGB-D, capture poses).
    pub metric: bool,
    /// The map's z axis is already up (capture poses from ARKit-family apps).
    pub gravity_known: bool,
    /// `--scale`: map units → metres, overrides the priors.
    pub scale: Option<f64>,
    /// `--camera-height`: metres, replaces the prior.
    pub camera_height: Option<f64>,
    /// The cameras' median height above the floor each of them sees (map
    /// units, [`super::drift`]): when given, the camera-height scale
    /// estimate ("camera_height_local_floors") uses it instead of the
    /// height above the one floor plane of the whole cloud, which a
    /// drifting map smears over several heights.
    pub local_camera_height: Option<f64>,
}

/// A horizontal plane of the working cloud.
#[derive(Debug, Clone)]
struct HPlane {
    /// Unit normal (toward the up guess).
    n: Vector3<f64>,
    /// Median height of the inliers along the up guess (map units).
    h: f64,
    inliers: Vec<usize>,
    /// Occupied area (map units²).
    area: f64,
}

/// Two unit vectors spanning the plane perpendicular to `n`.
fn basis(n: &Vector3<f64>) -> (Vector3<f64>, Vector3<f64>) {
    let a = if n.x.abs() < 0.9 { Vector3::x() } else { Vector3::y() };
    let u = n.cross(&a).normalize();
    (u, n.cross(&u))
}

/// Horizontal planes among `pts` (with `normals`) near `up`.
/// Horizontal planes (at most `max_planes`, each with `min_inliers`)
/// among the points below height `below` along `up`.
#[allow(clippy::too_many_arguments)]
fn horizontal_planes(pts: &[Point3<f64>], normals: &[Vector3<f64>], up: &Vector3<f64>, tol_deg: f64, thr: f64, cell: f64, seed: u64, below: f64, min_inliers: usize, max_planes: usize) -> Vec<HPlane> {
    // Point normals must be near `up` too (planes' own points), unless the
    // search is below the floor where points are few and normals noisy.
    let cos_tol = if below < f64::MAX { 0.0 } else { tol_deg.to_radians().cos() };
    let mut remaining: Vec<usize> = (0..pts.len()).filter(|&i| normals[i].dot(up).abs() >= cos_tol && up.dot(&pts[i].coords) < below).collect();
    let est = PlaneEstimator::near_axis(*up, tol_deg.to_radians());
    let (bu, bv) = basis(up);
    let mut out = vec![];
    for k in 0..max_planes {
        let data: Vec<Point3<f64>> = remaining.iter().map(|&i| pts[i]).collect();
        let rc = RansacConfig { threshold: thr, max_iterations: PLANE_ITERS, confidence: 0.999, min_inliers, seed: seed.wrapping_add(k as u64) };
        let Ok(fit) = ransac(&est, &data, &rc) else { break };
        let inl: Vec<usize> = fit.inliers.iter().map(|&j| remaining[j]).collect();
        // Least-squares normal of the inliers.
        let c = inl.iter().fold(Vector3::zeros(), |s, &i| s + pts[i].coords) / inl.len() as f64;
        let mut cov = nalgebra::Matrix3::zeros();
        for &i in &inl {
            let q = pts[i].coords - c;
            cov += q * q.transpose();
        }
        let e = cov.symmetric_eigen();
        let imin = e.eigenvalues.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)).map(|x| x.0).unwrap_or(0);
        let mut n = e.eigenvectors.column(imin).into_owned();
        if n.dot(up) < 0.0 {
            n = -n;
        }
        let mut hs: Vec<f64> = inl.iter().map(|&i| up.dot(&pts[i].coords)).collect();
        let h = median(&mut hs).unwrap_or(0.0);
        let cells: HashSet<(i64, i64)> = inl.iter().map(|&i| ((bu.dot(&pts[i].coords) / cell).floor() as i64, (bv.dot(&pts[i].coords) / cell).floor() as i64)).collect();
        let taken: HashSet<usize> = inl.iter().copied().collect();
        remaining.retain(|i| !taken.contains(i));
        out.push(HPlane { n, h, area: cells.len() as f64 * cell * cell, inliers: inl });
    }
    out
}

/// Floor and ceiling among `planes` given the cameras' heights range.
fn floor_and_ceiling(planes: &[HPlane], cam_lo: f64, cam_hi: f64, units: f64) -> (Option<usize>, Option<usize>) {
    let min_area = MIN_PLANE_AREA_M2 * units * units;
    let pick = |below: bool| -> Option<usize> {
        let side: Vec<usize> = (0..planes.len())
            .filter(|&i| if below { planes[i].h < cam_lo - FLOOR_BELOW_CAMERAS_M * units } else { planes[i].h > cam_hi + CEILING_ABOVE_CAMERAS_M * units })
            .collect();
        let big = side.iter().map(|&i| planes[i].area).fold(0.0, f64::max);
        let ok = side.into_iter().filter(|&i| planes[i].area >= (PLANE_AREA_RATIO * big).max(min_area));
        if below {
            ok.min_by(|&a, &b| planes[a].h.total_cmp(&planes[b].h))
        } else {
            ok.max_by(|&a, &b| planes[a].h.total_cmp(&planes[b].h))
        }
    };
    (pick(true), pick(false))
}

/// Combines log-normal scale estimates: weighted median, outliers beyond
/// [`OUTLIER_SIGMAS`] dropped, inverse-variance mean of the rest. Marks
/// `used` and `deviation`; returns the scale.
fn combine_scales(est: &mut [ScaleEstimate]) -> Option<f64> {
    if est.is_empty() {
        return None;
    }
    let mut order: Vec<usize> = (0..est.len()).collect();
    order.sort_by(|&a, &b| est[a].scale.total_cmp(&est[b].scale));
    let total: f64 = est.iter().map(|e| e.sigma.powi(-2)).sum();
    let mut acc = 0.0;
    let mut med = est[order[0]].scale;
    for &i in &order {
        acc += est[i].sigma.powi(-2);
        if acc >= total / 2.0 {
            med = est[i].scale;
            break;
        }
    }
    let (mut num, mut den) = (0.0, 0.0);
    for e in est.iter_mut() {
        e.used = (e.scale / med).ln().abs() <= OUTLIER_SIGMAS * e.sigma;
        if e.used {
            num += e.scale.ln() / e.sigma.powi(2);
            den += e.sigma.powi(-2);
        }
    }
    let s = if den > 0.0 { (num / den).exp() } else { med };
    for e in est.iter_mut() {
        e.deviation = e.scale / s - 1.0;
    }
    Some(s)
}

/// Up (unit, map frame) from the cameras' orientations alone
/// (`world_from_camera` rotations in the map), assuming the camera is held
/// level: without roll, every camera's x axis is horizontal, so up is their
/// common perpendicular (the eigenvector of `Σ xᵢxᵢᵀ` with the smallest
/// eigenvalue, on the side of the cameras' −y axes). Unlike the cameras'
/// mean −y ("no pitch"), this does not tilt with a camera that looks down at
/// the floor, which phones filming rooms do by 15–30° on average. When the
/// x axes do not spread (the camera never turned), only the direction along
/// them is removed from the mean −y. `-y` of the map when there are no
/// cameras.
pub fn camera_up_prior(rotations: &[UnitQuaternion<f64>]) -> UpPrior {
    let minus_y = rotations.iter().fold(Vector3::zeros(), |a, r| a + r * -Vector3::y());
    let cameras = rotations.len();
    let pitch_only = |up: Vector3<f64>| UpPrior { up, level: false, cameras };
    if minus_y.norm() <= 1e-9 {
        return pitch_only(-Vector3::y());
    }
    let minus_y = minus_y.normalize();
    let mut m = Matrix3::zeros();
    for r in rotations {
        let x = r * Vector3::x();
        m += x * x.transpose();
    }
    let e = (m / rotations.len() as f64).symmetric_eigen();
    let mut order = [0, 1, 2];
    order.sort_by(|&a, &b| e.eigenvalues[a].total_cmp(&e.eigenvalues[b]));
    if e.eigenvalues[order[1]] >= LEVEL_MIN_SPREAD {
        let n = e.eigenvectors.column(order[0]).into_owned();
        let n = if n.dot(&minus_y) < 0.0 { -n } else { n };
        if n.angle(&minus_y).to_degrees() <= LEVEL_MAX_PITCH_DEG {
            return UpPrior { up: n, level: true, cameras };
        }
        return pitch_only(minus_y);
    }
    let along = e.eigenvectors.column(order[2]).into_owned();
    let p = minus_y - along * along.dot(&minus_y);
    if p.norm() <= 1e-9 || p.angle(&minus_y).to_degrees() > LEVEL_MAX_PITCH_DEG {
        return pitch_only(minus_y);
    }
    pitch_only(p.normalize())
}

/// The cameras' up prior ([`camera_up_prior`]).
#[derive(Debug, Clone, Copy)]
pub struct UpPrior {
    /// Unit up vector in the map.
    pub up: Vector3<f64>,
    /// `true` when the cameras turned enough for the level constraint to
    /// fix up on its own (good to a degree or two); `false` when it rests on
    /// the cameras' mean −y (off by their mean pitch).
    pub level: bool,
    /// Cameras it was computed from.
    pub cameras: usize,
}

/// Computes the map → world similarity. `points` are map points, `centres`
/// camera centres, `up_prior` the cameras' up ([`camera_up_prior`] of
/// their `world_from_camera` rotations in the map),
/// `vertical` the vertical vanishing direction when one was found.
pub fn align(points: &[Point3<f64>], centres: &[Point3<f64>], up_prior: &UpPrior, vertical: Option<&Vertical>, cfg: &AlignConfig, seed: u64) -> (Sim3, AlignReport) {
    let mut rep = AlignReport::default();
    let cam_prior = up_prior.up;
    let gate = if up_prior.level { VP_LEVEL_GATE_DEG } else { VP_PRIOR_GATE_DEG };
    let prior = if cfg.gravity_known { Vector3::z() } else { cam_prior };
    let vertical_raw = vertical.filter(|_| !cfg.gravity_known);
    let vertical = vertical_raw.filter(|v| v.up.angle(&cam_prior).to_degrees() <= gate);
    // Map units per metre, roughly.
    let mut ds: Vec<f64> = points.iter().map(|p| (p - centres.first().copied().unwrap_or(Point3::origin())).norm()).collect();
    let units = if cfg.metric { 1.0 } else { median(&mut ds).unwrap_or(0.0).max(1e-9) / TYPICAL_VIEW_DISTANCE_M };
    let thr = PLANE_THRESHOLD_M * units;

    // Working copy with normals.
    let cloud = PointCloud::from_points(points.iter().map(|p| [p.x as f32, p.y as f32, p.z as f32]).collect());
    let work = voxel_downsample(&cloud, (WORK_VOXEL_M * units) as f32).unwrap_or(cloud);
    let normals: Vec<Vector3<f64>> = estimate_normals(&work.points, &NormalConfig { k: 16, orientation: NormalOrientation::Unoriented })
        .map(|n| n.iter().map(|v| Vector3::new(v[0] as f64, v[1] as f64, v[2] as f64)).collect())
        .unwrap_or_default();
    let wpts: Vec<Point3<f64>> = work.points.iter().map(|p| Point3::new(p[0] as f64, p[1] as f64, p[2] as f64)).collect();
    let have_normals = normals.len() == wpts.len() && !wpts.is_empty();

    // 1-2. First up guess, horizontal planes, floor and ceiling.
    let (g0, tol) = match vertical {
        Some(v) => (v.up, PLANE_TOL_GOOD_DEG),
        None if cfg.gravity_known => (prior, PLANE_TOL_GOOD_DEG),
        None => (prior, PLANE_TOL_ROUGH_DEG),
    };
    let cell = AREA_CELL_M * units;
    let mut planes = if have_normals { horizontal_planes(&wpts, &normals, &g0, tol, thr, cell, seed, f64::MAX, MIN_PLANE_POINTS, MAX_PLANES) } else { vec![] };
    let hc: Vec<f64> = centres.iter().map(|c| g0.dot(&c.coords)).collect();
    let cam_lo = hc.iter().copied().fold(f64::MAX, f64::min);
    let cam_hi = hc.iter().copied().fold(f64::MIN, f64::max);
    let (mut floor, ceiling) = if centres.is_empty() { (None, None) } else { floor_and_ceiling(&planes, cam_lo, cam_hi, units) };
    // The true floor may be a smaller patch further down (seen at grazing
    // angles or between furniture, while a sofa or bed top is large): look
    // below the chosen one (or below the cameras) with relaxed support.
    if have_normals && !centres.is_empty() {
        for k in 0..LOWER_FLOOR_SEARCHES {
            if floor.is_some_and(|f| planes[f].area >= SURE_FLOOR_AREA_M2 * units * units) {
                break; // as large as a room's floor: not furniture
            }
            let limit = floor.map(|f| planes[f].h - LOWER_FLOOR_GAP * thr).unwrap_or(cam_lo - FLOOR_BELOW_CAMERAS_M * units);
            let need = (LOWER_FLOOR_MIN_AREA_M2 * units * units).max(floor.map(|f| LOWER_FLOOR_AREA_RATIO * planes[f].area).unwrap_or(0.0));
            match horizontal_planes(&wpts, &normals, &g0, tol, thr, cell, seed.wrapping_add(100 + k as u64), limit, MIN_PLANE_POINTS / 2, 1).into_iter().next() {
                Some(p) if p.area >= need => {
                    planes.push(p);
                    floor = Some(planes.len() - 1);
                }
                _ => break,
            }
        }
    }

    // 3. Gravity.
    let mut ge: Vec<GravityEstimate> = vec![];
    let mut push = |source: &str, up: Vector3<f64>, support: usize| ge.push(GravityEstimate { source: source.into(), up: [up.x, up.y, up.z], support, angle_to_chosen_deg: 0.0, used: false });
    if cfg.gravity_known {
        push("capture", Vector3::z(), 0);
    }
    if let Some(v) = vertical {
        push("vertical_vanishing_point", v.up, v.inliers);
    } else if let Some(v) = vertical_raw {
        // Found but too far from the cameras' up: listed, never used.
        push("vertical_vanishing_point_rejected", v.up, v.inliers);
    }
    if let Some(f) = floor {
        push("floor_plane", planes[f].n, planes[f].inliers.len());
    }
    if let Some(c) = ceiling {
        push("ceiling_plane", planes[c].n, planes[c].inliers.len());
    }
    push(if up_prior.level { "camera_level" } else { "camera_prior" }, cam_prior, up_prior.cameras);
    let vec_of = |e: &GravityEstimate| Vector3::from(e.up);
    // The anchor is the most trusted estimate present; the others within
    // GRAVITY_AGREE_DEG of it are averaged in by weight.
    let area = |i: Option<usize>| i.map(|i| planes[i].area / (units * units)).unwrap_or(0.0);
    let weights: Vec<f64> = ge
        .iter()
        .map(|e| match e.source.as_str() {
            "vertical_vanishing_point" => (e.support as f64 / VP_FULL_SEGMENTS).min(1.0),
            "camera_level" => LEVEL_WEIGHT,
            "floor_plane" => (area(floor) / PLANE_FULL_AREA_M2).min(1.0),
            "ceiling_plane" => CEILING_WEIGHT * (area(ceiling) / PLANE_FULL_AREA_M2).min(1.0),
            _ => 0.0,
        })
        .collect();
    let anchor = GRAVITY_ANCHOR_ORDER.iter().find_map(|r| ge.iter().position(|e| e.source == *r)).unwrap_or(ge.len() - 1);
    let up = if ge[anchor].source == "capture" {
        ge[anchor].used = true;
        Vector3::z()
    } else {
        let va = vec_of(&ge[anchor]);
        let mut sum = Vector3::zeros();
        for (i, e) in ge.iter_mut().enumerate() {
            let w = if i == anchor {
                weights[i].max(1e-3)
            } else if weights[i] > 0.0 && vec_of(e).angle(&va).to_degrees() <= GRAVITY_AGREE_DEG {
                weights[i]
            } else {
                continue;
            };
            e.used = true;
            sum += vec_of(e) * w;
        }
        sum.normalize()
    };
    for e in ge.iter_mut() {
        e.angle_to_chosen_deg = vec_of(e).angle(&up).to_degrees();
    }
    rep.gravity_source = ge.iter().filter(|e| e.used).map(|e| e.source.as_str()).collect::<Vec<_>>().join("+");
    rep.gravity_prior_disagreement_deg = cam_prior.angle(&up).to_degrees();
    rep.gravity_estimates = ge;

    // Level, then heights along the final up.
    let level = Rotation3::rotation_between(&up, &Vector3::z()).unwrap_or_else(|| Rotation3::from_axis_angle(&Vector3::x_axis(), std::f64::consts::PI));
    let height = |idx: &[usize]| {
        let mut zs: Vec<f64> = idx.iter().map(|&i| (level * wpts[i]).z).collect();
        median(&mut zs).unwrap_or(0.0)
    };
    let floor_z = match floor {
        Some(f) => {
            rep.floor_points = planes[f].inliers.len();
            height(&planes[f].inliers)
        }
        None => {
            // No floor plane: the lowest 2 % of the points.
            let mut zs: Vec<f64> = points.iter().map(|p| (level * p).z).collect();
            zs.sort_by(|a, b| a.total_cmp(b));
            zs.get(zs.len() / 50).copied().unwrap_or(0.0)
        }
    };
    let ceiling_h = ceiling.map(|c| height(&planes[c].inliers) - floor_z);

    // 4. Manhattan yaw from wall normals.
    let mut yaw = 0.0;
    rep.yaw_source = "none".into();
    if have_normals {
        let angles: Vec<(f64, f64)> = normals.iter().map(|n| level * n).filter(|n| n.z.abs() <= 0.3).map(|n| (n.y.atan2(n.x), n.xy().norm())).collect();
        if let Some((phi, support)) = manhattan_yaw(&angles) {
            if support > 0.2 {
                yaw = -phi;
                rep.yaw_source = "manhattan_walls".into();
            }
        }
    }
    let rot = Rotation3::from_axis_angle(&Vector3::z_axis(), yaw) * level;
    let rotation = rot;

    // 5. Scale.
    let mut cz: Vec<f64> = centres.iter().map(|c| (level * c).z - floor_z).collect();
    let cam_height = median(&mut cz).unwrap_or(0.0);
    let mut est: Vec<ScaleEstimate> = vec![];
    let mut add = |source: &str, measured: f64, prior_m: f64, sigma: f64| {
        if measured > 1e-12 && measured.is_finite() {
            est.push(ScaleEstimate { source: source.into(), scale: prior_m / measured, measured, prior_m, sigma, used: false, deviation: 0.0 });
        }
    };
    // The camera height the measured ones are compared with: the user's
    // (`--camera-height`, tight) or the prior.
    let (height_m, height_sigma) = match cfg.camera_height {
        Some(h) => (h, GIVEN_CAMERA_HEIGHT_SIGMA),
        None => (PRIOR_CAMERA_HEIGHT_M, PRIOR_CAMERA_HEIGHT_SIGMA),
    };
    let local_h = cfg.local_camera_height.filter(|h| h.is_finite() && *h > 0.0 && !cfg.metric);
    if let Some(hl) = local_h {
        add("camera_height_local_floors", hl, height_m, height_sigma);
    }
    if floor.is_some() {
        if local_h.is_none() {
            add("camera_height", cam_height, height_m, height_sigma);
        }
        if let Some(h) = ceiling_h.filter(|h| *h > CEILING_OVER_CAMERA.0 * cam_height && *h < CEILING_OVER_CAMERA.1 * cam_height) {
            add("ceiling_height", h, PRIOR_CEILING_HEIGHT_M, PRIOR_CEILING_HEIGHT_SIGMA);
        }
    } else if local_h.is_some() {
        // The local floors gave the camera height; no ceiling estimate
        // without a floor plane to measure it from.
    } else if let Some(c) = ceiling {
        // Ceiling without a floor: its height above the cameras.
        let mut above: Vec<f64> = centres.iter().map(|p| height(&planes[c].inliers) - (level * p).z).collect();
        let prior_m = PRIOR_CEILING_HEIGHT_M - cfg.camera_height.unwrap_or(PRIOR_CAMERA_HEIGHT_M);
        add("ceiling_above_camera", median(&mut above).unwrap_or(0.0), prior_m, (PRIOR_CEILING_HEIGHT_SIGMA * PRIOR_CEILING_HEIGHT_M).hypot(PRIOR_CAMERA_HEIGHT_SIGMA * PRIOR_CAMERA_HEIGHT_M) / prior_m);
    } else if (cfg.camera_height.is_some() || !cfg.metric) && points.len() >= MIN_PLANE_POINTS {
        // Neither: the camera height above the lowest points, weakly (not
        // from a handful of points: with none, it would measure the cameras'
        // height above z = 0 of the map).
        add("camera_height_above_lowest_points", cam_height, cfg.camera_height.unwrap_or(PRIOR_CAMERA_HEIGHT_M), 2.0 * PRIOR_CAMERA_HEIGHT_SIGMA);
    }
    // Door heights: the levelled, yawed map, floor at 0 (map units).
    let mut doors = vec![];
    if floor.is_some() && cam_height > 1e-12 {
        let units_per_m = if cfg.metric { 1.0 } else { cam_height / cfg.camera_height.unwrap_or(PRIOR_CAMERA_HEIGHT_M) };
        let levelled: Vec<Point3<f64>> = points.iter().map(|p| rot * p - Vector3::new(0.0, 0.0, floor_z)).collect();
        doors = super::doors::find_doors(&levelled, &DoorConfig { units_per_m });
    }
    let mut tops: Vec<f64> = doors.iter().map(|d| d.top).collect();
    let door_top = median(&mut tops);
    // The door estimate goes last; it enters the combination only with
    // USE_DOOR_HEIGHT (otherwise reported with its deviation, unused).
    let before_door = est.len();
    if let Some(t) = door_top.filter(|t| t.is_finite() && *t > 1e-12) {
        est.push(ScaleEstimate { source: "door_height".into(), scale: PRIOR_DOOR_HEIGHT_M / t, measured: t, prior_m: PRIOR_DOOR_HEIGHT_M, sigma: PRIOR_DOOR_HEIGHT_SIGMA, used: false, deviation: 0.0 });
    }
    let combining = if USE_DOOR_HEIGHT { est.len() } else { before_door };
    let combined = combine_scales(&mut est[..combining]);
    let (scale, source) = if let Some(s) = cfg.scale {
        (s, "override".to_string())
    } else if cfg.metric {
        (1.0, "capture".to_string())
    } else if let Some(s) = combined {
        let used: Vec<&str> = est.iter().filter(|e| e.used).map(|e| e.source.as_str()).collect();
        (s, if cfg.camera_height.is_some() { format!("{}(camera_height given)", used.join("+")) } else { used.join("+") })
    } else {
        (1.0, "none".to_string())
    };
    let unused_from = if cfg.metric || cfg.scale.is_some() { 0 } else { combining };
    for e in est.iter_mut().skip(unused_from) {
        e.used = false;
        e.deviation = e.scale / scale - 1.0;
    }
    let used: Vec<f64> = est.iter().filter(|e| e.used).map(|e| e.scale).collect();
    let (lo, hi) = used.iter().fold((f64::MAX, f64::MIN), |(lo, hi), s| (lo.min(*s), hi.max(*s)));
    rep.scale_disagreement = if used.len() > 1 { hi / lo - 1.0 } else { 0.0 };
    rep.scale_estimates = est;
    rep.scale = scale;
    rep.scale_source = source;
    rep.camera_height_m = cam_height * scale;
    rep.ceiling_height_m = ceiling_h.map(|h| h * scale);
    rep.doors = doors.iter().map(|d| [d.top * scale, d.width() * scale, d.lintel_columns as f64 / d.columns.max(1) as f64]).collect();
    rep.horizontal_planes = planes
        .iter()
        .map(|p| {
            let mut zs: Vec<f64> = p.inliers.iter().map(|&i| (level * wpts[i]).z).collect();
            [(median(&mut zs).unwrap_or(0.0) - floor_z) * scale, p.inliers.len() as f64, p.area * scale * scale]
        })
        .collect();
    let translation = Vector3::new(0.0, 0.0, -floor_z * scale);
    (Sim3 { scale, rotation, translation }, rep)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    /// A level camera (x horizontal, −y up) looking along +y.
    fn level_camera() -> UnitQuaternion<f64> {
        UnitQuaternion::from_euler_angles(-std::f64::consts::FRAC_PI_2, 0.0, 0.0)
    }

    #[test]
    fn level_prior_ignores_pitch_but_not_without_turns() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let tilt = UnitQuaternion::from_euler_angles(0.2, -0.1, 0.4);
        let up = tilt * Vector3::z();
        // Turning cameras looking down 25° on average, with ±1° of roll.
        let cam = |yaw: f64, pitch: f64, roll: f64| tilt * UnitQuaternion::from_euler_angles(0.0, 0.0, yaw) * level_camera() * UnitQuaternion::from_euler_angles(-pitch, 0.0, 0.0) * UnitQuaternion::from_euler_angles(0.0, 0.0, roll);
        let turning: Vec<UnitQuaternion<f64>> = (0..60).map(|i| cam(i as f64 * 0.02, rng.random_range(0.3..0.55), rng.random_range(-0.017..0.017))).collect();
        let minus_y = turning.iter().fold(Vector3::zeros(), |a, r| a + r * -Vector3::y()).normalize();
        assert!(minus_y.angle(&up).to_degrees() > 20.0);
        let prior = camera_up_prior(&turning);
        assert!(prior.level);
        let prior = prior.up;
        assert!(prior.angle(&up).to_degrees() < 1.0, "{}", prior.angle(&up).to_degrees());
        // Never turning: nothing pins the pitch; the mean −y is kept.
        let still: Vec<UnitQuaternion<f64>> = (0..20).map(|_| cam(0.3, 0.4, 0.0)).collect();
        assert!(!camera_up_prior(&still).level);
        assert!(camera_up_prior(&still).up.angle(&(still[0] * -Vector3::y())).to_degrees() < 1e-6);
        // Frames rolled by 90° (a sideways video): x axes near vertical, the
        // level answer would be horizontal; the mean −y is kept.
        let rolled: Vec<UnitQuaternion<f64>> = (0..20).map(|i| cam(i as f64 * 0.1, 0.0, std::f64::consts::FRAC_PI_2)).collect();
        let my = rolled.iter().fold(Vector3::zeros(), |a, r| a + r * -Vector3::y()).normalize();
        assert!(camera_up_prior(&rolled).up.angle(&my).to_degrees() < 1e-6);
        assert!(camera_up_prior(&[]).up.angle(&-Vector3::y()) < 1e-12);
    }

    /// A 5 x 4 room (ceiling `ceiling` m) with a 1.2 x 0.8 m table top at
    /// 0.75 m, seen only partly on the floor (grazing views): the floor
    /// strip near the walls is sparse, the table top dense.
    fn room(ceiling: f64, rng: &mut ChaCha8Rng) -> Vec<Point3<f64>> {
        let mut pts = vec![];
        for _ in 0..4000 {
            let (x, y) = (rng.random_range(0.0..5.0), rng.random_range(0.0..4.0));
            pts.push(Point3::new(x, y, 0.0));
            pts.push(Point3::new(x, 0.0, rng.random_range(0.0..ceiling)));
            pts.push(Point3::new(0.0, y, rng.random_range(0.0..ceiling)));
            pts.push(Point3::new(5.0, y, rng.random_range(0.0..ceiling)));
            // The table top is densely reconstructed.
            for _ in 0..3 {
                pts.push(Point3::new(rng.random_range(2.0..3.2), rng.random_range(1.5..2.3), 0.75));
            }
        }
        for _ in 0..1500 {
            pts.push(Point3::new(rng.random_range(0.0..5.0), rng.random_range(0.0..4.0), ceiling));
        }
        pts
    }

    fn check(with_vertical: bool, ceiling: f64, seed: u64) -> (f64, f64, AlignReport) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        // The map: world tilted, turned and scaled by 0.5.
        let tilt = UnitQuaternion::from_euler_angles(0.3, -0.2, 0.5);
        let s = 0.5;
        let to_map = |p: &Point3<f64>| tilt * Point3::from(p.coords * s);
        let map: Vec<Point3<f64>> = room(ceiling, &mut rng).iter().map(to_map).collect();
        // Cameras at 1.3-1.6 m, looking down 15° (their mean up is 15° off).
        let centres: Vec<Point3<f64>> = (0..10).map(|i| to_map(&Point3::new(1.0 + 0.2 * i as f64, 1.0, 1.3 + 0.03 * i as f64))).collect();
        let rots = vec![tilt * UnitQuaternion::from_euler_angles(0.26, 0.0, 0.0) * level_camera(); 10];
        let true_up = tilt * Vector3::z();
        let v = Vertical { up: UnitQuaternion::from_euler_angles(0.005, 0.0, 0.0) * true_up, inliers: 100, candidates: 120, views: 10, rms_deg: 0.3 };
        let (sim, rep) = align(&map, &centres, &camera_up_prior(&rots), with_vertical.then_some(&v), &AlignConfig::default(), 1);
        let grav = (sim.rotation * true_up).angle(&Vector3::z()).to_degrees();
        let scale_err = (rep.scale * s - 1.0).abs();
        // The floor maps to z = 0.
        let f = sim.transform_point(&to_map(&Point3::new(4.0, 3.0, 0.0)));
        assert!(f.z.abs() < 0.05, "floor at z = {}: {rep:?}", f.z);
        (grav, scale_err, rep)
    }

    #[test]
    fn floor_below_the_table_gives_gravity_and_scale() {
        for (vp, ceiling) in [(false, 2.6), (true, 2.6), (true, 2.8)] {
            let (grav, scale_err, rep) = check(vp, ceiling, 2);
            assert!(grav < 1.0, "gravity error {grav}° (vp {vp}): {rep:?}");
            assert!(scale_err < 0.1, "scale error {scale_err} (vp {vp}): {rep:?}");
            assert!(rep.gravity_source.contains("floor_plane"), "{rep:?}");
            assert!(rep.scale_estimates.iter().any(|e| e.source == "camera_height" && e.used), "{rep:?}");
            assert!(rep.scale_estimates.iter().any(|e| e.source == "ceiling_height" && e.used), "{rep:?}");
            // The table top is reported as a plane about 0.75 m up.
            assert!(rep.horizontal_planes.iter().any(|p| (p[0] - 0.75).abs() < 0.1), "{rep:?}");
            if vp {
                assert!(rep.gravity_source.starts_with("vertical_vanishing_point"), "{rep:?}");
            }
        }
    }

    #[test]
    fn a_vanishing_point_far_from_the_cameras_up_is_not_trusted() {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let map = room(2.6, &mut rng);
        let centres: Vec<Point3<f64>> = (0..10).map(|i| Point3::new(1.0 + 0.2 * i as f64, 1.0, 1.4)).collect();
        let rots = vec![UnitQuaternion::from_euler_angles(0.1, 0.0, 0.0) * level_camera(); 10];
        // A confident but wrong vertical direction, 40° off.
        let wrong = Vertical { up: UnitQuaternion::from_euler_angles(0.7, 0.0, 0.0) * Vector3::z(), inliers: 150, candidates: 200, views: 10, rms_deg: 0.3 };
        let cfg = AlignConfig { metric: true, ..AlignConfig::default() };
        let (sim, rep) = align(&map, &centres, &camera_up_prior(&rots), Some(&wrong), &cfg, 1);
        let grav = (sim.rotation * Vector3::z()).angle(&Vector3::z()).to_degrees();
        assert!(grav < 1.0, "gravity error {grav}°: {rep:?}");
        assert!(rep.gravity_source.contains("floor_plane") && !rep.gravity_source.contains("vanishing"), "{rep:?}");
        assert!(rep.gravity_estimates.iter().any(|e| e.source == "vertical_vanishing_point_rejected" && !e.used), "{rep:?}");
    }

    #[test]
    fn walls_end_up_axis_aligned_and_overrides_win() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let map = room(2.6, &mut rng);
        let centres: Vec<Point3<f64>> = (0..5).map(|i| Point3::new(1.0 + 0.3 * i as f64, 1.0, 1.45)).collect();
        let turn = UnitQuaternion::from_euler_angles(0.0, 0.0, 0.4);
        let map: Vec<Point3<f64>> = map.iter().map(|p| turn * p).collect();
        let centres: Vec<Point3<f64>> = centres.iter().map(|p| turn * p).collect();
        let rots = vec![level_camera(); 5];
        let (sim, rep) = align(&map, &centres, &camera_up_prior(&rots), None, &AlignConfig { scale: Some(2.0), ..Default::default() }, 0);
        assert_eq!(rep.scale_source, "override");
        assert_eq!(rep.scale, 2.0);
        let d = (sim.transform_point(&(turn * Point3::new(3.0, 0.0, 1.0))) - sim.transform_point(&(turn * Point3::new(0.5, 0.0, 1.0)))).xy().normalize();
        assert!(d.x.abs() > 0.999 || d.y.abs() > 0.999, "{d:?} {rep:?}");
        let (_, rep) = align(&map, &centres, &camera_up_prior(&rots), None, &AlignConfig { camera_height: Some(1.6), ..Default::default() }, 0);
        let ch = rep.scale_estimates.iter().find(|e| e.source == "camera_height").map(|e| e.scale).unwrap_or(0.0);
        assert!((ch - 1.6 / 1.45).abs() < 0.02, "{rep:?}");
        // The cameras' height above their local floors replaces the global
        // floor's (here it says 0.725 units: a scale of 2).
        let (_, rep) = align(&map, &centres, &camera_up_prior(&rots), None, &AlignConfig { local_camera_height: Some(0.725), ..Default::default() }, 0);
        assert_eq!(rep.scale_source, "camera_height_local_floors", "{rep:?}");
        assert!((rep.scale - 2.0).abs() < 1e-9, "{rep:?}");
        assert!(rep.scale_estimates.iter().all(|e| e.source != "camera_height"), "{rep:?}");
        // Metric input keeps scale 1 but still reports the priors' view.
        let (_, rep) = align(&map, &centres, &camera_up_prior(&rots), None, &AlignConfig { metric: true, ..Default::default() }, 0);
        assert_eq!((rep.scale, rep.scale_source.as_str()), (1.0, "capture"));
        assert!(rep.scale_estimates.iter().all(|e| !e.used));
    }

    #[test]
    fn a_door_height_is_reported_but_not_used() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let mut world = room(2.6, &mut rng);
        // The fourth wall (y = 4) with a door x 2.0..2.85, 2.05 m high, and
        // the next room's floor seen through it.
        for _ in 0..4000 {
            let (x, z) = (rng.random_range(0.0..5.0), rng.random_range(0.0..2.6));
            if !((2.0..=2.85).contains(&x) && z <= 2.05) {
                world.push(Point3::new(x, 4.0, z));
            }
        }
        for _ in 0..1500 {
            world.push(Point3::new(rng.random_range(1.5..3.5), rng.random_range(4.1..5.0), 0.0));
        }
        let s = 0.5;
        let map: Vec<Point3<f64>> = world.iter().map(|p| Point3::from(p.coords * s)).collect();
        let centres: Vec<Point3<f64>> = (0..10).map(|i| Point3::from(Vector3::new(1.0 + 0.2 * i as f64, 1.0, 1.45) * s)).collect();
        let rots = vec![UnitQuaternion::from_euler_angles(0.26, 0.0, 0.0) * level_camera(); 10];
        let (_, rep) = align(&map, &centres, &camera_up_prior(&rots), None, &AlignConfig::default(), 1);
        let door = rep.scale_estimates.iter().find(|e| e.source == "door_height");
        let Some(door) = door else { panic!("no door estimate: {rep:?}") };
        assert!((door.measured / s - 2.05).abs() < 0.05, "{door:?}");
        assert!(!door.used && (door.deviation - (door.scale / rep.scale - 1.0)).abs() < 1e-12, "{door:?}");
        assert_eq!(rep.doors.len(), 1, "{rep:?}");
        assert!((rep.doors[0][0] - door.measured * rep.scale).abs() < 1e-9, "{rep:?}");
        assert!(rep.scale_estimates.iter().filter(|e| e.used).all(|e| e.source != "door_height"));
    }

    #[test]
    fn combine_drops_the_outlier() {
        let e = |source: &str, scale: f64, sigma: f64| ScaleEstimate { source: source.into(), scale, measured: 1.0, prior_m: scale, sigma, used: false, deviation: 0.0 };
        let mut v = vec![e("a", 1.0, 0.08), e("b", 1.05, 0.1), e("c", 1.6, 0.1)];
        let s = combine_scales(&mut v).unwrap();
        assert!(v[0].used && v[1].used && !v[2].used, "{v:?}");
        assert!(s > 1.0 && s < 1.05, "{s}");
        assert!(combine_scales(&mut []).is_none());
    }

    #[test]
    fn no_points_give_no_scale_estimate() {
        let rots = vec![level_camera(); 5];
        let centres: Vec<Point3<f64>> = (0..5).map(|i| Point3::new(0.01 * i as f64, 0.0, 0.0)).collect();
        let (sim, rep) = align(&[], &centres, &camera_up_prior(&rots), None, &AlignConfig::default(), 0);
        assert!(rep.scale_estimates.is_empty(), "{rep:?}");
        assert_eq!(rep.scale_source, "none");
        assert_eq!(sim.scale, 1.0);
    }
}
