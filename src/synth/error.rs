//! Errors of the synthetic-data generator.

/// Everything that can go wrong generating synthetic data.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// A config field is out of its allowed range.
    #[error("synth config: {field}: {reason}")]
    InvalidConfig { field: &'static str, reason: String },
    /// The generator could not build a scene for this seed within its retry budget.
    #[error("synth seed {seed}: could not generate a {what} after {attempts} attempts")]
    GenerationFailed { seed: u64, what: &'static str, attempts: usize },
    /// Reading or writing a file failed.
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
}
