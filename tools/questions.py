"""Questions the benchmarks ask of the real corpus (eval/bench.py, eval/bench_start.py): topics of all three
episodes, some no episode covers."""

QUESTIONS = [
    "How many GPUs does DeepSeek have?", "What did they say about export controls on chips to China?",
    "Why is mixture of experts cheaper to train?", "What is multi-head latent attention?",
    "How does TSMC manufacture chips?", "What is Stargate?", "Who is building the biggest AI clusters?",
    "What is OpenClaw?", "How did Peter Steinberger build the agent?", "What happened when the project went viral?",
    "Why does Jensen Huang run NVIDIA with so many direct reports?", "What is CUDA's advantage?",
    "How much power do AI data centers need?", "What is reinforcement learning with verifiable rewards?",
    "What does Nathan think about open weight models?", "Is AGI coming soon?", "What is test-time compute?",
    "How do you keep an AI agent secure?", "What did Jensen say about suffering and resilience?",
    "How expensive was the DeepSeek V3 training run?", "What is the role of the hedge fund High-Flyer?",
    "How are H20 chips different from H100?", "What programming languages does Peter like?",
    "What are the risks of AI agents on your computer?", "How does NVIDIA think about the future of computing?",
    "What is distillation?", "Why did the stock market react to DeepSeek?", "What is a megacluster?",
    "How do reasoning models like o1 work?", "What advice does Jensen give to young people?",
]
