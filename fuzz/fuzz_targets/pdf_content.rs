#![no_main]
libfuzzer_sys::fuzz_target!(|data: &[u8]| tanba_fuzz::pdf_content(data));
