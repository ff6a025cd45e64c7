//! JSON <-> protobuf for the local master, driven by the project's own .proto files.
//!
//! The .proto files are parsed once at runtime (a small proto2 subset parser), so the
//! JSON mapping always matches the typed messages: snake_case field names (lowerCamelCase
//! accepted on input), enums as names, bytes as base64, 64-bit integers as numbers on
//! output and numbers or strings on input, as upstream's stout JSON <-> protobuf does.
//! Unknown JSON keys are ignored; missing required fields are errors.

use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::LazyLock;

const MESOS_PROTO: &str = include_str!("../../proto/mesos/v1/mesos.proto");
const SCHEDULER_PROTO: &str = include_str!("../../proto/mesos/v1/scheduler/scheduler.proto");
const EXECUTOR_PROTO: &str = include_str!("../../proto/mesos/v1/executor/executor.proto");

pub const CALL: &str = "mesos.v1.scheduler.Call";
pub const EVENT: &str = "mesos.v1.scheduler.Event";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Scalar {
    Double,
    Float,
    Int32,
    Int64,
    Uint32,
    Uint64,
    Sint32,
    Sint64,
    Fixed32,
    Fixed64,
    Sfixed32,
    Sfixed64,
    Bool,
    String,
    Bytes,
}

#[derive(Debug, Clone)]
enum Kind {
    Scalar(Scalar),
    Message(String),
    Enum(String),
}

#[derive(Debug, Clone)]
struct Field {
    name: String,
    camel: String,
    number: u32,
    required: bool,
    repeated: bool,
    /// A `map<K, V>` field: on the wire, repeated `{key = 1, value = 2}` entry messages
    /// (`kind` is the synthetic entry message); in JSON, an object.
    map: bool,
    kind: Kind,
}

#[derive(Debug, Default)]
struct Schema {
    messages: HashMap<String, Vec<Field>>,
    enums: HashMap<String, Vec<(String, i32)>>,
}

static SCHEMA: LazyLock<Schema> = LazyLock::new(|| {
    let mut schema = Schema::default();
    let mut pending = Vec::new();
    for text in [MESOS_PROTO, SCHEDULER_PROTO, EXECUTOR_PROTO] {
        parse_file(text, &mut schema, &mut pending);
    }
    // Resolve type names now that every message and enum is known.
    for (message, index, type_name) in pending {
        let kind = resolve(&schema, &message, &type_name)
            .unwrap_or_else(|| panic!("unresolved type {type_name} in {message}"));
        schema.messages.get_mut(&message).unwrap()[index].kind = kind;
    }
    schema
});

fn resolve(schema: &Schema, scope: &str, name: &str) -> Option<Kind> {
    if let Some(absolute) = name.strip_prefix('.') {
        return lookup(schema, absolute);
    }
    let mut scope = scope.to_string();
    loop {
        let candidate = if scope.is_empty() {
            name.to_string()
        } else {
            format!("{scope}.{name}")
        };
        if let Some(kind) = lookup(schema, &candidate) {
            return Some(kind);
        }
        if scope.is_empty() {
            return None;
        }
        match scope.rfind('.') {
            Some(dot) => scope.truncate(dot),
            None => scope.clear(),
        }
    }
}

fn lookup(schema: &Schema, full: &str) -> Option<Kind> {
    if schema.messages.contains_key(full) {
        Some(Kind::Message(full.to_string()))
    } else if schema.enums.contains_key(full) {
        Some(Kind::Enum(full.to_string()))
    } else {
        None
    }
}

fn scalar(name: &str) -> Option<Scalar> {
    Some(match name {
        "double" => Scalar::Double,
        "float" => Scalar::Float,
        "int32" => Scalar::Int32,
        "int64" => Scalar::Int64,
        "uint32" => Scalar::Uint32,
        "uint64" => Scalar::Uint64,
        "sint32" => Scalar::Sint32,
        "sint64" => Scalar::Sint64,
        "fixed32" => Scalar::Fixed32,
        "fixed64" => Scalar::Fixed64,
        "sfixed32" => Scalar::Sfixed32,
        "sfixed64" => Scalar::Sfixed64,
        "bool" => Scalar::Bool,
        "string" => Scalar::String,
        "bytes" => Scalar::Bytes,
        _ => return None,
    })
}

