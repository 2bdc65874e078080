//! Gravity from the vertical vanishing direction: line segments (OpenCV
//! LSD) in a sample of views, lifted with the views' rotations to planes
//! through the camera centres; a vertical 3D line lies in its plane, so the
//! up direction `g` satisfies `m · g = 0` for every vertical segment's
//! plane normal `m` (world frame). Two segments propose `g = m₁ × m₂`
//! (RANSAC, restricted to a cone around the cameras' up prior), segments
//! vote with their length, and the winner is refined by least squares.
//!
//! The segments are found per frame ([`line_segments`], on the reader
//! thread, for frames sampled in time) and lifted with whatever poses the
//! frames end up with, so a map with two keyframes (a turn on the spot)
//! still gets every tracked frame's lines.
//!
//! Needs camera rotations (map frame) and intrinsics; knows nothing of
//! clouds, maps or files.

use super::geometry::Pinhole;
use super::{cv, ReconError};
use nalgebra::{Isometry3, Matrix3, UnitQuaternion, Vector3};
use opencv::core::{Mat, Vector, Vec4f};
use opencv::imgproc;
use opencv::prelude::*;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Tolerance factors of the least-squares refinement passes (times the
/// inlier tolerance). Shrinking them to a quarter took the error with the
/// true poses of the dev videos from 0.3–2° to 0.01–0.08°, but with tracked
/// poses (rotations off by a few tenths of a degree) it made dev seeds 2
/// and 6 worse (1.1° → 2.0°, 0.24° → 0.35°): kept at full tolerance.
const REFINE_TOLERANCES: [f64; 3] = [1.0, 1.0, 1.0];
/// Fewest segments a refinement pass needs; below it the refinement stops.
const REFINE_MIN_SEGMENTS: usize = 8;

/// Vanishing-direction settings.
#[derive(Debug, Clone)]
pub struct VerticalConfig {
    /// Views used at most (evenly sampled).
    pub max_views: usize,
    /// Segments shorter than this fraction of the image diagonal are ignored.
    pub min_length_frac: f64,
    /// The answer lies within this angle of the up prior (degrees).
    pub max_prior_angle_deg: f64,
    /// A segment supports `g` when its plane is within this angle of
    /// containing it (degrees).
    pub inlier_deg: f64,
    /// RANSAC hypotheses.
    pub iterations: usize,
    /// Fewest supporting segments for an answer.
    pub min_segments: usize,
    pub seed: u64,
}

impl Default for VerticalConfig {
    fn default() -> Self {
        VerticalConfig { max_views: 60, min_length_frac: 0.05, max_prior_angle_deg: 35.0, inlier_deg: 0.75, iterations: 2000, min_segments: 20, seed: 0 }
    }
}

/// The vertical direction found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Vertical {
    /// Unit up direction in the map frame (the prior's side).
    pub up: Vector3<f64>,
    /// Supporting segments and all near-vertical segments considered.
    pub inliers: usize,
    pub candidates: usize,
    /// Views the supporting segments come from.
    pub views: usize,
    /// RMS angle between the supporting planes and `up` (degrees).
    pub rms_deg: f64,
}

/// A segment's interpretation-plane normal (world frame), length (pixels),
/// tolerance on `|m · up|` and view.
struct Seg {
    m: Vector3<f64>,
    w: f64,
    tol: f64,
    view: usize,
}

/// Endpoint noise assumed for the tolerance of short segments (pixels).
const ENDPOINT_NOISE_PX: f64 = 1.0;

/// Line segments (OpenCV LSD) of one grey or BGR image, as pixel
/// endpoints `[x1, y1, x2, y2]`.
pub fn line_segments(image: &Mat) -> Result<Vec<[f64; 4]>, ReconError> {
    let mut g = Mat::default();
    if image.channels() == 3 {
        imgproc::cvt_color_def(image, &mut g, imgproc::COLOR_BGR2GRAY).map_err(cv("grey"))?;
    } else {
        g = image.try_clone().map_err(cv("copy"))?;
    }
    let mut lsd = imgproc::create_line_segment_detector_def().map_err(cv("LSD create"))?;
    let mut lines = Vector::<Vec4f>::new();
    lsd.detect_def(&g, &mut lines).map_err(cv("LSD detect"))?;
    Ok(lines.iter().map(|l| [l[0] as f64, l[1] as f64, l[2] as f64, l[3] as f64]).collect())
}

