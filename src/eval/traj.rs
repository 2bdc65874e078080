//! Trajectory metrics: timestamp association, absolute trajectory error
//! after SE(3) or Sim(3) Umeyama alignment, relative pose error, path length
//! — defined as `evo` (the TUM/EuRoC tool everyone reports with) defines them.

use super::EvalError;
use crate::geom::umeyama::{umeyama, Sim3, MIN_POINTS};
use crate::trajectory::Trajectory;
use nalgebra::{Isometry3, Point3};
use serde::Serialize;

/// How the estimate is aligned to the ground truth before ATE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Alignment {
    /// Rigid: rotation + translation.
    Se3,
    /// Similarity: rotation + translation + scale (monocular estimates).
    Sim3,
}

impl Alignment {
    /// `"se3"` or `"sim3"`.
    pub fn name(self) -> &'static str {
        match self {
            Alignment::Se3 => "se3",
            Alignment::Sim3 => "sim3",
        }
    }
}

/// Settings of the trajectory metrics.
#[derive(Debug, Clone, PartialEq)]
pub struct TrajConfig {
    /// Alignment before ATE and RPE (default SE(3)).
    pub align: Alignment,
    /// Largest timestamp difference for two poses to be associated, seconds
    /// (default 0.02 s, i.e. within one frame at 50 fps).
    pub max_dt: f64,
    /// RPE step in matched frames (default 1: consecutive poses); ignored
    /// when `rpe_delta_m` is set.
    pub rpe_delta: usize,
    /// RPE step as ground-truth path length, metres (evo's `--delta_unit m`
    /// with pairs taken from the reference); `None`: steps in frames.
    pub rpe_delta_m: Option<f64>,
}

impl Default for TrajConfig {
    fn default() -> Self {
        TrajConfig { align: Alignment::Se3, max_dt: 0.02, rpe_delta: 1, rpe_delta_m: None }
    }
}

/// Index pairs `(est, gt)` of associated poses. Like `evo`: every pose of
/// the shorter trajectory (the estimate when lengths are equal) takes the
/// nearest stamp of the other (first index on ties) when within `max_dt`.
pub fn associate(est: &Trajectory, gt: &Trajectory, max_dt: f64) -> Vec<(usize, usize)> {
    let est_t: Vec<f64> = est.poses.iter().map(|p| p.t).collect();
    let gt_t: Vec<f64> = gt.poses.iter().map(|p| p.t).collect();
    let gt_longer = gt_t.len() >= est_t.len();
    let (short, long) = if gt_longer { (&est_t, &gt_t) } else { (&gt_t, &est_t) };
    let mut sorted: Vec<(f64, usize)> = long.iter().copied().zip(0..).collect();
    sorted.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    for (i, &t) in short.iter().enumerate() {
        let pos = sorted.partition_point(|&(s, _)| s < t);
        let mut best: Option<(f64, usize)> = None;
        // The nearest stamps are in the runs of equal values either side of
        // `pos`; walk them and keep the smallest difference, then index.
        let mut consider = |k: usize| {
            if let Some(&(s, j)) = sorted.get(k) {
                let d = (s - t).abs();
                if best.is_none_or(|(bd, bj)| d < bd || (d == bd && j < bj)) {
                    best = Some((d, j));
                }
            }
        };
        let mut k = pos;
        while k < sorted.len() && sorted[k].0 == sorted[pos].0 {
            consider(k);
            k += 1;
        }
        if pos > 0 {
            let left = sorted[pos - 1].0;
            let mut k = pos;
            while k > 0 && sorted[k - 1].0 == left {
                consider(k - 1);
                k -= 1;
            }
        }
        if let Some((d, j)) = best {
            if d <= max_dt {
                out.push(if gt_longer { (i, j) } else { (j, i) });
            }
        }
    }
    out
}

