//! Sensors on generated scenes: determinism of the written files, scan
//! points on the world's surfaces, rendered depth against ray casting.

use roomscribe::synth::bvh::Bvh;
use roomscribe::synth::camera::{Intrinsics, PathConfig};
use roomscribe::synth::capture::{rooms_of, write_scan_outputs, Capture, SCAN_TRAJECTORY_FPS};
use roomscribe::synth::render::{RenderConfig, Renderer, DEPTH_SCALE};
use roomscribe::synth::scan::{NoiseProfile, ScanConfig, SensorModel};
use roomscribe::synth::{generate, SceneConfig};

fn capture(seed: u64) -> (roomscribe::synth::Scene, Capture) {
    let scene = generate(seed, &SceneConfig::default()).unwrap();
    let c = Capture::new(&scene.world, &scene.layout, rooms_of(&scene), &PathConfig::default(), seed).unwrap();
    (scene, c)
}

fn write(seed: u64, profile: NoiseProfile, dir: &std::path::Path) {
    let (scene, c) = capture(seed);
    let traj = c.path.trajectory(SCAN_TRAJECTORY_FPS);
    let k = Intrinsics::for_size(640, 480);
    let cloud = c.scan(&traj, &ScanConfig { profile, target_points: 20_000, intrinsics: k, ..ScanConfig::default() }, seed);
    write_scan_outputs(dir, &scene.layout, &cloud, &traj, &k).unwrap();
}

#[test]
fn same_seed_gives_byte_identical_files() {
    let a = tempfile::tempdir().unwrap();
    let b = tempfile::tempdir().unwrap();
    let c = tempfile::tempdir().unwrap();
    write(5, NoiseProfile::Mvs, a.path());
    write(5, NoiseProfile::Mvs, b.path());
    write(6, NoiseProfile::Mvs, c.path());
    for f in ["scan.ply", "trajectory.txt", "layout.json", "layout.txt", "intrinsics.yaml"] {
        let x = std::fs::read(a.path().join(f)).unwrap();
        assert_eq!(x, std::fs::read(b.path().join(f)).unwrap(), "{f} differs between runs");
    }
    assert_ne!(std::fs::read(a.path().join("scan.ply")).unwrap(), std::fs::read(c.path().join("scan.ply")).unwrap());
}

#[test]
fn lidar_scan_points_lie_on_world_surfaces() {
    for seed in [2u64, 9] {
        let (_, c) = capture(seed);
        let traj = c.path.trajectory(SCAN_TRAJECTORY_FPS);
        let cloud = c.scan(&traj, &ScanConfig { target_points: 5000, ..ScanConfig::default() }, seed);
        assert_eq!(cloud.len(), 5000);
        let bound = SensorModel::for_profile(NoiseProfile::Lidar).noise_bound() + 1e-3;
        let mut within_2cm = 0;
        for p in &cloud.points {
            let d = c.bvh.distance_to_surface(*p, 1.0).expect("scan point far from every surface");
            assert!(d <= bound, "seed {seed}: point {p:?} is {d} m from the nearest surface (bound {bound} m)");
            if d < 0.02 {
                within_2cm += 1;
            }
        }
        // Depth noise sigma is 2 mm + 1.2 mm/m^2 r^2 (about 1.3 cm at 3 m).
        assert!(within_2cm > 4250, "seed {seed}: only {within_2cm} of 5000 points within 2 cm");
    }
}

#[test]
fn rendered_depth_agrees_with_ray_casting() {
    let (_, c) = capture(4);
    let k = Intrinsics::for_size(160, 120);
    let r = Renderer { geometry: &c.geometry, lighting: &c.lighting, intrinsics: k, config: RenderConfig::default() };
    let bvh: &Bvh = &c.bvh;
    let (mut checked, mut agree) = (0, 0);
    for i in 0..8 {
        let t = c.path.duration() * i as f64 / 8.0;
        let pose = c.path.pose_at(t);
        let f = r.render(&pose, None, t, i);
        let o = pose.translation.vector;
        for y in (0..120).step_by(5) {
            for x in (0..160).step_by(5) {
                let dc = nalgebra::Vector3::new((x as f64 - k.cx) / k.fx, (y as f64 - k.cy) / k.fy, 1.0);
                let d = pose.rotation * dc;
                let Some(hit) = bvh.intersect([o.x as f32, o.y as f32, o.z as f32], [d.x as f32, d.y as f32, d.z as f32], 0.0, 50.0) else {
                    continue;
                };
                // The ray's parameter is the z-depth (camera-frame z of the direction is 1).
                checked += 1;
                let z = f.depth_m[y * 160 + x];
                if (hit.t - z).abs() < 1e-3 {
                    agree += 1;
                    if z < 10.0 {
                        let png = f.depth[y * 160 + x] as f64 / DEPTH_SCALE;
                        assert!((png - z as f64).abs() <= 0.5 / DEPTH_SCALE + 1e-6);
                    }
                }
            }
        }
    }
    assert!(checked > 3000, "{checked}");
    assert!(agree as f64 >= 0.99 * checked as f64, "{agree} of {checked} pixels within 1 mm of the ray-cast depth");
}

#[test]
fn cli_scan_writes_the_capture_and_refuses_bad_input() {
    let bin = env!("CARGO_BIN_EXE_roomscribe");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("scan");
    let st = std::process::Command::new(bin)
        .args(["-q", "synth", "scan", "--seed", "3", "--points", "2000", "--profile", "mvs", "-o"])
        .arg(&out)
        .status()
        .unwrap();
    assert!(st.success());
    for f in ["layout.json", "layout.txt", "scan.ply", "trajectory.txt", "intrinsics.yaml"] {
        assert!(out.join(f).is_file(), "{f} missing");
    }
    let o = std::process::Command::new(bin).args(["synth", "scan", "--profile", "sonar", "-o"]).arg(&out).output().unwrap();
    assert_eq!(o.status.code(), Some(2), "unknown profile is a usage error");
    let o = std::process::Command::new(bin)
        .args(["synth", "dataset", "--seeds", "999999..1000001", "-o"])
        .arg(tmp.path().join("ds"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("--allow-eval-seeds"));
}
