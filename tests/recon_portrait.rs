//! A portrait capture (frames taller than wide) with a calibration made in
//! landscape: `reconstruct` turns the intrinsics with the image, says so
//! in the report's warnings, and the estimated RGB-D trajectory still
//! meets the ATE target; an aspect ratio that fits neither way is a clear
//! error naming the capture.
#![cfg(feature = "video")]

mod recon_common;

use recon_common::*;
use roomscribe::recon::{reconstruct, Intrinsics, ReconConfig};

/// The landscape camera whose image turned 90° clockwise is `k`.
fn landscape_of(k: &Intrinsics) -> Intrinsics {
    let mut dist = k.dist.clone();
    if dist.len() >= 4 {
        let (p1, p2) = (dist[2], dist[3]);
        dist[2] = -p2;
        dist[3] = p1;
    }
    Intrinsics { fx: k.fy, fy: k.fx, cx: k.cy, cy: k.width as f64 - 1.0 - k.cx, width: k.height, height: k.width, dist }
}

#[test]
fn portrait_frames_use_a_landscape_calibration_turned() {
    let dir = tempfile::tempdir().unwrap();
    // Portrait 270x360 frames; principal point off-centre, so a turn the
    // wrong way (or none) would misplace every ray.
    let k = Intrinsics { fx: 300.0, fy: 300.0, cx: 125.0, cy: 190.0, width: 270, height: 360, dist: vec![] };
    let land = landscape_of(&k);
    assert_eq!(land.rotated_clockwise(), k);
    let gt = write_tum(dir.path(), &k, 60, 1.4, true, false);
    // The calibration is for the landscape image at twice the size.
    let calib = dir.path().join("phone_landscape.yaml");
    std::fs::write(&calib, land.scaled_to(720, 540).to_yaml("landscape calibration")).unwrap();
    let cfg = ReconConfig { calib: Some(calib.clone()), ..ReconConfig::default() };
    let r = reconstruct(dir.path(), &cfg, &mut |_| {}).unwrap();
    let report = serde_json::to_string(&r.report).unwrap();
    assert!(r.report.warnings.iter().any(|w| w.contains("turned 90° clockwise")), "{report}");
    let (rmse, n) = ate(&r.trajectory, &gt, false);
    eprintln!("portrait RGB-D ATE (SE3) {rmse:.4} m over {n} poses");
    assert!(n >= 30 && rmse < 0.03, "ATE {rmse} over {n} poses: {report}");

    // 4:3 intrinsics for these 3:4 frames fit when turned; 16:9 fits neither way.
    std::fs::write(&calib, Intrinsics::from_hfov(1920, 1080, 66.0).to_yaml("16:9")).unwrap();
    let e = reconstruct(dir.path(), &cfg, &mut |_| {}).err().expect("a 16:9 calibration cannot fit 3:4 frames").to_string();
    assert!(e.contains("1920x1080") && e.contains("270x360") && e.contains("aspect ratio"), "{e}");
}
