//! The benchmark runner: a manifest (`eval/benchmarks/*.toml`) names the
//! cases (a ground-truth folder, or a range of synthetic seeds), the stage
//! that produces predictions, and the metrics; [`run_benchmark`] runs the
//! stage over every case, scores the results and returns a [`BenchReport`]
//! that renders as markdown and JSON (`eval/results/<name>.md|.json`).
//!
//! Stages are pluggable: anything implementing [`Stage`] can be benchmarked.
//! This module ships `none` (score predictions already on disk) and
//! `oracle` (predict the ground truth: a harness self-check, every score is
//! perfect); the pipeline registers its own stages through the CLI layer.

use super::files::Batch;
use super::layout_report::{evaluate_layouts, LayoutReport};
use super::scene::{read_scene, EvalScene};
use super::traj::{evaluate_trajectory, Alignment, TrajConfig, TrajReport};
use super::{cloud, EvalError, LayoutMetricConfig};
use crate::cloud::PointCloud;
use crate::layout::Layout;
use crate::trajectory::Trajectory;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// First synthetic seed reserved for evaluation: training data must never
/// use seeds at or above it (the dataset writer refuses them by default).
pub const EVAL_SEED_START: u64 = crate::synth::dataset::EVAL_SEED_START;

/// Which metric families a benchmark computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Metric {
    Layout,
    Traj,
    Cloud,
}

/// Ground-truth or prediction folders, one per metric family; files inside
/// match cases by name (stem).
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Folders {
    /// Layouts (`.json`, `.txt`) or box lists (`.json`).
    pub layout: Option<PathBuf>,
    /// TUM trajectories (`.txt`, `.tum`).
    pub trajectory: Option<PathBuf>,
    /// Point clouds (`.ply`).
    pub cloud: Option<PathBuf>,
}

/// Synthetic cases: seeds `start..end` of the scene generator.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SyntheticCases {
    /// `[start, end)`; both at or above [`EVAL_SEED_START`].
    pub seeds: [u64; 2],
}

/// Trajectory settings of a manifest.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrajSettings {
    /// `"se3"` (default) or `"sim3"`.
    #[serde(default)]
    pub align: Option<String>,
    /// Seconds (default 0.02).
    #[serde(default)]
    pub max_dt: Option<f64>,
    /// RPE step in frames (default 1).
    #[serde(default)]
    pub rpe_delta: Option<usize>,
    /// RPE step in metres of ground-truth path (instead of frames).
    #[serde(default)]
    pub rpe_delta_m: Option<f64>,
}

/// A benchmark manifest, as read from TOML. Paths are relative to the
/// manifest's folder.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// Names the result files (`eval/results/<name>.md`); letters, digits,
    /// `-`, `_`, `.`.
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The stage producing predictions (`none`, `oracle`, or one the caller
    /// registers).
    pub stage: String,
    /// Metric families to compute.
    pub metrics: Vec<Metric>,
    /// Score layouts the way SpatialLM's published script does.
    #[serde(default)]
    pub spatiallm_compat: bool,
    /// Input folder handed to the stage (one file or folder per case, by name).
    #[serde(default)]
    pub inputs: Option<PathBuf>,
    #[serde(default)]
    pub ground_truth: Folders,
    /// Predictions on disk, for the `none` stage.
    #[serde(default)]
    pub predictions: Folders,
    #[serde(default)]
    pub synthetic: Option<SyntheticCases>,
    #[serde(default)]
    pub traj: Option<TrajSettings>,
    /// Cloud F-score distance, metres (default 0.05).
    #[serde(default)]
    pub cloud_tau: Option<f64>,
    /// `"none"` (default): clouds are scored as they are. `"trajectory"`:
    /// the predicted cloud is first moved by the case's trajectory
    /// alignment (SE(3) or Sim(3) per `[traj] align`), for reconstructions
    /// that live in their own frame and scale; needs the `traj` metric.
    #[serde(default)]
    pub cloud_align: Option<String>,
    /// Stage-specific settings, passed through untouched.
    #[serde(default)]
    pub stage_options: Option<toml::Table>,
}

