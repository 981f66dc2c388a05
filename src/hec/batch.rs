//! Data points into HEC request bodies.
//!
//! HEC's metric format (one JSON object per event, objects back to back):
//!
//! ```json
//! {"time":1700000060.123,"event":"metric","host":"mm1","source":"http://mm1:8067/metrics",
//!  "fields":{"metric_name:mattermost_api_time_sum":12.5,"metric_name:mattermost_api_time_count":1027,
//!            "handler":"getPosts","method":"GET"}}
//! ```
//!
//! Splunk meters data points, not bytes, but every object repeats its time,
//! host, source and dimensions, and HEC parses each one: so the data
//! points of one scrape that share a timestamp and a set of dimensions
//! (a histogram's `_sum` and `_count`, the label-less `go_*` and
//! `process_*` gauges, ...) go into one multiple-measurement object, one
//! `metric_name:<name>` key each. Objects keep the order in which their
//! first data point came. Two data points of the same name, time and
//! dimensions (a duplicated series) cannot share an object (a JSON key
//! holds one value), so the second starts a new one.
//!
//! The objects are then cut into batches of at most `max_batch_bytes`
//! before compression (HEC refuses a request over its `max_content_length`,
//! and one failed request resends only its batch), each compressed with
//! gzip: JSON this repetitive shrinks ten- to twentyfold, which is what the
//! queue holds and the network carries.
//!
//! Values are JSON numbers: an integer when the value is one (below 2^53),
//! else the shortest form that reads back as the same f64. `time` is
//! seconds with milliseconds. Names and dimension values arrive already
//! valid for Splunk from [`crate::convert`].

use std::collections::HashMap;
use std::io::Write;

use flate2::write::GzEncoder;
use flate2::Compression;

use crate::convert::{float, DataPoint};
use crate::emit::json::write_time;

/// The fields every object of a target carries besides time and event.
#[derive(Clone, Debug)]
pub struct Meta {
    /// `,"host":"..","source":".."...`, ready to copy into each object.
    fragment: Vec<u8>,
}

impl Meta {
    pub fn new(host: &str, source: &str, sourcetype: Option<&str>, index: Option<&str>) -> Meta {
        let mut fragment = Vec::new();
        for (key, value) in [
            ("host", Some(host)),
            ("source", Some(source)),
            ("sourcetype", sourcetype),
            ("index", index),
        ] {
            if let Some(v) = value.filter(|v| !v.is_empty()) {
                fragment.extend_from_slice(b",\"");
                fragment.extend_from_slice(key.as_bytes());
                fragment.extend_from_slice(b"\":");
                string(v, &mut fragment);
            }
        }
        Meta { fragment }
    }
}

struct Object {
    time_ms: i64,
    /// `"name":"value","name":"value"` of its dimensions.
    dims: Vec<u8>,
    measures: Vec<(Box<str>, f64)>,
}

/// Collects the data points of one scrape into multiple-measurement objects.
#[derive(Default)]
pub struct Grouper {
    objects: Vec<Object>,
    /// The time (8 bytes) and the dimensions' JSON -> the object that
    /// takes data points with them.
    by_key: HashMap<Vec<u8>, usize>,
    key: Vec<u8>,
    points: usize,
}

impl Grouper {
    pub fn new() -> Grouper {
        Grouper::default()
    }

    pub fn add(&mut self, dp: &DataPoint<'_>) {
        self.key.clear();
        self.key.extend_from_slice(&dp.time_ms.to_le_bytes());
        for (i, d) in dp.dimensions.iter().enumerate() {
            if i > 0 {
                self.key.push(b',');
            }
            string(&d.name, &mut self.key);
            self.key.push(b':');
            string(&d.value, &mut self.key);
        }
        self.points += 1;
        if let Some(&i) = self.by_key.get(&self.key[..]) {
            let obj = &mut self.objects[i];
            if !obj.measures.iter().any(|(n, _)| **n == *dp.metric_name) {
                obj.measures.push((dp.metric_name.into(), dp.value));
                return;
            }
        }
        self.by_key.insert(self.key.clone(), self.objects.len());
        self.objects.push(Object {
            time_ms: dp.time_ms,
            dims: self.key[8..].to_vec(),
            measures: vec![(dp.metric_name.into(), dp.value)],
        });
    }

    /// Data points added.
    pub fn points(&self) -> usize {
        self.points
    }

    /// Objects so far.
    pub fn objects(&self) -> usize {
        self.objects.len()
    }

