"""Extensions loaded into the Rasa server (runs in the Rasa environment)."""
