//! The driver against the real local cluster (`mesos_sched::local`): real command tasks,
//! the master's view of acknowledgements, teardown vs failover, reconnects, faults.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Status};
use prost::Message;

const WAIT: Duration = Duration::from_secs(15);

fn cluster(configure: impl FnOnce(&mut LocalConfig)) -> LocalCluster {
    let mut config = LocalConfig {
        agents: 1,
        status_update_retry: Duration::from_millis(200),
        ..LocalConfig::default()
    };
    configure(&mut config);
    LocalCluster::start(config).expect("local cluster")
}

fn driver_on(master: &str, recorder: Recorder, info: &v1::FrameworkInfo, implicit: bool) -> Driver {
    fast_driver(master, recorder, info, None, implicit)
}

/// A started driver (implicit acknowledgements) for framework `name` on `cluster`.
fn started_on(cluster: &LocalCluster, name: &str) -> (Driver, std::sync::Arc<Log>) {
    let (recorder, log) = Recorder::new();
    let driver = driver_on(&cluster.leader_url(), recorder, &framework_info(name), true);
    driver.start();
    (driver, log)
}

fn framework<'a>(state: &'a serde_json::Value, id: &str) -> Option<&'a serde_json::Value> {
    state["frameworks"]
        .as_array()?
        .iter()
        .find(|f| f["id"].as_str() == Some(id))
}

fn registered_id(log: &Log) -> String {
    log.all()
        .into_iter()
        .find_map(|s| match s {
            Seen::Registered { framework_id, .. } => Some(framework_id),
            _ => None,
        })
        .expect("registered")
}

/// A hook launching one task per entry of `tasks` (id, command, labels) on the first offer.
fn launcher(tasks: Vec<(&'static str, &'static str)>) -> impl FnMut(&Driver, &Seen) + Send {
    let launched = AtomicUsize::new(0);
    move |driver, seen| {
        if let Seen::Offers(offers) = seen {
            for offer in offers {
                if launched.fetch_add(1, Ordering::SeqCst) == 0 {
                    let infos: Vec<Vec<u8>> = tasks
                        .iter()
                        .map(|(id, command)| command_task(offer, id, command, &[]))
                        .collect();
                    let refs: Vec<&[u8]> = infos.iter().map(Vec::as_slice).collect();
                    assert_eq!(
                        driver.launch_tasks(&[&offer_id(offer)], &refs, None),
                        Ok(Status::Running)
                    );
                } else {
                    driver.decline_offer(&offer_id(offer), None).unwrap();
                }
            }
        }
    }
}

#[test]
fn command_tasks_run_and_implicit_acks_reach_the_master() {
    let cluster = cluster(|_| {});
    let (recorder, log) = Recorder::with_hook(launcher(vec![("ok", "true"), ("fails", "exit 3")]));
    let driver = driver_on(
        &cluster.leader_url(),
        recorder,
        &framework_info("tasks"),
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, |s| {
        has_state(s, "ok", v1::TaskState::TaskFinished)
            && has_state(s, "fails", v1::TaskState::TaskFailed)
    }));
    let id = registered_id(&log);
    // The master has every update acknowledged.
    assert!(cluster.wait_until(WAIT, |state| {
        framework(state, &id).is_some_and(|f| f["unacknowledged_updates"] == 0)
    }));
    let updates = log.count(|s| matches!(s, Seen::Update(..)));
    // Retries would have redelivered unacknowledged updates: none came.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(log.count(|s| matches!(s, Seen::Update(..))), updates);
    assert_eq!(driver.stop(false), Status::Stopped);
}

