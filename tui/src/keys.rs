//! The console's vocabulary: which key does what, and which commands the `:` line takes.
//!
//! Each is one table. The key handling and the command parser read the tables, and the help
//! overlay prints them, so what the help says is what the keys do.

use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::model::{RevocationReason, StatusAction};

/// What a key means when no input line is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Leave the console.
    Quit,
    /// Show or hide the help overlay.
    Help,
    /// Close the help, or clear the current list's filter.
    Back,
    /// The next view, wrapping around.
    NextView,
    /// The previous view, wrapping around.
    PrevView,
    /// The view with this number key (1-based).
    View(u8),
    /// One row down (one line in a document).
    Down,
    /// One row up.
    Up,
    /// A page down.
    PageDown,
    /// A page up.
    PageUp,
    /// The first row.
    Top,
    /// The last row.
    Bottom,
    /// Open the filter line for the current list.
    Filter,
    /// Open the command line.
    Command,
    /// The current view's main action: type a DID to resolve, or re-read an issuer.
    Act,
}

/// One line of the key table: the keys with what each does, and how the help shows them.
#[derive(Debug, Clone, Copy)]
pub struct Binding {
    /// Each key (without Ctrl or Alt) and the action it triggers.
    pub keys: &'static [(KeyCode, Action)],
    /// How the help overlay writes the keys.
    pub label: &'static str,
    /// What the help overlay says they do.
    pub what: &'static str,
}

/// Every key of normal mode, in the order the help shows them.
pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[
            (KeyCode::Char('1'), Action::View(1)),
            (KeyCode::Char('2'), Action::View(2)),
            (KeyCode::Char('3'), Action::View(3)),
            (KeyCode::Char('4'), Action::View(4)),
            (KeyCode::Char('5'), Action::View(5)),
            (KeyCode::Char('6'), Action::View(6)),
        ],
        label: "1 … 6",
        what: "Chain DIDs Issuers Revocations Tracing Verifiers",
    },
    Binding {
        keys: &[
            (KeyCode::Tab, Action::NextView),
            (KeyCode::BackTab, Action::PrevView),
        ],
        label: "Tab Shift-Tab",
        what: "next / previous view",
    },
    Binding {
        keys: &[
            (KeyCode::Char('j'), Action::Down),
            (KeyCode::Char('k'), Action::Up),
            (KeyCode::Down, Action::Down),
            (KeyCode::Up, Action::Up),
        ],
        label: "j k ↓ ↑",
        what: "down / up (scrolls the DID document)",
    },
    Binding {
        keys: &[
            (KeyCode::Char('d'), Action::PageDown),
            (KeyCode::Char('u'), Action::PageUp),
            (KeyCode::PageDown, Action::PageDown),
            (KeyCode::PageUp, Action::PageUp),
        ],
        label: "d u PgDn PgUp",
        what: "a page down / up",
    },
    Binding {
        keys: &[
            (KeyCode::Char('g'), Action::Top),
            (KeyCode::Char('G'), Action::Bottom),
            (KeyCode::Home, Action::Top),
            (KeyCode::End, Action::Bottom),
        ],
        label: "g G Home End",
        what: "top (the newest block) / bottom",
    },
    Binding {
        keys: &[(KeyCode::Char('/'), Action::Filter)],
        label: "/",
        what: "filter the list: Enter keeps it, Esc clears it",
    },
    Binding {
        keys: &[(KeyCode::Char(':'), Action::Command)],
        label: ":",
        what: "command line (commands below)",
    },
    Binding {
        keys: &[
            (KeyCode::Enter, Action::Act),
            (KeyCode::Char('r'), Action::Act),
        ],
        label: "Enter r",
        what: "open a block; DIDs: type a DID; Issuers: re-read",
    },
    Binding {
        keys: &[(KeyCode::Char('?'), Action::Help)],
        label: "?",
        what: "this help",
    },
    Binding {
        keys: &[(KeyCode::Esc, Action::Back)],
        label: "Esc",
        what: "close the help, clear the filter, cancel input",
    },
    Binding {
        keys: &[(KeyCode::Char('q'), Action::Quit)],
        label: "q Ctrl-C",
        what: "quit (Ctrl-C also from an input line)",
    },
];

/// The longest input line kept: a DID is well under it, and pasting a whole file into the
/// console must not grow the screen's state without bound.
pub const MAX_INPUT: usize = 512;