    /// The request bodies, uncompressed, each at most `max_batch_bytes`
    /// (unless one measurement alone is larger).
    pub fn encode(self, meta: &Meta, max_batch_bytes: usize) -> Vec<Encoded> {
        let mut out = Vec::new();
        let mut cur = Encoded::default();
        let mut obj = Vec::with_capacity(512);
        let mut measure = Vec::with_capacity(128);
        for o in &self.objects {
            let mut m = 0;
            while m < o.measures.len() {
                // One object, as many of its measurements as fit.
                obj.clear();
                obj.extend_from_slice(b"{\"time\":");
                write_time(o.time_ms, &mut obj);
                obj.extend_from_slice(b",\"event\":\"metric\"");
                obj.extend_from_slice(&meta.fragment);
                obj.extend_from_slice(b",\"fields\":{");
                // What closes the object: `,` and the dimensions, `}}` and
                // the line end.
                let tail = if o.dims.is_empty() {
                    0
                } else {
                    o.dims.len() + 1
                } + 3;
                let mut in_obj = 0;
                while m < o.measures.len() {
                    measure.clear();
                    if in_obj > 0 {
                        measure.push(b',');
                    }
                    let (name, value) = &o.measures[m];
                    measure.extend_from_slice(b"\"metric_name:");
                    // Names are [A-Za-z][A-Za-z0-9_.]*: nothing to escape.
                    measure.extend_from_slice(name.as_bytes());
                    measure.extend_from_slice(b"\":");
                    number(*value, &mut measure);
                    if in_obj > 0 && obj.len() + measure.len() + tail > max_batch_bytes {
                        break;
                    }
                    obj.extend_from_slice(&measure);
                    in_obj += 1;
                    m += 1;
                }
                if !o.dims.is_empty() {
                    obj.push(b',');
                    obj.extend_from_slice(&o.dims);
                }
                obj.extend_from_slice(b"}}\n");
                if cur.objects > 0 && cur.json.len() + obj.len() > max_batch_bytes {
                    out.push(std::mem::take(&mut cur));
                }
                cur.json.extend_from_slice(&obj);
                cur.objects += 1;
                cur.points += in_obj;
            }
        }
        if cur.objects > 0 {
            out.push(cur);
        }
        out
    }
}

/// One request body before compression.
#[derive(Debug, Default)]
pub struct Encoded {
    /// Objects, one per line.
    pub json: Vec<u8>,
    pub objects: u32,
    pub points: u32,
}

impl Encoded {
    /// The body gzip-compressed.
    pub fn gzip(&self) -> Vec<u8> {
        let mut enc = GzEncoder::new(
            Vec::with_capacity(self.json.len() / 8 + 64),
            Compression::default(),
        );
        // Writing into a Vec cannot fail.
        enc.write_all(&self.json).expect("gzip into memory");
        enc.finish().expect("gzip into memory")
    }
}

/// Several request bodies as one: each decompressed straight into one
/// compressor (no buffer of the whole request before compression), the
/// objects back to back (each body ends its last object with a line end);
/// with the length before compression. One gzip member, not the bodies
/// concatenated: a multi-member gzip is valid but a server's decompressor
/// may stop at the end of the first.
pub fn merge(bodies: &[&[u8]]) -> std::io::Result<(Vec<u8>, usize)> {
    let compressed: usize = bodies.iter().map(|b| b.len()).sum();
    let mut enc = GzEncoder::new(Vec::with_capacity(compressed), Compression::default());
    let mut raw_len = 0;
    for b in bodies {
        raw_len += std::io::copy(&mut flate2::read::GzDecoder::new(*b), &mut enc)? as usize;
    }
    Ok((enc.finish()?, raw_len))
}

fn number(v: f64, out: &mut Vec<u8>) {
    if v.fract() == 0.0 && v.abs() < 9_007_199_254_740_992.0 {
        float::write_plain(v, out);
    } else {
        out.extend_from_slice(ryu::Buffer::new().format_finite(v).as_bytes());
    }
}

