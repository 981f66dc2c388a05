//! Strict mode's checks of the rules that span lines.
//!
//! The line parser checks each line on its own; what the specifications
//! say about lines together lives here: a family's metadata comes once and
//! before its samples, a family's lines are contiguous and its name is not
//! reused, histogram buckets ascend and end in `+Inf`, `_count` matches the
//! `+Inf` bucket, a series does not repeat, and the value rules of each
//! type. These checks keep copies of names and so allocate: they run only
//! when a caller asks for strict mode, never on the default path.

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
    /// Every sample name seen so far, with the index of its family.
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
    series: HashMap<String, Option<i64>>,
    /// The histogram or summary point being read, and those already closed.
    point: Option<Point>,
    closed_points: HashSet<String>,
}

/// One histogram / gauge histogram / summary point: the samples that share
/// a label set once `le` / `quantile` are taken out.
struct Point {
    key: String,
    last_le: Option<f64>,
    last_bucket: f64,
    inf_bucket: Option<f64>,
    negative_le: bool,
    count: Option<f64>,
    has_sum: bool,
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
            point: None,
            closed_points: HashSet::new(),
        });
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
            Meta::Type(t) => fam.typ = t,
            Meta::Unit => {
                let unit = unit.unwrap_or_default();
                if !unit.is_empty() {
                    if !name.ends_with(unit) || !name[..name.len() - unit.len()].ends_with('_') {
                        return Err(format!(
                            "unit {unit} is not a suffix of the metric name {name}"
                        )
                        .into());
                    }
                }
                fam.unit = Some(unit.to_owned());
            }
            Meta::Help => {}
        }
        if let (Some(u), MetricType::Info | MetricType::StateSet) = (&fam.unit, fam.typ) {
            if !u.is_empty() {
                return Err(format!("{} metrics cannot have a unit", fam.typ.name()).into());
            }
        }
        Ok(())
    }

    /// Closes the current family: its last point must be complete.
    pub(super) fn end_family(&mut self) -> Result<(), Reason> {
        if let Some(fam) = self.fam.as_mut() {
            if let Some(p) = fam.point.take() {
                close_point(fam.typ, p)?;
            }
        }
        Ok(())
    }

    pub(super) fn sample(
        &mut self,
        s: &Sample<'_>,
        exemplar_chars: Option<usize>,
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

        if let Some(chars) = exemplar_chars {
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

        check_series(fam, s)?;
        if om {
            check_value_om(fam, s)?;
        }
        match fam.typ {
            MetricType::Histogram | MetricType::GaugeHistogram | MetricType::Summary => {
                check_point(fam, s, om)
            }
            _ => Ok(()),
        }
    }
}

