//! A top-down SVG floor plan: walls as filled slabs, doors as gaps with a
//! swing arc, windows as triple lines, objects as labelled rotated boxes,
//! and a 1 m scale bar. World +y points up on the page.

use crate::layout::{Layout, OpeningKind};
use std::fmt::Write as _;

/// Drawing options.
#[derive(Debug, Clone, PartialEq)]
pub struct SvgOptions {
    /// Pixels per metre.
    pub scale: f64,
    /// Margin around the drawing, metres.
    pub margin: f64,
    /// Thickness drawn for walls whose thickness is 0 (unknown), metres.
    pub default_wall_thickness: f64,
    /// Write class names on objects.
    pub labels: bool,
}

impl Default for SvgOptions {
    fn default() -> Self {
        SvgOptions { scale: 100.0, margin: 0.5, default_wall_thickness: 0.1, labels: true }
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// Renders the plan. Non-finite entities are skipped (they cannot be drawn).
pub fn floor_plan(layout: &Layout, opt: &SvgOptions) -> String {
    let finite = |v: &[f64]| v.iter().all(|x| x.is_finite());
    // Bounds over everything drawable.
    let mut pts: Vec<[f64; 2]> = Vec::new();
    for w in layout.walls.iter().filter(|w| finite(&[w.a[0], w.a[1], w.b[0], w.b[1]])) {
        pts.push([w.a[0], w.a[1]]);
        pts.push([w.b[0], w.b[1]]);
    }
    for o in layout.objects.iter().filter(|o| finite(&[o.center[0], o.center[1], o.size[0], o.size[1], o.yaw])) {
        pts.extend(box_corners(o.center, o.size, o.yaw));
    }
    let (mut lo, mut hi) = ([0.0f64, 0.0], [1.0f64, 1.0]);
    if let Some(first) = pts.first() {
        lo = *first;
        hi = *first;
        for p in &pts {
            lo = [lo[0].min(p[0]), lo[1].min(p[1])];
            hi = [hi[0].max(p[0]), hi[1].max(p[1])];
        }
    }
    let m = opt.margin;
    let (w_m, h_m) = (hi[0] - lo[0] + 2.0 * m, hi[1] - lo[1] + 2.0 * m + 0.4);
    let s = opt.scale;
    // World (x, y) to page (px, py).
    let px = |x: f64| (x - lo[0] + m) * s;
    let py = |y: f64| (hi[1] + m - y) * s;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{:.0}" height="{:.0}" viewBox="0 0 {:.1} {:.1}" font-family="sans-serif">"#,
        w_m * s,
        h_m * s,
        w_m * s,
        h_m * s
    );
    let _ = writeln!(out, r#"<rect width="100%" height="100%" fill="white"/>"#);

    // Objects first, so walls draw over them; their labels last, over everything.
    let mut labels = String::new();
    let _ = writeln!(out, r##"<g id="objects" fill="#dde6f0" stroke="#4a6a8a" stroke-width="1.5">"##);
    // Lowest tops first, so a carpet never hides the table standing on it.
    let mut objects: Vec<_> =
        layout.objects.iter().filter(|o| finite(&[o.center[0], o.center[1], o.size[0], o.size[1], o.yaw])).collect();
    objects.sort_by(|a, b| (a.center[2] + a.size[2] / 2.0).total_cmp(&(b.center[2] + b.size[2] / 2.0)));
    for o in objects {
        let c = box_corners(o.center, o.size, o.yaw);
        let pts: Vec<String> = c.iter().map(|p| format!("{:.1},{:.1}", px(p[0]), py(p[1]))).collect();
        let _ = writeln!(out, r#"<polygon points="{}"><title>{} (bbox_{})</title></polygon>"#, pts.join(" "), escape(&o.class.name()), o.id);
        if opt.labels {
            let _ = writeln!(
                labels,
                r##"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle" fill="#234">{}</text>"##,
                px(o.center[0]),
                py(o.center[1]) + 4.0,
                escape(&o.class.name())
            );
        }
    }
    let _ = writeln!(out, "</g>");

    let _ = writeln!(out, r##"<g id="walls" fill="#333" stroke="none">"##);
    for w in layout.walls.iter().filter(|w| finite(&[w.a[0], w.a[1], w.b[0], w.b[1], w.thickness])) {
        let Some(d) = w.direction_xy() else { continue };
        let t = if w.thickness > 0.0 { w.thickness } else { opt.default_wall_thickness };
        let n = [-d[1] * t / 2.0, d[0] * t / 2.0];
        let c = [[w.a[0] + n[0], w.a[1] + n[1]], [w.b[0] + n[0], w.b[1] + n[1]], [w.b[0] - n[0], w.b[1] - n[1]], [w.a[0] - n[0], w.a[1] - n[1]]];
        let pts: Vec<String> = c.iter().map(|p| format!("{:.1},{:.1}", px(p[0]), py(p[1]))).collect();
        let _ = writeln!(out, r#"<polygon points="{}"><title>wall_{}</title></polygon>"#, pts.join(" "), w.id);
    }
    let _ = writeln!(out, "</g>");

    let _ = writeln!(out, r#"<g id="openings">"#);
    for o in &layout.openings {
        let Some(w) = layout.wall(o.wall) else { continue };
        let Some(d) = w.direction_xy() else { continue };
        if !finite(&[o.center[0], o.center[1], o.width]) {
            continue;
        }
        let t = if w.thickness > 0.0 { w.thickness } else { opt.default_wall_thickness };
        let half = o.width / 2.0;
        let a = [o.center[0] - d[0] * half, o.center[1] - d[1] * half];
        let b = [o.center[0] + d[0] * half, o.center[1] + d[1] * half];
        let n = [-d[1], d[0]];
        // Clear the wall where the opening is.
        let c = [
            [a[0] + n[0] * t * 0.6, a[1] + n[1] * t * 0.6],
            [b[0] + n[0] * t * 0.6, b[1] + n[1] * t * 0.6],
            [b[0] - n[0] * t * 0.6, b[1] - n[1] * t * 0.6],
            [a[0] - n[0] * t * 0.6, a[1] - n[1] * t * 0.6],
        ];
        let pts: Vec<String> = c.iter().map(|p| format!("{:.1},{:.1}", px(p[0]), py(p[1]))).collect();
        let _ = writeln!(out, r#"<polygon points="{}" fill="white"/>"#, pts.join(" "));
        match o.kind {
            OpeningKind::Door => {
                // Leaf drawn open at 90 degrees from `a`, with its swing arc.
                let tip = [a[0] + n[0] * o.width, a[1] + n[1] * o.width];
                let _ = writeln!(
                    out,
                    r##"<g stroke="#a0522d" stroke-width="2" fill="none"><title>door_{}</title><line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/><path d="M {:.1} {:.1} A {:.1} {:.1} 0 0 {} {:.1} {:.1}" stroke-dasharray="4 3"/></g>"##,
                    o.id,
                    px(a[0]),
                    py(a[1]),
                    px(tip[0]),
                    py(tip[1]),
                    px(tip[0]),
                    py(tip[1]),
                    o.width * s,
                    o.width * s,
                    // Sweep direction on the page (y is flipped).
                    if d[0] * n[1] - d[1] * n[0] > 0.0 { 1 } else { 0 },
                    px(b[0]),
                    py(b[1])
                );
            }
            OpeningKind::Window => {
                let _ = write!(out, r##"<g stroke="#1e90ff" stroke-width="1.5"><title>window_{}</title>"##, o.id);
                for k in [-0.5, 0.0, 0.5] {
                    let off = [n[0] * t * k, n[1] * t * k];
                    let _ = write!(
                        out,
                        r#"<line x1="{:.1}" y1="{:.1}" x2="{:.1}" y2="{:.1}"/>"#,
                        px(a[0] + off[0]),
                        py(a[1] + off[1]),
                        px(b[0] + off[0]),
                        py(b[1] + off[1])
                    );
                }
                let _ = writeln!(out, "</g>");
            }
        }
    }
    let _ = writeln!(out, "</g>");

    let _ = writeln!(out, r#"<g id="labels">"#);
    out.push_str(&labels);
    let _ = writeln!(out, "</g>");

    // 1 m scale bar, bottom left.
    let y = h_m * s - 0.2 * s;
    let _ = writeln!(
        out,
        r#"<g id="scale" stroke="black" stroke-width="2"><line x1="{:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text x="{:.1}" y="{:.1}" font-size="12" stroke="none">1 m</text></g>"#,
        0.2 * s,
        1.2 * s,
        1.3 * s,
        y + 4.0
    );
    let _ = writeln!(out, "</svg>");
    out
}

fn box_corners(center: [f64; 3], size: [f64; 3], yaw: f64) -> [[f64; 2]; 4] {
    let (s, c) = yaw.sin_cos();
    let (hx, hy) = (size[0] / 2.0, size[1] / 2.0);
    [(-hx, -hy), (hx, -hy), (hx, hy), (-hx, hy)].map(|(x, y)| [center[0] + c * x - s * y, center[1] + s * x + c * y])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{parse_spatiallm, ParseMode};

    #[test]
    fn plan_has_every_entity_and_is_well_formed() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/spatiallm/room.txt")).unwrap();
        let (l, _) = parse_spatiallm(&text, ParseMode::Strict).unwrap();
        let svg = floor_plan(&l, &SvgOptions::default());
        for id in 0..4 {
            assert!(svg.contains(&format!("<title>wall_{id}</title>")));
        }
        assert!(svg.contains("<title>door_0</title>") && svg.contains("<title>window_0</title>"));
        assert_eq!(svg.matches("<polygon").count(), 4 + 5 + 2);
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        // 4.2 m x 3.6 m room + 0.5 m margins at 100 px/m (+0.4 m for the scale bar).
        assert!(svg.contains(r#"width="520" height="500""#), "{}", &svg[..200]);
    }

    #[test]
    fn labels_are_escaped() {
        let mut l = Layout::new();
        l.objects.push(crate::layout::Object {
            id: 0,
            class: crate::layout::ObjectClass::Other("<x&y>".into()),
            center: [0.0; 3],
            size: [1.0; 3],
            yaw: 0.0,
        });
        let svg = floor_plan(&l, &SvgOptions::default());
        assert!(svg.contains("other:&lt;x&amp;y&gt;") && !svg.contains("<x&y>"));
    }
}
