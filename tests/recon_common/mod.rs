//! Shared helpers for the recon integration tests: rendering small
//! captures with `recon::testscene` and scoring trajectories.
#![allow(dead_code)]

use nalgebra::{Isometry3, Point3};
use opencv::core::{Mat, Vector, CV_16U};
use opencv::imgcodecs;
use opencv::prelude::*;
use roomscribe::geom::umeyama::umeyama;
use roomscribe::recon::testscene::{render, walk_trajectory, Scene};
use roomscribe::recon::Intrinsics;
use roomscribe::trajectory::Trajectory;
use std::fmt::Write as _;
use std::path::Path;

/// Renders `n` frames of the standard scene along the walk and writes a TUM
/// RGB-D folder (rgb/, depth/ with 5000 = 1 m, rgb.txt, depth.txt) plus the
/// ground-truth poses; returns them.
pub fn write_tum(dir: &Path, k: &Intrinsics, n: usize, sweep: f64, depth: bool, plain_walls: bool) -> Vec<(f64, Isometry3<f64>)> {
    let mut scene = Scene::standard(3);
    scene.plain_walls = plain_walls;
    let poses = walk_trajectory(&scene, n, 1.45, sweep);
    std::fs::create_dir_all(dir.join("rgb")).unwrap();
    std::fs::create_dir_all(dir.join("depth")).unwrap();
    let (mut rgb, mut dep) = (String::new(), String::new());
    let mut gt = vec![];
    for (i, p) in poses.iter().enumerate() {
        let t = i as f64 / 30.0;
        let (img, d) = render(&scene, k, p).unwrap();
        let name = format!("{t:.6}.png");
        imgcodecs::imwrite(dir.join("rgb").join(&name).to_str().unwrap(), &img, &Vector::new()).unwrap();
        let mut d16 = Mat::default();
        d.convert_to(&mut d16, CV_16U, 5000.0, 0.0).unwrap();
        imgcodecs::imwrite(dir.join("depth").join(&name).to_str().unwrap(), &d16, &Vector::new()).unwrap();
        let _ = writeln!(rgb, "{t:.6} rgb/{name}");
        let _ = writeln!(dep, "{t:.6} depth/{name}");
        gt.push((t, *p));
    }
    std::fs::write(dir.join("rgb.txt"), rgb).unwrap();
    if depth {
        std::fs::write(dir.join("depth.txt"), dep).unwrap();
    }
    gt
}

/// ATE RMSE after aligning `est` to `gt` by timestamp (Sim3 when
/// `with_scale`), and the number of matched poses.
pub fn ate(est: &Trajectory, gt: &[(f64, Isometry3<f64>)], with_scale: bool) -> (f64, usize) {
    let mut a = vec![];
    let mut b = vec![];
    for p in &est.poses {
        if let Some((_, g)) = gt.iter().find(|(t, _)| (t - p.t).abs() < 1e-3) {
            a.push(Point3::from(p.world_from_camera.translation.vector));
            b.push(Point3::from(g.translation.vector));
        }
    }
    let s = umeyama(&a, &b, with_scale).unwrap();
    let e: f64 = a.iter().zip(&b).map(|(x, y)| (s.transform_point(x) - y).norm_squared()).sum::<f64>() / a.len() as f64;
    (e.sqrt(), a.len())
}

/// Path length of the ground truth.
pub fn path_length(gt: &[(f64, Isometry3<f64>)]) -> f64 {
    gt.windows(2).map(|w| (w[1].1.translation.vector - w[0].1.translation.vector).norm()).sum()
}

/// Renders `n` frames of the standard scene into an image folder (PNG) with
/// `intrinsics.yaml`; returns ground truth stamped at i / 30 s.
pub fn write_image_folder(dir: &Path, k: &Intrinsics, n: usize, sweep: f64, plain_walls: bool) -> Vec<(f64, Isometry3<f64>)> {
    let mut scene = Scene::standard(5);
    scene.plain_walls = plain_walls;
    let poses = walk_trajectory(&scene, n, 1.45, sweep);
    write_pose_folder(dir, &scene, k, &poses)
}

/// Renders `scene` from each of `poses` (`world_from_camera`) into an
/// image folder (PNG) with `intrinsics.yaml`; returns ground truth stamped
/// at i / 30 s.
pub fn write_pose_folder(dir: &Path, scene: &Scene, k: &Intrinsics, poses: &[Isometry3<f64>]) -> Vec<(f64, Isometry3<f64>)> {
    std::fs::create_dir_all(dir).unwrap();
    let mut gt = vec![];
    for (i, p) in poses.iter().enumerate() {
        let (img, _) = render(scene, k, p).unwrap();
        imgcodecs::imwrite(dir.join(format!("frame_{i:05}.png")).to_str().unwrap(), &img, &Vector::new()).unwrap();
        gt.push((i as f64 / 30.0, *p));
    }
    std::fs::write(dir.join("intrinsics.yaml"), k.to_yaml("test camera")).unwrap();
    let t = roomscribe::trajectory::Trajectory {
        poses: gt.iter().map(|(t, p)| roomscribe::trajectory::StampedPose { t: *t, world_from_camera: *p }).collect(),
    };
    // Ground truth beside (not inside) the capture, for debugging with the CLI.
    if let Ok(keep) = std::env::var("RECON_KEEP") {
        let _ = std::fs::create_dir_all(&keep);
        let _ = t.write_tum(&Path::new(&keep).join("gt.txt"));
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            let _ = std::fs::copy(e.path(), Path::new(&keep).join(e.file_name()));
        }
    }
    gt
}
