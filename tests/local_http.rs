//! HTTP conformance of the local master's scheduler endpoint: status codes, headers and
//! verbatim bodies as a real Mesos 1.12 master answers them, protobuf and JSON.

mod local_common;
use local_common::*;
use mesos_sched::proto::scheduler::{call, event, Call};
use mesos_sched::proto::v1;
use prost::Message;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

#[test]
fn method_content_type_and_parse_errors() {
    let cluster = start(config());
    let url = scheduler_url(&cluster.leader_url());
    for path in ["/api/v1/scheduler", "/master/api/v1/scheduler"] {
        let reply = get(&format!("{}{path}", cluster.leader_url()));
        assert_eq!(reply.status, 405);
        assert_eq!(reply.header("Allow"), Some("POST"));
    }
    let reply = post(&url, None, &[], b"{}");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.text(), "Expecting 'Content-Type' to be present");
    let reply = post(&url, Some("text/plain"), &[], b"{}");
    assert_eq!(reply.status, 415);
    assert_eq!(
        reply.text(),
        "Expecting 'Content-Type' of application/json or application/x-protobuf"
    );
    // Parameters are not allowed: exact match only.
    let reply = post(&url, Some("application/json; charset=utf-8"), &[], b"{}");
    assert_eq!(reply.status, 415);
    let reply = post(&url, Some(JSON), &[], b"{not json");
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().starts_with("Failed to parse body into JSON"),
        "{}",
        reply.text()
    );
    let reply = post(&url, Some(PROTOBUF), &[], b"\xff\xff\xff\xff");
    assert_eq!(reply.status, 400);
    assert_eq!(reply.text(), "Failed to parse body into Call protobuf");
    // JSON of the wrong shape.
    let reply = post(&url, Some(JSON), &[], br#"{"type": "NOT_A_TYPE"}"#);
    assert_eq!(reply.status, 400);
    assert!(reply
        .text()
        .starts_with("Failed to convert JSON into Call protobuf"));
    let reply = post(
        &url,
        Some(JSON),
        &[],
        br#"{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u"}}}"#,
    );
    assert_eq!(reply.status, 400);
    assert!(
        reply.text().contains("framework_info.name"),
        "{}",
        reply.text()
    );
    // Missing type / sub-message.
    let reply = post(&url, Some(JSON), &[], b"{}");
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "Failed to validate scheduler::Call: Expecting 'type' to be present"
    );
    let reply = post(&url, Some(JSON), &[], br#"{"type":"SUBSCRIBE"}"#);
    assert_eq!(
        reply.text(),
        "Failed to validate scheduler::Call: Expecting 'subscribe' to be present"
    );
    let reply = post(&url, Some(JSON), &[], br#"{"type":"TEARDOWN"}"#);
    assert_eq!(
        reply.text(),
        "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"
    );
    // Protobuf with a required field missing: type=SUBSCRIBE, subscribe={}.
    let reply = post(&url, Some(PROTOBUF), &[], &[0x10, 0x01, 0x1a, 0x00]);
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "Failed to validate scheduler::Call: Not initialized: subscribe.framework_info"
    );
    // Health and 404.
    let reply = get(&format!("{}/health", cluster.leader_url()));
    assert_eq!((reply.status, reply.text().as_str()), (200, "OK"));
    assert_eq!(get(&format!("{}/nope", cluster.leader_url())).status, 404);
}

