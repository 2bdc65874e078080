use super::{Ctx, Outcome};
use crate::layout::{Layout, ParseMode};
use anyhow::Context;
use std::path::PathBuf;

/// Convert a layout between native JSON (.json) and SpatialLM text (.txt).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input layout (.json or .txt).
    pub input: PathBuf,
    /// Output layout (.json or .txt).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Reject malformed SpatialLM lines instead of skipping them.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    let mode = if a.strict { ParseMode::Strict } else { ParseMode::Lenient };
    let (layout, warnings) = Layout::read_with(&a.input, mode)?;
    for w in &warnings {
        ctx.note(format!("warning: {}: {w}", a.input.display()));
    }
    layout.write(&a.output).with_context(|| format!("writing {}", a.output.display()))?;
    let c = layout.counts();
    ctx.note(format!(
        "wrote {} ({} walls, {} doors, {} windows, {} objects)",
        a.output.display(),
        c.walls,
        c.doors,
        c.windows,
        c.objects
    ));
    Ok(Outcome::Success)
}
