use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

/// Model only: cloud to raw (unsolved) layout.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Point cloud (.ply).
    pub cloud: PathBuf,
    /// Output raw layout (.json or .txt).
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(_a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    Err(not_built("model"))
}
