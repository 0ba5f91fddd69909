//! Prints the text the parser sees for a file, in reading order: `cargo run -p mianshi-resume
//! --example extract -- FILE`. Handy when a field comes out wrong.

fn main() {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: extract FILE");
        std::process::exit(2);
    };
    let bytes = match std::fs::read(&path) {
        Ok(bytes) => bytes,
        Err(err) => {
            eprintln!("{path}: {err}");
            std::process::exit(1);
        }
    };
    match mianshi_resume::extract_text(&bytes, Some(&path), &mianshi_resume::Limits::default()) {
        Ok(text) => print!("{}", text.text),
        Err(err) => {
            eprintln!("{path}: {} ({})", err, err.code());
            std::process::exit(1);
        }
    }
}
