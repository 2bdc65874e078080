//! Physical validity rules. Each violation names the entity, the rule and
//! the measured amount, so a user (or the solver) can see what is wrong and
//! by how much. The solver issue extends the rule set; tolerances are named
//! fields of [`Tolerances`].

use super::{Layout, OpeningKind};
use serde::Serialize;

/// Tolerances of the validity rules (metres unless stated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Tolerances {
    /// Walls shorter than this (in xy) are degenerate.
    pub min_wall_length: f64,
    /// How far an opening may extend past its host wall's ends, top or bottom.
    pub opening_extent: f64,
    /// How far an opening's centre may lie off its host wall's centre line,
    /// beyond half the wall's thickness.
    pub opening_plane: f64,
}

impl Default for Tolerances {
    fn default() -> Self {
        Tolerances {
            // Shorter than any real wall segment; catches zero-length walls
            // and numerical slivers.
            min_wall_length: 0.01,
            // 1 cm: model output quantization is coarser than this.
            opening_extent: 0.01,
            opening_plane: 0.01,
        }
    }
}

/// The entity a violation is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "lowercase")]
pub enum EntityRef {
    Wall(u32),
    Door(u32),
    Window(u32),
    Object(u32),
    Layout,
}

impl std::fmt::Display for EntityRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            EntityRef::Wall(i) => write!(f, "wall_{i}"),
            EntityRef::Door(i) => write!(f, "door_{i}"),
            EntityRef::Window(i) => write!(f, "window_{i}"),
            EntityRef::Object(i) => write!(f, "bbox_{i}"),
            EntityRef::Layout => write!(f, "layout"),
        }
    }
}

/// A validity rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A coordinate or size is NaN or infinite.
    NonFinite,
    /// Two entities of one kind share an id.
    DuplicateId,
    /// A wall is (nearly) zero length.
    ShortWall,
    /// A height, width, thickness or box size is zero or negative.
    NonPositiveSize,
    /// An opening names a wall that does not exist.
    MissingHostWall,
    /// An opening sticks out of its host wall's extent.
    OpeningOutsideWall,
    /// An opening's centre is not in its host wall's plane.
    OpeningOffWallPlane,
}

/// How serious a violation is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The layout is not physically valid.
    Error,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    pub entity: EntityRef,
    pub rule: Rule,
    pub severity: Severity,
    /// The measured amount by which the rule is broken (metres, or the
    /// offending value), 0 where there is no amount.
    pub amount: f64,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.entity, self.message)
    }
}

fn v(entity: EntityRef, rule: Rule, amount: f64, message: String) -> Violation {
    Violation { entity, rule, severity: Severity::Error, amount, message }
}

fn opening_ref(kind: OpeningKind, id: u32) -> EntityRef {
    match kind {
        OpeningKind::Door => EntityRef::Door(id),
        OpeningKind::Window => EntityRef::Window(id),
    }
}

