//! Phone captures end to end: a rendered RGB-D walk written as a Stray
//! Scanner export and as an ARKit-style folder, with poses in the ARKit
//! convention of a yawed, shifted session world. `reconstruct` must use
//! the capture's poses and intrinsics, put them in our convention (ATE
//! against the ground truth ~0 after a rigid alignment, tilt against
//! gravity unchanged, floor at z = 0) and land the fused cloud on the
//! scene's surfaces. Bad captures give clear errors or report warnings.
//! (Record3D is in `recon_record3d.rs`: it changes the environment.)
#![cfg(feature = "video")]

mod capture_common;

use capture_common::*;
use opencv::core::{Mat, Scalar, Size, Vector, CV_16U, CV_8UC3};
use opencv::imgcodecs;
use opencv::prelude::*;
use opencv::videoio::VideoWriter;
use roomscribe::recon::{reconstruct, Intrinsics, IntrinsicsSource, ReconConfig};
use std::fmt::Write as _;
use std::path::Path;

fn write_png16(path: &Path, depth_m: &Mat, per_metre: f64) {
    let mut d16 = Mat::default();
    depth_m.convert_to(&mut d16, CV_16U, per_metre, 0.0).unwrap();
    imgcodecs::imwrite(path.to_str().unwrap(), &d16, &Vector::new()).unwrap();
}

/// Writes a Stray Scanner export; `images` replaces the rendered colour
/// frames when given (bad-frame tests). Returns the odometry timestamps.
fn write_stray(dir: &Path, k: &Intrinsics, frames: &[GtFrame], images: Option<&[Mat]>, depth_factor: i32) -> Vec<f64> {
    std::fs::create_dir_all(dir.join("depth")).unwrap();
    let fourcc = VideoWriter::fourcc('m', 'p', '4', 'v').unwrap();
    let mut w = VideoWriter::new(dir.join("rgb.mp4").to_str().unwrap(), fourcc, 30.0, Size::new(k.width as i32, k.height as i32), true).unwrap();
    assert!(w.is_opened().unwrap());
    let mut odo = String::from("timestamp, frame, x, y, z, qx, qy, qz, qw\n");
    let mut stamps = vec![];
    for (i, f) in frames.iter().enumerate() {
        w.write(images.map(|v| &v[i]).unwrap_or(&f.image)).unwrap();
        write_png16(&dir.join(format!("depth/{i:06}.png")), &downsample(&f.depth, depth_factor), 1000.0);
        let t = 5021.125 + i as f64 / 30.0;
        stamps.push(t);
        let p = f.arkit.translation.vector;
        let q = xyzw(&f.arkit.rotation);
        let _ = writeln!(odo, "{t:.6}, {i}, {:.9}, {:.9}, {:.9}, {:.9}, {:.9}, {:.9}, {:.9}", p.x, p.y, p.z, q[0], q[1], q[2], q[3]);
    }
    w.release().unwrap();
    std::fs::write(dir.join("odometry.csv"), odo).unwrap();
    std::fs::write(dir.join("camera_matrix.csv"), format!("{}, 0.0, {}\n0.0, {}, {}\n0.0, 0.0, 1.0\n", k.fx, k.cx, k.fy, k.cy)).unwrap();
    stamps
}

/// Writes an ARKit-style folder: `frame_NNNNN.jpg` + `.json` (row-major
/// intrinsics, column-major 4x4 `cameraTransform`, depth PNG in mm).
fn write_arkit(dir: &Path, k: &Intrinsics, frames: &[GtFrame]) -> Vec<f64> {
    std::fs::create_dir_all(dir.join("depth")).unwrap();
    let mut stamps = vec![];
    for (i, f) in frames.iter().enumerate() {
        let name = format!("frame_{i:05}");
        imgcodecs::imwrite(dir.join(format!("{name}.jpg")).to_str().unwrap(), &f.image, &Vector::from_slice(&[imgcodecs::IMWRITE_JPEG_QUALITY, 95])).unwrap();
        write_png16(&dir.join(format!("depth/{name}.png")), &f.depth, 1000.0);
        let m = f.arkit.to_homogeneous();
        let cols: Vec<f64> = (0..4).flat_map(|c| (0..4).map(move |r| m[(r, c)])).collect();
        let t = 812.5 + i as f64 * 0.0333;
        stamps.push(t);
        let json = serde_json::json!({
            "timestamp": t,
            "intrinsics": [k.fx, 0.0, k.cx, 0.0, k.fy, k.cy, 0.0, 0.0, 1.0],
            "cameraTransform": cols,
            "depth": format!("depth/{name}.png"),
            "depth_scale": 1000.0,
        });
        std::fs::write(dir.join(format!("{name}.json")), serde_json::to_string(&json).unwrap()).unwrap();
    }
    stamps
}

