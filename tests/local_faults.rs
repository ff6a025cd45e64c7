//! Fault injection, several masters, authentication: each observable from a raw client.

mod local_common;
use local_common::*;
use mesos_sched::local::{LocalCluster, LocalConfig};
use mesos_sched::proto::scheduler::{call, event, Call, Event};
use mesos_sched::proto::v1;
use mesos_sched::recordio::Decoder;
use prost::Message;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

fn kept(name: &str) -> v1::FrameworkInfo {
    let mut info = framework_info(name);
    info.failover_timeout = Some(3600.0);
    info
}

/// A raw SUBSCRIBE over a plain socket: returns the socket after the response head.
fn raw_subscribe(base: &str, info: v1::FrameworkInfo) -> (TcpStream, String) {
    let addr = base.trim_start_matches("http://");
    let mut socket = TcpStream::connect(addr).unwrap();
    let body = subscribe_call(info).encode_to_vec();
    write!(
        socket,
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/x-protobuf\r\nAccept: application/x-protobuf\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    socket.write_all(&body).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        socket.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    (socket, String::from_utf8(head).unwrap())
}

/// Reads until EOF or error; returns (bytes, error kind if any).
fn read_all(socket: &mut TcpStream) -> (Vec<u8>, Option<std::io::ErrorKind>) {
    let mut all = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match socket.read(&mut buf) {
            Ok(0) => return (all, None),
            Ok(n) => all.extend_from_slice(&buf[..n]),
            Err(e) => return (all, Some(e.kind())),
        }
    }
}

#[test]
fn close_reset_and_cut_streams() {
    let cluster = start(config());
    let base = cluster.leader_url();
    // Clean close: the chunked terminator, then EOF.
    let (mut socket, head) = raw_subscribe(&base, kept("close"));
    assert!(head.starts_with("HTTP/1.1 200 OK"));
    std::thread::sleep(Duration::from_millis(100));
    cluster.close_streams();
    let (bytes, error) = read_all(&mut socket);
    assert!(error.is_none());
    assert!(bytes.ends_with(b"0\r\n\r\n"), "terminator");
    assert!(cluster.wait_until(SECS5, |s| s["frameworks"][0]["connected"] == false));
    // Reset: ECONNRESET at the client.
    let (mut socket, _) = raw_subscribe(&base, kept("reset"));
    std::thread::sleep(Duration::from_millis(100));
    cluster.reset_streams();
    let (_, error) = read_all(&mut socket);
    assert_eq!(error, Some(std::io::ErrorKind::ConnectionReset));
    // Cut: a truncated record and no terminator; the RecordIO decoder reports it.
    let mut s = Stream::subscribe(&base, kept("cut"));
    s.expect(event::Type::Heartbeat, SECS5);
    cluster.cut_streams_mid_record();
    s.drain_to_end(SECS5);
    assert!(s.ended);
    assert!(s.error.is_some(), "truncated stream reported");
    // The master still serves and the frameworks are only disconnected.
    assert_eq!(cluster.framework_ids().len(), 3);
    assert!(cluster.wait_until(SECS5, |st| st["frameworks"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["connected"] == false)));
}

#[test]
fn stall_keeps_the_connection_silent_and_split_chunks_still_decode() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut s = Stream::subscribe(&base, kept("stall"));
    s.expect(event::Type::Heartbeat, SECS5);
    cluster.stall_streams(true);
    // Drain what was already in flight, then silence for > 2 heartbeat intervals.
    while s.next(Duration::from_millis(200)).is_some() {}
    let silent_from = Instant::now();
    assert!(s.next(Duration::from_millis(1300)).is_none());
    assert!(!s.ended, "connection still open");
    assert!(silent_from.elapsed() >= Duration::from_millis(1200));
    cluster.stall_streams(false);
    s.expect(event::Type::Heartbeat, SECS5);
    // Split: every record crosses chunk boundaries; the decoder reassembles.
    cluster.split_chunks(true);
    let mut info = kept("split");
    info.id = s.fid();
    let mut t = Stream::open(&base, &subscribe_call(info), JSON, None);
    assert_eq!(t.status, 200);
    t.offers(SECS5);
    t.expect(event::Type::Heartbeat, SECS5);
    assert!(t.error.is_none());
    cluster.split_chunks(false);
}

