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
    // The in-process document is the same one (same keys, same framework and agents).
    let local = cluster.state_json();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&local), keys(&state));
    assert_eq!(local["frameworks"][0]["id"], state["frameworks"][0]["id"]);
    assert_eq!(local["agents"], state["agents"]);
    assert_eq!(
        state["frameworks"][0]["offers"].as_array().unwrap().len(),
        2
    );
    assert_eq!(cluster.agent_ids().len(), 2);
}

/// A whole flow with hand-written JSON, as a JSON-only client (pymesos, curl) sends it:
/// base64 bytes, enum names, int64 as strings, lowerCamelCase keys.
#[test]
fn json_only_client_flow() {
    use serde_json::{json, Value};
    let cluster = start(config());
    let base = cluster.leader_url();
    let url = scheduler_url(&base);
    let subscribe = json!({
        "type": "SUBSCRIBE",
        "subscribe": {"framework_info": {"user": "u", "name": "json", "failover_timeout": 60,
                      "capabilities": [{"type": "TASK_KILLING_STATE"}]}}
    });
    let response = agent(Some(Duration::from_secs(5)))
        .post(&url)
        .header("Content-Type", JSON)
        .send(&serde_json::to_vec(&subscribe).unwrap()[..])
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let stream_id = response
        .headers()
        .get("Mesos-Stream-Id")
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mut reader = response.into_body().into_reader();
    let mut decoder = mesos_sched::recordio::Decoder::default();
    let mut events: std::collections::VecDeque<Value> = Default::default();
    let mut next = |events: &mut std::collections::VecDeque<Value>| -> Value {
        loop {
            if let Some(e) = events.pop_front() {
                return e;
            }
            let mut buf = [0u8; 8192];
            let n = reader.read(&mut buf).unwrap();
            assert!(n > 0, "stream open");
            let mut records = Vec::new();
            decoder.feed(&buf[..n], &mut records).unwrap();
            for r in records {
                events.push_back(serde_json::from_slice(&r).unwrap());
            }
        }
    };
    let subscribed = next(&mut events);
    assert_eq!(subscribed["type"], "SUBSCRIBED");
    let framework_id = subscribed["subscribed"]["framework_id"]["value"]
        .as_str()
        .unwrap()
        .to_string();
    let offer = loop {
        let e = next(&mut events);
        if e["type"] == "OFFERS" {
            break e["offers"]["offers"][0].clone();
        }
    };
    let call = |body: Value| {
        post(
            &url,
            Some(JSON),
            &[("Mesos-Stream-Id", &stream_id)],
            &serde_json::to_vec(&body).unwrap(),
        )
    };
    let reply = call(json!({
        "frameworkId": {"value": framework_id},
        "type": "ACCEPT",
        "accept": {
            "offerIds": [offer["id"]],
            "operations": [{"type": "LAUNCH", "launch": {"taskInfos": [{
                "name": "j", "taskId": {"value": "j"}, "agentId": offer["agent_id"],
                "resources": [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.5}}],
                "command": {"value": "sleep 30"},
                "data": "AAEC",
                "killPolicy": {"gracePeriod": {"nanoseconds": "100000000"}}
            }]}}],
            "filters": {"refuse_seconds": 0}
        }
    }));
    assert_eq!(reply.status, 202, "{}", reply.text());
    let mut ack_next = |events: &mut std::collections::VecDeque<Value>| -> Value {
        loop {
            let e = next(events);
            if e["type"] == "UPDATE" {
                let status = e["update"]["status"].clone();
                if let Some(uuid) = status.get("uuid") {
                    let reply = call(json!({
                        "framework_id": {"value": framework_id}, "type": "ACKNOWLEDGE",
                        "acknowledge": {"agent_id": status["agent_id"], "task_id": status["task_id"], "uuid": uuid}
                    }));
                    assert_eq!(reply.status, 202, "{}", reply.text());
                }
                return status;
            }
        }
    };
    assert_eq!(ack_next(&mut events)["state"], "TASK_STARTING");
    let running = ack_next(&mut events);
    assert_eq!(running["state"], "TASK_RUNNING");
    assert_eq!(running["source"], "SOURCE_EXECUTOR");
    assert_eq!(
        running["uuid"].as_str().unwrap().len(),
        24,
        "16 bytes in base64"
    );
    let reply = call(
        json!({"framework_id": {"value": framework_id}, "type": "KILL",
                            "kill": {"task_id": {"value": "j"}}}),
    );
    assert_eq!(reply.status, 202);
    assert_eq!(ack_next(&mut events)["state"], "TASK_KILLING");
    assert_eq!(ack_next(&mut events)["state"], "TASK_KILLED");
}

