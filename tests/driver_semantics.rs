//! The classic driver semantics (PROTOCOL.md 6) observed through the Rust API, against
//! the scriptable fake master (events are injected exactly as a master sends them).

mod common;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use common::fake_master::{Answer, FakeMaster};
use common::*;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Error, Status};
use prost::Message;

const WAIT: Duration = Duration::from_secs(10);

fn start_with(
    master: &FakeMaster,
    recorder: Recorder,
    info: &v1::FrameworkInfo,
    implicit: bool,
) -> Driver {
    fast_driver(&master.master_string(), recorder, info, None, implicit)
}

/// A driver for framework "t" on `master`, started and registered; `log` is the
/// recorder's.
fn registered_with(master: &FakeMaster, recorder: Recorder, log: &Log, implicit: bool) -> Driver {
    let driver = start_with(master, recorder, &framework_info("t"), implicit);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    driver
}

fn update_event(task: &str, agent: Option<&str>, uuid: Option<&[u8]>) -> scheduler::Event {
    scheduler::Event {
        r#type: Some(scheduler::event::Type::Update as i32),
        update: Some(scheduler::event::Update {
            status: v1::TaskStatus {
                task_id: v1::TaskId { value: task.into() },
                state: v1::TaskState::TaskRunning as i32,
                agent_id: agent.map(|a| v1::AgentId { value: a.into() }),
                uuid: uuid.map(|u| u.to_vec()),
                ..Default::default()
            },
        }),
        ..Default::default()
    }
}

fn of_type(kind: scheduler::call::Type) -> impl Fn(&fake_master::Received) -> bool {
    move |r| r.call.r#type == Some(kind as i32)
}

use common::fake_master;

fn no_heartbeats(seen: &[Seen]) -> Vec<Seen> {
    seen.iter()
        .filter(|s| **s != Seen::Heartbeat)
        .cloned()
        .collect()
}

#[test]
fn status_machine() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = start_with(&master, recorder, &framework_info("t"), true);
    // Never started: join returns at once; calls do nothing.
    assert_eq!(driver.join(), Ok(Status::NotStarted));
    assert_eq!(driver.stop(false), Status::NotStarted);
    assert_eq!(driver.abort(), Status::NotStarted);
    assert_eq!(driver.revive_offers(None), Ok(Status::NotStarted));
    assert_eq!(driver.start(), Status::Running);
    assert_eq!(driver.start(), Status::Running);
    assert!(matches!(
        driver.set_option("log.level", "info"),
        Err(Error::InvalidState(_))
    ));
    assert!(log.wait_for(WAIT, is_registered));
    assert_eq!(driver.abort(), Status::Aborted);
    assert_eq!(driver.abort(), Status::Aborted);
    assert_eq!(driver.revive_offers(None), Ok(Status::Aborted));
    assert_eq!(driver.join(), Ok(Status::Aborted));
    assert_eq!(driver.stop(true), Status::Aborted);
    assert_eq!(driver.status(), Status::Stopped);
    assert_eq!(driver.stop(true), Status::Stopped);
    assert_eq!(driver.start(), Status::Stopped);
    assert_eq!(driver.join(), Ok(Status::Stopped));
}

#[test]
fn run_is_start_plus_join() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::with_hook(|driver, seen| {
        if matches!(seen, Seen::Registered { .. }) {
            driver.stop(true);
        }
    });
    let driver = start_with(&master, recorder, &framework_info("t"), true);
    assert_eq!(driver.run(), Ok(Status::Stopped));
    // (The recorder logs the callback after the hook, which stopped the driver, returns.)
    assert!(log.wait_for(WAIT, is_registered));
    assert_eq!(driver.run(), Ok(Status::Stopped));
}

#[test]
fn callbacks_run_one_at_a_time_on_one_thread() {
    let master = FakeMaster::start(0.05);
    let (mut recorder, log) = Recorder::new();
    recorder.callback_delay = Duration::from_millis(2);
    let driver = registered_with(&master, recorder, &log, true);
    for i in 0..50 {
        master.push_event(&update_event(&format!("t{i}"), None, None));
    }
    assert!(
        log.wait_for(WAIT, |s| count_of(s, |s| matches!(s, Seen::Update(..)))
            == 50)
    );
    let threads = log.threads();
    assert!(threads.iter().all(|t| *t == threads[0]));
    assert_ne!(threads[0], std::thread::current().id());
    assert_eq!(log.max_concurrent(), 1);
    assert!(log.all_in_callback());
    assert!(!driver.in_callback());
    // Updates arrive in order.
    let order: Vec<String> = log
        .all()
        .into_iter()
        .filter_map(|s| match s {
            Seen::Update(status, _) => Some(status.task_id.value),
            _ => None,
        })
        .collect();
    let expected: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    assert_eq!(order, expected);
}

