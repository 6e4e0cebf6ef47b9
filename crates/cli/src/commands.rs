//! Commands typed while the CLI runs.

use matinee_client_core::{SessionCmd, SessionSnapshot};
use matinee_protocol::{ControlMode, SubtitleChoice, TrackChoice, TrackKind, TrackProposal};

const HELP: &str = "commands: play, pause, seek SECONDS, speed X, ready, unready, start, start!, \
chat TEXT, name NEW, mode shared|host-only, host ID, kick ID, nowait ID, reopen, who, \
sub FILE (share subtitles), use ID, ignore ID, tracks, \
propose [audio=LANG] [sub=LANG|off] [delay=SECONDS], align on|off, \
queue, queue add FILE|jellyfin:ID, queue rm N, queue mv N M, queue play N, queue wait, next, films FOLDER, copy N FILE, \
end (host: end the party for everyone), quit";

/// What a typed line asks for.
#[derive(Debug, PartialEq)]
pub enum Typed {
    Command(SessionCmd),
    /// Something to show (help, the participant list).
    Show(String),
    Nothing,
}

/// Parses one typed line.
pub fn parse(line: &str, snap: &SessionSnapshot) -> Typed {
    let trimmed = line.trim();
    if let Some(rest) = trimmed
        .strip_prefix("queue")
        .filter(|r| r.is_empty() || r.starts_with(' '))
    {
        return match queue_command(rest.trim(), snap) {
            Ok(Some(cmd)) => Typed::Command(cmd),
            Ok(None) => Typed::Show(queue_text(snap)),
            Err(usage) => Typed::Show(usage),
        };
    }
    if let Some(rest) = trimmed.strip_prefix("copy ") {
        let (place, file) = rest.trim().split_once(' ').unwrap_or((rest, ""));
        return match (entry_at(place, snap), file.trim()) {
            (Ok(id), file) if !file.is_empty() => Typed::Command(SessionCmd::ChooseCopy {
                id,
                path: file.into(),
            }),
            (Err(e), _) => Typed::Show(e),
            _ => Typed::Show("copy N FILE: FILE is your copy of entry N".into()),
        };
    }
    match parse_command(line) {
        Ok(Some(cmd)) => Typed::Command(cmd),
        Ok(None) if line.trim() == "who" => Typed::Show(
            snap.participants
                .iter()
                .map(|p| {
                    format!(
                        "{:>3} {}{}{}",
                        p.id,
                        p.nickname,
                        if p.host { " (host)" } else { "" },
                        if p.ready { " ready" } else { "" }
                    )
                })
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Ok(None) if line.trim() == "tracks" => Typed::Show(tracks_text(snap)),
        Ok(None) => Typed::Nothing,
        Err(help) => Typed::Show(help),
    }
}

fn parse_command(line: &str) -> Result<Option<SessionCmd>, String> {
    let line = line.trim();
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    let rest = rest.trim();
    let number = |what: &str| -> Result<f64, String> {
        rest.parse::<f64>()
            .ok()
            .filter(|v| v.is_finite())
            .ok_or_else(|| format!("{word} needs {what}"))
    };
    let id = || -> Result<u32, String> {
        rest.parse()
            .map_err(|_| format!("{word} needs a participant id (see who)"))
    };
    Ok(Some(match word {
        "" => return Ok(None),
        "play" => SessionCmd::Play,
        "pause" => SessionCmd::Pause,
        "seek" => SessionCmd::Seek {
            position: number("a position in seconds")?,
        },
        "speed" => SessionCmd::SetSpeed {
            speed: number("a speed like 1.0")?,
        },
        "ready" => SessionCmd::Ready { ready: true },
        "unready" => SessionCmd::Ready { ready: false },
        "start" => SessionCmd::Start { force: false },
        "start!" => SessionCmd::Start { force: true },
        "chat" if !rest.is_empty() => SessionCmd::Chat {
            text: rest.to_string(),
        },
        "name" if !rest.is_empty() => SessionCmd::Rename {
            name: rest.to_string(),
        },
        "mode" => SessionCmd::SetControlMode {
            mode: match rest {
                "shared" => ControlMode::Shared,
                "host-only" => ControlMode::HostOnly,
                _ => return Err("mode shared or mode host-only".into()),
            },
        },
        "host" => SessionCmd::PassHost { to: id()? },
        "kick" => SessionCmd::Kick { participant: id()? },
        "nowait" => SessionCmd::StopWaitingFor { participant: id()? },
        "reopen" => SessionCmd::ReopenPlayer,
        "sub" if !rest.is_empty() => SessionCmd::ShareSubtitle { path: rest.into() },
        "use" => SessionCmd::UseSubtitle {
            id: file_id(word, rest)?,
            used: true,
        },
        "ignore" => SessionCmd::UseSubtitle {
            id: file_id(word, rest)?,
            used: false,
        },
        "propose" => SessionCmd::ProposeTracks {
            proposal: proposal(rest)?,
        },
        "tracks" => return Ok(None),
        "align" => SessionCmd::SetAlignment {
            on: match rest {
                "on" => true,
                "off" => false,
                _ => return Err("align on or align off".into()),
            },
        },
        "next" => SessionCmd::QueueNext,
        "films" if !rest.is_empty() => SessionCmd::FilmFolders {
            folders: vec![rest.into()],
        },
        "end" => SessionCmd::EndParty,
        "quit" | "leave" | "exit" => SessionCmd::Leave,
        "who" => return Ok(None),
        _ => return Err(HELP.into()),
    }))
}

const QUEUE_USAGE: &str =
    "queue, queue add FILE|jellyfin:ID, queue rm N, queue mv N M, queue play N, queue wait (N: the place in the queue)";

/// The id of the entry at place `n` (from 1, as `queue` shows them).
fn entry_at(n: &str, snap: &SessionSnapshot) -> Result<u32, String> {
    let place: usize = n
        .parse()
        .map_err(|_| format!("{n:?} is not a place in the queue (see queue)"))?;
    place
        .checked_sub(1)
        .and_then(|i| snap.queue.entries.get(i))
        .map(|e| e.id)
        .ok_or_else(|| format!("the queue has no entry {place} (see queue)"))
}

/// `queue add FILE` or `queue add jellyfin:ID`.
fn queue_add(what: &str) -> Result<SessionCmd, String> {
    Ok(match what.strip_prefix("jellyfin:") {
        Some(item) if !item.trim().is_empty() => SessionCmd::QueueAddJellyfin {
            item: item.trim().into(),
            play: false,
        },
        Some(_) => return Err("queue add jellyfin:ID (the item's id on your server)".into()),
        None => SessionCmd::QueueAdd {
            paths: vec![what.into()],
            play: false,
        },
    })
}

/// `queue …`: None shows the queue.
fn queue_command(rest: &str, snap: &SessionSnapshot) -> Result<Option<SessionCmd>, String> {
    let (word, args) = rest.split_once(' ').unwrap_or((rest, ""));
    let args = args.trim();
    let mut numbers = args.split_whitespace();
    Ok(Some(match word {
        "" => return Ok(None),
        "add" if !args.is_empty() => queue_add(args)?,
        "rm" => SessionCmd::QueueRemove {
            id: entry_at(args, snap)?,
        },
        "play" => SessionCmd::QueuePlay {
            id: entry_at(args, snap)?,
        },
        "mv" => {
            let (Some(from), Some(to)) = (numbers.next(), numbers.next()) else {
                return Err(QUEUE_USAGE.into());
            };
            let to: u32 = to
                .parse()
                .ok()
                .filter(|t| *t >= 1)
                .ok_or_else(|| format!("{to:?} is not a place in the queue"))?;
            SessionCmd::QueueMove {
                id: entry_at(from, snap)?,
                to: to - 1,
            }
        }
        "wait" => SessionCmd::QueueWait,
        _ => return Err(QUEUE_USAGE.into()),
    }))
}

/// The queue as `queue` shows it: place, title, who added it, whether
/// this member has a copy, the entry on now and the countdown.
fn queue_text(snap: &SessionSnapshot) -> String {
    let q = &snap.queue;
    if q.entries.is_empty() {
        return "the queue is empty (queue add FILE)".into();
    }
    let mut lines: Vec<String> = q
        .entries
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let now = if q.current == Some(e.id) { "▶" } else { " " };
            let mine = match snap.own_copies.get(&e.id) {
                Some(file) => format!("your copy: {file}"),
                None => "no copy here".into(),
            };
            let without: Vec<String> = e
                .without
                .iter()
                .filter_map(|id| snap.participants.iter().find(|p| p.id == *id))
                .map(|p| p.nickname.clone())
                .collect();
            let missing = if without.is_empty() {
                String::new()
            } else {
                format!(" · no copy: {}", without.join(", "))
            };
            format!(
                "{now}{:>3}. {} (added by {}) · {mine}{missing}",
                i + 1,
                e.item.title,
                e.added_by
            )
        })
        .collect();
    if q.next_at_ms.is_some() {
        if let Some(next) = q.next_entry() {
            lines.push(format!(
                "next: {} (queue wait stays on this one)",
                next.item.title
            ));
        }
    }
    lines.join("\n")
}

