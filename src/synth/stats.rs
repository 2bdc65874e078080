//! Distribution statistics over a seed range (`roomscribe synth stats`):
//! scene kinds, rooms per scene, room areas, objects per room by class,
//! openings, validity. For comparing the generator with real datasets
//! (ScanNet rooms are typically 10-40 m² with 5-15 objects).

use super::scene::{generate, RoomKind, Scene, SceneConfig, SceneKind};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::BTreeMap;

/// Five-number-and-mean summary of a sample.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Default)]
pub struct Summary {
    pub count: usize,
    pub min: f64,
    pub p10: f64,
    pub median: f64,
    pub mean: f64,
    pub p90: f64,
    pub max: f64,
}

impl Summary {
    /// Summarises `xs` (any order); all zeros when empty.
    pub fn of(xs: &[f64]) -> Summary {
        if xs.is_empty() {
            return Summary::default();
        }
        let mut v = xs.to_vec();
        v.sort_by(f64::total_cmp);
        let q = |p: f64| v[((v.len() - 1) as f64 * p).round() as usize];
        Summary {
            count: v.len(),
            min: v[0],
            p10: q(0.1),
            median: q(0.5),
            mean: v.iter().sum::<f64>() / v.len() as f64,
            p90: q(0.9),
            max: v[v.len() - 1],
        }
    }
}

/// What one scene contributes to the statistics.
#[derive(Debug, Clone)]
struct SceneRecord {
    kind: SceneKind,
    non_orthogonal: bool,
    height: f64,
    doors: usize,
    windows: usize,
    walls: usize,
    triangles: usize,
    clutter_meshes: usize,
    rooms: Vec<RoomRecord>,
    violations: Vec<String>,
}

#[derive(Debug, Clone)]
struct RoomRecord {
    kind: RoomKind,
    area: f64,
    classes: Vec<String>,
}

fn record(scene: &Scene) -> SceneRecord {
    let c = scene.layout.counts();
    SceneRecord {
        kind: scene.kind,
        non_orthogonal: scene.non_orthogonal,
        height: scene.rooms.first().map_or(0.0, |r| r.height),
        doors: c.doors,
        windows: c.windows,
        walls: c.walls,
        triangles: scene.world.triangle_count(),
        clutter_meshes: scene.world.meshes.iter().filter(|m| m.label == super::world::SurfaceLabel::Clutter).count(),
        rooms: scene
            .rooms
            .iter()
            .map(|r| RoomRecord {
                kind: r.kind,
                area: r.area(),
                classes: r
                    .object_ids
                    .iter()
                    .filter_map(|&i| scene.layout.objects.get(i as usize))
                    .map(|o| o.class.name().into_owned())
                    .collect(),
            })
            .collect(),
        violations: scene.layout.validate().iter().map(|v| format!("seed {}: {v}", scene.seed)).collect(),
    }
}

/// Statistics of the scenes of a seed range.
#[derive(Debug, Clone, Serialize)]
pub struct SceneStats {
    /// First seed and one past the last.
    pub seeds: [u64; 2],
    pub scenes: usize,
    /// Seeds the generator gave up on.
    pub failed: Vec<u64>,
    pub scene_kinds: BTreeMap<&'static str, usize>,
    pub non_orthogonal_scenes: usize,
    pub rooms_per_scene: BTreeMap<usize, usize>,
    pub room_kinds: BTreeMap<&'static str, usize>,
    /// Floor area inside the wall faces, m².
    pub room_area_m2: Summary,
    pub room_area_m2_by_kind: BTreeMap<&'static str, Summary>,
    /// Layout objects per room.
    pub objects_per_room: Summary,
    pub objects_per_room_by_kind: BTreeMap<&'static str, Summary>,
    /// Mean count per room of each class (over all rooms).
    pub objects_per_room_by_class: BTreeMap<String, f64>,
    /// Total count of each class.
    pub objects_by_class: BTreeMap<String, usize>,
    /// How many of the 20 benchmark classes occur at all.
    pub benchmark_classes_present: usize,
    /// Share of rooms with 10-40 m² (ScanNet's typical range).
    pub rooms_10_to_40_m2: f64,
    /// Share of rooms with 5-15 objects (ScanNet's typical range).
    pub rooms_5_to_15_objects: f64,
    pub ceiling_height_m: Summary,
    pub walls_per_scene: Summary,
    pub doors_per_scene: Summary,
    pub windows_per_scene: Summary,
    pub clutter_items_per_scene: Summary,
    pub triangles_per_scene: Summary,
    /// Violations of `Layout::validate()` over all scenes.
    pub violations: usize,
    pub scenes_with_violations: usize,
    /// The first few violations, for a quick look.
    pub violation_examples: Vec<String>,
}

