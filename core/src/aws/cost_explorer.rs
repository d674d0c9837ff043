//! Cost Explorer: GetCostAndUsage (daily or monthly, grouped by service and a
//! cost-allocation tag, every page) and GetCostForecast, mapped to plain rows.
//! Every request is counted by the client's [`super::AwsCallCounter`] under
//! service `ce`.

use aws_config::retry::RetryConfig;
use aws_sdk_costexplorer::types::{
    DateInterval, Granularity, GroupDefinition, GroupDefinitionType, Metric, ResultByTime,
};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::{AwsError, AwsErrorKind};

/// Pages followed at most (13 months × a few hundred groups fits in a few).
const MAX_PAGES: usize = 50;

/// One group of one period as Cost Explorer answered it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CostGroup {
    /// The period's first day.
    pub start: NaiveDate,
    pub service: String,
    /// The tag key as Cost Explorer writes it: `environment$dev`,
    /// `environment$` for spend without the tag.
    pub tag: String,
    pub amount_micros: i64,
    pub estimated: bool,
}

/// Daily or monthly.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CostGranularity {
    Daily,
    Monthly,
}

/// GetCostAndUsage over `[start, end)`, grouped by SERVICE and the tag
/// `tag_key`, every page. The request body is the same for the same
/// arguments (the moto stand-in keys its preloaded answers on it).
pub async fn cost_and_usage(
    client: &aws_sdk_costexplorer::Client,
    granularity: CostGranularity,
    start: NaiveDate,
    end: NaiveDate,
    metric: CostMetric,
    tag_key: &str,
) -> Result<Vec<CostGroup>, AwsError> {
    let period = interval(start, end)?;
    let mut groups = Vec::new();
    let mut token: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let answer = client
            .get_cost_and_usage()
            .time_period(period.clone())
            .granularity(match granularity {
                CostGranularity::Daily => Granularity::Daily,
                CostGranularity::Monthly => Granularity::Monthly,
            })
            .metrics(metric.as_str())
            .group_by(group(GroupDefinitionType::Dimension, "SERVICE")?)
            .group_by(group(GroupDefinitionType::Tag, tag_key)?)
            .set_next_page_token(token.take())
            .send()
            .await?;
        for result in answer.results_by_time() {
            map_result(result, metric, &mut groups)?;
        }
        match answer.next_page_token().filter(|t| !t.is_empty()) {
            Some(next) => token = Some(next.to_owned()),
            None => return Ok(groups),
        }
    }
    Err(AwsError::invalid(format!(
        "Cost Explorer answered more than {MAX_PAGES} pages"
    )))
}

/// GetCostForecast of the whole account for `[start, end)` (monthly), in
/// micro-dollars. One attempt only: where Cost Explorer has no forecast (too
/// little history, or the stand-in), the caller projects locally instead of
/// waiting on retries.
pub async fn cost_forecast(
    client: &aws_sdk_costexplorer::Client,
    start: NaiveDate,
    end: NaiveDate,
    metric: CostMetric,
) -> Result<i64, AwsError> {
    let answer = client
        .get_cost_forecast()
        .time_period(interval(start, end)?)
        .granularity(Granularity::Monthly)
        .metric(match metric {
            CostMetric::Unblended => Metric::UnblendedCost,
            CostMetric::Amortized => Metric::AmortizedCost,
        })
        .customize()
        .config_override(
            aws_sdk_costexplorer::config::Builder::default()
                .retry_config(RetryConfig::standard().with_max_attempts(1)),
        )
        .send()
        .await?;
    let amount = answer
        .total()
        .and_then(|t| t.amount())
        .ok_or_else(|| AwsError::invalid("Cost Explorer's forecast has no total"))?;
    parse_amount_micros(amount).map_err(AwsError::invalid)
}

fn interval(start: NaiveDate, end: NaiveDate) -> Result<DateInterval, AwsError> {
    DateInterval::builder()
        .start(start.format("%Y-%m-%d").to_string())
        .end(end.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| AwsError::invalid(format!("Cost Explorer period: {e}")))
}

