//! Composition of the stages into `roomscribe run`.
