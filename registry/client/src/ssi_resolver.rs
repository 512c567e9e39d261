//! `did:realdid` as an ssi DID method: a [`RegistryGateway`] is an ssi `DIDMethodResolver`,
//! so tools built on ssi resolve did:realdid through the light client, each answer checked
//! against the genesis validators' keys and the gateway's freshness bound. A DID proven
//! absent is `NotFound`; a DID that does not parse is `InvalidMethodSpecificId`; no usable
//! answer from any node is `Internal`, with the reason.

use realdid_core::did::RealDid;
use realdid_core::did::document::realdid_document;
use ssi_dids_core::resolution::{DIDMethodResolver, Error, Metadata, Options, Output};
use ssi_dids_core::{DIDMethod, document};

use crate::RegistryGateway;

impl DIDMethod for RegistryGateway {
    const DID_METHOD_NAME: &'static str = "realdid";
}

impl DIDMethodResolver for RegistryGateway {
    async fn resolve_method_representation<'a>(
        &'a self,
        method_specific_id: &'a str,
        _options: Options,
    ) -> Result<Output<Vec<u8>>, Error> {
        let did: RealDid = format!("did:realdid:{method_specific_id}")
            .parse()
            .map_err(|e: realdid_core::did::DidError| {
                Error::InvalidMethodSpecificId(e.to_string())
            })?;
        let record = self
            .resolve_did(&did)
            .await
            .map_err(Error::internal)?
            .ok_or(Error::NotFound)?;
        let rendered = realdid_document(&record.state).map_err(Error::internal)?;
        let json = serde_json::to_vec(&rendered).map_err(Error::internal)?;
        Ok(Output::new(
            json,
            document::Metadata {
                deactivated: Some(record.state.is_deactivated()),
            },
            Metadata::from_content_type(Some("application/did+json".into())),
        ))
    }
}
