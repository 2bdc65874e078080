//! Optional refinement: moves wall lines onto the point cloud's evidence.
use super::walls::WallGraph;
use super::{SolveConfig, SolveReport};
use crate::cloud::PointCloud;
use crate::layout::Layout;

/// Refines wall lines against a cloud (placeholder until RANSAC lands).
pub fn refine_walls(_layout: &mut Layout, _g: &mut WallGraph, _cloud: &PointCloud, _cfg: &SolveConfig, _report: &mut SolveReport) {}
