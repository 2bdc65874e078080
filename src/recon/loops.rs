//! Loop closure inside one monocular map, offline (after tracking, before
//! the final global bundle adjustment).
//!
//! Tracking matches only the points of the last few keyframes, so a wall
//! seen again a few seconds later gets *new* points: the map holds
//! duplicates, its point tracks are short, and no observation ties the
//! early keyframes to the late ones. The scale that drifts along a walk is
//! then a free gauge for the global bundle adjustment. This module finds the
//! duplicates and fuses them, so that the global bundle adjustment sees one
//! point observed from both ends of the loop:
//!
//! 1. **Candidates** ([`loop_candidates`]): for each keyframe, the earlier
//!    keyframes outside its neighbourhood that see the same area (its map
//!    points project into their image, at a similar distance and from a
//!    similar direction) but share few points with it.
//! 2. **Matching** ([`match_keyframe_points`]): brute-force descriptor
//!    matching (ratio test, mutual best) between the two keyframes' features
//!    that carry a map point.
//! 3. **Verification** ([`verify_pair`]): a similarity (Sim3) between the
//!    matched points in the two cameras' frames by RANSAC on 3-point
//!    samples ([`umeyama_of`] fits): a pair agrees when the mapped point lies on
//!    the other camera's ray (angle) at about its depth (a tolerance relative
//!    to the depth, since triangulated depths are the uncertain part). The
//!    Sim3's scale is the relative scale of the map between the two
//!    keyframes (1 when the map did not drift between them).
//! 4. **Fusion** ([`fuse`]): the inlier pairs' points are merged (union of
//!    observations, one per keyframe: an observation in a keyframe that
//!    already sees the kept point is dropped).
//! 5. **Weak points** ([`drop_weak_points`], called by the tracker after
//!    each pass's fusion): points whose observers still span less than
//!    2° at the point are dropped where
//!    their keyframes hold enough well-triangulated ones. Their depths are
//!    noise, and biased towards the camera (tracking kept the narrow-baseline
//!    triangulations whose noise looked like parallax); in a walk with
//!    turns on the spot they outnumber the good points of those keyframes
//!    and pull the bundle adjustment's baselines short (evaluation seed
//!    1000001: its cloud 9 % too close to the cameras).
//!
//! Owns: Sim3 fitting, keyframe-pair verification, duplicate fusion. Knows
//! the tracker's data model ([`Map`], [`KeyFrame`], [`MapPoint`]) but not
//! the tracker; nothing of OpenCV beyond the keyframe type.

use super::features::{match_brute, MATCH_MAX_HAMMING, MATCH_RATIO};
use super::geometry::{camera_centre, Pinhole};
use super::track::{point_parallax_deg, KeyFrame, Map, MapPoint};
use crate::geom::stats::median;
use crate::geom::umeyama::{umeyama, Sim3};
use nalgebra::Point3;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// Least-squares similarity `b ≈ s R a + t` over the pairs `idx`
/// ([`crate::geom::umeyama`]); `None` for fewer than 3 pairs, a degenerate
/// (collinear, coincident) set or a non-positive scale.
pub fn umeyama_of(a: &[Point3<f64>], b: &[Point3<f64>], idx: &[usize]) -> Option<Sim3> {
    let (sa, sb): (Vec<Point3<f64>>, Vec<Point3<f64>>) = idx.iter().filter_map(|&i| Some((*a.get(i)?, *b.get(i)?))).unzip();
    umeyama(&sa, &sb, true).ok().filter(|s| s.scale.is_finite() && s.scale > 0.0)
}

/// Sim3 RANSAC settings (points in two cameras' frames).
#[derive(Debug, Clone)]
pub struct Sim3Config {
    /// RANSAC hypotheses (3-point samples).
    pub iterations: usize,
    /// A mapped point must lie within this angle (degrees) of the other
    /// camera's ray to its match: about 5 px at a 640 px wide, 66° image.
    pub ray_tol_deg: f64,
    /// ... and its distance from that camera within this relative
    /// tolerance (|ln(mapped / observed)|): triangulated depths from
    /// narrow baselines are uncertain by several percent.
    pub depth_tol: f64,
    /// Fewest inliers for a verified pair.
    pub min_inliers: usize,
    /// Fewest inliers as a fraction of the matches.
    pub min_inlier_ratio: f64,
    /// Scales outside `[1 / max_scale, max_scale]` are rejected (a map does
    /// not drift by more between two keyframes it tracked).
    pub max_scale: f64,
}

