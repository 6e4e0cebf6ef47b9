//! Aligning this copy to the host's by sound: the session decodes a
//! window of its own copy in the background, the host sends its
//! fingerprint, a member matches against it, and the line found maps this
//! player's time to the room's (unless the member turns it off).

use matinee_align::{align, fingerprint, AudioWindow, Line, Print, Ratio, SAMPLE_RATE};
use matinee_mpv::LaunchOptions;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::MediaSource;

/// Seconds of sound measured from the start of each copy.
pub(super) const WINDOW_SECS: f64 = 120.0;
/// Below this, an offset is the same copy (a fraction of a frame).
const SAME_WITHIN_SECS: f64 = 0.02;

/// Where alignment stands, for people.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AlignState {
    /// Listening to this copy (a few seconds).
    Measuring,
    /// This copy is measured; the host's fingerprint has not come yet.
    Waiting,
    /// Not measured: the film streams from a server (decoding two minutes
    /// of sound would mean downloading them).
    Unavailable,
    /// This copy is the reference others align to.
    Reference,
    /// Aligned (or the same copy): positions follow the host's content.
    Aligned,
    /// The sound did not match the host's.
    NoMatch,
    /// The member turned alignment off (or it could not be measured).
    Off,
}

/// What background work reports back to the session.
pub(super) enum AlignNews {
    Decoded(Result<AudioWindow, String>),
    Matched(Result<matinee_align::Alignment, matinee_align::Unmatched>),
}

/// The session's alignment state.
pub(super) struct Aligner {
    news: mpsc::Sender<AlignNews>,
    own: Option<AudioWindow>,
    pub own_print: Option<Print>,
    host: Option<(String, Print)>,
    found: Option<matinee_align::Alignment>,
    matching: bool,
    unmatched: Option<matinee_align::Unmatched>,
    pub enabled: bool,
    pub state: AlignState,
}

impl Aligner {
    /// Starts measuring this copy in the background.
    pub fn start(mpv: &LaunchOptions, media: &MediaSource) -> (Self, mpsc::Receiver<AlignNews>) {
        let (news, rx) = mpsc::channel(4);
        let (mpv, target, headers) = (
            mpv.clone(),
            media.target.clone(),
            media.http_headers.clone(),
        );
        let streamed = target.starts_with("http://") || target.starts_with("https://");
        if !streamed {
            let tx = news.clone();
            tokio::spawn(async move {
                let w = matinee_align::decode(&mpv, &target, &headers, 0.0, WINDOW_SECS)
                    .await
                    .map_err(|e| e.to_string());
                let _ = tx.send(AlignNews::Decoded(w)).await;
            });
        }
        let me = Self {
            news,
            own: None,
            own_print: None,
            host: None,
            found: None,
            matching: false,
            unmatched: None,
            enabled: true,
            state: if streamed {
                AlignState::Unavailable
            } else {
                AlignState::Measuring
            },
        };
        (me, rx)
    }

    /// This copy's sound is in.
    pub fn decoded(&mut self, window: AudioWindow) {
        self.own_print = Some(Print {
            start: window.start,
            values: fingerprint(&window.samples, SAMPLE_RATE),
        });
        self.own = Some(window);
        if self.state == AlignState::Measuring {
            self.state = AlignState::Waiting;
        }
        self.try_match();
    }

    /// The host's fingerprint came (or a new host's).
    pub fn host_print(&mut self, nickname: String, print: Print) {
        self.host = Some((nickname, print));
        self.found = None;
        if self.own.is_some() {
            self.state = AlignState::Measuring;
        }
        self.try_match();
    }

    fn try_match(&mut self) {
        let (Some(own), Some((_, host))) = (&self.own, &self.host) else {
            return;
        };
        if self.matching {
            return;
        }
        self.matching = true;
        let (own, host, tx) = (own.clone(), host.clone(), self.news.clone());
        tokio::spawn(async move {
            let found = tokio::task::spawn_blocking(move || align(&host, &own))
                .await
                .unwrap_or(Err(matinee_align::Unmatched::Ambiguous));
            let _ = tx.send(AlignNews::Matched(found)).await;
        });
    }

    /// A match finished.
    pub fn matched(&mut self, found: Result<matinee_align::Alignment, matinee_align::Unmatched>) {
        self.matching = false;
        self.found = found.ok();
        self.unmatched = found.err();
        self.state = match (found, self.enabled) {
            (Ok(_), true) => AlignState::Aligned,
            (Ok(_), false) => AlignState::Off,
            (Err(_), _) => AlignState::NoMatch,
        };
    }

