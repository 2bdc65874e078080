//! PLY reading and writing for point clouds.
//!
//! Reads `ascii`, `binary_little_endian` and `binary_big_endian` files whose
//! `vertex` element has `x`, `y`, `z` of any PLY scalar type, optionally
//! `red`/`green`/`blue` (integer or 0..1 float) and `nx`/`ny`/`nz`. Every
//! other property and element (faces with list properties, edges, ...) is
//! skipped. Vertices with a NaN or infinite coordinate are dropped and
//! counted. Malformed files give a [`PlyError`] naming the file and where the
//! problem is; no input makes the reader panic.
//!
//! The binary reader loads the whole file with one read and decodes vertex
//! records straight from the byte buffer with per-property offsets, so it
//! runs at memory speed rather than per-value parsing speed.
//!
//! Writes `x y z` (float), `red green blue` (uchar) and `nx ny nz` (float)
//! when present, atomically. Knows nothing of layouts or video.

use super::PointCloud;
use std::io::Write;
use std::path::Path;

/// How the body of a PLY file is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PlyEncoding {
    /// Whitespace-separated text, one record per line.
    Ascii,
    /// Packed little-endian binary (what roomscribe writes by default).
    #[default]
    BinaryLittleEndian,
    /// Packed big-endian binary.
    BinaryBigEndian,
}

impl PlyEncoding {
    /// The name used on the header's `format` line.
    pub fn header_name(self) -> &'static str {
        match self {
            PlyEncoding::Ascii => "ascii",
            PlyEncoding::BinaryLittleEndian => "binary_little_endian",
            PlyEncoding::BinaryBigEndian => "binary_big_endian",
        }
    }
}

/// A cloud read from a PLY file plus what the reader had to leave out.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlyRead {
    /// The vertices (with colours / normals when the file has them).
    pub cloud: PointCloud,
    /// Vertices dropped because a coordinate was NaN or infinite.
    pub dropped_nonfinite: usize,
    /// Records of a `face` element that were skipped (mesh files).
    pub skipped_faces: usize,
}

