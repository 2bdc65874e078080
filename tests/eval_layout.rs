//! Hand-computed layout and object F1 cases (issue 4's list).

use roomscribe::eval::layout_f1::{box_iou, quad_iou, score_scene, wall_quad, EvalClass, LayoutMetricConfig};
use roomscribe::eval::scene::ClassedBox;
use roomscribe::eval::{evaluate_layouts, EvalScene};
use roomscribe::geom::boxes::YawBox;
use roomscribe::layout::{BenchmarkClass, Opening, OpeningKind, Wall};

const H: f64 = 2.5;

fn wall(id: u32, a: [f64; 2], b: [f64; 2], height: f64) -> Wall {
    Wall { id, a: [a[0], a[1], 0.0], b: [b[0], b[1], 0.0], height, thickness: 0.0 }
}

fn walls(ws: Vec<Wall>) -> EvalScene {
    EvalScene { walls: ws, ..Default::default() }
}

fn iou_of(pred: &Wall, gt: &Wall, cfg: &LayoutMetricConfig) -> f64 {
    quad_iou(&wall_quad(pred), &wall_quad(gt), cfg)
}

fn f1s(pred: &EvalScene, gt: &EvalScene, cfg: &LayoutMetricConfig, class: EvalClass) -> (f64, f64) {
    let c = score_scene(pred, gt, cfg);
    let v = &c[&class];
    (v[0].f1(), v[1].f1())
}

fn rotated_about_centre(deg: f64) -> Wall {
    let t = deg.to_radians();
    let (c, s) = (2.0 * t.cos(), 2.0 * t.sin());
    wall(0, [2.0 - c, -s], [2.0 + c, s], H)
}

#[test]
fn walls_identical_shifted_rotated() {
    let cfg = LayoutMetricConfig::default();
    let gt = wall(0, [0.0, 0.0], [4.0, 0.0], H);
    assert!((iou_of(&gt, &gt, &cfg) - 1.0).abs() < 1e-12);
    // Shifted 1 m along itself: 3 m of 5 m overlap.
    let shifted = wall(0, [1.0, 0.0], [5.0, 0.0], H);
    assert!((iou_of(&shifted, &gt, &cfg) - 0.6).abs() < 1e-12);
    assert_eq!(f1s(&walls(vec![shifted]), &walls(vec![gt.clone()]), &cfg, EvalClass::Wall), (1.0, 1.0));
    // Shifted 2.5 m: 1.5 of 6.5.
    let far = wall(0, [2.5, 0.0], [6.5, 0.0], H);
    assert!((iou_of(&far, &gt, &cfg) - 1.5 / 6.5).abs() < 1e-12);
    assert_eq!(f1s(&walls(vec![far]), &walls(vec![gt.clone()]), &cfg, EvalClass::Wall), (0.0, 0.0));
    // Rotated 3° about its centre: parallel within 5°, plane offset
    // 2 sin 3° = 0.105 m, projection 4 cos 3° long inside the GT quad.
    let r3 = rotated_about_centre(3.0);
    assert!((iou_of(&r3, &gt, &cfg) - 3f64.to_radians().cos()).abs() < 1e-12);
    // Rotated 10°: not parallel.
    assert_eq!(iou_of(&rotated_about_centre(10.0), &gt, &cfg), 0.0);
    assert_eq!(f1s(&walls(vec![rotated_about_centre(10.0)]), &walls(vec![gt]), &cfg, EvalClass::Wall), (0.0, 0.0));
}

#[test]
fn wall_plane_offsets_and_the_signed_quirk() {
    let cfg = LayoutMetricConfig::default();
    let compat = LayoutMetricConfig { spatiallm_compat: true, ..Default::default() };
    let gt = wall(0, [0.0, 0.0], [4.0, 0.0], H);
    // Wall a→b along +x has normal −y; offset = dot(gt0 − pred0, n̂) = pred y.
    for (y, default_iou, compat_iou) in [(0.1, 1.0, 1.0), (-0.1, 1.0, 1.0), (0.3, 0.0, 0.0), (-0.3, 0.0, 1.0)] {
        let p = wall(0, [0.0, y], [4.0, y], H);
        assert!((iou_of(&p, &gt, &cfg) - default_iou).abs() < 1e-12, "y={y}");
        assert!((iou_of(&p, &gt, &compat) - compat_iou).abs() < 1e-12, "compat y={y}");
    }
}

