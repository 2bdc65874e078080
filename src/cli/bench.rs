use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

/// Run a benchmark manifest.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// eval/benchmarks/NAME.toml
    pub manifest: PathBuf,
}

pub fn run(_a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    Err(not_built("benchmark runner"))
}
