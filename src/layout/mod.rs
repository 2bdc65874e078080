//! The structured room layout: walls, openings (doors and windows) and
//! objects, with the native JSON format, SpatialLM's text format and the
//! validity checks.
//!
//! This module is the bottom of the crate: it knows nothing of clouds,
//! models, solvers or video. Everything else speaks in these types.

mod class;
mod json;
pub mod spatiallm;
pub mod validate;

pub use class::{BenchmarkClass, ObjectClass, Support};
pub use json::{read_json, write_json, JsonError};
pub use spatiallm::{parse_spatiallm, to_spatiallm, ParseMode, ParseWarning, SpatialLmError};
pub use validate::{EntityRef, Rule, Severity, Tolerances, Violation};

use serde::{Deserialize, Serialize};
use std::path::Path;

/// Schema tag written in every native JSON layout.
pub const SCHEMA: &str = "roomscribe.layout/1";

/// A point or vector in the world frame (metres, +z up).
pub type Vec3 = [f64; 3];

/// A wall: a vertical slab standing on the segment `a`–`b` (its bottom
/// centre line), `height` tall and `thickness` thick.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Wall {
    /// Identifier, unique among walls; openings refer to it.
    pub id: u32,
    /// Bottom endpoint A, metres, world frame.
    pub a: Vec3,
    /// Bottom endpoint B, metres, world frame.
    pub b: Vec3,
    /// Height above `a`/`b`, metres.
    pub height: f64,
    /// Thickness, metres (0 when unknown, as in SpatialLM's output).
    pub thickness: f64,
}

impl Wall {
    /// Length of the wall in the xy plane.
    pub fn length_xy(&self) -> f64 {
        ((self.b[0] - self.a[0]).powi(2) + (self.b[1] - self.a[1]).powi(2)).sqrt()
    }

    /// Unit direction a→b in the xy plane, `None` for a degenerate wall.
    pub fn direction_xy(&self) -> Option<[f64; 2]> {
        let l = self.length_xy();
        (l > 1e-12).then(|| [(self.b[0] - self.a[0]) / l, (self.b[1] - self.a[1]) / l])
    }
}

/// Door or window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OpeningKind {
    Door,
    Window,
}

impl OpeningKind {
    /// Lower-case name, as used in JSON and SpatialLM ids (`door_0`).
    pub fn name(self) -> &'static str {
        match self {
            OpeningKind::Door => "door",
            OpeningKind::Window => "window",
        }
    }
}

/// A door or window cut into a host wall.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Opening {
    /// Identifier, unique among openings of the same kind.
    pub id: u32,
    pub kind: OpeningKind,
    /// Id of the host wall.
    pub wall: u32,
    /// Centre of the opening, metres, world frame.
    pub center: Vec3,
    /// Width along the host wall, metres.
    pub width: f64,
    /// Height, metres.
    pub height: f64,
}

/// A furniture item or other object, as a yaw-rotated box.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Object {
    /// Identifier, unique among objects.
    pub id: u32,
    pub class: ObjectClass,
    /// Box centre, metres, world frame.
    pub center: Vec3,
    /// Full extents along the box's own x, y, z axes, metres.
    pub size: Vec3,
    /// Rotation about +z, radians.
    pub yaw: f64,
}

/// A whole layout: entities plus metadata.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Always [`SCHEMA`].
    pub schema: String,
    /// Length unit of every coordinate; always `"m"`.
    pub units: String,
    /// The world frame convention; always `"z_up"` (right-handed, floor at z = 0).
    pub frame: String,
    /// Where the layout came from (an input path, `synth:seed=7`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// What produced it (`roomscribe 0.1.0`, a model version, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator: Option<String>,
    #[serde(default)]
    pub walls: Vec<Wall>,
    #[serde(default)]
    pub openings: Vec<Opening>,
    #[serde(default)]
    pub objects: Vec<Object>,
}

impl Default for Layout {
    fn default() -> Self {
        Layout {
            schema: SCHEMA.to_string(),
            units: "m".to_string(),
            frame: "z_up".to_string(),
            source: None,
            generator: Some(format!("roomscribe {}", env!("CARGO_PKG_VERSION"))),
            walls: Vec::new(),
            openings: Vec::new(),
            objects: Vec::new(),
        }
    }
}

