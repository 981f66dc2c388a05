//! Strict mode's checks of the rules that span lines.
//!
//! The line parser checks each line on its own; what the specifications
//! say about lines together lives here: a family's metadata comes once and
//! before its samples, a family's lines are contiguous, its name and its
//! possible sample names clash with no other family's, a metric's samples
//! (and a histogram's or summary's points) are not interleaved with
//! another's, histogram buckets ascend, are cumulative integers and end in
//! `+Inf`, `_count` equals the `+Inf` bucket and comes with `_sum`, a
//! series does not repeat, and the value rules of each type. These checks
//! keep copies of names and so allocate: they run only when a caller asks
//! for strict mode, never on the default path.

use std::borrow::Cow;
use std::collections::{HashMap, HashSet};

use super::number::parse_value;
use super::parser::Meta;
use super::{MetricType, Sample, Suffix};

type Reason = Cow<'static, str>;

pub(super) struct Validator {
    om: bool,
    /// Every family name seen so far, with its index.
    families: HashMap<String, usize>,
    /// Every sample name a family uses or may use (by its type), with the
    /// index of that family.
    sample_owner: HashMap<String, usize>,
    fam: Option<FamilyState>,
}

struct FamilyState {
    index: usize,
    name: String,
    typ: MetricType,
    unit: Option<String>,
    /// Series seen in this family (name + sorted labels) and the timestamp
    /// of their last sample.
    series: HashMap<String, Option<i128>>,
    /// The metric (label set without `le` / `quantile`) being read, and
    /// those already finished: a metric's samples come together.
    metric: Option<String>,
    closed_metrics: HashSet<String>,
    /// The histogram or summary point (metric + timestamp) being read.
    point: Option<Point>,
    closed_points: HashSet<String>,
}

/// One histogram / gauge histogram / summary point.
struct Point {
    key: String,
    last_bound: Option<f64>,
    last_bucket: f64,
    inf_bucket: Option<f64>,
    negative_le: bool,
    count: Option<f64>,
    sum: Option<f64>,
}

/// The suffixes a family of type `typ` may use, for the clash rule.
fn suffixes(typ: MetricType, om: bool) -> &'static [&'static str] {
    match (typ, om) {
        (MetricType::Counter, true) => &["_total", "_created"],
        (MetricType::Histogram, true) => &["_bucket", "_count", "_sum", "_created"],
        (MetricType::Histogram, false) => &["_bucket", "_count", "_sum"],
        (MetricType::GaugeHistogram, _) => &["_bucket", "_gcount", "_gsum"],
        (MetricType::Summary, true) => &["", "_count", "_sum", "_created"],
        (MetricType::Summary, false) => &["", "_count", "_sum"],
        (MetricType::Info, _) => &["_info"],
        _ => &[""],
    }
}

fn is_integer(v: f64) -> bool {
    v.is_finite() && v.fract() == 0.0
}

/// A map key for a label set: sorted `name=value` pairs, `skip` left out.
fn label_key(s: &Sample<'_>, skip: Option<&str>, prefix: &str) -> String {
    let mut labels: Vec<(&str, &str)> = s.labels().filter(|(n, _)| Some(*n) != skip).collect();
    labels.sort_unstable();
    let mut key = String::with_capacity(64);
    key.push_str(prefix);
    for (n, v) in labels {
        key.push('\u{0}');
        key.push_str(n);
        key.push('\u{1}');
        key.push_str(v);
    }
    key
}

impl Validator {
    pub(super) fn new(om: bool) -> Self {
        Validator {
            om,
            families: HashMap::new(),
            sample_owner: HashMap::new(),
            fam: None,
        }
    }

    pub(super) fn start_family(&mut self, name: &str) -> Result<(), Reason> {
        if self.om && name.starts_with('_') {
            return Err(format!(
                "metric name {name} starts with an underscore (reserved in OpenMetrics)"
            )
            .into());
        }
        if self.families.contains_key(name) {
            return Err(
                format!("metric family {name} appears twice (its lines must be together)").into(),
            );
        }
        if self.sample_owner.contains_key(name) {
            return Err(format!(
                "metric family {name} clashes with a sample name of another family"
            )
            .into());
        }
        let index = self.families.len();
        self.families.insert(name.to_owned(), index);
        self.fam = Some(FamilyState {
            index,
            name: name.to_owned(),
            typ: MetricType::Unknown,
            unit: None,
            series: HashMap::new(),
            metric: None,
            closed_metrics: HashSet::new(),
            point: None,
            closed_points: HashSet::new(),
        });
        self.reserve_sample_names()
    }

