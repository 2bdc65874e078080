//! Constraint solver: snaps decoded entities into a physically valid plan.
use super::{Ctx, Outcome};
use crate::layout::Layout;
use crate::solve::{solve, Pass, SolveConfig};
use anyhow::Context;
use std::path::PathBuf;

/// Constraint solver.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Layout to solve (.json or .txt).
    pub layout: PathBuf,
    /// Point cloud (.ply, same world frame as the layout: metres, +z up,
    /// floor at z = 0) to refit the walls to: each wall's line (or the line
    /// collinear walls share) moves across to the plane its points within
    /// 20 cm of it agree on (RANSAC), keeping its direction; corners follow
    /// by line intersection. Walls without enough points stay where they
    /// are; the report lists every move (pass "refine") and every wall left.
    #[arg(long)]
    pub cloud: Option<PathBuf>,
    /// Output layout (.json or .txt).
    #[arg(short, long)]
    pub output: PathBuf,
    /// Write the solver's change report (JSON) here.
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Accept open wall chains (a room scanned from one side): dangling
    /// wall ends are neither closed nor reported.
    #[arg(long)]
    pub allow_open: bool,
}

pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    // Both outputs must be writable before the first is written.
    for out in std::iter::once(&a.output).chain(a.report.as_ref()) {
        super::check_output_file(out)?;
    }
    anyhow::ensure!(
        crate::layout::LayoutFormat::from_path(&a.output).is_some(),
        "{}: unknown output format (expected a .json or .txt extension)",
        a.output.display()
    );
    let (layout, warnings) = Layout::read(&a.layout)?;
    for w in &warnings {
        ctx.note(format!("warning: {}: {w}", a.layout.display()));
    }
    let cloud = match &a.cloud {
        Some(p) => {
            let r = crate::cloud::read_ply(p)?;
            if r.dropped_nonfinite > 0 {
                ctx.note(format!("warning: {}: {} non-finite points dropped", p.display(), r.dropped_nonfinite));
            }
            Some(r.cloud)
        }
        None => None,
    };
    let config = SolveConfig { allow_open: a.allow_open, ..Default::default() };
    let solved = solve(&layout, cloud.as_ref(), &config)?;
    solved.layout.write(&a.output).with_context(|| format!("writing {}", a.output.display()))?;
    if let Some(r) = &a.report {
        let mut text = serde_json::to_string_pretty(&solved.report)?;
        text.push('\n');
        crate::io::write_atomic(r, text.as_bytes()).with_context(|| format!("writing {}", r.display()))?;
    }
    let rep = &solved.report;
    let mut per_pass: std::collections::BTreeMap<Pass, usize> = Default::default();
    for c in &rep.changes {
        *per_pass.entry(c.pass).or_default() += 1;
    }
    let summary: Vec<String> = per_pass
        .iter()
        .map(|(p, n)| format!("{}: {n}", serde_json::to_value(p).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default()))
        .collect();
    ctx.note(format!(
        "{}: {} change(s) [{}]; frame {}; wrote {}",
        a.layout.display(),
        rep.changes.len(),
        summary.join(", "),
        rep.frame.map_or("none".to_string(), |f| format!("{:.2}°", f.to_degrees())),
        a.output.display()
    ));
    for s in &rep.skipped {
        ctx.note(format!("  not applied ({:?}, {}): {}", s.pass, s.entity, s.reason));
    }
    if rep.valid {
        ctx.note("result is valid");
        Ok(Outcome::Success)
    } else {
        // The listing is the command's result, so it is printed even with --quiet.
        eprintln!("{}: {} violation(s) remain after solving", a.output.display(), rep.remaining.len());
        for v in &rep.remaining {
            eprintln!("  {v}");
        }
        Ok(Outcome::CheckFailed)
    }
}
