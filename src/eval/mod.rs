//! Evaluation: layout and object F1 (SpatialLM-compatible), SceneScript
//! entity distance, trajectory ATE/RPE, cloud accuracy/completeness.
