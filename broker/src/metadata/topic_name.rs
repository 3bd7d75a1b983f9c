//! The rules for topic names. They double as directory names, so they must be safe there.

/// Longest topic name, as in Kafka (keeps `<topic>/<partition>/<segment>` well under PATH_MAX).
pub const TOPIC_NAME_BYTES_MAX: usize = 249;

/// Why a topic name is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopicNameError {
    /// Empty name.
    #[error("topic name is empty")]
    Empty,
    /// Longer than [`TOPIC_NAME_BYTES_MAX`].
    #[error("topic name is {0} bytes long; the limit is {TOPIC_NAME_BYTES_MAX}")]
    TooLong(usize),
    /// `.` or `..`, which would escape or alias the data directory.
    #[error("topic name \"{0}\" is reserved")]
    Reserved(String),
    /// A character outside `[a-zA-Z0-9._-]`.
    #[error("topic name contains {0:?}; only ASCII letters, digits, '.', '_' and '-' are allowed")]
    BadChar(char),
    /// Names starting with `__` are kept for the broker's internal topics.
    #[error("topic names starting with \"__\" are reserved for internal use")]
    InternalPrefix,
}

/// Checks a user-supplied topic name.
pub fn validate_topic_name(name: &str) -> Result<(), TopicNameError> {
    if name.is_empty() {
        return Err(TopicNameError::Empty);
    }
    if name.len() > TOPIC_NAME_BYTES_MAX {
        return Err(TopicNameError::TooLong(name.len()));
    }
    if name == "." || name == ".." {
        return Err(TopicNameError::Reserved(name.to_owned()));
    }
    if let Some(c) = name.chars().find(|c| !(c.is_ascii_alphanumeric() || "._-".contains(*c))) {
        return Err(TopicNameError::BadChar(c));
    }
    if name.starts_with("__") {
        return Err(TopicNameError::InternalPrefix);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_kafka_style_names() {
        for name in ["orders", "orders.v2", "a_b-c", "X", &"x".repeat(249)] {
            assert_eq!(validate_topic_name(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn refuses_names_that_are_unsafe_as_directories() {
        assert_eq!(validate_topic_name(""), Err(TopicNameError::Empty));
        assert_eq!(validate_topic_name(".."), Err(TopicNameError::Reserved("..".into())));
        assert_eq!(validate_topic_name("a/b"), Err(TopicNameError::BadChar('/')));
        assert_eq!(validate_topic_name("é"), Err(TopicNameError::BadChar('é')));
        assert_eq!(validate_topic_name("__offsets"), Err(TopicNameError::InternalPrefix));
        assert_eq!(validate_topic_name(&"x".repeat(250)), Err(TopicNameError::TooLong(250)));
    }
}
