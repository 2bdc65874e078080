use super::{print_json, Ctx, Outcome};
use crate::layout::Layout;
use std::path::PathBuf;

/// Check a layout; exit 0 when physically valid, 1 with the violations listed.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Layout (.json or .txt).
    pub layout: PathBuf,
    /// Print the violations as JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    let (layout, warnings) = Layout::read(&a.layout)?;
    for w in &warnings {
        ctx.note(format!("warning: {}: {w}", a.layout.display()));
    }
    let violations = layout.validate();
    if a.json {
        print_json(&serde_json::json!({
            "valid": violations.is_empty(),
            "violations": violations,
        }))?;
    }
    if violations.is_empty() {
        ctx.note(format!("{}: valid", a.layout.display()));
        Ok(Outcome::Success)
    } else {
        if !a.json {
            // The listing is the command's result, so it is printed even with --quiet.
            eprintln!("{}: {} violation(s)", a.layout.display(), violations.len());
            for v in &violations {
                eprintln!("  {v}");
            }
        }
        Ok(Outcome::CheckFailed)
    }
}
