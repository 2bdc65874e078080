//! SpatialLM's text layout format, read and written exactly as SpatialLM
//! writes it:
//!
//! ```text
//! wall_0=Wall(ax,ay,az,bx,by,bz,height,thickness)
//! door_0=Door(wall_3,x,y,z,width,height)
//! window_0=Window(wall_1,x,y,z,width,height)
//! bbox_0=Bbox(class,x,y,z,angle_z,scale_x,scale_y,scale_z)
//! ```
//!
//! One entity per line, no spaces, walls then doors then windows then boxes;
//! floats in Python's `repr` form (`2.9600000000000004`, `-0.0`, `1e-05`).
//! Real files also contain ids that wrapped modulo 1000 and malformed or
//! truncated lines; [`ParseMode::Strict`] rejects those with the line number,
//! [`ParseMode::Lenient`] skips them and returns a warning for each.

use super::{Layout, Object, ObjectClass, Opening, OpeningKind, Wall};
use std::collections::HashMap;
use std::fmt::Write as _;

/// How to treat malformed lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ParseMode {
    /// The first malformed line is an error.
    Strict,
    /// Malformed lines are skipped with a warning (default for model output).
    #[default]
    Lenient,
}

/// A problem found on one line that lenient parsing worked around.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseWarning {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for ParseWarning {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// A strict-mode parse failure.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}")]
pub struct SpatialLmError {
    /// 1-based line number.
    pub line: usize,
    pub message: String,
}

enum Entity {
    Wall(Wall),
    Opening { opening: Opening, wall_ref: u32 },
    Object(Object),
}

fn parse_id(name: &str, prefix: &str) -> Result<u32, String> {
    let digits = name
        .strip_prefix(prefix)
        .and_then(|s| s.strip_prefix('_'))
        .ok_or_else(|| format!("expected an id like {prefix}_0, found {name:?}"))?;
    digits.parse::<u32>().map_err(|_| format!("bad id {name:?}"))
}

fn parse_floats(args: &[&str], what: &str) -> Result<Vec<f64>, String> {
    args.iter()
        .enumerate()
        .map(|(i, a)| {
            let v: f64 = a
                .trim()
                .parse()
                .map_err(|_| format!("{what} argument {} is not a number: {a:?}", i + 1))?;
            if v.is_finite() {
                Ok(v)
            } else {
                Err(format!("{what} argument {} is not finite: {a:?}", i + 1))
            }
        })
        .collect()
}

fn parse_line(line: &str) -> Result<Entity, String> {
    let (name, rest) = line.split_once('=').ok_or("expected `name=Type(...)`")?;
    let name = name.trim();
    let rest = rest.trim();
    let open = rest.find('(').ok_or("missing `(`")?;
    let ty = &rest[..open];
    let inner = rest[open + 1..]
        .strip_suffix(')')
        .ok_or("missing closing `)` (truncated line?)")?;
    let args: Vec<&str> = inner.split(',').collect();
    let expect = |n: usize| -> Result<(), String> {
        if args.len() == n {
            Ok(())
        } else {
            Err(format!("{ty} takes {n} arguments, found {}", args.len()))
        }
    };
    match ty {
        "Wall" => {
            let id = parse_id(name, "wall")?;
            expect(8)?;
            let v = parse_floats(&args, "Wall")?;
            Ok(Entity::Wall(Wall { id, a: [v[0], v[1], v[2]], b: [v[3], v[4], v[5]], height: v[6], thickness: v[7] }))
        }
        "Door" | "Window" => {
            let kind = if ty == "Door" { OpeningKind::Door } else { OpeningKind::Window };
            let id = parse_id(name, kind.name())?;
            expect(6)?;
            let wall_ref = parse_id(args[0].trim(), "wall")?;
            let v = parse_floats(&args[1..], ty)?;
            Ok(Entity::Opening {
                opening: Opening { id, kind, wall: wall_ref, center: [v[0], v[1], v[2]], width: v[3], height: v[4] },
                wall_ref,
            })
        }
        "Bbox" => {
            let id = parse_id(name, "bbox")?;
            expect(8)?;
            let class = args[0].trim();
            if class.is_empty() {
                return Err("Bbox has an empty class name".into());
            }
            let v = parse_floats(&args[1..], "Bbox")?;
            Ok(Entity::Object(Object {
                id,
                class: ObjectClass::parse(class),
                center: [v[0], v[1], v[2]],
                yaw: v[3],
                size: [v[4], v[5], v[6]],
            }))
        }
        other => Err(format!("unknown entity type {other:?} (expected Wall, Door, Window or Bbox)")),
    }
}