#[test]
fn every_method_works_inside_callbacks_and_join_run_refuse() {
    let master = FakeMaster::start(15.0);
    let done = Arc::new(AtomicBool::new(false));
    let done_in_hook = done.clone();
    let (recorder, log) = Recorder::with_hook(move |driver, seen| {
        if !matches!(seen, Seen::Registered { .. }) {
            return;
        }
        assert!(matches!(driver.join(), Err(Error::CalledFromCallback(_))));
        assert!(matches!(driver.run(), Err(Error::CalledFromCallback(_))));
        assert!(driver.last_error().contains("callback"));
        let offer = encode(&v1::OfferId { value: "o1".into() });
        let task_id = encode(&v1::TaskId { value: "t1".into() });
        let agent_id = encode(&v1::AgentId { value: "a1".into() });
        let executor_id = encode(&v1::ExecutorId { value: "e1".into() });
        let task = encode(&v1::TaskInfo {
            name: "n".into(),
            task_id: v1::TaskId { value: "t1".into() },
            agent_id: v1::AgentId { value: "a1".into() },
            ..Default::default()
        });
        let status = encode(&v1::TaskStatus {
            task_id: v1::TaskId { value: "t1".into() },
            state: 1,
            ..Default::default()
        });
        let request = encode(&v1::Request::default());
        let running = Ok(Status::Running);
        assert_eq!(driver.request_resources(&[&request]), running);
        assert_eq!(driver.launch_tasks(&[&offer], &[&task], None), running);
        assert_eq!(driver.kill_task(&task_id), running);
        assert_eq!(driver.accept_offers(&[&offer], &[], None), running);
        assert_eq!(driver.decline_offer(&offer, None), running);
        assert_eq!(driver.revive_offers(Some(&["r"])), running);
        assert_eq!(driver.suppress_offers(None), running);
        assert!(matches!(
            driver.acknowledge_status_update(&status),
            Err(Error::InvalidState(_))
        ));
        assert_eq!(
            driver.send_framework_message(&executor_id, &agent_id, b"hi"),
            running
        );
        assert_eq!(driver.reconcile_tasks(&[&status]), running);
        assert_eq!(driver.status(), Status::Running);
        assert!(driver.in_callback());
        assert_eq!(driver.stop(false), Status::Stopped);
        done_in_hook.store(true, Ordering::SeqCst);
    });
    let driver = start_with(&master, recorder, &framework_info("t"), true);
    assert_eq!(driver.run(), Ok(Status::Stopped));
    assert!(log.wait_for(WAIT, is_registered));
    assert!(done.load(Ordering::SeqCst));
    // Everything went out, in order, TEARDOWN last.
    master
        .wait_received(WAIT, of_type(scheduler::call::Type::Teardown))
        .expect("TEARDOWN");
    let kinds: Vec<i32> = master
        .received()
        .iter()
        .filter_map(|r| r.call.r#type)
        .collect();
    use scheduler::call::Type::*;
    let expected: Vec<i32> = [
        Subscribe, Request, Accept, Kill, Accept, Decline, Revive, Suppress, Message, Reconcile,
        Teardown,
    ]
    .iter()
    .map(|t| *t as i32)
    .collect();
    assert_eq!(kinds, expected);
}

#[test]
fn implicit_acks_only_for_updates_with_uuid_and_agent() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let _driver = registered_with(&master, recorder, &log, true);
    let uuid = [7u8; 16];
    master.push_event(&update_event("no-uuid", Some("a1"), None));
    master.push_event(&update_event("no-agent", None, Some(&uuid)));
    master.push_event(&update_event("acked", Some("a1"), Some(&uuid)));
    let ack = master
        .wait_received(WAIT, of_type(scheduler::call::Type::Acknowledge))
        .expect("ACKNOWLEDGE");
    let acknowledge = ack.call.acknowledge.unwrap();
    assert_eq!(acknowledge.task_id.value, "acked");
    assert_eq!(acknowledge.agent_id.value, "a1");
    assert_eq!(acknowledge.uuid, uuid);
    assert_eq!(ack.call.framework_id.unwrap().value, "fake-framework");
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        master
            .received_of_type(scheduler::call::Type::Acknowledge)
            .len(),
        1
    );
    assert_eq!(log.count(|s| matches!(s, Seen::Update(..))), 3);
}

