//! Optional refinement of wall lines against point-cloud evidence.
//!
//! Not built yet: the pass records that it was skipped, so a caller that
//! passed a cloud sees that its walls were not refitted.

use super::walls::WallGraph;
use super::{Pass, SolveConfig, SolveReport};
use crate::cloud::PointCloud;
use crate::layout::{EntityRef, Layout};

/// Refines wall lines against a cloud. This build only reports the pass as
/// skipped (see `docs/solver.md`, "Not done").
pub fn refine_walls(_layout: &mut Layout, _g: &mut WallGraph, cloud: &PointCloud, _cfg: &SolveConfig, report: &mut SolveReport) {
    report.skip(
        Pass::Refine,
        EntityRef::Layout,
        format!("point-cloud refinement is not built in this version; the {} points were not used", cloud.len()),
    );
}

#[cfg(test)]
mod tests {
    use super::super::{solve, SolveConfig};
    use crate::cloud::PointCloud;
    use crate::layout::Layout;

    #[test]
    fn a_given_cloud_is_reported_as_unused() {
        let s = solve(&Layout::new(), Some(&PointCloud::default()), &SolveConfig::default()).unwrap();
        assert!(s.report.skipped.iter().any(|k| k.reason.contains("refinement")));
    }
}
