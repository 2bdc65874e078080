//! Dense stereo between two rendered keyframes with known poses: the
//! points must lie on the rendered surfaces.
#![cfg(feature = "video")]

use nalgebra::{Isometry3, Point3, Vector3};
use roomscribe::recon::dense::{stereo_points, DenseConfig};
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

#[test]
fn stereo_points_lie_on_surfaces() {
    check_pair(look(Vector3::new(2.0, 2.0, 1.45), 0.1), look(Vector3::new(2.05, 1.75, 1.45), 0.05));
}

#[test]
fn oblique_and_swapped_pairs_work() {
    // Baseline 50° from the optical axis, partner on the left.
    let a = look(Vector3::new(2.0, 2.0, 1.45), 0.0);
    let d = Vector3::new(0.9f64.cos(), 0.9f64.sin(), 0.0) * 0.25;
    check_pair(a, look(Vector3::new(2.0, 2.0, 1.45) + d, 0.03));
}

fn check_pair(a: Isometry3<f64>, b: Isometry3<f64>) {
    let scene = Scene::standard(4);
    let k = Intrinsics::from_hfov(480, 360, 65.0);
    let pin = Pinhole { fx: k.fx, fy: k.fy, cx: k.cx, cy: k.cy };
    let mut views = vec![];
    for p in [a, b] {
        let (img, _) = render(&scene, &k, &p).unwrap();
        views.push((p.inverse(), img, None));
    }
    let pts = stereo_points(&views, 0, &pin, 3.0, &DenseConfig::default()).unwrap();
    assert!(pts.len() > 3000, "{} points", pts.len());
    // Distance to the room box or the boxes inside.
    let dist = |p: &Point3<f64>| {
        let mut d = f64::MAX;
        for ax in 0..3 {
            d = d.min(p[ax].abs()).min((scene.size[ax] - p[ax]).abs());
        }
        for (lo, hi) in &scene.boxes {
            let q = Vector3::new((lo.x - p.x).max(p.x - hi.x).max(0.0), (lo.y - p.y).max(p.y - hi.y).max(0.0), (lo.z - p.z).max(p.z - hi.z).max(0.0));
            d = d.min(q.norm());
        }
        d
    };
    let mut ds: Vec<f64> = pts.iter().map(|(p, _)| dist(p)).collect();
    ds.sort_by(|x, y| x.total_cmp(y));
    let med = ds[ds.len() / 2];
    eprintln!("{} points, median distance {med:.4} m, 90% {:.4}", ds.len(), ds[ds.len() * 9 / 10]);
    assert!(med < 0.03, "median {med}");
}
