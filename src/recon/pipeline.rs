//! The front end as one call: [`reconstruct`] reads a capture, selects
//! frames, tracks them (RGB-D odometry, monocular SLAM, or the capture's
//! own poses), builds the cloud (depth fusion or multi-view stereo), aligns
//! it (gravity, floor, yaw, scale) and returns cloud, trajectory and report.

use super::align::{align, camera_up_prior, AlignConfig};
use super::calib::{Intrinsics, IntrinsicsSource, DEFAULT_HFOV_DEG};
use super::drift::{self, DriftConfig, DriftKeyframe, DriftReport};
use super::dense::{dense_points, typical_depth, DenseConfig};
use super::features::{Extractor, OrbConfig};
use super::focal::{estimate_from_capture, FocalConfig, FocalEstimate};
use super::fusion::{Fusion, FusionConfig};
use super::geometry::{camera_centre, Pinhole};
use super::report::{ReconReport, Timings};
use super::select::{Decision, SelectConfig, Selector};
use super::source::{self, Frame, SourceKind};
use super::spin::{track_rotations, SpinBuffer, SpinConfig, SpinPose, SpinStats};
use super::track::{Map, TrackConfig, TrackState, Tracker, INIT_MIN_DEROTATED_PARALLAX_DEG};
use super::vertical::{line_segments, vertical_from_segments, VerticalConfig};
use super::{cv, ReconError};
use crate::cloud::PointCloud;
use crate::trajectory::{StampedPose, Trajectory};
use nalgebra::{Isometry3, Point3, UnitQuaternion};
use opencv::core::{Mat, Size};
use opencv::imgproc;
use opencv::prelude::*;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Front-end settings. `Default` suits a phone video of a room.
#[derive(Debug, Clone)]
pub struct ReconConfig {
    /// `--calib FILE`: intrinsics (OpenCV YAML) for the capture's camera.
    pub calib: Option<PathBuf>,
    /// `--fov DEG`: horizontal field of view when no calibration is given.
    pub fov_deg: Option<f64>,
    /// `--scale`: map units → metres for monocular input.
    pub scale: Option<f64>,
    /// `--camera-height`: metres above the floor (replaces the 1.45 m prior).
    pub camera_height: Option<f64>,
    /// Frame rate for image folders without a clock.
    pub fps: f64,
    /// Frames wider than this are downscaled for tracking (pixels). 640
    /// keeps VGA input as it is and tracks 720p/1080p video at 640x360:
    /// enough for room-scale geometry, and matching costs grow with the
    /// square of the feature count.
    pub max_width: u32,
    /// Ignore poses the capture provides and estimate them.
    pub ignore_capture_poses: bool,
    /// `--poses FILE`: TUM `world_from_camera` poses (another SLAM system's,
    /// or ground truth) used instead of tracking; frames are matched by
    /// timestamp (nearest within [`POSE_MATCH_S`]) and frames without one
    /// are skipped. Their scale and gravity are treated as unknown and
    /// found like a monocular map's (pass `--scale 1` for metric poses).
    pub poses: Option<PathBuf>,
    /// Stop after this many frames (0 = all).
    pub max_frames: usize,
    pub orb: OrbConfig,
    pub select: SelectConfig,
    pub track: TrackConfig,
    pub dense: DenseConfig,
    /// Estimate the focal length from vanishing points when the intrinsics
    /// are unknown (else the assumed field of view is used).
    pub estimate_focal: bool,
    pub focal: FocalConfig,
    /// Scale drift correction of monocular maps from the camera height.
    pub drift: DriftConfig,
    /// Fusion voxel size for metric input (metres).
    pub voxel_m: f64,
    /// Seed for the randomised steps (plane RANSAC).
    pub seed: u64,
}

impl Default for ReconConfig {
    fn default() -> Self {
        ReconConfig {
            calib: None,
            fov_deg: None,
            scale: None,
            camera_height: None,
            fps: 30.0,
            max_width: 640,
            ignore_capture_poses: false,
            poses: None,
            max_frames: 0,
            orb: OrbConfig::default(),
            select: SelectConfig::default(),
            track: TrackConfig::default(),
            dense: DenseConfig::default(),
            estimate_focal: true,
            focal: FocalConfig::default(),
            drift: DriftConfig::default(),
            voxel_m: 0.02,
            seed: 0,
        }
    }
}

/// Progress reported to the caller.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    /// "reading", "dense", "fusion", "align".
    pub stage: &'static str,
    pub done: usize,
    pub total: Option<usize>,
}

/// The front end's result.
pub struct Reconstruction {
    /// Coloured cloud in the world frame (metres, z up, floor z = 0).
    pub cloud: PointCloud,
    /// `world_from_camera` per tracked frame, capture clock.
    pub trajectory: Trajectory,
    pub report: ReconReport,
}

