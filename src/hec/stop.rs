//! When to stop, shared by every thread.
//!
//! A stop can come at any moment: SIGINT or SIGTERM (systemd's `stop`,
//! Docker's `stop`, Ctrl-C), or HEC refusing the token. Every wait in the
//! sender is a wait on this [`Stop`], never a plain `sleep`, so that a
//! thread waiting for its next scrape or its next retry wakes at once. An
//! HTTP request already under way is not interrupted: each is bounded by
//! `-timeout`.
//!
//! The states only move forward: running, then stopping (finish the scrape
//! under way, send what is queued, within `-shutdown_timeout`), then
//! aborting (a second signal, or a token HEC refuses: send nothing more).
//!
//! Signals are caught with `signal-hook`, whose handler only writes to a
//! pipe; a thread of ours reads it and calls [`Stop::stop`]. No code of
//! ours runs inside a signal handler.

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

/// Catches SIGINT and SIGTERM: the first asks for a clean stop, the next
/// one aborts the flush. The thread ends with the process.
pub fn catch_signals(stop: Arc<Stop>) -> std::io::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::Builder::new()
        .name("signals".into())
        .spawn(move || {
            for sig in signals.forever() {
                let name = if sig == SIGINT { "SIGINT" } else { "SIGTERM" };
                if stop.state() == State::Running {
                    log::info!("{name} received: stopping; sending what is queued");
                    stop.stop();
                } else {
                    log::warning!("{name} received again: stopping now, without sending the rest");
                    stop.abort();
                }
            }
        })?;
    Ok(())
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
}
