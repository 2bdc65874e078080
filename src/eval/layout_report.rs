//! Running the layout metrics over many scenes and reporting them: the JSON
//! keys scripts rely on and the human table.

use super::entity_distance::{self, index_of_cm, REPORTED_CM};
use super::layout_f1::{mean_f1, score_scene, summarize, ClassSummary, EvalClass, LayoutMetricConfig, SceneCounts};
use super::scene::EvalScene;
use serde_json::{json, Map, Value};
use std::fmt::Write as _;

/// Counts of one scene.
#[derive(Debug, Clone, PartialEq)]
pub struct SceneResult {
    pub name: String,
    /// IoU-based counts, one entry per IoU threshold.
    pub iou: SceneCounts,
    /// Distance-based counts, one entry per centimetre 1..=100.
    pub distance: SceneCounts,
}

/// The layout evaluation of a set of scenes.
#[derive(Debug, Clone, PartialEq)]
pub struct LayoutReport {
    pub config: LayoutMetricConfig,
    pub scenes: Vec<SceneResult>,
    /// Per-class IoU scores (classes present in some scene only).
    pub classes: Vec<ClassSummary>,
    /// Mean F1 over wall/door/window present, per IoU threshold.
    pub mean_layout: Option<Vec<f64>>,
    /// Mean F1 over the object classes present, per IoU threshold.
    pub mean_objects: Option<Vec<f64>>,
    /// Per-class entity-distance scores, one entry per centimetre 1..=100.
    pub distance_classes: Vec<ClassSummary>,
}

/// Scores every `(name, pred, gt)` scene.
pub fn evaluate_layouts(scenes: &[(String, EvalScene, EvalScene)], cfg: &LayoutMetricConfig) -> LayoutReport {
    let results: Vec<SceneResult> = scenes
        .iter()
        .map(|(name, pred, gt)| SceneResult {
            name: name.clone(),
            iou: score_scene(pred, gt, cfg),
            distance: entity_distance::score_scene(pred, gt),
        })
        .collect();
    let nt = cfg.iou_thresholds.len();
    let iou: Vec<&SceneCounts> = results.iter().map(|r| &r.iou).collect();
    let classes = summarize(&iou, nt);
    let dist: Vec<&SceneCounts> = results.iter().map(|r| &r.distance).collect();
    let distance_classes = summarize(&dist, entity_distance::thresholds_m().len());
    LayoutReport {
        config: cfg.clone(),
        mean_layout: mean_f1(&classes, EvalClass::is_layout, nt),
        mean_objects: mean_f1(&classes, |c| !c.is_layout(), nt),
        classes,
        scenes: results,
        distance_classes,
    }
}

fn label(t: f64) -> String {
    format!("{t}")
}

/// Mean over the 1..=100 cm thresholds of a distance summary's F1.
pub fn average_distance_f1(c: &ClassSummary) -> f64 {
    if c.f1.is_empty() {
        0.0
    } else {
        c.f1.iter().sum::<f64>() / c.f1.len() as f64
    }
}

impl LayoutReport {
    fn means_json(&self, m: &Option<Vec<f64>>) -> Value {
        match m {
            None => Value::Null,
            Some(v) => {
                let mut o = Map::new();
                for (t, f) in self.config.iou_thresholds.iter().zip(v) {
                    o.insert(format!("f1@{}", label(*t)), json!(f));
                }
                Value::Object(o)
            }
        }
    }

    fn distance_json(&self) -> Value {
        let mut classes = Map::new();
        let entry = |c: &ClassSummary| {
            let mut o = Map::new();
            for cm in REPORTED_CM {
                o.insert(format!("f1@{cm}cm"), json!(c.f1.get(index_of_cm(cm)).copied().unwrap_or(0.0)));
            }
            o.insert("f1_avg_1_100cm".into(), json!(average_distance_f1(c)));
            o.insert("scenes_scored".into(), json!(c.scenes_scored));
            o
        };
        for c in &self.distance_classes {
            classes.insert(c.class.name().into(), Value::Object(entry(c)));
        }
        let mean = |pick: fn(EvalClass) -> bool| {
            let chosen: Vec<&ClassSummary> = self.distance_classes.iter().filter(|c| pick(c.class)).collect();
            if chosen.is_empty() {
                return Value::Null;
            }
            let n = chosen.len() as f64;
            let mut o = Map::new();
            for cm in REPORTED_CM {
                let k = index_of_cm(cm);
                o.insert(format!("f1@{cm}cm"), json!(chosen.iter().map(|c| c.f1.get(k).copied().unwrap_or(0.0)).sum::<f64>() / n));
            }
            o.insert("f1_avg_1_100cm".into(), json!(chosen.iter().map(|c| average_distance_f1(c)).sum::<f64>() / n));
            Value::Object(o)
        };
        json!({
            "classes": classes,
            "mean_layout": mean(EvalClass::is_layout),
            "mean_objects": mean(|c| !c.is_layout()),
        })
    }

