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
    match (pred.is_dir(), gt.is_dir()) {
        (false, false) => {
            for p in [pred, gt] {
                if !p.exists() {
                    return Err(EvalError::Pairing(format!("{}: no such file or folder", p.display())));
                }
            }
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