/// Random and mutated bodies (protobuf and JSON) from a subscribed framework: every
/// answer is a 2xx/4xx/501, never a 500 or a dropped connection, and the master serves on.
#[test]
fn random_and_mutated_calls_never_break_the_master() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let url = scheduler_url(&base);
    let mut s = Stream::subscribe(&base, framework_info("fuzz"));
    let offers = s.offers(SECS5);
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    // Valid calls of every kind, to mutate.
    let fid = s.fid();
    let agent = offers[0].agent_id.clone();
    let samples: Vec<Call> = vec![
        {
            let mut c = Call {
                framework_id: fid.clone(),
                r#type: Some(call::Type::Accept as i32),
                ..Default::default()
            };
            c.accept = Some(call::Accept {
                offer_ids: vec![offers[0].id.clone()],
                operations: vec![v1::offer::Operation {
                    r#type: Some(v1::offer::operation::Type::Launch as i32),
                    launch: Some(v1::offer::operation::Launch {
                        task_infos: vec![command_task("f", &offers[0], "true", 0.1)],
                    }),
                    ..Default::default()
                }],
                filters: None,
            });
            c
        },
        Call {
            framework_id: fid.clone(),
            r#type: Some(call::Type::Kill as i32),
            kill: Some(call::Kill {
                task_id: v1::TaskId { value: "f".into() },
                agent_id: Some(agent.clone()),
                kill_policy: None,
            }),
            ..Default::default()
        },
        Call {
            framework_id: fid.clone(),
            r#type: Some(call::Type::Reconcile as i32),
            reconcile: Some(call::Reconcile {
                tasks: vec![call::reconcile::Task {
                    task_id: v1::TaskId { value: "x".into() },
                    agent_id: None,
                }],
            }),
            ..Default::default()
        },
        Call {
            framework_id: fid.clone(),
            r#type: Some(call::Type::Message as i32),
            message: Some(call::Message {
                agent_id: agent.clone(),
                executor_id: v1::ExecutorId { value: "..".into() },
                data: vec![1, 2, 3],
            }),
            ..Default::default()
        },
        Call {
            framework_id: fid.clone(),
            r#type: Some(call::Type::Decline as i32),
            decline: Some(call::Decline {
                offer_ids: vec![offers[1].id.clone()],
                filters: Some(v1::Filters {
                    refuse_seconds: Some(1e300),
                }),
            }),
            ..Default::default()
        },
    ];
    let mut statuses = std::collections::BTreeMap::new();
    for round in 0..400 {
        let mut body = samples[round % samples.len()].encode_to_vec();
        match rand() % 4 {
            0 => {
                // Random bytes.
                body = (0..rand() % 300).map(|_| rand() as u8).collect();
            }
            _ => {
                for _ in 0..1 + rand() % 4 {
                    let at = (rand() as usize) % body.len();
                    body[at] = rand() as u8;
                }
            }
        }
        // Never send a SUBSCRIBE or a TEARDOWN (a stream would stay open / the framework go).
        if let Ok(c) = Call::decode(body.as_slice()) {
            if matches!(c.r#type, Some(1) | Some(2)) {
                continue;
            }
        }
        let as_json = round % 3 == 0;
        let (ct, payload) = if as_json {
            match mesos_sched::local::protojson::protobuf_to_json(
                mesos_sched::local::protojson::CALL,
                &body,
            ) {
                Ok(json) => (JSON, serde_json::to_vec(&json).unwrap()),
                Err(_) => (JSON, body.clone()),
            }
        } else {
            (PROTOBUF, body)
        };
        let reply = post(
            &url,
            Some(ct),
            &[("Mesos-Stream-Id", &s.stream_id)],
            &payload,
        );
        assert!(
            matches!(reply.status, 200 | 202 | 400 | 403 | 501),
            "status {} for {:?}",
            reply.status,
            reply.text()
        );
        *statuses.entry(reply.status).or_insert(0) += 1;
    }
    assert!(
        statuses.get(&202).copied().unwrap_or(0) > 20,
        "{statuses:?}"
    );
    assert!(
        statuses.get(&400).copied().unwrap_or(0) > 20,
        "{statuses:?}"
    );
    assert_eq!(get(&format!("{base}/health")).status, 200);
    s.expect(event::Type::Heartbeat, SECS5);
    let _ = Stream::subscribe(&base, framework_info("after"));
}