    /// The machine-readable report (keys documented in `eval/README.md`).
    pub fn to_json(&self) -> Value {
        let mut classes = Map::new();
        for c in &self.classes {
            let mut o = Map::new();
            for (k, t) in self.config.iou_thresholds.iter().enumerate() {
                let l = label(*t);
                o.insert(format!("f1@{l}"), json!(c.f1[k]));
                o.insert(format!("precision@{l}"), json!(c.precision[k]));
                o.insert(format!("recall@{l}"), json!(c.recall[k]));
            }
            o.insert("scenes_scored".into(), json!(c.scenes_scored));
            classes.insert(c.class.name().into(), Value::Object(o));
        }
        let per_scene: Vec<Value> = self
            .scenes
            .iter()
            .map(|s| {
                let mut o = Map::new();
                for (class, counts) in &s.iou {
                    let Some(first) = counts.first() else { continue };
                    if first.masked() {
                        continue;
                    }
                    let mut e = Map::new();
                    e.insert("num_pred".into(), json!(first.num_pred));
                    e.insert("num_gt".into(), json!(first.num_gt));
                    for (t, c) in self.config.iou_thresholds.iter().zip(counts) {
                        e.insert(format!("tp@{}", label(*t)), json!(c.tp));
                    }
                    o.insert(class.name().into(), Value::Object(e));
                }
                json!({"name": s.name, "classes": o})
            })
            .collect();
        json!({
            "scenes": self.scenes.len(),
            "spatiallm_compat": self.config.spatiallm_compat,
            "iou_thresholds": self.config.iou_thresholds,
            "classes": classes,
            "mean_layout": self.means_json(&self.mean_layout),
            "mean_objects": self.means_json(&self.mean_objects),
            "entity_distance": self.distance_json(),
            "per_scene": per_scene,
        })
    }

    /// A human-readable table (markdown), F1 in percent like SpatialLM's tables.
    pub fn to_markdown(&self) -> String {
        let mut s = String::new();
        let ts: Vec<String> = self.config.iou_thresholds.iter().map(|t| label(*t)).collect();
        let _ = write!(s, "| class | scenes |");
        for t in &ts {
            let _ = write!(s, " F1@{t} | P@{t} | R@{t} |");
        }
        let _ = write!(s, " F1@5cm | F1@10cm | F1@25cm | F1 avg 1-100cm |\n|---|---:|");
        for _ in &ts {
            s.push_str("---:|---:|---:|");
        }
        s.push_str("---:|---:|---:|---:|\n");
        let pct = |x: f64| format!("{:.1}", 100.0 * x);
        for c in &self.classes {
            let _ = write!(s, "| {} | {} |", c.class.name(), c.scenes_scored);
            for k in 0..ts.len() {
                let _ = write!(s, " {} | {} | {} |", pct(c.f1[k]), pct(c.precision[k]), pct(c.recall[k]));
            }
            match self.distance_classes.iter().find(|d| d.class == c.class) {
                Some(d) => {
                    for cm in REPORTED_CM {
                        let _ = write!(s, " {} |", pct(d.f1.get(index_of_cm(cm)).copied().unwrap_or(0.0)));
                    }
                    let _ = writeln!(s, " {} |", pct(average_distance_f1(d)));
                }
                None => s.push_str(" – | – | – | – |\n"),
            }
        }
        for (name, m) in [("**mean layout**", &self.mean_layout), ("**mean objects**", &self.mean_objects)] {
            if let Some(v) = m {
                let _ = write!(s, "| {name} | |");
                for f in v {
                    let _ = write!(s, " {} | | |", pct(*f));
                }
                s.push_str(" | | | |\n");
            }
        }
        s
    }
}

/// Reads and scores `pred` against `gt` (two files, or two folders of
/// files matched by name; `.json` and `.txt`).
pub fn evaluate_layout_paths(
    pred: &std::path::Path,
    gt: &std::path::Path,
    cfg: &LayoutMetricConfig,
) -> Result<LayoutReport, super::EvalError> {
    let pairs = super::files::pair_inputs(pred, gt, &["json", "txt"])?;
    let scenes = pairs
        .iter()
        .map(|p| Ok((p.name.clone(), super::read_scene(&p.pred)?, super::read_scene(&p.gt)?)))
        .collect::<Result<Vec<_>, super::EvalError>>()?;
    Ok(evaluate_layouts(&scenes, cfg))
}
