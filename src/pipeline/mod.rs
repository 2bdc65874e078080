//! Composition of the stages into `roomscribe run`: input → (reconstruction)
//! → point cloud → layout model → solver → outputs. Each stage is a library
//! call; this module only sequences them, writes the files and reports what
//! ran, for how long, and where it stopped. It never prints: progress goes
//! through a callback.

pub mod input;

use crate::cloud::{read_ply, write_ply, PlyEncoding, PointCloud};
use input::{detect, InputKind};
use serde::Serialize;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Where `run` looks for the shipped layout model, relative to the source
/// tree and to the executable.
pub const MODEL_FILE: &str = "onnx/roomscribe-layout.onnx";

/// Configuration of a whole run.
#[derive(Debug, Clone, Default)]
pub struct RunConfig {
    /// Front-end settings (video, image and RGB-D inputs).
    #[cfg(feature = "video")]
    pub recon: crate::recon::ReconConfig,
    /// A layout model to use instead of the shipped one.
    pub model: Option<PathBuf>,
}

/// What one stage did.
#[derive(Debug, Clone, Serialize)]
pub struct StageReport {
    pub stage: &'static str,
    /// `done`, or `unavailable` when this build cannot run the stage.
    pub status: &'static str,
    pub seconds: f64,
    pub detail: String,
}

/// What a run did, written to `DIR/report.json`.
#[derive(Debug, Clone, Serialize)]
pub struct RunReport {
    pub roomscribe: &'static str,
    pub input: String,
    pub input_kind: &'static str,
    pub stages: Vec<StageReport>,
    /// Files written, relative to the output folder.
    pub outputs: Vec<String>,
    /// True when every stage ran and `layout.json` was written.
    pub complete: bool,
    /// Why the run stopped early, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
    /// The front end's own report, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recon: Option<serde_json::Value>,
}