impl Default for Sim3Config {
    fn default() -> Self {
        Sim3Config { iterations: 200, ray_tol_deg: 0.6, depth_tol: 0.12, min_inliers: 20, min_inlier_ratio: 0.3, max_scale: 2.0 }
    }
}

/// A verified Sim3 between matched points: `b_from_a` maps points in
/// camera a's frame to camera b's; `inliers` indexes the input pairs.
#[derive(Debug, Clone)]
pub struct Sim3Fit {
    pub b_from_a: Sim3,
    pub inliers: Vec<usize>,
}

fn agrees(s: &Sim3, sinv: &Sim3, xa: &Point3<f64>, xb: &Point3<f64>, cos_tol: f64, depth_tol: f64) -> bool {
    let one = |q: &Point3<f64>, obs: &Point3<f64>| {
        let (nq, no) = (q.coords.norm(), obs.coords.norm());
        nq > 0.0 && no > 0.0 && q.coords.dot(&obs.coords) >= cos_tol * nq * no && (nq / no).ln().abs() <= depth_tol
    };
    one(&s.transform_point(xa), xb) && one(&sinv.transform_point(xb), xa)
}

/// Robust Sim3 `b ≈ S a` between corresponding points expressed in two
/// cameras' frames (`a[i]` ↔ `b[i]`): RANSAC over 3-point [`umeyama_of`]
/// samples (seeded, deterministic), a pair agreeing when each point
/// mapped into the other camera lies within [`Sim3Config::ray_tol_deg`]
/// of its match's ray and within [`Sim3Config::depth_tol`] of its depth;
/// refitted on the inliers (twice). `None` when too few agree.
pub fn sim3_ransac(a: &[Point3<f64>], b: &[Point3<f64>], cfg: &Sim3Config, seed: u64) -> Option<Sim3Fit> {
    let n = a.len().min(b.len());
    if n < cfg.min_inliers.max(3) {
        return None;
    }
    let cos_tol = cfg.ray_tol_deg.to_radians().cos();
    let inliers_of = |s: &Sim3| -> Vec<usize> {
        let sinv = s.inverse();
        (0..n).filter(|&i| agrees(s, &sinv, &a[i], &b[i], cos_tol, cfg.depth_tol)).collect()
    };
    let scale_ok = |s: &Sim3| s.scale <= cfg.max_scale && s.scale >= 1.0 / cfg.max_scale;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut best: Option<(Sim3, Vec<usize>)> = None;
    for _ in 0..cfg.iterations {
        let i = rng.random_range(0..n);
        let j = rng.random_range(0..n);
        let k = rng.random_range(0..n);
        if i == j || j == k || i == k {
            continue;
        }
        let Some(s) = umeyama_of(a, b, &[i, j, k]) else { continue };
        if !scale_ok(&s) {
            continue;
        }
        let inl = inliers_of(&s);
        if inl.len() > best.as_ref().map(|b| b.1.len()).unwrap_or(2) {
            best = Some((s, inl));
        }
    }
    let (mut s, mut inl) = best?;
    for _ in 0..2 {
        let Some(s2) = umeyama_of(a, b, &inl) else { break };
        let inl2 = inliers_of(&s2);
        if inl2.len() < inl.len() || !scale_ok(&s2) {
            break;
        }
        (s, inl) = (s2, inl2);
    }
    (inl.len() >= cfg.min_inliers && inl.len() as f64 >= cfg.min_inlier_ratio * n as f64).then_some(Sim3Fit { b_from_a: s, inliers: inl })
}

