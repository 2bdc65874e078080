//! Gravity and Manhattan alignment: finds the floor (the lowest of the large
//! near-horizontal planes along an up guess), rotates the cloud so the floor
//! normal is +z and the floor lies at z = 0, then turns it about +z so the
//! dominant wall directions line up with the x and y axes.
//!
//! Works on a voxel-downsampled copy with PCA normals; returns the transform
//! (`world_from_input`) and a report, and leaves applying it to the caller
//! (`PointCloud::transform`).

use super::{check_finite, estimate_normals, voxel_downsample, CloudError, NormalConfig, NormalOrientation, PointCloud};
use crate::geom::plane::PlaneEstimator;
use crate::geom::ransac::{ransac, RansacConfig};
use nalgebra::{Isometry3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};
use std::f64::consts::{FRAC_PI_2, FRAC_PI_4, PI};

/// Width of one bin of the folded wall-direction histogram (radians; 1°).
const YAW_BIN: f64 = PI / 180.0;
/// Half-width of the window around the histogram peak used to refine the
/// yaw (radians; 3°).
const YAW_REFINE_WINDOW: f64 = 3.0 * PI / 180.0;
/// Fewest near-vertical points needed to estimate a Manhattan yaw.
const MIN_WALL_POINTS: usize = 20;
/// Fewest inliers a horizontal plane needs to count as a floor candidate.
const MIN_PLANE_POINTS: usize = 30;

/// Settings for [`align_to_gravity`]; `Default` suits indoor scans in metres.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignConfig {
    /// Rough up direction of the input (default `None`: +z). The floor
    /// normal must lie within `max_floor_tilt` of it; e.g. `[0,-1,0]` for
    /// a cloud in an OpenCV camera frame held upright.
    pub up_guess: Option<[f64; 3]>,
    /// Voxel edge of the working copy (metres, default 0.05).
    pub voxel_size: f32,
    /// Neighbours for normal estimation (default 16).
    pub normal_k: usize,
    /// Largest angle between a floor normal and the up guess (radians, default 30°).
    pub max_floor_tilt: f64,
    /// Plane inlier distance (metres, default 0.03).
    pub plane_threshold: f64,
    /// Horizontal planes extracted before choosing the floor (default 6).
    pub max_planes: usize,
    /// A plane is a floor candidate when it has at least this fraction of the
    /// largest horizontal plane's inliers (default 0.25); the lowest
    /// candidate wins, so a bigger ceiling or a table does not.
    pub floor_size_ratio: f64,
    /// Also rotate about +z to align walls with x/y (default true).
    pub manhattan: bool,
    /// Points whose normal has |n_z| at most this count as wall points for
    /// the Manhattan yaw (default 0.3, about 17° from vertical).
    pub wall_max_abs_nz: f64,
    /// RANSAC hypotheses per plane (default 500).
    pub ransac_iterations: usize,
    /// RNG seed for RANSAC (default 0).
    pub seed: u64,
}

impl Default for AlignConfig {
    fn default() -> Self {
        AlignConfig {
            up_guess: None,
            voxel_size: 0.05,
            normal_k: 16,
            max_floor_tilt: 30f64.to_radians(),
            plane_threshold: 0.03,
            max_planes: 6,
            floor_size_ratio: 0.25,
            manhattan: true,
            wall_max_abs_nz: 0.3,
            ransac_iterations: 500,
            seed: 0,
        }
    }
}

