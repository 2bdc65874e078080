//! Reconstruction front end: capture sources, calibration, visual SLAM,
//! dense depth, fusion, alignment. OpenCV, behind the `video` feature.
//!
//! Owns: turning a capture (video, image folder, TUM RGB-D, Stray Scanner,
//! Record3D, ARKit-style folder) into a metric, gravity-aligned coloured
//! point cloud plus camera trajectory and a report. Knows nothing of
//! layouts, models or the CLI: callers get a [`Reconstruction`] and a
//! progress callback, never prints.
//!
//! Data flow: [`source`] yields [`Frame`]s → [`select`] keeps sharp frames
//! that moved → [`track`] (RGB-D odometry or monocular SLAM with
//! [`ba`]) → [`dense`] / [`fusion`] → [`align`] (gravity, floor, scale) →
//! [`Reconstruction`].

pub mod align;
pub mod ba;
pub mod calib;
pub mod calibrate;
pub mod dense;
pub mod drift;
pub mod doors;
pub mod features;
pub mod focal;
pub mod fusion;
pub mod geometry;
pub mod loops;
pub mod pipeline;
pub mod report;
pub mod rgbd;
pub mod select;
pub mod source;
pub mod spin;
pub mod testscene;
pub mod track;
pub mod vertical;

pub use calib::{Intrinsics, IntrinsicsSource};
pub use pipeline::{reconstruct, Progress, ReconConfig, Reconstruction};
pub use report::ReconReport;
pub use source::{Frame, SourceKind};

/// Errors of the reconstruction front end. Messages name the input and
/// what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum ReconError {
    /// A file or folder could not be read.
    #[error("{path}: {message}")]
    Read { path: String, message: String },
    /// A file was read but its contents are not what the format says.
    #[error("{path}: {message}")]
    Format { path: String, message: String },
    /// The input is not a capture kind we read.
    #[error("{path}: unrecognized input: {message}")]
    Unrecognized { path: String, message: String },
    /// The capture holds no usable frames.
    #[error("{path}: no frames could be read{detail}")]
    NoFrames { path: String, detail: String },
    /// A depth image does not match its colour image.
    #[error("{path}: depth image is {depth_w}x{depth_h} but the colour image is {image_w}x{image_h}")]
    DepthSize { path: String, depth_w: i32, depth_h: i32, image_w: i32, image_h: i32 },
    /// Calibration file problems.
    #[error("{path}: calibration: {message}")]
    Calib { path: String, message: String },
    /// Tracking could not start or could not keep enough of the capture.
    #[error("{input}: {message}")]
    Tracking { input: String, message: String },
    /// The configuration is inconsistent.
    #[error("invalid reconstruction setting: {0}")]
    Config(String),
    /// An OpenCV call failed (internal; the message says which step).
    #[error("OpenCV failed during {step}: {message}")]
    OpenCv { step: &'static str, message: String },
    /// Writing outputs failed.
    #[error("{path}: cannot write: {source}")]
    Write { path: String, source: std::io::Error },
}

/// Maps an OpenCV error into [`ReconError::OpenCv`] naming the step.
pub(crate) fn cv(step: &'static str) -> impl Fn(opencv::Error) -> ReconError {
    move |e| ReconError::OpenCv { step, message: e.message }
}