#[test]
fn walls_partial_overlap_in_height_and_length() {
    let cfg = LayoutMetricConfig::default();
    let gt = wall(0, [0.0, 0.0], [4.0, 0.0], H);
    // 3 m × 1.25 m overlap; union 10 + 5 − 3.75.
    let p = wall(0, [1.0, 0.0], [5.0, 0.0], H / 2.0);
    assert!((iou_of(&p, &gt, &cfg) - 3.75 / 11.25).abs() < 1e-12);
    assert_eq!(f1s(&walls(vec![p]), &walls(vec![gt.clone()]), &cfg, EvalClass::Wall), (1.0, 0.0));
    // Reversed wall (b→a): same quad, opposite normal, still parallel.
    let rev = wall(0, [4.0, 0.0], [0.0, 0.0], H);
    assert!((iou_of(&rev, &gt, &cfg) - 1.0).abs() < 1e-12);
    // Degenerate walls are dropped.
    let dot = wall(1, [1.0, 1.0], [1.0, 1.0 + 1e-7], H);
    let c = score_scene(&walls(vec![gt.clone(), dot]), &walls(vec![gt]), &cfg);
    assert_eq!((c[&EvalClass::Wall][0].num_pred, c[&EvalClass::Wall][0].tp), (1, 1));
}

fn door(id: u32, wall: u32, center: [f64; 3]) -> Opening {
    Opening { id, kind: OpeningKind::Door, wall, center, width: 0.9, height: 2.0 }
}

#[test]
fn doors_on_different_walls() {
    let cfg = LayoutMetricConfig::default();
    let room = vec![
        wall(0, [0.0, 0.0], [4.0, 0.0], H),
        wall(1, [4.0, 0.0], [4.0, 3.0], H),
        wall(2, [4.0, 3.0], [0.0, 3.0], H),
    ];
    let gt = EvalScene { walls: room.clone(), openings: vec![door(0, 0, [2.0, 0.0, 1.0])], objects: vec![] };
    let same = EvalScene { walls: room.clone(), openings: vec![door(0, 0, [2.0, 0.0, 1.0])], objects: vec![] };
    assert_eq!(f1s(&same, &gt, &cfg, EvalClass::Door), (1.0, 1.0));
    // Perpendicular wall: normals 90° apart.
    let perp = EvalScene { walls: room.clone(), openings: vec![door(0, 1, [4.0, 1.5, 1.0])], objects: vec![] };
    assert_eq!(f1s(&perp, &gt, &cfg, EvalClass::Door), (0.0, 0.0));
    // Opposite wall, 3 m away: parallel but far.
    let opp = EvalScene { walls: room.clone(), openings: vec![door(0, 2, [2.0, 3.0, 1.0])], objects: vec![] };
    assert_eq!(f1s(&opp, &gt, &cfg, EvalClass::Door), (0.0, 0.0));
    // Slid 0.3 m along the wall: overlap 0.6 of 1.2 → IoU 0.5 (≥ 0.5 but
    // not > 0.5: the assignment cost is 1e6, yet the pair is assigned and
    // counts, as in SpatialLM).
    let slid = EvalScene { walls: room.clone(), openings: vec![door(0, 0, [2.3, 0.0, 1.0])], objects: vec![] };
    assert_eq!(f1s(&slid, &gt, &cfg, EvalClass::Door), (1.0, 1.0));
    // A door whose host wall is missing is dropped.
    let orphan = EvalScene { walls: room, openings: vec![door(0, 9, [2.0, 0.0, 1.0])], objects: vec![] };
    let c = score_scene(&orphan, &gt, &cfg);
    assert_eq!(c[&EvalClass::Door][0].num_pred, 0);
}

fn bx(center: [f64; 3], size: [f64; 3], yaw_deg: f64) -> YawBox {
    YawBox { center, size, yaw: yaw_deg.to_radians() }
}

#[test]
fn boxes_yaw_0_45_90_and_partial() {
    let cfg = LayoutMetricConfig::default();
    let a = bx([0.0, 0.0, 0.5], [2.0, 1.0, 1.0], 0.0);
    assert!((box_iou(&a, &a, &cfg) - 1.0).abs() < 1e-12);
    // 90°: a 2×1 and a 1×2 footprint share 1×1.
    assert!((box_iou(&a, &bx([0.0, 0.0, 0.5], [2.0, 1.0, 1.0], 90.0), &cfg) - 1.0 / 3.0).abs() < 1e-12);
    // 45° unit cubes: octagon 2(√2 − 1).
    let c = bx([0.0, 0.0, 0.5], [1.0; 3], 0.0);
    let i = 2.0 * (2f64.sqrt() - 1.0);
    assert!((box_iou(&c, &bx([0.0, 0.0, 0.5], [1.0; 3], 45.0), &cfg) - i / (2.0 - i)).abs() < 1e-12);
    // Half-shifted along x: 1×1×1 of 2 + 2 − 1.
    assert!((box_iou(&a, &bx([1.0, 0.0, 0.5], [2.0, 1.0, 1.0], 0.0), &cfg) - 1.0 / 3.0).abs() < 1e-12);
    // Minimum extent 0.1 m: two flat 1×1×0 boxes score as 1×1×0.1 boxes.
    let flat = bx([0.0, 0.0, 1.0], [1.0, 1.0, 0.0], 0.0);
    assert!((box_iou(&flat, &flat, &cfg) - 1.0).abs() < 1e-12);
}

