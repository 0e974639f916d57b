"""Playing audio to the person: ``player`` (the queue, ducking and the PortAudio output) and
``decode`` (reading audio files through libsndfile, or ffmpeg for what it cannot read)."""
