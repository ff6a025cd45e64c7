//! Transport behaviour against a byte-level fake master: stream closing, redirects,
//! 503 windows, authentication, lost connections of every kind, the watchdog.

mod common;

use std::time::{Duration, Instant};

use common::fake_master::{self, Answer, FakeMaster};
use common::*;
use mesos_sched::proto::{scheduler, v1};
use mesos_sched::{Driver, Status};

const WAIT: Duration = Duration::from_secs(10);

fn driver_for(master: &str, info: &v1::FrameworkInfo) -> (Driver, std::sync::Arc<Log>) {
    let (recorder, log) = Recorder::new();
    (fast_driver(master, recorder, info, None, true), log)
}

/// A started driver on `master`, once registered.
fn registered_driver(master: &FakeMaster) -> (Driver, std::sync::Arc<Log>) {
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    (driver, log)
}

/// Pushes an ERROR event carrying `message` on the open subscription.
fn push_error_event(master: &FakeMaster, message: &str) {
    master.push_event(&scheduler::Event {
        r#type: Some(scheduler::event::Type::Error as i32),
        error: Some(scheduler::event::Error {
            message: message.into(),
        }),
        ..Default::default()
    });
}

/// A started driver authenticating as `alice` with `secret`, once registered.
fn registered_as_alice(master: &FakeMaster, secret: &str) -> (Driver, std::sync::Arc<Log>) {
    let (recorder, log) = Recorder::new();
    let credential = v1::Credential {
        principal: "alice".into(),
        secret: Some(secret.into()),
    };
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("t"),
        Some(&credential),
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    (driver, log)
}

fn subscribe_type() -> i32 {
    scheduler::call::Type::Subscribe as i32
}

#[test]
fn subscribes_with_protobuf_and_stop_closes_the_stream_at_once() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    assert_eq!(driver.start(), Status::Running);
    assert!(log.wait_for(WAIT, is_registered));
    let subscribe = master.received()[0].clone();
    assert_eq!(subscribe.call.r#type, Some(subscribe_type()));
    assert_eq!(subscribe.path, "/api/v1/scheduler");
    assert!(
        subscribe.stream_id.is_none(),
        "SUBSCRIBE must not carry a stream id"
    );
    let info = subscribe.call.subscribe.unwrap().framework_info;
    assert!(!info.user.is_empty(), "user filled from the OS");
    assert!(info.hostname.as_deref().is_some_and(|h| !h.is_empty()));
    assert_eq!(master.open_streams(), 1);

    let stopped = Instant::now();
    assert_eq!(driver.stop(true), Status::Stopped);
    assert!(master.wait_open_streams(0, Duration::from_secs(1)));
    let closed = master.last_stream_closed_at().unwrap();
    assert!(closed.duration_since(stopped) < Duration::from_secs(1));
    assert_eq!(driver.join(), Ok(Status::Stopped));
    // stop(true) sends no TEARDOWN.
    assert!(master
        .received_of_type(scheduler::call::Type::Teardown)
        .is_empty());
}

#[test]
fn abort_closes_the_stream_at_once_and_sends_nothing() {
    let master = FakeMaster::start(15.0);
    let (driver, _log) = registered_driver(&master);
    assert_eq!(driver.abort(), Status::Aborted);
    assert!(master.wait_open_streams(0, Duration::from_secs(1)));
    assert_eq!(driver.join(), Ok(Status::Aborted));
    assert_eq!(driver.stop(false), Status::Aborted);
    assert_eq!(driver.status(), Status::Stopped);
    assert_eq!(master.received().len(), 1);
}

#[test]
fn stop_without_failover_after_abort_still_tears_down() {
    let master = FakeMaster::start(15.0);
    let mut info = framework_info("t");
    info.failover_timeout = Some(60.0);
    let (driver, log) = driver_for(&master.master_string(), &info);
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    assert_eq!(driver.abort(), Status::Aborted);
    assert!(master.wait_open_streams(0, Duration::from_secs(1)));
    assert_eq!(driver.stop(false), Status::Aborted);
    let teardown = master
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Teardown as i32)
        })
        .expect("TEARDOWN after abort");
    assert_eq!(teardown.call.framework_id.unwrap().value, "fake-framework");
    let subscribes = master.received_of_type(scheduler::call::Type::Subscribe);
    assert_eq!(subscribes.len(), 2);
    assert!(teardown.stream_id.is_some());
    assert!(master.wait_open_streams(0, Duration::from_secs(2)));
    // No callbacks after the abort.
    assert!(!log.all().iter().any(|s| matches!(s, Seen::Reregistered)));
}

