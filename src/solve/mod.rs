//! Constraint solver: snaps a decoded (noisy) layout into a physically
//! valid plan, as defined by [`Layout::validate`].
//!
//! A fixed sequence of small passes, each in its own function and tested on
//! its own (see `docs/solver.md`):
//!
//! 1. walls ([`walls`]): sanitize, floor, dominant-frame estimation, angle
//!    snapping, duplicate / collinear merging, corner joining by line
//!    intersection, T-junctions, loop closing, pruning of slivers, heights;
//! 2. optional refinement of wall lines against a point cloud ([`refine`]);
//! 3. openings ([`openings`]): host wall, projection, clamping, sizes,
//!    separation;
//! 4. objects ([`objects`]): yaw snapping, support by class, room
//!    containment, separation with minimal moves.
//!
//! Every change is recorded in a [`SolveReport`] (entity, pass, distance
//! moved); rules that could not be applied are listed with the reason, and
//! the violations still left after solving are returned beside the plan, so
//! a plan `validate()` rejects is never returned silently.
//!
//! Knows layouts, geometry and point clouds; nothing of models, video or files.

pub mod objects;
pub mod openings;
pub mod refine;
pub mod walls;

use crate::cloud::PointCloud;
use crate::layout::{EntityRef, Layout, Tolerances, Violation};
use serde::Serialize;

/// Default angle within which walls are snapped to the dominant frame. A
/// little wider than the validity rule's 5° so that walls at the edge of
/// the window still snap when the frame estimate itself is off by a
/// fraction of a degree.
pub const SNAP_ANGLE_DEG: f64 = 6.0;

/// Solver settings. Validity tolerances live in `tolerances`; the other
/// fields say how far the solver may reach to repair things.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolveConfig {
    /// The validity rules the result must pass.
    pub tolerances: Tolerances,
    /// Walls within this angle (degrees) of the dominant frame are snapped.
    pub snap_angle_deg: f64,
    /// When the estimated frame is within this angle (degrees) of the
    /// coordinate axes, the axes are used exactly: upstream alignment
    /// (gravity + Manhattan) already put walls on the axes.
    pub axis_prior_deg: f64,
    /// Parallel walls closer than this (m) that overlap along most of their
    /// length are duplicates and merged.
    pub merge_distance: f64,
    /// Fraction of the shorter wall two parallel walls must share to be
    /// merged as duplicates.
    pub merge_overlap: f64,
    /// Wall endpoints closer than this (m) are joined into one corner.
    pub join_radius: f64,
    /// Parallel walls meeting end to end whose lines are closer than this
    /// (m) are made collinear.
    pub collinear_distance: f64,
    /// How far (m) a dangling wall end may be extended or connected to
    /// close a loop.
    pub close_radius: f64,
    /// Accept open wall chains (a room scanned from one side): dangling
    /// ends are then neither connected nor reported.
    pub allow_open: bool,
    /// An opening more than this (m) from its host wall is moved to the
    /// nearest wall when that one is nearer.
    pub rehost_distance: f64,
    /// Clearance (m) kept between an opening and its wall's ends and top.
    pub opening_margin: f64,
    /// An object may sink this far (m) into what it rests on and still be
    /// put on top of it rather than dropped through.
    pub sink_tolerance: f64,
    /// Rounds of separation / containment / support before giving up.
    pub object_rounds: usize,
    /// Point-cloud refinement: points within this distance (m) of a wall's
    /// faces (its line plus or minus half its thickness) are its evidence;
    /// also the farthest a wall can be pulled.
    pub refine_band: f64,
    /// Point-cloud refinement: RANSAC inlier threshold (m).
    pub refine_inlier: f64,
    /// Point-cloud refinement: the fewest inliers a wall needs to be moved.
    pub refine_min_inliers: usize,
    /// Point-cloud refinement: largest move (m) evidence may cause.
    pub refine_max_shift: f64,
    /// Point-cloud refinement: also turn the dominant frame to the walls'
    /// directions in the cloud (a frame then within `axis_prior_deg` of the
    /// axes becomes the axes).
    pub refine_frame: bool,
    /// Seed of the refinement's RANSAC.
    pub seed: u64,
}

impl Default for SolveConfig {
    fn default() -> Self {
        SolveConfig {
            tolerances: Tolerances::default(),
            snap_angle_deg: SNAP_ANGLE_DEG,
            // 2°: the cloud stage's gravity + Manhattan alignment leaves
            // walls within about a degree of the axes; a frame estimated
            // from a few noisy walls scatters about as much again.
            axis_prior_deg: 2.0,
            // 30 cm: twice the endpoint noise a model shows, below a room.
            merge_distance: 0.3,
            merge_overlap: 0.5,
            // 50 cm: corner gaps of decoded layouts; below the 0.2 m minimum
            // wall length times two, and no wall's two ends ever join.
            join_radius: 0.5,
            // 35 cm: noisy collinear walls meeting at a T; genuine steps are
            // kept apart anyway because the step wall's two ends are in
            // different corners.
            collinear_distance: 0.35,
            close_radius: 1.0,
            allow_open: false,
            rehost_distance: 0.5,
            opening_margin: 0.02,
            sink_tolerance: 0.15,
            object_rounds: 6,
            // 20 cm: a decoded wall's line is rarely further than that from
            // its true plane after snapping and joining (10 cm endpoint
            // noise leaves ~5 cm), and a sofa back is usually further.
            refine_band: 0.2,
            // 3 cm: two to three times the depth noise of phone LiDAR / RGB-D.
            refine_inlier: 0.03,
            refine_min_inliers: 50,
            refine_max_shift: 0.3,
            refine_frame: true,
            seed: 0,
        }
    }
}

