//! The host role and this copy's alignment by sound: who may control,
//! which fingerprints go out, and the line that maps this player to the
//! room's time.

use matinee_protocol::{ClientMsg, ControlMode};

use super::Runner;
use crate::now_ms;
use crate::session::align::AlignNews;
use crate::session::SessionEvent;

impl Runner {
    pub(super) fn update_permissions(&mut self) {
        let s = &self.model;
        let host = s.participants.iter().any(|p| p.id == s.you && p.host);
        let was_host = s.host;
        let may = host || s.control_mode == ControlMode::Shared;
        self.model.host = host;
        self.engine.set_may_control(may);
        if host != was_host {
            // The host's copy is the reference: a new host aligns to
            // nobody and sends its own fingerprints.
            self.aligner.resend_prints();
            self.measure_second_if_host();
            self.send_print_if_host();
            self.apply_line();
            if !host {
                self.aligner.became_guest();
            }
            self.emit_alignment();
        }
    }

    /// Sends our fingerprints not sent yet, when we are host.
    pub(super) fn send_print_if_host(&mut self) {
        if !self.is_host() {
            return;
        }
        for print in self.aligner.prints_to_send() {
            self.link.send(ClientMsg::AudioPrint {
                start: print.start,
                data: print.encode(),
            });
        }
    }

    /// Maps the player through the current line (the host's copy is the
    /// room's time itself).
    pub(super) fn apply_line(&mut self) {
        let line = if self.is_host() {
            matinee_align::Line::IDENTITY
        } else {
            self.aligner.line()
        };
        let changed = self.model.line != line;
        if let Some(p) = &mut self.player {
            p.set_line(line);
        }
        self.model.line = line;
        if changed && self.player.is_some() {
            let actions = self.engine.on_player_remapped(now_ms());
            self.apply(actions);
            self.tick();
        }
        if changed {
            self.place_shared_subtitles(line);
        }
    }

    pub(super) fn emit_alignment(&mut self) {
        if self.is_host() {
            self.aligner.as_host();
        }
        let message = self.aligner.message();
        if !message.is_empty() {
            self.emit(SessionEvent::Alignment {
                state: self.aligner.state().clone(),
                message,
                switchable: self.aligner.switchable() && !self.is_host(),
            });
        }
    }

    pub(super) fn on_align(&mut self, news: AlignNews) {
        match news {
            AlignNews::Decoded(place, window) => {
                if let Ok(m) = &window {
                    tracing::info!(
                        place,
                        start = m.window.start,
                        seconds = m.window.seconds(),
                        "measured this copy's sound"
                    );
                }
                self.aligner.decoded(place, window);
                self.measure_second_if_host();
                self.send_print_if_host();
            }
            AlignNews::Matched(place, found) => {
                tracing::info!(
                    place,
                    ?found,
                    "matched this copy's sound against the host's"
                );
                self.aligner.matched(place, found);
                self.apply_line();
            }
        }
        self.emit_alignment();
    }

    /// The host also measures a place further in, for the speed ratio.
    pub(super) fn measure_second_if_host(&mut self) {
        if !self.is_host() || !self.aligner.measured() {
            return;
        }
        let duration = self.player.as_ref().and_then(|p| p.state.borrow().duration);
        if let Some(d) = duration {
            self.aligner.measure_second(d);
        }
    }
}
