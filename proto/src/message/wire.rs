//! Small helpers shared by the per-API encoders and decoders.

use flatbuffers::{FlatBufferBuilder, ForwardsUOffset, Vector, WIPOffset};

use crate::ErrorCode;

/// A vector of tables, each built by `each`.
pub(crate) fn encode_tables<'b, T, X>(
    fbb: &mut FlatBufferBuilder<'b>,
    items: &[T],
    mut each: impl FnMut(&mut FlatBufferBuilder<'b>, &T) -> WIPOffset<X>,
) -> WIPOffset<Vector<'b, ForwardsUOffset<X>>> {
    let offsets: Vec<WIPOffset<X>> = items.iter().map(|item| each(fbb, item)).collect();
    fbb.create_vector(&offsets)
}

/// A vector of strings.
pub(crate) fn encode_strings<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    items: &[String],
) -> WIPOffset<Vector<'b, ForwardsUOffset<&'b str>>> {
    let offsets: Vec<WIPOffset<&str>> = items.iter().map(|item| fbb.create_string(item)).collect();
    fbb.create_vector(&offsets)
}

/// An optional string.
pub(crate) fn encode_optional_string<'b>(
    fbb: &mut FlatBufferBuilder<'b>,
    value: Option<&str>,
) -> Option<WIPOffset<&'b str>> {
    value.map(|value| fbb.create_string(value))
}

/// A vector of strings, owned.
pub(crate) fn decode_strings(items: Vector<'_, ForwardsUOffset<&str>>) -> Vec<String> {
    items.iter().map(str::to_owned).collect()
}

/// An error code from the wire; codes this build does not know read as
/// [`ErrorCode::UnknownServerError`].
pub(crate) fn decode_error_code(value: u16) -> ErrorCode {
    ErrorCode::from_wire(value)
}
