"""How well the bot answers, measured: labelled questions and scripted conversations, run by
one runner that `billing-bot eval`, the model tests and the benchmarks share.

questions      retrieval (hit@1, hit@5, MRR) and decisions on labelled questions
conversations  the conversations' format, and one conversation run with each turn checked
summary        what a run of conversations measured, by kind and language
folds          the same figures on K held folds (GroupKFold by conversation)
runner         builds the assistant once on a throwaway database and runs either
"""
