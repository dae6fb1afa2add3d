//! Prometheus metrics.
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use std::time::Duration;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    pub method: String,
    pub route: String,
    pub status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct DeliveryLabels {
    pub channel: String,
    pub outcome: String,
}

pub struct Metrics {
    registry: Registry,
    pub requests: Family<RequestLabels, Counter>,
    pub request_seconds: Histogram,
    pub subjects_imported: Counter,
    pub deliveries: Family<DeliveryLabels, Counter>,
    pub delivery_seconds: Family<DeliveryLabels, Histogram, fn() -> Histogram>,
}

fn delivery_histogram() -> Histogram {
    Histogram::new([
        0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
    ])
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("tocsin");
        let requests = Family::<RequestLabels, Counter>::default();
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        let request_seconds = Histogram::new([0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 30.0]);
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency",
            request_seconds.clone(),
        );
        let subjects_imported = Counter::default();
        registry.register(
            "subjects_imported",
            "Subjects inserted or updated by imports",
            subjects_imported.clone(),
        );
        let deliveries = Family::<DeliveryLabels, Counter>::default();
        registry.register(
            "deliveries",
            "Delivery attempts by channel and outcome",
            deliveries.clone(),
        );
        let delivery_seconds = Family::<DeliveryLabels, Histogram>::new_with_constructor(
            delivery_histogram as fn() -> Histogram,
        );
        registry.register(
            "delivery_attempt_duration_seconds",
            "Time one delivery attempt took, by channel and outcome",
            delivery_seconds.clone(),
        );
        Metrics {
            registry,
            requests,
            request_seconds,
            subjects_imported,
            deliveries,
            delivery_seconds,
        }
    }

    pub fn record_request(&self, method: &str, route: &str, status: u16, took: Duration) {
        // Only the methods Tocsin serves get a series of their own: invented ones share one.
        let method = match method {
            "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS" => method,
            _ => "OTHER",
        };
        self.requests
            .get_or_create(&RequestLabels {
                method: method.into(),
                route: route.into(),
                status,
            })
            .inc();
        self.request_seconds.observe(took.as_secs_f64());
    }

    pub fn delivery(&self, channel: &str, outcome: &str) {
        self.deliveries
            .get_or_create(&DeliveryLabels {
                channel: channel.into(),
                outcome: outcome.into(),
            })
            .inc();
    }

    pub fn delivery_latency(&self, channel: &str, outcome: &str, took: Duration) {
        self.delivery_seconds
            .get_or_create(&DeliveryLabels {
                channel: channel.into(),
                outcome: outcome.into(),
            })
            .observe(took.as_secs_f64());
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}
