//! Agreement with an independent implementation: `eval/reference/
//! make_reference.py` scored random cases with shapely, scipy's
//! `linear_sum_assignment`, the `bbox` package and evo; its inputs and
//! outputs are committed, and these tests recompute everything in Rust.
//! Tolerance: 1e-6 absolute on every real number, exact on every count.

use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use roomscribe::cloud::PointCloud;
use roomscribe::eval::layout_f1::{box_iou, layout_quads, quad_iou, EvalClass, Quad};
use roomscribe::eval::layout_report::average_distance_f1;
use roomscribe::eval::scene::{benchmark_class_of, ClassedBox};
use roomscribe::eval::{evaluate_cloud, evaluate_layouts, evaluate_trajectory, Alignment, EvalScene, LayoutMetricConfig, TrajConfig};
use roomscribe::geom::boxes::YawBox;
use roomscribe::layout::{Opening, OpeningKind, Wall};
use roomscribe::trajectory::{StampedPose, Trajectory};
use serde_json::Value;

/// Largest allowed absolute difference from the Python reference.
const TOL: f64 = 1e-6;

fn load(name: &str) -> Value {
    let path = format!("{}/eval/reference/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn v3(v: &Value) -> [f64; 3] {
    [f(&v[0]), f(&v[1]), f(&v[2])]
}

fn scene(v: &Value) -> EvalScene {
    let walls = v["walls"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| Wall { id: w["id"].as_u64().unwrap() as u32, a: v3(&w["a"]), b: v3(&w["b"]), height: f(&w["height"]), thickness: 0.0 })
        .collect();
    let openings = v["openings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| Opening {
            id: o["id"].as_u64().unwrap() as u32,
            kind: if o["kind"] == "door" { OpeningKind::Door } else { OpeningKind::Window },
            wall: o["wall"].as_u64().unwrap() as u32,
            center: v3(&o["center"]),
            width: f(&o["width"]),
            height: f(&o["height"]),
        })
        .collect();
    let objects = v["objects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| ClassedBox {
            class: benchmark_class_of(o["class"].as_str().unwrap()).unwrap(),
            bbox: YawBox { center: v3(&o["center"]), size: v3(&o["size"]), yaw: f(&o["yaw"]) },
        })
        .collect();
    EvalScene { walls, openings, objects }
}

struct Diff {
    max: f64,
    what: String,
}

impl Diff {
    fn new() -> Diff {
        Diff { max: 0.0, what: String::new() }
    }
    fn check(&mut self, what: &str, ours: f64, theirs: f64) {
        let d = (ours - theirs).abs();
        assert!(d <= TOL, "{what}: ours {ours} vs reference {theirs}");
        if d > self.max {
            self.max = d;
            self.what = what.to_string();
        }
    }
}