/// Which pass made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pass {
    Sanitize,
    Floor,
    Frame,
    Snap,
    Merge,
    Join,
    TJunction,
    CloseLoop,
    Prune,
    Height,
    Refine,
    OpeningHost,
    OpeningProject,
    OpeningSize,
    OpeningSeparate,
    ObjectYaw,
    ObjectSupport,
    ObjectContain,
    ObjectSeparate,
}

/// One change the solver made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    pub entity: EntityRef,
    pub pass: Pass,
    /// How far the entity moved (m; radians for yaw changes; 0 when it was
    /// removed, created or resized).
    pub moved: f64,
    pub detail: String,
}

/// A rule or pass that could not be applied, and why.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Skipped {
    pub pass: Pass,
    pub entity: EntityRef,
    pub reason: String,
}

/// What the solver did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SolveReport {
    /// The dominant frame (radians in [0, π/2)), `None` without walls.
    pub frame: Option<f64>,
    /// Every change, in the order made.
    pub changes: Vec<Change>,
    /// Passes or rules that could not be applied.
    pub skipped: Vec<Skipped>,
    /// Violations left in the returned layout (empty when it is valid).
    pub remaining: Vec<Violation>,
    /// True when `remaining` is empty.
    pub valid: bool,
}

impl SolveReport {
    fn change(&mut self, entity: EntityRef, pass: Pass, moved: f64, detail: impl Into<String>) {
        self.changes.push(Change { entity, pass, moved, detail: detail.into() });
    }

    fn skip(&mut self, pass: Pass, entity: EntityRef, reason: impl Into<String>) {
        self.skipped.push(Skipped { pass, entity, reason: reason.into() });
    }
}

/// A solved layout and the report of how it was obtained.
#[derive(Debug, Clone, PartialEq)]
pub struct Solved {
    pub layout: Layout,
    pub report: SolveReport,
}

/// Errors of the solver: only a configuration it cannot work with. A
/// layout it cannot fully repair is not an error; see
/// [`SolveReport::remaining`].
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    #[error("solver config: {field} = {value} is out of range ({expected})")]
    Config { field: &'static str, value: f64, expected: &'static str },
}

fn check_config(c: &SolveConfig) -> Result<(), SolveError> {
    let checks: [(&'static str, f64, bool, &'static str); 8] = [
        ("snap_angle_deg", c.snap_angle_deg, (0.0..45.0).contains(&c.snap_angle_deg), "0 to 45 degrees"),
        ("axis_prior_deg", c.axis_prior_deg, (0.0..45.0).contains(&c.axis_prior_deg), "0 to 45 degrees"),
        ("merge_distance", c.merge_distance, c.merge_distance >= 0.0, "non-negative metres"),
        ("merge_overlap", c.merge_overlap, (0.0..=1.0).contains(&c.merge_overlap), "0 to 1"),
        ("join_radius", c.join_radius, c.join_radius >= 0.0, "non-negative metres"),
        ("close_radius", c.close_radius, c.close_radius >= 0.0, "non-negative metres"),
        ("rehost_distance", c.rehost_distance, c.rehost_distance >= 0.0, "non-negative metres"),
        ("opening_margin", c.opening_margin, c.opening_margin >= 0.0, "non-negative metres"),
    ];
    for (field, value, ok, expected) in checks {
        if !ok || !value.is_finite() {
            return Err(SolveError::Config { field, value, expected });
        }
    }
    Ok(())
}

/// Solves a layout: returns a repaired copy and the report of every change.
/// `cloud`, when given, refines wall positions against its points.
/// Deterministic: the same inputs give the same output, bit for bit.
pub fn solve(layout: &Layout, cloud: Option<&PointCloud>, config: &SolveConfig) -> Result<Solved, SolveError> {
    check_config(config)?;
    let mut out = layout.clone();
    let mut report =
        SolveReport { frame: None, changes: Vec::new(), skipped: Vec::new(), remaining: Vec::new(), valid: false };
    let mut tol = config.tolerances.clone();
    tol.allow_open |= config.allow_open;
    let cfg = SolveConfig { tolerances: tol.clone(), ..config.clone() };

    let mut graph = walls::solve_walls(&mut out, &cfg, &mut report);
    if let Some(c) = cloud {
        refine::refine_walls(&mut out, &mut graph, c, &cfg, &mut report);
    }
    openings::solve_openings(&mut out, &cfg, &mut report);
    objects::solve_objects(&mut out, &cfg, &mut report);

    report.remaining = out.validate_with(&tol);
    report.valid = report.remaining.is_empty();
    Ok(Solved { layout: out, report })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_config_is_an_error() {
        let c = SolveConfig { join_radius: -1.0, ..Default::default() };
        let e = solve(&Layout::new(), None, &c).unwrap_err();
        assert!(e.to_string().contains("join_radius"), "{e}");
    }

    #[test]
    fn empty_layout_is_valid() {
        let s = solve(&Layout::new(), None, &SolveConfig::default()).unwrap();
        assert!(s.report.valid);
        assert!(s.report.changes.is_empty());
    }
}