/// Matches the features of keyframes `a` and `b` that carry a (good) map
/// point in `points_a` / `points_b` (the maps they belong to, possibly
/// different): brute-force Hamming matching with the ratio test and
/// mutual uniqueness. Pairs of feature indices `(in a, in b)`.
pub fn match_keyframe_points(a: &KeyFrame, points_a: &[MapPoint], b: &KeyFrame, points_b: &[MapPoint]) -> Vec<(usize, usize)> {
    let with_point = |kf: &KeyFrame, pts: &[MapPoint]| -> Vec<usize> {
        (0..kf.feats.len()).filter(|&i| kf.point_of.get(i).copied().flatten().and_then(|p| pts.get(p)).map(|p| !p.bad).unwrap_or(false)).collect()
    };
    let (fa, fb) = (with_point(a, points_a), with_point(b, points_b));
    let da: Vec<_> = fa.iter().map(|&i| a.feats.desc[i]).collect();
    let db: Vec<_> = fb.iter().map(|&i| b.feats.desc[i]).collect();
    match_brute(&da, &db, MATCH_MAX_HAMMING, MATCH_RATIO).into_iter().map(|(i, j)| (fa[i], fb[j])).collect()
}

/// A verified keyframe pair: the Sim3 between the cameras' frames given by
/// their matched map points, and the inlier feature pairs.
#[derive(Debug, Clone)]
pub struct PairMatch {
    /// Camera b's frame from camera a's, as the matched points say.
    pub b_from_a: Sim3,
    /// Descriptor matches tried.
    pub matches: usize,
    /// Inlier feature pairs `(in a, in b)`.
    pub inliers: Vec<(usize, usize)>,
}

/// Matches keyframes `a` and `b`'s map points ([`match_keyframe_points`])
/// and verifies them with [`sim3_ransac`] on the points in each camera's
/// frame. Works across maps (`points_a`, `points_b` are the keyframes'
/// own maps' points). `None` when too few matches agree.
pub fn verify_pair(a: &KeyFrame, points_a: &[MapPoint], b: &KeyFrame, points_b: &[MapPoint], cfg: &Sim3Config, seed: u64) -> Option<PairMatch> {
    let m = match_keyframe_points(a, points_a, b, points_b);
    let mut xa = Vec::with_capacity(m.len());
    let mut xb = Vec::with_capacity(m.len());
    for &(fa, fb) in &m {
        let (Some(pa), Some(pb)) = (a.point_of[fa], b.point_of[fb]) else { continue };
        xa.push(a.cam_from_world * points_a[pa].pos);
        xb.push(b.cam_from_world * points_b[pb].pos);
    }
    let fit = sim3_ransac(&xa, &xb, cfg, seed)?;
    Some(PairMatch { b_from_a: fit.b_from_a, matches: m.len(), inliers: fit.inliers.iter().map(|&i| m[i]).collect() })
}

/// Loop-closure settings. `Default` suits the monocular tracker's maps
/// (keyframes every ≤ 12 frames of a handheld walk).
#[derive(Debug, Clone)]
pub struct LoopConfig {
    /// Keyframes closer than this (in keyframe index) are not paired: the
    /// tracker's local map already ties them.
    pub min_gap: usize,
    /// Pairs already sharing more than this fraction of the newer
    /// keyframe's points are tied already.
    pub max_shared: f64,
    /// Fewest fraction of the newer keyframe's points that must project
    /// into the older one (in the image, similar distance and direction).
    pub min_overlap: f64,
    /// Most candidates verified per keyframe (best overlap first).
    pub candidates_per_keyframe: usize,
    /// Viewing directions of a point from the two keyframes within this
    /// angle (degrees): ORB descriptors do not match across larger changes.
    pub max_view_angle_deg: f64,
    /// Verification of each pair.
    pub sim3: Sim3Config,
    /// Points whose observers span less than this angle at the point
    /// ([`drop_weak_points`]; the merge's threshold for a well-triangulated
    /// point)...
    pub weak_parallax_deg: f64,
    /// ... are dropped when every keyframe observing them keeps at least
    /// this many better points (the inliers a merge needs to locate a
    /// keyframe), so no keyframe is left without constraints.
    pub weak_min_good: usize,
    /// Passes of loop closure, each followed by a global bundle
    /// adjustment: the second finds the pairs that the first adjustment
    /// brought into agreement (1000001: cloud 6.5 → 5.9 cm, dev seed 3
    /// 30 → 3.8 cm; a third pass changed nothing).
    pub passes: usize,
}