/// `--poses`: largest timestamp difference between a frame and its pose (seconds).
pub const POSE_MATCH_S: f64 = 0.02;

/// The pose of `traj` nearest in time to `t`, within [`POSE_MATCH_S`].
fn pose_at(traj: &Trajectory, t: f64) -> Option<Isometry3<f64>> {
    let i = traj.poses.partition_point(|p| p.t < t);
    [i.checked_sub(1), Some(i)]
        .into_iter()
        .flatten()
        .filter_map(|j| traj.poses.get(j))
        .filter(|p| (p.t - t).abs() <= POSE_MATCH_S)
        .min_by(|a, b| (a.t - t).abs().total_cmp(&(b.t - t).abs()))
        .map(|p| p.world_from_camera)
}

/// Calibration files looked for beside a capture, in order.
const SIDECAR_CALIB: &[&str] = &["intrinsics.yaml", "calib.yaml", "camera.yaml"];

fn find_sidecar(input: &Path) -> Option<PathBuf> {
    let dir = if input.is_dir() { input.to_path_buf() } else { input.parent()?.to_path_buf() };
    for d in [Some(dir.clone()), dir.parent().map(Path::to_path_buf)].into_iter().flatten() {
        for n in SIDECAR_CALIB {
            let p = d.join(n);
            if p.is_file() {
                return Some(p);
            }
        }
    }
    None
}

/// Chooses intrinsics: `--calib`, the capture's, a file beside the input,
/// `--fov`, or the assumed phone field of view.
/// The third value is a warning when the intrinsics had to be turned to fit
/// the frames.
fn choose_intrinsics(input: &Path, cfg: &ReconConfig, capture: Option<Intrinsics>, kind: SourceKind, w: u32, h: u32) -> Result<(Intrinsics, IntrinsicsSource, Option<String>), ReconError> {
    let (k, src) = if let Some(p) = &cfg.calib {
        (Intrinsics::read_yaml(p)?, IntrinsicsSource::File { path: p.display().to_string() })
    } else if let Some(k) = capture {
        (k, IntrinsicsSource::Capture { format: format!("{kind:?}") })
    } else if let Some(p) = find_sidecar(input) {
        (Intrinsics::read_yaml(&p)?, IntrinsicsSource::File { path: p.display().to_string() })
    } else if let Some(f) = cfg.fov_deg {
        if !(f > 5.0 && f < 170.0) {
            return Err(ReconError::Config(format!("--fov {f}: expected a horizontal field of view between 5 and 170 degrees")));
        }
        (Intrinsics::from_hfov(w, h, f), IntrinsicsSource::Fov { horizontal_deg: f })
    } else {
        let k = Intrinsics::from_long_side_fov(w, h, DEFAULT_HFOV_DEG);
        let horizontal_deg = k.hfov_deg();
        (k, IntrinsicsSource::Assumed { horizontal_deg })
    };
    match k.fit_to(w, h) {
        Some((fitted, false)) => Ok((fitted, src, None)),
        Some((fitted, true)) => {
            let note = format!(
                "intrinsics are for {}x{} images but the capture is {w}x{h}: used them turned 90° clockwise (a portrait video filmed with the phone upright; if it was held the other way round, the principal point is mirrored)",
                k.width, k.height
            );
            Ok((fitted, src, Some(note)))
        }
        None => Err(ReconError::Calib {
            path: input.display().to_string(),
            message: format!("intrinsics are for {}x{} images but the capture is {w}x{h} (different aspect ratio)", k.width, k.height),
        }),
    }
}

/// Tracking area for which [`OrbConfig::n_features`] is meant (640x480).
const ORB_REFERENCE_AREA: f64 = 640.0 * 480.0;

/// The ORB settings for frames downscaled to `tw` x `th`: a downscaled
/// frame smaller than [`ORB_REFERENCE_AREA`] (720p at 640x360) gets
/// proportionally fewer features, the same density per pixel; frames used
/// at their own size keep the configured count.
fn orb_for_tracking_size(orb: &OrbConfig, downscaled: bool, tw: u32, th: u32) -> OrbConfig {
    let area = tw as f64 * th as f64;
    if !downscaled || area >= ORB_REFERENCE_AREA {
        return orb.clone();
    }
    let n = (orb.n_features as f64 * area / ORB_REFERENCE_AREA).round() as i32;
    OrbConfig { n_features: n.clamp(MIN_ORB_FEATURES.min(orb.n_features), orb.n_features), ..orb.clone() }
}

/// Fewest ORB features [`orb_for_tracking_size`] asks for.
const MIN_ORB_FEATURES: i32 = 500;

fn to_gray(image: &Mat) -> Result<Mat, ReconError> {
    let mut g = Mat::default();
    imgproc::cvt_color_def(image, &mut g, imgproc::COLOR_BGR2GRAY).map_err(cv("grey conversion"))?;
    Ok(g)
}

