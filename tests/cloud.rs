//! Cloud stage across modules: PLY files on disk, `roomscribe info` on them,
//! and gravity alignment of a scan read back from PLY.

use nalgebra::{Isometry3, Point3, Rotation3, Translation3, UnitQuaternion, Vector3};
use roomscribe::cloud::{align_to_gravity, read_ply, write_ply, AlignConfig, PlyEncoding, PointCloud};
use std::process::Command;

/// Points on the floor, ceiling and walls of an `sx × sy × sz` box room,
/// on a regular grid of `step` metres (deterministic).
fn box_room(sx: f32, sy: f32, sz: f32, step: f32) -> PointCloud {
    let mut pts = Vec::new();
    let n = |len: f32| (len / step) as usize;
    for i in 0..=n(sx) {
        for j in 0..=n(sy) {
            let (x, y) = (i as f32 * step, j as f32 * step);
            pts.push([x, y, 0.0]);
            if (i + j) % 2 == 0 {
                pts.push([x, y, sz]);
            }
        }
        for k in 0..=n(sz) {
            let (x, z) = (i as f32 * step, k as f32 * step);
            pts.push([x, 0.0, z]);
            pts.push([x, sy, z]);
        }
    }
    for j in 0..=n(sy) {
        for k in 0..=n(sz) {
            let (y, z) = (j as f32 * step, k as f32 * step);
            pts.push([0.0, y, z]);
            pts.push([sx, y, z]);
        }
    }
    let colors = pts.iter().map(|p| [(p[0] * 40.0) as u8, (p[1] * 40.0) as u8, (p[2] * 80.0) as u8]).collect();
    PointCloud { points: pts, colors: Some(colors), normals: None }
}

#[test]
fn info_json_describes_a_ply() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.ply");
    let mut cloud = box_room(4.0, 3.0, 2.5, 0.1);
    cloud.points.push([f32::NAN, 0.0, 0.0]);
    cloud.colors.as_mut().unwrap().push([0, 0, 0]);
    write_ply(&path, &cloud, PlyEncoding::BinaryLittleEndian).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_roomscribe")).args(["info", "--json"]).arg(&path).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "point_cloud");
    assert_eq!(v["points"], cloud.len() - 1);
    assert_eq!(v["dropped_nonfinite"], 1);
    assert_eq!(v["has_color"], true);
    assert_eq!(v["has_normals"], false);
    assert_eq!(v["bounds"]["min"], serde_json::json!([0.0, 0.0, 0.0]));
    assert_eq!(v["bounds"]["max"], serde_json::json!([4.0, 3.0, 2.5]));
}

#[test]
fn info_rejects_a_corrupt_ply_with_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.ply");
    std::fs::write(&path, "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_roomscribe")).args(["info", "--json"]).arg(&path).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("bad.ply") && err.contains("truncated"), "{err}");
}

#[test]
fn tilted_scan_from_ply_is_levelled() {
    let dir = tempfile::tempdir().unwrap();
    let original = box_room(5.0, 4.0, 2.6, 0.05);
    let input_from_room = Isometry3::from_parts(
        Translation3::new(1.0, 2.0, -0.4),
        UnitQuaternion::from_rotation_matrix(
            &(Rotation3::from_axis_angle(&Vector3::x_axis(), 9f64.to_radians())
                * Rotation3::from_axis_angle(&Vector3::z_axis(), 31f64.to_radians())),
        ),
    );
    let mut scan = original.clone();
    scan.transform(&input_from_room);
    let path = dir.path().join("tilted.ply");
    write_ply(&path, &scan, PlyEncoding::BinaryBigEndian).unwrap();
    let read = read_ply(&path).unwrap();
    let a = align_to_gravity(&read.cloud, &AlignConfig::default()).unwrap();
    let mut aligned = read.cloud.clone();
    aligned.transform(&a.world_from_input);
    let total = a.world_from_input * input_from_room;
    assert!((total.rotation * Vector3::z()).angle(&Vector3::z()) < 0.5f64.to_radians());
    let x = total.rotation * Vector3::x();
    let off = (x.y.atan2(x.x).to_degrees() + 45.0).rem_euclid(90.0) - 45.0;
    assert!(off.abs() < 0.5, "yaw off by {off}°");
    let (lo, hi) = aligned.bounds().unwrap();
    assert!(lo[2].abs() < 0.02 && (hi[2] - 2.6).abs() < 0.02, "{lo:?} {hi:?}");
    assert!((total * Point3::new(2.0, 2.0, 0.0)).z.abs() < 0.01);
}
