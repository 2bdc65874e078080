//! The layout transformer: vocabulary, grammar, ONNX Runtime sessions,
//! constrained decoding, tokens to `Layout`.
//!
//! ONNX Runtime is loaded at run time (ort `load-dynamic`), found by
//! [`runtime::find_library`]; everything that needs it sits behind the
//! `onnx` cargo feature, and with the feature off the same calls return a
//! clear "built without ONNX Runtime support" error.

pub mod runtime;

/// Errors of the model stage.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error(
        "ONNX Runtime library not found (looked in: {searched}). Run `make setup` (or scripts/setup.sh) to \
         provision it into .deps/onnxruntime/, or set ORT_DYLIB_PATH to a libonnxruntime.so (version 1.17 or \
         newer, e.g. from the PyPI wheel onnxruntime==1.32.0)"
    )]
    RuntimeNotFound { searched: String },
    #[error("ORT_DYLIB_PATH={path}: no such file")]
    DylibPathMissing { path: String },
    #[error("loading ONNX Runtime from {path}: {message}")]
    RuntimeLoad { path: String, message: String },
    #[error("{path}: cannot load model: {message}")]
    Session { path: String, message: String },
    #[error("running {path}: {message}")]
    Inference { path: String, message: String },
    #[error("this roomscribe was built without {what} support (cargo feature `{feature}`)")]
    NotBuilt { what: &'static str, feature: &'static str },
}
