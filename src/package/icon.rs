//! The app icon, drawn here rather than shipped as a binary file: a
//! rounded square in Mattermost's navy with a white rising line chart over
//! three bars. Each pixel is 4x4 supersampled for smooth edges.

use anyhow::{Context, Result};

const NAVY: [f32; 3] = [30.0, 50.0, 92.0];
const WHITE: [f32; 3] = [255.0, 255.0, 255.0];
const BLUE: [f32; 3] = [76.0, 150.0, 255.0];

/// What covers the point (x, y), in units of the icon's side (0..1).
fn paint(x: f32, y: f32) -> Option<[f32; 3]> {
    // Rounded square, corner radius 0.2.
    let r = 0.2;
    let (cx, cy) = (x.clamp(r, 1.0 - r), y.clamp(r, 1.0 - r));
    if (x - cx).powi(2) + (y - cy).powi(2) > r * r {
        return None;
    }
    // The line chart: (0.15,0.70) -> (0.40,0.50) -> (0.60,0.58) -> (0.85,0.25).
    let pts = [(0.15, 0.70), (0.40, 0.50), (0.60, 0.58), (0.85, 0.25)];
    for w in pts.windows(2) {
        let ((x0, y0), (x1, y1)) = (w[0], w[1]);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let t = (((x - x0) * dx + (y - y0) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
        let (px, py) = (x0 + t * dx, y0 + t * dy);
        if (x - px).powi(2) + (y - py).powi(2) < 0.045f32.powi(2) {
            return Some(WHITE);
        }
    }
    // Bars along the bottom.
    for (left, top) in [(0.18, 0.72), (0.42, 0.62), (0.66, 0.50)] {
        if x >= left && x <= left + 0.16 && y >= top && y <= 0.85 {
            return Some(BLUE);
        }
    }
    Some(NAVY)
}

/// The icon as a `size` x `size` RGBA PNG.
pub fn png(size: u32) -> Result<Vec<u8>> {
    const SS: u32 = 4;
    let mut rgba = Vec::with_capacity((size * size * 4) as usize);
    for py in 0..size {
        for px in 0..size {
            let (mut acc, mut covered) = ([0f32; 3], 0u32);
            for sy in 0..SS {
                for sx in 0..SS {
                    let x = (px as f32 + (sx as f32 + 0.5) / SS as f32) / size as f32;
                    let y = (py as f32 + (sy as f32 + 0.5) / SS as f32) / size as f32;
                    if let Some(c) = paint(x, y) {
                        for i in 0..3 {
                            acc[i] += c[i];
                        }
                        covered += 1;
                    }
                }
            }
            if covered == 0 {
                rgba.extend_from_slice(&[0, 0, 0, 0]);
            } else {
                for c in acc {
                    rgba.push((c / covered as f32).round() as u8);
                }
                rgba.push((255 * covered / (SS * SS)) as u8);
            }
        }
    }
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, size, size);
    enc.set_color(png::ColorType::Rgba);
    enc.set_depth(png::BitDepth::Eight);
    let mut w = enc.write_header().context("PNG header")?;
    w.write_image_data(&rgba).context("PNG data")?;
    w.finish().context("PNG end")?;
    Ok(out)
}