#[test]
fn fail_and_delay_calls_then_no_leader_window() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let url = scheduler_url(&base);
    let body = encode_call(&subscribe_call(framework_info("f")), PROTOBUF);
    cluster.fail_calls(503, Duration::from_millis(400));
    assert_eq!(post(&url, Some(PROTOBUF), &[], &body).status, 503);
    // Refused calls are recorded too.
    assert_eq!(
        cluster.received_calls(),
        vec![(PROTOBUF.to_string(), body.clone())]
    );
    std::thread::sleep(Duration::from_millis(450));
    let s = Stream::subscribe(&base, framework_info("f"));
    cluster.fail_calls(500, Duration::from_millis(300));
    let revive = Call {
        framework_id: s.fid(),
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    assert_eq!(s.call(&revive, PROTOBUF).status, 500);
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(s.call(&revive, PROTOBUF).status, 202);
    cluster.delay_calls(Duration::from_millis(300), Duration::from_secs(1));
    let before = Instant::now();
    assert_eq!(s.call(&revive, PROTOBUF).status, 202);
    assert!(before.elapsed() >= Duration::from_millis(290));
    std::thread::sleep(Duration::from_secs(1));
    cluster.no_leader_for(Duration::from_millis(300));
    let reply = post(&url, Some(PROTOBUF), &[], &body);
    assert_eq!(
        (reply.status, reply.text().as_str()),
        (503, "No leader elected")
    );
    std::thread::sleep(Duration::from_millis(350));
    assert_eq!(s.call(&revive, PROTOBUF).status, 202);
}

#[test]
fn inject_error_event_and_raw_bytes() {
    let cluster = start(config());
    let base = cluster.leader_url();
    // Injected event (protobuf stream) and the same as JSON on a JSON stream.
    let mut p = Stream::subscribe(&base, kept("p"));
    let mut j = Stream::open(&base, &subscribe_call(kept("j")), JSON, None);
    j.expect(event::Type::Subscribed, SECS5);
    let msg = Event {
        r#type: Some(event::Type::Message as i32),
        message: Some(event::Message {
            agent_id: v1::AgentId { value: "a".into() },
            executor_id: v1::ExecutorId { value: "e".into() },
            data: b"injected".to_vec(),
        }),
        ..Default::default()
    };
    cluster.inject_event(&p.framework_id, &msg.encode_to_vec());
    cluster.inject_event(&j.framework_id, &msg.encode_to_vec());
    assert_eq!(
        p.expect(event::Type::Message, SECS5).message.unwrap().data,
        b"injected"
    );
    assert_eq!(
        j.expect(event::Type::Message, SECS5).message.unwrap().data,
        b"injected"
    );
    let raw = j.raw_records.last().unwrap();
    let json: serde_json::Value = serde_json::from_slice(raw).unwrap();
    assert_eq!(json["message"]["data"], "aW5qZWN0ZWQ=");
    // Raw garbage into the body: the client's RecordIO decoder fails.
    cluster.inject_raw(&p.framework_id, b"xyz\n");
    p.drain_to_end(SECS5);
    assert!(
        p.error.as_deref().unwrap_or("").contains("RecordIO"),
        "{:?}",
        p.error
    );
    // ERROR to everybody, then EOF.
    cluster.inject_error("injected failure");
    let events = j.drain_to_end(SECS5);
    assert_eq!(
        events.last().unwrap().error.as_ref().unwrap().message,
        "injected failure"
    );
    assert!(j.ended && j.error.is_none());
}

