//! The model card written next to the weights.

use verifier_core::ModelConfig;

pub fn model_card(config: &ModelConfig) -> String {
    let a = &config.architecture;
    let t = &config.training;
    let m = &config.metrics;
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    format!(
        "# Step verifier (PRM + ORM)\n\n\
         A process reward model and outcome reward model in one network: all-MiniLM-L6-v2\n\
         (BERT, {layers} layers, {hidden} wide, {heads} heads) with step-causal attention, a PRM head\n\
         read at each step marker and an ORM head read at the last step's marker. Vocabulary pruned\n\
         to {vocab} WordPiece tokens; weights stored as f16 burnpack.\n\n\
         ## Data\n\
         PRM800K phase 1 train (human step labels; +1 and 0 correct, -1 wrong, supervised up to the\n\
         first error); GSM8K train and MATH train reference solutions, as correct solutions and as\n\
         mutated wrong ones (a number, operator or result changed in one step); GSM8K\n\
         example model solutions of the training half of the problems (answer labels only).\n\
         Never trained on: MATH-500, ProcessBench, the held-out GSM8K problems.\n\n\
         ## Training\n```json\n{train}\n```\n\n\
         ## Settings\nthreshold {thr} (chosen on ProcessBench gsm8k only), aggregate {agg}.\n\n\
         ## Metrics\n```json\n{metrics}\n```\n\n\
         ## Known weaknesses\n\
         - Small model (22M parameters, trained on CPU for a limited number of steps): it judges\n\
           arithmetic and local consistency far better than long multi-step olympiad reasoning.\n\
         - English only; steps longer than {st} tokens and problems longer than {pt} tokens are cut.\n\
         - Mutation-made errors are easier than real model errors; scores are not a proof.\n",
        layers = a.num_layers,
        hidden = a.hidden_size,
        heads = a.num_heads,
        vocab = a.vocab_size,
        train = pretty(t),
        thr = config.threshold,
        agg = config.aggregate,
        metrics = pretty(m),
        st = config.limits.max_step_tokens,
        pt = config.limits.max_problem_tokens,
    )
}