#[test]
fn stop_or_abort_inside_status_update_suppresses_the_ack() {
    for stop in [true, false] {
        let master = FakeMaster::start(15.0);
        let (recorder, log) = Recorder::with_hook(move |driver, seen| {
            if matches!(seen, Seen::Update(..)) {
                if stop {
                    driver.stop(true);
                } else {
                    driver.abort();
                }
            }
        });
        let driver = registered_with(&master, recorder, &log, true);
        master.push_event(&update_event("t", Some("a1"), Some(&[1; 16])));
        assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Update(..)))));
        driver.join().unwrap();
        std::thread::sleep(Duration::from_millis(200));
        assert!(master
            .received_of_type(scheduler::call::Type::Acknowledge)
            .is_empty());
    }
}

#[test]
fn explicit_acks() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = registered_with(&master, recorder, &log, false);
    master.push_event(&update_event("t1", Some("a1"), Some(&[9; 16])));
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Update(..)))));
    std::thread::sleep(Duration::from_millis(100));
    assert!(master
        .received_of_type(scheduler::call::Type::Acknowledge)
        .is_empty());
    let raw = log
        .all()
        .into_iter()
        .find_map(|s| match s {
            Seen::Update(_, raw) => Some(raw),
            _ => None,
        })
        .unwrap();
    // Without uuid or agent id: dropped locally.
    let mut no_uuid = v1::TaskStatus::decode(raw.as_slice()).unwrap();
    no_uuid.uuid = None;
    assert_eq!(
        driver.acknowledge_status_update(&encode(&no_uuid)),
        Ok(Status::Running)
    );
    let mut no_agent = v1::TaskStatus::decode(raw.as_slice()).unwrap();
    no_agent.agent_id = None;
    assert_eq!(
        driver.acknowledge_status_update(&encode(&no_agent)),
        Ok(Status::Running)
    );
    // v0 bytes (slave_id has the agent_id field number) are acknowledged the same way.
    assert_eq!(driver.acknowledge_status_update(&raw), Ok(Status::Running));
    let ack = master
        .wait_received(WAIT, of_type(scheduler::call::Type::Acknowledge))
        .unwrap();
    assert_eq!(ack.call.acknowledge.unwrap().uuid, vec![9; 16]);
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(
        master
            .received_of_type(scheduler::call::Type::Acknowledge)
            .len(),
        1
    );
    assert!(matches!(
        driver.acknowledge_status_update(b"\xff"),
        Err(Error::InvalidArgument(_))
    ));
}

#[test]
fn events_map_to_callbacks() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = registered_with(&master, recorder, &log, true);
    use scheduler::event::Type as T;
    let offer = v1::Offer {
        id: v1::OfferId { value: "o1".into() },
        framework_id: v1::FrameworkId { value: "f".into() },
        agent_id: v1::AgentId { value: "a1".into() },
        hostname: "h".into(),
        ..Default::default()
    };
    let events = vec![
        scheduler::Event {
            r#type: Some(T::Offers as i32),
            offers: Some(scheduler::event::Offers { offers: vec![] }),
            ..Default::default()
        },
        scheduler::Event {
            r#type: Some(T::Offers as i32),
            offers: Some(scheduler::event::Offers {
                offers: vec![offer.clone()],
            }),
            ..Default::default()
        },
        scheduler::Event {
            r#type: Some(T::Rescind as i32),
            rescind: Some(scheduler::event::Rescind {
                offer_id: v1::OfferId { value: "o1".into() },
            }),
            ..Default::default()
        },
        scheduler::Event {
            r#type: Some(T::Message as i32),
            message: Some(scheduler::event::Message {
                agent_id: v1::AgentId { value: "a1".into() },
                executor_id: v1::ExecutorId { value: "e1".into() },
                data: b"payload".to_vec(),
            }),
            ..Default::default()
        },
        scheduler::Event {
            r#type: Some(T::Failure as i32),
            failure: Some(scheduler::event::Failure {
                agent_id: Some(v1::AgentId { value: "a1".into() }),
                executor_id: Some(v1::ExecutorId { value: "e1".into() }),
                status: Some(137),
            }),
            ..Default::default()
        },
        scheduler::Event {
            r#type: Some(T::Failure as i32),
            failure: Some(scheduler::event::Failure {
                agent_id: Some(v1::AgentId { value: "a2".into() }),
                executor_id: None,
                status: None,
            }),
            ..Default::default()
        },
        // A type from a newer master: ignored.
        scheduler::Event {
            r#type: Some(99),
            ..Default::default()
        },
    ];
    for event in &events {
        master.push_event(event);
    }
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::SlaveLost(_)))));
    let seen = no_heartbeats(&log.all());
    assert_eq!(
        &seen[1..],
        [
            Seen::Offers(vec![encode(&offer)]),
            Seen::Rescinded("o1".into()),
            Seen::Message {
                executor_id: "e1".into(),
                agent_id: "a1".into(),
                data: b"payload".to_vec()
            },
            Seen::ExecutorLost {
                executor_id: "e1".into(),
                agent_id: "a1".into(),
                status: 137
            },
            Seen::SlaveLost("a2".into()),
        ]
    );
    assert_eq!(driver.status(), Status::Running);
}