#[test]
fn lose_agent_tasks_lost_failure_and_rescind() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut s = Stream::subscribe(&base, kept("plain"));
    let info = with_capabilities(
        kept("pa"),
        &[v1::framework_info::capability::Type::PartitionAware],
    );
    let mut pa = Stream::subscribe(&base, info);
    let offers = s.offers(SECS5);
    // s holds both agents' offers; launch on one, keep the other outstanding.
    let used = &offers[0];
    let outstanding = &offers[1];
    launch(
        &s,
        &[used],
        vec![command_task("doomed", used, "sleep 30", 0.5)],
    );
    s.update_acked("doomed", SECS5);
    s.update_acked("doomed", SECS5);
    let _ = pa.next(Duration::from_millis(100));
    cluster.lose_agent(&outstanding.agent_id.value);
    let rescind = s.expect(event::Type::Rescind, SECS5).rescind.unwrap();
    assert_eq!(rescind.offer_id, outstanding.id);
    let failure = s.expect(event::Type::Failure, SECS5).failure.unwrap();
    assert_eq!(failure.agent_id.unwrap(), outstanding.agent_id);
    assert!(failure.executor_id.is_none());
    assert_eq!(
        pa.expect(event::Type::Failure, SECS5)
            .failure
            .unwrap()
            .agent_id
            .unwrap(),
        outstanding.agent_id
    );
    cluster.lose_agent(&used.agent_id.value);
    let lost = s.expect_update("doomed", SECS5);
    assert_eq!(state_of(&lost), v1::TaskState::TaskLost);
    assert_eq!(
        lost.reason,
        Some(v1::task_status::Reason::AgentRemoved as i32)
    );
    assert_eq!(lost.source, Some(v1::task_status::Source::Master as i32));
    assert!(lost.uuid.is_none());
    assert_eq!(cluster.agent_ids().len(), 0);
    // Reconciling a task on a removed agent.
    pa.send(call::Type::Reconcile, |c| {
        c.reconcile = Some(call::Reconcile {
            tasks: vec![call::reconcile::Task {
                task_id: v1::TaskId {
                    value: "gone".into(),
                },
                agent_id: Some(used.agent_id.clone()),
            }],
        })
    });
    let r = pa.expect_update("gone", SECS5);
    assert_eq!(state_of(&r), v1::TaskState::TaskUnreachable);
}

#[test]
fn several_masters_redirect_and_leader_change() {
    let cluster = start(LocalConfig {
        masters: 3,
        ..config()
    });
    let urls = cluster.master_urls();
    assert_eq!(urls.len(), 3);
    let ports: Vec<u16> = urls
        .iter()
        .map(|u| u.rsplit(':').next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(ports[1], ports[0] + 1);
    assert_eq!(ports[2], ports[0] + 2);
    assert_eq!(cluster.leader_url(), urls[0]);
    let body = encode_call(&subscribe_call(framework_info("m")), PROTOBUF);
    for url in &urls[1..] {
        let reply = post(
            &format!("{url}/api/v1/scheduler"),
            Some(PROTOBUF),
            &[],
            &body,
        );
        assert_eq!(reply.status, 307);
        assert_eq!(
            reply.header("Location").unwrap(),
            format!("//127.0.0.1:{}/master/api/v1/scheduler", ports[0])
        );
    }
    let mut s = Stream::subscribe(&urls[0], kept("m"));
    let offers = s.offers(SECS5);
    launch(
        &s,
        &[&offers[0]],
        vec![command_task("survivor", &offers[0], "sleep 30", 0.5)],
    );
    s.update_acked("survivor", SECS5);
    s.update_acked("survivor", SECS5);
    cluster.change_leader(2);
    s.drain_to_end(SECS5);
    assert!(s.ended, "old leader closed the stream");
    let reply = post(
        &format!("{}/api/v1/scheduler", urls[0]),
        Some(PROTOBUF),
        &[],
        &body,
    );
    assert_eq!(reply.status, 307);
    assert!(reply
        .header("Location")
        .unwrap()
        .contains(&ports[2].to_string()));
    // Re-subscribe with the id on the new leader (at the path the Location names).
    let mut info = kept("m");
    info.id = s.fid();
    let mut again = Stream::open(
        &format!("{}/master", urls[2]),
        &subscribe_call(info),
        PROTOBUF,
        Some(PROTOBUF),
    );
    assert_eq!(again.status, 200);
    assert_eq!(again.framework_id, s.framework_id);
    again.send(call::Type::Reconcile, |c| {
        c.reconcile = Some(call::Reconcile::default())
    });
    let r = again.expect_update("survivor", SECS5);
    assert_eq!(state_of(&r), v1::TaskState::TaskRunning);
    // ZooKeeper hook pieces.
    let json = cluster.master_info_json(2);
    assert_eq!(json["port"], ports[2]);
    assert_eq!(json["ip"], 16777343);
    assert_eq!(json["pid"], format!("master@127.0.0.1:{}", ports[2]));
    assert_eq!(json["address"]["ip"], "127.0.0.1");
    cluster.set_leader(None);
    assert_eq!(
        post(
            &format!("{}/api/v1/scheduler", urls[2]),
            Some(PROTOBUF),
            &[],
            &body
        )
        .status,
        503
    );
    cluster.set_leader(Some(1));
    cluster.stop_master(0);
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        TcpStream::connect(urls[0].trim_start_matches("http://")).is_err() || {
            // A connection may still be accepted by the closing listener; no answer follows.
            let r = ureq_quick(&urls[0]);
            r.is_none()
        }
    );
    let mut on_new = Stream::open(
        &urls[1],
        &subscribe_call(kept("m2")),
        PROTOBUF,
        Some(PROTOBUF),
    );
    assert_eq!(on_new.status, 200);
    on_new.expect(event::Type::Subscribed, SECS5);
}

