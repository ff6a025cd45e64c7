//! Master detection: master strings -> the current leader's base URL.
//!
//! Fixed masters (`host:port`, `http(s)://...`, `file://`, `local`) never change leader;
//! `zk://` masters are followed through ZooKeeper (`zk.rs`, feature `zookeeper`).

use std::time::Duration;

/// A source of the current leading master.
pub trait Detector: Send + Sync {
    /// Blocks until the leader's base URL (e.g. "http://host:port") differs from `known`,
    /// or `timeout` passes; returns the current leader (None = no leader now).
    /// `Err` is unrecoverable (e.g. ZooKeeper authentication failed): the driver calls
    /// error() and aborts.
    fn wait_for_change(&self, known: Option<&str>, timeout: Duration)
        -> Result<Option<String>, String>;
}

#[cfg(feature = "zookeeper")]
pub mod zk;
