//! Procedural scenes: a seeded floor plan (single rooms of several shapes or
//! multi-room apartments), doors and windows, furniture placed by room-type
//! rules, unlabelled clutter; returned as the ground-truth [`Layout`] plus the
//! renderable [`World`] built from primitives.
//!
//! Knows nothing of sensors: scans and videos read [`Scene::world`].

use super::furnish;
use super::plan::{self, Plan};
use super::structure;
use super::world::World;
use super::SynthError;
use crate::layout::{Layout, Object, Opening, Wall};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// How many floor plans / furnishings are tried for one seed before giving
/// up; in practice the first few succeed.
const MAX_ATTEMPTS: usize = 64;

/// Room function: decides the furniture rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    Bedroom,
    LivingRoom,
    Kitchen,
    Bathroom,
    Office,
}

impl RoomKind {
    /// All kinds, in a fixed order.
    pub const ALL: [RoomKind; 5] =
        [RoomKind::Bedroom, RoomKind::LivingRoom, RoomKind::Kitchen, RoomKind::Bathroom, RoomKind::Office];

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            RoomKind::Bedroom => "bedroom",
            RoomKind::LivingRoom => "living_room",
            RoomKind::Kitchen => "kitchen",
            RoomKind::Bathroom => "bathroom",
            RoomKind::Office => "office",
        }
    }

    /// The function of a stand-alone room; bathrooms only when the room is
    /// a plain rectangle.
    pub(crate) fn sample_single(rng: &mut ChaCha8Rng, rectangular: bool) -> RoomKind {
        let x: f64 = rng.random();
        match x {
            _ if x < 0.3 => RoomKind::Bedroom,
            _ if x < 0.6 => RoomKind::LivingRoom,
            _ if x < 0.75 => RoomKind::Office,
            _ if x < 0.88 || !rectangular => RoomKind::Kitchen,
            _ => RoomKind::Bathroom,
        }
    }
}

/// The overall shape of a scene.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SceneKind {
    /// One rectangular room.
    Rectangle,
    /// One L-shaped room.
    LShape,
    /// One T-shaped room.
    TShape,
    /// One U-shaped room.
    UShape,
    /// Several rooms sharing walls, connected by interior doors.
    Apartment,
}

impl SceneKind {
    /// All kinds, in a fixed order.
    pub const ALL: [SceneKind; 5] =
        [SceneKind::Rectangle, SceneKind::LShape, SceneKind::TShape, SceneKind::UShape, SceneKind::Apartment];

    /// snake_case name.
    pub fn name(self) -> &'static str {
        match self {
            SceneKind::Rectangle => "rectangle",
            SceneKind::LShape => "l_shape",
            SceneKind::TShape => "t_shape",
            SceneKind::UShape => "u_shape",
            SceneKind::Apartment => "apartment",
        }
    }
}

/// Relative frequencies of the scene kinds (need not sum to 1).
#[derive(Debug, Clone, PartialEq)]
pub struct KindWeights {
    pub rectangle: f64,
    pub l_shape: f64,
    pub t_shape: f64,
    pub u_shape: f64,
    pub apartment: f64,
}

impl Default for KindWeights {
    fn default() -> Self {
        KindWeights { rectangle: 0.3, l_shape: 0.12, t_shape: 0.08, u_shape: 0.08, apartment: 0.42 }
    }
}

impl KindWeights {
    /// Weights producing only `kind`.
    pub fn only(kind: SceneKind) -> KindWeights {
        let mut w = KindWeights { rectangle: 0.0, l_shape: 0.0, t_shape: 0.0, u_shape: 0.0, apartment: 0.0 };
        *match kind {
            SceneKind::Rectangle => &mut w.rectangle,
            SceneKind::LShape => &mut w.l_shape,
            SceneKind::TShape => &mut w.t_shape,
            SceneKind::UShape => &mut w.u_shape,
            SceneKind::Apartment => &mut w.apartment,
        } = 1.0;
        w
    }
}

/// Scene generation settings. Ranges are `(min, max)`, metres or m².
#[derive(Debug, Clone, PartialEq)]
pub struct SceneConfig {
    /// How often each scene kind is drawn.
    pub kind_weights: KindWeights,
    /// Rooms per apartment, inclusive (2..=6).
    pub apartment_rooms: (usize, usize),
    /// Target floor area of a stand-alone room (wall centre lines), m²;
    /// ScanNet rooms are typically 10-40 m².
    pub room_area: (f64, f64),
    /// Target floor area of a stand-alone bathroom, m².
    pub bathroom_area: (f64, f64),
    /// Mean area per room of an apartment, m² (before splitting).
    pub apartment_room_area: (f64, f64),
    /// Probability of one non-orthogonal (chamfered-corner) wall (0.1).
    pub non_orthogonal_probability: f64,
    /// Ceiling height (2.3-3.5 m), one per scene.
    pub height: (f64, f64),
    /// Wall thickness (0.1-0.2 m), one per scene.
    pub wall_thickness: (f64, f64),
    /// Door width (0.7-1.0 m); bathroom doors use the narrow end.
    pub door_width: (f64, f64),
    /// Door height (2.0-2.2 m).
    pub door_height: (f64, f64),
    /// Window width (0.6-2.0 m; bathrooms use 0.4-0.8).
    pub window_width: (f64, f64),
    /// Window sill height (0.4-1.2 m).
    pub window_sill: (f64, f64),
    /// Scales the probability of every optional furniture item (1 = as
    /// designed, 0 = only each room's anchor pieces).
    pub furniture: f64,
    /// Expected unlabelled clutter items per m² of floor.
    pub clutter_per_m2: f64,
}