#[test]
fn launches_while_disconnected_become_task_lost_or_dropped() {
    for partition_aware in [false, true] {
        let master = FakeMaster::start(15.0);
        let (recorder, log) = Recorder::new();
        let mut info = framework_info("t");
        if partition_aware {
            info.capabilities.push(v1::framework_info::Capability {
                r#type: Some(v1::framework_info::capability::Type::PartitionAware as i32),
            });
        }
        let driver = start_with(&master, recorder, &info, true);
        driver.start();
        assert!(log.wait_for(WAIT, is_registered));
        master.script_subscribe(std::iter::repeat_n(Answer::status(503, ""), 1000));
        master.close_streams();
        assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Disconnected)));
        let task = |id: &str| {
            encode(&v1::TaskInfo {
                name: "n".into(),
                task_id: v1::TaskId { value: id.into() },
                agent_id: v1::AgentId { value: "a1".into() },
                ..Default::default()
            })
        };
        let offer = encode(&v1::OfferId { value: "o1".into() });
        let (t1, t2, t3) = (task("t1"), task("t2"), task("t3"));
        assert_eq!(
            driver.launch_tasks(&[&offer], &[&t1, &t2], None),
            Ok(Status::Running)
        );
        let group = encode(&v1::offer::Operation {
            r#type: Some(v1::offer::operation::Type::LaunchGroup as i32),
            launch_group: Some(v1::offer::operation::LaunchGroup {
                executor: v1::ExecutorInfo::default(),
                task_group: v1::TaskGroupInfo {
                    tasks: vec![v1::TaskInfo::decode(t3.as_slice()).unwrap()],
                },
            }),
            ..Default::default()
        });
        assert_eq!(
            driver.accept_offers(&[&offer], &[&group], None),
            Ok(Status::Running)
        );
        // Dropped while disconnected: nothing reaches the master.
        driver
            .kill_task(&encode(&v1::TaskId { value: "t1".into() }))
            .unwrap();
        driver.reconcile_tasks(&[]).unwrap();
        assert!(
            log.wait_for(WAIT, |s| count_of(s, |s| matches!(s, Seen::Update(..)))
                == 3)
        );
        let expected_state = if partition_aware {
            v1::TaskState::TaskDropped
        } else {
            v1::TaskState::TaskLost
        } as i32;
        let updates: Vec<v1::TaskStatus> = log
            .all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Update(status, _) => Some(status),
                _ => None,
            })
            .collect();
        let ids: Vec<&str> = updates.iter().map(|u| u.task_id.value.as_str()).collect();
        assert_eq!(ids, ["t1", "t2", "t3"]);
        for update in &updates {
            assert_eq!(update.state, expected_state);
            assert_eq!(update.source, Some(v1::task_status::Source::Master as i32));
            assert_eq!(
                update.reason,
                Some(v1::task_status::Reason::MasterDisconnected as i32)
            );
            assert_eq!(update.message.as_deref(), Some("Master disconnected"));
            assert!(update.uuid.is_none());
        }
        std::thread::sleep(Duration::from_millis(100));
        let kinds: Vec<i32> = master
            .received()
            .iter()
            .filter_map(|r| r.call.r#type)
            .collect();
        assert!(
            kinds
                .iter()
                .all(|k| *k == scheduler::call::Type::Subscribe as i32),
            "{kinds:?}"
        );
        driver.stop(true);
    }
}