fn tokenize(text: &str) -> Vec<String> {
    let mut tokens = Vec::new();
    for line in text.lines() {
        let line = match line.find("//") {
            Some(at) => &line[..at],
            None => line,
        };
        let mut chars = line.chars().peekable();
        while let Some(&c) = chars.peek() {
            if c.is_whitespace() {
                chars.next();
            } else if c == '"' {
                chars.next();
                let mut s = String::from("\"");
                for c in chars.by_ref() {
                    if c == '"' {
                        break;
                    }
                    s.push(c);
                }
                tokens.push(s);
            } else if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
                let mut s = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_alphanumeric() || c == '_' || c == '.' || c == '-' {
                        s.push(c);
                        chars.next();
                    } else {
                        break;
                    }
                }
                tokens.push(s);
            } else {
                tokens.push(c.to_string());
                chars.next();
            }
        }
    }
    tokens
}

fn camel_case(name: &str) -> String {
    let mut out = String::new();
    let mut upper = false;
    for c in name.chars() {
        if c == '_' {
            upper = true;
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

type Pending = Vec<(String, usize, String)>;

fn parse_file(text: &str, schema: &mut Schema, pending: &mut Pending) {
    let tokens = tokenize(text);
    let mut package = String::new();
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "package" => {
                package = tokens[i + 1].clone();
                i += 3;
            }
            "message" => i = parse_message(&tokens, i, &package, schema, pending),
            "enum" => i = parse_enum(&tokens, i, &package, schema),
            _ => {
                // syntax / import / option statements: skip to ';'.
                while i < tokens.len() && tokens[i] != ";" {
                    i += 1;
                }
                i += 1;
            }
        }
    }
}

fn qualify(scope: &str, name: &str) -> String {
    if scope.is_empty() {
        name.to_string()
    } else {
        format!("{scope}.{name}")
    }
}

/// Parses `message Name { ... }` starting at tokens[i] == "message"; returns the index after it.
fn parse_message(
    tokens: &[String],
    mut i: usize,
    scope: &str,
    schema: &mut Schema,
    pending: &mut Pending,
) -> usize {
    let full = qualify(scope, &tokens[i + 1]);
    schema.messages.entry(full.clone()).or_default();
    i += 3; // message Name {
    while tokens[i] != "}" {
        match tokens[i].as_str() {
            "message" => i = parse_message(tokens, i, &full, schema, pending),
            "enum" => i = parse_enum(tokens, i, &full, schema),
            "optional" | "required" | "repeated" => {
                let label = tokens[i].as_str();
                let type_name = tokens[i + 1].clone();
                let name = tokens[i + 2].clone();
                let number: u32 = tokens[i + 4].parse().expect("field number");
                let kind = match scalar(&type_name) {
                    Some(s) => Kind::Scalar(s),
                    None => Kind::Scalar(Scalar::Bytes),
                };
                let fields = schema.messages.get_mut(&full).unwrap();
                if scalar(&type_name).is_none() {
                    pending.push((full.clone(), fields.len(), type_name));
                }
                fields.push(Field {
                    camel: camel_case(&name),
                    name,
                    number,
                    required: label == "required",
                    repeated: label == "repeated",
                    map: false,
                    kind,
                });
                while tokens[i] != ";" {
                    i += 1;
                }
                i += 1;
            }
            "map" => {
                // map < K , V > name = N ... ;
                let (key_type, value_type) = (&tokens[i + 2], tokens[i + 4].clone());
                let name = tokens[i + 6].clone();
                let number: u32 = tokens[i + 8].parse().expect("field number");
                let entry = map_entry_name(&full, &name);
                let key_kind = Kind::Scalar(scalar(key_type).expect("scalar map key"));
                let value_kind =
                    scalar(&value_type).map_or(Kind::Scalar(Scalar::Bytes), Kind::Scalar);
                if scalar(&value_type).is_none() {
                    pending.push((entry.clone(), 1, value_type));
                }
                let entry_field = |name: &str, number, kind| Field {
                    camel: name.to_string(),
                    name: name.to_string(),
                    number,
                    required: false,
                    repeated: false,
                    map: false,
                    kind,
                };
                schema.messages.insert(
                    entry.clone(),
                    vec![
                        entry_field("key", 1, key_kind),
                        entry_field("value", 2, value_kind),
                    ],
                );
                schema.messages.get_mut(&full).unwrap().push(Field {
                    camel: camel_case(&name),
                    name,
                    number,
                    required: false,
                    repeated: true,
                    map: true,
                    kind: Kind::Message(entry),
                });
                while tokens[i] != ";" {
                    i += 1;
                }
                i += 1;
            }
            _ => {
                while tokens[i] != ";" && tokens[i] != "}" {
                    i += 1;
                }
                if tokens[i] == ";" {
                    i += 1;
                }
            }
        }
    }
    i + 1
}

/// protoc's name for the entry message of map field `field` in `message`.
fn map_entry_name(message: &str, field: &str) -> String {
    let camel = camel_case(field);
    let mut chars = camel.chars();
    let first = chars.next().map(|c| c.to_ascii_uppercase());
    format!(
        "{message}.{}{}Entry",
        first.into_iter().collect::<String>(),
        chars.as_str()
    )
}

fn parse_enum(tokens: &[String], mut i: usize, scope: &str, schema: &mut Schema) -> usize {
    let full = qualify(scope, &tokens[i + 1]);
    let mut values = Vec::new();
    i += 3;
    while tokens[i] != "}" {
        let name = tokens[i].clone();
        let number: i32 = tokens[i + 2].parse().expect("enum number");
        values.push((name, number));
        while tokens[i] != ";" {
            i += 1;
        }
        i += 1;
    }
    schema.enums.insert(full, values);
    i + 1
}

// ---------------------------------------------------------------------------------------
// base64 (standard alphabet on output; standard or URL-safe, padded or not, on input)

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(B64[(n >> 18) as usize & 63] as char);
        out.push(B64[(n >> 12) as usize & 63] as char);
        out.push(if chunk.len() > 1 {
            B64[(n >> 6) as usize & 63] as char
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            B64[n as usize & 63] as char
        } else {
            '='
        });
    }
    out
}

pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let mut acc = 0u32;
    let mut bits = 0;
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            b'=' => break,
            b'\r' | b'\n' => continue,
            _ => return Err(format!("Invalid base64 character '{}'", c as char)),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------
// JSON -> protobuf wire bytes

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn put_tag(out: &mut Vec<u8>, number: u32, wire: u8) {
    put_varint(out, (u64::from(number) << 3) | u64::from(wire));
}

/// Converts a JSON document to the protobuf encoding of message `message` (full name).
pub fn json_to_protobuf(message: &str, json: &Value) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    encode_message(message, json, "", &mut out)?;
    Ok(out)
}

fn encode_message(
    message: &str,
    json: &Value,
    path: &str,
    out: &mut Vec<u8>,
) -> Result<(), String> {
    let fields = &SCHEMA.messages[message];
    let object = json.as_object().ok_or_else(|| {
        format!(
            "Expecting a JSON object for '{}'",
            display_path(path, message)
        )
    })?;
    for field in fields {
        let value = object
            .get(&field.name)
            .or_else(|| object.get(&field.camel))
            .filter(|v| !v.is_null());
        let Some(value) = value else {
            if field.required {
                return Err(format!(
                    "Missing required field '{}'",
                    join_path(path, &field.name)
                ));
            }
            continue;
        };
        let field_path = join_path(path, &field.name);
        if field.map {
            let entries = value
                .as_object()
                .ok_or_else(|| format!("Expecting a JSON object for field '{field_path}'"))?;
            for (key, value) in entries {
                let entry = serde_json::json!({"key": map_key_to_json(field, key), "value": value});
                encode_field(field, &entry, &format!("{field_path}.{key}"), out)?;
            }
        } else if field.repeated {
            let items = value
                .as_array()
                .ok_or_else(|| format!("Expecting a JSON array for field '{field_path}'"))?;
            for item in items {
                encode_field(field, item, &field_path, out)?;
            }
        } else {
            encode_field(field, value, &field_path, out)?;
        }
    }
    Ok(())
}

