//! One integration-test binary: each module pairs with fixture sites under `tests/fixtures/` and
//! runs the real `opsbook` binary on a copy of them.

mod browser;
mod build;
mod changes;
mod check;
mod ci;
mod cli;
mod example;
mod flavors;
mod helpers;
mod history;
mod properties;
mod reports;
mod rules;
mod security;
mod serve;
mod site;
