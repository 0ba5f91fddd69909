//! Whisper's token ids and byte-level BPE decoding, read from the model's `tokenizer.json`;
//! `config.json` (faster-whisper layout) supplies suppression lists and alignment heads. Decoding only needs the id → token map and
//! GPT-2's byte ↔ unicode table; we never encode free text except the fixed prompt, which
//! is a known token sequence looked up piece by piece.

use std::collections::HashMap;

use serde::Deserialize;

use super::WhisperError;

#[derive(Deserialize)]
struct TokenizerFile {
    model: BpeModel,
    #[serde(default)]
    added_tokens: Vec<AddedToken>,
}

#[derive(Deserialize)]
struct BpeModel {
    vocab: HashMap<String, u32>,
}

#[derive(Deserialize)]
struct AddedToken {
    id: u32,
    content: String,
}

#[derive(Deserialize)]
pub struct WhisperConfig {
    #[serde(default)]
    pub alignment_heads: Vec<(usize, usize)>,
    #[serde(default)]
    pub suppress_ids: Vec<u32>,
    #[serde(default)]
    pub suppress_ids_begin: Vec<u32>,
}

pub struct Tokenizer {
    pieces: Vec<Vec<u8>>,
    by_text: HashMap<String, u32>,
    pub eot: u32,
    pub sot: u32,
    pub transcribe: u32,
    pub translate: u32,
    pub sot_prev: u32,
    pub no_speech: u32,
    pub no_timestamps: u32,
    pub timestamp_begin: u32,
    /// (code, token id), in the model's order.
    pub languages: Vec<(String, u32)>,
}

/// GPT-2's reversible map from bytes to printable unicode characters.
fn unicode_to_byte() -> HashMap<char, u8> {
    let mut printable: Vec<u32> = (u32::from(b'!')..=u32::from(b'~')).collect();
    printable.extend(0xA1..=0xAC);
    printable.extend(0xAE..=0xFF);
    let mut map = HashMap::new();
    let mut extra = 0u32;
    for b in 0u32..256 {
        let ch = if printable.contains(&b) {
            b
        } else {
            extra += 1;
            255 + extra
        };
        map.insert(char::from_u32(ch).expect("valid char"), b as u8);
    }
    map
}

impl Tokenizer {
    pub fn parse(tokenizer_json: &[u8]) -> Result<Self, WhisperError> {
        let file: TokenizerFile = serde_json::from_slice(tokenizer_json)
            .map_err(|e| WhisperError::BadModel(format!("tokenizer.json: {e}")))?;
        let table = unicode_to_byte();
        let mut by_text = file.model.vocab;
        for added in file.added_tokens {
            by_text.insert(added.content, added.id);
        }
        let size = by_text.values().copied().max().unwrap_or(0) as usize + 1;
        let mut pieces = vec![Vec::new(); size];
        for (text, &id) in &by_text {
            pieces[id as usize] = if text.starts_with("<|") && text.ends_with("|>") {
                Vec::new()
            } else {
                text.chars()
                    .map(|c| table.get(&c).copied().unwrap_or(b'?'))
                    .collect()
            };
        }
        let special = |name: &str| -> Result<u32, WhisperError> {
            by_text.get(name).copied().ok_or_else(|| {
                WhisperError::BadModel(format!("tokenizer.json lacks the token {name}"))
            })
        };
        let eot = special("<|endoftext|>")?;
        let no_timestamps = special("<|notimestamps|>")?;
        let no_speech = special("<|nospeech|>").or_else(|_| special("<|nocaptions|>"))?;
        // Language tokens sit between <|startoftranscript|> and <|translate|> in every
        // Whisper vocabulary. config.json's lang_ids cannot be trusted for this: the
        // English-only models' copy lists the multilingual ids, one off in their vocabulary.
        let sot = special("<|startoftranscript|>")?;
        let translate = special("<|translate|>")?;
        let mut languages = by_text
            .iter()
            .filter(|(_, &id)| id > sot && id < translate)
            .filter_map(|(text, &id)| {
                let code = text.strip_prefix("<|")?.strip_suffix("|>")?;
                Some((code.to_owned(), id))
            })
            .collect::<Vec<_>>();
        languages.sort_by_key(|(_, id)| *id);
        if languages.is_empty() {
            return Err(WhisperError::BadModel(
                "tokenizer.json has no language tokens".into(),
            ));
        }
        Ok(Self {
            eot,
            sot,
            transcribe: special("<|transcribe|>")?,
            translate,
            sot_prev: special("<|startofprev|>")?,
            no_speech,
            no_timestamps,
            timestamp_begin: no_timestamps + 1,
            languages,
            pieces,
            by_text,
        })
    }

    pub fn language_token(&self, code: &str) -> Option<u32> {
        self.languages
            .iter()
            .find(|(c, _)| c == code)
            .map(|(_, id)| *id)
    }

    pub fn language_code(&self, token: u32) -> Option<&str> {
        self.languages
            .iter()
            .find(|(_, id)| *id == token)
            .map(|(c, _)| c.as_str())
    }

    pub fn is_timestamp(&self, token: u32) -> bool {
        token >= self.timestamp_begin
    }

    /// Text of plain tokens (special and timestamp tokens are skipped); invalid UTF-8 at a
    /// split multi-byte character becomes U+FFFD rather than an error.
    pub fn decode(&self, tokens: &[u32]) -> String {
        let bytes: Vec<u8> = tokens
            .iter()
            .filter(|&&t| t < self.eot)
            .flat_map(|&t| self.pieces.get(t as usize).cloned().unwrap_or_default())
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    /// Byte-level pieces of one token (used to group tokens into words).
    pub fn piece(&self, token: u32) -> &[u8] {
        self.pieces
            .get(token as usize)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// Encodes text by greedy longest-match over the vocabulary. Good enough for the fixed
    /// prompts we send (it may pick a different but equivalent split than BPE would).
    pub fn encode_greedy(&self, text: &str) -> Vec<u32> {
        let table: HashMap<u8, char> = unicode_to_byte().into_iter().map(|(c, b)| (b, c)).collect();
        let mapped: Vec<char> = text.bytes().map(|b| table[&b]).collect();
        let mut out = Vec::new();
        let mut i = 0;
        while i < mapped.len() {
            let mut found = None;
            for end in (i + 1..=mapped.len().min(i + 32)).rev() {
                let piece: String = mapped[i..end].iter().collect();
                if let Some(&id) = self.by_text.get(&piece) {
                    found = Some((id, end));
                    break;
                }
            }
            match found {
                Some((id, end)) => {
                    out.push(id);
                    i = end;
                }
                None => i += 1,
            }
        }
        out
    }
}
