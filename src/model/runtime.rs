//! Finding and loading the ONNX Runtime shared library, and opening
//! sessions on the CPU or CUDA execution provider.
//!
//! Discovery order: `ORT_DYLIB_PATH`; beside the executable (and its `lib/`
//! folder); the project's provisioned copy in `.deps/onnxruntime/` (of the
//! source tree this binary was built from, then of the current folder).

use super::ModelError;
use std::path::{Path, PathBuf};

/// File names tried in each folder, most specific first.
const LIB_NAMES: &[&str] = &["libonnxruntime.so", "libonnxruntime.dylib", "onnxruntime.dll"];

/// Which execution provider to run a model on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Device {
    /// CUDA when built with it and a GPU answers, else CPU.
    #[default]
    Auto,
    Cpu,
    Cuda,
}

/// The folders searched after `ORT_DYLIB_PATH`, in order.
pub fn search_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(exe_dir) = std::env::current_exe().ok().and_then(|p| p.parent().map(Path::to_path_buf)) {
        dirs.push(exe_dir.join("lib"));
        dirs.push(exe_dir);
    }
    dirs.push(Path::new(env!("CARGO_MANIFEST_DIR")).join(".deps/onnxruntime"));
    if let Ok(cwd) = std::env::current_dir() {
        dirs.push(cwd.join(".deps/onnxruntime"));
    }
    dirs
}

fn versioned_in(dir: &Path) -> Option<PathBuf> {
    // `libonnxruntime.so.1.32.0` without the unversioned symlink.
    let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.starts_with("libonnxruntime.so.")))
        .collect();
    found.sort();
    found.pop()
}

/// Finds the ONNX Runtime library, in the documented order.
pub fn find_library() -> Result<PathBuf, ModelError> {
    if let Some(p) = std::env::var_os("ORT_DYLIB_PATH").filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(ModelError::DylibPathMissing { path: p.display().to_string() })
        };
    }
    let dirs = search_dirs();
    for dir in &dirs {
        for name in LIB_NAMES {
            let p = dir.join(name);
            if p.is_file() {
                return Ok(p);
            }
        }
        if let Some(p) = versioned_in(dir) {
            return Ok(p);
        }
    }
    let searched = std::iter::once("$ORT_DYLIB_PATH (unset)".to_string())
        .chain(dirs.iter().map(|d| d.display().to_string()))
        .collect::<Vec<_>>()
        .join(", ");
    Err(ModelError::RuntimeNotFound { searched })
}

/// What was loaded, for reports and `roomscribe runtime`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RuntimeInfo {
    /// The shared library in use.
    pub library: PathBuf,
    /// Execution providers this build can ask for.
    pub providers: Vec<&'static str>,
}

#[cfg(feature = "onnx")]
mod imp {
    use super::*;
    use ort::environment::Environment;
    use std::sync::OnceLock;

    struct Loaded {
        env: Environment,
        library: PathBuf,
    }

    static RUNTIME: OnceLock<Result<Loaded, String>> = OnceLock::new();

