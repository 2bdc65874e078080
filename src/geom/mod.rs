//! Geometry kernels on nalgebra: segments and lines, polygons (area,
//! clipping, IoU), yaw-rotated boxes and their 3D IoU, plane and line
//! fitting, RANSAC, Umeyama / Sim(3), medians.
//!
//! Knows nothing of layouts, clouds or files: plain math on plain types.

pub mod boxes;
pub mod line;
pub mod polygon;
pub mod umeyama;
pub mod plane;
pub mod ransac;
pub mod stats;