#[test]
fn suppressed_roles_and_update_framework_reach_the_next_subscribe() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let mut info = framework_info("t");
    info.roles = vec!["a".into(), "b".into(), "c".into()];
    let driver = start_with(&master, recorder, &info, true);
    driver.set_option("suppressed_roles", "b").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let first = master.received()[0].call.subscribe.clone().unwrap();
    assert_eq!(first.suppressed_roles, ["b"]);

    // Disconnect, then change things while disconnected.
    master.script_subscribe(std::iter::repeat_n(Answer::status(503, ""), 15));
    master.close_streams();
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Disconnected)));
    driver.suppress_offers(Some(&["c"])).unwrap();
    driver.revive_offers(Some(&["b"])).unwrap();
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    let subscribes = master.received_of_type(scheduler::call::Type::Subscribe);
    let last = subscribes.last().unwrap().call.subscribe.clone().unwrap();
    assert_eq!(last.suppressed_roles, ["c"]);

    // update_framework while connected: UPDATE_FRAMEWORK with the new info.
    let mut updated = info.clone();
    updated.id = Some(v1::FrameworkId {
        value: "fake-framework".into(),
    });
    updated.name = "renamed".into();
    assert_eq!(
        driver.update_framework(&encode(&updated), &["a"], None),
        Ok(Status::Running)
    );
    let update = master
        .wait_received(WAIT, of_type(scheduler::call::Type::UpdateFramework))
        .expect("UPDATE_FRAMEWORK");
    let update = update.call.update_framework.unwrap();
    assert_eq!(update.framework_info.name, "renamed");
    assert_eq!(update.suppressed_roles, ["a"]);

    // And it is what the next SUBSCRIBE carries.
    master.close_streams();
    assert!(log.wait_for(WAIT, |s| count_of(s, |s| *s == Seen::Reregistered) == 2));
    let subscribes = master.received_of_type(scheduler::call::Type::Subscribe);
    let last = subscribes.last().unwrap().call.subscribe.clone().unwrap();
    assert_eq!(last.framework_info.name, "renamed");
    assert_eq!(last.suppressed_roles, ["a"]);
    // suppress(None) suppresses every role of the FrameworkInfo.
    driver.suppress_offers(None).unwrap();
    master.close_streams();
    assert!(log.wait_for(WAIT, |s| count_of(s, |s| *s == Seen::Reregistered) == 3));
    let subscribes = master.received_of_type(scheduler::call::Type::Subscribe);
    let last = subscribes.last().unwrap().call.subscribe.clone().unwrap();
    assert_eq!(last.suppressed_roles, ["a", "b", "c"]);
}

#[test]
fn update_framework_with_another_id_aborts_then_errors() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = registered_with(&master, recorder, &log, true);
    let mut other = framework_info("t");
    other.id = Some(v1::FrameworkId {
        value: "someone-else".into(),
    });
    assert_eq!(
        driver.update_framework(&encode(&other), &[], None),
        Ok(Status::Running)
    );
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    let error = log
        .all()
        .into_iter()
        .find(|s| matches!(s, Seen::Error { .. }))
        .unwrap();
    match error {
        Seen::Error {
            message,
            status_during,
        } => {
            assert!(message.contains("someone-else"), "{message}");
            assert_eq!(status_during, Status::Aborted);
        }
        _ => unreachable!(),
    }
    assert_eq!(driver.join(), Ok(Status::Aborted));
}

#[test]
fn opaque_bytes_reach_the_master_byte_identical() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let mut info = encode(&framework_info("opaque"));
    prost::encoding::string::encode(999, &"from the future".to_string(), &mut info);
    let driver = Driver::new(
        Box::new(recorder),
        &info,
        &master.master_string(),
        None,
        true,
    )
    .unwrap();
    fast_options(&driver);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let contains =
        |haystack: &[u8], needle: &[u8]| haystack.windows(needle.len()).any(|w| w == needle);
    assert!(contains(&master.received()[0].body, &info));

    let mut task = encode(&v1::TaskInfo {
        name: "n".into(),
        task_id: v1::TaskId { value: "t1".into() },
        agent_id: v1::AgentId { value: "a1".into() },
        ..Default::default()
    });
    prost::encoding::string::encode(999, &"task extension".to_string(), &mut task);
    let mut operation = encode(&v1::offer::Operation {
        r#type: Some(v1::offer::operation::Type::Launch as i32),
        ..Default::default()
    });
    prost::encoding::string::encode(999, &"operation extension".to_string(), &mut operation);
    let offer = encode(&v1::OfferId { value: "o1".into() });
    driver.launch_tasks(&[&offer], &[&task], None).unwrap();
    driver
        .accept_offers(&[&offer], &[&operation], None)
        .unwrap();
    assert!(eventually(WAIT, || master
        .received_of_type(scheduler::call::Type::Accept)
        .len()
        == 2));
    let accepts = master.received_of_type(scheduler::call::Type::Accept);
    assert!(contains(&accepts[0].body, &task));
    assert!(contains(&accepts[1].body, &operation));
}