/// A series may repeat only with a later timestamp.
fn check_series(fam: &mut FamilyState, s: &Sample<'_>) -> Result<(), Reason> {
    let mut labels: Vec<(&str, &str)> = s.labels().collect();
    labels.sort_unstable();
    let mut key = String::with_capacity(64);
    key.push_str(s.name);
    for (n, v) in labels {
        key.push('\u{0}');
        key.push_str(n);
        key.push('\u{1}');
        key.push_str(v);
    }
    match fam.series.get_mut(&key) {
        None => {
            fam.series.insert(key, s.timestamp_ms);
            Ok(())
        }
        Some(last) => match (*last, s.timestamp_ms) {
            (Some(a), Some(b)) if b > a => {
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

/// OpenMetrics' value rules per type.
fn check_value_om(fam: &FamilyState, s: &Sample<'_>) -> Result<(), Reason> {
    let v = s.value;
    let counter_like = |what: &str| -> Result<(), Reason> {
        if v.is_nan() || v < 0.0 {
            Err(format!("{what} must be a non-negative number, not {v}").into())
        } else {
            Ok(())
        }
    };
    match (fam.typ, s.suffix) {
        (MetricType::Counter, Suffix::Total) => counter_like("a counter value"),
        (MetricType::Histogram | MetricType::Summary, Suffix::Count) => counter_like("a _count"),
        (MetricType::GaugeHistogram, Suffix::GCount) => counter_like("a _gcount"),
        (MetricType::Summary, Suffix::Sum) => counter_like("a summary _sum"),
        (MetricType::Histogram | MetricType::GaugeHistogram, Suffix::Bucket) => {
            counter_like("a bucket")
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

/// Bucket and quantile rules, one point (label set without `le` /
/// `quantile`) at a time.
fn check_point(fam: &mut FamilyState, s: &Sample<'_>, om: bool) -> Result<(), Reason> {
    let summary = fam.typ == MetricType::Summary;
    let special = if summary { "quantile" } else { "le" };
    let special_on = if summary {
        Suffix::None
    } else {
        Suffix::Bucket
    };
    let bound = match s.label(special) {
        Some(text) if s.suffix == special_on => Some(
            parse_value(text.as_bytes(), om)
                .filter(|b| !b.is_nan())
                .ok_or_else(|| format!("invalid {special} value {text:?}"))?,
        ),
        None if s.suffix == special_on => {
            return Err(format!("{} sample without a {special} label", s.name).into())
        }
        Some(_) if om => return Err(format!("{special} label on {} sample", s.name).into()),
        _ => None,
    };
    if summary {
        if let Some(q) = bound {
            if !(0.0..=1.0).contains(&q) {
                return Err(format!("quantile {q} is outside [0, 1]").into());
            }
        }
        return Ok(());
    }
    if !om {
        return Ok(()); // 0.0.4 only asks for a numeric le
    }

    // The point's identity: labels without `le`, and the timestamp.
    let mut labels: Vec<(&str, &str)> = s.labels().filter(|(n, _)| *n != "le").collect();
    labels.sort_unstable();
    let mut key = format!("{:?}", s.timestamp_ms);
    for (n, v) in labels {
        key.push('\u{0}');
        key.push_str(n);
        key.push('\u{1}');
        key.push_str(v);
    }
    if fam.point.as_ref().is_none_or(|p| p.key != key) {
        if let Some(p) = fam.point.take() {
            let closed = p.key.clone();
            close_point(fam.typ, p)?;
            fam.closed_points.insert(closed);
        }
        if fam.closed_points.contains(&key) {
            return Err(format!("samples of one {} point are not together", fam.typ.name()).into());
        }
        fam.point = Some(Point {
            key,
            last_le: None,
            last_bucket: 0.0,
            inf_bucket: None,
            negative_le: false,
            count: None,
            has_sum: false,
        });
    }
    let p = fam.point.as_mut().expect("point was just set");
    match s.suffix {
        Suffix::Bucket => {
            let le = bound.expect("bucket bound checked above");
            if p.count.is_some() || p.has_sum {
                return Err("buckets must come before _count and _sum".into());
            }
            if p.last_le.is_some_and(|last| le <= last) {
                return Err(format!("bucket le={le} is not above the previous bucket").into());
            }
            if s.value < p.last_bucket {
                return Err("bucket values must not decrease (buckets are cumulative)".into());
            }
            p.negative_le |= le < 0.0;
            p.last_le = Some(le);
            p.last_bucket = s.value;
            if le == f64::INFINITY {
                p.inf_bucket = Some(s.value);
            }
        }
        Suffix::Count | Suffix::GCount => p.count = Some(s.value),
        Suffix::Sum => {
            p.has_sum = true;
            if fam.typ == MetricType::Histogram
                && (s.value.is_nan() || s.value < 0.0)
                && !p.negative_le
            {
                return Err("a histogram _sum must be a non-negative number".into());
            }
            if fam.typ == MetricType::Histogram && p.negative_le {
                return Err("a histogram with negative buckets cannot have a _sum".into());
            }
        }
        Suffix::GSum => p.has_sum = true,
        _ => {}
    }
    Ok(())
}

fn close_point(typ: MetricType, p: Point) -> Result<(), Reason> {
    if typ == MetricType::Summary {
        return Ok(());
    }
    let Some(inf) = p.inf_bucket else {
        return Err(format!("{} point has no +Inf bucket", typ.name()).into());
    };
    if let Some(count) = p.count {
        if count != inf {
            return Err(format!("_count {count} differs from the +Inf bucket {inf}").into());
        }
    }
    Ok(())
}
