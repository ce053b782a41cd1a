//! The synthetic pool both Monte Carlo benches run: `assets` monthly level-pay loans of
//! 1,000,000 yuan over 60 months, one obligor each, 20 sectors, annual PD 3 %, a 90 % senior
//! class at 4 % and a subordinate, a manager fee.

use std::path::{Path, PathBuf};

/// Writes the scenario and its tape into `dir`; returns the scenario's path.
pub fn synthetic_scenario(dir: &Path, assets: usize) -> PathBuf {
    std::fs::create_dir_all(dir).expect("temp dir");
    let mut tape = String::from(
        "id,obligor,sector,asset_type,ip_kind,ip_items,appraised_value,balance,rate,amortization,frequency,term_months,annual_pd\n",
    );
    for a in 0..assets {
        tape += &format!(
            "S{a:05},obligor-{a:05},sector-{:02},patent_pledge_loan,invention_patent,2,2000000.00,1000000.00,0.06,level,monthly,60,0.03\n",
            a % 20
        );
    }
    std::fs::write(dir.join("tape.csv"), tape).expect("write tape");
    let total = assets as u64 * 1_000_000;
    let senior = total / 10 * 9;
    let scenario = format!(
        r#"
[deal]
name = "synthetic {assets}"
closing_date = 2020-01-01
first_payment_date = 2020-02-01
payment_frequency = "monthly"
legal_final_date = 2024-12-01
[pool]
loan_tape = "tape.csv"
[model]
correlation = {{ intra_sector = 0.30, inter_sector = 0.15 }}
[model.recovery]
mode = "rate"
rate = 0.2
lag_months = 6
[[fees]]
name = "manager"
basis = "tranche_balance"
rate = 0.001
[[tranches]]
name = "A"
balance = {senior}.00
coupon = 0.04
[[tranches]]
name = "B"
balance = {sub}.00
[waterfall]
normal = [
  {{ step = "fee", fee = "manager" }},
  {{ step = "interest", tranches = ["A"] }},
  {{ step = "principal", tranches = ["A", "B"] }},
  {{ step = "residual", tranche = "B" }},
]
"#,
        sub = total - senior
    );
    let path = dir.join("synthetic.toml");
    std::fs::write(&path, scenario).expect("write scenario");
    path
}