/// Generates every scene of `seeds` (in parallel) and summarises them.
pub fn scene_stats(seeds: std::ops::Range<u64>, config: &SceneConfig) -> SceneStats {
    let results: Vec<(u64, Option<SceneRecord>)> =
        seeds.clone().into_par_iter().map(|s| (s, generate(s, config).ok().map(|sc| record(&sc)))).collect();
    let failed: Vec<u64> = results.iter().filter(|r| r.1.is_none()).map(|r| r.0).collect();
    let recs: Vec<SceneRecord> = results.into_iter().filter_map(|r| r.1).collect();
    let rooms: Vec<&RoomRecord> = recs.iter().flat_map(|r| &r.rooms).collect();
    let mut scene_kinds = BTreeMap::new();
    let mut rooms_per_scene = BTreeMap::new();
    for r in &recs {
        *scene_kinds.entry(r.kind.name()).or_insert(0) += 1;
        *rooms_per_scene.entry(r.rooms.len()).or_insert(0) += 1;
    }
    let mut room_kinds = BTreeMap::new();
    let mut area_by_kind: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut objs_by_kind: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let mut by_class: BTreeMap<String, usize> = BTreeMap::new();
    for r in &rooms {
        *room_kinds.entry(r.kind.name()).or_insert(0) += 1;
        area_by_kind.entry(r.kind.name()).or_default().push(r.area);
        objs_by_kind.entry(r.kind.name()).or_default().push(r.classes.len() as f64);
        for c in &r.classes {
            *by_class.entry(c.clone()).or_insert(0) += 1;
        }
    }
    let n_rooms = rooms.len().max(1) as f64;
    let benchmark: std::collections::BTreeSet<_> =
        by_class.keys().filter_map(|c| crate::layout::ObjectClass::parse(c).benchmark()).collect();
    let share = |f: &dyn Fn(&RoomRecord) -> bool| rooms.iter().filter(|r| f(r)).count() as f64 / n_rooms;
    let per_scene = |f: &dyn Fn(&SceneRecord) -> f64| Summary::of(&recs.iter().map(f).collect::<Vec<_>>());
    let violations: Vec<&String> = recs.iter().flat_map(|r| &r.violations).collect();
    SceneStats {
        seeds: [seeds.start, seeds.end],
        scenes: recs.len(),
        failed,
        scene_kinds,
        non_orthogonal_scenes: recs.iter().filter(|r| r.non_orthogonal).count(),
        rooms_per_scene,
        room_kinds,
        room_area_m2: Summary::of(&rooms.iter().map(|r| r.area).collect::<Vec<_>>()),
        room_area_m2_by_kind: area_by_kind.iter().map(|(k, v)| (*k, Summary::of(v))).collect(),
        objects_per_room: Summary::of(&rooms.iter().map(|r| r.classes.len() as f64).collect::<Vec<_>>()),
        objects_per_room_by_kind: objs_by_kind.iter().map(|(k, v)| (*k, Summary::of(v))).collect(),
        objects_per_room_by_class: by_class.iter().map(|(k, &v)| (k.clone(), v as f64 / n_rooms)).collect(),
        objects_by_class: by_class,
        benchmark_classes_present: benchmark.len(),
        rooms_10_to_40_m2: share(&|r| (10.0..=40.0).contains(&r.area)),
        rooms_5_to_15_objects: share(&|r| (5..=15).contains(&r.classes.len())),
        ceiling_height_m: per_scene(&|r| r.height),
        walls_per_scene: per_scene(&|r| r.walls as f64),
        doors_per_scene: per_scene(&|r| r.doors as f64),
        windows_per_scene: per_scene(&|r| r.windows as f64),
        clutter_items_per_scene: per_scene(&|r| r.clutter_meshes as f64),
        triangles_per_scene: per_scene(&|r| r.triangles as f64),
        violations: violations.len(),
        scenes_with_violations: recs.iter().filter(|r| !r.violations.is_empty()).count(),
        violation_examples: violations.iter().take(10).map(|s| s.to_string()).collect(),
    }
}

impl SceneStats {
    /// A human-readable report.
    pub fn to_text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let sm = |x: &Summary| {
            format!("min {:.1}  p10 {:.1}  median {:.1}  mean {:.1}  p90 {:.1}  max {:.1}", x.min, x.p10, x.median, x.mean, x.p90, x.max)
        };
        let _ = writeln!(s, "seeds {}..{}: {} scenes, {} failed", self.seeds[0], self.seeds[1], self.scenes, self.failed.len());
        let kinds: Vec<String> = self.scene_kinds.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(s, "scene kinds: {}; non-orthogonal: {}", kinds.join(", "), self.non_orthogonal_scenes);
        let rps: Vec<String> = self.rooms_per_scene.iter().map(|(k, v)| format!("{k}:{v}")).collect();
        let _ = writeln!(s, "rooms per scene: {}", rps.join("  "));
        let _ = writeln!(s, "room area m2: {}", sm(&self.room_area_m2));
        for (k, v) in &self.room_area_m2_by_kind {
            let _ = writeln!(s, "  {k:<12} n {:<5} {}", v.count, sm(v));
        }
        let _ = writeln!(s, "objects per room: {}", sm(&self.objects_per_room));
        for (k, v) in &self.objects_per_room_by_kind {
            let _ = writeln!(s, "  {k:<12} {}", sm(v));
        }
        let _ = writeln!(
            s,
            "rooms with 10-40 m2: {:.0}%; rooms with 5-15 objects: {:.0}%",
            100.0 * self.rooms_10_to_40_m2,
            100.0 * self.rooms_5_to_15_objects
        );
        let _ = writeln!(s, "objects per room by class (mean; total), {} of 20 benchmark classes present:", self.benchmark_classes_present);
        for (k, v) in &self.objects_per_room_by_class {
            let _ = writeln!(s, "  {k:<22} {v:.2}  ({})", self.objects_by_class.get(k).copied().unwrap_or(0));
        }
        let _ = writeln!(s, "ceiling height m: {}", sm(&self.ceiling_height_m));
        let _ = writeln!(s, "walls per scene: {}", sm(&self.walls_per_scene));
        let _ = writeln!(s, "doors per scene: {}", sm(&self.doors_per_scene));
        let _ = writeln!(s, "windows per scene: {}", sm(&self.windows_per_scene));
        let _ = writeln!(s, "clutter meshes per scene: {}", sm(&self.clutter_items_per_scene));
        let _ = writeln!(s, "triangles per scene: {}", sm(&self.triangles_per_scene));
        let _ = writeln!(s, "validate(): {} violations in {} scenes", self.violations, self.scenes_with_violations);
        for v in &self.violation_examples {
            let _ = writeln!(s, "  {v}");
        }
        s
    }
}
