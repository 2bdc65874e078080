//! What the layout metrics compare: walls and openings as they are, objects
//! mapped onto the 20 benchmark classes, and the readers for every ground
//! truth format the harness accepts (native JSON, SpatialLM text,
//! ScanNet-style box lists).

use super::EvalError;
use crate::geom::boxes::YawBox;
use crate::layout::{BenchmarkClass, Layout, ObjectClass, Opening, Wall};
use std::path::Path;

/// An object box with the benchmark class it is scored as.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassedBox {
    pub class: BenchmarkClass,
    pub bbox: YawBox,
}

/// One scene as the metrics see it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EvalScene {
    pub walls: Vec<Wall>,
    pub openings: Vec<Opening>,
    /// Objects whose class maps to a benchmark class; others are dropped,
    /// as SpatialLM's evaluation drops unmapped classes. Class names outside
    /// the 59-class vocabulary are looked up as benchmark or NYU40 names.
    pub objects: Vec<ClassedBox>,
}

impl EvalScene {
    /// The scored content of a layout.
    pub fn from_layout(layout: &Layout) -> EvalScene {
        EvalScene {
            walls: layout.walls.clone(),
            openings: layout.openings.clone(),
            objects: layout
                .objects
                .iter()
                .filter_map(|o| {
                    let class = match &o.class {
                        // Names outside the 59-class vocabulary may still be
                        // benchmark or NYU40 names (ScanNet-derived files).
                        ObjectClass::Other(name) => benchmark_class_of(name)?,
                        known => known.benchmark()?,
                    };
                    Some(ClassedBox {
                        class,
                        bbox: YawBox { center: o.center, size: o.size, yaw: o.yaw },
                    })
                })
                .collect(),
        }
    }
}

/// Maps a class name from any source we accept to a benchmark class:
/// SpatialLM's 59 names (and ours), then the benchmark's own 20 names, then
/// ScanNet's NYU40 names. `None` when the class is not scored.
pub fn benchmark_class_of(name: &str) -> Option<BenchmarkClass> {
    match ObjectClass::parse(name) {
        ObjectClass::Other(_) => {
            BenchmarkClass::parse(name).or_else(|| ObjectClass::from_nyu40(name).and_then(|c| c.benchmark()))
        }
        known => known.benchmark(),
    }
}

/// Reads a scene: `.txt` is SpatialLM text, `.json` is our native layout
/// (it has a `"schema"` key) or a box list (see [`parse_box_list`]).
pub fn read_scene(path: &Path) -> Result<EvalScene, EvalError> {
    let p = path.display().to_string();
    let is_json = path.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("json"));
    if !is_json {
        let (layout, _warnings) = Layout::read(path)?;
        return Ok(EvalScene::from_layout(&layout));
    }
    let text = std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: p.clone(), source })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| EvalError::BadInput { path: p.clone(), message: e.to_string() })?;
    if value.get("schema").is_some() {
        let layout = crate::layout::read_json(&text)
            .map_err(|e| EvalError::BadInput { path: p.clone(), message: e.to_string() })?;
        return Ok(EvalScene::from_layout(&layout));
    }
    let objects = parse_box_list(&value).map_err(|message| EvalError::BadInput { path: p, message })?;
    Ok(EvalScene { objects, ..EvalScene::default() })
}

fn field<'a>(item: &'a serde_json::Value, keys: &[&str]) -> Option<&'a serde_json::Value> {
    keys.iter().find_map(|k| item.get(*k))
}

fn vec3(v: &serde_json::Value) -> Option<[f64; 3]> {
    let a = v.as_array()?;
    if a.len() != 3 {
        return None;
    }
    let x = [a[0].as_f64()?, a[1].as_f64()?, a[2].as_f64()?];
    x.iter().all(|c| c.is_finite()).then_some(x)
}

/// Parses a ScanNet-style box list: a JSON array of boxes, or an object
/// holding one under `"boxes"`, `"objects"` or `"instances"`. Each box has a
/// centre (`center` / `centre` / `centroid`), full extents (`size` /
/// `extents` / `dimensions`), a class name (`class` / `label` / `name` /
/// `class_name`; SpatialLM, benchmark or NYU40 names) and optionally a yaw
/// in radians (`yaw` / `angle_z` / `heading`, default 0). Boxes whose class
/// is not scored are dropped.
pub fn parse_box_list(value: &serde_json::Value) -> Result<Vec<ClassedBox>, String> {
    let list = match value {
        serde_json::Value::Array(a) => a,
        serde_json::Value::Object(_) => field(value, &["boxes", "objects", "instances"])
            .and_then(|v| v.as_array())
            .ok_or("expected a native layout (with \"schema\") or a box list (an array, or an object with a \"boxes\" array)")?,
        _ => return Err("expected a JSON array of boxes or an object".into()),
    };
    let mut out = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let center = field(item, &["center", "centre", "centroid"])
            .and_then(vec3)
            .ok_or_else(|| format!("box {i}: missing or bad \"center\" (3 finite numbers)"))?;
        let size = field(item, &["size", "extents", "dimensions"])
            .and_then(vec3)
            .ok_or_else(|| format!("box {i}: missing or bad \"size\" (3 finite numbers)"))?;
        let name = field(item, &["class", "label", "name", "class_name"])
            .and_then(|v| v.as_str())
            .ok_or_else(|| format!("box {i}: missing class name (\"class\")"))?;
        let yaw = match field(item, &["yaw", "angle_z", "heading"]) {
            None => 0.0,
            Some(v) => v.as_f64().filter(|y| y.is_finite()).ok_or_else(|| format!("box {i}: bad \"yaw\""))?,
        };
        if let Some(class) = benchmark_class_of(name) {
            out.push(ClassedBox { class, bbox: YawBox { center, size, yaw } });
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_names_from_every_source() {
        assert_eq!(benchmark_class_of("dining_chair"), Some(BenchmarkClass::Chair));
        assert_eq!(benchmark_class_of("tv cabinet"), Some(BenchmarkClass::TvCabinet));
        assert_eq!(benchmark_class_of("cabinet"), Some(BenchmarkClass::Cabinet));
        assert_eq!(benchmark_class_of("refridgerator"), Some(BenchmarkClass::Refrigerator));
        assert_eq!(benchmark_class_of("night stand"), Some(BenchmarkClass::Nightstand));
        assert_eq!(benchmark_class_of("picture"), Some(BenchmarkClass::Painting));
        assert_eq!(benchmark_class_of("toilet"), None);
        assert_eq!(benchmark_class_of("hammock"), None);
    }

    #[test]
    fn box_lists_in_both_shapes() {
        let a: serde_json::Value = serde_json::from_str(
            r#"[{"center":[1,2,0.5],"size":[1,1,1],"class":"bed"},{"centroid":[0,0,0],"extents":[1,1,1],"label":"toilet"}]"#,
        )
        .unwrap();
        let boxes = parse_box_list(&a).unwrap();
        assert_eq!(boxes.len(), 1);
        assert_eq!(boxes[0].class, BenchmarkClass::Bed);
        let o: serde_json::Value =
            serde_json::from_str(r#"{"boxes":[{"center":[1,2,0.5],"size":[1,1,1],"class":"sofa","yaw":0.5}]}"#).unwrap();
        assert_eq!(parse_box_list(&o).unwrap()[0].bbox.yaw, 0.5);
        let bad: serde_json::Value = serde_json::from_str(r#"[{"center":[1,2],"size":[1,1,1],"class":"bed"}]"#).unwrap();
        assert!(parse_box_list(&bad).unwrap_err().contains("box 0"));
    }
}