/// Finds the vertical direction from `views` (`camera_from_world` poses and
/// images at the resolution of `k`) near `prior` (map frame). `None` when
/// too few segments agree.
pub fn vertical_direction(views: &[(Isometry3<f64>, &Mat)], k: &Pinhole, prior: &Vector3<f64>, cfg: &VerticalConfig) -> Result<Option<Vertical>, ReconError> {
    let mut lines = Vec::with_capacity(views.len());
    let mut diagonal: f64 = 0.0;
    for (pose, image) in views {
        let size = image.size().map_err(cv("size"))?;
        diagonal = diagonal.max((size.width as f64).hypot(size.height as f64));
        lines.push((*pose, line_segments(image)?));
    }
    let lv: Vec<(Isometry3<f64>, &[[f64; 4]])> = lines.iter().map(|(p, l)| (*p, l.as_slice())).collect();
    Ok(vertical_from_segments(&lv, diagonal, k, prior, cfg))
}

/// [`vertical_direction`] from segments found already ([`line_segments`]):
/// `views` are `camera_from_world` poses with their segments (pixels of an
/// image with diagonal `diagonal`, at the resolution of `k`).
pub fn vertical_from_segments(views: &[(Isometry3<f64>, &[[f64; 4]])], diagonal: f64, k: &Pinhole, prior: &Vector3<f64>, cfg: &VerticalConfig) -> Option<Vertical> {
    let prior = prior.try_normalize(1e-12)?;
    if views.is_empty() {
        return None;
    }
    let kinv = Matrix3::new(k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0).try_inverse().unwrap_or_else(Matrix3::identity);
    let step = views.len().div_ceil(cfg.max_views.max(1)).max(1);
    let max_cos_prior = (90.0 - cfg.max_prior_angle_deg).to_radians().cos(); // |m·prior| for candidate verticals
    let sin_in = cfg.inlier_deg.to_radians().sin();
    let min_len = cfg.min_length_frac * diagonal;
    let mut segs: Vec<Seg> = vec![];
    for (vi, (pose, lines)) in views.iter().enumerate().step_by(step) {
        let world_from_cam = pose.inverse().rotation;
        for l in lines.iter() {
            let len = (l[2] - l[0]).hypot(l[3] - l[1]);
            if len.is_nan() || len < min_len {
                continue;
            }
            let a = kinv * Vector3::new(l[0], l[1], 1.0);
            let b = kinv * Vector3::new(l[2], l[3], 1.0);
            let Some(n) = a.cross(&b).try_normalize(1e-12) else { continue };
            let m = world_from_cam * n;
            // A vertical line's plane contains `up`: m ⟂ up, roughly.
            if m.dot(&prior).abs() > max_cos_prior {
                continue;
            }
            segs.push(Seg { m, w: len, tol: sin_in + ENDPOINT_NOISE_PX / len, view: vi });
        }
    }
    if segs.len() < cfg.min_segments.max(2) {
        return None;
    }
    let cos_prior = cfg.max_prior_angle_deg.to_radians().cos();
    let score = |g: &Vector3<f64>| segs.iter().filter(|s| s.m.dot(g).abs() < s.tol).map(|s| s.w).sum::<f64>();
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let mut best: Option<(f64, Vector3<f64>)> = None;
    for _ in 0..cfg.iterations {
        let i = rng.random_range(0..segs.len());
        let j = rng.random_range(0..segs.len());
        if i == j {
            continue;
        }
        let Some(mut g) = segs[i].m.cross(&segs[j].m).try_normalize(1e-9) else { continue };
        if g.dot(&prior) < 0.0 {
            g = -g;
        }
        if g.dot(&prior) < cos_prior {
            continue;
        }
        let s = score(&g);
        if best.map(|b| s > b.0).unwrap_or(true) {
            best = Some((s, g));
        }
    }
    let (_, mut g) = best?;
    // Least squares: the direction most perpendicular to the inliers'
    // normals, the tolerance shrinking pass by pass.
    for f in REFINE_TOLERANCES {
        let inl: Vec<&Seg> = segs.iter().filter(|s| s.m.dot(&g).abs() < f * s.tol).collect();
        if inl.len() < REFINE_MIN_SEGMENTS {
            break;
        }
        let mut m = Matrix3::zeros();
        for s in &inl {
            // Inverse-variance weights: the plane's angle noise falls with length.
            m += s.w * s.w * s.m * s.m.transpose();
        }
        let e = m.symmetric_eigen();
        let Some((imin, _)) = e.eigenvalues.iter().enumerate().min_by(|a, b| a.1.total_cmp(b.1)) else { break };
        let mut n = e.eigenvectors.column(imin).into_owned();
        if n.dot(&prior) < 0.0 {
            n = -n;
        }
        g = n;
    }
    let inl: Vec<&Seg> = segs.iter().filter(|s| s.m.dot(&g).abs() < s.tol).collect();
    if inl.len() < cfg.min_segments {
        return None;
    }
    let mut vs: Vec<usize> = inl.iter().map(|s| s.view).collect();
    vs.sort_unstable();
    vs.dedup();
    let rms = (inl.iter().map(|s| s.m.dot(&g).asin().powi(2)).sum::<f64>() / inl.len() as f64).sqrt().to_degrees();
    Some(Vertical { up: g, inliers: inl.len(), candidates: segs.len(), views: vs.len(), rms_deg: rms })
}