/// Everything the trajectory evaluation reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrajReport {
    /// Associated (and scored) pose pairs.
    pub matched: usize,
    pub est_poses: usize,
    pub gt_poses: usize,
    pub ate_rmse: f64,
    pub ate_mean: f64,
    pub ate_median: f64,
    pub ate_max: f64,
    pub align: Alignment,
    /// Scale applied to the estimate (1 for SE(3)).
    pub scale: f64,
    /// RPE pairs scored.
    pub rpe_pairs: usize,
    pub rpe_delta_frames: usize,
    /// The RPE step in metres of GT path, when given that way.
    pub rpe_delta_m: Option<f64>,
    pub rpe_trans_rmse: f64,
    pub rpe_trans_mean: f64,
    pub rpe_rot_rmse_deg: f64,
    pub rpe_rot_mean_deg: f64,
    /// Length of the matched ground-truth path, metres.
    pub path_length: f64,
    /// ATE RMSE as a percentage of `path_length` (0 for a zero-length path).
    pub ate_rmse_pct_of_path: f64,
    /// Angle between the aligned estimate's +z axis and the ground truth's,
    /// degrees: for two z-up (gravity-aligned) frames, the gravity error.
    pub tilt_deg: f64,
    /// Orientation error after the whole-pose alignment: RMSE over matched
    /// poses of the angle between the aligned estimated orientation and
    /// the true one, degrees.
    pub rot_rmse_deg: f64,
    /// The estimate keeps its camera centre fixed (the rotation-only output
    /// of a turn on the spot): its positions cannot be aligned, so the
    /// alignment comes from orientations alone, the centre is placed at the
    /// true path's centroid (ATE is then the true path's spread about it)
    /// and `scale` is undefined (NaN, `null` in JSON).
    pub fixed_centre: bool,
    pub max_dt: f64,
    /// Estimate frame → ground-truth frame from whole poses (see
    /// [`pose_alignment`]); applied to a predicted cloud to score it in the
    /// ground truth's frame, and the source of `tilt_deg`.
    #[serde(skip)]
    pub est_to_gt: crate::geom::umeyama::Sim3,
}

fn rmse(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    (v.iter().map(|x| x * x).sum::<f64>() / v.len() as f64).sqrt()
}

fn mean(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.iter().sum::<f64>() / v.len() as f64
}

/// Median for reports (numpy's: the mean of the two middle values for
/// even lengths); 0 for an empty list, which a report shows beside a count
/// of 0.
pub fn median(v: &[f64]) -> f64 {
    crate::geom::stats::median_mean(v).unwrap_or(0.0)
}

/// Index pairs `(i, j)` of matched poses the RPE compares, as evo picks
/// them without `all_pairs`: in frames, `(0, δ), (δ, 2δ), …`; in metres,
/// the chain of indices where the ground-truth path travelled since the
/// previous index first reaches δ (starting at 0), consecutive pairs of it.
pub fn rpe_pairs(gt_positions: &[Point3<f64>], cfg: &TrajConfig) -> Vec<(usize, usize)> {
    let n = gt_positions.len();
    let ids: Vec<usize> = match cfg.rpe_delta_m {
        None => (0..n).step_by(cfg.rpe_delta.max(1)).collect(),
        Some(delta) => {
            let mut ids = vec![0];
            let mut path = 0.0;
            for i in 1..n {
                path += (gt_positions[i] - gt_positions[i - 1]).norm();
                if path >= delta {
                    ids.push(i);
                    path = 0.0;
                }
            }
            ids
        }
    };
    ids.windows(2).map(|w| (w[0], w[1])).collect()
}

