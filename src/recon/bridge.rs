//! Joining monocular maps across a turn on the spot.
//!
//! A phone that turns on the spot towards a part of the room no map has
//! seen loses tracking: a turn gives no parallax, so no new points, and the
//! map's points leave the view. A new map starts once the walk goes on, in
//! its own frame and scale, and it shares no points with the older map, so
//! relocalisation can never merge the two (`super::track`). What the gap
//! does fix is how the camera turned: the untracked frames' feature rays
//! differ by rotations alone ([`super::spin`]), so the chain of rotations
//! from the older map's last keyframe to the new map's first one gives the
//! new map's orientation in the older one; the camera stood (nearly) still,
//! so the two keyframes share a centre; and a handheld phone stays at the
//! same height, so the camera's height above the local floor in each map
//! ([`super::drift`], keyframes near the gap) gives the scale between them.
//! The new map is appended to the older one by that similarity
//! ([`append_similar`]).
//!
//! Refused (the maps stay apart; the reason is reported) when the gap is
//! longer than [`BridgeConfig::max_gap_s`], when the rotation chain does not
//! reach the new map's first keyframe, when its rays keep parallax a
//! rotation does not absorb (the camera walked: such maps can only be joined
//! by shared points), or when either map has too few agreeing local floors
//! near the gap.
//!
//! Owns: the choice of maps to join and the similarity between them. Knows
//! the tracker's data model ([`Map`]), rotation-only tracking, local floors
//! and the cameras' up prior; nothing of images, files or OpenCV.

use super::align::camera_up_prior;
use super::drift::{floor_heights, DriftConfig, DriftKeyframe, ObservedPoint};
use super::features::Features;
use super::geometry::{camera_centre, Pinhole};
use super::spin::{track_rotations, SpinConfig};
use super::track::{append_similar, Map};
use nalgebra::{UnitQuaternion, Vector3};
use serde::Serialize;

/// Settings of the joining across turns. `Default` suits a handheld phone
/// filming a room at 30 fps.
#[derive(Debug, Clone)]
pub struct BridgeConfig {
    /// Join maps at all.
    pub enabled: bool,
    /// Longest gap between the older map's last keyframe and the new map's
    /// first one (seconds): the camera must not have moved in between, and
    /// a long turn chains many rotations.
    pub max_gap_s: f64,
    /// Largest median ray residual after the rotation fits along the chain
    /// (degrees): a turn on the spot leaves noise only.
    pub max_residual_deg: f64,
    /// Keyframes within this time of the gap give each map's camera height
    /// (seconds): near the gap, so that drift inside a map does not enter.
    pub floor_window_s: f64,
    /// Fewest local floors on each side.
    pub min_floors: usize,
    /// Largest spread of one side's heights (1.4826 MAD / median).
    pub max_height_spread: f64,
    /// The camera's speed at each end of the gap is measured over this time
    /// (seconds) ...
    pub speed_window_s: f64,
    /// ... and must stay below this (camera heights per second; walking is
    /// about 0.35, a phone turned on the spot moves a few cm).
    pub max_speed: f64,
    /// Rotation-only tracking along the chain.
    pub spin: SpinConfig,
    /// Local floors.
    pub floors: DriftConfig,
}

impl Default for BridgeConfig {
    fn default() -> Self {
        BridgeConfig {
            enabled: std::env::var_os("ROOMSCRIBE_BRIDGE").is_some(),
            max_gap_s: 6.0,
            max_residual_deg: 0.3,
            floor_window_s: 2.0,
            min_floors: 3,
            speed_window_s: 0.5,
            max_speed: 0.15,
            max_height_spread: 0.1,
            spin: SpinConfig::default(),
            floors: DriftConfig { window_s: 1.0, min_floor_points: 30, ..DriftConfig::default() },
        }
    }
}

