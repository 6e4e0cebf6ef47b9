//! Aligning this copy to the host's by sound: the session decodes a
//! window of its own copy in the background, the host sends its
//! fingerprints (of the start, and of a second place further in), a
//! member matches its own against each, and the line found maps this
//! player's time to the room's (unless the member turns it off). Two places
//! far apart pin the speed ratio down: a copy running 0.1 % faster (24 vs
//! 23.976 fps) drifts 1.2 s in 20 minutes.
//!
//! [`Aligner`] holds the rules and does no I/O: it takes what happened
//! (a window decoded, a host's print, a match found) and queues the work
//! to do next ([`AlignJob`]: decode a place, match two prints), which the
//! session hands to an [`AlignWorker`] (mpv and the matcher, off the
//! session's task); what the worker finds comes back as [`AlignNews`].

use matinee_align::{
    align, fingerprint, Alignment, AudioWindow, Line, Print, Ratio, Unmatched, SAMPLE_RATE,
};
use matinee_mpv::LaunchOptions;
use serde::Serialize;
use tokio::sync::mpsc;

use crate::MediaSource;

/// Seconds of sound measured from the start of each copy.
pub(super) const WINDOW_SECS: f64 = 120.0;
/// Below this, an offset is the same copy (a fraction of a frame).
const SAME_WITHIN_SECS: f64 = 0.02;
/// Where the second place is: 20 minutes in, or half way in a shorter
/// film; none in a film under this long.
const SECOND_AT_SECS: f64 = 1200.0;
const SECOND_NEEDS_SECS: f64 = 150.0;
/// A second place whose speed differs from the first's by more than this
/// share is not believed (a different cut between them).
const FIT_AGREES_WITHIN: f64 = 0.005;

/// Where the host measures its second place in a film this long.
pub(super) fn second_place(duration: f64) -> Option<f64> {
    (duration >= SECOND_NEEDS_SECS).then(|| (duration / 2.0).min(SECOND_AT_SECS))
}

/// Where alignment stands, for people.
#[derive(Debug, Clone, PartialEq, Serialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum AlignState {
    /// Listening to this copy (a few seconds).
    Measuring,
    /// This copy is measured; the host's fingerprint has not come yet.
    Waiting,
    /// This copy is the reference others align to.
    Reference,
    /// Aligned (or the same copy): positions follow the host's content.
    Aligned,
    /// The sound did not match the host's.
    NoMatch,
    /// The member turned alignment off (or it could not be measured).
    Off,
}

/// The two places measured: the start, and one further in.
const PLACES: usize = 2;

fn place_of(start: f64) -> usize {
    usize::from(start >= 1.0)
}

/// Work the aligner asks for.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum AlignJob {
    /// Decode this copy's sound from `start` (place `place`).
    Decode { place: usize, start: f64 },
    /// Match this copy's window against the host's print at `place`.
    Match {
        place: usize,
        own: AudioWindow,
        host: Print,
    },
}

/// What background work reports back to the session.
pub(super) enum AlignNews {
    Decoded(usize, Result<Measured, String>),
    Matched(usize, Result<Alignment, Unmatched>),
}

/// A window of this copy's sound and its fingerprint, both made off the
/// session's task.
pub(super) struct Measured {
    pub window: AudioWindow,
    print: Print,
}

/// One place: this copy's window there, the host's print, what matched.
#[derive(Default)]
struct Place {
    own: Option<AudioWindow>,
    own_print: Option<Print>,
    print_sent: bool,
    decoding: bool,
    host: Option<Print>,
    matching: bool,
    found: Option<Result<Alignment, Unmatched>>,
}

/// Runs the aligner's jobs off the session's task: decoding with mpv,
/// fingerprinting and matching on blocking threads. Each result comes back
/// on the news channel.
pub(super) struct AlignWorker {
    news: mpsc::Sender<AlignNews>,
    mpv: LaunchOptions,
    target: String,
    headers: Vec<String>,
}

impl AlignWorker {
    pub fn new(mpv: &LaunchOptions, media: &MediaSource) -> (Self, mpsc::Receiver<AlignNews>) {
        let (news, rx) = mpsc::channel(8);
        let worker = Self {
            news,
            mpv: mpv.clone(),
            target: media.target.clone(),
            headers: media.http_headers.clone(),
        };
        (worker, rx)
    }

