//! Focal-length estimation on rendered videos whose true intrinsics are
//! known. The fast, always-run check is in `recon::focal`'s unit tests
//! (test scene at 50°, 58° and 80°); this one measures the error on
//! `roomscribe synth video` outputs and is run by `eval/recon_focal.sh`:
//!
//!   ROOMSCRIBE_FOCAL_VIDEOS=DIR cargo test --release --features video \
//!       --test recon_focal -- --ignored --nocapture
//!
//! DIR holds one folder per video with `video.mp4` and the true
//! `intrinsics.yaml` (as `synth video` writes them).
#![cfg(feature = "video")]

use roomscribe::recon::focal::{estimate_from_capture, FocalConfig};
use roomscribe::recon::Intrinsics;

#[test]
#[ignore = "needs rendered videos: eval/recon_focal.sh"]
fn focal_error_on_synthetic_videos() {
    let dir = std::env::var("ROOMSCRIBE_FOCAL_VIDEOS").expect("set ROOMSCRIBE_FOCAL_VIDEOS");
    let mut rows: Vec<_> = std::fs::read_dir(&dir).unwrap().flatten().map(|e| e.path()).filter(|p| p.join("video.mp4").is_file()).collect();
    rows.sort();
    assert!(!rows.is_empty(), "no */video.mp4 under {dir}");
    println!("| video | true fx | estimate | error | frames with estimate | spread | reliable |");
    println!("|---|---|---|---|---|---|---|");
    let mut errs = vec![];
    for v in rows {
        let truth = Intrinsics::read_yaml(&v.join("intrinsics.yaml")).unwrap();
        let t = std::time::Instant::now();
        let e = estimate_from_capture(&v.join("video.mp4"), 30.0, &FocalConfig::default()).unwrap();
        let err = 100.0 * (e.f / truth.fx - 1.0);
        println!(
            "| {} | {:.1} | {:.1} | {:+.2} % | {}/{} | {:.1} % | {} ({:.2} s) |",
            v.file_name().unwrap().to_string_lossy(),
            truth.fx,
            e.f,
            err,
            e.frames_with_estimate,
            e.frames,
            100.0 * e.spread,
            e.reliable,
            t.elapsed().as_secs_f64()
        );
        if e.reliable {
            errs.push(err.abs());
        }
    }
    errs.sort_by(|a, b| a.total_cmp(b));
    println!("reliable: {}, median |error| {:.2} %, max {:.2} %", errs.len(), errs.get(errs.len() / 2).copied().unwrap_or(f64::NAN), errs.last().copied().unwrap_or(f64::NAN));
}
