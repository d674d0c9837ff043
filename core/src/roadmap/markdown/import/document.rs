//! The document as a whole: the title, the walk through its segments, and the
//! finishing step that links steps and costs to modules.

use std::collections::HashMap;

use super::grammar::{heading2, is_title, non_empty, strip_symbols};
use super::lines::Item;
use super::modules::Draft;
use super::sections::{classify, Heading, SectionKind, EXPECTED_SECTIONS};
use super::{ImportOptions, ParseError, Result};
use crate::roadmap::markdown::linking::{earliest_phases, Linker};
use crate::roadmap::model::{CostSection, DocumentMeta, Module, NextStep, Phase, Roadmap, Section};
use crate::shared::EnvName;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    /// Between the title and the first section: the intro.
    Preamble,
    Section(SectionKind),
    /// After the closing `---` rule.
    Footer,
}

/// The reader of one document: what the sections have given so far.
pub(super) struct DocParser<'o> {
    pub(super) opts: &'o ImportOptions,
    pub(super) meta: DocumentMeta,
    pub(super) title_line: usize,
    pub(super) intro: Vec<String>,
    pub(super) sections_seen: HashMap<SectionKind, usize>,
    pub(super) current_date_line: Option<usize>,
    pub(super) modules: Vec<Draft>,
    pub(super) steps: Vec<NextStep>,
    pub(super) phases_seen: HashMap<Phase, usize>,
    pub(super) costs: Vec<CostSection>,
    /// Modules listed twice and merged.
    pub(super) warnings: Vec<ParseError>,
}

impl<'o> DocParser<'o> {
    pub(super) fn new(opts: &'o ImportOptions) -> Self {
        Self {
            opts,
            meta: DocumentMeta::default(),
            title_line: 1,
            intro: Vec::new(),
            sections_seen: HashMap::new(),
            current_date_line: None,
            modules: Vec::new(),
            steps: Vec::new(),
            phases_seen: HashMap::new(),
            costs: Vec::new(),
            warnings: Vec::new(),
        }
    }