/// Parses SpatialLM text into a layout.
///
/// Wall ids that repeat (SpatialLM writes ids modulo 1000) are renumbered in
/// file order, and each opening is attached to the wall nearest its centre
/// among those defined before it with the referenced id; duplicate opening
/// and box ids are renumbered too. Each such repair is reported as a warning.
pub fn parse_spatiallm(text: &str, mode: ParseMode) -> Result<(Layout, Vec<ParseWarning>), SpatialLmError> {
    let mut warnings = Vec::new();
    let mut layout = Layout::new();
    layout.generator = None;
    // raw wall id -> indices into layout.walls of the walls carrying that id
    let mut walls_by_id: HashMap<u32, Vec<usize>> = HashMap::new();
    let mut wall_ids_repeat = false;
    let mut pending: Vec<(usize, Opening, Option<usize>)> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        match parse_line(line) {
            Ok(Entity::Wall(w)) => {
                let same = walls_by_id.entry(w.id).or_default();
                same.push(layout.walls.len());
                if same.len() > 1 {
                    wall_ids_repeat = true;
                    warnings.push(ParseWarning {
                        line: line_no,
                        message: format!("wall id {} repeats (ids wrapped modulo 1000?); walls renumbered", w.id),
                    });
                }
                layout.walls.push(w);
            }
            Ok(Entity::Opening { opening, wall_ref }) => {
                let host = walls_by_id.get(&wall_ref).and_then(|c| nearest_wall(&layout.walls, c, &opening.center));
                if host.is_none() {
                    warnings.push(ParseWarning {
                        line: line_no,
                        message: format!("{} refers to wall_{wall_ref}, which is not defined before it", opening.kind.name()),
                    });
                }
                pending.push((line_no, opening, host));
            }
            Ok(Entity::Object(o)) => layout.objects.push(o),
            Err(message) => {
                if mode == ParseMode::Strict {
                    return Err(SpatialLmError { line: line_no, message });
                }
                warnings.push(ParseWarning { line: line_no, message: format!("skipped: {message}") });
            }
        }
    }
    if wall_ids_repeat {
        for (i, w) in layout.walls.iter_mut().enumerate() {
            w.id = i as u32;
        }
    }
    for (_, mut opening, host) in pending {
        if let Some(h) = host {
            opening.wall = layout.walls[h].id;
        }
        layout.openings.push(opening);
    }
    renumber_if_repeated(&mut layout, &mut warnings);
    Ok((layout, warnings))
}

/// Of the walls at `candidates`, the one whose centre line passes nearest
/// to `p` (in xy).
fn nearest_wall(walls: &[Wall], candidates: &[usize], p: &[f64; 3]) -> Option<usize> {
    let dist = |w: &Wall| {
        let (ax, ay, dx, dy) = (w.a[0], w.a[1], w.b[0] - w.a[0], w.b[1] - w.a[1]);
        let l2 = dx * dx + dy * dy;
        let t = if l2 > 0.0 { (((p[0] - ax) * dx + (p[1] - ay) * dy) / l2).clamp(0.0, 1.0) } else { 0.0 };
        (p[0] - ax - t * dx).hypot(p[1] - ay - t * dy)
    };
    candidates.iter().copied().min_by(|&i, &j| dist(&walls[i]).total_cmp(&dist(&walls[j])))
}

