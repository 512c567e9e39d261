//! A terminal program driven as a person drives it: the real binary in a tmux window, keys
//! sent and the screen read back.

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux session running one command, killed when dropped.
#[derive(Debug)]
pub struct Terminal {
    name: String,
}

impl Terminal {
    /// Runs `command` in a new 120×40 tmux window.
    pub fn start(command: &str) -> Self {
        static SESSIONS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let n = SESSIONS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let name = format!("realdid-console-{}-{n}", std::process::id());
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &name])
            .output();
        let started = Command::new("tmux")
            .args([
                "new-session",
                "-d",
                "-s",
                &name,
                "-x",
                "120",
                "-y",
                "40",
                command,
            ])
            .status()
            .expect("tmux runs (scripts/setup.sh installs it)");
        assert!(started.success(), "tmux new-session failed");
        Self { name }
    }

    /// What the window shows, as text.
    pub fn screen(&self) -> String {
        let out = Command::new("tmux")
            .args(["capture-pane", "-p", "-t", &self.name])
            .output()
            .expect("tmux capture-pane");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Types `text` as it is (no key names).
    pub fn type_text(&self, text: &str) {
        self.keys(&["-l", text]);
    }

    /// Sends named keys (`Enter`, `Escape`).
    pub fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", self.name.as_str()];
        args.extend_from_slice(keys);
        let status = Command::new("tmux").args(&args).status().expect("tmux");
        assert!(status.success(), "tmux send-keys {keys:?}");
        // A terminal reads ESC followed at once by a key as Alt and that key.
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Whether the command still runs.
    pub fn alive(&self) -> bool {
        Command::new("tmux")
            .args(["has-session", "-t", &self.name])
            .output()
            .is_ok_and(|out| out.status.success())
    }

    /// Waits until the screen satisfies `ready`; the last screen otherwise, in the panic.
    pub async fn wait_for(&self, what: &str, ready: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.screen();
            if ready(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "the console never showed {what}:\n{screen}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

impl Drop for Terminal {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["kill-session", "-t", &self.name])
            .output();
    }
}

/// The height the console's top line shows.
pub fn height(screen: &str) -> Option<u64> {
    let top = screen.lines().next()?;
    let at = top.rfind("height ")?;
    top[at + "height ".len()..]
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}
