//! The wire output of the query protocol: SNS's XML envelopes for results and errors, and a
//! minimal writer for the elements inside them (maps as `<entry><key/><value/></entry>`, lists
//! as `<member>`, exactly what botocore's `QueryParser` reads for non-flattened shapes).
//!
//! It knows no operation: each operation writes its own result members with [`XmlWriter`].

use crate::error::ApiError;

/// The XML namespace of SNS 2010-03-31.
pub const SNS_XMLNS: &str = "http://sns.amazonaws.com/doc/2010-03-31/";

/// Builds the members of one `<Action>Result` element.
#[derive(Debug, Default)]
pub struct XmlWriter {
    out: String,
}

impl XmlWriter {
    /// An empty writer.
    pub fn new() -> Self {
        Self::default()
    }

    /// `<tag>escaped text</tag>`.
    pub fn leaf(&mut self, tag: &str, text: &str) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        escape_into(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// `<tag>`, children written by `children`, `</tag>`.
    pub fn element(&mut self, tag: &str, children: impl FnOnce(&mut XmlWriter)) -> &mut Self {
        self.out.push('<');
        self.out.push_str(tag);
        self.out.push('>');
        children(self);
        self.out.push_str("</");
        self.out.push_str(tag);
        self.out.push('>');
        self
    }

    /// A string map: `<tag><entry><key>k</key><value>v</value></entry>...</tag>`.
    pub fn string_map<'a>(
        &mut self,
        tag: &str,
        entries: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> &mut Self {
        self.element(tag, |w| {
            for (key, value) in entries {
                w.element("entry", |w| {
                    w.leaf("key", key).leaf("value", value);
                });
            }
        })
    }

    /// The text written so far.
    pub fn finish(self) -> String {
        self.out
    }
}

/// The successful response of `action`: its `<Action>Result` (when the operation has an output
/// shape) and the request id.
pub fn success_document(action: &str, result: Option<&str>, request_id: &str) -> String {
    let mut out = String::with_capacity(256 + result.map_or(0, str::len));
    out.push_str(&format!("<{action}Response xmlns=\"{SNS_XMLNS}\">"));
    if let Some(result) = result {
        out.push_str(&format!("<{action}Result>{result}</{action}Result>"));
    }
    let mut metadata = XmlWriter::new();
    metadata.element("ResponseMetadata", |w| {
        w.leaf("RequestId", request_id);
    });
    out.push_str(&metadata.finish());
    out.push_str(&format!("</{action}Response>\n"));
    out
}

/// SNS's `<ErrorResponse>` for `error`.
pub fn error_document(error: &ApiError, request_id: &str) -> String {
    let mut w = XmlWriter::new();
    w.element("Error", |w| {
        w.leaf("Type", error.fault_type())
            .leaf("Code", error.code)
            .leaf("Message", &error.message);
    })
    .leaf("RequestId", request_id);
    format!(
        "<ErrorResponse xmlns=\"{SNS_XMLNS}\">{}</ErrorResponse>\n",
        w.finish()
    )
}

/// Escapes text content and attribute values. Carriage returns are written as a character
/// reference so that XML line-end normalisation does not turn them into line feeds; the other
/// C0 control characters, which XML 1.0 forbids, become U+FFFD.
fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\r' => out.push_str("&#xD;"),
            '\t' | '\n' => out.push(c),
            // XML 1.0 cannot carry other control characters, not even as references.
            c if c.is_control() && u32::from(c) < 0x20 => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn documents_have_the_sns_envelope() {
        let check = |actual: String, expected: &str| assert_eq!(actual, expected);
        let mut w = XmlWriter::new();
        w.leaf("TopicArn", "arn:aws:sns:us-east-1:123456789012:a&b");
        check(
            success_document("CreateTopic", Some(&w.finish()), "rid"),
            "<CreateTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
             <CreateTopicResult><TopicArn>arn:aws:sns:us-east-1:123456789012:a&amp;b</TopicArn></CreateTopicResult>\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></CreateTopicResponse>\n",
        );
        check(
            success_document("DeleteTopic", None, "rid"),
            "<DeleteTopicResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
             <ResponseMetadata><RequestId>rid</RequestId></ResponseMetadata></DeleteTopicResponse>\n",
        );
        check(
            error_document(&ApiError::topic_not_found(), "rid"),
            "<ErrorResponse xmlns=\"http://sns.amazonaws.com/doc/2010-03-31/\">\
             <Error><Type>Sender</Type><Code>NotFound</Code><Message>Topic does not exist</Message></Error>\
             <RequestId>rid</RequestId></ErrorResponse>\n",
        );
        let mut w = XmlWriter::new();
        w.string_map("Attributes", [("Policy", "{\"a\":\"<b>\"}\r\n\t\u{1}")]);
        check(
            w.finish(),
            "<Attributes><entry><key>Policy</key><value>{&quot;a&quot;:&quot;&lt;b&gt;&quot;}&#xD;\n\t\u{FFFD}</value></entry></Attributes>",
        );
    }
}
