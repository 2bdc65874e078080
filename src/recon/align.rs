//! Alignment of a reconstruction to our world frame: gravity from the floor
//! plane (found below the cameras, with the cameras' own "up" as the prior),
//! Manhattan yaw from the dominant horizontal wall directions, floor at
//! z = 0, and metric scale for monocular maps from priors (camera height
//! above the floor, ceiling height when a ceiling is seen) or overrides.

use super::report::{AlignReport, ScaleEstimate};
use crate::cloud::align::{align_to_gravity, AlignConfig as CloudAlignConfig};
use crate::cloud::PointCloud;
use nalgebra::{Point3, Unit, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Prior: phone held at chest/eye height while walking a room (metres).
pub const PRIOR_CAMERA_HEIGHT_M: f64 = 1.45;
/// Prior: typical residential ceiling height (metres; 2.4-2.7 m is common).
pub const PRIOR_CEILING_HEIGHT_M: f64 = 2.6;
/// After levelling, a ceiling is within this angle of horizontal (degrees).
const CEILING_TOL_DEG: f64 = 8.0;
/// RANSAC iterations for horizontal planes.
const PLANE_ITERS: usize = 400;
/// A ceiling needs at least this fraction of the floor's inliers.
const CEILING_MIN_FRACTION: f64 = 0.15;
/// Typical distance from a handheld camera to the surfaces it sees in a
/// room (metres): converts metric thresholds to map units before scale.
const TYPICAL_VIEW_DISTANCE_M: f64 = 2.5;
/// Plane inlier distance (metres).
const PLANE_THRESHOLD_M: f64 = 0.03;
/// The ceiling is searched this far above the camera at least (metres).
const CEILING_MIN_ABOVE_CAMERA_M: f64 = 0.4;
/// The floor lies at least this far below the camera (metres).
const FLOOR_MIN_BELOW_CAMERA_M: f64 = 0.5;
/// Lower planes are searched this far below the last one found (metres).
const FLOOR_STEP_M: f64 = 0.1;
/// Planes tried below the camera at most.
const MAX_FLOOR_SEARCH: usize = 8;
/// Fewest inliers for a floor plane.
const MIN_FLOOR_INLIERS: usize = 30;
/// Floor candidates need this fraction of the largest horizontal plane.
const FLOOR_SIZE_RATIO: f64 = 0.05;
/// Plausible ceiling height / camera height (2.1-3.5 m over 1.2-1.6 m);
/// rejects furniture tops above the camera.
const CEILING_OVER_CAMERA: (f64, f64) = (1.4, 2.6);
/// Camera-height and ceiling scales within this relative difference are combined.
const SCALE_AGREEMENT: f64 = 0.2;

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
}

/// A similarity: `world = scale * rotation * map + translation`.
#[derive(Debug, Clone, Copy)]
pub struct Sim3 {
    pub scale: f64,
    pub rotation: UnitQuaternion<f64>,
    pub translation: Vector3<f64>,
}

impl Sim3 {
    pub fn apply(&self, p: &Point3<f64>) -> Point3<f64> {
        Point3::from(self.scale * (self.rotation * p.coords) + self.translation)
    }
}

struct Plane {
    n: Vector3<f64>,
    d: f64,
    inliers: usize,
}