/// Whether `key` stops the console whatever is open (Ctrl-C).
pub fn is_interrupt(key: &KeyEvent) -> bool {
    key.modifiers.contains(KeyModifiers::CONTROL)
        && matches!(key.code, KeyCode::Char('c') | KeyCode::Char('C'))
}

/// What `key` means in normal mode, if anything. Chords with Ctrl or Alt mean nothing here,
/// so a terminal's own shortcuts never move the console by accident.
pub fn action(key: &KeyEvent) -> Option<Action> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    BINDINGS
        .iter()
        .flat_map(|b| b.keys.iter())
        .find(|(code, _)| *code == key.code)
        .map(|(_, action)| *action)
}

/// The character `key` types into an input line, if it types one.
pub fn typed(key: &KeyEvent) -> Option<char> {
    if key
        .modifiers
        .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT)
    {
        return None;
    }
    match key.code {
        KeyCode::Char(c) if !c.is_control() => Some(c),
        _ => None,
    }
}

/// Which command a `:` line names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CommandKind {
    /// Leave the console.
    Quit,
    /// Resolve a DID, proven.
    Resolve,
    /// Read an issuer's register entry, proven.
    Issuer,
    /// Find a transaction by its hash.
    Transaction,
    /// A credential's standing, as the operator.
    Credential,
    /// Show the help overlay.
    Help,
    /// Revoke a credential, as the operator.
    Revoke,
    /// Suspend a credential, as the operator.
    Suspend,
    /// Lift an operator's suspension.
    Reinstate,
    /// Sign a governance proposal file.
    Sign,
    /// Submit a governance proposal file.
    Submit,
    /// Approve a trace request with an approver's key file.
    Approve,
}

/// One line of the command table.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    /// The names it answers to; the first is the one the help shows.
    pub names: &'static [&'static str],
    /// The argument it needs, as the help writes it (`None`: takes none).
    pub arg: Option<&'static str>,
    /// What the help overlay says it does.
    pub what: &'static str,
    /// Which command it is.
    pub kind: CommandKind,
}

/// Every `:` command, in the order the help shows them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        names: &["resolve", "r"],
        arg: Some("[did]"),
        what: "resolve a DID, proven (or type it)",
        kind: CommandKind::Resolve,
    },
    CommandSpec {
        names: &["issuer", "i"],
        arg: Some("<did>"),
        what: "read an issuer's entry, proven",
        kind: CommandKind::Issuer,
    },
    CommandSpec {
        names: &["tx"],
        arg: Some("<hash>"),
        what: "open the block holding a transaction",
        kind: CommandKind::Transaction,
    },
    CommandSpec {
        names: &["credential", "c"],
        arg: Some("<id>"),
        what: "a credential's standing at the issuer",
        kind: CommandKind::Credential,
    },
    CommandSpec {
        names: &["revoke"],
        arg: Some("<id> <why> [note]"),
        what: "revoke a credential for good (asks first)",
        kind: CommandKind::Revoke,
    },
    CommandSpec {
        names: &["suspend"],
        arg: Some("<id> <note>"),
        what: "suspend it while a case is examined (asks)",
        kind: CommandKind::Suspend,
    },
    CommandSpec {
        names: &["reinstate"],
        arg: Some("<id> <note>"),
        what: "lift an operator's suspension (asks)",
        kind: CommandKind::Reinstate,
    },
    CommandSpec {
        names: &["approve"],
        arg: Some("<request> <key>"),
        what: "approve a trace request file (asks)",
        kind: CommandKind::Approve,
    },
    CommandSpec {
        names: &["sign"],
        arg: Some("<file> <key>"),
        what: "approve a governance proposal (asks)",
        kind: CommandKind::Sign,
    },
    CommandSpec {
        names: &["submit"],
        arg: Some("<file>"),
        what: "submit one with a quorum (asks)",
        kind: CommandKind::Submit,
    },
    CommandSpec {
        names: &["help", "h"],
        arg: None,
        what: "this help",
        kind: CommandKind::Help,
    },
    CommandSpec {
        names: &["quit", "q"],
        arg: None,
        what: "quit",
        kind: CommandKind::Quit,
    },
];

