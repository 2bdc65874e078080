//! `roomscribe calibrate` end to end: a checkerboard video rendered with a
//! known camera (encoded to mp4, so with compression artefacts) must give
//! back fx, fy, cx, cy within 1 %, in a YAML file `recon --calib` reads.
#![cfg(feature = "video")]

use opencv::core::{Mat, Scalar, Size, CV_8UC3};
use opencv::prelude::*;
use opencv::videoio::VideoWriter;
use roomscribe::recon::testscene::{board_poses, render_board_views};
use roomscribe::recon::Intrinsics;
use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_roomscribe"))
}

fn write_video(path: &Path, frames: &[Mat], size: Size) {
    let fourcc = VideoWriter::fourcc('m', 'p', '4', 'v').unwrap();
    let mut w = VideoWriter::new(path.to_str().unwrap(), fourcc, 30.0, size, true).unwrap();
    assert!(w.is_opened().unwrap(), "no mp4v writer");
    for f in frames {
        w.write(f).unwrap();
    }
    w.release().unwrap();
}

#[test]
fn calibrate_recovers_a_known_camera_from_a_video() {
    let k = Intrinsics { fx: 700.0, fy: 702.0, cx: 396.0, cy: 236.0, width: 800, height: 480, dist: vec![] };
    let mut frames = render_board_views(&k, 9, 6, &board_poses(30, 9, 6)).unwrap();
    // Frames without the board (the person lowering the phone).
    for _ in 0..6 {
        frames.push(Mat::new_rows_cols_with_default(480, 800, CV_8UC3, Scalar::all(90.0)).unwrap());
    }
    let dir = tempfile::tempdir().unwrap();
    let video = dir.path().join("board.mp4");
    write_video(&video, &frames, Size::new(800, 480));
    let out = dir.path().join("phone.yaml");
    let o = bin().args(["calibrate", video.to_str().unwrap(), "-o", out.to_str().unwrap(), "--board", "9x6", "--square", "30"]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{err}");
    assert!(err.contains("RMS reprojection error"), "{err}");
    let c = Intrinsics::read_yaml(&out).unwrap();
    eprintln!("{err}\n{c:?}");
    let rel = |a: f64, b: f64| (a / b - 1.0).abs();
    assert!(rel(c.fx, k.fx) < 0.01 && rel(c.fy, k.fy) < 0.01, "{c:?}");
    assert!(rel(c.cx, k.cx) < 0.01 && rel(c.cy, k.cy) < 0.01, "{c:?}");
    assert_eq!((c.width, c.height), (800, 480));

    // A video without the board: a clear error, no file written.
    let blank = dir.path().join("blank.mp4");
    write_video(&blank, &frames[30..], Size::new(800, 480));
    let out2 = dir.path().join("none.yaml");
    let o = bin().args(["calibrate", blank.to_str().unwrap(), "-o", out2.to_str().unwrap()]).output().unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("no 9x6 checkerboard found"), "{err}");
    assert!(!out2.exists());
    // Usage errors.
    let o = bin().args(["calibrate", video.to_str().unwrap(), "-o", out2.to_str().unwrap(), "--board", "9"]).output().unwrap();
    assert_eq!(o.status.code(), Some(2));
    let o = bin().args(["calibrate", dir.path().join("missing.mp4").to_str().unwrap(), "-o", out2.to_str().unwrap()]).output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("missing.mp4"));
}
