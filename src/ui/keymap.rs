//! Every key the wizard answers to, in one list: it feeds the key footer, the help overlay and the
//! key handler alike, so they never drift apart.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Advance,
    Rollback,
    SyncMetadata,
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
}

pub const BINDINGS: &[Binding] = &[
    Binding {
        keys: &[KeyCode::Enter, KeyCode::Char('a')],
        shown: "Enter",
        action: Action::Advance,
        label: "next step",
        help: "Try the selected step's next move: the gate decides, you confirm.",
        footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('b')],
        shown: "b",
        action: Action::Rollback,
        label: "roll back",
        help: "Move the selected batch one stage back, if the mirror gate allows it.",
        footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('s')],
        shown: "s",
        action: Action::SyncMetadata,
        label: "sync metadata",
        help: "Create on the target the plan's topics and groups it lacks (never changes what exists).",
        footer: true,
    },
    Binding {
        keys: &[KeyCode::Up, KeyCode::Char('k')],
        shown: "k/Up",
        action: Action::Up,
        label: "select",
        help: "Select the previous step in the rail.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Down, KeyCode::Char('j')],
        shown: "j/Down",
        action: Action::Down,
        label: "select",
        help: "Select the next step in the rail.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('K')],
        shown: "K",
        action: Action::ScrollUp,
        label: "scroll",
        help: "Scroll the focused table up (mouse wheel too).",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('J')],
        shown: "J",
        action: Action::ScrollDown,
        label: "scroll",
        help: "Scroll the focused table down (mouse wheel too).",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::PageUp],
        shown: "PgUp",
        action: Action::PageUp,
        label: "page up",
        help: "Scroll the focused table a page up.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::PageDown],
        shown: "PgDn",
        action: Action::PageDown,
        label: "page down",
        help: "Scroll the focused table a page down.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Tab],
        shown: "Tab",
        action: Action::NextPanel,
        label: "panel",
        help: "Focus the next panel: backlog, connections, gate, log.",
        footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('o')],
        shown: "o",
        action: Action::Sort,
        label: "sort",
        help: "Sort groups by name, source backlog or target backlog.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('/')],
        shown: "/",
        action: Action::Filter,
        label: "filter",
        help: "Show only groups whose name contains a text (Enter applies, Esc clears).",
        footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('c')],
        shown: "c",
        action: Action::Details,
        label: "clients",
        help: "Show or hide client ids, addresses and versions in the connections panel.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('l')],
        shown: "l",
        action: Action::Log,
        label: "log",
        help: "Show or hide the log pane.",
        footer: false,
    },
    Binding {
        keys: &[KeyCode::Char('?')],
        shown: "?",
        action: Action::Help,
        label: "help",
        help: "Show this help.",
        footer: true,
    },
    Binding {
        keys: &[KeyCode::Char('q')],
        shown: "q",
        action: Action::Quit,
        label: "quit",
        help: "Quit (asks while a batch is mid-migration; the journal keeps the state either way). Ctrl-C quits at once.",
        footer: true,
    },
];

pub fn action_for(key: &KeyEvent) -> Option<Action> {
    if key.modifiers.contains(KeyModifiers::CONTROL) || key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    BINDINGS
        .iter()
        .find(|b| b.keys.contains(&key.code))
        .map(|b| b.action)
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
}