/// One attempt to join two maps (`report.json` `tracking_bridges`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct BridgeReport {
    /// The older map's last keyframe and the new map's first (frames).
    pub from_frame: usize,
    pub to_frame: usize,
    pub gap_s: f64,
    /// Frames in the rotation chain and how many it tracked.
    pub chain_frames: usize,
    pub chain_tracked: usize,
    /// Median ray residual after the rotation fits (degrees).
    pub median_residual_deg: f64,
    /// Angle between the two keyframes' optical axes (degrees).
    pub turn_deg: f64,
    /// Camera height above the local floors near the gap (each map's units)
    /// and how many keyframes gave one.
    pub height_older: f64,
    pub floors_older: usize,
    pub height_newer: f64,
    pub floors_newer: usize,
    /// Camera speed at the older map's end and the new map's start (camera
    /// heights per second).
    pub speed_older: f64,
    pub speed_newer: f64,
    /// Older map's length of one new map unit.
    pub scale: f64,
    pub joined: bool,
    /// Why not, when not joined.
    pub reason: String,
}

/// Similarity `x_older = s · r · x_newer + t`.
struct Similarity {
    s: f64,
    r: UnitQuaternion<f64>,
    t: Vector3<f64>,
}

/// Joins every map that starts after another ends, across a turn on the
/// spot (see the module docs), oldest first; `lost` holds the untracked
/// frames' features. The maps are left in time order. Returns every
/// attempt.
pub fn bridge_maps(maps: &mut Vec<Map>, lost: &[(usize, f64, Features)], k: &Pinhole, cfg: &BridgeConfig) -> Vec<BridgeReport> {
    let mut out = vec![];
    if !cfg.enabled || maps.len() < 2 {
        return out;
    }
    maps.retain(|m| !m.kfs.is_empty());
    maps.sort_by_key(|m| m.kfs.iter().map(|kf| kf.frame_index).min().unwrap_or(0));
    let mut i = 0;
    while i + 1 < maps.len() {
        let (rep, sim) = attempt(&maps[i], &maps[i + 1], lost, k, cfg);
        out.push(rep);
        match sim {
            Some(sim) => {
                let b = maps.remove(i + 1);
                append_similar(&mut maps[i], b, sim.s, &sim.r, &sim.t);
            }
            None => i += 1,
        }
    }
    out
}

/// The median of `v` and its spread (1.4826 MAD / median); `None` when empty.
fn median_spread(v: &mut [f64]) -> Option<(f64, f64)> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v[v.len() / 2];
    let mut dev: Vec<f64> = v.iter().map(|x| (x - m).abs()).collect();
    dev.sort_by(|a, b| a.total_cmp(b));
    Some((m, 1.4826 * dev[dev.len() / 2] / m.abs().max(1e-12)))
}

/// Camera heights above the local floors of `map`'s keyframes for which
/// `near(t)` holds, with up `up` (map frame).
fn heights_near(map: &Map, up: &Vector3<f64>, cfg: &DriftConfig, near: impl Fn(f64) -> bool) -> Vec<f64> {
    let kfs: Vec<DriftKeyframe> = map.kfs.iter().map(|k| DriftKeyframe { t: k.t, cam_from_world: k.cam_from_world }).collect();
    let points: Vec<ObservedPoint> = map.points.iter().filter(|p| !p.bad && p.obs.len() >= 2).map(|p| (p.pos, p.obs.iter().map(|o| o.0).collect())).collect();
    let fl = floor_heights(&kfs, &points, up, cfg);
    if std::env::var_os("ROOMSCRIBE_DEBUG_TRACK").is_some() {
        let v: Vec<String> = fl.iter().zip(&kfs).filter_map(|(f, k)| f.map(|f| format!("{:.1}:{:.3}", k.t, f.height))).collect();
        eprintln!("DBG floors {} of {}: {}", v.len(), kfs.len(), v.join(" "));
    }
    fl.into_iter().zip(&kfs).filter(|(_, kf)| near(kf.t)).filter_map(|(f, _)| f.map(|f| f.height)).filter(|h| h.is_finite() && *h > 0.0).collect()
}