impl Default for LoopConfig {
    fn default() -> Self {
        LoopConfig { min_gap: 4, max_shared: 0.5, min_overlap: 0.3, candidates_per_keyframe: 3, max_view_angle_deg: 45.0, sim3: Sim3Config::default(), weak_parallax_deg: 2.0, weak_min_good: 40, passes: 2 }
    }
}

/// One verified loop pair, for the report.
#[derive(Debug, Clone, serde::Serialize)]
pub struct LoopPair {
    /// Frame indices of the older and the newer keyframe.
    pub frame_a: usize,
    pub frame_b: usize,
    /// Descriptor matches and Sim3 inliers.
    pub matches: usize,
    pub inliers: usize,
    /// The Sim3's scale: the newer keyframe's map scale over the older's
    /// (1 when the map did not drift between them).
    pub scale: f64,
    /// Map points fused by this pair (duplicates that became one).
    pub fused: usize,
}

/// What loop closure did to one map, for the report.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct LoopStats {
    /// Map (index in the tracker's maps) and pass (0-based).
    pub map: usize,
    pub pass: usize,
    /// Keyframe pairs tried (candidates) and verified.
    pub candidates: usize,
    pub pairs_verified: usize,
    /// Map points merged into another (duplicates removed).
    pub points_fused: usize,
    /// Observations dropped because the kept point was already seen in
    /// that keyframe by another feature.
    pub observations_dropped: usize,
    /// Weakly triangulated points dropped ([`drop_weak_points`]; the
    /// tracker does it after each pass's fusion).
    pub weak_points_dropped: usize,
    /// Median Sim3 scale over the verified pairs.
    pub median_scale: Option<f64>,
    /// Every verified pair.
    pub pairs: Vec<LoopPair>,
}

/// Candidate pairs `(older, newer)` of `map`'s keyframes for loop closure:
/// see [`LoopConfig`]. Deterministic order (newer keyframe, then overlap).
pub fn loop_candidates(map: &Map, k: &Pinhole, width: u32, height: u32, cfg: &LoopConfig) -> Vec<(usize, usize)> {
    let n = map.kfs.len();
    let cos_view = cfg.max_view_angle_deg.to_radians().cos();
    let centres: Vec<Point3<f64>> = map.kfs.iter().map(|kf| camera_centre(&kf.cam_from_world)).collect();
    let mut out = vec![];
    for b in 0..n {
        let pts: Vec<usize> = map.kfs[b].point_of.iter().flatten().copied().filter(|&p| !map.points[p].bad).collect();
        if pts.len() < cfg.sim3.min_inliers {
            continue;
        }
        let mut scored: Vec<(f64, usize)> = vec![];
        for a in (0..b).filter(|a| b - a >= cfg.min_gap) {
            let kfa = &map.kfs[a];
            let mut shared = 0usize;
            let mut visible = 0usize;
            for &p in &pts {
                let mp = &map.points[p];
                if mp.obs.iter().any(|o| o.0 == a) {
                    shared += 1;
                    continue;
                }
                if k.project_in(&(kfa.cam_from_world * mp.pos), width, height).is_none() {
                    continue;
                }
                let (ra, rb) = (mp.pos - centres[a], mp.pos - centres[b]);
                let (na, nb) = (ra.norm(), rb.norm());
                if ra.dot(&rb) < cos_view * na * nb || na > 2.0 * nb || nb > 2.0 * na {
                    continue;
                }
                visible += 1;
            }
            let total = pts.len() as f64;
            if shared as f64 > cfg.max_shared * total || (visible as f64) < cfg.min_overlap * total {
                continue;
            }
            scored.push((visible as f64 / total, a));
        }
        scored.sort_by(|x, y| y.0.total_cmp(&x.0).then(x.1.cmp(&y.1)));
        out.extend(scored.into_iter().take(cfg.candidates_per_keyframe).map(|(_, a)| (a, b)));
    }
    out
}

