use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

/// Constraint solver.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Layout to solve (.json or .txt).
    pub layout: PathBuf,
    /// Point cloud to refit walls to.
    #[arg(long)]
    pub cloud: Option<PathBuf>,
    /// Output layout (.json or .txt).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Write the solver's change report (JSON) here.
    #[arg(long)]
    pub report: Option<PathBuf>,
}

pub fn run(_a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    Err(not_built("solver"))
}
