//! Rotation-only tracking for a camera that turns on the spot.
//!
//! A monocular map needs parallax; a phone turned on the spot gives none,
//! and tracking never starts. What such a video does fix is how the camera
//! turned: matched feature rays of two frames differ by a rotation alone
//! (`ray_b = R · ray_a`, whatever the depths). Each frame is matched to a
//! reference frame (brute-force ORB, ratio test), the rotation found by
//! RANSAC on pairs of rays (Kabsch) and refitted on the inliers; the
//! reference moves on when the inliers fall below a share of its features,
//! so drift grows with the references, not with every frame. The
//! trajectory keeps the camera centre fixed at the origin; there is no
//! depth, no cloud and no scale.
//!
//! It is used only when the rays fit a rotation (median residual below
//! [`SpinConfig::max_residual_deg`]): a camera that walked past plain walls
//! would get a wrong trajectory from it.
//!
//! Knows features and intrinsics; nothing of maps, clouds or files.

use super::features::{match_brute, Features, MATCH_MAX_HAMMING, MATCH_RATIO};
use super::geometry::{kabsch, Pinhole};
use crate::geom::stats::median;
use nalgebra::{Matrix3, Rotation3, UnitQuaternion, Vector3};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Rotation-only tracking settings.
#[derive(Debug, Clone)]
pub struct SpinConfig {
    /// Fewest inlier matches for a frame to be tracked.
    pub min_inliers: usize,
    /// A match is an inlier when its rays, after the rotation, are within
    /// this angle (degrees; 0.3° ≈ 2.6 px at a 500 px focal length).
    pub inlier_deg: f64,
    /// RANSAC hypotheses per frame.
    pub iterations: usize,
    /// A new reference frame when a frame's inliers fall below this share
    /// of the reference's features.
    pub reference_share: f64,
    /// The camera counts as turning on the spot when the median ray
    /// residual after the rotation fit, over tracked frames, is below this
    /// (degrees): a translation leaves parallax no rotation absorbs.
    pub max_residual_deg: f64,
    pub seed: u64,
}

impl Default for SpinConfig {
    fn default() -> Self {
        SpinConfig { min_inliers: 30, inlier_deg: 0.3, iterations: 300, reference_share: 0.25, max_residual_deg: 0.15, seed: 0 }
    }
}

/// What rotation-only tracking found.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SpinStats {
    /// Frames offered and frames tracked.
    pub frames: usize,
    pub tracked: usize,
    /// Reference frames used (the first included).
    pub references: usize,
    /// Median over tracked frames of the median ray residual after the
    /// rotation fit (degrees): noise for a turn on the spot.
    pub median_residual_deg: f64,
    /// Total turn: the largest angle between the first camera's optical
    /// axis and any later one's (degrees).
    pub max_turn_deg: f64,
}

/// One frame's rotation-only pose.
#[derive(Debug, Clone, Copy)]
pub struct SpinPose {
    pub frame_index: usize,
    pub t: f64,
    /// `world_from_camera` rotation; the world is the first frame's camera.
    pub world_from_camera: UnitQuaternion<f64>,
}

/// The frames rotation-only tracking will see, collected while a video is
/// read, at most `cap` of them: when full, every second frame is dropped and
/// only every `stride`-th offered frame is kept from then on, so a long
/// video holds a bounded number of feature sets spread over its length.
#[derive(Debug, Clone)]
pub struct SpinBuffer {
    frames: Vec<(usize, f64, Features)>,
    cap: usize,
    stride: usize,
    offered: usize,
}

impl SpinBuffer {
    /// An empty buffer holding at most `cap` frames (at least 2).
    pub fn new(cap: usize) -> SpinBuffer {
        SpinBuffer { frames: vec![], cap: cap.max(2), stride: 1, offered: 0 }
    }

    /// Offers a frame's features; a copy is kept when the frame falls on
    /// the current stride.
    pub fn offer(&mut self, frame_index: usize, t: f64, feats: &Features) {
        let n = self.offered;
        self.offered += 1;
        if n % self.stride != 0 {
            return;
        }
        if self.frames.len() >= self.cap {
            // Kept frames sit at offered = 0, s, 2s, ...: keeping the even
            // positions leaves 0, 2s, 4s, ... for the doubled stride.
            let mut i = 0;
            self.frames.retain(|_| {
                i += 1;
                i % 2 == 1
            });
            self.stride *= 2;
            if n % self.stride != 0 {
                return;
            }
        }
        self.frames.push((frame_index, t, feats.clone()));
    }

