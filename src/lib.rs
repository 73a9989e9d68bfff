pub mod config;
pub mod diagnostics;
pub mod markdown;
pub mod source;
pub mod yaml;
