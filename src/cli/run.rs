use super::input::{detect, InputKind};
use super::{not_built, Ctx, Outcome};
use std::path::PathBuf;

/// The whole pipeline: INPUT to DIR/layout.json, layout.txt, scan.ply,
/// trajectory.txt (when recon ran), plan.svg, report.json.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A video, an image or RGB-D folder, or a .ply cloud.
    pub input: PathBuf,
    /// Output folder.
    #[arg(short, long)]
    pub output: PathBuf,
}

pub fn run(a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    match detect(&a.input)? {
        InputKind::Layout => anyhow::bail!(
            "{}: `run` takes a capture or a cloud; for a layout use `roomscribe solve`",
            a.input.display()
        ),
        InputKind::Ply => Err(not_built("model (point cloud to layout)")),
        _ => Err(not_built("reconstruction (capture to point cloud)")),
    }
}