#[test]
fn explicit_acks_as_the_master_sees_them() {
    let cluster = cluster(|_| {});
    let (recorder, log) = Recorder::with_hook(launcher(vec![("t", "true")]));
    let driver = driver_on(
        &cluster.leader_url(),
        recorder,
        &framework_info("explicit"),
        false,
    );
    driver.start();
    assert!(log.wait_for(WAIT, |s| !states_of(s, "t").is_empty()));
    let id = registered_id(&log);
    // Unacknowledged: the master keeps it pending and retries it.
    std::thread::sleep(Duration::from_millis(600));
    let state = cluster.state_json();
    assert!(
        framework(&state, &id).unwrap()["unacknowledged_updates"]
            .as_u64()
            .unwrap()
            > 0
    );
    let first = log.all().into_iter().find_map(|s| match s {
        Seen::Update(_, raw) => Some(raw),
        _ => None,
    });
    let first = first.unwrap();
    assert!(log.count(|s| matches!(s, Seen::Update(..))) >= 2, "retried");
    // Acknowledge everything seen, until the task finished and nothing is pending.
    let acked = Arc::new(AtomicUsize::new(0));
    assert!(eventually(WAIT, || {
        let raws: Vec<Vec<u8>> = log
            .all()
            .into_iter()
            .filter_map(|s| match s {
                Seen::Update(_, raw) => Some(raw),
                _ => None,
            })
            .collect();
        for raw in &raws[acked.load(Ordering::SeqCst)..] {
            assert_eq!(driver.acknowledge_status_update(raw), Ok(Status::Running));
        }
        acked.store(raws.len(), Ordering::SeqCst);
        let state = cluster.state_json();
        has_state(&log.all(), "t", v1::TaskState::TaskFinished)
            && framework(&state, &id).is_some_and(|f| f["unacknowledged_updates"] == 0)
    }));
    assert!(!first.is_empty());
    driver.stop(false);
}

#[test]
fn stop_with_failover_leaves_the_framework_and_its_tasks() {
    let cluster = cluster(|_| {});
    let mut info = framework_info("failover");
    info.failover_timeout = Some(300.0);
    let (recorder, log) = Recorder::with_hook(launcher(vec![("long", "sleep 30")]));
    let driver = driver_on(&cluster.leader_url(), recorder, &info, true);
    driver.start();
    assert!(log.wait_for(WAIT, |s| has_state(s, "long", v1::TaskState::TaskRunning)));
    let id = registered_id(&log);
    let stopped = Instant::now();
    assert_eq!(driver.stop(true), Status::Stopped);
    // The master sees the stream end at once: disconnected, not removed.
    assert!(cluster.wait_until(Duration::from_secs(1), |state| {
        framework(state, &id).is_some_and(|f| f["connected"] == false)
    }));
    assert!(stopped.elapsed() < Duration::from_millis(1500));
    let state = cluster.state_json();
    let fw = framework(&state, &id).unwrap();
    assert_eq!(fw["tasks"][0]["state"], "TASK_RUNNING");
    drop(driver);

    // A new driver with the same id takes over: registered (first subscription of
    // this driver), same id, the task still there.
    info.id = Some(v1::FrameworkId { value: id.clone() });
    let (recorder, log) = Recorder::new();
    let driver = driver_on(&cluster.leader_url(), recorder, &info, true);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    assert_eq!(registered_id(&log), id);
    assert_eq!(driver.stop(false), Status::Stopped);
    assert!(cluster.wait_until(WAIT, |state| framework(state, &id).is_none()));
}

#[test]
fn stop_without_failover_tears_down() {
    // Frequent heartbeats: events keep arriving while TEARDOWN waits in the queue.
    let cluster = cluster(|c| c.heartbeat_interval = Duration::from_millis(5));
    let mut info = framework_info("teardown");
    info.failover_timeout = Some(300.0);
    let (recorder, log) = Recorder::with_hook(launcher(vec![("long", "sleep 30")]));
    let driver = driver_on(&cluster.leader_url(), recorder, &info, true);
    driver.start();
    assert!(log.wait_for(WAIT, |s| has_state(s, "long", v1::TaskState::TaskRunning)));
    let id = registered_id(&log);
    // A slow master: TEARDOWN is still on its way while heartbeats arrive.
    cluster.delay_calls(Duration::from_millis(300), Duration::from_secs(1));
    assert_eq!(driver.stop(false), Status::Stopped);
    assert!(cluster.wait_until(WAIT, |state| {
        framework(state, &id).is_none()
            && state["removed_framework_ids"]
                .as_array()
                .is_some_and(|ids| ids.iter().any(|i| i == &serde_json::json!(id)))
    }));
}