#[test]
fn no_teardown_after_an_error_event() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = registered_driver(&master);
    push_error_event(&master, "Framework failed over");
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert_eq!(driver.stop(false), Status::Aborted);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(master.received().len(), 1, "{:?}", master.received());
}

#[test]
fn calls_carry_the_stream_id_and_teardown_on_stop_false() {
    let master = FakeMaster::start(15.0);
    let (driver, _log) = registered_driver(&master);
    driver.revive_offers(None).unwrap();
    let revive = master
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Revive as i32)
        })
        .expect("REVIVE");
    assert_eq!(revive.stream_id.as_deref().map(str::len), Some(36));
    assert_eq!(revive.call.framework_id.unwrap().value, "fake-framework");
    assert_eq!(driver.stop(false), Status::Stopped);
    let teardown = master
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Teardown as i32)
        })
        .expect("TEARDOWN");
    assert_eq!(teardown.stream_id, revive.stream_id);
}

#[test]
fn follows_a_redirect_chain_after_a_503_window() {
    let leader = FakeMaster::start(15.0);
    let follower = FakeMaster::start(15.0);
    let location = format!("//127.0.0.1:{}/master/api/v1/scheduler", leader.port);
    follower.script_subscribe([
        Answer::status(503, "no leader"),
        Answer::status(404, ""),
        Answer::status(503, "no leader"),
        Answer::redirect(&location),
    ]);
    let (driver, log) = driver_for(&follower.master_string(), &framework_info("t"));
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    assert_eq!(follower.received().len(), 4);
    let subscribe = leader.received()[0].clone();
    assert_eq!(subscribe.path, "/master/api/v1/scheduler");
    // Calls go to where the subscription lives.
    driver.reconcile_tasks(&[]).unwrap();
    let reconcile = leader
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Reconcile as i32)
        })
        .expect("RECONCILE at the leader");
    assert_eq!(reconcile.path, "/master/api/v1/scheduler");
    assert_eq!(driver.status(), Status::Running);
    assert!(log.all().iter().all(|s| !matches!(s, Seen::Error { .. })));
}

#[test]
fn a_redirect_loop_is_a_failed_attempt_not_an_error() {
    let master = FakeMaster::start(15.0);
    let to_self = format!("//127.0.0.1:{}/api/v1/scheduler", master.port);
    master.script_subscribe(std::iter::repeat_n(Answer::redirect(&to_self), 11));
    let (driver, _log) = registered_driver(&master);
    assert_eq!(
        master
            .received_of_type(scheduler::call::Type::Subscribe)
            .len(),
        12
    );
    assert_eq!(driver.status(), Status::Running);
}

#[test]
fn unauthorized_subscribe_is_an_error_and_aborts() {
    let master = FakeMaster::start(15.0);
    master.script_subscribe([Answer::status(401, "")]);
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    driver.start();
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert_eq!(
        log.all(),
        [Seen::Error {
            message: "Master refused authentication".into(),
            status_during: Status::Aborted
        }]
    );
    assert_eq!(driver.join(), Ok(Status::Aborted));
    assert_eq!(master.received().len(), 1, "no retry after 401");
}

#[test]
fn forbidden_subscribe_reports_the_body() {
    let master = FakeMaster::start(15.0);
    master.script_subscribe([Answer::status(403, "Not authorized to register")]);
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    driver.start();
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert!(
        matches!(&log.all()[0], Seen::Error { message, .. } if message == "Not authorized to register")
    );
    assert_eq!(driver.status(), Status::Aborted);
}

#[test]
fn basic_auth_header_from_the_credential() {
    let master = FakeMaster::start(15.0);
    let (driver, _log) = registered_as_alice(&master, "hunter2");
    driver.revive_offers(None).unwrap();
    master
        .wait_received(WAIT, |r| {
            r.call.r#type == Some(scheduler::call::Type::Revive as i32)
        })
        .unwrap();
    for received in master.received() {
        assert_eq!(
            received.authorization.as_deref(),
            Some("Basic YWxpY2U6aHVudGVyMg==")
        );
    }
}