fn resize(m: &Mat, size: Size, interp: i32) -> Result<Mat, ReconError> {
    if m.size().map_err(cv("size"))? == size {
        return m.try_clone().map_err(cv("copy"));
    }
    let mut o = Mat::default();
    imgproc::resize(m, &mut o, size, 0.0, 0.0, interp).map_err(cv("resize"))?;
    Ok(o)
}

/// Runs the whole front end on `input`.
pub fn reconstruct(input: &Path, config: &ReconConfig, progress: &mut dyn FnMut(Progress)) -> Result<Reconstruction, ReconError> {
    let t_start = Instant::now();
    let mut timings = Timings::default();
    let input_s = input.display().to_string();
    let mut src = source::open(input, config.fps)?;
    let kind = src.kind();
    let total = src.len_hint();
    let mut warnings: Vec<String> = vec![];

    // First frame: sizes and intrinsics.
    let t0 = Instant::now();
    let first = src.next_frame()?;
    timings.decode_s += t0.elapsed().as_secs_f64();
    let Some(first) = first else {
        warnings.extend(src.take_warnings());
        let detail = if warnings.is_empty() { String::new() } else { format!(": {}", warnings.join("; ")) };
        return Err(ReconError::NoFrames { path: input_s, detail });
    };
    let size = first.image.size().map_err(cv("image size"))?;
    let (w, h) = (size.width as u32, size.height as u32);
    let (mut k_full, mut k_src, turned) = choose_intrinsics(input, config, src.intrinsics(), kind, w, h)?;
    warnings.extend(turned);
    let mut focal_estimate: Option<FocalEstimate> = None;
    if config.estimate_focal && matches!(k_src, IntrinsicsSource::Assumed { .. }) {
        progress(Progress { stage: "focal length", done: 0, total: None });
        let tf = Instant::now();
        let e = estimate_from_capture(input, config.fps, &config.focal)?;
        timings.focal_s = tf.elapsed().as_secs_f64();
        if e.reliable {
            k_full = Intrinsics { fx: e.f, fy: e.f, ..k_full };
            k_src = IntrinsicsSource::Estimated { method: e.method.clone(), estimated_fx: e.f, horizontal_deg: e.hfov_deg, spread: e.spread, frames: e.frames_with_estimate };
        } else {
            warnings.push(format!("focal length estimation unreliable ({}); assumed a {DEFAULT_HFOV_DEG}° field of view across the longer image side", e.reason));
        }
        focal_estimate = Some(e);
    }
    let scale_down = (config.max_width as f64 / w as f64).min(1.0);
    let (tw, th) = (((w as f64) * scale_down).round() as u32, ((h as f64) * scale_down).round() as u32);
    let k_track = k_full.scaled_to(tw, th);
    let pin = Pinhole { fx: k_track.fx, fy: k_track.fy, cx: k_track.cx, cy: k_track.cy };
    let tsize = Size::new(tw as i32, th as i32);

    let external = match &config.poses {
        Some(p) => {
            let mut t = Trajectory::read_tum(p).map_err(|e| ReconError::Read { path: p.display().to_string(), message: e.to_string() })?;
            t.poses.sort_by(|a, b| a.t.total_cmp(&b.t));
            Some(t)
        }
        None => None,
    };
    let use_given = external.is_some() || (first.pose.is_some() && !config.ignore_capture_poses);
    let has_depth = first.depth.is_some();
    let mut mode = if external.is_some() { "external_poses" } else if use_given { "given_poses" } else if has_depth { "rgbd_odometry" } else { "monocular_slam" };
    let mut track_cfg = config.track.clone();
    if has_depth {
        track_cfg.local_ba = false;
    }
    let mut tracker = Tracker::new(track_cfg, pin, tw, th, has_depth);
    // Reading runs on its own thread (decode, downscale, selection, ORB)
    // and hands kept frames to tracking on this one through a short queue:
    // the two overlap on a multi-core machine.
    let selector = Selector::new(config.select.clone())?;
    let orb = orb_for_tracking_size(&config.orb, scale_down < 1.0, tw, th);
    let extractor = if use_given { None } else { Some(Extractor::new(&orb)?) };
    // Given poses: frames kept by the selector, with their depth.
    let mut given: Vec<GivenFrame> = vec![];
    // Gravity known (capture poses): no vanishing direction needed.
    let gravity_known = use_given && external.is_none();
    let reader = Reader { src, selector, extractor, tsize, k_track: k_track.clone(), max_frames: config.max_frames, lines: !gravity_known, lines_interval: lines_interval(total), last_lines_t: f64::NEG_INFINITY, lines_s: 0.0 };
    // Line segments of frames sampled in time, by frame index.
    let mut frame_lines: Vec<(usize, Vec<[f64; 4]>)> = vec![];
    // Features of the frames seen while monocular tracking has no map, for
    // rotation-only tracking if it never starts (a turn on the spot);
    // bounded, thinned evenly over time when full.
    let mut spin_frames = SpinBuffer::new(MAX_SPIN_FRAMES);
    let (tx, rx) = std::sync::mpsc::sync_channel::<Kept>(READ_AHEAD_FRAMES);
    let (read_result, track_result) = std::thread::scope(|scope| {
        let handle = scope.spawn(move || reader.run(first, tx));
        let track_result = (|| -> Result<(), ReconError> {
            for mut kept in rx.iter() {
                if let Some(l) = kept.lines.take() {
                    frame_lines.push((kept.index, l));
                }
                if use_given {
                    let pose = match &external {
                        Some(t) => pose_at(t, kept.t),
                        None => kept.pose,
                    };
                    if let Some(p) = pose {
                        given.push((kept.index, kept.t, p, kept.image, kept.depth));
                    }
                } else if let Some(feats) = kept.feats {
                    if !has_depth && tracker.best_map().is_none() {
                        spin_frames.offer(kept.index, kept.t, &feats);
                    } else {
                        spin_frames.clear(); // a map started: not needed
                    }
                    let tt = Instant::now();
                    let state = tracker.track(kept.index, kept.t, &kept.image, kept.depth.as_ref(), feats)?;
                    timings.tracking_s += tt.elapsed().as_secs_f64();
                    let _ = state == TrackState::Lost;
                }
                progress(Progress { stage: "reading", done: kept.frames_read, total });
            }
            Ok(())
        })();
        // On a tracking error the queue is dropped here, which stops the reader.
        drop(rx);
        (handle.join(), track_result)
    });
    let read = match read_result {
        Ok(r) => r?,
        Err(_) => return Err(ReconError::Config("the frame reader thread panicked".into())),
    };
    track_result?;
    let ReadOutcome { frames_read, selector, src_warnings, decode_s, select_s, features_s, lines_s } = read;
    timings.lines_s = lines_s;
    timings.decode_s += decode_s;
    timings.select_s += select_s;
    timings.features_s += features_s;
    warnings.extend(src_warnings);
    if !use_given {
        let tt = Instant::now();
        tracker.finish()?;
        timings.tracking_s += tt.elapsed().as_secs_f64();
    }
    let scale_drift = if !use_given && !has_depth && config.drift.enabled { correct_drift(&mut tracker, &config.drift) } else { None };
    let sel = selector.stats.clone();
    if sel.black > 0 {
        warnings.push(format!("{} black frames skipped", sel.black));
    }
    if sel.frozen > 0 {
        warnings.push(format!("{} frozen (repeated) frames skipped", sel.frozen));
    }
    if sel.blurry > 0 {
        warnings.push(format!("{} blurry frames skipped", sel.blurry));
    }

    // Poses (camera_from_world in the map frame) and the cloud in the map frame.
    let mut fusion_cfg = FusionConfig { voxel: config.voxel_m, ..Default::default() };
    let mut traj_map: Vec<(f64, Isometry3<f64>)> = vec![];
    let mut views: Vec<(Isometry3<f64>, Mat, Option<Mat>)> = vec![];
    // `world_from_camera` of every posed frame, by frame index (segments).
    let mut posed: std::collections::HashMap<usize, Isometry3<f64>> = std::collections::HashMap::new();
    let keyframes;
    let mut rotation_only = None;
    let mut sparse: Vec<(Point3<f64>, [u8; 3])> = vec![];
    // Monocular without a sound map (none started, or only the flagged
    // low-parallax fallback): a turn on the spot? Track rotations alone;
    // when the rays fit a turn, its orientations are what such a video
    // fixes, and they replace the fallback map's (whose depths are not
    // real, and whose frame is tilted by them).
    let scfg = SpinConfig { seed: config.seed, ..Default::default() };
    // Only a fallback whose best pair had too little parallax: one refused
    // as a rotation / translation trade (a sideways walk past a far wall
    // that no third view confirmed) has parallax, which a rotation-only
    // fit of small residual would hide.
    let no_parallax = tracker.stats.low_parallax_derotated_deg.is_some_and(|d| d < INIT_MIN_DEROTATED_PARALLAX_DEG);
    let spun = if !use_given && !has_depth && (tracker.best_map().is_none() || no_parallax) && spin_frames.len() >= 2 {
        let tt = Instant::now();
        let r = track_rotations(&spin_frames.frames(), &pin, &scfg);
        timings.tracking_s += tt.elapsed().as_secs_f64();
        Some(r)
    } else {
        None
    };
    let is_turn = |(poses, st): &(Vec<SpinPose>, SpinStats)| poses.len() >= MIN_ROTATION_ONLY_POSES && st.median_residual_deg <= scfg.max_residual_deg && st.max_turn_deg >= MIN_ROTATION_ONLY_TURN_DEG;
    let use_spin = spun.as_ref().is_some_and(is_turn);
    if use_given {
        for (i, t, wfc, img, d) in given {
            posed.insert(i, wfc);
            traj_map.push((t, wfc.inverse()));
            views.push((wfc.inverse(), img, d));
        }
        keyframes = views.len();
    } else if let Some(map) = tracker.best_map().filter(|_| !use_spin) {
        if tracker.maps.len() > 1 {
            warnings.push(format!("tracking was lost and restarted {} times; only the largest map ({} keyframes) is kept", tracker.maps.len() - 1, map.kfs.len()));
        }
        if tracker.stats.low_parallax {
            warnings.push("no parallax: the camera (nearly) only turned, so the map's depths, its scale and its floor are unreliable".into());
        }
        keyframes = map.kfs.len();
        let fp = map.frame_poses();
        posed.extend(fp.iter().map(|(i, _, p)| (*i, p.inverse())));
        traj_map = fp.into_iter().map(|(_, t, p)| (t, p)).collect();
        for kf in &map.kfs {
            views.push((kf.cam_from_world, kf.image.try_clone().map_err(cv("copy"))?, match &kf.depth {
                Some(d) => Some(d.try_clone().map_err(cv("copy"))?),
                None => None,
            }));
        }
        sparse = sparse_points(map);
    } else {
        let why = if frames_read < 2 { "only one frame" } else if has_depth { "no frame had enough features with depth" } else { "no two frames with enough parallax and matched features (static camera, plain walls or too few features)" };
        let fail = |more: &str| ReconError::Tracking { input: input_s.clone(), message: format!("tracking could not start: {why}{more}") };
        let Some((poses, st)) = spun else { return Err(fail("")) };
        if !use_spin {
            return Err(fail(&format!(
                "; rotation-only tracking: {} of {} frames, median ray residual {:.2}°, {:.1}° of turn (a turn on the spot needs ≥ {MIN_ROTATION_ONLY_POSES} frames, ≤ {:.2}° and ≥ {MIN_ROTATION_ONLY_TURN_DEG}°)",
                poses.len(),
                st.frames,
                st.median_residual_deg,
                st.max_turn_deg,
                scfg.max_residual_deg
            )));
        }
        warnings.push(format!(
            "the camera only turned on the spot (median ray residual {:.2}° after a rotation fit, {:.0}° of turn): rotations only were tracked ({} of {} frames) and the camera centre is fixed; no depth, no cloud and no scale can come from a turn on the spot",
            st.median_residual_deg, st.max_turn_deg, st.tracked, st.frames
        ));
        mode = "rotation_only";
        for p in &poses {
            let wfc = Isometry3::from_parts(nalgebra::Translation3::identity(), p.world_from_camera);
            posed.insert(p.frame_index, wfc);
            traj_map.push((p.t, wfc.inverse()));
        }
        rotation_only = Some(st);
        keyframes = 0;
        spin_frames.clear();
        // No map: the steps below see no views and no points.
    }
    if traj_map.is_empty() {
        return Err(ReconError::Tracking { input: input_s, message: "no frame could be tracked".into() });
    }

    // Scale-free map: fuse with a voxel relative to the scene's size.
    let metric = has_depth || gravity_known; // capture poses are metric
    let sparse_pos: Vec<Point3<f64>> = sparse.iter().map(|(p, _)| p).copied().collect();
    let typical = if has_depth { 1.0 } else { typical_depth(&views, &pin, &sparse_pos)?.unwrap_or(1.0).max(1e-9) };
    if !metric {
        fusion_cfg.voxel = config.voxel_m * typical / 2.0;
        fusion_cfg.min_views = config.dense.min_views;
    } else {
        fusion_cfg.min_views = 1;
    }
    let fusion_cfg_voxel = fusion_cfg.voxel;
    let mut fusion = Fusion::new(fusion_cfg);
    let mut dense_keyframes = 0;
    // Dense geometry for views without depth (monocular): stereo between keyframes.
    let td = Instant::now();
    if !has_depth && !views.is_empty() {
        progress(Progress { stage: "dense", done: 0, total: None });
        match dense_points(&views, &pin, typical, &config.dense) {
            Ok((per_view, st)) => {
                dense_keyframes = per_view.len();
                for pts in &per_view {
                    fusion.add_view_points(pts);
                }
                if st.depth_maps == 0 && !config.dense.disabled {
                    warnings.push(format!("dense stereo found no source views for its {} reference views (too little camera motion?); the cloud holds the sparse map points only", st.references));
                } else if per_view.is_empty() && !config.dense.disabled {
                    warnings.push(format!("dense stereo: none of {} depth maps ({} pixels) was confirmed by other views; the cloud holds the sparse map points only", st.depth_maps, st.raw_pixels));
                }
            }
            Err(e) => warnings.push(format!("dense stereo failed: {e}")),
        }
    }
    timings.dense_s = td.elapsed().as_secs_f64();

    let tf = Instant::now();
    for (i, (cfw, img, d)) in views.iter().enumerate() {
        progress(Progress { stage: "fusion", done: i, total: Some(views.len()) });
        if let Some(d) = d {
            fusion.add(&pin, &cfw.inverse(), d, img)?;
        }
    }
    if !metric {
        fusion.add_points(&sparse, 2);
    }
    let fused = fusion.cloud();
    timings.fusion_s = tf.elapsed().as_secs_f64();

    // Cleaning: statistical outliers, then floaters (map units).
    let tc = Instant::now();
    let voxel = fusion_cfg_voxel;
    let (cloud_map, removed_outliers, removed_floaters) = clean(fused, voxel);
    timings.clean_s = tc.elapsed().as_secs_f64();

    // Alignment.
    let ta = Instant::now();
    progress(Progress { stage: "align", done: 0, total: None });
    let pts: Vec<Point3<f64>> = cloud_map.points.iter().map(|p| Point3::new(p[0] as f64, p[1] as f64, p[2] as f64)).collect();
    let centres: Vec<Point3<f64>> = traj_map.iter().map(|(_, p)| camera_centre(p)).collect();
    let rotations: Vec<UnitQuaternion<f64>> = traj_map.iter().map(|(_, p)| p.inverse().rotation).collect();
    let local_camera_height = if config.drift.use_for_scale { scale_drift.as_ref().and_then(|d| d.camera_height) } else { None };
    let acfg = AlignConfig { metric, gravity_known, scale: config.scale, camera_height: config.camera_height, local_camera_height };
    if let Some(s) = config.scale {
        if !(s.is_finite() && s > 0.0) {
            return Err(ReconError::Config(format!("--scale {s}: must be a positive number")));
        }
    }
    let up_prior = camera_up_prior(&rotations);
    // Vertical vanishing direction from the line segments of every posed
    // sampled frame (not only keyframes: a turn on the spot may have two).
    let vertical = if acfg.gravity_known {
        None
    } else {
        let lv: Vec<(Isometry3<f64>, &[[f64; 4]])> = frame_lines.iter().filter_map(|(i, l)| posed.get(i).map(|wfc| (wfc.inverse(), l.as_slice()))).collect();
        let diagonal = (tw as f64).hypot(th as f64);
        vertical_from_segments(&lv, diagonal, &pin, &up_prior.up, &VerticalConfig { seed: config.seed, ..Default::default() })
    };
    let (sim, arep) = align(&pts, &centres, &up_prior, vertical.as_ref(), &acfg, config.seed);
    timings.align_s = ta.elapsed().as_secs_f64();
    let mut cloud = cloud_map;
    cloud.transform_similarity(&sim);
    let trajectory = Trajectory { poses: traj_map.iter().map(|(t, cfw)| StampedPose { t: *t, world_from_camera: sim.transform_pose(&cfw.inverse()) }).collect() };
    if cloud.is_empty() {
        warnings.push("the cloud is empty".into());
    }
    timings.total_s = t_start.elapsed().as_secs_f64();
    let report = ReconReport {
        roomscribe_version: crate::VERSION.to_string(),
        input: input_s,
        source: kind,
        mode: mode.to_string(),
        frames_read,
        frames_used: sel.kept,
        selection: sel,
        tracking: tracker.stats.clone(),
        rotation_only,
        keyframes,
        maps: tracker.maps.len(),
        trajectory_poses: trajectory.poses.len(),
        intrinsics_source: k_src,
        focal_estimate,
        intrinsics: k_full,
        tracking_width: tw,
        tracking_height: th,
        alignment: arep,
        points: cloud.len(),
        dense_keyframes,
        removed_outliers,
        removed_floaters,
        warnings,
        timings,
        tracking_timings: tracker.timings.clone(),
        scale_drift,
    };
    Ok(Reconstruction { cloud, trajectory, report })
}