    fn load() -> Result<&'static Loaded, ModelError> {
        let path = find_library()?;
        let loaded = RUNTIME.get_or_init(|| {
            let build = || -> Result<Environment, String> {
                let builder = ort::init_from(&path).map_err(|e| e.to_string())?;
                builder.with_name("roomscribe").build().map_err(|e| e.to_string())
            };
            build().map(|env| Loaded { env, library: path.clone() })
        });
        loaded
            .as_ref()
            .map_err(|message| ModelError::RuntimeLoad { path: path.display().to_string(), message: message.clone() })
    }

    /// Loads the runtime (once per process) and says what was loaded.
    pub fn runtime_info() -> Result<RuntimeInfo, ModelError> {
        let l = load()?;
        let mut providers = vec!["cpu"];
        if cfg!(feature = "cuda") {
            providers.push("cuda");
        }
        Ok(RuntimeInfo { library: l.library.clone(), providers })
    }

    /// An open model.
    pub struct ModelSession {
        pub session: ort::session::Session,
        /// The model file.
        pub path: PathBuf,
        /// The provider that actually runs it.
        pub device: Device,
    }

    /// Opens a model file on the requested device. `Auto` tries CUDA (when
    /// built with it) and falls back to CPU, reporting which one runs.
    pub fn open(path: &Path, device: Device) -> Result<ModelSession, ModelError> {
        let l = load()?;
        let p = path.display().to_string();
        if !path.is_file() {
            return Err(ModelError::Session { path: p, message: "no such file".into() });
        }
        let session_err = |message: String| ModelError::Session { path: p.clone(), message };
        let cpu = || -> Result<ort::session::Session, String> {
            let mut b = ort::session::Session::builder(&l.env).map_err(|e| e.to_string())?;
            b.commit_from_file(path).map_err(|e| e.to_string())
        };
        match device {
            Device::Cpu => Ok(ModelSession { session: cpu().map_err(session_err)?, path: path.to_path_buf(), device: Device::Cpu }),
            Device::Cuda | Device::Auto => match cuda_session(&l.env, path) {
                Ok(session) => Ok(ModelSession { session, path: path.to_path_buf(), device: Device::Cuda }),
                Err(e) if device == Device::Cuda => Err(e),
                Err(_) => Ok(ModelSession { session: cpu().map_err(session_err)?, path: path.to_path_buf(), device: Device::Cpu }),
            },
        }
    }

    #[cfg(feature = "cuda")]
    fn cuda_session(env: &Environment, path: &Path) -> Result<ort::session::Session, ModelError> {
        let err = |e: String| ModelError::Session { path: path.display().to_string(), message: format!("CUDA execution provider: {e}") };
        let build = || -> ort::Result<ort::session::Session> {
            let b = ort::session::Session::builder(env)?;
            let mut b = b.with_execution_providers([ort::ep::CUDA::default().build().error_on_failure()])?;
            b.commit_from_file(path)
        };
        build().map_err(|e| err(e.to_string()))
    }

    #[cfg(not(feature = "cuda"))]
    fn cuda_session(_env: &Environment, _path: &Path) -> Result<ort::session::Session, ModelError> {
        Err(ModelError::NotBuilt { what: "CUDA", feature: "cuda" })
    }

    impl ModelSession {
        /// Runs a one-input, one-output float model on a flat tensor of the
        /// given shape and returns the output's shape and values.
        pub fn run_f32(&mut self, input: &[f32], shape: &[usize]) -> Result<(Vec<usize>, Vec<f32>), ModelError> {
            let p = self.path.display().to_string();
            let err = |e: ort::Error| ModelError::Inference { path: p.clone(), message: e.to_string() };
            let array = ndarray::ArrayViewD::from_shape(shape, input)
                .map_err(|e| ModelError::Inference { path: p.clone(), message: format!("input shape {shape:?}: {e}") })?;
            let tensor = ort::value::TensorRef::from_array_view(array).map_err(err)?;
            let outputs = self.session.run(ort::inputs![tensor]).map_err(err)?;
            let (shape, data) = outputs[0].try_extract_tensor::<f32>().map_err(err)?;
            Ok((shape.iter().map(|&d| d.max(0) as usize).collect(), data.to_vec()))
        }
    }
}

#[cfg(feature = "onnx")]
pub use imp::{open, runtime_info, ModelSession};

/// Without the `onnx` feature: a clear error instead of a missing function.
#[cfg(not(feature = "onnx"))]
pub fn runtime_info() -> Result<RuntimeInfo, ModelError> {
    Err(ModelError::NotBuilt { what: "ONNX Runtime", feature: "onnx" })
}

#[cfg(all(test, feature = "onnx"))]
mod tests {
    use super::*;

    #[test]
    fn loads_runtime_and_runs_the_fixture_model() {
        let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/onnx/affine.onnx");
        let mut s = open(&model, Device::Cpu).expect("ONNX Runtime provisioned by scripts/setup.sh");
        assert_eq!(s.device, Device::Cpu);
        let (shape, y) = s.run_f32(&[0.0, 1.5, -2.0], &[3]).unwrap();
        assert_eq!(shape, vec![3]);
        assert_eq!(y, vec![1.0, 4.0, -3.0]);
        let info = runtime_info().unwrap();
        assert!(info.library.exists());
    }

    #[test]
    fn missing_model_is_a_clear_error() {
        let e = open(Path::new("/nonexistent/m.onnx"), Device::Cpu).err().unwrap();
        assert!(e.to_string().contains("/nonexistent/m.onnx"), "{e}");
    }

    #[cfg(not(feature = "cuda"))]
    #[test]
    fn cuda_without_the_feature_says_so() {
        let model = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/onnx/affine.onnx");
        let e = open(&model, Device::Cuda).err().unwrap();
        assert!(e.to_string().contains("built without CUDA"), "{e}");
    }
}
