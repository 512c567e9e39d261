//! Governance proposal files in a directory the governors share: the same files
//! `realdid governance propose`, `sign` and `submit` read and write. The console lists them
//! with their approvals by governors of this genesis, signs one with a governor's key file
//! on this machine, and submits one that holds a quorum, waiting until it is final.
//!
//! Files are read off the screen's loop (on the blocking pool), and bounded: at most
//! [`MAX_FILES`] files, each at most a proposal's largest size.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use realdid_core::codec::{ChainId, Transaction};
use realdid_core::keys::PublicKey;
use realdid_registry_client::RegistryGateway;
use realdid_registry_client::proposal::{Proposal, read_governance_key_file};
use tokio::sync::mpsc;

use crate::event::Update;
use crate::model::ProposalRow;

/// How often the directory is read again.
pub const RESCAN: Duration = Duration::from_secs(2);
/// Files listed at most.
pub const MAX_FILES: usize = 64;

/// The shared directory and what a proposal's approvals are counted against.
#[derive(Debug, Clone)]
pub struct Proposals {
    /// The directory.
    pub dir: PathBuf,
    /// The chain the proposals must be for.
    pub chain: ChainId,
    /// The genesis governors.
    pub governors: Vec<PublicKey>,
    /// Approvals of distinct governors a decision needs.
    pub threshold: usize,
}

impl Proposals {
    /// The path of `file` in the directory; a name only, never a path elsewhere.
    fn path(&self, file: &str) -> Result<PathBuf, String> {
        let name = Path::new(file);
        if name.components().count() != 1 || name.file_name().is_none() {
            return Err(format!(
                "{file}: name a file in {} by its name",
                self.dir.display()
            ));
        }
        Ok(self.dir.join(name))
    }

    /// The proposal files, by name, each with its approvals by governors of this genesis
    /// (a file that cannot be read, or is for another chain, says why).
    pub fn scan(&self) -> Result<Vec<ProposalRow>, String> {
        let entries =
            std::fs::read_dir(&self.dir).map_err(|e| format!("{}: {e}", self.dir.display()))?;
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|name| name.ends_with(".json"))
            .collect();
        names.sort();
        names.truncate(MAX_FILES);
        Ok(names.into_iter().map(|name| self.row(name)).collect())
    }

    fn row(&self, file: String) -> ProposalRow {
        let needed = self.threshold;
        let read = Proposal::load(&self.dir.join(&file))
            .map_err(|e| e.to_string())
            .and_then(|p| {
                if p.chain_id != self.chain.as_str() {
                    return Err(format!(
                        "for chain {}, not {}",
                        p.chain_id,
                        self.chain.as_str()
                    ));
                }
                let tx = p.transaction().map_err(|e| e.to_string())?;
                let valid = tx.valid_approvers(&self.chain, &self.governors).len();
                Ok((p.describe(), valid))
            });
        match read {
            Ok((description, approvals)) => ProposalRow {
                file,
                description,
                approvals,
                needed,
                problem: None,
            },
            Err(problem) => ProposalRow {
                file,
                description: String::new(),
                approvals: 0,
                needed,
                problem: Some(problem),
            },
        }
    }

    /// Adds the approval of the governor whose key is in `key_file` to `file`.
    pub fn sign(&self, file: &str, key_file: &Path) -> Result<String, String> {
        let path = self.path(file)?;
        let mut proposal = Proposal::load(&path).map_err(|e| e.to_string())?;
        if proposal.chain_id != self.chain.as_str() {
            return Err(format!("{file} is for chain {}", proposal.chain_id));
        }
        let key = read_governance_key_file(key_file).map_err(|e| e.to_string())?;
        if !self.governors.contains(&key.public_key()) {
            return Err(format!(
                "{} is not the key of a governor of this genesis",
                key_file.display()
            ));
        }
        proposal.sign(&key).map_err(|e| e.to_string())?;
        proposal.replace_file(&path).map_err(|e| e.to_string())?;
        Ok(format!(
            "{file}: signed; {} approval(s) in the file",
            proposal.approvals.len()
        ))
    }

    /// Submits `file` once it holds a quorum, and waits until the decision is final.
    pub async fn submit(&self, gateway: &RegistryGateway, file: &str) -> Result<String, String> {
        let path = self.path(file)?;
        let proposal = Proposal::load(&path).map_err(|e| e.to_string())?;
        let tx = proposal.transaction().map_err(|e| e.to_string())?;
        let valid = tx.valid_approvers(&self.chain, &self.governors).len();
        if valid < self.threshold {
            return Err(format!(
                "{file}: {valid} approval(s) by governors of this genesis; it needs {}",
                self.threshold
            ));
        }
        let receipt = gateway
            .submit_final("the governance decision", &Transaction::Governance(tx))
            .await
            .map_err(|e| e.to_string())?;
        Ok(format!("{file}: final at height {}", receipt.height))
    }
}

