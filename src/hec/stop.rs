//! When to stop, shared by every thread.
//!
//! A stop can come at any moment: SIGINT or SIGTERM (systemd's `stop`,
//! Docker's `stop`, Ctrl-C), on Windows Ctrl-C, Ctrl-Break, the console
//! closing or the system shutting down, or HEC refusing the token. Every wait in the
//! sender is a wait on this [`Stop`], never a plain `sleep`, so that a
//! thread waiting for its next scrape or its next retry wakes at once. An
//! HTTP request already under way is not interrupted: each is bounded by
//! `-timeout`.
//!
//! The states only move forward: running, then stopping (finish the scrape
//! under way, send what is queued, within `-shutdown_timeout`), then
//! aborting (a second signal, or a token HEC refuses: send nothing more),
//! and last finished (the run is over: whatever waits for that, such as
//! Windows' console handler, may let the process end).
//!
//! On Unix, signals are caught with `signal-hook`, whose handler only
//! writes to a pipe; a thread of ours reads it and calls [`Stop::stop`].
//! No code of ours runs inside a signal handler. On Windows there are no
//! signals: Ctrl-C, Ctrl-Break, the console closing and the system
//! shutting down reach a console handler (`SetConsoleCtrlHandler`), which
//! Windows runs on a thread of its own, so it may lock and wait as any
//! thread does.

use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::log;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Running,
    /// Stop scraping; flush the queue.
    Stopping,
    /// Stop everything now.
    Aborting,
    /// The run is over: what could be sent was, the totals are logged.
    Finished,
}

#[derive(Default)]
pub struct Stop {
    state: Mutex<Option<State>>,
    /// When the state left `Running`.
    since: Mutex<Option<Instant>>,
    changed: Condvar,
}

impl Stop {
    pub fn new() -> Arc<Stop> {
        Arc::new(Stop::default())
    }

    pub fn state(&self) -> State {
        self.state.lock().unwrap().unwrap_or(State::Running)
    }

    fn advance(&self, to: State) {
        let mut s = self.state.lock().unwrap();
        if s.unwrap_or(State::Running) < to {
            self.since.lock().unwrap().get_or_insert_with(Instant::now);
            *s = Some(to);
            self.changed.notify_all();
        }
    }

    /// When the stop was asked for.
    pub fn stopping_since(&self) -> Option<Instant> {
        *self.since.lock().unwrap()
    }

    /// Ask for a clean stop (flush what is queued).
    pub fn stop(&self) {
        self.advance(State::Stopping)
    }

    /// Stop without sending anything more.
    pub fn abort(&self) {
        self.advance(State::Aborting)
    }

    /// Says that the run is over (the last thing it does).
    pub fn finish(&self) {
        self.advance(State::Finished)
    }

    /// Waits until `deadline` or until the state is no longer `while_in`;
    /// returns the state then.
    pub fn wait_until(&self, deadline: Instant, while_in: State) -> State {
        let mut s = self.state.lock().unwrap();
        loop {
            let now_state = s.unwrap_or(State::Running);
            let now = Instant::now();
            if now_state != while_in || now >= deadline {
                return now_state;
            }
            s = self.changed.wait_timeout(s, deadline - now).unwrap().0;
        }
    }

    /// Waits until the state is at least `state`.
    pub fn wait_for(&self, state: State) {
        let mut s = self.state.lock().unwrap();
        while s.unwrap_or(State::Running) < state {
            s = self.changed.wait(s).unwrap();
        }
    }
}

/// Catches the platform's requests to stop (SIGINT and SIGTERM on Unix;
/// Ctrl-C, Ctrl-Break, console close and shutdown on Windows): the first
/// asks for a clean stop, the next one aborts the flush. Call once.
pub fn catch_signals(stop: Arc<Stop>) -> std::io::Result<()> {
    platform::catch(stop)
}