/// Scores an estimated trajectory against ground truth.
pub fn evaluate_trajectory(est: &Trajectory, gt: &Trajectory, cfg: &TrajConfig) -> Result<TrajReport, EvalError> {
    if !cfg.max_dt.is_finite() || cfg.max_dt < 0.0 {
        return Err(EvalError::Config(format!("--max-dt must be a finite number >= 0, got {}", cfg.max_dt)));
    }
    if cfg.rpe_delta == 0 {
        return Err(EvalError::Config("the RPE delta must be at least 1 frame".into()));
    }
    if let Some(d) = cfg.rpe_delta_m {
        if !d.is_finite() || d <= 0.0 {
            return Err(EvalError::Config(format!("the RPE delta must be a positive distance in metres, got {d}")));
        }
    }
    let pairs = associate(est, gt, cfg.max_dt);
    if pairs.len() < MIN_POINTS {
        return Err(EvalError::TooFewMatches { matched: pairs.len(), needed: MIN_POINTS, max_dt: cfg.max_dt });
    }
    let e: Vec<Isometry3<f64>> = pairs.iter().map(|&(i, _)| est.poses[i].world_from_camera).collect();
    let g: Vec<Isometry3<f64>> = pairs.iter().map(|&(_, j)| gt.poses[j].world_from_camera).collect();
    let ep: Vec<Point3<f64>> = e.iter().map(|p| Point3::from(p.translation.vector)).collect();
    let gp: Vec<Point3<f64>> = g.iter().map(|p| Point3::from(p.translation.vector)).collect();
    let fixed_centre = is_fixed_centre(&ep);
    let by_orientation = if fixed_centre { pose_alignment(&e, &g, false) } else { None };
    let sim = match by_orientation {
        Some(s) => s,
        None => umeyama(&ep, &gp, cfg.align == Alignment::Sim3).map_err(|source| EvalError::Alignment { matched: pairs.len(), source })?,
    };
    let aligned: Vec<Isometry3<f64>> = e.iter().map(|p| sim.transform_pose(p)).collect();
    let ate: Vec<f64> =
        aligned.iter().zip(&g).map(|(a, b)| (a.translation.vector - b.translation.vector).norm()).collect();
    let mut rpe_t = Vec::new();
    let mut rpe_r = Vec::new();
    let d = cfg.rpe_delta;
    for (i, j) in rpe_pairs(&gp, cfg) {
        let rel_est = aligned[i].inverse() * aligned[j];
        let rel_gt = g[i].inverse() * g[j];
        let err = rel_gt.inverse() * rel_est;
        rpe_t.push(err.translation.vector.norm());
        rpe_r.push(err.rotation.angle().to_degrees());
    }
    let path_length = gp.windows(2).map(|w| (w[1] - w[0]).norm()).sum();
    let est_to_gt = pose_alignment(&e, &g, cfg.align == Alignment::Sim3 && !fixed_centre).unwrap_or(sim);
    let r_align = nalgebra::UnitQuaternion::from_rotation_matrix(&est_to_gt.rotation);
    let rot_err: Vec<f64> = e.iter().zip(&g).map(|(a, b)| (r_align * a.rotation).angle_to(&b.rotation).to_degrees()).collect();
    Ok(TrajReport {
        matched: pairs.len(),
        est_poses: est.poses.len(),
        gt_poses: gt.poses.len(),
        ate_rmse: rmse(&ate),
        ate_mean: mean(&ate),
        ate_median: median(&ate),
        ate_max: ate.iter().copied().fold(0.0, f64::max),
        align: cfg.align,
        scale: if fixed_centre { f64::NAN } else { sim.scale },
        rpe_pairs: rpe_t.len(),
        rpe_delta_frames: d,
        rpe_delta_m: cfg.rpe_delta_m,
        rpe_trans_rmse: rmse(&rpe_t),
        rpe_trans_mean: mean(&rpe_t),
        rpe_rot_rmse_deg: rmse(&rpe_r),
        rpe_rot_mean_deg: mean(&rpe_r),
        path_length,
        ate_rmse_pct_of_path: if path_length > 0.0 { 100.0 * rmse(&ate) / path_length } else { 0.0 },
        tilt_deg: (est_to_gt.rotation * nalgebra::Vector3::z()).z.clamp(-1.0, 1.0).acos().to_degrees(),
        rot_rmse_deg: rmse(&rot_err),
        fixed_centre,
        max_dt: cfg.max_dt,
        est_to_gt,
    })
}

