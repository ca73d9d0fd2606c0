//! [`Attachments`]: the `/v3/attachments` operations.

use bytes::Bytes;

use botbuilder_schema::AttachmentInfo;

use super::{Call, ConnectorClient, from_body, require};
use crate::ConnectorError;

/// The attachment operations of a [`ConnectorClient`] (`client.attachments()`): what the
/// channel's store knows about an uploaded attachment, and its content.
///
/// ```no_run
/// # async fn demo(client: botbuilder_connector::ConnectorClient) -> Result<(), botbuilder_connector::ConnectorError> {
/// let info = client.attachments().get_attachment_info("att-1").await?;
/// for view in &info.views {
///     let bytes = client.attachments().get_attachment("att-1", &view.view_id).await?;
///     println!("{} ({}): {} bytes", info.name, view.view_id, bytes.len());
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Attachments<'a> {
    client: &'a ConnectorClient,
}

impl<'a> Attachments<'a> {
    pub(super) fn new(client: &'a ConnectorClient) -> Self {
        Self { client }
    }

    /// `GET /v3/attachments/{attachmentId}`: the attachment's name, type and views.
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn get_attachment_info(
        &self,
        attachment_id: &str,
    ) -> Result<AttachmentInfo, ConnectorError> {
        let attachment_id = require(attachment_id, "the attachment id")?;
        let answer = self
            .client
            .call(Call::get(&["v3", "attachments", attachment_id]))
            .await?;
        from_body(&answer, "GET /v3/attachments/{id}")
    }

    /// `GET /v3/attachments/{attachmentId}/views/{viewId}`: the content of one view
    /// (`original`, `thumbnail`), as bytes (at most 64 MiB).
    ///
    /// # Errors
    /// Any [`ConnectorError`].
    pub async fn get_attachment(
        &self,
        attachment_id: &str,
        view_id: &str,
    ) -> Result<Bytes, ConnectorError> {
        let attachment_id = require(attachment_id, "the attachment id")?;
        let view_id = require(view_id, "the view id")?;
        let answer = self
            .client
            .call(Call::get(&[
                "v3",
                "attachments",
                attachment_id,
                "views",
                view_id,
            ]))
            .await?;
        Ok(answer.body)
    }
}