#[test]
fn failover_timeout_zero_removes_the_framework_when_the_driver_is_dropped() {
    let cluster = cluster(|_| {});
    let (driver, log) = started_on(&cluster, "drop");
    assert!(log.wait_for(WAIT, is_registered));
    let id = registered_id(&log);
    let dropped = Instant::now();
    drop(driver);
    assert!(
        cluster.wait_until(Duration::from_secs(1), |state| framework(state, &id)
            .is_none())
    );
    assert!(dropped.elapsed() < Duration::from_secs(3));
}

#[test]
fn reconnects_keep_the_framework_id() {
    let cluster = cluster(|c| c.heartbeat_interval = Duration::from_millis(100));
    let (recorder, log) = Recorder::new();
    let mut info = framework_info("faults");
    info.failover_timeout = Some(60.0);
    let driver = driver_on(&cluster.leader_url(), recorder, &info, true);
    driver.set_option("heartbeat.timeout_factor", "3").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let id = registered_id(&log);
    let faults: [(&str, &dyn Fn()); 4] = [
        ("close", &|| cluster.close_streams()),
        ("reset", &|| cluster.reset_streams()),
        ("cut", &|| cluster.cut_streams_mid_record()),
        ("stall", &|| cluster.stall_streams(true)),
    ];
    for (round, (name, fault)) in faults.iter().enumerate() {
        fault();
        assert!(
            log.wait_for(WAIT, |s| count_of(s, |s| *s == Seen::Disconnected)
                == round + 1),
            "no disconnection after {name}"
        );
        cluster.stall_streams(false);
        assert!(
            log.wait_for(WAIT, |s| count_of(s, |s| *s == Seen::Reregistered)
                == round + 1),
            "no reregistration after {name}"
        );
    }
    let seen: Vec<Seen> = log
        .all()
        .into_iter()
        .filter(|s| {
            matches!(
                s,
                Seen::Registered { .. } | Seen::Reregistered | Seen::Disconnected
            )
        })
        .collect();
    assert_eq!(seen.len(), 1 + 2 * faults.len(), "{seen:?}");
    for pair in seen[1..].chunks(2) {
        assert_eq!(pair, [Seen::Disconnected, Seen::Reregistered]);
    }
    assert_eq!(cluster.framework_ids(), vec![id.clone()]);
    let state = cluster.state_json();
    assert_eq!(framework(&state, &id).unwrap()["connected"], true);
    driver.stop(false);
}

#[test]
fn local_master_string_runs_an_in_process_cluster() {
    // The driver starts the cluster with signals blocked (its threads must not take the
    // host's signals), but tasks must start with a clean mask (else SIGTERM could not
    // stop them): the task fails unless its blocked-signal mask is empty.
    // (grep is executed directly: a shell would clear the mask itself.)
    let launched = AtomicUsize::new(0);
    let (recorder, log) = Recorder::with_hook(move |driver, seen| {
        if let Seen::Offers(offers) = seen {
            if launched.fetch_add(1, Ordering::SeqCst) > 0 {
                return;
            }
            let mut task =
                v1::TaskInfo::decode(command_task(&offers[0], "t", "", &[]).as_slice()).unwrap();
            task.command = Some(v1::CommandInfo {
                shell: Some(false),
                value: Some("/bin/grep".into()),
                arguments: vec![
                    "grep".into(),
                    "-q".into(),
                    "^SigBlk:[[:space:]]*0*$".into(),
                    "/proc/self/status".into(),
                ],
                ..Default::default()
            });
            driver
                .launch_tasks(&[&offer_id(&offers[0])], &[&encode(&task)], None)
                .unwrap();
        }
    });
    let driver = driver_on("local", recorder, &framework_info("local"), true);
    driver.start();
    let finished = log.wait_for(WAIT, |s| has_state(s, "t", v1::TaskState::TaskFinished));
    assert!(finished, "{:?}", states_of(&log.all(), "t"));
    let master_info = log
        .all()
        .into_iter()
        .find_map(|s| match s {
            Seen::Registered { master_info, .. } => Some(master_info),
            _ => None,
        })
        .unwrap();
    let port = v1::MasterInfo::decode(master_info.as_slice()).unwrap().port as u16;
    assert!(std::net::TcpStream::connect(("127.0.0.1", port)).is_ok());
    assert_eq!(driver.stop(false), Status::Stopped);
    // The cluster belongs to the driver: it goes away with it.
    drop(driver);
    assert!(eventually(Duration::from_secs(5), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    }));
}

