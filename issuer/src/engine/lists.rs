//! Status changes and their publication.
//!
//! Every change follows one path, under the issuer's `publishing` lock: the new statuses
//! are written (the list marked dirty), then the list is published: a fresh token is
//! signed, its hash anchored on the registry, and once a proven read shows the anchor on
//! chain the token becomes the one served. If the registry cannot be reached the change is kept, the
//! caller gets UNAVAILABLE, and the next change or retry publishes it.

use std::collections::BTreeSet;
use std::sync::atomic::Ordering;

use realdid_core::codec::StatusListAnchor;
use realdid_core::status_list::{Status, StatusList};
use realdid_proto::v1 as pb;

use super::{Issuer, lock};
use crate::IssuerError;
use crate::authority::IdentityAuthority;
use crate::nonces::Purpose;
use crate::status::{self, OpenList, list_uri};
use crate::store::{
    Batch, CredentialRecord, CredentialStatus, ListRecord, LogEntry, Published, Receipt, Store,
    columns,
};

/// The `meta` counter naming the open list (0: none yet).
pub(crate) const OPEN_LIST: &str = "open_list";

/// The open list as the database has it, with its taken entries.
pub(crate) fn load_open_list(store: &Store) -> Result<Option<OpenList>, IssuerError> {
    let number = u32::try_from(store.counter(OPEN_LIST)?)
        .map_err(|_| IssuerError::Corrupt("open_list counter out of range".into()))?;
    if number == 0 {
        return Ok(None);
    }
    let record = store
        .list(number)?
        .ok_or_else(|| IssuerError::Corrupt(format!("open status list {number} is missing")))?;
    let taken = store
        .keys(columns::SLOTS, &number.to_be_bytes())?
        .into_iter()
        .filter_map(|k| {
            k.get(4..8)
                .and_then(|b| b.try_into().ok())
                .map(u32::from_be_bytes)
        })
        .collect::<Vec<_>>();
    Ok(Some(OpenList::new(number, record.size, taken)))
}

/// What a status change did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StatusChange {
    /// The credentials now in the wanted state (including those already in it).
    pub credential_ids: Vec<String>,
    /// The anchors of the lists published.
    pub anchors: Vec<pb::TransactionReceipt>,
}

/// The credentials an operator's status change applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevokeTarget {
    /// One credential.
    Credential(String),
    /// Every credential of a DID.
    Did(String),
    /// Every credential of an enrolment.
    Enrolment(String),
}

impl<A: IdentityAuthority> Issuer<A> {
    /// The URI of list `number`.
    pub fn list_uri(&self, number: u32) -> String {
        list_uri(&self.config.public_base_url, number)
    }

    /// The token currently served for list `number` and its sequence.
    pub fn status_list_token(&self, number: u32) -> Result<Option<(String, u64)>, IssuerError> {
        Ok(self
            .store
            .list(number)?
            .and_then(|r| r.published)
            .map(|p| (p.token, p.sequence)))
    }

    /// The URIs of every list this issuer publishes.
    pub fn status_list_uris(&self) -> Result<Vec<String>, IssuerError> {
        let count = self.store.counter(OPEN_LIST)?;
        Ok((1..=count)
            .filter_map(|n| u32::try_from(n).ok())
            .map(|n| self.list_uri(n))
            .collect())
    }

    /// Publishes list `record` (already locked by the caller holding `publishing`): signs
    /// a token, anchors it, and stores it as served once final. A list with nothing new is
    /// left as it is.
    pub(crate) async fn publish_locked(
        &self,
        mut record: ListRecord,
    ) -> Result<Option<pb::TransactionReceipt>, IssuerError> {
        if !record.dirty && record.published.is_some() {
            return Ok(None);
        }
        let sequence = record.next_sequence;
        record.next_sequence += 1;
        let mut batch = Batch::default();
        batch.put(
            columns::LISTS,
            record.number.to_be_bytes().to_vec(),
            &record,
        )?;
        self.store.write(batch)?;
        let keys = self.keys();
        let uri = self.list_uri(record.number);
        let validity = self.config.policy.status_token_validity_seconds;
        let issued_at_s = self.now_ms() / 1000;
        let (token, hash, tally) =
            status::token(&record, &uri, &keys.signer()?, issued_at_s, validity)?;
        let anchor = StatusListAnchor::sign(
            self.registry.chain_id(),
            keys.did().clone(),
            uri.clone(),
            sequence,
            hash,
            tally,
            keys.active_key_id().clone(),
            keys.active_key()?,
        )
        .map_err(|e| IssuerError::Internal(format!("signing the anchor: {e}")))?;
        // Served (and reported published) only once a proven read shows the anchor: a node
        // that merely says "final" could hide a revocation.
        let final_receipt = match self.registry.anchor_status_list(&anchor).await {
            Ok((receipt, _proven)) => receipt,
            Err(e) => {
                self.lists_ready.store(false, Ordering::SeqCst);
                return Err(e.into());
            }
        };
        record.dirty = false;
        record.published = Some(Published {
            sequence,
            token,
            receipt: Receipt::from(&final_receipt),
            expires_at_s: issued_at_s + i64::from(validity),
        });
        let mut batch = Batch::default();
        batch.put(
            columns::LISTS,
            record.number.to_be_bytes().to_vec(),
            &record,
        )?;
        self.store.write(batch)?;
        tracing::info!(
            list = record.number,
            sequence,
            height = final_receipt.height,
            "status list published"
        );
        Ok(Some(final_receipt))
    }