fn assert_good(what: &str, r: &roomscribe::recon::Reconstruction, frames: &[GtFrame], stamps: &[f64], min_poses: usize) {
    let c = check(r, frames, stamps);
    eprintln!(
        "{what}: {} poses, ATE {:.5} m, tilt error {:.3}°, camera height {:.3} m, cloud {} points median {:.4} m, {:.1}% within 5 cm; warnings {:?}",
        c.poses, c.ate_m, c.max_tilt_error_deg, r.report.alignment.camera_height_m, r.cloud.len(), c.cloud_median_m, 100.0 * c.cloud_within_5cm, r.report.warnings
    );
    assert_eq!(r.report.mode, "given_poses", "{what}");
    assert!(matches!(r.report.intrinsics_source, IntrinsicsSource::Capture { .. }), "{what}: {:?}", r.report.intrinsics_source);
    assert!(c.poses >= min_poses, "{what}: {} poses", c.poses);
    assert!(c.ate_m < 0.005, "{what}: ATE {}", c.ate_m);
    assert!(c.max_tilt_error_deg < 0.5, "{what}: tilt {}", c.max_tilt_error_deg);
    assert!((r.report.alignment.camera_height_m - HEIGHT).abs() < 0.03, "{what}: {:?}", r.report.alignment);
    assert!(r.cloud.len() > 2000, "{what}: {} points", r.cloud.len());
    assert!(c.cloud_median_m < 0.015 && c.cloud_within_5cm > 0.95, "{what}: median {} within {}", c.cloud_median_m, c.cloud_within_5cm);
}

#[test]
fn stray_scanner_export_is_read_in_our_convention() {
    let k = Intrinsics { fx: 262.0, fy: 262.0, cx: 161.0, cy: 119.0, width: 320, height: 240, dist: vec![] };
    let frames = frames(&k, 24, 0.9);
    let dir = tempfile::tempdir().unwrap();
    let stamps = write_stray(dir.path(), &k, &frames, None, 2);
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    assert_good("stray", &r, &frames, &stamps, 15);
    assert_eq!(r.report.intrinsics.fx, 262.0);

    // Depth of another aspect ratio than the video: a clear error naming the file.
    std::fs::remove_dir_all(dir.path().join("depth")).unwrap();
    std::fs::create_dir_all(dir.path().join("depth")).unwrap();
    let sq = Mat::new_rows_cols_with_default(100, 100, opencv::core::CV_32F, Scalar::all(2.0)).unwrap();
    write_png16(&dir.path().join("depth/000000.png"), &sq, 1000.0);
    let e = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).err().expect("mismatched depth must fail").to_string();
    assert!(e.contains("000000.png") && e.contains("100x100") && e.contains("320x240"), "{e}");
}

#[test]
fn black_and_frozen_frames_are_reported_not_fatal() {
    let k = Intrinsics { fx: 262.0, fy: 262.0, cx: 160.0, cy: 120.0, width: 320, height: 240, dist: vec![] };
    let frames = frames(&k, 24, 0.9);
    let mut images: Vec<Mat> = frames.iter().map(|f| f.image.clone()).collect();
    for img in images.iter_mut().skip(6).take(3) {
        *img = Mat::new_rows_cols_with_default(240, 320, CV_8UC3, Scalar::all(0.0)).unwrap();
    }
    for i in 14..17 {
        images[i] = images[13].clone();
    }
    let dir = tempfile::tempdir().unwrap();
    let stamps = write_stray(dir.path(), &k, &frames, Some(&images), 2);
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    let w = r.report.warnings.join("; ");
    assert!(w.contains("3 black frames skipped"), "{w}");
    assert!(w.contains("frozen"), "{w}");
    assert!(r.report.selection.black == 3 && r.report.selection.frozen >= 2, "{:?}", r.report.selection);
    assert_good("stray with bad frames", &r, &frames, &stamps, 10);
}

#[test]
fn arkit_folder_is_read_in_our_convention() {
    let k = Intrinsics { fx: 250.0, fy: 251.0, cx: 158.0, cy: 121.0, width: 320, height: 240, dist: vec![] };
    let frames = frames(&k, 24, 0.9);
    let dir = tempfile::tempdir().unwrap();
    let stamps = write_arkit(dir.path(), &k, &frames);
    // An unreadable image among the frames: skipped with a warning.
    std::fs::write(dir.path().join("frame_00003.jpg"), b"not a jpeg").unwrap();
    let r = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).unwrap();
    assert!(r.report.warnings.iter().any(|w| w.contains("frame_00003.jpg") && w.contains("cannot decode")), "{:?}", r.report.warnings);
    assert_good("arkit", &r, &frames, &stamps, 15);
    assert_eq!((r.report.intrinsics.fy, r.report.intrinsics.cx), (251.0, 158.0));
    // Depth of another size than the colour image: a clear error.
    let small = Mat::new_rows_cols_with_default(120, 160, opencv::core::CV_32F, Scalar::all(2.0)).unwrap();
    write_png16(&dir.path().join("depth/frame_00000.png"), &small, 1000.0);
    let e = reconstruct(dir.path(), &ReconConfig::default(), &mut |_| {}).err().expect("mismatched depth must fail").to_string();
    assert!(e.contains("frame_00000.png") && e.contains("160x120"), "{e}");
}