#[test]
fn authentication_against_the_local_master() {
    let cluster = cluster(|c| c.authenticate = Some(("alice".into(), "secret".into())));
    let (_unauthenticated, log) = started_on(&cluster, "noauth");
    assert!(log.wait_for(WAIT, |s| !s.is_empty()));
    assert_eq!(
        log.all(),
        [Seen::Error {
            message: "Master refused authentication".into(),
            status_during: Status::Aborted
        }]
    );
    let (recorder, log) = Recorder::new();
    let credential = v1::Credential {
        principal: "alice".into(),
        secret: Some("secret".into()),
    };
    let driver = fast_driver(
        &cluster.leader_url(),
        recorder,
        &framework_info("auth"),
        Some(&credential),
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
}

#[test]
fn a_503_window_then_success() {
    let cluster = cluster(|_| {});
    cluster.fail_calls(503, Duration::from_millis(500));
    let (recorder, log) = Recorder::new();
    let driver = driver_on(
        &cluster.leader_url(),
        recorder,
        &framework_info("503"),
        true,
    );
    let started = Instant::now();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    assert!(started.elapsed() >= Duration::from_millis(450));
    assert_eq!(driver.status(), Status::Running);
}

#[test]
fn leader_change_follows_the_redirect() {
    let cluster = cluster(|c| c.masters = 2);
    let urls = cluster.master_urls();
    let (recorder, log) = Recorder::new();
    let mut info = framework_info("leader");
    info.failover_timeout = Some(60.0);
    let driver = driver_on(&urls[0], recorder, &info, true);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    cluster.change_leader(1);
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    assert_eq!(cluster.leader_url(), urls[1]);
    // Calls reach the new leader through the redirected endpoint.
    driver.reconcile_tasks(&[]).unwrap();
    driver.stop(false);
    let id = registered_id(&log);
    assert!(cluster.wait_until(WAIT, |state| framework(state, &id).is_none()));
}

#[test]
fn error_event_from_the_master() {
    let cluster = cluster(|_| {});
    let (driver, log) = started_on(&cluster, "err");
    assert!(log.wait_for(WAIT, is_registered));
    cluster.inject_error("Framework has been removed");
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert!(log.all().contains(&Seen::Error {
        message: "Framework has been removed".into(),
        status_during: Status::Aborted
    }));
    assert_eq!(driver.join(), Ok(Status::Aborted));
}

#[test]
fn kill_reconcile_message_and_agent_loss() {
    let cluster = cluster(|_| {});
    let (recorder, log) =
        Recorder::with_hook(launcher(vec![("long", "sleep 30"), ("victim", "sleep 30")]));
    let driver = driver_on(
        &cluster.leader_url(),
        recorder,
        &framework_info("misc"),
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, |s| {
        has_state(s, "long", v1::TaskState::TaskRunning)
            && has_state(s, "victim", v1::TaskState::TaskRunning)
    }));
    // Framework message to the task's executor: echoed back by the local cluster.
    let running = log
        .all()
        .into_iter()
        .find_map(|s| match s {
            Seen::Update(status, _) if status.task_id.value == "long" => Some(status),
            _ => None,
        })
        .unwrap();
    let executor_id = running.executor_id.clone().expect("executor id");
    let agent_id = running.agent_id.clone().expect("agent id");
    driver
        .send_framework_message(&encode(&executor_id), &encode(&agent_id), b"ping")
        .unwrap();
    assert!(log.wait_for(WAIT, |s| s
        .iter()
        .any(|s| matches!(s, Seen::Message { data, .. } if data == b"ping"))));

    // Kill.
    driver
        .kill_task(&encode(&v1::TaskId {
            value: "victim".into(),
        }))
        .unwrap();
    assert!(log.wait_for(WAIT, |s| has_state(s, "victim", v1::TaskState::TaskKilled)));

    // Explicit reconciliation of an unknown task.
    let unknown = encode(&v1::TaskStatus {
        task_id: v1::TaskId {
            value: "nope".into(),
        },
        state: v1::TaskState::TaskRunning as i32,
        ..Default::default()
    });
    driver.reconcile_tasks(&[&unknown]).unwrap();
    assert!(log.wait_for(WAIT, |s| has_state(s, "nope", v1::TaskState::TaskLost)));
    // Implicit reconciliation: the running task is reported again.
    let before = states_of(&log.all(), "long").len();
    driver.reconcile_tasks(&[]).unwrap();
    assert!(log.wait_for(WAIT, |s| states_of(s, "long").len() > before));

    // Agent loss: slave_lost.
    cluster.lose_agent(&agent_id.value);
    assert!(log.wait_for(WAIT, |s| s
        .contains(&Seen::SlaveLost(agent_id.value.clone()))));
    assert!(log.wait_for(WAIT, |s| has_state(s, "long", v1::TaskState::TaskLost)));
    driver.stop(false);
}