/// A `:` line, parsed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Leave the console.
    Quit,
    /// Resolve this DID, or open the DIDs view's query line to type one.
    Resolve(Option<String>),
    /// Read this issuer's entry.
    Issuer(String),
    /// Open the block holding the transaction with this hash.
    Transaction(String),
    /// A credential's standing, by its id.
    Credential(String),
    /// Show the help overlay.
    Help,
    /// As the operator: change a credential's status.
    Status {
        /// Revoke (why), suspend or reinstate.
        action: StatusAction,
        /// The credential.
        credential_id: String,
        /// The note for the issuer's audit log.
        note: String,
    },
    /// As a governor: sign a proposal file with a key file.
    Sign {
        /// The proposal's file name.
        file: String,
        /// The governor's key file.
        key_file: String,
    },
    /// Submit a proposal file.
    Submit(String),
    /// As an approver: approve the trace request in a file with a key file.
    Approve {
        /// The request file.
        request_file: String,
        /// The approver's key file.
        key_file: String,
    },
}

/// The reason words `:revoke` takes.
fn reason_words() -> String {
    RevocationReason::ALL
        .iter()
        .map(|(word, _)| *word)
        .collect::<Vec<_>>()
        .join(", ")
}

/// Parses a `:` line (without the colon). `Ok(None)` for an empty line; the error is the
/// message the status line shows.
pub fn parse_command(line: &str) -> Result<Option<Command>, String> {
    let mut words = line.split_whitespace();
    let Some(name) = words.next() else {
        return Ok(None);
    };
    let Some(spec) = COMMANDS.iter().find(|c| c.names.contains(&name)) else {
        return Err(format!("unknown command :{name} (? lists the commands)"));
    };
    let usage = || format!("usage: :{} {}", spec.names[0], spec.arg.unwrap_or_default());
    if matches!(
        spec.kind,
        CommandKind::Revoke | CommandKind::Suspend | CommandKind::Reinstate
    ) {
        let credential_id = words.next().ok_or_else(usage)?.to_owned();
        let action = match spec.kind {
            CommandKind::Revoke => {
                let word = words.next().ok_or_else(usage)?;
                StatusAction::Revoke(
                    RevocationReason::parse(word)
                        .ok_or_else(|| format!("{word} is not a reason: {}", reason_words()))?,
                )
            }
            CommandKind::Suspend => StatusAction::Suspend,
            _ => StatusAction::Reinstate,
        };
        let note = words.collect::<Vec<_>>().join(" ");
        let needs_note = !matches!(action, StatusAction::Revoke(r) if r != RevocationReason::Other);
        if needs_note && note.is_empty() {
            return Err(format!("{} (the note is required)", usage()));
        }
        return Ok(Some(Command::Status {
            action,
            credential_id,
            note,
        }));
    }
    if matches!(spec.kind, CommandKind::Sign | CommandKind::Approve) {
        let (Some(file), Some(key_file), None) = (words.next(), words.next(), words.next()) else {
            return Err(usage());
        };
        let (file, key_file) = (file.to_owned(), key_file.to_owned());
        return Ok(Some(if spec.kind == CommandKind::Sign {
            Command::Sign { file, key_file }
        } else {
            Command::Approve {
                request_file: file,
                key_file,
            }
        }));
    }
    let arg = words.next();
    if words.next().is_some() {
        return Err(format!(":{} takes at most one argument", spec.names[0]));
    }
    let command = match (spec.kind, arg) {
        (CommandKind::Resolve, did) => Command::Resolve(did.map(str::to_string)),
        (CommandKind::Issuer, Some(did)) => Command::Issuer(did.to_string()),
        (CommandKind::Issuer, None) => return Err(usage()),
        (CommandKind::Transaction, Some(hash)) => Command::Transaction(hash.to_string()),
        (CommandKind::Transaction, None) => return Err(usage()),
        (CommandKind::Credential, Some(id)) => Command::Credential(id.to_string()),
        (CommandKind::Credential, None) => return Err(usage()),
        (CommandKind::Submit, Some(file)) => Command::Submit(file.to_string()),
        (CommandKind::Submit | CommandKind::Sign | CommandKind::Approve, _) => {
            return Err(usage());
        }
        (CommandKind::Quit | CommandKind::Help, Some(_)) => {
            return Err(format!(":{} takes no argument", spec.names[0]));
        }
        (CommandKind::Quit, None) => Command::Quit,
        (CommandKind::Help, None) => Command::Help,
        (CommandKind::Revoke | CommandKind::Suspend | CommandKind::Reinstate, _) => {
            return Err(usage());
        }
    };
    Ok(Some(command))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn number_keys_name_their_view() {
        assert_eq!(action(&key(KeyCode::Char('1'))), Some(Action::View(1)));
        assert_eq!(action(&key(KeyCode::Char('5'))), Some(Action::View(5)));
        assert_eq!(action(&key(KeyCode::Char('6'))), Some(Action::View(6)));
        assert_eq!(action(&key(KeyCode::Char('7'))), None);
    }

    #[test]
    fn every_binding_maps_back_to_its_action() {
        for (code, expected) in BINDINGS.iter().flat_map(|b| b.keys.iter()) {
            assert_eq!(action(&key(*code)), Some(*expected), "{code:?}");
        }
    }

    #[test]
    fn no_key_is_bound_twice() {
        let codes: Vec<_> = BINDINGS
            .iter()
            .flat_map(|b| b.keys.iter().map(|(code, _)| code))
            .collect();
        for (i, code) in codes.iter().enumerate() {
            assert!(!codes[i + 1..].contains(code), "{code:?} bound twice");
        }
    }

    #[test]
    fn ctrl_chords_are_not_actions_and_ctrl_c_interrupts() {
        let ctrl_j = KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL);
        assert_eq!(action(&ctrl_j), None);
        assert_eq!(typed(&ctrl_j), None);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        assert!(is_interrupt(&ctrl_c));
        assert!(!is_interrupt(&key(KeyCode::Char('c'))));
    }

    #[test]
    fn shifted_letters_type_and_act_as_themselves() {
        let shift_g = KeyEvent::new(KeyCode::Char('G'), KeyModifiers::SHIFT);
        assert_eq!(action(&shift_g), Some(Action::Bottom));
        assert_eq!(typed(&shift_g), Some('G'));
    }

    #[test]
    fn commands_parse_with_their_arguments() {
        assert_eq!(parse_command("q"), Ok(Some(Command::Quit)));
        assert_eq!(parse_command(" quit "), Ok(Some(Command::Quit)));
        assert_eq!(parse_command("help"), Ok(Some(Command::Help)));
        assert_eq!(
            parse_command("resolve did:realdid:abc"),
            Ok(Some(Command::Resolve(Some("did:realdid:abc".into()))))
        );
        assert_eq!(
            parse_command("issuer did:realdid:xyz"),
            Ok(Some(Command::Issuer("did:realdid:xyz".into())))
        );
        assert_eq!(parse_command("resolve"), Ok(Some(Command::Resolve(None))));
        assert_eq!(parse_command("   "), Ok(None));
    }

    #[test]
    fn bad_commands_say_what_is_wrong() {
        assert!(
            parse_command("frobnicate")
                .unwrap_err()
                .contains("unknown command :frobnicate")
        );
        assert_eq!(parse_command("issuer").unwrap_err(), "usage: :issuer <did>");
        assert!(
            parse_command("quit now")
                .unwrap_err()
                .contains("no argument")
        );
        assert!(
            parse_command("resolve a b")
                .unwrap_err()
                .contains("at most one")
        );
    }

    #[test]
    fn status_commands_take_a_credential_a_reason_and_a_note() {
        assert_eq!(
            parse_command("revoke cred-7 fraud forged documents").unwrap(),
            Some(Command::Status {
                action: StatusAction::Revoke(RevocationReason::Fraud),
                credential_id: "cred-7".into(),
                note: "forged documents".into(),
            })
        );
        assert_eq!(
            parse_command("revoke cred-7 superseded").unwrap(),
            Some(Command::Status {
                action: StatusAction::Revoke(RevocationReason::Superseded),
                credential_id: "cred-7".into(),
                note: String::new(),
            })
        );
        assert_eq!(
            parse_command("suspend cred-7 case 12").unwrap(),
            Some(Command::Status {
                action: StatusAction::Suspend,
                credential_id: "cred-7".into(),
                note: "case 12".into(),
            })
        );
        let unknown = parse_command("revoke cred-7 boredom").unwrap_err();
        assert!(unknown.contains("boredom is not a reason"), "{unknown}");
        for needs_note in ["suspend cred-7", "reinstate cred-7", "revoke cred-7 other"] {
            let refused = parse_command(needs_note).unwrap_err();
            assert!(
                refused.contains("the note is required"),
                "{needs_note}: {refused}"
            );
        }
        assert!(
            parse_command("revoke")
                .unwrap_err()
                .starts_with("usage: :revoke")
        );
    }
}