impl Manifest {
    /// Parses manifest text; `path` is used in messages and to resolve
    /// relative paths.
    pub fn parse(text: &str, path: &Path) -> Result<Manifest, EvalError> {
        let p = path.display().to_string();
        let err = |message: String| EvalError::Manifest { path: p.clone(), message };
        let mut m: Manifest = toml::from_str(text).map_err(|e| err(e.to_string().trim_end().to_string()))?;
        if m.name.is_empty() || !m.name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c)) {
            return Err(err(format!("name {:?} must be non-empty and use only letters, digits, '-', '_' and '.'", m.name)));
        }
        if m.metrics.is_empty() {
            return Err(err("metrics is empty (choose from \"layout\", \"traj\", \"cloud\")".into()));
        }
        if let Some(s) = &m.synthetic {
            let [start, end] = s.seeds;
            if start >= end {
                return Err(err(format!("synthetic.seeds [{start}, {end}] is an empty range")));
            }
            if start < EVAL_SEED_START {
                return Err(err(format!(
                    "synthetic.seeds start at {start}, below {EVAL_SEED_START}: benchmarks use the evaluation seed range only (training uses seeds below it)"
                )));
            }
            if m.metrics.iter().any(|x| *x != Metric::Layout) {
                return Err(err("synthetic benchmarks score layouts only (metrics = [\"layout\"])".into()));
            }
        } else if m.ground_truth.layout.is_none() && m.ground_truth.trajectory.is_none() && m.ground_truth.cloud.is_none() {
            return Err(err("give [ground_truth] folders or a [synthetic] seed range".into()));
        }
        for metric in &m.metrics {
            let has_gt = m.synthetic.is_some()
                || match metric {
                    Metric::Layout => m.ground_truth.layout.is_some(),
                    Metric::Traj => m.ground_truth.trajectory.is_some(),
                    Metric::Cloud => m.ground_truth.cloud.is_some(),
                };
            if !has_gt {
                return Err(err(format!("metric {metric:?} needs a ground_truth folder for it")));
            }
        }
        match m.cloud_align.as_deref() {
            None | Some("none") => {}
            Some("trajectory") => {
                if !m.metrics.contains(&Metric::Traj) || !m.metrics.contains(&Metric::Cloud) {
                    return Err(err("cloud_align = \"trajectory\" needs both the traj and cloud metrics".into()));
                }
            }
            Some(other) => return Err(err(format!("cloud_align must be \"none\" or \"trajectory\", not {other:?}"))),
        }
        if let Some(t) = &m.traj {
            if let Some(a) = &t.align {
                if a != "se3" && a != "sim3" {
                    return Err(err(format!("traj.align must be \"se3\" or \"sim3\", not {a:?}")));
                }
            }
        }
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        let resolve = |p: &mut Option<PathBuf>| {
            if let Some(x) = p {
                if x.is_relative() {
                    *x = base.join(&*x);
                }
            }
        };
        for f in [&mut m.ground_truth, &mut m.predictions] {
            resolve(&mut f.layout);
            resolve(&mut f.trajectory);
            resolve(&mut f.cloud);
        }
        resolve(&mut m.inputs);
        Ok(m)
    }

    /// Reads a manifest file.
    pub fn read(path: &Path) -> Result<Manifest, EvalError> {
        let text =
            std::fs::read_to_string(path).map_err(|source| EvalError::Io { path: path.display().to_string(), source })?;
        Manifest::parse(&text, path)
    }

    fn traj_config(&self) -> TrajConfig {
        let mut c = TrajConfig::default();
        if let Some(t) = &self.traj {
            if t.align.as_deref() == Some("sim3") {
                c.align = Alignment::Sim3;
            }
            if let Some(d) = t.max_dt {
                c.max_dt = d;
            }
            if let Some(d) = t.rpe_delta {
                c.rpe_delta = d;
            }
            c.rpe_delta_m = t.rpe_delta_m;
        }
        c
    }
}

/// One case handed to a stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Case name (file stem, or `seed_<n>`).
    pub name: String,
    /// The case's input (`<inputs>/<name>.*` or `<inputs>/<name>/`), when the
    /// manifest names an inputs folder and it exists.
    pub input: Option<PathBuf>,
    /// The synthetic seed, for synthetic cases.
    pub seed: Option<u64>,
}

/// What a stage produced for one case; `None` where it produced nothing of
/// that kind (scored as an empty prediction).
#[derive(Debug, Clone, Default)]
pub struct Prediction {
    pub layout: Option<EvalScene>,
    pub trajectory: Option<Trajectory>,
    pub cloud: Option<PointCloud>,
    /// Sub-stage timings the stage measured itself, seconds.
    pub timings: Vec<(String, f64)>,
    /// Things the stage counted (summed over cases in the report), e.g.
    /// `invalid_after_solve`.
    pub counts: Vec<(String, f64)>,
}

