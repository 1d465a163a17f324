#[path = "../tests/common/mod.rs"]
mod common;
use tanba_watermark::{PUBLIC_KEY, detect, embed};
fn main() {
    let dir = tempfile::tempdir().unwrap();
    for (name, img) in [("photo", common::photo()), ("smooth", common::generated("smooth", 2000, 1500, 14))] {
        let mut m = img.clone();
        embed(&mut m, 0x1234_5678_9ABC_DEF0, PUBLIC_KEY).unwrap();
        let src = dir.path().join("m.png");
        m.save(&src).unwrap();
        for op in ["crop5", "jpeg50"] {
            let (_, args, ext) = common::OPERATIONS.iter().find(|o| o.0 == op).unwrap();
            let out = common::convert(&src, args, ext, dir.path(), op);
            eprintln!("{name} {op} {}x{}: {:?}", out.width(), out.height(), detect(&out, PUBLIC_KEY));
        }
    }
}