fn ureq_quick(base: &str) -> Option<u16> {
    agent(Some(Duration::from_millis(500)))
        .get(format!("{base}/health"))
        .call()
        .ok()
        .map(|r| r.status().as_u16())
}

#[test]
fn basic_authentication() {
    let cluster = start(LocalConfig {
        authenticate: Some(("principal".into(), "s3cret".into())),
        ..config()
    });
    let url = scheduler_url(&cluster.leader_url());
    let body = encode_call(&subscribe_call(framework_info("auth")), PROTOBUF);
    let reply = post(&url, Some(PROTOBUF), &[], &body);
    assert_eq!(reply.status, 401);
    assert_eq!(
        reply.header("WWW-Authenticate"),
        Some("Basic realm=\"mesos\"")
    );
    let wrong = format!(
        "Basic {}",
        mesos_sched::local::protojson::base64_encode(b"principal:nope")
    );
    assert_eq!(
        post(&url, Some(PROTOBUF), &[("Authorization", &wrong)], &body).status,
        401
    );
    let good = format!(
        "Basic {}",
        mesos_sched::local::protojson::base64_encode(b"principal:s3cret")
    );
    let mut s = Stream::open_with(
        &cluster.leader_url(),
        &subscribe_call(framework_info("auth")),
        PROTOBUF,
        Some(PROTOBUF),
        &[("Authorization", &good)],
    );
    assert_eq!(s.status, 200);
    s.expect(event::Type::Subscribed, SECS5);
    // The principal was filled in from the credential.
    assert_eq!(
        cluster.state_json()["frameworks"][0]["principal"],
        "principal"
    );
    // A FrameworkInfo principal differing from the credential: 400.
    let mut info = framework_info("other");
    info.principal = Some("someone-else".into());
    let reply = post(
        &url,
        Some(PROTOBUF),
        &[("Authorization", &good)],
        &subscribe_call(info).encode_to_vec(),
    );
    assert_eq!(reply.status, 400);
    assert!(reply.text().contains("does not match principal"));
    assert_eq!(get(&format!("{}/state", cluster.leader_url())).status, 401);
    assert_eq!(get(&format!("{}/health", cluster.leader_url())).status, 200);
}

#[test]
fn decoded_stream_with_the_project_decoder() {
    // Read the raw chunked body with the project's RecordIO decoder, byte by byte.
    let cluster = start(config());
    let (mut socket, head) = raw_subscribe(&cluster.leader_url(), kept("dec"));
    assert!(head.contains("Transfer-Encoding: chunked"));
    assert!(head.contains("Content-Type: application/x-protobuf"));
    let mut decoder = Decoder::default();
    let mut records = Vec::new();
    let mut chunked = Vec::new();
    let mut buf = [0u8; 1];
    // Undo the chunked framing by hand.
    while records.len() < 3 {
        let mut size_line = Vec::new();
        while !size_line.ends_with(b"\r\n") {
            socket.read_exact(&mut buf).unwrap();
            size_line.push(buf[0]);
        }
        let size = usize::from_str_radix(
            std::str::from_utf8(&size_line[..size_line.len() - 2]).unwrap(),
            16,
        )
        .unwrap();
        let mut data = vec![0u8; size + 2];
        socket.read_exact(&mut data).unwrap();
        chunked.extend_from_slice(&data[..size]);
        for byte in &data[..size] {
            decoder
                .feed(std::slice::from_ref(byte), &mut records)
                .unwrap();
        }
    }
    let kinds: Vec<i32> = records
        .iter()
        .map(|r| Event::decode(r.as_ref()).unwrap().r#type.unwrap())
        .collect();
    assert_eq!(kinds[0], event::Type::Subscribed as i32);
    assert_eq!(kinds[1], event::Type::Heartbeat as i32);
    assert_eq!(kinds[2], event::Type::Offers as i32);
}

/// A raw keep-alive connection that has had one answered request.
fn keep_alive_connection(addr: &str) -> TcpStream {
    let mut socket = TcpStream::connect(addr).unwrap();
    write!(socket, "GET /health HTTP/1.1\r\nHost: {addr}\r\n\r\n").unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\nOK") {
        socket.read_exact(&mut byte).unwrap();
        head.push(byte[0]);
    }
    socket
}

