//! Pairing predictions with ground truth: two files, or two folders whose
//! files match by name (stem).

use super::EvalError;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// One scene: its name (the file stem) and both paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilePair {
    pub name: String,
    pub pred: PathBuf,
    pub gt: PathBuf,
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default()
}

fn list(dir: &Path, extensions: &[&str]) -> Result<BTreeMap<String, PathBuf>, EvalError> {
    let rd = std::fs::read_dir(dir).map_err(|source| EvalError::Io { path: dir.display().to_string(), source })?;
    let mut out: BTreeMap<String, PathBuf> = BTreeMap::new();
    for entry in rd {
        let entry = entry.map_err(|source| EvalError::Io { path: dir.display().to_string(), source })?;
        let p = entry.path();
        let ok = p.is_file()
            && p.extension().and_then(|e| e.to_str()).is_some_and(|e| extensions.iter().any(|x| x.eq_ignore_ascii_case(e)));
        if ok {
            // Two files with one stem (a.json and a.txt): keep the first by
            // extension order so the choice is deterministic.
            let s = stem(&p);
            let rank = |q: &Path| {
                let e = q.extension().and_then(|e| e.to_str()).unwrap_or_default().to_ascii_lowercase();
                extensions.iter().position(|x| *x == e).unwrap_or(usize::MAX)
            };
            match out.get(&s) {
                Some(prev) if rank(prev.as_path()) <= rank(&p) => {}
                _ => {
                    out.insert(s, p);
                }
            }
        }
    }
    Ok(out)
}

/// Pairs `pred` with `gt`: two files give one pair; two folders give one
/// pair per ground-truth file (with one of `extensions`), matched by stem.
/// A ground-truth scene without a prediction is an error naming it.
pub fn pair_inputs(pred: &Path, gt: &Path, extensions: &[&str]) -> Result<Vec<FilePair>, EvalError> {
    for p in [pred, gt] {
        if !p.exists() {
            return Err(EvalError::Pairing(format!("{}: no such file or folder", p.display())));
        }
    }
    match (pred.is_dir(), gt.is_dir()) {
        (false, false) => {
            Ok(vec![FilePair { name: stem(gt), pred: pred.to_path_buf(), gt: gt.to_path_buf() }])
        }
        (true, true) => {
            let g = list(gt, extensions)?;
            let p = list(pred, extensions)?;
            if g.is_empty() {
                return Err(EvalError::Pairing(format!(
                    "{}: no ground-truth files ({})",
                    gt.display(),
                    extensions.join(", ")
                )));
            }
            let missing: Vec<&str> = g.keys().filter(|k| !p.contains_key(*k)).map(|s| s.as_str()).collect();
            if !missing.is_empty() {
                let shown: Vec<&str> = missing.iter().take(5).copied().collect();
                return Err(EvalError::Pairing(format!(
                    "{}: no prediction for {} ground-truth scene(s): {}{}",
                    pred.display(),
                    missing.len(),
                    shown.join(", "),
                    if missing.len() > 5 { ", ..." } else { "" }
                )));
            }
            Ok(g.into_iter()
                .filter_map(|(name, gt)| Some(FilePair { pred: p.get(&name)?.clone(), name, gt }))
                .collect())
        }
        _ => Err(EvalError::Pairing(format!(
            "--pred {} and --gt {} must both be files or both be folders",
            pred.display(),
            gt.display()
        ))),
    }
}

/// Reports of one metric over one or more input pairs.
#[derive(Debug, Clone, PartialEq)]
pub struct Batch<R> {
    /// `(scene name, report)`, in name order.
    pub items: Vec<(String, R)>,
}

impl<R: serde::Serialize> Batch<R> {
    /// One report: its JSON as is. Several: every numeric key averaged over
    /// the items (other keys from the first), plus `"count"` and
    /// `"per_item"` with each item's report and name.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::{json, Map, Value};
        let values: Vec<Value> = self.items.iter().map(|(_, r)| serde_json::to_value(r).unwrap_or(Value::Null)).collect();
        if values.len() == 1 {
            return values.into_iter().next().unwrap_or(Value::Null);
        }
        let mut out = Map::new();
        if let Some(Value::Object(first)) = values.first() {
            for (k, v) in first {
                let nums: Vec<f64> = values.iter().filter_map(|x| x.get(k).and_then(Value::as_f64)).collect();
                if v.is_number() && nums.len() == values.len() && !nums.is_empty() {
                    out.insert(k.clone(), json!(nums.iter().sum::<f64>() / nums.len() as f64));
                } else {
                    out.insert(k.clone(), v.clone());
                }
            }
        }
        out.insert("count".into(), json!(values.len()));
        let per: Vec<Value> = self
            .items
            .iter()
            .zip(values)
            .map(|((name, _), mut v)| {
                if let Value::Object(o) = &mut v {
                    o.insert("name".into(), json!(name));
                }
                v
            })
            .collect();
        out.insert("per_item".into(), Value::Array(per));
        Value::Object(out)
    }

    /// A markdown table: one row per item (and the mean when several), one
    /// column per numeric key.
    pub fn to_markdown(&self) -> String {
        use serde_json::Value;
        let rows: Vec<(String, Value)> = self
            .items
            .iter()
            .map(|(n, r)| (n.clone(), serde_json::to_value(r).unwrap_or(Value::Null)))
            .collect();
        let Some((_, Value::Object(first))) = rows.first() else { return String::new() };
        let keys: Vec<&String> = first.iter().filter(|(_, v)| v.is_number()).map(|(k, _)| k).collect();
        let mut s = format!("| item | {} |\n|---|{}\n", keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(" | "), "---:|".repeat(keys.len()));
        let fmt = |v: Option<&Value>| match v {
            Some(Value::Number(n)) if n.is_f64() => format!("{:.4}", n.as_f64().unwrap_or(0.0)),
            Some(v) => v.to_string(),
            None => "–".into(),
        };
        for (name, v) in &rows {
            s.push_str(&format!("| {name} | {} |\n", keys.iter().map(|k| fmt(v.get(k.as_str()))).collect::<Vec<_>>().join(" | ")));
        }
        if rows.len() > 1 {
            let mean = self.to_json();
            s.push_str(&format!("| **mean** | {} |\n", keys.iter().map(|k| fmt(mean.get(k.as_str()))).collect::<Vec<_>>().join(" | ")));
        }
        s
    }
}
