//! Keeps `docs/manifest.schema.json` and the serde form of `Manifest` in
//! step: every key the code writes is declared in the schema (and has the
//! declared JSON type), every key the schema declares is written by a fully
//! populated manifest, and every key the schema requires is written even by
//! a minimal one. Only serde_json: no schema validator dependency.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Map, Value};
use tanba_core::manifest::MANIFEST_VERSION;
use tanba_core::{AiSystem, Job, Label, Lang, Manifest, Operator, Placement, SourceKind, Wording};

const SCHEMA: &str = include_str!("../../../docs/manifest.schema.json");

fn schema() -> Value {
    serde_json::from_str(SCHEMA).expect("docs/manifest.schema.json is not valid JSON")
}

/// Follows a local `$ref` (`#/$defs/NAME`); any other node is returned as is.
fn resolve<'a>(root: &'a Value, node: &'a Value) -> &'a Value {
    match node.get("$ref").and_then(Value::as_str) {
        Some(reference) => {
            let name = reference
                .strip_prefix("#/$defs/")
                .unwrap_or_else(|| panic!("only #/$defs/ references are supported: {reference}"));
            let target = root
                .get("$defs")
                .and_then(|d| d.get(name))
                .unwrap_or_else(|| panic!("{reference} is not defined in the schema"));
            resolve(root, target)
        }
        None => node,
    }
}

fn properties<'a>(schema: &'a Value, at: &str) -> &'a Map<String, Value> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .unwrap_or_else(|| panic!("{at}: the schema declares no properties for this object"))
}

fn required(schema: &Value) -> Vec<&str> {
    schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

/// Whether `value` has the JSON type `ty` names (draft 2020-12 type names).
fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" => value.is_u64() || value.is_i64(),
        "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        "null" => value.is_null(),
        other => panic!("unknown schema type {other:?}"),
    }
}

/// Checks `value` against `node`: declared type or const, every present key
/// declared, every required key present; recursively into objects and arrays.
fn check(root: &Value, node: &Value, value: &Value, at: &str) {
    let node = resolve(root, node);
    if let Some(ty) = node.get("type").and_then(Value::as_str) {
        assert!(has_type(value, ty), "{at}: {value} is not of type {ty}");
    }
    if let Some(constant) = node.get("const") {
        assert_eq!(value, constant, "{at}: schema const differs from the code");
    }
    if let Some(options) = node.get("enum").and_then(Value::as_array) {
        assert!(
            options.contains(value),
            "{at}: {value} not in the schema's enum"
        );
    }
    match value {
        Value::Object(map) => {
            let props = properties(node, at);
            for (key, child) in map {
                let child_schema = props.get(key).unwrap_or_else(|| {
                    panic!("{at}.{key}: written by the code but not declared in the schema")
                });
                check(root, child_schema, child, &format!("{at}.{key}"));
            }
            for key in required(node) {
                assert!(
                    map.contains_key(key),
                    "{at}.{key}: required by the schema but not written by the code"
                );
            }
        }
        Value::Array(items) => {
            if let Some(item_schema) = node.get("items") {
                for (i, item) in items.iter().enumerate() {
                    check(root, item_schema, item, &format!("{at}[{i}]"));
                }
            }
        }
        _ => {}
    }
}

/// Every property the schema declares (through `$ref`s, objects and array
/// items) is present in `value`: the schema names no field the code lacks.
fn check_all_declared_present(root: &Value, node: &Value, value: &Value, at: &str) {
    let node = resolve(root, node);
    match value {
        Value::Object(map) => {
            for (key, child_schema) in properties(node, at) {
                let child = map.get(key).unwrap_or_else(|| {
                    panic!("{at}.{key}: declared in the schema but missing from a full manifest")
                });
                check_all_declared_present(root, child_schema, child, &format!("{at}.{key}"));
            }
        }
        Value::Array(items) => {
            if let (Some(item_schema), Some(first)) = (node.get("items"), items.first()) {
                check_all_declared_present(root, item_schema, first, &format!("{at}[0]"));
            }
        }
        _ => {}
    }
}

/// A manifest with every optional field set: operator with BIN, AI system
/// with version, every placement field, and a signature.
fn full() -> Manifest {
    let job = Job::new()
        .with_label(Label::real_person(
            &[Lang::Kk, Lang::Ru, Lang::En],
            Wording::Short,
        ))
        .with_real_person(true)
        .with_person("Абай Құнанбайұлы")
        .with_source_kind(SourceKind::Composite)
        .with_ai_system(AiSystem {
            name: "Qazaq GPT".into(),
            version: Some("2.1".into()),
        })
        .with_operator(
            Operator::new("ТОО «Мысал»", Some("123456789013".into())).expect("valid BIN"),
        )
        .with_signing_key(tanba_core::signing::SigningKey::from_bytes(&[7u8; 32]))
        .with_source_sha256("ab".repeat(32))
        .with_settings_sha256("cd".repeat(32));
    let placement = Placement {
        position: "bottom-right".into(),
        region: Some([10, 20, 300, 40]),
        span: Some([0.0, 4.5]),
        pages: Some(vec![1, 2, 7]),
        text_size: Some(14.9),
        rotation: Some(90),
        stream: Some(0),
    };
    // Every field set, as the schema check wants.
    let audible = Placement {
        position: "overlay".into(),
        stream: Some(1),
        ..placement.clone()
    };
    job.manifest_with_watermark(
        "video/mp4",
        placement,
        Some(audible),
        Some(tanba_core::WatermarkKey::PUBLIC),
    )
}

/// A manifest with no optional field set.
fn minimal() -> Manifest {
    let job = Job::new().with_source_sha256("00".repeat(32));
    job.manifest("text/plain", Placement::at("start"))
}

fn to_value(m: &Manifest) -> Value {
    serde_json::from_str(&m.to_json()).expect("the manifest serialises to JSON")
}

#[test]
fn full_manifest_matches_the_schema_both_ways() {
    let schema = schema();
    let m = full();
    assert!(m.operator.as_ref().and_then(|o| o.bin.as_ref()).is_some());
    assert!(m.signature.is_some());
    let json = to_value(&m);
    check(&schema, &schema, &json, "manifest");
    check_all_declared_present(&schema, &schema, &json, "manifest");
}

#[test]
fn minimal_manifest_has_every_required_key() {
    let schema = schema();
    let json = to_value(&minimal());
    check(&schema, &schema, &json, "manifest");
    // The optional fields really are left out, so the schema must not require them.
    let map = json.as_object().expect("a manifest is an object");
    for optional in [
        "ai_system",
        "operator",
        "signature",
        "watermark",
        "real_person",
        "person",
    ] {
        assert!(!map.contains_key(optional), "{optional} written when unset");
    }
}

#[test]
fn ascii_form_and_pretty_form_match_the_schema_too() {
    let schema = schema();
    let m = full();
    for text in [m.to_json_ascii(), m.to_json_pretty()] {
        let json: Value = serde_json::from_str(&text).expect("valid JSON");
        check(&schema, &schema, &json, "manifest");
    }
}

#[test]
fn schema_version_is_the_code_version() {
    let schema = schema();
    let version = schema
        .pointer("/properties/version/const")
        .and_then(Value::as_u64);
    assert_eq!(version, Some(u64::from(MANIFEST_VERSION)));
    assert_eq!(
        schema.get("$schema").and_then(Value::as_str),
        Some("https://json-schema.org/draft/2020-12/schema")
    );
}