    /// Opens list number `number`, publishes it, and makes it the open list.
    async fn open_new_list(&self, number: u32) -> Result<(), IssuerError> {
        let record = match self.store.list(number)? {
            Some(existing) => existing,
            None => {
                let record = status::new_list(number, self.config.policy.status_list_size)?;
                let mut batch = Batch::default();
                batch.put(columns::LISTS, number.to_be_bytes().to_vec(), &record)?;
                self.store.write(batch)?;
                record
            }
        };
        self.publish_locked(record).await?;
        let mut batch = Batch::default();
        Store::set_counter(&mut batch, OPEN_LIST, u64::from(number));
        self.store.write(batch)?;
        *lock(&self.open_list) = Some(OpenList::new(
            number,
            self.config.policy.status_list_size,
            [],
        ));
        Ok(())
    }

    /// Whether every list is published (nothing left dirty by a failed publication).
    pub fn lists_ready(&self) -> bool {
        self.lists_ready.load(Ordering::SeqCst)
    }

    /// Makes sure an open list exists and is published, so that every entry handed out
    /// points at a list verifiers can fetch; publishes any list left dirty by an earlier
    /// failure.
    pub async fn ready_lists(&self) -> Result<(), IssuerError> {
        let _publishing = self.publishing.lock().await;
        self.lists_ready.store(false, Ordering::SeqCst);
        let open = lock(&self.open_list)
            .as_ref()
            .map(|l| (l.number, l.is_full()));
        match open {
            None => self.open_new_list(1).await?,
            Some((number, true)) => self.open_new_list(number + 1).await?,
            Some((number, false)) => {
                if let Some(record) = self.store.list(number)?
                    && record.published.is_none()
                {
                    self.publish_locked(record).await?;
                }
            }
        }
        for number in 1..=u32::try_from(self.store.counter(OPEN_LIST)?).unwrap_or(0) {
            if let Some(record) = self.store.list(number)?
                && record.dirty
            {
                self.publish_locked(record).await?;
            }
        }
        self.lists_ready.store(true, Ordering::SeqCst);
        Ok(())
    }

    /// Publishes again every list whose token has less than half its validity left (or was
    /// published without `exp`), changed or not: verifiers refuse an expired token, so a
    /// list that nothing changes must still be re-signed and re-anchored in time.
    pub async fn refresh_expiring_lists(&self) -> Result<(), IssuerError> {
        let _publishing = self.publishing.lock().await;
        let half = i64::from(self.config.policy.status_token_validity_seconds) / 2;
        let total = u32::try_from(self.store.counter(OPEN_LIST)?).unwrap_or(0);
        for number in 1..=total {
            let now_s = self.now_ms() / 1000;
            if let Some(mut record) = self.store.list(number)?
                && record
                    .published
                    .as_ref()
                    .is_some_and(|p| p.expires_at_s - now_s < half)
            {
                record.dirty = true;
                self.publish_locked(record).await?;
            }
        }
        Ok(())
    }

    /// Takes `count` random entries of the open list (opening the next list when it fills).
    pub(crate) async fn allocate(&self, count: usize) -> Result<Vec<(u32, u32)>, IssuerError> {
        if !self.lists_ready.load(Ordering::SeqCst) {
            self.ready_lists().await?;
        }
        let mut out = Vec::with_capacity(count);
        while out.len() < count {
            let next = {
                let mut open = lock(&self.open_list);
                match open.as_mut() {
                    Some(list) => list.allocate()?.map(|i| (list.number, i)),
                    None => None,
                }
            };
            match next {
                Some(slot) => out.push(slot),
                None => self.ready_lists().await?,
            }
        }
        Ok(out)
    }