/// Kept frames decoded ahead of tracking (each holds a tracking-size
/// colour image, grey features and depth: a few MB).
const READ_AHEAD_FRAMES: usize = 8;

/// A frame the selector kept, ready for tracking.
struct Kept {
    index: usize,
    t: f64,
    /// Colour at tracking size.
    image: Mat,
    depth: Option<Mat>,
    pose: Option<Isometry3<f64>>,
    /// ORB features (when poses are estimated).
    feats: Option<super::features::Features>,
    /// Frames read so far (progress).
    frames_read: usize,
    /// Line segments (sampled frames, [`LINES_INTERVAL_S`]).
    lines: Option<Vec<[f64; 4]>>,
}

/// A frame with a pose the capture gave: frame index, timestamp,
/// `world_from_camera`, image, depth.
type GivenFrame = (usize, f64, Isometry3<f64>, Mat, Option<Mat>);

/// Fewest frames rotation-only tracking must pose for its trajectory to be
/// output (a turn on the spot that could not start a map).
const MIN_ROTATION_ONLY_POSES: usize = 3;
/// ... and the least turn (degrees): a camera that stood still says
/// nothing, not even where up is (the level prior needs ±8° of turning).
const MIN_ROTATION_ONLY_TURN_DEG: f64 = 5.0;
/// Most frames' features held for rotation-only tracking while no map has
/// started (about 30 s of video at 30 fps; ~50 KB each): a longer video
/// that never starts a map is thinned evenly over its length.
const MAX_SPIN_FRAMES: usize = 900;

