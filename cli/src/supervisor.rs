//! Child processes of the `realdid` binary: a devnet's nodes, and the authority, issuer and
//! verifier that `realdid devnet` runs beside them.
//!
//! Each runs in its own process, as in production, so that a crash or a `kill -9` of one is
//! what it would be on a real network, and so that the libraries never start processes or
//! send signals themselves.
//!
//! A supervised process does not outlive its supervisor, however the supervisor ends: on
//! Linux each one asks the kernel, first thing, to SIGKILL it when its supervisor goes
//! ([`follow_supervisor`]). `realdid devnet` stopped by `kill -9` takes its nodes, authority,
//! issuer and verifier with it instead of leaving them holding their ports and data
//! directories; so does a test process that ends with a devnet still running.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use realdid_core::clock::{Clock as _, SystemClock};

use realdid_registry::devnet::DevnetLayout;

use crate::error::CliError;

/// How long [`Supervisor`]'s `Drop` waits for processes to stop after SIGTERM before SIGKILL.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// The environment variable through which a process of the `realdid` binary learns that a
/// supervisor started it, and the supervisor's process id: see [`supervised`] and
/// [`follow_supervisor`].
pub const SUPERVISOR_PID_VAR: &str = "REALDID_SUPERVISOR_PID";

/// Marks `command`, a process of the `realdid` binary, as supervised by this process: it will
/// not outlive the thread that spawns it (see [`follow_supervisor`]). [`Supervisor`] marks
/// every process it starts; others that start `realdid` processes they mean to keep no longer
/// than themselves (the end-to-end tests) mark theirs.
///
/// On Linux the kernel watches the spawning *thread*, not its process: spawn from a thread
/// that lives as long as the processes should. `realdid devnet` spawns from its main thread; a
/// test whose devnet outlives the test spawns from a thread that lives as long as the test
/// process.
pub fn supervised(command: &mut Command) -> &mut Command {
    command.env(SUPERVISOR_PID_VAR, std::process::id().to_string())
}