/// Ground truth of one case.
#[derive(Debug, Clone, Default)]
pub struct Truth {
    pub layout: Option<EvalScene>,
    pub trajectory: Option<Trajectory>,
    pub cloud: Option<PointCloud>,
}

/// A prediction-making step that can be benchmarked.
pub trait Stage {
    /// Name written in the report.
    fn name(&self) -> String;
    /// Predicts one case. `truth` is given for stages that need it (the
    /// oracle); real stages must not look at it.
    fn predict(&mut self, case: &Case, truth: &Truth) -> Result<Prediction, String>;
}

/// Scores predictions already on disk (`[predictions]` folders).
pub struct ReadPredictions {
    pub folders: Folders,
}

fn find_by_stem(dir: &Path, name: &str, extensions: &[&str]) -> Option<PathBuf> {
    extensions.iter().map(|e| dir.join(format!("{name}.{e}"))).find(|p| p.is_file())
}

impl Stage for ReadPredictions {
    fn name(&self) -> String {
        "none".into()
    }

    fn predict(&mut self, case: &Case, truth: &Truth) -> Result<Prediction, String> {
        // Only what this case has ground truth for is read.
        let mut out = Prediction::default();
        let missing = |what: &str, dir: &Path| format!("no predicted {what} for {} in {}", case.name, dir.display());
        if let (Some(dir), Some(_)) = (&self.folders.layout, &truth.layout) {
            let p = find_by_stem(dir, &case.name, &["json", "txt"]).ok_or_else(|| missing("layout", dir))?;
            out.layout = Some(read_scene(&p).map_err(|e| e.to_string())?);
        }
        if let (Some(dir), Some(_)) = (&self.folders.trajectory, &truth.trajectory) {
            let p = find_by_stem(dir, &case.name, &["txt", "tum"]).ok_or_else(|| missing("trajectory", dir))?;
            out.trajectory = Some(Trajectory::read_tum(&p).map_err(|e| e.to_string())?);
        }
        if let (Some(dir), Some(_)) = (&self.folders.cloud, &truth.cloud) {
            let p = find_by_stem(dir, &case.name, &["ply"]).ok_or_else(|| missing("cloud", dir))?;
            out.cloud = Some(cloud::read_cloud(&p).map_err(|e| e.to_string())?);
        }
        Ok(out)
    }
}

/// Predicts the ground truth itself: every score must come out perfect, so
/// a benchmark run with it checks the data and the harness end to end.
pub struct Oracle;

impl Stage for Oracle {
    fn name(&self) -> String {
        "oracle".into()
    }

    fn predict(&mut self, _case: &Case, truth: &Truth) -> Result<Prediction, String> {
        Ok(Prediction {
            layout: truth.layout.clone(),
            trajectory: truth.trajectory.clone(),
            cloud: truth.cloud.clone(),
            timings: Vec::new(),
            counts: Vec::new(),
        })
    }
}

/// Predicts the ground truth with seeded Gaussian noise: a yardstick for
/// what a given geometric error does to each metric. Settings come from the
/// manifest's `[stage_options]`: `sigma` (metres, default 0.05) for wall
/// endpoints, opening centres and box centres and extents, `yaw_sigma_deg`
/// (default 5) for box yaw, `drop` (probability of losing an entity,
/// default 0), `seed` (default 0). Same case name and options, same noise.
#[derive(Debug, Clone, PartialEq)]
pub struct Perturb {
    pub sigma: f64,
    pub yaw_sigma_deg: f64,
    pub drop: f64,
    pub seed: u64,
}

impl Default for Perturb {
    fn default() -> Self {
        Perturb { sigma: 0.05, yaw_sigma_deg: 5.0, drop: 0.0, seed: 0 }
    }
}

impl Perturb {
    /// Reads `[stage_options]`; unknown keys and bad values are errors.
    pub fn from_options(options: Option<&toml::Table>) -> Result<Perturb, String> {
        let mut p = Perturb::default();
        for o in stage_options(options) {
            match o.key {
                "sigma" => p.sigma = o.number()?,
                "yaw_sigma_deg" => p.yaw_sigma_deg = o.number()?,
                "drop" => p.drop = o.number()?,
                "seed" => p.seed = o.count()?,
                other => return Err(format!("unknown stage_options key {other:?} for stage \"perturb\" (sigma, yaw_sigma_deg, drop, seed)")),
            }
        }
        if !(p.sigma.is_finite() && p.sigma >= 0.0 && p.yaw_sigma_deg.is_finite() && p.yaw_sigma_deg >= 0.0) {
            return Err("stage_options.sigma and yaw_sigma_deg must be finite and >= 0".into());
        }
        if !(0.0..=1.0).contains(&p.drop) {
            return Err("stage_options.drop must be a probability in [0, 1]".into());
        }
        Ok(p)
    }
}

