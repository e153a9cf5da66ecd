//! Another Quire, as its own process (the real binary), serving the test's database.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::TestApp;

pub struct QuireProcess {
    child: Child,
    pub addr: SocketAddr,
}

impl QuireProcess {
    /// Starts `quire serve` on `app`'s database and data dir, with fast background loops.
    pub fn start(app: &TestApp) -> QuireProcess {
        QuireProcess::start_with(app, &[])
    }

    /// As [`Self::start`], with more `quire serve` flags.
    pub fn start_with(app: &TestApp, flags: &[&str]) -> QuireProcess {
        let mut child = Command::new(env!("CARGO_BIN_EXE_quire"))
            .args(["serve", "--addr", "127.0.0.1:0"])
            .args(flags)
            .env("QUIRE_DATABASE_URL", &app.database_url)
            .env("QUIRE_DATA_DIR", app.data_dir())
            .env("QUIRE_LOG", "error")
            .env("QUIRE_SCHEDULER_INTERVAL_MS", "20")
            .env("QUIRE_WEBHOOK_POLL_INTERVAL_MS", "20")
            .stdout(Stdio::piped())
            .spawn()
            .expect("quire serve starts");
        let stdout = child.stdout.take().expect("stdout");
        // Serving once it prints its URLs; the rest of its output is drained, not closed.
        let (ready, started) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.split_whitespace().find(|w| w.ends_with("/graphql")) {
                    let addr = url.trim_start_matches("http://").trim_end_matches("/graphql");
                    let _ = ready.send(addr.parse::<SocketAddr>().expect("an address"));
                }
            }
        });
        let addr = started.recv_timeout(Duration::from_secs(30)).expect("the process starts");
        QuireProcess { child, addr }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as systemd does to stop a service.
    pub fn terminate(&self) {
        let sent = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        assert!(sent.is_ok_and(|s| s.success()), "SIGTERM sent");
    }

    /// How the process ended, if it did within `limit`.
    pub fn wait_for_exit(&mut self, limit: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + limit;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the process's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The process's peak resident memory so far, in bytes (`VmHWM` in `/proc`).
    pub fn peak_rss(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .expect("the process's status");
        let kb = status
            .lines()
            .find_map(|line| line.strip_prefix("VmHWM:"))
            .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .expect("VmHWM in the status");
        kb * 1024
    }
}

impl Drop for QuireProcess {
    fn drop(&mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}
