//! What outlives a test: a thread, a runtime and directories that last as long as the test
//! process, for fixtures that several tests share.
//!
//! Each `#[tokio::test]` runs on a runtime of its own, on a thread of its own, and both end
//! with the test. A fixture that several tests share can therefore neither serve on a test's
//! runtime (its tasks would die with that test) nor start its processes from a test's thread:
//! a process of the `realdid` binary started [`supervised`](realdid::supervisor::supervised)
//! is killed by the kernel when the thread that spawned it exits. Here a fixture gets a thread
//! ([`on_keeper`]) and a runtime ([`run`]) that last until the test process exits, which then
//! takes the fixture's processes with it. Tests talk to such a fixture over its sockets, from
//! their own runtimes, with clients of their own.
//!
//! A fixture kept in a `static` is never dropped, so its temporary directories would stay
//! behind: [`dir`] makes them where the next test process removes them.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Once, OnceLock};

type Job = Box<dyn FnOnce() + Send>;

/// The keeper thread's queue. The thread never ends: the sender is never dropped.
fn keeper() -> &'static mpsc::Sender<Job> {
    static KEEPER: OnceLock<mpsc::Sender<Job>> = OnceLock::new();
    KEEPER.get_or_init(|| {
        let (jobs, queue) = mpsc::channel::<Job>();
        std::thread::Builder::new()
            .name("lasting-keeper".into())
            .spawn(move || {
                for job in queue {
                    job();
                }
            })
            .expect("the keeper thread starts");
        jobs
    })
}

/// Runs `job` on the keeper thread, a thread that lives as long as the test process, and
/// returns what it returns (a panic in `job` is this call's panic). Start there the processes
/// of a fixture that outlives the test starting it: they die when the test process does, and
/// not before.
pub async fn on_keeper<T: Send + 'static>(job: impl FnOnce() -> T + Send + 'static) -> T {
    let (answer, answered) = tokio::sync::oneshot::channel();
    keeper()
        .send(Box::new(move || {
            let _ = answer.send(std::panic::catch_unwind(AssertUnwindSafe(job)));
        }))
        .expect("the keeper thread runs");
    match answered.await.expect("the keeper thread answers") {
        Ok(value) => value,
        Err(panic) => std::panic::resume_unwind(panic),
    }
}

/// The runtime of fixtures that outlive a test: it is never shut down.
pub fn runtime() -> &'static tokio::runtime::Runtime {
    static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("lasting-runtime")
            .enable_all()
            .build()
            .expect("the lasting runtime starts")
    })
}

/// Runs `future` on [`runtime`]; what it spawns keeps running after the calling test ends.
/// A panic in `future` is this call's panic.
pub async fn run<T: Send + 'static>(future: impl Future<Output = T> + Send + 'static) -> T {
    match runtime().spawn(future).await {
        Ok(value) => value,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    }
}

/// A new temporary directory for a fixture that is never dropped: named after this process,
/// under a folder whose directories of processes that have ended are removed the first time a
/// test process asks for one.
pub fn dir(label: &str) -> tempfile::TempDir {
    static SWEEP: Once = Once::new();
    let root = std::env::temp_dir().join("realdid-lasting");
    SWEEP.call_once(|| sweep(&root));
    std::fs::create_dir_all(&root).expect("the lasting directory");
    tempfile::Builder::new()
        .prefix(&format!("{}-{label}-", std::process::id()))
        .tempdir_in(&root)
        .expect("a lasting directory")
}

/// Removes the directories under `root` of test processes that have ended.
fn sweep(root: &Path) {
    // Without /proc there is no telling which processes still run: remove nothing.
    if !Path::new("/proc/self").exists() {
        return;
    }
    let Ok(entries) = std::fs::read_dir(root) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let owner = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = owner
            && pid != std::process::id()
            && !PathBuf::from(format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
