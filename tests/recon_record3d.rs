//! Record3D "EXR + JPG" exports end to end (own test binary: reading EXR
//! makes `reconstruct` set OPENCV_IO_ENABLE_OPENEXR in the process
//! environment, which must not race other tests' threads). Poses in the
//! ARKit convention (`[qx, qy, qz, qw, tx, ty, tz]`), `K` column-major,
//! float EXR depth in metres at a quarter of the colour resolution.
#![cfg(feature = "video")]

mod capture_common;

use capture_common::*;
use opencv::core::Vector;
use opencv::imgcodecs;
use roomscribe::recon::{reconstruct, source, Intrinsics, IntrinsicsSource, ReconConfig};
use std::path::Path;

fn write_record3d(dir: &Path, k: &Intrinsics, frames: &[GtFrame]) -> Vec<f64> {
    std::fs::create_dir_all(dir.join("rgbd")).unwrap();
    let mut poses = vec![];
    let mut stamps = vec![];
    for (i, f) in frames.iter().enumerate() {
        imgcodecs::imwrite(dir.join(format!("rgbd/{i}.jpg")).to_str().unwrap(), &f.image, &Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 95])).unwrap();
        let ok = imgcodecs::imwrite(dir.join(format!("rgbd/{i}.exr")).to_str().unwrap(), &downsample(&f.depth, 2), &Vector::new()).unwrap();
        assert!(ok, "EXR writing failed");
        let q = xyzw(&f.arkit.rotation);
        let t = f.arkit.translation.vector;
        poses.push(vec![q[0], q[1], q[2], q[3], t.x, t.y, t.z]);
        stamps.push(33.0 + i as f64 / 60.0);
    }
    let meta = serde_json::json!({
        "w": k.width, "h": k.height, "dw": k.width / 2, "dh": k.height / 2, "fps": 60,
        "K": k_column_major(k), "poses": poses, "frameTimestamps": stamps,
    });
    std::fs::write(dir.join("metadata.json"), serde_json::to_string(&meta).unwrap()).unwrap();
    stamps
}

#[test]
fn record3d_export_with_exr_depth_is_read_in_our_convention() {
    // What the CLI does first thing in main (and Record3dSource::open does).
    source::enable_openexr();
    let k = Intrinsics { fx: 255.0, fy: 255.0, cx: 160.5, cy: 119.5, width: 320, height: 240, dist: vec![] };
    let frames = frames(&k, 24, 0.9);
    let dir = tempfile::tempdir().unwrap();
    let stamps = write_record3d(dir.path(), &k, &frames);
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    let c = check(&r, &frames, &stamps);
    eprintln!(
        "record3d: {} poses, ATE {:.5} m, tilt error {:.3}°, camera height {:.3} m, cloud {} points median {:.4} m; warnings {:?}",
        c.poses, c.ate_m, c.max_tilt_error_deg, r.report.alignment.camera_height_m, r.cloud.len(), c.cloud_median_m, r.report.warnings
    );
    assert_eq!(r.report.mode, "given_poses");
    assert!(matches!(r.report.intrinsics_source, IntrinsicsSource::Capture { .. }));
    assert_eq!((r.report.intrinsics.cx, r.report.intrinsics.cy), (160.5, 119.5));
    assert!(r.report.warnings.is_empty(), "{:?}", r.report.warnings);
    assert!(c.poses >= 15 && c.ate_m < 0.005 && c.max_tilt_error_deg < 0.5, "{} {} {}", c.poses, c.ate_m, c.max_tilt_error_deg);
    assert!((r.report.alignment.camera_height_m - HEIGHT).abs() < 0.03);
    assert!(r.cloud.len() > 2000 && c.cloud_median_m < 0.015, "{} {}", r.cloud.len(), c.cloud_median_m);

    // Bad exports: an unreadable EXR is a warning (that frame has no
    // depth), a missing pose list means estimating, no images is an error.
    std::fs::write(dir.path().join("rgbd/2.exr"), b"not an exr").unwrap();
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    assert!(r.report.warnings.iter().any(|w| w.contains("2.exr")), "{:?}", r.report.warnings);
    for f in std::fs::read_dir(dir.path().join("rgbd")).unwrap() {
        std::fs::remove_file(f.unwrap().path()).unwrap();
    }
    let e = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).err().expect("no frames must fail").to_string();
    assert!(e.contains("rgbd") && e.contains("no frames"), "{e}");
    std::fs::write(dir.path().join("metadata.json"), b"{\"w\": 320}").unwrap();
    let e = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).err().expect("bad metadata must fail").to_string();
    assert!(e.contains("metadata.json") && e.contains("missing K"), "{e}");
}