#[test]
fn bad_arguments_are_refused_before_the_state() {
    let (recorder, _log) = Recorder::new();
    let driver = Driver::new(
        Box::new(recorder),
        &encode(&framework_info("t")),
        "127.0.0.1:1",
        None,
        true,
    )
    .unwrap();
    let garbage: &[u8] = b"\xff\xff\xff";
    assert!(matches!(
        driver.kill_task(garbage),
        Err(Error::InvalidArgument(_))
    ));
    assert!(driver.last_error().contains("task_id"));
    assert!(matches!(
        driver.launch_tasks(&[garbage], &[], None),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        driver.decline_offer(b"", Some(garbage)),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        driver.reconcile_tasks(&[garbage]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        driver.request_resources(&[garbage]),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        driver.send_framework_message(garbage, b"", b""),
        Err(Error::InvalidArgument(_))
    ));
    assert!(matches!(
        driver.update_framework(garbage, &[], None),
        Err(Error::InvalidArgument(_))
    ));
    let with_id = encode(&v1::offer::Operation {
        r#type: Some(1),
        id: Some(v1::OperationId { value: "op".into() }),
        ..Default::default()
    });
    let err = driver.accept_offers(&[], &[&with_id], None).unwrap_err();
    assert_eq!(err.code(), -2);
    assert!(err.message().contains("'id'"));
    assert!(matches!(
        driver.set_option("no.such", "1"),
        Err(Error::InvalidArgument(_))
    ));
    // Nothing changed.
    assert_eq!(driver.status(), Status::NotStarted);
    // Bad construction arguments.
    for (info, master) in [
        (garbage.to_vec(), "127.0.0.1:1"),
        (encode(&framework_info("t")), "nonsense"),
        // Invalid with or without the zookeeper feature (path "/" names no node).
        (encode(&framework_info("t")), "zk://127.0.0.1:2181/"),
    ] {
        let (recorder, _) = Recorder::new();
        let err = Driver::new(Box::new(recorder), &info, master, None, true).unwrap_err();
        assert_eq!(err.code(), -2, "{master}: {err}");
    }
}

#[test]
fn dropping_the_last_handle_stops_with_failover() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = registered_with(&master, recorder, &log, true);
    let clone = driver.clone();
    drop(driver);
    assert_eq!(master.open_streams(), 1, "a clone keeps it alive");
    let started = std::time::Instant::now();
    drop(clone);
    assert!(started.elapsed() < Duration::from_secs(3));
    // The master's side notices the close a moment later.
    assert!(
        master.wait_open_streams(0, Duration::from_secs(2)),
        "the stream is still open after the last handle was dropped"
    );
    assert!(master
        .received_of_type(scheduler::call::Type::Teardown)
        .is_empty());
}

#[test]
fn calls_after_acknowledgements_wait_for_them() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::with_hook(|driver, seen| {
        if let Seen::Update(status, _) = seen {
            if status.task_id.value == "t19" {
                driver.revive_offers(None).unwrap();
            }
        }
    });
    let driver = start_with(&master, recorder, &framework_info("t"), true);
    // Overlapping acknowledgements: other calls still wait for those queued before them.
    driver.set_option("ack.connections", "3").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    for i in 0..20 {
        master.push_event(&update_event(
            &format!("t{i}"),
            Some("a1"),
            Some(&[i as u8; 16]),
        ));
    }
    master
        .wait_received(WAIT, of_type(scheduler::call::Type::Revive))
        .expect("REVIVE");
    // The REVIVE made inside t19's callback follows the 19 acknowledgements queued
    // before it; t19's own acknowledgement (sent when the callback returns) follows it.
    assert!(eventually(WAIT, || {
        master
            .received_of_type(scheduler::call::Type::Acknowledge)
            .len()
            == 20
    }));
    let calls: Vec<scheduler::Call> = master.received().into_iter().map(|r| r.call).collect();
    let revive_at = calls
        .iter()
        .position(|c| c.r#type == Some(scheduler::call::Type::Revive as i32))
        .unwrap();
    let acked_before: Vec<String> = calls[..revive_at]
        .iter()
        .filter_map(|c| c.acknowledge.as_ref().map(|a| a.task_id.value.clone()))
        .collect();
    assert_eq!(acked_before.len(), 19, "{acked_before:?}");
    assert!(!acked_before.contains(&"t19".to_string()));
    let after: Vec<String> = calls[revive_at + 1..]
        .iter()
        .filter_map(|c| c.acknowledge.as_ref().map(|a| a.task_id.value.clone()))
        .collect();
    assert_eq!(after, ["t19"]);
}