    pub(super) fn envs(&self) -> &'o [EnvName] {
        &self.opts.environments
    }

    pub(super) fn run(&mut self, items: &[Item]) -> Result<()> {
        let mut rest = items.iter().skip_while(|it| it.is_blank());
        match rest.next() {
            Some(Item::Line { no, text }) if is_title(text) => {
                self.title_line = *no;
                self.meta.title = text.trim_start_matches('#').trim().to_owned();
            }
            Some(item) => {
                return Err(ParseError::new(
                    item.no(),
                    "not an infrastructure status document: expected a '# ' title",
                ))
            }
            None => {
                return Err(ParseError::new(
                    1,
                    "not an infrastructure status document: expected a '# ' title, the document is empty",
                ))
            }
        }

        let mut segment = Segment::Preamble;
        let mut segment_items: Vec<&Item> = Vec::new();
        for item in rest {
            if let Item::Line { no, text } = item {
                let no = *no;
                if let Some(heading) = heading2(text) {
                    if segment == Segment::Footer {
                        if let Some(first) = segment_items.iter().find(|it| !it.is_blank()) {
                            return Err(ParseError::new(
                                no,
                                format!(
                                    "unexpected section after the closing '---' rule and its text (line {})",
                                    first.no()
                                ),
                            ));
                        }
                    } else {
                        self.finish_segment(segment, &segment_items)?;
                    }
                    segment_items.clear();
                    segment = self.open_section(no, heading, segment)?;
                    continue;
                }
                if is_title(text) {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "unexpected second title {:?}: the title (line {}) is the only '# ' heading",
                            text.trim_start_matches('#').trim(),
                            self.title_line
                        ),
                    ));
                }
                if text.trim() == "---" && segment != Segment::Footer {
                    self.finish_segment(segment, &segment_items)?;
                    segment_items.clear();
                    segment = Segment::Footer;
                    continue;
                }
            }
            segment_items.push(item);
        }
        self.finish_segment(segment, &segment_items)
    }

    /// Handles a `## ` heading; returns the segment that follows it.
    fn open_section(&mut self, no: usize, heading: &str, segment: Segment) -> Result<Segment> {
        match classify(heading) {
            None => Err(ParseError::new(
                no,
                format!(
                    "unknown section {:?}: expected one of {EXPECTED_SECTIONS}",
                    strip_symbols(heading)
                ),
            )),
            Some(Heading::CurrentDate(date)) => {
                if let Some(first) = self.current_date_line {
                    return Err(ParseError::new(
                        no,
                        format!("duplicate \"Current Date\" heading (first at line {first})"),
                    ));
                }
                if segment != Segment::Preamble {
                    return Err(ParseError::new(
                        no,
                        "\"Current Date\" must come before the first section",
                    ));
                }
                self.current_date_line = Some(no);
                self.meta.current_date = non_empty(date);
                Ok(Segment::Preamble)
            }
            Some(Heading::Section(kind)) => {
                if let Some(first) = self.sections_seen.insert(kind, no) {
                    return Err(ParseError::new(
                        no,
                        format!(
                            "duplicate section {:?} (first at line {first})",
                            kind.name()
                        ),
                    ));
                }
                Ok(Segment::Section(kind))
            }
        }
    }

    fn finish_segment(&mut self, segment: Segment, items: &[&Item]) -> Result<()> {
        match segment {
            Segment::Preamble => self.parse_preamble(items),
            Segment::Footer => self.parse_footer(items),
            Segment::Section(SectionKind::Modules(Section::Implemented)) => {
                self.parse_implemented(items)
            }
            Segment::Section(SectionKind::Modules(section)) => {
                self.parse_headed_modules(section, items)
            }
            Segment::Section(SectionKind::NextSteps) => self.parse_next_steps(items),
            Segment::Section(SectionKind::Costs) => self.parse_costs(items),
            Segment::Section(SectionKind::Notes) => self.parse_notes(items),
            Segment::Section(SectionKind::Updates) => self.parse_updates(items),
        }
    }

    /// Links steps and costs to modules and derives phases.
    pub(super) fn finish(self) -> Result<Roadmap> {
        let has_modules = Section::ALL
            .iter()
            .copied()
            .any(|s| self.sections_seen.contains_key(&SectionKind::Modules(s)));
        if !has_modules {
            return Err(ParseError::new(
                self.title_line,
                "not an infrastructure status document: no module section (expected \"## Currently Implemented Modules\", \
                 \"## Modules Ready but Not Deployed\" or \"## Future Modules to Implement\")",
            ));
        }
        let mut meta = self.meta;
        meta.intro = (!self.intro.is_empty()).then(|| self.intro.join("\n\n"));

        let mut modules: Vec<Module> = Vec::with_capacity(self.modules.len());
        let mut explicit_phase: Vec<bool> = Vec::with_capacity(self.modules.len());
        for draft in self.modules {
            explicit_phase.push(draft.explicit_phase);
            modules.push(draft.module);
        }

        let linker = Linker::new(&modules);
        let mut steps = self.steps;
        for step in &mut steps {
            step.module = linker.link_step(&step.text);
        }
        // Grouped by phase, document order within a phase.
        steps.sort_by_key(|s| s.phase);
        let mut costs = self.costs;
        for item in costs.iter_mut().flat_map(|c| c.items.iter_mut()) {
            item.module = linker.link_cost(&item.component);
        }

        let phases = earliest_phases(steps.iter().map(|s| (s.phase, s.module.as_ref())));
        for (module, explicit) in modules.iter_mut().zip(explicit_phase) {
            if !explicit && module.section != Section::Implemented {
                module.phase = phases.get(&module.slug).copied();
            }
        }

        Ok(Roadmap {
            meta,
            environments: self.opts.environments.clone(),
            modules,
            next_steps: steps,
            costs,
        })
    }
}
