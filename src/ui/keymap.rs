//! Every key the wizard answers to, in lists: the main screen's, and each popup's own. The same
//! list feeds the key footer, the help or the popup's hint line, and the key handler, so what is
//! shown never drifts from what the keys do.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Advance,
    Rollback,
    SyncMetadata,
    ClientSettings,
    RetireBroker,
    Up,
    Down,
    ScrollUp,
    ScrollDown,
    PageUp,
    PageDown,
    NextPanel,
    Sort,
    Filter,
    Details,
    Expand,
    Log,
    Help,
    Quit,
}

pub struct Binding {
    pub keys: &'static [KeyCode],
    /// As shown: "Enter", "j/k".
    pub shown: &'static str,
    pub action: Action,
    /// Short label for the footer.
    pub label: &'static str,
    /// One sentence for the help overlay.
    pub help: &'static str,
    /// Shown in the footer (the rest only in help).
    pub footer: bool,
    /// Changes the plan (journals a move, creates metadata): absent while watching.
    pub writes: bool,
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Enter, KeyCode::Char('a')],
        shown: "Enter",
        action: Action::Advance,
        label: "next step",
        help: "Try the selected step's next move: the gate decides, you confirm.",
        footer: true,
        writes: true,
    },
    Binding {
        keys: &[KeyCode::Char('b')],
        shown: "b",
        action: Action::Rollback,
        label: "roll back",
        help: "Move the selected batch one stage back, if the mirror gate allows it.",
        footer: true,
        writes: true,
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        shown: "s",
        action: Action::SyncMetadata,
        label: "sync metadata",
        help: "Create the topics and groups the target lacks, listed first with their settings; never changes what exists.",
        footer: true,
        writes: true,
    },
    Binding {
        keys: &[KeyCode::Char('p')],
        shown: "p",
        action: Action::ClientSettings,
        label: "client settings",
        help: "The selected batch's settings for the applications on the new cluster (address, names, credentials), copied to the clipboard where the terminal allows.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('R')],
        shown: "R",
        action: Action::RetireBroker,
        label: "retire broker",
        help: "Retire a broker that left the route, typing its name: gates stop waiting for it.",
        footer: false,
        writes: true,
    },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        shown: "k/Up",
        action: Action::Up,
        label: "select",
        help: "Select the previous step in the rail.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        shown: "j/Down",
        action: Action::Down,
        label: "select",
        help: "Select the next step in the rail.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('K')],
        shown: "K",
        action: Action::ScrollUp,
        label: "scroll",
        help: "Scroll the focused table up (mouse wheel too).",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('J')],
        shown: "J",
        action: Action::ScrollDown,
        label: "scroll",
        help: "Scroll the focused table down (mouse wheel too).",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::PageUp],
        shown: "PgUp",
        action: Action::PageUp,
        label: "page up",
        help: "Scroll the focused table a page up.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::PageDown],
        shown: "PgDn",
        action: Action::PageDown,
        label: "page down",
        help: "Scroll the focused table a page down.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Tab],
        shown: "Tab",
        action: Action::NextPanel,
        label: "panel",
        help: "Focus the next panel: backlog, connections, gate, log.",
        footer: true,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('o')],
        shown: "o",
        action: Action::Sort,
        label: "sort",
        help: "Sort groups by name, source backlog or target backlog.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('/')],
        shown: "/",
        action: Action::Filter,
        label: "filter",
        help: "Show only groups whose name contains a text (Enter applies, Esc clears).",
        footer: true,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        shown: "c",
        action: Action::Details,
        label: "clients",
        help: "Show or hide client ids, addresses and versions in the connections panel.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('e')],
        shown: "e",
        action: Action::Expand,
        label: "breakdown",
        help: "Show or hide each group's backlog per topic and broker in the backlog panel.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('l')],
        shown: "l",
        action: Action::Log,
        label: "log",
        help: "Show or hide the log pane.",
        footer: false,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        shown: "?",
        action: Action::Help,
        label: "help",
        help: "Show this help.",
        footer: true,
        writes: false,
    },
    Binding {
        keys: &[KeyCode::Char('q')],
        shown: "q",
        action: Action::Quit,
        label: "quit",
        help: "Quit (asks while a batch is mid-migration; the journal keeps the state either way). Ctrl-C quits at once.",
        footer: true,
        writes: false,
    },
];

/// Whether the action changes the plan (refused while watching).
pub fn writes(action: Action) -> bool {
    BINDINGS.iter().any(|b| b.action == action && b.writes)
}

/// The bindings the footer and help show: while watching, none that writes.
pub fn shown(watching: bool) -> impl Iterator<Item = &'static Binding> {
    BINDINGS.iter().filter(move |b| !(watching && b.writes))
}

pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) || key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    BINDINGS
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
}

/// What a key does inside a popup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DialogAction {
    Confirm,
    Cancel,
    Acknowledge,
    Decline,
    Quit,
    Stay,
    Apply,
    Clear,
    /// Typing into the popup's text field.
    Edit,
    Close,
}

