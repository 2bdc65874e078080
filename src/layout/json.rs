//! The native JSON format (`roomscribe.layout/1`), documented in
//! `docs/layout-format.md`. Keys are written in a fixed order and floats in
//! their shortest round-trip form, so write → read → write is byte-identical.

use super::{Layout, SCHEMA};

/// Errors reading native JSON.
#[derive(Debug, thiserror::Error)]
pub enum JsonError {
    #[error("line {line}, column {column}: {message}")]
    Syntax { line: usize, column: usize, message: String },
    #[error("unsupported schema {found:?} (this build reads {SCHEMA:?})")]
    Schema { found: String },
    #[error("units {found:?} are not supported (only metres, \"m\")")]
    Units { found: String },
}

/// Parses a native JSON layout.
pub fn read_json(text: &str) -> Result<Layout, JsonError> {
    let layout: Layout = serde_json::from_str(text).map_err(|e| JsonError::Syntax {
        line: e.line(),
        column: e.column(),
        message: e.to_string().split(" at line ").next().unwrap_or_default().to_string(),
    })?;
    if layout.schema != SCHEMA {
        return Err(JsonError::Schema { found: layout.schema });
    }
    if layout.units != "m" {
        return Err(JsonError::Units { found: layout.units });
    }
    Ok(layout)
}

/// Serializes a layout as pretty-printed JSON with a trailing newline.
pub fn write_json(layout: &Layout) -> String {
    // Serializing plain structs of numbers and strings cannot fail; NaN and
    // infinities become `null`, which `validate()` reports beforehand.
    let mut s = serde_json::to_string_pretty(layout).unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{Object, ObjectClass, Opening, OpeningKind, Wall};

    fn sample() -> Layout {
        let mut l = Layout::new();
        l.walls.push(Wall { id: 0, a: [0.0, 0.0, 0.0], b: [4.0, 0.0, 0.0], height: 2.8, thickness: 0.1 });
        l.openings.push(Opening {
            id: 0,
            kind: OpeningKind::Door,
            wall: 0,
            center: [2.0, 0.0, 1.0],
            width: 0.9,
            height: 2.0,
        });
        l.objects.push(Object {
            id: 0,
            class: ObjectClass::Other("hammock".into()),
            center: [1.0, 1.0, 0.5],
            size: [2.0, 1.0, 1.0],
            yaw: 0.1 + 0.2,
        });
        l
    }

    #[test]
    fn round_trip_is_byte_identical() {
        let l = sample();
        let a = write_json(&l);
        let back = read_json(&a).unwrap();
        assert_eq!(back, l);
        assert_eq!(write_json(&back), a);
        assert!(a.contains("\"other:hammock\""));
    }

    #[test]
    fn errors_say_where() {
        let e = read_json("{\"schema\": \"roomscribe.layout/1\",\n \"walls\": [1]}").unwrap_err();
        assert!(matches!(e, JsonError::Syntax { line: 2, .. }), "{e}");
        let e = read_json(r#"{"schema":"other/9","units":"m","frame":"z_up"}"#).unwrap_err();
        assert!(e.to_string().contains("other/9"));
    }
}
