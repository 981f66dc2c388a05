//! The label names of every metric the compiler knows.
//!
//! PromQL never names a series' labels: `rate(x[5m])` returns each series
//! with all of them. SPL must: `mstats ... BY` lists the dimensions that
//! tell series apart. This catalogue (`catalog.tsv`, from the metric
//! references of Mattermost, the Calls plugin, rtcd and node_exporter) says
//! which they are. A metric missing from it is told apart by `host` and the
//! labels its selector names, and the compiler says so in a note.

use once_cell::sync::Lazy;
use std::collections::HashMap;

static TSV: &str = include_str!("catalog.tsv");

/// Type and labels of one sample name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub kind: &'static str,
    pub labels: Vec<&'static str>,
}

static CATALOG: Lazy<HashMap<&'static str, Entry>> = Lazy::new(|| {
    TSV.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let name = cols.next()?;
            let kind = cols.next()?;
            let labels = cols.next()?;
            let labels = if labels == "-" {
                Vec::new()
            } else {
                labels.split(',').collect()
            };
            Some((name, Entry { kind, labels }))
        })
        .collect()
});

/// The entry of a sample name (`mattermost_api_time_bucket`, not the family).
pub fn lookup(metric: &str) -> Option<&'static Entry> {
    CATALOG.get(metric)
}

/// Every sample name in the catalogue.
pub fn names() -> impl Iterator<Item = &'static str> {
    CATALOG.keys().copied()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn knows_the_v2_dashboard_metrics_and_their_labels() {
        let e = lookup("mattermost_api_time_bucket").unwrap();
        assert_eq!(e.kind, "counter");
        assert!(e.labels.contains(&"handler") && e.labels.contains(&"le"));
        assert_eq!(lookup("go_goroutines").unwrap().labels, Vec::<&str>::new());
        assert_eq!(
            lookup("go_sql_open_connections").unwrap().labels,
            vec!["db_name"]
        );
        assert_eq!(
            lookup("mattermost_websocket_broadcast_buffer_size")
                .unwrap()
                .labels,
            vec!["hub"]
        );
        assert!(lookup("node_cpu_seconds_total").is_some());
        assert!(names().count() > 500);
    }
}
