//! The editor process given as `processId` at `initialize`: when it is gone (the editor
//! crashed or was killed without `shutdown`/`exit`), the server exits too, as the protocol
//! asks, instead of living on as an orphan.

use std::time::Duration;

/// How often the editor process is looked for.
const EVERY: Duration = Duration::from_secs(3);

/// Watches process `pid` on a thread of its own; exits the server (code 1) once it is gone.
pub fn watch(pid: u32) {
    if !alive(pid) {
        // A client that reports a process we cannot see (another PID namespace, a container
        // boundary): nothing to watch.
        tracing::info!("processId {pid} is not visible from here: not watching it");
        return;
    }
    let spawned = std::thread::Builder::new()
        .name("parent-watch".into())
        .spawn(move || loop {
            std::thread::sleep(EVERY);
            if !alive(pid) {
                tracing::warn!("the editor process {pid} is gone: exiting");
                std::process::exit(1);
            }
        });
    if let Err(e) = spawned {
        tracing::warn!("cannot watch the editor process {pid}: {e}");
    }
}

/// Whether process `pid` exists (a signal 0 probe: no signal is sent).
#[cfg(unix)]
fn alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    if pid <= 0 {
        return false;
    }
    // SAFETY: kill with signal 0 only checks that the process exists and may be signalled.
    let r = unsafe { libc::kill(pid, 0) };
    // EPERM: it exists, owned by someone else.
    r == 0 || std::io::Error::last_os_error().raw_os_error() == Some(libc::EPERM)
}

/// Other platforms: not watched (the server still exits on stdin EOF and `exit`).
#[cfg(not(unix))]
fn alive(_pid: u32) -> bool {
    false
}
