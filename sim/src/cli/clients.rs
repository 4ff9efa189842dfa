//! `--clients N --recipe R`, shared by `run`, `fuzz` and `sweep`: simulated ZooKeeper clients
//! added to every scenario the command runs.

use crate::scenario::{Clients, Recipe, Scenario};
use clap::Args;
use strum::VariantNames;

#[derive(Args, Debug, Clone, Default)]
pub(crate) struct ClientArgs {
    /// Simulated ZooKeeper clients (sessions, requests, watches) running --recipe.
    #[arg(long)]
    pub(crate) clients: Option<u32>,
    /// What the clients run: mixed (every request kind; the default), lock, election, queue or
    /// config (ZooKeeper's recipes).
    #[arg(long, value_parser = clap::builder::PossibleValuesParser::new(Recipe::VARIANTS), requires = "clients")]
    pub(crate) recipe: Option<String>,
}

impl ClientArgs {
    /// Applies the flags to `scenario` (a flag given overrides the scenario file).
    pub(crate) fn apply(&self, scenario: &mut Scenario) {
        self.apply_to(&mut scenario.clients);
    }

    /// Applies the flags to a clients section.
    pub(crate) fn apply_to(&self, clients: &mut Clients) {
        if let Some(count) = self.clients {
            clients.count = count;
        }
        if let Some(recipe) = &self.recipe {
            clients.recipe = recipe.parse().expect("clap checked the recipe name");
        }
    }

    /// The flags as given, for a replay command line (empty when none).
    pub(crate) fn flags(&self) -> String {
        let mut flags = String::new();
        if let Some(count) = self.clients {
            flags.push_str(&format!(" --clients {count}"));
        }
        if let Some(recipe) = &self.recipe {
            flags.push_str(&format!(" --recipe {recipe}"));
        }
        flags
    }
}
