//! Prometheus metrics of one relay instance.

use prometheus_client::encoding::{text::encode, EncodeLabelSet};
use prometheus_client::metrics::{counter::Counter, family::Family, gauge::Gauge};
use prometheus_client::registry::Registry;

use matinee_protocol::ErrorCode;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct CodeLabel {
    code: &'static str,
}

pub struct Metrics {
    registry: Registry,
    pub connections: Gauge,
    pub connections_total: Counter,
    pub rooms: Gauge,
    pub rooms_total: Counter,
    pub messages_received: Counter,
    pub messages_sent: Counter,
    pub stale_reports: Counter,
    pub cluster_published: Counter,
    pub cluster_publish_errors: Counter,
    /// Bytes of shared subtitles held by all rooms.
    pub subtitle_bytes: Gauge,
    errors: Family<CodeLabel, Counter>,
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::with_prefix("matinee_relay");
        let m = Self {
            connections: Gauge::default(),
            connections_total: Counter::default(),
            rooms: Gauge::default(),
            rooms_total: Counter::default(),
            messages_received: Counter::default(),
            messages_sent: Counter::default(),
            stale_reports: Counter::default(),
            cluster_published: Counter::default(),
            cluster_publish_errors: Counter::default(),
            subtitle_bytes: Gauge::default(),
            errors: Family::default(),
            registry: Registry::default(),
        };
        registry.register(
            "connections",
            "Open WebSocket connections",
            m.connections.clone(),
        );
        registry.register(
            "connections",
            "WebSocket connections accepted",
            m.connections_total.clone(),
        );
        registry.register("rooms", "Rooms held", m.rooms.clone());
        registry.register("rooms", "Rooms created", m.rooms_total.clone());
        registry.register(
            "messages_received",
            "Messages received from clients",
            m.messages_received.clone(),
        );
        registry.register(
            "messages_sent",
            "Messages queued to clients",
            m.messages_sent.clone(),
        );
        registry.register(
            "stale_state_reports",
            "State reports ignored because they predate the latest control change",
            m.stale_reports.clone(),
        );
        registry.register(
            "cluster_published",
            "Messages published to other relay nodes through Redis",
            m.cluster_published.clone(),
        );
        registry.register(
            "cluster_publish_errors",
            "Batches that could not be published to Redis",
            m.cluster_publish_errors.clone(),
        );
        registry.register(
            "subtitle_bytes",
            "Bytes of shared subtitle files held by rooms",
            m.subtitle_bytes.clone(),
        );
        registry.register(
            "errors",
            "Error messages sent to clients, by code",
            m.errors.clone(),
        );
        Self { registry, ..m }
    }

    pub fn error(&self, code: ErrorCode) {
        self.errors
            .get_or_create(&CodeLabel {
                code: code.as_str(),
            })
            .inc();
    }

    /// The Prometheus text exposition of every metric.
    pub fn render(&self) -> String {
        let mut out = String::new();
        encode(&mut out, &self.registry).expect("writing to a String cannot fail");
        out
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