#[test]
fn subscribe_headers_and_first_events_in_both_encodings() {
    let cluster = start(config());
    let base = cluster.leader_url();
    for (content_type, accept, expected) in [
        (JSON, None, JSON),
        (JSON, Some("*/*"), JSON),
        (PROTOBUF, Some(PROTOBUF), PROTOBUF),
        (
            PROTOBUF,
            Some("application/x-protobuf, application/json;q=0.5"),
            JSON,
        ),
        (JSON, Some("application/*"), JSON),
    ] {
        let mut stream = Stream::open(
            &base,
            &subscribe_call(framework_info("h")),
            content_type,
            accept,
        );
        assert_eq!(stream.status, 200);
        assert_eq!(stream.content_type, expected, "accept {accept:?}");
        assert_eq!(stream.stream_id.len(), 36);
        assert_eq!(stream.stream_id.as_bytes()[14], b'4', "UUID v4");
        let subscribed = stream
            .expect(event::Type::Subscribed, SECS5)
            .subscribed
            .unwrap();
        assert_eq!(subscribed.heartbeat_interval_seconds, Some(0.5));
        let info = subscribed.master_info.unwrap();
        assert_eq!(info.ip, 16777343);
        assert_eq!(info.version.as_deref(), Some("1.12.0"));
        assert_eq!(info.pid.unwrap(), format!("master@127.0.0.1:{}", info.port));
        assert_eq!(info.address.unwrap().ip.as_deref(), Some("127.0.0.1"));
        // SUBSCRIBED is followed at once by a HEARTBEAT.
        let next = stream.next(SECS5).unwrap();
        assert_eq!(next.r#type, Some(event::Type::Heartbeat as i32));
        // ... and heartbeats keep coming.
        stream.expect(event::Type::Heartbeat, Duration::from_secs(2));
        assert!(stream
            .headers
            .iter()
            .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v == "chunked"));
    }
    // Unacceptable Accept.
    let reply = post(
        &scheduler_url(&base),
        Some(JSON),
        &[("Accept", "text/html")],
        &encode_call(&subscribe_call(framework_info("x")), JSON),
    );
    assert_eq!(reply.status, 406);
    // SUBSCRIBE carrying a stream id.
    let reply = post(
        &scheduler_url(&base),
        Some(JSON),
        &[("Mesos-Stream-Id", "abc")],
        &encode_call(&subscribe_call(framework_info("x")), JSON),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "Subscribe calls should not include the 'Mesos-Stream-Id' header"
    );
    // framework_id differing from framework_info.id.
    let mut c = subscribe_call(framework_info("x"));
    c.framework_id = Some(v1::FrameworkId {
        value: "other".into(),
    });
    let reply = post(
        &scheduler_url(&base),
        Some(PROTOBUF),
        &[],
        &c.encode_to_vec(),
    );
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "Failed to validate scheduler::Call: 'framework_id' differs from 'subscribe.framework_info.id'"
    );
}

#[test]
fn call_errors_stream_id_unknown_framework_and_bad_uuid() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let stream = Stream::subscribe(&base, framework_info("calls"));
    let url = scheduler_url(&base);
    let revive = Call {
        framework_id: stream.fid(),
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    for ct in [PROTOBUF, JSON] {
        // No stream id.
        let reply = post(&url, Some(ct), &[], &encode_call(&revive, ct));
        assert_eq!(reply.status, 400);
        assert_eq!(
            reply.text(),
            "All non-subscribe calls should include the 'Mesos-Stream-Id' header"
        );
        // Stale stream id.
        let reply = post(
            &url,
            Some(ct),
            &[("Mesos-Stream-Id", "00000000-0000-4000-8000-000000000000")],
            &encode_call(&revive, ct),
        );
        assert_eq!(reply.status, 400);
        assert!(reply.text().starts_with("The stream ID '00000000-0000-4000-8000-000000000000' included in this request didn't match"));
        // Good call.
        let reply = stream.call(&revive, ct);
        assert_eq!(reply.status, 202);
        assert!(reply.body.is_empty());
        // Unknown framework.
        let mut unknown = revive.clone();
        unknown.framework_id = Some(v1::FrameworkId {
            value: "nope".into(),
        });
        let reply = post(
            &url,
            Some(ct),
            &[("Mesos-Stream-Id", &stream.stream_id)],
            &encode_call(&unknown, ct),
        );
        assert_eq!(reply.status, 400);
        assert_eq!(reply.text(), "Framework cannot be found");
        // Acknowledge with a uuid that is not 16 bytes.
        let reply = stream.send(call::Type::Acknowledge, |c| {
            c.acknowledge = Some(call::Acknowledge {
                agent_id: v1::AgentId { value: "a".into() },
                task_id: v1::TaskId { value: "t".into() },
                uuid: b"short".to_vec(),
            })
        });
        assert_eq!(reply.status, 400);
        assert_eq!(
            reply.text(),
            "Failed to validate scheduler::Call: Not a valid UUID"
        );
        // Acknowledge with an unknown (valid) uuid: ignored, 202.
        let reply = stream.send(call::Type::Acknowledge, |c| {
            c.acknowledge = Some(call::Acknowledge {
                agent_id: v1::AgentId { value: "a".into() },
                task_id: v1::TaskId { value: "t".into() },
                uuid: vec![7u8; 16],
            })
        });
        assert_eq!(reply.status, 202);
    }
    // Sub-message missing.
    let reply = stream.send(call::Type::Kill, |_| {});
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.text(),
        "Failed to validate scheduler::Call: Expecting 'kill' to be present"
    );
    // UNKNOWN call type: 501.
    let reply = stream.send(call::Type::Unknown, |_| {});
    assert_eq!(reply.status, 501);
    // The calls were recorded raw, oldest first.
    let calls = cluster.received_calls();
    assert!(calls.len() >= 10);
    assert_eq!(calls[0].0, PROTOBUF);
    assert!(
        call::Type::Subscribe as i32
            == Call::decode(calls[0].1.as_slice()).unwrap().r#type.unwrap()
    );
}

