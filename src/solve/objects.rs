//! Object passes.
use super::{SolveConfig, SolveReport};
use crate::layout::Layout;

pub fn solve_objects(_layout: &mut Layout, _cfg: &SolveConfig, _report: &mut SolveReport) {}
