//! Pins the project's protobuf schema (proto/**) and one fully populated TaskInfo.
//!
//! `schema_matches_the_golden_listing` fails when any message, field or enum value of the
//! compiled schema is added, removed, renumbered or retyped. After an intended change,
//! regenerate the listing and the TaskInfo bytes with
//!     MESOS_SCHED_UPDATE_GOLDEN=1 cargo test --test schema_golden
//! and review the diff of tests/fixtures/.

use mesos_sched::proto::v1;
use prost::Message;

const DESCRIPTORS: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/schema_descriptors.bin"));
const GOLDEN: &str = "tests/fixtures/schema_golden.txt";
const TASK_INFO: &str = "tests/fixtures/task_info_full.bin";

// The few descriptor.proto fields the listing needs (same numbers as descriptor.proto).
#[derive(Clone, PartialEq, Message)]
struct FileDescriptorSet {
    #[prost(message, repeated, tag = "1")]
    file: Vec<FileDescriptor>,
}
#[derive(Clone, PartialEq, Message)]
struct FileDescriptor {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(string, optional, tag = "2")]
    package: Option<String>,
    #[prost(message, repeated, tag = "4")]
    message_type: Vec<MessageDescriptor>,
    #[prost(message, repeated, tag = "5")]
    enum_type: Vec<EnumDescriptor>,
}
#[derive(Clone, PartialEq, Message)]
struct MessageDescriptor {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    field: Vec<FieldDescriptor>,
    #[prost(message, repeated, tag = "3")]
    nested_type: Vec<MessageDescriptor>,
    #[prost(message, repeated, tag = "4")]
    enum_type: Vec<EnumDescriptor>,
}
#[derive(Clone, PartialEq, Message)]
struct FieldDescriptor {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(int32, optional, tag = "3")]
    number: Option<i32>,
    #[prost(int32, optional, tag = "4")]
    label: Option<i32>,
    #[prost(int32, optional, tag = "5")]
    r#type: Option<i32>,
    #[prost(string, optional, tag = "6")]
    type_name: Option<String>,
    #[prost(string, optional, tag = "7")]
    default_value: Option<String>,
}
#[derive(Clone, PartialEq, Message)]
struct EnumDescriptor {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(message, repeated, tag = "2")]
    value: Vec<EnumValueDescriptor>,
}
#[derive(Clone, PartialEq, Message)]
struct EnumValueDescriptor {
    #[prost(string, optional, tag = "1")]
    name: Option<String>,
    #[prost(int32, optional, tag = "2")]
    number: Option<i32>,
}

/// descriptor.proto's FieldDescriptorProto.Type names, by number.
const TYPES: [&str; 19] = [
    "?", "double", "float", "int64", "uint64", "int32", "fixed64", "fixed32", "bool", "string",
    "group", "message", "bytes", "uint32", "enum", "sfixed32", "sfixed64", "sint32", "sint64",
];
const LABELS: [&str; 4] = ["?", "optional", "required", "repeated"];

fn list_enum(scope: &str, e: &EnumDescriptor, out: &mut Vec<String>) {
    for v in &e.value {
        out.push(format!(
            "enum {scope}.{}.{} = {}",
            e.name(),
            v.name(),
            v.number()
        ));
    }
}