/// Errors of a run.
#[derive(Debug, thiserror::Error)]
pub enum PipelineError {
    #[error(transparent)]
    Input(#[from] input::InputError),
    #[error("{path}: `run` takes a capture or a point cloud; to fix up a layout use `roomscribe solve`")]
    LayoutGiven { path: String },
    #[error("{path}: this roomscribe was built without video support (cargo feature `video`), so it cannot read a {kind}")]
    NoVideo { path: String, kind: &'static str },
    #[error(transparent)]
    Cloud(#[from] crate::cloud::PlyError),
    #[cfg(feature = "video")]
    #[error(transparent)]
    Recon(#[from] crate::recon::ReconError),
    #[error("{path}: {message}")]
    BadModel { path: String, message: String },
    #[error("{path}: the point cloud is empty")]
    EmptyCloud { path: String },
    #[error("{path}: cannot write: {source}")]
    Write { path: String, source: std::io::Error },
}

/// A progress event: the stage and, within it, done / total units.
#[derive(Debug, Clone, Copy)]
pub struct Progress {
    pub stage: &'static str,
    pub done: usize,
    pub total: Option<usize>,
}

fn write_err(path: &Path) -> impl FnOnce(std::io::Error) -> PipelineError + '_ {
    move |source| PipelineError::Write { path: path.display().to_string(), source }
}

/// Checks a `--model` file before any work is done, so a wrong path fails
/// at once instead of after a long reconstruction: it must be a readable
/// file with the `.onnx` extension whose first byte is a protobuf tag
/// (ONNX models start with field 1, `ir_version`, as a varint: 0x08).
pub fn check_model_file(model: &Path) -> Result<(), PipelineError> {
    let bad = |message: &str| PipelineError::BadModel { path: model.display().to_string(), message: message.to_string() };
    let meta = std::fs::metadata(model).map_err(|e| bad(&format!("cannot read the model file: {e}")))?;
    if !meta.is_file() {
        return Err(bad("is not a file (expected an .onnx model)"));
    }
    let ext_ok = model.extension().and_then(|e| e.to_str()).is_some_and(|e| e.eq_ignore_ascii_case("onnx"));
    if !ext_ok {
        return Err(bad("is not an ONNX model (expected a file ending in .onnx)"));
    }
    let mut first = [0u8; 1];
    let n = std::fs::File::open(model)
        .and_then(|mut f| std::io::Read::read(&mut f, &mut first))
        .map_err(|e| bad(&format!("cannot read the model file: {e}")))?;
    if n == 0 || first[0] != 0x08 {
        return Err(bad("does not look like an ONNX model (it does not start with the ir_version field)"));
    }
    Ok(())
}

/// The layout model `run` would use: the configured one, else the shipped
/// file beside the executable or in the source tree.
pub fn find_model(cfg: &RunConfig) -> Option<PathBuf> {
    if let Some(m) = &cfg.model {
        return Some(m.clone());
    }
    let exe_dir = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf));
    exe_dir
        .into_iter()
        .map(|d| d.join(MODEL_FILE))
        .chain(std::iter::once(Path::new(env!("CARGO_MANIFEST_DIR")).join(MODEL_FILE)))
        .find(|p| p.is_file())
}

/// Runs the pipeline on `input`, writing into `out_dir` (created if needed).
///
/// Returns the report also when the run stopped early because a stage is
/// not available in this build (`complete == false`, `stopped` says why);
/// errors are for bad inputs and failed stages.
pub fn run(
    input: &Path,
    out_dir: &Path,
    cfg: &RunConfig,
    progress: &mut dyn FnMut(Progress),
) -> Result<RunReport, PipelineError> {
    let kind = detect(input)?;
    let mut report = RunReport {
        roomscribe: crate::VERSION,
        input: input.display().to_string(),
        input_kind: kind.name(),
        stages: Vec::new(),
        outputs: Vec::new(),
        complete: false,
        stopped: None,
        recon: None,
    };
    if kind == InputKind::Layout {
        return Err(PipelineError::LayoutGiven { path: report.input });
    }
    if let Some(model) = &cfg.model {
        check_model_file(model)?;
    }
    std::fs::create_dir_all(out_dir).map_err(write_err(out_dir))?;

    // Stage 1: a point cloud, read or reconstructed.
    let t = Instant::now();
    let cloud: PointCloud = if kind == InputKind::Ply {
        progress(Progress { stage: "reading cloud", done: 0, total: None });
        let read = read_ply(input)?;
        report.stages.push(StageReport {
            stage: "read_cloud",
            status: "done",
            seconds: t.elapsed().as_secs_f64(),
            detail: format!("{} points ({} non-finite dropped)", read.cloud.len(), read.dropped_nonfinite),
        });
        read.cloud
    } else {
        reconstruct(input, kind, out_dir, cfg, &mut report, progress)?
    };
    if cloud.is_empty() {
        return Err(PipelineError::EmptyCloud { path: report.input });
    }
    let scan = out_dir.join("scan.ply");
    write_ply(&scan, &cloud, PlyEncoding::BinaryLittleEndian)?;
    report.outputs.push("scan.ply".into());

    // Stage 2: the layout model.
    let t = Instant::now();
    match find_model(cfg) {
        None => {
            let why = format!(
                "no layout model is shipped with this build ({MODEL_FILE} is missing), so the run stops after the point \
                 cloud; `roomscribe solve` and `roomscribe eval` work on layouts from elsewhere"
            );
            report.stages.push(StageReport { stage: "model", status: "unavailable", seconds: t.elapsed().as_secs_f64(), detail: why.clone() });
            report.stopped = Some(why);
        }
        Some(model) => {
            let why = format!(
                "{}: decoding layouts with a model is not built into roomscribe {} yet",
                model.display(),
                crate::VERSION
            );
            report.stages.push(StageReport { stage: "model", status: "unavailable", seconds: t.elapsed().as_secs_f64(), detail: why.clone() });
            report.stopped = Some(why);
        }
    }

    let rep = out_dir.join("report.json");
    report.outputs.push("report.json".into());
    let text = serde_json::to_string_pretty(&report).unwrap_or_default();
    crate::io::write_atomic(&rep, text.as_bytes()).map_err(write_err(&rep))?;
    Ok(report)
}

#[cfg(feature = "video")]
fn reconstruct(
    input: &Path,
    _kind: InputKind,
    out_dir: &Path,
    cfg: &RunConfig,
    report: &mut RunReport,
    progress: &mut dyn FnMut(Progress),
) -> Result<PointCloud, PipelineError> {
    let t = Instant::now();
    let r = crate::recon::reconstruct(input, &cfg.recon, &mut |p| {
        progress(Progress { stage: p.stage, done: p.done, total: p.total })
    })?;
    let traj = out_dir.join("trajectory.txt");
    r.trajectory.write_tum(&traj).map_err(write_err(&traj))?;
    report.outputs.push("trajectory.txt".into());
    report.stages.push(StageReport {
        stage: "recon",
        status: "done",
        seconds: t.elapsed().as_secs_f64(),
        detail: format!("{} poses, {} points", r.trajectory.poses.len(), r.cloud.len()),
    });
    report.recon = serde_json::to_value(&r.report).ok();
    Ok(r.cloud)
}

#[cfg(not(feature = "video"))]
fn reconstruct(
    input: &Path,
    kind: InputKind,
    _out_dir: &Path,
    _cfg: &RunConfig,
    _report: &mut RunReport,
    _progress: &mut dyn FnMut(Progress),
) -> Result<PointCloud, PipelineError> {
    Err(PipelineError::NoVideo { path: input.display().to_string(), kind: kind.name() })
}
