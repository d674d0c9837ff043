//! When two module entries are one module: inside one edition of the status
//! document (listed in two sections, under a slightly different name, or
//! with the same Terraform path) and between editions (a module renamed).
//! Pure: no I/O.

use super::model::{Module, ModuleSlug, ModuleStatus, Roadmap};

/// Why two entries are the same module, as a warning says it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sameness {
    /// Their ids (the Terraform folder, else the name) are equal.
    Id(ModuleSlug),
    /// Both name this Terraform path.
    Path(String),
    /// Their names are equal once case, punctuation, "and"/"&", "Module"
    /// and plurals are ignored.
    Name,
}

impl Sameness {
    pub fn describe(&self) -> String {
        match self {
            Sameness::Id(slug) => format!("the same id \"{slug}\""),
            Sameness::Path(path) => format!("the same Terraform path {path}"),
            Sameness::Name => {
                "the same name once case, punctuation, 'and', 'Module' and plurals are ignored"
                    .to_owned()
            }
        }
    }
}

/// Words a name may gain or lose without naming another module.
const FILLER: [&str; 8] = ["module", "modules", "and", "the", "a", "an", "for", "of"];

/// A name reduced to what identifies it: "Monitoring & Alerting Module" and
/// "Monitoring and Alerts" are both `monitoringalert`.
pub fn name_key(name: &str) -> String {
    name.split(|c: char| !c.is_ascii_alphanumeric())
        .map(str::to_ascii_lowercase)
        .filter(|w| !w.is_empty() && !FILLER.contains(&w.as_str()))
        .map(|w| match w.strip_suffix('s') {
            Some(stem) if stem.len() >= 3 && !stem.ends_with('s') => stem.to_owned(),
            _ => w,
        })
        .collect()
}

/// A Terraform path without its trailing slash or leading `./`.
fn path_key(path: &str) -> String {
    path.trim()
        .trim_start_matches("./")
        .trim_end_matches('/')
        .to_ascii_lowercase()
}

/// Whether `a` and `b` are one module, and why.
pub fn same_module(a: &Module, b: &Module) -> Option<Sameness> {
    if let (Some(pa), Some(pb)) = (&a.path, &b.path) {
        if path_key(pa) == path_key(pb) {
            return Some(Sameness::Path(pb.clone()));
        }
    }
    if a.slug == b.slug {
        return Some(Sameness::Id(a.slug.clone()));
    }
    let key = name_key(&a.name);
    (!key.is_empty() && key == name_key(&b.name)).then_some(Sameness::Name)
}

/// How far along a status is, for merging: retired counts least (an entry
/// that retires a module does not outrank one that deploys it).
fn progress(status: ModuleStatus) -> u8 {
    match status {
        ModuleStatus::Retired => 0,
        ModuleStatus::Planned => 1,
        ModuleStatus::Ready => 2,
        ModuleStatus::InProgress => 3,
        ModuleStatus::Deployed => 4,
    }
}

/// One module out of two entries of it: the more advanced section and, per
/// environment, the more advanced status; every other field from the more
/// advanced entry, filled in from the other where it says nothing. The
/// merged module keeps `first`'s place in the document.
pub fn merge(first: &Module, second: &Module) -> Module {
    let second_leads = second.section < first.section;
    let (lead, other) = if second_leads {
        (second, first)
    } else {
        (first, second)
    };
    let mut merged = lead.clone();
    merged.position = first.position;
    for (env, status) in &other.statuses {
        let entry = merged.statuses.entry(env.clone()).or_insert(*status);
        if progress(*status) > progress(*entry) {
            *entry = *status;
        }
    }
    fill(&mut merged.path, &other.path);
    fill(&mut merged.path_note, &other.path_note);
    fill(&mut merged.purpose, &other.purpose);
    fill(&mut merged.status_note, &other.status_note);
    fill(&mut merged.current_note, &other.current_note);
    fill(&mut merged.config, &other.config);
    fill(&mut merged.phase, &other.phase);
    fill(&mut merged.owner, &other.owner);
    fill(&mut merged.target_date, &other.target_date);
    fill(&mut merged.notes, &other.notes);
    fill(&mut merged.group, &other.group);
    if merged.features.is_empty() {
        merged.features = other.features.clone();
    }
    if merged.priority.is_empty() {
        merged.priority = other.priority.clone();
    }
    if merged.dependencies.is_empty() {
        merged.dependencies = other.dependencies.clone();
    }
    merged.slug = ModuleSlug::derive(&merged.name, merged.path.as_deref());
    merged
}

fn fill<T: Clone>(slot: &mut Option<T>, other: &Option<T>) {
    if slot.is_none() {
        slot.clone_from(other);
    }
}

/// Gives each incoming module that is a stored module under another id
/// (renamed, or its Terraform path added) that module's id, so an edition
/// updates it instead of retiring it and creating a twin. Only modules the
/// edition does not list by their own id are candidates, each taken once.
/// References (next steps, costs, dependencies) follow. Returns one note per
/// module so matched.
pub fn keep_ids(stored: &[Module], incoming: &mut Roadmap) -> Vec<String> {
    let listed: Vec<ModuleSlug> = incoming.modules.iter().map(|m| m.slug.clone()).collect();
    let mut free: Vec<&Module> = stored
        .iter()
        .filter(|m| !listed.contains(&m.slug))
        .collect();
    let mut renames: Vec<(ModuleSlug, ModuleSlug)> = Vec::new();
    let mut notes = Vec::new();
    for module in &mut incoming.modules {
        if stored.iter().any(|m| m.slug == module.slug) {
            continue;
        }
        let Some((index, why)) = free
            .iter()
            .enumerate()
            .find_map(|(i, old)| same_module(old, module).map(|why| (i, why)))
        else {
            continue;
        };
        let old = free.remove(index);
        notes.push(format!(
            "{:?} is the stored module {:?} ({}): {}; updated, not created again",
            module.name,
            old.name,
            old.slug,
            why.describe()
        ));
        renames.push((module.slug.clone(), old.slug.clone()));
        module.slug = old.slug.clone();
    }
    if !renames.is_empty() {
        let rename = |slug: &mut ModuleSlug| {
            if let Some((_, to)) = renames.iter().find(|(from, _)| from == slug) {
                *slug = to.clone();
            }
        };
        let steps = incoming.next_steps.iter_mut().map(|s| &mut s.module);
        let costs = incoming
            .costs
            .iter_mut()
            .flat_map(|c| c.items.iter_mut())
            .map(|i| &mut i.module);
        for slug in steps.chain(costs).flatten() {
            rename(slug);
        }
        for module in &mut incoming.modules {
            module.dependencies.iter_mut().for_each(rename);
        }
    }
    notes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_differ_in_filler_case_and_plurals_share_a_key() {
        assert_eq!(
            name_key("Monitoring & Alerting Module"),
            name_key("monitoring and alerting")
        );
        assert_eq!(name_key("CloudWatch Alarms"), name_key("Cloudwatch alarm"));
        assert_eq!(name_key("Route53 DNS Module"), name_key("Route 53 DNS"));
        assert_ne!(name_key("ECS Service"), name_key("ECS Service Autoscaling"));
        assert_ne!(name_key("RDS"), name_key("SQS"));
        // "ss" endings are not plurals.
        assert_eq!(name_key("Access"), "access");
        assert_eq!(name_key("Module"), "");
    }
}