pub(super) fn validate(layout: &Layout, tol: &Tolerances) -> Vec<Violation> {
    let mut out = Vec::new();
    let all_finite = |xs: &[f64]| xs.iter().all(|x| x.is_finite());

    let mut seen = std::collections::HashSet::new();
    for w in &layout.walls {
        let e = EntityRef::Wall(w.id);
        if !seen.insert(w.id) {
            out.push(v(e, Rule::DuplicateId, 0.0, format!("wall id {} is used more than once", w.id)));
        }
        let vals = [w.a[0], w.a[1], w.a[2], w.b[0], w.b[1], w.b[2], w.height, w.thickness];
        if !all_finite(&vals) {
            out.push(v(e, Rule::NonFinite, 0.0, "has a NaN or infinite value".into()));
            continue;
        }
        let len = w.length_xy();
        if len < tol.min_wall_length {
            out.push(v(e, Rule::ShortWall, len, format!("is {len:.4} m long (minimum {} m)", tol.min_wall_length)));
        }
        if w.height <= 0.0 {
            out.push(v(e, Rule::NonPositiveSize, w.height, format!("height {} m is not positive", w.height)));
        }
        if w.thickness < 0.0 {
            out.push(v(e, Rule::NonPositiveSize, w.thickness, format!("thickness {} m is negative", w.thickness)));
        }
    }

    let mut seen = std::collections::HashSet::new();
    for o in &layout.openings {
        let e = opening_ref(o.kind, o.id);
        if !seen.insert((o.kind, o.id)) {
            out.push(v(e, Rule::DuplicateId, 0.0, format!("{} id {} is used more than once", o.kind.name(), o.id)));
        }
        if !all_finite(&[o.center[0], o.center[1], o.center[2], o.width, o.height]) {
            out.push(v(e, Rule::NonFinite, 0.0, "has a NaN or infinite value".into()));
            continue;
        }
        for (name, x) in [("width", o.width), ("height", o.height)] {
            if x <= 0.0 {
                out.push(v(e, Rule::NonPositiveSize, x, format!("{name} {x} m is not positive")));
            }
        }
        let Some(w) = layout.wall(o.wall) else {
            out.push(v(e, Rule::MissingHostWall, 0.0, format!("host wall_{} does not exist", o.wall)));
            continue;
        };
        let Some(d) = w.direction_xy() else { continue };
        if !all_finite(&[w.a[0], w.a[1], w.a[2], w.b[0], w.b[1], w.b[2], w.height]) {
            continue;
        }
        let rel = [o.center[0] - w.a[0], o.center[1] - w.a[1]];
        let along = rel[0] * d[0] + rel[1] * d[1];
        let across = (rel[0] * -d[1] + rel[1] * d[0]).abs();
        let plane_excess = across - (w.thickness / 2.0).max(0.0);
        if plane_excess > tol.opening_plane {
            out.push(v(
                e,
                Rule::OpeningOffWallPlane,
                plane_excess,
                format!("centre is {across:.3} m off the plane of wall_{}", w.id),
            ));
        }
        let len = w.length_xy();
        let base = w.a[2].min(w.b[2]);
        let excess = [
            -(along - o.width / 2.0),
            along + o.width / 2.0 - len,
            base - (o.center[2] - o.height / 2.0),
            o.center[2] + o.height / 2.0 - (base + w.height),
        ]
        .into_iter()
        .fold(0.0f64, f64::max);
        if excess > tol.opening_extent {
            out.push(v(
                e,
                Rule::OpeningOutsideWall,
                excess,
                format!("sticks out of wall_{} by {excess:.3} m", w.id),
            ));
        }
    }

    let mut seen = std::collections::HashSet::new();
    for o in &layout.objects {
        let e = EntityRef::Object(o.id);
        if !seen.insert(o.id) {
            out.push(v(e, Rule::DuplicateId, 0.0, format!("object id {} is used more than once", o.id)));
        }
        if !all_finite(&[o.center[0], o.center[1], o.center[2], o.size[0], o.size[1], o.size[2], o.yaw]) {
            out.push(v(e, Rule::NonFinite, 0.0, "has a NaN or infinite value".into()));
            continue;
        }
        for (axis, s) in ["x", "y", "z"].iter().zip(o.size) {
            if s <= 0.0 {
                out.push(v(e, Rule::NonPositiveSize, s, format!("size along {axis} {s} m is not positive")));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::layout::*;

    fn room() -> Layout {
        let mut l = Layout::new();
        l.walls.push(Wall { id: 0, a: [0.0, 0.0, 0.0], b: [4.0, 0.0, 0.0], height: 2.8, thickness: 0.1 });
        l.openings.push(Opening { id: 0, kind: OpeningKind::Door, wall: 0, center: [2.0, 0.0, 1.0], width: 0.9, height: 2.0 });
        l.objects.push(Object { id: 0, class: ObjectClass::Bed, center: [1.0, 1.0, 0.3], size: [2.0, 1.6, 0.6], yaw: 0.0 });
        l
    }

    #[test]
    fn valid_room_has_no_violations() {
        assert!(room().validate().is_empty(), "{:?}", room().validate());
    }

    #[test]
    fn each_rule_fires() {
        let rules = |l: &Layout| l.validate().iter().map(|v| v.rule).collect::<Vec<_>>();
        let mut l = room();
        l.walls[0].b = [0.0, 0.0, 0.0];
        assert!(rules(&l).contains(&Rule::ShortWall));
        let mut l = room();
        l.walls[0].height = f64::NAN;
        assert_eq!(rules(&l), vec![Rule::NonFinite]);
        let mut l = room();
        l.objects[0].size[2] = 0.0;
        assert_eq!(rules(&l), vec![Rule::NonPositiveSize]);
        let mut l = room();
        l.openings[0].wall = 7;
        assert_eq!(rules(&l), vec![Rule::MissingHostWall]);
        let mut l = room();
        l.openings[0].center[0] = 3.8;
        let vs = l.validate();
        assert_eq!(vs.len(), 1);
        assert_eq!(vs[0].rule, Rule::OpeningOutsideWall);
        assert!((vs[0].amount - 0.25).abs() < 1e-9);
        let mut l = room();
        l.openings[0].center[1] = 0.5;
        assert_eq!(rules(&l), vec![Rule::OpeningOffWallPlane]);
        let mut l = room();
        l.objects.push(l.objects[0].clone());
        assert_eq!(rules(&l), vec![Rule::DuplicateId]);
    }
}