/// Lists the directory now and every [`RESCAN`] until `updates` closes.
pub async fn run(proposals: Arc<Proposals>, updates: mpsc::Sender<Update>) {
    let mut ticker = tokio::time::interval(RESCAN);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticker.tick().await;
        let scanning = proposals.clone();
        let rows = tokio::task::spawn_blocking(move || scanning.scan())
            .await
            .unwrap_or_else(|e| Err(format!("reading the proposals: {e}")));
        if updates.send(Update::Proposals(rows)).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use realdid_core::keys::{Algorithm, Jwk, SigningKey};
    use realdid_registry_client::proposal::ProposedAction;

    use super::*;

    fn governor_file(dir: &Path, name: &str, key: &SigningKey) -> PathBuf {
        use std::os::unix::fs::PermissionsExt as _;
        let path = dir.join(name);
        let jwk = Jwk::from_signing_key(key).unwrap();
        std::fs::write(&path, serde_json::to_string(&jwk).unwrap()).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    fn setup() -> (tempfile::TempDir, Proposals, Vec<PathBuf>) {
        let dir = tempfile::tempdir().unwrap();
        let keys: Vec<SigningKey> = (0..3)
            .map(|_| SigningKey::generate(Algorithm::EdDsa).unwrap())
            .collect();
        let files = keys
            .iter()
            .enumerate()
            .map(|(i, k)| governor_file(dir.path(), &format!("gov-{i}.jwk"), k))
            .collect();
        let chain = ChainId::parse("realdid-test").unwrap();
        let proposals_dir = dir.path().join("proposals");
        std::fs::create_dir(&proposals_dir).unwrap();
        let proposal = Proposal::new(
            &chain,
            7,
            ProposedAction::RemoveIssuer {
                issuer: realdid_core::did::OrgKeys::generate()
                    .unwrap()
                    .did()
                    .to_string(),
                reason: "licence withdrawn".into(),
            },
        )
        .unwrap();
        proposal
            .replace_file(&proposals_dir.join("remove-bank.json"))
            .unwrap();
        std::fs::write(proposals_dir.join("broken.json"), "{").unwrap();
        std::fs::write(proposals_dir.join("notes.txt"), "not a proposal").unwrap();
        (
            dir,
            Proposals {
                dir: proposals_dir,
                chain,
                governors: keys.iter().map(SigningKey::public_key).collect(),
                threshold: 2,
            },
            files,
        )
    }

    #[test]
    fn proposals_are_listed_with_their_governors_approvals_and_signed_in_place() {
        let (dir, proposals, governors) = setup();
        let rows = proposals.scan().unwrap();
        let names: Vec<&str> = rows.iter().map(|r| r.file.as_str()).collect();
        assert_eq!(
            names,
            ["broken.json", "remove-bank.json"],
            "only .json files"
        );
        assert!(rows[0].problem.is_some(), "a broken file says why");
        assert_eq!((rows[1].approvals, rows[1].needed), (0, 2));
        assert!(rows[1].description.contains("licence withdrawn"));

        proposals.sign("remove-bank.json", &governors[0]).unwrap();
        let again = proposals
            .sign("remove-bank.json", &governors[0])
            .unwrap_err();
        assert!(again.contains("approved the proposal already"), "{again}");
        proposals.sign("remove-bank.json", &governors[2]).unwrap();
        assert_eq!(proposals.scan().unwrap()[1].approvals, 2);

        // A key that governs nothing here signs nothing; nor does a path out of the folder.
        let stranger = SigningKey::generate(Algorithm::EdDsa).unwrap();
        let stranger = governor_file(dir.path(), "stranger.jwk", &stranger);
        let refused = proposals.sign("remove-bank.json", &stranger).unwrap_err();
        assert!(refused.contains("not the key of a governor"), "{refused}");
        let outside = proposals.sign("../gov-0.jwk", &governors[1]).unwrap_err();
        assert!(outside.contains("by its name"), "{outside}");
        assert_eq!(proposals.scan().unwrap()[1].approvals, 2);
    }
}
