//! Multi-view plane-sweep stereo on rendered views with known poses: the
//! consistent points must lie on the rendered surfaces, for a forward walk
//! (epipole inside the image, where rectified stereo fails) and a sideways
//! one; the typical depth must be measurable without a map.
#![cfg(feature = "video")]

use nalgebra::{Isometry3, Point3, Vector3};
use roomscribe::recon::dense::{dense_points, typical_depth, DenseConfig, View};
use roomscribe::recon::geometry::Pinhole;
use roomscribe::recon::testscene::{render, Scene};
use roomscribe::recon::Intrinsics;

fn look(pos: Vector3<f64>, yaw: f64) -> Isometry3<f64> {
    let fwd = Vector3::new(yaw.cos(), yaw.sin(), -0.2).normalize();
    let right = fwd.cross(&Vector3::z()).normalize();
    let down = fwd.cross(&right);
    let rot = nalgebra::Rotation3::from_basis_unchecked(&[right, down, fwd]);
    Isometry3::from_parts(nalgebra::Translation3::from(pos), nalgebra::UnitQuaternion::from_rotation_matrix(&rot))
}

fn views(scene: &Scene, k: &Intrinsics, poses: &[Isometry3<f64>]) -> Vec<View> {
    poses.iter().map(|p| (p.inverse(), render(scene, k, p).unwrap().0, None)).collect()
}

/// Small, fast settings for the dev profile.
fn test_config() -> DenseConfig {
    DenseConfig { width: 200, max_planes: 48, max_references: 4, ..Default::default() }
}

fn check(poses: &[Isometry3<f64>], typical: f64) -> (usize, f64) {
    let scene = Scene::standard(4);
    let k = Intrinsics::from_hfov(320, 240, 65.0);
    let pin = Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
    let v = views(&scene, &k, poses);
    let (per_view, stats) = dense_points(&v, &pin, typical, &test_config()).unwrap();
    let pts: Vec<Point3<f64>> = per_view.iter().flatten().map(|(p, _)| *p).collect();
    assert!(!pts.is_empty(), "{stats:?}");
    let mut ds: Vec<f64> = pts.iter().map(|p| scene.surface_distance(p)).collect();
    ds.sort_by(|x, y| x.total_cmp(y));
    let med = ds[ds.len() / 2];
    eprintln!("{} points, median distance {med:.4} m, 90% {:.4}; {stats:?}", ds.len(), ds[ds.len() * 9 / 10]);
    assert!(stats.consistent_pixels < stats.raw_pixels, "the consistency check removed nothing: {stats:?}");
    (pts.len(), med)
}

#[test]
fn forward_walk_gives_points_on_surfaces() {
    // Walking along the optical axis (+x), 8 cm per view.
    let poses: Vec<Isometry3<f64>> = (0..7).map(|i| look(Vector3::new(0.8 + 0.08 * i as f64, 1.9, 1.45), 0.02 * (i % 2) as f64)).collect();
    let (n, med) = check(&poses, 2.5);
    assert!(n > 2000, "{n} points");
    assert!(med < 0.03, "median {med}");
}

#[test]
fn sideways_walk_gives_points_on_surfaces() {
    let poses: Vec<Isometry3<f64>> = (0..7).map(|i| look(Vector3::new(1.5, 2.6 - 0.07 * i as f64, 1.45), 0.1 - 0.01 * i as f64)).collect();
    let (n, med) = check(&poses, 2.5);
    assert!(n > 2000, "{n} points");
    assert!(med < 0.03, "median {med}");
}

#[test]
fn typical_depth_without_a_map_and_no_depth_without_motion() {
    let scene = Scene::standard(4);
    let k = Intrinsics::from_hfov(320, 240, 65.0);
    let pin = Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
    let poses: Vec<Isometry3<f64>> = (0..5).map(|i| look(Vector3::new(1.5, 2.6 - 0.1 * i as f64, 1.45), 0.1)).collect();
    let v = views(&scene, &k, &poses);
    // Looking along +x from x = 1.5 at a 5 m long room: surfaces 2-3.5 m away.
    let t = typical_depth(&v, &pin, &[]).unwrap().unwrap();
    assert!((1.5..4.0).contains(&t), "typical depth {t}");
    // The same views at a scale of 0.1 give a tenth of it.
    let scaled: Vec<View> = v.iter().map(|(p, img, d)| (Isometry3::from_parts((p.translation.vector * 0.1).into(), p.rotation), img.clone(), d.clone())).collect();
    let ts = typical_depth(&scaled, &pin, &[]).unwrap().unwrap();
    assert!((ts / t - 0.1).abs() < 0.01, "{ts} vs {t}");
    // A camera that only rotates gives no stereo sources, hence no points.
    let still: Vec<Isometry3<f64>> = (0..5).map(|i| look(Vector3::new(1.5, 2.0, 1.45), 0.1 * i as f64)).collect();
    let (pts, stats) = dense_points(&views(&scene, &k, &still), &pin, 2.5, &test_config()).unwrap();
    assert!(pts.is_empty() && stats.depth_maps == 0, "{stats:?}");
}