/// Line segments for the vertical vanishing direction are found in kept
/// frames at least this far apart (seconds): ≈ 50 frames in a 10 s video
/// (LSD costs a few ms per 640x480 frame, on the reader thread).
const LINES_INTERVAL_S: f64 = 0.2;
/// Captures longer than this many frames get a proportionally longer
/// interval: the vanishing direction uses at most 60 views
/// ([`VerticalConfig::max_views`]), and LSD cost 4.6 s of a 30 s 720p
/// video's reading at 0.2 s.
const LINES_INTERVAL_FRAMES: f64 = 300.0;

/// The line-segment interval for a capture of `frames` frames (when known):
/// 0.2 s up to 450 frames (15 s at 30 fps), 0.6 s for 900.
fn lines_interval(frames: Option<usize>) -> f64 {
    LINES_INTERVAL_S * frames.map(|n| (n as f64 / LINES_INTERVAL_FRAMES).round().max(1.0)).unwrap_or(1.0)
}

/// The reading side of the pipeline: decode, downscale, select, extract.
struct Reader {
    src: Box<dyn source::FrameSource>,
    selector: Selector,
    extractor: Option<Extractor>,
    tsize: Size,
    k_track: Intrinsics,
    max_frames: usize,
    /// Find line segments in sampled frames, this far apart (seconds).
    lines: bool,
    lines_interval: f64,
    last_lines_t: f64,
    lines_s: f64,
}