/// One `[stage_options]` entry with typed readers; their errors name the key.
#[derive(Debug, Clone, Copy)]
pub struct StageOption<'a> {
    pub key: &'a str,
    pub value: &'a toml::Value,
}

impl StageOption<'_> {
    /// A number (TOML float or integer).
    pub fn number(&self) -> Result<f64, String> {
        self.value.as_float().or_else(|| self.value.as_integer().map(|i| i as f64)).ok_or_else(|| format!("stage_options.{} must be a number", self.key))
    }

    /// A whole number >= 0 that fits `T`.
    pub fn count<T: TryFrom<i64>>(&self) -> Result<T, String> {
        self.value
            .as_integer()
            .filter(|i| *i >= 0)
            .and_then(|i| T::try_from(i).ok())
            .ok_or_else(|| format!("stage_options.{} must be a whole number >= 0", self.key))
    }

    /// `true` or `false`.
    pub fn flag(&self) -> Result<bool, String> {
        self.value.as_bool().ok_or_else(|| format!("stage_options.{} must be true or false", self.key))
    }
}

/// The entries of a manifest's `[stage_options]` (none when absent), in
/// key order.
pub fn stage_options(options: Option<&toml::Table>) -> impl Iterator<Item = StageOption<'_>> {
    options.into_iter().flatten().map(|(key, value)| StageOption { key: key.as_str(), value })
}

/// FNV-1a of a case name, to seed per-case noise independently of order.
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

impl Stage for Perturb {
    fn name(&self) -> String {
        format!("perturb(sigma={} m, yaw_sigma={}°, drop={})", self.sigma, self.yaw_sigma_deg, self.drop)
    }

    fn predict(&mut self, case: &Case, truth: &Truth) -> Result<Prediction, String> {
        use rand::{Rng, SeedableRng};
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.seed ^ name_hash(&case.name));
        // Standard normal by Box–Muller.
        let mut gauss = move |sigma: f64| -> f64 {
            let u1: f64 = 1.0 - rng.random::<f64>();
            let u2: f64 = rng.random::<f64>();
            sigma * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        let mut keep_rng = rand_chacha::ChaCha8Rng::seed_from_u64(self.seed ^ name_hash(&case.name) ^ 0x5eed);
        let drop = self.drop;
        let mut keep = move || keep_rng.random::<f64>() >= drop;
        let s = self.sigma;
        let yaw_sigma = self.yaw_sigma_deg.to_radians();
        let layout = truth.layout.as_ref().map(|gt| {
            let mut p = gt.clone();
            p.walls.retain(|_| keep());
            for w in &mut p.walls {
                for k in 0..2 {
                    w.a[k] += gauss(s);
                    w.b[k] += gauss(s);
                }
                w.height += gauss(s);
            }
            p.openings.retain(|_| keep());
            for o in &mut p.openings {
                for c in &mut o.center {
                    *c += gauss(s);
                }
                o.width += gauss(s);
                o.height += gauss(s);
            }
            p.objects.retain(|_| keep());
            for b in &mut p.objects {
                for k in 0..3 {
                    b.bbox.center[k] += gauss(s);
                    b.bbox.size[k] = (b.bbox.size[k] + gauss(s)).max(0.0);
                }
                b.bbox.yaw += gauss(yaw_sigma);
            }
            p
        });
        Ok(Prediction { layout, ..Prediction::default() })
    }
}

/// `perturb`, then the constraint solver (`crate::solve`, no cloud): what the
/// solver does to a noisy prediction, measured by every layout metric.
/// Objects go through the solver under their benchmark class's name in the
/// 59-class vocabulary (the scored class is unchanged). The solve time of
/// each case is recorded as the sub-stage timing `solve`, and the number
/// of cases the solver could not make fully valid as `invalid_after_solve` (0 or 1 per
/// case, so the report's sum counts them) under `counts`.
pub struct PerturbSolve {
    pub perturb: Perturb,
    pub solver: crate::solve::SolveConfig,
}

impl PerturbSolve {
    pub fn from_options(options: Option<&toml::Table>) -> Result<PerturbSolve, String> {
        Ok(PerturbSolve { perturb: Perturb::from_options(options)?, solver: crate::solve::SolveConfig::default() })
    }
}