    /// Sets `credentials` to `status` (those whose current state `applies` accepts) and
    /// publishes every list touched or still dirty. Runs under `publishing`.
    async fn change_status(
        &self,
        credentials: Vec<CredentialRecord>,
        applies: impl Fn(&CredentialStatus) -> Option<CredentialStatus>,
        log: LogEntry,
        mark_fraud: bool,
    ) -> Result<StatusChange, IssuerError> {
        let _publishing = self.publishing.lock().await;
        // Each list touched is decoded once, changed, and encoded once.
        let mut lists: std::collections::BTreeMap<u32, (ListRecord, StatusList)> =
            Default::default();
        let mut batch = Batch::default();
        let mut ids = Vec::new();
        let mut touched = BTreeSet::new();
        let mut fraud_enrolments = BTreeSet::new();
        for mut credential in credentials {
            // Re-read under the lock: another change may have moved it since.
            if let Some(current) = self.store.credential(&credential.id)? {
                credential = current;
            }
            if let Some(next) = applies(&credential.status) {
                let wanted = match next {
                    CredentialStatus::Valid => Status::VALID,
                    CredentialStatus::Suspended { .. } => Status::SUSPENDED,
                    CredentialStatus::Revoked { .. } => Status::INVALID,
                };
                let (_, list) = match lists.entry(credential.list) {
                    std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                    std::collections::btree_map::Entry::Vacant(e) => {
                        let record = self.store.list(credential.list)?.ok_or_else(|| {
                            IssuerError::Corrupt(format!(
                                "status list {} is missing",
                                credential.list
                            ))
                        })?;
                        let list = status::statuses(&record)?;
                        e.insert((record, list))
                    }
                };
                status::set_entry(list, credential.list, credential.index, wanted)?;
                touched.insert(credential.list);
                credential.status = next;
                batch.put(
                    columns::CREDENTIALS,
                    credential.id.clone().into_bytes(),
                    &credential,
                )?;
            }
            if mark_fraud {
                fraud_enrolments.insert(credential.enrolment_id.clone());
            }
            ids.push(credential.id);
        }
        for (number, (record, list)) in &mut lists {
            status::store_statuses(record, list);
            batch.put(columns::LISTS, number.to_be_bytes().to_vec(), &*record)?;
        }
        for id in fraud_enrolments {
            if let Some(mut enrolment) = self.store.enrolment(&id)? {
                enrolment.fraud = true;
                batch.put(columns::ENROLMENTS, id.into_bytes(), &enrolment)?;
            }
        }
        self.store.log(&mut batch, &log)?;
        self.store.write(batch)?;
        let mut anchors = Vec::new();
        for (_, (record, _)) in lists {
            if let Some(receipt) = self.publish_locked(record).await? {
                anchors.push(receipt);
            }
        }
        // Lists left unpublished by an earlier failure go out too; when none is (the
        // ready flag), no other list needs reading.
        if !self.lists_ready() {
            let total = u32::try_from(self.store.counter(OPEN_LIST)?).unwrap_or(0);
            for number in (1..=total).filter(|n| !touched.contains(n)) {
                if let Some(record) = self.store.list(number)?
                    && record.dirty
                {
                    self.publish_locked(record).await?;
                }
            }
        }
        Ok(StatusChange {
            credential_ids: ids,
            anchors,
        })
    }

    fn credentials_of_did(&self, did: &str) -> Result<Vec<CredentialRecord>, IssuerError> {
        self.store
            .did_credentials(did)?
            .iter()
            .filter_map(|id| self.store.credential(id).transpose())
            .collect()
    }

    fn credentials_of_enrolment(&self, id: &str) -> Result<Vec<CredentialRecord>, IssuerError> {
        let Some(enrolment) = self.store.enrolment(id)? else {
            return Ok(Vec::new());
        };
        enrolment
            .credential_ids
            .iter()
            .filter_map(|id| self.store.credential(id).transpose())
            .collect()
    }

    /// The holder's credentials to act on: those of the DID, or of its whole enrolment(s).
    fn holder_scope(
        &self,
        did: &str,
        whole_enrolment: bool,
    ) -> Result<Vec<CredentialRecord>, IssuerError> {
        let own = self.credentials_of_did(did)?;
        if !whole_enrolment {
            return Ok(own);
        }
        let enrolments: BTreeSet<String> = own.iter().map(|c| c.enrolment_id.clone()).collect();
        let mut out = Vec::new();
        for id in enrolments {
            out.extend(self.credentials_of_enrolment(&id)?);
        }
        Ok(out)
    }

    /// SuspendSelf: the holder of `did` (proven) suspends its valid credentials.
    pub async fn suspend_self(
        &self,
        nonce: &str,
        did: &str,
        proof_jws: &str,
        whole_enrolment: bool,
    ) -> Result<StatusChange, IssuerError> {
        self.holder_change(nonce, did, proof_jws, whole_enrolment, Purpose::Suspend)
            .await
    }

    /// ResumeSelf: lifts the holder's own suspensions; revoked credentials stay revoked.
    pub async fn resume_self(
        &self,
        nonce: &str,
        did: &str,
        proof_jws: &str,
        whole_enrolment: bool,
    ) -> Result<StatusChange, IssuerError> {
        self.holder_change(nonce, did, proof_jws, whole_enrolment, Purpose::Resume)
            .await
    }

