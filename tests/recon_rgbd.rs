//! RGB-D odometry end to end on a rendered TUM-layout capture: poses
//! estimated from colour + depth (no poses given) must match the ground
//! truth within 3 cm ATE, and the cloud must be metric and gravity-aligned.
#![cfg(feature = "video")]

mod recon_common;

use recon_common::*;
use roomscribe::recon::{reconstruct, Intrinsics, ReconConfig};

#[test]
fn rgbd_tracking_meets_ate_target() {
    let dir = tempfile::tempdir().unwrap();
    let k = Intrinsics::from_hfov(480, 360, 65.0);
    let gt = write_tum(dir.path(), &k, 70, 1.6, true, false);
    std::fs::write(dir.path().join("intrinsics.yaml"), k.to_yaml("test camera")).unwrap();
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    assert_eq!(r.report.mode, "rgbd_odometry");
    let (rmse, n) = ate(&r.trajectory, &gt, false);
    eprintln!("RGB-D ATE (SE3) {rmse:.4} m over {n} poses; report: {}", serde_json::to_string(&r.report).unwrap());
    assert!(n >= 35, "only {n} poses");
    assert!(rmse < 0.03, "ATE {rmse}");
    // Floor at z = 0 and metric: the walk is at 1.45 m.
    assert!((r.report.alignment.camera_height_m - 1.45).abs() < 0.1, "{:?}", r.report.alignment);
    assert!(r.cloud.len() > 1000);
}

/// A faster turn (3 rad over 70 frames, about 2.5° per frame) with five
/// frames whose depth is missing: those are tracked on features alone (no
/// depth term, no new map points) and the trajectory stays within the
/// target.
#[test]
fn rgbd_fast_turn_with_missing_depth_keeps_ate_small() {
    let dir = tempfile::tempdir().unwrap();
    let k = Intrinsics::from_hfov(480, 360, 65.0);
    let gt = write_tum(dir.path(), &k, 70, 3.0, true, false);
    std::fs::write(dir.path().join("intrinsics.yaml"), k.to_yaml("test camera")).unwrap();
    let depth_txt = std::fs::read_to_string(dir.path().join("depth.txt")).unwrap();
    let kept: Vec<&str> = depth_txt.lines().enumerate().filter(|(i, _)| !(30..35).contains(i)).map(|(_, l)| l).collect();
    std::fs::write(dir.path().join("depth.txt"), kept.join("\n") + "\n").unwrap();
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    assert_eq!(r.report.mode, "rgbd_odometry");
    let (rmse, n) = ate(&r.trajectory, &gt, false);
    eprintln!("RGB-D fast turn ATE (SE3) {rmse:.4} m over {n} poses; tracking: {}", serde_json::to_string(&r.report.tracking).unwrap());
    assert!(r.report.warnings.iter().any(|w| w.contains("no depth")), "{:?}", r.report.warnings);
    assert!(n >= 50, "only {n} poses");
    assert!(rmse < 0.02, "ATE {rmse}");
}
