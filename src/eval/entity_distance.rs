//! SceneScript-style entity-distance F1: entities are compared by their
//! corners, a pair's distance is the largest corner-to-corner distance (under
//! the best corner correspondence the entity's symmetry allows), and a pair
//! matches when that distance is within a threshold. Stricter than IoU: a
//! wall 30 cm too long fails at 25 cm however much it overlaps.

use super::layout_f1::{counts_at, layout_quads, EvalClass, Quad, SceneCounts};
use super::scene::EvalScene;
use crate::geom::boxes::YawBox;
use crate::layout::BenchmarkClass;
use nalgebra::Vector3;

/// The thresholds SceneScript reports, in centimetres.
pub const REPORTED_CM: [u32; 3] = [5, 10, 25];

/// The averaged F1 runs over thresholds 1, 2, …, this many centimetres.
pub const AVERAGE_UP_TO_CM: u32 = 100;

/// Distance thresholds in metres: 0.01, 0.02, …, 1.00.
pub fn thresholds_m() -> Vec<f64> {
    (1..=AVERAGE_UP_TO_CM).map(|cm| f64::from(cm) / 100.0).collect()
}

/// Index of a whole-centimetre threshold in [`thresholds_m`].
pub fn index_of_cm(cm: u32) -> usize {
    cm.saturating_sub(1) as usize
}

fn max_corner_distance(a: &[Vector3<f64>], b: &[Vector3<f64>], order: &[usize]) -> f64 {
    a.iter().zip(order).map(|(p, &j)| b.get(j).map_or(f64::INFINITY, |q| (p - q).norm())).fold(0.0, f64::max)
}

/// Entity distance of two quads: the max corner distance, with the quad
/// also tried reversed (a wall a→b is the wall b→a).
pub fn quad_distance(a: &Quad, b: &Quad) -> f64 {
    max_corner_distance(a, b, &[0, 1, 2, 3]).min(max_corner_distance(a, b, &[1, 0, 3, 2]))
}

/// The 8 corners of a box: bottom footprint then top footprint.
pub fn box_corners(b: &YawBox) -> [Vector3<f64>; 8] {
    let f = b.footprint();
    let [z0, z1] = b.z_range();
    let c = |i: usize, z: f64| Vector3::new(f[i % 4][0], f[i % 4][1], z);
    [c(0, z0), c(1, z0), c(2, z0), c(3, z0), c(0, z1), c(1, z1), c(2, z1), c(3, z1)]
}

/// Entity distance of two boxes: max corner distance, minimised over the
/// four cyclic relabellings of the footprint (a box rotated by 90° with its
/// x/y extents swapped is the same box).
pub fn box_distance(a: &YawBox, b: &YawBox) -> f64 {
    let (ca, cb) = (box_corners(a), box_corners(b));
    (0..4)
        .map(|s| {
            let order: Vec<usize> = (0..8).map(|i| (i / 4) * 4 + (i % 4 + s) % 4).collect();
            max_corner_distance(&ca, &cb, &order)
        })
        .fold(f64::INFINITY, f64::min)
}

/// Distance-based counts of every class in one scene, one entry per
/// threshold of [`thresholds_m`].
pub fn score_scene(pred: &EvalScene, gt: &EvalScene) -> SceneCounts {
    let t = thresholds_m();
    let pq = layout_quads(pred);
    let gq = layout_quads(gt);
    let mut out = SceneCounts::new();
    for class in EvalClass::LAYOUT {
        let p: Vec<&Quad> = pq.iter().filter(|(c, _)| *c == class).map(|(_, q)| q).collect();
        let g: Vec<&Quad> = gq.iter().filter(|(c, _)| *c == class).map(|(_, q)| q).collect();
        let d: Vec<f64> = p.iter().flat_map(|a| g.iter().map(move |b| quad_distance(a, b))).collect();
        out.insert(class, counts_at(p.len(), g.len(), &d, &t, false));
    }
    for b in BenchmarkClass::ALL {
        let of = |s: &EvalScene| -> Vec<YawBox> { s.objects.iter().filter(|o| o.class == b).map(|o| o.bbox).collect() };
        let (p, g) = (of(pred), of(gt));
        let d: Vec<f64> = p.iter().flat_map(|x| g.iter().map(move |y| box_distance(x, y))).collect();
        out.insert(EvalClass::Object(b), counts_at(p.len(), g.len(), &d, &t, false));
    }
    out
}