    /// Claims the sample names the current family's type may use; a name
    /// another family already has is a clash (a gauge `foo_created` and a
    /// counter `foo` cannot both exist).
    fn reserve_sample_names(&mut self) -> Result<(), Reason> {
        let Some(fam) = self.fam.as_ref() else {
            return Ok(());
        };
        for suffix in suffixes(fam.typ, self.om) {
            let name = format!("{}{}", fam.name, suffix);
            if self.families.get(&name).is_some_and(|&i| i != fam.index) {
                return Err(
                    format!("metric family {} clashes with family {name}", fam.name).into(),
                );
            }
            match self.sample_owner.get(&name) {
                Some(&i) if i != fam.index => {
                    return Err(format!(
                        "metric family {} clashes with another family's sample {name}",
                        fam.name
                    )
                    .into())
                }
                Some(_) => {}
                None => {
                    self.sample_owner.insert(name, fam.index);
                }
            }
        }
        Ok(())
    }

    pub(super) fn metadata(
        &mut self,
        kind: Meta,
        name: &str,
        unit: Option<&str>,
    ) -> Result<(), Reason> {
        let Some(fam) = self.fam.as_mut() else {
            return Ok(());
        };
        match kind {
            Meta::Type(t) => {
                fam.typ = t;
                self.reserve_sample_names()?;
            }
            Meta::Unit => {
                let unit = unit.unwrap_or_default();
                if !unit.is_empty()
                    && (!name.ends_with(unit) || !name[..name.len() - unit.len()].ends_with('_'))
                {
                    return Err(
                        format!("unit {unit} is not a suffix of the metric name {name}").into(),
                    );
                }
                fam.unit = Some(unit.to_owned());
            }
            Meta::Help => {}
        }
        let fam = self.fam.as_ref().expect("checked above");
        if let (Some(u), MetricType::Info | MetricType::StateSet) = (&fam.unit, fam.typ) {
            if !u.is_empty() {
                return Err(format!("{} metrics cannot have a unit", fam.typ.name()).into());
            }
        }
        Ok(())
    }

    /// Closes the current family: its last point must be complete.
    pub(super) fn end_family(&mut self) -> Result<(), Reason> {
        let om = self.om;
        if let Some(fam) = self.fam.as_mut() {
            if let Some(p) = fam.point.take() {
                close_point(fam.typ, p, om)?;
            }
        }
        Ok(())
    }

    /// `timestamp`: the sample's timestamp as an exact ordering key
    /// ([`super::number::timestamp_key`]), if it has one.
    pub(super) fn sample(
        &mut self,
        s: &Sample<'_>,
        exemplar: Option<(usize, f64)>,
        timestamp: Option<i128>,
    ) -> Result<(), Reason> {
        let om = self.om;
        let fam = self.fam.as_mut().ok_or("sample outside any family")?;
        match self.sample_owner.get(s.name) {
            Some(&owner) if owner != fam.index => {
                return Err(format!("sample name {} clashes with another family", s.name).into())
            }
            Some(_) => {}
            None => {
                if self.families.get(s.name).is_some_and(|&i| i != fam.index) {
                    return Err(
                        format!("sample name {} clashes with another family", s.name).into(),
                    );
                }
                self.sample_owner.insert(s.name.to_owned(), fam.index);
            }
        }
        if om {
            if let Some((n, _)) = s.labels().find(|(n, _)| n.starts_with('_')) {
                return Err(format!(
                    "label name {n} starts with an underscore (reserved in OpenMetrics)"
                )
                .into());
            }
        }

        if let Some((chars, _)) = exemplar {
            let allowed = matches!(
                (fam.typ, s.suffix),
                (MetricType::Counter, Suffix::Total)
                    | (
                        MetricType::Histogram | MetricType::GaugeHistogram,
                        Suffix::Bucket
                    )
            );
            if !allowed {
                return Err(format!(
                    "exemplar not allowed on {} sample {}",
                    fam.typ.name(),
                    s.name
                )
                .into());
            }
            if chars > 128 {
                return Err("exemplar label set longer than 128 characters".into());
            }
        }

        check_series(fam, s, timestamp)?;
        let special = match fam.typ {
            MetricType::Histogram | MetricType::GaugeHistogram => Some("le"),
            MetricType::Summary => Some("quantile"),
            _ => None,
        };
        if om {
            check_metric_order(fam, s, special)?;
            check_value_om(fam, s)?;
        }
        if special.is_some() {
            check_point(fam, s, om, exemplar.map(|(_, v)| v), timestamp)?;
        }
        Ok(())
    }
}

