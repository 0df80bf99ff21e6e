//! The README's table of keys is the one the app runs (`scpanel::gui::keys::markdown`): a
//! key added, moved or renamed in the app fails here until the README says the same.

use scpanel::gui::app::Tab;
use scpanel::gui::keys::markdown;

const START: &str = "<!-- keys: made by scpanel::gui::keys::markdown; tests/headless/readme_keys.rs checks it -->\n";
const END: &str = "<!-- /keys -->";

#[test]
fn the_readme_lists_the_keys_the_window_answers_to() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let tabs: Vec<&'static str> = Tab::ALL.iter().map(|t| t.label()).collect();
    let made = markdown(&tabs);
    let start = readme.find(START).map(|i| i + START.len());
    let end = readme.find(END);
    let (Some(start), Some(end)) = (start, end) else {
        panic!(
            "README.md has no keys section between {START:?} and {END:?}; put this there:\n{made}"
        );
    };
    assert_eq!(
        &readme[start..end],
        made,
        "README.md's keys differ from the app's; put this between the markers:\n{made}"
    );
}