/// What a request to stop does, whatever its platform: `name` says which.
fn requested(stop: &Stop, name: &str) {
    if stop.state() == State::Running {
        log::info!("{name} received: stopping; sending what is queued");
        stop.stop();
    } else {
        log::warning!("{name} received again: stopping now, without sending the rest");
        stop.abort();
    }
}

#[cfg(unix)]
mod platform {
    use std::sync::Arc;

    use super::{requested, Stop};

    /// A thread of ours reads the signals that signal-hook's handler
    /// queued. The thread ends with the process.
    pub fn catch(stop: Arc<Stop>) -> std::io::Result<()> {
        use signal_hook::consts::{SIGINT, SIGTERM};
        let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
        std::thread::Builder::new()
            .name("signals".into())
            .spawn(move || {
                for sig in signals.forever() {
                    requested(&stop, if sig == SIGINT { "SIGINT" } else { "SIGTERM" });
                }
            })?;
        Ok(())
    }
}

// The console API is C: registering a handler is `unsafe` and has no safe
// wrapper in windows-sys (the one `unsafe` of the shipped code).
#[cfg(windows)]
#[allow(unsafe_code)]
mod platform {
    use std::sync::{Arc, OnceLock};

    use windows_sys::core::BOOL;
    use windows_sys::Win32::System::Console::{
        SetConsoleCtrlHandler, CTRL_BREAK_EVENT, CTRL_CLOSE_EVENT, CTRL_C_EVENT,
        CTRL_SHUTDOWN_EVENT,
    };

    use super::{requested, State, Stop};

    /// The handler is a plain function: it finds the sender's stop here.
    static STOP: OnceLock<Arc<Stop>> = OnceLock::new();

    unsafe extern "system" fn handler(ctrl_type: u32) -> BOOL {
        let Some(stop) = STOP.get() else {
            return 0;
        };
        let name = match ctrl_type {
            CTRL_C_EVENT => "Ctrl-C",
            CTRL_BREAK_EVENT => "Ctrl-Break",
            CTRL_CLOSE_EVENT => "console close",
            CTRL_SHUTDOWN_EVENT => "system shutdown",
            // CTRL_LOGOFF_EVENT: some user logging off, which must not stop
            // a sender running as a service; Windows' default handling.
            _ => return 0,
        };
        requested(stop, name);
        if ctrl_type == CTRL_CLOSE_EVENT || ctrl_type == CTRL_SHUTDOWN_EVENT {
            // Windows ends the process as soon as this returns (or after
            // its own grace period): hold it until the queue is flushed.
            stop.wait_for(State::Finished);
        }
        1
    }

    pub fn catch(stop: Arc<Stop>) -> std::io::Result<()> {
        if STOP.set(stop).is_err() {
            return Err(std::io::Error::other(
                "the stop handler is already installed",
            ));
        }
        // SAFETY: `handler` is a function for the whole run of the process
        // and touches nothing but `STOP`, which lives as long.
        if unsafe { SetConsoleCtrlHandler(Some(handler), 1) } == 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn a_wait_ends_at_the_stop() {
        let stop = Stop::new();
        let s2 = stop.clone();
        let t = std::thread::spawn(move || {
            let start = Instant::now();
            let state = s2.wait_until(start + Duration::from_secs(30), State::Running);
            (state, start.elapsed())
        });
        std::thread::sleep(Duration::from_millis(50));
        stop.stop();
        let (state, took) = t.join().unwrap();
        assert_eq!(state, State::Stopping);
        assert!(took < Duration::from_secs(10));
        stop.abort();
        stop.stop();
        assert_eq!(stop.state(), State::Aborting, "states only move forward");
    }

    #[test]
    fn the_end_of_the_run_releases_who_waits_for_it() {
        let stop = Stop::new();
        stop.stop();
        let s2 = stop.clone();
        let t = std::thread::spawn(move || s2.wait_for(State::Finished));
        std::thread::sleep(Duration::from_millis(50));
        assert!(!t.is_finished(), "a stop is not the end of the run");
        stop.finish();
        t.join().unwrap();
        stop.abort();
        assert_eq!(stop.state(), State::Finished);
    }
}