/// What the reader leaves when the capture ends.
struct ReadOutcome {
    frames_read: usize,
    selector: Selector,
    src_warnings: Vec<String>,
    decode_s: f64,
    select_s: f64,
    features_s: f64,
    lines_s: f64,
}

impl Reader {
    /// Reads the capture from `first` on, sending kept frames to `tx`;
    /// stops early when the receiver is gone.
    fn run(mut self, first: Frame, tx: std::sync::mpsc::SyncSender<Kept>) -> Result<ReadOutcome, ReconError> {
        let (mut decode_s, mut select_s, mut features_s) = (0.0, 0.0, 0.0);
        let mut frames_read = 0usize;
        let mut first_kept = true;
        let mut next: Option<Frame> = Some(first);
        while let Some(frame) = next.take() {
            frames_read += 1;
            let ts = Instant::now();
            let image = resize(&frame.image, self.tsize, imgproc::INTER_AREA)?;
            let gray = to_gray(&image)?;
            let decision = self.selector.decide(&gray, first_kept)?;
            select_s += ts.elapsed().as_secs_f64();
            if decision == Decision::Keep {
                first_kept = false;
                let depth = match &frame.depth {
                    Some(d) => Some(resize(d, self.tsize, imgproc::INTER_NEAREST)?),
                    None => None,
                };
                let tf = Instant::now();
                let feats = match &mut self.extractor {
                    Some(x) => Some(x.extract(&gray, &self.k_track)?),
                    None => None,
                };
                features_s += tf.elapsed().as_secs_f64();
                let lines = if self.lines && frame.t >= self.last_lines_t + self.lines_interval {
                    let tl = Instant::now();
                    self.last_lines_t = frame.t;
                    // A frame whose segments cannot be found just gives none.
                    let l = line_segments(&gray).ok();
                    self.lines_s += tl.elapsed().as_secs_f64();
                    l
                } else {
                    None
                };
                let kept = Kept { index: frame.index, t: frame.t, image, depth, pose: frame.pose, feats, frames_read, lines };
                if tx.send(kept).is_err() {
                    break;
                }
            }
            if self.max_frames > 0 && frames_read >= self.max_frames {
                break;
            }
            let t0 = Instant::now();
            next = self.src.next_frame()?;
            decode_s += t0.elapsed().as_secs_f64();
        }
        let src_warnings = self.src.take_warnings();
        Ok(ReadOutcome { frames_read, selector: self.selector, src_warnings, decode_s, select_s, features_s, lines_s: self.lines_s })
    }
}