fn renumber_if_repeated(layout: &mut Layout, warnings: &mut Vec<ParseWarning>) {
    for kind in [OpeningKind::Door, OpeningKind::Window] {
        let mut seen = std::collections::HashSet::new();
        let repeat = layout.openings.iter().filter(|o| o.kind == kind).any(|o| !seen.insert(o.id));
        if repeat {
            warnings.push(ParseWarning { line: 0, message: format!("{} ids repeat; renumbered", kind.name()) });
            for (n, o) in layout.openings.iter_mut().filter(|o| o.kind == kind).enumerate() {
                o.id = n as u32;
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    if layout.objects.iter().any(|o| !seen.insert(o.id)) {
        warnings.push(ParseWarning { line: 0, message: "bbox ids repeat; renumbered".into() });
        for (n, o) in layout.objects.iter_mut().enumerate() {
            o.id = n as u32;
        }
    }
}

/// Formats a float the way Python's `repr` does (SpatialLM writes layouts
/// with Python): shortest round-trip digits, `.0` on whole numbers,
/// scientific notation below 1e-4 or from 1e16 on (`1e-05`, `1e+16`).
pub fn python_repr(x: f64) -> String {
    if x.is_nan() {
        return "nan".into();
    }
    if x.is_infinite() {
        return if x > 0.0 { "inf".into() } else { "-inf".into() };
    }
    let sign = if x.is_sign_negative() { "-" } else { "" };
    if x == 0.0 {
        return format!("{sign}0.0");
    }
    // Rust's `{:e}` gives the shortest round-trip digits: "2.9600000000000004e0".
    let sci = format!("{:e}", x.abs());
    let (mantissa, exp) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            let (int_part, frac) = if digits.len() > int_len {
                (digits[..int_len].to_string(), digits[int_len..].to_string())
            } else {
                (format!("{digits:0<int_len$}"), "0".to_string())
            };
            format!("{sign}{int_part}.{frac}")
        } else {
            format!("{sign}0.{}{digits}", "0".repeat((-exp - 1) as usize))
        }
    } else {
        let frac = if digits.len() > 1 { format!(".{}", &digits[1..]) } else { String::new() };
        let esign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{}{frac}e{esign}{:02}", &digits[..1], exp.abs())
    }
}

/// Writes a layout as SpatialLM text: walls, doors, windows, boxes.
pub fn to_spatiallm(layout: &Layout) -> String {
    let f = python_repr;
    let mut s = String::new();
    for w in &layout.walls {
        let _ = writeln!(
            s,
            "wall_{}=Wall({},{},{},{},{},{},{},{})",
            w.id,
            f(w.a[0]),
            f(w.a[1]),
            f(w.a[2]),
            f(w.b[0]),
            f(w.b[1]),
            f(w.b[2]),
            f(w.height),
            f(w.thickness)
        );
    }
    for kind in [OpeningKind::Door, OpeningKind::Window] {
        let ty = match kind {
            OpeningKind::Door => "Door",
            OpeningKind::Window => "Window",
        };
        for o in layout.openings.iter().filter(|o| o.kind == kind) {
            let _ = writeln!(
                s,
                "{}_{}={ty}(wall_{},{},{},{},{},{})",
                kind.name(),
                o.id,
                o.wall,
                f(o.center[0]),
                f(o.center[1]),
                f(o.center[2]),
                f(o.width),
                f(o.height)
            );
        }
    }
    for o in &layout.objects {
        let class = match &o.class {
            ObjectClass::Other(name) => name.clone(),
            c => c.name().into_owned(),
        };
        let _ = writeln!(
            s,
            "bbox_{}=Bbox({class},{},{},{},{},{},{},{})",
            o.id,
            f(o.center[0]),
            f(o.center[1]),
            f(o.center[2]),
            f(o.yaw),
            f(o.size[0]),
            f(o.size[1]),
            f(o.size[2])
        );
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_repr_matches_python() {
        // Expected strings are what CPython 3.11 prints for repr(x).
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (3.0, "3.0"),
            (2.9600000000000004, "2.9600000000000004"),
            (0.1, "0.1"),
            (-1.25, "-1.25"),
            (1e-4, "0.0001"),
            (1e-5, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (123456789012345.0, "123456789012345.0"),
            (1e16, "1e+16"),
            (1.2345e20, "1.2345e+20"),
            (0.30000000000000004, "0.30000000000000004"),
            (100.0, "100.0"),
        ];
        for (x, want) in cases {
            assert_eq!(python_repr(*x), *want, "repr({x:e})");
            assert_eq!(want.parse::<f64>().unwrap().to_bits(), x.to_bits());
        }
    }

    #[test]
    fn strict_reports_line_and_lenient_skips() {
        let text = "wall_0=Wall(0.0,0.0,0.0,4.0,0.0,0.0,2.8,0.0)\nwall_1=Wall(4.0,0.0,0.0,4.0,3.0\nbbox_0=Bbox(bed,1.0,1.0,0.3,0.0,2.0,1.6,0.6)\n";
        let e = parse_spatiallm(text, ParseMode::Strict).unwrap_err();
        assert_eq!(e.line, 2);
        assert!(e.message.contains("truncated"), "{e}");
        let (l, w) = parse_spatiallm(text, ParseMode::Lenient).unwrap();
        assert_eq!(l.walls.len(), 1);
        assert_eq!(l.objects.len(), 1);
        assert_eq!(w.len(), 1);
        assert_eq!(w[0].line, 2);
    }

    #[test]
    fn malformed_lines_of_each_kind_are_rejected() {
        for bad in [
            "wall_0=Wall(1,2,3)",
            "wall_x=Wall(0,0,0,1,0,0,2,0)",
            "door_0=Door(3,0,0,0,1,2)",
            "bbox_0=Bbox(bed,a,0,0,0,1,1,1)",
            "bbox_0=Bbox(,0,0,0,0,1,1,1)",
            "wall_0=Wall(nan,0,0,1,0,0,2,0)",
            "thing_0=Thing(1)",
            "no equals sign",
        ] {
            assert!(parse_spatiallm(bad, ParseMode::Strict).is_err(), "{bad}");
        }
    }

    #[test]
    fn wrapped_ids_are_renumbered_and_openings_follow_their_wall() {
        // Walls 1000 and 1001 were written as wall_0 and wall_1.
        let text = "wall_0=Wall(0.0,0.0,0.0,4.0,0.0,0.0,2.8,0.0)\nwall_1=Wall(4.0,0.0,0.0,4.0,3.0,0.0,2.8,0.0)\nwall_0=Wall(4.0,3.0,0.0,0.0,3.0,0.0,2.8,0.0)\nwall_1=Wall(0.0,3.0,0.0,0.0,0.0,0.0,2.8,0.0)\ndoor_0=Door(wall_1,0.0,1.5,1.0,0.9,2.0)\ndoor_1=Door(wall_1,4.0,1.5,1.0,0.9,2.0)\n";
        let (l, w) = parse_spatiallm(text, ParseMode::Lenient).unwrap();
        assert_eq!(l.walls.iter().map(|w| w.id).collect::<Vec<_>>(), vec![0, 1, 2, 3]);
        assert_eq!(l.openings[0].wall, 3);
        assert_eq!(l.openings[1].wall, 1);
        assert_eq!(w.len(), 2);
    }

    #[test]
    fn writes_in_spatiallm_order() {
        let text = "wall_0=Wall(0.0,0.0,0.0,4.0,0.0,0.0,2.8,0.0)\ndoor_0=Door(wall_0,2.0,0.0,1.0,0.9,2.0)\nwindow_0=Window(wall_0,1.0,0.0,1.5,1.0,1.2)\nbbox_0=Bbox(hammock,1.0,1.0,0.3,0.0,2.0,1.6,0.6)\n";
        let (l, _) = parse_spatiallm(text, ParseMode::Strict).unwrap();
        assert_eq!(to_spatiallm(&l), text);
    }
}
