//! Encodes fixed messages with the Rust side's prost types; the Haskell suite
//! (test/InteropSpec.hs) decodes them and checks every modelled field. The messages
//! also carry fields the Haskell records do not model, which must be skipped.

use mesos_sched::proto::v1;
use prost::Message;
use std::path::Path;

fn id(value: &str) -> String {
    value.to_string()
}

fn scalar(name: &str, value: f64) -> v1::Resource {
    v1::Resource {
        name: name.into(),
        r#type: v1::value::Type::Scalar as i32,
        scalar: Some(v1::value::Scalar { value }),
        role: Some("*".into()),
        ..Default::default()
    }
}

fn offer() -> v1::Offer {
    let ports = v1::Resource {
        name: "ports".into(),
        r#type: v1::value::Type::Ranges as i32,
        ranges: Some(v1::value::Ranges {
            range: vec![
                v1::value::Range {
                    begin: 31000,
                    end: 32000,
                },
                v1::value::Range {
                    begin: 33000,
                    end: 33005,
                },
            ],
        }),
        ..Default::default()
    };
    let disks = v1::Resource {
        name: "disks".into(),
        r#type: v1::value::Type::Set as i32,
        set: Some(v1::value::Set {
            item: vec!["sda".into(), "sdb".into()],
        }),
        reservation: Some(v1::resource::ReservationInfo {
            principal: Some("ops".into()),
            r#type: Some(v1::resource::reservation_info::Type::Dynamic as i32),
            role: Some("batch".into()),
            ..Default::default()
        }),
        allocation_info: Some(v1::resource::AllocationInfo {
            role: Some("batch".into()),
        }),
        ..Default::default()
    };
    v1::Offer {
        id: v1::OfferId {
            value: id("offer-1"),
        },
        framework_id: v1::FrameworkId { value: id("fw-1") },
        agent_id: v1::AgentId {
            value: id("agent-1"),
        },
        hostname: "host-a".into(),
        url: Some(v1::Url {
            scheme: "http".into(),
            address: v1::Address {
                hostname: Some("host-a".into()),
                ip: Some("127.0.0.1".into()),
                port: 5051,
            },
            path: Some("/slave(1)".into()),
            ..Default::default()
        }),
        resources: vec![scalar("cpus", 2.5), scalar("mem", 1024.0), ports, disks],
        attributes: vec![
            v1::Attribute {
                name: "rack".into(),
                r#type: v1::value::Type::Text as i32,
                text: Some(v1::value::Text { value: "r1".into() }),
                ..Default::default()
            },
            v1::Attribute {
                name: "level".into(),
                r#type: v1::value::Type::Scalar as i32,
                scalar: Some(v1::value::Scalar { value: 3.0 }),
                ..Default::default()
            },
        ],
        executor_ids: vec![v1::ExecutorId {
            value: id("exec-1"),
        }],
        unavailability: Some(v1::Unavailability {
            start: v1::TimeInfo {
                nanoseconds: 1_700_000_000_000_000_000,
            },
            duration: None,
        }),
        allocation_info: Some(v1::resource::AllocationInfo {
            role: Some("*".into()),
        }),
    }
}

fn task_status() -> v1::TaskStatus {
    v1::TaskStatus {
        task_id: v1::TaskId {
            value: id("task-7"),
        },
        state: v1::TaskState::TaskGoneByOperator as i32,
        message: Some("agent marked gone".into()),
        source: Some(v1::task_status::Source::Agent as i32),
        reason: Some(v1::task_status::Reason::MaxCompletionTimeReached as i32),
        data: Some(vec![0, 1, 2, 255]),
        agent_id: Some(v1::AgentId {
            value: id("agent-1"),
        }),
        executor_id: Some(v1::ExecutorId {
            value: id("exec-1"),
        }),
        timestamp: Some(1_700_000_000.25),
        uuid: Some((0u8..16).collect()),
        healthy: Some(true),
        labels: Some(v1::Labels {
            labels: vec![v1::Label {
                key: "k".into(),
                value: Some("v".into()),
            }],
        }),
        unreachable_time: Some(v1::TimeInfo { nanoseconds: 42 }),
    }
}

