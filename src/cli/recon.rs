use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

/// Reconstruction front end only.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A video, an image folder or an RGB-D capture folder.
    pub input: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(_a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    Err(not_built("reconstruction"))
}
