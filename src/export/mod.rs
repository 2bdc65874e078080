//! Exports: SVG floor plan, glTF, HTML viewer.