fn group(kind: GroupDefinitionType, key: &str) -> Result<GroupDefinition, AwsError> {
    Ok(GroupDefinition::builder().r#type(kind).key(key).build())
}

fn map_result(
    result: &ResultByTime,
    metric: CostMetric,
    out: &mut Vec<CostGroup>,
) -> Result<(), AwsError> {
    let start_raw = result
        .time_period()
        .map(DateInterval::start)
        .unwrap_or_default();
    let start = NaiveDate::parse_from_str(start_raw, "%Y-%m-%d")
        .map_err(|e| AwsError::invalid(format!("Cost Explorer period start {start_raw:?}: {e}")))?;
    for g in result.groups() {
        let keys = g.keys();
        let (Some(service), tag) = (keys.first(), keys.get(1)) else {
            return Err(AwsError::invalid("Cost Explorer group without keys"));
        };
        let Some(value) = g.metrics().and_then(|m| m.get(metric.as_str())) else {
            continue;
        };
        let amount = value.amount().unwrap_or("0");
        out.push(CostGroup {
            start,
            service: service.clone(),
            tag: tag.cloned().unwrap_or_default(),
            amount_micros: parse_amount_micros(amount).map_err(AwsError::invalid)?,
            estimated: result.estimated(),
        });
    }
    Ok(())
}

/// What a person can do about a Cost Explorer failure: the stored data stays
/// on screen beside this reason.
pub fn explain(err: &AwsError) -> String {
    let code = err.code.as_deref().unwrap_or_default();
    match (code, err.kind) {
        ("DataUnavailableException", _) => format!(
            "Cost Explorer has no data for this account: enable Cost Explorer in the Billing console \
             (data appears within 24 hours) ({})",
            err.message
        ),
        ("BillExpirationException" | "RequestChangedException" | "InvalidNextTokenException", _) => {
            format!("Cost Explorer's data changed while it was read; the next refresh retries ({})", err.message)
        }
        ("LimitExceededException", _) | (_, AwsErrorKind::Throttled) => format!(
            "Cost Explorer is throttling Gantry's requests; the next refresh retries ({})",
            err.message
        ),
        (_, AwsErrorKind::AccessDenied) => format!(
            "Cost Explorer refused access: Gantry's role needs ce:GetCostAndUsage and ce:GetCostForecast \
             ({})",
            err.message
        ),
        (_, AwsErrorKind::Unreachable) => format!("Cost Explorer did not answer ({})", err.message),
        _ => format!("Cost Explorer failed: {}", err.message),
    }
}

/// Which Cost Explorer metric is ingested.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum CostMetric {
    /// What was billed, when it was billed (Cost Explorer's default view).
    #[default]
    Unblended,
    /// Upfront reservation and savings-plan fees spread over their term.
    Amortized,
}

impl CostMetric {
    /// Cost Explorer's name of the metric.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unblended => "UnblendedCost",
            Self::Amortized => "AmortizedCost",
        }
    }

    /// `UnblendedCost` / `unblended`, `AmortizedCost` / `amortized`.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "unblendedcost" | "unblended" | "unblended_cost" => Ok(Self::Unblended),
            "amortizedcost" | "amortized" | "amortized_cost" => Ok(Self::Amortized),
            _ => Err(format!(
                "cost metric {raw:?}: expected UnblendedCost or AmortizedCost"
            )),
        }
    }
}

impl std::fmt::Display for CostMetric {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A Cost Explorer amount ("12.3456789012", "-0.01", "1.5E-7") in
/// micro-dollars, rounded half away from zero; no floating point.
pub fn parse_amount_micros(raw: &str) -> Result<i64, String> {
    let fail = || format!("amount {raw:?} is not a decimal number");
    let s = raw.trim();
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], s[i + 1..].parse::<i32>().map_err(|_| fail())?),
        None => (s, 0),
    };
    let (negative, digits) = match mantissa.as_bytes().first() {
        Some(b'-') => (true, &mantissa[1..]),
        Some(b'+') => (false, &mantissa[1..]),
        _ => (false, mantissa),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part
            .bytes()
            .chain(frac_part.bytes())
            .all(|b| b.is_ascii_digit())
    {
        return Err(fail());
    }
    // value = all_digits × 10^(exponent − frac_len); micros = value × 10^6.
    let all: String = format!("{int_part}{frac_part}");
    let all = all.trim_start_matches('0');
    if all.len() > 30 {
        return Err(format!("amount {raw:?} is out of range"));
    }
    let n: i128 = if all.is_empty() {
        0
    } else {
        all.parse().map_err(|_| fail())?
    };
    let shift = exponent - frac_part.len() as i32 + 6;
    let micros: i128 = if shift >= 0 {
        if shift > 20 {
            return Err(format!("amount {raw:?} is out of range"));
        }
        n.checked_mul(10i128.pow(shift as u32))
            .ok_or_else(|| format!("amount {raw:?} is out of range"))?
    } else if -shift > 36 {
        0
    } else {
        let div = 10i128.pow((-shift) as u32);
        (n + div / 2) / div
    };
    let micros = i64::try_from(micros).map_err(|_| format!("amount {raw:?} is out of range"))?;
    Ok(if negative { -micros } else { micros })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: AwsErrorKind, code: &str) -> AwsError {
        AwsError {
            kind,
            code: Some(code.to_owned()),
            message: format!("{code}: details"),
        }
    }

    #[test]
    fn failures_are_explained() {
        let reason = |e| explain(&e);
        assert!(reason(err(AwsErrorKind::Other, "DataUnavailableException"))
            .starts_with("Cost Explorer has no data for this account: enable Cost Explorer"));
        assert!(
            reason(err(AwsErrorKind::AccessDenied, "AccessDeniedException")).starts_with(
                "Cost Explorer refused access: Gantry's role needs ce:GetCostAndUsage"
            )
        );
        assert!(reason(err(AwsErrorKind::Throttled, "ThrottlingException"))
            .starts_with("Cost Explorer is throttling"));
        assert!(reason(err(AwsErrorKind::Other, "LimitExceededException"))
            .starts_with("Cost Explorer is throttling"));
        assert!(reason(AwsError::new(
            AwsErrorKind::Unreachable,
            "Connection refused"
        ))
        .starts_with("Cost Explorer did not answer"));
    }
}
