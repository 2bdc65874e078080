use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

#[derive(Debug, clap::Subcommand)]
pub enum Command {
    /// A scene: layout.json + layout.txt.
    Scene(Common),
    /// A scene and a simulated scan.
    Scan(Common),
    /// A scene, a scan and a rendered video.
    Video(Common),
}

#[derive(Debug, clap::Args)]
pub struct Common {
    /// Random seed.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(_c: Command, _ctx: Ctx) -> anyhow::Result<Outcome> {
    Err(not_built("synthetic data generator"))
}