    pub fn run(&self, job: AlignJob) {
        let tx = self.news.clone();
        match job {
            AlignJob::Decode { place, start } => {
                let (mpv, target, headers) =
                    (self.mpv.clone(), self.target.clone(), self.headers.clone());
                tokio::spawn(async move {
                    let measured = measure(&mpv, &target, &headers, start).await;
                    let _ = tx.send(AlignNews::Decoded(place, measured)).await;
                });
            }
            AlignJob::Match { place, own, host } => {
                tokio::spawn(async move {
                    let found = tokio::task::spawn_blocking(move || align(&host, &own))
                        .await
                        .unwrap_or(Err(Unmatched::Ambiguous));
                    let _ = tx.send(AlignNews::Matched(place, found)).await;
                });
            }
        }
    }
}

/// This copy's window from `start`, and its fingerprint.
async fn measure(
    mpv: &LaunchOptions,
    target: &str,
    headers: &[String],
    start: f64,
) -> Result<Measured, String> {
    let window = matinee_align::decode(mpv, target, headers, start, WINDOW_SECS)
        .await
        .map_err(|e| e.to_string())?;
    tokio::task::spawn_blocking(move || Measured {
        print: Print {
            start: window.start,
            values: fingerprint(&window.samples, SAMPLE_RATE),
        },
        window,
    })
    .await
    .map_err(|e| e.to_string())
}

/// The session's alignment state.
pub(super) struct Aligner {
    host_name: Option<String>,
    places: [Place; PLACES],
    pub enabled: bool,
    state: AlignState,
    /// Work asked for and not yet taken by the session.
    jobs: Vec<AlignJob>,
}

impl Aligner {
    /// Starts by asking for this copy's start to be measured.
    pub fn new() -> Self {
        let mut me = Self {
            host_name: None,
            places: Default::default(),
            enabled: true,
            state: AlignState::Measuring,
            jobs: Vec::new(),
        };
        me.measure(0, 0.0);
        me
    }

    /// The work asked for since the last call, for an [`AlignWorker`].
    pub fn take_jobs(&mut self) -> Vec<AlignJob> {
        std::mem::take(&mut self.jobs)
    }

    /// Asks for this copy's window at `start` (place `i`), once.
    fn measure(&mut self, i: usize, start: f64) {
        let place = &mut self.places[i];
        if place.decoding || place.own.is_some() {
            return;
        }
        place.decoding = true;
        self.jobs.push(AlignJob::Decode { place: i, start });
    }

    /// The host measures its second place, in a film this long.
    pub fn measure_second(&mut self, duration: f64) {
        if let Some(start) = second_place(duration) {
            self.measure(1, start);
        }
    }

