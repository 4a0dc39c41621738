//! The JSON Schema of a spec, for editors (`mlfactory schema`).
//!
//! Each stage is `{kind, inputs, params, matrix, seed}`; the schema of `params` is chosen
//! by `kind` from the registry, so an editor completes and checks params per kind.
//! (A param written as `${var}` is a string until interpolated; editors will flag it
//! where the param is numeric.)

use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use crate::registry::Registry;

/// Builds the schema of the whole spec.
pub fn spec_schema(registry: &Registry) -> Value {
    let mut generator = SchemaSettings::draft2020_12().into_generator();
    let mut variants = Vec::new();
    for kind in registry.kinds() {
        let params = kind.params_schema(&mut generator);
        variants.push(json!({
            "if": {"properties": {"kind": {"const": kind.kind()}}, "required": ["kind"]},
            "then": {"properties": {"params": params}},
        }));
    }
    let defs = generator.take_definitions(true);
    let kinds: Vec<&str> = registry.names().collect();
    let input_ref = json!({"type": "string", "description": "`stage`, `stage.output`, `stage@variant` or `stage@variant.output`"});
    json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://mlfactory.dev/schema/spec.json",
        "title": "mlfactory pipeline spec",
        "type": "object",
        "additionalProperties": false,
        "required": ["pipeline", "stages"],
        "properties": {
            "pipeline": {"type": "string", "description": "The pipeline's name."},
            "description": {"type": "string"},
            "seed": {"type": "integer", "minimum": 0, "description": "Default seed of every stage."},
            "vars": {"type": "object", "description": "Values for `${name}` interpolation."},
            "stages": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": false,
                    "required": ["kind"],
                    "properties": {
                        "kind": {"enum": kinds},
                        "inputs": {"oneOf": [
                            input_ref.clone(),
                            {"type": "array", "items": input_ref.clone()},
                            {"type": "object", "additionalProperties": {"oneOf": [input_ref.clone(), {"type": "array", "items": input_ref}]}}
                        ]},
                        "params": {"type": "object"},
                        "matrix": {"type": "object", "additionalProperties": {"type": "array", "minItems": 1}},
                        "seed": {"type": ["integer", "string"]}
                    },
                    "allOf": variants
                }
            }
        },
        "$defs": Value::Object(defs),
    })
}