#[test]
fn box_quirks_in_compat_mode() {
    let cfg = LayoutMetricConfig::default();
    let compat = LayoutMetricConfig { spatiallm_compat: true, ..Default::default() };
    // a spans z [0, 1], b spans [0.8, 1.2]: overlap 0.2, IoU 0.2 / 1.2.
    // The bbox package takes [cz − h, cz]: [−0.5, 0.5] and [0.6, 1.0], no overlap.
    let a = bx([0.0, 0.0, 0.5], [1.0; 3], 0.0);
    let b = bx([0.0, 0.0, 1.0], [1.0, 1.0, 0.4], 0.0);
    assert!((box_iou(&a, &b, &cfg) - 0.2 / 1.2).abs() < 1e-12);
    assert_eq!(box_iou(&a, &b, &compat), 0.0);
    // 5-decimal rounding.
    let r = bx([0.0, 0.0, 0.5], [2.0, 1.0, 1.0], 90.0);
    let w = bx([0.0, 0.0, 0.5], [2.0, 1.0, 1.0], 0.0);
    assert_eq!(box_iou(&w, &r, &compat), 0.33333);
}

fn objects(list: &[(BenchmarkClass, YawBox)]) -> EvalScene {
    EvalScene { objects: list.iter().map(|&(class, bbox)| ClassedBox { class, bbox }).collect(), ..Default::default() }
}

#[test]
fn empty_pred_empty_gt_and_aggregation() {
    let cfg = LayoutMetricConfig::default();
    let bed = bx([1.0, 1.0, 0.3], [2.0, 1.6, 0.6], 0.0);
    let chair = bx([3.0, 1.0, 0.4], [0.5, 0.5, 0.8], 0.0);
    let gt = objects(&[(BenchmarkClass::Bed, bed), (BenchmarkClass::Chair, chair)]);
    let empty = EvalScene::default();
    // Empty prediction: P = R = F1 = 0.
    let c = score_scene(&empty, &gt, &cfg);
    let bed_c = c[&EvalClass::Object(BenchmarkClass::Bed)][0];
    assert_eq!((bed_c.precision(), bed_c.recall(), bed_c.f1(), bed_c.masked()), (0.0, 0.0, 0.0, false));
    // Empty GT with predictions: also 0.
    let c = score_scene(&gt, &empty, &cfg);
    assert_eq!(c[&EvalClass::Object(BenchmarkClass::Chair)][0].f1(), 0.0);
    // Both empty: masked.
    assert!(score_scene(&empty, &empty, &cfg)[&EvalClass::Wall][0].masked());
    // Aggregation: scene 1 perfect, scene 2 misses the chair and has no bed
    // anywhere; bed is scored over 1 scene (1.0), chair over 2 (mean 0.5).
    let scene2_gt = objects(&[(BenchmarkClass::Chair, chair)]);
    let report = evaluate_layouts(
        &[("s1".into(), gt.clone(), gt.clone()), ("s2".into(), empty.clone(), scene2_gt)],
        &cfg,
    );
    let j = report.to_json();
    assert_eq!(j["scenes"], 2);
    assert_eq!(j["classes"]["bed"]["f1@0.25"], 1.0);
    assert_eq!(j["classes"]["bed"]["scenes_scored"], 1);
    assert_eq!(j["classes"]["chair"]["f1@0.5"], 0.5);
    assert_eq!(j["classes"]["chair"]["recall@0.5"], 0.5);
    assert_eq!(j["mean_objects"]["f1@0.25"], 0.75);
    assert!(j["mean_layout"].is_null());
    assert!(j["classes"].get("wall").is_none());
    assert_eq!(j["entity_distance"]["classes"]["bed"]["f1@5cm"], 1.0);
}

#[test]
fn entity_distance_thresholds() {
    let cfg = LayoutMetricConfig::default();
    let gt = walls(vec![wall(0, [0.0, 0.0], [4.0, 0.0], H)]);
    // Shifted 7 cm along itself: max corner distance 0.07 m.
    let pred = walls(vec![wall(0, [0.07, 0.0], [4.07, 0.0], H)]);
    let r = evaluate_layouts(&[("s".into(), pred, gt)], &cfg);
    let j = &r.to_json()["entity_distance"]["classes"]["wall"];
    assert_eq!(j["f1@5cm"], 0.0);
    assert_eq!(j["f1@10cm"], 1.0);
    assert_eq!(j["f1@25cm"], 1.0);
    // Matches from 7 cm on (thresholds 7..=100 of 100), up to float
    // rounding of 0.07 vs the threshold.
    let avg = j["f1_avg_1_100cm"].as_f64().unwrap();
    assert!((avg - 0.94).abs() < 0.0101, "{avg}");
}