fn file_id(word: &str, rest: &str) -> Result<u32, String> {
    rest.parse()
        .map_err(|_| format!("{word} needs the number of a shared subtitle"))
}

/// `audio=ja sub=en delay=0.5` (`sub=off` for none).
fn proposal(rest: &str) -> Result<TrackProposal, String> {
    const USAGE: &str =
        "propose [audio=LANG] [sub=LANG|off] [delay=SECONDS], e.g. propose audio=ja sub=en";
    let lang = |v: &str| TrackChoice {
        lang: Some(v.to_string()),
        title: None,
    };
    let mut p = TrackProposal::default();
    for word in rest.split_whitespace() {
        match word.split_once('=') {
            Some(("audio", v)) if !v.is_empty() => p.audio = Some(lang(v)),
            Some(("sub", "off")) => p.subtitles = Some(SubtitleChoice::Off),
            Some(("sub", v)) if !v.is_empty() => {
                p.subtitles = Some(SubtitleChoice::Track { choice: lang(v) })
            }
            Some(("delay", v)) => {
                p.sub_delay = Some(
                    v.parse::<f64>()
                        .ok()
                        .filter(|d| d.is_finite() && d.abs() <= 600.0)
                        .ok_or(USAGE)?,
                )
            }
            _ => return Err(USAGE.into()),
        }
    }
    if p == TrackProposal::default() {
        return Err(USAGE.into());
    }
    Ok(p)
}