/// Fewest supporting segments for one image's own vertical in
/// [`pair_vertical_disagreement`] (a single view has far fewer than the
/// 20 that [`VerticalConfig::default`] asks of a whole video).
pub const PAIR_MIN_SEGMENTS: usize = 6;

/// Two views' verticals, each found from its own segments alone, compared
/// through a candidate relative rotation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairVertical {
    /// Angle between `R · up_a` and `up_b` (degrees), `R` the candidate
    /// `b_from_a` rotation.
    pub disagreement_deg: f64,
    /// Segments supporting each view's vertical.
    pub inliers: (usize, usize),
    /// Each view's own vertical (its camera frame).
    pub up: (Vector3<f64>, Vector3<f64>),
}

/// Cone (degrees) around the first view's direction, taken through the
/// candidate rotation, in which the second view looks for the same
/// vanishing direction: wide enough for the rotation errors to be caught
/// (the wrong initialisation pairs seen were ≤ 6° off), narrow enough that
/// the second view cannot pick another direction (a wallpaper lattice at
/// 45° from the vertical, a horizontal edge).
pub const PAIR_SEARCH_DEG: f64 = 12.0;

/// Checks a candidate relative rotation `b_from_a` of two views against
/// their vanishing points, which do not move with the translation. One view
/// finds its vertical direction from its own segments (camera frame, within
/// `cfg.max_prior_angle_deg` of the camera's up `−y`; no pose needed), the
/// other finds the vanishing direction of its own segments nearest to where
/// the rotation puts it (within [`PAIR_SEARCH_DEG`]), and a right rotation
/// maps one onto the other. Done both ways (a then b, b then a): a view's
/// own "vertical" can be another direction (a wallpaper lattice, a few
/// stray segments), and the two ways then disagree; the smaller angle is
/// the answer, so a rotation is judged wrong only when both ways say so.
/// A rotation traded for translation (the ambiguity of a narrow view moving
/// little against its depth) tilts the vertical; a rotation about the
/// vertical itself does not show. `None` when either way finds no direction
/// (fewer than `cfg.min_segments` agreeing segments) or only one beyond
/// [`PAIR_SEARCH_DEG`].
pub fn pair_vertical_disagreement(
    segs_a: &[[f64; 4]],
    segs_b: &[[f64; 4]],
    diagonal: f64,
    k: &Pinhole,
    b_from_a: &UnitQuaternion<f64>,
    cfg: &VerticalConfig,
) -> Option<PairVertical> {
    let near = VerticalConfig { max_prior_angle_deg: PAIR_SEARCH_DEG, ..cfg.clone() };
    // From `first`'s own vertical to the same direction in `second`
    // (`second_from_first` rotation): (angle, inliers, own up, found up).
    let one_way = |first: &[[f64; 4]], second: &[[f64; 4]], second_from_first: &UnitQuaternion<f64>| {
        let own = vertical_from_segments(&[(Isometry3::identity(), first)], diagonal, k, &-Vector3::y(), cfg)?;
        let expected = second_from_first * own.up;
        let found = vertical_from_segments(&[(Isometry3::identity(), second)], diagonal, k, &expected, &near)?;
        let angle = expected.angle(&found.up).to_degrees();
        // The refinement can leave the cone for another direction (dev
        // seed 35: 15° off for a rotation right within 0.7°): not the same.
        (angle <= PAIR_SEARCH_DEG).then_some((angle, (own.inliers, found.inliers), own.up, found.up))
    };
    let (d_ab, n_ab, up_a, up_b_found) = one_way(segs_a, segs_b, b_from_a)?;
    let (d_ba, n_ba, up_b, up_a_found) = one_way(segs_b, segs_a, &b_from_a.inverse())?;
    Some(if d_ab <= d_ba {
        PairVertical { disagreement_deg: d_ab, inliers: n_ab, up: (up_a, up_b_found) }
    } else {
        PairVertical { disagreement_deg: d_ba, inliers: (n_ba.1, n_ba.0), up: (up_a_found, up_b) }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recon::testscene::{render, Scene};
    use crate::recon::Intrinsics;
    use nalgebra::{Rotation3, Translation3, UnitQuaternion};

    fn look(pos: Vector3<f64>, yaw: f64, pitch: f64, roll: f64) -> Isometry3<f64> {
        let fwd = Vector3::new(yaw.cos() * pitch.cos(), yaw.sin() * pitch.cos(), pitch.sin());
        let right = fwd.cross(&Vector3::z()).normalize();
        let down = fwd.cross(&right);
        let rot = Rotation3::from_basis_unchecked(&[right, down, fwd]) * Rotation3::from_axis_angle(&Vector3::z_axis(), roll);
        Isometry3::from_parts(Translation3::from(pos), UnitQuaternion::from_rotation_matrix(&rot))
    }

    #[test]
    fn finds_up_in_a_tilted_map_frame() {
        let scene = Scene::standard(3);
        let k = Intrinsics::from_hfov(640, 480, 65.0);
        let pin = Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
        // The map frame is the world turned by 20°: up in the map is map_from_world · z.
        let map_from_world = Isometry3::rotation(Vector3::new(0.25, -0.2, 0.1));
        let mut imgs = vec![];
        let mut poses = vec![];
        for i in 0..6 {
            let p = look(Vector3::new(1.5 + 0.3 * i as f64, 1.0 + 0.2 * i as f64, 1.45), 0.6 * i as f64, -0.25 + 0.05 * i as f64, 0.08 * (i as f64 - 2.5));
            imgs.push(render(&scene, &k, &p).unwrap().0);
            poses.push((map_from_world * p).inverse());
        }
        let views: Vec<(Isometry3<f64>, &Mat)> = poses.iter().copied().zip(imgs.iter()).collect();
        let true_up = map_from_world.rotation * Vector3::z();
        // A prior 15° off (the cameras' mean "up" when they look down).
        let prior = UnitQuaternion::from_euler_angles(0.26, 0.0, 0.0) * true_up;
        let v = vertical_direction(&views, &pin, &prior, &VerticalConfig::default()).unwrap().unwrap();
        let err = v.up.angle(&true_up).to_degrees();
        eprintln!("vertical: error {err:.3}°, {v:?}");
        assert!(err < 0.5, "error {err}°: {v:?}");
        assert!(v.views >= 3, "{v:?}");
        // No views, no answer.
        assert!(vertical_direction(&[], &pin, &prior, &VerticalConfig::default()).unwrap().is_none());
    }
    /// Segments of 3D lines `(a, b)` seen from `cam_from_world` (pixels),
    /// those fully in front and inside a 640x480 image.
    fn project(lines: &[(Vector3<f64>, Vector3<f64>)], cam_from_world: &Isometry3<f64>, pin: &Pinhole) -> Vec<[f64; 4]> {
        let px = |p: &Vector3<f64>| {
            let c = cam_from_world * nalgebra::Point3::from(*p);
            (c.z > 0.1).then(|| (pin.fx * c.x / c.z + pin.cx, pin.fy * c.y / c.z + pin.cy)).filter(|(u, v)| (0.0..640.0).contains(u) && (0.0..480.0).contains(v))
        };
        lines.iter().filter_map(|(a, b)| Some((px(a)?, px(b)?))).map(|(a, b)| [a.0, a.1, b.0, b.1]).collect()
    }

    #[test]
    fn finds_up_from_segments_of_a_turn_on_the_spot() {
        // A camera turning on the spot, pitched down 20°, vertical edges
        // all around; the map frame tilted by 7°, the prior 6° off that.
        let k = Intrinsics::from_hfov(640, 480, 65.0);
        let pin = Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let centre = Vector3::new(0.0, 0.0, 1.45);
        let mut lines = vec![];
        for i in 0..120 {
            let az = i as f64 * 0.05236 + rng.random_range(-0.02..0.02);
            let r = rng.random_range(2.0..3.0);
            let p = Vector3::new(r * az.cos(), r * az.sin(), 0.0);
            lines.push((p + Vector3::new(0.0, 0.0, 0.3), p + Vector3::new(0.0, 0.0, rng.random_range(1.2..2.4))));
            // and a horizontal edge (skirting, shelf) beside it
            lines.push((p + Vector3::new(0.0, 0.0, 0.8), p + Vector3::new(-0.5 * az.sin(), 0.5 * az.cos(), 0.8)));
        }
        let map_from_world = Isometry3::rotation(Vector3::new(0.1, -0.06, 0.3));
        let mut views = vec![];
        for i in 0..60 {
            let world_from_cam = look(centre, i as f64 * 0.105, -0.35, 0.0);
            let seen = project(&lines, &world_from_cam.inverse(), &pin);
            views.push(((map_from_world * world_from_cam).inverse(), seen));
        }
        assert!(views.iter().all(|(_, l)| l.len() >= 4), "every view sees lines");
        let lv: Vec<(Isometry3<f64>, &[[f64; 4]])> = views.iter().map(|(p, l)| (*p, l.as_slice())).collect();
        let true_up = map_from_world.rotation * Vector3::z();
        let prior = Rotation3::from_axis_angle(&Vector3::y_axis(), 0.1) * true_up;
        let v = vertical_from_segments(&lv, 800.0, &pin, &prior, &VerticalConfig::default()).unwrap();
        let err = v.up.angle(&true_up).to_degrees();
        eprintln!("vertical from segments: error {err:.3}°, {v:?}");
        assert!(err < 0.05, "error {err}°: {v:?}");
        assert!(v.views >= 30, "{v:?}");
        // Too few segments: no answer.
        assert!(vertical_from_segments(&lv[..1], 800.0, &pin, &prior, &VerticalConfig { min_segments: 50, ..Default::default() }).is_none());
    }

    #[test]
    fn a_pair_rotation_is_checked_against_each_image_own_vertical() {
        // Vertical and horizontal edges around a camera pitched down 20°
        // that walks 10 cm and turns 15°; each image finds its vertical on
        // its own (no pose), and the true rotation maps one onto the other.
        let k = Intrinsics::from_hfov(640, 480, 65.0);
        let pin = Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let mut lines = vec![];
        for i in 0..200 {
            let az = i as f64 * 0.0314 + rng.random_range(-0.01..0.01);
            let r = rng.random_range(2.0..3.5);
            let p = Vector3::new(r * az.cos(), r * az.sin(), 0.0);
            lines.push((p + Vector3::new(0.0, 0.0, 0.2), p + Vector3::new(0.0, 0.0, rng.random_range(1.0..2.4))));
            lines.push((p + Vector3::new(0.0, 0.0, 0.9), p + Vector3::new(-0.6 * az.sin(), 0.6 * az.cos(), 0.9)));
        }
        let wa = look(Vector3::new(0.0, 0.0, 1.45), 0.3, -0.35, 0.02);
        let wb = look(Vector3::new(0.08, 0.06, 1.45), 0.56, -0.33, -0.01);
        let (sa, sb) = (project(&lines, &wa.inverse(), &pin), project(&lines, &wb.inverse(), &pin));
        let b_from_a = (wb.inverse() * wa).rotation;
        let cfg = VerticalConfig { min_segments: PAIR_MIN_SEGMENTS, ..Default::default() };
        let right = pair_vertical_disagreement(&sa, &sb, 800.0, &pin, &b_from_a, &cfg).unwrap();
        assert!(right.disagreement_deg < 0.05, "{right:?}");
        assert!(right.inliers.0 >= 10 && right.inliers.1 >= 10, "{right:?}");
        // A rotation 4° off about the camera's x axis (pitch traded for a
        // vertical translation) shows; one off about the vertical cannot.
        let pitched = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), 4f64.to_radians()) * b_from_a;
        let wrong = pair_vertical_disagreement(&sa, &sb, 800.0, &pin, &pitched, &cfg).unwrap();
        assert!((wrong.disagreement_deg - 4.0).abs() < 0.3, "{wrong:?}");
        let up_b = wb.inverse().rotation * Vector3::z_axis();
        let yawed = UnitQuaternion::from_axis_angle(&up_b, 4f64.to_radians()) * b_from_a;
        let blind = pair_vertical_disagreement(&sa, &sb, 800.0, &pin, &yawed, &cfg).unwrap();
        assert!(blind.disagreement_deg < 0.05, "{blind:?}");
        // 20° off: beyond the search cone, no common direction, not judged.
        let far = UnitQuaternion::from_axis_angle(&Vector3::x_axis(), 20f64.to_radians()) * b_from_a;
        assert!(pair_vertical_disagreement(&sa, &sb, 800.0, &pin, &far, &cfg).is_none());
        // An image without vertical edges is not judged.
        let flat: Vec<(Vector3<f64>, Vector3<f64>)> = lines.iter().skip(1).step_by(2).copied().collect();
        let sf = project(&flat, &wb.inverse(), &pin);
        assert!(pair_vertical_disagreement(&sa, &sf, 800.0, &pin, &b_from_a, &cfg).is_none());
    }
}
