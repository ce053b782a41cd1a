//! `ipabs size`.

use super::AppError;

pub fn run(_args: &crate::cli::SizeArgs) -> Result<String, AppError> {
    Err(AppError::Usage("not implemented yet".into()))
}
