//! Photos the benchmarks send: a real face as a ~113 KB 1024 px JPEG, made unique per punch.

const FACE: &[u8] = include_bytes!("../../assets/demo/obama-2.jpg");

/// The demo's portrait resized to 1024 px and encoded at quality 90 (~113 KB).
pub fn base_photo() -> Vec<u8> {
    let image = image::load_from_memory(FACE).unwrap().resize(1024, 1024, image::imageops::FilterType::Triangle).to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90).encode_image(&image).unwrap();
    out
}

/// A unique photo per punch (a real device never sends the same one twice): the base photo with
/// a comment segment after its start marker.
pub fn photo(base: &[u8], n: usize) -> Vec<u8> {
    let comment = format!("clockface bench punch {n}");
    let length = u16::try_from(comment.len() + 2).unwrap();
    let mut bytes = Vec::with_capacity(base.len() + comment.len() + 4);
    bytes.extend_from_slice(&base[..2]);
    bytes.extend_from_slice(&[0xFF, 0xFE]);
    bytes.extend_from_slice(&length.to_be_bytes());
    bytes.extend_from_slice(comment.as_bytes());
    bytes.extend_from_slice(&base[2..]);
    bytes
}