/// The keys a popup binding takes.
pub enum Keys {
    Only(&'static [KeyCode]),
    /// Characters and Backspace, into the popup's text field.
    Text,
    /// Any key no other binding of the popup takes.
    Other,
}

pub struct DialogBinding {
    pub keys: Keys,
    /// As shown: "Enter/y".
    pub shown: &'static str,
    pub action: DialogAction,
    pub label: &'static str,
}

const fn bind(
    keys: Keys,
    shown: &'static str,
    action: DialogAction,
    label: &'static str,
) -> DialogBinding {
    DialogBinding {
        keys,
        shown,
        action,
        label,
    }
}

use DialogAction as D;
use Keys::{Only, Other, Text};

pub const CONFIRM: &[DialogBinding] = &[
    bind(
        Only(&[KeyCode::Enter, KeyCode::Char('y')]),
        "Enter/y",
        D::Confirm,
        "confirm",
    ),
    bind(
        Only(&[KeyCode::Esc, KeyCode::Char('n')]),
        "Esc/n",
        D::Cancel,
        "cancel",
    ),
];

pub const SYNC: &[DialogBinding] = &[
    bind(
        Only(&[KeyCode::Enter, KeyCode::Char('y')]),
        "Enter/y",
        D::Confirm,
        "create them",
    ),
    bind(
        Only(&[KeyCode::Esc, KeyCode::Char('n')]),
        "Esc/n",
        D::Cancel,
        "cancel",
    ),
];

pub const CONFIRM_TYPED: &[DialogBinding] = &[
    bind(
        Only(&[KeyCode::Enter]),
        "Enter",
        D::Confirm,
        "confirm once the batch name is typed",
    ),
    bind(Only(&[KeyCode::Esc]), "Esc", D::Cancel, "cancel"),
    bind(Text, "type", D::Edit, "the batch name"),
];

pub const ACKNOWLEDGE: &[DialogBinding] = &[
    bind(
        Only(&[KeyCode::Char('y')]),
        "y",
        D::Acknowledge,
        "acknowledge (journaled)",
    ),
    bind(
        Only(&[KeyCode::Char('n'), KeyCode::Esc]),
        "n/Esc",
        D::Decline,
        "do not acknowledge",
    ),
];

pub const QUIT: &[DialogBinding] = &[
    bind(
        Only(&[KeyCode::Char('y'), KeyCode::Char('q')]),
        "y/q",
        D::Quit,
        "quit",
    ),
    bind(Other, "any other key", D::Stay, "stay"),
];

pub const FILTER: &[DialogBinding] = &[
    bind(Only(&[KeyCode::Enter]), "Enter", D::Apply, "apply"),
    bind(Only(&[KeyCode::Esc]), "Esc", D::Clear, "clear"),
    bind(Text, "type", D::Edit, "part of a group name"),
];

pub const CLOSE: &[DialogBinding] = &[bind(Other, "any key", D::Close, "close")];

/// What a key does in a popup with these bindings; `None`: nothing, the popup stays.
pub fn dialog_action(bindings: &[DialogBinding], key: &KeyEvent) -> Option<DialogAction> {
    let takes = |b: &&DialogBinding| match b.keys {
        Only(codes) => codes.contains(&key.code),
        Text => matches!(key.code, KeyCode::Char(_) | KeyCode::Backspace),
        Other => false,
    };
    bindings
        .iter()
        .find(takes)
        .or_else(|| bindings.iter().find(|b| matches!(b.keys, Other)))
        .map(|b| b.action)
}

/// The popup's keys in one line: "Enter/y: confirm   Esc/n: cancel".
pub fn hint(bindings: &[DialogBinding]) -> String {
    bindings
        .iter()
        .map(|b| format!("{}: {}", b.shown, b.label))
        .collect::<Vec<_>>()
        .join("   ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_key_is_bound_twice() {
        let mut seen = vec![];
        for b in BINDINGS {
            for k in b.keys {
                assert!(!seen.contains(k), "{k:?} bound twice");
                seen.push(*k);
            }
        }
    }

    #[test]
    fn popups_answer_to_the_keys_they_show() {
        let key = |c| KeyEvent::new(c, KeyModifiers::NONE);
        assert_eq!(
            dialog_action(QUIT, &key(KeyCode::Char('q'))),
            Some(DialogAction::Quit)
        );
        assert_eq!(
            dialog_action(QUIT, &key(KeyCode::Char('x'))),
            Some(DialogAction::Stay)
        );
        assert_eq!(
            dialog_action(CONFIRM_TYPED, &key(KeyCode::Char('y'))),
            Some(DialogAction::Edit)
        );
        assert_eq!(dialog_action(CONFIRM, &key(KeyCode::Char('x'))), None);
        assert_eq!(hint(QUIT), "y/q: quit   any other key: stay");
    }
}