fn task_status_unknown_enums() -> v1::TaskStatus {
    v1::TaskStatus {
        task_id: v1::TaskId {
            value: id("task-8"),
        },
        state: 99,
        source: Some(7),
        reason: Some(1000),
        ..Default::default()
    }
}

fn master_info() -> v1::MasterInfo {
    v1::MasterInfo {
        id: "master-uuid".into(),
        ip: 16_777_343,
        port: 5050,
        pid: Some("master@127.0.0.1:5050".into()),
        hostname: Some("localhost".into()),
        version: Some("1.12.0".into()),
        address: Some(v1::Address {
            hostname: Some("localhost".into()),
            ip: Some("127.0.0.1".into()),
            port: 5050,
        }),
        capabilities: vec![v1::master_info::Capability {
            r#type: Some(v1::master_info::capability::Type::AgentUpdate as i32),
        }],
    }
}

fn framework_info() -> v1::FrameworkInfo {
    v1::FrameworkInfo {
        user: "alice".into(),
        name: "haskell-fixture".into(),
        id: Some(v1::FrameworkId { value: id("fw-1") }),
        failover_timeout: Some(3600.0),
        checkpoint: Some(true),
        role: Some("batch".into()),
        roles: vec!["batch".into(), "web".into()],
        hostname: Some("host-a".into()),
        principal: Some("alice-principal".into()),
        webui_url: Some("http://host-a:8080".into()),
        capabilities: vec![v1::framework_info::Capability {
            r#type: Some(v1::framework_info::capability::Type::PartitionAware as i32),
        }],
        labels: None,
    }
}

fn task_info() -> v1::TaskInfo {
    v1::TaskInfo {
        name: "sleeper".into(),
        task_id: v1::TaskId {
            value: id("task-1"),
        },
        agent_id: v1::AgentId {
            value: id("agent-1"),
        },
        resources: vec![scalar("cpus", 0.5)],
        command: Some(v1::CommandInfo {
            uris: vec![v1::command_info::Uri {
                value: "http://example.invalid/a.tgz".into(),
                executable: Some(false),
                extract: Some(true),
                cache: Some(true),
                output_file: Some("a.tgz".into()),
            }],
            environment: Some(v1::Environment {
                variables: vec![v1::environment::Variable {
                    name: "GREETING".into(),
                    r#type: Some(v1::environment::variable::Type::Value as i32),
                    value: Some("hello".into()),
                }],
            }),
            shell: Some(false),
            value: Some("/bin/sleep".into()),
            arguments: vec!["sleep".into(), "1".into()],
            user: Some("bob".into()),
        }),
        data: Some(b"payload".to_vec()),
        labels: Some(v1::Labels {
            labels: vec![
                v1::Label {
                    key: "team".into(),
                    value: Some("infra".into()),
                },
                v1::Label {
                    key: "flag".into(),
                    value: None,
                },
            ],
        }),
        kill_policy: Some(v1::KillPolicy {
            grace_period: Some(v1::DurationInfo {
                nanoseconds: 1_000_000_000,
            }),
        }),
        ..Default::default()
    }
}

fn write(dir: &Path, name: &str, message: &impl Message) {
    let path = dir.join(name);
    std::fs::write(&path, message.encode_to_vec())
        .unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
    println!("wrote {}", path.display());
}

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: mesos-sched-haskell-fixtures OUTPUT_DIR");
    let dir = Path::new(&dir);
    std::fs::create_dir_all(dir).expect("creating the output directory");
    write(dir, "offer.bin", &offer());
    write(dir, "task_status.bin", &task_status());
    write(
        dir,
        "task_status_unknown_enums.bin",
        &task_status_unknown_enums(),
    );
    write(dir, "master_info.bin", &master_info());
    write(dir, "framework_info.bin", &framework_info());
    write(dir, "task_info.bin", &task_info());
}