/// Breaks the stream with `fault`; expects disconnected, then reregistered with the id.
fn reconnects_after(fault: impl Fn(&FakeMaster)) {
    let master = FakeMaster::start(15.0);
    let (driver, log) = registered_driver(&master);
    fault(&master);
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    let seen: Vec<Seen> = log
        .all()
        .into_iter()
        .filter(|s| *s != Seen::Heartbeat)
        .collect();
    assert!(
        matches!(seen[0], Seen::Registered { ref framework_id, .. } if framework_id == "fake-framework")
    );
    assert_eq!(&seen[1..], [Seen::Disconnected, Seen::Reregistered]);
    let subscribes = master.received_of_type(scheduler::call::Type::Subscribe);
    assert_eq!(subscribes.len(), 2);
    let again = subscribes[1].call.clone();
    assert_eq!(again.framework_id.unwrap().value, "fake-framework");
    assert_eq!(
        again.subscribe.unwrap().framework_info.id.unwrap().value,
        "fake-framework"
    );
    assert_eq!(driver.status(), Status::Running);
    driver.stop(true);
}

#[test]
fn disconnected_on_eof() {
    reconnects_after(FakeMaster::close_streams);
}

#[test]
fn disconnected_on_reset() {
    reconnects_after(FakeMaster::reset_streams);
}

#[test]
fn disconnected_on_a_record_cut_short() {
    reconnects_after(|m| {
        m.push_raw(b"100\nonly a part");
        m.close_streams();
    });
}

#[test]
fn disconnected_on_a_bad_record_length() {
    reconnects_after(|m| m.push_raw(b"12x\n"));
}

#[test]
fn disconnected_on_an_event_that_does_not_decode() {
    reconnects_after(|m| m.push_raw(b"3\n\xff\xff\xff"));
}

#[test]
fn disconnected_when_heartbeats_stop() {
    let master = FakeMaster::start(0.1);
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    driver.set_option("heartbeat.timeout_factor", "3").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    // Heartbeats keep it alive well past 3 intervals (the silence allowed: 300 ms).
    std::thread::sleep(Duration::from_millis(600));
    assert!(!log.all().contains(&Seen::Disconnected));
    master.stall(true);
    let stalled = Instant::now();
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Disconnected)));
    let after = stalled.elapsed();
    // The last heartbeat came up to one interval before the stall began.
    assert!(after >= Duration::from_millis(190), "{after:?}");
    assert!(after < Duration::from_secs(2), "{after:?}");
    master.stall(false);
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    assert!(log.count(|s| *s == Seen::Heartbeat) >= 2);
}

#[test]
fn error_event_aborts_then_calls_error() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = registered_driver(&master);
    push_error_event(&master, "Framework failed over");
    master.close_streams();
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert_eq!(driver.join(), Ok(Status::Aborted));
    std::thread::sleep(Duration::from_millis(300));
    let seen = log.all();
    assert_eq!(
        seen.last().unwrap(),
        &Seen::Error {
            message: "Framework failed over".into(),
            status_during: Status::Aborted
        }
    );
    assert!(!seen.contains(&Seen::Disconnected));
    assert_eq!(
        master
            .received_of_type(scheduler::call::Type::Subscribe)
            .len(),
        1
    );
}

#[test]
fn not_subscribed_answer_forces_a_resubscribe() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = registered_driver(&master);
    master.script_calls([Answer::status(403, "Framework is not subscribed")]);
    driver.revive_offers(None).unwrap();
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    // Refused after the call returned: logged, not a usage error of this thread.
    assert_eq!(driver.last_error(), "");
}

/// Sends a SUPPRESS and waits until the master has it: calls leave in order, so the
/// answers to every call made before have been handled by then.
fn sync_calls(master: &FakeMaster, driver: &Driver) {
    let before = master
        .received_of_type(scheduler::call::Type::Suppress)
        .len();
    driver.suppress_offers(None).unwrap();
    assert!(eventually(WAIT, || master
        .received_of_type(scheduler::call::Type::Suppress)
        .len()
        > before));
}

