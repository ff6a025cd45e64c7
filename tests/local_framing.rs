//! Stream framing: `Framing::PerEvent` writes and flushes every event on its own (as a
//! real master does), `Framing::Batched` writes events queued together at once.

mod local_common;
use local_common::*;
use mesos_sched::local::{Framing, LocalConfig};
use mesos_sched::proto::scheduler::{call, event};
use mesos_sched::proto::v1;
use std::time::{Duration, Instant};

const EVENTS: usize = 2000;

/// Reconciles `EVENTS` unknown tasks (one UPDATE each, sent by the master in one go) and
/// returns the writes the stream made for them.
fn writes_for_reconcile_flood(framing: Framing) -> u64 {
    let cluster = start(LocalConfig {
        framing,
        heartbeat_interval: Duration::from_secs(60),
        ..config()
    });
    let mut stream = Stream::subscribe(&cluster.leader_url(), framework_info("framing"));
    stream.expect(event::Type::Heartbeat, SECS5);
    stream.offers(SECS5);
    // Whatever the stream wrote so far (SUBSCRIBED, HEARTBEAT, OFFERS) is done once the
    // count stops moving.
    let mut before = cluster.stream_writes();
    loop {
        std::thread::sleep(Duration::from_millis(50));
        let now = cluster.stream_writes();
        if now == before {
            break;
        }
        before = now;
    }
    let tasks = (0..EVENTS)
        .map(|i| call::reconcile::Task {
            task_id: v1::TaskId {
                value: format!("unknown-{i}"),
            },
            agent_id: None,
        })
        .collect();
    let reply = stream.send(call::Type::Reconcile, |c| {
        c.reconcile = Some(call::Reconcile { tasks })
    });
    assert_eq!(reply.status, 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut updates = 0;
    while updates < EVENTS {
        let left = deadline.saturating_duration_since(Instant::now());
        let status = stream
            .expect_matching("UPDATE", left, |e| {
                e.r#type == Some(event::Type::Update as i32)
            })
            .update
            .unwrap()
            .status;
        assert_eq!(state_of(&status), v1::TaskState::TaskLost);
        updates += 1;
    }
    let writes = cluster.stream_writes() - before;
    eprintln!("{framing:?}: {writes} writes for {EVENTS} events");
    writes
}

#[test]
fn per_event_framing_writes_every_event_on_its_own() {
    let writes = writes_for_reconcile_flood(Framing::PerEvent);
    assert!(
        writes >= EVENTS as u64,
        "{writes} writes for {EVENTS} events"
    );
}

#[test]
fn batched_framing_writes_queued_events_together() {
    let writes = writes_for_reconcile_flood(Framing::Batched);
    // The master queues all the updates at once: they leave in buffer-sized writes.
    assert!(
        writes <= (EVENTS / 4) as u64,
        "{writes} writes for {EVENTS} events"
    );
}

#[test]
fn framing_names_parse() {
    assert_eq!(Framing::parse("batched"), Some(Framing::Batched));
    assert_eq!(Framing::parse("per-event"), Some(Framing::PerEvent));
    assert_eq!(Framing::parse("per_event"), None);
    assert_eq!(Framing::default(), Framing::Batched);
}