    /// This copy's sound at place `i` is in (or could not be decoded).
    pub fn decoded(&mut self, i: usize, measured: Result<Measured, String>) {
        let place = &mut self.places[i];
        place.decoding = false;
        let Measured { window, print } = match measured {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(error = %e, place = i, "could not measure this copy's sound");
                if i == 0 {
                    self.state = AlignState::Off;
                }
                return;
            }
        };
        place.own_print = Some(print);
        place.own = Some(window);
        if i == 0 && self.state == AlignState::Measuring {
            self.state = AlignState::Waiting;
        }
        self.try_match(i);
    }

    /// Our prints not sent yet (when we are host).
    pub fn prints_to_send(&mut self) -> Vec<Print> {
        self.places
            .iter_mut()
            .filter(|p| !p.print_sent)
            .filter_map(|p| {
                let print = p.own_print.clone()?;
                p.print_sent = true;
                Some(print)
            })
            .collect()
    }

    /// Our prints go out again (we became host, or the relay rebuilt the
    /// room).
    pub fn resend_prints(&mut self) {
        for p in &mut self.places {
            p.print_sent = false;
        }
    }

    /// Whether this copy's start has been measured.
    pub fn measured(&self) -> bool {
        self.places[0].own.is_some()
    }

    pub fn state(&self) -> &AlignState {
        &self.state
    }

    /// This copy is the host's: once measured, it is the reference the
    /// others align to.
    pub fn as_host(&mut self) {
        if self.measured() {
            self.state = AlignState::Reference;
        }
    }

    /// The host role went to someone else: their prints are on their way.
    pub fn became_guest(&mut self) {
        if self.measured() {
            self.state = AlignState::Waiting;
        }
    }

    /// One of the host's fingerprints came (or a new host's).
    pub fn host_print(&mut self, nickname: String, print: Print) {
        let i = place_of(print.start);
        if i == 0 {
            // A new reference: start over at both places.
            for p in &mut self.places {
                p.host = None;
                p.found = None;
            }
            if self.places[0].own.is_some() {
                self.state = AlignState::Measuring;
            }
        } else if self.places[1]
            .own
            .as_ref()
            .is_some_and(|w| (w.start - print.start).abs() > 0.5)
        {
            self.places[1] = Place::default();
        }
        self.host_name = Some(nickname);
        let start = print.start;
        self.places[i].host = Some(print);
        self.places[i].found = None;
        if i == 1 {
            self.measure(1, start);
        }
        self.try_match(i);
    }

    fn try_match(&mut self, i: usize) {
        let place = &mut self.places[i];
        let (Some(own), Some(host)) = (&place.own, &place.host) else {
            return;
        };
        if place.matching {
            return;
        }
        place.matching = true;
        let (own, host) = (own.clone(), host.clone());
        self.jobs.push(AlignJob::Match {
            place: i,
            own,
            host,
        });
    }

    /// A match finished.
    pub fn matched(&mut self, i: usize, found: Result<Alignment, Unmatched>) {
        self.places[i].matching = false;
        self.places[i].found = Some(found);
        let first = self.first();
        self.state = match (first, self.enabled) {
            (Some(Ok(_)), true) => AlignState::Aligned,
            (Some(Ok(_)), false) => AlignState::Off,
            (Some(Err(_)), _) => AlignState::NoMatch,
            (None, _) => self.state.clone(),
        };
    }

    fn first(&self) -> Option<Result<Alignment, Unmatched>> {
        self.places[0].found
    }

    /// A match was found (alignment can be switched on and off).
    pub fn switchable(&self) -> bool {
        matches!(self.first(), Some(Ok(_)))
    }

    /// The line the matches give: the first place's, with the speed taken
    /// from both places when the second agrees.
    fn found_line(&self) -> Option<(Line, Ratio)> {
        let Some(Ok(f)) = self.places[0].found else {
            return None;
        };
        let (Some(Ok(g)), Some(w1), Some(w2)) = (
            self.places[1].found,
            &self.places[0].own,
            &self.places[1].own,
        ) else {
            return Some((f.line, f.ratio));
        };
        Some((fit(&f, w1, &g, w2).unwrap_or(f.line), f.ratio))
    }

    /// The line positions go through now.
    pub fn line(&self) -> Line {
        match self.found_line() {
            Some((line, ratio)) if self.enabled && !same_copy(&line, ratio) => line,
            _ => Line::IDENTITY,
        }
    }

    /// Turns alignment on or off (a found line is kept either way).
    pub fn set_enabled(&mut self, on: bool) {
        self.enabled = on;
        if self.switchable() {
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
            .host_name
            .clone()
            .unwrap_or_else(|| "the host".to_string());
        let unmatched = match self.first() {
            Some(Err(u)) => Some(u),
            _ => None,
        };
        match (&self.state, self.found_line()) {
            (AlignState::Measuring, _) => "Listening to your copy's sound to match it with the host's…".into(),
            (AlignState::Waiting, _) => "Your copy's sound is measured; waiting for the host's to match it.".into(),
            (AlignState::Reference, _) => "Friends with other copies of the film are aligned to yours by its sound.".into(),
            (AlignState::NoMatch, _) => match unmatched {
                Some(Unmatched::TooEven) => format!(
                    "Your copy's or {host}'s sound is too even to align by (silence or a steady tone): synced by position."
                ),
                Some(Unmatched::Ambiguous) => format!(
                    "Could not tell where your copy's sound meets {host}'s (it repeats): synced by position."
                ),
                _ => format!(
                    "Could not match your copy's sound to {host}'s (a different film or a different language track?)"
                ),
            },
            (AlignState::Aligned, Some((line, ratio))) => describe(&line, ratio, &host),
            (AlignState::Off, Some(_)) => format!("Alignment to {host}'s copy is off: your copy plays at the same clock time as {host}'s."),
            (AlignState::Off, None) => "Your copy's sound could not be measured; it plays at the same clock time as the host's.".into(),
            (AlignState::Aligned, None) => String::new(),
        }
    }
}