fn check_layout(mode: &str, compat: bool) -> f64 {
    let cases = load("cases.json");
    let expected = load("expected.json");
    let exp = &expected[mode];
    let scenes: Vec<(String, EvalScene, EvalScene)> = cases["scenes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["name"].as_str().unwrap().to_string(), scene(&c["pred"]), scene(&c["gt"])))
        .collect();
    assert!(scenes.len() >= 30);
    let cfg = LayoutMetricConfig { spatiallm_compat: compat, ..Default::default() };
    let report = evaluate_layouts(&scenes, &cfg);
    let mut diff = Diff::new();
    // Per-scene counts, exactly.
    for (ours, theirs) in report.scenes.iter().zip(exp["per_scene"].as_array().unwrap()) {
        for (class, counts) in &ours.iou {
            let t = &theirs["iou"][class.name()];
            for (k, c) in counts.iter().enumerate() {
                let want = [t[k][0].as_u64().unwrap(), t[k][1].as_u64().unwrap(), t[k][2].as_u64().unwrap()];
                assert_eq!(
                    [c.tp as u64, c.num_pred as u64, c.num_gt as u64],
                    want,
                    "{mode} {} {} threshold {k}",
                    ours.name,
                    class.name()
                );
            }
        }
    }
    // Raw IoU matrices of the first scenes.
    let mut pairs = 0;
    for m in exp["iou_matrices"].as_array().unwrap() {
        let (_, pred, gt) = scenes.iter().find(|s| s.0 == m["name"].as_str().unwrap()).unwrap();
        let pq = layout_quads(pred);
        let gq = layout_quads(gt);
        for (class_name, rows) in m["matrices"].as_object().unwrap() {
            let rows = rows.as_array().unwrap();
            let ours: Vec<Vec<f64>> = match class_name.as_str() {
                "wall" | "door" | "window" => {
                    let of = |q: &Vec<(EvalClass, Quad)>| -> Vec<Quad> {
                        q.iter().filter(|(c, _)| c.name() == class_name).map(|(_, q)| *q).collect()
                    };
                    let (p, g) = (of(&pq), of(&gq));
                    p.iter().map(|a| g.iter().map(|b| quad_iou(a, b, &cfg)).collect()).collect()
                }
                _ => {
                    let of = |s: &EvalScene| -> Vec<YawBox> {
                        s.objects.iter().filter(|o| o.class.name() == class_name).map(|o| o.bbox).collect()
                    };
                    let (p, g) = (of(pred), of(gt));
                    p.iter().map(|a| g.iter().map(|b| box_iou(a, b, &cfg)).collect()).collect()
                }
            };
            assert_eq!(ours.len(), rows.len(), "{mode} {class_name} rows");
            for (i, row) in rows.iter().enumerate() {
                for (j, v) in row.as_array().unwrap().iter().enumerate() {
                    diff.check(&format!("{mode} {} {class_name} iou[{i}][{j}]", m["name"]), ours[i][j], f(v));
                    pairs += 1;
                }
            }
        }
    }
    assert!(pairs > 100, "only {pairs} IoU pairs compared");
    eprintln!("{mode}: {pairs} IoU pairs compared");
    // Per-class means.
    let classes = exp["classes"].as_object().unwrap();
    assert_eq!(report.classes.len(), classes.len(), "{mode}: classes present");
    for c in &report.classes {
        let t = &classes[c.class.name()];
        assert_eq!(c.scenes_scored as u64, t["scenes_scored"].as_u64().unwrap());
        for k in 0..2 {
            diff.check(&format!("{mode} {} f1[{k}]", c.class.name()), c.f1[k], f(&t["f1"][k]));
            diff.check(&format!("{mode} {} precision[{k}]", c.class.name()), c.precision[k], f(&t["precision"][k]));
            diff.check(&format!("{mode} {} recall[{k}]", c.class.name()), c.recall[k], f(&t["recall"][k]));
        }
    }
    for k in 0..2 {
        diff.check("mean_layout", report.mean_layout.as_ref().unwrap()[k], f(&exp["mean_layout"][k]));
        diff.check("mean_objects", report.mean_objects.as_ref().unwrap()[k], f(&exp["mean_objects"][k]));
    }
    // Entity distance.
    let ed = exp["entity_distance"].as_object().unwrap();
    assert_eq!(report.distance_classes.len(), ed.len());
    for c in &report.distance_classes {
        let t = &ed[c.class.name()];
        for (key, k) in [("f1@5cm", 4), ("f1@10cm", 9), ("f1@25cm", 24)] {
            diff.check(&format!("{mode} distance {} {key}", c.class.name()), c.f1[k], f(&t[key]));
        }
        diff.check(&format!("{mode} distance {} avg", c.class.name()), average_distance_f1(c), f(&t["f1_avg_1_100cm"]));
    }
    eprintln!("{mode}: max |ours − reference| = {:e} ({})", diff.max, diff.what);
    diff.max
}

#[test]
fn layout_f1_agrees_with_shapely_and_scipy() {
    check_layout("layout_default", false);
}

#[test]
fn layout_f1_compat_agrees_with_the_bbox_package() {
    check_layout("layout_compat", true);
}

fn traj(rows: &Value) -> Trajectory {
    Trajectory {
        poses: rows
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                let x: Vec<f64> = r.as_array().unwrap().iter().map(f).collect();
                StampedPose {
                    t: x[0],
                    world_from_camera: Isometry3::from_parts(
                        Translation3::new(x[1], x[2], x[3]),
                        UnitQuaternion::from_quaternion(Quaternion::new(x[7], x[4], x[5], x[6])),
                    ),
                }
            })
            .collect(),
    }
}