/// What the alignment found and did.
#[derive(Debug, Clone, PartialEq)]
pub struct AlignReport {
    /// Working points (after voxel downsampling) that lie on the floor plane.
    pub floor_inliers: usize,
    /// Working points used (after voxel downsampling).
    pub working_points: usize,
    /// Floor normal in the input frame (unit, pointing up).
    pub floor_normal_in_input: [f64; 3],
    /// Horizontal planes found (floor candidates and others).
    pub horizontal_planes: usize,
    /// Height of the highest other large horizontal plane above the floor
    /// (the ceiling, when the scan has one), in input units.
    pub ceiling_above_floor: Option<f64>,
    /// Angle the gravity step rotated by (radians).
    pub tilt: f64,
    /// Yaw applied about +z after levelling (radians, in (−π/4, π/4]).
    pub yaw: f64,
    /// Near-vertical points used for the yaw.
    pub wall_points: usize,
    /// Fraction of wall points within 3° of the Manhattan axes (0..1); low
    /// values mean the room is not box-like and the yaw is unreliable.
    pub manhattan_support: f64,
}

/// The transform that aligns the input and what was found.
#[derive(Debug, Clone, PartialEq)]
pub struct Alignment {
    /// Maps input points to the aligned frame (+z up, floor at z = 0, walls
    /// along x/y).
    pub world_from_input: Isometry3<f64>,
    pub report: AlignReport,
}

/// Finds the gravity (floor) and Manhattan alignment of an indoor cloud.
pub fn align_to_gravity(cloud: &PointCloud, cfg: &AlignConfig) -> Result<Alignment, CloudError> {
    check_finite(&cloud.points)?;
    let up = match cfg.up_guess {
        Some(u) => Vector3::from(u).try_normalize(1e-12).ok_or(CloudError::BadParameter {
            what: "up guess",
            expected: "a non-zero finite vector",
            value: 0.0,
        })?,
        None => Vector3::z(),
    };
    let work = voxel_downsample(&PointCloud::from_points(cloud.points.clone()), cfg.voxel_size)?;
    if work.len() < MIN_PLANE_POINTS {
        return Err(CloudError::TooFewPoints { what: "gravity alignment", needed: MIN_PLANE_POINTS, got: work.len() });
    }
    let normals = estimate_normals(
        &work.points,
        &NormalConfig { k: cfg.normal_k, orientation: NormalOrientation::Unoriented },
    )?;
    let to_p = |p: &[f32; 3]| Point3::new(f64::from(p[0]), f64::from(p[1]), f64::from(p[2]));
    let to_v = |n: &[f32; 3]| Vector3::new(f64::from(n[0]), f64::from(n[1]), f64::from(n[2]));

    // 1. Floor: horizontal-ish planes among points with horizontal-ish normals.
    let cos_tilt = cfg.max_floor_tilt.cos();
    let mut remaining: Vec<Point3<f64>> = work
        .points
        .iter()
        .zip(&normals)
        .filter(|(_, n)| to_v(n).dot(&up).abs() >= cos_tilt)
        .map(|(p, _)| to_p(p))
        .collect();
    let estimator = PlaneEstimator::near_axis(up, cfg.max_floor_tilt);
    let mut planes = Vec::new(); // (plane, inliers, height along up, inlier centroid)
    for k in 0..cfg.max_planes {
        let rc = RansacConfig {
            threshold: cfg.plane_threshold,
            max_iterations: cfg.ransac_iterations,
            confidence: 0.999,
            min_inliers: MIN_PLANE_POINTS,
            seed: cfg.seed.wrapping_add(k as u64),
        };
        let Ok(fit) = ransac(&estimator, &remaining, &rc) else { break };
        let plane = fit.model.oriented_toward(&up);
        let centroid = Point3::from(
            fit.inliers.iter().fold(Vector3::zeros(), |s, &i| s + remaining[i].coords) / fit.inliers.len() as f64,
        );
        planes.push((plane, fit.inliers.len(), centroid.coords.dot(&up), centroid));
        let mut is_inlier = vec![false; remaining.len()];
        for &i in &fit.inliers {
            is_inlier[i] = true;
        }
        let mut j = 0;
        remaining.retain(|_| {
            j += 1;
            !is_inlier[j - 1]
        });
    }
    let largest = planes.iter().map(|p| p.1).max().ok_or_else(|| {
        CloudError::NoFloor(format!(
            "no plane within {:.0}° of horizontal (up guess {:?}); pass the right up direction",
            cfg.max_floor_tilt.to_degrees(),
            [up.x, up.y, up.z]
        ))
    })?;
    let floor = planes
        .iter()
        .filter(|p| p.1 as f64 >= cfg.floor_size_ratio * largest as f64)
        .min_by(|a, b| a.2.total_cmp(&b.2))
        .copied()
        .ok_or_else(|| CloudError::NoFloor("no large horizontal plane".into()))?;
    let (floor_plane, floor_inliers, floor_height, _) = floor;
    // Ceiling: the highest other large horizontal plane (for scale
    // heuristics), its distance measured along the floor normal.
    let ceiling_above_floor = planes
        .iter()
        .filter(|p| p.1 as f64 >= cfg.floor_size_ratio * largest as f64 && p.2 > floor_height)
        .max_by(|a, b| a.2.total_cmp(&b.2))
        .map(|p| floor_plane.signed_distance(&p.3));
    let n = floor_plane.normal;

    // 2. Level: floor normal to +z.
    let level = Rotation3::rotation_between(&n, &Vector3::z())
        .unwrap_or_else(|| Rotation3::from_axis_angle(&Vector3::x_axis(), PI));
    let tilt = level.angle();

    // 3. Manhattan yaw from near-vertical normals, folded modulo 90°.
    let mut yaw = 0.0;
    let mut wall_points = 0;
    let mut manhattan_support = 0.0;
    if cfg.manhattan {
        let angles: Vec<(f64, f64)> = normals
            .iter()
            .map(|m| level * to_v(m))
            .filter(|m| m.z.abs() <= cfg.wall_max_abs_nz)
            .map(|m| (m.y.atan2(m.x), (m.x * m.x + m.y * m.y).sqrt()))
            .collect();
        wall_points = angles.len();
        if let Some((phi, support)) = manhattan_yaw(&angles) {
            yaw = -phi;
            manhattan_support = support;
        }
    }
    let rotation = Rotation3::from_axis_angle(&Vector3::z_axis(), yaw) * level;
    // Floor points satisfy n·p = −offset; after the rotation their z is n·p.
    let world_from_input = Isometry3::from_parts(
        Translation3::new(0.0, 0.0, floor_plane.offset),
        UnitQuaternion::from_rotation_matrix(&rotation),
    );
    Ok(Alignment {
        world_from_input,
        report: AlignReport {
            floor_inliers,
            working_points: work.len(),
            floor_normal_in_input: [n.x, n.y, n.z],
            horizontal_planes: planes.len(),
            ceiling_above_floor,
            tilt,
            yaw,
            wall_points,
            manhattan_support,
        },
    })
}