    /// A holder's own status change (`Suspend` or `Resume`), after their proof of control.
    async fn holder_change(
        &self,
        nonce: &str,
        did: &str,
        proof_jws: &str,
        whole_enrolment: bool,
        purpose: Purpose,
    ) -> Result<StatusChange, IssuerError> {
        let did = self.holder_proof(nonce, did, proof_jws, purpose).await?;
        let now = self.now_ms();
        let scope: Vec<_> = self
            .holder_scope(did.as_str(), whole_enrolment)?
            .into_iter()
            .filter(|c| c.is_live(now))
            .collect();
        if scope.is_empty() {
            return Err(IssuerError::NotFound(format!(
                "no live credential of this issuer is bound to {did}"
            )));
        }
        let suspend = purpose == Purpose::Suspend;
        // One holder change at a time waits for the publishing lock (see `holder_lane`).
        let _lane = self.holder_lane.lock().await;
        self.change_status(
            scope,
            |s| {
                if suspend {
                    s.suspend(true, now)
                } else {
                    s.lift(true)
                }
            },
            LogEntry {
                at_ms: now,
                actor: format!("holder:{did}"),
                action: if suspend { "suspend" } else { "resume" }.into(),
                detail: format!("whole_enrolment={whole_enrolment}"),
            },
            false,
        )
        .await
    }

    /// Revokes, as SUPERSEDED, credentials of DIDs that `enrolment_id` enrolled again after
    /// a key recovery: they are bound to a key that no longer controls their DID.
    pub(super) async fn supersede(
        &self,
        credentials: Vec<CredentialRecord>,
        enrolment_id: &str,
    ) -> Result<StatusChange, IssuerError> {
        let now = self.now_ms();
        self.change_status(
            credentials,
            |s| match s {
                CredentialStatus::Revoked { .. } => None,
                _ => Some(CredentialStatus::Revoked {
                    reason: "REVOCATION_REASON_SUPERSEDED".into(),
                    at_ms: now,
                }),
            },
            LogEntry {
                at_ms: now,
                actor: "enrolment".into(),
                action: "supersede".into(),
                detail: format!("enrolment {enrolment_id} bound the DID to a recovered key"),
            },
            false,
        )
        .await
    }

    /// The credentials `target` names; NotFound when it names none.
    fn targeted(&self, target: &RevokeTarget) -> Result<Vec<CredentialRecord>, IssuerError> {
        let credentials = match target {
            RevokeTarget::Credential(id) => self.store.credential(id)?.into_iter().collect(),
            RevokeTarget::Did(did) => self.credentials_of_did(did)?,
            RevokeTarget::Enrolment(id) => self.credentials_of_enrolment(id)?,
        };
        if credentials.is_empty() {
            return Err(IssuerError::NotFound(format!(
                "{target:?} names no credential of this issuer"
            )));
        }
        Ok(credentials)
    }

    /// SuspendCredentials (`suspend`) or ReinstateCredentials by an operator, with a note
    /// kept in the operator log only. Touches only the operators' suspension: a holder's
    /// own stays as it is.
    pub async fn operator_suspension(
        &self,
        operator: &str,
        target: RevokeTarget,
        suspend: bool,
        note: &str,
    ) -> Result<StatusChange, IssuerError> {
        let credentials = self.targeted(&target)?;
        let now = self.now_ms();
        self.change_status(
            credentials,
            |s| {
                if suspend {
                    s.suspend(false, now)
                } else {
                    s.lift(false)
                }
            },
            LogEntry {
                at_ms: now,
                actor: operator.to_owned(),
                action: if suspend { "suspend" } else { "reinstate" }.into(),
                detail: format!("{target:?} note={note}"),
            },
            false,
        )
        .await
    }

    /// RevokeCredentials by an operator, with a reason (the proto enum's name) and a note
    /// kept in the operator log only.
    pub async fn revoke(
        &self,
        operator: &str,
        target: RevokeTarget,
        reason: &str,
        note: &str,
    ) -> Result<StatusChange, IssuerError> {
        let credentials = self.targeted(&target)?;
        let now = self.now_ms();
        let reason_text = reason.to_owned();
        self.change_status(
            credentials,
            |s| match s {
                CredentialStatus::Revoked { .. } => None,
                _ => Some(CredentialStatus::Revoked {
                    reason: reason_text.clone(),
                    at_ms: now,
                }),
            },
            LogEntry {
                at_ms: now,
                actor: operator.to_owned(),
                action: "revoke".into(),
                detail: format!("{target:?} reason={reason} note={note}"),
            },
            reason == "REVOCATION_REASON_FRAUD",
        )
        .await
    }
}