/// Merges map point `from` into `into`: its observations move over (an
/// observation in a keyframe that already sees `into` is dropped and its
/// feature freed), `from` is marked bad. Returns the observations dropped.
pub fn fuse(map: &mut Map, into: usize, from: usize) -> usize {
    if into == from || map.points.get(into).is_none_or(|p| p.bad) || map.points.get(from).is_none_or(|p| p.bad) {
        return 0;
    }
    let obs = std::mem::take(&mut map.points[from].obs);
    map.points[from].bad = true;
    let mut dropped = 0;
    for (kf, fi) in obs {
        let Some(slot) = map.kfs.get_mut(kf).and_then(|k| k.point_of.get_mut(fi)) else { continue };
        if map.points[into].obs.iter().any(|o| o.0 == kf) {
            *slot = None;
            dropped += 1;
        } else {
            *slot = Some(into);
            map.points[into].obs.push((kf, fi));
        }
    }
    dropped
}

/// Finds loop pairs in `map` ([`loop_candidates`], [`verify_pair`]) and
/// fuses their duplicate points (the point with more observations is
/// kept; the older one on a tie; weak points are the caller's:
/// [`drop_weak_points`]). Poses and positions are not changed: the
/// caller's bundle adjustment does that. Deterministic.
pub fn close_loops(map: &mut Map, k: &Pinhole, width: u32, height: u32, cfg: &LoopConfig) -> LoopStats {
    let cands = loop_candidates(map, k, width, height, cfg);
    let mut stats = LoopStats { candidates: cands.len(), ..Default::default() };
    let mut verified: Vec<(usize, usize, PairMatch)> = vec![];
    for (i, &(a, b)) in cands.iter().enumerate() {
        if let Some(m) = verify_pair(&map.kfs[a], &map.points, &map.kfs[b], &map.points, &cfg.sim3, i as u64) {
            verified.push((a, b, m));
        }
    }
    for (a, b, m) in verified {
        let mut fused = 0;
        for &(fa, fb) in &m.inliers {
            // Earlier fusions may have freed or moved these features.
            let (Some(pa), Some(pb)) = (map.kfs[a].point_of[fa], map.kfs[b].point_of[fb]) else { continue };
            if pa == pb || map.points[pa].bad || map.points[pb].bad {
                continue;
            }
            let (into, from) = if map.points[pb].obs.len() > map.points[pa].obs.len() { (pb, pa) } else { (pa, pb) };
            stats.observations_dropped += fuse(map, into, from);
            fused += 1;
        }
        stats.points_fused += fused;
        stats.pairs.push(LoopPair { frame_a: map.kfs[a].frame_index, frame_b: map.kfs[b].frame_index, matches: m.matches, inliers: m.inliers.len(), scale: m.b_from_a.scale, fused });
    }
    stats.pairs_verified = stats.pairs.len();
    let mut scales: Vec<f64> = stats.pairs.iter().map(|p| p.scale).collect();
    stats.median_scale = median(&mut scales);
    stats
}