/// Relative size (to the positions' distance from the origin, at least 1)
/// below which an estimate's camera centres count as one point.
const FIXED_CENTRE_TOLERANCE: f64 = 1e-9;

/// Whether every position is the same point (a rotation-only trajectory).
fn is_fixed_centre(p: &[Point3<f64>]) -> bool {
    let Some(first) = p.first() else { return false };
    let size = p.iter().map(|q| q.coords.norm()).fold(1.0, f64::max);
    p.iter().all(|q| (q - first).norm() <= FIXED_CENTRE_TOLERANCE * size)
}

/// Aligns an estimated trajectory onto the ground truth using whole poses:
/// the rotation is the chordal mean of `R_gt,i · R_est,i⁻¹` over matched
/// poses (orientations pin it down even when the camera path is nearly a
/// line, where a positions-only Umeyama fit can spin freely about that
/// line); scale (with `with_scale`) and translation are then the least
/// squares fit of the positions under that rotation. ATE keeps the
/// standard positions-only alignment; this one moves clouds and measures
/// tilt. `None` when the rotation sum is degenerate.
pub fn pose_alignment(est: &[Isometry3<f64>], gt: &[Isometry3<f64>], with_scale: bool) -> Option<Sim3> {
    let n = est.len().min(gt.len());
    if n == 0 {
        return None;
    }
    let mut m = nalgebra::Matrix3::zeros();
    for (e, g) in est.iter().zip(gt) {
        m += g.rotation.to_rotation_matrix().matrix() * e.rotation.to_rotation_matrix().matrix().transpose();
    }
    let svd = m.svd(true, true);
    let (u, v_t) = (svd.u?, svd.v_t?);
    let mut d = nalgebra::Matrix3::identity();
    if (u * v_t).determinant() < 0.0 {
        d[(2, 2)] = -1.0;
    }
    let r = nalgebra::Rotation3::from_matrix_unchecked(u * d * v_t);
    let nf = n as f64;
    let mu_e = est.iter().take(n).fold(nalgebra::Vector3::zeros(), |a, p| a + p.translation.vector) / nf;
    let mu_g = gt.iter().take(n).fold(nalgebra::Vector3::zeros(), |a, p| a + p.translation.vector) / nf;
    let mut num = 0.0;
    let mut den = 0.0;
    for (e, g) in est.iter().zip(gt) {
        let re = r * (e.translation.vector - mu_e);
        num += (g.translation.vector - mu_g).dot(&re);
        den += re.norm_squared();
    }
    let scale = if with_scale { if den > 0.0 && num > 0.0 { num / den } else { return None } } else { 1.0 };
    let translation = mu_g - scale * (r * mu_e);
    Some(Sim3 { rotation: r, translation, scale })
}

