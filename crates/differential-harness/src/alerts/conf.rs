//! The committed `savedsearches.conf` as splunkd reads it, and when and over
//! which time range the scheduler runs each alert.

use anyhow::{anyhow, bail, ensure, Context, Result};

/// One stanza: its name and `key = value` pairs in order.
#[derive(Debug, Clone)]
pub struct Stanza {
    pub name: String,
    pub keys: Vec<(String, String)>,
}

impl Stanza {
    pub fn get(&self, key: &str) -> Result<&str> {
        self.keys
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
            .ok_or_else(|| anyhow!("[{}] has no {key}", self.name))
    }
}

/// Reads a .conf file. Admin Manual > About configuration files: `#` starts
/// a comment line; a value continues on the next line when its line ends
/// with a backslash (the line break is kept: savedsearches.conf.spec,
/// `search`). The generator writes ` \` at the end of a continued line; the
/// space before the backslash is dropped here (SPL does not see it).
pub fn stanzas(text: &str) -> Result<Vec<Stanza>> {
    let mut out: Vec<Stanza> = Vec::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push(Stanza {
                name: name.to_string(),
                keys: Vec::new(),
            });
            continue;
        }
        let (k, v) = line
            .split_once('=')
            .ok_or_else(|| anyhow!("not `key = value`: {line:?}"))?;
        let mut v = v.trim().to_string();
        while v.ends_with('\\') {
            v.pop();
            v.truncate(v.trim_end().len());
            v.push('\n');
            v.push_str(
                lines
                    .next()
                    .ok_or_else(|| anyhow!("{k}: continued past the end"))?,
            );
        }
        out.last_mut()
            .ok_or_else(|| anyhow!("{k} before any stanza"))?
            .keys
            .push((k.trim().to_string(), v));
    }
    Ok(out)
}

/// Whether a `cron_schedule` runs at the minute starting at `t_s` (UTC).
/// Search Manual > Schedule reports > Use cron expressions: five fields,
/// minute hour day-of-month month day-of-week; this reads the minute field
/// (`*`, `*/S`, `A-B/S`, `N`) and requires `*` for the others, which is all
/// the app's alerts use.
pub fn cron_runs_at(cron: &str, t_s: i64) -> Result<bool> {
    let fields: Vec<&str> = cron.split_whitespace().collect();
    ensure!(fields.len() == 5, "cron {cron:?}: five fields expected");
    ensure!(
        fields[1..].iter().all(|f| *f == "*"),
        "cron {cron:?}: only the minute field is modelled"
    );
    ensure!(t_s % 60 == 0, "{t_s} is not on a minute");
    let minute = (t_s / 60).rem_euclid(60);
    let (range, step) = match fields[0].split_once('/') {
        Some((r, s)) => (r, s.parse::<i64>().context("cron step")?),
        None => (fields[0], 1),
    };
    let (lo, hi) = match range {
        "*" => (0, 59),
        r => match r.split_once('-') {
            Some((a, b)) => (a.parse::<i64>()?, b.parse::<i64>()?),
            None => {
                let n = r.parse::<i64>().context("cron minute")?;
                (n, if step == 1 { n } else { 59 })
            }
        },
    };
    Ok(minute >= lo && minute <= hi && (minute - lo) % step == 0)
}

/// A relative time modifier (`-16m@m`, `-1m@m`, `now`) from `now_s`. Search
/// Reference > Time modifiers: `-<N><unit>` goes back N units, `@<unit>`
/// then snaps down to the start of that unit. Units s, m, h are modelled.
pub fn relative_time(modifier: &str, now_s: i64) -> Result<i64> {
    if modifier == "now" {
        return Ok(now_s);
    }
    let unit_s = |u: &str| -> Result<i64> {
        Ok(match u {
            "s" => 1,
            "m" => 60,
            "h" => 3600,
            _ => bail!("time unit {u:?} is not modelled"),
        })
    };
    let (offset, snap) = match modifier.split_once('@') {
        Some((o, s)) => (o, Some(s)),
        None => (modifier, None),
    };
    let mut t = now_s;
    if !offset.is_empty() {
        let sign = match offset.as_bytes()[0] {
            b'-' => -1,
            b'+' => 1,
            _ => bail!("{modifier:?}: an offset starts with - or +"),
        };
        let digits: String = offset[1..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let n: i64 = digits.parse().with_context(|| format!("{modifier:?}"))?;
        t += sign * n * unit_s(&offset[1 + digits.len()..])?;
    }
    if let Some(u) = snap {
        let u = unit_s(u)?;
        t = t.div_euclid(u) * u;
    }
    Ok(t)
}

pub fn self_check() -> Result<()> {
    ensure!(relative_time("-16m@m", 3725)? == 3725 - 16 * 60 - 5);
    ensure!(relative_time("-1m@m", 3660)? == 3600);
    ensure!(relative_time("now", 7)? == 7);
    ensure!(cron_runs_at("1-56/5 * * * *", 60)?);
    ensure!(cron_runs_at("1-56/5 * * * *", 360)?);
    ensure!(!cron_runs_at("1-56/5 * * * *", 300)?);
    ensure!(!cron_runs_at("1-56/5 * * * *", 57 * 60)?);
    ensure!(cron_runs_at("*/5 * * * *", 3600)?);
    let s = stanzas("# c\n[a]\nsearch = x \\\n| y\nk = v\n")?;
    ensure!(s.len() == 1 && s[0].get("search")? == "x\n| y" && s[0].get("k")? == "v");
    Ok(())
}
