//! A minimal SVG writer: elements appended to a string, attributes escaped, coordinates
//! written with one decimal (sub-pixel precision is invisible and would only bloat the
//! page), so equal inputs give equal bytes.

use std::fmt::Write;

/// Escapes text for HTML/SVG content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate: one decimal, no `-0.0`, non-finite values pinned to 0.
pub fn coord(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_owned();
    }
    let r = (v * 10.0).round() / 10.0;
    let r = if r == 0.0 { 0.0 } else { r };
    if r.fract() == 0.0 { format!("{r:.0}") } else { format!("{r:.1}") }
}

/// Horizontal text anchoring.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Anchor {
    Start,
    Middle,
    End,
}

impl Anchor {
    fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Middle => "middle",
            Self::End => "end",
        }
    }
}

/// An SVG document being written.
#[derive(Debug)]
pub struct Svg {
    buf: String,
}

impl Svg {
    /// A `width x height` drawing (scales to its container's width), described by
    /// `label` for screen readers.
    pub fn new(width: f64, height: f64, label: &str) -> Self {
        let mut buf = String::with_capacity(4096);
        let _ = write!(
            buf,
            r#"<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}">"#,
            coord(width),
            coord(height),
            escape(label)
        );
        Self { buf }
    }

    pub fn line(&mut self, x1: f64, y1: f64, x2: f64, y2: f64, class: &str) {
        let _ = write!(self.buf, r#"<line x1="{}" y1="{}" x2="{}" y2="{}" class="{class}"/>"#, coord(x1), coord(y1), coord(x2), coord(y2));
    }

    /// A rectangle with an optional tooltip.
    pub fn rect(&mut self, x: f64, y: f64, w: f64, h: f64, class: &str, title: Option<&str>) {
        let _ = write!(self.buf, r#"<rect x="{}" y="{}" width="{}" height="{}" class="{class}""#, coord(x), coord(y), coord(w.max(0.0)), coord(h.max(0.0)));
        self.close_with_title(title, "rect");
    }

    /// A rectangle filled with an explicit colour (heat maps).
    pub fn rect_fill(&mut self, x: f64, y: f64, w: f64, h: f64, fill: &str, title: Option<&str>) {
        let _ = write!(self.buf, r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{fill}""#, coord(x), coord(y), coord(w.max(0.0)), coord(h.max(0.0)));
        self.close_with_title(title, "rect");
    }

    pub fn circle(&mut self, cx: f64, cy: f64, r: f64, class: &str, title: Option<&str>) {
        let _ = write!(self.buf, r#"<circle cx="{}" cy="{}" r="{}" class="{class}""#, coord(cx), coord(cy), coord(r));
        self.close_with_title(title, "circle");
    }

    /// A polyline through `points` (nothing with fewer than two).
    pub fn polyline(&mut self, points: &[(f64, f64)], class: &str) {
        if points.len() < 2 {
            return;
        }
        self.buf.push_str(r#"<path d=""#);
        for (i, (x, y)) in points.iter().enumerate() {
            let _ = write!(self.buf, "{}{},{}", if i == 0 { 'M' } else { 'L' }, coord(*x), coord(*y));
        }
        let _ = write!(self.buf, r#"" class="{class}"/>"#);
    }

    /// A closed area between `points` and the horizontal line `y = base`.
    pub fn area(&mut self, points: &[(f64, f64)], base: f64, class: &str) {
        if points.len() < 2 {
            return;
        }
        let _ = write!(self.buf, r#"<path d="M{},{}"#, coord(points[0].0), coord(base));
        for (x, y) in points {
            let _ = write!(self.buf, "L{},{}", coord(*x), coord(*y));
        }
        let _ = write!(self.buf, r#"L{},{}Z" class="{class}"/>"#, coord(points[points.len() - 1].0), coord(base));
    }

    pub fn text(&mut self, x: f64, y: f64, anchor: Anchor, class: &str, content: &str) {
        let _ = write!(self.buf, r#"<text x="{}" y="{}" text-anchor="{}" class="{class}">{}</text>"#, coord(x), coord(y), anchor.as_str(), escape(content));
    }

    /// Text rotated by -90 degrees around its anchor (vertical axis titles).
    pub fn vtext(&mut self, x: f64, y: f64, class: &str, content: &str) {
        let _ = write!(
            self.buf,
            r#"<text x="{0}" y="{1}" text-anchor="middle" class="{class}" transform="rotate(-90 {0} {1})">{2}</text>"#,
            coord(x),
            coord(y),
            escape(content)
        );
    }

    fn close_with_title(&mut self, title: Option<&str>, tag: &str) {
        match title {
            Some(t) => {
                let _ = write!(self.buf, "><title>{}</title></{tag}>", escape(t));
            }
            None => self.buf.push_str("/>"),
        }
    }

    pub fn finish(mut self) -> String {
        self.buf.push_str("</svg>");
        self.buf
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// Checks that every tag opened in `doc` is closed in order (a small well-formedness
    /// check for the fragments we write; attribute values never contain `<` or `>`).
    pub(crate) fn assert_balanced(doc: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = doc;
        while let Some(start) = rest.find('<') {
            let end = rest[start..].find('>').expect("unterminated tag") + start;
            let tag = &rest[start + 1..end];
            rest = &rest[end + 1..];
            if tag.starts_with('!') {
                continue;
            }
            let name: String = tag.trim_start_matches('/').chars().take_while(char::is_ascii_alphanumeric).collect();
            if let Some(closing) = tag.strip_prefix('/') {
                let open = stack.pop().unwrap_or_else(|| panic!("`</{closing}>` closes nothing"));
                assert_eq!(open, name, "`</{name}>` closes `<{open}>`");
            } else if !tag.ends_with('/') && !matches!(name.as_str(), "meta" | "link" | "br" | "hr" | "img" | "col" | "input") {
                stack.push(name);
            }
        }
        assert!(stack.is_empty(), "unclosed: {stack:?}");
    }

    #[test]
    fn coordinates_are_short_and_stable() {
        assert_eq!(coord(1.04), "1");
        assert_eq!(coord(1.05), "1.1");
        assert_eq!(coord(-0.01), "0");
        assert_eq!(coord(f64::NAN), "0");
        assert_eq!(coord(-12.34), "-12.3");
    }

    #[test]
    fn text_is_escaped_and_elements_close() {
        let mut s = Svg::new(100.0, 50.0, "a <b> & \"c\"");
        s.text(1.0, 2.0, Anchor::Middle, "t", "x < y & z");
        s.rect(0.0, 0.0, 10.0, -5.0, "bar", Some("<tip>"));
        s.polyline(&[(0.0, 0.0), (1.0, 1.0)], "line");
        s.area(&[(0.0, 0.0), (1.0, 1.0)], 5.0, "fill");
        s.vtext(5.0, 5.0, "t", "y");
        let doc = s.finish();
        assert!(doc.contains("x &lt; y &amp; z"));
        assert!(doc.contains(r#"aria-label="a &lt;b&gt; &amp; &quot;c&quot;""#));
        assert!(doc.contains(r#"height="0""#), "negative sizes are clamped");
        assert!(doc.contains("<title>&lt;tip&gt;</title>"));
        assert_balanced(&doc);
    }
}
