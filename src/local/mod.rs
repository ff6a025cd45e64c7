//! `mesos-local`: a faithful in-process Mesos cluster (masters + agents) serving the v1
//! scheduler HTTP API on a loopback port. Behind the master string `local` and the
//! standalone `mesos-local` binary. No FFI types here.

use std::path::PathBuf;
use std::time::Duration;

/// How a cluster is set up. `Default` gives the documented defaults.
#[derive(Debug, Clone)]
pub struct LocalConfig {
    /// Address to bind (default 127.0.0.1).
    pub ip: String,
    /// Port of the first master; 0 = pick free ports (default for in-process use).
    pub port: u16,
    /// Number of masters on consecutive ports (default 1); master 0 leads at start.
    pub masters: usize,
    /// Number of agents (default 2).
    pub agents: usize,
    /// Resources per agent, upstream syntax (default "cpus:4;mem:8192;disk:65536;ports:[31000-32000]").
    pub resources: String,
    /// Heartbeat interval (default 15 s).
    pub heartbeat_interval: Duration,
    /// Require HTTP Basic authentication with this principal and secret.
    pub authenticate: Option<(String, String)>,
    /// Simulated tasks (no processes): each task runs for this long unless a label says otherwise.
    pub simulate: Option<Duration>,
    /// Sandbox root; None = a fresh temporary directory, removed at shutdown.
    pub work_dir: Option<PathBuf>,
    /// Keep the work dir at shutdown.
    pub keep_work_dir: bool,
    /// Register masters in ZooKeeper under this zk:// URL.
    pub zk: Option<String>,
    /// PEM certificate and key: serve HTTPS.
    pub tls: Option<(PathBuf, PathBuf)>,
}

/// A running cluster. Dropping it shuts it down (kills tasks, closes streams).
pub struct LocalCluster {
    _private: (),
}

impl LocalCluster {
    pub fn start(config: LocalConfig) -> std::io::Result<LocalCluster> {
        let _ = config;
        todo!()
    }
    /// Base URL of the current leader, e.g. "http://127.0.0.1:5050".
    pub fn leader_url(&self) -> String {
        todo!()
    }
    /// Base URLs of all masters, in port order.
    pub fn master_urls(&self) -> Vec<String> {
        todo!()
    }
    /// Raw bodies (and Content-Type) of every call the masters received, oldest first.
    pub fn received_calls(&self) -> Vec<(String, Vec<u8>)> {
        todo!()
    }
    /// The `/state` document.
    pub fn state_json(&self) -> serde_json::Value {
        todo!()
    }
    pub fn shutdown(self) {}
}

#[cfg(feature = "zookeeper")]
pub mod zk;
