"""Home Assistant's Wyoming protocol: ``assistant serve`` offers the assistant as a conversation
agent, speech to text and text to speech.

``server`` (listening, start-up and shutdown, the ``info`` it advertises), ``handler`` (one
connection's events), ``conversations`` (a dialogue session per connection and per context),
``profiles`` (whose profile a request speaks for: the ``[satellites]`` table), ``workers``
(the bounded worker threads), ``audio`` (audio in and out of events) and ``limits`` (what a
client may send, enforced while reading).

Imports: its own layer (``frontends``), ``app`` and every layer below it; not ``cli``,
``cli_commands``, ``stt``, ``wake`` or ``speaker``; never ``skills``, ``models``,
``evaluation``, ``testkit`` or ``tests``. Skills may not import it."""

DEFAULT_URI = "tcp://127.0.0.1:10700"  # loopback: nothing else on the network can reach it
