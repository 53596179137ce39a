//! Consistent wrong steps made from every GSM8K train reference: each one's arithmetic is all true
//! (the exact checks pass: the error is one of reasoning), and most references give one. Skips
//! without the data folder (`../shared/data`, see the README).

use rand::{SeedableRng, rngs::StdRng};
use verifier_data::{DataDir, consistent::consistent_solution, sources};
use verifier_text::check_step;

#[test]
fn every_consistent_wrong_step_passes_the_checks() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data");
    let Ok(data) = DataDir::open(&root) else {
        eprintln!("skipped: no {}", root.display());
        return;
    };
    let refs = sources::gsm8k_references(&data).unwrap();
    let mut rng = StdRng::seed_from_u64(27);
    let mut made = 0;
    for (i, r) in refs.iter().enumerate() {
        let Some(m) = consistent_solution(r, &mut rng) else {
            continue;
        };
        made += 1;
        let k = m.steps.len() - 1;
        // (the prefix is the reference's own, a few of which hold a known slip)
        let checks = check_step(&m.steps[k]);
        assert!(
            !checks.is_empty() && checks.iter().all(|c| c.holds),
            "{}",
            m.steps[k]
        );
        assert_ne!(m.steps[k], r.steps[k]);
        assert_eq!(m.steps[..k], r.steps[..k]);
        if i % 1500 == 0 {
            eprintln!(
                "{}\n  was: {}\n  now: {}",
                r.problem, r.steps[k], m.steps[k]
            );
        }
    }
    eprintln!(
        "{made} of {} references gave a consistent wrong step",
        refs.len()
    );
    assert!(made * 2 > refs.len(), "{made} of {}", refs.len());
}
