//! An STS error answer, in the awsQuery error envelope AWS uses.

/// One error: HTTP status, fault type, code and message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fault {
    pub status: u16,
    /// `Sender` (the caller's fault) or `Receiver`.
    pub kind: &'static str,
    pub code: &'static str,
    pub message: String,
}

/// The request ID of answers that need no unique one.
pub const FIXED_REQUEST_ID: &str = "00000000-0000-0000-0000-000000000000";

impl Fault {
    pub fn sender(status: u16, code: &'static str, message: &str) -> Fault {
        Fault {
            status,
            kind: "Sender",
            code,
            message: message.to_string(),
        }
    }

    pub fn receiver(status: u16, code: &'static str, message: &str) -> Fault {
        Fault {
            kind: "Receiver",
            ..Fault::sender(status, code, message)
        }
    }

    /// `<ErrorResponse>` as STS sends it.
    pub fn xml(&self, request_id: &str) -> String {
        format!(
            "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n  <Error>\n    \
             <Type>{}</Type>\n    <Code>{}</Code>\n    <Message>{}</Message>\n  </Error>\n  \
             <RequestId>{request_id}</RequestId>\n</ErrorResponse>\n",
            self.kind,
            self.code,
            escape(&self.message)
        )
    }
}

/// Text escaped for an XML element.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_envelope_escapes_the_message() {
        let x = Fault::sender(400, "ValidationError", "Value 'a<b' at 'audience'").xml("r1");
        assert!(x.contains("<Type>Sender</Type>\n    <Code>ValidationError</Code>"));
        assert!(x.contains("<Message>Value &apos;a&lt;b&apos; at &apos;audience&apos;</Message>"));
        assert!(x.contains("<RequestId>r1</RequestId>"));
    }
}
