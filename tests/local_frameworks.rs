//! Framework lifecycle and offers: failover, teardown, removal, unknown ids, failover
//! timeout, decline filters, suppress/revive, UPDATE_FRAMEWORK, multi-role.

mod local_common;
use local_common::*;
use mesos_sched::proto::scheduler::{call, event, Call};
use mesos_sched::proto::v1;
use prost::Message;
use std::time::{Duration, Instant};

#[test]
fn failover_old_stream_gets_error_and_offers_are_dropped() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut first = Stream::subscribe(&base, framework_info("fo"));
    let offers = first.offers(SECS5);
    assert!(!offers.is_empty());
    let mut info = framework_info("fo");
    info.id = first.fid();
    let mut second = Stream::open(&base, &subscribe_call(info), JSON, None);
    assert_eq!(second.status, 200);
    assert_eq!(second.framework_id, first.framework_id);
    let events = first.drain_to_end(SECS5);
    let last = events.last().expect("ERROR event");
    assert_eq!(last.r#type, Some(event::Type::Error as i32));
    assert_eq!(
        last.error.as_ref().unwrap().message,
        "Framework failed over"
    );
    assert!(
        first.ended && first.error.is_none(),
        "clean EOF after the ERROR"
    );
    assert!(!events
        .iter()
        .any(|e| e.r#type == Some(event::Type::Rescind as i32)));
    // The new stream gets fresh offers; the old offer ids are invalid now.
    let fresh = second.offers(SECS5);
    assert!(fresh
        .iter()
        .all(|o| offers.iter().all(|old| old.id != o.id)));
    launch(
        &second,
        &[&offers[0]],
        vec![command_task("t", &offers[0], "true", 0.1)],
    );
    assert_eq!(
        state_of(&second.expect_update("t", SECS5)),
        v1::TaskState::TaskLost
    );
    // Calls with the old stream id are refused.
    let revive = Call {
        framework_id: first.fid(),
        r#type: Some(call::Type::Revive as i32),
        ..Default::default()
    };
    assert_eq!(first.call(&revive, PROTOBUF).status, 400);
    assert_eq!(second.call(&revive, JSON).status, 202);
}

#[test]
fn teardown_ends_stream_without_error_and_removal_is_permanent() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut s = Stream::subscribe(&base, framework_info("td"));
    let offers = s.offers(SECS5);
    launch(
        &s,
        &[&offers[0]],
        vec![command_task("long", &offers[0], "sleep 60", 0.5)],
    );
    s.update_acked("long", SECS5);
    s.update_acked("long", SECS5);
    let pid = cluster.state_json()["frameworks"][0]["tasks"][0]["pid"]
        .as_u64()
        .unwrap();
    assert_eq!(s.send(call::Type::Teardown, |_| {}).status, 202);
    let events = s.drain_to_end(SECS5);
    assert!(s.ended);
    assert!(s.error.is_none());
    assert!(events
        .iter()
        .all(|e| e.r#type != Some(event::Type::Error as i32)));
    // The task's process is gone.
    let deadline = Instant::now() + SECS5;
    while std::path::Path::new(&format!("/proc/{pid}")).exists() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !std::path::Path::new(&format!("/proc/{pid}")).exists(),
        "task process killed"
    );
    assert!(cluster.framework_ids().is_empty());
    // Re-subscribing with the removed id: 200, one ERROR, EOF.
    let mut info = framework_info("td");
    info.id = s.fid();
    for (ct, accept) in [(PROTOBUF, Some(PROTOBUF)), (JSON, None)] {
        let mut again = Stream::open(&base, &subscribe_call(info.clone()), ct, accept);
        assert_eq!(again.status, 200);
        let events = again.drain_to_end(SECS5);
        assert_eq!(events.len(), 1, "{events:?}");
        assert_eq!(
            events[0].error.as_ref().unwrap().message,
            "Framework has been removed"
        );
        assert!(again.ended);
    }
}

#[test]
fn unknown_framework_id_is_accepted_and_kept() {
    let cluster = start(config());
    let mut info = framework_info("returning");
    info.id = Some(v1::FrameworkId {
        value: "from-an-earlier-master-0001".into(),
    });
    let s = Stream::subscribe(&cluster.leader_url(), info);
    assert_eq!(s.framework_id, "from-an-earlier-master-0001");
    assert_eq!(
        cluster.framework_ids(),
        vec!["from-an-earlier-master-0001".to_string()]
    );
}

#[test]
fn failover_timeout_zero_removes_at_once_positive_after_timeout() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let s = Stream::subscribe(&base, framework_info("zero"));
    let id = s.framework_id.clone();
    drop(s);
    assert!(cluster.wait_until(SECS5, |st| st["frameworks"].as_array().unwrap().is_empty()));
    assert!(cluster.state_json()["removed_framework_ids"]
        .as_array()
        .unwrap()
        .iter()
        .any(|v| v == id.as_str()));
    let mut info = framework_info("short");
    info.failover_timeout = Some(0.5);
    let s = Stream::subscribe(&base, info.clone());
    let id = s.framework_id.clone();
    drop(s);
    assert!(cluster.wait_until(SECS5, |st| st["frameworks"][0]["connected"] == false));
    // Reconnect in time: kept.
    info.id = Some(v1::FrameworkId { value: id.clone() });
    let s = Stream::subscribe(&base, info.clone());
    assert_eq!(s.framework_id, id);
    drop(s);
    // Not in time: removed.
    assert!(cluster.wait_until(SECS5, |st| st["frameworks"].as_array().unwrap().is_empty()));
}

#[test]
fn decline_filters_suppress_revive() {
    let cluster = start(LocalCluster_config_one_agent());
    let base = cluster.leader_url();
    let mut s = Stream::subscribe(&base, framework_info("dec"));
    let offer = s.offers(SECS5).remove(0);
    // Decline for 1 s: not re-offered before, re-offered after.
    let declined = Instant::now();
    s.send(call::Type::Decline, |c| {
        c.decline = Some(call::Decline {
            offer_ids: vec![offer.id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(1.0),
            }),
        })
    });
    let again = s.offers(SECS5);
    assert!(
        declined.elapsed() >= Duration::from_millis(950),
        "{:?}",
        declined.elapsed()
    );
    assert_ne!(again[0].id, offer.id);
    // Suppress: no offers even after a decline with 0 s; revive brings them back at once.
    assert_eq!(
        s.send(call::Type::Suppress, |c| c.suppress =
            Some(call::Suppress::default()))
            .status,
        202
    );
    s.send(call::Type::Decline, |c| {
        c.decline = Some(call::Decline {
            offer_ids: vec![again[0].id.clone()],
            filters: Some(v1::Filters {
                refuse_seconds: Some(0.0),
            }),
        })
    });
    let quiet_until = Instant::now() + Duration::from_millis(700);
    while Instant::now() < quiet_until {
        if let Some(e) = s.next(Duration::from_millis(100)) {
            assert_ne!(e.r#type, Some(event::Type::Offers as i32), "suppressed");
        }
    }
    assert_eq!(
        cluster.state_json()["frameworks"][0]["suppressed_roles"][0],
        "*"
    );
    s.send(call::Type::Revive, |c| {
        c.revive = Some(call::Revive::default())
    });
    assert_eq!(s.offers(SECS5).len(), 1);
}

#[allow(non_snake_case)]
fn LocalCluster_config_one_agent() -> mesos_sched::local::LocalConfig {
    mesos_sched::local::LocalConfig {
        agents: 1,
        resources: "cpus:2;mem:1024".into(),
        ..config()
    }
}

#[test]
#[allow(deprecated)] // sets the legacy `FrameworkInfo.role` to check its validation
fn multi_role_offers_and_update_framework() {
    let cluster = start(config());
    let base = cluster.leader_url();
    let mut info = with_capabilities(
        framework_info("mr"),
        &[v1::framework_info::capability::Type::MultiRole],
    );
    info.roles = vec!["a".into(), "b".into()];
    let mut c = subscribe_call(info.clone());
    c.subscribe.as_mut().unwrap().suppressed_roles = vec!["b".into()];
    let mut s = Stream::open(&base, &c, PROTOBUF, Some(PROTOBUF));
    s.framework_id = s
        .expect(event::Type::Subscribed, SECS5)
        .subscribed
        .unwrap()
        .framework_id
        .value;
    let offers = s.offers(SECS5);
    for offer in &offers {
        assert_eq!(
            offer.allocation_info.as_ref().unwrap().role.as_deref(),
            Some("a")
        );
        assert!(offer.resources.iter().all(|r| r
            .allocation_info
            .as_ref()
            .unwrap()
            .role
            .as_deref()
            == Some("a")));
    }
    // UPDATE_FRAMEWORK: answered synchronously with 200; roles change to ["b"].
    info.id = s.fid();
    info.roles = vec!["b".into()];
    let reply = s.send(call::Type::UpdateFramework, |c| {
        c.update_framework = Some(call::UpdateFramework {
            framework_info: info.clone(),
            ..Default::default()
        })
    });
    assert_eq!(reply.status, 200);
    // The "a" offers are rescinded and "b" offers arrive.
    s.expect(event::Type::Rescind, SECS5);
    let offers = s.offers(SECS5);
    assert_eq!(
        offers[0].allocation_info.as_ref().unwrap().role.as_deref(),
        Some("b")
    );
    assert_eq!(cluster.state_json()["frameworks"][0]["roles"][0], "b");
    // Invalid: MULTI_ROLE with `role` set.
    let mut bad = info.clone();
    bad.role = Some("x".into());
    let reply = s.send(call::Type::UpdateFramework, |c| {
        c.update_framework = Some(call::UpdateFramework {
            framework_info: bad,
            ..Default::default()
        })
    });
    assert_eq!(reply.status, 400);
    // Mismatched id in UPDATE_FRAMEWORK.
    let mut other = info.clone();
    other.id = Some(v1::FrameworkId {
        value: "zzz".into(),
    });
    let reply = s.send(call::Type::UpdateFramework, |c| {
        c.update_framework = Some(call::UpdateFramework {
            framework_info: other,
            ..Default::default()
        })
    });
    assert_eq!(reply.status, 400);
    // Refused subscription (invalid role): 200 + ERROR + EOF.
    let mut invalid = framework_info("bad role");
    invalid.role = Some("a b".into());
    let mut refused = Stream::open(&base, &subscribe_call(invalid), JSON, None);
    assert_eq!(refused.status, 200);
    let events = refused.drain_to_end(SECS5);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].r#type, Some(event::Type::Error as i32));
    // Suppressed roles must be roles of the framework.
    let mut c = subscribe_call(framework_info("suppress-unknown"));
    c.subscribe.as_mut().unwrap().suppressed_roles = vec!["nope".into()];
    let mut refused = Stream::open(&base, &c, PROTOBUF, Some(PROTOBUF));
    let events = refused.drain_to_end(SECS5);
    assert_eq!(
        events[0].error.as_ref().unwrap().message,
        "Suppressed roles { nope } are not contained in the set of roles"
    );
    let _ = Call::default().encode_to_vec();
}