/// A layout (for the solver) holding a scored scene.
fn scene_to_layout(scene: &EvalScene) -> Layout {
    let mut l = Layout::new();
    l.walls = scene.walls.clone();
    l.openings = scene.openings.clone();
    l.objects = scene
        .objects
        .iter()
        .enumerate()
        .map(|(i, b)| crate::layout::Object {
            id: i as u32,
            class: crate::layout::ObjectClass::parse(&b.class.name().replace(' ', "_")),
            center: b.bbox.center,
            size: b.bbox.size,
            yaw: b.bbox.yaw,
        })
        .collect();
    l
}

impl Stage for PerturbSolve {
    fn name(&self) -> String {
        format!("{} + solve", self.perturb.name())
    }

    fn predict(&mut self, case: &Case, truth: &Truth) -> Result<Prediction, String> {
        let mut p = self.perturb.predict(case, truth)?;
        if let Some(scene) = &p.layout {
            let t = std::time::Instant::now();
            let solved = crate::solve::solve(&scene_to_layout(scene), None, &self.solver).map_err(|e| e.to_string())?;
            p.timings.push(("solve".into(), t.elapsed().as_secs_f64()));
            p.counts.push(("invalid_after_solve".into(), if solved.report.valid { 0.0 } else { 1.0 }));
            p.counts.push(("solver_changes".into(), solved.report.changes.len() as f64));
            p.layout = Some(EvalScene::from_layout(&solved.layout));
        }
        Ok(p)
    }
}

/// The stages this module provides for a manifest's `stage` name
/// (`none`, `oracle`, `perturb`, `perturb_solve`); `Ok(None)` for names the caller must
/// provide, `Err` for bad stage options.
pub fn builtin_stage(manifest: &Manifest) -> Result<Option<Box<dyn Stage>>, String> {
    Ok(match manifest.stage.as_str() {
        "none" => Some(Box::new(ReadPredictions { folders: manifest.predictions.clone() })),
        "oracle" => Some(Box::new(Oracle)),
        "perturb" => Some(Box::new(Perturb::from_options(manifest.stage_options.as_ref())?)),
        "perturb_solve" => Some(Box::new(PerturbSolve::from_options(manifest.stage_options.as_ref())?)),
        _ => None,
    })
}

/// Makes the ground-truth layout of a synthetic seed.
pub type SceneSource<'a> = &'a dyn Fn(u64) -> Result<Layout, String>;

/// A case that could not be predicted or read.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub case: String,
    pub error: String,
}

/// Everything a benchmark run measured.
#[derive(Debug, Clone)]
pub struct BenchReport {
    pub name: String,
    pub description: Option<String>,
    pub stage: String,
    pub cases: usize,
    pub seeds: Option<[u64; 2]>,
    pub layout: Option<LayoutReport>,
    pub traj: Option<Batch<TrajReport>>,
    pub cloud: Option<Batch<cloud::CloudReport>>,
    /// Cases the stage failed on (scored as empty predictions).
    pub failures: Vec<Failure>,
    /// Seconds: `"stage"` (wall time over all cases), sub-stage sums the
    /// stage reported, `"ground_truth"`, `"scoring"`.
    pub timings: BTreeMap<String, f64>,
    /// Sums over cases of what the stage counted ([`Prediction::counts`]).
    pub counts: BTreeMap<String, f64>,
    /// roomscribe version and any others the caller adds (git commit, model).
    pub versions: BTreeMap<String, String>,
}

fn case_names(m: &Manifest) -> Result<Vec<(String, Option<u64>)>, EvalError> {
    if let Some(s) = &m.synthetic {
        return Ok((s.seeds[0]..s.seeds[1]).map(|seed| (format!("seed_{seed}"), Some(seed))).collect());
    }
    // Cases are the stems found in any ground-truth folder of a requested
    // metric; each metric scores the cases that have its ground truth.
    let mut names = std::collections::BTreeSet::new();
    for (dir, exts) in gt_folders(m) {
        let rd = std::fs::read_dir(dir).map_err(|source| EvalError::Io { path: dir.display().to_string(), source })?;
        for e in rd {
            let p = e.map_err(|source| EvalError::Io { path: dir.display().to_string(), source })?.path();
            let ext_ok =
                p.extension().and_then(|e| e.to_str()).is_some_and(|e| exts.iter().any(|x| x.eq_ignore_ascii_case(e)));
            if p.is_file() && ext_ok {
                if let Some(s) = p.file_stem() {
                    names.insert(s.to_string_lossy().into_owned());
                }
            }
        }
    }
    if names.is_empty() {
        return Err(EvalError::Pairing(format!("{}: the ground-truth folders hold no files", m.name)));
    }
    Ok(names.into_iter().map(|n| (n, None)).collect())
}

