//! The metric index: data points grouped by metric name and metric time
//! series, each series sorted by time.

use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// One metric data point, as the modular input writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Point {
    /// `_time`, in milliseconds since the epoch.
    pub time_ms: i64,
    pub metric_name: String,
    /// `_value`.
    pub value: f64,
    /// Every dimension: host, source, index and one per Prometheus label.
    pub dims: BTreeMap<String, String>,
}

/// A metric time series: Splexicon > metric time series: "A set of metric
/// data points that all measure the same metrics and share the same
/// dimension field-value pairs" -- here one metric name and one complete
/// set of dimensions (host and source included).
#[derive(Debug, Clone)]
pub struct Series {
    pub dims: BTreeMap<String, String>,
    /// Sorted ascending; points with equal times keep their push order.
    pub times: Vec<i64>,
    pub values: Vec<f64>,
}

#[derive(Debug, Default)]
pub struct Metric {
    pub series: Vec<Series>,
    index: HashMap<BTreeMap<String, String>, usize, BuildHasherDefault<FxHasher>>,
    /// The series last pushed to.
    last: Option<usize>,
}

impl Metric {
    /// The series with these dimensions if it is the one last pushed to or
    /// the one after it.
    fn predict(&self, dims: &BTreeMap<String, String>) -> Option<usize> {
        let last = self.last?;
        let next = if last + 1 < self.series.len() {
            last + 1
        } else {
            0
        };
        [next, last]
            .into_iter()
            .find(|&i| self.series[i].dims == *dims)
    }

    fn find_or_insert(&mut self, dims: BTreeMap<String, String>) -> usize {
        if let Some(&i) = self.index.get(&dims) {
            return i;
        }
        self.series.push(Series {
            dims: dims.clone(),
            times: Vec::new(),
            values: Vec::new(),
        });
        let i = self.series.len() - 1;
        self.index.insert(dims, i);
        i
    }
}

/// A small multiplicative hasher (rustc's FxHash): the test crate is built
/// without optimisation, where std's SipHash dominates loading a million
/// points.
#[derive(Default)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let w = u64::from_le_bytes([c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7]]);
            self.0 = (self.0.rotate_left(5) ^ w).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ b as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
    }
    fn write_usize(&mut self, n: usize) {
        self.0 = (self.0.rotate_left(5) ^ n as u64).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// A metric time series of a [`Store`], for pushing values to it without
/// a dimension map per point ([`Store::series_id`], [`Store::push_value`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SeriesId {
    metric: usize,
    series: usize,
}

/// All data points, indexed by metric name, then by series.
///
/// Loading is a hot path of the differential harness (millions of points,
/// compiled without optimisation), so finding a point's series avoids
/// hashing its dimensions where it can: scrapes list the same series in the
/// same order every time, so the series after the one last pushed to (per
/// metric) is tried first, by comparison, before the hash index.
#[derive(Debug, Default)]
pub struct Store {
    metrics: Vec<(String, Metric)>,
    by_name: HashMap<String, usize, BuildHasherDefault<FxHasher>>,
    /// The metric a point was last pushed to, to skip the name lookup when
    /// points of one metric arrive together.
    last_metric: Option<usize>,
    points: usize,
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    /// Adds one data point.
    pub fn push(&mut self, p: Point) {
        let mi = self.metric_index(&p.metric_name);
        let metric = &mut self.metrics[mi].1;
        let si = match metric.predict(&p.dims) {
            Some(i) => i,
            None => metric.find_or_insert(p.dims),
        };
        metric.last = Some(si);
        self.push_value(
            SeriesId {
                metric: mi,
                series: si,
            },
            p.time_ms,
            p.value,
        );
    }

    /// The series of `metric_name` with exactly these dimensions, created
    /// (empty) if it does not exist yet.
    pub fn series_id(&mut self, metric_name: &str, dims: &BTreeMap<String, String>) -> SeriesId {
        let mi = self.metric_index(metric_name);
        let metric = &mut self.metrics[mi].1;
        let si = match metric.index.get(dims) {
            Some(&i) => i,
            None => metric.find_or_insert(dims.clone()),
        };
        SeriesId {
            metric: mi,
            series: si,
        }
    }

    /// Adds one data point to a series found by [`Store::series_id`].
    pub fn push_value(&mut self, id: SeriesId, time_ms: i64, value: f64) {
        self.points += 1;
        let s = &mut self.metrics[id.metric].1.series[id.series];
        if s.times.last().is_none_or(|&t| t <= time_ms) {
            s.times.push(time_ms);
            s.values.push(value);
        } else {
            let pos = s.times.partition_point(|&t| t <= time_ms);
            s.times.insert(pos, time_ms);
            s.values.insert(pos, value);
        }
    }

    fn metric_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.last_metric {
            if self.metrics[i].0 == name {
                return i;
            }
        }
        let i = match self.by_name.get(name) {
            Some(&i) => i,
            None => {
                self.metrics.push((name.to_string(), Metric::default()));
                self.by_name
                    .insert(name.to_string(), self.metrics.len() - 1);
                self.metrics.len() - 1
            }
        };
        self.last_metric = Some(i);
        i
    }

    /// The series of one metric (empty if the metric has no points).
    pub fn series(&self, metric_name: &str) -> &[Series] {
        self.by_name
            .get(metric_name)
            .map(|&i| self.metrics[i].1.series.as_slice())
            .unwrap_or(&[])
    }

    /// Adds a whole series at once: `times` ascending, one value each (the
    /// scale scenario's millions of points, without a `Point` per sample).
    /// A series with these dimensions already present is an error of the
    /// caller: it panics.
    pub fn push_series(
        &mut self,
        metric_name: &str,
        dims: BTreeMap<String, String>,
        times: Vec<i64>,
        values: Vec<f64>,
    ) {
        assert_eq!(times.len(), values.len(), "one value per time");
        assert!(times.windows(2).all(|w| w[0] <= w[1]), "times ascending");
        self.points += times.len();
        let mi = self.metric_index(metric_name);
        let metric = &mut self.metrics[mi].1;
        assert!(
            !metric.index.contains_key(&dims),
            "{metric_name} {dims:?} pushed twice"
        );
        let si = metric.find_or_insert(dims);
        metric.series[si].times = times;
        metric.series[si].values = values;
    }

    /// Every metric name with points, sorted.
    pub fn metric_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self
            .metrics
            .iter()
            .filter(|(_, m)| m.series.iter().any(|s| !s.times.is_empty()))
            .map(|(n, _)| n.as_str())
            .collect();
        v.sort();
        v
    }

    /// The number of points pushed.
    pub fn len(&self) -> usize {
        self.points
    }

    pub fn is_empty(&self) -> bool {
        self.points == 0
    }
}

impl Series {
    /// The index range of the points with `from_ms <= time < to_ms`.
    pub fn range(&self, from_ms: i64, to_ms: i64) -> std::ops::Range<usize> {
        let a = self.times.partition_point(|&t| t < from_ms);
        let b = self.times.partition_point(|&t| t < to_ms);
        a..b.max(a)
    }
}
