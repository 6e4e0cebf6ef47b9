//! Moving a subtitle file's cue times from one copy's time to another's
//! (the line an aligned copy maps through), leaving everything else as it
//! was: text, styles, positions, line endings.

use matinee_protocol::SubtitleFormat;

/// `text` with every cue's start and end mapped through `map` (seconds to
/// seconds; times before 0 become 0).
pub fn retime(text: &str, format: SubtitleFormat, map: impl Fn(f64) -> f64) -> String {
    let mut out = String::with_capacity(text.len() + 64);
    for line in text.split_inclusive('\n') {
        let mapped = match format {
            SubtitleFormat::Srt | SubtitleFormat::Vtt => cue_timing(line, format, &map),
            SubtitleFormat::Ass | SubtitleFormat::Ssa => ass_event(line, &map),
        };
        out.push_str(mapped.as_deref().unwrap_or(line));
    }
    out
}

/// An SRT or WebVTT timing line (`00:00:01,000 --> 00:00:02,500` and any
/// cue settings after it), mapped; None for any other line.
fn cue_timing(line: &str, format: SubtitleFormat, map: &impl Fn(f64) -> f64) -> Option<String> {
    let (start, rest) = line.split_once("-->")?;
    let rest_trimmed = rest.trim_start();
    let end_len = rest_trimmed
        .find(|c: char| c.is_whitespace())
        .unwrap_or(rest_trimmed.len());
    let (end, after) = rest_trimmed.split_at(end_len);
    let start = parse_clock(start.trim())?;
    let end = parse_clock(end)?;
    let comma = format == SubtitleFormat::Srt;
    Some(format!(
        "{} --> {}{after}",
        clock_ms(map(start), comma),
        clock_ms(map(end), comma)
    ))
}

/// An ASS/SSA `Dialogue:` or `Comment:` event with its start and end
/// (second and third fields) mapped; None for any other line.
fn ass_event(line: &str, map: &impl Fn(f64) -> f64) -> Option<String> {
    let (kind, fields) = line.split_once(':')?;
    if !matches!(kind.trim(), "Dialogue" | "Comment") {
        return None;
    }
    let mut parts = fields.splitn(4, ',');
    let first = parts.next()?;
    let start = parse_clock(parts.next()?.trim())?;
    let end = parse_clock(parts.next()?.trim())?;
    let rest = parts.next()?;
    Some(format!(
        "{kind}:{first},{},{},{rest}",
        clock_cs(map(start)),
        clock_cs(map(end))
    ))
}

/// `[[h:]mm:]ss[.,]fraction` in seconds.
fn parse_clock(s: &str) -> Option<f64> {
    let (whole, fraction) = match s.find(['.', ',']) {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, ""),
    };
    if whole.split(':').count() > 3 {
        return None;
    }
    let mut secs = 0.0;
    for part in whole.split(':') {
        if part.is_empty() || !part.bytes().all(|b| b.is_ascii_digit()) || part.len() > 3 {
            return None;
        }
        secs = secs * 60.0 + part.parse::<f64>().ok()?;
    }
    if !fraction.is_empty() {
        if !fraction.bytes().all(|b| b.is_ascii_digit()) || fraction.len() > 6 {
            return None;
        }
        secs += format!("0.{fraction}").parse::<f64>().ok()?;
    }
    Some(secs)
}

/// `HH:MM:SS,mmm` (SRT) or `HH:MM:SS.mmm` (WebVTT).
fn clock_ms(secs: f64, comma: bool) -> String {
    let ms = (secs.max(0.0) * 1000.0).round() as u64;
    let sep = if comma { ',' } else { '.' };
    format!(
        "{:02}:{:02}:{:02}{sep}{:03}",
        ms / 3_600_000,
        ms / 60_000 % 60,
        ms / 1000 % 60,
        ms % 1000
    )
}

/// `H:MM:SS.cc` (ASS/SSA: centiseconds).
fn clock_cs(secs: f64) -> String {
    let cs = (secs.max(0.0) * 100.0).round() as u64;
    format!(
        "{}:{:02}:{:02}.{:02}",
        cs / 360_000,
        cs / 6000 % 60,
        cs / 100 % 60,
        cs % 100
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn srt_cues_move_and_nothing_else_changes() {
        let srt = "1\r\n00:00:01,000 --> 00:00:06,000\r\nHello --> there\r\n\r\n2\r\n00:59:59,900 --> 01:00:02,000 X1:10\r\nBye\r\n";
        let moved = retime(srt, SubtitleFormat::Srt, |t| t + 4.0);
        assert_eq!(
            moved,
            "1\r\n00:00:05,000 --> 00:00:10,000\r\nHello --> there\r\n\r\n2\r\n01:00:03,900 --> 01:00:06,000 X1:10\r\nBye\r\n"
        );
        // Before the start of the film: 0.
        let early = retime(
            "1\n00:00:01,000 --> 00:00:03,000\nHi\n",
            SubtitleFormat::Srt,
            |t| t - 2.0,
        );
        assert_eq!(early, "1\n00:00:00,000 --> 00:00:01,000\nHi\n");
    }

    #[test]
    fn webvtt_keeps_its_settings_and_short_clocks_are_read() {
        let vtt = "WEBVTT\n\n01:02.500 --> 01:04.000 align:start line:0\nHi\n";
        let moved = retime(vtt, SubtitleFormat::Vtt, |t| t * 2.0);
        assert_eq!(
            moved,
            "WEBVTT\n\n00:02:05.000 --> 00:02:08.000 align:start line:0\nHi\n"
        );
    }

    #[test]
    fn ass_events_move_with_their_commas_and_styles() {
        let ass = "[Script Info]\nTitle: x, y\n\n[Events]\nFormat: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\nDialogue: 0,0:00:01.00,0:00:06.50,Default,,0,0,0,,{\\i1}Hello, world{\\i0}\nComment: 0,0:00:02.00,0:00:03.00,Default,,0,0,0,,note\n";
        let moved = retime(ass, SubtitleFormat::Ass, |t| t * 1.5 + 4.0);
        assert!(
            moved.contains(
                "Dialogue: 0,0:00:05.50,0:00:13.75,Default,,0,0,0,,{\\i1}Hello, world{\\i0}\n"
            ),
            "{moved}"
        );
        assert!(
            moved.contains("Comment: 0,0:00:07.00,0:00:08.50,Default"),
            "{moved}"
        );
        assert!(moved.starts_with("[Script Info]\nTitle: x, y\n"));
    }

    #[test]
    fn odd_lines_are_left_alone() {
        for line in [
            "abc --> def\n",
            "1:2:3:4,5 --> 00:00:01,000\n",
            "Dialogue: nonsense\n",
        ] {
            assert_eq!(retime(line, SubtitleFormat::Srt, |t| t + 1.0), line);
            assert_eq!(retime(line, SubtitleFormat::Ass, |t| t + 1.0), line);
        }
    }
}