#[test]
fn with_one_ack_connection_acknowledgements_stay_in_order() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let driver = start_with(&master, recorder, &framework_info("t"), true);
    assert!(driver.set_option("ack.connections", "0").is_err());
    driver.set_option("ack.connections", "1").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    for i in 0..30 {
        master.push_event(&update_event(
            &format!("t{i}"),
            Some("a1"),
            Some(&[i as u8; 16]),
        ));
    }
    assert!(eventually(WAIT, || {
        master
            .received_of_type(scheduler::call::Type::Acknowledge)
            .len()
            == 30
    }));
    let order: Vec<String> = master
        .received_of_type(scheduler::call::Type::Acknowledge)
        .into_iter()
        .map(|r| r.call.acknowledge.unwrap().task_id.value)
        .collect();
    let expected: Vec<String> = (0..30).map(|i| format!("t{i}")).collect();
    assert_eq!(order, expected);
}

#[test]
fn extension_events_reach_their_callbacks() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::new();
    let _driver = registered_with(&master, recorder, &log, true);
    use scheduler::event::Type as T;
    let inverse = v1::InverseOffer {
        id: v1::OfferId {
            value: "io1".into(),
        },
        framework_id: v1::FrameworkId { value: "f".into() },
        ..Default::default()
    };
    master.push_event(&scheduler::Event {
        r#type: Some(T::InverseOffers as i32),
        inverse_offers: Some(scheduler::event::InverseOffers {
            inverse_offers: vec![],
        }),
        ..Default::default()
    });
    master.push_event(&scheduler::Event {
        r#type: Some(T::InverseOffers as i32),
        inverse_offers: Some(scheduler::event::InverseOffers {
            inverse_offers: vec![inverse.clone(), inverse],
        }),
        ..Default::default()
    });
    master.push_event(&scheduler::Event {
        r#type: Some(T::RescindInverseOffer as i32),
        rescind_inverse_offer: Some(scheduler::event::RescindInverseOffer {
            inverse_offer_id: v1::OfferId {
                value: "io1".into(),
            },
        }),
        ..Default::default()
    });
    master.push_event(&scheduler::Event {
        r#type: Some(T::UpdateOperationStatus as i32),
        update_operation_status: Some(scheduler::event::UpdateOperationStatus {
            status: v1::OperationStatus {
                state: 1,
                ..Default::default()
            },
        }),
        ..Default::default()
    });
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::OperationStatus)));
    assert_eq!(
        no_heartbeats(&log.all())[1..],
        [
            Seen::InverseOffers(2),
            Seen::InverseRescinded,
            Seen::OperationStatus
        ]
    );
}

#[test]
fn a_panicking_callback_aborts_the_driver() {
    let master = FakeMaster::start(15.0);
    let (recorder, log) = Recorder::with_hook(|_driver, seen| {
        if matches!(seen, Seen::Offers(_)) {
            panic!("scheduler bug");
        }
    });
    let driver = registered_with(&master, recorder, &log, true);
    master.push_event(&scheduler::Event {
        r#type: Some(scheduler::event::Type::Offers as i32),
        offers: Some(scheduler::event::Offers {
            offers: vec![v1::Offer::default()],
        }),
        ..Default::default()
    });
    assert_eq!(driver.join(), Ok(Status::Aborted));
    // The panic is logged (it is no usage error of this thread) and ends the stream.
    assert_eq!(driver.last_error(), "");
    assert!(master.wait_open_streams(0, Duration::from_secs(2)));
}
