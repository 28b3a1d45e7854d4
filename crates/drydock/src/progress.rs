//! Progress bars on stderr, shown only when it is a terminal.

use drydock_image::{ImageMeta, Progress};
use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;

/// Per-layer progress bars (or nothing when stderr is not a terminal or -q was given).
pub struct LayerBars {
    bars: Vec<ProgressBar>,
    _multi: Option<MultiProgress>,
}

impl LayerBars {
    /// Bars for every layer of the image.
    pub fn new(meta: &ImageMeta, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return LayerBars {
                bars: Vec::new(),
                _multi: None,
            };
        }
        let multi = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{prefix:>12} {bar:30.cyan/blue} {bytes:>10}/{total_bytes:<10} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
        let bars = meta
            .layers
            .iter()
            .map(|l| {
                let b = multi.add(ProgressBar::new(l.size.max(1)));
                b.set_style(style.clone());
                b.set_prefix(format!("layer {}", l.index));
                b.set_message(short(&l.digest));
                b
            })
            .collect();
        LayerBars {
            bars,
            _multi: Some(multi),
        }
    }

    /// Removes the bars once reading is over.
    pub fn finish(&self) {
        for b in &self.bars {
            b.finish_and_clear();
        }
    }
}

fn short(digest: &str) -> String {
    let hex = digest.split_once(':').map(|(_, h)| h).unwrap_or(digest);
    hex.chars().take(12).collect()
}

impl Progress for LayerBars {
    fn layer_bytes(&self, layer: usize, bytes: u64) {
        if let Some(b) = self.bars.get(layer) {
            b.set_position(bytes);
        }
    }
    fn layer_done(&self, layer: usize, cached: bool) {
        if let Some(b) = self.bars.get(layer) {
            b.set_position(b.length().unwrap_or(0));
            b.finish_with_message(if cached { "cached" } else { "done" });
        }
    }
}