/// Neighbours for the statistical outlier filter and its spread factor.
const SOR_K: usize = 16;
const SOR_STD_RATIO: f64 = 2.0;
/// Floaters: clusters linked within this many voxels and smaller than
/// `FLOATER_MIN_CLUSTER` points are removed.
const FLOATER_LINK_VOXELS: f64 = 3.0;
const FLOATER_MIN_CLUSTER: usize = 30;

/// Statistical outlier and floater removal; returns the cleaned cloud and
/// how many points each step removed. Filters that fail (too few points)
/// leave the cloud as it is.
fn clean(cloud: PointCloud, voxel: f64) -> (PointCloud, usize, usize) {
    use crate::cloud::filter::{remove_floaters, statistical_outlier_removal};
    if cloud.len() < 2 * SOR_K {
        return (cloud, 0, 0);
    }
    let (cloud, r1) = match statistical_outlier_removal(&cloud.points, SOR_K, SOR_STD_RATIO) {
        Ok(f) => (cloud.select(&f.kept), f.removed),
        Err(_) => (cloud, 0),
    };
    let (cloud, r2) = match remove_floaters(&cloud.points, (FLOATER_LINK_VOXELS * voxel) as f32, FLOATER_MIN_CLUSTER) {
        Ok(f) => (cloud.select(&f.kept), f.removed),
        Err(_) => (cloud, 0),
    };
    (cloud, r1, r2)
}

