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

/// All data points, indexed by metric name, then by series.
#[derive(Debug, Default)]
pub struct Store {
    metrics: HashMap<String, Metric, BuildHasherDefault<FxHasher>>,
    /// The series a point was last pushed to, to skip the hash lookup when
    /// points of one series arrive together.
    last: Option<(String, usize)>,
    points: usize,
}

impl Store {
    pub fn new() -> Self {
        Store::default()
    }

    pub fn push(&mut self, p: Point) {
        self.points += 1;
        if !self.metrics.contains_key(&p.metric_name) {
            self.metrics
                .insert(p.metric_name.clone(), Metric::default());
            self.last = None;
        }
        let metric = self.metrics.get_mut(&p.metric_name).expect("inserted");
        let idx = match &self.last {
            Some((m, i)) if *m == p.metric_name && metric.series[*i].dims == p.dims => *i,
            _ => match metric.index.get(&p.dims) {
                Some(&i) => i,
                None => {
                    metric.series.push(Series {
                        dims: p.dims.clone(),
                        times: Vec::new(),
                        values: Vec::new(),
                    });
                    let i = metric.series.len() - 1;
                    metric.index.insert(p.dims, i);
                    i
                }
            },
        };
        let s = &mut metric.series[idx];
        if s.times.last().is_none_or(|&t| t <= p.time_ms) {
            s.times.push(p.time_ms);
            s.values.push(p.value);
        } else {
            let pos = s.times.partition_point(|&t| t <= p.time_ms);
            s.times.insert(pos, p.time_ms);
            s.values.insert(pos, p.value);
        }
        match &mut self.last {
            Some((m, i)) if *m == p.metric_name => *i = idx,
            _ => self.last = Some((p.metric_name, idx)),
        }
    }

    /// The series of one metric (empty if the metric has no points).
    pub fn series(&self, metric_name: &str) -> &[Series] {
        self.metrics
            .get(metric_name)
            .map(|m| m.series.as_slice())
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
        self.last = None;
        let metric = self.metrics.entry(metric_name.to_string()).or_default();
        assert!(
            !metric.index.contains_key(&dims),
            "{metric_name} {dims:?} pushed twice"
        );
        metric.series.push(Series {
            dims: dims.clone(),
            times,
            values,
        });
        metric.index.insert(dims, metric.series.len() - 1);
    }

    /// Every metric name with points, sorted.
    pub fn metric_names(&self) -> Vec<&str> {
        let mut v: Vec<&str> = self.metrics.keys().map(String::as_str).collect();
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
