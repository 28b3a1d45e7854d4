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

/// The one line a command prints on stderr when its work is over, where progress bars were
/// shown (a terminal, without -q): what it found and how long it took.
pub struct Summary {
    start: std::time::Instant,
}

impl Summary {
    /// Starts the clock.
    pub fn start() -> Self {
        Summary {
            start: std::time::Instant::now(),
        }
    }

    /// Prints `what` and the seconds taken, on a terminal only.
    pub fn finish(&self, quiet: bool, what: &str) {
        if quiet || !std::io::stderr().is_terminal() {
            return;
        }
        eprintln!("{what} in {:.1} s", self.start.elapsed().as_secs_f64());
    }
}

/// "N packages, N vulnerabilities (N critical, N high), N secrets, N misconfigurations" for the
/// parts of an analysis that ran.
pub fn describe(a: &drydock_analysis::Analysis) -> String {
    let mut parts = vec![format!("{} packages", a.sbom.packages.len())];
    if let Some(r) = &a.vulnerabilities {
        let count = |l: drydock_match::SeverityLevel| r.findings.iter().filter(|f| f.severity == l).count();
        let (c, h) = (
            count(drydock_match::SeverityLevel::Critical),
            count(drydock_match::SeverityLevel::High),
        );
        parts.push(format!("{} vulnerabilities ({c} critical, {h} high)", r.findings.len()));
    }
    if let Some(s) = &a.secrets {
        parts.push(format!("{} secrets", s.len()));
    }
    if let Some(m) = &a.misconfigurations {
        parts.push(format!("{} misconfigurations", m.len()));
    }
    parts.join(", ")
}