/// A JSON object key as the JSON value of the map's key field (bool keys are the only
/// ones the string form cannot express; integer fields accept numeric strings).
fn map_key_to_json(field: &Field, key: &str) -> Value {
    let Kind::Message(entry) = &field.kind else {
        return Value::String(key.to_string());
    };
    match SCHEMA.messages[entry][0].kind {
        Kind::Scalar(Scalar::Bool) => match key {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(key.to_string()),
        },
        _ => Value::String(key.to_string()),
    }
}

fn display_path<'a>(path: &'a str, message: &'a str) -> &'a str {
    if path.is_empty() {
        message
    } else {
        path
    }
}

fn join_path(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_string()
    } else {
        format!("{path}.{name}")
    }
}

fn json_i64(value: &Value, path: &str) -> Result<i64, String> {
    match value {
        Value::Number(n) => n
            .as_i64()
            .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0).map(|f| f as i64))
            .ok_or_else(|| format!("Expecting an integer for field '{path}'")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("Expecting an integer for field '{path}'")),
        _ => Err(format!("Expecting an integer for field '{path}'")),
    }
}

fn json_u64(value: &Value, path: &str) -> Result<u64, String> {
    match value {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && *f >= 0.0)
                    .map(|f| f as u64)
            })
            .ok_or_else(|| format!("Expecting an unsigned integer for field '{path}'")),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| format!("Expecting an unsigned integer for field '{path}'")),
        _ => Err(format!("Expecting an unsigned integer for field '{path}'")),
    }
}

fn json_f64(value: &Value, path: &str) -> Result<f64, String> {
    match value {
        Value::Number(n) => n
            .as_f64()
            .ok_or_else(|| format!("Expecting a number for field '{path}'")),
        Value::String(s) => match s.as_str() {
            "NaN" => Ok(f64::NAN),
            "Infinity" => Ok(f64::INFINITY),
            "-Infinity" => Ok(f64::NEG_INFINITY),
            other => other
                .trim()
                .parse()
                .map_err(|_| format!("Expecting a number for field '{path}'")),
        },
        _ => Err(format!("Expecting a number for field '{path}'")),
    }
}