/// The line through the two places' matches (each taken at the middle of
/// this copy's window there), when its speed agrees with the first's.
fn fit(f: &Alignment, w1: &AudioWindow, g: &Alignment, w2: &AudioWindow) -> Option<Line> {
    if f.ratio != g.ratio {
        return None;
    }
    let m1 = w1.start + w1.seconds().min(f.overlap_secs) / 2.0;
    let m2 = w2.start + w2.seconds().min(g.overlap_secs) / 2.0;
    if m2 - m1 < 10.0 {
        return None;
    }
    let (h1, h2) = (f.line.to_room(m1), g.line.to_room(m2));
    let a = (h2 - h1) / (m2 - m1);
    ((a / f.line.a - 1.0).abs() <= FIT_AGREES_WITHIN).then_some(Line { a, b: h1 - a * m1 })
}

fn same_copy(line: &Line, ratio: Ratio) -> bool {
    ratio == Ratio::Same && line.b.abs() < SAME_WITHIN_SECS && (line.a - 1.0).abs() < 1e-4
}

/// "Your copy starts 4.0 s later than Ana's — aligned".
fn describe(line: &Line, ratio: Ratio, host: &str) -> String {
    let shift = -line.b / line.a; // this copy's time at the host's 0
    let offset = if shift.abs() < SAME_WITHIN_SECS {
        None
    } else if shift > 0.0 {
        Some(format!("starts {shift:.1} s later than {host}'s"))
    } else {
        Some(format!("starts {:.1} s earlier than {host}'s", -shift))
    };
    let faster = (line.a - 1.0) * 100.0;
    match (ratio, offset) {
        (Ratio::Same, o) if faster.abs() >= 0.01 => format!(
            "Your copy runs {:.2} % {} than {host}'s{} — aligned by speed.",
            faster.abs(),
            if faster > 0.0 { "faster" } else { "slower" },
            o.map(|o| format!(" and {o}")).unwrap_or_default()
        ),
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
        let say = |ratio, a, b| describe(&Line { a, b }, ratio, "Ana");
        assert_eq!(
            say(Ratio::Same, 1.0, -4.0),
            "Your copy starts 4.0 s later than Ana's — aligned."
        );
        assert_eq!(
            say(Ratio::Same, 1.0, 2.5),
            "Your copy starts 2.5 s earlier than Ana's — aligned."
        );
        assert_eq!(
            say(Ratio::Pal, 1.0427, 0.0),
            "Your copy is the 25 fps release — aligned by speed."
        );
        assert_eq!(
            say(Ratio::Same, 1.0, 0.001),
            "Your copy's sound matches Ana's."
        );
        assert_eq!(
            say(Ratio::Same, 1.001, -4.0),
            "Your copy runs 0.10 % faster than Ana's and starts 4.0 s later than Ana's — aligned by speed."
        );
    }

    fn window(start: f64) -> AudioWindow {
        AudioWindow {
            start,
            samples: vec![0; 120 * SAMPLE_RATE as usize],
        }
    }

    #[test]
    fn two_places_give_the_speed_and_a_disagreeing_one_is_not_believed() {
        // The truth: room = 1.001 · mine - 4. Each place's match carries the
        // offset right at its own window and a ratio of 1.
        let truth = Line { a: 1.001, b: -4.0 };
        let at = |m: f64| found(Ratio::Same, 1.0, truth.to_room(m) - m);
        let (w1, w2) = (window(0.0), window(1200.0));
        // (fit takes each match at the middle of its overlap: 55 s in.)
        let line = fit(&at(55.0), &w1, &at(1255.0), &w2).expect("a line");
        assert!(
            (line.a - 1.001).abs() < 1e-9 && (line.b + 4.0).abs() < 1e-6,
            "{line:?}"
        );
        // A second place 30 s off (a cut between them) is not believed.
        let cut = found(Ratio::Same, 1.0, truth.to_room(1255.0) - 1255.0 + 30.0);
        assert_eq!(fit(&at(55.0), &w1, &cut, &w2), None);
        assert_eq!(second_place(7200.0), Some(1200.0));
        assert_eq!(second_place(150.0), Some(75.0));
        assert_eq!(second_place(100.0), None);
    }

    fn measured(start: f64) -> Measured {
        Measured {
            window: window(start),
            print: Print {
                start,
                values: vec![7; 16],
            },
        }
    }

    fn host_print(start: f64) -> Print {
        Print {
            start,
            values: vec![9; 16],
        }
    }

    #[test]
    fn asks_to_measure_then_matches_once_both_sides_are_in() {
        let mut a = Aligner::new();
        assert_eq!(
            a.take_jobs(),
            vec![AlignJob::Decode {
                place: 0,
                start: 0.0
            }]
        );
        assert_eq!(a.state(), &AlignState::Measuring);
        // The host's print first: nothing to match against yet.
        a.host_print("Ana".into(), host_print(0.0));
        assert!(a.take_jobs().is_empty());
        a.decoded(0, Ok(measured(0.0)));
        let jobs = a.take_jobs();
        assert!(
            matches!(&jobs[..], [AlignJob::Match { place: 0, host, .. }] if host.start == 0.0),
            "{jobs:?}"
        );
        assert_eq!(a.state(), &AlignState::Waiting);
        // The same print again while matching asks for nothing more.
        a.host_print("Ana".into(), host_print(0.0));
        a.decoded(0, Ok(measured(0.0)));
        assert!(a.take_jobs().is_empty(), "one match at a time");
    }

    #[test]
    fn a_match_aligns_can_be_turned_off_and_a_failure_says_so() {
        let mut a = Aligner::new();
        a.decoded(0, Ok(measured(0.0)));
        a.host_print("Ana".into(), host_print(0.0));
        a.matched(0, Ok(found(Ratio::Same, 1.0, -4.0)));
        assert_eq!(a.state(), &AlignState::Aligned);
        assert!(a.switchable());
        assert_eq!(a.line(), Line { a: 1.0, b: -4.0 });
        assert!(
            a.message().contains("4.0 s later than Ana's"),
            "{}",
            a.message()
        );
        a.set_enabled(false);
        assert_eq!(a.state(), &AlignState::Off);
        assert_eq!(a.line(), Line::IDENTITY);

        let mut b = Aligner::new();
        b.decoded(0, Ok(measured(0.0)));
        b.host_print("Ana".into(), host_print(0.0));
        b.matched(0, Err(Unmatched::TooEven));
        assert_eq!(b.state(), &AlignState::NoMatch);
        assert_eq!(b.line(), Line::IDENTITY);
        assert!(b.message().contains("too even"), "{}", b.message());

        let mut c = Aligner::new();
        c.decoded(0, Err("mpv could not open it".into()));
        assert_eq!(c.state(), &AlignState::Off);
    }

    #[test]
    fn the_host_is_the_reference_and_a_second_place_is_measured_where_the_host_did() {
        let mut host = Aligner::new();
        host.as_host();
        assert_eq!(host.state(), &AlignState::Measuring, "not measured yet");
        host.decoded(0, Ok(measured(0.0)));
        host.as_host();
        assert_eq!(host.state(), &AlignState::Reference);
        assert_eq!(host.prints_to_send().len(), 1);
        assert!(host.prints_to_send().is_empty(), "sent once");
        host.measure_second(3600.0);
        assert!(host.take_jobs().contains(&AlignJob::Decode {
            place: 1,
            start: SECOND_AT_SECS
        }));
        host.became_guest();
        assert_eq!(host.state(), &AlignState::Waiting);

        // A guest asked for the second place by the host's print there.
        let mut guest = Aligner::new();
        guest.take_jobs();
        guest.host_print("Ana".into(), host_print(1200.0));
        assert_eq!(
            guest.take_jobs(),
            vec![AlignJob::Decode {
                place: 1,
                start: 1200.0
            }]
        );
    }
}
