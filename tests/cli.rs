//! The command-line contract: exit codes, round trips, messages.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_roomscribe"))
}

fn fixture(p: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(p)
}

fn run(args: &[&str]) -> Output {
    bin().args(args).output().expect("spawn roomscribe")
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

/// Every number of a layout, in entity order, and the kind/class names.
fn values(l: &roomscribe::layout::Layout) -> (Vec<f64>, Vec<String>) {
    let mut v = Vec::new();
    let mut names = Vec::new();
    for w in &l.walls {
        v.extend(w.a);
        v.extend(w.b);
        v.extend([w.height, w.thickness, w.id as f64]);
    }
    for o in &l.openings {
        v.extend(o.center);
        v.extend([o.width, o.height, o.wall as f64, o.id as f64]);
        names.push(o.kind.name().to_string());
    }
    for o in &l.objects {
        v.extend(o.center);
        v.extend(o.size);
        v.extend([o.yaw, o.id as f64]);
        names.push(o.class.name().into_owned());
    }
    (v, names)
}

#[test]
fn spatiallm_quirks_round_trip_through_json() {
    let d = tmp();
    let json = d.path().join("q.json");
    let back = d.path().join("q.txt");
    let o = run(&["convert", s(&fixture("spatiallm/quirks.txt")), "-o", s(&json)]);
    assert!(o.status.success(), "{}", stderr(&o));
    // The malformed and truncated lines are named in warnings.
    let e = stderr(&o);
    assert!(e.contains("line 7") && e.contains("line 14") && e.contains("line 15"), "{e}");
    let o = run(&["convert", s(&json), "-o", s(&back)]);
    assert!(o.status.success(), "{}", stderr(&o));

    let (orig, _) = roomscribe::layout::Layout::read(&fixture("spatiallm/quirks.txt")).unwrap();
    let (round, w) = roomscribe::layout::Layout::read(&back).unwrap();
    assert!(w.is_empty(), "{w:?}");
    let (a, an) = values(&orig);
    let (b, bn) = values(&round);
    assert_eq!(an, bn);
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert!((x - y).abs() <= 1e-9, "{x} vs {y}");
    }
    assert_eq!(orig.counts().walls, 4);
    assert_eq!(orig.counts().windows, 1);
    assert_eq!(orig.objects.len(), 6);
    // The door was written against wall_1 and lies on the second wall.
    assert_eq!(round.openings[0].wall, 1);
    let text = std::fs::read_to_string(&back).unwrap();
    assert!(text.contains("2.9600000000000004") && text.contains("Bbox(hammock,"), "{text}");
}

#[test]
fn clean_spatiallm_file_round_trips_byte_for_byte() {
    let d = tmp();
    let json = d.path().join("r.json");
    let txt = d.path().join("r.txt");
    assert!(run(&["convert", "--strict", s(&fixture("spatiallm/room.txt")), "-o", s(&json)]).status.success());
    assert!(run(&["convert", s(&json), "-o", s(&txt)]).status.success());
    assert_eq!(
        std::fs::read_to_string(fixture("spatiallm/room.txt")).unwrap(),
        std::fs::read_to_string(&txt).unwrap()
    );
    // And JSON -> JSON is byte-identical too.
    let json2 = d.path().join("r2.json");
    assert!(run(&["convert", s(&json), "-o", s(&json2)]).status.success());
    assert_eq!(std::fs::read(&json).unwrap(), std::fs::read(&json2).unwrap());
}

