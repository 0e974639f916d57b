"""What the layers agree on and nothing else: the stage protocols and the values between them
(``stages``), the typed events every turn emits (``events``: session log, replay, latency metrics
and golden tests all read them) and one error class per stage (``errors``). Imports no other
part of the assistant."""
