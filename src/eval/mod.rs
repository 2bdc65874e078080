//! Evaluation: layout and object F1 (SpatialLM-compatible), SceneScript
//! entity-distance F1, trajectory ATE/RPE, cloud accuracy/completeness,
//! and the benchmark runner with its markdown + JSON reports.
//!
//! Reads layouts, trajectories and clouds through their own modules; knows
//! nothing of how predictions were made (stages plug into [`bench`]).
//! Definitions of every metric: `eval/README.md`.

pub mod assign;
pub mod bench;
pub mod cloud;
pub mod entity_distance;
pub mod files;
pub mod layout_f1;
pub mod layout_report;
pub mod scene;
pub mod traj;

pub use cloud::{evaluate_cloud, CloudReport};
pub use layout_f1::{EvalClass, LayoutMetricConfig};
pub use layout_report::{evaluate_layouts, LayoutReport};
pub use scene::{read_scene, EvalScene};
pub use traj::{evaluate_trajectory, Alignment, TrajConfig, TrajReport};

/// Errors of the evaluation harness.
#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error(transparent)]
    Layout(#[from] crate::layout::LayoutError),
    #[error(transparent)]
    Trajectory(#[from] crate::trajectory::TrajectoryError),
    #[error(transparent)]
    Ply(#[from] crate::cloud::PlyError),
    #[error("{path}: {message}")]
    BadInput { path: String, message: String },
    #[error("{0}")]
    Config(String),
    #[error("only {matched} poses could be associated by timestamp (at least {needed} needed; maximum difference {max_dt} s — check that both files use the same clock, or raise --max-dt)")]
    TooFewMatches { matched: usize, needed: usize, max_dt: f64 },
    #[error("cannot align the trajectories ({matched} matched poses): {source}")]
    Alignment { matched: usize, source: crate::geom::umeyama::UmeyamaError },
    #[error("{0}")]
    Pairing(String),
    #[error("{path}: {message}")]
    Manifest { path: String, message: String },
}