/// The ground-truth folders of the requested metrics with their extensions.
fn gt_folders(m: &Manifest) -> Vec<(&Path, &'static [&'static str])> {
    let mut out: Vec<(&Path, &'static [&'static str])> = Vec::new();
    for metric in &m.metrics {
        let (dir, exts): (&Option<PathBuf>, &'static [&'static str]) = match metric {
            Metric::Layout => (&m.ground_truth.layout, &["json", "txt"]),
            Metric::Traj => (&m.ground_truth.trajectory, &["txt", "tum"]),
            Metric::Cloud => (&m.ground_truth.cloud, &["ply"]),
        };
        if let Some(d) = dir {
            out.push((d.as_path(), exts));
        }
    }
    out
}

fn read_truth(m: &Manifest, name: &str, seed: Option<u64>, scenes: Option<SceneSource>) -> Result<Truth, EvalError> {
    let mut t = Truth::default();
    if let Some(seed) = seed {
        let make = scenes.ok_or_else(|| {
            EvalError::Config("this build has no synthetic scene generator for [synthetic] benchmarks".into())
        })?;
        let layout = make(seed).map_err(|e| EvalError::Config(format!("synthetic seed {seed}: {e}")))?;
        t.layout = Some(EvalScene::from_layout(&layout));
        return Ok(t);
    }
    let find = |dir: &Option<PathBuf>, metric: Metric, exts: &[&str]| {
        if !m.metrics.contains(&metric) {
            return None;
        }
        find_by_stem(dir.as_ref()?, name, exts)
    };
    if let Some(p) = find(&m.ground_truth.layout, Metric::Layout, &["json", "txt"]) {
        t.layout = Some(read_scene(&p)?);
    }
    if let Some(p) = find(&m.ground_truth.trajectory, Metric::Traj, &["txt", "tum"]) {
        t.trajectory = Some(Trajectory::read_tum(&p)?);
    }
    if let Some(p) = find(&m.ground_truth.cloud, Metric::Cloud, &["ply"]) {
        t.cloud = Some(cloud::read_cloud(&p)?);
    }
    Ok(t)
}

fn case_input(m: &Manifest, name: &str) -> Option<PathBuf> {
    let dir = m.inputs.as_ref()?;
    let exact = dir.join(name);
    if exact.exists() {
        return Some(exact);
    }
    let rd = std::fs::read_dir(dir).ok()?;
    let mut hits: Vec<PathBuf> = rd
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.file_stem().is_some_and(|s| s == name))
        .collect();
    hits.sort();
    hits.into_iter().next()
}