/// Reads and scores TUM trajectories: two files, or two folders of files
/// matched by name (`.txt`, `.tum`).
pub fn evaluate_trajectory_paths(
    est: &std::path::Path,
    gt: &std::path::Path,
    cfg: &TrajConfig,
) -> Result<super::files::Batch<TrajReport>, EvalError> {
    let pairs = super::files::pair_inputs(est, gt, &["txt", "tum"])?;
    let mut items = Vec::new();
    for p in pairs {
        let e = Trajectory::read_tum(&p.pred)?;
        let g = Trajectory::read_tum(&p.gt)?;
        let r = evaluate_trajectory(&e, &g, cfg).map_err(|err| EvalError::BadInput {
            path: format!("{} vs {}", p.pred.display(), p.gt.display()),
            message: err.to_string(),
        })?;
        items.push((p.name, r));
    }
    Ok(super::files::Batch { items })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trajectory::StampedPose;
    use nalgebra::Vector3;

    fn circle(n: usize, dt: f64, t0: f64) -> Trajectory {
        Trajectory {
            poses: (0..n)
                .map(|i| {
                    let a = i as f64 * 0.1;
                    StampedPose {
                        t: t0 + i as f64 * dt,
                        world_from_camera: Isometry3::new(
                            Vector3::new(a.cos() * 2.0, a.sin() * 2.0, 1.0 + 0.1 * a),
                            Vector3::new(0.0, 0.0, a),
                        ),
                    }
                })
                .collect(),
        }
    }

    #[test]
    fn identical_trajectories_score_zero() {
        let t = circle(50, 0.1, 0.0);
        let r = evaluate_trajectory(&t, &t, &TrajConfig::default()).unwrap();
        assert_eq!(r.matched, 50);
        assert!(r.ate_rmse < 1e-9 && r.rpe_trans_rmse < 1e-9 && r.rpe_rot_rmse_deg < 1e-5);
        assert!((r.scale - 1.0).abs() < 1e-12);
        // path: 49 chords of a helix
        assert!(r.path_length > 9.0 && r.path_length < 10.0);
    }

    #[test]
    fn similarity_is_removed_by_sim3_only() {
        let gt = circle(40, 0.1, 0.0);
        let sim = Sim3 {
            rotation: nalgebra::Rotation3::from_euler_angles(0.1, 0.2, 0.3),
            translation: Vector3::new(1.0, 2.0, 3.0),
            scale: 0.5,
        };
        let est = Trajectory {
            poses: gt.poses.iter().map(|p| StampedPose { t: p.t + 0.005, world_from_camera: sim.transform_pose(&p.world_from_camera) }).collect(),
        };
        let r = evaluate_trajectory(&est, &gt, &TrajConfig { align: Alignment::Sim3, ..Default::default() }).unwrap();
        assert!(r.ate_rmse < 1e-9, "{}", r.ate_rmse);
        assert!((r.scale - 2.0).abs() < 1e-9);
        assert!(r.rpe_rot_rmse_deg < 1e-5);
        // The estimate's frame is tilted by the inverse of `sim`; the
        // alignment undoes it and reports how far +z was tipped.
        let tipped = (sim.rotation.inverse() * Vector3::z()).z.acos().to_degrees();
        assert!((r.tilt_deg - tipped).abs() < 1e-6 && r.tilt_deg > 5.0, "{} vs {tipped}", r.tilt_deg);
        // The alignment maps estimate positions onto the truth.
        let p = Point3::from(est.poses[7].world_from_camera.translation.vector);
        let q = Point3::from(gt.poses[7].world_from_camera.translation.vector);
        assert!((r.est_to_gt.transform_point(&p) - q).norm() < 1e-9);
        let r = evaluate_trajectory(&est, &gt, &TrajConfig::default()).unwrap();
        assert!(r.ate_rmse > 0.1);
    }

    #[test]
    fn pose_alignment_is_pinned_by_orientations_on_a_straight_path() {
        // A straight walk along x, camera turning about z: positions alone
        // leave the rotation about x free; orientations fix it.
        let gt: Vec<Isometry3<f64>> = (0..30)
            .map(|i| Isometry3::new(Vector3::new(0.1 * i as f64, 0.0, 1.5), Vector3::new(0.0, 0.0, 0.05 * i as f64)))
            .collect();
        let sim = Sim3 {
            rotation: nalgebra::Rotation3::from_euler_angles(2.0, 0.1, -0.4),
            translation: Vector3::new(0.5, -2.0, 1.0),
            scale: 3.0,
        };
        let est: Vec<Isometry3<f64>> = gt.iter().map(|p| sim.transform_pose(p)).collect();
        let a = pose_alignment(&est, &gt, true).unwrap();
        assert!((a.scale - 1.0 / 3.0).abs() < 1e-9, "{}", a.scale);
        for (e, g) in est.iter().zip(&gt) {
            let p = a.transform_point(&Point3::from(e.translation.vector));
            assert!((p.coords - g.translation.vector).norm() < 1e-9);
        }
        let up = a.rotation * (sim.rotation * Vector3::z());
        assert!((up - Vector3::z()).norm() < 1e-9);
    }

    #[test]
    fn a_fixed_centre_estimate_is_aligned_by_orientations() {
        // A turn on the spot about a point 5 cm from the camera (the true
        // centre moves on a small circle); the estimate keeps its centre
        // fixed, in a frame tipped by 10 degrees.
        let gt = Trajectory {
            poses: (0..40)
                .map(|i| {
                    let a = i as f64 * 0.05;
                    StampedPose { t: i as f64 * 0.1, world_from_camera: Isometry3::new(Vector3::new(0.05 * a.cos(), 0.05 * a.sin(), 1.5), Vector3::new(0.0, 0.0, a)) }
                })
                .collect(),
        };
        let tip = nalgebra::UnitQuaternion::from_scaled_axis(Vector3::new(10f64.to_radians(), 0.0, 0.0));
        let est = Trajectory {
            poses: gt.poses.iter().map(|p| StampedPose { t: p.t, world_from_camera: Isometry3::from_parts(nalgebra::Translation3::identity(), tip * p.world_from_camera.rotation) }).collect(),
        };
        let r = evaluate_trajectory(&est, &gt, &TrajConfig { align: Alignment::Sim3, ..Default::default() }).unwrap();
        assert!(r.fixed_centre && r.scale.is_nan(), "{r:?}");
        assert!((r.tilt_deg - 10.0).abs() < 1e-6, "{}", r.tilt_deg);
        assert!(r.rot_rmse_deg < 1e-5, "{}", r.rot_rmse_deg);
        // ATE: the true centres' spread about their centroid (a 5 cm arc).
        assert!(r.ate_rmse > 0.01 && r.ate_rmse < 0.05, "{}", r.ate_rmse);
        // A rotation error shows in rot_rmse_deg.
        let wrong = Trajectory {
            poses: est.poses.iter().enumerate().map(|(i, p)| StampedPose { t: p.t, world_from_camera: Isometry3::from_parts(nalgebra::Translation3::identity(), p.world_from_camera.rotation * nalgebra::UnitQuaternion::from_scaled_axis(Vector3::new(0.0, 0.02 * (i % 2) as f64, 0.0))) }).collect(),
        };
        let r = evaluate_trajectory(&wrong, &gt, &TrajConfig::default()).unwrap();
        assert!(r.rot_rmse_deg > 0.3, "{}", r.rot_rmse_deg);
        // The same estimate with moving centres is aligned by positions.
        let r = evaluate_trajectory(&gt, &gt, &TrajConfig::default()).unwrap();
        assert!(!r.fixed_centre && r.rot_rmse_deg < 1e-5 && r.ate_rmse < 1e-9);
    }

    #[test]
    fn association_respects_max_dt() {
        let gt = circle(10, 0.1, 0.0);
        let est = circle(10, 0.1, 0.05);
        assert!(associate(&est, &gt, 0.02).is_empty());
        assert_eq!(associate(&est, &gt, 0.06).len(), 10);
        let err = evaluate_trajectory(&est, &gt, &TrajConfig::default()).unwrap_err();
        assert!(err.to_string().contains("0 poses"), "{err}");
    }

    #[test]
    fn collinear_is_a_clear_error() {
        let line = Trajectory {
            poses: (0..10)
                .map(|i| StampedPose { t: i as f64, world_from_camera: Isometry3::translation(i as f64, 0.0, 0.0) })
                .collect(),
        };
        let err = evaluate_trajectory(&line, &line, &TrajConfig::default()).unwrap_err();
        assert!(err.to_string().contains("collinear"), "{err}");
    }

    #[test]
    fn median_even_and_odd() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