#[test]
fn two_frameworks_share_agents_and_offers_follow_freed_resources() {
    let cluster = start(LocalCluster_config_one_agent());
    let base = cluster.leader_url();
    let mut a = Stream::subscribe(&base, framework_info("a"));
    let offer = a.offers(SECS5).remove(0);
    let mut b = Stream::subscribe(&base, framework_info("b"));
    // The agent is offered to a; b gets nothing until a's task ends and frees it.
    launch(
        &a,
        &[&offer],
        vec![command_task("x", &offer, "sleep 0.3", 2.0)],
    );
    a.update_acked("x", SECS5);
    a.update_acked("x", SECS5);
    let finished = a.update_acked("x", SECS5);
    assert_eq!(state_of(&finished), v1::TaskState::TaskFinished);
    // a filtered the remainder (0 s) and was first; either may get the freed agent,
    // but somebody gets an offer with the full 2 cpus.
    let cpus_of = |o: &v1::Offer| {
        o.resources
            .iter()
            .find(|r| r.name == "cpus")
            .map(|r| r.scalar.unwrap().value)
            .unwrap_or(0.0)
    };
    let deadline = Instant::now() + SECS5;
    let mut full = false;
    while !full && Instant::now() < deadline {
        for s in [&mut a, &mut b] {
            if let Some(e) = s.next(Duration::from_millis(50)) {
                if let Some(o) = e.offers {
                    full |= o.offers.iter().any(|o| cpus_of(o) == 2.0);
                }
            }
        }
    }
    assert!(full, "freed resources re-offered");
}