    /// Drops every frame held (a map started; they are not needed).
    pub fn clear(&mut self) {
        if !self.frames.is_empty() {
            self.frames = vec![];
        }
    }

    pub fn len(&self) -> usize {
        self.frames.len()
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// The frames held, in time order, as [`track_rotations`] takes them.
    pub fn frames(&self) -> Vec<(usize, f64, &Features)> {
        self.frames.iter().map(|(i, t, f)| (*i, *t, f)).collect()
    }
}

/// A frame rotations are measured against: its features, their unit rays
/// and its `world_from_camera` rotation.
type Reference<'a> = (&'a Features, Vec<Vector3<f64>>, Rotation3<f64>);

/// The rotation `b_from_a` of matched unit rays by RANSAC: its inlier
/// mask and the median residual angle over all pairs (degrees; a few
/// wrong matches do not move a median, a translation's parallax does).
fn fit_rotation(a: &[Vector3<f64>], b: &[Vector3<f64>], cfg: &SpinConfig, rng: &mut ChaCha8Rng) -> Option<(Matrix3<f64>, Vec<bool>, f64)> {
    let n = a.len().min(b.len());
    if n < cfg.min_inliers.max(3) {
        return None;
    }
    let cos_in = cfg.inlier_deg.to_radians().cos();
    let count = |r: &Matrix3<f64>| (0..n).filter(|&i| (r * a[i]).dot(&b[i]) >= cos_in).count();
    let mut best: Option<(usize, Matrix3<f64>)> = None;
    for _ in 0..cfg.iterations {
        let i = rng.random_range(0..n);
        let j = rng.random_range(0..n);
        // Two rays close together fix the rotation poorly.
        if i == j || a[i].dot(&a[j]) > 0.999 {
            continue;
        }
        let Some(r) = kabsch(a, b, [i, j].into_iter()) else {
            continue;
        };
        let c = count(&r);
        if best.as_ref().is_none_or(|(bc, _)| c > *bc) {
            best = Some((c, r));
        }
    }
    let (_, mut r) = best?;
    let mut mask = vec![false; n];
    for _ in 0..2 {
        for (i, m) in mask.iter_mut().enumerate() {
            *m = (r * a[i]).dot(&b[i]) >= cos_in;
        }
        if mask.iter().filter(|m| **m).count() < cfg.min_inliers {
            return None;
        }
        r = kabsch(a, b, (0..n).filter(|&i| mask[i]))?;
    }
    for (i, m) in mask.iter_mut().enumerate() {
        *m = (r * a[i]).dot(&b[i]) >= cos_in;
    }
    if mask.iter().filter(|m| **m).count() < cfg.min_inliers {
        return None;
    }
    let mut res: Vec<f64> = (0..n).map(|i| (r * a[i]).angle(&b[i]).to_degrees()).collect();
    let med = median(&mut res)?;
    Some((r, mask, med))
}

