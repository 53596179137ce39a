use std::collections::HashMap;
use verifier_core::decision::answer;
use verifier_data::{DataDir, problem_key, sources};
fn main() {
    let data = DataDir::open(std::path::Path::new("../shared/data")).unwrap();
    let sub = std::env::args().nth(1).unwrap_or("math".into());
    let mut known: HashMap<String, String> = HashMap::new();
    if sub == "math" {
        for it in sources::math(&data, "test").unwrap() {
            if let Some(a) = answer::extract_boxed(&it.solution) { known.insert(problem_key(&it.problem), a); }
        }
    } else {
        for it in sources::gsm8k(&data, "test").unwrap() {
            let (_, a) = sources::gsm8k_reference(&it);
            known.insert(problem_key(&it.question), a.unwrap());
        }
    }
    for it in sources::processbench(&data, &sub).unwrap() {
        let exp = &known[&problem_key(&it.problem)];
        let found = answer::final_answer(&it.steps, true).map(|f| f.text);
        let m = answer::judge(&it.steps, exp, true).1;
        let c = it.final_answer_correct.unwrap_or(false);
        let tag = match (m, c) { (Some(true), false) => "WRONG-MATCH", (Some(false), true) => "WRONG-DIFF", (None, true) => "UNDEC-correct", (None, false) => "UNDEC-wrong", _ => continue };
        println!("{tag}\t{}\t{:?}\t{:?}", it.id, found, exp);
    }
}