#[test]
fn strict_mode_names_the_line() {
    let d = tmp();
    let o = run(&["convert", "--strict", s(&fixture("spatiallm/quirks.txt")), "-o", s(&d.path().join("x.json"))]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert!(e.contains("quirks.txt") && e.contains("line 7"), "{e}");
    assert!(!d.path().join("x.json").exists(), "no half-written output");
}

#[test]
fn validate_exit_codes() {
    let o = run(&["validate", s(&fixture("spatiallm/room.txt"))]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let d = tmp();
    let bad = d.path().join("bad.txt");
    std::fs::write(&bad, "wall_0=Wall(0.0,0.0,0.0,0.0,0.0,0.0,2.7,0.0)\ndoor_0=Door(wall_5,1.0,0.0,1.0,0.9,2.0)\n").unwrap();
    let o = run(&["validate", "--json", s(&bad)]);
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["valid"], false);
    let rules: Vec<&str> = v["violations"].as_array().unwrap().iter().map(|x| x["rule"].as_str().unwrap()).collect();
    assert!(rules.contains(&"short_wall") && rules.contains(&"missing_host_wall"), "{rules:?}");
}

#[test]
fn info_on_a_layout_counts_entities() {
    let o = run(&["info", "--json", s(&fixture("spatiallm/room.txt"))]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["walls"], 4);
    assert_eq!(v["doors"], 1);
    assert_eq!(v["windows"], 1);
    assert_eq!(v["objects"], 5);
}

#[test]
fn usage_errors_exit_2_and_bad_inputs_exit_1() {
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(run(&["convert"]).status.code(), Some(2));
    assert_eq!(run(&["--help"]).status.code(), Some(0));
    let o = run(&["info", "/nonexistent/scan.ply"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("/nonexistent/scan.ply"), "{}", stderr(&o));
    let d = tmp();
    let o = run(&["convert", s(&fixture("spatiallm/room.txt")), "-o", s(&d.path().join("x.xml"))]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("x.xml"), "{}", stderr(&o));
    let garbage = d.path().join("g.json");
    std::fs::write(&garbage, "{\"schema\": \"roomscribe.layout/1\", \"walls\": [oops]}").unwrap();
    let o = run(&["validate", s(&garbage)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("line 1"), "{}", stderr(&o));
}

#[test]
fn doctor_finds_the_provisioned_runtime() {
    let o = run(&["doctor", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    if cfg!(feature = "onnx") {
        assert_eq!(o.status.code(), Some(0), "{v}");
        assert_eq!(v["onnxruntime"]["ok"], true);
    } else {
        assert_eq!(o.status.code(), Some(1));
    }
    // A wrong ORT_DYLIB_PATH is named in the error.
    let o = bin().args(["doctor", "--json"]).env("ORT_DYLIB_PATH", "/nonexistent/libort.so").output().unwrap();
    assert_eq!(o.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    if cfg!(feature = "onnx") {
        assert!(v["onnxruntime"]["error"].as_str().unwrap().contains("/nonexistent/libort.so"), "{v}");
    }
}

#[test]
fn error_chains_do_not_repeat_themselves() {
    let o = run(&["validate", "/nonexistent/layout.json"]);
    assert_eq!(o.status.code(), Some(1));
    let e = stderr(&o);
    assert_eq!(e.matches("No such file").count(), 1, "{e}");
    assert!(e.contains("/nonexistent/layout.json"), "{e}");
}

#[test]
fn run_on_a_cloud_writes_the_cloud_and_says_where_it_stopped() {
    let d = tmp();
    let ply = d.path().join("in.ply");
    let cloud = roomscribe::cloud::PointCloud {
        points: (0..100).map(|i| [i as f32 * 0.01, 0.5, 1.0]).collect(),
        colors: None,
        normals: None,
    };
    roomscribe::cloud::write_ply(&ply, &cloud, roomscribe::cloud::PlyEncoding::Ascii).unwrap();
    let out = d.path().join("out");
    let o = run(&["run", s(&ply), "-o", s(&out)]);
    // No layout model ships yet: the run stops after the cloud, says so, and exits 1.
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("no layout model"), "{}", stderr(&o));
    let back = roomscribe::cloud::read_ply(&out.join("scan.ply")).unwrap();
    assert_eq!(back.cloud.points, cloud.points);
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(out.join("report.json")).unwrap()).unwrap();
    assert_eq!(report["complete"], false);
    assert_eq!(report["stages"][0]["stage"], "read_cloud");
    assert_eq!(report["stages"][1]["status"], "unavailable");
    assert!(!out.join("layout.json").exists());

    let o = run(&["run", s(&fixture("spatiallm/room.txt")), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("roomscribe solve"), "{}", stderr(&o));
}

#[test]
fn raw_model_output_fixture_is_invalid_until_solved() {
    let raw = fixture("spatiallm/raw_model_output.txt");
    assert_eq!(run(&["validate", s(&raw)]).status.code(), Some(1));
    let d = tmp();
    let out = d.path().join("solved.json");
    let o = run(&["solve", s(&raw), "-o", s(&out)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(run(&["validate", s(&out)]).status.code(), Some(0));
    let svg = d.path().join("plan.svg");
    assert!(run(&["convert", s(&out), "-o", s(&svg)]).status.success());
    assert!(std::fs::read_to_string(&svg).unwrap().contains("<title>door_0</title>"));
}

#[test]
fn solve_with_a_cloud_refits_walls_and_reports_each_move() {
    use roomscribe::layout::{Layout, Wall};
    let d = tmp();
    // A 5 x 4 room whose bottom wall was decoded 8 cm off its true line (y = 0).
    let wall = |id, a: [f64; 2], b: [f64; 2]| Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height: 2.7, thickness: 0.1 };
    let mut l = Layout::new();
    l.walls = vec![wall(0, [0.0, 0.08], [5.0, 0.08]), wall(1, [5.0, 0.08], [5.0, 4.0]), wall(2, [5.0, 4.0], [0.0, 4.0]), wall(3, [0.0, 4.0], [0.0, 0.08])];
    let layout = d.path().join("room.json");
    l.write(&layout).unwrap();
    // Inner faces of the true room, on a 5 cm grid, alternating ±1 cm.
    let mut pts = Vec::new();
    for k in 0..100 {
        for j in 0..54 {
            let (t, z, e) = (k as f32 * 0.05, 0.05 + j as f32 * 0.05, if (k + j) % 2 == 0 { 0.01 } else { -0.01 });
            pts.push([t, 0.05 + e, z]);
            pts.push([t, 3.95 + e, z]);
            if t <= 4.0 {
                pts.push([0.05 + e, t, z]);
                pts.push([4.95 + e, t, z]);
            }
        }
    }
    let ply = d.path().join("scan.ply");
    roomscribe::cloud::write_ply(&ply, &roomscribe::cloud::PointCloud::from_points(pts), roomscribe::cloud::PlyEncoding::BinaryLittleEndian).unwrap();
    let (out, rep) = (d.path().join("out.json"), d.path().join("report.json"));
    let o = run(&["solve", s(&layout), "--cloud", s(&ply), "-o", s(&out), "--report", s(&rep)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let (solved, _) = Layout::read(&out).unwrap();
    let y = solved.walls[0].a[1];
    assert!(y.abs() < 0.005, "wall_0 at y = {y}");
    let report: serde_json::Value = serde_json::from_slice(&std::fs::read(&rep).unwrap()).unwrap();
    let refits: Vec<&serde_json::Value> = report["changes"].as_array().unwrap().iter().filter(|c| c["pass"] == "refine").collect();
    assert!(refits.iter().any(|c| c["entity"]["id"] == 0 && (c["moved"].as_f64().unwrap() - 0.08).abs() < 0.005), "{refits:?}");
}
