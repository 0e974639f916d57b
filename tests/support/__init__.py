"""What the tests share that is not itself a test: ``fakes`` holds the fast tier's stand-ins
(a keyword NLU, scripted speech to text, a tone TTS, a small tea skill, a scripted model).

Helpers the benchmarks use as well live in the top-level ``testkit`` package.
"""
