//! The benchmark runner over the committed smoke benchmark: its numbers
//! agree with the Python reference the smoke data was cut from, the oracle
//! stage scores perfectly, and the report files are written whole.

use roomscribe::eval::bench::{builtin_stage, run_benchmark, Manifest, Oracle};
use serde_json::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn smoke() -> Manifest {
    Manifest::read(&root().join("eval/benchmarks/smoke.toml")).unwrap()
}

fn expected() -> Value {
    serde_json::from_str(&std::fs::read_to_string(root().join("eval/reference/expected.json")).unwrap()).unwrap()
}

#[test]
fn smoke_benchmark_matches_the_reference() {
    let m = smoke();
    let mut stage = builtin_stage(&m).unwrap().unwrap();
    let r = run_benchmark(&m, stage.as_mut(), None, |_, _| {}).unwrap();
    assert!(r.failures.is_empty(), "{:?}", r.failures);
    assert_eq!(r.cases, 8);
    let exp = expected();
    let layout = r.layout.as_ref().unwrap();
    assert_eq!(layout.scenes.len(), 5);
    for s in &layout.scenes {
        let t = exp["layout_default"]["per_scene"].as_array().unwrap().iter().find(|x| x["name"] == s.name.as_str()).unwrap();
        for (class, counts) in &s.iou {
            // scene_004's GT is a box list: it has no walls or openings.
            if s.name == "scene_004" && class.is_layout() {
                continue;
            }
            for (k, c) in counts.iter().enumerate() {
                let want = &t["iou"][class.name()][k];
                assert_eq!(
                    [c.tp as u64, c.num_pred as u64, c.num_gt as u64],
                    [want[0].as_u64().unwrap(), want[1].as_u64().unwrap(), want[2].as_u64().unwrap()],
                    "{} {}",
                    s.name,
                    class.name()
                );
            }
        }
    }
    for (name, t) in &r.traj.as_ref().unwrap().items {
        let e = exp["traj"].as_array().unwrap().iter().find(|x| x["name"] == name.as_str() && x["align"] == "sim3").unwrap();
        assert!((t.ate_rmse - e["ate_rmse"].as_f64().unwrap()).abs() < 1e-6, "{name}");
        assert!((t.rpe_rot_rmse_deg - e["rpe_rot_rmse_deg"].as_f64().unwrap()).abs() < 1e-6, "{name}");
    }
    let (name, c) = &r.cloud.as_ref().unwrap().items[0];
    let e = exp["cloud"].as_array().unwrap().iter().find(|x| x["name"] == name.as_str()).unwrap();
    assert!((c.chamfer - e["chamfer"].as_f64().unwrap()).abs() < 1e-6);
    assert!((c.fscore - e["fscore"].as_f64().unwrap()).abs() < 1e-6);

    let dir = tempfile::tempdir().unwrap();
    let [md, js] = r.write(dir.path()).unwrap();
    let j: Value = serde_json::from_str(&std::fs::read_to_string(js).unwrap()).unwrap();
    assert_eq!(j["benchmark"], "smoke");
    assert!(j["layout"]["classes"]["wall"]["f1@0.25"].is_number());
    assert!(j["traj"]["ate_rmse"].is_number() && j["cloud"]["chamfer"].is_number());
    assert!(j["timings_s"]["total"]["stage"].is_number());
    assert!(std::fs::read_to_string(md).unwrap().contains("| wall |"));
}

#[test]
fn oracle_scores_perfectly() {
    let m = smoke();
    let r = run_benchmark(&m, &mut Oracle, None, |_, _| {}).unwrap();
    let j = r.to_json();
    for (class, v) in j["layout"]["classes"].as_object().unwrap() {
        assert_eq!(v["f1@0.5"], 1.0, "{class}");
    }
    assert_eq!(j["layout"]["entity_distance"]["mean_layout"]["f1@5cm"], 1.0);
    assert!(j["traj"]["ate_rmse"].as_f64().unwrap() < 1e-9);
    assert_eq!(j["cloud"]["fscore"], 1.0);
}

