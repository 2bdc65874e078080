//! `roomscribe eval ...` end to end: exit codes, JSON keys on stdout.

use std::path::Path;
use std::process::Command;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_roomscribe"))
}

fn write(path: &Path, text: &str) {
    std::fs::write(path, text).unwrap();
}

#[test]
fn eval_layout_folders_json_keys_and_errors() {
    let dir = tempfile::tempdir().unwrap();
    let (pred, gt) = (dir.path().join("pred"), dir.path().join("gt"));
    std::fs::create_dir_all(&pred).unwrap();
    std::fs::create_dir_all(&gt).unwrap();
    write(
        &gt.join("a.txt"),
        "wall_0=Wall(0.0,0.0,0.0,4.0,0.0,0.0,2.8,0.0)\ndoor_0=Door(wall_0,2.0,0.0,1.0,0.9,2.0)\nbbox_0=Bbox(bed,1.0,1.0,0.3,0.0,2.0,1.6,0.6)\n",
    );
    write(&pred.join("a.txt"), "wall_0=Wall(0.0,0.0,0.0,4.0,0.0,0.0,2.8,0.0)\nbbox_0=Bbox(bed,1.0,1.0,0.3,0.0,2.0,1.6,0.6)\n");
    write(&gt.join("b.json"), r#"[{"center":[1,1,0.3],"size":[2,1.6,0.6],"class":"bed"}]"#);
    write(&pred.join("b.txt"), "bbox_0=Bbox(bed,1.0,1.0,0.3,0.0,2.0,1.6,0.6)\n");
    let out = bin().args(["eval", "layout", "--json", "--pred"]).arg(&pred).arg("--gt").arg(&gt).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["scenes"], 2);
    assert_eq!(j["classes"]["wall"]["f1@0.25"], 1.0);
    assert_eq!(j["classes"]["door"]["f1@0.5"], 0.0);
    assert_eq!(j["classes"]["bed"]["recall@0.5"], 1.0);
    for k in ["f1@0.25", "f1@0.5"] {
        assert!(j["mean_layout"][k].is_number() && j["mean_objects"][k].is_number());
    }
    // A GT scene without a prediction is a clear error, exit 1.
    write(&gt.join("c.txt"), "wall_0=Wall(0.0,0.0,0.0,4.0,0.0,0.0,2.8,0.0)\n");
    let out = bin().args(["eval", "layout", "--pred"]).arg(&pred).arg("--gt").arg(&gt).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no prediction for 1 ground-truth scene(s): c"));
    // A bad box list: exit 1 naming the file and the box.
    write(&dir.path().join("bad.json"), r#"[{"center":[1,1],"size":[1,1,1],"class":"bed"}]"#);
    let out = bin().args(["eval", "layout", "--pred"]).arg(pred.join("a.txt")).arg("--gt").arg(dir.path().join("bad.json")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("bad.json: box 0"));
}

#[test]
fn eval_traj_json_keys_and_degenerate_input() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..20 {
        let a = i as f64 * 0.2;
        text += &format!("{} {} {} {} 0 0 {} {}\n", i as f64 * 0.1, a.cos(), a.sin(), 0.1 * a, (a / 2.0).sin(), (a / 2.0).cos());
    }
    write(&dir.path().join("gt.txt"), &text);
    let out = bin()
        .args(["eval", "traj", "--json", "--align", "sim3", "--est"])
        .arg(dir.path().join("gt.txt"))
        .arg("--gt")
        .arg(dir.path().join("gt.txt"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["matched"], 20);
    assert_eq!(j["align"], "sim3");
    for k in ["ate_rmse", "ate_mean", "ate_median", "scale", "rpe_trans_rmse", "rpe_rot_rmse_deg", "path_length"] {
        assert!(j[k].is_number(), "{k}");
    }
    assert!(j["ate_rmse"].as_f64().unwrap() < 1e-9);
    // Two poses only.
    write(&dir.path().join("two.txt"), "0 0 0 0 0 0 0 1\n1 1 0 0 0 0 0 1\n");
    let out = bin().args(["eval", "traj", "--est"]).arg(dir.path().join("two.txt")).arg("--gt").arg(dir.path().join("two.txt")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("only 2 poses"));
}

#[test]
fn eval_cloud_json_keys() {
    let dir = tempfile::tempdir().unwrap();
    let mut ply = String::from("ply\nformat ascii 1.0\nelement vertex 27\nproperty float x\nproperty float y\nproperty float z\nend_header\n");
    for i in 0..27 {
        ply += &format!("{} {} {}\n", (i % 3) as f32 * 0.1, ((i / 3) % 3) as f32 * 0.1, (i / 9) as f32 * 0.1);
    }
    write(&dir.path().join("a.ply"), &ply);
    let out = bin().args(["eval", "cloud", "--json", "--pred"]).arg(dir.path().join("a.ply")).arg("--gt").arg(dir.path().join("a.ply")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["fscore"], 1.0);
    assert_eq!(j["tau"], 0.05);
    for k in ["accuracy_median", "completeness_median", "chamfer"] {
        assert_eq!(j[k], 0.0, "{k}");
    }
    let out = bin().args(["eval", "cloud", "--pred"]).arg(dir.path().join("a.ply")).arg("--gt").arg(dir.path().join("missing.ply")).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn eval_cloud_aligned_by_trajectory_scores_in_the_truth_frame_and_names_empty_clouds() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Truth: a 3x3x3 grid; prediction: the same grid in a frame shifted by
    // (1, 0, 0) and scaled by 2, with its trajectory in that frame too.
    let header = |n: usize| format!("ply\nformat ascii 1.0\nelement vertex {n}\nproperty float x\nproperty float y\nproperty float z\nend_header\n");
    let (mut gt, mut pred) = (header(27), header(27));
    for i in 0..27 {
        let p = [(i % 3) as f64 * 0.1, ((i / 3) % 3) as f64 * 0.1, (i / 9) as f64 * 0.1];
        gt += &format!("{} {} {}\n", p[0], p[1], p[2]);
        pred += &format!("{} {} {}\n", 2.0 * p[0] + 1.0, 2.0 * p[1], 2.0 * p[2]);
    }
    let (mut gt_traj, mut pred_traj) = (String::new(), String::new());
    for i in 0..10 {
        let (x, y) = (0.1 * i as f64, 0.05 * (i * i) as f64);
        gt_traj += &format!("{} {x} {y} 1.5 0 0 0 1\n", i as f64 / 30.0);
        pred_traj += &format!("{} {} {} 3 0 0 0 1\n", i as f64 / 30.0, 2.0 * x + 1.0, 2.0 * y);
    }
    for (name, text) in [("gt.ply", gt), ("pred.ply", pred), ("gt.txt", gt_traj), ("pred.txt", pred_traj), ("empty.ply", header(0))] {
        write(&d.join(name), &text);
    }
    let run = |pred: &str| bin().args(["eval", "cloud", "--json", "--pred"]).arg(d.join(pred)).arg("--gt").arg(d.join("gt.ply")).arg("--pred-traj").arg(d.join("pred.txt")).arg("--gt-traj").arg(d.join("gt.txt")).output().unwrap();
    let out = run("pred.ply");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(j["accuracy_median"].as_f64().unwrap() < 1e-5, "{j}");
    assert_eq!(j["fscore"], 1.0);
    let out = run("empty.ply");
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("empty.ply") && err.contains("no points with finite coordinates"), "{err}");
}

#[test]
fn bench_synthetic_oracle_is_perfect_and_bad_manifests_exit_1() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("eval/benchmarks/synthetic.toml");
    let out = bin().args(["bench", "-q", "--json"]).arg(&manifest).arg("--out").arg(dir.path()).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(j["cases"], 20);
    assert_eq!(j["layout"]["mean_layout"]["f1@0.5"], 1.0);
    assert_eq!(j["layout"]["mean_objects"]["f1@0.5"], 1.0);
    assert!(dir.path().join("synthetic.md").is_file() && dir.path().join("synthetic.json").is_file());
    let bad = dir.path().join("bad.toml");
    write(&bad, "name = \"b\"\nstage = \"oracle\"\nmetrics = [\"layout\"]\n[synthetic]\nseeds = [0, 10]\n");
    let out = bin().arg("bench").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("below 1000000"));
    write(&bad, "name = \"b\"\nstage = \"solve\"\nmetrics = [\"layout\"]\n[synthetic]\nseeds = [1000000, 1000001]\n");
    let out = bin().arg("bench").arg(&bad).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("stage \"solve\" is not available"));
}
