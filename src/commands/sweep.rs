//! `ipabs sweep`.

use super::AppError;

pub fn run(_args: &crate::cli::SweepArgs) -> Result<String, AppError> {
    Err(AppError::Usage("not implemented yet".into()))
}
