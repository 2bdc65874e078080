use super::{Ctx, Outcome};
use crate::layout::{Layout, LayoutFormat, ParseMode};
use anyhow::Context;
use std::path::PathBuf;

/// Convert a layout between native JSON (.json) and SpatialLM text (.txt),
/// or draw it as an SVG floor plan (.svg output).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Input layout (.json or .txt).
    pub input: PathBuf,
    /// Output layout (.json or .txt) or floor plan (.svg).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Reject malformed SpatialLM lines instead of skipping them.
    #[arg(long)]
    pub strict: bool,
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    let is_svg = a.output.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("svg"));
    anyhow::ensure!(
        is_svg || LayoutFormat::from_path(&a.output).is_some(),
        "{}: unknown output format (expected a .json, .txt or .svg extension)",
        a.output.display()
    );
    let mode = if a.strict { ParseMode::Strict } else { ParseMode::Lenient };
    let (layout, warnings) = Layout::read_with(&a.input, mode)?;
    for w in &warnings {
        ctx.note(format!("warning: {}: {w}", a.input.display()));
    }
    if is_svg {
        let svg = crate::export::svg::floor_plan(&layout, &Default::default());
        crate::io::write_atomic(&a.output, svg.as_bytes()).with_context(|| format!("writing {}", a.output.display()))?;
    } else {
        layout.write(&a.output).with_context(|| format!("writing {}", a.output.display()))?;
    }
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
