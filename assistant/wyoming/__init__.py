"""Home Assistant's Wyoming protocol: ``assistant serve`` offers the assistant as a conversation
agent, speech to text and text to speech.

``server`` (listening, start-up and shutdown, the ``info`` it advertises), ``handler`` (one
connection's events), ``conversations`` (a dialogue session per connection and per context),
``profiles`` (whose profile a request speaks for: the ``[satellites]`` table), ``workers``
(the bounded worker threads), ``audio`` (audio in and out of events) and ``limits`` (what a
client may send, enforced while reading).
"""