/// A raw connection whose scheduler call is in progress (held by `delay_calls`).
fn in_flight_call(addr: &str) -> TcpStream {
    let mut socket = TcpStream::connect(addr).unwrap();
    let body = b"{}";
    write!(
        socket,
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .unwrap();
    socket.write_all(body).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    socket
}

/// An idle keep-alive connection and a call held in flight by `delay_calls`, both on
/// `addr`, once the call has reached its delay.
fn idle_and_in_flight(cluster: &LocalCluster, addr: &str) -> (TcpStream, TcpStream) {
    let idle = keep_alive_connection(addr);
    cluster.delay_calls(Duration::from_secs(8), Duration::from_secs(20));
    let slow = in_flight_call(addr);
    // Let the slow call reach its delay.
    std::thread::sleep(Duration::from_millis(200));
    (idle, slow)
}

/// Time until the peer closes the connection (EOF or reset), without any answer bytes.
fn time_to_close(socket: &mut TcpStream, since: Instant) -> Duration {
    let (bytes, _) = read_all(socket);
    assert!(
        bytes.is_empty(),
        "unexpected answer: {:?}",
        String::from_utf8_lossy(&bytes)
    );
    since.elapsed()
}

#[test]
fn stopped_master_closes_open_connections_at_once() {
    let cluster = start(LocalConfig {
        masters: 2,
        ..config()
    });
    let urls = cluster.master_urls();
    let addr = urls[0].trim_start_matches("http://").to_string();
    let (mut idle, mut slow) = idle_and_in_flight(&cluster, &addr);
    let stopped = Instant::now();
    cluster.stop_master(0);
    let idle_closed = time_to_close(&mut idle, stopped);
    assert!(idle_closed < Duration::from_secs(1), "{idle_closed:?}");
    assert!(time_to_close(&mut slow, stopped) < Duration::from_secs(1));
    // The other master still serves.
    assert_eq!(get(&format!("{}/health", urls[1])).status, 200);
}

#[test]
fn shutdown_closes_open_connections_at_once() {
    let cluster = start(config());
    let addr = cluster
        .leader_url()
        .trim_start_matches("http://")
        .to_string();
    let (mut idle, mut slow) = idle_and_in_flight(&cluster, &addr);
    let stopped = Instant::now();
    let shutdown = std::thread::spawn(move || cluster.shutdown());
    assert!(time_to_close(&mut idle, stopped) < Duration::from_secs(1));
    assert!(time_to_close(&mut slow, stopped) < Duration::from_secs(1));
    shutdown.join().unwrap();
}

#[test]
fn leader_change_closes_the_old_leaders_connections() {
    let cluster = start(LocalConfig {
        masters: 2,
        ..config()
    });
    let urls = cluster.master_urls();
    let addr = urls[0].trim_start_matches("http://").to_string();
    let mut idle = keep_alive_connection(&addr);
    let changed = Instant::now();
    cluster.change_leader(1);
    assert!(time_to_close(&mut idle, changed) < Duration::from_secs(1));
    // The old leader still answers new connections, with a redirect.
    let reply = post(&scheduler_url(&urls[0]), Some(JSON), &[], b"{}");
    assert_eq!(reply.status, 307);
}
