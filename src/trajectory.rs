//! Camera trajectories: timestamped `world_from_camera` poses and the TUM
//! text format (`timestamp tx ty tz qx qy qz qw`, `#` comments), shared by
//! the synthetic generator (ground truth), the front end (estimates) and
//! the evaluation.

use nalgebra::{Isometry3, Quaternion, Translation3, UnitQuaternion};
use std::fmt::Write as _;
use std::path::Path;

/// One timestamped pose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StampedPose {
    /// Seconds on the capture's own clock (frame i of a video: i / fps).
    pub t: f64,
    /// Camera (OpenCV frame: x right, y down, z forward) to world (z up).
    pub world_from_camera: Isometry3<f64>,
}

/// A sequence of poses in time order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Trajectory {
    pub poses: Vec<StampedPose>,
}

/// Errors reading TUM trajectories.
#[derive(Debug, thiserror::Error)]
pub enum TrajectoryError {
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{path}: line {line}: {message}")]
    Parse { path: String, line: usize, message: String },
}

impl Trajectory {
    /// Parses TUM text. `path` is only used in error messages.
    pub fn parse_tum(text: &str, path: &str) -> Result<Trajectory, TrajectoryError> {
        let mut poses = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let l = line.trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let err = |message: String| TrajectoryError::Parse { path: path.to_string(), line: i + 1, message };
            let v: Vec<f64> = l
                .split_whitespace()
                .map(|s| s.parse::<f64>().map_err(|_| err(format!("{s:?} is not a number"))))
                .collect::<Result<_, _>>()?;
            if v.len() != 8 {
                return Err(err(format!("expected 8 values (t tx ty tz qx qy qz qw), found {}", v.len())));
            }
            if v.iter().any(|x| !x.is_finite()) {
                return Err(err("non-finite value".into()));
            }
            let q = Quaternion::new(v[7], v[4], v[5], v[6]);
            if q.norm() < 1e-9 {
                return Err(err("zero quaternion".into()));
            }
            poses.push(StampedPose {
                t: v[0],
                world_from_camera: Isometry3::from_parts(
                    Translation3::new(v[1], v[2], v[3]),
                    UnitQuaternion::from_quaternion(q),
                ),
            });
        }
        Ok(Trajectory { poses })
    }

    /// Reads a TUM file.
    pub fn read_tum(path: &Path) -> Result<Trajectory, TrajectoryError> {
        let p = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| TrajectoryError::Io { path: p.clone(), source })?;
        Trajectory::parse_tum(&text, &p)
    }

    /// Formats as TUM text (with a header comment).
    pub fn to_tum(&self) -> String {
        let mut s = String::from("# timestamp tx ty tz qx qy qz qw (world_from_camera, camera in OpenCV convention)\n");
        for p in &self.poses {
            let t = p.world_from_camera.translation.vector;
            let q = p.world_from_camera.rotation.quaternion();
            let _ = writeln!(s, "{:.6} {} {} {} {} {} {} {}", p.t, t.x, t.y, t.z, q.i, q.j, q.k, q.w);
        }
        s
    }

    /// Writes a TUM file atomically.
    pub fn write_tum(&self, path: &Path) -> std::io::Result<()> {
        crate::io::write_atomic(path, self.to_tum().as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tum_round_trip() {
        let pose = Isometry3::new(nalgebra::Vector3::new(1.0, 2.0, 1.5), nalgebra::Vector3::new(0.1, -0.2, 0.3));
        let t = Trajectory { poses: vec![StampedPose { t: 0.5, world_from_camera: pose }] };
        let back = Trajectory::parse_tum(&t.to_tum(), "x").unwrap();
        let d = back.poses[0].world_from_camera.inverse() * pose;
        assert!(d.translation.vector.norm() < 1e-12 && d.rotation.angle() < 1e-12);
        assert!(Trajectory::parse_tum("0 1 2 3\n", "x").is_err());
    }
}
