use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// Layout and object F1.
    Layout(Pair),
    /// Trajectory ATE / RPE.
    Traj(Pair),
    /// Cloud accuracy / completeness.
    Cloud(Pair),
}

#[derive(Debug, clap::Args)]
pub struct Pair {
    #[arg(long)]
    pub pred: PathBuf,
    #[arg(long)]
    pub gt: PathBuf,
    #[arg(long)]
    pub json: bool,
}

pub fn run(_c: Command, _ctx: Ctx) -> anyhow::Result<Outcome> {
    Err(not_built("evaluation"))
}