/// Best horizontal plane (normal within tolerance of `up`) among `pts`
/// whose offset `up·x` lies in `range`; thickness `thr`.
fn horizontal_plane(pts: &[Point3<f64>], up: &Vector3<f64>, range: (f64, f64), thr: f64, tol_deg: f64, rng: &mut ChaCha8Rng) -> Option<Plane> {
    let cand: Vec<&Point3<f64>> = pts.iter().filter(|p| {
        let h = up.dot(&p.coords);
        h >= range.0 && h <= range.1
    }).collect();
    if cand.len() < 30 {
        return None;
    }
    let cos_tol = tol_deg.to_radians().cos();
    let mut best: Option<Plane> = None;
    for _ in 0..PLANE_ITERS {
        let a = cand[rng.random_range(0..cand.len())];
        let b = cand[rng.random_range(0..cand.len())];
        let c = cand[rng.random_range(0..cand.len())];
        let n = (b - a).cross(&(c - a));
        let norm = n.norm();
        if norm < 1e-12 {
            continue;
        }
        let mut n = n / norm;
        if n.dot(up) < 0.0 {
            n = -n;
        }
        if n.dot(up) < cos_tol {
            continue;
        }
        let d = -n.dot(&a.coords);
        let inliers = cand.iter().filter(|p| (n.dot(&p.coords) + d).abs() < thr).count();
        if best.as_ref().map(|b| inliers > b.inliers).unwrap_or(true) {
            best = Some(Plane { n, d, inliers });
        }
    }
    // Least-squares refit on inliers.
    let b = best?;
    let inl: Vec<&Point3<f64>> = cand.iter().copied().filter(|p| (b.n.dot(&p.coords) + b.d).abs() < thr).collect();
    let c = inl.iter().fold(Vector3::zeros(), |s, p| s + p.coords) / inl.len().max(1) as f64;
    let mut cov = nalgebra::Matrix3::zeros();
    for p in &inl {
        let q = p.coords - c;
        cov += q * q.transpose();
    }
    let eig = cov.symmetric_eigen();
    let (imin, _) = eig.eigenvalues.iter().enumerate().min_by(|x, y| x.1.total_cmp(y.1))?;
    let mut n = eig.eigenvectors.column(imin).into_owned();
    if n.dot(up) < 0.0 {
        n = -n;
    }
    Some(Plane { n, d: -n.dot(&c), inliers: inl.len() })
}

fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// Computes the map → world similarity. `points` are map points, `centres`
/// camera centres and `cam_ups` the cameras' up vectors (−y axis) in the map.
/// Gravity, floor and Manhattan yaw come from [`crate::cloud::align`] (with
/// thresholds scaled to the map's units); the ceiling and the scale priors
/// are ours.
pub fn align(points: &[Point3<f64>], centres: &[Point3<f64>], cam_ups: &[Vector3<f64>], cfg: &AlignConfig, seed: u64) -> (Sim3, AlignReport) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rep = AlignReport::default();
    let prior = if cfg.gravity_known {
        Vector3::z()
    } else {
        let s = cam_ups.iter().fold(Vector3::zeros(), |a, u| a + u);
        if s.norm() > 1e-9 { s.normalize() } else { -Vector3::y() }
    };
    // Map units per metre, roughly: typical camera-to-surface distance is
    // TYPICAL_VIEW_DISTANCE_M in rooms.
    let mut ds: Vec<f64> = points.iter().map(|p| (p - centres.first().copied().unwrap_or(Point3::origin())).norm()).collect();
    let units = if cfg.metric { 1.0 } else { median(&mut ds).max(1e-9) / TYPICAL_VIEW_DISTANCE_M };
    let thr = PLANE_THRESHOLD_M * units;
    let cloud = PointCloud::from_points(points.iter().map(|p| [p.x as f32, p.y as f32, p.z as f32]).collect());
    let ccfg = CloudAlignConfig {
        up_guess: Some([prior.x, prior.y, prior.z]),
        voxel_size: (0.05 * units) as f32,
        plane_threshold: thr,
        // Reconstructions see the floor at grazing angles: it can hold far
        // fewer points than a table top, so any sizeable lowest plane wins.
        floor_size_ratio: FLOOR_SIZE_RATIO,
        seed,
        ..Default::default()
    };
    let (rotation, floor_offset) = match align_to_gravity(&cloud, &ccfg) {
        Ok(a) => {
            rep.gravity_source = "floor_plane".into();
            rep.floor_points = a.report.floor_inliers;
            rep.yaw_source = if a.report.wall_points > 0 && a.report.manhattan_support > 0.2 { "manhattan_walls".into() } else { "none".into() };
            let n = Vector3::from(a.report.floor_normal_in_input);
            rep.gravity_prior_disagreement_deg = n.angle(&prior).to_degrees();
            (a.world_from_input.rotation, a.world_from_input.translation.vector.z)
        }
        Err(_) => {
            rep.gravity_source = if cfg.gravity_known { "capture".into() } else { "camera_prior".into() };
            rep.yaw_source = "none".into();
            let r = UnitQuaternion::rotation_between(&prior, &Vector3::z()).unwrap_or_else(|| UnitQuaternion::from_axis_angle(&Unit::new_normalize(Vector3::x()), std::f64::consts::PI));
            let mut zs: Vec<f64> = points.iter().map(|p| (r * p).z).collect();
            zs.sort_by(|a, b| a.total_cmp(b));
            (r, -zs.get(zs.len() / 50).copied().unwrap_or(0.0))
        }
    };
    // The floor: the lowest horizontal plane clearly below the cameras (the
    // gravity step may have levelled on a table top; the floor then lies
    // lower). Searched downwards plane by plane.
    let floor_offset = if rep.gravity_source == "floor_plane" {
        let lev: Vec<Point3<f64>> = points.iter().map(|p| rotation * p).collect();
        let mut cz: Vec<f64> = centres.iter().map(|c| (rotation * c).z).collect();
        let cam_z = median(&mut cz);
        let mut top = cam_z - FLOOR_MIN_BELOW_CAMERA_M * units;
        let mut floor: Option<(f64, usize)> = None;
        for _ in 0..MAX_FLOOR_SEARCH {
            let Some(pl) = horizontal_plane(&lev, &Vector3::z(), (f64::MIN, top), thr, CEILING_TOL_DEG, &mut rng) else { break };
            let enough = pl.inliers >= MIN_FLOOR_INLIERS && floor.map(|f| pl.inliers as f64 >= FLOOR_SIZE_RATIO * f.1 as f64).unwrap_or(true);
            if !enough {
                break;
            }
            let mut zs: Vec<f64> = lev.iter().filter(|p| (pl.n.dot(&p.coords) + pl.d).abs() < thr).map(|p| p.z).collect();
            let z = median(&mut zs);
            floor = Some((z, floor.map(|f| f.1.max(pl.inliers)).unwrap_or(pl.inliers)));
            rep.floor_points = pl.inliers;
            top = z.min(top) - FLOOR_STEP_M * units;
        }
        floor.map(|f| -f.0).unwrap_or(floor_offset)
    } else {
        floor_offset
    };
    let level = |p: &Point3<f64>| rotation * p + Vector3::new(0.0, 0.0, floor_offset);
    let mut cam_z: Vec<f64> = centres.iter().map(|c| level(c).z).collect();
    let cam_height = median(&mut cam_z);
    // Ceiling: a horizontal plane above the cameras.
    let aligned: Vec<Point3<f64>> = points.iter().map(level).collect();
    let ceiling_h = (rep.gravity_source == "floor_plane")
        .then(|| horizontal_plane(&aligned, &Vector3::z(), (cam_height + CEILING_MIN_ABOVE_CAMERA_M * units, f64::MAX), thr, CEILING_TOL_DEG, &mut rng))
        .flatten()
        .filter(|c| c.inliers as f64 >= CEILING_MIN_FRACTION * rep.floor_points as f64 && c.inliers >= 30)
        .map(|c| {
            // Height: median of the inliers (the plane's offset extrapolates).
            let mut zs: Vec<f64> = aligned.iter().filter(|p| (c.n.dot(&p.coords) + c.d).abs() < thr).map(|p| p.z).collect();
            median(&mut zs)
        })
        .filter(|h| *h > CEILING_OVER_CAMERA.0 * cam_height && *h < CEILING_OVER_CAMERA.1 * cam_height);
    // Scale.
    let mut est = vec![];
    if cfg.metric {
        est.push(ScaleEstimate { source: "capture".into(), scale: 1.0, measured: 1.0, prior_m: 1.0 });
    }
    if cam_height > 1e-9 {
        let prior_h = cfg.camera_height.unwrap_or(PRIOR_CAMERA_HEIGHT_M);
        est.push(ScaleEstimate { source: "camera_height".into(), scale: prior_h / cam_height, measured: cam_height, prior_m: prior_h });
    }
    if let Some(h) = ceiling_h.filter(|h| *h > 1e-9) {
        est.push(ScaleEstimate { source: "ceiling_height".into(), scale: PRIOR_CEILING_HEIGHT_M / h, measured: h, prior_m: PRIOR_CEILING_HEIGHT_M });
    }
    let find = |name: &str| est.iter().find(|e| e.source == name).map(|e| e.scale);
    let (scale, source) = if let Some(s) = cfg.scale {
        (s, "override".to_string())
    } else if cfg.metric {
        (1.0, "capture".to_string())
    } else if cfg.camera_height.is_some() {
        (find("camera_height").unwrap_or(1.0), "camera_height_override".to_string())
    } else {
        match (find("camera_height"), find("ceiling_height")) {
            // Both seen and consistent: the ceiling prior is tighter (±4%
            // against ±10% for hand height), weight them accordingly.
            (Some(a), Some(b)) if (a / b - 1.0).abs() < SCALE_AGREEMENT => ((a.ln() * 0.2 + b.ln() * 0.8).exp(), "ceiling_and_camera_height".to_string()),
            (Some(a), _) => (a, "camera_height".to_string()),
            (None, Some(b)) => (b, "ceiling_height".to_string()),
            (None, None) => (1.0, "none".to_string()),
        }
    };
    let (lo, hi) = est.iter().fold((f64::MAX, f64::MIN), |(lo, hi), e| (lo.min(e.scale), hi.max(e.scale)));
    rep.scale_disagreement = if est.len() > 1 { hi / lo - 1.0 } else { 0.0 };
    rep.scale_estimates = est;
    rep.scale = scale;
    rep.scale_source = source;
    rep.camera_height_m = cam_height * scale;
    rep.ceiling_height_m = ceiling_h.map(|h| h * scale);
    let translation = Vector3::new(0.0, 0.0, floor_offset * scale);
    (Sim3 { scale, rotation, translation }, rep)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_and_ceiling_give_gravity_and_scale() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        // A room in a tilted map frame at scale 0.5 (map units = metres / 2).
        let tilt = UnitQuaternion::from_euler_angles(0.3, -0.2, 0.5);
        let s = 0.5;
        let mut pts = vec![];
        for _ in 0..3000 {
            let (x, y) = (rng.random_range(0.0..4.0), rng.random_range(0.0..3.0));
            pts.push(Point3::new(x, y, 0.0));
            pts.push(Point3::new(x, y, 2.6));
            pts.push(Point3::new(x, 0.0, rng.random_range(0.0..2.6)));
            pts.push(Point3::new(0.0, y, rng.random_range(0.0..2.6)));
        }
        let map: Vec<Point3<f64>> = pts.iter().map(|p| tilt * Point3::from(p.coords * s)).collect();
        let centres: Vec<Point3<f64>> = (0..10).map(|i| tilt * Point3::new(1.0 + 0.2 * i as f64, 1.5, 1.45) * s).collect();
        // Cameras' up with a few degrees of error.
        let ups = vec![tilt * UnitQuaternion::from_euler_angles(0.05, 0.0, 0.0) * Vector3::z(); 10];
        let (sim, rep) = align(&map, &centres, &ups, &AlignConfig::default(), 1);
        let up = sim.rotation * (tilt * Vector3::z());
        assert!(up.angle(&Vector3::z()).to_degrees() < 1.0, "{rep:?}");
        assert_eq!(rep.scale_source, "ceiling_and_camera_height");
        assert!((rep.scale - 2.0).abs() < 0.05, "{rep:?}");
        assert!(rep.scale_estimates.iter().any(|e| e.source == "camera_height" && (e.scale - 2.0).abs() < 0.05));
        let f = sim.apply(&map[0]);
        assert!(f.z.abs() < 0.03);
        // Walls end up axis-aligned: the wall at y = 0 has constant world x or y.
        let w1 = sim.apply(&(tilt * Point3::new(0.0, 0.0, 1.0) * s));
        let w2 = sim.apply(&(tilt * Point3::new(3.0, 0.0, 1.0) * s));
        let d = (w2 - w1).xy().normalize();
        assert!(d.x.abs() > 0.99 || d.y.abs() > 0.99, "{d:?} {rep:?}");
    }
}