    /// A match was found (alignment can be switched on and off).
    pub fn switchable(&self) -> bool {
        self.found.is_some()
    }

    /// The line positions go through now.
    pub fn line(&self) -> Line {
        match self.found {
            Some(f) if self.enabled && !same_copy(&f) => f.line,
            _ => Line::IDENTITY,
        }
    }

    /// Turns alignment on or off (a found line is kept either way).
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
        if self.found.is_some() {
            self.state = if on {
                AlignState::Aligned
            } else {
                AlignState::Off
            };
        }
    }

    /// The sentence for people about where alignment stands.
    pub fn message(&self) -> String {
        let host = self
            .host
            .as_ref()
            .map_or_else(|| "the host".to_string(), |(n, _)| n.clone());
        match (&self.state, self.found) {
            (AlignState::Measuring, _) => "Listening to your copy's sound to match it with the host's…".into(),
            (AlignState::Waiting, _) => "Your copy's sound is measured; waiting for the host's to match it.".into(),
            (AlignState::Unavailable, _) => "Streamed films are synced by position (aligning by sound needs the file on this computer).".into(),
            (AlignState::Reference, _) => "Friends with other copies of the film are aligned to yours by its sound.".into(),
            (AlignState::NoMatch, _) => match self.unmatched {
                Some(matinee_align::Unmatched::TooEven) => format!(
                    "Your copy's or {host}'s sound is too even to align by (silence or a steady tone): synced by position."
                ),
                Some(matinee_align::Unmatched::Ambiguous) => format!(
                    "Could not tell where your copy's sound meets {host}'s (it repeats): synced by position."
                ),
                _ => format!(
                    "Could not match your copy's sound to {host}'s (a different film or a different language track?)"
                ),
            },
            (AlignState::Aligned, Some(f)) => describe(&f, &host),
            (AlignState::Off, Some(_)) => format!("Alignment to {host}'s copy is off: positions are synced as numbers."),
            (AlignState::Off, None) => "Your copy's sound could not be measured; positions are synced as numbers.".into(),
            (AlignState::Aligned, None) => String::new(),
        }
    }
}

fn same_copy(f: &matinee_align::Alignment) -> bool {
    f.ratio == Ratio::Same && f.line.b.abs() < SAME_WITHIN_SECS
}

/// "Your copy starts 4.0 s later than Ana's — aligned".
fn describe(f: &matinee_align::Alignment, host: &str) -> String {
    let shift = -f.line.b / f.line.a; // this copy's time at the host's 0
    let offset = if shift.abs() < SAME_WITHIN_SECS {
        None
    } else if shift > 0.0 {
        Some(format!("starts {shift:.1} s later than {host}'s"))
    } else {
        Some(format!("starts {:.1} s earlier than {host}'s", -shift))
    };
    match (f.ratio, offset) {
        (Ratio::Same, None) => format!("Your copy's sound matches {host}'s."),
        (Ratio::Same, Some(o)) => format!("Your copy {o} — aligned."),
        (Ratio::Pal, o) => format!(
            "Your copy is the 25 fps release{} — aligned by speed.",
            o.map(|o| format!(" and {o}")).unwrap_or_default()
        ),
        (Ratio::Film, o) => format!(
            "Your copy is the 23.976 fps release of {host}'s 25 fps one{} — aligned by speed.",
            o.map(|o| format!(" and {o}")).unwrap_or_default()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use matinee_align::Alignment;

    fn found(ratio: Ratio, a: f64, b: f64) -> Alignment {
        Alignment {
            line: Line { a, b },
            ratio,
            difference: 0.01,
            overlap_secs: 110.0,
        }
    }

    #[test]
    fn says_what_it_found() {
        assert_eq!(
            describe(&found(Ratio::Same, 1.0, -4.0), "Ana"),
            "Your copy starts 4.0 s later than Ana's — aligned."
        );
        assert_eq!(
            describe(&found(Ratio::Same, 1.0, 2.5), "Ana"),
            "Your copy starts 2.5 s earlier than Ana's — aligned."
        );
        assert_eq!(
            describe(&found(Ratio::Pal, 1.0427, 0.0), "Ana"),
            "Your copy is the 25 fps release — aligned by speed."
        );
        assert_eq!(
            describe(&found(Ratio::Same, 1.0, 0.001), "Ana"),
            "Your copy's sound matches Ana's."
        );
    }
}
