//! Whisper's log-mel front end, following openai/whisper `audio.py`: 25 ms periodic Hann
//! window (400 samples), 10 ms hop (160), centred STFT with reflect padding, power spectrum,
//! an 80-band Slaney-normalised mel filterbank (librosa `filters.mel(sr=16000, n_fft=400,
//! n_mels=80)`, computed here because no package ships it), log10 clamped at 1e-10, a floor
//! 8 below the maximum, and `(x + 4) / 4`.

use std::sync::Arc;

use realfft::RealFftPlanner;

pub const SAMPLE_RATE: usize = 16_000;
pub const N_FFT: usize = 400;
pub const HOP: usize = 160;
/// Mel frames in one 30 s window.
pub const WINDOW_FRAMES: usize = 3000;
pub const WINDOW_SAMPLES: usize = WINDOW_FRAMES * HOP;

fn hz_to_mel(hz: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if hz >= min_log_hz {
        min_log_mel + (hz / min_log_hz).ln() / logstep
    } else {
        hz / f_sp
    }
}

fn mel_to_hz(mel: f64) -> f64 {
    let f_sp = 200.0 / 3.0;
    let min_log_hz = 1000.0;
    let min_log_mel = min_log_hz / f_sp;
    let logstep = (6.4f64).ln() / 27.0;
    if mel >= min_log_mel {
        min_log_hz * (logstep * (mel - min_log_mel)).exp()
    } else {
        f_sp * mel
    }
}

/// librosa's Slaney mel filterbank, `[n_mels][n_fft / 2 + 1]`.
pub fn mel_filters(n_mels: usize) -> Vec<Vec<f32>> {
    let bins = N_FFT / 2 + 1;
    let sr = SAMPLE_RATE as f64;
    let fft_freqs: Vec<f64> = (0..bins)
        .map(|i| i as f64 * sr / 2.0 / (bins - 1) as f64)
        .collect();
    let (lo, hi) = (hz_to_mel(0.0), hz_to_mel(sr / 2.0));
    let mel_f: Vec<f64> = (0..n_mels + 2)
        .map(|i| mel_to_hz(lo + (hi - lo) * i as f64 / (n_mels + 1) as f64))
        .collect();
    (0..n_mels)
        .map(|m| {
            let enorm = 2.0 / (mel_f[m + 2] - mel_f[m]);
            fft_freqs
                .iter()
                .map(|&f| {
                    let lower = (f - mel_f[m]) / (mel_f[m + 1] - mel_f[m]);
                    let upper = (mel_f[m + 2] - f) / (mel_f[m + 2] - mel_f[m + 1]);
                    (lower.min(upper).max(0.0) * enorm) as f32
                })
                .collect()
        })
        .collect()
}

/// Computes log-mel spectrograms; holds the FFT plan and filterbank so repeated calls are
/// cheap. Shareable across threads.
pub struct MelFrontEnd {
    n_mels: usize,
    filters: Vec<Vec<f32>>,
    window: Vec<f32>,
    fft: Arc<dyn realfft::RealToComplex<f32>>,
}

impl MelFrontEnd {
    pub fn new(n_mels: usize) -> Self {
        let window = (0..N_FFT)
            .map(|i| {
                let x = 2.0 * std::f64::consts::PI * i as f64 / N_FFT as f64;
                (0.5 - 0.5 * x.cos()) as f32
            })
            .collect();
        Self {
            n_mels,
            filters: mel_filters(n_mels),
            window,
            fft: RealFftPlanner::<f32>::new().plan_fft_forward(N_FFT),
        }
    }

    pub fn n_mels(&self) -> usize {
        self.n_mels
    }

    /// `[n_mels][frames]` with `frames = samples.len() / HOP` (whisper drops the last STFT
    /// frame), normalised as whisper does over the whole input.
    pub fn log_mel(&self, samples: &[f32]) -> Vec<Vec<f32>> {
        let frames = samples.len() / HOP;
        let pad = N_FFT / 2;
        let reflect = |i: isize| -> f32 {
            let n = samples.len() as isize;
            if n == 0 {
                return 0.0;
            }
            let mut j = i;
            if j < 0 {
                j = -j;
            }
            if j >= n {
                j = 2 * (n - 1) - j;
            }
            samples[j.clamp(0, n - 1) as usize]
        };
        let mut input = self.fft.make_input_vec();
        let mut spectrum = self.fft.make_output_vec();
        let mut scratch = self.fft.make_scratch_vec();
        let mut out = vec![vec![0f32; frames]; self.n_mels];
        let mut power = vec![0f32; N_FFT / 2 + 1];
        // The frame number indexes both the input hop and the output column.
        #[allow(clippy::needless_range_loop)]
        for frame in 0..frames {
            let start = (frame * HOP) as isize - pad as isize;
            for (k, slot) in input.iter_mut().enumerate() {
                *slot = reflect(start + k as isize) * self.window[k];
            }
            self.fft
                .process_with_scratch(&mut input, &mut spectrum, &mut scratch)
                .expect("buffers come from the plan");
            for (p, c) in power.iter_mut().zip(&spectrum) {
                *p = c.norm_sqr();
            }
            for (m, filter) in self.filters.iter().enumerate() {
                let energy: f32 = filter.iter().zip(&power).map(|(w, p)| w * p).sum();
                out[m][frame] = energy.max(1e-10).log10();
            }
        }
        let max = out
            .iter()
            .flatten()
            .copied()
            .fold(f32::NEG_INFINITY, f32::max);
        for v in out.iter_mut().flatten() {
            *v = (v.max(max - 8.0) + 4.0) / 4.0;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filterbank_matches_librosa_shape_and_normalisation() {
        let f = mel_filters(80);
        assert_eq!(f.len(), 80);
        assert!(f.iter().all(|row| row.len() == 201));
        // librosa.filters.mel(sr=16000, n_fft=400, n_mels=80)[0, 1] == 0.02486259
        assert!((f[0][1] - 0.024_862_59).abs() < 1e-6, "{}", f[0][1]);
        // Slaney normalisation keeps every band's area equal: sum(w) * Δf ≈ 2 ... bands
        // are non-empty and non-negative.
        assert!(f
            .iter()
            .all(|row| row.iter().any(|&w| w > 0.0) && row.iter().all(|&w| w >= 0.0)));
    }

    #[test]
    fn a_tone_lights_the_right_band() {
        let front = MelFrontEnd::new(80);
        let tone: Vec<f32> = (0..16_000)
            .map(|i| (2.0 * std::f32::consts::PI * 1000.0 * i as f32 / 16_000.0).sin() * 0.5)
            .collect();
        let mel = front.log_mel(&tone);
        assert_eq!(mel[0].len(), 100);
        let frame = 50;
        let loudest = (0..80)
            .max_by(|&a, &b| mel[a][frame].total_cmp(&mel[b][frame]))
            .unwrap();
        let centre_hz = |m: usize| {
            let lo = hz_to_mel(0.0);
            let hi = hz_to_mel(8000.0);
            mel_to_hz(lo + (hi - lo) * (m + 1) as f64 / 81.0)
        };
        assert!((centre_hz(loudest) - 1000.0).abs() < 80.0, "band {loudest}");
    }
}
