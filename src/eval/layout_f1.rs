//! Layout and object F1 as SpatialLM's evaluation computes it (the version
//! after its 2025 door/window fix), with its two quirks available behind
//! [`LayoutMetricConfig::spatiallm_compat`]. See `eval/README.md` for the
//! exact definitions.

use super::assign::count_true_positives;
use super::scene::{ClassedBox, EvalScene};
use crate::geom::boxes::{iou_3d, iou_3d_with_z, YawBox};
use crate::geom::polygon::convex_iou;
use crate::layout::{BenchmarkClass, Opening, Wall};
use nalgebra::Vector3;
use serde::Serialize;

/// SpatialLM's parallel-plane tolerance: sin 5°.
pub fn default_parallel_tolerance() -> f64 {
    5f64.to_radians().sin()
}

/// Walls whose xy extent is at most this many metres are dropped (SpatialLM's
/// `ZERO_TOLERANCE`).
pub const ZERO_EXTENT: f64 = 1e-6;

/// Quads whose normal-length product is at most this are degenerate
/// (SpatialLM asserts there; we score the pair as IoU 0).
pub const DEGENERATE_NORMAL: f64 = 1e-6;

/// Decimals SpatialLM's box IoU (PyPI `bbox`) rounds to.
const BBOX_ROUND: f64 = 1e5;

/// A class the layout metrics score.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EvalClass {
    Wall,
    Door,
    Window,
    Object(BenchmarkClass),
}

impl EvalClass {
    /// The three layout classes.
    pub const LAYOUT: [EvalClass; 3] = [EvalClass::Wall, EvalClass::Door, EvalClass::Window];

    /// All 23 classes: walls, doors, windows, then the 20 benchmark object
    /// classes in SpatialLM's table order.
    pub fn all() -> Vec<EvalClass> {
        EvalClass::LAYOUT.into_iter().chain(BenchmarkClass::ALL.into_iter().map(EvalClass::Object)).collect()
    }

    /// Name as SpatialLM's tables and our JSON spell it.
    pub fn name(self) -> &'static str {
        match self {
            EvalClass::Wall => "wall",
            EvalClass::Door => "door",
            EvalClass::Window => "window",
            EvalClass::Object(b) => b.name(),
        }
    }

    /// True for wall, door and window.
    pub fn is_layout(self) -> bool {
        !matches!(self, EvalClass::Object(_))
    }
}

/// Settings of the layout metrics; `Default` is SpatialLM's protocol with
/// correct geometry.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutMetricConfig {
    /// IoU thresholds (SpatialLM: 0.25 and 0.5).
    pub iou_thresholds: Vec<f64>,
    /// Candidate pairs need |n_pred × n_gt| / (|n_pred| |n_gt|) below this (sin 5°).
    pub parallel_tolerance: f64,
    /// Candidate pairs need the plane offset below this, metres (0.2).
    pub plane_distance: f64,
    /// Box extents are raised to at least this, metres (0.1).
    pub min_box_size: f64,
    /// Reproduce SpatialLM's published script exactly: signed plane offset,
    /// box vertical extent [cz − h, cz], box IoU rounded to 5 decimals.
    pub spatiallm_compat: bool,
}

impl Default for LayoutMetricConfig {
    fn default() -> Self {
        LayoutMetricConfig {
            iou_thresholds: vec![0.25, 0.5],
            parallel_tolerance: default_parallel_tolerance(),
            plane_distance: 0.2,
            min_box_size: 0.1,
            spatiallm_compat: false,
        }
    }
}

/// A vertical quad: 4 corners in order (bottom-start, bottom-end, top-end,
/// top-start).
pub type Quad = [Vector3<f64>; 4];

/// True when a wall's xy extent exceeds [`ZERO_EXTENT`] on some axis.
pub fn wall_is_valid(w: &Wall) -> bool {
    (w.b[0] - w.a[0]).abs() > ZERO_EXTENT || (w.b[1] - w.a[1]).abs() > ZERO_EXTENT
}

/// The wall's quad (a, b, b + height, a + height).
pub fn wall_quad(w: &Wall) -> Quad {
    let a = Vector3::from(w.a);
    let b = Vector3::from(w.b);
    let up = Vector3::new(0.0, 0.0, w.height);
    [a, b, b + up, a + up]
}