#[test]
fn missing_predictions_are_failures_scored_as_empty() {
    let mut m = smoke();
    m.predictions.layout = Some(root().join("eval/benchmarks/data/smoke/pred/traj")); // no layouts there
    m.metrics = vec![roomscribe::eval::bench::Metric::Layout];
    let mut stage = builtin_stage(&m).unwrap().unwrap();
    let r = run_benchmark(&m, stage.as_mut(), None, |_, _| {}).unwrap();
    assert_eq!(r.failures.len(), 5);
    assert!(r.failures[0].error.contains("no predicted layout for scene_000"));
    assert_eq!(r.to_json()["layout"]["classes"]["wall"]["f1@0.25"], 0.0);
}

#[test]
fn synthetic_without_a_generator_is_a_clear_error() {
    let m = Manifest::read(&root().join("eval/benchmarks/synthetic.toml")).unwrap();
    let e = run_benchmark(&m, &mut Oracle, None, |_, _| {}).unwrap_err().to_string();
    assert!(e.contains("no synthetic scene generator"), "{e}");
}

#[test]
fn perturb_stage_is_deterministic_and_degrades_scores() {
    let mut m = Manifest::read(&root().join("eval/benchmarks/smoke.toml")).unwrap();
    m.stage = "perturb".into();
    m.metrics = vec![roomscribe::eval::bench::Metric::Layout];
    let mut opts = toml::Table::new();
    opts.insert("sigma".into(), toml::Value::Float(0.05));
    m.stage_options = Some(opts);
    let run = |m: &Manifest| {
        let mut stage = builtin_stage(m).unwrap().unwrap();
        run_benchmark(m, stage.as_mut(), None, |_, _| {}).unwrap().layout.unwrap().to_json()
    };
    let a = run(&m);
    assert_eq!(a, run(&m));
    let f = a["entity_distance"]["mean_layout"]["f1@5cm"].as_f64().unwrap();
    assert!(f < 1.0, "5 cm noise must cost matches at 5 cm: {f}");
    let mut bad = m.clone();
    bad.stage_options.as_mut().unwrap().insert("sigmaa".into(), toml::Value::Float(1.0));
    assert!(builtin_stage(&bad).is_err());
}

#[test]
fn perturb_solve_stage_repairs_noisy_synthetic_layouts() {
    let text = "name = \"t\"\nstage = \"perturb\"\nmetrics = [\"layout\"]\n[stage_options]\nsigma = 0.08\n[synthetic]\nseeds = [1000000, 1000004]\n";
    let m = Manifest::parse(text, std::path::Path::new("t.toml")).unwrap();
    let synth = |seed: u64| -> Result<roomscribe::layout::Layout, String> {
        roomscribe::synth::generate(seed, &roomscribe::synth::SceneConfig::default())
            .map(|s| s.layout)
            .map_err(|e| e.to_string())
    };
    let run = |m: &Manifest| {
        let mut stage = builtin_stage(m).unwrap().unwrap();
        run_benchmark(m, stage.as_mut(), Some(&synth), |_, _| {}).unwrap()
    };
    let noisy = run(&m);
    let mut ms = m.clone();
    ms.stage = "perturb_solve".into();
    let solved = run(&ms);
    assert!(solved.failures.is_empty(), "{:?}", solved.failures);
    assert!(solved.timings.contains_key("stage.solve"));
    assert!(solved.counts["solver_changes"] > 0.0, "{:?}", solved.counts);
    assert!(solved.counts.contains_key("invalid_after_solve"));
    let (a, b) = (noisy.layout.as_ref().unwrap().to_json(), solved.layout.as_ref().unwrap().to_json());
    let avg = |v: &Value| v["entity_distance"]["mean_layout"]["f1_avg_1_100cm"].as_f64().unwrap();
    // The solver snaps walls back onto shared corners and a Manhattan frame:
    // wall/door/window positions must get closer to the truth on average.
    assert!(avg(&b) > avg(&a), "solved {} vs perturbed {}", avg(&b), avg(&a));
    assert!(solved.to_markdown().contains("invalid_after_solve"));
}

