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