#[test]
fn other_call_errors_are_logged_not_fatal() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = registered_driver(&master);
    master.script_calls([Answer::status(
        400,
        "Failed to validate scheduler::Call: Not a valid UUID",
    )]);
    driver.revive_offers(None).unwrap();
    sync_calls(&master, &driver);
    assert_eq!(driver.status(), Status::Running);
    assert_eq!(
        driver.last_error(),
        "",
        "a background failure is no usage error"
    );
    assert!(!log.all().contains(&Seen::Disconnected));
}

#[test]
fn connection_refused_retries_until_a_master_appears() {
    // Reserve a port, free it, start the driver, then serve on it.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (driver, log) = driver_for(&format!("127.0.0.1:{port}"), &framework_info("t"));
    driver.start();
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(driver.status(), Status::Running);
    assert!(log.all().is_empty());
    let master = FakeMaster::start_on(port, 15.0);
    assert!(log.wait_for(WAIT, is_registered));
    assert!(
        master
            .received_of_type(scheduler::call::Type::Subscribe)
            .len()
            == 1
    );
    driver.stop(true);
    assert_eq!(driver.join(), Ok(Status::Stopped));
}

#[test]
fn an_oversized_record_is_a_lost_connection() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    driver
        .set_option("recordio.max_record_bytes", "200")
        .unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    // A 1 MB length prefix: refused before any allocation, the stream is dropped.
    master.push_raw(b"1000000\n");
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    assert!(log.all().contains(&Seen::Disconnected));
}

#[test]
fn file_master_strings_are_read_at_creation() {
    let master = FakeMaster::start(15.0);
    let path = std::env::temp_dir().join(format!("mesos-sched-master-{}", std::process::id()));
    std::fs::write(&path, format!("master@{}\n", master.master_string())).unwrap();
    let (driver, log) = driver_for(&format!("file://{}", path.display()), &framework_info("t"));
    std::fs::remove_file(&path).unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
}

#[test]
fn https_to_a_plain_master_is_a_failed_attempt() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = driver_for(
        &format!("https://127.0.0.1:{}", master.port),
        &framework_info("t"),
    );
    driver.start();
    std::thread::sleep(Duration::from_millis(400));
    assert_eq!(driver.status(), Status::Running);
    assert!(log.all().is_empty());
    assert!(
        master.received().is_empty(),
        "nothing decodable reached the master"
    );
    driver.stop(true);
}

#[test]
fn tls_options_are_checked_when_set() {
    let (recorder, _) = Recorder::new();
    let driver = Driver::new(
        Box::new(recorder),
        &encode(&framework_info("t")),
        "https://127.0.0.1:1",
        None,
        true,
    )
    .unwrap();
    let not_pem = std::env::temp_dir().join(format!("mesos-sched-not-pem-{}", std::process::id()));
    std::fs::write(&not_pem, "not a certificate").unwrap();
    let err = driver
        .set_option("tls.ca_file", not_pem.to_str().unwrap())
        .unwrap_err();
    std::fs::remove_file(&not_pem).unwrap();
    assert_eq!(err.code(), -2);
    assert!(driver.last_error().contains("tls.ca_file"));
    driver.set_option("tls.verify", "false").unwrap();
    assert!(driver.set_option("tls.verify", "perhaps").is_err());
}

/// Runs in a child process (see `logs_never_contain_credentials`).
#[test]
#[ignore = "run by logs_never_contain_credentials in a child process"]
fn child_logging_run() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = registered_as_alice(&master, "hunter2-secret");
    master.script_calls([Answer::status(400, "bad call")]);
    driver.revive_offers(None).unwrap();
    // The answer first: losing the stream interrupts a call in flight.
    sync_calls(&master, &driver);
    master.close_streams();
    assert!(log.wait_for(WAIT, |s| s.contains(&Seen::Reregistered)));
    driver.stop(false);
}