/// A stage that predicts the truth moved into another frame and scale, as a
/// monocular reconstruction would.
struct Moved(roomscribe::geom::umeyama::Sim3);

impl roomscribe::eval::bench::Stage for Moved {
    fn name(&self) -> String {
        "moved".into()
    }
    fn predict(
        &mut self,
        _case: &roomscribe::eval::bench::Case,
        truth: &roomscribe::eval::bench::Truth,
    ) -> Result<roomscribe::eval::bench::Prediction, String> {
        let s = self.0;
        let traj = truth.trajectory.clone().map(|mut t| {
            for p in &mut t.poses {
                let c = s.transform_point(&nalgebra::Point3::from(p.world_from_camera.translation.vector));
                p.world_from_camera = nalgebra::Isometry3::from_parts(
                    nalgebra::Translation3::from(c.coords),
                    nalgebra::UnitQuaternion::from_rotation_matrix(&s.rotation) * p.world_from_camera.rotation,
                );
            }
            t
        });
        let cloud = truth.cloud.as_ref().map(|c| roomscribe::eval::cloud::transform_cloud(c, &s));
        Ok(roomscribe::eval::bench::Prediction { trajectory: traj, cloud, ..Default::default() })
    }
}

#[test]
fn clouds_can_be_scored_after_the_trajectory_alignment() {
    let dir = tempfile::tempdir().unwrap();
    let data = root().join("eval/benchmarks/data/smoke/gt");
    std::fs::create_dir_all(dir.path().join("traj")).unwrap();
    std::fs::create_dir_all(dir.path().join("cloud")).unwrap();
    std::fs::copy(data.join("traj/traj_000.txt"), dir.path().join("traj/c.txt")).unwrap();
    std::fs::copy(data.join("cloud/cloud_000.ply"), dir.path().join("cloud/c.ply")).unwrap();
    let text = |align: &str| {
        format!(
            "name = \"t\"\nstage = \"x\"\nmetrics = [\"traj\", \"cloud\"]\ncloud_align = \"{align}\"\n\
             [ground_truth]\ntrajectory = \"traj\"\ncloud = \"cloud\"\n[traj]\nalign = \"sim3\"\n"
        )
    };
    let at = dir.path().join("m.toml");
    let moved = roomscribe::geom::umeyama::Sim3 {
        rotation: nalgebra::Rotation3::from_euler_angles(0.3, -0.2, 1.0),
        translation: nalgebra::Vector3::new(3.0, -1.0, 0.5),
        scale: 0.4,
    };
    let run = |align: &str| {
        let m = Manifest::parse(&text(align), &at).unwrap();
        let r = run_benchmark(&m, &mut Moved(moved), None, |_, _| {}).unwrap();
        assert!(r.failures.is_empty(), "{:?}", r.failures);
        let t = &r.traj.as_ref().unwrap().items[0].1;
        assert!(t.ate_rmse < 1e-6 && (t.scale - 2.5).abs() < 1e-6, "{t:?}");
        assert!(t.tilt_deg > 10.0);
        r.cloud.unwrap().items[0].1.accuracy_median
    };
    assert!(run("trajectory") < 1e-4);
    assert!(run("none") > 0.1);
    // The option needs both metrics, and only knows two values.
    let bad = text("trajectory").replace("[\"traj\", \"cloud\"]", "[\"cloud\"]");
    assert!(Manifest::parse(&bad, &at).unwrap_err().to_string().contains("cloud_align"));
    assert!(Manifest::parse(&text("icp"), &at).unwrap_err().to_string().contains("cloud_align"));
}