/// An opening's quad: its centre ± width/2 along the host wall's unit xy
/// direction and ± height/2 vertically.
pub fn opening_quad(o: &Opening, host: &Wall) -> Quad {
    let dir = host.direction_xy().unwrap_or([0.0, 0.0]);
    let c = Vector3::from(o.center);
    let half = 0.5 * Vector3::new(dir[0] * o.width, dir[1] * o.width, o.height);
    let s = c - half;
    let e = c + half;
    [s, Vector3::new(e.x, e.y, s.z), e, Vector3::new(s.x, s.y, e.z)]
}

/// The scored layout quads of a scene, by class: valid walls, then openings
/// whose host wall exists and is valid.
pub fn layout_quads(scene: &EvalScene) -> Vec<(EvalClass, Quad)> {
    let mut out: Vec<(EvalClass, Quad)> =
        scene.walls.iter().filter(|w| wall_is_valid(w)).map(|w| (EvalClass::Wall, wall_quad(w))).collect();
    for o in &scene.openings {
        // Like SpatialLM's id lookup, the last wall with the id wins.
        let Some(host) = scene.walls.iter().rev().find(|w| w.id == o.wall) else { continue };
        if !wall_is_valid(host) {
            continue;
        }
        let class = match o.kind {
            crate::layout::OpeningKind::Door => EvalClass::Door,
            crate::layout::OpeningKind::Window => EvalClass::Window,
        };
        out.push((class, opening_quad(o, host)));
    }
    out
}

fn normal(q: &Quad) -> Vector3<f64> {
    (q[1] - q[0]).cross(&(q[2] - q[0]))
}

/// True when the pred quad's plane is parallel to the GT quad's within the
/// tolerance and close enough (SpatialLM's candidate test).
pub fn planes_parallel_and_close(pred: &Quad, gt: &Quad, cfg: &LayoutMetricConfig) -> bool {
    let n1 = normal(pred);
    let n2 = normal(gt);
    let (l1, l2) = (n1.norm(), n2.norm());
    if l1 * l2 <= DEGENERATE_NORMAL || !(l1 * l2).is_finite() {
        return false;
    }
    let sin = n1.cross(&n2).norm() / (l1 * l2);
    let offset = (gt[0] - pred[0]).dot(&n1) / l1;
    let offset = if cfg.spatiallm_compat { offset } else { offset.abs() };
    sin < cfg.parallel_tolerance && offset < cfg.plane_distance
}

/// IoU of two quads projected into the GT quad's plane basis (u along GT
/// corner 0→1, v along 0→3 orthogonalized), 0 when they are not candidates.
pub fn quad_iou(pred: &Quad, gt: &Quad, cfg: &LayoutMetricConfig) -> f64 {
    if !planes_parallel_and_close(pred, gt, cfg) {
        return 0.0;
    }
    let e1 = gt[1] - gt[0];
    let Some(u) = e1.try_normalize(0.0) else { return 0.0 };
    let e3 = gt[3] - gt[0];
    let Some(v) = (e3 - e3.dot(&u) * u).try_normalize(0.0) else { return 0.0 };
    let project = |q: &Quad| q.map(|p| [(p - gt[0]).dot(&u), (p - gt[0]).dot(&v)]);
    convex_iou(&project(pred), &project(gt))
}

/// Box IoU as scored: extents clamped to `min_box_size`; in compat mode the
/// `bbox`-package geometry (vertical extent [cz − h, cz]) rounded to 5
/// decimals.
pub fn box_iou(pred: &YawBox, gt: &YawBox, cfg: &LayoutMetricConfig) -> f64 {
    let a = pred.with_min_size(cfg.min_box_size);
    let b = gt.with_min_size(cfg.min_box_size);
    if cfg.spatiallm_compat {
        let za = [a.center[2] - a.size[2], a.center[2]];
        let zb = [b.center[2] - b.size[2], b.center[2]];
        let iou = iou_3d_with_z(&a, &b, za, zb);
        (iou * BBOX_ROUND).round_ties_even() / BBOX_ROUND
    } else {
        iou_3d(&a, &b)
    }
}

/// True positives, predictions and ground truths of one class in one scene
/// at one threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Counts {
    pub tp: usize,
    pub num_pred: usize,
    pub num_gt: usize,
}

impl Counts {
    /// TP / #pred, 0 without predictions.
    pub fn precision(&self) -> f64 {
        if self.num_pred > 0 {
            self.tp as f64 / self.num_pred as f64
        } else {
            0.0
        }
    }

    /// TP / #GT, 0 without ground truth.
    pub fn recall(&self) -> f64 {
        if self.num_gt > 0 {
            self.tp as f64 / self.num_gt as f64
        } else {
            0.0
        }
    }

