//! The benches' solution (the browser bench page writes the same one): a problem and `n` steps of
//! about 20 tokens each. Shared by `verifier-core`'s criterion bench and `verifier-train`'s
//! side-by-side bench through `#[path]`.

pub const PROBLEM: &str = "Tom has 3 boxes with 12 pencils each and buys more boxes of 12. How many pencils does he have?";

pub fn steps(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            format!(
                "Next, {i} boxes hold {} pencils, so we have {} pencils in all.",
                12 * i,
                12 * i + 36
            )
        })
        .collect()
}
