//! A YAML value tree in which every node remembers its line and column.
//!
//! The spec is parsed once into a [`Node`] tree (serde-saphyr's [`Spanned`] records the
//! positions); everything after that — interpolation, matrix expansion, typed params —
//! works on the tree, so any error can point back at the file.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;

/// A 1-based position in a spec file. `line == 0` means "not from the file" (e.g. a
/// `--set` override), which [`fmt::Display`] prints as `<command line>`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Pos {
    pub line: u32,
    pub column: u32,
}

impl Pos {
    /// A position that comes from the command line, not the file.
    pub const CLI: Self = Self { line: 0, column: 0 };

    pub fn is_cli(self) -> bool {
        self.line == 0
    }
}

impl fmt::Display for Pos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.line, self.column)
    }
}

/// A YAML value with its position.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub pos: Pos,
    pub value: Value,
}

/// The shape of a YAML value. Mappings keep their keys in file order.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(Key, Node)>),
}

/// A mapping key with its own position (errors about a key point at the key).
#[derive(Clone, Debug, PartialEq)]
pub struct Key {
    pub pos: Pos,
    pub name: String,
}

impl Node {
    pub fn new(pos: Pos, value: Value) -> Self {
        Self { pos, value }
    }

    /// The YAML type name, for messages ("expected a mapping, found a string").
    pub fn type_name(&self) -> &'static str {
        match self.value {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Int(_) => "an integer",
            Value::Float(_) => "a number",
            Value::Str(_) => "a string",
            Value::Seq(_) => "a list",
            Value::Map(_) => "a mapping",
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&[(Key, Node)]> {
        match &self.value {
            Value::Map(entries) => Some(entries),
            _ => None,
        }
    }

    /// Looks up `key` in a mapping node.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map()?.iter().find(|(k, _)| k.name == key).map(|(_, v)| v)
    }

    /// Follows a path of mapping keys / list indices; used to find where a serde error
    /// points. Returns the deepest node reached and, when the last step was a key, that
    /// key's position.
    pub fn locate<'a>(&self, path: impl IntoIterator<Item = &'a str>) -> Pos {
        let mut node = self;
        let mut pos = self.pos;
        for step in path {
            let next = match &node.value {
                Value::Map(entries) => entries.iter().find(|(k, _)| k.name == step).map(|(k, v)| {
                    pos = k.pos;
                    v
                }),
                Value::Seq(items) => step.parse::<usize>().ok().and_then(|i| items.get(i)).inspect(|v| pos = v.pos),
                _ => None,
            };
            match next {
                Some(n) => node = n,
                None => break,
            }
        }
        if pos == Pos::default() { node.pos } else { pos }
    }

    /// Converts to JSON (positions dropped) for typed deserialization.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match &self.value {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::Float(f) => serde_json::Number::from_f64(*f).map_or(J::Null, J::Number),
            Value::Str(s) => J::String(s.clone()),
            Value::Seq(items) => J::Array(items.iter().map(Node::to_json).collect()),
            Value::Map(entries) => J::Object(entries.iter().map(|(k, v)| (k.name.clone(), v.to_json())).collect()),
        }
    }

    /// Builds a node (all positions `pos`) from JSON.
    pub fn from_json(json: &serde_json::Value, pos: Pos) -> Self {
        use serde_json::Value as J;
        let value = match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n.as_i64().map_or_else(|| Value::Float(n.as_f64().unwrap_or(f64::NAN)), Value::Int),
            J::String(s) => Value::Str(s.clone()),
            J::Array(items) => Value::Seq(items.iter().map(|i| Self::from_json(i, pos)).collect()),
            J::Object(map) => Value::Map(map.iter().map(|(k, v)| (Key { pos, name: k.clone() }, Self::from_json(v, pos))).collect()),
        };
        Self { pos, value }
    }

    /// Renders a scalar as it would appear in YAML (for names and messages).
    pub fn scalar_text(&self) -> Option<String> {
        match &self.value {
            Value::Null => Some("null".into()),
            Value::Bool(b) => Some(b.to_string()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(format!("{f:?}")),
            Value::Str(s) => Some(s.clone()),
            Value::Seq(_) | Value::Map(_) => None,
        }
    }
}