/// Runs `stage` over every case of the manifest and scores the results.
/// Ground truth that cannot be read is an error; a stage failure on a case
/// is recorded and the case is scored as an empty prediction.
/// `on_case(done, total)` reports progress.
pub fn run_benchmark(
    m: &Manifest,
    stage: &mut dyn Stage,
    scenes: Option<SceneSource>,
    mut on_case: impl FnMut(usize, usize),
) -> Result<BenchReport, EvalError> {
    let names = case_names(m)?;
    let mut timings: BTreeMap<String, f64> = BTreeMap::new();
    let mut counts: BTreeMap<String, f64> = BTreeMap::new();
    let mut failures = Vec::new();
    let mut layouts = Vec::new();
    let mut trajs = Vec::new();
    let mut clouds = Vec::new();
    let total = names.len();
    for (k, (name, seed)) in names.into_iter().enumerate() {
        let t0 = Instant::now();
        let truth = read_truth(m, &name, seed, scenes)?;
        *timings.entry("ground_truth".into()).or_default() += t0.elapsed().as_secs_f64();
        let case = Case { input: case_input(m, &name), name: name.clone(), seed };
        let t1 = Instant::now();
        let pred = match stage.predict(&case, &truth) {
            Ok(p) => p,
            Err(error) => {
                failures.push(Failure { case: name.clone(), error });
                Prediction::default()
            }
        };
        *timings.entry("stage".into()).or_default() += t1.elapsed().as_secs_f64();
        for (sub, s) in &pred.timings {
            *timings.entry(format!("stage.{sub}")).or_default() += s;
        }
        for (what, c) in &pred.counts {
            *counts.entry(what.clone()).or_default() += c;
        }
        if let Some(gt) = truth.layout {
            layouts.push((name.clone(), pred.layout.unwrap_or_default(), gt));
        }
        if let Some(gt) = truth.trajectory {
            trajs.push((name.clone(), pred.trajectory, gt));
        }
        if let Some(gt) = truth.cloud {
            clouds.push((name.clone(), pred.cloud, gt));
        }
        on_case(k + 1, total);
    }
    let t2 = Instant::now();
    let layout = (!layouts.is_empty()).then(|| {
        let cfg = LayoutMetricConfig { spatiallm_compat: m.spatiallm_compat, ..Default::default() };
        evaluate_layouts(&layouts, &cfg)
    });
    let tcfg = m.traj_config();
    let mut traj_items = Vec::new();
    for (name, pred, gt) in trajs {
        match pred.map(|p| evaluate_trajectory(&p, &gt, &tcfg)) {
            Some(Ok(r)) => traj_items.push((name, r)),
            Some(Err(e)) => failures.push(Failure { case: name, error: format!("trajectory: {e}") }),
            None => {}
        }
    }
    let align_clouds = m.cloud_align.as_deref() == Some("trajectory");
    let tau = m.cloud_tau.unwrap_or(cloud::DEFAULT_TAU);
    let mut cloud_items = Vec::new();
    for (name, pred, gt) in clouds {
        let pred = match pred {
            Some(p) if align_clouds => match traj_items.iter().find(|(n, _)| *n == name) {
                Some((_, r)) => Some(cloud::transform_cloud(&p, &r.est_to_gt)),
                None => {
                    failures.push(Failure {
                        case: name,
                        error: "cloud: not scored, its trajectory could not be aligned (cloud_align = \"trajectory\")".into(),
                    });
                    continue;
                }
            },
            other => other,
        };
        match pred.map(|p| cloud::evaluate_cloud(&p, &gt, tau)) {
            Some(Ok(r)) => cloud_items.push((name, r)),
            Some(Err(e)) => failures.push(Failure { case: name, error: format!("cloud: {e}") }),
            None => {}
        }
    }
    timings.insert("scoring".into(), t2.elapsed().as_secs_f64());
    let mut versions = BTreeMap::new();
    versions.insert("roomscribe".into(), crate::VERSION.to_string());
    Ok(BenchReport {
        name: m.name.clone(),
        description: m.description.clone(),
        stage: stage.name(),
        cases: total,
        seeds: m.synthetic.as_ref().map(|s| s.seeds),
        layout,
        traj: (!traj_items.is_empty()).then_some(Batch { items: traj_items }),
        cloud: (!cloud_items.is_empty()).then_some(Batch { items: cloud_items }),
        failures,
        timings,
        counts,
        versions,
    })
}

impl BenchReport {
    /// The JSON report (`eval/results/<name>.json`).
    pub fn to_json(&self) -> Value {
        let n = self.cases.max(1) as f64;
        let per_case: BTreeMap<String, f64> = self.timings.iter().map(|(k, v)| (k.clone(), v / n)).collect();
        json!({
            "benchmark": self.name,
            "description": self.description,
            "stage": self.stage,
            "cases": self.cases,
            "synthetic_seeds": self.seeds,
            "versions": self.versions,
            "layout": self.layout.as_ref().map(|l| l.to_json()),
            "traj": self.traj.as_ref().map(|t| t.to_json()),
            "cloud": self.cloud.as_ref().map(|c| c.to_json()),
            "failures": self.failures.iter().map(|f| json!({"case": f.case, "error": f.error})).collect::<Vec<_>>(),
            "timings_s": {"total": self.timings, "per_case": per_case},
            "counts": self.counts,
        })
    }