/// Measures the scale drift of the largest monocular map from the camera
/// height above the local floors and corrects it there ([`drift`]);
/// `None` without a map.
fn correct_drift(tracker: &mut Tracker, cfg: &DriftConfig) -> Option<DriftReport> {
    let map = tracker.best_map_mut()?;
    let kfs: Vec<DriftKeyframe> = map.kfs.iter().map(|k| DriftKeyframe { t: k.t, cam_from_world: k.cam_from_world }).collect();
    let rotations: Vec<UnitQuaternion<f64>> = kfs.iter().map(|k| k.cam_from_world.inverse().rotation).collect();
    let up = camera_up_prior(&rotations).up;
    let live: Vec<usize> = (0..map.points.len()).filter(|&i| !map.points[i].bad && map.points[i].obs.len() >= 2).collect();
    let mut points: Vec<drift::ObservedPoint> = live.iter().map(|&i| (map.points[i].pos, map.points[i].obs.iter().map(|o| o.0).collect())).collect();
    let floors = drift::floor_heights(&kfs, &points, &up, cfg);
    let mut rep = DriftReport::default();
    match drift::scale_profile(&kfs, &floors, cfg, &mut rep) {
        Err(why) => rep.reason = format!("not corrected: {why}"),
        Ok(_) if !cfg.apply => rep.reason = format!("measured from {} local floors ({} keyframes saw one), scale {:.3}–{:.3}; the map is not rescaled (--drift correct does)", rep.floor_keyframes_used, rep.floor_keyframes, rep.scale_min, rep.scale_max),
        Ok(scales) => {
            let mut poses: Vec<Isometry3<f64>> = kfs.iter().map(|k| k.cam_from_world).collect();
            let times: Vec<f64> = kfs.iter().map(|k| k.t).collect();
            let mut frames: Vec<(usize, Isometry3<f64>)> = map.frames.iter().map(|f| (f.ref_kf, f.cam_from_ref)).collect();
            drift::correct(&mut poses, &times, &scales, &mut points, &mut frames);
            for (kf, p) in map.kfs.iter_mut().zip(poses) {
                kf.cam_from_world = p;
            }
            for (&i, (p, _)) in live.iter().zip(&points) {
                map.points[i].pos = *p;
            }
            for (f, (_, c)) in map.frames.iter_mut().zip(frames) {
                f.cam_from_ref = c;
            }
            rep.applied = true;
            rep.reason = format!("corrected from {} local floors ({} keyframes saw one), scale {:.3}–{:.3}", rep.floor_keyframes_used, rep.floor_keyframes, rep.scale_min, rep.scale_max);
        }
    }
    Some(rep)
}

/// Map points (not bad, seen at least twice) with the colour of their first view.
fn sparse_points(map: &Map) -> Vec<(Point3<f64>, [u8; 3])> {
    map.points
        .iter()
        .filter(|p| !p.bad && p.obs.len() >= 2)
        .map(|p| {
            let c = p
                .obs
                .first()
                .and_then(|&(kf, fi)| {
                    let kf = map.kfs.get(kf)?;
                    let uv = kf.feats.points.get(fi)?;
                    kf.image.at_2d::<opencv::core::Vec3b>(uv.y.round() as i32, uv.x.round() as i32).ok().map(|c| [c[2], c[1], c[0]])
                })
                .unwrap_or([128, 128, 128]);
            (p.pos, c)
        })
        .collect()
}


#[cfg(test)]
mod lines_interval_tests {
    use super::lines_interval;

    #[test]
    fn long_captures_sample_lines_more_sparsely() {
        assert_eq!(lines_interval(None), 0.2);
        assert_eq!(lines_interval(Some(301)), 0.2);
        assert!((lines_interval(Some(900)) - 0.6).abs() < 1e-12);
        assert_eq!(lines_interval(Some(0)), 0.2);
    }
}