impl Default for SceneConfig {
    fn default() -> Self {
        SceneConfig {
            kind_weights: KindWeights::default(),
            apartment_rooms: (2, 6),
            room_area: (10.0, 36.0),
            bathroom_area: (3.5, 8.0),
            apartment_room_area: (9.0, 20.0),
            non_orthogonal_probability: 0.1,
            height: (2.3, 3.5),
            wall_thickness: (0.1, 0.2),
            door_width: (0.7, 1.0),
            door_height: (2.0, 2.2),
            window_width: (0.6, 2.0),
            window_sill: (0.4, 1.2),
            furniture: 1.0,
            clutter_per_m2: 0.12,
        }
    }
}

impl SceneConfig {
    /// Checks every field; the error names the first bad one.
    pub fn check(&self) -> Result<(), SynthError> {
        let bad = |field: &'static str, reason: String| Err(SynthError::InvalidConfig { field, reason });
        let ranges = [
            ("room_area", self.room_area, 6.0, 200.0),
            ("bathroom_area", self.bathroom_area, 3.0, 40.0),
            ("apartment_room_area", self.apartment_room_area, 6.0, 60.0),
            ("height", self.height, 2.2, 6.0),
            ("wall_thickness", self.wall_thickness, 0.02, 0.4),
            ("door_width", self.door_width, 0.5, 1.6),
            ("door_height", self.door_height, 1.8, 2.6),
            ("window_width", self.window_width, 0.3, 3.0),
            ("window_sill", self.window_sill, 0.0, 1.6),
        ];
        for (field, (lo, hi), min, max) in ranges {
            if !(lo.is_finite() && hi.is_finite() && lo <= hi && lo >= min && hi <= max) {
                return bad(field, format!("({lo}, {hi}) must be an ordered range within {min}..{max}"));
            }
        }
        if self.door_height.0 + 0.15 > self.height.0 {
            return bad("door_height", "the lowest door must be at least 0.15 m lower than the lowest ceiling".into());
        }
        let (lo, hi) = self.apartment_rooms;
        if !(2..=8).contains(&lo) || hi < lo || hi > 8 {
            return bad("apartment_rooms", format!("({lo}, {hi}) must be an ordered range within 2..=8"));
        }
        let w = &self.kind_weights;
        let ws = [w.rectangle, w.l_shape, w.t_shape, w.u_shape, w.apartment];
        if ws.iter().any(|x| !x.is_finite() || *x < 0.0) || ws.iter().sum::<f64>() <= 0.0 {
            return bad("kind_weights", "weights must be finite, non-negative and not all zero".into());
        }
        for (field, x, max) in [
            ("non_orthogonal_probability", self.non_orthogonal_probability, 1.0),
            ("furniture", self.furniture, 4.0),
            ("clutter_per_m2", self.clutter_per_m2, 2.0),
        ] {
            if !(x.is_finite() && (0.0..=max).contains(&x)) {
                return bad(field, format!("{x} must be within 0..{max}"));
            }
        }
        Ok(())
    }
}

/// One room of a scene.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Room {
    pub kind: RoomKind,
    /// Counter-clockwise floor polygon along the wall centre lines, metres,
    /// including the junctions where other rooms' walls meet it: edge `i`
    /// (from vertex `i` to `i + 1`) is the layout wall `wall_ids[i]`.
    pub polygon: Vec<[f64; 2]>,
    /// The same polygon moved inward to the wall faces (what a camera in
    /// the room sees as the floor outline); same vertex order.
    pub interior: Vec<[f64; 2]>,
    /// Floor-to-ceiling height, metres.
    pub height: f64,
    /// Layout wall of each polygon edge.
    pub wall_ids: Vec<u32>,
    /// Layout objects standing, hanging or lying in this room.
    pub object_ids: Vec<u32>,
}

impl Room {
    /// Floor area inside the wall faces, m².
    pub fn area(&self) -> f64 {
        plan::area(&self.interior)
    }
}

/// A generated scene: ground truth and the world to sense.
#[derive(Debug, Clone)]
pub struct Scene {
    pub seed: u64,
    pub kind: SceneKind,
    /// Whether one wall is not axis-aligned.
    pub non_orthogonal: bool,
    pub layout: Layout,
    pub world: World,
    pub rooms: Vec<Room>,
}