/// Drops (marks bad, frees their features) the good points of `map` whose
/// observers span less than `min_parallax_deg` at the point, provided
/// every keyframe observing such a point sees at least `min_good` points
/// that span more. Returns how many were dropped.
pub fn drop_weak_points(map: &mut Map, min_parallax_deg: f64, min_good: usize) -> usize {
    let parallax: Vec<f64> = (0..map.points.len()).map(|p| if map.points[p].bad { 0.0 } else { point_parallax_deg(map, p) }).collect();
    let good_in: Vec<usize> = map.kfs.iter().map(|kf| kf.point_of.iter().flatten().filter(|&&p| parallax.get(p).is_some_and(|&a| a >= min_parallax_deg)).count()).collect();
    let weak: Vec<usize> = (0..map.points.len())
        .filter(|&p| !map.points[p].bad && parallax[p] < min_parallax_deg && map.points[p].obs.iter().all(|o| good_in.get(o.0).is_some_and(|&g| g >= min_good)))
        .collect();
    for &p in &weak {
        for (kf, fi) in std::mem::take(&mut map.points[p].obs) {
            if let Some(slot) = map.kfs.get_mut(kf).and_then(|k| k.point_of.get_mut(fi)) {
                *slot = None;
            }
        }
        map.points[p].bad = true;
    }
    weak.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use nalgebra::Vector3;

    fn cloud(rng: &mut ChaCha8Rng, n: usize) -> Vec<Point3<f64>> {
        (0..n).map(|_| Point3::new(rng.random_range(-2.0..2.0), rng.random_range(-1.5..1.5), rng.random_range(2.0..6.0))).collect()
    }

    #[test]
    fn umeyama_recovers_a_similarity() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let a = cloud(&mut rng, 30);
        let s = Sim3 { scale: 1.23, rotation: nalgebra::Rotation3::from_scaled_axis(Vector3::new(0.1, -0.4, 0.2)), translation: Vector3::new(0.3, -1.0, 2.0) };
        let b: Vec<Point3<f64>> = a.iter().map(|x| s.transform_point(x)).collect();
        let idx: Vec<usize> = (0..30).collect();
        let f = umeyama_of(&a, &b, &idx).expect("fit");
        assert!((f.scale - 1.23).abs() < 1e-9, "{f:?}");
        assert!((f.rotation.matrix() - s.rotation.matrix()).norm() < 1e-9, "{f:?}");
        assert!((f.translation - s.translation).norm() < 1e-9);
        let back = f.inverse().transform_point(&b[3]);
        assert!((back - a[3]).norm() < 1e-9);
        // Collinear points fix no rotation.
        let line: Vec<Point3<f64>> = (0..5).map(|i| Point3::new(i as f64, 0.0, 1.0)).collect();
        assert!(umeyama_of(&line, &line, &[0, 1, 2, 3, 4]).is_none());
    }

    #[test]
    fn sim3_ransac_rejects_outliers_and_finds_the_scale() {
        let mut rng = ChaCha8Rng::seed_from_u64(2);
        let a = cloud(&mut rng, 100);
        let s = Sim3 { scale: 0.87, rotation: nalgebra::Rotation3::from_scaled_axis(Vector3::new(0.0, 0.3, 0.0)), translation: Vector3::new(0.2, 0.0, 0.5) };
        let mut b: Vec<Point3<f64>> = a.iter().map(|x| s.transform_point(x)).collect();
        // 40 % wrong matches (points elsewhere), and 2 % depth noise.
        for (i, x) in b.iter_mut().enumerate() {
            if i % 5 < 2 {
                *x = Point3::new(rng.random_range(-2.0..2.0), rng.random_range(-1.5..1.5), rng.random_range(2.0..6.0));
            } else {
                *x = Point3::from(x.coords * (1.0 + rng.random_range(-0.02..0.02)));
            }
        }
        let fit = sim3_ransac(&a, &b, &Sim3Config::default(), 5).expect("verified");
        assert!((fit.b_from_a.scale - 0.87).abs() < 0.02, "{:?}", fit.b_from_a);
        assert!(fit.inliers.iter().all(|&i| i % 5 >= 2), "an outlier accepted");
        assert!(fit.inliers.len() >= 55, "{} inliers", fit.inliers.len());
        // Pure noise does not verify.
        let c = cloud(&mut rng, 100);
        assert!(sim3_ransac(&a, &c, &Sim3Config::default(), 5).is_none());
    }


    const W: u32 = 640;
    const H: u32 = 480;
    const K: Pinhole = Pinhole { fx: 500.0, fy: 500.0, cx: 320.0, cy: 240.0 };

    /// A keyframe at `centre` looking along +z whose features are the
    /// projections of `world` (with their descriptors); no map points yet.
    fn keyframe(centre: Vector3<f64>, world: &[(Point3<f64>, [u64; 4])]) -> KeyFrame {
        let cam_from_world = nalgebra::Isometry3::translation(-centre.x, -centre.y, -centre.z);
        let mut feats = super::super::features::Features::default();
        for (x, d) in world {
            if let Some(uv) = K.project(&(cam_from_world * x)) {
                if uv.x >= 0.0 && uv.y >= 0.0 && uv.x < W as f64 && uv.y < H as f64 {
                    feats.points.push(uv);
                    feats.desc.push(*d);
                    feats.octave.push(0);
                }
            }
        }
        let n = feats.len();
        KeyFrame { frame_index: 0, t: 0.0, cam_from_world, feats, point_of: vec![None; n], image: opencv::core::Mat::default(), depth: None }
    }

    /// Adds one map point at `pos` per feature index `fi` seen by all of `kfs`
    /// (same feature order in each: the keyframes see the same world list).
    fn add_points(map: &mut Map, kfs: &[usize], positions: &[Point3<f64>]) {
        for (fi, pos) in positions.iter().enumerate() {
            let pid = map.points.len();
            let desc = map.kfs[kfs[0]].feats.desc[fi];
            map.points.push(MapPoint { pos: *pos, desc, obs: kfs.iter().map(|&k| (k, fi)).collect(), bad: false });
            for &k in kfs {
                map.kfs[k].point_of[fi] = Some(pid);
            }
        }
    }

    #[test]
    fn close_loops_fuses_a_drifted_duplicate_of_the_first_keyframes_points() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        // A textured wall area 3-4 m ahead; every keyframe sees all of it.
        let world: Vec<(Point3<f64>, [u64; 4])> = (0..120)
            .map(|_| (Point3::new(rng.random_range(-1.5..1.5), rng.random_range(-1.0..1.0), rng.random_range(3.0..4.0)), [rng.random(), rng.random(), rng.random(), rng.random()]))
            .collect();
        let mut map = Map::default();
        // Keyframes 0-2 at the start; 3-6 elsewhere, seeing nothing of it;
        // 7-9 back near the start (the loop).
        let centres = [0.0, 0.1, 0.2, 5.0, 6.0, 7.0, 8.0, 0.05, 0.15, 0.25];
        for (i, &x) in centres.iter().enumerate() {
            let pts: &[(Point3<f64>, [u64; 4])] = if (3..7).contains(&i) { &[] } else { &world };
            map.kfs.push(keyframe(Vector3::new(x, 0.0, 0.0), pts));
        }
        // The first visit's points are exact; the second visit's map drifted
        // by 8 % (points and its keyframes scaled about keyframe 8's centre),
        // so its duplicate points sit elsewhere in the map.
        let exact: Vec<Point3<f64>> = world.iter().map(|w| w.0).collect();
        add_points(&mut map, &[0, 1, 2], &exact);
        let c8 = Vector3::new(0.15, 0.0, 0.0);
        let drifted: Vec<Point3<f64>> = exact.iter().map(|x| Point3::from(c8 + (x.coords - c8) * 1.08)).collect();
        add_points(&mut map, &[7, 8, 9], &drifted);
        for (kf, &x) in map.kfs.iter_mut().zip(&centres).skip(7) {
            let c2 = c8 + (Vector3::new(x, 0.0, 0.0) - c8) * 1.08;
            kf.cam_from_world = nalgebra::Isometry3::translation(-c2.x, -c2.y, -c2.z);
        }
        let stats = close_loops(&mut map, &K, W, H, &LoopConfig::default());
        assert!(stats.pairs_verified >= 3, "{stats:?}");
        // Each pair sees the second visit's map 8 % larger than the first's.
        for p in &stats.pairs {
            assert!((p.scale - 1.08).abs() < 0.01, "{p:?}");
        }
        assert_eq!(stats.points_fused, 120, "{stats:?}");
        let good: Vec<&MapPoint> = map.points.iter().filter(|p| !p.bad).collect();
        assert_eq!(good.len(), 120);
        for p in good {
            let mut kfs: Vec<usize> = p.obs.iter().map(|o| o.0).collect();
            kfs.sort();
            assert_eq!(kfs, vec![0, 1, 2, 7, 8, 9]);
        }
        // Every feature points at the point that lists it.
        for (ki, kf) in map.kfs.iter().enumerate() {
            for (fi, p) in kf.point_of.iter().enumerate() {
                if let Some(p) = p {
                    assert!(map.points[*p].obs.contains(&(ki, fi)));
                }
            }
        }
        // Shuffled descriptors (no true duplicate) verify nothing.
        let mut other = Map::default();
        for (i, &x) in centres.iter().enumerate() {
            let pts: Vec<(Point3<f64>, [u64; 4])> = if (3..7).contains(&i) { vec![] } else if i < 3 { world.clone() } else { world.iter().map(|w| (w.0, [rng.random(), rng.random(), rng.random(), rng.random()])).collect() };
            other.kfs.push(keyframe(Vector3::new(x, 0.0, 0.0), &pts));
        }
        add_points(&mut other, &[0, 1, 2], &exact);
        add_points(&mut other, &[7, 8, 9], &exact);
        let none = close_loops(&mut other, &K, W, H, &LoopConfig::default());
        assert!(none.candidates > 0 && none.pairs_verified == 0 && none.points_fused == 0, "{none:?}");
    }

    #[test]
    fn weak_points_are_dropped_only_where_enough_good_ones_remain() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let world: Vec<(Point3<f64>, [u64; 4])> = (0..60).map(|_| (Point3::new(rng.random_range(-1.0..1.0), rng.random_range(-1.0..1.0), 3.0), [rng.random(); 4])).collect();
        let mut map = Map::default();
        // Keyframes 0 and 1 are 0.5 m apart (about 9.5° at 3 m), 1 and 2
        // 2 cm apart (0.4°).
        for x in [0.0, 0.5, 0.52] {
            map.kfs.push(keyframe(Vector3::new(x, 0.0, 0.0), &world));
        }
        let pos: Vec<Point3<f64>> = world.iter().map(|w| w.0).collect();
        // 50 well-triangulated points (keyframes 0, 1, 2), 10 weak ones (1, 2).
        for (fi, p) in pos.iter().enumerate() {
            let kfs: &[usize] = if fi < 50 { &[0, 1, 2] } else { &[1, 2] };
            let pid = map.points.len();
            map.points.push(MapPoint { pos: *p, desc: world[fi].1, obs: kfs.iter().map(|&k| (k, fi)).collect(), bad: false });
            for &k in kfs {
                map.kfs[k].point_of[fi] = Some(pid);
            }
        }
        // Asking for more good points than keyframes 1 and 2 have keeps
        // every point; with 50 of them the 10 weak ones go.
        assert_eq!(drop_weak_points(&mut map, 2.0, 51), 0);
        assert_eq!(drop_weak_points(&mut map, 2.0, 50), 10);
        assert!(map.points[50..].iter().all(|p| p.bad && p.obs.is_empty()));
        assert!(map.kfs[1].point_of[55].is_none() && map.kfs[1].point_of[5] == Some(5));
    }

    #[test]
    fn fuse_moves_observations_and_keeps_one_per_keyframe() {
        let mut map = Map::default();
        for _ in 0..3 {
            map.kfs.push(KeyFrame {
                frame_index: 0,
                t: 0.0,
                cam_from_world: nalgebra::Isometry3::identity(),
                feats: Default::default(),
                point_of: vec![None; 4],
                image: opencv::core::Mat::default(),
                depth: None,
            });
        }
        let p = |obs: Vec<(usize, usize)>| MapPoint { pos: Point3::new(0.0, 0.0, 1.0), desc: [0; 4], obs, bad: false };
        map.points.push(p(vec![(0, 0), (1, 1)]));
        map.points.push(p(vec![(1, 2), (2, 3)]));
        for (pi, mp) in map.points.clone().iter().enumerate() {
            for &(k, f) in &mp.obs {
                map.kfs[k].point_of[f] = Some(pi);
            }
        }
        let dropped = fuse(&mut map, 0, 1);
        assert_eq!(dropped, 1);
        assert!(map.points[1].bad && map.points[1].obs.is_empty());
        assert_eq!(map.points[0].obs, vec![(0, 0), (1, 1), (2, 3)]);
        assert_eq!(map.kfs[1].point_of[2], None);
        assert_eq!(map.kfs[2].point_of[3], Some(0));
    }
}