#[test]
fn opaque_framework_info_reaches_the_local_master_byte_identical() {
    let cluster = cluster(|_| {});
    let (recorder, log) = Recorder::new();
    let mut info = encode(&framework_info("opaque"));
    prost::encoding::string::encode(999, &"future field".to_string(), &mut info);
    let driver = Driver::new(Box::new(recorder), &info, &cluster.leader_url(), None, true).unwrap();
    fast_options(&driver);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let calls = cluster.received_calls();
    let (content_type, body) = &calls[0];
    assert_eq!(content_type, "application/x-protobuf");
    let call = scheduler::Call::decode(body.as_slice()).unwrap();
    assert_eq!(call.r#type, Some(scheduler::call::Type::Subscribe as i32));
    assert!(body.windows(info.len()).any(|w| w == info.as_slice()));
}

#[test]
fn a_call_past_the_request_timeout_is_logged_not_fatal() {
    let cluster = cluster(|_| {});
    let (recorder, log) = Recorder::new();
    let driver = driver_on(
        &cluster.leader_url(),
        recorder,
        &framework_info("slow"),
        true,
    );
    driver.set_option("request.timeout_ms", "300").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    cluster.delay_calls(Duration::from_secs(2), Duration::from_millis(500));
    let calls_before = cluster.received_calls().len();
    driver.revive_offers(None).unwrap();
    assert!(eventually(WAIT, || cluster.received_calls().len() > calls_before));
    // Past the call's timeout (300 ms; the master answers after 500 ms).
    std::thread::sleep(Duration::from_millis(800));
    assert_eq!(driver.status(), Status::Running);
    assert_eq!(
        driver.last_error(),
        "",
        "a background failure is no usage error"
    );
    driver.stop(false);
}

#[test]
fn a_second_driver_with_the_same_id_takes_over() {
    let cluster = cluster(|_| {});
    let mut info = framework_info("twice");
    info.failover_timeout = Some(60.0);
    let (recorder, first_log) = Recorder::new();
    let first = driver_on(&cluster.leader_url(), recorder, &info, true);
    first.start();
    assert!(first_log.wait_for(WAIT, is_registered));
    info.id = Some(v1::FrameworkId {
        value: registered_id(&first_log),
    });
    let (recorder, second_log) = Recorder::new();
    let second = driver_on(&cluster.leader_url(), recorder, &info, true);
    second.start();
    assert!(second_log.wait_for(WAIT, is_registered));
    assert!(first_log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert_eq!(first.join(), Ok(Status::Aborted));
    let error = first_log
        .all()
        .into_iter()
        .find(|s| matches!(s, Seen::Error { .. }))
        .unwrap();
    assert_eq!(
        error,
        Seen::Error {
            message: "Framework failed over".into(),
            status_during: Status::Aborted
        }
    );
    // The first driver does not come back to steal it.
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(second.status(), Status::Running);
    assert!(!second_log.all().contains(&Seen::Disconnected));
    // Dropping the aborted first driver tears nothing down.
    drop(first);
    assert_eq!(cluster.framework_ids().len(), 1);
    second.stop(false);
}

/// A TaskInfo encoded field by field with the v0 schema's numbers (mesos.TaskInfo:
/// name=1, task_id=2, slave_id=3, resources=4, command=7) plus an unknown field 999.
fn v0_task_info(offer: &[u8], task_id: &str) -> Vec<u8> {
    use prost::encoding::{message, string};
    let offer = v1::Offer::decode(offer).unwrap();
    let mut out = Vec::new();
    string::encode(1, &task_id.to_string(), &mut out);
    message::encode(
        2,
        &v1::TaskId {
            value: task_id.into(),
        },
        &mut out,
    );
    message::encode(3, &offer.agent_id, &mut out); // slave_id
    message::encode(4, &scalar("cpus", 0.01), &mut out);
    message::encode(4, &scalar("mem", 8.0), &mut out);
    message::encode(
        7,
        &v1::CommandInfo {
            value: Some("true".into()),
            ..Default::default()
        },
        &mut out,
    );
    string::encode(999, &"v0 extension".to_string(), &mut out);
    out
}

#[test]
fn v0_and_unknown_fields_reach_the_local_master_byte_identical() {
    let cluster = cluster(|_| {});
    let sent: Arc<parking_lot::Mutex<Vec<Vec<u8>>>> = Arc::default();
    let sent_in_hook = sent.clone();
    let launched = AtomicUsize::new(0);
    let (recorder, log) = Recorder::with_hook(move |driver, seen| {
        if let Seen::Offers(offers) = seen {
            if launched.fetch_add(1, Ordering::SeqCst) > 0 {
                return;
            }
            let offer = &offers[0];
            let task = v0_task_info(offer, "v0-task");
            driver
                .launch_tasks(&[&offer_id(offer)], &[&task], None)
                .unwrap();
            sent_in_hook.lock().push(task);
        }
    });
    let driver = driver_on(&cluster.leader_url(), recorder, &framework_info("v0"), true);
    driver.start();
    assert!(log.wait_for(WAIT, |s| has_state(
        s,
        "v0-task",
        v1::TaskState::TaskFinished
    )));
    let sent = sent.lock().clone();
    let calls = cluster.received_calls();
    let accept = calls
        .iter()
        .map(|(_, body)| body)
        .find(|body| {
            scheduler::Call::decode(body.as_slice())
                .is_ok_and(|c| c.r#type == Some(scheduler::call::Type::Accept as i32))
        })
        .expect("an ACCEPT");
    assert!(accept
        .windows(sent[0].len())
        .any(|w| w == sent[0].as_slice()));
    // An operation with an unknown field, through accept_offers, on a fresh offer.
    let offer_seen = log.all().into_iter().rev().find_map(|s| match s {
        Seen::Offers(offers) => Some(offers[0].clone()),
        _ => None,
    });
    driver.revive_offers(None).unwrap();
    let fresh = log.wait_for(WAIT, |s| {
        s.iter()
            .filter_map(|s| match s {
                Seen::Offers(offers) => Some(offers[0].clone()),
                _ => None,
            })
            .any(|o| Some(&o) != offer_seen.as_ref())
    });
    assert!(fresh, "a second offer");
    let offer = log
        .all()
        .into_iter()
        .rev()
        .find_map(|s| match s {
            Seen::Offers(offers) => Some(offers[0].clone()),
            _ => None,
        })
        .unwrap();
    let mut operation = encode(&v1::offer::Operation {
        r#type: Some(v1::offer::operation::Type::Launch as i32),
        launch: Some(v1::offer::operation::Launch {
            task_infos: vec![v1::TaskInfo::decode(
                command_task(&offer, "op-task", "true", &[]).as_slice(),
            )
            .unwrap()],
        }),
        ..Default::default()
    });
    prost::encoding::string::encode(999, &"operation extension".to_string(), &mut operation);
    driver
        .accept_offers(&[&offer_id(&offer)], &[&operation], None)
        .unwrap();
    assert!(log.wait_for(WAIT, |s| has_state(
        s,
        "op-task",
        v1::TaskState::TaskFinished
    )));
    let calls = cluster.received_calls();
    assert!(calls.iter().any(|(_, body)| body
        .windows(operation.len())
        .any(|w| w == operation.as_slice())));
    driver.stop(false);
}