/// Entity counts, for `info` and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub walls: usize,
    pub doors: usize,
    pub windows: usize,
    pub objects: usize,
}

/// Layout file formats, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LayoutFormat {
    /// Native JSON (`.json`).
    Json,
    /// SpatialLM text (`.txt`).
    SpatialLm,
}

impl LayoutFormat {
    /// The format a path's extension names, if any.
    pub fn from_path(path: &Path) -> Option<LayoutFormat> {
        match path.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "json" => Some(LayoutFormat::Json),
            "txt" => Some(LayoutFormat::SpatialLm),
            _ => None,
        }
    }
}

/// Errors reading or writing layout files.
#[derive(Debug, thiserror::Error)]
pub enum LayoutError {
    #[error("{path}: unknown layout format (expected a .json or .txt extension)")]
    UnknownFormat { path: String },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: {source}")]
    Json { path: String, source: JsonError },
    #[error("{path}: {source}")]
    SpatialLm { path: String, source: SpatialLmError },
}

impl Layout {
    /// An empty layout with default metadata.
    pub fn new() -> Layout {
        Layout::default()
    }

    /// Iterates the doors.
    pub fn doors(&self) -> impl Iterator<Item = &Opening> {
        self.openings.iter().filter(|o| o.kind == OpeningKind::Door)
    }

    /// Iterates the windows.
    pub fn windows(&self) -> impl Iterator<Item = &Opening> {
        self.openings.iter().filter(|o| o.kind == OpeningKind::Window)
    }

    /// The wall with this id.
    pub fn wall(&self, id: u32) -> Option<&Wall> {
        self.walls.iter().find(|w| w.id == id)
    }

    /// Entity counts.
    pub fn counts(&self) -> Counts {
        Counts {
            walls: self.walls.len(),
            doors: self.doors().count(),
            windows: self.windows().count(),
            objects: self.objects.len(),
        }
    }

    /// Checks the layout against the physical validity rules with default
    /// tolerances; an empty list means valid.
    pub fn validate(&self) -> Vec<Violation> {
        validate::validate(self, &Tolerances::default())
    }

    /// Checks with explicit tolerances.
    pub fn validate_with(&self, tol: &Tolerances) -> Vec<Violation> {
        validate::validate(self, tol)
    }

    /// Reads a layout, choosing the format by extension. SpatialLM text is
    /// read leniently; warnings are returned beside the layout.
    pub fn read(path: &Path) -> Result<(Layout, Vec<ParseWarning>), LayoutError> {
        Layout::read_with(path, ParseMode::Lenient)
    }

    /// Reads a layout with an explicit SpatialLM parse mode.
    pub fn read_with(path: &Path, mode: ParseMode) -> Result<(Layout, Vec<ParseWarning>), LayoutError> {
        let p = path.display().to_string();
        let format = LayoutFormat::from_path(path).ok_or_else(|| LayoutError::UnknownFormat { path: p.clone() })?;
        let text = std::fs::read_to_string(path).map_err(|source| LayoutError::Io { path: p.clone(), source })?;
        match format {
            LayoutFormat::Json => read_json(&text)
                .map(|l| (l, Vec::new()))
                .map_err(|source| LayoutError::Json { path: p, source }),
            LayoutFormat::SpatialLm => {
                let (mut layout, warnings) =
                    parse_spatiallm(&text, mode).map_err(|source| LayoutError::SpatialLm { path: p.clone(), source })?;
                layout.source = Some(p);
                Ok((layout, warnings))
            }
        }
    }

    /// Writes a layout, choosing the format by extension; the file appears
    /// whole or not at all (temp file + rename).
    pub fn write(&self, path: &Path) -> Result<(), LayoutError> {
        let p = path.display().to_string();
        let format = LayoutFormat::from_path(path).ok_or_else(|| LayoutError::UnknownFormat { path: p.clone() })?;
        let text = match format {
            LayoutFormat::Json => write_json(self),
            LayoutFormat::SpatialLm => to_spatiallm(self),
        };
        crate::io::write_atomic(path, text.as_bytes()).map_err(|source| LayoutError::Io { path: p, source })
    }
}
