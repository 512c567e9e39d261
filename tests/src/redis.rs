//! A redis-server of a test's own, on a port of its own, that the test may kill and start
//! again on the same port (as an operator's restart or a crash would).

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running (or killed) redis-server that keeps nothing on disk: started again, it is
/// empty, as a Redis that lost its memory is.
#[derive(Debug)]
pub struct OwnRedis {
    child: Option<Child>,
    /// Its port on 127.0.0.1.
    pub port: u16,
}

impl OwnRedis {
    /// Starts one on a free port and waits until it accepts connections.
    pub fn start() -> Self {
        // A port the kernel gives no other socket while redis-server starts.
        let port = realdid_registry::devnet::free_loopback_ports(1).expect("a free port")[0];
        let mut redis = Self { child: None, port };
        redis.start_again();
        redis
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Kills it (SIGKILL: nothing is flushed) and waits until it is gone.
    pub fn kill(&mut self) {
        crate::kill_and_wait(&mut self.child);
    }

    /// Starts it on its port again (empty) and waits until it accepts connections.
    pub fn start_again(&mut self) {
        self.kill();
        let child = Command::new("redis-server")
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server runs (scripts/setup.sh installs it)");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "redis-server did not listen on {} within 10 s",
                self.port
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.kill();
    }
}