#[test]
fn trajectory_metrics_agree_with_evo() {
    let cases = load("cases.json");
    let expected = load("expected.json");
    let mut diff = Diff::new();
    let mut n = 0;
    for e in expected["traj"].as_array().unwrap() {
        let case = cases["trajectories"].as_array().unwrap().iter().find(|c| c["name"] == e["name"]).unwrap();
        let align = if e["align"] == "sim3" { Alignment::Sim3 } else { Alignment::Se3 };
        let r = evaluate_trajectory(&traj(&case["est"]), &traj(&case["gt"]), &TrajConfig { align, ..Default::default() }).unwrap();
        let name = format!("{} {}", e["name"], e["align"]);
        assert_eq!(r.matched as u64, e["matched"].as_u64().unwrap(), "{name}");
        for (key, ours) in [
            ("scale", r.scale),
            ("ate_rmse", r.ate_rmse),
            ("ate_mean", r.ate_mean),
            ("ate_median", r.ate_median),
            ("ate_max", r.ate_max),
            ("rpe_trans_rmse", r.rpe_trans_rmse),
            ("rpe_rot_rmse_deg", r.rpe_rot_rmse_deg),
            ("path_length", r.path_length),
        ] {
            diff.check(&format!("{name} {key}"), ours, f(&e[key]));
        }
        let cfg_m = TrajConfig { align, rpe_delta_m: Some(0.3), ..Default::default() };
        let rm = evaluate_trajectory(&traj(&case["est"]), &traj(&case["gt"]), &cfg_m).unwrap();
        diff.check(&format!("{name} rpe 0.3 m"), rm.rpe_trans_rmse, f(&e["rpe_trans_rmse_0.3m"]));
        diff.check(&format!("{name} rpe rot 0.3 m"), rm.rpe_rot_rmse_deg, f(&e["rpe_rot_rmse_deg_0.3m"]));
        n += 1;
    }
    assert!(n >= 20);
    eprintln!("traj: max |ours − evo| = {:e} ({})", diff.max, diff.what);
}

#[test]
fn cloud_metrics_agree_with_scipy() {
    let cases = load("cases.json");
    let expected = load("expected.json");
    let mut diff = Diff::new();
    let cloud = |v: &Value| PointCloud {
        points: v.as_array().unwrap().iter().map(|p| v3(p).map(|x| x as f32)).collect(),
        ..Default::default()
    };
    for e in expected["cloud"].as_array().unwrap() {
        let case = cases["clouds"].as_array().unwrap().iter().find(|c| c["name"] == e["name"]).unwrap();
        let r = evaluate_cloud(&cloud(&case["pred"]), &cloud(&case["gt"]), f(&case["tau"])).unwrap();
        for (key, ours) in [
            ("accuracy_median", r.accuracy_median),
            ("accuracy_mean", r.accuracy_mean),
            ("completeness_median", r.completeness_median),
            ("completeness_mean", r.completeness_mean),
            ("chamfer", r.chamfer),
            ("precision", r.precision),
            ("recall", r.recall),
            ("fscore", r.fscore),
        ] {
            diff.check(&format!("{} {key}", e["name"]), ours, f(&e[key]));
        }
    }
    eprintln!("cloud: max |ours − scipy| = {:e} ({})", diff.max, diff.what);
}