/// A typical residential floor-to-ceiling height (metres; 2.4–2.7 m is common).
pub const NOMINAL_CEILING_HEIGHT: f64 = 2.5;

/// Metric-scale heuristic for clouds of unknown scale (monocular
/// reconstructions): the factor that makes the measured floor-to-ceiling
/// distance equal `nominal_ceiling` metres. `None` without a ceiling.
pub fn scale_from_ceiling(report: &AlignReport, nominal_ceiling: f64) -> Option<f64> {
    let h = report.ceiling_above_floor?;
    (h.is_finite() && h > 0.0 && nominal_ceiling.is_finite() && nominal_ceiling > 0.0).then(|| nominal_ceiling / h)
}

/// The dominant wall direction modulo 90° from `(angle, weight)` pairs:
/// returns `(phi, support)` with `phi` in (−π/4, π/4] and the fraction of
/// weight within [`YAW_REFINE_WINDOW`] of it; `None` with too few points.
pub fn manhattan_yaw(angles: &[(f64, f64)]) -> Option<(f64, f64)> {
    if angles.len() < MIN_WALL_POINTS {
        return None;
    }
    let bins = (FRAC_PI_2 / YAW_BIN).round() as usize;
    let fold = |a: f64| a.rem_euclid(FRAC_PI_2);
    let mut hist = vec![0.0f64; bins];
    for &(a, w) in angles {
        let b = ((fold(a) / YAW_BIN) as usize).min(bins - 1);
        hist[b] += w;
    }
    // Circular smoothing over ±2 bins, then the peak.
    let smooth: Vec<f64> = (0..bins)
        .map(|i| (0..5).map(|d| hist[(i + bins + d - 2) % bins] * [1.0, 2.0, 3.0, 2.0, 1.0][d]).sum())
        .collect();
    let peak = smooth.iter().enumerate().max_by(|a, b| a.1.total_cmp(b.1)).map(|(i, _)| i)?;
    let centre = (peak as f64 + 0.5) * YAW_BIN;
    // Refine: circular mean of 4·angle over the points near the peak.
    let (mut s, mut c, mut near, mut total) = (0.0, 0.0, 0.0, 0.0);
    for &(a, w) in angles {
        total += w;
        let d = (fold(a) - centre + FRAC_PI_4).rem_euclid(FRAC_PI_2) - FRAC_PI_4;
        if d.abs() <= YAW_REFINE_WINDOW {
            s += w * (4.0 * a).sin();
            c += w * (4.0 * a).cos();
            near += w;
        }
    }
    if near <= 0.0 {
        return None;
    }
    let mut phi = s.atan2(c) / 4.0; // in (−π/4, π/4]
    if phi <= -FRAC_PI_4 {
        phi += FRAC_PI_2;
    }
    Some((phi, near / total))
}