/// What can go wrong reading or writing PLY. Every variant names the file
/// (`name`) and, where it applies, the position (header line, data line, or
/// byte offset and record).
#[derive(Debug, thiserror::Error)]
pub enum PlyError {
    /// The file could not be read from disk.
    #[error("{name}: cannot read: {source}")]
    Read { name: String, source: std::io::Error },
    /// The file could not be written.
    #[error("{name}: cannot write: {source}")]
    Write { name: String, source: std::io::Error },
    /// The file does not start with the `ply` magic line.
    #[error("{name}: not a PLY file (the first line is not `ply`)")]
    NotPly { name: String },
    /// A header line that does not follow the PLY grammar.
    #[error("{name}: header line {line}: {reason}")]
    BadHeader { name: String, line: usize, reason: String },
    /// A `format` other than ascii / binary_little_endian / binary_big_endian 1.0.
    #[error("{name}: header line {line}: unsupported format `{format}` (expected ascii, binary_little_endian or binary_big_endian, version 1.0)")]
    UnsupportedFormat { name: String, line: usize, format: String },
    /// The header never ends.
    #[error("{name}: the header has no `end_header` line (file cut short, or not a PLY file)")]
    NoEndHeader { name: String },
    /// There is no `vertex` element.
    #[error("{name}: the header declares no `vertex` element")]
    NoVertexElement { name: String },
    /// The `vertex` element lacks one of x, y, z (or has it as a list).
    #[error("{name}: the `vertex` element has no scalar property `{axis}`")]
    MissingCoordinate { name: String, axis: &'static str },
    /// The data ends before all declared records were read.
    #[error("{name}: truncated at {position}: element `{element}` declares {declared} records but only {read} are present")]
    Truncated { name: String, position: String, element: String, declared: usize, read: usize },
    /// An ascii record line with too few or too many values.
    #[error("{name}: line {line}: a `{element}` record needs {expected} values but the line has {got}")]
    WrongValueCount { name: String, line: usize, element: String, expected: usize, got: usize },
    /// An ascii value that does not parse as a number.
    #[error("{name}: line {line}: `{token}` is not a number (property `{property}` of `{element}`)")]
    NotNumeric { name: String, line: usize, element: String, property: String, token: String },
    /// A list length that is negative or not an integer.
    #[error("{name}: {position}: list `{property}` of `{element}` has invalid length {length}")]
    BadListLength { name: String, position: String, element: String, property: String, length: String },
    /// More data after the last declared record: the header's counts are wrong.
    #[error("{name}: {position}: unexpected data after the last declared record ({what}); the header's element counts are wrong")]
    TrailingData { name: String, position: String, what: String },
    /// A cloud whose colours or normals do not have one entry per point.
    #[error("{name}: cannot write: the cloud has {points} points but {count} {what}")]
    InconsistentCloud { name: String, what: &'static str, points: usize, count: usize },
}

/// Reads a PLY point cloud from `path` (one read of the whole file).
pub fn read_ply(path: &Path) -> Result<PlyRead, PlyError> {
    let name = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|source| PlyError::Read { name: name.clone(), source })?;
    read_ply_bytes(&bytes, &name)
}

/// Reads a PLY point cloud from bytes in memory; `name` is used in errors.
pub fn read_ply_bytes(bytes: &[u8], name: &str) -> Result<PlyRead, PlyError> {
    let header = parse_header(bytes, name)?;
    let body = bytes.get(header.data_start..).unwrap_or(&[]);
    match header.encoding {
        PlyEncoding::Ascii => read_ascii_body(body, &header, name),
        PlyEncoding::BinaryLittleEndian => read_binary_body(body, &header, name, false),
        PlyEncoding::BinaryBigEndian => read_binary_body(body, &header, name, true),
    }
}

/// Writes `cloud` to `path` as PLY (atomically: the file appears whole or not
/// at all). Properties: `x y z` float, `red green blue` uchar when the cloud
/// has colours, `nx ny nz` float when it has normals.
pub fn write_ply(path: &Path, cloud: &PointCloud, encoding: PlyEncoding) -> Result<(), PlyError> {
    let name = path.display().to_string();
    check_cloud(cloud, &name)?;
    crate::io::with_atomic_writer(path, |w| encode(w, cloud, encoding))
        .map_err(|source| PlyError::Write { name, source })
}

/// Writes `cloud` as PLY to any writer (see [`write_ply`] for the layout).
pub fn write_ply_to<W: Write>(w: &mut W, cloud: &PointCloud, encoding: PlyEncoding) -> Result<(), PlyError> {
    let name = "<stream>".to_string();
    check_cloud(cloud, &name)?;
    encode(w, cloud, encoding).map_err(|source| PlyError::Write { name, source })
}

// ---------------------------------------------------------------- header

/// A PLY scalar type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    I8,
    U8,
    I16,
    U16,
    I32,
    U32,
    F32,
    F64,
}

impl Scalar {
    fn parse(s: &str) -> Option<Scalar> {
        Some(match s {
            "char" | "int8" => Scalar::I8,
            "uchar" | "uint8" => Scalar::U8,
            "short" | "int16" => Scalar::I16,
            "ushort" | "uint16" => Scalar::U16,
            "int" | "int32" => Scalar::I32,
            "uint" | "uint32" => Scalar::U32,
            "float" | "float32" => Scalar::F32,
            "double" | "float64" => Scalar::F64,
            _ => return None,
        })
    }

    fn size(self) -> usize {
        match self {
            Scalar::I8 | Scalar::U8 => 1,
            Scalar::I16 | Scalar::U16 => 2,
            Scalar::I32 | Scalar::U32 | Scalar::F32 => 4,
            Scalar::F64 => 8,
        }
    }