/// This player's tracks, as `tracks` shows them.
fn tracks_text(snap: &SessionSnapshot) -> String {
    let Some(tracks) = snap.tracks.get(&snap.you).filter(|t| !t.is_empty()) else {
        return "no audio or subtitle tracks listed yet".into();
    };
    tracks
        .iter()
        .map(|t| {
            format!(
                "{} {:>2} {}{}",
                match t.kind {
                    TrackKind::Audio => "audio",
                    TrackKind::Sub => "sub  ",
                },
                t.id,
                t.label(),
                if t.selected { "  (selected)" } else { "" }
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_become_commands() {
        assert_eq!(
            parse_command("kick 3"),
            Ok(Some(SessionCmd::Kick { participant: 3 }))
        );
        assert_eq!(
            parse_command(" nowait 2 "),
            Ok(Some(SessionCmd::StopWaitingFor { participant: 2 }))
        );
        assert!(parse_command("nowait Ben")
            .unwrap_err()
            .contains("participant id"));
        assert_eq!(parse_command(""), Ok(None));
        assert!(parse_command("dance").unwrap_err().contains("nowait ID"));
    }

    #[test]
    fn queue_add_takes_a_file_or_a_jellyfin_item() {
        assert_eq!(
            queue_add("jellyfin:5555abcd"),
            Ok(SessionCmd::QueueAddJellyfin {
                item: "5555abcd".into(),
                play: false,
            })
        );
        assert_eq!(
            queue_add("/films/The.Show.S01E01.mkv"),
            Ok(SessionCmd::QueueAdd {
                paths: vec!["/films/The.Show.S01E01.mkv".into()],
                play: false,
            })
        );
        assert!(queue_add("jellyfin:").unwrap_err().contains("jellyfin:ID"));
    }

    #[test]
    fn propose_and_sharing_lines() {
        let Ok(Some(SessionCmd::ProposeTracks { proposal: p })) =
            parse_command("propose audio=ja sub=off delay=-0.5")
        else {
            panic!("a proposal")
        };
        assert_eq!(p.audio.unwrap().lang.as_deref(), Some("ja"));
        assert_eq!(p.subtitles, Some(SubtitleChoice::Off));
        assert_eq!(p.sub_delay, Some(-0.5));
        assert!(parse_command("propose").unwrap_err().contains("audio=LANG"));
        assert!(parse_command("propose delay=9999").is_err());
        assert_eq!(
            parse_command("sub /tmp/a b.srt"),
            Ok(Some(SessionCmd::ShareSubtitle {
                path: "/tmp/a b.srt".into()
            }))
        );
        assert_eq!(
            parse_command("use 2"),
            Ok(Some(SessionCmd::UseSubtitle { id: 2, used: true }))
        );
        assert!(parse_command("ignore x")
            .unwrap_err()
            .contains("shared subtitle"));
    }
}