/// Reads one response: (status line, headers lowercased, body by Content-Length).
fn read_response(reader: &mut impl std::io::BufRead) -> (String, Vec<(String, String)>, Vec<u8>) {
    let mut status = String::new();
    reader.read_line(&mut status).unwrap();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        let (name, value) = line.split_once(':').unwrap();
        headers.push((name.to_ascii_lowercase(), value.trim().to_string()));
    }
    let length = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .map_or(0, |(_, v)| v.parse().unwrap());
    let mut body = vec![0; length];
    reader.read_exact(&mut body).unwrap();
    (status.trim_end().to_string(), headers, body)
}

fn raw_connection(base: &str) -> (TcpStream, std::io::BufReader<TcpStream>) {
    let socket = TcpStream::connect(base.trim_start_matches("http://")).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let reader = std::io::BufReader::new(socket.try_clone().unwrap());
    (socket, reader)
}

#[test]
fn http_framing_pipelining_chunked_bodies_expect_and_close() {
    let cluster = start(config());
    let base = cluster.leader_url();

    // Pipelined requests on one keep-alive connection are answered in order.
    let (mut socket, mut reader) = raw_connection(&base);
    socket
        .write_all(
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nothing HTTP/1.1\r\nHost: x\r\n\r\n",
        )
        .unwrap();
    let (status, headers, body) = read_response(&mut reader);
    assert_eq!(status, "HTTP/1.1 200 OK");
    assert_eq!(body, b"OK");
    assert!(headers.iter().any(|(n, _)| n == "date"));
    assert_eq!(read_response(&mut reader).0, "HTTP/1.1 404 Not Found");

    // A chunked request body is decoded (and recorded) whole.
    let json = br#"{"type":"ACKNOWLEDGE"}"#;
    let (first, second) = json.split_at(7);
    write!(
        socket,
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n",
        first.len()
    )
    .unwrap();
    socket.write_all(first).unwrap();
    write!(socket, "\r\n{:x};ext=1\r\n", second.len()).unwrap();
    socket.write_all(second).unwrap();
    socket.write_all(b"\r\n0\r\n\r\n").unwrap();
    let (status, _, body) = read_response(&mut reader);
    assert_eq!(status, "HTTP/1.1 400 Bad Request");
    assert_eq!(
        String::from_utf8(body).unwrap(),
        "Failed to validate scheduler::Call: Expecting 'framework_id' to be present"
    );
    assert_eq!(cluster.received_calls().last().unwrap().1, json);

    // Expect: 100-continue gets its interim answer before the body is sent.
    write!(
        socket,
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: {}\r\n\r\n",
        json.len()
    )
    .unwrap();
    let (interim, _, _) = read_response(&mut reader);
    assert_eq!(interim, "HTTP/1.1 100 Continue");
    socket.write_all(json).unwrap();
    assert_eq!(read_response(&mut reader).0, "HTTP/1.1 400 Bad Request");

    // Connection: close is honoured: the answer, then EOF.
    socket
        .write_all(b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    assert_eq!(read_response(&mut reader).0, "HTTP/1.1 200 OK");
    let mut rest = Vec::new();
    assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0);

    // HTTP/1.0 without keep-alive: one answer, then EOF.
    let (mut socket, mut reader) = raw_connection(&base);
    socket.write_all(b"GET /health HTTP/1.0\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut reader).2, b"OK");
    let mut rest = Vec::new();
    assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0);

    // A garbage request line: 400, then the connection closes.
    let (mut socket, mut reader) = raw_connection(&base);
    socket.write_all(b"\x01\x02 garbage\r\n\r\n").unwrap();
    assert_eq!(read_response(&mut reader).0, "HTTP/1.1 400 Bad Request");
    let mut rest = Vec::new();
    assert_eq!(reader.read_to_end(&mut rest).unwrap(), 0);

    // The master still serves.
    assert_eq!(get(&format!("{base}/health")).status, 200);
}