    /// 2PR / (P + R), 0 when P + R = 0.
    pub fn f1(&self) -> f64 {
        let (p, r) = (self.precision(), self.recall());
        if p + r > 0.0 {
            2.0 * p * r / (p + r)
        } else {
            0.0
        }
    }

    /// Empty on both sides: the scene is skipped for this class.
    pub fn masked(&self) -> bool {
        self.num_pred == 0 && self.num_gt == 0
    }
}

/// Per-class counts of one scene, one entry per threshold.
pub type SceneCounts = std::collections::BTreeMap<EvalClass, Vec<Counts>>;

/// Counts for a class from a score matrix (`rows = pred`, `cols = GT`).
pub(crate) fn counts_at(n_pred: usize, n_gt: usize, scores: &[f64], thresholds: &[f64], higher_is_better: bool) -> Vec<Counts> {
    thresholds
        .iter()
        .map(|&t| Counts {
            tp: if n_pred == 0 || n_gt == 0 { 0 } else { count_true_positives(n_pred, n_gt, t, higher_is_better, scores) },
            num_pred: n_pred,
            num_gt: n_gt,
        })
        .collect()
}

/// IoU-based counts of every class in one scene.
pub fn score_scene(pred: &EvalScene, gt: &EvalScene, cfg: &LayoutMetricConfig) -> SceneCounts {
    let pq = layout_quads(pred);
    let gq = layout_quads(gt);
    let mut out = SceneCounts::new();
    for class in EvalClass::LAYOUT {
        let p: Vec<&Quad> = pq.iter().filter(|(c, _)| *c == class).map(|(_, q)| q).collect();
        let g: Vec<&Quad> = gq.iter().filter(|(c, _)| *c == class).map(|(_, q)| q).collect();
        let scores: Vec<f64> = p.iter().flat_map(|a| g.iter().map(move |b| quad_iou(a, b, cfg))).collect();
        out.insert(class, counts_at(p.len(), g.len(), &scores, &cfg.iou_thresholds, true));
    }
    for b in BenchmarkClass::ALL {
        let of = |s: &EvalScene| -> Vec<ClassedBox> { s.objects.iter().filter(|o| o.class == b).copied().collect() };
        let (p, g) = (of(pred), of(gt));
        let scores: Vec<f64> = p.iter().flat_map(|x| g.iter().map(move |y| box_iou(&x.bbox, &y.bbox, cfg))).collect();
        out.insert(EvalClass::Object(b), counts_at(p.len(), g.len(), &scores, &cfg.iou_thresholds, true));
    }
    out
}

/// Mean scores of one class over the scenes where it is not masked.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassSummary {
    pub class: EvalClass,
    /// Scenes where prediction or GT has this class.
    pub scenes_scored: usize,
    /// One entry per threshold.
    pub f1: Vec<f64>,
    pub precision: Vec<f64>,
    pub recall: Vec<f64>,
}

/// Per-class means over scenes (skipping masked scenes) for every class that
/// appears in at least one scene, in [`EvalClass::all`] order.
pub fn summarize(scenes: &[&SceneCounts], n_thresholds: usize) -> Vec<ClassSummary> {
    let mut out = Vec::new();
    for class in EvalClass::all() {
        let mut f1 = vec![0.0; n_thresholds];
        let mut precision = vec![0.0; n_thresholds];
        let mut recall = vec![0.0; n_thresholds];
        let mut n = 0usize;
        for s in scenes {
            let Some(counts) = s.get(&class) else { continue };
            if counts.first().is_none_or(|c| c.masked()) {
                continue;
            }
            n += 1;
            for (k, c) in counts.iter().enumerate().take(n_thresholds) {
                f1[k] += c.f1();
                precision[k] += c.precision();
                recall[k] += c.recall();
            }
        }
        if n == 0 {
            continue;
        }
        let div = |v: Vec<f64>| v.into_iter().map(|x| x / n as f64).collect();
        out.push(ClassSummary { class, scenes_scored: n, f1: div(f1), precision: div(precision), recall: div(recall) });
    }
    out
}

/// Mean F1 per threshold over the summaries selected by `pick`; `None`
/// when no class is selected.
pub fn mean_f1(classes: &[ClassSummary], pick: impl Fn(EvalClass) -> bool, n_thresholds: usize) -> Option<Vec<f64>> {
    let chosen: Vec<&ClassSummary> = classes.iter().filter(|c| pick(c.class)).collect();
    if chosen.is_empty() {
        return None;
    }
    Some((0..n_thresholds).map(|k| chosen.iter().map(|c| c.f1[k]).sum::<f64>() / chosen.len() as f64).collect())
}