    fn is_float(self) -> bool {
        matches!(self, Scalar::F32 | Scalar::F64)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum PropKind {
    Scalar(Scalar),
    List { count: Scalar, item: Scalar },
}

#[derive(Debug, Clone)]
struct Property {
    name: String,
    kind: PropKind,
}

#[derive(Debug, Clone)]
struct Element {
    name: String,
    count: usize,
    props: Vec<Property>,
}

impl Element {
    /// Record size in bytes when the element has no list properties.
    fn fixed_stride(&self) -> Option<usize> {
        self.props.iter().try_fold(0usize, |acc, p| match p.kind {
            PropKind::Scalar(s) => Some(acc + s.size()),
            PropKind::List { .. } => None,
        })
    }
}

#[derive(Debug)]
struct Header {
    encoding: PlyEncoding,
    elements: Vec<Element>,
    /// Byte offset of the first byte after the `end_header` line.
    data_start: usize,
    /// Number of lines in the header, `end_header` included.
    lines: usize,
}

fn parse_header(bytes: &[u8], name: &str) -> Result<Header, PlyError> {
    let bad = |line: usize, reason: String| PlyError::BadHeader { name: name.to_string(), line, reason };
    let mut pos = 0usize;
    let mut line_no = 0usize;
    let mut encoding: Option<PlyEncoding> = None;
    let mut elements: Vec<Element> = Vec::new();
    loop {
        let rest = bytes.get(pos..).unwrap_or(&[]);
        let (raw, next) = match rest.iter().position(|&b| b == b'\n') {
            Some(i) => (&rest[..i], pos + i + 1),
            None => {
                // A final line without newline can only be a bare `end_header`
                // of a file with no data.
                if line_no > 0 && trim_cr(rest) == b"end_header" {
                    (rest, bytes.len())
                } else if line_no == 0 {
                    return Err(PlyError::NotPly { name: name.to_string() });
                } else {
                    return Err(PlyError::NoEndHeader { name: name.to_string() });
                }
            }
        };
        line_no += 1;
        pos = next;
        let raw = trim_cr(raw);
        if line_no == 1 {
            if raw != b"ply" {
                return Err(PlyError::NotPly { name: name.to_string() });
            }
            continue;
        }
        let starts = |kw: &[u8]| raw.starts_with(kw) && raw.get(kw.len()).is_none_or(|b| b.is_ascii_whitespace());
        if starts(b"comment") || starts(b"obj_info") {
            continue;
        }
        let text = std::str::from_utf8(raw).map_err(|_| bad(line_no, "header line is not text".into()))?;
        let tokens: Vec<&str> = text.split_ascii_whitespace().collect();
        let Some(&keyword) = tokens.first() else {
            continue; // blank lines are tolerated
        };
        match keyword {
            "format" => {
                if encoding.is_some() {
                    return Err(bad(line_no, "a second `format` line".into()));
                }
                let unsupported = || PlyError::UnsupportedFormat {
                    name: name.to_string(),
                    line: line_no,
                    format: tokens.get(1..).unwrap_or(&[]).join(" "),
                };
                let enc = match tokens.get(1).copied() {
                    Some("ascii") => PlyEncoding::Ascii,
                    Some("binary_little_endian") => PlyEncoding::BinaryLittleEndian,
                    Some("binary_big_endian") => PlyEncoding::BinaryBigEndian,
                    _ => return Err(unsupported()),
                };
                if !matches!(tokens.get(2).copied(), Some("1.0" | "1")) || tokens.len() != 3 {
                    return Err(unsupported());
                }
                encoding = Some(enc);
            }
            "element" => {
                let [_, ename, count] = tokens[..] else {
                    return Err(bad(line_no, format!("expected `element <name> <count>`, found `{text}`")));
                };
                let count: usize = count
                    .parse()
                    .map_err(|_| bad(line_no, format!("element `{ename}` count `{count}` is not a non-negative integer")))?;
                elements.push(Element { name: ename.to_string(), count, props: Vec::new() });
            }
            "property" => {
                let Some(element) = elements.last_mut() else {
                    return Err(bad(line_no, "`property` before any `element` line".into()));
                };
                let unknown_type = |t: &str| bad(line_no, format!("unknown property type `{t}`"));
                let prop = match tokens[..] {
                    [_, "list", count, item, pname] => {
                        let count_ty = Scalar::parse(count).ok_or_else(|| unknown_type(count))?;
                        if count_ty.is_float() {
                            return Err(bad(line_no, format!("list `{pname}` has a non-integer count type `{count}`")));
                        }
                        let item = Scalar::parse(item).ok_or_else(|| unknown_type(item))?;
                        Property { name: pname.to_string(), kind: PropKind::List { count: count_ty, item } }
                    }
                    [_, ty, pname] if ty != "list" => {
                        let ty = Scalar::parse(ty).ok_or_else(|| unknown_type(ty))?;
                        Property { name: pname.to_string(), kind: PropKind::Scalar(ty) }
                    }
                    _ => {
                        return Err(bad(
                            line_no,
                            format!("expected `property <type> <name>` or `property list <count type> <item type> <name>`, found `{text}`"),
                        ))
                    }
                };
                element.props.push(prop);
            }
            "end_header" => {
                if tokens.len() != 1 {
                    return Err(bad(line_no, format!("unexpected text after `end_header`: `{text}`")));
                }
                let Some(encoding) = encoding else {
                    return Err(bad(line_no, "the header has no `format` line".into()));
                };
                return Ok(Header { encoding, elements, data_start: pos, lines: line_no });
            }
            other => {
                return Err(bad(line_no, format!("unknown header keyword `{other}`")));
            }
        }
    }
}

fn trim_cr(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\r").unwrap_or(line)
}

// ---------------------------------------------------------------- vertex plan

/// Indices (into the vertex element's properties) and types of the fields we keep.
#[derive(Debug, Clone, Copy)]
struct Field {
    index: usize,
    ty: Scalar,
}

#[derive(Debug)]
struct VertexPlan {
    /// Position of the vertex element among the header's elements.
    element: usize,
    xyz: [Field; 3],
    rgb: Option<[Field; 3]>,
    normal: Option<[Field; 3]>,
}

fn find_scalar(el: &Element, names: &[&str]) -> Option<Field> {
    el.props.iter().enumerate().find_map(|(index, p)| match p.kind {
        PropKind::Scalar(ty) if names.contains(&p.name.as_str()) => Some(Field { index, ty }),
        _ => None,
    })
}

fn plan_vertex(header: &Header, name: &str) -> Result<VertexPlan, PlyError> {
    let element = header
        .elements
        .iter()
        .position(|e| e.name == "vertex")
        .ok_or_else(|| PlyError::NoVertexElement { name: name.to_string() })?;
    let el = &header.elements[element];
    let axis = |names: &[&str], axis: &'static str| {
        find_scalar(el, names).ok_or_else(|| PlyError::MissingCoordinate { name: name.to_string(), axis })
    };
    let xyz = [axis(&["x"], "x")?, axis(&["y"], "y")?, axis(&["z"], "z")?];
    let triple = |a: &[&str], b: &[&str], c: &[&str]| Some([find_scalar(el, a)?, find_scalar(el, b)?, find_scalar(el, c)?]);
    let rgb = triple(&["red", "diffuse_red", "r"], &["green", "diffuse_green", "g"], &["blue", "diffuse_blue", "b"]);
    let normal = triple(&["nx", "normal_x"], &["ny", "normal_y"], &["nz", "normal_z"]);
    Ok(VertexPlan { element, xyz, rgb, normal })
}

/// Colour channel value to 0..255: floats are taken as 0..1, 16-bit as 0..65535,
/// other integers as 0..255 (clamped).
#[inline]
fn color_u8(v: f64, ty: Scalar) -> u8 {
    let scaled = match ty {
        Scalar::F32 | Scalar::F64 => v * 255.0,
        Scalar::U16 => v / 257.0,
        _ => v,
    };
    // `as` saturates and maps NaN to 0.
    scaled.round().clamp(0.0, 255.0) as u8
}

/// Accumulates decoded vertices.
struct Sink {
    points: Vec<[f32; 3]>,
    colors: Option<Vec<[u8; 3]>>,
    normals: Option<Vec<[f32; 3]>>,
    dropped: usize,
}

impl Sink {
    fn new(plan: &VertexPlan, capacity: usize) -> Sink {
        Sink {
            points: Vec::with_capacity(capacity),
            colors: plan.rgb.map(|_| Vec::with_capacity(capacity)),
            normals: plan.normal.map(|_| Vec::with_capacity(capacity)),
            dropped: 0,
        }
    }

