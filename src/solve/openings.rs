//! Opening passes.
use super::{SolveConfig, SolveReport};
use crate::layout::Layout;

pub fn solve_openings(_layout: &mut Layout, _cfg: &SolveConfig, _report: &mut SolveReport) {}