fn string(s: &str, out: &mut Vec<u8>) {
    // Writing a str into a Vec cannot fail.
    let _ = serde_json::to_writer(&mut *out, s);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::convert::{Dimension, Text};

    #[test]
    fn merged_bodies_are_one_gzip_member_with_every_object() {
        let a = Encoded {
            json: b"{\"a\":1}\n".to_vec(),
            objects: 1,
            points: 1,
        };
        let b = Encoded {
            json: b"{\"b\":2}\n{\"c\":3}\n".to_vec(),
            objects: 2,
            points: 2,
        };
        let (gz, raw_len) = merge(&[&a.gzip(), &b.gzip()]).unwrap();
        assert_eq!(raw_len, a.json.len() + b.json.len());
        let mut one = flate2::read::GzDecoder::new(&gz[..]);
        let mut json = String::new();
        std::io::Read::read_to_string(&mut one, &mut json).unwrap();
        assert_eq!(json, "{\"a\":1}\n{\"b\":2}\n{\"c\":3}\n");
        // Nothing after the first member.
        let mut rest = Vec::new();
        std::io::Read::read_to_end(&mut one.into_inner(), &mut rest).unwrap();
        assert!(rest.is_empty());
        assert!(merge(&[b"not gzip"]).is_err());
    }

    fn dp<'a>(name: &'a str, v: f64, t: i64, dims: &'a [Dimension<'a>]) -> DataPoint<'a> {
        DataPoint {
            metric_name: name,
            value: v,
            time_ms: t,
            dimensions: dims,
        }
    }

    fn dim<'a>(n: &'a str, v: &'a str) -> Dimension<'a> {
        Dimension {
            name: Text::Borrowed(n),
            value: Text::Borrowed(v),
        }
    }

    fn objects(json: &[u8]) -> Vec<serde_json::Value> {
        serde_json::Deserializer::from_slice(json)
            .into_iter::<serde_json::Value>()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn shares_objects_by_time_and_dimensions() {
        let a = [dim("handler", "getPosts"), dim("method", "GET")];
        let b = [dim("handler", "getPosts"), dim("method", "POST")];
        let mut g = Grouper::new();
        g.add(&dp("api_sum", 1.5, 1000, &a));
        g.add(&dp("api_count", 3.0, 1000, &a));
        g.add(&dp("api_sum", 2.0, 1000, &b));
        g.add(&dp("api_count", 4.0, 2000, &a));
        g.add(&dp("api_sum", 9.0, 1000, &a)); // a duplicate series
        g.add(&dp("up", 1.0, 1000, &[]));
        g.add(&dp("x", 1e-7, 1000, &[]));
        assert_eq!(g.points(), 7);
        let meta = Meta::new("mm1", "http://mm1/metrics", None, Some("wss_metrics"));
        let batches = g.encode(&meta, 1 << 20);
        assert_eq!(batches.len(), 1);
        let objs = objects(&batches[0].json);
        assert_eq!(batches[0].objects, 5);
        assert_eq!(batches[0].points, 7);
        assert_eq!(
            objs[0],
            serde_json::json!({"time": 1.0, "event": "metric", "host": "mm1",
                "source": "http://mm1/metrics", "index": "wss_metrics",
                "fields": {"metric_name:api_sum": 1.5, "metric_name:api_count": 3,
                           "handler": "getPosts", "method": "GET"}})
        );
        assert_eq!(objs[3]["fields"]["metric_name:api_sum"], 9.0);
        assert_eq!(objs[4]["fields"]["metric_name:x"], 1e-7);
        assert!(objs[4].get("sourcetype").is_none());
    }

    #[test]
    fn batches_stay_under_the_cap() {
        let dims = [dim("le", "0.5")];
        let mut g = Grouper::new();
        let names: Vec<String> = (0..500).map(|i| format!("metric_{i}")).collect();
        for n in &names {
            g.add(&dp(n, 1.0, 5, &dims));
        }
        g.add(&dp("other", 1.0, 5, &[]));
        let cap = 2000;
        let batches = g.encode(&Meta::new("h", "s", None, None), cap);
        assert!(batches.len() > 5);
        let mut points = 0;
        for b in &batches {
            assert!(b.json.len() <= cap, "{} > {cap}", b.json.len());
            let objs = objects(&b.json);
            assert_eq!(objs.len() as u32, b.objects);
            for o in &objs {
                if o["fields"].get("metric_name:other").is_none() {
                    assert_eq!(o["fields"]["le"], "0.5");
                }
            }
            points += b.points;
            let gz = b.gzip();
            let mut d = flate2::read::GzDecoder::new(&gz[..]);
            let mut back = Vec::new();
            std::io::Read::read_to_end(&mut d, &mut back).unwrap();
            assert_eq!(back, b.json);
        }
        assert_eq!(points, 501);
    }
}