/// Run first by every process of the `realdid` binary: when a supervisor started it
/// ([`SUPERVISOR_PID_VAR`] set), asks the kernel (Linux `PR_SET_PDEATHSIG`) to SIGKILL this
/// process when the supervisor's thread that spawned it exits, and refuses to go on if the
/// supervisor is already gone (it died between spawning this process and this call; the
/// kernel would never send the signal then). Nothing happens without the variable, nor on
/// other systems.
///
/// The child asks, rather than the supervisor between fork and exec (a `pre_exec` hook):
/// that hook is unsafe code, which this workspace forbids.
pub fn follow_supervisor() -> Result<(), CliError> {
    let Some(supervisor) = std::env::var_os(SUPERVISOR_PID_VAR) else {
        return Ok(());
    };
    let supervisor = supervisor
        .to_str()
        .and_then(|pid| pid.parse::<i32>().ok())
        .ok_or_else(|| {
            CliError::Usage(format!(
                "{SUPERVISOR_PID_VAR} is {}, not a process id",
                supervisor.to_string_lossy()
            ))
        })?;
    #[cfg(target_os = "linux")]
    {
        use rustix::process::{Pid, Signal, getppid, set_parent_process_death_signal};
        set_parent_process_death_signal(Some(Signal::KILL)).map_err(|errno| CliError::Io {
            path: "prctl(PR_SET_PDEATHSIG)".into(),
            source: errno.into(),
        })?;
        // Asked after the fork: a supervisor gone in between left this process to another
        // parent, and no signal will come.
        if Pid::as_raw(getppid()) != supervisor {
            return Err(CliError::Refused(format!(
                "the supervisor that started this process (pid {supervisor}) is gone"
            )));
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = supervisor;
    Ok(())
}

/// Runs each node of a devnet as a child process `<exe> node --config <config.toml>`, with
/// its stdout and stderr appended to `node-<i>/node.log`; [`Supervisor::add`] adds other
/// processes of the same binary (the devnet's identity authority and issuer).
///
/// Dropping the supervisor stops every process (SIGTERM, then SIGKILL after
/// [`STOP_GRACE`]): a test that panics leaves no node running. A process is also killed when
/// the thread that started it exits, whether or not the supervisor was dropped (see
/// [`supervised`]): start processes from a thread that lives as long as they should.
#[derive(Debug)]
pub struct Supervisor {
    exe: PathBuf,
    nodes: Vec<Supervised>,
}

#[derive(Debug)]
struct Supervised {
    name: String,
    args: Vec<OsString>,
    log_path: PathBuf,
    child: Option<Child>,
}

impl Supervisor {
    /// A supervisor of `layout`'s nodes running `exe`; nothing is started yet.
    pub fn new(exe: impl Into<PathBuf>, layout: &DevnetLayout) -> Self {
        Self {
            exe: exe.into(),
            nodes: layout
                .nodes()
                .iter()
                .map(|n| Supervised {
                    name: n.name().to_owned(),
                    args: vec![
                        "node".into(),
                        "--config".into(),
                        n.config_path().as_os_str().to_owned(),
                    ],
                    log_path: n.log_path().to_owned(),
                    child: None,
                })
                .collect(),
        }
    }

    /// A supervisor of no process yet, running `exe`; [`Supervisor::add`] adds them.
    pub fn empty(exe: impl Into<PathBuf>) -> Self {
        Self {
            exe: exe.into(),
            nodes: Vec::new(),
        }
    }

    /// [`Supervisor::new`], then starts every node.
    pub fn start_all(exe: impl Into<PathBuf>, layout: &DevnetLayout) -> Result<Self, CliError> {
        let mut supervisor = Self::new(exe, layout);
        for i in 0..supervisor.nodes.len() {
            supervisor.start(i)?;
        }
        Ok(supervisor)
    }

    /// Adds a process `<exe> <args…>` logging to `log_path`, not started yet; returns its
    /// index for [`Supervisor::start`] and the others.
    pub fn add(
        &mut self,
        name: impl Into<String>,
        args: Vec<OsString>,
        log_path: impl Into<PathBuf>,
    ) -> usize {
        self.nodes.push(Supervised {
            name: name.into(),
            args,
            log_path: log_path.into(),
            child: None,
        });
        self.nodes.len() - 1
    }

    /// How many processes it supervises.
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    /// Whether it supervises no process.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    /// Starts process `i` unless it is running.
    pub fn start(&mut self, i: usize) -> Result<(), CliError> {
        if self.is_running(i)? {
            return Ok(());
        }
        let exe = self.exe.clone();
        let node = self.node(i)?;
        let mut log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&node.log_path)
            .map_err(io(format!("opening {}", node.log_path.display())))?;
        writeln!(
            log,
            "=== supervisor: starting {} {} at unix ms {}",
            exe.display(),
            node.args
                .iter()
                .map(|a| a.to_string_lossy())
                .collect::<Vec<_>>()
                .join(" "),
            now_unix_ms()
        )
        .map_err(io(format!("writing {}", node.log_path.display())))?;
        let stderr = log
            .try_clone()
            .map_err(io(format!("opening {}", node.log_path.display())))?;
        let child = supervised(&mut Command::new(&exe))
            .args(&node.args)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(stderr)
            .spawn()
            .map_err(io(format!("starting {} for {}", exe.display(), node.name)))?;
        node.child = Some(child);
        Ok(())
    }

    /// Kills process `i` with SIGKILL (a crash, as `kill -9`) and reaps it.
    pub fn kill(&mut self, i: usize) -> Result<(), CliError> {
        let node = self.node(i)?;
        if let Some(mut child) = node.child.take() {
            let name = node.name.clone();
            // An error here means the process has already exited, which is what was wanted.
            let _ = child.kill();
            child.wait().map_err(io(format!("waiting for {name}")))?;
        }
        Ok(())
    }

    /// Stops process `i`: SIGTERM, then SIGKILL if it has not exited within `grace`.
    pub fn stop(&mut self, i: usize, grace: Duration) -> Result<(), CliError> {
        let node = self.node(i)?;
        if let Some(child) = node.child.as_mut() {
            terminate(child);
        }
        self.wait_or_kill(&[i], grace)
    }

    /// Kills process `i` (SIGKILL) and starts it again; a node keeps its data directory.
    pub fn restart(&mut self, i: usize) -> Result<(), CliError> {
        self.kill(i)?;
        self.start(i)
    }

    /// Stops every process: SIGTERM to all, then SIGKILL to those still running after
    /// `grace`.
    pub fn stop_all(&mut self, grace: Duration) -> Result<(), CliError> {
        for node in &mut self.nodes {
            if let Some(child) = node.child.as_mut() {
                terminate(child);
            }
        }
        let all: Vec<usize> = (0..self.nodes.len()).collect();
        self.wait_or_kill(&all, grace)
    }

    /// Whether process `i` is running; one found to have exited is forgotten (see
    /// [`Supervisor::exited`] to learn how it ended).
    pub fn is_running(&mut self, i: usize) -> Result<bool, CliError> {
        let node = self.node(i)?;
        match node.child.as_mut() {
            None => Ok(false),
            Some(child) => match child.try_wait() {
                Ok(None) => Ok(true),
                Ok(Some(_)) | Err(_) => {
                    node.child = None;
                    Ok(false)
                }
            },
        }
    }

    /// The process id of process `i`, if it is running.
    pub fn pid(&self, i: usize) -> Option<u32> {
        self.nodes.get(i)?.child.as_ref().map(Child::id)
    }

    /// The processes that exited on their own since the last call, with how they ended; they
    /// are no longer counted as running. `realdid devnet` polls this to report a crashed
    /// node.
    pub fn exited(&mut self) -> Vec<(usize, ExitStatus)> {
        let mut out = Vec::new();
        for (i, node) in self.nodes.iter_mut().enumerate() {
            if let Some(child) = node.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                node.child = None;
                out.push((i, status));
            }
        }
        out
    }

    fn node(&mut self, i: usize) -> Result<&mut Supervised, CliError> {
        let count = self.nodes.len();
        self.nodes
            .get_mut(i)
            .ok_or_else(|| CliError::Usage(format!("no process {i} among the {count} supervised")))
    }

    fn wait_or_kill(&mut self, which: &[usize], grace: Duration) -> Result<(), CliError> {
        let deadline = Instant::now() + grace;
        loop {
            let mut running = false;
            for &i in which {
                running |= self.is_running(i)?;
            }
            if !running {
                return Ok(());
            }
            if Instant::now() >= deadline {
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        for &i in which {
            self.kill(i)?;
        }
        Ok(())
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        if self.stop_all(STOP_GRACE).is_err() {
            for node in &mut self.nodes {
                if let Some(mut child) = node.child.take() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
            }
        }
    }
}

/// Asks a child to stop (SIGTERM on Unix; elsewhere it is killed).
fn terminate(child: &mut Child) {
    #[cfg(unix)]
    {
        use rustix::process::{Pid, Signal, kill_process};
        // An error means the process has already exited.
        let _ = kill_process(Pid::from_child(child), Signal::TERM);
    }
    #[cfg(not(unix))]
    {
        let _ = child.kill();
    }
}

fn now_unix_ms() -> u64 {
    SystemClock.now().as_millis()
}

fn io(path: String) -> impl FnOnce(std::io::Error) -> CliError {
    move |source| CliError::Io { path, source }
}