fn pos_of(location: serde_saphyr::Location) -> Pos {
    Pos { line: location.line() as u32, column: location.column() as u32 }
}

/// Parses YAML text into a positioned tree. Errors carry serde-saphyr's location.
///
/// YAML 1.2 rules: only `true`/`false` are booleans (`n`, `no`, `off` stay strings, as
/// they must for params named `n`).
pub fn parse_yaml(text: &str) -> Result<Node, serde_saphyr::Error> {
    let mut options = serde_saphyr::Options::default();
    options.strict_booleans = true;
    options.with_snippet = false;
    let root: Spanned<RawNode> = serde_saphyr::from_str_with_options(text, options)?;
    Ok(root.value.0.with_pos(pos_of(root.referenced)))
}

/// The deserialization shim: a `Value` whose children are `Spanned`, so each gets its
/// position from serde-saphyr.
struct RawNode(Node);

impl Node {
    fn with_pos(mut self, pos: Pos) -> Self {
        self.pos = pos;
        self
    }
}

impl<'de> Deserialize<'de> for RawNode {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(RawVisitor).map(|v| RawNode(Node::new(Pos::default(), v)))
    }
}

/// A mapping key as written (YAML allows non-string keys; we stringify scalars).
struct RawKey(String);

impl<'de> Deserialize<'de> for RawKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let node = RawNode::deserialize(deserializer)?.0;
        node.scalar_text().map(RawKey).ok_or_else(|| de::Error::custom("mapping keys must be plain scalars"))
    }
}

struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Int(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Value, E> {
        i64::try_from(v).map(Value::Int).map_err(|_| E::custom(format!("integer {v} is too large")))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::Str(v))
    }
    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_none<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Value, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Spanned<RawNode>>()? {
            items.push(item.value.0.with_pos(pos_of(item.referenced)));
        }
        Ok(Value::Seq(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut entries: Vec<(Key, Node)> = Vec::new();
        while let Some(key) = map.next_key::<Spanned<RawKey>>()? {
            let value = map.next_value::<Spanned<RawNode>>()?;
            let key = Key { pos: pos_of(key.referenced), name: key.value.0 };
            if entries.iter().any(|(k, _)| k.name == key.name) {
                return Err(de::Error::custom(format!("duplicate key `{}` at {}:{}", key.name, key.pos.line, key.pos.column)));
            }
            entries.push((key, value.value.0.with_pos(pos_of(value.referenced))));
        }
        Ok(Value::Map(entries))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_of_keys_and_values() {
        let doc = "a: 1\nb:\n  c: [x, 2.5]\n  d: true\nn: no\n";
        let root = parse_yaml(doc).unwrap();
        let b = root.get("b").unwrap();
        assert_eq!(root.locate(["b", "c"]), Pos { line: 3, column: 3 });
        let c = b.get("c").unwrap();
        let Value::Seq(items) = &c.value else { panic!() };
        assert_eq!(items[1].value, Value::Float(2.5));
        assert_eq!(items[1].pos, Pos { line: 3, column: 10 });
        assert_eq!(root.get("a").unwrap().value, Value::Int(1));
        assert_eq!(root.to_json(), serde_json::json!({"a": 1, "b": {"c": ["x", 2.5], "d": true}, "n": "no"}));
    }

    #[test]
    fn duplicate_keys_are_rejected() {
        assert!(parse_yaml("a: 1\na: 2\n").is_err());
    }

    #[test]
    fn syntax_errors_have_locations() {
        let err = parse_yaml("a: [1, 2\nb: 3\n").unwrap_err();
        assert!(err.location().is_some());
    }
}