fn encode_field(field: &Field, value: &Value, path: &str, out: &mut Vec<u8>) -> Result<(), String> {
    let n = field.number;
    match &field.kind {
        Kind::Message(name) => {
            let mut nested = Vec::new();
            encode_message(name, value, path, &mut nested)?;
            put_tag(out, n, 2);
            put_varint(out, nested.len() as u64);
            out.extend_from_slice(&nested);
        }
        Kind::Enum(name) => {
            let number = match value {
                Value::String(s) => SCHEMA.enums[name]
                    .iter()
                    .find(|(v, _)| v == s)
                    .map(|(_, number)| *number)
                    .ok_or_else(|| format!("Invalid enum value '{s}' for field '{path}'"))?,
                other => i32::try_from(json_i64(other, path)?)
                    .map_err(|_| format!("Enum value out of range for field '{path}'"))?,
            };
            put_tag(out, n, 0);
            put_varint(out, i64::from(number) as u64);
        }
        Kind::Scalar(kind) => match kind {
            Scalar::Double => {
                put_tag(out, n, 1);
                out.extend_from_slice(&json_f64(value, path)?.to_le_bytes());
            }
            Scalar::Float => {
                put_tag(out, n, 5);
                out.extend_from_slice(&(json_f64(value, path)? as f32).to_le_bytes());
            }
            Scalar::Int32 | Scalar::Int64 => {
                let v = json_i64(value, path)?;
                if *kind == Scalar::Int32 && i32::try_from(v).is_err() {
                    return Err(format!("Value out of range for field '{path}'"));
                }
                put_tag(out, n, 0);
                put_varint(out, v as u64);
            }
            Scalar::Uint32 | Scalar::Uint64 => {
                let v = json_u64(value, path)?;
                if *kind == Scalar::Uint32 && u32::try_from(v).is_err() {
                    return Err(format!("Value out of range for field '{path}'"));
                }
                put_tag(out, n, 0);
                put_varint(out, v);
            }
            Scalar::Sint32 | Scalar::Sint64 => {
                let v = json_i64(value, path)?;
                put_tag(out, n, 0);
                put_varint(out, ((v << 1) ^ (v >> 63)) as u64);
            }
            Scalar::Fixed32 => {
                put_tag(out, n, 5);
                out.extend_from_slice(&(json_u64(value, path)? as u32).to_le_bytes());
            }
            Scalar::Sfixed32 => {
                put_tag(out, n, 5);
                out.extend_from_slice(&(json_i64(value, path)? as i32).to_le_bytes());
            }
            Scalar::Fixed64 => {
                put_tag(out, n, 1);
                out.extend_from_slice(&json_u64(value, path)?.to_le_bytes());
            }
            Scalar::Sfixed64 => {
                put_tag(out, n, 1);
                out.extend_from_slice(&json_i64(value, path)?.to_le_bytes());
            }
            Scalar::Bool => {
                let v = value
                    .as_bool()
                    .ok_or_else(|| format!("Expecting a boolean for field '{path}'"))?;
                put_tag(out, n, 0);
                put_varint(out, u64::from(v));
            }
            Scalar::String => {
                let s = value
                    .as_str()
                    .ok_or_else(|| format!("Expecting a string for field '{path}'"))?;
                put_tag(out, n, 2);
                put_varint(out, s.len() as u64);
                out.extend_from_slice(s.as_bytes());
            }
            Scalar::Bytes => {
                let s = value
                    .as_str()
                    .ok_or_else(|| format!("Expecting a base64 string for field '{path}'"))?;
                let bytes = base64_decode(s).map_err(|e| format!("{e} in field '{path}'"))?;
                put_tag(out, n, 2);
                put_varint(out, bytes.len() as u64);
                out.extend_from_slice(&bytes);
            }
        },
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// protobuf wire bytes -> JSON

struct Reader<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn varint(&mut self) -> Result<u64, String> {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = *self.data.get(self.pos).ok_or("truncated varint")?;
            self.pos += 1;
            if shift < 64 {
                value |= u64::from(byte & 0x7f) << shift;
            }
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err("varint too long".into())
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let end = self.pos.checked_add(n).ok_or("length overflow")?;
        let slice = self.data.get(self.pos..end).ok_or("truncated field")?;
        self.pos = end;
        Ok(slice)
    }
    fn done(&self) -> bool {
        self.pos >= self.data.len()
    }
}

/// Converts the protobuf encoding of message `message` to its JSON document.
pub fn protobuf_to_json(message: &str, bytes: &[u8]) -> Result<Value, String> {
    decode_message(message, bytes, 0)
}

fn decode_message(message: &str, bytes: &[u8], depth: usize) -> Result<Value, String> {
    if depth > 64 {
        return Err("message nesting too deep".into());
    }
    let fields = &SCHEMA.messages[message];
    let mut object = Map::new();
    let mut reader = Reader {
        data: bytes,
        pos: 0,
    };
    while !reader.done() {
        let tag = reader.varint()?;
        let number = (tag >> 3) as u32;
        let wire = (tag & 7) as u8;
        let raw: RawValue = match wire {
            0 => RawValue::Varint(reader.varint()?),
            1 => RawValue::Fixed64(u64::from_le_bytes(reader.take(8)?.try_into().unwrap())),
            2 => {
                let len = reader.varint()? as usize;
                RawValue::Bytes(reader.take(len)?)
            }
            5 => RawValue::Fixed32(u32::from_le_bytes(reader.take(4)?.try_into().unwrap())),
            other => return Err(format!("unsupported wire type {other}")),
        };
        let Some(field) = fields.iter().find(|f| f.number == number) else {
            continue;
        };
        let mut values = Vec::new();
        match (&field.kind, raw) {
            // Packed repeated numbers.
            (Kind::Scalar(s), RawValue::Bytes(data))
                if !matches!(s, Scalar::String | Scalar::Bytes) =>
            {
                let mut inner = Reader { data, pos: 0 };
                while !inner.done() {
                    let raw = match s {
                        Scalar::Double | Scalar::Fixed64 | Scalar::Sfixed64 => RawValue::Fixed64(
                            u64::from_le_bytes(inner.take(8)?.try_into().unwrap()),
                        ),
                        Scalar::Float | Scalar::Fixed32 | Scalar::Sfixed32 => RawValue::Fixed32(
                            u32::from_le_bytes(inner.take(4)?.try_into().unwrap()),
                        ),
                        _ => RawValue::Varint(inner.varint()?),
                    };
                    values.push(decode_value(field, raw, depth)?);
                }
            }
            (Kind::Enum(_), RawValue::Bytes(data)) => {
                let mut inner = Reader { data, pos: 0 };
                while !inner.done() {
                    values.push(decode_value(
                        field,
                        RawValue::Varint(inner.varint()?),
                        depth,
                    )?);
                }
            }
            (_, raw) => values.push(decode_value(field, raw, depth)?),
        }
        if field.map {
            let entry = object
                .entry(field.name.clone())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(entries) = entry {
                for mut pair in values {
                    let key = match pair.get_mut("key").map(Value::take) {
                        Some(Value::String(key)) => key,
                        Some(Value::Null) | None => String::new(),
                        Some(other) => other.to_string(),
                    };
                    let value = pair
                        .get_mut("value")
                        .map(Value::take)
                        .unwrap_or(Value::Null);
                    entries.insert(key, value);
                }
            }
        } else if field.repeated {
            let entry = object
                .entry(field.name.clone())
                .or_insert_with(|| Value::Array(Vec::new()));
            if let Value::Array(items) = entry {
                items.extend(values);
            }
        } else if let Some(last) = values.pop() {
            // Proto semantics: a repeated occurrence of a message field merges; last
            // scalar wins. Merging messages is rare enough to treat as "last wins" too.
            object.insert(field.name.clone(), last);
        }
    }
    Ok(Value::Object(object))
}

enum RawValue<'a> {
    Varint(u64),
    Fixed64(u64),
    Fixed32(u32),
    Bytes(&'a [u8]),
}

fn decode_value(field: &Field, raw: RawValue<'_>, depth: usize) -> Result<Value, String> {
    let mismatch = || format!("wire type mismatch for field '{}'", field.name);
    Ok(match (&field.kind, raw) {
        (Kind::Message(name), RawValue::Bytes(data)) => decode_message(name, data, depth + 1)?,
        (Kind::Enum(name), RawValue::Varint(v)) => {
            let number = v as i64 as i32;
            match SCHEMA.enums[name].iter().find(|(_, n)| *n == number) {
                Some((label, _)) => Value::String(label.clone()),
                None => Value::from(number),
            }
        }
        (Kind::Scalar(s), raw) => match (s, raw) {
            (Scalar::Double, RawValue::Fixed64(v)) => json_double(f64::from_bits(v)),
            (Scalar::Float, RawValue::Fixed32(v)) => json_double(f64::from(f32::from_bits(v))),
            (Scalar::Int32, RawValue::Varint(v)) => Value::from(v as i64 as i32),
            (Scalar::Int64, RawValue::Varint(v)) => Value::from(v as i64),
            (Scalar::Uint32, RawValue::Varint(v)) => Value::from(v as u32),
            (Scalar::Uint64, RawValue::Varint(v)) => Value::from(v),
            (Scalar::Sint32 | Scalar::Sint64, RawValue::Varint(v)) => {
                Value::from(((v >> 1) as i64) ^ -((v & 1) as i64))
            }
            (Scalar::Fixed32, RawValue::Fixed32(v)) => Value::from(v),
            (Scalar::Sfixed32, RawValue::Fixed32(v)) => Value::from(v as i32),
            (Scalar::Fixed64, RawValue::Fixed64(v)) => Value::from(v),
            (Scalar::Sfixed64, RawValue::Fixed64(v)) => Value::from(v as i64),
            (Scalar::Bool, RawValue::Varint(v)) => Value::Bool(v != 0),
            (Scalar::String, RawValue::Bytes(data)) => {
                Value::String(String::from_utf8_lossy(data).into_owned())
            }
            (Scalar::Bytes, RawValue::Bytes(data)) => Value::String(base64_encode(data)),
            _ => return Err(mismatch()),
        },
        _ => return Err(mismatch()),
    })
}

fn json_double(v: f64) -> Value {
    if v.is_finite() {
        serde_json::Number::from_f64(v)
            .map(Value::Number)
            .unwrap_or(Value::Null)
    } else if v.is_nan() {
        Value::String("NaN".into())
    } else if v > 0.0 {
        Value::String("Infinity".into())
    } else {
        Value::String("-Infinity".into())
    }
}

/// Names of required fields missing from the protobuf encoding of `message` (as C++'s
/// InitializationErrorString: dotted paths, comma separated). Empty when complete.
pub fn missing_required(message: &str, bytes: &[u8]) -> Vec<String> {
    let mut missing = Vec::new();
    check_required(message, bytes, "", &mut missing, 0);
    missing
}

fn check_required(
    message: &str,
    bytes: &[u8],
    path: &str,
    missing: &mut Vec<String>,
    depth: usize,
) {
    if depth > 64 {
        return;
    }
    let fields = &SCHEMA.messages[message];
    let mut seen: Vec<u32> = Vec::new();
    let mut reader = Reader {
        data: bytes,
        pos: 0,
    };
    // Occurrences so far of each repeated message field (few fields: a small vec).
    let mut index_of: Vec<(u32, usize)> = Vec::new();
    while !reader.done() {
        let Ok(tag) = reader.varint() else { return };
        let number = (tag >> 3) as u32;
        let payload = match tag & 7 {
            0 => reader.varint().map(|_| None),
            1 => reader.take(8).map(|_| None),
            2 => reader
                .varint()
                .and_then(|len| reader.take(len as usize))
                .map(Some),
            5 => reader.take(4).map(|_| None),
            _ => return,
        };
        let Ok(payload) = payload else { return };
        seen.push(number);
        if let (Some(field), Some(data)) = (fields.iter().find(|f| f.number == number), payload) {
            if let Kind::Message(name) = &field.kind {
                let sub = if field.repeated {
                    let slot = match index_of.iter().position(|(n, _)| *n == number) {
                        Some(at) => at,
                        None => {
                            index_of.push((number, 0));
                            index_of.len() - 1
                        }
                    };
                    let index = &mut index_of[slot].1;
                    let p = format!("{}[{}]", join_path(path, &field.name), index);
                    *index += 1;
                    p
                } else {
                    join_path(path, &field.name)
                };
                check_required(name, data, &sub, missing, depth + 1);
            }
        }
    }
    for field in fields.iter().filter(|f| f.required) {
        if !seen.contains(&field.number) {
            missing.push(join_path(path, &field.name));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proto::scheduler::{call, Call};
    #[allow(unused_imports)]
    use prost::Message as _;
    use prost::Message;

    #[test]
    fn schema_parses_everything() {
        assert!(SCHEMA.messages.contains_key(CALL));
        assert!(SCHEMA
            .messages
            .contains_key("mesos.v1.Offer.Operation.Launch"));
        assert!(SCHEMA.enums.contains_key("mesos.v1.TaskStatus.Reason"));
    }

    #[test]
    fn call_round_trip() {
        let json = serde_json::json!({
            "framework_id": {"value": "f1"},
            "type": "ACKNOWLEDGE",
            "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"},
                            "uuid": base64_encode(&[1u8; 16])}
        });
        let bytes = json_to_protobuf(CALL, &json).unwrap();
        let call = Call::decode(bytes.as_slice()).unwrap();
        assert_eq!(call.r#type(), call::Type::Acknowledge);
        assert_eq!(call.acknowledge.unwrap().uuid, vec![1u8; 16]);
        let back = protobuf_to_json(CALL, &bytes).unwrap();
        assert_eq!(back, json);
    }

    #[test]
    fn fields_beyond_the_driver_subset_round_trip() {
        let json = serde_json::json!({
            "framework_id": {"value": "f1"},
            "type": "UPDATE_FRAMEWORK",
            "update_framework": {
                "framework_info": {"user": "u", "name": "n",
                    "offer_filters": {"gpus": {"min_allocatable_resources": {"quantities": [
                        {"quantities": {"gpus": {"value": 1.0}}}]}}}},
                "offer_constraints": {"role_constraints": {"r": {"groups": [{"attribute_constraints": [
                    {"selector": {"attribute_name": "rack"},
                     "predicate": {"text_equals": {"value": "r1"}}}]}]}}}
            }
        });
        let bytes = json_to_protobuf(CALL, &json).unwrap();
        let call = Call::decode(bytes.as_slice()).unwrap();
        let update = call.update_framework.as_ref().unwrap();
        let filters = &update.framework_info.offer_filters["gpus"];
        let quantities = &filters
            .min_allocatable_resources
            .as_ref()
            .unwrap()
            .quantities;
        assert_eq!(quantities[0].quantities["gpus"].value, 1.0);
        let constraints = update.offer_constraints.as_ref().unwrap();
        let group = &constraints.role_constraints["r"].groups[0];
        let predicate = &group.attribute_constraints[0].predicate;
        assert_eq!(predicate.text_equals.as_ref().unwrap().value, "r1");
        assert_eq!(protobuf_to_json(CALL, &bytes).unwrap(), json);
    }

    #[test]
    fn map_fields_reject_non_objects() {
        let json = serde_json::json!({"type": "SUBSCRIBE", "subscribe": {
            "framework_info": {"user": "u", "name": "n", "offer_filters": []}}});
        let error = json_to_protobuf(CALL, &json).unwrap_err();
        assert!(
            error.contains("subscribe.framework_info.offer_filters"),
            "{error}"
        );
    }

    #[test]
    fn executor_schema_is_known() {
        let json = serde_json::json!({"executor_id": {"value": "e"},
            "framework_id": {"value": "f"}, "type": "MESSAGE", "message": {"data": "AAE="}});
        let bytes = json_to_protobuf("mesos.v1.executor.Call", &json).unwrap();
        let call = crate::proto::executor::Call::decode(bytes.as_slice()).unwrap();
        assert_eq!(call.message.unwrap().data, vec![0u8, 1]);
    }

    #[test]
    fn required_fields() {
        let json = serde_json::json!({"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u"}}});
        assert!(json_to_protobuf(CALL, &json)
            .unwrap_err()
            .contains("subscribe.framework_info.name"));
        // type=SUBSCRIBE, subscribe={} (framework_info missing).
        let bytes = [0x10, 0x01, 0x1a, 0x00];
        assert!(Call::decode(&bytes[..]).is_ok());
        assert!(missing_required(CALL, &bytes).contains(&"subscribe.framework_info".to_string()));
    }

    #[test]
    fn base64() {
        for n in 0..20 {
            let data: Vec<u8> = (0..n).map(|i| (i * 37) as u8).collect();
            assert_eq!(base64_decode(&base64_encode(&data)).unwrap(), data);
        }
    }
}