/// A series may repeat only with a timestamp that does not go back.
fn check_series(
    fam: &mut FamilyState,
    s: &Sample<'_>,
    timestamp: Option<i128>,
) -> Result<(), Reason> {
    let key = label_key(s, None, s.name);
    match fam.series.get_mut(&key) {
        None => {
            fam.series.insert(key, timestamp);
            Ok(())
        }
        Some(last) => match (*last, timestamp) {
            // Equal timestamps are tolerated: parsers keep one of the two
            // (the conformance corpus's duplicate_timestamps case).
            (Some(a), Some(b)) if b >= a => {
                *last = Some(b);
                Ok(())
            }
            (Some(_), Some(_)) => {
                Err(format!("timestamps of series {} go backwards", s.name).into())
            }
            _ => Err(format!("duplicate series {}", s.name).into()),
        },
    }
}

/// OpenMetrics: "Metrics MUST NOT be interleaved."
fn check_metric_order(
    fam: &mut FamilyState,
    s: &Sample<'_>,
    special: Option<&str>,
) -> Result<(), Reason> {
    let key = label_key(s, special, "");
    if fam.metric.as_deref() == Some(key.as_str()) {
        return Ok(());
    }
    if fam.closed_metrics.contains(&key) {
        return Err(format!(
            "samples of one {} metric are interleaved with another's",
            fam.name
        )
        .into());
    }
    if let Some(done) = fam.metric.replace(key) {
        fam.closed_metrics.insert(done);
    }
    Ok(())
}