/// Sends raw bytes on a new connection and reads the answer until the server closes.
fn raw_exchange(addr: &str, request: &[u8]) -> String {
    let mut socket = TcpStream::connect(addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    // The server may answer and close before the whole request is written.
    let _ = socket.write_all(request);
    let mut answer = Vec::new();
    let _ = socket.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn malformed_and_oversized_requests_get_a_4xx_and_the_master_keeps_serving() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let addr = base.trim_start_matches("http://").to_string();
    let huge_header = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(70 * 1024)
    );
    let many_headers = format!(
        "GET /health HTTP/1.1\r\n{}\r\n",
        (0..200)
            .map(|i| format!("X-{i}: v\r\n"))
            .collect::<String>()
    );
    let cases: Vec<(&str, Vec<u8>, &str)> =
        vec![
        ("oversized header", huge_header.into_bytes(), "HTTP/1.1 431 "),
        ("too many headers", many_headers.into_bytes(), "HTTP/1.1 431 "),
        (
            "bad request line",
            b"GET /health\r\n\r\n".to_vec(),
            "HTTP/1.1 400 ",
        ),
        (
            "unknown HTTP version",
            b"GET /health HTTP/2.0\r\n\r\n".to_vec(),
            "HTTP/1.1 505 ",
        ),
        (
            "header without a colon",
            b"GET /health HTTP/1.1\r\nHost x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 ",
        ),
        (
            "invalid Content-Length",
            b"POST /api/v1/scheduler HTTP/1.1\r\nContent-Length: 12x\r\n\r\n".to_vec(),
            "HTTP/1.1 400 ",
        ),
        (
            "conflicting Content-Length",
            b"POST /api/v1/scheduler HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab"
                .to_vec(),
            "HTTP/1.1 400 ",
        ),
        (
            "unsupported transfer coding",
            b"POST /api/v1/scheduler HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n".to_vec(),
            "HTTP/1.1 501 ",
        ),
        (
            "invalid chunk size",
            b"POST /api/v1/scheduler HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n".to_vec(),
            "HTTP/1.1 400 ",
        ),
        (
            "chunk beyond the body limit",
            b"POST /api/v1/scheduler HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nffffffff\r\n"
                .to_vec(),
            "HTTP/1.1 413 ",
        ),
    ];
    for (what, request, expected) in cases {
        let answer = raw_exchange(&addr, &request);
        assert!(answer.starts_with(expected), "{what}: {answer:?}");
        assert_eq!(get(&format!("{base}/health")).status, 200, "after {what}");
    }
    // A chunked body reaches the endpoint whole: garbage protobuf, split in two chunks.
    let answer = raw_exchange(
        &addr,
        b"POST /api/v1/scheduler HTTP/1.1\r\nContent-Type: application/x-protobuf\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n3\r\n\xff\xff\xff\r\n2;ext=1\r\n\xff\xff\r\n0\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 400 "), "{answer:?}");
    assert!(
        answer.ends_with("Failed to parse body into Call protobuf"),
        "{answer:?}"
    );
    assert_eq!(
        cluster.received_calls().last().unwrap().1,
        b"\xff\xff\xff\xff\xff"
    );
    // Keep-alive: two requests on one connection, both answered, then a close.
    let answer = raw_exchange(
        &addr,
        b"GET /health HTTP/1.1\r\n\r\nGET /nowhere HTTP/1.1\r\nConnection: close\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer:?}");
    assert!(answer.contains("\r\n\r\nOKHTTP/1.1 404 "), "{answer:?}");
}

#[test]
fn a_subscribe_with_connection_close_keeps_its_stream_open() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let addr = base.trim_start_matches("http://").to_string();
    let body = encode_call(&subscribe_call(framework_info("closer")), JSON);
    let mut socket = TcpStream::connect(&addr).unwrap();
    socket
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let head = format!(
        "POST /api/v1/scheduler HTTP/1.1\r\nHost: x\r\nContent-Type: {JSON}\r\nAccept: {JSON}\r\nConnection: close\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    socket.write_all(head.as_bytes()).unwrap();
    socket.write_all(&body).unwrap();
    let mut received = Vec::new();
    let mut buf = [0u8; 4096];
    let heartbeats = |received: &[u8]| {
        String::from_utf8_lossy(received)
            .matches("\"HEARTBEAT\"")
            .count()
    };
    let mut read_until = |received: &mut Vec<u8>, done: &dyn Fn(&[u8]) -> bool| {
        while !done(received) {
            let n = socket.read(&mut buf).expect("the stream stays open");
            assert!(
                n > 0,
                "the stream ended: {:?}",
                String::from_utf8_lossy(received)
            );
            received.extend_from_slice(&buf[..n]);
        }
    };
    read_until(&mut received, &|r| heartbeats(r) >= 2);
    let text = String::from_utf8_lossy(&received).into_owned();
    assert!(text.starts_with("HTTP/1.1 200 OK\r\n"), "{text}");
    let stream_id = text
        .split("\r\n")
        .find_map(|l| l.strip_prefix("Mesos-Stream-Id: "))
        .unwrap()
        .to_string();
    let framework_id = cluster.framework_ids()[0].clone();
    let revive = Call {
        framework_id: Some(v1::FrameworkId {
            value: framework_id,
        }),
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    let reply = post(
        &scheduler_url(&base),
        Some(PROTOBUF),
        &[("Mesos-Stream-Id", &stream_id)],
        &revive.encode_to_vec(),
    );
    assert_eq!(reply.status, 202, "{}", reply.text());
    let before = heartbeats(&received);
    read_until(&mut received, &|r| heartbeats(r) >= before + 2);
}