#[test]
fn logs_never_contain_credentials() {
    let output = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_logging_run", "--ignored", "--nocapture"])
        .env("MESOS_SCHED_LOG", "trace")
        .env_remove("MESOS_SCHED_TEST_LOG")
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("SUBSCRIBE"), "logging is on: {stderr}");
    assert!(stderr.contains("connection to the master lost"), "{stderr}");
    assert!(stderr.contains("answered 400"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
    assert!(!stderr.contains("Basic "), "{stderr}");
    assert!(!stderr.contains("aHVudGVy"), "{stderr}");
    // Off by default: the same run without the variable prints nothing of ours.
    let quiet = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "child_logging_run", "--ignored", "--nocapture"])
        .env_remove("MESOS_SCHED_LOG")
        .env_remove("MESOS_SCHED_TEST_LOG")
        .output()
        .unwrap();
    assert!(quiet.status.success());
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("mesos-sched"));
}

#[test]
fn events_read_before_an_error_event_are_delivered_before_it() {
    let master = FakeMaster::start(15.0);
    let (mut recorder, log) = Recorder::new();
    // A slow scheduler: the events below are all read (one chunk) long before the
    // dispatcher gets to them.
    recorder.callback_delay = Duration::from_millis(30);
    let driver = fast_driver(
        &master.master_string(),
        recorder,
        &framework_info("t"),
        None,
        true,
    );
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    let message = |n: u8| scheduler::Event {
        r#type: Some(scheduler::event::Type::Message as i32),
        message: Some(scheduler::event::Message {
            agent_id: v1::AgentId { value: "a".into() },
            executor_id: v1::ExecutorId { value: "e".into() },
            data: vec![n],
        }),
        ..Default::default()
    };
    let error = scheduler::Event {
        r#type: Some(scheduler::event::Type::Error as i32),
        error: Some(scheduler::event::Error {
            message: "Framework removed".into(),
        }),
        ..Default::default()
    };
    let mut chunk = Vec::new();
    for n in 1..=3 {
        chunk.extend(fake_master::record(&message(n)));
    }
    chunk.extend(fake_master::record(&error));
    chunk.extend(fake_master::record(&message(4)));
    master.push_raw(&chunk);
    assert!(log.wait_for(WAIT, |s| s.iter().any(|s| matches!(s, Seen::Error { .. }))));
    assert_eq!(driver.join(), Ok(Status::Aborted));
    let seen: Vec<Seen> = log
        .all()
        .into_iter()
        .filter(|s| !matches!(s, Seen::Heartbeat | Seen::Registered { .. }))
        .collect();
    let expected_messages = (1..=3).map(|n| Seen::Message {
        executor_id: "e".into(),
        agent_id: "a".into(),
        data: vec![n],
    });
    let mut expected: Vec<Seen> = expected_messages.collect();
    expected.push(Seen::Error {
        message: "Framework removed".into(),
        status_during: Status::Aborted,
    });
    assert_eq!(seen, expected, "in order, nothing after the ERROR");
    // The driver stopped reading at the ERROR: no resubscription, the stream is closed.
    assert!(master.wait_open_streams(0, Duration::from_secs(2)));
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(
        master
            .received_of_type(scheduler::call::Type::Subscribe)
            .len(),
        1
    );
    // The message went to error(), not into a usage error of this thread.
    assert_eq!(driver.last_error(), "");
}

#[test]
fn a_call_without_an_answer_times_out_and_the_next_one_goes_out() {
    let master = FakeMaster::start(15.0);
    let (driver, log) = driver_for(&master.master_string(), &framework_info("t"));
    driver.set_option("request.timeout_ms", "400").unwrap();
    driver.start();
    assert!(log.wait_for(WAIT, is_registered));
    master.script_calls([Answer::hang()]);
    let sent = Instant::now();
    driver.revive_offers(None).unwrap();
    driver.suppress_offers(None).unwrap();
    let suppress = master.wait_received(WAIT, |r| {
        r.call.r#type == Some(scheduler::call::Type::Suppress as i32)
    });
    assert!(
        suppress.is_some(),
        "the call after the hanging one never left"
    );
    let waited = sent.elapsed();
    assert!(
        waited >= Duration::from_millis(300) && waited < Duration::from_secs(3),
        "{waited:?}"
    );
    assert_eq!(driver.last_error(), "");
    // The subscription itself was not affected.
    assert_eq!(master.open_streams(), 1);
    assert_eq!(driver.status(), Status::Running);
    driver.stop(true);
}