    /// The markdown report (`eval/results/<name>.md`).
    pub fn to_markdown(&self) -> String {
        let mut s = format!("# Benchmark `{}`\n\n", self.name);
        if let Some(d) = &self.description {
            s += &format!("{d}\n\n");
        }
        s += &format!("- stage: `{}`\n- cases: {}\n", self.stage, self.cases);
        if let Some([a, b]) = self.seeds {
            s += &format!("- synthetic seeds: {a}..{b} (evaluation range, >= {EVAL_SEED_START})\n");
        }
        for (k, v) in &self.versions {
            s += &format!("- {k}: {v}\n");
        }
        s += &format!("- failures: {}\n", self.failures.len());
        if let Some(l) = &self.layout {
            s += &format!(
                "\n## Layout and objects (F1 %, {} scene(s){})\n\n{}",
                l.scenes.len(),
                if l.config.spatiallm_compat { ", SpatialLM-compatible scoring" } else { "" },
                l.to_markdown()
            );
        }
        if let Some(t) = &self.traj {
            s += &format!("\n## Trajectories\n\n{}", t.to_markdown());
        }
        if let Some(c) = &self.cloud {
            s += &format!("\n## Clouds\n\n{}", c.to_markdown());
        }
        s += "\n## Timings (seconds)\n\n| step | total | per case |\n|---|---:|---:|\n";
        let n = self.cases.max(1) as f64;
        for (k, v) in &self.timings {
            s += &format!("| {k} | {v:.3} | {:.4} |\n", v / n);
        }
        if !self.counts.is_empty() {
            s += "\n## Counts (summed over cases)\n\n| what | total |\n|---|---:|\n";
            for (k, v) in &self.counts {
                s += &format!("| {k} | {v} |\n");
            }
        }
        if !self.failures.is_empty() {
            s += "\n## Failures\n\n";
            for f in &self.failures {
                s += &format!("- `{}`: {}\n", f.case, f.error.replace('\n', " "));
            }
        }
        s
    }

    /// Writes `<dir>/<name>.md` and `<dir>/<name>.json` (atomically).
    pub fn write(&self, dir: &Path) -> Result<[PathBuf; 2], EvalError> {
        std::fs::create_dir_all(dir).map_err(|source| EvalError::Io { path: dir.display().to_string(), source })?;
        let md = dir.join(format!("{}.md", self.name));
        let js = dir.join(format!("{}.json", self.name));
        let json_text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default() + "\n";
        for (p, text) in [(&md, self.to_markdown()), (&js, json_text)] {
            crate::io::write_atomic(p, text.as_bytes())
                .map_err(|source| EvalError::Io { path: p.display().to_string(), source })?;
        }
        Ok([md, js])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_option_readers_check_types_and_name_the_key() {
        let t: toml::Table = toml::from_str("sigma = 2\nseed = -1\ndrop = 0.5\nsharp = true\nwidth = 5000000000").unwrap();
        let get = |k: &str| stage_options(Some(&t)).find(|o| o.key == k).unwrap();
        assert_eq!(get("sigma").number(), Ok(2.0));
        assert_eq!(get("drop").number(), Ok(0.5));
        assert_eq!(get("seed").count::<u64>(), Err("stage_options.seed must be a whole number >= 0".to_string()));
        assert!(get("drop").count::<u64>().is_err());
        assert_eq!(get("width").count::<u64>(), Ok(5_000_000_000));
        assert!(get("width").count::<u32>().is_err(), "does not fit u32");
        assert_eq!(get("sharp").flag(), Ok(true));
        assert_eq!(get("sigma").flag(), Err("stage_options.sigma must be true or false".to_string()));
        assert_eq!(stage_options(None).count(), 0);
        let p = Perturb::from_options(Some(&toml::from_str("seed = -3").unwrap()));
        assert!(p.is_err_and(|e| e.contains("seed")));
    }

    #[test]
    fn manifest_validation() {
        let p = Path::new("eval/benchmarks/x.toml");
        let ok = "name = \"x\"\nstage = \"none\"\nmetrics = [\"layout\"]\n[ground_truth]\nlayout = \"gt\"\n";
        let m = Manifest::parse(ok, p).unwrap();
        assert_eq!(m.ground_truth.layout, Some(PathBuf::from("eval/benchmarks/gt")));
        for (bad, needle) in [
            ("name = \"x y\"\nstage = \"none\"\nmetrics = [\"layout\"]\n[ground_truth]\nlayout = \"gt\"\n", "name"),
            ("name = \"x\"\nstage = \"none\"\nmetrics = []\n[ground_truth]\nlayout = \"gt\"\n", "metrics is empty"),
            ("name = \"x\"\nstage = \"none\"\nmetrics = [\"layout\"]\n", "ground_truth"),
            ("name = \"x\"\nstage = \"none\"\nmetrics = [\"traj\"]\n[ground_truth]\nlayout = \"gt\"\n", "Traj"),
            ("name = \"x\"\nstage = \"oracle\"\nmetrics = [\"layout\"]\n[synthetic]\nseeds = [5, 10]\n", "below 1000000"),
            ("name = \"x\"\nstage = \"none\"\nmetrics = [\"layout\"]\nbogus = 1\n", "bogus"),
        ] {
            let e = Manifest::parse(bad, p).unwrap_err().to_string();
            assert!(e.contains(needle), "{e}");
            assert!(e.starts_with("eval/benchmarks/x.toml: "), "{e}");
        }
    }
}
