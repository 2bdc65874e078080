//! Alignment of a reconstruction to our world frame: gravity from the floor
//! plane (found below the cameras, with the cameras' own "up" as the prior),
//! Manhattan yaw from the dominant horizontal wall directions, floor at
//! z = 0, and metric scale for monocular maps from priors (camera height
//! above the floor, ceiling height when a ceiling is seen) or overrides.

use super::report::{AlignReport, ScaleEstimate};
use nalgebra::{Point3, Rotation3, Unit, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Prior: phone held at chest/eye height while walking a room (metres).
pub const PRIOR_CAMERA_HEIGHT_M: f64 = 1.45;
/// Prior: typical residential ceiling height (metres; 2.4-2.7 m is common).
pub const PRIOR_CEILING_HEIGHT_M: f64 = 2.6;
/// A plane counts as horizontal within this angle of the up prior (degrees).
const HORIZONTAL_TOL_DEG: f64 = 30.0;
/// RANSAC iterations for horizontal planes.
const PLANE_ITERS: usize = 400;
/// A ceiling needs at least this fraction of the floor's inliers.
const CEILING_MIN_FRACTION: f64 = 0.15;

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
fn horizontal_plane(pts: &[Point3<f64>], up: &Vector3<f64>, range: (f64, f64), thr: f64, rng: &mut ChaCha8Rng) -> Option<Plane> {
    let cand: Vec<&Point3<f64>> = pts.iter().filter(|p| {
        let h = up.dot(&p.coords);
        h >= range.0 && h <= range.1
    }).collect();
    if cand.len() < 30 {
        return None;
    }
    let cos_tol = HORIZONTAL_TOL_DEG.to_radians().cos();
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

/// Dominant horizontal direction (mod 90°) of point-to-neighbour segments
/// is unreliable without normals; we use the directions between points of
/// vertical structures: a histogram of horizontal offsets between nearby
/// points at similar heights, folded mod 90°.
fn manhattan_yaw(pts: &[Point3<f64>], rng: &mut ChaCha8Rng) -> Option<f64> {
    if pts.len() < 200 {
        return None;
    }
    // Project to the floor plane on a grid; cells with many points are walls
    // (vertical surfaces stack points). Fit directions between occupied cells.
    const BINS: usize = 90;
    let mut hist = [0.0f64; BINS];
    let extent = {
        let (mut lo, mut hi) = (Vector3::repeat(f64::MAX), Vector3::repeat(f64::MIN));
        for p in pts {
            lo = lo.inf(&p.coords);
            hi = hi.sup(&p.coords);
        }
        (hi - lo).xy().norm().max(1e-9)
    };
    let r_max = 0.08 * extent;
    let r_min = 0.01 * extent;
    for _ in 0..20000 {
        let a = &pts[rng.random_range(0..pts.len())];
        let b = &pts[rng.random_range(0..pts.len())];
        let d = (b - a).xy();
        let l = d.norm();
        if l < r_min || l > r_max || (b.z - a.z).abs() > 0.5 * l {
            continue;
        }
        let ang = d.y.atan2(d.x).rem_euclid(std::f64::consts::FRAC_PI_2);
        let bin = ((ang / std::f64::consts::FRAC_PI_2) * BINS as f64) as usize % BINS;
        hist[bin] += 1.0;
    }
    // Smooth circularly and take the peak.
    let mut best = (0usize, 0.0f64);
    for i in 0..BINS {
        let s: f64 = (0..5).map(|k| hist[(i + BINS + k - 2) % BINS]).sum();
        if s > best.1 {
            best = (i, s);
        }
    }
    let mean: f64 = hist.iter().sum::<f64>() / BINS as f64;
    (best.1 > 5.0 * 1.5 * mean).then(|| (best.0 as f64 + 0.5) / BINS as f64 * std::f64::consts::FRAC_PI_2)
}

/// Computes the map → world similarity. `points` are map points, `centres`
/// camera centres and `cam_ups` the cameras' up vectors (−y axis) in the map.
pub fn align(points: &[Point3<f64>], centres: &[Point3<f64>], cam_ups: &[Vector3<f64>], cfg: &AlignConfig, seed: u64) -> (Sim3, AlignReport) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rep = AlignReport::default();
    let prior = if cfg.gravity_known {
        Vector3::z()
    } else {
        let s = cam_ups.iter().fold(Vector3::zeros(), |a, u| a + u);
        if s.norm() > 1e-9 { s.normalize() } else { -Vector3::y() }
    };
    // Scene extent for thresholds (map units).
    let mut hs: Vec<f64> = centres.iter().map(|c| prior.dot(&c.coords)).collect();
    let cam_h = median(&mut hs);
    let mut ds: Vec<f64> = points.iter().map(|p| (p - centres.first().copied().unwrap_or(Point3::origin())).norm()).collect();
    let typical = median(&mut ds).max(1e-6);
    let thr = if cfg.metric { 0.03 } else { 0.02 * typical };
    let floor = horizontal_plane(points, &prior, (f64::MIN, cam_h - 0.1 * typical), thr, &mut rng);
    let up = match &floor {
        Some(f) if f.inliers >= 50 => {
            rep.gravity_source = "floor_plane".into();
            rep.floor_points = f.inliers;
            f.n
        }
        _ => {
            rep.gravity_source = if cfg.gravity_known { "capture".into() } else { "camera_prior".into() };
            prior
        }
    };
    rep.gravity_prior_disagreement_deg = up.angle(&prior).to_degrees();
    // Rotation taking `up` to +z.
    let r_up = UnitQuaternion::rotation_between(&up, &Vector3::z()).unwrap_or_else(|| UnitQuaternion::from_axis_angle(&Unit::new_normalize(Vector3::x()), std::f64::consts::PI));
    let rotated: Vec<Point3<f64>> = points.iter().map(|p| r_up * p).collect();
    // Manhattan yaw: align dominant wall directions with the axes.
    let yaw = manhattan_yaw(&rotated, &mut rng);
    rep.yaw_source = if yaw.is_some() { "manhattan_walls".into() } else { "none".into() };
    let r_yaw = UnitQuaternion::from_rotation_matrix(&Rotation3::from_axis_angle(&Vector3::z_axis(), -yaw.unwrap_or(0.0)));
    let rotation = r_yaw * r_up;
    // Floor height in the rotated frame.
    let floor_z = match &floor {
        Some(f) if f.inliers >= 50 => {
            let mut zs: Vec<f64> = points.iter().filter(|p| (f.n.dot(&p.coords) + f.d).abs() < thr).map(|p| (rotation * p).z).collect();
            median(&mut zs)
        }
        _ => {
            let mut zs: Vec<f64> = points.iter().map(|p| (rotation * p).z).collect();
            zs.sort_by(|a, b| a.total_cmp(b));
            zs.get(zs.len() / 50).copied().unwrap_or(0.0)
        }
    };
    let mut cam_z: Vec<f64> = centres.iter().map(|c| (rotation * c).z - floor_z).collect();
    let cam_height = median(&mut cam_z);
    // Ceiling: a horizontal plane above the cameras.
    let ceiling = floor.as_ref().and_then(|f| {
        let above = cam_h + 0.1 * typical;
        horizontal_plane(points, &up, (above, f64::MAX), thr, &mut rng).filter(|c| c.inliers as f64 >= CEILING_MIN_FRACTION * f.inliers as f64)
    });
    let ceiling_h = ceiling.map(|c| {
        let mut zs: Vec<f64> = points.iter().filter(|p| (c.n.dot(&p.coords) + c.d).abs() < thr).map(|p| (rotation * p).z - floor_z).collect();
        median(&mut zs)
    });
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
    let (scale, source) = if let Some(s) = cfg.scale {
        (s, "override".to_string())
    } else if cfg.metric {
        (1.0, "capture".to_string())
    } else if cfg.camera_height.is_some() {
        let e = est.iter().find(|e| e.source == "camera_height");
        (e.map(|e| e.scale).unwrap_or(1.0), "camera_height_override".to_string())
    } else if let Some(e) = est.iter().find(|e| e.source == "ceiling_height") {
        (e.scale, e.source.clone())
    } else if let Some(e) = est.iter().find(|e| e.source == "camera_height") {
        (e.scale, e.source.clone())
    } else {
        (1.0, "none".to_string())
    };
    let (lo, hi) = est.iter().fold((f64::MAX, f64::MIN), |(lo, hi), e| (lo.min(e.scale), hi.max(e.scale)));
    rep.scale_disagreement = if est.len() > 1 { hi / lo - 1.0 } else { 0.0 };
    rep.scale_estimates = est;
    rep.scale = scale;
    rep.scale_source = source;
    rep.camera_height_m = cam_height * scale;
    rep.ceiling_height_m = ceiling_h.map(|h| h * scale);
    let translation = Vector3::new(0.0, 0.0, -floor_z * scale);
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
        assert_eq!(rep.scale_source, "ceiling_height");
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
