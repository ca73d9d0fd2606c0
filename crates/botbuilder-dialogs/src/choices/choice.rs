//! Choice data types.

use botbuilder_schema::CardAction;
use serde::{Deserialize, Serialize};

/// One option offered to the user.
///
/// The `value` is what recognition returns and, without an `action`, what the user sees. An
/// `action` replaces the default `imBack` button (its title is shown and also recognized).
/// `synonyms` are other words the user may type for this choice.
///
/// Serialized as BotBuilder's JSON (`{"value": ..., "action": ..., "synonyms": [...]}`).
///
/// ```
/// use botbuilder_dialogs::choices::Choice;
/// use botbuilder_schema::CardAction;
///
/// let red = Choice::new("red")
///     .with_action(CardAction::im_back("The Red Pill"))
///     .with_synonyms(["crimson", "scarlet"]);
/// assert_eq!(red.title(), "The Red Pill");
/// assert_eq!(Choice::from("blue").title(), "blue");
/// ```
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Choice {
    /// The value returned when this choice is recognized; shown when there is no action.
    pub value: String,
    /// The button or suggested action to show instead of a default `imBack` of `value`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub action: Option<CardAction>,
    /// Other words that pick this choice.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub synonyms: Vec<String>,
}

impl Choice {
    /// A choice with this value.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::Choice;
    ///
    /// assert_eq!(Choice::new("Car").value, "Car");
    /// ```
    #[must_use]
    pub fn new(value: impl Into<String>) -> Self {
        Choice {
            value: value.into(),
            ..Choice::default()
        }
    }

    /// Sets the action shown for this choice.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::Choice;
    /// use botbuilder_schema::CardAction;
    ///
    /// let c = Choice::new("1").with_action(CardAction::post_back("One", "1"));
    /// assert_eq!(c.title(), "One");
    /// ```
    #[must_use]
    pub fn with_action(mut self, action: CardAction) -> Self {
        self.action = Some(action);
        self
    }

    /// Adds synonyms.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::Choice;
    ///
    /// let c = Choice::new("Bus").with_synonyms(["coach", "shuttle"]);
    /// assert_eq!(c.synonyms, ["coach", "shuttle"]);
    /// ```
    #[must_use]
    pub fn with_synonyms<S: Into<String>>(mut self, synonyms: impl IntoIterator<Item = S>) -> Self {
        self.synonyms.extend(synonyms.into_iter().map(Into::into));
        self
    }

    /// What the user sees: the action's title when there is one, otherwise the value.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::Choice;
    ///
    /// assert_eq!(Choice::new("Bus").title(), "Bus");
    /// ```
    #[must_use]
    pub fn title(&self) -> &str {
        self.action
            .as_ref()
            .and_then(|a| a.title.as_deref())
            .filter(|t| !t.is_empty())
            .unwrap_or(&self.value)
    }
}

impl From<&str> for Choice {
    fn from(value: &str) -> Self {
        Choice::new(value)
    }
}

impl From<String> for Choice {
    fn from(value: String) -> Self {
        Choice::new(value)
    }
}

impl From<&String> for Choice {
    fn from(value: &String) -> Self {
        Choice::new(value.as_str())
    }
}

/// The choice that was recognized, with how well it matched.
///
/// ```
/// use botbuilder_dialogs::choices::{find_choices, Choice, FindChoicesOptions};
///
/// let choices = [Choice::from("Car"), Choice::from("Bus").with_synonyms(["coach"])];
/// let found = &find_choices("the coach", &choices, &FindChoicesOptions::default())[0];
/// assert_eq!(found.resolution.value, "Bus");
/// assert_eq!(found.resolution.index, 1);
/// assert_eq!(found.resolution.synonym.as_deref(), Some("coach"));
/// assert_eq!(found.resolution.score, 1.0);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundChoice {
    /// The choice's value.
    pub value: String,
    /// The choice's position in the list (zero-based).
    pub index: usize,
    /// How well it matched, from 0 (not at all) to 1 (exactly).
    pub score: f64,
    /// The value, action title or synonym that matched; `None` when the choice was picked by
    /// its position (`2`, `the second one`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub synonym: Option<String>,
}

/// A value found by [`find_values`](super::find_values).
///
/// ```
/// use botbuilder_dialogs::choices::{find_values, FindChoicesOptions, SortedValue};
///
/// let values = [SortedValue::new("red pill", 0), SortedValue::new("blue pill", 1)];
/// let found = &find_values("the blue one", &values, &FindChoicesOptions::default());
/// assert!(found.is_empty());
/// let found = &find_values("the blue pill please", &values, &FindChoicesOptions::default());
/// assert_eq!(found[0].resolution.index, 1);
/// ```
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FoundValue {
    /// The value that matched.
    pub value: String,
    /// The index given with the value.
    pub index: usize,
    /// How well it matched, from 0 to 1.
    pub score: f64,
}

/// A value to search for, with the index of what it stands for (a choice's position, when
/// several synonyms stand for one choice).
///
/// ```
/// use botbuilder_dialogs::choices::SortedValue;
///
/// let v = SortedValue::new("coach", 1);
/// assert_eq!((v.value.as_str(), v.index), ("coach", 1));
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SortedValue {
    /// The text to look for.
    pub value: String,
    /// What it stands for.
    pub index: usize,
}

impl SortedValue {
    /// A value and its index.
    ///
    /// ```
    /// use botbuilder_dialogs::choices::SortedValue;
    ///
    /// assert_eq!(SortedValue::new("Bus", 2).index, 2);
    /// ```
    #[must_use]
    pub fn new(value: impl Into<String>, index: usize) -> Self {
        SortedValue {
            value: value.into(),
            index,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn choice_json_matches_botbuilder() {
        let c = Choice::new("red")
            .with_action(CardAction::im_back("Red"))
            .with_synonyms(["crimson"]);
        assert_eq!(
            serde_json::to_value(&c).unwrap(),
            json!({"value": "red", "action": {"type": "imBack", "title": "Red", "value": "Red"}, "synonyms": ["crimson"]})
        );
        assert_eq!(
            serde_json::to_value(Choice::from("blue")).unwrap(),
            json!({"value": "blue"})
        );
        let back: Choice = serde_json::from_value(json!({"value": "blue"})).unwrap();
        assert_eq!(back, Choice::from("blue"));
    }

    #[test]
    fn found_choice_json() {
        let f = FoundChoice {
            value: "Bus".into(),
            index: 1,
            score: 1.0,
            synonym: None,
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            json!({"value": "Bus", "index": 1, "score": 1.0})
        );
    }
}