    /// Pushes one vertex, reading its fields with `get(field)`.
    #[inline(always)]
    fn push(&mut self, plan: &VertexPlan, mut get: impl FnMut(Field) -> f64) {
        let p = [get(plan.xyz[0]) as f32, get(plan.xyz[1]) as f32, get(plan.xyz[2]) as f32];
        if !(p[0].is_finite() && p[1].is_finite() && p[2].is_finite()) {
            self.dropped += 1;
            return;
        }
        self.points.push(p);
        if let (Some(colors), Some(f)) = (self.colors.as_mut(), plan.rgb) {
            colors.push([color_u8(get(f[0]), f[0].ty), color_u8(get(f[1]), f[1].ty), color_u8(get(f[2]), f[2].ty)]);
        }
        if let (Some(normals), Some(f)) = (self.normals.as_mut(), plan.normal) {
            normals.push([get(f[0]) as f32, get(f[1]) as f32, get(f[2]) as f32]);
        }
    }

    fn finish(self, skipped_faces: usize) -> PlyRead {
        PlyRead {
            cloud: PointCloud { points: self.points, colors: self.colors, normals: self.normals },
            dropped_nonfinite: self.dropped,
            skipped_faces,
        }
    }
}

// ---------------------------------------------------------------- binary

/// Reads `N` bytes at `off` of `rec`; zeros if out of range (never happens
/// for offsets computed from the header against a whole record).
#[inline(always)]
fn bytes_at<const N: usize>(rec: &[u8], off: usize) -> [u8; N] {
    let mut b = [0u8; N];
    if let Some(s) = rec.get(off..off + N) {
        b.copy_from_slice(s);
    }
    b
}

/// Decodes one binary scalar at `off` of `rec` as f64.
#[inline(always)]
fn read_scalar(rec: &[u8], off: usize, ty: Scalar, big: bool) -> f64 {
    macro_rules! rd {
        ($t:ty, $n:expr) => {{
            let b = bytes_at::<$n>(rec, off);
            (if big { <$t>::from_be_bytes(b) } else { <$t>::from_le_bytes(b) }) as f64
        }};
    }
    match ty {
        Scalar::I8 => rd!(i8, 1),
        Scalar::U8 => rd!(u8, 1),
        Scalar::I16 => rd!(i16, 2),
        Scalar::U16 => rd!(u16, 2),
        Scalar::I32 => rd!(i32, 4),
        Scalar::U32 => rd!(u32, 4),
        Scalar::F32 => rd!(f32, 4),
        Scalar::F64 => rd!(f64, 8),
    }
}

/// Reads a list length (integer scalar) at `off`, `None` when negative.
fn read_list_len(rec: &[u8], off: usize, ty: Scalar, big: bool) -> Option<usize> {
    let v = read_scalar(rec, off, ty, big);
    (v >= 0.0 && v.fract() == 0.0).then_some(v as usize)
}

/// Fills `offsets` with the start of each property of the record at the
/// beginning of `data` and returns the record length; `Err(None)` when the
/// data ends inside the record, `Err(Some((prop, len)))` for a bad list length.
fn record_layout(
    data: &[u8],
    el: &Element,
    big: bool,
    offsets: &mut Vec<usize>,
) -> Result<usize, Option<(usize, f64)>> {
    offsets.clear();
    let mut off = 0usize;
    for (i, p) in el.props.iter().enumerate() {
        offsets.push(off);
        let size = match p.kind {
            PropKind::Scalar(s) => s.size(),
            PropKind::List { count, item } => {
                if off + count.size() > data.len() {
                    return Err(None);
                }
                let n = read_list_len(data, off, count, big)
                    .ok_or_else(|| Some((i, read_scalar(data, off, count, big))))?;
                count.size() + n * item.size()
            }
        };
        off = off.checked_add(size).ok_or(None)?;
        if off > data.len() {
            return Err(None);
        }
    }
    Ok(off)
}

fn read_binary_body(body: &[u8], header: &Header, name: &str, big: bool) -> Result<PlyRead, PlyError> {
    let plan = plan_vertex(header, name)?;
    let mut pos = 0usize;
    let mut sink: Option<Sink> = None;
    let mut skipped_faces = 0usize;
    let mut offsets: Vec<usize> = Vec::new();
    let start = header.data_start;
    for (ei, el) in header.elements.iter().enumerate() {
        let rest = body.get(pos..).unwrap_or(&[]);
        let truncated = |read: usize, at: usize| PlyError::Truncated {
            name: name.to_string(),
            position: format!("byte {} (record {} of `{}`)", start + at, read, el.name),
            element: el.name.clone(),
            declared: el.count,
            read,
        };
        let is_vertex = ei == plan.element;
        let mut out = if is_vertex { Some(Sink::new(&plan, 0)) } else { None };
        if let Some(stride) = el.fixed_stride() {
            // Fixed-size records: one bounds check for the whole element.
            let available = rest.len().checked_div(stride).unwrap_or(usize::MAX);
            if available < el.count {
                return Err(truncated(available, pos + available * stride));
            }
            let len = el.count * stride; // <= rest.len(), no overflow
            if let Some(out) = out.as_mut() {
                *out = Sink::new(&plan, el.count);
                let mut offs = Vec::with_capacity(el.props.len());
                let mut o = 0;
                for p in &el.props {
                    offs.push(o);
                    if let PropKind::Scalar(s) = p.kind {
                        o += s.size();
                    }
                }
                let off_of = |f: Field| offs.get(f.index).copied().unwrap_or(0);
                let xyz = plan.xyz.map(|f| (off_of(f), f.ty));
                let rgb = plan.rgb.map(|fs| fs.map(|f| (off_of(f), f.ty)));
                let nrm = plan.normal.map(|fs| fs.map(|f| (off_of(f), f.ty)));
                decode_fixed(&rest[..len], stride, big, xyz, rgb, nrm, out);
            }
            pos += len;
        } else {
            // Records with lists: walk them one by one.
            for r in 0..el.count {
                let rec = body.get(pos..).unwrap_or(&[]);
                let len = match record_layout(rec, el, big, &mut offsets) {
                    Ok(len) => len,
                    Err(None) => return Err(truncated(r, pos)),
                    Err(Some((pi, v))) => {
                        return Err(PlyError::BadListLength {
                            name: name.to_string(),
                            position: format!("byte {} (record {} of `{}`)", start + pos, r, el.name),
                            element: el.name.clone(),
                            property: el.props.get(pi).map(|p| p.name.clone()).unwrap_or_default(),
                            length: v.to_string(),
                        })
                    }
                };
                if let Some(out) = out.as_mut() {
                    out.push(&plan, |f| {
                        read_scalar(rec, offsets.get(f.index).copied().unwrap_or(usize::MAX), f.ty, big)
                    });
                }
                pos += len;
            }
        }
        if el.name == "face" {
            skipped_faces += el.count;
        }
        if out.is_some() {
            sink = out;
        }
    }
    let trailing = body.get(pos..).unwrap_or(&[]);
    // A final line break some writers append is fine; anything else means the
    // header's counts do not describe the data.
    if trailing.len() > MAX_BINARY_TRAILER || trailing.iter().any(|b| !matches!(b, b'\n' | b'\r' | b' ')) {
        return Err(PlyError::TrailingData {
            name: name.to_string(),
            position: format!("byte {}", start + pos),
            what: format!("{} bytes", trailing.len()),
        });
    }
    let sink = sink.unwrap_or_else(|| Sink::new(&plan, 0));
    Ok(sink.finish(skipped_faces))
}

/// Bytes of line-break padding tolerated after the binary data.
const MAX_BINARY_TRAILER: usize = 2;

type Slot = (usize, Scalar);

/// The hot loop: decodes fixed-stride vertex records.
fn decode_fixed(
    data: &[u8],
    stride: usize,
    big: bool,
    xyz: [Slot; 3],
    rgb: Option<[Slot; 3]>,
    nrm: Option<[Slot; 3]>,
    out: &mut Sink,
) {
    if stride == 0 {
        return; // impossible: the vertex element has at least x, y, z
    }
    // Fast path: the common layout of three consecutive little-endian floats.
    let xyz_f32_le = !big && xyz.iter().all(|s| s.1 == Scalar::F32) && xyz[1].0 == xyz[0].0 + 4 && xyz[2].0 == xyz[0].0 + 8;
    for rec in data.chunks_exact(stride) {
        let p = if xyz_f32_le {
            let b = bytes_at::<12>(rec, xyz[0].0);
            [
                f32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                f32::from_le_bytes([b[4], b[5], b[6], b[7]]),
                f32::from_le_bytes([b[8], b[9], b[10], b[11]]),
            ]
        } else {
            xyz.map(|(o, t)| read_scalar(rec, o, t, big) as f32)
        };
        if !(p[0].is_finite() && p[1].is_finite() && p[2].is_finite()) {
            out.dropped += 1;
            continue;
        }
        out.points.push(p);
        if let (Some(colors), Some(s)) = (out.colors.as_mut(), rgb) {
            colors.push(s.map(|(o, t)| if t == Scalar::U8 { bytes_at::<1>(rec, o)[0] } else { color_u8(read_scalar(rec, o, t, big), t) }));
        }
        if let (Some(normals), Some(s)) = (out.normals.as_mut(), nrm) {
            normals.push(s.map(|(o, t)| read_scalar(rec, o, t, big) as f32));
        }
    }
}

// ---------------------------------------------------------------- ascii

fn read_ascii_body(body: &[u8], header: &Header, name: &str) -> Result<PlyRead, PlyError> {
    let plan = plan_vertex(header, name)?;
    let mut lines = body.split(|&b| b == b'\n').enumerate().map(|(i, l)| (header.lines + 1 + i, trim_cr(l)));
    let mut sink: Option<Sink> = None;
    let mut skipped_faces = 0usize;
    let mut values: Vec<f64> = Vec::new();
    let mut tokens: Vec<&[u8]> = Vec::new();
    let mut last_line = header.lines;
    for (ei, el) in header.elements.iter().enumerate() {
        let is_vertex = ei == plan.element;
        // Cap the reservation by what the body could hold (two bytes per value at least).
        let cap = el.count.min(body.len() / (2 * el.props.len().max(1)));
        let mut out = if is_vertex { Some(Sink::new(&plan, cap)) } else { None };
        let mut field_index: Vec<usize> = Vec::with_capacity(el.props.len());
        for r in 0..el.count {
            // Next non-blank line.
            let (line_no, line) = loop {
                match lines.next() {
                    Some((n, l)) if l.iter().all(|b| b.is_ascii_whitespace()) => last_line = n,
                    Some(x) => break x,
                    None => {
                        return Err(PlyError::Truncated {
                            name: name.to_string(),
                            position: format!("end of file (line {last_line})"),
                            element: el.name.clone(),
                            declared: el.count,
                            read: r,
                        })
                    }
                }
            };
            last_line = line_no;
            tokens.clear();
            tokens.extend(line.split(|b| b.is_ascii_whitespace()).filter(|t| !t.is_empty()));
            values.clear();
            field_index.clear();
            let mut t = 0usize;
            let wrong_count = |expected: usize| PlyError::WrongValueCount {
                name: name.to_string(),
                line: line_no,
                element: el.name.clone(),
                expected,
                got: tokens.len(),
            };
            for p in &el.props {
                let number = |tok: &[u8]| -> Result<f64, PlyError> {
                    std::str::from_utf8(tok).ok().and_then(|s| s.parse::<f64>().ok()).ok_or_else(|| PlyError::NotNumeric {
                        name: name.to_string(),
                        line: line_no,
                        element: el.name.clone(),
                        property: p.name.clone(),
                        token: String::from_utf8_lossy(tok).chars().take(40).collect(),
                    })
                };
                match p.kind {
                    PropKind::Scalar(_) => {
                        let tok = *tokens.get(t).ok_or_else(|| wrong_count(expected_min(el, t)))?;
                        field_index.push(values.len());
                        values.push(number(tok)?);
                        t += 1;
                    }
                    PropKind::List { .. } => {
                        let tok = *tokens.get(t).ok_or_else(|| wrong_count(expected_min(el, t)))?;
                        let n = number(tok)?;
                        if !(n >= 0.0 && n.fract() == 0.0 && n <= tokens.len() as f64) {
                            if n >= 0.0 && n.fract() == 0.0 {
                                return Err(wrong_count(t + 1 + n as usize));
                            }
                            return Err(PlyError::BadListLength {
                                name: name.to_string(),
                                position: format!("line {line_no}"),
                                element: el.name.clone(),
                                property: p.name.clone(),
                                length: String::from_utf8_lossy(tok).into_owned(),
                            });
                        }
                        field_index.push(usize::MAX); // lists are never kept
                        let n = n as usize;
                        for k in 0..n {
                            let tok = *tokens.get(t + 1 + k).ok_or_else(|| wrong_count(t + 1 + n))?;
                            number(tok)?;
                        }
                        t += 1 + n;
                    }
                }
            }
            if t != tokens.len() {
                return Err(wrong_count(t));
            }
            if let Some(out) = out.as_mut() {
                out.push(&plan, |f| {
                    field_index.get(f.index).and_then(|&i| values.get(i)).copied().unwrap_or(f64::NAN)
                });
            }
        }
        if el.name == "face" {
            skipped_faces += el.count;
        }
        if out.is_some() {
            sink = out;
        }
    }
    if let Some((n, _)) = lines.find(|(_, l)| !l.iter().all(|b| b.is_ascii_whitespace())) {
        return Err(PlyError::TrailingData {
            name: name.to_string(),
            position: format!("line {n}"),
            what: "a line after the last declared record".into(),
        });
    }
    let sink = sink.unwrap_or_else(|| Sink::new(&plan, 0));
    Ok(sink.finish(skipped_faces))
}

/// The number of values a record has at least, when `t` tokens were consumed
/// before running out (lists count as their length token only).
fn expected_min(el: &Element, t: usize) -> usize {
    t.max(el.props.len())
}

// ---------------------------------------------------------------- writing

fn check_cloud(cloud: &PointCloud, name: &str) -> Result<(), PlyError> {
    let n = cloud.points.len();
    let bad = |what, count| Err(PlyError::InconsistentCloud { name: name.to_string(), what, points: n, count });
    if let Some(c) = &cloud.colors {
        if c.len() != n {
            return bad("colours", c.len());
        }
    }
    if let Some(nr) = &cloud.normals {
        if nr.len() != n {
            return bad("normals", nr.len());
        }
    }
    Ok(())
}

/// Points encoded per buffered chunk when writing binary.
const WRITE_CHUNK_POINTS: usize = 4096;

fn encode<W: Write>(w: &mut W, cloud: &PointCloud, encoding: PlyEncoding) -> std::io::Result<()> {
    let colors = cloud.colors.as_deref();
    let normals = cloud.normals.as_deref();
    let mut head = String::new();
    head.push_str("ply\n");
    head.push_str(&format!("format {} 1.0\n", encoding.header_name()));
    head.push_str(&format!("comment written by roomscribe {}\n", crate::VERSION));
    head.push_str(&format!("element vertex {}\n", cloud.points.len()));
    head.push_str("property float x\nproperty float y\nproperty float z\n");
    if colors.is_some() {
        head.push_str("property uchar red\nproperty uchar green\nproperty uchar blue\n");
    }
    if normals.is_some() {
        head.push_str("property float nx\nproperty float ny\nproperty float nz\n");
    }
    head.push_str("end_header\n");
    w.write_all(head.as_bytes())?;

    let big = encoding == PlyEncoding::BinaryBigEndian;
    let f = |v: f32| if big { v.to_be_bytes() } else { v.to_le_bytes() };
    let mut buf: Vec<u8> = Vec::with_capacity(WRITE_CHUNK_POINTS * 27);
    for (start, chunk) in cloud.points.chunks(WRITE_CHUNK_POINTS).enumerate().map(|(i, c)| (i * WRITE_CHUNK_POINTS, c)) {
        buf.clear();
        for (k, p) in chunk.iter().enumerate() {
            let i = start + k;
            let c = colors.and_then(|c| c.get(i));
            let n = normals.and_then(|n| n.get(i));
            if encoding == PlyEncoding::Ascii {
                // `{}` prints the shortest text that reads back to the same f32.
                let _ = write!(buf, "{} {} {}", p[0], p[1], p[2]);
                if let Some(c) = c {
                    let _ = write!(buf, " {} {} {}", c[0], c[1], c[2]);
                }
                if let Some(n) = n {
                    let _ = write!(buf, " {} {} {}", n[0], n[1], n[2]);
                }
                buf.push(b'\n');
            } else {
                for v in p {
                    buf.extend_from_slice(&f(*v));
                }
                if let Some(c) = c {
                    buf.extend_from_slice(c);
                }
                if let Some(n) = n {
                    for v in n {
                        buf.extend_from_slice(&f(*v));
                    }
                }
            }
        }
        w.write_all(&buf)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests;
