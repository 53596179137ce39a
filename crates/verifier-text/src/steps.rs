//! The one step splitter used everywhere (CLI, training data, browser).
//!
//! Rules, in order:
//! 1. If at least two lines start with a `Step n:` / `Step n.` prefix, every such line starts a
//!    new step and the lines after it (up to the next prefix) belong to it. Text before the first
//!    prefix, if any, is a step of its own.
//! 2. Otherwise, if the text has blank-line separated paragraphs (at least two), each paragraph is
//!    a step (PRM800K-style multi-line steps, ProcessBench).
//! 3. Otherwise every non-empty line is a step (GSM8K, PRM800K one-line steps).
//!
//! Steps are trimmed; empty steps never appear. A non-empty solution always yields at least one
//! step, so every step gets exactly one score.

/// Split a solution text into steps (see the module docs for the rules).
pub fn split_steps(solution: &str) -> Vec<String> {
    let text = solution.replace("\r\n", "\n").replace('\r', "\n");
    let lines: Vec<&str> = text.lines().collect();

    let prefixed: Vec<usize> = lines
        .iter()
        .enumerate()
        .filter(|(_, l)| step_prefix_len(l).is_some())
        .map(|(i, _)| i)
        .collect();
    if prefixed.len() >= 2 {
        let mut steps = Vec::new();
        let head = lines[..prefixed[0]].join("\n");
        push_nonempty(&mut steps, &head);
        for (k, &start) in prefixed.iter().enumerate() {
            let end = prefixed.get(k + 1).copied().unwrap_or(lines.len());
            push_nonempty(&mut steps, &lines[start..end].join("\n"));
        }
        return steps;
    }

    let paragraphs: Vec<String> = text
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect();
    if paragraphs.len() >= 2 {
        return paragraphs;
    }

    let mut steps = Vec::new();
    for line in lines {
        push_nonempty(&mut steps, line);
    }
    steps
}

fn push_nonempty(steps: &mut Vec<String>, s: &str) {
    let t = s.trim();
    if !t.is_empty() {
        steps.push(t.to_string());
    }
}

/// Length in bytes of a leading `Step 12:` / `step 3.` / `**Step 2:**` marker, if the line has one.
pub fn step_prefix_len(line: &str) -> Option<usize> {
    let trimmed = line.trim_start();
    let offset = line.len() - trimmed.len();
    let body = trimmed.trim_start_matches(['*', '#', ' ']);
    let stars = trimmed.len() - body.len();
    let rest = body
        .strip_prefix("Step ")
        .or_else(|| body.strip_prefix("step "))
        .or_else(|| body.strip_prefix("STEP "))?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let after = &rest[digits..];
    let sep = after.chars().next()?;
    if sep != ':' && sep != '.' && sep != ')' {
        return None;
    }
    Some(offset + stars + "Step ".len() + digits + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn newline_steps() {
        let s = "a = 1\n\n\nb = 2\n";
        // two paragraphs -> two steps; here the same as lines
        assert_eq!(split_steps(s), vec!["a = 1", "b = 2"]);
        assert_eq!(split_steps("x\ny\nz"), vec!["x", "y", "z"]);
    }

    #[test]
    fn paragraph_steps_keep_inner_newlines() {
        let s = "First we note\nthat x = 2.\n\nThen y = 3\nso done.";
        assert_eq!(
            split_steps(s),
            vec!["First we note\nthat x = 2.", "Then y = 3\nso done."]
        );
    }

    #[test]
    fn step_prefixes_win() {
        let s = "Let us solve.\nStep 1: add 2\nand 3.\n\nStep 2: get 5.\n**Step 3:** done";
        assert_eq!(
            split_steps(s),
            vec![
                "Let us solve.",
                "Step 1: add 2\nand 3.",
                "Step 2: get 5.",
                "**Step 3:** done"
            ]
        );
    }

    #[test]
    fn single_prefix_is_not_a_format() {
        assert_eq!(
            split_steps("Step 1: only\nnext"),
            vec!["Step 1: only", "next"]
        );
    }

    #[test]
    fn empty_and_whitespace() {
        assert!(split_steps("").is_empty());
        assert!(split_steps(" \n\t\n").is_empty());
        assert_eq!(split_steps("\r\nx\r\ny"), vec!["x", "y"]);
    }

    #[test]
    fn prefix_len() {
        assert_eq!(step_prefix_len("Step 12: x"), Some(8));
        assert_eq!(step_prefix_len("Stepping"), None);
        assert_eq!(step_prefix_len("Step one:"), None);
    }
}