/// One attempt to join `b` (newer) to `a` (older).
fn attempt(a: &Map, b: &Map, lost: &[(usize, f64, Features)], k: &Pinhole, cfg: &BridgeConfig) -> (BridgeReport, Option<Similarity>) {
    let mut rep = BridgeReport::default();
    let (Some(ka), Some(kb)) = (a.kfs.iter().max_by_key(|kf| kf.frame_index), b.kfs.iter().min_by_key(|kf| kf.frame_index)) else {
        rep.reason = "a map without keyframes".into();
        return (rep, None);
    };
    rep.from_frame = ka.frame_index;
    rep.to_frame = kb.frame_index;
    rep.gap_s = kb.t - ka.t;
    if kb.frame_index <= ka.frame_index {
        rep.reason = "the maps overlap in time".into();
        return (rep, None);
    }
    if rep.gap_s > cfg.max_gap_s {
        rep.reason = format!("gap {:.1} s > {:.1} s", rep.gap_s, cfg.max_gap_s);
        return (rep, None);
    }
    // The chain ends at the new map's earliest frame whose features are
    // kept (untracked first, localised in it at the end), else at its first
    // keyframe: nearest to the end of the turn.
    let lost_at = |i: usize| lost.iter().find(|f| f.0 == i);
    let end_frame: (usize, f64, nalgebra::Isometry3<f64>, &Features) = b
        .frame_poses()
        .into_iter()
        .filter(|(i, _, _)| *i > ka.frame_index && *i < kb.frame_index)
        .find_map(|(i, t, p)| lost_at(i).map(|f| (i, t, p, &f.2)))
        .unwrap_or((kb.frame_index, kb.t, kb.cam_from_world, &kb.feats));
    rep.to_frame = end_frame.0;
    rep.gap_s = end_frame.1 - ka.t;
    // The chain: the older map's last keyframe, the untracked frames
    // between, the new map's frame.
    let mut chain: Vec<(usize, f64, &Features)> = vec![(ka.frame_index, ka.t, &ka.feats)];
    let mut between: Vec<&(usize, f64, Features)> = lost.iter().filter(|f| f.0 > ka.frame_index && f.0 < end_frame.0).collect();
    between.sort_by_key(|f| f.0);
    between.dedup_by_key(|f| f.0);
    chain.extend(between.into_iter().map(|f| (f.0, f.1, &f.2)));
    chain.push((end_frame.0, end_frame.1, end_frame.3));
    rep.chain_frames = chain.len();
    let (poses, st) = track_rotations(&chain, k, &cfg.spin);
    rep.chain_tracked = st.tracked;
    rep.median_residual_deg = st.median_residual_deg;
    let start = poses.first().filter(|p| p.frame_index == ka.frame_index);
    let end = poses.iter().find(|p| p.frame_index == end_frame.0);
    let (Some(_), Some(end)) = (start, end) else {
        rep.reason = format!("the rotation chain did not reach frame {} ({} of {} frames tracked)", end_frame.0, st.tracked, chain.len());
        return (rep, None);
    };
    let kb_pose = end_frame.2;
    // cam_a ← cam_b.
    let r_spin = end.world_from_camera;
    rep.turn_deg = (r_spin * Vector3::z()).angle(&Vector3::z()).to_degrees();
    if st.median_residual_deg > cfg.max_residual_deg {
        rep.reason = format!("the camera moved: median ray residual {:.2}° > {:.2}° after the rotation fits", st.median_residual_deg, cfg.max_residual_deg);
        return (rep, None);
    }
    // world_a ← world_b = (world_a ← cam_a)(cam_a ← cam_b)(cam_b ← world_b).
    let r = ka.cam_from_world.rotation.inverse() * r_spin * kb_pose.rotation;
    // Up from both maps' cameras (the new map's turned into the older one).
    let mut rots: Vec<UnitQuaternion<f64>> = a.kfs.iter().map(|kf| kf.cam_from_world.rotation.inverse()).collect();
    rots.extend(b.kfs.iter().map(|kf| r * kf.cam_from_world.rotation.inverse()));
    let up_a = camera_up_prior(&rots).up;
    let up_b = r.inverse() * up_a;
    let (ta, tb, w) = (ka.t, end_frame.1, cfg.floor_window_s);
    let mut ha = heights_near(a, &up_a, &cfg.floors, |t| t >= ta - w);
    let mut hb = heights_near(b, &up_b, &cfg.floors, |t| t <= tb + w);
    rep.floors_older = ha.len();
    rep.floors_newer = hb.len();
    let (Some((h_a, spread_a)), Some((h_b, spread_b))) = (median_spread(&mut ha), median_spread(&mut hb)) else {
        rep.reason = format!("local floors near the gap: {} in the older map, {} in the new one", ha.len(), hb.len());
        return (rep, None);
    };
    rep.height_older = h_a;
    rep.height_newer = h_b;
    if ha.len() < cfg.min_floors || hb.len() < cfg.min_floors {
        rep.reason = format!("local floors near the gap: {} in the older map, {} in the new one (need {})", ha.len(), hb.len(), cfg.min_floors);
        return (rep, None);
    }
    if spread_a > cfg.max_height_spread || spread_b > cfg.max_height_spread {
        rep.reason = format!("camera heights near the gap disagree: spread {:.0} % (older), {:.0} % (new)", spread_a * 100.0, spread_b * 100.0);
        return (rep, None);
    }
    // The camera must stand at both ends of the gap (a walk in between
    // breaks the shared centre): its speed over the older map's last and
    // the new map's first frames, in camera heights per second.
    let speed = |poses: &[(f64, nalgebra::Isometry3<f64>)], h: f64| -> f64 {
        match (poses.first(), poses.last()) {
            (Some(p0), Some(p1)) if p1.0 > p0.0 => (camera_centre(&p1.1) - camera_centre(&p0.1)).norm() / h / (p1.0 - p0.0),
            _ => 0.0,
        }
    };
    let a_end: Vec<(f64, nalgebra::Isometry3<f64>)> = a.frame_poses().into_iter().filter(|(_, t, _)| *t >= ka.t - cfg.speed_window_s && *t <= ka.t + cfg.speed_window_s).map(|(_, t, p)| (t, p)).collect();
    let b_start: Vec<(f64, nalgebra::Isometry3<f64>)> = b.frame_poses().into_iter().filter(|(_, t, _)| *t >= tb && *t <= tb + cfg.speed_window_s).map(|(_, t, p)| (t, p)).collect();
    rep.speed_older = speed(&a_end, h_a);
    rep.speed_newer = speed(&b_start, h_b);
    if rep.speed_older > cfg.max_speed || rep.speed_newer > cfg.max_speed {
        rep.reason = format!("the camera walked at the gap: {:.2} (older map's end), {:.2} (new map's start) camera heights per second > {:.2}", rep.speed_older, rep.speed_newer, cfg.max_speed);
        return (rep, None);
    }
    let s = h_a / h_b;
    rep.scale = s;
    // The two frames share a centre.
    let t = camera_centre(&ka.cam_from_world).coords - r * camera_centre(&kb_pose).coords * s;
    rep.joined = true;
    (rep, Some(Similarity { s, r, t }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_spread_of_heights() {
        assert!(median_spread(&mut []).is_none());
        let (m, s) = median_spread(&mut [1.0, 1.1, 0.9, 1.0, 5.0]).unwrap_or((0.0, 1.0));
        assert_eq!(m, 1.0);
        assert!((s - 0.14826).abs() < 1e-9, "{s}");
    }
}
