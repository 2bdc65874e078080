//! `report.json`: what the front end read, used and estimated, and how long
//! each step took.

use super::calib::{Intrinsics, IntrinsicsSource};
use super::select::SelectStats;
use super::source::SourceKind;
use super::track::TrackStats;
use serde::Serialize;

/// One metric-scale estimate (monocular input).
#[derive(Debug, Clone, Serialize)]
pub struct ScaleEstimate {
    /// "camera_height", "ceiling_height", "ceiling_above_camera",
    /// "door_height", "override", "capture" (metric input).
    pub source: String,
    /// Map units → metres.
    pub scale: f64,
    /// The measured quantity in map units and the prior in metres.
    pub measured: f64,
    pub prior_m: f64,
    /// Relative uncertainty of the prior (1σ), which sets its weight.
    pub sigma: f64,
    /// Whether it entered the combined scale (outliers are left out).
    pub used: bool,
    /// This estimate / the chosen scale − 1 (agreement; 0 = agrees).
    pub deviation: f64,
}

/// One estimate of the up direction.
#[derive(Debug, Clone, Serialize)]
pub struct GravityEstimate {
    /// "vertical_vanishing_point", "floor_plane", "ceiling_plane", "camera_level"
    /// (up perpendicular to the turning cameras' x axes), "camera_prior" (their
    /// mean up, when they did not turn), "capture".
    pub source: String,
    /// Unit up vector in the map frame.
    pub up: [f64; 3],
    /// Supporting line segments or plane points.
    pub support: usize,
    /// Angle to the chosen up direction (degrees).
    pub angle_to_chosen_deg: f64,
    /// Whether it entered the chosen direction.
    pub used: bool,
}

/// Alignment outcome.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AlignReport {
    /// Where "up" came from: sources joined by '+' (e.g.
    /// "vertical_vanishing_point+floor_plane"), "capture", "camera_level", "camera_prior".
    pub gravity_source: String,
    /// All up estimates considered and how they agree.
    pub gravity_estimates: Vec<GravityEstimate>,
    /// Angle between the camera-derived up prior and the final up (degrees).
    pub gravity_prior_disagreement_deg: f64,
    /// Where the yaw came from ("manhattan_walls" or "none").
    pub yaw_source: String,
    /// Floor inliers found (working points; 0 = no floor found).
    pub floor_points: usize,
    /// Horizontal planes found: height above the floor (metres, after
    /// scaling), working points and area (m²).
    pub horizontal_planes: Vec<[f64; 3]>,
    /// Chosen scale and its source.
    pub scale: f64,
    pub scale_source: String,
    /// All scale estimates considered.
    pub scale_estimates: Vec<ScaleEstimate>,
    /// Largest relative disagreement between the used estimates (0 = agree).
    pub scale_disagreement: f64,
    /// Camera height above the floor after alignment (metres, median).
    pub camera_height_m: f64,
    /// Ceiling height above the floor when a ceiling was seen (metres).
    pub ceiling_height_m: Option<f64>,
    /// Door openings found (`super::doors`): top height above the floor
    /// and width (metres, after scaling), and the fraction of the gap's
    /// columns whose lowest point agrees with the top.
    pub doors: Vec<[f64; 3]>,
}

/// Seconds spent per step.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Timings {
    /// Focal-length estimation (unknown intrinsics only; reads the first
    /// frames a second time).
    pub focal_s: f64,
    pub decode_s: f64,
    pub select_s: f64,
    pub features_s: f64,
    /// Line segments for the vertical vanishing direction (reader thread).
    pub lines_s: f64,
    pub tracking_s: f64,
    pub dense_s: f64,
    pub fusion_s: f64,
    pub align_s: f64,
    pub clean_s: f64,
    pub total_s: f64,
}

/// The whole report.
#[derive(Debug, Clone, Serialize)]
pub struct ReconReport {
    pub roomscribe_version: String,
    pub input: String,
    pub source: SourceKind,
    /// "rgbd_odometry", "monocular_slam", "given_poses", "external_poses",
    /// or "rotation_only" (a monocular video turned on the spot: rotations
    /// tracked, the camera centre fixed, no cloud, no scale).
    pub mode: String,
    pub frames_read: usize,
    /// Frames the selector kept (and the tracker saw).
    pub frames_used: usize,
    pub selection: SelectStats,
    pub tracking: TrackStats,
    /// Rotation-only tracking ([`super::spin`]), when monocular tracking
    /// could not start and it was tried.
    pub rotation_only: Option<super::spin::SpinStats>,
    pub keyframes: usize,
    pub maps: usize,
    /// Frames with a pose in trajectory.txt.
    pub trajectory_poses: usize,
    pub intrinsics_source: IntrinsicsSource,
    /// Focal length from vanishing points when the intrinsics were unknown
    /// (used only when `reliable`; otherwise the assumed field of view is).
    pub focal_estimate: Option<super::focal::FocalEstimate>,
    pub intrinsics: Intrinsics,
    /// Tracking resolution (the capture is downscaled for speed).
    pub tracking_width: u32,
    pub tracking_height: u32,
    pub alignment: AlignReport,
    pub points: usize,
    /// Keyframes that got a stereo depth map (monocular input).
    pub dense_keyframes: usize,
    /// Points removed by the statistical outlier filter and as floaters.
    pub removed_outliers: usize,
    pub removed_floaters: usize,
    pub warnings: Vec<String>,
    pub timings: Timings,
    /// The tracking step's time by part (seconds).
    pub tracking_timings: super::track::TrackTimings,
    /// Scale drift inside the monocular map, measured from the camera's
    /// height above the local floor, and whether it was corrected
    /// (`super::drift`); absent for metric input and given poses.
    pub scale_drift: Option<super::drift::DriftReport>,
}