/// OpenMetrics' value rules per type.
fn check_value_om(fam: &FamilyState, s: &Sample<'_>) -> Result<(), Reason> {
    let v = s.value;
    let non_negative = |what: &str| -> Result<(), Reason> {
        if v.is_nan() || v < 0.0 {
            Err(format!("{what} must be a non-negative number, not {v}").into())
        } else {
            Ok(())
        }
    };
    let count = |what: &str| -> Result<(), Reason> {
        non_negative(what)?;
        if is_integer(v) {
            Ok(())
        } else {
            Err(format!("{what} must be an integer, not {v}").into())
        }
    };
    match (fam.typ, s.suffix) {
        (MetricType::Counter, Suffix::Total) => non_negative("a counter value"),
        (MetricType::Histogram | MetricType::Summary, Suffix::Count) => count("a _count"),
        (MetricType::GaugeHistogram, Suffix::GCount) => count("a _gcount"),
        (MetricType::Histogram | MetricType::GaugeHistogram, Suffix::Bucket) => {
            count("a bucket value")
        }
        (MetricType::Summary, Suffix::Sum) => non_negative("a summary _sum"),
        (MetricType::Summary, Suffix::None) if v < 0.0 => {
            Err("a quantile value must not be negative".into())
        }
        (MetricType::GaugeHistogram, Suffix::GSum) if v.is_nan() => {
            Err("a _gsum must not be NaN".into())
        }
        (MetricType::Info, _) if v != 1.0 => Err("an info metric's value must be 1".into()),
        (MetricType::StateSet, _) => {
            if v != 0.0 && v != 1.0 {
                return Err("a stateset value must be 0 or 1".into());
            }
            if s.label(&fam.name).is_none() {
                return Err(format!("a stateset sample needs a label named {}", fam.name).into());
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

/// Bucket and quantile rules, one point (metric and timestamp) at a time.
fn check_point(
    fam: &mut FamilyState,
    s: &Sample<'_>,
    om: bool,
    exemplar: Option<f64>,
    timestamp: Option<i128>,
) -> Result<(), Reason> {
    let summary = fam.typ == MetricType::Summary;
    let special = if summary { "quantile" } else { "le" };
    let special_on = if summary {
        Suffix::None
    } else {
        Suffix::Bucket
    };
    let bound = match s.label(special) {
        Some(text) if s.suffix == special_on => {
            let b = parse_value(text.as_bytes())
                .filter(|b| !b.is_nan())
                .ok_or_else(|| format!("invalid {special} value {text:?}"))?;
            // OpenMetrics: "the value of the le label MUST follow the rules
            // for Canonical Numbers", and infinity is written +Inf exactly.
            if om && b.is_infinite() && text != "+Inf" && text != "-Inf" {
                return Err(format!("{special}={text:?}: infinity must be written +Inf").into());
            }
            Some(b)
        }
        None if s.suffix == special_on => {
            return Err(format!("{} sample without a {special} label", s.name).into())
        }
        Some(_) if om => return Err(format!("{special} label on {} sample", s.name).into()),
        _ => None,
    };
    if let Some(q) = bound.filter(|_| summary) {
        if !(0.0..=1.0).contains(&q) {
            return Err(format!("quantile {q} is outside [0, 1]").into());
        }
    }

    let key = label_key(s, Some(special), &format!("{timestamp:?}"));
    if fam.point.as_ref().is_none_or(|p| p.key != key) {
        if let Some(p) = fam.point.take() {
            let closed = p.key.clone();
            close_point(fam.typ, p, om)?;
            fam.closed_points.insert(closed);
        }
        if fam.closed_points.contains(&key) {
            return Err(format!(
                "samples of one {} point are interleaved with another's",
                fam.typ.name()
            )
            .into());
        }
        fam.point = Some(Point {
            key,
            last_bound: None,
            last_bucket: 0.0,
            inf_bucket: None,
            negative_le: false,
            count: None,
            sum: None,
        });
    }
    let p = fam.point.as_mut().expect("point was just set");
    match (s.suffix, bound) {
        (Suffix::None, Some(q)) => {
            // 0.0.4: "quantiles must appear in increasing numerical order"
            if !om && p.last_bound.is_some_and(|last| q <= last) {
                return Err(format!("quantile {q} is not above the previous quantile").into());
            }
            p.last_bound = Some(q);
        }
        (Suffix::Bucket, Some(le)) => {
            let previous = p.last_bound;
            if previous.is_some_and(|last| le <= last) {
                return Err(format!("bucket le={le} is not above the previous bucket").into());
            }
            if s.value < p.last_bucket {
                return Err("bucket values must not decrease (buckets are cumulative)".into());
            }
            if let Some(x) = exemplar {
                // "Each bucket covers the values less and or equal to it":
                // buckets are cumulative, so only the upper bound binds.
                if x > le {
                    return Err(format!(
                        "exemplar value {x} is outside its bucket (up to le={le})"
                    )
                    .into());
                }
            }
            p.negative_le |= le < 0.0;
            p.last_bound = Some(le);
            p.last_bucket = s.value;
            if le == f64::INFINITY {
                p.inf_bucket = Some(s.value);
            }
        }
        (Suffix::Count | Suffix::GCount, _) if !summary => p.count = Some(s.value),
        (Suffix::Sum | Suffix::GSum, _) if !summary => {
            p.sum = Some(s.value);
            // Buckets ascend, so once one is seen, whether any is negative is known.
            if om {
                check_sum(fam.typ, p, p.last_bound.is_some())?;
            }
        }
        _ => {}
    }
    if om && fam.typ == MetricType::Histogram && p.negative_le && p.sum.is_some() {
        return Err("a histogram with negative buckets must not have a _sum".into());
    }
    if let (Some(count), Some(inf)) = (p.count, p.inf_bucket) {
        if count != inf {
            return Err(format!("_count {count} differs from the +Inf bucket {inf}").into());
        }
    }
    Ok(())
}

/// The rules a histogram point can only be judged on once it is complete.
fn close_point(typ: MetricType, p: Point, om: bool) -> Result<(), Reason> {
    if typ == MetricType::Summary {
        return Ok(());
    }
    if p.inf_bucket.is_none() {
        return Err(format!("{} point has no +Inf bucket", typ.name()).into());
    }
    if om {
        let (count, sum) = if typ == MetricType::Histogram {
            ("_count", "_sum")
        } else {
            ("_gcount", "_gsum")
        };
        match (p.count.is_some(), p.sum) {
            (true, None) => {
                return Err(format!("{} point has a {count} but no {sum}", typ.name()).into())
            }
            (false, Some(_)) => {
                return Err(format!("{} point has a {sum} but no {count}", typ.name()).into())
            }
            _ => {}
        }
        check_sum(typ, &p, true)?;
    }
    Ok(())
}

/// A histogram's `_sum` is a counter: not NaN, not negative (and absent
/// when there are negative buckets, checked by the caller). A gauge
/// histogram's `_gsum` may be negative only when a bucket is.
/// `buckets_known`: whether the point's buckets have been seen.
fn check_sum(typ: MetricType, p: &Point, buckets_known: bool) -> Result<(), Reason> {
    let Some(sum) = p.sum else { return Ok(()) };
    if sum.is_nan() {
        return Err("a sum must not be NaN".into());
    }
    let negative_ok = typ == MetricType::GaugeHistogram && (p.negative_le || !buckets_known);
    if sum < 0.0 && !negative_ok && (typ == MetricType::Histogram || buckets_known) {
        return Err(format!(
            "a {} sum of {sum} is negative, and no bucket is",
            typ.name()
        )
        .into());
    }
    Ok(())
}