#[cfg(test)]
mod tests {
    use super::super::test_util::box_room;
    use super::*;

    /// Room with some clutter: a table top at 0.75 m.
    fn room() -> PointCloud {
        let mut c = box_room(5.0, 4.0, 2.6, 120.0, 0.005, 21);
        for i in 0..40 {
            for j in 0..30 {
                c.points.push([1.0 + i as f32 * 0.025, 1.0 + j as f32 * 0.025, 0.75]);
            }
        }
        c
    }

    fn check_recovers(tilt_axis: Vector3<f64>, tilt_deg: f64, yaw_deg: f64, up_guess: Option<[f64; 3]>, pre: Rotation3<f64>) {
        let original = room();
        let input_from_original = Isometry3::from_parts(
            Translation3::new(0.3, -1.2, 0.9),
            UnitQuaternion::from_rotation_matrix(
                &(Rotation3::from_axis_angle(&nalgebra::Unit::new_normalize(tilt_axis), tilt_deg.to_radians())
                    * pre
                    * Rotation3::from_axis_angle(&Vector3::z_axis(), yaw_deg.to_radians())),
            ),
        );
        let mut input = original.clone();
        input.transform(&input_from_original);
        let cfg = AlignConfig { up_guess, ..Default::default() };
        let a = align_to_gravity(&input, &cfg).unwrap();
        let total = a.world_from_input * input_from_original;
        // Up is up again.
        let up_err = (total.rotation * Vector3::z()).angle(&Vector3::z()).to_degrees();
        assert!(up_err < 0.5, "gravity error {up_err}°, report {:?}", a.report);
        // Walls along the axes: the residual yaw is a multiple of 90°.
        let x = total.rotation * Vector3::x();
        let yaw = x.y.atan2(x.x).to_degrees();
        let off = (yaw + 45.0).rem_euclid(90.0) - 45.0;
        assert!(off.abs() < 0.5, "yaw error {off}° (residual yaw {yaw}°), report {:?}", a.report);
        // Floor at z = 0: a floor point of the original maps to z ≈ 0.
        let floor_pt = total * Point3::new(2.5, 2.0, 0.0);
        assert!(floor_pt.z.abs() < 0.01, "floor at {}", floor_pt.z);
        let ceiling_pt = total * Point3::new(2.5, 2.0, 2.6);
        assert!((ceiling_pt.z - 2.6).abs() < 0.02);
        assert!(a.report.floor_inliers > 1000 && a.report.manhattan_support > 0.5, "{:?}", a.report);
        let ceiling = a.report.ceiling_above_floor.unwrap();
        assert!((ceiling - 2.6).abs() < 0.02, "{:?}", a.report);
        assert!((scale_from_ceiling(&a.report, 2.6).unwrap() - 1.0).abs() < 0.01);
        if pre.angle() == 0.0 {
            assert!((a.report.tilt.to_degrees() - tilt_deg).abs() < 0.5, "{:?}", a.report);
        }
    }

