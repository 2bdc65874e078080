use super::{Ctx, Outcome};
use std::path::PathBuf;

/// Camera calibration from a video (or image folder) of a checkerboard.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A video (or a folder of images) showing a printed checkerboard from many positions and angles.
    pub input: PathBuf,
    /// Output OpenCV FileStorage YAML (what `recon --calib` reads), e.g. calib/myphone.yaml.
    #[arg(short, long)]
    pub output: PathBuf,
    /// Inner corners per row x per column (a board of 10 x 7 squares has 9x6).
    #[arg(long, default_value = "9x6", value_parser = board)]
    pub board: (u32, u32),
    /// Square side in millimetres (affects only the board poses, not the intrinsics).
    #[arg(long, default_value_t = 25.0, value_parser = super::parse::positive)]
    pub square: f64,
    /// Use at most this many views (chosen to cover positions, sizes and tilts).
    #[arg(long, default_value_t = 40, value_parser = super::parse::at_least_one)]
    pub max_views: usize,
    /// Also estimate the third radial distortion coefficient k3.
    #[arg(long)]
    pub k3: bool,
}

/// `--board 9x6`: inner corners, each 2..100.
fn board(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("expected COLSxROWS inner corners like 9x6, got {s:?}");
    let (a, b) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
    let (a, b): (u32, u32) = (a.trim().parse().map_err(|_| bad())?, b.trim().parse().map_err(|_| bad())?);
    if !(2..=100).contains(&a) || !(2..=100).contains(&b) {
        return Err(format!("inner corners must be between 2 and 100 each way, got {s}"));
    }
    Ok((a, b))
}

#[cfg(feature = "video")]
pub fn run(a: Args, ctx: Ctx) -> anyhow::Result<Outcome> {
    use crate::recon::calibrate::{calibrate, CalibrateConfig};
    use anyhow::Context;
    super::check_output_file(&a.output)?;
    let cfg = CalibrateConfig { board: a.board, square_mm: a.square, max_views: a.max_views, estimate_k3: a.k3, ..Default::default() };
    let bar = ctx.progress(0, "reading");
    let c = calibrate(&a.input, &cfg, &mut |done, total| {
        if let Some(t) = total {
            bar.set_length(t as u64);
        }
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let yaml = c.to_yaml(&a.input.display().to_string(), &cfg);
    crate::io::write_atomic(&a.output, yaml.as_bytes()).with_context(|| format!("{}: cannot write", a.output.display()))?;
    let k = &c.intrinsics;
    ctx.note(format!(
        "{} frames read, {} examined, board found in {}, {} views used ({} rejected)",
        c.frames_read, c.frames_examined, c.boards_found, c.views_used, c.views_rejected
    ));
    ctx.note(format!(
        "fx {:.2} fy {:.2} cx {:.2} cy {:.2} ({}x{}, horizontal FOV {:.1}°), distortion {:?}",
        k.fx, k.fy, k.cx, k.cy, k.width, k.height, k.hfov_deg(), k.dist
    ));
    ctx.note(format!("RMS reprojection error {:.3} px{}", c.rms_px, if c.rms_px > 1.0 { " (high: blurry frames or a board that is not flat?)" } else { "" }));
    ctx.note(format!("wrote {}", a.output.display()));
    Ok(Outcome::Success)
}

#[cfg(not(feature = "video"))]
pub fn run(_a: Args, _ctx: Ctx) -> anyhow::Result<Outcome> {
    anyhow::bail!("roomscribe was built without the `video` feature (OpenCV); rebuild with --features video to calibrate")
}

#[cfg(test)]
mod tests {
    #[test]
    fn board_sizes_parse() {
        assert_eq!(super::board("9x6"), Ok((9, 6)));
        assert_eq!(super::board(" 7X5 "), Ok((7, 5)));
        for bad in ["9", "9x", "x6", "1x6", "9x0", "9x-6", "a x b", "200x3"] {
            assert!(super::board(bad).is_err(), "{bad}");
        }
    }
}