fn list_message(scope: &str, m: &MessageDescriptor, out: &mut Vec<String>) {
    let full = format!("{scope}.{}", m.name());
    out.push(format!("message {full}"));
    for f in &m.field {
        let kind = TYPES.get(f.r#type() as usize).copied().unwrap_or("?");
        let mut line = format!(
            "field {full}.{} = {} {} {}",
            f.name(),
            f.number(),
            LABELS.get(f.label() as usize).copied().unwrap_or("?"),
            kind
        );
        if let Some(type_name) = &f.type_name {
            line.push_str(&format!(" {type_name}"));
        }
        if let Some(default) = &f.default_value {
            line.push_str(&format!(" [default = {default}]"));
        }
        out.push(line);
    }
    for e in &m.enum_type {
        list_enum(&full, e, out);
    }
    for nested in &m.nested_type {
        list_message(&full, nested, out);
    }
}

/// One line per message, field and enum value, in file then declaration order.
fn listing() -> String {
    let set = FileDescriptorSet::decode(DESCRIPTORS).expect("descriptor set");
    let mut files = set.file;
    files.sort_by(|a, b| a.name().cmp(b.name()));
    let mut out = Vec::new();
    for file in &files {
        out.push(format!("file {}", file.name()));
        for e in &file.enum_type {
            list_enum(file.package(), e, &mut out);
        }
        for m in &file.message_type {
            list_message(file.package(), m, &mut out);
        }
    }
    out.join("\n") + "\n"
}

fn updating() -> bool {
    std::env::var_os("MESOS_SCHED_UPDATE_GOLDEN").is_some()
}

#[test]
fn schema_matches_the_golden_listing() {
    let actual = listing();
    if updating() {
        std::fs::write(GOLDEN, &actual).unwrap();
    }
    let golden = std::fs::read_to_string(GOLDEN).expect("tests/fixtures/schema_golden.txt");
    let changed: Vec<String> = golden
        .lines()
        .filter(|l| !actual.lines().any(|a| a == *l))
        .map(|l| format!("- {l}"))
        .chain(
            actual
                .lines()
                .filter(|l| !golden.lines().any(|g| g == *l))
                .map(|l| format!("+ {l}")),
        )
        .collect();
    assert!(
        changed.is_empty(),
        "the schema differs from {GOLDEN} (regenerate only if intended):\n{}",
        changed.join("\n")
    );
}

#[test]
fn schema_covers_the_public_api() {
    let golden = listing();
    let count = |prefix: &str, package: &str| {
        golden
            .lines()
            .filter(|l| l.starts_with(prefix) && l.split(' ').nth(1).unwrap().starts_with(package))
            .count()
    };
    // The public Mesos 1.12 v1 API: 235 messages, 873 fields, 290 enum values.
    assert_eq!(count("message ", "mesos.v1."), 235);
    assert_eq!(count("field ", "mesos.v1."), 873);
    assert_eq!(count("enum ", "mesos.v1."), 290);
}

/// The TaskInfo every binding builds identically (field list: tests/fixtures/README.md).
fn full_task_info() -> v1::TaskInfo {
    let scalar = |name: &str, value: f64| v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        ..Default::default()
    };
    let label = |key: &str, value: Option<&str>| v1::Label {
        key: key.into(),
        value: value.map(Into::into),
    };
    v1::TaskInfo {
        name: "schema-task".into(),
        task_id: v1::TaskId {
            value: "task-1".into(),
        },
        agent_id: v1::AgentId {
            value: "agent-1".into(),
        },
        resources: vec![scalar("cpus", 0.1), scalar("mem", 32.0)],
        command: Some(v1::CommandInfo {
            value: Some("sleep 30".into()),
            shell: Some(true),
            environment: Some(v1::Environment {
                variables: vec![v1::environment::Variable {
                    name: "GREETING".into(),
                    value: Some("hello".into()),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        }),
        container: Some(v1::ContainerInfo {
            r#type: v1::container_info::Type::Mesos as i32,
            hostname: Some("schema-host".into()),
            mesos: Some(v1::container_info::MesosInfo { image: None }),
            volumes: vec![v1::Volume {
                mode: v1::volume::Mode::Rw as i32,
                container_path: "scratch".into(),
                ..Default::default()
            }],
            ..Default::default()
        }),
        health_check: Some(v1::HealthCheck {
            r#type: Some(v1::health_check::Type::Command as i32),
            command: Some(v1::CommandInfo {
                value: Some("true".into()),
                ..Default::default()
            }),
            delay_seconds: Some(1.0),
            interval_seconds: Some(2.0),
            consecutive_failures: Some(3),
            ..Default::default()
        }),
        labels: Some(v1::Labels {
            labels: vec![label("team", Some("infra")), label("tier", None)],
        }),
        discovery: Some(v1::DiscoveryInfo {
            visibility: v1::discovery_info::Visibility::Framework as i32,
            name: Some("schema".into()),
            ports: Some(v1::Ports {
                ports: vec![v1::Port {
                    number: 8080,
                    name: Some("http".into()),
                    protocol: Some("tcp".into()),
                    ..Default::default()
                }],
            }),
            ..Default::default()
        }),
        data: Some(b"payload".to_vec()),
        ..Default::default()
    }
}

#[test]
fn full_task_info_matches_the_shared_fixture() {
    let bytes = full_task_info().encode_to_vec();
    if updating() {
        std::fs::write(TASK_INFO, &bytes).unwrap();
    }
    let fixture = std::fs::read(TASK_INFO).expect("tests/fixtures/task_info_full.bin");
    assert_eq!(
        bytes, fixture,
        "Rust's TaskInfo encoding differs from the fixture"
    );
    // And the fixture decodes back to the same message (no field lost or misread).
    assert_eq!(
        v1::TaskInfo::decode(fixture.as_slice()).unwrap(),
        full_task_info()
    );
}
