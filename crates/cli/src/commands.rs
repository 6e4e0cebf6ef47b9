//! Commands typed while the CLI runs.

use matinee_client_core::{SessionCmd, SessionSnapshot};
use matinee_protocol::ControlMode;

const HELP: &str = "commands: play, pause, seek SECONDS, speed X, ready, unready, start, start!, \
chat TEXT, name NEW, mode shared|host-only, host ID, kick ID, nowait ID, reopen, who, quit";

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
        "seek" => SessionCmd::SeekTo(number("a position in seconds")?),
        "speed" => SessionCmd::SetSpeed(number("a speed like 1.0")?),
        "ready" => SessionCmd::Ready(true),
        "unready" => SessionCmd::Ready(false),
        "start" => SessionCmd::Start { force: false },
        "start!" => SessionCmd::Start { force: true },
        "chat" if !rest.is_empty() => SessionCmd::Chat(rest.to_string()),
        "name" if !rest.is_empty() => SessionCmd::Rename(rest.to_string()),
        "mode" => SessionCmd::SetControlMode(match rest {
            "shared" => ControlMode::Shared,
            "host-only" => ControlMode::HostOnly,
            _ => return Err("mode shared or mode host-only".into()),
        }),
        "host" => SessionCmd::PassHost(id()?),
        "kick" => SessionCmd::Kick(id()?),
        "nowait" => SessionCmd::StopWaitingFor(id()?),
        "reopen" => SessionCmd::ReopenPlayer,
        "quit" | "leave" | "exit" => SessionCmd::Leave,
        "who" => return Ok(None),
        _ => return Err(HELP.into()),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_become_commands() {
        assert_eq!(parse_command("kick 3"), Ok(Some(SessionCmd::Kick(3))));
        assert_eq!(
            parse_command(" nowait 2 "),
            Ok(Some(SessionCmd::StopWaitingFor(2)))
        );
        assert!(parse_command("nowait Ben")
            .unwrap_err()
            .contains("participant id"));
        assert_eq!(parse_command(""), Ok(None));
        assert!(parse_command("dance").unwrap_err().contains("nowait ID"));
    }
}