    #[test]
    fn recovers_tilt_and_yaw_of_a_box_room() {
        check_recovers(Vector3::new(1.0, 0.4, 0.0), 12.0, 17.0, None, Rotation3::identity());
        check_recovers(Vector3::new(-0.3, 1.0, 0.0), 5.0, -38.0, None, Rotation3::identity());
        check_recovers(Vector3::new(0.0, 1.0, 0.0), 0.0, 0.0, None, Rotation3::identity());
    }

    #[test]
    fn recovers_a_y_down_camera_frame_with_an_up_guess() {
        // Original z-up turned so that up is −y (OpenCV camera held upright), then tilted 8°.
        let pre = Rotation3::from_axis_angle(&Vector3::x_axis(), FRAC_PI_2);
        check_recovers(Vector3::new(0.0, 0.0, 1.0), 8.0, 25.0, Some([0.0, -1.0, 0.0]), pre);
    }

    #[test]
    fn picks_the_floor_even_when_the_ceiling_is_bigger() {
        let mut c = box_room(5.0, 4.0, 2.6, 120.0, 0.005, 5);
        // Extra ceiling points: now the ceiling plane dominates.
        let extra = box_room(5.0, 4.0, 0.0, 200.0, 0.003, 6);
        c.points.extend(extra.points.iter().filter(|p| p[2].abs() < 0.05).map(|p| [p[0], p[1], 2.6]));
        let a = align_to_gravity(&c, &AlignConfig::default()).unwrap();
        assert!((a.world_from_input * Point3::new(1.0, 1.0, 0.0)).z.abs() < 0.01);
        assert!(a.report.tilt < 0.5f64.to_radians());
    }

    #[test]
    fn errors_without_a_floor() {
        // Only walls: no horizontal plane.
        let c = box_room(5.0, 4.0, 2.6, 100.0, 0.002, 1);
        let walls = PointCloud::from_points(
            c.points.into_iter().filter(|p| p[2] > 0.1 && p[2] < 2.5).collect(),
        );
        let e = align_to_gravity(&walls, &AlignConfig { manhattan: false, ..Default::default() }).unwrap_err();
        assert!(matches!(e, CloudError::NoFloor(_)), "{e}");
        assert!(align_to_gravity(&PointCloud::default(), &AlignConfig::default()).is_err());
        let bad = AlignConfig { up_guess: Some([0.0; 3]), ..Default::default() };
        assert!(align_to_gravity(&room(), &bad).is_err());
    }

    #[test]
    fn manhattan_yaw_folds_and_refines() {
        let angles: Vec<(f64, f64)> = (0..100)
            .map(|i| (0.2 + (i % 4) as f64 * FRAC_PI_2 + if i % 2 == 0 { 0.01 } else { -0.01 }, 1.0))
            .collect();
        let (phi, support) = manhattan_yaw(&angles).unwrap();
        assert!((phi - 0.2).abs() < 1e-9 && support == 1.0);
        let near_45: Vec<(f64, f64)> = (0..40).map(|i| (FRAC_PI_4 - 0.001 + (i % 2) as f64 * 0.002, 1.0)).collect();
        let (phi, _) = manhattan_yaw(&near_45).unwrap();
        assert!((phi.abs() - FRAC_PI_4).abs() < 2e-3, "{phi}");
        assert!(manhattan_yaw(&angles[..5]).is_none());
    }
}