/// Generates the scene of `seed`: same seed and config, same scene.
pub fn generate(seed: u64, config: &SceneConfig) -> Result<Scene, SynthError> {
    config.check()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    for _ in 0..MAX_ATTEMPTS {
        let Some(plan) = plan::sample(&mut rng, config) else { continue };
        let Some(furnished) = furnish::furnish(&mut rng, config, &plan) else { continue };
        return Ok(assemble(seed, &mut rng, config, plan, furnished));
    }
    Err(SynthError::GenerationFailed { seed, what: "scene", attempts: MAX_ATTEMPTS })
}

fn assemble(seed: u64, rng: &mut ChaCha8Rng, config: &SceneConfig, plan: Plan, furnished: furnish::Furnished) -> Scene {
    let mut layout = Layout::new();
    layout.source = Some(format!("synth:seed={seed}"));
    layout.walls = plan
        .walls
        .iter()
        .enumerate()
        .map(|(i, w)| Wall {
            id: i as u32,
            a: [w.a[0], w.a[1], 0.0],
            b: [w.b[0], w.b[1], 0.0],
            height: plan.height,
            thickness: plan.thickness,
        })
        .collect();
    layout.openings = plan
        .openings
        .iter()
        .filter_map(|o| {
            let w = plan.walls.get(o.wall as usize)?;
            let c = w.at((o.u0 + o.u1) / 2.0);
            Some(Opening {
                id: o.id,
                kind: o.kind,
                wall: o.wall,
                center: [c[0], c[1], (o.z0 + o.z1) / 2.0],
                width: o.u1 - o.u0,
                height: o.z1 - o.z0,
            })
        })
        .collect();
    layout.objects = furnished
        .items
        .iter()
        .enumerate()
        .map(|(i, it)| Object {
            id: i as u32,
            class: it.class.clone(),
            center: it.center,
            size: it.size,
            yaw: it.yaw,
        })
        .collect();
    let rooms: Vec<Room> = plan
        .rooms
        .iter()
        .enumerate()
        .map(|(r, pr)| Room {
            kind: pr.kind,
            polygon: pr.polygon.clone(),
            interior: plan::inset(&pr.polygon, plan.thickness / 2.0),
            height: plan.height,
            wall_ids: pr.wall_ids.clone(),
            object_ids: (0..furnished.items.len() as u32).filter(|&i| furnished.items[i as usize].room == r).collect(),
        })
        .collect();
    let world = structure::build_world(seed, rng, config, &plan, &layout, &furnished);
    Scene { seed, kind: plan.kind, non_orthogonal: plan.non_orthogonal, layout, world, rooms }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::synth::world::SurfaceLabel;

    #[test]
    fn same_seed_same_scene() {
        let cfg = SceneConfig::default();
        for seed in [0, 1, 17, 123456789] {
            let a = generate(seed, &cfg).unwrap();
            let b = generate(seed, &cfg).unwrap();
            assert_eq!(crate::layout::write_json(&a.layout), crate::layout::write_json(&b.layout));
            assert_eq!(a.world, b.world);
        }
        let a = generate(1, &cfg).unwrap();
        let b = generate(2, &cfg).unwrap();
        assert_ne!(crate::layout::write_json(&a.layout), crate::layout::write_json(&b.layout));
    }

    #[test]
    fn bad_config_is_an_error() {
        let cfg = SceneConfig { height: (3.0, 2.0), ..Default::default() };
        assert!(matches!(generate(0, &cfg), Err(SynthError::InvalidConfig { field: "height", .. })));
        let cfg = SceneConfig { clutter_per_m2: f64::NAN, ..Default::default() };
        assert!(generate(0, &cfg).is_err());
    }

    #[test]
    fn world_has_every_labelled_part() {
        let cfg = SceneConfig::default();
        for seed in 0..20 {
            let s = generate(seed, &cfg).unwrap();
            let has = |f: &dyn Fn(&SurfaceLabel) -> bool| s.world.meshes.iter().any(|m| f(&m.label));
            assert!(has(&|l| *l == SurfaceLabel::Floor));
            assert!(has(&|l| *l == SurfaceLabel::Ceiling));
            for w in &s.layout.walls {
                assert!(has(&|l| *l == SurfaceLabel::Wall(w.id)), "seed {seed}: wall {} has no mesh", w.id);
            }
            for o in &s.layout.objects {
                let parts = s.world.meshes.iter().filter(|m| m.label == SurfaceLabel::Object(o.id)).count();
                assert!(parts >= 1, "seed {seed}: object {} ({}) has no mesh", o.id, o.class);
            }
            for w in s.layout.windows() {
                assert!(has(&|l| *l == SurfaceLabel::Window(w.id)), "seed {seed}: window {} has no pane", w.id);
            }
        }
    }
}