#[test]
fn not_subscribed_after_stream_closes_with_failover_timeout() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut info = framework_info("fo");
    info.failover_timeout = Some(60.0);
    let stream = Stream::subscribe(&base, info);
    let id = stream.framework_id.clone();
    let stream_id = stream.stream_id.clone();
    drop(stream);
    assert!(cluster.wait_until(SECS5, |s| s["frameworks"][0]["connected"] == false));
    let revive = Call {
        framework_id: Some(v1::FrameworkId { value: id.clone() }),
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    let reply = post(
        &scheduler_url(&base),
        Some(PROTOBUF),
        &[("Mesos-Stream-Id", &stream_id)],
        &revive.encode_to_vec(),
    );
    assert_eq!(reply.status, 403);
    assert_eq!(reply.text(), "Framework is not subscribed");
    assert_eq!(cluster.framework_ids(), vec![id]);
}

#[test]
fn garbage_huge_and_slow_clients_do_not_take_the_master_down() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let addr = base.trim_start_matches("http://").to_string();
    // Slow clients: connections that send half a request and then nothing.
    let mut slow = Vec::new();
    for _ in 0..20 {
        let mut s = TcpStream::connect(&addr).unwrap();
        s.write_all(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"ty").unwrap();
        slow.push(s);
    }
    // Raw garbage.
    let mut g = TcpStream::connect(&addr).unwrap();
    g.write_all(b"\x00\x01\x02garbage\r\n\r\n").unwrap();
    let _ = g.set_read_timeout(Some(Duration::from_secs(2)));
    let mut sink = Vec::new();
    let _ = g.read_to_end(&mut sink);
    // A declared body beyond the limit: 413 before anything is read.
    let mut big = TcpStream::connect(&addr).unwrap();
    big.write_all(b"POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-protobuf\r\nContent-Length: 200000000\r\n\r\n").unwrap();
    big.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let mut answer = [0u8; 12];
    big.read_exact(&mut answer).unwrap();
    assert_eq!(&answer, b"HTTP/1.1 413");
    // A large garbage protobuf body (1 MiB) is a clean 400.
    let junk: Vec<u8> = (0..(1 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    let reply = post(&scheduler_url(&base), Some(PROTOBUF), &[], &junk);
    assert_eq!(reply.status, 400);
    // The master still serves.
    let stream = Stream::subscribe(&base, framework_info("alive"));
    assert_eq!(stream.status, 200);
    assert_eq!(get(&format!("{base}/health")).status, 200);
    drop(slow);
}

#[test]
fn state_document() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let stream = Stream::subscribe(&base, framework_info("stateful"));
    let reply = get(&format!("{base}/state"));
    assert_eq!(reply.status, 200);
    let state: serde_json::Value = serde_json::from_slice(&reply.body).unwrap();
    assert_eq!(state["frameworks"][0]["id"], stream.framework_id.as_str());
    assert_eq!(state["agents"].as_array().unwrap().len(), 2);
    assert_eq!(state["agents"][0]["resources"]["cpus"], 4.0);
    assert_eq!(state, {
        let mut s = cluster.state_json();
        // Same document (offers may not change in between).
        s["frameworks"][0]["offers"] = state["frameworks"][0]["offers"].clone();
        s
    });
    assert_eq!(cluster.agent_ids().len(), 2);
}