/// Tracks `frames` (`(frame index, time, features)` in time order) by
/// rotations alone. Returns the poses of the frames tracked (the first
/// frame is the world) and the statistics.
pub fn track_rotations(frames: &[(usize, f64, &Features)], k: &Pinhole, cfg: &SpinConfig) -> (Vec<SpinPose>, SpinStats) {
    let mut stats = SpinStats { frames: frames.len(), ..Default::default() };
    let mut poses = vec![];
    let mut rng = ChaCha8Rng::seed_from_u64(cfg.seed);
    let rays = |f: &Features| -> Vec<Vector3<f64>> { f.points.iter().map(|u| k.ray(u).normalize()).collect() };
    // The reference: its features, rays and world_from_camera.
    let Some(first) = frames.iter().position(|(_, _, f)| f.len() >= cfg.min_inliers) else {
        return (poses, stats);
    };
    let (i0, t0, f0) = frames[first];
    let mut reference = (f0, rays(f0), Rotation3::identity());
    poses.push(SpinPose { frame_index: i0, t: t0, world_from_camera: UnitQuaternion::identity() });
    stats.references = 1;
    // The last tracked frame: a new reference when the current one fades.
    let mut last: Option<Reference> = None;
    let mut residuals = vec![];
    for &(index, t, f) in &frames[first + 1..] {
        let rb = rays(f);
        let mut attempt = |refr: &Reference| {
            let m = match_brute(&refr.0.desc, &f.desc, MATCH_MAX_HAMMING, MATCH_RATIO);
            let a: Vec<Vector3<f64>> = m.iter().map(|&(i, _)| refr.1[i]).collect();
            let b: Vec<Vector3<f64>> = m.iter().map(|&(_, j)| rb[j]).collect();
            fit_rotation(&a, &b, cfg, &mut rng).map(|(r, mask, med)| {
                // r = cam_b_from_cam_ref; world_from_b = world_from_ref · r⁻¹.
                let wfc = refr.2 * Rotation3::from_matrix_unchecked(r).inverse();
                (wfc, mask.iter().filter(|x| **x).count(), med)
            })
        };
        let mut got = attempt(&reference);
        let weak = got.as_ref().is_none_or(|(_, inl, _)| (*inl as f64) < cfg.reference_share * reference.0.len() as f64);
        if weak {
            // Move the reference to the last tracked frame and retry.
            if let Some(l) = last.take() {
                reference = l;
                stats.references += 1;
                got = attempt(&reference);
            }
        }
        if let Some((wfc, _, med)) = got {
            residuals.push(med);
            poses.push(SpinPose { frame_index: index, t, world_from_camera: UnitQuaternion::from_rotation_matrix(&wfc) });
            last = Some((f, rb, wfc));
        }
    }
    stats.tracked = poses.len();
    stats.median_residual_deg = median(&mut residuals).unwrap_or(0.0);
    stats.max_turn_deg = poses.iter().map(|p| (p.world_from_camera * Vector3::z()).angle(&Vector3::z()).to_degrees()).fold(0.0, f64::max);
    (poses, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::{Point2, Point3};

    #[test]
    fn spin_buffer_stays_bounded_and_spread_over_the_video() {
        let mut b = SpinBuffer::new(10);
        let f = Features::default();
        for i in 0..1000 {
            b.offer(i, i as f64 / 30.0, &f);
            assert!(b.len() <= 10, "{} frames held after {i}", b.len());
        }
        let idx: Vec<usize> = b.frames().iter().map(|x| x.0).collect();
        assert_eq!(idx[0], 0, "the first frame stays");
        assert!(idx.windows(2).all(|w| w[0] < w[1]), "time order: {idx:?}");
        // Evenly spaced (the stride), reaching near the end of the video.
        let step = idx[1] - idx[0];
        assert!(idx.windows(2).all(|w| w[1] - w[0] == step), "{idx:?}");
        assert!(*idx.last().unwrap_or(&0) + 2 * step >= 999, "{idx:?}");
        b.clear();
        assert!(b.is_empty());
        // Below the cap, every frame is kept.
        let mut b = SpinBuffer::new(10);
        for i in 0..7 {
            b.offer(i, 0.0, &f);
        }
        assert_eq!(b.frames().iter().map(|x| x.0).collect::<Vec<_>>(), (0..7).collect::<Vec<_>>());
    }

    /// Features of `points` (world) seen by a camera at the origin with
    /// `world_from_camera` rotation `r`, each point's descriptor its index.
    fn view(points: &[Point3<f64>], r: &UnitQuaternion<f64>, k: &Pinhole, noise: &mut ChaCha8Rng) -> Features {
        let mut f = Features::default();
        for (i, p) in points.iter().enumerate() {
            let c = r.inverse() * p.coords;
            if c.z < 0.2 {
                continue;
            }
            let u = k.fx * c.x / c.z + k.cx + noise.random_range(-0.5..0.5);
            let v = k.fy * c.y / c.z + k.cy + noise.random_range(-0.5..0.5);
            if !(0.0..640.0).contains(&u) || !(0.0..480.0).contains(&v) {
                continue;
            }
            let mut s = ChaCha8Rng::seed_from_u64(i as u64);
            let d: [u64; 4] = [s.random(), s.random(), s.random(), s.random()];
            f.points.push(Point2::new(u, v));
            f.desc.push(d);
            f.octave.push(0);
        }
        f
    }

    fn turning(yaw: f64) -> UnitQuaternion<f64> {
        // Camera looking along world +x, pitched down 20°, turned by `yaw`
        // about world z; world = the first camera's frame is not assumed.
        let base = UnitQuaternion::from_matrix(&Matrix3::new(0.0, 0.0, 1.0, -1.0, 0.0, 0.0, 0.0, -1.0, 0.0));
        UnitQuaternion::from_axis_angle(&Vector3::z_axis(), yaw) * base * UnitQuaternion::from_axis_angle(&Vector3::x_axis(), -0.35)
    }

    #[test]
    fn a_turn_on_the_spot_is_tracked_by_rotations() {
        let k = Pinhole { fx: 500.0, fy: 500.0, cx: 319.5, cy: 239.5 };
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        // Points on the walls of a 4 x 5 m room around the camera (1.4 m up).
        let mut pts = vec![];
        for _ in 0..3000 {
            let a: f64 = rng.random_range(0.0..std::f64::consts::TAU);
            let (dx, dy) = (a.cos(), a.sin());
            let s = (2.0 / dx.abs()).min(2.5 / dy.abs());
            pts.push(Point3::new(s * dx, s * dy, rng.random_range(-1.4..1.2)));
        }
        let rots: Vec<UnitQuaternion<f64>> = (0..60).map(|i| turning(i as f64 * 0.05)).collect();
        let feats: Vec<Features> = rots.iter().map(|r| view(&pts, r, &k, &mut rng)).collect();
        let frames: Vec<(usize, f64, &Features)> = feats.iter().enumerate().map(|(i, f)| (i, i as f64 / 30.0, f)).collect();
        let (poses, st) = track_rotations(&frames, &k, &SpinConfig::default());
        assert_eq!(poses.len(), 60, "{st:?}");
        assert!(st.references > 1 && st.median_residual_deg < 0.1, "{st:?}");
        // 169° of yaw at 20° pitch: the optical axes end 138.6° apart.
        let axes = (rots[0] * Vector3::z()).angle(&(rots[59] * Vector3::z())).to_degrees();
        assert!((st.max_turn_deg - axes).abs() < 0.5, "{st:?} against {axes}°");
        // Relative rotations against the truth (the world is the first camera).
        let mut worst: f64 = 0.0;
        for p in &poses {
            let truth = rots[0].inverse() * rots[p.frame_index];
            worst = worst.max(truth.angle_to(&p.world_from_camera).to_degrees());
        }
        assert!(worst < 0.3, "worst rotation error {worst}° ({st:?})");
        // Nothing to match: nothing tracked, no panic.
        let empty = Features::default();
        let (p, s) = track_rotations(&[(0, 0.0, &empty), (1, 0.1, &empty)], &k, &SpinConfig::default());
        assert!(p.is_empty() && s.tracked == 0);
    }

    #[test]
    fn a_walk_leaves_parallax_the_rotation_does_not_absorb() {
        let k = Pinhole { fx: 500.0, fy: 500.0, cx: 319.5, cy: 239.5 };
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let pts: Vec<Point3<f64>> = (0..2000).map(|_| Point3::new(rng.random_range(1.5..4.0), rng.random_range(-2.0..2.0), rng.random_range(-1.4..1.2))).collect();
        let r = turning(0.0);
        // Frames 10 cm apart sideways: points at 1.5–4 m shift by 1.4–3.8°.
        let feats: Vec<Features> = (0..6)
            .map(|i| {
                let moved: Vec<Point3<f64>> = pts.iter().map(|p| p - Vector3::new(0.0, 0.1 * i as f64, 0.0)).collect();
                view(&moved, &r, &k, &mut rng)
            })
            .collect();
        let frames: Vec<(usize, f64, &Features)> = feats.iter().enumerate().map(|(i, f)| (i, i as f64, f)).collect();
        let (_, st) = track_rotations(&frames, &k, &SpinConfig::default());
        assert!(st.tracked <= 1 || st.median_residual_deg > SpinConfig::default().max_residual_deg, "{st:?}");
    }
}
