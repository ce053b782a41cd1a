//! `ipabs rate`.

use super::AppError;

pub fn run(_args: &crate::cli::RateArgs) -> Result<String, AppError> {
    Err(AppError::Usage("not implemented yet".into()))
}
