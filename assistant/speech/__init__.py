"""Speech helpers shared by speech-to-text, the microphone loop and the evaluation: WAV files,
voice activity detection and endpointing."""
